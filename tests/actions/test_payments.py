"""Payment problems as the customer hears them."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from actions.payments import ActionPaymentIssue
from crm_engine.db import session_scope
from crm_engine.models import Ticket, utcnow
from tests import factories, order_factories
from tests.actions.order_helpers import goal_tracker, render, responses, run, slots_set


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_double_charge_opens_an_urgent_ticket_and_promises_the_refund(domain, db_url, language):
    with session_scope(db_url) as s:
        o = factories.order(s, status="paid")
        order_factories.payment(s, o)
        number = o.number
    tracker = goal_tracker(number=number, language=language)
    events, dispatcher = run(ActionPaymentIssue(), tracker, domain)
    assert responses(dispatcher) == ["utter_payment_double_charged"]
    with session_scope(db_url) as s:
        ticket = s.scalars(select(Ticket)).one()
        assert (ticket.kind, ticket.priority, ticket.conversation_id) == (
            "payment",
            "high",
            "test-conversation",
        )
    text = render(dispatcher, domain, tracker)[0]
    assert f"#{ticket.id}" in text and "99.00" in text and "1–3" in text
    assert slots_set(events)["goal_resolved"] is True


@pytest.mark.parametrize(
    ("build", "response"),
    [
        (lambda s: factories.order(s, status="paid"), "utter_payment_received"),
        (lambda s: factories.order(s, status="pending_payment"), "utter_payment_unpaid"),
    ],
    ids=["paid", "unpaid"],
)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_paid_and_unpaid_orders(domain, db_url, build, response, language):
    with session_scope(db_url) as s:
        number = build(s).number
    tracker = goal_tracker(number=number, language=language)
    _, dispatcher = run(ActionPaymentIssue(), tracker, domain)
    assert responses(dispatcher) == [response]
    text = render(dispatcher, domain, tracker)[0]
    assert "99.00" in text
    with session_scope(db_url) as s:
        assert s.scalars(select(Ticket)).all() == []


@pytest.mark.parametrize(
    ("minutes_ago", "response", "tickets"),
    [(5, "utter_payment_pending", 0), (90, "utter_payment_pending_overdue", 1)],
)
def test_pending_payments_are_explained_and_late_ones_escalated(
    domain, db_url, minutes_ago, response, tickets
):
    with session_scope(db_url) as s:
        o = factories.order(s, status="pending_payment")
        order_factories.payment(
            s,
            o,
            status="pending",
            method="card",
            created_at=utcnow() - dt.timedelta(minutes=minutes_ago),
        )
        number = o.number
    tracker = goal_tracker(number=number, language="zh")
    _, dispatcher = run(ActionPaymentIssue(), tracker, domain)
    assert responses(dispatcher) == [response]
    render(dispatcher, domain, tracker)
    with session_scope(db_url) as s:
        assert len(s.scalars(select(Ticket)).all()) == tickets


@pytest.mark.parametrize(
    ("paid", "response"), [(True, "utter_payment_refunded"), (False, "utter_payment_closed_unpaid")]
)
def test_cancelled_orders(domain, db_url, paid, response):
    from crm_engine.refunds import request_refund

    with session_scope(db_url) as s:
        o = factories.order(s, status="paid" if paid else "pending_payment")
        if paid:
            request_refund(s, o.number)
        else:
            o.status = "cancelled"
        number = o.number
    tracker = goal_tracker(number=number, language="en")
    _, dispatcher = run(ActionPaymentIssue(), tracker, domain)
    assert responses(dispatcher) == [response]
    render(dispatcher, domain, tracker)
