import copy
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from crm_engine import policy as policy_module
from crm_engine.policy import CATEGORY_CODES, load_policy, parse_policy, shop_policy

POLICY_FILE = Path(__file__).resolve().parents[2] / "data" / "shop_policy.yml"


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))


def test_committed_policy_loads_with_the_documented_rules():
    p = load_policy(POLICY_FILE)
    assert p.currency == "CNY"
    assert p.orders.cancellable_statuses == {"pending_payment", "paid", "processing"}
    assert p.orders.address_changeable_statuses == {"pending_payment", "paid", "processing"}
    assert p.verification.max_attempts == 3
    assert p.refunds.auto_approve_limit == Decimal("200.00")
    assert (p.refunds.processing_days["alipay"].min, p.refunds.processing_days["alipay"].max) == (
        1,
        3,
    )
    assert p.refunds.processing_days["paypal"].max == 10
    assert p.returns.no_reason_days == 7 and p.returns.return_window_days == 15
    assert "food" not in p.returns.no_reason_categories
    assert p.delivery.free_shipping_threshold == Decimal("99.00")
    assert set(p.delivery.couriers) == {"sf", "jd", "zto", "ems"}
    assert set(p.delivery.regions) == {
        "east", "north", "south", "central", "southwest", "northwest", "northeast"
    }  # fmt: skip
    assert p.delivery.couriers["sf"].url_for("SF123").endswith("SF123")
    assert p.delivery.couriers["jd"].name("zh") == "京东物流"
    assert p.delivery.couriers["jd"].name("en") == "JD Logistics"


def test_every_category_in_the_policy_is_a_catalogue_category():
    p = load_policy(POLICY_FILE)
    for codes in (
        p.returns.no_reason_categories,
        p.returns.excluded_categories,
        p.returns.exchange_categories,
        p.refunds.refund_without_return_categories,
    ):
        assert codes <= set(CATEGORY_CODES)


def test_policy_objects_are_frozen():
    p = load_policy(POLICY_FILE)
    with pytest.raises(AttributeError):
        p.refunds.auto_approve_limit = Decimal("1")  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.delivery.couriers["xx"] = None  # type: ignore[index]


def test_unknown_top_level_sections_are_left_to_their_owners(raw):
    data = copy.deepcopy(raw)
    data["tiers"] = {"gold": {"min_spend": "5000.00"}}
    assert parse_policy(data).currency == "CNY"


def _broken(raw: dict, path: str, value: object) -> dict:
    data = copy.deepcopy(raw)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("currency", "USD", r"currency must be one of CNY, got 'USD'"),
        (
            "timezone",
            "Mars/Base",
            r"timezone must be an IANA time zone such as 'Asia/Shanghai', got 'Mars/Base'",
        ),
        ("refunds.review_within_hours", KeyError, r"refunds\.review_within_hours is missing"),
        (
            "orders.cancellable_statuses",
            ["paid", "lost"],
            r"orders\.cancellable_statuses contains 'lost'",
        ),
        ("orders.cancelable", ["paid"], r"unknown key orders\.cancelable"),
        (
            "verification.max_attempts",
            0,
            r"verification\.max_attempts must be a whole number >= 1, got 0",
        ),
        ("verification.max_attempts", KeyError, r"verification\.max_attempts is missing"),
        (
            "refunds.auto_approve_limit",
            "lots",
            r"refunds\.auto_approve_limit must be an amount like '99\.00', got 'lots'",
        ),
        (
            "refunds.auto_approve_limit",
            199.99,
            r"refunds\.auto_approve_limit must be an amount written as text",
        ),
        ("refunds.auto_approve_limit", "-1.00", r"non-negative amount"),
        (
            "refunds.processing_days.card",
            [7, 3],
            r"refunds\.processing_days\.card must be \[min, max\]",
        ),
        ("refunds.processing_days.bitcoin", [1, 2], r"'bitcoin' is only in one of them"),
        (
            "returns.no_reason_categories",
            ["apparel", "toys"],
            r"'toys', which is not a category code",
        ),
        ("returns.no_reason_days", 30, r"no_reason_days \(30\) must not exceed"),
        ("returns.excluded_categories", ["apparel"], r"both list 'apparel'"),
        (
            "delivery.default_courier",
            "ups",
            r"delivery\.default_courier is 'ups', not one of the couriers",
        ),
        (
            "delivery.couriers.sf.tracking_url",
            "https://sf.example/",
            r"must contain \{tracking_number\}",
        ),
        (
            "delivery.regions.east.days",
            {"sf": [1, 2]},
            r"delivery\.regions\.east\.days has no days for courier 'jd'",
        ),
        ("delivery.international.countries.US.courier", "fedex", r"courier is 'fedex'"),
        ("delivery.time_slot_couriers", ["sf", "dhl"], r"contains 'dhl', which is not a courier"),
        ("delivery", "everywhere", r"delivery must be a mapping, got 'everywhere'"),
    ],
)
def test_wrong_values_are_rejected_naming_the_key_and_value(raw, path, value, message):
    with pytest.raises(ValueError, match=message):
        parse_policy(_broken(raw, path, value))


def test_missing_file_and_bad_yaml_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="shop policy file not found"):
        load_policy(tmp_path / "nope.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("currency: [CNY\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_policy(bad)


def test_shop_policy_reads_the_file_named_by_crm_policy_file(raw, tmp_path, monkeypatch):
    data = copy.deepcopy(raw)
    data["refunds"]["auto_approve_limit"] = "50.00"
    path = tmp_path / "policy.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("CRM_POLICY_FILE", str(path))
    policy_module._cached.cache_clear()
    try:
        assert shop_policy().refunds.auto_approve_limit == Decimal("50.00")
    finally:
        policy_module._cached.cache_clear()
