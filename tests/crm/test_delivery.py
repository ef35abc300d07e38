import datetime as dt
from decimal import Decimal

import pytest

from crm_engine.delivery import expected_delivery, find_destination, shipping_fee


@pytest.mark.parametrize(
    ("text", "kind", "code", "place_en"),
    [
        ("到成都要几天", "region", "southwest", "Chengdu"),
        ("寄到四川多久", "region", "southwest", "Sichuan"),
        ("how long to Harbin?", "region", "northeast", "Harbin"),
        ("delivery to xian", "region", "northwest", "Xi'an"),
        ("Shanxi", "region", "north", "Shanxi"),
        ("Shaanxi", "region", "northwest", "Shaanxi"),
        ("发到上海南京路", "region", "east", "Shanghai"),  # not 海南 or 南京
        ("能寄到香港吗", "international", "HK", "Hong Kong"),
        ("do you ship to the UK", "international", "GB", "United Kingdom"),
        ("ship to usa?", "international", "US", "United States"),
        ("寄澳洲多少钱", "international", "AU", "Australia"),
        ("发华南几天", "region", "south", "South China"),
    ],
)
def test_places_are_found_in_chinese_and_english(text, kind, code, place_en):
    found = find_destination(text)
    assert (found.kind, found.code, found.place("en")) == (kind, code, place_en)


@pytest.mark.parametrize("text", ["how long does shipping take", "运费多少", "", None, "ukulele"])
def test_no_place_no_destination(text):
    assert find_destination(text) is None


def test_shipping_is_free_from_the_threshold():
    assert shipping_fee(Decimal("99.00")) == Decimal("0.00")
    assert shipping_fee(Decimal("98.99")) == Decimal("10.00")
    with pytest.raises(
        ValueError, match=r"items_total must be a non-negative Decimal, got Decimal\('-1'\)"
    ):
        shipping_fee(Decimal("-1"))


def test_expected_delivery_uses_the_slowest_day_of_the_route():
    shipped = dt.datetime(2026, 11, 20, 9, 0)
    assert expected_delivery(shipped, "east", "sf") == dt.date(2026, 11, 22)
    assert expected_delivery(shipped, "northwest", "ems") == dt.date(2026, 11, 28)
    assert expected_delivery(shipped, "mars", "sf") is None
