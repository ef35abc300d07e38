"""Payment problems: paid or not, pending, charged twice."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.order_format import method_name, money, time_text
from actions.verification import OrderFormValidation, OrderGoalAction
from crm_engine.payments import diagnose_payment
from crm_engine.policy import shop_policy


class ValidatePaymentIssueForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_payment_issue_form"


class ActionPaymentIssue(OrderGoalAction):
    def name(self) -> str:
        return "action_payment_issue"

    def achieve(
        self,
        session: Session,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        number: str,
        lang: str,
    ) -> list[dict[str, Any]]:
        policy = shop_policy()
        result = diagnose_payment(session, number, conversation_id=tracker.sender_id, policy=policy)
        common = {"order_number": result.order_number}
        method = method_name(result.method, lang, policy)
        if result.outcome == "double_charged":
            days = policy.refunds.processing_days.get(result.method or "")
            dispatcher.utter_message(
                response="utter_payment_double_charged",
                **common,
                duplicate_amount=money(result.duplicate_amount),
                ticket_id=result.ticket_id,
                method=method,
                min_days=days.min if days else "-",
                max_days=days.max if days else "-",
            )
        elif result.outcome == "paid":
            dispatcher.utter_message(
                response="utter_payment_received",
                **common,
                amount=money(result.paid_amount),
                method=method,
                paid_date=time_text(result.paid_at, policy),
            )
        elif result.outcome == "pending" and result.pending_overdue:
            dispatcher.utter_message(
                response="utter_payment_pending_overdue", **common, ticket_id=result.ticket_id
            )
        elif result.outcome == "pending":
            dispatcher.utter_message(
                response="utter_payment_pending",
                **common,
                method=method,
                minutes=policy.payments.pending_confirmation_minutes,
            )
        elif result.outcome == "unpaid":
            dispatcher.utter_message(
                response="utter_payment_unpaid",
                **common,
                total=money(result.total),
                pay_by=time_text(result.pay_by, policy),
            )
        elif result.outcome == "refunded":
            dispatcher.utter_message(response="utter_payment_refunded", **common)
        else:  # closed_unpaid
            dispatcher.utter_message(response="utter_payment_closed_unpaid", **common)
        return [SlotSet("goal_resolved", True)]
