"""Payment problems: "I paid but it says unpaid", "I was charged twice", "payment pending".

The answer comes from the order's payment rows, not from what the customer
believes happened. A double charge (more paid than the order costs) opens one
high-priority `payment` ticket so a person refunds the duplicate; asking again
points to the same ticket.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_engine.models import Refund, Ticket, utcnow
from crm_engine.orders import lock_order, require_order
from crm_engine.policy import ShopPolicy, shop_policy
from crm_engine.tickets import open_ticket

__all__ = ["PaymentDiagnosis", "diagnose_payment"]


@dataclass(frozen=True)
class PaymentDiagnosis:
    """outcome:
    - 'double_charged': paid more than the total; `duplicate_amount` goes back via `ticket_id`
    - 'paid': fully paid once (`method`, `paid_at`)
    - 'pending': the bank has not confirmed yet; `pending_overdue` after the policy's minutes
      (then a `payment` ticket is open too)
    - 'unpaid': nothing paid; pay by `pay_by` or the order closes
    - 'closed_unpaid': cancelled before any payment
    - 'refunded': the money went back (cancelled or returned order)
    """

    outcome: str
    order_number: str
    order_status: str
    total: Decimal
    paid_amount: Decimal
    duplicate_amount: Decimal = Decimal("0.00")
    method: str | None = None
    paid_at: dt.datetime | None = None
    pay_by: dt.datetime | None = None
    pending_since: dt.datetime | None = None
    pending_overdue: bool = False
    ticket_id: int | None = None
    ticket_created: bool = False


def _payment_ticket(
    session: Session,
    order_id: int,
    customer_id: int,
    *,
    reason: str,
    priority: str,
    conversation_id: str | None,
) -> tuple[Ticket, bool]:
    existing = session.scalars(
        select(Ticket)
        .where(Ticket.order_id == order_id, Ticket.kind == "payment", Ticket.status == "open")
        .order_by(Ticket.id)
    ).first()
    if existing is not None:
        return existing, False
    ticket = open_ticket(
        session,
        kind="payment",
        reason=reason,
        priority=priority,
        conversation_id=conversation_id,
        customer_id=customer_id,
        order_id=order_id,
    )
    return ticket, True


def diagnose_payment(
    session: Session,
    number: str,
    *,
    conversation_id: str | None = None,
    now: dt.datetime | None = None,
    policy: ShopPolicy | None = None,
) -> PaymentDiagnosis:
    """What happened to the money for this order, opening a ticket when a person must act."""
    policy = policy or shop_policy()
    now = now or utcnow()
    order = require_order(session, number)
    lock_order(session, order)
    payments = sorted(order.payments, key=lambda p: p.created_at)
    paid = [p for p in payments if p.status == "paid"]
    paid_amount = sum((p.amount for p in paid), Decimal("0.00"))
    base = {
        "order_number": order.number,
        "order_status": order.status,
        "total": order.total,
        "paid_amount": paid_amount,
    }
    last_paid = paid[-1] if paid else None

    if paid and paid_amount > order.total:
        duplicate = paid_amount - order.total
        ticket, created = _payment_ticket(
            session,
            order.id,
            order.customer_id,
            reason=(
                f"Customer charged {paid_amount} {policy.currency} for order {order.number} "
                f"costing {order.total} {policy.currency} ({len(paid)} payments): refund the "
                f"duplicate {duplicate} {policy.currency}"
            ),
            priority="high",
            conversation_id=conversation_id,
        )
        return PaymentDiagnosis(
            "double_charged",
            **base,
            duplicate_amount=duplicate,
            method=last_paid.method,
            paid_at=last_paid.created_at,
            ticket_id=ticket.id,
            ticket_created=created,
        )

    refunded = (
        any(p.status == "refunded" for p in payments)
        or session.scalars(
            select(Refund.id).where(Refund.order_id == order.id, Refund.status != "rejected")
        ).first()
    )
    if order.status in ("cancelled", "returned") and refunded:
        return PaymentDiagnosis(
            "refunded", **base, method=payments[-1].method if payments else None
        )
    if paid and paid_amount >= order.total:
        return PaymentDiagnosis(
            "paid", **base, method=last_paid.method, paid_at=last_paid.created_at
        )
    if order.status == "cancelled":
        return PaymentDiagnosis("closed_unpaid", **base)

    pending = [p for p in payments if p.status == "pending"]
    if pending:
        since = pending[-1].created_at
        overdue = now - since > dt.timedelta(minutes=policy.payments.pending_confirmation_minutes)
        ticket_id = None
        created = False
        if overdue:
            ticket, created = _payment_ticket(
                session,
                order.id,
                order.customer_id,
                reason=(
                    f"Payment of {pending[-1].amount} {policy.currency} for order {order.number} "
                    f"by {pending[-1].method} still pending since {since:%Y-%m-%d %H:%M} UTC"
                ),
                priority="normal",
                conversation_id=conversation_id,
            )
            ticket_id = ticket.id
        return PaymentDiagnosis(
            "pending",
            **base,
            method=pending[-1].method,
            pending_since=since,
            pending_overdue=overdue,
            ticket_id=ticket_id,
            ticket_created=created,
        )
    pay_by = order.placed_at + dt.timedelta(hours=policy.orders.unpaid_cancel_hours)
    return PaymentDiagnosis("unpaid", **base, pay_by=pay_by)
