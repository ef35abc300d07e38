"""Complaints: apologise, record a complaint ticket, then offer a person (see the rules)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.common import CRMAction, language
from actions.handoff import customer_of, describe_turns, priority_signals
from actions.personalisation import priority_tier
from crm_engine.tickets import PrioritySignals, open_complaint_ticket, ticket_priority


class ActionLogComplaint(CRMAction):
    def name(self) -> str:
        return "action_log_complaint"

    def act(
        self,
        session: Session,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[dict[str, Any]]:
        quoted = describe_turns(tracker) or (tracker.latest_message.get("text") or "(no text)")
        reason = f"Customer complained. Latest messages:\n{quoted}"
        customer_id = customer_of(session, tracker)
        tier, tier_name = priority_tier(session, customer_id, language(tracker))
        # Complaining is the reason for this ticket, not extra urgency; sentiment
        # and the customer's value tier are.
        signals = PrioritySignals(
            negative_sentiment=priority_signals(tracker).negative_sentiment, tier=tier
        )
        order_number = next(tracker.get_latest_entity_values("order_id"), None) or tracker.get_slot(
            "order_id"
        )
        ticket = open_complaint_ticket(
            session,
            conversation_id=tracker.sender_id,
            reason=reason,
            priority=ticket_priority(signals),
            customer_id=customer_id,
            order_number=order_number,
        )
        if tier_name:
            dispatcher.utter_message(
                response="utter_complaint_received_priority", ticket_id=ticket.id, tier=tier_name
            )
        else:
            dispatcher.utter_message(response="utter_complaint_received", ticket_id=ticket.id)
        return [SlotSet("handoff_offered", True)]
