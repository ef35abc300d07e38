"""What every order form shares: asking for the order number and proving the order is the customer's.

Each goal (status, cancel, refund, …) has its own form; their validation
actions subclass `OrderFormValidation`, which fills `order_id` and then either
accepts the web widget's signed token (`metadata["auth_token"]`) or asks for
the last four phone digits. Only after that does a form ask its goal's own
questions (`goal_slots`). Verified order numbers are remembered in the
`verified_orders` slot, so a second goal on the same order is not asked again.
Goal actions subclass `OrderGoalAction`, which refuses to act on an order the
conversation has not verified, whatever path led there.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, TypeVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.common import ERROR_RESPONSE, CRMAction, language, message_metadata
from crm_engine.db import session_scope
from crm_engine.models import Order
from crm_engine.orders import OrderNotFoundError, find_order, normalize_order_number
from crm_engine.policy import shop_policy
from crm_engine.verification import failed_attempts, verify_phone_last4, verify_token

logger = logging.getLogger(__name__)

T = TypeVar("T")

VERIFIED_ORDERS = "verified_orders"
VERIFICATION_FAILED = "verification_failed"
# Questions of the individual goals; cleared when a goal ends so the next form
# asks afresh.
GOAL_SLOTS = (
    "confirm_cancel",
    "new_address",
    "return_item",
    "return_reason",
    "exchange_for",
    "invoice_title",
    "invoice_tax_id",
)
FORM_SLOTS = ("order_id", "phone_last4", *GOAL_SLOTS, VERIFICATION_FAILED)


def order_number(tracker: Tracker) -> str | None:
    value = tracker.get_slot("order_id")
    return normalize_order_number(value) if isinstance(value, str) else None


def verified_orders(tracker: Tracker) -> list[str]:
    value = tracker.get_slot(VERIFIED_ORDERS)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def is_verified(tracker: Tracker, number: str | None) -> bool:
    return number is not None and number in verified_orders(tracker)


def goal_message(tracker: Tracker, intent: str) -> str | None:
    """The text of the customer's latest message with `intent` (what started the goal)."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        parsed = event.get("parse_data") or {}
        if (parsed.get("intent") or {}).get("name") == intent:
            return event.get("text") or None
    return None


def reset_form_slots(tracker: Tracker) -> list[dict[str, Any]]:
    """Forget one goal's answers; who the customer is and which orders they proved stay.

    Only slots that hold something are reset: every event lengthens the tracker
    that each later turn reloads, sends to the action server and featurizes.
    """
    return [
        SlotSet(name, None)
        for name in (*FORM_SLOTS, "requested_slot")
        if tracker.get_slot(name) is not None
    ]


async def in_session(work: Callable[[Session], T]) -> T:
    """Run `work` in one CRM session in a worker thread (database calls block)."""

    def run() -> T:
        with session_scope() as session:
            return work(session)

    return await asyncio.to_thread(run)


def _verified_slots(tracker: Tracker, number: str, code: str, name: str) -> dict[str, Any]:
    return {
        VERIFIED_ORDERS: [*verified_orders(tracker), number],
        "customer_id": code,
        "customer_name": name,
    }


