"""Personalisation in the CRM: the policy section, tier-dependent refund limits and ticket
priority, who counts as new or at risk, and personal and complementary suggestions."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_engine.analytics_models import AnalyticsRun
from crm_engine.analyze import run_analysis
from crm_engine.models import Product, Refund, Ticket
from crm_engine.personalisation import (
    complementary_items,
    customer_tier,
    customer_treatment,
    personal_recommendations,
)
from crm_engine.policy import (
    CHURN_RISKS,
    SEGMENT_CODES,
    VALUE_TIERS,
    load_policy,
    parse_policy,
)
from crm_engine.profiles import RISK_NAMES
from crm_engine.refunds import request_refund
from crm_engine.segmentation import SEGMENTS
from crm_engine.tickets import PrioritySignals, raise_priority, ticket_priority
from crm_engine.tiers import TIERS
from tests import factories, order_factories
from tests.analytics.shop import AS_OF, build_shop, plan_shop
from tests.profile_factories import score

POLICY_FILE = Path(__file__).resolve().parents[2] / "data" / "shop_policy.yml"
POLICY = load_policy(POLICY_FILE)


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))


# --- the policy section -----------------------------------------------------


def test_committed_section_gives_vips_a_higher_limit_and_priority():
    rules = POLICY.personalisation
    assert POLICY.auto_approve_limit("vip") == Decimal("1000.00")
    assert POLICY.auto_approve_limit("high") == Decimal("500.00")
    assert POLICY.auto_approve_limit("low") == POLICY.refunds.auto_approve_limit
    assert POLICY.auto_approve_limit(None) == POLICY.refunds.auto_approve_limit
    assert (rules.priority_steps("vip"), rules.priority_steps("low")) == (1, 0)
    assert rules.retention.text("zh").count("COMEBACK20") == 1
    assert "COMEBACK20" in rules.retention.text("en") and "{code}" not in rules.retention.text("en")
    assert rules.onboarding.segments == {"new"} and rules.complementary_items == 3


def test_policy_codes_mirror_what_the_analytics_write():
    # policy.py repeats them to stay light to import; a drift would reject valid policies.
    assert VALUE_TIERS == TIERS
    assert set(SEGMENT_CODES) == set(SEGMENTS)
    assert set(CHURN_RISKS) == set(RISK_NAMES)


def test_without_the_section_every_customer_is_treated_alike(raw):
    data = copy.deepcopy(raw)
    del data["personalisation"]
    policy = parse_policy(data)
    assert policy.auto_approve_limit("vip") == policy.refunds.auto_approve_limit
    assert policy.personalisation.priority_steps("vip") == 0
    assert policy.personalisation.retention is None and policy.personalisation.onboarding is None


def _broken(raw: dict, path: str, value: object) -> dict:
    data = copy.deepcopy(raw)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    node[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            "personalisation.tiers.gold",
            {"auto_approve_limit": "1.00", "priority_steps": 0},
            r"personalisation\.tiers has tier 'gold'; allowed: vip, high, medium, low",
        ),
        (
            "personalisation.tiers.vip.priority_steps",
            4,
            r"personalisation\.tiers\.vip\.priority_steps must be at most 3 .*got 4",
        ),
        (
            "personalisation.tiers.vip.auto_approve_limit",
            "lots",
            r"personalisation\.tiers\.vip\.auto_approve_limit must be an amount like '99\.00'",
        ),
        (
            "personalisation.tiers.vip.auto_approve_limit",
            "300.00",
            r"auto_approve_limit of tier 'high' \(500\.00\) is above that of the better "
            r"tier 'vip' \(300\.00\)",
        ),
        (
            "personalisation.tiers.vip.discount",
            "10%",
            r"unknown key personalisation\.tiers\.vip\.discount",
        ),
        (
            "personalisation.retention.offer_en",
            "10% off your next order",
            r"personalisation\.retention\.offer_en must contain \{code\}",
        ),
        (
            "personalisation.retention.code",
            "come back",
            r"personalisation\.retention\.code must be 3-30 capital letters.*got 'come back'",
        ),
        (
            "personalisation.retention.segments",
            ["sleepy"],
            r"personalisation\.retention\.segments contains 'sleepy', which is not a "
            r"segment code",
        ),
        (
            "personalisation.retention.churn_risks",
            ["very high"],
            r"contains 'very high', which is not a churn risk level; allowed: high, medium, low",
        ),
        (
            "personalisation.onboarding.max_orders",
            -1,
            r"personalisation\.onboarding\.max_orders must be a whole number >= 0, got -1",
        ),
        (
            "personalisation.complementary_items",
            11,
            r"personalisation\.complementary_items must be at most 10, got 11",
        ),
        ("personalisation.onboarding", "yes", r"personalisation\.onboarding must be a mapping"),
    ],
)
def test_wrong_personalisation_values_are_rejected_naming_the_key(raw, path, value, message):
    with pytest.raises(ValueError, match=message):
        parse_policy(_broken(raw, path, value))


def test_a_retention_offer_nobody_can_get_is_rejected(raw):
    data = _broken(raw, "personalisation.retention.segments", [])
    data["personalisation"]["retention"]["churn_risks"] = []
    with pytest.raises(
        ValueError, match=r"lists neither segments nor churn_risks.*retention: null"
    ):
        parse_policy(data)


def test_offers_can_be_switched_off_with_null(raw):
    data = _broken(raw, "personalisation.retention", None)
    data["personalisation"]["onboarding"] = None
    rules = parse_policy(data).personalisation
    assert rules.retention is None and rules.onboarding is None


# --- refunds and tickets by tier --------------------------------------------


def _paid_order(session: Session, price: str):
    item = factories.product(session, name_zh="羽绒服", name_en="Down jacket", price=price)
    return factories.order(session, status="paid", items=[(item, 1)])


def test_the_same_refund_is_approved_for_a_vip_and_reviewed_for_a_low_tier_customer(session):
    vip_order, low_order = _paid_order(session, "599.00"), _paid_order(session, "599.00")
    score(session, vip_order.customer, tier="vip")
    score(session, low_order.customer, tier="low")

    vip = request_refund(session, vip_order.number, policy=POLICY)
    low = request_refund(session, low_order.number, policy=POLICY)

    assert (vip.refund.status, vip.refund.auto_approved) == ("approved", True)
    assert (low.refund.status, low.refund.auto_approved) == ("requested", False)
    [review] = session.scalars(select(Ticket).where(Ticket.kind == "refund_review")).all()
    assert review.order_id == low_order.id and review.priority == "normal"
    assert "auto-approve limit of 200.00 CNY (tier low)" in review.reason


def test_above_the_vip_limit_a_vip_refund_is_reviewed_with_raised_priority(session):
    order = _paid_order(session, "1299.00")
    score(session, order.customer, tier="vip")
    assert request_refund(session, order.number, policy=POLICY).refund.status == "requested"
    review = session.scalars(select(Ticket)).one()
    assert review.priority == "high" and "limit of 1000.00 CNY (tier vip)" in review.reason


def test_customers_without_a_profile_get_the_standard_limit(session):
    order = _paid_order(session, "250.00")  # above 200.00, below every tier limit
    assert customer_tier(session, order.customer_id) is None
    assert request_refund(session, order.number, policy=POLICY).refund.status == "requested"
    assert session.scalars(select(Refund)).one().auto_approved is False


def test_the_newest_run_decides_the_tier(session):
    order = _paid_order(session, "599.00")
    score(session, order.customer, tier="vip")
    newer = AnalyticsRun(
        model_version="t2", engine="pandas", as_of=AS_OF, seconds=0.0, params={}, metrics={}
    )
    session.add(newer)
    session.flush()
    assert customer_tier(session, order.customer_id) is None  # not scored in the newest run


@pytest.mark.parametrize(
    ("signals", "priority"),
    [
        (PrioritySignals(tier="vip"), "high"),
        (PrioritySignals(tier="low"), "normal"),
        (PrioritySignals(tier=None), "normal"),
        (PrioritySignals(complained=True, tier="vip"), "urgent"),
        (PrioritySignals(complained=True, tier="high"), "high"),
        (PrioritySignals(negative_streak=2, tier="vip"), "urgent"),  # capped, never beyond
    ],
)
def test_ticket_priority_is_raised_for_the_tiers_the_policy_names(signals, priority):
    assert ticket_priority(signals, POLICY) == priority


def test_raise_priority_caps_and_validates():
    assert raise_priority("normal", 0) == "normal"
    assert raise_priority("high", 3) == "urgent"
    with pytest.raises(ValueError, match="steps must be a whole number >= 0; got -1"):
        raise_priority("normal", -1)
    with pytest.raises(ValueError, match="priority must be one of low, normal, high, urgent"):
        raise_priority("asap", 1)


# --- who is new, who is at risk -----------------------------------------------


def test_a_first_time_buyer_is_onboarded_not_won_back_even_at_high_churn_risk(session):
    order = factories.order(session, status="delivered")
    score(session, order.customer, tier="low", segment="new", churn=0.9, frequency=1)
    treatment = customer_treatment(session, order.customer.code, POLICY)
    assert (treatment.onboarding, treatment.retention) == (True, False)


def test_a_signed_in_customer_without_orders_or_profile_counts_as_new(session):
    newcomer = factories.customer(session, name="Emma Wilson", language="en")
    treatment = customer_treatment(session, newcomer.code, POLICY)
    assert treatment.onboarding and treatment.profile.tier is None
    assert treatment.auto_approve_limit == POLICY.refunds.auto_approve_limit


@pytest.mark.parametrize(
    ("segment", "churn", "retention"),
    [
        ("at_risk", 0.5, True),
        ("hibernating", 0.2, True),
        ("loyal", 0.8, True),  # high churn risk alone is enough
        ("loyal", 0.5, False),
        ("champions", 0.1, False),
    ],
)
def test_retention_goes_to_at_risk_segments_or_high_churn_risk(session, segment, churn, retention):
    cust = factories.customer(session)
    for _ in range(3):
        factories.order(session, cust, status="delivered")
    score(session, cust, tier="medium", segment=segment, churn=churn)
    treatment = customer_treatment(session, cust.code, POLICY)
    assert (treatment.onboarding, treatment.retention) == (False, retention)


# --- suggestions from the real analysis ---------------------------------------


@pytest.fixture
def analysed_shop(session: Session) -> dict:
    """The synthetic analytics shop (tea goes with a glass cup), analysed for real."""
    customers = build_shop(session, plan_shop(n_customers=80, seed=7))
    run_analysis(session, as_of=AS_OF, engine="pandas")
    return {"customers": customers, **{p.sku: p for p in session.scalars(select(Product))}}


def test_personal_recommendations_follow_the_customers_purchases(session, analysed_shop):
    buyer = factories.customer(session, name="王芳")
    factories.order(
        session,
        buyer,
        status="delivered",
        placed_at=AS_OF - dt.timedelta(days=1),
        items=[(analysed_shop["TEA-GREEN"], 1)],
    )
    recs = personal_recommendations(session, buyer.code, limit=3)
    assert recs[0].sku == "CUP-GLASS" and recs[0].reason == "rules"
    cups = personal_recommendations(session, buyer.code, category_code="cups", limit=3)
    assert cups and {r.sku for r in cups} <= {"CUP-GLASS", "CUP-CLAY"}
    assert personal_recommendations(session, buyer.code, category_code="nothing") == []


def test_complementary_items_skip_what_the_customer_already_has(session, analysed_shop):
    buyer = factories.customer(session, name="王芳")
    order = factories.order(
        session, buyer, status="delivered", items=[(analysed_shop["TEA-GREEN"], 1)]
    )
    assert complementary_items(session, order.number, limit=3)[0].sku == "CUP-GLASS"
    factories.order(session, buyer, status="delivered", items=[(analysed_shop["CUP-GLASS"], 1)])
    assert "CUP-GLASS" not in {r.sku for r in complementary_items(session, order.number, limit=3)}
    with pytest.raises(ValueError, match="order_number must name a known order, got 'SO0'"):
        complementary_items(session, "SO0", limit=3)


def test_before_any_analysis_there_is_nothing_personal(session):
    order = order_factories.delivered(session, days_ago=1)
    assert personal_recommendations(session, order.customer.code) == []
    assert complementary_items(session, order.number, limit=3) == []
