"""Responses that notice how the customer feels (endpoints.yml `nlg: type: bot.nlg.EmpatheticNLG`).

Rasa renders every response the bot sends, from rules, stories, forms and custom
actions alike, through one natural-language generator. This one is Rasa's own
templated generator plus two touches driven by the `sentiment` that
bot/sentiment.py adds to each parsed message:

- the first reply to a negative message opens with an empathetic sentence
  (`utter_empathy`) in the customer's language, before the answer itself;
- when that message is the second negative one in a row, the reply ends with an
  offer of a person (`utter_offer_human_upset`); action_human_handoff then raises
  the ticket's priority from the same streak (actions/handoff.py).

Doing it here rather than as rules keeps every answer rule of the assistant as it
is (a rule per intent and mood would double them) and costs no extra round trip
to the action server. A response that is itself an apology or a hand-over is
left alone, so the customer never reads two apologies in a row.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

EMPATHY_RESPONSE = "utter_empathy"
OFFER_RESPONSE = "utter_offer_human_upset"
# Negative messages in a row after which a person is offered.
OFFER_AFTER_NEGATIVE = 2
# Responses that already acknowledge the customer's feelings or hand them over.
ALREADY_EMPATHETIC = frozenset(
    {
        "utter_action_failed",
        "utter_complaint_received",
        "utter_complaint_received_priority",
        "utter_handoff_created",
        "utter_handoff_created_priority",
        "utter_handoff_existing",
        "utter_offer_human",
        "utter_default",
        EMPATHY_RESPONSE,
        OFFER_RESPONSE,
    }
)
# Conversations whose current message was already acknowledged; bounded so a
# long-running server does not grow without limit.
MAX_REMEMBERED = 10_000


def sentiment_label(event: UserUttered) -> str:
    """'positive', 'neutral' or 'negative'; a message without one (a button) is neutral."""
    sentiment = (event.parse_data or {}).get("sentiment") or {}
    return sentiment.get("label") or "neutral"


def session_user_messages(tracker: DialogueStateTracker) -> Iterator[UserUttered]:
    """The customer's messages of the current session, newest first."""
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted):
            return
        if isinstance(event, UserUttered):
            yield event


def negative_streak(tracker: DialogueStateTracker) -> int:
    """How many of the latest messages in a row are negative."""
    streak = 0
    for event in session_user_messages(tracker):
        if sentiment_label(event) != "negative":
            break
        streak += 1
    return streak


def replied_since_latest_message(tracker: DialogueStateTracker) -> bool:
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered):
            return True
    return False


class EmpatheticNLG(TemplatedNaturalLanguageGenerator):
    def __init__(
        self, endpoint_config: EndpointConfig | None = None, domain: Domain | None = None
    ) -> None:
        super().__init__((domain or Domain.empty()).responses)
        # sender id -> id of the message already acknowledged. A custom action
        # sends all its responses against the same tracker, so the tracker alone
        # cannot tell its first response from its second.
        self._acknowledged: OrderedDict[str, str] = OrderedDict()

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        response = await super().generate(utter_action, tracker, output_channel, **kwargs)
        if not response or not response.get("text") or utter_action in ALREADY_EMPATHETIC:
            return response
        if not self._first_reply_to_negative(tracker):
            return response
        slots = tracker.current_slot_values()
        parts = [self._text(EMPATHY_RESPONSE, slots, output_channel), response["text"]]
        if negative_streak(tracker) == OFFER_AFTER_NEGATIVE:
            parts.append(self._text(OFFER_RESPONSE, slots, output_channel))
        separator = "" if slots.get("language") == "zh" else " "
        return {**response, "text": separator.join(p for p in parts if p)}

    def _first_reply_to_negative(self, tracker: DialogueStateTracker) -> bool:
        latest = tracker.latest_message
        if not isinstance(latest, UserUttered) or sentiment_label(latest) != "negative":
            return False
        if replied_since_latest_message(tracker):
            return False
        marker = latest.message_id or str(latest.timestamp)
        if self._acknowledged.get(tracker.sender_id) == marker:
            return False
        self._acknowledged[tracker.sender_id] = marker
        self._acknowledged.move_to_end(tracker.sender_id)
        while len(self._acknowledged) > MAX_REMEMBERED:
            self._acknowledged.popitem(last=False)
        return True

    def _text(self, utter_action: str, slots: dict[str, Any], output_channel: str) -> str:
        rendered = self.generate_from_slots(utter_action, slots, output_channel)
        if not rendered:
            logger.warning("response %s is missing from the domain", utter_action)
            return ""
        return rendered.get("text") or ""
