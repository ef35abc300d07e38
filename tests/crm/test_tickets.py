import datetime as dt

import pytest

from crm_engine import tickets as svc
from crm_engine.models import Ticket
from crm_engine.tickets import PrioritySignals
from tests import factories


def test_open_ticket_stores_an_open_ticket_with_the_given_links(session):
    cust = factories.customer(session)
    order = factories.order(session, cust)
    t = svc.open_ticket(
        session,
        kind="payment",
        reason="  paid twice  ",
        priority="high",
        conversation_id="c1",
        customer_id=cust.id,
        order_id=order.id,
    )
    stored = session.get(Ticket, t.id)
    assert (stored.kind, stored.status, stored.priority, stored.reason) == (
        "payment",
        "open",
        "high",
        "paid twice",
    )
    assert (stored.customer_id, stored.order_id, stored.conversation_id) == (
        cust.id,
        order.id,
        "c1",
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"kind": "chat", "reason": "x"},
            "kind must be one of handoff, payment, complaint, refund_review; got 'chat'",
        ),
        (
            {"kind": "handoff", "reason": "x", "priority": "asap"},
            "priority must be one of low, normal, high, urgent; got 'asap'",
        ),
        ({"kind": "handoff", "reason": "   "}, "reason must be a non-empty text"),
    ],
)
def test_open_ticket_rejects_bad_input_naming_the_parameter(session, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        svc.open_ticket(session, **kwargs)


def test_asking_for_a_person_twice_returns_the_open_handoff_ticket(session):
    first, created = svc.open_handoff_ticket(
        session, conversation_id="c1", reason="human_handoff: 转人工"
    )
    again, created_again = svc.open_handoff_ticket(
        session, conversation_id="c1", reason="human_handoff: 人呢", priority="high"
    )
    assert created and not created_again
    assert again.id == first.id
    assert again.priority == "high"  # an angrier second request makes the ticket more urgent
    assert session.query(Ticket).filter_by(kind="handoff").count() == 1


def test_a_repeated_request_never_lowers_priority_and_attaches_the_customer(session):
    cust = factories.customer(session)
    svc.open_handoff_ticket(session, conversation_id="c1", reason="r", priority="high")
    again, _ = svc.open_handoff_ticket(
        session, conversation_id="c1", reason="r", customer_id=cust.id
    )
    assert again.priority == "high"
    assert again.customer_id == cust.id


def test_a_closed_handoff_does_not_block_a_new_one(session):
    first, _ = svc.open_handoff_ticket(session, conversation_id="c1", reason="r")
    svc.close_ticket(session, first.id)
    second, created = svc.open_handoff_ticket(session, conversation_id="c1", reason="again")
    assert created and second.id != first.id


def test_close_ticket_records_time_and_note(session):
    t = svc.open_ticket(session, kind="complaint", reason="rude courier")
    closed = svc.close_ticket(session, t.id, resolution="  apologised, coupon sent ")
    assert closed.status == "closed" and closed.closed_at is not None
    assert closed.resolution == "apologised, coupon sent"


def test_close_ticket_refuses_unknown_and_already_closed_tickets(session):
    t = svc.open_ticket(session, kind="complaint", reason="x")
    svc.close_ticket(session, t.id)
    with pytest.raises(ValueError, match=f"ticket {t.id} is already closed"):
        svc.close_ticket(session, t.id)
    with pytest.raises(ValueError, match="ticket_id 999 does not exist"):
        svc.close_ticket(session, 999)


def test_list_tickets_puts_the_most_urgent_then_oldest_first_and_filters(session):
    base = dt.datetime(2026, 11, 20, 9, 0)
    old_normal = svc.open_ticket(session, kind="handoff", reason="a")
    new_high = svc.open_ticket(session, kind="handoff", reason="b", priority="high")
    complaint = svc.open_ticket(session, kind="complaint", reason="c", priority="low")
    closed = svc.open_ticket(session, kind="handoff", reason="d", priority="urgent")
    old_normal.created_at, new_high.created_at = base, base + dt.timedelta(minutes=5)
    svc.close_ticket(session, closed.id)
    assert [t.id for t in svc.list_tickets(session, status="open")] == [
        new_high.id,
        old_normal.id,
        complaint.id,
    ]
    assert [t.id for t in svc.list_tickets(session, kind="complaint")] == [complaint.id]
    assert svc.list_tickets(session)[0].id == closed.id
    with pytest.raises(ValueError, match="status must be one of open, closed; got 'pending'"):
        svc.list_tickets(session, status="pending")


def test_queue_position_counts_open_handoffs_ahead(session):
    base = dt.datetime(2026, 11, 20, 9, 0)
    a, _ = svc.open_handoff_ticket(session, conversation_id="a", reason="r")
    b, _ = svc.open_handoff_ticket(session, conversation_id="b", reason="r")
    urgent, _ = svc.open_handoff_ticket(session, conversation_id="c", reason="r", priority="high")
    complaint = svc.open_ticket(session, kind="complaint", reason="not a handoff")
    a.created_at, b.created_at, urgent.created_at = (
        base,
        base + dt.timedelta(minutes=1),
        base + dt.timedelta(minutes=2),
    )
    complaint.created_at = base - dt.timedelta(hours=1)
    session.flush()
    assert svc.queue_position(session, urgent) == 1  # a higher priority jumps the queue
    assert svc.queue_position(session, a) == 2
    assert svc.queue_position(session, b) == 3


def test_expected_wait_uses_recent_handling_time_or_the_default(session):
    t, _ = svc.open_handoff_ticket(session, conversation_id="waiting", reason="r")
    assert svc.expected_wait_minutes(session, t) == svc.DEFAULT_HANDLING_MINUTES
    start = dt.datetime(2026, 11, 20, 9, 0)
    for i, minutes in enumerate((8, 12, 10)):
        done, _ = svc.open_handoff_ticket(session, conversation_id=f"done{i}", reason="r")
        svc.close_ticket(session, done.id)
        done.created_at, done.closed_at = start, start + dt.timedelta(minutes=minutes)
    session.flush()
    assert svc.handling_minutes(session) == 10
    ahead, _ = svc.open_handoff_ticket(
        session, conversation_id="earlier", reason="r", priority="high"
    )
    assert svc.expected_wait_minutes(session, t) == 20  # second in the queue, 10 minutes each


@pytest.mark.parametrize(
    ("signals", "priority"),
    [
        (PrioritySignals(), "normal"),
        (PrioritySignals(complained=True), "high"),
        (PrioritySignals(negative_sentiment=True), "high"),
    ],
)
def test_ticket_priority_is_high_for_angry_or_complaining_customers(signals, priority):
    assert svc.ticket_priority(signals) == priority


def test_complaint_ticket_links_the_named_order_when_it_exists(session):
    order = factories.order(session, number="SO55500001")
    linked = svc.open_complaint_ticket(
        session, conversation_id="c1", reason="broken", order_number="SO55500001"
    )
    unknown = svc.open_complaint_ticket(
        session, conversation_id="c1", reason="broken", order_number="SO000"
    )
    assert (linked.kind, linked.order_id) == ("complaint", order.id)
    assert unknown.order_id is None
