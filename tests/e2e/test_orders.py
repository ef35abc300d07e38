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


@pytest.mark.parametrize(
    "message", ["where is my order SO99999999", "我的订单SO99999999到哪了", "SO99999999"]
)
def test_unknown_order_number_gets_a_helpful_reply(stack, message):
    conv = Conversation(stack.rasa_url)
    reply = " ".join(conv.say(message))
    assert "SO99999999" in reply, reply
    assert "rephrase" not in reply and "换个说法" not in reply, "not the fallback"


@pytest.mark.parametrize(("number", "phone"), [("SO20000013", "0123"), ("SO20000003", "8000")])
def test_a_bare_order_number_is_looked_up_after_verification(stack, number, phone):
    conv = Conversation(stack.rasa_url)
    asked = " ".join(conv.say(number))
    assert "4" in asked or "四" in asked, f"the last 4 phone digits are asked for: {asked}"
    answer = " ".join(conv.say(phone))
    assert number in answer and "rephrase" not in answer, answer


@pytest.mark.parametrize(
    ("question", "thanks", "welcome"),
    [("where is my order", "thanks", "welcome"), ("我要退款", "谢谢", "不客气")],
)
def test_thanks_instead_of_an_order_number_ends_the_form_kindly(stack, question, thanks, welcome):
    conv = Conversation(stack.rasa_url)
    conv.say(question)
    reply = " ".join(conv.say(thanks))
    assert welcome in reply.lower(), reply
    assert "order number" not in reply.lower() and "订单号" not in reply, "the form is over"
