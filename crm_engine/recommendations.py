"""Product recommendations from stored association rules, with a segment fallback.

Ranking (documented contract, used by the bot and the benchmark alike):
1. Rules: every rule whose antecedents the customer has all bought proposes each
   consequent item they have not bought. An item's score is the max over those
   rules of confidence x lift (how likely, times how much more likely than
   chance); ties go to the higher support of the best rule, then the item code.
2. Segment fallback: when rules give fewer than `limit` items, the products most
   bought (by distinct customers) in the customer's segment fill the list, then
   the shop-wide best sellers. Their score is the share of the segment's (or
   shop's) customers who bought them, always below rule scores in the list order.

The read functions only query the newest AnalyticsRun; nothing is trained here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_engine.analytics_models import (
    AnalyticsRun,
    AssociationRule,
    AssociationRuleItem,
    CustomerScore,
    SegmentSummary,
)
from crm_engine.models import Customer, Order, OrderItem, Product
from crm_engine.rfm import PURCHASE_STATUSES

MAX_LIMIT = 50
REASONS = ("rules", "segment", "popular")


def check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be an integer in [1, {MAX_LIMIT}], got {limit!r}")
    return limit


def rank_from_rules(
    rules: pd.DataFrame, bought: Iterable[str], *, limit: int, exclude: Iterable[str] = ()
) -> pd.DataFrame:
    """Items proposed by rules whose antecedents are all in `bought`, best first.

    `rules` has columns antecedents, consequents (collections of item codes),
    confidence, lift, support. Returns columns item, score, support, because_of.
    """
    check_limit(limit)
    owned = set(bought)
    skip = owned | set(exclude)
    columns = ["item", "score", "support", "because_of"]
    if rules.empty or not owned:
        return pd.DataFrame(columns=columns)
    best: dict[str, tuple[float, float, tuple[str, ...]]] = {}
    for ante, cons, conf, lift, sup in zip(
        rules["antecedents"],
        rules["consequents"],
        rules["confidence"],
        rules["lift"],
        rules["support"],
        strict=True,
    ):
        if not owned.issuperset(ante):
            continue
        score = float(conf) * float(lift)
        for item in cons:
            if item in skip:
                continue
            current = best.get(item)
            if current is None or (score, float(sup)) > (current[0], current[1]):
                best[item] = (score, float(sup), tuple(sorted(ante)))
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))[:limit]
    return pd.DataFrame(
        [(item, s, sup, because) for item, (s, sup, because) in ranked], columns=columns
    )


Ranked = tuple[str, float, str, tuple[str, ...]]  # item, score, reason, because_of


def rank_items(
    rules: pd.DataFrame,
    bought: Iterable[str],
    *,
    fallbacks: Sequence[tuple[str, Sequence[tuple[str, float]]]] = (),
    limit: int,
) -> list[Ranked]:
    """Rule items first (rank_from_rules), then each (reason, [(item, share)]) fallback list.

    Items already bought or already listed are skipped, so the result has at most
    `limit` distinct new items.
    """
    owned = set(bought)
    top = rank_from_rules(rules, owned, limit=limit)
    ranked: list[Ranked] = [
        (r.item, float(r.score), "rules", tuple(r.because_of)) for r in top.itertuples(index=False)
    ]
    seen = owned | {r[0] for r in ranked}
    for reason, items in fallbacks:
        for item, share in items:
            if len(ranked) == limit:
                return ranked
            if item not in seen:
                ranked.append((item, float(share), reason, ()))
                seen.add(item)
    return ranked


@dataclass(frozen=True)
class Recommendation:
    sku: str
    name_zh: str
    name_en: str
    price: Decimal
    score: float
    reason: str  # one of REASONS
    because_of: tuple[str, ...]  # the SKUs that triggered the rule (empty for fallbacks)


def _latest_run_id(session: Session) -> int | None:
    return session.scalar(select(func.max(AnalyticsRun.id)))


def _products(session: Session, skus: Iterable[str]) -> dict[str, Product]:
    skus = list(skus)
    if not skus:
        return {}
    found = session.scalars(select(Product).where(Product.sku.in_(skus), Product.active.is_(True)))
    return {p.sku: p for p in found}


def _rules_with_antecedents_in(
    session: Session, run_id: int, items: set[str], *, exact: bool = False
) -> pd.DataFrame:
    """Product rules of the run whose antecedents are all in `items` (or equal them)."""
    matched = (
        select(AssociationRule.id)
        .join(AssociationRuleItem)
        .where(
            AssociationRule.run_id == run_id,
            AssociationRule.level == "product",
            AssociationRuleItem.role == "antecedent",
            AssociationRuleItem.item.in_(sorted(items)),
        )
        .group_by(AssociationRule.id, AssociationRule.antecedent_size)
        .having(func.count() == AssociationRule.antecedent_size)
    )
    query = select(AssociationRule).where(AssociationRule.id.in_(matched))
    if exact:
        query = query.where(AssociationRule.antecedent_size == len(items))
    rules = session.scalars(query).all()
    return pd.DataFrame(
        {
            "antecedents": [r.antecedents for r in rules],
            "consequents": [r.consequents for r in rules],
            "confidence": [r.confidence for r in rules],
            "lift": [r.lift for r in rules],
            "support": [r.support for r in rules],
        }
    )


def _no_rules() -> pd.DataFrame:
    return pd.DataFrame(columns=["antecedents", "consequents", "confidence", "lift", "support"])


def _to_recommendations(
    ranked: list[Ranked], products: dict[str, Product], limit: int
) -> list[Recommendation]:
    result = []
    for sku, score, reason, because in ranked:
        product = products.get(sku)
        if product is None or any(r.sku == sku for r in result):
            continue  # inactive or already listed
        result.append(
            Recommendation(
                sku, product.name_zh, product.name_en, product.price, score, reason, because
            )
        )
        if len(result) == limit:
            break
    return result


def _customer(session: Session, customer_code: str) -> Customer:
    customer = session.scalar(select(Customer).where(Customer.code == customer_code))
    if customer is None:
        raise ValueError(f"customer_code must name a known customer, got {customer_code!r}")
    return customer


def bought_skus(session: Session, customer_id: int) -> set[str]:
    """SKUs of the customer's purchases (live, so items bought since the last run count)."""
    return set(
        session.scalars(
            select(Product.sku)
            .join(OrderItem, OrderItem.product_id == Product.id)
            .join(Order, Order.id == OrderItem.order_id)
            .where(Order.customer_id == customer_id, Order.status.in_(PURCHASE_STATUSES))
            .distinct()
        )
    )


