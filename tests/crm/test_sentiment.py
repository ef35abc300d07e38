"""Conversation sentiment summaries and the daily negative share, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from crm_engine.sentiment import (
    DailyNegativeShare,
    LabelScore,
    conversation_summary,
    negative_share_by_day,
    update_conversation_sentiment,
)
from crm_engine.sentiment_models import ConversationSentimentDay

DAY = dt.datetime(2025, 3, 10, 9, 0)


def at(minutes: float, base: dt.datetime = DAY) -> dt.datetime:
    return base + dt.timedelta(minutes=minutes)


def feed(session, conversation_id, *messages):
    for label, score, when in messages:
        update_conversation_sentiment(session, conversation_id, label, score, when)


def test_first_message_is_first_last_and_worst(session):
    update_conversation_sentiment(session, "c1", "neutral", 0.9, at(0))

    s = conversation_summary(session, "c1")
    assert (s.messages, s.negative_messages) == (1, 0)
    assert s.first == s.last == s.worst == LabelScore("neutral", 0.9)
    assert s.started_at == s.ended_at == s.worst_at == at(0)
    assert s.trend == "unchanged"


def test_summary_follows_a_complaint_that_ends_well(session):
    feed(
        session,
        "c1",
        ("neutral", 0.8, at(0)),  # 我的快递到哪了
        ("negative", 0.7, at(1)),  # 都一周了！！！
        ("negative", 0.95, at(2)),  # 再不到我就投诉
        ("positive", 0.9, at(5)),  # 好的，谢谢
    )

    s = conversation_summary(session, "c1")
    assert (s.messages, s.negative_messages) == (4, 2)
    assert s.first == LabelScore("neutral", 0.8)
    assert s.last == LabelScore("positive", 0.9)
    assert (s.worst, s.worst_at) == (LabelScore("negative", 0.95), at(2))
    assert (s.started_at, s.ended_at) == (at(0), at(5))
    assert s.trend == "improved"


def test_worst_prefers_neutral_over_positive_and_keeps_the_earlier_tie(session):
    feed(session, "c1", ("positive", 0.6, at(0)), ("neutral", 0.5, at(1)), ("neutral", 0.9, at(2)))

    s = conversation_summary(session, "c1")
    assert (s.worst, s.worst_at) == (LabelScore("neutral", 0.5), at(1))
    assert s.trend == "worsened"


def test_a_late_arriving_earlier_message_becomes_first_not_last(session):
    feed(session, "c1", ("positive", 0.9, at(10)), ("negative", 0.8, at(3)))

    s = conversation_summary(session, "c1")
    assert s.first == LabelScore("negative", 0.8) and s.started_at == at(3)
    assert s.last == LabelScore("positive", 0.9) and s.ended_at == at(10)
    assert s.messages == 2


def test_a_retried_latest_message_is_not_counted_twice(session):
    feed(session, "c1", ("negative", 0.8, at(0)), ("negative", 0.8, at(0)))

    s = conversation_summary(session, "c1")
    assert (s.messages, s.negative_messages) == (1, 1)
    day = session.scalars(select(ConversationSentimentDay)).one()
    assert (day.messages, day.negative_messages) == (1, 1)


def test_timezone_aware_times_are_stored_as_utc(session):
    beijing = dt.timezone(dt.timedelta(hours=8))
    update_conversation_sentiment(
        session, "c1", "negative", 0.7, dt.datetime(2025, 3, 11, 7, 30, tzinfo=beijing)
    )

    s = conversation_summary(session, "c1")
    assert s.started_at == dt.datetime(2025, 3, 10, 23, 30)
    assert negative_share_by_day(session, dt.date(2025, 3, 10), dt.date(2025, 3, 11)) == [
        DailyNegativeShare(dt.date(2025, 3, 10), 1, 1, 1.0),
        DailyNegativeShare(dt.date(2025, 3, 11), 0, 0, None),
    ]


def test_unknown_conversation_has_no_summary(session):
    assert conversation_summary(session, "nobody") is None


def test_negative_share_counts_each_conversation_per_day_it_was_active(session):
    night = dt.datetime(2025, 3, 10, 23, 50)
    feed(session, "angry-then-happy", ("negative", 0.9, night), ("positive", 0.8, at(20, night)))
    feed(session, "calm", ("neutral", 0.9, at(0)), ("positive", 0.7, at(1)))
    feed(session, "two-complaints", ("negative", 0.6, at(0)), ("negative", 0.8, at(3)))
    feed(session, "next-day-question", ("neutral", 0.9, at(60 * 24)))

    shares = negative_share_by_day(session, dt.date(2025, 3, 9), dt.date(2025, 3, 11))

    assert shares == [
        DailyNegativeShare(dt.date(2025, 3, 9), 0, 0, None),
        DailyNegativeShare(dt.date(2025, 3, 10), 3, 2, pytest.approx(2 / 3)),
        DailyNegativeShare(dt.date(2025, 3, 11), 2, 0, 0.0),
    ]


def test_negative_share_of_a_single_day(session):
    feed(session, "c1", ("negative", 0.9, at(0)))
    feed(session, "c2", ("neutral", 0.9, at(0)))

    assert negative_share_by_day(session, DAY.date(), DAY.date()) == [
        DailyNegativeShare(DAY.date(), 2, 1, 0.5)
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("c1", "angry", 0.5, DAY),
            "label must be one of negative, neutral, positive; got 'angry'",
        ),
        (("c1", "negative", 1.5, DAY), "score must be a number from 0 to 1; got 1.5"),
        (("c1", "negative", True, DAY), "score must be a number from 0 to 1; got True"),
        (("c1", "negative", float("nan"), DAY), "score must be a number from 0 to 1; got nan"),
        (("c1", "negative", 0.5, "2025-03-10"), "at must be a datetime .*got '2025-03-10'"),
        (("", "negative", 0.5, DAY), "conversation_id must be a text of 1-200 characters; got ''"),
        (("x" * 201, "neutral", 0.5, DAY), "conversation_id must be a text of 1-200 characters"),
    ],
)
def test_update_rejects_bad_input_and_stores_nothing(session, args, message):
    with pytest.raises(ValueError, match=message):
        update_conversation_sentiment(session, *args)
    assert conversation_summary(session, "c1") is None


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (dt.date(2025, 3, 2), dt.date(2025, 3, 1), "start must not be after end"),
        (DAY, DAY.date(), "start must be a date, not a datetime"),
        ("2025-03-01", dt.date(2025, 3, 1), "start must be a date; got '2025-03-01'"),
    ],
)
def test_negative_share_rejects_bad_ranges(session, start, end, message):
    with pytest.raises(ValueError, match=message):
        negative_share_by_day(session, start, end)
