"""Conversation sentiment for staff and reports: summaries and the daily negative share.

`update_conversation_sentiment` is called once for every customer message the
interaction log stores, with the label and confidence the bot gave it. Bot
replies have no sentiment and are not passed in.

Days are UTC dates, like every timestamp in the store. A conversation counts on
each day on which the customer wrote at least one message, and as negative on
that day when at least one of that day's messages was labelled negative. So a
complaint at 23:50 that is resolved happily at 00:10 is negative on the first
day and not on the second.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from crm_engine.models import utcnow
from crm_engine.sentiment_models import (
    SENTIMENT_LABELS,
    ConversationSentiment,
    ConversationSentimentDay,
)

_SIGN = {"negative": -1, "neutral": 0, "positive": 1}


@dataclass(frozen=True)
class LabelScore:
    label: str
    score: float  # the label's confidence, 0-1


@dataclass(frozen=True)
class ConversationSentimentSummary:
    conversation_id: str
    started_at: dt.datetime
    ended_at: dt.datetime
    messages: int
    negative_messages: int
    first: LabelScore
    last: LabelScore
    worst: LabelScore
    worst_at: dt.datetime
    updated_at: dt.datetime

    @property
    def trend(self) -> str:
        """'improved', 'worsened' or 'unchanged' from the first to the latest message."""
        change = valence(self.last.label, self.last.score) - valence(
            self.first.label, self.first.score
        )
        if change > 0:
            return "improved"
        return "worsened" if change < 0 else "unchanged"


class DailyNegativeShare(NamedTuple):
    day: dt.date
    conversations: int  # conversations with at least one customer message that day
    negative_conversations: int  # of those, how many had a negative message that day
    share: float | None  # negative_conversations / conversations; None on a day without any


def valence(label: str, score: float) -> float:
    """-score for negative, 0 for neutral, +score for positive: orders messages by how bad."""
    return _SIGN[label] * score


def update_conversation_sentiment(
    session: Session, conversation_id: str, label: str, score: float, at: dt.datetime
) -> ConversationSentiment:
    """Fold one customer message (its label, confidence and time) into the conversation's summary.

    Messages may arrive out of order: the summary's first and last follow `at`,
    not arrival. Calling again with the exact latest message (same time, label and
    score, as a retried event would) changes nothing. The caller commits.
    """
    _check_conversation_id(conversation_id)
    if label not in SENTIMENT_LABELS:
        raise ValueError(f"label must be one of {', '.join(SENTIMENT_LABELS)}; got {label!r}")
    if not _is_number(score) or not math.isfinite(score) or not 0.0 <= score <= 1.0:
        raise ValueError(f"score must be a number from 0 to 1; got {score!r}")
    score = float(score)
    at = _as_utc(at, "at")

    summary = _locked_summary(session, conversation_id, label, score, at)
    if summary.messages and (at, label, score) == (
        summary.ended_at,
        summary.last_label,
        summary.last_score,
    ):
        return summary  # the latest message again: a retried event

    negative = int(label == "negative")
    summary.messages += 1
    summary.negative_messages += negative
    if at < summary.started_at:
        summary.started_at, summary.first_label, summary.first_score = at, label, score
    if at >= summary.ended_at:
        summary.ended_at, summary.last_label, summary.last_score = at, label, score
    if valence(label, score) < valence(summary.worst_label, summary.worst_score):
        summary.worst_label, summary.worst_score, summary.worst_at = label, score, at
    summary.updated_at = utcnow()

    _insert_ignore(
        session,
        ConversationSentimentDay,
        conversation_id=conversation_id,
        day=at.date(),
        messages=0,
        negative_messages=0,
    )
    session.execute(
        update(ConversationSentimentDay)
        .where(
            ConversationSentimentDay.conversation_id == conversation_id,
            ConversationSentimentDay.day == at.date(),
        )
        .values(
            messages=ConversationSentimentDay.messages + 1,
            negative_messages=ConversationSentimentDay.negative_messages + negative,
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return summary


def conversation_summary(
    session: Session, conversation_id: str
) -> ConversationSentimentSummary | None:
    """The conversation's sentiment so far; None before its first customer message."""
    _check_conversation_id(conversation_id)
    row = session.get(ConversationSentiment, conversation_id)
    if row is None:
        return None
    return ConversationSentimentSummary(
        conversation_id=row.conversation_id,
        started_at=row.started_at,
        ended_at=row.ended_at,
        messages=row.messages,
        negative_messages=row.negative_messages,
        first=LabelScore(row.first_label, row.first_score),
        last=LabelScore(row.last_label, row.last_score),
        worst=LabelScore(row.worst_label, row.worst_score),
        worst_at=row.worst_at,
        updated_at=row.updated_at,
    )


