"""Fixtures for action tests: a real domain, a fresh dispatcher and explicit trackers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

DOMAIN_DIR = Path(__file__).resolve().parents[2] / "domain"


def load_domain() -> dict[str, Any]:
    """The merged domain/ directory, as Rasa merges it (lists concatenated, maps united)."""
    merged: dict[str, Any] = {}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, value in part.items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                merged[key] = value
    return merged


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return load_domain()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def make_tracker(
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    sender_id: str = "test-conversation",
    active_loop: str | None = None,
    input_channel: str = "rest",
) -> Tracker:
    """A tracker whose latest message is `text` with `intent`; `language` defaults from the text."""
    slots = dict(slots or {})
    if "language" not in slots:
        slots["language"] = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0} if intent else {},
        "entities": entities or [],
        "metadata": metadata or {},
    }
    if events is None:
        # The latest user event carries the channel (Tracker.get_latest_input_channel).
        events = [
            {"event": "user", "text": text, "parse_data": latest, "input_channel": input_channel}
        ]
    return Tracker(
        sender_id=sender_id,
        slots=slots,
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name=None,
    )


def responses_of(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("response") for m in dispatcher.messages]


def assert_responses_exist(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    """Every response an action uttered must exist in the domain in both languages."""
    for message in dispatcher.messages:
        name = message.get("response")
        if name is None:
            continue
        assert name in domain.get("responses", {}), f"{name} missing from domain/"
        variants = domain["responses"][name]
        langs = {
            c.get("value")
            for v in variants
            for c in v.get("condition", [])
            if c.get("name") == "language"
        }
        assert {"zh", "en"} <= langs, f"{name} lacks a zh or en variant"
