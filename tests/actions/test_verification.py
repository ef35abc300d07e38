"""The order number and ownership checks every order form shares (OrderFormValidation)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actions.orders import ActionOrderStatus, ValidateCancelOrderForm, ValidateOrderStatusForm
from actions.verification import ActionStopOrderForm
from crm_engine.auth import issue_customer_token
from crm_engine.db import session_scope
from crm_engine.models import VerificationAttempt, utcnow
from tests import factories
from tests.actions.order_helpers import (
    form_tracker,
    goal_tracker,
    render,
    responses,
    run,
    slots_set,
)

SECRET = "action-test-secret-0123456789abcdef0123"


@pytest.fixture
def order(db_url):
    """A paid order of 张伟 whose phone ends in 1111."""
    with session_scope(db_url) as s:
        o = factories.order(s, status="paid", phone="13900001111")
        return {"number": o.number, "customer": o.customer.code}


def _validate(domain, tracker, form=None):
    return run(form or ValidateOrderStatusForm(), tracker, domain)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_text_without_an_order_number_is_rejected_and_asked_again(domain, db_url, language):
    tracker = form_tracker(
        "order_status_form",
        candidates={"order_id": "不知道"},
        requested_slot="order_id",
        language=language,
    )
    events, dispatcher = _validate(domain, tracker)
    assert slots_set(events)["order_id"] is None
    assert responses(dispatcher) == ["utter_invalid_order_id"]
    assert "SO10004821" in render(dispatcher, domain, tracker)[0]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_unknown_order_number_gets_a_helpful_reply(domain, db_url, language):
    tracker = form_tracker(
        "order_status_form",
        candidates={"order_id": "so-99999999"},
        requested_slot="order_id",
        language=language,
    )
    events, dispatcher = _validate(domain, tracker)
    assert slots_set(events)["order_id"] is None
    assert responses(dispatcher) == ["utter_order_not_found"]
    assert "SO99999999" in render(dispatcher, domain, tracker)[0]


def test_a_known_order_number_is_normalised_and_the_phone_digits_come_next(domain, order):
    raw = order["number"].lower().replace("so", "so-")
    tracker = form_tracker(
        "order_status_form", candidates={"order_id": raw}, requested_slot="order_id"
    )
    events, dispatcher = _validate(domain, tracker)
    assert slots_set(events) == {"order_id": order["number"]}
    assert dispatcher.messages == []  # Rasa asks utter_ask_phone_last4 next


def test_the_owners_signed_token_skips_the_phone_question(domain, order, db_url, monkeypatch):
    monkeypatch.setenv("CRM_AUTH_SECRET", SECRET)
    tracker = form_tracker(
        "order_status_form",
        candidates={"order_id": order["number"]},
        metadata={"auth_token": issue_customer_token(order["customer"])},
    )
    events, _ = _validate(domain, tracker)
    slots = slots_set(events)
    assert slots["verified_orders"] == [order["number"]]
    assert (slots["customer_id"], slots["customer_name"]) == (order["customer"], "张伟")
    assert slots["requested_slot"] is None  # nothing left to ask: the form is done
    with session_scope(db_url) as s:
        attempt = s.scalars(select(VerificationAttempt)).one()
        assert (attempt.method, attempt.success) == ("token", True)


def test_another_customers_token_identifies_them_but_does_not_unlock_the_order(
    domain, order, db_url, monkeypatch
):
    monkeypatch.setenv("CRM_AUTH_SECRET", SECRET)
    with session_scope(db_url) as s:
        stranger = factories.customer(s, name="李娜", phone="13700000000").code
    tracker = form_tracker(
        "order_status_form",
        candidates={"order_id": order["number"]},
        metadata={"auth_token": issue_customer_token(stranger)},
    )
    events, _ = _validate(domain, tracker)
    slots = slots_set(events)
    assert slots["customer_id"] == stranger and "verified_orders" not in slots


def test_a_forged_token_is_ignored(domain, order, monkeypatch):
    monkeypatch.setenv("CRM_AUTH_SECRET", SECRET)
    forged = issue_customer_token(order["customer"], secret="not-the-shops-secret-0123456789abcdef")
    tracker = form_tracker(
        "order_status_form",
        candidates={"order_id": order["number"]},
        metadata={"auth_token": forged},
    )
    events, _ = _validate(domain, tracker)
    assert slots_set(events) == {"order_id": order["number"]}


def test_an_order_verified_earlier_in_the_conversation_is_not_asked_again(domain, order):
    tracker = form_tracker(
        "order_status_form",
        candidates={"order_id": order["number"]},
        slots={"verified_orders": ["SO10000000", order["number"]]},
    )
    events, dispatcher = _validate(domain, tracker)
    assert slots_set(events)["requested_slot"] is None
    assert dispatcher.messages == []


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_right_digits_verify_and_name_the_customer(domain, order, db_url, language):
    tracker = form_tracker(
        "order_status_form",
        candidates={"phone_last4": "尾号1111" if language == "zh" else "ends in 1111"},
        slots={"order_id": order["number"], "verified_orders": ["SO10000000"]},
        requested_slot="phone_last4",
        language=language,
    )
    events, dispatcher = _validate(domain, tracker)
    slots = slots_set(events)
    assert slots["phone_last4"] is None  # the digits are not kept
    assert slots["verified_orders"] == ["SO10000000", order["number"]]
    assert (slots["customer_id"], slots["customer_name"]) == (order["customer"], "张伟")
    assert slots["requested_slot"] is None
    assert responses(dispatcher) == ["utter_verified"]
    assert "张伟" in render(dispatcher, domain, tracker)[0]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_three_wrong_answers_end_the_form_and_are_logged(domain, order, db_url, language):
    def answer(digits: str):
        tracker = form_tracker(
            "order_status_form",
            candidates={"phone_last4": digits},
            slots={"order_id": order["number"]},
            requested_slot="phone_last4",
            language=language,
        )
        events, dispatcher = _validate(domain, tracker)
        return slots_set(events), dispatcher, tracker

    first, d1, t1 = answer("0000")
    second, d2, _ = answer("0001")
    third, d3, _ = answer("0002")
    assert first == {"phone_last4": None} and responses(d1) == ["utter_phone_mismatch"]
    assert "2" in render(d1, domain, t1)[0]
    assert [m["attempts_left"] for m in d2.messages] == [1]
    assert third["verification_failed"] is True and third["requested_slot"] is None
    assert d3.messages == []  # the goal action explains and offers a person
    with session_scope(db_url) as s:
        rows = s.scalars(select(VerificationAttempt)).all()
        assert [(r.success, r.conversation_id) for r in rows] == [(False, "test-conversation")] * 3


def test_a_locked_order_ends_the_form_as_soon_as_it_is_named(domain, order, db_url):
    with session_scope(db_url) as s:
        for _ in range(3):
            s.add(
                VerificationAttempt(
                    conversation_id="elsewhere",
                    order_number=order["number"],
                    method="phone_last4",
                    success=False,
                    created_at=utcnow(),
                )
            )
    tracker = form_tracker("order_status_form", candidates={"order_id": order["number"]})
    events, _ = _validate(domain, tracker)
    assert slots_set(events)["verification_failed"] is True
    assert slots_set(events)["requested_slot"] is None


def test_an_answer_that_is_not_four_digits_costs_no_try(domain, order, db_url):
    tracker = form_tracker(
        "order_status_form",
        candidates={"phone_last4": "I don't remember"},
        slots={"order_id": order["number"]},
        requested_slot="phone_last4",
        language="en",
    )
    events, dispatcher = _validate(domain, tracker)
    assert slots_set(events) == {"phone_last4": None}
    assert responses(dispatcher) == ["utter_invalid_phone_last4"]
    render(dispatcher, domain, tracker)
    with session_scope(db_url) as s:
        assert s.scalars(select(VerificationAttempt)).all() == []


def test_goal_questions_come_only_after_verification(domain, order):
    tracker = form_tracker(
        "cancel_order_form",
        candidates={"phone_last4": "1111"},
        slots={"order_id": order["number"]},
        requested_slot="phone_last4",
    )
    events, _ = _validate(domain, tracker, ValidateCancelOrderForm())
    assert slots_set(events)["requested_slot"] == "confirm_cancel"


def test_a_database_failure_apologises_and_forgets_the_unchecked_answer(
    domain, monkeypatch, tmp_path
):
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'crm.db'}")
    tracker = form_tracker("order_status_form", candidates={"order_id": "SO10004821"})
    events, dispatcher = _validate(domain, tracker)
    assert responses(dispatcher) == ["utter_action_failed"]
    assert slots_set(events) == {"order_id": None}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_unverified_order_is_never_shown(domain, order, language):
    tracker = goal_tracker(number=order["number"], verified=False, language=language)
    events, dispatcher = run(ActionOrderStatus(), tracker, domain)
    assert responses(dispatcher) == ["utter_verification_failed"]
    assert "30" in render(dispatcher, domain, tracker)[0]
    slots = slots_set(events)
    assert slots["handoff_offered"] is True
    assert slots["order_id"] is None, "the goal's answers are forgotten"
    assert "verification_failed" not in slots, "a slot that is already empty is left alone"
    assert "goal_resolved" not in slots


@pytest.mark.parametrize(
    ("intent", "said"),
    [("deny", ["utter_order_form_stopped"]), ("goodbye", []), ("human_handoff", [])],
)
def test_stopping_a_form_forgets_its_answers_but_not_the_verification(domain, intent, said):
    tracker = goal_tracker(
        number="SO10004821",
        slots={"new_address": "x", "phone_last4": "1234"},
        intent=intent,
        language="en",
    )
    events, dispatcher = run(ActionStopOrderForm(), tracker, domain)
    slots = slots_set(events)
    assert (
        slots["order_id"] is None and slots["new_address"] is None and slots["phone_last4"] is None
    )
    assert "verified_orders" not in slots and "customer_id" not in slots
    assert responses(dispatcher) == said
    render(dispatcher, domain, tracker)


def test_a_finished_goal_resets_only_the_answers_it_has():
    from actions.verification import reset_form_slots

    tracker = goal_tracker(number="SO1", slots={"confirm_cancel": True, "requested_slot": None})
    reset = {e["name"]: e["value"] for e in reset_form_slots(tracker)}
    assert reset == {"order_id": None, "confirm_cancel": None}
