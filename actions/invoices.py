"""Invoice requests: the title, and the tax id when the title is a company's."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.verification import OrderFormValidation, OrderGoalAction, in_session, order_number
from crm_engine.invoices import (
    PERSONAL_TITLE,
    check_title,
    extract_tax_id,
    is_personal_title,
    request_invoice,
    tax_id_problem,
)
from crm_engine.models import Order
from crm_engine.orders import find_order
from crm_engine.policy import shop_policy


def _names(order: Order) -> tuple[str, ...]:
    return (order.shipping_name, order.customer.name)


class ValidateInvoiceForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_invoice_form"

    def goal_slots(self, session: Session, order: Order, tracker: Tracker) -> list[str]:
        if order.status not in shop_policy().invoices.eligible_statuses:
            return []  # the goal action explains why there is no invoice
        title = tracker.get_slot("invoice_title")
        if isinstance(title, str) and title and not is_personal_title(title, _names(order)):
            return ["invoice_title", "invoice_tax_id"]
        return ["invoice_title"]

    async def validate_invoice_title(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = order_number(tracker)

        def names(session: Session) -> tuple[str, ...]:
            order = find_order(session, number)
            return _names(order) if order else ()

        check = check_title(value if isinstance(value, str) else "", await in_session(names))
        if not check.ok:
            dispatcher.utter_message(response="utter_invalid_invoice_title")
            return {"invoice_title": None}
        return {"invoice_title": check.title}

    def validate_invoice_tax_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = value if isinstance(value, str) else ""
        if check_title(text).title == PERSONAL_TITLE:
            # "No tax id, make it personal": a personal invoice needs none.
            return {"invoice_title": PERSONAL_TITLE, "invoice_tax_id": None}
        tax_id = extract_tax_id(text)
        if not tax_id or tax_id_problem(tax_id):
            dispatcher.utter_message(response="utter_invalid_tax_id")
            return {"invoice_tax_id": None}
        return {"invoice_tax_id": tax_id}


class ActionRequestInvoice(OrderGoalAction):
    def name(self) -> str:
        return "action_request_invoice"

    def achieve(
        self,
        session: Session,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        number: str,
        lang: str,
    ) -> list[dict[str, Any]]:
        policy = shop_policy()
        title = tracker.get_slot("invoice_title")
        if not title:
            # The form did not ask: the order cannot have an invoice.
            order = find_order(session, number)
            status = order.status if order else "pending_payment"
            response = (
                "utter_invoice_not_eligible_unpaid"
                if status == "pending_payment"
                else "utter_invoice_not_eligible_closed"
            )
            dispatcher.utter_message(response=response, order_number=number)
            return []
        result = request_invoice(
            session,
            number,
            title=title,
            tax_id=tracker.get_slot("invoice_tax_id"),
            conversation_id=tracker.sender_id,
            policy=policy,
        )
        common = {"order_number": result.order_number}
        if result.outcome == "not_eligible":
            response = (
                "utter_invoice_not_eligible_unpaid"
                if result.order_status == "pending_payment"
                else "utter_invoice_not_eligible_closed"
            )
            dispatcher.utter_message(response=response, **common)
            return []
        invoice = result.invoice
        if result.outcome == "existing" and invoice.status != "requested":
            dispatcher.utter_message(
                response="utter_invoice_already_issued", **common, title=invoice.title
            )
            return [SlotSet("goal_resolved", True)]
        if result.outcome == "updated":
            dispatcher.utter_message(response="utter_invoice_updated", **common)
        if invoice.personal:
            dispatcher.utter_message(
                response="utter_invoice_requested_personal",
                **common,
                title=invoice.title,
                days=result.issue_within_days,
            )
        else:
            dispatcher.utter_message(
                response="utter_invoice_requested_company",
                **common,
                title=invoice.title,
                tax_id=invoice.tax_id,
                days=result.issue_within_days,
            )
        return [SlotSet("goal_resolved", True)]
