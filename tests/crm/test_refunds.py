import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crm_engine import refunds as refunds_module
from crm_engine.db import session_scope
from crm_engine.models import Order, Refund, Ticket
from crm_engine.refunds import add_working_days, refund_status, request_refund
from tests import factories, order_factories

NOW = factories.NOW  # a Friday


def _refunds(session, order):
    return session.scalars(select(Refund).where(Refund.order_id == order.id)).all()


def test_a_paid_order_is_cancelled_and_refunded_at_once(session):
    o = factories.order(session, status="paid")
    result = request_refund(session, o.number, reason="买错了", conversation_id="c1", now=NOW)
    assert (result.outcome, result.order_cancelled, result.order_status) == (
        "created",
        True,
        "cancelled",
    )
    assert result.refund.status == "approved" and result.refund.amount == Decimal("99.00")
    # alipay: 1-3 working days from Friday -> the following Wednesday at the latest
    assert (result.refund.processing_days.min, result.refund.processing_days.max) == (1, 3)
    assert result.refund.expected_by == dt.date(2026, 11, 25)
    assert session.get(Order, o.id).status == "cancelled"


def test_asking_twice_returns_the_same_refund_never_a_second_row(session):
    o = factories.order(session, status="processing")
    first = request_refund(session, o.number, now=NOW)
    second = request_refund(session, o.number, now=NOW)
    assert (first.outcome, second.outcome) == ("created", "existing")
    assert second.refund.amount == first.refund.amount
    assert len(_refunds(session, o)) == 1


def test_a_refund_above_the_limit_waits_for_review_with_one_ticket(session):
    tv = factories.product(
        session, name_zh="电视", name_en="TV", price="2599.00", category_code="electronics"
    )
    o = factories.order(session, status="paid", items=[(tv, 1)])
    first = request_refund(session, o.number, now=NOW)
    request_refund(session, o.number, now=NOW)
    assert first.refund.status == "requested" and first.refund.expected_by is None
    tickets = session.scalars(select(Ticket).where(Ticket.kind == "refund_review")).all()
    assert len(tickets) == 1 and tickets[0].order_id == o.id
    assert len(_refunds(session, o)) == 1


def test_exactly_the_limit_is_approved(session):
    item = factories.product(session, price="200.00")
    o = factories.order(session, status="paid", items=[(item, 1)])
    assert request_refund(session, o.number, now=NOW).refund.status == "approved"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("pending_payment", "not_paid"), ("shipped", "in_transit")],
)
def test_orders_without_money_or_on_their_way_get_no_refund(session, status, outcome):
    o = factories.order(session, status=status)
    result = request_refund(session, o.number, now=NOW)
    assert result.outcome == outcome and result.refund is None
    assert _refunds(session, o) == []
    assert session.get(Order, o.id).status == status


def test_delivered_goods_come_back_through_a_return_first(session):
    o = order_factories.delivered(session, days_ago=3)
    result = request_refund(session, o.number, now=NOW)
    assert result.outcome == "needs_return"
    assert result.deadline == (NOW - dt.timedelta(days=3)).date() + dt.timedelta(days=15)
    assert _refunds(session, o) == []


def test_delivered_goods_past_the_return_window_get_nothing(session):
    o = order_factories.delivered(session, days_ago=16)
    assert request_refund(session, o.number, now=NOW).outcome == "window_expired"


def test_food_is_refunded_without_a_return_within_seven_days(session):
    fresh = order_factories.delivered(session, days_ago=2, category="food", price="39.90")
    stale = order_factories.delivered(session, days_ago=8, category="food", price="39.90")
    result = request_refund(session, fresh.number, reason="坏了", now=NOW)
    assert result.outcome == "created" and result.refund.amount == Decimal("39.90")
    assert request_refund(session, stale.number, now=NOW).outcome == "window_expired"


