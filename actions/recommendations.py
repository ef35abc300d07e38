"""Product suggestions, first version: best sellers of the asked-about category.

The catalogue matcher tags `product` (value: SKU) and `category` (value: category
code) entities; a product asks for other popular items of its category.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.common import CRMAction, language
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
        rec = recommend(
            session,
            product_sku=_mentioned(tracker, "product"),
            category_code=_mentioned(tracker, "category"),
            limit=SUGGESTIONS,
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
