"""End to end: the customer's mood changes the replies, the handoff priority and the records."""

from __future__ import annotations

import re

import pytest
import yaml
from sqlalchemy import create_engine, select

from crm_engine.models import Interaction, Ticket
from scripts.stack import ROOT, Conversation
from tests.e2e.test_conversation import _wait_for

RESPONSES = yaml.safe_load((ROOT / "domain" / "sentiment.yml").read_text(encoding="utf-8"))[
    "responses"
]


def text_of(response: str, language: str) -> str:
    for variation in RESPONSES[response]:
        if variation["condition"][0]["value"] == language:
            return variation["text"]
    raise KeyError(response, language)


ANGRY = {
    "zh": [
        "我的快递到现在还没到，太让人生气了！😡",
        "SO20000003 你们到底怎么回事，太差劲了！！！",
        "转人工",
    ],
    "en": [
        "my parcel STILL hasn't arrived, this is terrible 😡",
        "SO20000003 this is ridiculous, worst service ever!!!",
        "human",
    ],
}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_angry_customer_hears_empathy_then_is_offered_a_person_with_priority(stack, language):
    conv = Conversation(stack.rasa_url)
    first, second, ask_for_person = ANGRY[language]
    empathy, offer = (
        text_of("utter_empathy", language),
        text_of("utter_offer_human_upset", language),
    )

    reply = conv.say(first)
    assert reply and reply[0].startswith(empathy), reply
    assert offer not in " ".join(reply)

    reply = " ".join(conv.say(second))
    assert reply.startswith(empathy) and offer in reply, reply

    created = " ".join(conv.say(ask_for_person))
    match = re.search(r"#(\d+)", created)
    assert match, f"no ticket number in {created!r}"
    engine = create_engine(stack.env["CRM_DATABASE_URL"])
    with engine.connect() as db:
        ticket = db.execute(select(Ticket).where(Ticket.id == int(match.group(1)))).one()
    assert ticket.priority == "urgent" and ticket.conversation_id == conv.sender

    def logged_sentiments():
        with engine.connect() as db:
            rows = db.execute(
                select(Interaction.text, Interaction.sentiment_label).where(
                    Interaction.conversation_id == conv.sender, Interaction.direction == "user"
                )
            ).all()
        return len(rows) >= 3 and dict(rows)

    logged = _wait_for(logged_sentiments)
    assert logged and logged[first] == logged[second] == "negative", logged
    engine.dispose()


@pytest.mark.parametrize(
    ("message", "language"),
    [("你好，请问你们发什么快递？", "zh"), ("hi, which couriers do you use?", "en")],
)
def test_a_calm_question_gets_no_apology(stack, message, language):
    reply = " ".join(Conversation(stack.rasa_url).say(message))
    assert reply and text_of("utter_empathy", language) not in reply, reply
