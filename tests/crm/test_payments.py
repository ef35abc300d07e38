import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from crm_engine.models import Ticket
from crm_engine.payments import diagnose_payment
from crm_engine.refunds import request_refund
from tests import factories, order_factories

NOW = factories.NOW


def test_a_double_charge_opens_one_high_priority_payment_ticket(session):
    o = factories.order(session, status="paid")
    order_factories.payment(session, o, method="wechat_pay")
    first = diagnose_payment(session, o.number, conversation_id="c1", now=NOW)
    again = diagnose_payment(session, o.number, conversation_id="c1", now=NOW)
    assert first.outcome == "double_charged"
    assert (first.paid_amount, first.duplicate_amount) == (Decimal("198.00"), Decimal("99.00"))
    assert first.ticket_created and not again.ticket_created
    assert again.ticket_id == first.ticket_id
    ticket = session.get(Ticket, first.ticket_id)
    assert (ticket.kind, ticket.priority, ticket.status, ticket.order_id) == (
        "payment",
        "high",
        "open",
        o.id,
    )
    assert ticket.customer_id == o.customer_id and "99.00" in ticket.reason


def test_split_payments_that_add_up_are_not_a_double_charge(session):
    o = factories.order(session, status="pending_payment")
    order_factories.payment(session, o, amount="50.00")
    order_factories.payment(session, o, amount="49.00", method="card")
    result = diagnose_payment(session, o.number, now=NOW)
    assert result.outcome == "paid" and result.method == "card"
    assert session.scalars(select(Ticket)).all() == []


def test_a_paid_order_shows_when_and_how(session):
    o = factories.order(session, status="paid")
    result = diagnose_payment(session, o.number, now=NOW)
    assert (result.outcome, result.method, result.paid_at) == ("paid", "alipay", o.paid_at)


def test_an_unpaid_order_gets_its_payment_deadline(session):
    o = factories.order(session, status="pending_payment")
    result = diagnose_payment(session, o.number, now=NOW)
    assert result.outcome == "unpaid" and result.paid_amount == Decimal("0.00")
    assert result.pay_by == o.placed_at + dt.timedelta(hours=24)


def test_a_fresh_pending_payment_is_explained_and_an_old_one_is_escalated(session):
    o = factories.order(session, status="pending_payment")
    order_factories.payment(session, o, status="pending", created_at=NOW - dt.timedelta(minutes=5))
    fresh = diagnose_payment(session, o.number, now=NOW)
    assert (fresh.outcome, fresh.pending_overdue, fresh.ticket_id) == ("pending", False, None)
    late = diagnose_payment(session, o.number, now=NOW + dt.timedelta(hours=1))
    assert late.pending_overdue and late.ticket_created
    assert session.get(Ticket, late.ticket_id).priority == "normal"


def test_cancelled_orders_report_refunded_or_closed(session):
    paid = factories.order(session, status="paid")
    request_refund(session, paid.number, now=NOW)
    assert diagnose_payment(session, paid.number, now=NOW).outcome == "refunded"
    unpaid = factories.order(session, status="pending_payment")
    unpaid.status = "cancelled"
    session.flush()
    assert diagnose_payment(session, unpaid.number, now=NOW).outcome == "closed_unpaid"