def negative_share_by_day(
    session: Session, start: dt.date, end: dt.date
) -> list[DailyNegativeShare]:
    """One entry per UTC day from `start` to `end` inclusive, days without conversations too."""
    start, end = _as_day(start, "start"), _as_day(end, "end")
    if start > end:
        raise ValueError(f"start must not be after end; got start={start}, end={end}")
    day = ConversationSentimentDay.day
    rows = session.execute(
        select(
            day,
            func.count(),
            func.sum(case((ConversationSentimentDay.negative_messages > 0, 1), else_=0)),
        )
        .where(day >= start, day <= end)
        .group_by(day)
    ).all()
    # SQLite hands dates back as 'YYYY-MM-DD' text.
    counts = {
        d if isinstance(d, dt.date) else dt.date.fromisoformat(d): (int(n), int(neg or 0))
        for d, n, neg in rows
    }
    result = []
    for offset in range((end - start).days + 1):
        current = start + dt.timedelta(days=offset)
        total, negative = counts.get(current, (0, 0))
        result.append(
            DailyNegativeShare(current, total, negative, negative / total if total else None)
        )
    return result


def _locked_summary(
    session: Session, conversation_id: str, label: str, score: float, at: dt.datetime
) -> ConversationSentiment:
    """The conversation's row, created empty (messages=0) if new, locked until commit.

    Insert-if-absent then SELECT ... FOR UPDATE, so two messages of a new
    conversation logged at once cannot both create it (PostgreSQL; SQLite
    serialises writers anyway).
    """
    _insert_ignore(
        session,
        ConversationSentiment,
        conversation_id=conversation_id,
        started_at=at,
        ended_at=at,
        messages=0,
        negative_messages=0,
        first_label=label,
        first_score=score,
        last_label=label,
        last_score=score,
        worst_label=label,
        worst_score=score,
        worst_at=at,
        updated_at=utcnow(),
    )
    return session.execute(
        select(ConversationSentiment)
        .where(ConversationSentiment.conversation_id == conversation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _insert_ignore(session: Session, model: type, **values: object) -> None:
    """INSERT … ON CONFLICT DO NOTHING, on PostgreSQL and SQLite."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise NotImplementedError(
            f"conversation sentiment supports PostgreSQL and SQLite, not {dialect}"
        )
    session.execute(insert(model).values(**values).on_conflict_do_nothing())


def _check_conversation_id(conversation_id: object) -> None:
    if not isinstance(conversation_id, str) or not 0 < len(conversation_id) <= 200:
        raise ValueError(
            f"conversation_id must be a text of 1-200 characters; got {conversation_id!r}"
        )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_utc(value: object, name: str) -> dt.datetime:
    """Naive UTC, the store's convention; an aware datetime is converted."""
    if not isinstance(value, dt.datetime):
        raise ValueError(f"{name} must be a datetime (naive UTC or timezone-aware); got {value!r}")
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _as_day(value: object, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError(f"{name} must be a date, not a datetime; got {value!r}")
    if not isinstance(value, dt.date):
        raise ValueError(f"{name} must be a date; got {value!r}")
    return value
