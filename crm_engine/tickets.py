"""Tickets: work for a person (a handoff, a payment problem, a complaint, a refund to review).

A conversation has at most one open handoff ticket: asking for a person again
returns the ticket already in the queue. The wait a customer is told is their
place in the handoff queue times how long staff recently took per handoff.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from crm_engine.models import PRIORITIES, TICKET_KINDS, TICKET_STATUSES, Order, Ticket, utcnow
from crm_engine.policy import ShopPolicy, shop_policy

# Used until staff have closed a handoff ticket: a typical chat takes a few minutes.
DEFAULT_HANDLING_MINUTES = 5
# How many recently closed handoffs the handling time is measured on.
RECENT_HANDOFFS = 20

_PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES)}  # low=0 … urgent=3


def _check_choice(parameter: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{parameter} must be one of {', '.join(allowed)}; got {value!r}")


@dataclass(frozen=True)
class PrioritySignals:
    """What a conversation tells us about urgency.

    The hook for later priority rules: add a field (e.g. the customer's VIP tier,
    a sentiment score) and use it in `ticket_priority`; callers that don't know
    it keep working with the default.
    """

    complained: bool = False
    negative_sentiment: bool = False
    # Negative messages in a row at the end of the conversation; at
    # UPSET_STREAK the bot has offered a person and promised priority.
    negative_streak: int = 0
    # The customer's value tier from the newest `crm analyze` run (None: unknown).
    tier: str | None = None


UPSET_STREAK = 2


def ticket_priority(signals: PrioritySignals, policy: ShopPolicy | None = None) -> str:
    """The priority from the conversation (`_mood_priority`), raised by the tier's
    `personalisation.tiers.<tier>.priority_steps` of the shop policy."""
    priority = _mood_priority(signals)
    if signals.tier is None:
        return priority
    policy = policy or shop_policy()
    return raise_priority(priority, policy.personalisation.priority_steps(signals.tier))


def _mood_priority(signals: PrioritySignals) -> str:
    """'urgent' after repeated anger, 'high' for an angry or complaining customer, else 'normal'."""
    if signals.negative_streak >= UPSET_STREAK:
        return "urgent"
    if signals.complained or signals.negative_sentiment:
        return "high"
    return "normal"


def raise_priority(priority: str, steps: int) -> str:
    """`priority` raised `steps` levels, capped at the most urgent."""
    _check_choice("priority", priority, PRIORITIES)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0; got {steps!r}")
    return PRIORITIES[min(_PRIORITY_RANK[priority] + steps, len(PRIORITIES) - 1)]


def open_ticket(
    session: Session,
    *,
    kind: str,
    reason: str,
    priority: str = "normal",
    conversation_id: str | None = None,
    customer_id: int | None = None,
    order_id: int | None = None,
) -> Ticket:
    """Create an open ticket; `customer_id`/`order_id` are database ids, not codes."""
    _check_choice("kind", kind, TICKET_KINDS)
    _check_choice("priority", priority, PRIORITIES)
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError(f"reason must be a non-empty text; got {reason!r}")
    ticket = Ticket(
        kind=kind,
        reason=reason.strip(),
        priority=priority,
        status="open",
        conversation_id=conversation_id,
        customer_id=customer_id,
        order_id=order_id,
    )
    session.add(ticket)
    session.flush()
    return ticket


def find_open_ticket(session: Session, *, conversation_id: str, kind: str) -> Ticket | None:
    """The conversation's oldest open ticket of `kind`, if any."""
    _check_choice("kind", kind, TICKET_KINDS)
    return session.scalars(
        select(Ticket)
        .where(
            Ticket.conversation_id == conversation_id,
            Ticket.kind == kind,
            Ticket.status == "open",
        )
        .order_by(Ticket.created_at, Ticket.id)
        .limit(1)
    ).first()


