"""How customers felt in each conversation, kept up to date message by message.

The bot labels every customer message positive, neutral or negative with a
confidence (bot/sentiment.py); `crm_engine.sentiment.update_conversation_sentiment`
folds each one into these tables, so staff screens and daily reports read one
row instead of scanning the interaction log.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_engine.models import Base, utcnow

SENTIMENT_LABELS = ("negative", "neutral", "positive")


def _label_check(column: str) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in SENTIMENT_LABELS)})"


def _score_check(column: str) -> str:
    return f"{column} >= 0 AND {column} <= 1"


class ConversationSentiment(Base):
    """One conversation's customer messages in brief. Scores are the labels' confidences (0-1)."""

    __tablename__ = "conversation_sentiments"

    conversation_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)  # earliest customer message
    ended_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)  # latest customer message
    messages: Mapped[int] = mapped_column(Integer)
    negative_messages: Mapped[int] = mapped_column(Integer)
    first_label: Mapped[str] = mapped_column(String(10))
    first_score: Mapped[float] = mapped_column(Float)
    last_label: Mapped[str] = mapped_column(String(10))
    last_score: Mapped[float] = mapped_column(Float)
    # The most negative message: lowest of -score (negative), 0 (neutral), +score (positive).
    worst_label: Mapped[str] = mapped_column(String(10))
    worst_score: Mapped[float] = mapped_column(Float)
    worst_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    days: Mapped[list[ConversationSentimentDay]] = relationship(
        back_populates="conversation", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        CheckConstraint(_label_check("first_label"), name="first_label"),
        CheckConstraint(_label_check("last_label"), name="last_label"),
        CheckConstraint(_label_check("worst_label"), name="worst_label"),
        CheckConstraint(_score_check("first_score"), name="first_score"),
        CheckConstraint(_score_check("last_score"), name="last_score"),
        CheckConstraint(_score_check("worst_score"), name="worst_score"),
        CheckConstraint("negative_messages >= 0 AND negative_messages <= messages", name="counts"),
        CheckConstraint("started_at <= ended_at", name="period"),
    )


class ConversationSentimentDay(Base):
    """A conversation's customer messages on one UTC day: what daily negative shares count.

    A conversation that runs past midnight has a row for each day it was active,
    so it counts on both days, as negative only on a day it had a negative message.
    """

    __tablename__ = "sentiment_days"  # short: constraint names must fit PostgreSQL's 63 characters

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversation_sentiments.conversation_id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True, index=True)
    messages: Mapped[int] = mapped_column(Integer)
    negative_messages: Mapped[int] = mapped_column(Integer)

    conversation: Mapped[ConversationSentiment] = relationship(back_populates="days")

    __table_args__ = (
        CheckConstraint("negative_messages >= 0 AND negative_messages <= messages", name="counts"),
    )
