"""Fixes for Rasa 3.6 hot spots, applied when Rasa first imports anything from `bot/`.

Rasa checks every action server answer with `jsonschema.validate(result, schema)`.
Profiling a turn that runs a form and an action (py-spy, 2-core machine) showed
two costs there:
- `validate` first checks the *schema itself* against the JSON-Schema
  meta-schema, on every call, though the schema never changes;
- each event is then matched against a `oneOf` of all 23 event schemas, and
  `oneOf` must try every one of them to prove that exactly one matches.
Here the validators are built and checked once, and each event is checked
against the one schema its `event` name selects. The event schemas' `event`
constants are distinct, so this accepts and rejects exactly what the `oneOf`
does (tests/bot/test_rasa_fixes.py compares both on every event type), and a
bad answer still raises `jsonschema.ValidationError` with Rasa's message.

Rasa 3.6 is the last open-source release, so there is no upstream fix to wait
for; `apply` is idempotent and touches nothing else.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_APPLIED = False


@dataclass(frozen=True)
class _Validators:
    answer: Any  # the answer with `events` checked only as an array
    event: Any  # what every event has (`event`, `timestamp`, `metadata`)
    by_event: dict[str, Any]  # event name -> the validator of that event's own schema


@lru_cache(maxsize=1)
def _validators() -> _Validators:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    def build(schema: dict[str, Any]) -> Any:
        cls = validator_for(schema)
        cls.check_schema(schema)
        return cls(schema)

    schema = copy.deepcopy(RemoteAction.action_response_format_spec())
    events = schema["properties"]["events"]
    event_schema = events.pop("items")
    alternatives = event_schema.pop("oneOf")
    by_event = {}
    for alternative in alternatives:
        name = alternative["properties"]["event"]["const"]
        if name in by_event:  # the dispatch below relies on distinct names
            raise RuntimeError(f"two Rasa event schemas for {name!r}")
        by_event[name] = build(alternative)
    return _Validators(answer=build(schema), event=build(event_schema), by_event=by_event)


def _first_error(validator: Any, instance: Any, path: tuple = ()) -> Any:
    from jsonschema.exceptions import best_match

    error = best_match(validator.iter_errors(instance))
    if error is not None and path:
        error.path.extendleft(reversed(path))
    return error


def validate_action_result(result: dict[str, Any]) -> None:
    """Raise `jsonschema.ValidationError` when an action server answer is malformed."""
    from jsonschema.exceptions import ValidationError

    validators = _validators()
    error = _first_error(validators.answer, result)
    if error is not None:
        raise error
    events = result.get("events") if isinstance(result, dict) else None
    for i, event in enumerate(events or []):
        path = ("events", i)
        error = _first_error(validators.event, event, path)
        if error is not None:
            raise error
        own = validators.by_event.get(event["event"])
        if own is None:
            raise ValidationError(
                f"{event!r} is not valid under any of the given schemas", path=path
            )
        error = _first_error(own, event, path)
        if error is not None:
            raise error


def apply() -> None:
    global _APPLIED
    if _APPLIED:
        return
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            validate_action_result(result)
        except ValidationError as e:  # the same message Rasa gives
            e.message += (
                ". Failed to validate Action server response from API, make sure your "
                "response from the Action endpoint is valid. For more information about "
                f"the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise
        return True

    RemoteAction._validate_action_result = _validate_action_result
    _APPLIED = True
