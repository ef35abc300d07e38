from sqlalchemy import select

from console.cli import main
from crm_engine.db import session_scope
from crm_engine.interactions import InteractionEvent, record_events
from crm_engine.models import Ticket
from crm_engine.tickets import open_handoff_ticket, open_ticket
from tests import factories


def handoff(db_url, conversation="web-42"):
    with session_scope(db_url) as s:
        cust = factories.customer(s)
        ticket, _ = open_handoff_ticket(
            s,
            conversation_id=conversation,
            reason="Customer asked for a person.\n[human_handoff] 转人工",
            customer_id=cust.id,
        )
        return ticket.id, cust.code


def status(db_url, ticket_id):
    with session_scope(db_url) as s:
        t = s.get(Ticket, ticket_id)
        return t.status, t.resolution


def test_tickets_lists_the_open_queue(db_url, fake_rasa, capsys):
    ticket_id, code = handoff(db_url)
    with session_scope(db_url) as s:
        closed = open_ticket(s, kind="complaint", reason="old complaint")
        closed.status = "closed"
    assert main(["tickets"]) == 0
    out = capsys.readouterr().out
    assert f"{ticket_id}" in out and "handoff" in out and code in out and "web-42" in out
    assert "old complaint" not in out
    assert main(["tickets", "--all"]) == 0
    assert "old complaint" in capsys.readouterr().out


def test_closing_a_handoff_closes_the_ticket_and_resumes_the_conversation(
    db_url, fake_rasa, capsys
):
    ticket_id, _ = handoff(db_url)
    assert main(["close", str(ticket_id), "--note", "sent a new parcel"]) == 0
    assert status(db_url, ticket_id) == ("closed", "sent a new parcel")
    assert fake_rasa.paths() == [
        "/conversations/web-42/tracker/events",
        "/conversations/web-42/execute",
        "/conversations/web-42/tracker/events",
    ]
    out = capsys.readouterr().out
    assert f"Ticket {ticket_id} (handoff) closed." in out
    assert "Conversation web-42 is back with the bot." in out
    assert "bot> 人工客服已处理完您的问题" in out


def test_when_rasa_is_down_the_ticket_still_closes_and_the_command_says_so(
    db_url, rasa_down, capsys
):
    ticket_id, _ = handoff(db_url)
    assert main(["close", str(ticket_id)]) == 1
    assert status(db_url, ticket_id)[0] == "closed"
    err = capsys.readouterr().err
    assert "Conversation web-42 could not be resumed: cannot reach Rasa" in err
    assert "staff resume web-42" in err


def test_without_a_token_the_ticket_closes_and_the_command_says_why(db_url, monkeypatch, capsys):
    monkeypatch.delenv("RASA_AUTH_TOKEN", raising=False)
    ticket_id, _ = handoff(db_url)
    assert main(["close", str(ticket_id)]) == 1
    assert status(db_url, ticket_id)[0] == "closed"
    assert "RASA_AUTH_TOKEN is not set" in capsys.readouterr().err


def test_resume_retries_a_conversation_by_id(db_url, fake_rasa, capsys):
    assert main(["resume", "web-7"]) == 0
    assert fake_rasa.paths()[0] == "/conversations/web-7/tracker/events"


def test_closing_a_complaint_does_not_touch_the_conversation(db_url, fake_rasa):
    with session_scope(db_url) as s:
        ticket_id = open_ticket(s, kind="complaint", reason="late", conversation_id="web-1").id
    assert main(["close", str(ticket_id)]) == 0
    assert fake_rasa.requests == []


def test_unknown_or_closed_tickets_are_refused(db_url, fake_rasa, capsys):
    ticket_id, _ = handoff(db_url)
    assert main(["close", "999"]) == 2
    assert "staff: error: ticket_id 999 does not exist" in capsys.readouterr().err
    assert main(["close", str(ticket_id)]) == 0
    assert main(["close", str(ticket_id)]) == 2
    assert f"ticket {ticket_id} is already closed" in capsys.readouterr().err
    assert len(fake_rasa.requests) == 3  # only the first close resumed


def test_show_prints_the_ticket_and_its_conversation(db_url, capsys):
    ticket_id, _ = handoff(db_url)
    with session_scope(db_url) as s:
        record_events(
            s,
            [
                InteractionEvent(
                    conversation_id="web-42", direction="user", event_time=1.0, text="我的快递丢了"
                ),
                InteractionEvent(
                    conversation_id="web-42",
                    direction="bot",
                    event_time=2.0,
                    text="抱歉，正在为您转接",
                ),
                InteractionEvent(
                    conversation_id="other", direction="user", event_time=1.5, text="not this one"
                ),
            ],
        )
    assert main(["show", str(ticket_id)]) == 0
    out = capsys.readouterr().out
    assert "[human_handoff] 转人工" in out
    assert out.index("customer> 我的快递丢了") < out.index("bot> 抱歉，正在为您转接")
    assert "not this one" not in out
    assert main(["show", "999"]) == 2


def test_closed_ticket_rows_record_when(db_url, fake_rasa):
    ticket_id, _ = handoff(db_url)
    main(["close", str(ticket_id)])
    with session_scope(db_url) as s:
        assert s.scalars(select(Ticket.closed_at).where(Ticket.id == ticket_id)).one() is not None
