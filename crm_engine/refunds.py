"""Refunds: who may have money back, when, and where a refund stands.

An order has at most one open refund (requested or approved). Asking again
returns that refund instead of paying twice; the database enforces it too
(partial unique index `uq_refunds_open_per_order`), so even two requests racing
each other end with one row. Refunds up to the policy's auto-approve limit (higher for better
value tiers, `personalisation.tiers`) are approved at once; larger ones wait
for a person with a `refund_review` ticket.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm_engine import orders
from crm_engine.models import OPEN_REFUND_STATUSES, Order, Refund, utcnow
from crm_engine.personalisation import customer_tier
from crm_engine.policy import DayRange, ShopPolicy, shop_policy
from crm_engine.tickets import open_ticket, raise_priority

__all__ = [
    "OPEN_STATUSES",
    "RefundOutcome",
    "RefundStatus",
    "RefundView",
    "add_working_days",
    "latest_refund",
    "open_refund",
    "refund_status",
    "refundable_amount",
    "request_refund",
]

OPEN_STATUSES = OPEN_REFUND_STATUSES


@dataclass(frozen=True)
class RefundView:
    order_number: str
    amount: Decimal
    status: str  # requested, approved, rejected, completed
    auto_approved: bool
    method: str | None  # where the money goes back: the payment's method
    processing_days: DayRange | None  # working days once approved
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    completed_at: dt.datetime | None
    expected_by: dt.date | None  # approved: the latest day the money should arrive


def add_working_days(day: dt.date, days: int) -> dt.date:
    """`day` plus `days` Monday-to-Friday days (public holidays are not known here)."""
    current = day
    left = days
    while left > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def _method(order: Order) -> str | None:
    paid = [p for p in order.payments if p.status in ("paid", "refunded")]
    return max(paid, key=lambda p: p.created_at).method if paid else None


def refund_view(session: Session, refund: Refund, policy: ShopPolicy | None = None) -> RefundView:
    policy = policy or shop_policy()
    order = session.get(Order, refund.order_id)
    method = _method(order) if order else None
    days = policy.refunds.processing_days.get(method) if method else None
    expected = None
    if refund.status == "approved" and refund.decided_at and days:
        expected = add_working_days(refund.decided_at.date(), days.max)
    return RefundView(
        order_number=order.number if order else "",
        amount=refund.amount,
        status=refund.status,
        auto_approved=refund.auto_approved,
        method=method,
        processing_days=days,
        requested_at=refund.requested_at,
        decided_at=refund.decided_at,
        completed_at=refund.completed_at,
        expected_by=expected,
    )


def refundable_amount(session: Session, order: Order) -> Decimal:
    """What was paid for the order minus what is already being or was refunded."""
    paid = sum((p.amount for p in order.payments if p.status == "paid"), Decimal("0"))
    refunded = session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.order_id == order.id, Refund.status != "rejected"
        )
    )
    return max(paid - Decimal(refunded or 0), Decimal("0")).quantize(Decimal("0.01"))


def _open_refund_row(session: Session, order: Order) -> Refund | None:
    return session.scalars(
        select(Refund)
        .where(Refund.order_id == order.id, Refund.status.in_(OPEN_STATUSES))
        .order_by(Refund.id.desc())
    ).first()


def latest_refund(
    session: Session, order: Order, policy: ShopPolicy | None = None
) -> RefundView | None:
    refund = session.scalars(
        select(Refund).where(Refund.order_id == order.id).order_by(Refund.id.desc())
    ).first()
    return refund_view(session, refund, policy) if refund else None


def open_refund(
    session: Session,
    order: Order,
    *,
    reason: str,
    conversation_id: str | None = None,
    now: dt.datetime | None = None,
    policy: ShopPolicy | None = None,
) -> tuple[Refund | None, bool]:
    """The order's open refund, creating it for the refundable amount if there is none.

    Returns (refund, created); (None, False) when nothing is left to refund.
    """
    policy = policy or shop_policy()
    now = now or utcnow()
    orders.lock_order(session, order)
    existing = _open_refund_row(session, order)
    if existing is not None:
        return existing, False
    amount = refundable_amount(session, order)
    if amount <= 0:
        return None, False
    # The limit follows the customer's value tier (personalisation.tiers in the policy).
    tier = customer_tier(session, order.customer_id)
    limit = policy.auto_approve_limit(tier)
    approve = amount <= limit
    refund = Refund(
        order_id=order.id,
        amount=amount,
        reason=reason,
        status="approved" if approve else "requested",
        auto_approved=approve,
        conversation_id=conversation_id,
        requested_at=now,
        decided_at=now if approve else None,
    )
    try:
        with session.begin_nested():
            session.add(refund)
            session.flush()
    except IntegrityError:
        # A concurrent request won the race (the partial unique index said no).
        existing = _open_refund_row(session, order)
        if existing is None:
            raise
        return existing, False
    if not approve:
        open_ticket(
            session,
            kind="refund_review",
            reason=(
                f"Refund of {amount} {policy.currency} for order {order.number} is above the "
                f"auto-approve limit of {limit} {policy.currency}"
                f"{f' (tier {tier})' if tier else ''}: {reason}"
            ),
            priority=raise_priority("normal", policy.personalisation.priority_steps(tier)),
            conversation_id=conversation_id,
            customer_id=order.customer_id,
            order_id=order.id,
        )
    return refund, True


@dataclass(frozen=True)
class RefundOutcome:
    """What happened to a refund request.

    outcome: 'created', 'existing' (an earlier refund stands), 'not_paid',
    'in_transit' (refuse the parcel or return it once delivered), 'needs_return'
    (delivered goods come back first; `deadline` is the last day to ask),
    'window_expired' (`deadline` was the last day) or 'already_refunded'.
    """

    outcome: str
    order_number: str
    order_status: str
    refund: RefundView | None = None
    order_cancelled: bool = False
    deadline: dt.date | None = None


def _delivered_day(order: Order) -> dt.date:
    delivered = order.delivered_at or (order.shipment.delivered_at if order.shipment else None)
    # A delivered order always has a delivery time; the placing time is a safe floor.
    return (delivered or order.placed_at).date()


def request_refund(
    session: Session,
    number: str,
    *,
    reason: str | None = None,
    conversation_id: str | None = None,
    now: dt.datetime | None = None,
    policy: ShopPolicy | None = None,
) -> RefundOutcome:
    """Ask for the money back on an order, following the policy's refund rules."""
    policy = policy or shop_policy()
    now = now or utcnow()
    reason = (reason or "").strip() or "refund requested by the customer"
    order = orders.require_order(session, number)
    orders.lock_order(session, order)
    session.refresh(order, ["status"])

    def outcome(name: str, refund: Refund | None = None, **extra: object) -> RefundOutcome:
        view = refund_view(session, refund, policy) if refund is not None else None
        return RefundOutcome(name, order.number, order.status, view, **extra)  # type: ignore[arg-type]

    existing = _open_refund_row(session, order)
    if existing is not None:
        return outcome("existing", existing)
    status = order.status
    if status == "pending_payment":
        return outcome("not_paid")
    if status in policy.refunds.cancel_and_refund_statuses:
        cancelled = orders.cancel_order(
            session,
            order.number,
            reason=reason,
            conversation_id=conversation_id,
            now=now,
            policy=policy,
        )
        if cancelled.refund is None:
            return outcome("not_paid", order_cancelled=True)
        return RefundOutcome(
            "created" if cancelled.refund_created else "existing",
            order.number,
            cancelled.status,
            cancelled.refund,
            order_cancelled=True,
        )
    if status == "shipped":
        return outcome("in_transit")
    if status == "delivered":
        delivered = _delivered_day(order)
        categories = {item.product.category.code for item in order.items}
        if categories <= policy.refunds.refund_without_return_categories:
            deadline = delivered + dt.timedelta(days=policy.refunds.refund_without_return_days)
            if now.date() > deadline:
                return outcome("window_expired", deadline=deadline)
            refund, _ = open_refund(
                session,
                order,
                reason=reason,
                conversation_id=conversation_id,
                now=now,
                policy=policy,
            )
            return outcome("created", refund) if refund else outcome("already_refunded")
        deadline = delivered + dt.timedelta(days=policy.returns.return_window_days)
        if now.date() > deadline:
            return outcome("window_expired", deadline=deadline)
        return outcome("needs_return", deadline=deadline)
    # cancelled or returned: the money went (or is going) back already.
    last = session.scalars(
        select(Refund).where(Refund.order_id == order.id).order_by(Refund.id.desc())
    ).first()
    if last is not None:
        return outcome("existing", last)
    refund, _ = open_refund(
        session, order, reason=reason, conversation_id=conversation_id, now=now, policy=policy
    )
    if refund is not None:
        return outcome("created", refund)
    return outcome("already_refunded" if status == "returned" else "not_paid")


@dataclass(frozen=True)
class RefundStatus:
    order_number: str
    order_status: str
    refunds: tuple[RefundView, ...]  # oldest first

    @property
    def latest(self) -> RefundView | None:
        return self.refunds[-1] if self.refunds else None


def refund_status(session: Session, number: str, policy: ShopPolicy | None = None) -> RefundStatus:
    """Every refund of the order, so the customer hears where their money is."""
    order = orders.require_order(session, number)
    rows = session.scalars(
        select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)
    ).all()
    return RefundStatus(
        order.number, order.status, tuple(refund_view(session, r, policy) for r in rows)
    )
