import pytest

from crm_engine.interactions import (
    InteractionEvent,
    conversation_customer_id,
    conversation_transcript,
    record_events,
)
from crm_engine.models import ChannelIdentity, Interaction
from tests import factories


def user(conversation="c1", t=1000.0, **kw):
    return InteractionEvent(conversation_id=conversation, direction="user", event_time=t, **kw)


def bot(conversation="c1", t=1000.5, **kw):
    return InteractionEvent(conversation_id=conversation, direction="bot", event_time=t, **kw)


def test_record_events_stores_user_and_bot_messages_with_their_details(session):
    added = record_events(
        session,
        [
            user(
                text="我的订单到哪了",
                channel="socketio",
                language="zh",
                intent="order_status",
                confidence=0.93,
                entities=[{"entity": "order_id", "value": "SO1"}],
                sentiment_label="negative",
                sentiment_score=0.81,
            ),
            bot(text="请提供订单号", language="zh", response="utter_ask_order_id"),
        ],
    )
    assert added == 2
    u, b = session.query(Interaction).order_by(Interaction.event_time).all()
    assert (u.direction, u.text, u.channel, u.language, u.intent) == (
        "user",
        "我的订单到哪了",
        "socketio",
        "zh",
        "order_status",
    )
    assert u.confidence == pytest.approx(0.93)
    assert u.entities == [{"entity": "order_id", "value": "SO1"}]
    assert (u.sentiment_label, u.sentiment_score) == ("negative", pytest.approx(0.81))
    assert (b.direction, b.response, b.entities, b.intent) == (
        "bot",
        "utter_ask_order_id",
        None,
        None,
    )


def test_a_repeated_delivery_is_ignored(session):
    events = [user(text="hi"), bot(text="Hello!")]
    assert record_events(session, events) == 2
    assert record_events(session, events + [user(t=1001.0, text="again")]) == 1
    assert record_events(session, [user(text="hi"), user(text="hi")]) == 0
    assert session.query(Interaction).count() == 3


def test_same_time_in_other_conversation_or_direction_is_a_different_event(session):
    assert record_events(session, [user(t=5.0), bot(t=5.0), user(conversation="c2", t=5.0)]) == 3


def test_customer_is_resolved_from_code_then_channel_identity_then_earlier_rows(session):
    alice = factories.customer(session, name="Alice")
    bob = factories.customer(session, name="Bob")
    session.add(ChannelIdentity(customer_id=bob.id, channel="telegram", external_id="tg-42"))
    session.flush()
    record_events(
        session,
        [
            user(conversation="web-1", t=1.0, customer_code=alice.code),
            user(conversation="tg-42", t=1.0, channel="telegram"),
            user(conversation="tg-42-other-channel", t=1.0, channel="rest"),
            user(conversation="web-2", t=1.0, customer_code="NOPE"),
        ],
    )
    record_events(session, [bot(conversation="web-1", t=2.0)])  # later batch, no code
    rows = {(i.conversation_id, i.event_time): i.customer_id for i in session.query(Interaction)}
    assert rows[("web-1", 1.0)] == alice.id
    assert rows[("web-1", 2.0)] == alice.id
    assert rows[("tg-42", 1.0)] == bob.id
    assert rows[("tg-42-other-channel", 1.0)] is None
    assert rows[("web-2", 1.0)] is None


def test_overlong_labels_are_cut_to_the_column_width(session):
    record_events(session, [bot(response="utter_" + "x" * 200, channel="c" * 50)])
    row = session.query(Interaction).one()
    assert len(row.response) == 100 and len(row.channel) == 30


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"conversation_id": ""}, "conversation_id must be a text of 1-200 characters"),
        ({"direction": "agent"}, "direction must be one of user, bot; got 'agent'"),
        ({"event_time": "yesterday"}, "event_time must be a finite number; got 'yesterday'"),
        ({"event_time": float("nan")}, "event_time must be a finite number"),
        ({"language": "fr"}, "language must be one of zh, en or None; got 'fr'"),
        ({"confidence": 1.5}, "confidence must be a number from 0 to 1 or None; got 1.5"),
        ({"entities": "order_id"}, "entities must be a list of objects or None"),
        ({"text": 42}, "text must be a text or None; got 42"),
    ],
)
def test_invalid_events_are_rejected_naming_the_field(kwargs, message):
    base = {"conversation_id": "c1", "direction": "user", "event_time": 1.0}
    with pytest.raises(ValueError, match=message):
        InteractionEvent(**{**base, **kwargs})


def test_transcript_returns_the_latest_messages_oldest_first(session):
    record_events(session, [user(t=float(i), text=f"m{i}") for i in range(5)])
    assert [i.text for i in conversation_transcript(session, "c1", limit=3)] == ["m2", "m3", "m4"]
    with pytest.raises(ValueError, match="limit must be at least 1; got 0"):
        conversation_transcript(session, "c1", limit=0)


def test_conversation_customer_id_resolves_one_conversation(session):
    c = factories.customer(session)
    session.add(ChannelIdentity(customer_id=c.id, channel="telegram", external_id="tg-7"))
    session.flush()
    assert conversation_customer_id(session, conversation_id="web", customer_code=c.code) == c.id
    assert conversation_customer_id(session, conversation_id="tg-7", channel="telegram") == c.id
    assert conversation_customer_id(session, conversation_id="web", customer_code="UNKNOWN") is None
    assert conversation_customer_id(session, conversation_id="web") is None


def test_customer_messages_feed_the_conversation_sentiment_summary_once(session):
    from crm_engine.interactions import InteractionEvent, record_events
    from crm_engine.sentiment import conversation_summary

    def event(t: float, label: str, score: float) -> InteractionEvent:
        return InteractionEvent(
            conversation_id="senti-1", direction="user", event_time=t, text=f"m{t}",
            sentiment_label=label, sentiment_score=score,
        )  # fmt: skip

    batch = [event(1_700_000_000.0, "neutral", 0.9), event(1_700_000_060.0, "negative", 0.95)]
    record_events(session, batch)
    record_events(session, batch)  # a retried batch
    summary = conversation_summary(session, "senti-1")
    assert summary.worst.label == "negative"
    assert (summary.messages, summary.negative_messages) == (2, 1)
