"""Personal touches for a customer the bot knows: greeting by name and offers after an answer.

Who the customer is: the `customer_id` slot (set when a signed web token or an
order's phone digits proved it), else a valid signed token sent with this
message, else a channel identity the CRM knows (a WeChat openid). What they get
is decided in crm_engine.personalisation from the newest `crm analyze` run and
the policy; here it is only worded. Offers are remembered in `personal_offers`
so each comes once per conversation, and a reply carries at most one.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.common import message_metadata
from actions.verification import in_session
from crm_engine.interactions import conversation_customer_id
from crm_engine.models import Customer
from crm_engine.personalisation import complementary_items, customer_tier, customer_treatment
from crm_engine.policy import ShopPolicy, shop_policy
from crm_engine.recommendations import Recommendation
from crm_engine.tiers import TIER_NAMES
from crm_engine.verification import customer_for_token

logger = logging.getLogger(__name__)

OFFERS_SLOT = "personal_offers"
ONBOARDING = "onboarding"
RETENTION = "retention"
COMPLEMENTARY = "complementary"


def known_customer(session: Session, tracker: Tracker) -> Customer | None:
    """The customer chatting, when something the bot trusts says who it is."""
    code = tracker.get_slot("customer_id")
    if isinstance(code, str) and code:
        customer = session.scalar(select(Customer).where(Customer.code == code))
        if customer is not None:
            return customer
    identity = customer_for_token(session, message_metadata(tracker).get("auth_token"))
    if identity is not None:
        return session.scalar(select(Customer).where(Customer.code == identity.code))
    customer_id = conversation_customer_id(
        session, conversation_id=tracker.sender_id, channel=tracker.get_latest_input_channel()
    )
    return session.get(Customer, customer_id) if customer_id is not None else None


def priority_tier(
    session: Session, customer_id: int | None, lang: str
) -> tuple[str | None, str | None]:
    """(tier, its name in `lang`) of the customer; the name only for a tier the policy
    gives priority, so the customer is told only what is true."""
    tier = customer_tier(session, customer_id)
    if not shop_policy().personalisation.priority_steps(tier):
        return tier, None
    zh, en = TIER_NAMES[tier]
    return tier, zh if lang == "zh" else en


def offers_made(tracker: Tracker) -> list[str]:
    value = tracker.get_slot(OFFERS_SLOT)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def recommendation_lines(recs: list[Recommendation], lang: str) -> str:
    """'1. 玻璃茶杯 ¥39.00' lines in the customer's language."""
    return "\n".join(
        f"{i}. {r.name_zh if lang == 'zh' else r.name_en} ¥{r.price:.2f}"
        for i, r in enumerate(recs, start=1)
    )


def onboarding_facts(policy: ShopPolicy) -> dict[str, Any]:
    """The delivery and returns basics a new customer hears, straight from the policy."""
    return {
        "free_shipping": f"{policy.delivery.free_shipping_threshold:.2f}",
        "dispatch_hours": policy.orders.dispatch_within_hours,
        "no_reason_days": policy.returns.no_reason_days,
        "return_days": policy.returns.return_window_days,
    }


def personal_follow_up(
    session: Session,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    lang: str,
    *,
    delivered_order: str | None = None,
) -> list[dict[str, Any]]:
    """At most one offer after a goal was answered: onboarding for a new customer, a
    retention offer for one likely to leave, or items that go with a delivered order.

    Only reads; runs in a savepoint and swallows failures, because the answer the
    customer asked for has been given (and maybe a refund written) already: a
    hiccup here must neither turn it into an apology nor roll it back.
    """
    try:
        with session.begin_nested():
            return _follow_up(session, dispatcher, tracker, lang, delivered_order)
    except Exception:
        logger.exception("personal follow-up failed for conversation %s", tracker.sender_id)
        return []


def _follow_up(
    session: Session,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    lang: str,
    delivered_order: str | None,
) -> list[dict[str, Any]]:
    customer = known_customer(session, tracker)
    if customer is None:
        return []
    made = offers_made(tracker)
    policy = shop_policy()
    treatment = customer_treatment(session, customer.code, policy)
    if treatment.onboarding and ONBOARDING not in made:
        dispatcher.utter_message(response="utter_onboarding_tips", **onboarding_facts(policy))
        return [SlotSet(OFFERS_SLOT, [*made, ONBOARDING])]
    retention = policy.personalisation.retention
    if treatment.retention and retention is not None and RETENTION not in made:
        dispatcher.utter_message(
            response="utter_retention_offer", name=customer.name, offer=retention.text(lang)
        )
        return [SlotSet(OFFERS_SLOT, [*made, RETENTION])]
    wanted = policy.personalisation.complementary_items
    if delivered_order and wanted and COMPLEMENTARY not in made:
        items = complementary_items(session, delivered_order, limit=wanted)
        if items:
            dispatcher.utter_message(
                response="utter_complementary_items", products=recommendation_lines(items, lang)
            )
            return [SlotSet(OFFERS_SLOT, [*made, COMPLEMENTARY])]
    return []


class ActionGreet(Action):
    """Hello by name (with the basics for a new customer) when the customer is known."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        try:
            response, params, events = await in_session(lambda s: self._greeting(s, tracker))
        except Exception:
            # A greeting never turns into an apology: the generic one is always right.
            logger.exception("action_greet failed for conversation %s", tracker.sender_id)
            response, params, events = "utter_greet", {}, []
        dispatcher.utter_message(response=response, **params)
        return events

    def _greeting(
        self, session: Session, tracker: Tracker
    ) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
        customer = known_customer(session, tracker)
        if customer is None:
            return "utter_greet", {}, []
        events: list[dict[str, Any]] = []
        if tracker.get_slot("customer_id") != customer.code:
            # Known from the token or channel: later actions need not look again.
            events += [
                SlotSet("customer_id", customer.code),
                SlotSet("customer_name", customer.name),
            ]
        policy = shop_policy()
        made = offers_made(tracker)
        if ONBOARDING not in made and customer_treatment(session, customer.code, policy).onboarding:
            params = {"name": customer.name, **onboarding_facts(policy)}
            events.append(SlotSet(OFFERS_SLOT, [*made, ONBOARDING]))
            return "utter_greet_new_customer", params, events
        return "utter_greet_by_name", {"name": customer.name}, events
