"""Asking for a refund and asking where a refund stands."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.order_format import date_text, method_name, money
from actions.personalisation import personal_follow_up
from actions.verification import OrderFormValidation, OrderGoalAction, goal_message
from crm_engine.policy import ShopPolicy, shop_policy
from crm_engine.refunds import RefundView, refund_status, request_refund


def say_refund(
    dispatcher: CollectingDispatcher, refund: RefundView, lang: str, policy: ShopPolicy
) -> None:
    """Where a refund stands: approved (when the money arrives), in review, paid or refused."""
    common = {"order_number": refund.order_number, "amount": money(refund.amount)}
    if refund.status == "approved":
        days = refund.processing_days
        dispatcher.utter_message(
            response="utter_refund_approved",
            **common,
            method=method_name(refund.method, lang, policy),
            min_days=days.min if days else "-",
            max_days=days.max if days else "-",
            expected_date=date_text(refund.expected_by, policy),
        )
    elif refund.status == "requested":
        dispatcher.utter_message(
            response="utter_refund_under_review",
            **common,
            requested_date=date_text(refund.requested_at, policy),
            review_hours=policy.refunds.review_within_hours,
        )
    elif refund.status == "completed":
        dispatcher.utter_message(
            response="utter_refund_completed",
            **common,
            method=method_name(refund.method, lang, policy),
            completed_date=date_text(refund.completed_at, policy),
        )
    else:
        dispatcher.utter_message(response="utter_refund_rejected", **common)


class ValidateRefundForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_refund_form"


class ActionRequestRefund(OrderGoalAction):
    def name(self) -> str:
        return "action_request_refund"

    def achieve(
        self,
        session: Session,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        number: str,
        lang: str,
    ) -> list[dict[str, Any]]:
        policy = shop_policy()
        # The message that asked for the refund says why; later ones were form answers.
        asked = goal_message(tracker, "refund_request")
        result = request_refund(
            session,
            number,
            reason=f"customer in chat: {asked}" if asked else None,
            conversation_id=tracker.sender_id,
            policy=policy,
        )
        common = {"order_number": result.order_number}
        if result.outcome in ("created", "existing") and result.refund is not None:
            if result.order_cancelled:
                dispatcher.utter_message(response="utter_order_cancelled_for_refund", **common)
            elif result.outcome == "existing":
                dispatcher.utter_message(response="utter_refund_already_requested", **common)
            say_refund(dispatcher, result.refund, lang, policy)
            if result.refund.status == "rejected":
                return [SlotSet("goal_resolved", True), *_offer_handoff(True)]
            return [
                SlotSet("goal_resolved", True),
                *personal_follow_up(session, dispatcher, tracker, lang),
            ]
        if result.outcome == "not_paid":
            dispatcher.utter_message(response="utter_refund_not_paid", **common)
        elif result.outcome == "in_transit":
            dispatcher.utter_message(
                response="utter_refund_in_transit",
                **common,
                return_days=policy.returns.return_window_days,
            )
        elif result.outcome == "needs_return":
            dispatcher.utter_message(
                response="utter_refund_needs_return",
                **common,
                deadline=date_text(result.deadline, policy),
            )
        elif result.outcome == "window_expired":
            dispatcher.utter_message(
                response="utter_refund_window_expired",
                **common,
                deadline=date_text(result.deadline, policy),
            )
            return _offer_handoff(True)
        else:  # already_refunded
            dispatcher.utter_message(response="utter_refund_already_done", **common)
        return []


def _offer_handoff(offered: bool) -> list[dict[str, Any]]:
    return [SlotSet("handoff_offered", True)] if offered else []


class ValidateRefundStatusForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_refund_status_form"


class ActionRefundStatus(OrderGoalAction):
    def name(self) -> str:
        return "action_refund_status"

    def achieve(
        self,
        session: Session,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        number: str,
        lang: str,
    ) -> list[dict[str, Any]]:
        policy = shop_policy()
        status = refund_status(session, number, policy)
        if status.latest is None:
            dispatcher.utter_message(response="utter_no_refund", order_number=status.order_number)
            return [SlotSet("goal_resolved", True)]
        say_refund(dispatcher, status.latest, lang, policy)
        return [SlotSet("goal_resolved", True), *_offer_handoff(status.latest.status == "rejected")]
