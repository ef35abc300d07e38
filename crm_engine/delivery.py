"""Delivery answers from the shop policy: couriers, fees, days to a place, slots, abroad.

No database: everything here is the shop's published rules, so it answers
"how long to Chengdu?" before the customer has ordered anything.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from crm_engine.policy import Country, Courier, DayRange, Place, Region, ShopPolicy, shop_policy

__all__ = [
    "Destination",
    "courier",
    "expected_delivery",
    "find_destination",
    "shipping_fee",
]


@dataclass(frozen=True)
class Destination:
    """A place found in a customer's words: a mainland region or a country abroad."""

    kind: str  # 'region' or 'international'
    code: str  # region code ('southwest') or ISO country code ('HK')
    place_zh: str  # the place as matched, e.g. 成都 / 中国香港
    place_en: str
    region: Region | None = None
    country: Country | None = None

    def place(self, language: str) -> str:
        return self.place_zh if language == "zh" else self.place_en


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _names(place: Place | Country | Region) -> list[str]:
    if isinstance(place, Place):
        return [place.zh, place.en, *place.aliases]
    if isinstance(place, Country):
        return [place.name_zh, place.name_en, *place.aliases]
    return [place.name_zh, place.name_en]


def _pattern(name: str) -> re.Pattern[str]:
    # Latin names must stand alone ("Jilin" but not "Jilinx"); Chinese has no
    # word boundaries, so Chinese names match anywhere.
    escaped = re.escape(_normal(name).lower())
    if re.search(r"[a-z]", name.lower()):
        return re.compile(rf"(?<![a-z]){escaped}(?![a-z])")
    return re.compile(escaped)


def find_destination(text: str | None, policy: ShopPolicy | None = None) -> Destination | None:
    """The first place named in `text` (a city, province, region or country), if any.

    When two names overlap, the one that starts first wins, then the longer:
    "上海南京路" is Shanghai, not Hainan (海南) or Nanjing.
    """
    if not text:
        return None
    policy = policy or shop_policy()
    haystack = _normal(text).lower()
    candidates: list[tuple[int, int, Destination]] = []

    def consider(names: list[str], destination: Destination) -> None:
        for name in names:
            match = _pattern(name).search(haystack)
            if match:
                candidates.append((match.start(), -len(match.group()), destination))

    for region in policy.delivery.regions.values():
        for place in (*region.cities, *region.provinces):
            consider(_names(place), Destination("region", region.code, place.zh, place.en, region))
        consider(
            _names(region),
            Destination("region", region.code, region.name_zh, region.name_en, region),
        )
    for country in policy.delivery.international.countries.values():
        consider(
            _names(country),
            Destination(
                "international", country.code, country.name_zh, country.name_en, country=country
            ),
        )
    if not candidates:
        return None
    candidates.sort(key=lambda c: (c[0], c[1]))
    return candidates[0][2]


def courier(code: str, policy: ShopPolicy | None = None) -> Courier | None:
    return (policy or shop_policy()).delivery.couriers.get(code)


def shipping_fee(items_total: Decimal, policy: ShopPolicy | None = None) -> Decimal:
    """The mainland shipping fee for goods worth `items_total` CNY."""
    if not isinstance(items_total, Decimal) or items_total < 0:
        raise ValueError(f"items_total must be a non-negative Decimal, got {items_total!r}")
    rules = (policy or shop_policy()).delivery
    return Decimal("0.00") if items_total >= rules.free_shipping_threshold else rules.standard_fee


def days_to_region(
    region_code: str, courier_code: str, policy: ShopPolicy | None = None
) -> DayRange | None:
    region = (policy or shop_policy()).delivery.regions.get(region_code)
    return region.days.get(courier_code) if region else None


def expected_delivery(
    shipped_at: dt.datetime,
    region_code: str,
    courier_code: str,
    policy: ShopPolicy | None = None,
) -> dt.date | None:
    """The latest day a parcel should arrive, from the policy's days for its route."""
    days = days_to_region(region_code, courier_code, policy)
    return (shipped_at + dt.timedelta(days=days.max)).date() if days else None
