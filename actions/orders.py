"""Order status, cancelling an order and changing its delivery address."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.order_format import (
    courier_name,
    date_text,
    items_text,
    money,
    time_text,
    tracking_text,
)
from actions.personalisation import personal_follow_up
from actions.refunds import say_refund
from actions.verification import OrderFormValidation, OrderGoalAction
from crm_engine.models import Order
from crm_engine.orders import cancel_order, change_address, check_address, get_order
from crm_engine.policy import shop_policy


class ValidateOrderStatusForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_order_status_form"


class ActionOrderStatus(OrderGoalAction):
    """Status, courier and tracking number, the latest tracking events, expected delivery."""

    def name(self) -> str:
        return "action_order_status"

    def achieve(
        self,
        session: Session,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        number: str,
        lang: str,
    ) -> list[dict[str, Any]]:
        policy = shop_policy()
        order = get_order(session, number, policy)
        if order is None:
            dispatcher.utter_message(response="utter_order_not_found", order_number=number)
            return []
        common = {"order_number": order.number, "items": items_text(order.items, lang)}
        dispatch_hours = policy.orders.dispatch_within_hours
        if order.status == "pending_payment":
            pay_by = order.placed_at + dt.timedelta(hours=policy.orders.unpaid_cancel_hours)
            dispatcher.utter_message(
                response="utter_order_status_pending_payment",
                **common,
                total=money(order.total),
                pay_by=time_text(pay_by, policy),
            )
        elif order.status in ("paid", "processing"):
            dispatcher.utter_message(
                response=f"utter_order_status_{order.status}",
                **common,
                dispatch_hours=dispatch_hours,
            )
        elif order.status in ("shipped", "delivered") and order.shipment is not None:
            shipment = order.shipment
            courier = policy.delivery.couriers.get(shipment.courier)
            dispatcher.utter_message(
                response=f"utter_order_status_{order.status}",
                **common,
                courier=courier_name(shipment.courier, lang, policy),
                tracking_number=shipment.tracking_number,
                tracking_url=courier.url_for(shipment.tracking_number) if courier else "-",
                expected_date=date_text(shipment.expected_delivery, policy),
                delivered_date=date_text(order.delivered_at or shipment.delivered_at, policy),
            )
            if shipment.events:
                dispatcher.utter_message(
                    response="utter_order_tracking_events",
                    events=tracking_text(shipment.events, lang, policy),
                )
        elif order.status == "cancelled":
            dispatcher.utter_message(
                response="utter_order_status_cancelled",
                **common,
                cancelled_date=date_text(order.cancelled_at, policy),
            )
        elif order.status in ("shipped", "delivered"):
            # Marked as sent but the courier's data has not arrived yet.
            dispatcher.utter_message(response="utter_order_status_no_tracking", **common)
        else:
            dispatcher.utter_message(response="utter_order_status_returned", **common)
        delivered = order.number if order.status == "delivered" else None
        follow_up = personal_follow_up(
            session, dispatcher, tracker, lang, delivered_order=delivered
        )
        return [SlotSet("goal_resolved", True), *follow_up]


class ValidateCancelOrderForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_cancel_order_form"

    def goal_slots(self, session: Session, order: Order, tracker: Tracker) -> list[str]:
        # Only ask "are you sure?" when cancelling is possible at all.
        cancellable = order.status in shop_policy().orders.cancellable_statuses
        return ["confirm_cancel"] if cancellable else []

    def validate_confirm_cancel(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"confirm_cancel": bool(value)}


class ActionCancelOrder(OrderGoalAction):
    def name(self) -> str:
        return "action_cancel_order"

    def achieve(
        self,
        session: Session,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        number: str,
        lang: str,
    ) -> list[dict[str, Any]]:
        policy = shop_policy()
        if tracker.get_slot("confirm_cancel") is False:
            dispatcher.utter_message(response="utter_cancel_kept", order_number=number)
            return []
        result = cancel_order(session, number, conversation_id=tracker.sender_id, policy=policy)
        common = {"order_number": result.order_number}
        return_days = policy.returns.return_window_days
        if result.outcome == "cancelled":
            dispatcher.utter_message(response="utter_order_cancelled", **common)
            if result.refund is not None:
                say_refund(dispatcher, result.refund, lang, policy)
            return [SlotSet("goal_resolved", True)]
        if result.outcome == "already_cancelled":
            dispatcher.utter_message(response="utter_order_already_cancelled", **common)
            if result.refund is not None:
                say_refund(dispatcher, result.refund, lang, policy)
            return [SlotSet("goal_resolved", True)]
        if result.status == "shipped":
            order = get_order(session, number, policy)
            shipment = order.shipment if order else None
            dispatcher.utter_message(
                response="utter_cancel_not_possible_shipped",
                **common,
                courier=courier_name(shipment.courier, lang, policy) if shipment else "-",
                tracking_number=shipment.tracking_number if shipment else "-",
                return_days=return_days,
            )
        elif result.status == "delivered":
            dispatcher.utter_message(
                response="utter_cancel_not_possible_delivered", **common, return_days=return_days
            )
        else:
            dispatcher.utter_message(response="utter_cancel_not_possible_returned", **common)
        return []


class ValidateChangeAddressForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_change_address_form"

    def goal_slots(self, session: Session, order: Order, tracker: Tracker) -> list[str]:
        changeable = order.status in shop_policy().orders.address_changeable_statuses
        return ["new_address"] if changeable else []

    def validate_new_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        check = check_address(value if isinstance(value, str) else None)
        if not check.ok:
            dispatcher.utter_message(response="utter_invalid_address")
            return {"new_address": None}
        return {"new_address": check.address}


class ActionChangeAddress(OrderGoalAction):
    def name(self) -> str:
        return "action_change_address"

    def achieve(
        self,
        session: Session,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        number: str,
        lang: str,
    ) -> list[dict[str, Any]]:
        new_address = tracker.get_slot("new_address") or ""
        result = change_address(session, number, new_address, conversation_id=tracker.sender_id)
        common = {"order_number": result.order_number}
        if result.outcome == "changed":
            dispatcher.utter_message(
                response="utter_address_changed", **common, new_address=result.new_address
            )
            return [SlotSet("goal_resolved", True)]
        if result.outcome == "unchanged":
            dispatcher.utter_message(response="utter_address_unchanged", **common)
            return [SlotSet("goal_resolved", True)]
        if result.outcome == "invalid_address":
            dispatcher.utter_message(response="utter_invalid_address")
            return []
        if result.outcome == "abroad":
            dispatcher.utter_message(response="utter_address_change_abroad", **common)
            return [SlotSet("handoff_offered", True)]
        if result.status == "shipped":
            dispatcher.utter_message(response="utter_address_change_not_possible_shipped", **common)
            return [SlotSet("handoff_offered", True)]
        if result.status == "delivered":
            dispatcher.utter_message(
                response="utter_address_change_not_possible_delivered", **common
            )
            return []
        dispatcher.utter_message(response="utter_address_change_not_possible_closed", **common)
        return []
