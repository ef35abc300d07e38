"""`crm analyze` on Spark: the same AnalysisResult as analyze.analyze_frames."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from tqdm import tqdm

from crm_engine import association
from crm_engine.analyze import ALL_CUSTOMERS, AnalysisResult, AnalysisSettings, _params
from crm_engine.rfm import PURCHASE_STATUSES, check_as_of
from crm_engine.segmentation import CustomerSegmenter
from crm_engine.spark import models
from crm_engine.spark import rfm as srfm
from crm_engine.spark.session import spark_session
from crm_engine.tiers import ValueTiers, top_share_position

log = logging.getLogger(__name__)


@dataclass
class SparkAnalysis:
    """Results still in Spark (customers) plus the small driver-side parts."""

    as_of: pd.Timestamp
    customers: DataFrame  # customer_code + the AnalysisResult.customers columns
    segments: pd.DataFrame
    top_products: dict[str, list[tuple[str, int]]]
    product_rules: pd.DataFrame
    category_rules: pd.DataFrame
    metrics: dict[str, Any]
    params: dict[str, Any]

    def to_result(self) -> AnalysisResult:
        """Collect the per-customer table to the driver (for storing in the CRM database)."""
        rows = self.customers.orderBy("customer_code").collect()
        table = pd.DataFrame([r.asDict() for r in rows]).set_index("customer_code")
        return AnalysisResult(
            as_of=self.as_of,
            engine="spark",
            customers=table,
            segments=self.segments,
            top_products=self.top_products,
            product_rules=self.product_rules,
            category_rules=self.category_rules,
            metrics=self.metrics,
            params=self.params,
        )


def _tier_cutoffs(values: DataFrame, n: int, tiers: ValueTiers) -> None:
    """Fit `tiers` from a Spark value table: the same order statistics as ValueTiers.fit."""
    policy = tiers.policy
    if policy.mode == "amount":
        tiers.fit(pd.Series([0]))
        return
    ranked = values.select("value_cents").orderBy(F.col("value_cents").desc())
    cents = {}
    for tier in ("vip", "high", "medium"):
        position = top_share_position(getattr(policy, tier), n)
        cents[tier] = ranked.offset(position).limit(1).first()["value_cents"]
    tiers.set_cutoffs_cents(cents)


def _tier_column(tiers: ValueTiers) -> F.Column:
    floors = tiers.floors_cents()
    value = F.col("value_cents")
    column = F.lit("low")
    for tier in ("medium", "high", "vip"):  # best last, so it wins
        column = F.when((value >= F.lit(floors[tier])) & (value > 0), F.lit(tier)).otherwise(column)
    return column


def _top_products(
    lines: DataFrame, segments: DataFrame, limit: int
) -> dict[str, list[tuple[str, int]]]:
    pairs = lines.select("customer_code", "sku").distinct().join(segments, "customer_code", "left")
    shop = pairs.withColumn("segment_code", F.lit(ALL_CUSTOMERS))
    counted = (
        pairs.where(F.col("segment_code").isNotNull())
        .unionByName(shop)
        .groupBy("segment_code", "sku")
        .agg(F.count(F.lit(1)).alias("buyers"))
    )
    rank = F.row_number().over(
        Window.partitionBy("segment_code").orderBy(F.desc("buyers"), F.asc("sku"))
    )
    top = (
        counted.withColumn("rank", rank)
        .where(F.col("rank") <= limit)
        .orderBy("segment_code", "rank")
    )
    result: dict[str, list[tuple[str, int]]] = {}
    for r in top.collect():
        result.setdefault(r["segment_code"], []).append((r["sku"], int(r["buyers"])))
    return result


def _rules(
    lines: DataFrame, item: str, *, min_support: float, min_confidence: float, max_len: int | None
) -> pd.DataFrame:
    baskets = lines.groupBy("order_number").agg(F.collect_set(item).alias("items"))
    itemsets = models.frequent_itemsets(baskets, min_support=min_support, max_len=max_len)
    return association.association_rules(
        itemsets, metric="confidence", min_threshold=min_confidence
    )


CUSTOMER_COLUMNS = (
    "customer_code",
    "recency_days",
    "frequency",
    "monetary",
    "monetary_cents",
    "tenure_days",
    "r_score",
    "f_score",
    "m_score",
    "rfm_score",
    "segment_code",
    "value_cents",
    "tier",
    "churn_probability",
)


@dataclass
class SparkCustomerScores:
    customers: DataFrame  # CUSTOMER_COLUMNS
    segments: pd.DataFrame
    metrics: dict[str, Any]


def score_customers_spark(
    orders: DataFrame,
    *,
    as_of: dt.datetime,
    config: AnalysisSettings | None = None,
    steps: tqdm | None = None,
) -> SparkCustomerScores:
    """analyze.score_customers on Spark (orders with srfm.ORDER_SCHEMA columns)."""
    config = config or AnalysisSettings()
    as_of = check_as_of(as_of)
    as_of_us = srfm.epoch_us(as_of)
    steps = steps or tqdm(disable=True)
    metrics: dict[str, Any] = {}

    steps.set_postfix_str("RFM")
    scored = srfm.rfm_scores(srfm.rfm_table(orders, as_of_us)).cache()
    n = scored.count()
    if n == 0:
        raise ValueError(
            f"orders must contain at least one purchase (status in {', '.join(PURCHASE_STATUSES)}) "
            f"placed on or before {as_of}, got an empty history"
        )
    steps.update()

    steps.set_postfix_str("segments")
    segments = models.fit_segments(
        scored, CustomerSegmenter(k_min=config.k_min, k_max=config.k_max)
    )
    metrics["k"] = segments.n_clusters
    metrics["silhouette"] = {str(k): round(v, 4) for k, v in segments.silhouette.items()}
    steps.update()

    steps.set_postfix_str("tiers")
    values = srfm.customer_value(orders, as_of_us, config.tiers.window_days).cache()
    tiers = ValueTiers(config.tiers)
    _tier_cutoffs(values, n, tiers)
    metrics["tier_cutoffs"] = {k: str(v) for k, v in tiers.cutoffs_.items()}
    steps.update()

    steps.set_postfix_str("churn")
    horizon_us = config.horizon_days * srfm.DAY_US
    train_us, test_us = as_of_us - 2 * horizon_us, as_of_us - horizon_us
    first_us = orders.agg(F.min("placed_us")).first()[0]
    churn_scores = None
    if first_us is None or first_us > train_us:
        reason = (
            f"orders must start on or before "
            f"{(as_of - pd.Timedelta(days=2 * config.horizon_days)).date()} "
            f"(as_of minus 2 x horizon_days={config.horizon_days}) to train and test a churn model"
        )
        log.warning("churn risk not computed: %s", reason)
        metrics["churn"] = {"skipped": reason}
    else:
        train = srfm.churn_labels(
            orders, srfm.churn_features(orders, train_us), train_us, config.horizon_days
        )
        test = srfm.churn_labels(
            orders, srfm.churn_features(orders, test_us), test_us, config.horizon_days
        )
        churn = models.fit_churn(train, test, srfm.churn_features(orders, as_of_us))
        churn_scores = churn.scores
        metrics["churn"] = {
            "roc_auc": churn.roc_auc,
            "train_cutoff": (as_of - pd.Timedelta(days=2 * config.horizon_days)).isoformat(),
            "test_cutoff": (as_of - pd.Timedelta(days=config.horizon_days)).isoformat(),
            "n_train": churn.n_train,
            "n_test": churn.n_test,
            "test_churn_rate": churn.test_churn_rate,
            "model": "spark.ml LogisticRegression",
        }
    steps.update()

    customers = (
        scored.join(segments.assignments, "customer_code")
        .join(values, "customer_code")
        .withColumn("tier", _tier_column(tiers))
    )
    if churn_scores is not None:
        customers = customers.join(churn_scores, "customer_code", "left")
    else:
        customers = customers.withColumn("churn_probability", F.lit(None).cast("double"))
    metrics["customers"] = n
    # Cached: storing, top products and reports all read it again.
    customers = customers.select(*CUSTOMER_COLUMNS).cache()
    return SparkCustomerScores(customers, segments.profiles, metrics)


def analyze_spark(
    spark: SparkSession,
    orders: DataFrame,
    lines: DataFrame,
    *,
    as_of: dt.datetime,
    config: AnalysisSettings | None = None,
    progress: bool = False,
) -> SparkAnalysis:
    """Analyse Spark DataFrames with srfm.ORDER_SCHEMA / LINE_SCHEMA columns."""
    config = config or AnalysisSettings()
    as_of = check_as_of(as_of)
    as_of_us = srfm.epoch_us(as_of)
    steps = tqdm(total=5, desc="analyze (spark)", unit="step", disable=not progress)
    scores = score_customers_spark(orders.cache(), as_of=as_of, config=config, steps=steps)

    steps.set_postfix_str("rules")
    bought = lines.where(
        F.col("status").isin(*PURCHASE_STATUSES) & (F.col("placed_us") <= F.lit(as_of_us))
    ).cache()
    product_rules = _rules(
        bought,
        "sku",
        min_support=config.min_support,
        min_confidence=config.min_confidence,
        max_len=config.max_len,
    )
    category_rules = _rules(
        bought,
        "category_code",
        min_support=config.category_min_support,
        min_confidence=config.category_min_confidence,
        max_len=config.max_len,
    )
    top = _top_products(
        bought, scores.customers.select("customer_code", "segment_code"), config.top_products
    )
    steps.update()
    steps.close()

    metrics = scores.metrics | {
        "baskets": bought.select("order_number").distinct().count(),
        "product_rules": len(product_rules),
        "category_rules": len(category_rules),
    }
    return SparkAnalysis(
        as_of=as_of,
        customers=scores.customers,
        segments=scores.segments,
        top_products=top,
        product_rules=product_rules,
        category_rules=category_rules,
        metrics=metrics,
        params=_params(config) | {"engine": "spark"},
    )


def analyze_frames_spark(
    orders: pd.DataFrame,
    lines: pd.DataFrame,
    *,
    as_of: dt.datetime,
    config: AnalysisSettings | None = None,
    progress: bool = False,
    spark: SparkSession | None = None,
) -> AnalysisResult:
    """analyze.analyze_frames on Spark: same inputs, same result type."""
    spark = spark or spark_session()
    analysis = analyze_spark(
        spark,
        srfm.orders_to_spark(spark, orders),
        srfm.lines_to_spark(spark, lines),
        as_of=as_of,
        config=config,
        progress=progress,
    )
    return analysis.to_result()
