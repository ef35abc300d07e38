"""Delivery questions that need no order: couriers, fees, days to a place, time slots, abroad."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.common import CRMAction, language
from actions.order_format import listing, money
from crm_engine.delivery import Destination, find_destination
from crm_engine.policy import ShopPolicy, shop_policy

# What a question is about, by the words customers use (matched case-insensitively,
# after NFKC so full-width letters count too). Order decides the order of answers.
TOPICS: dict[str, tuple[str, ...]] = {
    "fee": (
        "运费", "邮费", "快递费", "包邮", "免邮", "包郵", "多少钱", "收费", "怎么算",
        "shipping fee", "shipping cost", "shipping rate", "delivery fee", "postage",
        "free shipping", "how much", "charge", "cost", "shippng cost",
    ),
    "couriers": (
        "快递公司", "什么快递", "哪家快递", "什么物流", "物流公司", "顺丰", "京东", "中通", "ems",
        "圆通", "申通", "韵达", "courier", "carrier", "dhl", "fedex", "ups", "sf express",
        "shipping options",
    ),
    "slots": (
        "时间段", "指定时间", "送货时间", "配送时间", "预约", "晚上", "周末", "几点", "时间可以选",
        "time slot", "delivery time slot", "evening", "weekend", "appointment",
        "choose a delivery time", "what time",
    ),
    "dispatch": (
        "几天发货", "多久发货", "发货速度", "哪里发货", "发货地", "当天发", "什么时候发货",
        "dispatch", "ship from", "orders usually ship", "how soon",
    ),
    "international": (
        "国外", "海外", "国际", "境外", "abroad", "international", "internationally", "overseas",
        "worldwide", "other countries",
    ),
}  # fmt: skip


def topics_of(text: str) -> list[str]:
    normal = unicodedata.normalize("NFKC", text or "").lower()
    found = []
    for topic, words in TOPICS.items():
        for word in words:
            pattern = (
                rf"(?<![a-z]){re.escape(word)}(?![a-z])" if word.isascii() else re.escape(word)
            )
            if re.search(pattern, normal):
                found.append(topic)
                break
    return found


def _couriers(policy: ShopPolicy, lang: str, codes: tuple[str, ...] | None = None) -> str:
    codes = codes or tuple(policy.delivery.couriers)
    return listing((policy.delivery.couriers[c].name(lang) for c in codes), lang)


def _say_destination(
    dispatcher: CollectingDispatcher, destination: Destination, lang: str, policy: ShopPolicy
) -> None:
    if destination.country is not None:
        country = destination.country
        dispatcher.utter_message(
            response="utter_delivery_international_country",
            country=destination.place(lang),
            fee=money(country.fee),
            min_days=country.days.min,
            max_days=country.days.max,
            courier=policy.delivery.couriers[country.courier].name(lang),
        )
        return
    region = destination.region
    lines = [
        f"{policy.delivery.couriers[code].name(lang)}: {days.min}–{days.max}"
        for code, days in region.days.items()
    ]
    dispatcher.utter_message(
        response="utter_delivery_region_days",
        place=destination.place(lang),
        region=region.name(lang),
        courier_days="\n".join(lines),
        dispatch_hours=policy.orders.dispatch_within_hours,
    )


class ActionDeliveryInfo(CRMAction):
    """Answers from the shop policy; what the question is about decides which parts."""

    def name(self) -> str:
        return "action_delivery_info"

    def act(
        self,
        session: Session,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[dict[str, Any]]:
        policy = shop_policy()
        delivery = policy.delivery
        lang = language(tracker)
        text = tracker.latest_message.get("text") or ""
        destination = find_destination(text, policy)
        topics = topics_of(text)
        if destination is not None:
            _say_destination(dispatcher, destination, lang, policy)
        for topic in topics:
            if topic == "fee" and (destination is None or destination.kind == "region"):
                dispatcher.utter_message(
                    response="utter_delivery_fee",
                    threshold=money(delivery.free_shipping_threshold),
                    fee=money(delivery.standard_fee),
                )
            elif topic == "couriers":
                dispatcher.utter_message(
                    response="utter_delivery_couriers",
                    couriers=_couriers(policy, lang),
                    default_courier=delivery.couriers[delivery.default_courier].name(lang),
                )
            elif topic == "slots":
                dispatcher.utter_message(
                    response="utter_delivery_time_slots",
                    slots=listing((s.name(lang) for s in delivery.time_slots), lang),
                    slot_couriers=_couriers(policy, lang, delivery.time_slot_couriers),
                )
            elif topic == "dispatch" and destination is None:
                dispatcher.utter_message(
                    response="utter_delivery_dispatch",
                    dispatch_hours=policy.orders.dispatch_within_hours,
                )
            elif topic == "international" and destination is None:
                dispatcher.utter_message(
                    response="utter_delivery_international_list",
                    countries=listing(
                        (c.name(lang) for c in delivery.international.countries.values()), lang
                    ),
                )
        if destination is None and not topics:
            dispatcher.utter_message(
                response="utter_delivery_overview",
                couriers=_couriers(policy, lang),
                threshold=money(delivery.free_shipping_threshold),
                fee=money(delivery.standard_fee),
            )
        return [SlotSet("goal_resolved", True)]