def test_cancelled_orders_point_to_their_refund(session):
    o = factories.order(session, status="paid")
    request_refund(session, o.number, now=NOW)
    again = request_refund(session, o.number, now=NOW)
    assert again.outcome == "existing"
    unpaid = factories.order(session, status="pending_payment")
    unpaid.status = "cancelled"
    session.flush()
    assert request_refund(session, unpaid.number, now=NOW).outcome == "not_paid"


def test_a_returned_order_without_a_refund_row_is_already_refunded(session):
    o = factories.order(session, status="returned")
    o.payments[0].status = "refunded"
    session.flush()
    assert request_refund(session, o.number, now=NOW).outcome == "already_refunded"


def test_a_double_charged_paid_order_refunds_everything_paid(session):
    o = factories.order(session, status="paid")
    order_factories.payment(session, o)
    result = request_refund(session, o.number, now=NOW)
    assert result.refund.amount == Decimal("198.00")


def test_refund_status_lists_refunds_with_the_money_route(session):
    o = factories.order(session, status="paid")
    order_factories.set_method(o, "card")
    assert refund_status(session, o.number).latest is None
    request_refund(session, o.number, now=NOW)
    status = refund_status(session, o.number)
    assert status.order_status == "cancelled"
    assert status.latest.method == "card" and status.latest.processing_days.max == 7
    assert status.latest.expected_by == add_working_days(NOW.date(), 7)


def test_working_days_skip_weekends():
    friday = dt.date(2026, 11, 20)
    assert add_working_days(friday, 1) == dt.date(2026, 11, 23)
    assert add_working_days(friday, 5) == dt.date(2026, 11, 27)


def test_the_database_refuses_a_second_open_refund(session):
    o = factories.order(session, status="cancelled")
    session.add(Refund(order_id=o.id, amount=Decimal("1.00"), status="approved"))
    session.flush()
    session.add(Refund(order_id=o.id, amount=Decimal("1.00"), status="requested"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_closed_refunds_do_not_block_a_new_one(session):
    o = factories.order(session, status="cancelled")
    session.add_all(
        [
            Refund(order_id=o.id, amount=Decimal("1.00"), status="rejected"),
            Refund(order_id=o.id, amount=Decimal("1.00"), status="completed"),
            Refund(order_id=o.id, amount=Decimal("1.00"), status="approved"),
        ]
    )
    session.flush()


def test_losing_the_race_returns_the_winners_refund(session, monkeypatch):
    """Regression: two requests both saw no refund; the loser must not fail or pay twice."""
    o = factories.order(session, status="paid")
    winner = Refund(order_id=o.id, amount=Decimal("99.00"), status="approved", auto_approved=True)
    session.add(winner)
    session.flush()
    real = refunds_module._open_refund_row
    calls = iter([None])  # the first look misses the winner's row, as in the race

    def racing(sess, order):
        return next(calls, None) or real(sess, order)

    monkeypatch.setattr(refunds_module, "_open_refund_row", racing)
    refund, created = refunds_module.open_refund(
        session, session.get(Order, o.id), reason="x", now=NOW
    )
    assert refund.id == winner.id and not created
    assert len(_refunds(session, o)) == 1


def test_concurrent_requests_create_one_refund(db_url):
    with session_scope(db_url) as s:
        number = factories.order(s, status="paid").number
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def ask() -> None:
        try:
            barrier.wait()
            with session_scope(db_url) as s:
                outcomes.append(request_refund(s, number, now=NOW).outcome)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(outcomes) == ["created", "existing"]
    with session_scope(db_url) as s:
        assert len(s.scalars(select(Refund)).all()) == 1


def test_a_refund_is_undone_with_the_rest_of_a_failed_request(db_url):
    """Regression: on SQLite a savepoint must not commit the refund on its own."""
    with session_scope(db_url) as s:
        number = order_factories.delivered(s, days_ago=1, category="food").number
    with pytest.raises(RuntimeError), session_scope(db_url) as s:
        assert request_refund(s, number, now=NOW).outcome == "created"
        raise RuntimeError("the action failed after the refund")
    with session_scope(db_url) as s:
        assert s.scalars(select(Refund)).all() == []
