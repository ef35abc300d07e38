"""EmpatheticNLG: empathy before the answer to a negative message, a person offered on the second."""

from __future__ import annotations

import asyncio

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.nlg import EmpatheticNLG, negative_streak
from tests.bot.conftest import ROOT

DOMAIN = Domain.load(str(ROOT / "domain"))


def said(text: str, label: str, message_id: str, intent: str = "order_status") -> UserUttered:
    return UserUttered(
        text,
        {"name": intent, "confidence": 0.99},
        parse_data={
            "intent": {"name": intent, "confidence": 0.99},
            "entities": [],
            "sentiment": {"label": label, "confidence": 0.9},
        },
        message_id=message_id,
    )


def tracker(*events, language: str = "en", sender: str = "c1") -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            SlotSet("language", language),
            *events,
        ],
        slots=DOMAIN.slots,
    )


def render(nlg: EmpatheticNLG, utter_action: str, t: DialogueStateTracker) -> str:
    return asyncio.run(nlg.generate(utter_action, t, "rest"))["text"]


def plain(utter_action: str, language: str) -> str:
    return asyncio.run(
        EmpatheticNLG(domain=DOMAIN).generate(utter_action, tracker(language=language), "rest")
    )["text"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_negative_message_gets_empathy_before_the_answer(language):
    nlg = EmpatheticNLG(domain=DOMAIN)
    t = tracker(
        said("where is my order?! this is ridiculous 😡", "negative", "m1"), language=language
    )
    text = render(nlg, "utter_ask_order_id", t)
    empathy, answer = plain("utter_empathy", language), plain("utter_ask_order_id", language)
    assert text.startswith(empathy)
    assert text.endswith(answer)
    assert plain("utter_offer_human_upset", language) not in text


@pytest.mark.parametrize("label", ["neutral", "positive"])
def test_calm_messages_get_the_plain_answer(label):
    t = tracker(said("where is my order", label, "m1"))
    assert render(EmpatheticNLG(domain=DOMAIN), "utter_ask_order_id", t) == plain(
        "utter_ask_order_id", "en"
    )


def test_only_the_first_reply_of_a_turn_is_prefixed():
    nlg = EmpatheticNLG(domain=DOMAIN)
    t = tracker(said("this is awful", "negative", "m1"))
    first = render(nlg, "utter_ask_order_id", t)
    # A custom action sends several responses against the same tracker.
    second = render(nlg, "utter_ask_order_id", t)
    assert first != second == plain("utter_ask_order_id", "en")
    # The next action of the turn sees the first reply in the tracker.
    t.update(BotUttered(first))
    assert render(EmpatheticNLG(domain=DOMAIN), "utter_ask_order_id", t) == second


@pytest.mark.parametrize(
    "utter_action", ["utter_complaint_received", "utter_complaint_received_priority"]
)
def test_responses_that_already_apologise_are_left_alone(utter_action):
    t = tracker(said("you are useless", "negative", "m1", intent="complaint"))
    response = asyncio.run(
        EmpatheticNLG(domain=DOMAIN).generate(utter_action, t, "rest", ticket_id=7, tier="VIP")
    )
    assert plain("utter_empathy", "en") not in response["text"]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_second_negative_message_in_a_row_offers_a_person(language):
    nlg = EmpatheticNLG(domain=DOMAIN)
    t = tracker(
        said("still not here, terrible", "negative", "m1"),
        BotUttered("..."),
        said("SO20000003 hurry up!!!", "negative", "m2", intent="inform"),
        language=language,
    )
    text = render(nlg, "utter_ask_phone_last4", t)
    assert text.startswith(plain("utter_empathy", language))
    assert text.endswith(plain("utter_offer_human_upset", language))


def test_a_calm_message_in_between_resets_the_streak():
    t = tracker(
        said("terrible", "negative", "m1"),
        said("ok SO20000003", "neutral", "m2"),
        said("why so slow!!", "negative", "m3"),
    )
    assert negative_streak(t) == 1
    assert plain("utter_offer_human_upset", "en") not in render(
        EmpatheticNLG(domain=DOMAIN), "utter_ask_order_id", t
    )


def test_the_streak_counts_only_the_current_session():
    t = tracker(said("terrible", "negative", "m1"))
    t.update(ActionExecuted("action_session_start"))
    t.update(SessionStarted())
    t.update(said("awful", "negative", "m2"))
    assert negative_streak(t) == 1


def test_a_button_payload_without_sentiment_counts_as_neutral():
    event = UserUttered("/affirm", {"name": "affirm", "confidence": 1.0}, message_id="m1")
    t = tracker(said("awful", "negative", "m0"), event)
    assert negative_streak(t) == 0
    assert render(EmpatheticNLG(domain=DOMAIN), "utter_ask_order_id", t) == plain(
        "utter_ask_order_id", "en"
    )
