"""Returns and exchanges: the form's item and reason questions and the goal actions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actions.returns import (
    ActionAskReturnItem,
    ActionRequestExchange,
    ActionRequestReturn,
    ValidateExchangeForm,
    ValidateReturnForm,
)
from crm_engine.db import session_scope
from crm_engine.models import ReturnRequest
from tests import factories, order_factories
from tests.actions.order_helpers import (
    form_tracker,
    goal_tracker,
    render,
    responses,
    run,
    slots_set,
)

NOW_DAYS = 1  # delivered yesterday; actions use the real clock


def _delivered(db_url, **kwargs) -> tuple[str, list[int]]:
    with session_scope(db_url) as s:
        o = order_factories.delivered_recently(s, **kwargs)
        return o.number, [i.product_id for i in o.items]


def test_a_one_item_order_only_asks_for_the_reason(domain, db_url):
    number, _ = _delivered(db_url, days_ago=NOW_DAYS)
    tracker = form_tracker(
        "return_form", candidates={"order_id": number}, slots={"verified_orders": [number]}
    )
    events, _ = run(ValidateReturnForm(), tracker, domain)
    assert slots_set(events)["requested_slot"] == "return_reason"


def test_a_multi_item_order_asks_which_item_listing_them(domain, db_url):
    number, ids = _delivered(db_url, days_ago=NOW_DAYS, items=2)
    tracker = form_tracker(
        "return_form", candidates={"order_id": number}, slots={"verified_orders": [number]}
    )
    events, _ = run(ValidateReturnForm(), tracker, domain)
    assert slots_set(events)["requested_slot"] == "return_item"
    ask = goal_tracker(number=number, language="en")
    _, dispatcher = run(ActionAskReturnItem(), ask, domain)
    text = render(dispatcher, domain, ask)[0]
    assert "1. Item number 1" in text and "2. Item number 2" in text


@pytest.mark.parametrize(("answer", "position"), [("2", 1), ("第1个", 0), ("商品2号", 1)])
def test_the_item_is_picked_by_number_or_name(domain, db_url, answer, position):
    number, ids = _delivered(db_url, days_ago=NOW_DAYS, items=2)
    tracker = form_tracker(
        "return_form",
        candidates={"return_item": answer},
        slots={"order_id": number, "verified_orders": [number]},
        requested_slot="return_item",
    )
    events, _ = run(ValidateReturnForm(), tracker, domain)
    assert slots_set(events)["return_item"] == str(ids[position])


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_unknown_item_is_asked_again(domain, db_url, language):
    number, _ = _delivered(db_url, days_ago=NOW_DAYS, items=2)
    tracker = form_tracker(
        "return_form",
        candidates={"return_item": "the blue one"},
        slots={"order_id": number, "verified_orders": [number]},
        requested_slot="return_item",
        language=language,
    )
    events, dispatcher = run(ValidateReturnForm(), tracker, domain)
    assert slots_set(events)["return_item"] is None
    assert responses(dispatcher) == ["utter_item_not_recognised"]
    render(dispatcher, domain, tracker)


def test_nothing_returnable_skips_the_questions(domain, db_url):
    number, _ = _delivered(db_url, days_ago=NOW_DAYS, category="food")
    tracker = form_tracker(
        "return_form", candidates={"order_id": number}, slots={"verified_orders": [number]}
    )
    events, _ = run(ValidateReturnForm(), tracker, domain)
    assert slots_set(events)["requested_slot"] is None


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_no_reason_return_is_approved_with_instructions(domain, db_url, language):
    number, _ = _delivered(db_url, days_ago=NOW_DAYS)
    tracker = goal_tracker(number=number, slots={"return_reason": "尺码不合适"}, language=language)
    events, dispatcher = run(ActionRequestReturn(), tracker, domain)
    assert responses(dispatcher) == ["utter_return_approved", "utter_return_instructions"]
    approved, instructions = render(dispatcher, domain, tracker)
    assert f"RMA-{number}-1" in approved and f"RMA-{number}-1" in instructions
    assert ("墨玉南路" if language == "zh" else "Moyu South Road") in instructions
    assert slots_set(events)["goal_resolved"] is True
    _, again = run(ActionRequestReturn(), tracker, domain)
    assert responses(again)[0] == "utter_return_exists"
    with session_scope(db_url) as s:
        row = s.scalars(select(ReturnRequest)).one()
        assert (row.reason, row.no_reason, row.conversation_id) == (
            "尺码不合适",
            True,
            "test-conversation",
        )


def test_a_late_return_is_reviewed_first(domain, db_url):
    number, _ = _delivered(db_url, days_ago=10)
    tracker = goal_tracker(number=number, slots={"return_reason": "faulty zip"}, language="en")
    _, dispatcher = run(ActionRequestReturn(), tracker, domain)
    assert responses(dispatcher) == ["utter_return_under_review"]
    assert "24 hours" in render(dispatcher, domain, tracker)[0]


@pytest.mark.parametrize(
    ("build", "response", "handoff"),
    [
        (lambda s: factories.order(s, status="paid"), "utter_return_not_shipped", False),
        (lambda s: factories.order(s, status="shipped"), "utter_return_in_transit", False),
        (
            lambda s: order_factories.delivered_recently(s, days_ago=30),
            "utter_return_window_expired",
            True,
        ),
        (
            lambda s: order_factories.delivered_recently(s, days_ago=1, category="food"),
            "utter_return_category_excluded",
            False,
        ),
    ],
    ids=["not-shipped", "in-transit", "too-late", "food"],
)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_returns_that_cannot_happen_are_explained(
    domain, db_url, build, response, handoff, language
):
    with session_scope(db_url) as s:
        number = build(s).number
    # The form asked nothing, so the reason slot is empty.
    tracker = goal_tracker(number=number, language=language)
    events, dispatcher = run(ActionRequestReturn(), tracker, domain)
    assert responses(dispatcher) == [response]
    render(dispatcher, domain, tracker)
    assert slots_set(events).get("handoff_offered", False) is handoff
    with session_scope(db_url) as s:
        assert s.scalars(select(ReturnRequest)).all() == []


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_exchange_is_booked_with_what_the_customer_wants(domain, db_url, language):
    number, _ = _delivered(db_url, days_ago=NOW_DAYS)
    validate = form_tracker(
        "exchange_form",
        candidates={"exchange_for": "  L码  黑色 "},
        slots={"order_id": number, "verified_orders": [number]},
        requested_slot="exchange_for",
        language=language,
    )
    events, _ = run(ValidateExchangeForm(), validate, domain)
    assert slots_set(events)["exchange_for"] == "L码 黑色"
    tracker = goal_tracker(number=number, slots={"exchange_for": "L码 黑色"}, language=language)
    events, dispatcher = run(ActionRequestExchange(), tracker, domain)
    assert responses(dispatcher) == ["utter_exchange_approved", "utter_return_instructions"]
    assert "L码 黑色" in render(dispatcher, domain, tracker)[0]
    with session_scope(db_url) as s:
        assert s.scalars(select(ReturnRequest)).one().kind == "exchange"


def test_a_book_cannot_be_exchanged(domain, db_url):
    number, _ = _delivered(db_url, days_ago=NOW_DAYS, category="books")
    tracker = goal_tracker(number=number, language="en")
    _, dispatcher = run(ActionRequestExchange(), tracker, domain)
    assert responses(dispatcher) == ["utter_exchange_not_possible"]
    render(dispatcher, domain, tracker)


@pytest.mark.parametrize("answer", ["", "x" * 201])
def test_an_empty_or_rambling_exchange_wish_is_asked_again(domain, db_url, answer):
    number, _ = _delivered(db_url, days_ago=NOW_DAYS)
    tracker = form_tracker(
        "exchange_form",
        candidates={"exchange_for": answer},
        slots={"order_id": number, "verified_orders": [number]},
        requested_slot="exchange_for",
        language="en",
    )
    events, dispatcher = run(ValidateExchangeForm(), tracker, domain)
    assert slots_set(events)["exchange_for"] is None
    assert responses(dispatcher) == ["utter_invalid_exchange_for"]
