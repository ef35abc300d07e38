"""RFM, quintile scores, customer value and churn features in Spark SQL.

Same definitions as crm_engine.rfm / tiers / churn (the contract tests check the
numbers are identical). Times travel as microseconds since the epoch
(`placed_us`), so day counts are integer divisions, exactly like pandas'
`Timedelta // 1 day`, with no time-zone conversion anywhere.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from crm_engine.rfm import ORDER_COLUMNS, PURCHASE_STATUSES, check_as_of

DAY_US = 86_400_000_000
ORDER_SCHEMA = T.StructType(
    [
        T.StructField("customer_code", T.StringType(), False),
        T.StructField("order_number", T.StringType(), False),
        T.StructField("placed_us", T.LongType(), False),
        T.StructField("status", T.StringType(), False),
        T.StructField("total_cents", T.LongType(), False),
        T.StructField("refunded_cents", T.LongType(), False),
    ]
)
LINE_SCHEMA = T.StructType(
    [
        T.StructField("order_number", T.StringType(), False),
        T.StructField("customer_code", T.StringType(), False),
        T.StructField("status", T.StringType(), False),
        T.StructField("placed_us", T.LongType(), False),
        T.StructField("sku", T.StringType(), False),
        T.StructField("category_code", T.StringType(), False),
    ]
)


def epoch_us(moment: dt.datetime | pd.Timestamp) -> int:
    return check_as_of(moment).value // 1000  # .value is always nanoseconds


def _us(column: pd.Series) -> list[int]:
    return pd.to_datetime(column).astype("datetime64[us]").astype(np.int64).tolist()


def orders_to_spark(spark: SparkSession, orders: pd.DataFrame) -> DataFrame:
    """rfm.ORDER_COLUMNS frame -> Spark DataFrame (ORDER_SCHEMA)."""
    missing = [c for c in ORDER_COLUMNS if c not in orders.columns]
    if missing:
        raise ValueError(
            f"orders must have the columns {', '.join(ORDER_COLUMNS)}; missing {missing}"
        )
    rows = zip(
        orders["customer_code"].astype(str).tolist(),
        orders["order_number"].astype(str).tolist(),
        _us(orders["placed_at"]),
        orders["status"].astype(str).tolist(),
        orders["total_cents"].astype(np.int64).tolist(),
        orders["refunded_cents"].astype(np.int64).tolist(),
        strict=True,
    )
    return spark.createDataFrame(list(rows), ORDER_SCHEMA)


def lines_to_spark(spark: SparkSession, lines: pd.DataFrame) -> DataFrame:
    """analyze.LINE_COLUMNS frame -> Spark DataFrame (LINE_SCHEMA)."""
    rows = zip(
        lines["order_number"].astype(str).tolist(),
        lines["customer_code"].astype(str).tolist(),
        lines["status"].astype(str).tolist(),
        _us(lines["placed_at"]),
        lines["sku"].astype(str).tolist(),
        lines["category_code"].astype(str).tolist(),
        strict=True,
    )
    return spark.createDataFrame(list(rows), LINE_SCHEMA)


def purchases(orders: DataFrame, as_of_us: int) -> DataFrame:
    """Purchases placed by as_of with net_cents = total - min(refunded, total)."""
    return orders.where(
        F.col("status").isin(*PURCHASE_STATUSES) & (F.col("placed_us") <= F.lit(as_of_us))
    ).select(
        "customer_code",
        "order_number",
        "placed_us",
        (F.col("total_cents") - F.least("refunded_cents", "total_cents")).alias("net_cents"),
    )


def _days_before(as_of_us: int, column: str) -> F.Column:
    """Whole days from `column` to as_of: integer division, as pandas' Timedelta // 1 day."""
    return F.expr(f"({as_of_us} - {column}) div {DAY_US}").cast("long")


