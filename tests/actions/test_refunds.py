"""Refund requests and refund status, as the customer hears them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from actions.refunds import ActionRefundStatus, ActionRequestRefund
from crm_engine.db import session_scope
from crm_engine.models import Refund, Ticket
from tests import factories, order_factories
from tests.actions.order_helpers import goal_tracker, render, responses, run, slots_set


def _refund_request_events(text: str) -> list[dict]:
    parsed = {"text": text, "intent": {"name": "refund_request", "confidence": 1.0}, "entities": []}
    answer = {"text": "1111", "intent": {"name": "inform", "confidence": 1.0}, "entities": []}
    return [
        {"event": "user", "text": text, "parse_data": parsed},
        {"event": "user", "text": "1111", "parse_data": answer},
    ]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_paid_order_is_cancelled_and_refunded_once(domain, db_url, language):
    with session_scope(db_url) as s:
        number = factories.order(s, status="paid").number
    tracker = goal_tracker(
        number=number, language=language, events=_refund_request_events("买错了，我要退款")
    )
    events, dispatcher = run(ActionRequestRefund(), tracker, domain)
    assert responses(dispatcher) == ["utter_order_cancelled_for_refund", "utter_refund_approved"]
    texts = render(dispatcher, domain, tracker)
    assert number in texts[0] and "99.00" in texts[1]
    assert slots_set(events)["goal_resolved"] is True
    # Asking again answers with the same refund.
    _, again = run(ActionRequestRefund(), tracker, domain)
    assert responses(again)[0] == "utter_refund_already_requested"
    with session_scope(db_url) as s:
        refund = s.scalars(select(Refund)).one()
        assert (
            refund.reason == "customer in chat: 买错了，我要退款"
        )  # the asking message, not "1111"


def test_a_big_refund_waits_for_review(domain, db_url):
    with session_scope(db_url) as s:
        tv = factories.product(
            s, name_zh="电视", name_en="TV", price="2599.00", category_code="electronics"
        )
        number = factories.order(s, status="paid", items=[(tv, 1)]).number
    tracker = goal_tracker(number=number, language="en")
    _, dispatcher = run(ActionRequestRefund(), tracker, domain)
    assert responses(dispatcher) == [
        "utter_order_cancelled_for_refund",
        "utter_refund_under_review",
    ]
    assert "24 hours" in render(dispatcher, domain, tracker)[1]
    with session_scope(db_url) as s:
        assert s.scalars(select(Ticket)).one().kind == "refund_review"


@pytest.mark.parametrize(
    ("build", "response", "handoff"),
    [
        (lambda s: factories.order(s, status="pending_payment"), "utter_refund_not_paid", False),
        (lambda s: factories.order(s, status="shipped"), "utter_refund_in_transit", False),
        (
            lambda s: order_factories.delivered_recently(s, days_ago=2),
            "utter_refund_needs_return",
            False,
        ),
        (
            lambda s: order_factories.delivered_recently(s, days_ago=40),
            "utter_refund_window_expired",
            True,
        ),
    ],
    ids=["unpaid", "in-transit", "delivered", "too-late"],
)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_refunds_that_cannot_happen_now_say_what_to_do(
    domain, db_url, build, response, handoff, language
):
    with session_scope(db_url) as s:
        number = build(s).number
    tracker = goal_tracker(number=number, language=language)
    events, dispatcher = run(ActionRequestRefund(), tracker, domain)
    assert responses(dispatcher) == [response]
    assert number in render(dispatcher, domain, tracker)[0]
    assert slots_set(events).get("handoff_offered", False) is handoff
    with session_scope(db_url) as s:
        assert s.scalars(select(Refund)).all() == []


@pytest.mark.parametrize("language", ["zh", "en"])
def test_refund_status_before_and_after_a_refund(domain, db_url, language):
    with session_scope(db_url) as s:
        o = factories.order(s, status="paid")
        order_factories.set_method(o, "wechat_pay")
        number = o.number
    tracker = goal_tracker(number=number, language=language)
    _, before = run(ActionRefundStatus(), tracker, domain)
    assert responses(before) == ["utter_no_refund"]
    render(before, domain, tracker)
    run(ActionRequestRefund(), tracker, domain)
    events, after = run(ActionRefundStatus(), tracker, domain)
    assert responses(after) == ["utter_refund_approved"]
    assert ("微信支付" if language == "zh" else "WeChat Pay") in render(after, domain, tracker)[0]
    assert slots_set(events)["goal_resolved"] is True


@pytest.mark.parametrize(
    ("status", "response", "handoff"),
    [("completed", "utter_refund_completed", False), ("rejected", "utter_refund_rejected", True)],
)
def test_finished_refunds_are_reported(domain, db_url, status, response, handoff):
    with session_scope(db_url) as s:
        o = factories.order(s, status="cancelled")
        s.add(Refund(order_id=o.id, amount=o.total, status=status, completed_at=factories.NOW))
        number = o.number
    tracker = goal_tracker(number=number, language="en")
    events, dispatcher = run(ActionRefundStatus(), tracker, domain)
    assert responses(dispatcher) == [response]
    render(dispatcher, domain, tracker)
    assert slots_set(events).get("handoff_offered", False) is handoff
