from crm_engine.cli import main
from crm_engine.db import session_scope
from crm_engine.models import Ticket
from crm_engine.tickets import open_ticket
from tests import factories


def test_tickets_list_shows_open_tickets_with_customer_numbers(db_url, capsys):
    with session_scope(db_url) as s:
        cust = factories.customer(s)
        code = cust.code
        open_ticket(
            s,
            kind="handoff",
            reason="human_handoff: 转人工",
            conversation_id="web-1",
            customer_id=cust.id,
        )
        done = open_ticket(s, kind="complaint", reason="late parcel")
        done.status = "closed"
    assert main(["tickets", "list", "--status", "open"]) == 0
    out = capsys.readouterr().out
    assert "handoff" in out and code in out and "web-1" in out and "转人工" in out
    assert "late parcel" not in out


def test_tickets_list_says_when_there_are_none(db_url, capsys):
    assert main(["tickets", "list"]) == 0
    assert "No tickets." in capsys.readouterr().out


def test_tickets_close_closes_with_a_note_and_refuses_twice(db_url, capsys):
    with session_scope(db_url) as s:
        ticket_id = open_ticket(s, kind="complaint", reason="late").id
    assert main(["tickets", "close", str(ticket_id), "--note", "refunded shipping"]) == 0
    assert f"Ticket {ticket_id} (complaint) closed." in capsys.readouterr().out
    with session_scope(db_url) as s:
        t = s.get(Ticket, ticket_id)
        assert (t.status, t.resolution) == ("closed", "refunded shipping")
    assert main(["tickets", "close", str(ticket_id)]) == 2
    assert "already closed" in capsys.readouterr().err
