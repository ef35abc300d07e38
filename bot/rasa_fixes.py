"""A fix for a Rasa 3.6 hot spot, applied when Rasa first imports anything from `bot/`.

Rasa checks every action server answer with `jsonschema.validate(result, schema)`,
which first validates the *schema itself* against the JSON-Schema meta-schema,
then the answer. The schema never changes, so that first step is wasted work,
and the costly one: profiling a turn that runs a form and an action showed
about half of the Rasa server's time in it (py-spy, 2-core machine). Here the
validator is built and checked once and reused; the answer is still validated
against the same schema and a bad one raises the same `ValidationError`.

Rasa 3.6 is the last open-source release, so there is no upstream fix to wait
for; `apply` is idempotent and touches nothing else.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

_APPLIED = False


@lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(result: dict[str, Any]) -> None:
    """Raise `jsonschema.ValidationError` when an action server answer is malformed."""
    from jsonschema.exceptions import best_match

    error = best_match(_action_response_validator().iter_errors(result))
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
