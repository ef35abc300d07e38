"""Helpers every action shares: the customer's language and a safety net for failures.

`CRMAction` is the base for actions that touch the CRM: it opens one session per
request and turns any exception into an apology plus an offer of a human, so a
database outage never leaves the customer with silence.
"""

from __future__ import annotations

import asyncio
import logging
import re
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from crm_engine.db import session_scope

logger = logging.getLogger(__name__)

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

ERROR_RESPONSE = "utter_action_failed"


def detect_language(text: str | None) -> str:
    """'zh' when the text contains any Chinese character, else 'en'.

    Mixed messages such as "我的order到哪了" are Chinese customers writing a
    borrowed word, so any CJK character wins.
    """
    return "zh" if text and _CJK.search(text) else "en"


def language(tracker: Tracker) -> str:
    """The language to answer in: the `language` slot, else detected from the last message."""
    lang = tracker.get_slot("language")
    if lang in ("zh", "en"):
        return lang
    return detect_language(tracker.latest_message.get("text"))


def message_metadata(tracker: Tracker) -> dict[str, Any]:
    """Metadata the channel sent with the latest message (e.g. the web widget's auth token)."""
    return tracker.latest_message.get("metadata") or {}


class CRMAction(Action, ABC):
    """An action that talks to the CRM store; failures become an apology, never silence."""

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def act(
        self,
        session: Session,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[dict[str, Any]]:
        """Do the work inside one CRM session; return the events to apply."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        def work() -> list[dict[str, Any]]:
            with session_scope() as session:
                return self.act(session, dispatcher, tracker, domain)

        try:
            # Database calls block; a worker thread keeps other conversations moving.
            return await asyncio.to_thread(work)
        except Exception:
            logger.exception("action %s failed for conversation %s", self.name(), tracker.sender_id)
            dispatcher.utter_message(response=ERROR_RESPONSE)
            # The apology offers a colleague; this lets a "yes" reach the handoff rule.
            return [SlotSet("handoff_offered", True)]
