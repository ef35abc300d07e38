"""The fast action-response validator accepts and rejects exactly what Rasa's own check does."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core import events as rasa_events

import bot  # noqa: F401  (applies the fix, as Rasa's first import of bot/ does)
from bot.rasa_fixes import validate_action_result

# One real event of every kind an action server can send back, as Rasa serialises it.
EVENTS = [
    rasa_events.UserUttered(
        "where is SO1",
        intent={"name": "order_status", "confidence": 0.9},
        entities=[{"entity": "order_id", "value": "SO1", "start": 9, "end": 12}],
    ).as_dict(),
    rasa_events.BotUttered("hi", {"buttons": []}).as_dict(),
    rasa_events.SlotSet("order_id", "SO20000003").as_dict(),
    rasa_events.SlotSet("verified_orders", ["SO1", "SO2"]).as_dict(),
    rasa_events.ActionExecuted(
        "action_order_status", policy="RulePolicy", confidence=1.0
    ).as_dict(),
    rasa_events.ActiveLoop("order_status_form").as_dict(),
    rasa_events.ActiveLoop(None).as_dict(),
    rasa_events.FollowupAction("action_listen").as_dict(),
    rasa_events.ConversationPaused().as_dict(),
    rasa_events.ConversationResumed().as_dict(),
    rasa_events.AllSlotsReset().as_dict(),
    rasa_events.Restarted().as_dict(),
    rasa_events.SessionStarted().as_dict(),
    rasa_events.UserUtteranceReverted().as_dict(),
    rasa_events.ActionReverted().as_dict(),
    rasa_events.ActionExecutionRejected("order_status_form").as_dict(),
    rasa_events.LoopInterrupted(True).as_dict(),
    rasa_events.EntitiesAdded([{"entity": "color", "value": "red"}]).as_dict(),
    rasa_events.AgentUttered("agent text").as_dict(),
    rasa_events.StoryExported().as_dict(),
    {"event": "reminder", "intent": "EXTERNAL_reminder", "date_time": "2026-12-03T10:00:00"},
    {"event": "cancel_reminder", "name": "r1"},
    {"event": "form", "name": "order_status_form"},
    {"event": "form_validation", "validate": False},
    {"event": "user_featurization", "use_text_for_featurization": False},
]

# Broken variants: each must be rejected.
BAD_EVENTS = [
    {"no_event_key": 1},
    {"event": "no_such_event"},
    {"event": 7},
    "slot",
    {"event": "slot", "name": "order_id"},  # no value
    {"event": "slot", "name": 3, "value": 1},
    {"event": "action", "name": "x", "policy": 5},
    {"event": "action", "name": "x", "hide_rule_turn": "yes"},
    {"event": "entities"},
    {"event": "entities", "entities": [{"entity": "color"}]},
    {"event": "user", "parse_data": {"intent": {"name": 3}}},
    {"event": "user", "parse_data": {"entities": [{"value": "x"}]}},
    {"event": "bot", "timestamp": "yesterday"},
    {"event": "bot", "metadata": ["not", "an", "object"]},
]

GOOD_ANSWERS = [
    {"events": [], "responses": []},
    {"responses": [{"response": "utter_greet", "order_number": "SO1"}]},
    {"events": EVENTS, "responses": [{"text": "hi"}]},
    {},
]
BAD_ANSWERS = [
    {"events": "not a list"},
    {"responses": {"text": "a dict, not a list"}},
    {"responses": ["text"]},
    *({"events": [EVENTS[0], bad]} for bad in BAD_EVENTS),
]


def _rasa_accepts(result: dict) -> bool:
    try:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError:
        return False
    return True


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e["event"])
def test_every_event_kind_passes_like_rasas_own_check(event):
    result = {"events": [event]}
    assert _rasa_accepts(result)
    validate_action_result(result)


def test_the_test_covers_every_event_kind_rasa_knows():
    from rasa.shared.utils.schemas.events import EVENT_SCHEMA

    known = {alt["properties"]["event"]["const"] for alt in EVENT_SCHEMA["oneOf"]}
    assert known == {e["event"] for e in EVENTS}


@pytest.mark.parametrize("result", GOOD_ANSWERS)
def test_valid_answers_pass_like_rasas_own_check(result):
    assert _rasa_accepts(result)
    validate_action_result(result)
    assert RemoteAction("x", None)._validate_action_result(result) is True


@pytest.mark.parametrize("result", BAD_ANSWERS, ids=repr)
def test_malformed_answers_fail_like_rasas_own_check(result):
    assert not _rasa_accepts(result)
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server"):
        RemoteAction("x", None)._validate_action_result(result)


def test_the_error_points_at_the_bad_event():
    with pytest.raises(jsonschema.ValidationError) as caught:
        validate_action_result({"events": [EVENTS[2], {"event": "slot", "name": "x"}]})
    assert list(caught.value.path)[:2] == ["events", 1]
