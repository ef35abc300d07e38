"""End-of-conversation feedback: read a 1-5 rating and an optional comment, then store them.

Ratings come as customers write them: "5", "５分", "五星", "4 stars", "four",
"⭐⭐⭐⭐", "满分". Anything else gets a hint and the question again; "不用了" or
"no thanks" ends the form without a rating.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.common import CRMAction, language
from actions.handoff import customer_of
from crm_engine.feedback import record_feedback

_ZH_NUMBERS = {"一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5}
_EN_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_STARS = "⭐★🌟"
_TOP_MARKS = ("满分", "full marks", "top marks")

# A digit or number word followed by a rating unit: "4分", "五颗星", "4 stars", "5/5".
_WITH_UNIT = re.compile(
    r"(?<![\d.])([1-5]|[一二两俩三四五]|one|two|three|four|five)\s*"
    r"(?:颗星|星|分|stars?\b|points?\b|/\s*5|out of 5|out of five)"
)
_DIGIT = re.compile(r"(?<![\d.])([1-5])(?![\d.])")
_ANY_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_BARE_DIGIT_MAX_CHARS = 4

# Messages (after normalising) that mean "no rating" / "no comment"; a message
# starting with a decline prefix ("不用了谢谢", "no thanks, bye") declines too.
_DECLINES = {"不了", "no", "nope", "pass", "nah"}
_DECLINE_PREFIXES = ("不用", "算了", "不想", "不评", "跳过", "下次", "no thank", "not now", "skip")
_NO_COMMENT = {
    "没有", "没有了", "没了", "无", "没什么", "没啥", "没", "就这样", "没意见", "挺好", "都挺好",
    "none", "nothing", "no comment", "no comments", "n/a", "na", "nothing else", "all good",
}  # fmt: skip
# A "no" the NLU recognised (intent deny) counts only in a short message; a long
# one is a comment that happens to start with "no".
_SHORT_DENY = 12
# Intents that can be an answer to "rate us 1-5"; others are a new request the
# rules should answer, so the form lets them through (rejects) instead.
_ANSWER_INTENTS = {
    None, "inform", "provide_feedback", "affirm", "deny", "thanks", "goodbye", "greet",
    "nlu_fallback", "out_of_scope",
}  # fmt: skip

MAX_COMMENT_CHARS = 2000


def _normalise(text: str) -> str:
    """NFKC (full-width digits and letters), lower case, no surrounding punctuation."""
    text = unicodedata.normalize("NFKC", text).lower().strip()
    return text.strip(" \t\n.,!?;:~。，！？；：～、…'\"“”‘’()（）")


def _number(token: str) -> int:
    return int(token) if token.isdigit() else _ZH_NUMBERS.get(token) or _EN_NUMBERS[token]


def parse_rating(text: str | None) -> int | None:
    """The 1-5 rating in `text`, or None when there is none or it is ambiguous."""
    if not text:
        return None
    raw = unicodedata.normalize("NFKC", text)
    # NFKC turns ⭐ into itself but ★ stays; count stars before lower-casing.
    stars = sum(raw.count(star) for star in _STARS)
    if 1 <= stars <= 5 and not _ANY_DIGITS.search(raw):
        return stars
    norm = _normalise(raw)
    if any(mark in norm for mark in _TOP_MARKS):
        return 5
    with_unit = {_number(m) for m in _WITH_UNIT.findall(norm)}
    if with_unit:
        # "3 or 4 stars" names two ratings: ask again rather than guess.
        others = {int(d) for d in _DIGIT.findall(norm)} | {
            _EN_NUMBERS[w] for w in re.findall(r"[a-z]+", norm) if w in _EN_NUMBERS
        }
        return with_unit.pop() if len(with_unit | others) == 1 else None
    if norm in _ZH_NUMBERS:
        return _ZH_NUMBERS[norm]
    if norm in _EN_NUMBERS:
        return _EN_NUMBERS[norm]
    # A bare digit only in a short answer ("5", "给5", "5吧"): in "物流慢了2天" it is not a rating.
    numbers = _ANY_DIGITS.findall(norm)
    if len(norm) <= _BARE_DIGIT_MAX_CHARS and len(numbers) == 1 and _DIGIT.fullmatch(numbers[0]):
        return int(numbers[0])
    return None


def _is_decline(norm: str, intent: str | None) -> bool:
    return (
        norm in _DECLINES
        or norm.startswith(_DECLINE_PREFIXES)
        or (intent == "deny" and len(norm) <= _SHORT_DENY)
    )


def declines(text: str | None, intent: str | None = None) -> bool:
    """The customer does not want to rate."""
    return _is_decline(_normalise(text or ""), intent)


def skips_comment(text: str | None, intent: str | None = None) -> bool:
    """The customer has nothing to add."""
    norm = _normalise(text or "")
    return not norm or norm in _NO_COMMENT or _is_decline(norm, intent)


def _latest(tracker: Tracker) -> tuple[str, str | None]:
    message = tracker.latest_message or {}
    return message.get("text") or "", (message.get("intent") or {}).get("name")


class ValidateFeedbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_feedback_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        asked_before = tracker.get_slot("feedback_asked")
        events = await super().run(dispatcher, tracker, domain)
        if not asked_before:
            # Set when the form starts, so an abandoned form is not asked again either.
            events.append(SlotSet("feedback_asked", True))
        return events

    def extract_feedback_rating(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text, intent = _latest(tracker)
        requested = tracker.get_slot("requested_slot")
        rating = parse_rating(text)
        if requested is None:
            # Starting the form: "I'd give you 5 stars" already answers the question.
            return {"feedback_rating": rating} if intent == "provide_feedback" and rating else {}
        if requested != "feedback_rating":
            return {}
        if rating is not None:
            return {"feedback_rating": rating}
        if intent not in _ANSWER_INTENTS:
            return {}
        return {"feedback_rating": text}  # not a rating: validate_feedback_rating decides

    def validate_feedback_rating(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
            return {"feedback_rating": value}
        text, intent = _latest(tracker)
        if declines(text, intent):
            return {"feedback_rating": None, "requested_slot": None}
        dispatcher.utter_message(response="utter_feedback_rating_invalid")
        return {"feedback_rating": None}

    def extract_feedback_comment(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "feedback_comment":
            return {}
        text, _ = _latest(tracker)
        # Any text answers "anything to tell us?": complaints are welcome comments here.
        return {"feedback_comment": text}

    def validate_feedback_comment(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        text, intent = _latest(tracker)
        if value is None or skips_comment(str(value), intent):
            return {"feedback_comment": ""}
        return {"feedback_comment": str(value).strip()[:MAX_COMMENT_CHARS]}


class ActionSaveFeedback(CRMAction):
    """Runs when feedback_form ends: store the rating (if any) and thank the customer."""

    def name(self) -> str:
        return "action_save_feedback"

    def act(
        self,
        session: Session,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[dict[str, Any]]:
        rating = tracker.get_slot("feedback_rating")
        events = [
            SlotSet("feedback_rating", None),
            SlotSet("feedback_comment", None),
            SlotSet("feedback_asked", True),
        ]
        if rating is None:
            dispatcher.utter_message(response="utter_feedback_declined")
            return events
        record_feedback(
            session,
            conversation_id=tracker.sender_id,
            rating=int(rating),
            comment=tracker.get_slot("feedback_comment") or None,
            language=language(tracker),
            customer_id=customer_of(session, tracker),
        )
        dispatcher.utter_message(
            response="utter_feedback_sorry" if int(rating) <= 2 else "utter_feedback_thanks"
        )
        return events
