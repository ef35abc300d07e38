import asyncio

import pytest
from sqlalchemy import select

from actions.feedback import (
    ActionSaveFeedback,
    ValidateFeedbackForm,
    declines,
    parse_rating,
    skips_comment,
)
from crm_engine.db import session_scope
from crm_engine.models import Feedback
from tests import factories
from tests.actions.conftest import assert_responses_exist, make_tracker, responses_of


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("5", 5), ("５", 5), ("3!", 3), ("给5吧", 5), ("五星", 5), ("五星好评", 5), ("四分", 4),
        ("三颗星", 3), ("两星", 2), ("五", 5), ("我给4分，物流有点慢", 4), ("满分！", 5),
        ("4 stars", 4), ("I'd give you four stars", 4), ("one star", 1), ("5/5", 5), ("Five", 5),
        ("⭐⭐⭐⭐", 4), ("★★★★★", 5),
    ],
)  # fmt: skip
def test_parse_rating_reads_how_customers_write_ratings(text, rating):
    assert parse_rating(text) == rating


@pytest.mark.parametrize(
    "text",
    ["👍", "挺好的", "一般", "great", "10分", "0", "6", "4.5", "物流慢了2天", "3 or 4 stars", "3星还是4星",
     "order SO10004821", "", None],
)  # fmt: skip
def test_parse_rating_refuses_what_is_not_one_clear_rating(text):
    assert parse_rating(text) is None


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [("不用了", None, True), ("不用了谢谢", None, True), ("no thanks!", None, True), ("Nope", None, True),
     ("算了吧", None, True), ("nah I'm good", "deny", True), ("5", None, False), ("好的", "affirm", False),
     ("no the delivery was late and the box was wet", "deny", False)],
)  # fmt: skip
def test_declines(text, intent, expected):
    assert declines(text, intent) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("没有", True), ("没有了。", True), ("无", True), ("no", True), ("Skip", True), ("nothing else", True),
     ("", True), ("客服很耐心", False), ("No complaints, very fast delivery", False)],
)  # fmt: skip
def test_skips_comment(text, expected):
    assert skips_comment(text) is expected


def form_tracker(text, intent="inform", requested="feedback_rating", slots=None):
    return make_tracker(
        text=text,
        intent=intent,
        slots={"requested_slot": requested, "feedback_asked": True, **(slots or {})},
        active_loop="feedback_form",
    )


def validate(tracker, dispatcher, domain):
    events = asyncio.run(ValidateFeedbackForm().run(dispatcher, tracker, domain))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


@pytest.mark.parametrize(("text", "rating"), [("五星", 5), ("4 stars", 4)])
def test_form_accepts_a_rating(dispatcher, domain, text, rating):
    assert validate(form_tracker(text), dispatcher, domain) == {"feedback_rating": rating}
    assert dispatcher.messages == []


@pytest.mark.parametrize("text", ["👍", "挺好的"])
def test_form_asks_again_with_a_hint_for_free_text(dispatcher, domain, text):
    assert validate(form_tracker(text), dispatcher, domain) == {"feedback_rating": None}
    assert responses_of(dispatcher) == ["utter_feedback_rating_invalid"]
    assert_responses_exist(dispatcher, domain)


@pytest.mark.parametrize(
    ("text", "intent"), [("不用了", "deny"), ("no thanks", "deny"), ("skip", "inform")]
)
def test_declining_to_rate_ends_the_form(dispatcher, domain, text, intent):
    assert validate(form_tracker(text, intent), dispatcher, domain) == {
        "feedback_rating": None,
        "requested_slot": None,
    }


def test_another_request_during_the_form_is_left_to_the_rules(dispatcher, domain):
    """Nothing extracted makes Rasa reject the form, so e.g. an order question gets answered."""
    assert validate(form_tracker("where is my order?", "order_status"), dispatcher, domain) == {}


@pytest.mark.parametrize(
    ("text", "comment"),
    [
        ("客服很耐心，点赞", "客服很耐心，点赞"),
        ("Delivery was quick", "Delivery was quick"),
        ("没有", ""),
        ("no", ""),
    ],
)
def test_form_takes_any_comment_or_a_skip(dispatcher, domain, text, comment):
    tracker = form_tracker(text, requested="feedback_comment", slots={"feedback_rating": 5})
    assert validate(tracker, dispatcher, domain) == {"feedback_comment": comment}


def test_starting_the_form_marks_feedback_as_asked_and_keeps_a_rating_already_given(
    dispatcher, domain
):
    tracker = make_tracker(
        text="I'd give you 5 stars", intent="provide_feedback", slots={"feedback_asked": False}
    )
    assert validate(tracker, dispatcher, domain) == {"feedback_rating": 5, "feedback_asked": True}
    thanks = make_tracker(
        text="thanks, 5 orders later still happy", intent="thanks", slots={"feedback_asked": False}
    )
    assert validate(thanks, type(dispatcher)(), domain) == {"feedback_asked": True}


def saved(db_url):
    with session_scope(db_url) as s:
        return [
            (f.conversation_id, f.rating, f.comment, f.language, f.customer_id)
            for f in s.scalars(select(Feedback).order_by(Feedback.id))
        ]


@pytest.mark.parametrize(
    ("text", "lang", "rating", "comment", "response"),
    [
        ("没有", "zh", 5, "", "utter_feedback_thanks"),
        ("Slow and unhelpful", "en", 2, "Slow and unhelpful", "utter_feedback_sorry"),
    ],
)
def test_save_feedback_stores_the_rating_and_thanks(
    db_url, dispatcher, domain, text, lang, rating, comment, response
):
    with session_scope(db_url) as s:
        cust = factories.customer(s, language=lang)
        code, cust_id = cust.code, cust.id
    tracker = make_tracker(
        text=text,
        slots={"feedback_rating": rating, "feedback_comment": comment, "customer_id": code},
        sender_id="conv-9",
    )
    events = asyncio.run(ActionSaveFeedback().run(dispatcher, tracker, domain))
    assert saved(db_url) == [("conv-9", rating, comment or None, lang, cust_id)]
    assert responses_of(dispatcher) == [response]
    assert {e["name"]: e["value"] for e in events} == {
        "feedback_rating": None,
        "feedback_comment": None,
        "feedback_asked": True,
    }
    assert_responses_exist(dispatcher, domain)


@pytest.mark.parametrize("text", ["不用了", "no thanks"])
def test_save_feedback_without_a_rating_stores_nothing(db_url, dispatcher, domain, text):
    tracker = make_tracker(text=text, slots={"feedback_rating": None})
    asyncio.run(ActionSaveFeedback().run(dispatcher, tracker, domain))
    assert saved(db_url) == []
    assert responses_of(dispatcher) == ["utter_feedback_declined"]
    assert_responses_exist(dispatcher, domain)
