"""How the bot treats a customer it knows: decided here from the analytics, worded by the bot.

Everything reads the newest `crm analyze` run (see crm_engine.profiles) and the
`personalisation` section of the shop policy; nothing is learnt or written.
The value tier moves the refund approval limit (crm_engine.refunds) and
ticket priority (crm_engine.tickets); segment and churn risk choose between an
onboarding pointer and a retention offer (`customer_treatment`); the
association rules give personal and complementary product suggestions.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_engine.analytics_models import AnalyticsRun, CustomerScore
from crm_engine.models import Category, Customer, Order, Product
from crm_engine.policy import ShopPolicy, shop_policy
from crm_engine.profiles import CustomerProfile, customer_profile
from crm_engine.recommendations import (
    MAX_LIMIT,
    Recommendation,
    also_bought,
    bought_skus,
    check_limit,
    recommend_for_customer,
)
from crm_engine.rfm import PURCHASE_STATUSES

__all__ = [
    "CustomerTreatment",
    "complementary_items",
    "customer_tier",
    "customer_treatment",
    "personal_recommendations",
    "purchase_count",
]


def customer_tier(session: Session, customer_id: int | None) -> str | None:
    """The customer's value tier in the newest analytics run (None: unknown customer,
    no run yet, or no purchase when the run was made)."""
    if customer_id is None:
        return None
    latest = select(func.max(AnalyticsRun.id)).scalar_subquery()
    return session.scalar(
        select(CustomerScore.tier).where(
            CustomerScore.run_id == latest, CustomerScore.customer_id == customer_id
        )
    )


def purchase_count(session: Session, customer_id: int) -> int:
    """Orders that count as purchases, live: orders since the last analytics run count too."""
    return session.scalar(
        select(func.count())
        .select_from(Order)
        .where(Order.customer_id == customer_id, Order.status.in_(PURCHASE_STATUSES))
    )


@dataclass(frozen=True)
class CustomerTreatment:
    """What the bot does differently for one customer (see data/shop_policy.yml).

    `onboarding` and `retention` never both hold: a new customer is welcomed,
    not won back, even when the churn model already rates them likely to leave.
    """

    customer_code: str
    name: str
    profile: CustomerProfile
    auto_approve_limit: Decimal
    priority_steps: int
    onboarding: bool
    retention: bool

    @property
    def priority(self) -> bool:
        """True when this customer's tickets jump the queue."""
        return self.priority_steps > 0

    def tier_name(self, language: str) -> str | None:
        return self.profile.tier_name(language)


def customer_treatment(
    session: Session, customer_code: str, policy: ShopPolicy | None = None
) -> CustomerTreatment:
    """The treatment of the customer `customer_code`; ValueError for an unknown code."""
    policy = policy or shop_policy()
    rules = policy.personalisation
    profile = customer_profile(session, customer_code)
    customer = session.scalar(select(Customer).where(Customer.code == customer_code))
    onboarding = rules.onboarding is not None and (
        profile.segment_code in rules.onboarding.segments
        or purchase_count(session, customer.id) <= rules.onboarding.max_orders
    )
    retention = (
        not onboarding
        and rules.retention is not None
        and (
            profile.segment_code in rules.retention.segments
            or profile.churn_risk in rules.retention.churn_risks
        )
    )
    return CustomerTreatment(
        customer_code=customer_code,
        name=customer.name,
        profile=profile,
        auto_approve_limit=policy.auto_approve_limit(profile.tier),
        priority_steps=rules.priority_steps(profile.tier),
        onboarding=onboarding,
        retention=retention,
    )


def _category_of(session: Session, skus: list[str]) -> dict[str, str]:
    if not skus:
        return {}
    rows = session.execute(
        select(Product.sku, Category.code)
        .join(Category, Category.id == Product.category_id)
        .where(Product.sku.in_(skus))
    )
    return {sku: code for sku, code in rows}


def personal_recommendations(
    session: Session, customer_code: str, *, category_code: str | None = None, limit: int = 3
) -> list[Recommendation]:
    """`recommend_for_customer`, optionally kept to one category (the one the customer asked
    about); empty when there is no analytics run or nothing fits."""
    check_limit(limit)
    if category_code is None:
        return recommend_for_customer(session, customer_code, limit=limit)
    # Rank the whole list, then filter: the category's best personal items may
    # sit below other categories' items.
    ranked = recommend_for_customer(session, customer_code, limit=MAX_LIMIT)
    categories = _category_of(session, [r.sku for r in ranked])
    return [r for r in ranked if categories.get(r.sku) == category_code][:limit]


def complementary_items(session: Session, order_number: str, *, limit: int) -> list[Recommendation]:
    """Items other customers bought with this order's products, that its customer has not.

    Each candidate keeps its best rule score over the order's products
    (`also_bought`), best first; empty without rules for these products.
    """
    check_limit(limit)
    order = session.scalar(select(Order).where(Order.number == order_number))
    if order is None:
        raise ValueError(f"order_number must name a known order, got {order_number!r}")
    in_order = [item.product.sku for item in order.items]
    owned = bought_skus(session, order.customer_id) | set(in_order)
    best: dict[str, Recommendation] = {}
    for sku in dict.fromkeys(in_order):  # each product once, in order
        for rec in also_bought(session, sku, limit=MAX_LIMIT):
            if rec.sku in owned:
                continue
            current = best.get(rec.sku)
            if current is None or rec.score > current.score:
                best[rec.sku] = rec
    ranked = sorted(best.values(), key=lambda r: (-r.score, r.sku))
    return ranked[:limit]
