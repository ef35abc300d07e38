"""Product suggestions: the customer's own when the bot knows them, else best sellers.

The catalogue matcher tags `product` (value: SKU) and `category` (value: category
code) entities; a product asks for other popular items of its category. A known
customer (see actions/personalisation.py) gets suggestions from the association
rules on their purchases, kept to the asked-about category if there is one.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.common import CRMAction, language
from actions.personalisation import known_customer, recommendation_lines
from crm_engine.models import Category
from crm_engine.personalisation import personal_recommendations
from crm_engine.popularity import PopularProduct, recommend

SUGGESTIONS = 3


def product_lines(products: list[PopularProduct], lang: str) -> str:
    """'1. 跑鞋 ¥399.00' lines; names and prices are data, the same in both languages."""
    return "\n".join(f"{i}. {p.name(lang)} ¥{p.price:.2f}" for i, p in enumerate(products, start=1))


def _mentioned(tracker: Tracker, entity: str) -> str | None:
    """The entity in the latest message, else a slot of that name if a feature keeps one."""
    return next(tracker.get_latest_entity_values(entity), None) or tracker.get_slot(entity)


class ActionRecommendProducts(CRMAction):
    def name(self) -> str:
        return "action_recommend_products"

    def act(
        self,
        session: Session,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[dict[str, Any]]:
        lang = language(tracker)
        product_sku = _mentioned(tracker, "product")
        category_code = _mentioned(tracker, "category")
        customer = known_customer(session, tracker)
        # "Something like this product" asks about the product, not the customer:
        # that stays the similar-items answer.
        if (
            customer is not None
            and product_sku is None
            and _say_personal(session, dispatcher, customer.code, category_code, lang)
        ):
            return []
        rec = recommend(
            session, product_sku=product_sku, category_code=category_code, limit=SUGGESTIONS
        )
        if not rec.products:
            dispatcher.utter_message(response="utter_no_recommendations")
            return []
        lines = product_lines(rec.products, lang)
        category = None
        if rec.category is not None:
            category = rec.category.name_zh if lang == "zh" else rec.category.name_en
        if rec.basis is not None:
            basis = rec.basis.name_zh if lang == "zh" else rec.basis.name_en
            dispatcher.utter_message(
                response="utter_recommend_similar", product=basis, category=category, products=lines
            )
        elif category is not None:
            dispatcher.utter_message(
                response="utter_recommend_category", category=category, products=lines
            )
        else:
            dispatcher.utter_message(response="utter_recommend_popular", products=lines)
        return []


def _say_personal(
    session: Session,
    dispatcher: CollectingDispatcher,
    customer_code: str,
    category_code: str | None,
    lang: str,
) -> bool:
    """The customer's own suggestions; False when they are only the shop's best sellers
    (no analytics run, or nothing rule- or segment-based), so the popularity answer speaks."""
    recs = personal_recommendations(
        session, customer_code, category_code=category_code, limit=SUGGESTIONS
    )
    reasons = {r.reason for r in recs}
    if not reasons & {"rules", "segment"}:
        return False
    lines = recommendation_lines(recs, lang)
    category = (
        session.scalar(select(Category).where(Category.code == category_code))
        if category_code
        else None
    )
    if "rules" not in reasons:
        dispatcher.utter_message(response="utter_recommend_like_you", products=lines)
    elif category is not None:
        dispatcher.utter_message(
            response="utter_recommend_personal_category",
            category=category.name_zh if lang == "zh" else category.name_en,
            products=lines,
        )
    else:
        dispatcher.utter_message(response="utter_recommend_personal", products=lines)
    return True
