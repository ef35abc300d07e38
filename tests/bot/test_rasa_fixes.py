"""The cached action-response validator accepts and rejects what Rasa's own check does."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

import bot  # noqa: F401  (applies the fix, as Rasa's first import of bot/ does)
from bot.rasa_fixes import validate_action_result

GOOD = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "order_id", "value": "SO20000003"}]},
    {"responses": [{"response": "utter_greet", "order_number": "SO1"}]},
]
BAD = [
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"responses": {"text": "a dict, not a list"}},
]


@pytest.mark.parametrize("result", GOOD)
def test_valid_answers_pass_like_rasas_own_check(result):
    jsonschema.validate(result, RemoteAction.action_response_format_spec())
    validate_action_result(result)
    assert RemoteAction("x", None)._validate_action_result(result) is True


@pytest.mark.parametrize("result", BAD)
def test_malformed_answers_fail_like_rasas_own_check(result):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server"):
        RemoteAction("x", None)._validate_action_result(result)
