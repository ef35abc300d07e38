"""Running order actions and form validations in tests, and reading what they said.

`render` fills each uttered response the way Rasa's NLG does (slots, then the
action's parameters) in the tracker's language, and fails on a placeholder
nothing fills, so a response and its action cannot drift apart silently.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from tests.actions.conftest import assert_responses_exist, make_tracker

_PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")
_MESSAGE_KEYS = {
    "text",
    "buttons",
    "elements",
    "custom",
    "template",
    "response",
    "image",
    "attachment",
}


def run(
    action: Action,
    tracker: Tracker,
    domain: dict[str, Any],
    dispatcher: CollectingDispatcher | None = None,
) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    dispatcher = dispatcher or CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    return events, dispatcher


def slots_set(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The last value each SlotSet event gives a slot."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("response") for m in dispatcher.messages]


def render(dispatcher: CollectingDispatcher, domain: dict[str, Any], tracker: Tracker) -> list[str]:
    """The texts the customer would see, in the tracker's language."""
    assert_responses_exist(dispatcher, domain)
    lang = tracker.get_slot("language")
    texts = []
    for message in dispatcher.messages:
        variants = domain["responses"][message["response"]]
        variant = next(
            v for v in variants if any(c.get("value") == lang for c in v.get("condition", []))
        )
        values = {k: v for k, v in tracker.slots.items() if v is not None}
        values.update({k: v for k, v in message.items() if k not in _MESSAGE_KEYS})

        def fill(
            match: re.Match[str], values: dict[str, Any] = values, name: str = message["response"]
        ) -> str:
            key = match.group(1)
            assert key in values, f"{name}: nothing fills {{{key}}}"
            return str(values[key])

        texts.append(_PLACEHOLDER.sub(fill, variant["text"]))
    return texts


def form_tracker(
    form: str,
    *,
    candidates: dict[str, Any] | None = None,
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str = "inform",
    metadata: dict[str, Any] | None = None,
    requested_slot: str | None = None,
    language: str | None = None,
    sender_id: str = "test-conversation",
) -> Tracker:
    """A tracker as Rasa sends it to `validate_<form>`: the user turn, then the slot candidates."""
    candidates = dict(candidates or {})
    all_slots = {"requested_slot": requested_slot, **(slots or {}), **candidates}
    if language:
        all_slots["language"] = language
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": [],
        "metadata": metadata or {},
    }
    events = [
        {"event": "user", "text": text, "parse_data": latest, "metadata": metadata or {}},
        {"event": "action", "name": form},
        *({"event": "slot", "name": k, "value": v} for k, v in candidates.items()),
    ]
    return make_tracker(
        slots=all_slots,
        text=text,
        intent=intent,
        metadata=metadata,
        events=events,
        sender_id=sender_id,
        active_loop=form,
    )


def goal_tracker(
    *,
    number: str | None,
    verified: bool = True,
    slots: dict[str, Any] | None = None,
    language: str = "zh",
    text: str = "",
    intent: str = "inform",
    events: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker as it reaches a goal action after its form finished."""
    all_slots = {
        "order_id": number,
        "verified_orders": [number] if verified and number else [],
        "language": language,
        **(slots or {}),
    }
    return make_tracker(slots=all_slots, text=text, intent=intent, events=events)