def rfm_table(orders: DataFrame, as_of_us: int) -> DataFrame:
    """customer_code, recency_days, frequency, monetary, monetary_cents, tenure_days."""
    return (
        purchases(orders, as_of_us)
        .groupBy("customer_code")
        .agg(
            F.max("placed_us").alias("last_us"),
            F.min("placed_us").alias("first_us"),
            F.count(F.lit(1)).alias("frequency"),
            F.sum("net_cents").alias("monetary_cents"),
        )
        .select(
            "customer_code",
            _days_before(as_of_us, "last_us").alias("recency_days"),
            F.col("frequency").cast("long"),
            (F.col("monetary_cents").cast("double") / F.lit(100.0)).alias("monetary"),
            F.col("monetary_cents").cast("long"),
            _days_before(as_of_us, "first_us").alias("tenure_days"),
        )
    )


def rfm_scores(table: DataFrame) -> DataFrame:
    """Adds r/f/m_score = 1 + floor(5 (rank - 1) / n) with ties at their lowest rank."""
    everyone = Window.partitionBy()  # one global ranking, as in pandas
    n = F.count(F.lit(1)).over(everyone)

    def score(order: F.Column) -> F.Column:
        rank = F.rank().over(Window.orderBy(order))
        return (F.lit(1) + F.floor(F.lit(5) * (rank - 1) / n)).cast("long")

    scored = table.select(
        "*",
        score(F.col("recency_days").desc()).alias("r_score"),
        score(F.col("frequency").asc()).alias("f_score"),
        score(F.col("monetary_cents").asc()).alias("m_score"),
    )
    return scored.withColumn(
        "rfm_score",
        F.concat_ws("", *(F.col(c).cast("string") for c in ("r_score", "f_score", "m_score"))),
    )


def customer_value(orders: DataFrame, as_of_us: int, window_days: int | None) -> DataFrame:
    """customer_code, value_cents: net spend over the window, 0 for buyers outside it."""
    bought = purchases(orders, as_of_us)
    everyone = bought.select("customer_code").distinct()
    if window_days is not None:
        bought = bought.where(F.col("placed_us") > F.lit(as_of_us - window_days * DAY_US))
    spent = bought.groupBy("customer_code").agg(F.sum("net_cents").alias("value_cents"))
    return everyone.join(spent, "customer_code", "left").select(
        "customer_code", F.coalesce("value_cents", F.lit(0)).cast("long").alias("value_cents")
    )


def churn_features(orders: DataFrame, as_of_us: int) -> DataFrame:
    """churn.FEATURES per customer with a purchase by as_of."""
    bought = purchases(orders, as_of_us)
    recent = bought.groupBy("customer_code").agg(
        F.sum(F.when(F.col("placed_us") > F.lit(as_of_us - 30 * DAY_US), 1).otherwise(0)).alias(
            "orders_30d"
        ),
        F.sum(F.when(F.col("placed_us") > F.lit(as_of_us - 90 * DAY_US), 1).otherwise(0)).alias(
            "orders_90d"
        ),
    )
    return (
        rfm_table(orders, as_of_us)
        .join(recent, "customer_code")
        .select(
            "customer_code",
            F.col("recency_days").cast("double"),
            F.col("frequency").cast("double"),
            "monetary",
            F.col("tenure_days").cast("double"),
            F.col("orders_30d").cast("double"),
            F.col("orders_90d").cast("double"),
            (F.col("monetary") / F.col("frequency")).alias("avg_order_value"),
            (F.col("tenure_days") / F.col("frequency")).alias("days_per_order"),
        )
    )


def churn_labels(
    orders: DataFrame, customers: DataFrame, cutoff_us: int, horizon_days: int
) -> DataFrame:
    """customers + churned (1.0 when no purchase in (cutoff, cutoff + horizon])."""
    later = (
        purchases(orders, cutoff_us + horizon_days * DAY_US)
        .where(F.col("placed_us") > F.lit(cutoff_us))
        .select("customer_code")
        .distinct()
        .withColumn("active", F.lit(1))
    )
    return (
        customers.join(later, "customer_code", "left")
        .withColumn("churned", F.when(F.col("active").isNull(), 1.0).otherwise(0.0))
        .drop("active")
    )
