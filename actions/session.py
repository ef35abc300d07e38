"""A new conversation session that stays with the person a customer was handed to.

Rasa starts a new session after `session_expiration_time` minutes of silence, and
its `SessionStarted` event clears the paused state: a customer who was handed to
a person, waited an hour and wrote again would be answered by the bot while the
ticket is still open. This `action_session_start` does what Rasa's own does
(carry the slots over, as `session_config` asks) and pauses the new session
again while the conversation has an open handoff ticket.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.verification import in_session
from crm_engine.tickets import find_open_ticket

logger = logging.getLogger(__name__)


def has_open_handoff(session: Session, conversation_id: str) -> bool:
    return find_open_ticket(session, conversation_id=conversation_id, kind="handoff") is not None


def carried_over_slots(tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
    """The slots that hold something, when the domain carries slots over to new sessions."""
    if not (domain.get("session_config") or {}).get("carry_over_slots_to_new_session", True):
        return []
    return [SlotSet(name, value) for name, value in tracker.slots.items() if value is not None]


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        events = [SessionStarted(), *carried_over_slots(tracker, domain)]
        try:
            paused = await in_session(lambda session: has_open_handoff(session, tracker.sender_id))
        except Exception:
            # The session must start either way; answering is the lesser harm.
            logger.exception("open-ticket check failed for conversation %s", tracker.sender_id)
            paused = False
        if paused:
            events.append(ConversationPaused())
        return [*events, ActionExecuted("action_listen")]