class OrderFormValidation(FormValidationAction, ABC):
    """Validation shared by every order form: order number, then proof of ownership, then the goal."""

    @abstractmethod
    def name(self) -> str: ...

    def goal_slots(self, session: Session, order: Order, tracker: Tracker) -> list[str]:
        """The goal's own questions for this verified order (none when the goal cannot proceed)."""
        return []

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        try:
            return await super().run(dispatcher, tracker, domain)
        except Exception:
            logger.exception("%s failed for conversation %s", self.name(), tracker.sender_id)
            dispatcher.utter_message(response=ERROR_RESPONSE)
            # Unvalidated answers must not count as given: the form asks again.
            return [SlotSet(name, None) for name in tracker.slots_to_validate()]

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if tracker.get_slot(VERIFICATION_FAILED):
            return []  # ends the form; the goal action explains and offers a person
        number = order_number(tracker)
        if number is None or not is_verified(tracker, number):
            return ["order_id", "phone_last4"]

        if type(self).goal_slots is OrderFormValidation.goal_slots:
            return ["order_id"]  # no goal questions: spare the database round trip

        def goals(session: Session) -> list[str]:
            order = find_order(session, number)
            return self.goal_slots(session, order, tracker) if order else []

        return ["order_id", *await in_session(goals)]

    async def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = normalize_order_number(value) if isinstance(value, str) else None
        if number is None:
            dispatcher.utter_message(response="utter_invalid_order_id")
            return {"order_id": None}
        token = message_metadata(tracker).get("auth_token")

        def check(session: Session) -> dict[str, Any] | None:
            order = find_order(session, number, details=False)
            if order is None:
                return None
            slots: dict[str, Any] = {"order_id": number}
            if is_verified(tracker, number):
                return slots
            if token:
                result = verify_token(session, number, token, conversation_id=tracker.sender_id)
                if result.customer is not None:
                    slots.update(
                        customer_id=result.customer.code, customer_name=result.customer.name
                    )
                if result.verified:
                    return slots | _verified_slots(
                        tracker, number, result.customer.code, result.customer.name
                    )
            limit = shop_policy().verification.max_attempts
            if failed_attempts(session, number) >= limit:
                slots[VERIFICATION_FAILED] = True
            return slots

        slots = await in_session(check)
        if slots is None:
            dispatcher.utter_message(response="utter_order_not_found", order_number=number)
            return {"order_id": None}
        return slots

    async def validate_phone_last4(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = order_number(tracker)
        if number is None or is_verified(tracker, number):
            return {"phone_last4": None}
        answer = value if isinstance(value, str) else str(value or "")
        result = await in_session(
            lambda session: verify_phone_last4(
                session, number, answer, conversation_id=tracker.sender_id
            )
        )
        if result.verified:
            dispatcher.utter_message(response="utter_verified", name=result.customer.name)
            return {"phone_last4": None} | _verified_slots(
                tracker, number, result.customer.code, result.customer.name
            )
        if result.outcome == "invalid_input":
            dispatcher.utter_message(response="utter_invalid_phone_last4")
        elif result.outcome == "mismatch":
            dispatcher.utter_message(
                response="utter_phone_mismatch", attempts_left=result.attempts_left
            )
        else:  # locked
            return {"phone_last4": None, VERIFICATION_FAILED: True}
        return {"phone_last4": None}


class ActionStopOrderForm(Action):
    """The customer said no, asked for a person or left in the middle of an order form:
    forget its answers. Only a "no" is answered here; a handoff or a goodbye is
    answered by the action that follows."""

    def name(self) -> str:
        return "action_stop_order_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        if (tracker.latest_message.get("intent") or {}).get("name") == "deny":
            dispatcher.utter_message(response="utter_order_form_stopped")
        return reset_form_slots(tracker)


class OrderGoalAction(CRMAction, ABC):
    """Carries out a goal on the verified order of the form that just finished."""

    @abstractmethod
    def achieve(
        self,
        session: Session,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        number: str,
        lang: str,
    ) -> list[dict[str, Any]]:
        """Do the goal for order `number` (verified); return events besides the slot reset."""

    def act(
        self,
        session: Session,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[dict[str, Any]]:
        number = order_number(tracker)
        if tracker.get_slot(VERIFICATION_FAILED) or not is_verified(tracker, number):
            dispatcher.utter_message(
                response="utter_verification_failed",
                lockout_minutes=shop_policy().verification.lockout_minutes,
            )
            return [*reset_form_slots(tracker), SlotSet("handoff_offered", True)]
        try:
            events = self.achieve(session, dispatcher, tracker, number, language(tracker))
        except OrderNotFoundError:
            dispatcher.utter_message(response="utter_order_not_found", order_number=number)
            events = []
        return [*reset_form_slots(tracker), *events]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        events = await super().run(dispatcher, tracker, domain)
        # CRMAction returns nothing after an apology; the goal is over either way.
        return events or reset_form_slots(tracker)
