"""Returns and exchanges: which item, why or what instead, then the RMA code and instructions."""

from __future__ import annotations

import re
from abc import ABC
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.common import CRMAction, language
from actions.order_format import date_text, numbered_items
from actions.verification import OrderFormValidation, OrderGoalAction, in_session, order_number
from crm_engine.models import Order
from crm_engine.orders import find_order, get_order
from crm_engine.policy import ShopPolicy, shop_policy
from crm_engine.returns import (
    ReturnOutcome,
    match_item,
    request_exchange,
    request_return,
    return_problems,
    returnable_items,
)

MAX_REASON_CHARS = 500
MAX_EXCHANGE_CHARS = 200


def _clean(value: Any) -> str:
    return re.sub(r"\s+", " ", value).strip() if isinstance(value, str) else ""


class _ReturnFormValidation(OrderFormValidation, ABC):
    """Return and exchange forms: pick the item (when there are several), then the goal's question."""

    kind = "return"
    last_question = "return_reason"

    def goal_slots(self, session: Session, order: Order, tracker: Tracker) -> list[str]:
        if not returnable_items(order, kind=self.kind):
            return []  # the goal action explains why nothing can be returned
        which = ["return_item"] if len(order.items) > 1 else []
        return [*which, self.last_question]

    async def validate_return_item(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = order_number(tracker)
        text = _clean(value)

        def pick(session: Session) -> int | None:
            order = find_order(session, number)
            item = match_item(order, text) if order else None
            return item.product_id if item else None

        product_id = await in_session(pick) if number else None
        if product_id is None:
            dispatcher.utter_message(response="utter_item_not_recognised")
            return {"return_item": None}
        return {"return_item": str(product_id)}


class ValidateReturnForm(_ReturnFormValidation):
    def name(self) -> str:
        return "validate_return_form"

    def validate_return_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        reason = _clean(value)
        if not reason or len(reason) > MAX_REASON_CHARS:
            dispatcher.utter_message(response="utter_invalid_return_reason")
            return {"return_reason": None}
        return {"return_reason": reason}


class ValidateExchangeForm(_ReturnFormValidation):
    kind = "exchange"
    last_question = "exchange_for"

    def name(self) -> str:
        return "validate_exchange_form"

    def validate_exchange_for(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        wanted = _clean(value)
        if not wanted or len(wanted) > MAX_EXCHANGE_CHARS:
            dispatcher.utter_message(response="utter_invalid_exchange_for")
            return {"exchange_for": None}
        return {"exchange_for": wanted}


class ActionAskReturnItem(CRMAction):
    """Asks which item, listing the order's items with numbers to answer by."""

    def name(self) -> str:
        return "action_ask_return_item"

    def act(
        self,
        session: Session,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[dict[str, Any]]:
        order = get_order(session, order_number(tracker))
        items = numbered_items(order.items, language(tracker)) if order else "-"
        dispatcher.utter_message(response="utter_ask_return_item", items=items)
        return []


def _product_id(tracker: Tracker) -> int | None:
    value = tracker.get_slot("return_item")
    return int(value) if isinstance(value, str) and value.isdigit() else None


def say_return_outcome(
    dispatcher: CollectingDispatcher, result: ReturnOutcome, lang: str, policy: ShopPolicy
) -> list[dict[str, Any]]:
    """The answer to a return or exchange request; returns the events it implies."""
    product = (result.product_name_zh if lang == "zh" else result.product_name_en) or "-"
    common = {"order_number": result.order_number, "product": product}
    request = result.request
    if result.outcome in ("created", "existing") and request is not None:
        if result.outcome == "existing":
            dispatcher.utter_message(
                response="utter_return_exists", **common, rma_code=request.rma_code
            )
        elif request.kind == "exchange":
            dispatcher.utter_message(
                response="utter_exchange_approved",
                **common,
                rma_code=request.rma_code,
                exchange_for=request.exchange_for or "-",
            )
        elif request.status == "approved":
            dispatcher.utter_message(
                response="utter_return_approved", **common, rma_code=request.rma_code
            )
        else:
            dispatcher.utter_message(
                response="utter_return_under_review",
                **common,
                rma_code=request.rma_code,
                review_hours=policy.returns.review_within_hours,
            )
        if result.instructions is not None:
            warehouse = result.instructions.warehouse
            dispatcher.utter_message(
                response="utter_return_instructions",
                rma_code=result.instructions.rma_code,
                ship_by=date_text(result.instructions.ship_by, policy),
                warehouse_name=warehouse.name(lang),
                warehouse_address=warehouse.address(lang),
                warehouse_phone=warehouse.phone,
            )
        return [SlotSet("goal_resolved", True)]
    deadline = date_text(result.deadline, policy)
    responses = {
        "not_shipped": ("utter_return_not_shipped", {}),
        "in_transit": ("utter_return_in_transit", {}),
        "cancelled": ("utter_return_order_cancelled", {}),
        "already_returned": ("utter_return_already_returned", {}),
        "window_expired": ("utter_return_window_expired", {"deadline": deadline}),
        "category_excluded": ("utter_return_category_excluded", {}),
        "not_exchangeable": ("utter_exchange_not_possible", {}),
    }
    name, extra = responses.get(result.outcome, ("utter_item_not_recognised", {}))
    if name == "utter_item_not_recognised":
        dispatcher.utter_message(response=name)
    else:
        dispatcher.utter_message(response=name, **common, **extra)
    # A faulty item past its window is a case for a person.
    return [SlotSet("handoff_offered", True)] if result.outcome == "window_expired" else []


class _ReturnGoalAction(OrderGoalAction, ABC):
    kind = "return"
    last_question = "return_reason"

    def achieve(
        self,
        session: Session,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        number: str,
        lang: str,
    ) -> list[dict[str, Any]]:
        policy = shop_policy()
        answer = tracker.get_slot(self.last_question)
        if not answer:
            # The form did not ask: nothing of the order can be returned; say why.
            problems = return_problems(session, number, kind=self.kind, policy=policy)
            if not problems:
                dispatcher.utter_message(response="utter_return_start_again")
                return []
            events: list[dict[str, Any]] = []
            for result in problems:
                events = say_return_outcome(dispatcher, result, lang, policy) or events
            return events
        result = self.submit(session, tracker, number, answer, policy)
        return say_return_outcome(dispatcher, result, lang, policy)

    def submit(
        self, session: Session, tracker: Tracker, number: str, answer: str, policy: ShopPolicy
    ) -> ReturnOutcome:
        return request_return(
            session,
            number,
            product_id=_product_id(tracker),
            reason=answer,
            conversation_id=tracker.sender_id,
            policy=policy,
        )


class ActionRequestReturn(_ReturnGoalAction):
    def name(self) -> str:
        return "action_request_return"


class ActionRequestExchange(_ReturnGoalAction):
    kind = "exchange"
    last_question = "exchange_for"

    def name(self) -> str:
        return "action_request_exchange"

    def submit(
        self, session: Session, tracker: Tracker, number: str, answer: str, policy: ShopPolicy
    ) -> ReturnOutcome:
        return request_exchange(
            session,
            number,
            exchange_for=answer,
            product_id=_product_id(tracker),
            conversation_id=tracker.sender_id,
            policy=policy,
        )
