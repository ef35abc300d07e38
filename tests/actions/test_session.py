"""action_session_start: slots carry over, and a handed-off conversation stays paused."""

from __future__ import annotations

import asyncio

import pytest

from actions import session as session_module
from actions.session import ActionSessionStart
from crm_engine.db import session_scope
from crm_engine.tickets import close_ticket, open_handoff_ticket
from tests.actions.conftest import make_tracker

SLOTS = {"customer_id": "C000001", "language": "zh", "order_id": None}


def start(domain, dispatcher, sender_id="web-1"):
    tracker = make_tracker(slots=SLOTS, text="在吗", intent="greet", sender_id=sender_id)
    return asyncio.run(ActionSessionStart().run(dispatcher, tracker, domain))


def handoff(db_url, conversation_id="web-1", close=False):
    with session_scope(db_url) as s:
        ticket, _ = open_handoff_ticket(
            s, conversation_id=conversation_id, reason="[human_handoff] 人工"
        )
        if close:
            close_ticket(s, ticket.id, resolution="called back")


def test_a_new_session_carries_the_slots_that_hold_something(db_url, domain, dispatcher):
    events = start(domain, dispatcher)
    assert events[0]["event"] == "session_started"
    assert events[-1] == {**events[-1], "event": "action", "name": "action_listen"}
    assert {e["name"]: e["value"] for e in events if e["event"] == "slot"} == {
        "customer_id": "C000001",
        "language": "zh",
    }
    assert not any(e["event"] == "pause" for e in events)
    assert dispatcher.messages == [], "starting a session says nothing"


def test_an_open_handoff_keeps_the_new_session_paused(db_url, domain, dispatcher):
    handoff(db_url)
    events = [e["event"] for e in start(domain, dispatcher)]
    # The pause must follow SessionStarted, which clears the paused state.
    assert events.index("pause") > events.index("session_started")
    assert events[-1] == "action"


@pytest.mark.parametrize(
    ("conversation", "close"), [("web-1", True), ("another-conversation", False)]
)
def test_a_closed_ticket_or_another_conversations_ticket_does_not_pause(
    db_url, domain, dispatcher, conversation, close
):
    handoff(db_url, conversation_id=conversation, close=close)
    assert "pause" not in [e["event"] for e in start(domain, dispatcher)]


def test_without_carry_over_no_slots_are_set(db_url, domain, dispatcher):
    domain = {**domain, "session_config": {"carry_over_slots_to_new_session": False}}
    assert not [e for e in start(domain, dispatcher) if e["event"] == "slot"]


def test_a_failing_ticket_check_still_starts_the_session(db_url, domain, dispatcher, monkeypatch):
    def broken(session, conversation_id: str) -> bool:
        raise RuntimeError("database down")

    monkeypatch.setattr(session_module, "has_open_handoff", broken)
    events = [e["event"] for e in start(domain, dispatcher)]
    assert events[0] == "session_started" and events[-1] == "action"
    assert "pause" not in events
