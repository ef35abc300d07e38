import asyncio

import pytest
from sqlalchemy import select

from actions.handoff import ActionHumanHandoff, describe_turns, priority_signals
from crm_engine.db import session_scope
from crm_engine.models import Ticket
from crm_engine.tickets import DEFAULT_HANDLING_MINUTES, PrioritySignals
from tests import factories
from tests.actions.conftest import assert_responses_exist, make_tracker, responses_of


def user_event(text, intent, sentiment=None, channel="rest"):
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    if sentiment:
        parse["sentiment"] = {"label": sentiment, "confidence": 0.9}
    return {"event": "user", "text": text, "parse_data": parse, "input_channel": channel}


def bot_event(text):
    return {"event": "bot", "text": text}


def run(tracker, dispatcher, domain):
    return asyncio.run(ActionHumanHandoff().run(dispatcher, tracker, domain))


def tickets(db_url):
    with session_scope(db_url) as s:
        return [
            (t.id, t.kind, t.status, t.priority, t.conversation_id, t.customer_id, t.reason)
            for t in s.scalars(select(Ticket).order_by(Ticket.id))
        ]


@pytest.mark.parametrize(
    ("text", "lang"), [("我要找人工客服", "zh"), ("Can I talk to a real person?", "en")]
)
def test_handoff_queues_a_ticket_tells_the_wait_and_pauses(db_url, dispatcher, domain, text, lang):
    with session_scope(db_url) as s:
        cust = factories.customer(s, language=lang)
        code, cust_id = cust.code, cust.id
    tracker = make_tracker(
        text=text,
        intent="human_handoff",
        slots={"customer_id": code, "handoff_offered": False},
        sender_id=f"web-{lang}",
    )
    events = run(tracker, dispatcher, domain)

    [(ticket_id, kind, status, priority, conversation, customer, reason)] = tickets(db_url)
    assert (kind, status, priority, conversation, customer) == (
        "handoff",
        "open",
        "normal",
        f"web-{lang}",
        cust_id,
    )
    assert f"[human_handoff] {text}" in reason
    assert dispatcher.messages[0]["response"] == "utter_handoff_created"
    assert dispatcher.messages[0]["ticket_id"] == ticket_id
    assert dispatcher.messages[0]["wait_minutes"] == DEFAULT_HANDLING_MINUTES
    assert events[-1]["event"] == "pause"
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"} == {
        "handoff_offered": False,
        "fallback_count": 0,
    }
    assert_responses_exist(dispatcher, domain)


def test_asking_again_returns_the_existing_ticket(db_url, dispatcher, domain):
    tracker = make_tracker(text="人工", intent="human_handoff", sender_id="conv-1")
    run(tracker, dispatcher, domain)
    again = make_tracker(text="人呢？快点", intent="human_handoff", sender_id="conv-1")
    second = type(dispatcher)()
    events = run(again, second, domain)
    assert len(tickets(db_url)) == 1
    assert responses_of(second) == ["utter_handoff_existing"]
    assert second.messages[0]["ticket_id"] == tickets(db_url)[0][0]
    assert events[-1]["event"] == "pause"
    assert_responses_exist(second, domain)


@pytest.mark.parametrize(
    ("events", "priority"),
    [
        (
            [
                user_event("你们的快递太慢了！", "complaint"),
                bot_event("抱歉"),
                user_event("转人工", "human_handoff"),
            ],
            "high",
        ),
        (
            [
                user_event("This is useless", "out_of_scope", sentiment="negative"),
                user_event("human please", "human_handoff"),
            ],
            "high",
        ),
        ([user_event("hello", "greet"), user_event("human please", "human_handoff")], "normal"),
        # Two negative messages in a row: the bot offered a person with priority.
        (
            [
                user_event("还没到，太慢了！", "order_status", sentiment="negative"),
                bot_event("非常抱歉"),
                user_event("SO20000003 快点！！！", "inform", sentiment="negative"),
                bot_event("回复“转人工”"),
                user_event("转人工", "human_handoff", sentiment="neutral"),
            ],
            "urgent",
        ),
        (
            [
                user_event("still not here, awful", "order_status", sentiment="negative"),
                user_event("ok SO20000003", "inform", sentiment="neutral"),
                user_event("why so slow!!", "order_status", sentiment="negative"),
                user_event("human", "human_handoff", sentiment="neutral"),
            ],
            "high",
        ),
        # A complaint before the session restarted no longer counts.
        (
            [
                user_event("差评", "complaint"),
                {"event": "session_started"},
                user_event("人工", "human_handoff"),
            ],
            "normal",
        ),
    ],
)
def test_angry_or_complaining_customers_get_high_priority(
    db_url, dispatcher, domain, events, priority
):
    latest = events[-1]
    tracker = make_tracker(text=latest["text"], intent="human_handoff", events=events)
    run(tracker, dispatcher, domain)
    assert tickets(db_url)[0][3] == priority


def test_handoff_ends_an_active_form(db_url, dispatcher, domain):
    tracker = make_tracker(
        text="forget it, get me a human", intent="human_handoff", active_loop="feedback_form"
    )
    events = run(tracker, dispatcher, domain)
    assert {"event": "active_loop", "timestamp": None, "name": None} in events
    assert events[-1]["event"] == "pause"


def test_when_the_crm_is_down_the_customer_hears_so_and_the_bot_does_not_pause(
    tmp_path, monkeypatch, dispatcher, domain
):
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/crm.db")
    events = run(make_tracker(text="人工客服", intent="human_handoff"), dispatcher, domain)
    assert responses_of(dispatcher) == ["utter_action_failed"]
    # The apology offers a colleague, so a "yes" must reach the handoff rule; no pause.
    assert [(e["event"], e["name"], e["value"]) for e in events] == [
        ("slot", "handoff_offered", True)
    ]


def test_reason_quotes_the_latest_messages_oldest_first():
    events = [user_event(f"m{i}", "inform") for i in range(5)] + [
        user_event("人工", "human_handoff")
    ]
    tracker = make_tracker(text="人工", intent="human_handoff", events=events)
    assert describe_turns(tracker) == "[inform] m3\n[inform] m4\n[human_handoff] 人工"


def test_priority_signals_read_complaints_and_negative_sentiment():
    calm = make_tracker(events=[user_event("hi", "greet", sentiment="positive")])
    assert priority_signals(calm) == PrioritySignals()
    angry = make_tracker(events=[user_event("awful", "complaint", sentiment="negative")])
    assert priority_signals(angry) == PrioritySignals(
        complained=True, negative_sentiment=True, negative_streak=1
    )
