"""Every custom action and form validation the domain names is served by the action package."""

import inspect

from rasa_sdk.executor import ActionExecutor

from actions.returns import _ReturnFormValidation, _ReturnGoalAction
from actions.verification import OrderFormValidation, OrderGoalAction
from tests.actions.conftest import load_domain


def _custom_names(domain: dict) -> set[str]:
    names = {a for a in domain.get("actions", []) if a.startswith(("action_", "validate_"))}
    # Rasa runs validate_<form> for every form that has one; a form listed without
    # its validation action would accept unchecked answers.
    names |= {f"validate_{form}" for form in domain.get("forms", {})}
    return names


def test_every_action_in_the_domain_resolves_in_the_actions_package():
    executor = ActionExecutor()
    executor.register_package("actions")
    missing = sorted(_custom_names(load_domain()) - set(executor.actions))
    assert missing == [], f"named in domain/ but not registered by actions/: {missing}"


def test_shared_bases_stay_abstract_so_the_executor_skips_them():
    # rasa-sdk registers every non-abstract Action subclass; a concrete base
    # would be instantiated and registered under a name that is no action.
    for base in (OrderFormValidation, OrderGoalAction, _ReturnFormValidation, _ReturnGoalAction):
        assert inspect.isabstract(base), base.__name__


def test_every_validation_action_is_listed_in_the_domain():
    """A validate_<form> that Rasa does not know about is never called."""
    executor = ActionExecutor()
    executor.register_package("actions")
    domain = load_domain()
    unlisted = sorted(
        name
        for name in executor.actions
        if name.startswith("validate_") and name not in domain.get("actions", [])
    )
    assert unlisted == []
