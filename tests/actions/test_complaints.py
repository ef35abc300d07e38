import asyncio

import pytest
from sqlalchemy import select

from actions.complaints import ActionLogComplaint
from crm_engine.db import session_scope
from crm_engine.models import Ticket
from tests import factories
from tests.actions.conftest import assert_responses_exist, make_tracker, responses_of


@pytest.mark.parametrize(
    ("text", "lang"),
    [("快递员态度太差了，我要投诉", "zh"), ("Your courier threw my parcel over the fence!", "en")],
)
def test_complaint_apologises_records_a_ticket_and_offers_a_person(
    db_url, dispatcher, domain, text, lang
):
    with session_scope(db_url) as s:
        cust = factories.customer(s, language=lang)
        code, cust_id = cust.code, cust.id
    tracker = make_tracker(
        text=text, intent="complaint", slots={"customer_id": code}, sender_id="c-1"
    )
    events = asyncio.run(ActionLogComplaint().run(dispatcher, tracker, domain))

    with session_scope(db_url) as s:
        ticket = s.scalars(select(Ticket)).one()
        assert (ticket.kind, ticket.status, ticket.priority) == ("complaint", "open", "normal")
        assert (ticket.conversation_id, ticket.customer_id, ticket.order_id) == (
            "c-1",
            cust_id,
            None,
        )
        assert text in ticket.reason
        ticket_id = ticket.id
    assert responses_of(dispatcher) == ["utter_complaint_received"]
    assert dispatcher.messages[0]["ticket_id"] == ticket_id
    assert events == [
        {"event": "slot", "timestamp": None, "name": "handoff_offered", "value": True}
    ]
    assert_responses_exist(dispatcher, domain)


def test_complaint_naming_an_order_is_linked_to_it_and_anger_raises_priority(
    db_url, dispatcher, domain
):
    with session_scope(db_url) as s:
        order_id = factories.order(s, number="SO77700001").id
    text = "订单SO77700001的衣服是破的！"
    parse = {
        "text": text,
        "intent": {"name": "complaint", "confidence": 0.95},
        "entities": [{"entity": "order_id", "value": "SO77700001"}],
        "sentiment": {"label": "negative", "confidence": 0.97},
    }
    tracker = make_tracker(
        text=text,
        intent="complaint",
        entities=parse["entities"],
        events=[{"event": "user", "text": text, "parse_data": parse, "input_channel": "rest"}],
    )
    asyncio.run(ActionLogComplaint().run(dispatcher, tracker, domain))
    with session_scope(db_url) as s:
        ticket = s.scalars(select(Ticket)).one()
        assert (ticket.order_id, ticket.priority) == (order_id, "high")