def recommend_for_customer(
    session: Session, customer_code: str, limit: int = 5
) -> list[Recommendation]:
    """Up to `limit` products for the customer, ranked as the module docstring says."""
    check_limit(limit)
    customer = _customer(session, customer_code)
    run_id = _latest_run_id(session)
    if run_id is None:
        return []
    bought = bought_skus(session, customer.id)
    rules = _rules_with_antecedents_in(session, run_id, bought) if bought else _no_rules()
    segment = session.scalar(
        select(CustomerScore.segment_code).where(
            CustomerScore.run_id == run_id, CustomerScore.customer_id == customer.id
        )
    )
    summaries = {
        s.code: s
        for s in session.scalars(select(SegmentSummary).where(SegmentSummary.run_id == run_id))
    }
    fallbacks = [
        (
            reason,
            [(sku, buyers / max(summary.customers, 1)) for sku, buyers in summary.top_products],
        )
        for code, reason in ((segment, "segment"), ("all", "popular"))
        if code and (summary := summaries.get(code)) is not None
    ]
    # Rank more than asked: inactive products are dropped afterwards.
    ranked = rank_items(rules, bought, fallbacks=fallbacks, limit=MAX_LIMIT)
    products = _products(session, [r[0] for r in ranked])
    return _to_recommendations(ranked, products, limit)


def also_bought(session: Session, sku: str, limit: int = 5) -> list[Recommendation]:
    """Customers who bought SKU also bought: the consequents of the rules {SKU} -> X."""
    check_limit(limit)
    if session.scalar(select(Product.id).where(Product.sku == sku)) is None:
        raise ValueError(f"sku must name a known product, got {sku!r}")
    run_id = _latest_run_id(session)
    if run_id is None:
        return []
    rules = _rules_with_antecedents_in(session, run_id, {sku}, exact=True)
    ranked = rank_items(rules, {sku}, limit=MAX_LIMIT)
    return _to_recommendations(ranked, _products(session, [r[0] for r in ranked]), limit)
