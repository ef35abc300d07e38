"""`POST /interactions` on the action server: the conversation log sent by Rasa's event broker.

bot/interaction_broker.py forwards Rasa events as `{"events": [...]}`: `user` and
`bot` events become rows of the CRM's interaction log; `slot` events for
`customer_id` and `language` tell who is writing and which language the bot
answers in, for the events after them in the same request. Rasa's other events
are ignored.

The log holds what customers wrote, so the route takes only requests that carry
the shared secret `INTERACTIONS_TOKEN` as `Authorization: Bearer ...` (Rasa's
broker sends it from endpoints.yml). A server started without the variable
refuses every batch with 503 and says why in its log, rather than take writes
from anyone who can reach it.

rasa-sdk has no setting for extra routes; it calls the pluggy hook
`attach_sanic_app_extensions` on each app it builds, and finds hook
implementations through the top-level package `rasa_sdk_plugins`, which
registers this module.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from typing import Any

import pluggy
from sanic import Sanic, response
from sanic.exceptions import BadRequest
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.common import detect_language
from crm_engine.db import session_scope
from crm_engine.interactions import LANGUAGES, InteractionEvent, record_events

logger = logging.getLogger(__name__)

hookimpl = pluggy.HookimplMarker("rasa_sdk")

ROUTE = "/interactions"
TOKEN_VARIABLE = "INTERACTIONS_TOKEN"
MAX_EVENTS_PER_REQUEST = 500
# Entity keys worth keeping; extractor internals (confidence, processors) are not.
_ENTITY_KEYS = ("entity", "value", "start", "end", "role", "group")


class PayloadError(ValueError):
    """The request body is not a valid batch of events; the message says what is wrong."""


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _as_dict(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{where} must be an object; got {_describe(value)}")
    return value


def _customer_code(metadata: dict[str, Any]) -> str | None:
    # Channels may pass the shop's customer number with a message; only that is read,
    # never the rest of the metadata (it can carry auth tokens).
    code = metadata.get("customer_code") or metadata.get("customer_id")
    return code if isinstance(code, str) and code else None


def _has_letters(text: str | None) -> bool:
    return bool(text) and any(ch.isalpha() for ch in text)


def _user_event(raw: dict[str, Any], where: str, conversation: dict[str, Any]) -> InteractionEvent:
    parse = _as_dict(raw.get("parse_data"), f"{where}.parse_data")
    intent = _as_dict(parse.get("intent"), f"{where}.parse_data.intent")
    entities = parse.get("entities") or []
    if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
        raise PayloadError(
            f"{where}.parse_data.entities must be a list of objects; got {_describe(entities)}"
        )
    sentiment = _as_dict(parse.get("sentiment"), f"{where}.parse_data.sentiment")
    metadata = _as_dict(raw.get("metadata"), f"{where}.metadata")
    text = raw.get("text")

    tagged = [e.get("value") for e in entities if e.get("entity") == "language"]
    language = next((v for v in tagged if v in LANGUAGES), None)
    if language is None and isinstance(text, str) and _has_letters(text):
        language = detect_language(text)
    if language is None:  # "10004821", "👍": the conversation's language so far
        language = conversation.get("language")
    if code := _customer_code(metadata):
        conversation["customer_code"] = code

    return InteractionEvent(
        conversation_id=raw["sender_id"],
        direction="user",
        event_time=raw.get("timestamp"),
        text=text,
        channel=raw.get("input_channel"),
        language=language,
        intent=intent.get("name"),
        confidence=intent.get("confidence"),
        entities=[
            {k: e[k] for k in _ENTITY_KEYS if k in e}
            for e in entities
            if e.get("entity") != "language"
        ],
        sentiment_label=sentiment.get("label"),
        sentiment_score=sentiment.get("confidence"),
        customer_code=conversation.get("customer_code"),
    )


def _bot_event(raw: dict[str, Any], where: str, conversation: dict[str, Any]) -> InteractionEvent:
    metadata = _as_dict(raw.get("metadata"), f"{where}.metadata")
    text = raw.get("text")
    # The `language` slot picked the response variant, so it is the reply's language.
    language = conversation.get("language")
    if language is None and isinstance(text, str) and _has_letters(text):
        language = detect_language(text)
    return InteractionEvent(
        conversation_id=raw["sender_id"],
        direction="bot",
        event_time=raw.get("timestamp"),
        text=text,
        language=language,
        response=metadata.get("utter_action"),
        customer_code=conversation.get("customer_code"),
    )


def parse_payload(body: Any) -> list[InteractionEvent]:
    """The interaction events in a request body; raises PayloadError naming the bad part."""
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise PayloadError(f'body must be a JSON object {{"events": [...]}}; got {_describe(body)}')
    raw_events = body["events"]
    if len(raw_events) > MAX_EVENTS_PER_REQUEST:
        raise PayloadError(
            f"events must hold at most {MAX_EVENTS_PER_REQUEST} events per request; got {len(raw_events)}"
        )
    conversations: dict[str, dict[str, Any]] = {}
    parsed = []
    for index, raw in enumerate(raw_events):
        where = f"events[{index}]"
        if not isinstance(raw, dict):
            raise PayloadError(f"{where} must be an object; got {_describe(raw)}")
        sender = raw.get("sender_id")
        if not isinstance(sender, str) or not sender:
            raise PayloadError(
                f"{where}.sender_id must be a non-empty text; got {_describe(sender)}"
            )
        conversation = conversations.setdefault(sender, {})
        kind = raw.get("event")
        try:
            if kind == "user":
                parsed.append(_user_event(raw, where, conversation))
            elif kind == "bot":
                parsed.append(_bot_event(raw, where, conversation))
            elif kind == "slot":
                value = raw.get("value")
                if raw.get("name") == "language" and value in LANGUAGES:
                    conversation["language"] = value
                elif raw.get("name") == "customer_id" and isinstance(value, str) and value:
                    conversation["customer_code"] = value
        except PayloadError:
            raise
        except ValueError as exc:
            raise PayloadError(f"{where}: {exc}") from exc
    return parsed


def _store(events: list[InteractionEvent]) -> int:
    with session_scope() as session:
        return record_events(session, events)


def _refusal(request: Request) -> HTTPResponse | None:
    """401/503 unless the request carries the configured shared secret."""
    expected = os.environ.get(TOKEN_VARIABLE, "")
    if not expected:
        logger.error(
            "refused an interaction batch: %s is not set on the action server", TOKEN_VARIABLE
        )
        return response.json({"error": f"{TOKEN_VARIABLE} is not configured"}, status=503)
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        return response.json({"error": "missing or wrong bearer token"}, status=401)
    return None


async def receive_interactions(request: Request) -> HTTPResponse:
    """Store a batch of events; 400 with the reason for a malformed body, nothing stored then."""
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    try:
        body = request.json
    except BadRequest:
        return response.json({"error": "body must be JSON"}, status=400)
    try:
        events = parse_payload(body)
    except PayloadError as exc:
        logger.warning("rejected interaction batch: %s", exc)
        return response.json({"error": str(exc)}, status=400)
    # Database calls block; a worker thread keeps the action server answering Rasa.
    stored = await asyncio.to_thread(_store, events)
    return response.json({"received": len(events), "stored": stored})


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    app.add_route(receive_interactions, ROUTE, methods=["POST"], name="interactions")
