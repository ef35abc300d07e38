"""The conversation log: every customer message and every bot reply, one row each.

Events may arrive more than once (the sender retries after a timeout), so a row
is keyed by (conversation, direction, event time) and a repeat is ignored.

Who the customer is, is resolved per conversation: from a customer code sent
with the event, else from the channel identity (a WeChat openid, a Telegram
chat id is the conversation id), else from earlier rows of the same conversation.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import null, select
from sqlalchemy.orm import Session

from crm_engine.models import ChannelIdentity, Customer, Interaction
from crm_engine.sentiment import update_conversation_sentiment

logger = logging.getLogger(__name__)

DIRECTIONS = ("user", "bot")
LANGUAGES = ("zh", "en")

# Column widths in models.Interaction; longer values are cut, not rejected, since
# they come from channels and NLU components we don't control.
_MAX = {"intent": 60, "channel": 30, "response": 100, "sentiment_label": 10}


@dataclass(frozen=True)
class InteractionEvent:
    """One message as the CRM stores it; `event_time` is the sender's Unix timestamp."""

    conversation_id: str
    direction: str
    event_time: float
    text: str | None = None
    channel: str | None = None
    language: str | None = None
    intent: str | None = None
    confidence: float | None = None
    entities: list[dict[str, Any]] | None = field(default=None, hash=False)
    sentiment_label: str | None = None
    sentiment_score: float | None = None
    response: str | None = None
    customer_code: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.conversation_id, str) or not 0 < len(self.conversation_id) <= 200:
            raise ValueError(
                f"conversation_id must be a text of 1-200 characters; got {self.conversation_id!r}"
            )
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of user, bot; got {self.direction!r}")
        if not _is_number(self.event_time) or not math.isfinite(self.event_time):
            raise ValueError(f"event_time must be a finite number; got {self.event_time!r}")
        if self.language is not None and self.language not in LANGUAGES:
            raise ValueError(f"language must be one of zh, en or None; got {self.language!r}")
        for name in ("confidence", "sentiment_score"):
            value = getattr(self, name)
            if value is not None and not (_is_number(value) and 0.0 <= value <= 1.0):
                raise ValueError(f"{name} must be a number from 0 to 1 or None; got {value!r}")
        if self.entities is not None and not (
            isinstance(self.entities, list) and all(isinstance(e, dict) for e in self.entities)
        ):
            raise ValueError(f"entities must be a list of objects or None; got {self.entities!r}")
        for name in ("text", "channel", "intent", "sentiment_label", "response", "customer_code"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{name} must be a text or None; got {value!r}")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cut(name: str, value: str | None) -> str | None:
    return value[: _MAX[name]] if value else value


def conversation_customer_id(
    session: Session,
    *,
    conversation_id: str,
    customer_code: str | None = None,
    channel: str | None = None,
) -> int | None:
    """Who is writing in this conversation, if the CRM can tell (see the module docstring)."""
    probe = InteractionEvent(
        conversation_id=conversation_id,
        direction="user",
        event_time=0.0,
        channel=channel,
        customer_code=customer_code,
    )
    return _resolve_customers(session, [probe]).get(conversation_id)


def _resolve_customers(session: Session, events: Sequence[InteractionEvent]) -> dict[str, int]:
    """conversation id -> customer id, for every conversation in `events` we can identify."""
    resolved: dict[str, int] = {}
    codes = {e.customer_code for e in events if e.customer_code}
    by_code = (
        {
            row[0]: row[1]
            for row in session.execute(
                select(Customer.code, Customer.id).where(Customer.code.in_(codes))
            )
        }
        if codes
        else {}
    )
    for event in events:  # the latest code sent for a conversation wins
        if event.customer_code in by_code:
            resolved[event.conversation_id] = by_code[event.customer_code]

    unknown = {e.conversation_id for e in events} - resolved.keys()
    if unknown:
        identities = session.execute(
            select(
                ChannelIdentity.external_id, ChannelIdentity.channel, ChannelIdentity.customer_id
            ).where(ChannelIdentity.external_id.in_(unknown))
        ).all()
        channels = {(e.conversation_id, e.channel) for e in events}
        for external_id, channel, customer_id in identities:
            if (external_id, channel) in channels:
                resolved[external_id] = customer_id

    unknown = {e.conversation_id for e in events} - resolved.keys()
    for conversation_id in unknown:
        earlier = session.scalar(
            select(Interaction.customer_id)
            .where(
                Interaction.conversation_id == conversation_id, Interaction.customer_id.is_not(None)
            )
            .order_by(Interaction.event_time.desc())
            .limit(1)
        )
        if earlier is not None:
            resolved[conversation_id] = earlier
    return resolved


def _insert_ignoring_duplicates(session: Session):  # noqa: ANN202 - dialect-specific Insert
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise NotImplementedError(
            f"the interaction log supports PostgreSQL and SQLite, not {dialect}"
        )
    return insert(Interaction)


def record_events(session: Session, events: Iterable[InteractionEvent]) -> int:
    """Store the events not stored before; returns how many rows were added."""
    events = list(events)
    if not events:
        return 0
    customers = _resolve_customers(session, events)
    rows = [
        {
            "conversation_id": e.conversation_id,
            "customer_id": customers.get(e.conversation_id),
            "direction": e.direction,
            "channel": _cut("channel", e.channel),
            "text": e.text,
            "language": e.language,
            "intent": _cut("intent", e.intent),
            "confidence": e.confidence,
            # SQL NULL, not JSON null, when the sender had no entity list (bot replies).
            "entities": e.entities if e.entities is not None else null(),
            "sentiment_label": _cut("sentiment_label", e.sentiment_label),
            "sentiment_score": e.sentiment_score,
            "response": _cut("response", e.response),
            "event_time": float(e.event_time),
        }
        for e in events
    ]
    statement = (
        _insert_ignoring_duplicates(session)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["conversation_id", "direction", "event_time"])
        .returning(
            Interaction.conversation_id,
            Interaction.direction,
            Interaction.event_time,
            Interaction.sentiment_label,
            Interaction.sentiment_score,
        )
    )
    inserted = session.execute(statement).all()
    # Only newly stored customer messages feed the sentiment summary: a retried
    # batch must not count its messages twice.
    for row in sorted(inserted, key=lambda r: r.event_time):
        if row.direction == "user" and row.sentiment_label and row.sentiment_score is not None:
            update_conversation_sentiment(
                session,
                row.conversation_id,
                row.sentiment_label,
                row.sentiment_score,
                dt.datetime.fromtimestamp(row.event_time, dt.UTC).replace(tzinfo=None),
            )
    logger.debug("stored %d of %d interaction events", len(inserted), len(rows))
    return len(inserted)


def conversation_transcript(
    session: Session, conversation_id: str, *, limit: int = 50
) -> list[Interaction]:
    """The last `limit` messages of a conversation, oldest first (for staff taking over)."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1; got {limit}")
    latest = session.scalars(
        select(Interaction)
        .where(Interaction.conversation_id == conversation_id)
        .order_by(Interaction.event_time.desc(), Interaction.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(latest))
