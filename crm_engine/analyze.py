"""The `crm analyze` batch job: load orders, compute segments, tiers, churn and rules, store them.

The bot never trains anything: it reads the newest AnalyticsRun (see
profiles.py and recommendations.py). Run this nightly, e.g. from cron.
The engine (pandas or Spark) comes from CRM_ANALYTICS_ENGINE; both produce the
same AnalysisResult, so storing and reading do not care which one ran.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from tqdm import tqdm

from crm_engine import association
from crm_engine.analytics_models import (
    AnalyticsRun,
    AssociationRule,
    AssociationRuleItem,
    CustomerScore,
    SegmentSummary,
)
from crm_engine.churn import score_churn
from crm_engine.config import settings as app_settings
from crm_engine.models import Category, Customer, Order, OrderItem, Product, Refund, utcnow
from crm_engine.rfm import PURCHASE_STATUSES, SCORE_COLUMNS, check_as_of, rfm_scores, rfm_table
from crm_engine.segmentation import SEGMENTS, CustomerSegmenter
from crm_engine.tiers import (
    TierPolicy,
    ValueTiers,
    customer_value,
    load_tier_policy,
    policy_section,
)

log = logging.getLogger(__name__)

# Bump when a change makes stored results incomparable with older runs.
MODEL_VERSION = "rfm-kmeans.tiers.churn-logreg.fpgrowth/1"
LINE_COLUMNS = ("order_number", "customer_code", "status", "placed_at", "sku", "category_code")
REFUND_COUNTED = ("approved", "completed")
ALL_CUSTOMERS = "all"  # pseudo-segment holding the shop-wide top products


@dataclass(frozen=True)
class AnalysisSettings:
    """Policy sections `segments:`, `churn:` and `recommendations:` (plus `tiers:`)."""

    k_min: int = 2
    k_max: int = 8
    horizon_days: int = 90
    min_support: float = 0.01
    min_confidence: float = 0.1
    category_min_support: float = 0.02
    category_min_confidence: float = 0.2
    max_len: int | None = 4
    top_products: int = 20
    tiers: TierPolicy = field(default_factory=TierPolicy)


_SECTION_KEYS = {
    "segments": ("k_min", "k_max"),
    "churn": ("horizon_days",),
    "recommendations": (
        "min_support",
        "min_confidence",
        "category_min_support",
        "category_min_confidence",
        "max_len",
        "top_products",
    ),
}


def load_analysis_settings(path: Path | None = None) -> AnalysisSettings:
    """Settings from the policy file; absent keys keep their defaults."""
    values: dict[str, Any] = {}
    for section, keys in _SECTION_KEYS.items():
        raw = policy_section(section, path)
        unknown = set(raw) - set(keys)
        if unknown:
            raise ValueError(
                f"{section} section keys must be among {', '.join(keys)}; "
                f"got unknown {', '.join(sorted(map(str, unknown)))}"
            )
        values.update({k: raw[k] for k in keys if k in raw})
    result = AnalysisSettings(**values, tiers=load_tier_policy(path))
    for name in (
        "min_support",
        "min_confidence",
        "category_min_support",
        "category_min_confidence",
    ):
        association.check_fraction(f"recommendations.{name}", getattr(result, name))
    for name in ("k_min", "k_max", "horizon_days", "top_products"):
        v = getattr(result, name)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return result


def _cents(values: list[Decimal | None]) -> np.ndarray:
    return np.array([int(v * 100) if v is not None else 0 for v in values], dtype=np.int64)


def load_orders(session: Session) -> pd.DataFrame:
    """One row per order (rfm.ORDER_COLUMNS + customer_id), money in integer cents."""
    refunded = (
        select(Refund.order_id, func.sum(Refund.amount).label("refunded"))
        .where(Refund.status.in_(REFUND_COUNTED))
        .group_by(Refund.order_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Customer.code,
            Customer.id,
            Order.number,
            Order.placed_at,
            Order.status,
            Order.total,
            refunded.c.refunded,
        )
        .join(Order.customer)
        .outerjoin(refunded, refunded.c.order_id == Order.id)
        .order_by(Order.id)
    ).all()
    codes, ids, numbers, placed, statuses, totals, refunds = (
        zip(*rows, strict=True) if rows else ([],) * 7
    )
    return pd.DataFrame(
        {
            "customer_code": pd.Series(codes, dtype=object),
            "customer_id": np.array(ids, dtype=np.int64),
            "order_number": pd.Series(numbers, dtype=object),
            "placed_at": pd.to_datetime(pd.Series(placed, dtype=object)),
            "status": pd.Series(statuses, dtype=object),
            "total_cents": _cents(list(totals)),
            # A Numeric SUM comes back as Decimal on both backends.
            "refunded_cents": _cents([Decimal(str(r)) if r is not None else None for r in refunds]),
        }
    )


def load_order_lines(session: Session) -> pd.DataFrame:
    """One row per order line (LINE_COLUMNS): what went into each basket."""
    rows = session.execute(
        select(
            Order.number,
            Customer.code,
            Order.status,
            Order.placed_at,
            Product.sku,
            Category.code,
        )
        .join(Order.customer)
        .join(OrderItem, OrderItem.order_id == Order.id)
        .join(Product, Product.id == OrderItem.product_id)
        .join(Category, Category.id == Product.category_id)
        .order_by(OrderItem.id)
    ).all()
    frame = pd.DataFrame(rows, columns=list(LINE_COLUMNS), dtype=object)
    frame["placed_at"] = pd.to_datetime(frame["placed_at"])
    return frame


def purchase_lines(lines: pd.DataFrame, *, as_of: dt.datetime) -> pd.DataFrame:
    """Lines of orders that count as purchases (rfm.PURCHASE_STATUSES) placed by as_of."""
    as_of = check_as_of(as_of)
    return lines[lines["status"].isin(PURCHASE_STATUSES) & (lines["placed_at"] <= as_of)]


@dataclass
class AnalysisResult:
    as_of: pd.Timestamp
    engine: str
    customers: (
        pd.DataFrame
    )  # per customer_code: RFM, scores, segment_code, value_cents, tier, churn
    segments: pd.DataFrame  # per segment code: customers, mean scores and RFM
    top_products: dict[str, list[tuple[str, int]]]  # segment code (or "all") -> [(sku, buyers)]
    product_rules: pd.DataFrame
    category_rules: pd.DataFrame
    metrics: dict[str, Any]
    params: dict[str, Any]


def top_products(
    lines: pd.DataFrame, segment_of: pd.Series, *, limit: int
) -> dict[str, list[tuple[str, int]]]:
    """Per segment (and "all"), the SKUs bought by the most distinct customers."""
    pairs = lines[["customer_code", "sku"]].drop_duplicates()
    pairs = pairs.assign(segment=pairs["customer_code"].map(segment_of))

    def ranked(frame: pd.DataFrame) -> list[tuple[str, int]]:
        counts = frame.groupby("sku").size().reset_index(name="buyers")
        counts = counts.sort_values(["buyers", "sku"], ascending=[False, True]).head(limit)
        return [(str(s), int(b)) for s, b in zip(counts["sku"], counts["buyers"], strict=True)]

    result = {ALL_CUSTOMERS: ranked(pairs)}
    for code, frame in pairs.dropna(subset=["segment"]).groupby("segment"):
        result[str(code)] = ranked(frame)
    return result


def rules_for(
    baskets: list[list[str]], *, min_support: float, min_confidence: float, max_len: int | None
) -> pd.DataFrame:
    _, rules = association.mine_rules(
        baskets, min_support=min_support, min_confidence=min_confidence, max_len=max_len
    )
    return rules


@dataclass
class CustomerScores:
    table: pd.DataFrame  # per customer_code: RFM, scores, segment_code, value_cents, tier, churn
    segments: pd.DataFrame  # per segment code: customers, mean scores and RFM
    metrics: dict[str, Any]


def score_customers(
    orders: pd.DataFrame,
    *,
    as_of: dt.datetime,
    config: AnalysisSettings | None = None,
    steps: tqdm | None = None,
) -> CustomerScores:
    """RFM, segments, tiers and churn risk for every customer with a purchase by as_of."""
    config = config or AnalysisSettings()
    as_of = check_as_of(as_of)
    steps = steps or tqdm(disable=True)
    metrics: dict[str, Any] = {}

    steps.set_postfix_str("RFM")
    table = rfm_scores(rfm_table(orders, as_of=as_of))
    steps.update()

    steps.set_postfix_str("segments")
    segmenter = CustomerSegmenter(k_min=config.k_min, k_max=config.k_max).fit(table)
    table["segment_code"] = segmenter.predict(table)
    metrics["k"] = segmenter.n_clusters_
    metrics["silhouette"] = {str(k): round(v, 4) for k, v in segmenter.silhouette_.items()}
    steps.update()

    steps.set_postfix_str("tiers")
    value = customer_value(orders, as_of=as_of, window_days=config.tiers.window_days)
    tiers = ValueTiers(config.tiers).fit(value)
    table["value_cents"] = value.reindex(table.index).to_numpy()
    table["tier"] = tiers.predict(value.reindex(table.index))
    metrics["tier_cutoffs"] = {k: str(v) for k, v in tiers.cutoffs_.items()}
    steps.update()

    steps.set_postfix_str("churn")
    table["churn_probability"] = np.nan
    try:
        churn = score_churn(orders, as_of=as_of, horizon_days=config.horizon_days)
    except ValueError as exc:
        log.warning("churn risk not computed: %s", exc)
        metrics["churn"] = {"skipped": str(exc)}
    else:
        table["churn_probability"] = churn.scores.reindex(table.index).to_numpy()
        metrics["churn"] = {
            "roc_auc": churn.roc_auc,
            "train_cutoff": churn.train_cutoff.isoformat(),
            "test_cutoff": churn.test_cutoff.isoformat(),
            "n_train": churn.n_train,
            "n_test": churn.n_test,
            "test_churn_rate": churn.test_churn_rate,
        }
    steps.update()
    return CustomerScores(table, segmenter.profiles_.set_index("segment"), metrics)


def analyze_frames(
    orders: pd.DataFrame,
    lines: pd.DataFrame,
    *,
    as_of: dt.datetime,
    config: AnalysisSettings | None = None,
    progress: bool = False,
) -> AnalysisResult:
    """The pandas / scikit-learn engine: everything `crm analyze` stores, from two frames."""
    config = config or AnalysisSettings()
    as_of = check_as_of(as_of)
    steps = tqdm(total=5, desc="analyze", unit="step", disable=not progress)
    scores = score_customers(orders, as_of=as_of, config=config, steps=steps)

    steps.set_postfix_str("rules")
    bought = purchase_lines(lines, as_of=as_of)
    product_rules = rules_for(
        association.baskets_from_lines(bought, basket="order_number", item="sku"),
        min_support=config.min_support,
        min_confidence=config.min_confidence,
        max_len=config.max_len,
    )
    category_rules = rules_for(
        association.baskets_from_lines(bought, basket="order_number", item="category_code"),
        min_support=config.category_min_support,
        min_confidence=config.category_min_confidence,
        max_len=config.max_len,
    )
    steps.update()
    steps.close()

    table = scores.table
    return AnalysisResult(
        as_of=as_of,
        engine="pandas",
        customers=table,
        segments=scores.segments,
        top_products=top_products(bought, table["segment_code"], limit=config.top_products),
        product_rules=product_rules,
        category_rules=category_rules,
        metrics=scores.metrics | _counts(table, bought, product_rules, category_rules),
        params=_params(config),
    )


def _counts(
    table: pd.DataFrame,
    bought: pd.DataFrame,
    product_rules: pd.DataFrame,
    category_rules: pd.DataFrame,
) -> dict[str, int]:
    return {
        "customers": len(table),
        "baskets": int(bought["order_number"].nunique()),
        "product_rules": len(product_rules),
        "category_rules": len(category_rules),
    }


def _params(config: AnalysisSettings) -> dict[str, Any]:
    params = asdict(config)
    params["tiers"] = {
        k: str(v) if isinstance(v, Decimal) else v for k, v in params["tiers"].items()
    }
    return params


def _rule_rows(run_id: int, level: str, rules: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for r in rules.itertuples(index=False):
        conviction = float(r.conviction)
        rows.append(
            {
                "run_id": run_id,
                "level": level,
                "antecedents": sorted(map(str, r.antecedents)),
                "consequents": sorted(map(str, r.consequents)),
                "antecedent_size": len(r.antecedents),
                "antecedent_support": float(r[2]),
                "consequent_support": float(r[3]),
                "support": float(r.support),
                "confidence": float(r.confidence),
                "lift": float(r.lift),
                "leverage": float(r.leverage),
                "conviction": conviction if np.isfinite(conviction) else None,
            }
        )
    return rows


def store_result(session: Session, result: AnalysisResult, *, seconds: float) -> AnalyticsRun:
    """Write one run and all its rows (the caller's transaction makes it all-or-nothing)."""
    run = AnalyticsRun(
        model_version=MODEL_VERSION,
        engine=result.engine,
        as_of=result.as_of.to_pydatetime(),
        created_at=utcnow(),
        seconds=round(seconds, 3),
        params=result.params,
        metrics=result.metrics,
    )
    session.add(run)
    session.flush()

    ids = dict(session.execute(select(Customer.code, Customer.id)).all())
    table = result.customers
    unknown = [c for c in table.index if c not in ids][:5]
    if unknown:
        raise ValueError(
            f"customers {unknown} are not in the store; analyse the store's own orders"
        )
    rows = [
        {
            "run_id": run.id,
            "customer_id": ids[code],
            "recency_days": int(r.recency_days),
            "frequency": int(r.frequency),
            "monetary": Decimal(int(r.monetary_cents)) / 100,
            "r_score": int(r.r_score),
            "f_score": int(r.f_score),
            "m_score": int(r.m_score),
            "segment_code": r.segment_code,
            "value": Decimal(int(r.value_cents)) / 100,
            "tier": r.tier,
            "churn_probability": None
            if pd.isna(r.churn_probability)
            else float(r.churn_probability),
        }
        for code, r in zip(table.index, table.itertuples(index=False), strict=True)
    ]
    for start in tqdm(
        range(0, len(rows), 5000), desc="store customers", disable=len(rows) < 50_000
    ):
        session.execute(insert(CustomerScore), rows[start : start + 5000])

    for code, p in result.segments.iterrows():
        segment = SEGMENTS[str(code)]
        session.add(
            SegmentSummary(
                run_id=run.id,
                code=segment.code,
                name_zh=segment.name_zh,
                name_en=segment.name_en,
                customers=int(p["customers"]),
                **{c: float(p[c]) for c in SCORE_COLUMNS},
                recency_days=float(p["recency_days"]),
                frequency=float(p["frequency"]),
                monetary=float(p["monetary"]),
                top_products=[list(t) for t in result.top_products.get(segment.code, [])],
            )
        )
    session.add(
        SegmentSummary(
            run_id=run.id,
            code=ALL_CUSTOMERS,
            name_zh="全部客户",
            name_en="All customers",
            customers=len(table),
            **{c: float(table[c].mean()) for c in SCORE_COLUMNS},
            recency_days=float(table["recency_days"].mean()),
            frequency=float(table["frequency"].mean()),
            monetary=float(table["monetary"].mean()),
            top_products=[list(t) for t in result.top_products.get(ALL_CUSTOMERS, [])],
        )
    )

    for level, rules in (("product", result.product_rules), ("category", result.category_rules)):
        rule_rows = _rule_rows(run.id, level, rules)
        for rule in rule_rows:
            obj = AssociationRule(**rule)
            obj.items = [
                AssociationRuleItem(role="antecedent", item=i) for i in rule["antecedents"]
            ] + [AssociationRuleItem(role="consequent", item=i) for i in rule["consequents"]]
            session.add(obj)
    session.flush()
    return run


def run_analysis(
    session: Session,
    *,
    as_of: dt.datetime | None = None,
    engine: str | None = None,
    policy_path: Path | None = None,
    progress: bool = False,
) -> AnalyticsRun:
    """Load the store, analyse with the configured engine, store the run; returns it."""
    engine = engine or app_settings().analytics_engine
    if engine not in ("pandas", "spark"):
        raise ValueError(f"engine must be one of pandas, spark, got {engine!r}")
    as_of = as_of or utcnow()
    config = load_analysis_settings(policy_path)
    started = time.perf_counter()
    orders = load_orders(session)
    lines = load_order_lines(session)
    if engine == "spark":
        from crm_engine.spark.analyze import analyze_frames_spark

        result = analyze_frames_spark(orders, lines, as_of=as_of, config=config, progress=progress)
    else:
        result = analyze_frames(orders, lines, as_of=as_of, config=config, progress=progress)
    return store_result(session, result, seconds=time.perf_counter() - started)


def latest_run(session: Session) -> AnalyticsRun | None:
    return session.scalars(select(AnalyticsRun).order_by(AnalyticsRun.id.desc()).limit(1)).first()