def open_handoff_ticket(
    session: Session,
    *,
    conversation_id: str,
    reason: str,
    priority: str = "normal",
    customer_id: int | None = None,
) -> tuple[Ticket, bool]:
    """The conversation's open handoff ticket, creating it if needed; True when new.

    Asking again never queues the customer twice, but it can make the existing
    ticket more urgent (an angrier customer) and attach the customer once known.
    """
    if not conversation_id:
        raise ValueError(f"conversation_id must be a non-empty text; got {conversation_id!r}")
    _check_choice("priority", priority, PRIORITIES)
    existing = find_open_ticket(session, conversation_id=conversation_id, kind="handoff")
    if existing is None:
        ticket = open_ticket(
            session,
            kind="handoff",
            reason=reason,
            priority=priority,
            conversation_id=conversation_id,
            customer_id=customer_id,
        )
        return ticket, True
    if _PRIORITY_RANK[priority] > _PRIORITY_RANK[existing.priority]:
        existing.priority = priority
    if existing.customer_id is None and customer_id is not None:
        existing.customer_id = customer_id
    session.flush()
    return existing, False


def open_complaint_ticket(
    session: Session,
    *,
    conversation_id: str,
    reason: str,
    priority: str = "normal",
    customer_id: int | None = None,
    order_number: str | None = None,
) -> Ticket:
    """Record a complaint, linked to the order it names when that order exists."""
    order_id = (
        session.scalar(select(Order.id).where(Order.number == order_number))
        if order_number
        else None
    )
    return open_ticket(
        session,
        kind="complaint",
        reason=reason,
        priority=priority,
        conversation_id=conversation_id,
        customer_id=customer_id,
        order_id=order_id,
    )


def close_ticket(session: Session, ticket_id: int, *, resolution: str | None = None) -> Ticket:
    """Mark a ticket done, with an optional note on how it was resolved."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise ValueError(f"ticket_id {ticket_id} does not exist")
    if ticket.status == "closed":
        raise ValueError(
            f"ticket {ticket_id} is already closed (since {ticket.closed_at:%Y-%m-%d %H:%M})"
        )
    ticket.status = "closed"
    ticket.closed_at = utcnow()
    if resolution and resolution.strip():
        ticket.resolution = resolution.strip()
    session.flush()
    return ticket


def _urgency_order() -> tuple:
    rank = case(_PRIORITY_RANK, value=Ticket.priority, else_=0)
    return (rank.desc(), Ticket.created_at, Ticket.id)


def list_tickets(
    session: Session, *, status: str | None = None, kind: str | None = None
) -> list[Ticket]:
    """Tickets in the order staff should work on them: most urgent, then oldest, first."""
    query = select(Ticket)
    if status is not None:
        _check_choice("status", status, TICKET_STATUSES)
        query = query.where(Ticket.status == status)
    if kind is not None:
        _check_choice("kind", kind, TICKET_KINDS)
        query = query.where(Ticket.kind == kind)
    return list(session.scalars(query.order_by(*_urgency_order())))


def queue_position(session: Session, ticket: Ticket) -> int:
    """1 for the next handoff staff will take; counts open handoffs ahead of `ticket`."""
    rank = _PRIORITY_RANK[ticket.priority]
    priority_rank = case(_PRIORITY_RANK, value=Ticket.priority, else_=0)
    ahead = session.scalars(
        select(Ticket.id).where(
            Ticket.kind == "handoff",
            Ticket.status == "open",
            Ticket.id != ticket.id,
            or_(
                priority_rank > rank,
                (priority_rank == rank)
                & or_(
                    Ticket.created_at < ticket.created_at,
                    (Ticket.created_at == ticket.created_at) & (Ticket.id < ticket.id),
                ),
            ),
        )
    ).all()
    return len(ahead) + 1


def handling_minutes(session: Session) -> float:
    """Median minutes from request to closure over the last RECENT_HANDOFFS handoffs."""
    rows = session.execute(
        select(Ticket.created_at, Ticket.closed_at)
        .where(Ticket.kind == "handoff", Ticket.status == "closed", Ticket.closed_at.is_not(None))
        .order_by(Ticket.closed_at.desc())
        .limit(RECENT_HANDOFFS)
    ).all()
    durations = [(closed - created).total_seconds() / 60 for created, closed in rows]
    durations = [d for d in durations if d >= 0]
    return statistics.median(durations) if durations else float(DEFAULT_HANDLING_MINUTES)


def expected_wait_minutes(session: Session, ticket: Ticket) -> int:
    """A rough, whole-minute estimate of the wait for an open handoff ticket (at least 1)."""
    return max(1, math.ceil(queue_position(session, ticket) * handling_minutes(session)))
