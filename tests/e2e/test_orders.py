"""End to end through the REST channel: the order flows change the CRM as the customer asked.

Uses the demo shop's fixed showcase orders (crm_engine/demo_showcase.py): 张伟's phone
ends in 8000, Emma Wilson's in 0123.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, func, select

from crm_engine.models import Order, Refund
from scripts.stack import Conversation

CJK = re.compile(r"[\u4e00-\u9fff]")


def _scalar(stack, query):
    engine = create_engine(stack.env["CRM_DATABASE_URL"])
    try:
        with engine.connect() as db:
            return db.execute(query).scalar()
    finally:
        engine.dispose()


def _order_status(stack, number: str) -> str:
    return _scalar(stack, select(Order.status).where(Order.number == number))


def _refund_count(stack, number: str) -> int:
    return _scalar(stack, select(func.count(Refund.id)).join(Order).where(Order.number == number))


def test_chinese_customer_checks_where_an_order_is(stack):
    conv = Conversation(stack.rasa_url)
    asked = " ".join(conv.say("我的订单SO20000003到哪了"))
    assert "SO20000003" not in asked or "后四位" in asked, (
        "nothing is disclosed before verification"
    )
    answer = " ".join(conv.say("8000"))
    assert "SO20000003" in answer and CJK.search(answer), answer
    assert "顺丰" in answer or "SF" in answer, "the courier and tracking are shown"


def test_wrong_phone_digits_disclose_nothing(stack):
    conv = Conversation(stack.rasa_url)
    conv.say("where is my order SO20000013")
    reply = " ".join(conv.say("1111"))
    assert "JD" not in reply and "jd" not in reply.lower().split(), reply
    assert _order_status(stack, "SO20000013") == "shipped"


def test_chinese_customer_cancels_an_order_before_shipment(stack):
    conv = Conversation(stack.rasa_url)
    conv.say("帮我取消订单SO20000001")
    confirm = " ".join(conv.say("8000"))
    assert CJK.search(confirm), confirm
    assert _order_status(stack, "SO20000001") == "processing", "nothing changes before the yes"
    done = " ".join(conv.say("是的，取消吧"))
    assert _order_status(stack, "SO20000001") == "cancelled", done
    assert "SO20000001" in done


def test_shipped_order_cannot_be_cancelled(stack):
    conv = Conversation(stack.rasa_url)
    conv.say("cancel my order SO20000013 please")
    reply = " ".join(conv.say("0123"))
    assert _order_status(stack, "SO20000013") == "shipped"
    assert "return" in reply.lower(), "a return is offered instead"


def test_english_customer_opens_exactly_one_refund(stack):
    conv = Conversation(stack.rasa_url)
    conv.say("I want a refund for order SO20000011")
    first = " ".join(conv.say("0123"))
    assert "refund" in first.lower() and not CJK.search(first), first
    assert _refund_count(stack, "SO20000011") == 1
    assert _order_status(stack, "SO20000011") == "cancelled", (
        "refunding an unshipped order cancels it"
    )

    again = " ".join(conv.say("I want a refund for SO20000011"))
    assert _refund_count(stack, "SO20000011") == 1, (
        f"asking twice must not create a second refund: {again}"
    )


@pytest.mark.xfail(
    strict=False,
    reason="known defect: with the tuned NLU model an unknown order number in the first message "
    "can end in the core fallback ('not sure how to continue') instead of the form's "
    "utter_order_not_found; the action-level tests cover the reply itself",
)
def test_unknown_order_number_gets_a_helpful_reply(stack):
    conv = Conversation(stack.rasa_url)
    reply = " ".join(conv.say("where is my order SO99999999"))
    assert reply and "SO99999999" in reply, reply
