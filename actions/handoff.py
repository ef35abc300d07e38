"""Handing the conversation to a person, and what the conversation tells that person.

`action_human_handoff` queues a handoff ticket and pauses the conversation
(`ConversationPaused`): Rasa keeps logging the customer's messages but stops
answering until the staff console closes the ticket and resumes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.common import CRMAction, language
from actions.personalisation import priority_tier
from crm_engine.interactions import conversation_customer_id
from crm_engine.tickets import (
    PrioritySignals,
    expected_wait_minutes,
    open_handoff_ticket,
    ticket_priority,
)

# How many of the customer's latest messages a ticket quotes for staff.
QUOTED_TURNS = 3
# How many of the latest messages a run of negative ones is looked for in.
RECENT_MOOD_TURNS = 5


def user_turns(tracker: Tracker) -> Iterator[dict[str, Any]]:
    """The customer's messages of the current session, newest first."""
    for event in reversed(tracker.events):
        if event.get("event") == "session_started":
            return
        if event.get("event") == "user":
            yield event


def describe_turns(tracker: Tracker, limit: int = QUOTED_TURNS) -> str:
    """The latest messages as '[intent] text' lines, oldest first, for a ticket's reason."""
    lines = []
    for event in user_turns(tracker):
        text = " ".join((event.get("text") or "").split())
        if not text:
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or "?"
        lines.append(f"[{intent}] {text}")
        if len(lines) == limit:
            break
    return "\n".join(reversed(lines))


def sentiment_label(user_event: dict[str, Any]) -> str:
    """The message's sentiment label; one without (a button payload) is neutral."""
    sentiment = (user_event.get("parse_data") or {}).get("sentiment") or {}
    return sentiment.get("label") or "neutral"


def priority_signals(tracker: Tracker) -> PrioritySignals:
    """Urgency read from the session: a complaint, or a recent message tagged negative."""
    turns = list(user_turns(tracker))
    intents = [((t.get("parse_data") or {}).get("intent") or {}).get("name") for t in turns]
    sentiments = [sentiment_label(t) for t in turns[:QUOTED_TURNS]]
    # The request for a person ("yes", "human") is usually calm itself, so the
    # streak is the longest run of negatives among the latest messages.
    streak = longest = 0
    for turn in turns[:RECENT_MOOD_TURNS]:
        streak = streak + 1 if sentiment_label(turn) == "negative" else 0
        longest = max(longest, streak)
    return PrioritySignals(
        complained="complaint" in intents,
        negative_sentiment="negative" in sentiments,
        negative_streak=longest,
    )


def customer_of(session: Session, tracker: Tracker) -> int | None:
    """The CRM id of the customer in this conversation, if known."""
    return conversation_customer_id(
        session,
        conversation_id=tracker.sender_id,
        customer_code=tracker.get_slot("customer_id"),
        channel=tracker.get_latest_input_channel(),
    )


class ActionHumanHandoff(CRMAction):
    def name(self) -> str:
        return "action_human_handoff"

    def act(
        self,
        session: Session,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[dict[str, Any]]:
        reason = "Customer asked for a person. Latest messages:\n" + (
            describe_turns(tracker) or "(none)"
        )
        customer_id = customer_of(session, tracker)
        tier, tier_name = priority_tier(session, customer_id, language(tracker))
        ticket, created = open_handoff_ticket(
            session,
            conversation_id=tracker.sender_id,
            reason=reason,
            priority=ticket_priority(replace(priority_signals(tracker), tier=tier)),
            customer_id=customer_id,
        )
        if created and tier_name:
            dispatcher.utter_message(
                response="utter_handoff_created_priority",
                ticket_id=ticket.id,
                wait_minutes=expected_wait_minutes(session, ticket),
                tier=tier_name,
            )
        else:
            dispatcher.utter_message(
                response="utter_handoff_created" if created else "utter_handoff_existing",
                ticket_id=ticket.id,
                wait_minutes=expected_wait_minutes(session, ticket),
            )
        events: list[dict[str, Any]] = [
            SlotSet("handoff_offered", False),
            SlotSet("fallback_count", 0),
        ]
        if tracker.active_loop_name:
            # The person takes over whatever the form was collecting.
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        return [*events, ConversationPaused()]


class ActionDeclineHandoff(Action):
    """The customer said no to a person: withdraw the offer and carry on."""

    def name(self) -> str:
        return "action_decline_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_handoff_declined")
        return [SlotSet("handoff_offered", False), SlotSet("fallback_count", 0)]
