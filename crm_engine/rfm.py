"""Recency, frequency and monetary value per customer, and their 1-5 quintile scores.

Input is one row per order (`ORDER_COLUMNS`), money in integer cents so sums are
exact (the loader converts the store's Decimal columns). A purchase is an order
in `PURCHASE_STATUSES`: unpaid (pending_payment), cancelled and returned orders
are not purchases. Monetary value is net of refunds (approved or completed).
Orders placed after `as_of` are ignored, so the same function gives the features
known at a past cut-off date (see churn.py).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

ORDER_COLUMNS = (
    "customer_code",
    "order_number",
    "placed_at",
    "status",
    "total_cents",
    "refunded_cents",
)
PURCHASE_STATUSES = ("paid", "processing", "shipped", "delivered")
RFM_COLUMNS = ("recency_days", "frequency", "monetary", "tenure_days")
SCORE_COLUMNS = ("r_score", "f_score", "m_score")


def check_orders(orders: pd.DataFrame) -> None:
    missing = [c for c in ORDER_COLUMNS if c not in orders.columns]
    if missing:
        raise ValueError(
            f"orders must have the columns {', '.join(ORDER_COLUMNS)}; missing {', '.join(missing)}"
        )


def check_as_of(as_of: dt.datetime) -> pd.Timestamp:
    if not isinstance(as_of, (dt.datetime, pd.Timestamp)):
        raise ValueError(f"as_of must be a datetime, got {as_of!r}")
    return pd.Timestamp(as_of)


def purchases(orders: pd.DataFrame, *, as_of: dt.datetime) -> pd.DataFrame:
    """Orders that count as purchases up to as_of, with `net_cents` (total minus refunds)."""
    check_orders(orders)
    as_of = check_as_of(as_of)
    mask = orders["status"].isin(PURCHASE_STATUSES) & (orders["placed_at"] <= as_of)
    bought = orders.loc[mask, ["customer_code", "order_number", "placed_at"]].copy()
    total = orders.loc[mask, "total_cents"].to_numpy(dtype=np.int64)
    refunded = orders.loc[mask, "refunded_cents"].to_numpy(dtype=np.int64)
    bought["net_cents"] = total - np.minimum(refunded, total)
    return bought


def rfm_table(orders: pd.DataFrame, *, as_of: dt.datetime) -> pd.DataFrame:
    """Per customer with at least one purchase by as_of: RFM_COLUMNS, indexed by customer_code.

    recency_days and tenure_days are whole days from the last and first purchase to
    as_of; frequency counts purchases; monetary is the net spend in currency units.
    """
    as_of = check_as_of(as_of)
    bought = purchases(orders, as_of=as_of)
    if bought.empty:
        raise ValueError(
            f"orders must contain at least one purchase (status in {', '.join(PURCHASE_STATUSES)}) "
            f"placed on or before {as_of}, got an empty history"
        )
    grouped = bought.groupby("customer_code", sort=True)
    last = grouped["placed_at"].max()
    first = grouped["placed_at"].min()
    table = pd.DataFrame(
        {
            "recency_days": ((as_of - last) // pd.Timedelta(days=1)).astype(np.int64),
            "frequency": grouped.size().astype(np.int64),
            "monetary_cents": grouped["net_cents"].sum().astype(np.int64),
            "tenure_days": ((as_of - first) // pd.Timedelta(days=1)).astype(np.int64),
        }
    )
    table["monetary"] = table["monetary_cents"] / 100.0
    table.index.name = "customer_code"
    return table[["recency_days", "frequency", "monetary", "monetary_cents", "tenure_days"]]


def quintile_score(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """1-5 score: 1 + floor(5 * (rank - 1) / n) with ties sharing their lowest rank.

    Ties stay together (all one-time buyers get the same F score), which a plain
    qcut cannot guarantee; the Spark path computes the same with rank().
    """
    key = values if higher_is_better else -values
    rank = key.rank(method="min").to_numpy(dtype=np.int64)
    return pd.Series(1 + (5 * (rank - 1)) // len(values), index=values.index, dtype=np.int64)


def rfm_scores(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with r_score, f_score, m_score (5 = best) and rfm_score such as '545'."""
    scored = table.copy()
    scored["r_score"] = quintile_score(table["recency_days"], higher_is_better=False)
    scored["f_score"] = quintile_score(table["frequency"])
    scored["m_score"] = quintile_score(table["monetary_cents"])
    scored["rfm_score"] = (
        scored["r_score"].astype(str)
        + scored["f_score"].astype(str)
        + scored["m_score"].astype(str)
    )
    return scored


def log_features(table: pd.DataFrame) -> np.ndarray:
    """log1p of recency, frequency and monetary: the space segments are clustered in.

    RFM values are heavily right-skewed; the log keeps a few big spenders from
    deciding every cluster boundary. Negative net spend is clipped to 0.
    """
    return np.column_stack(
        [
            np.log1p(table["recency_days"].to_numpy(dtype=float)),
            np.log1p(table["frequency"].to_numpy(dtype=float)),
            np.log1p(np.clip(table["monetary"].to_numpy(dtype=float), 0, None)),
        ]
    )
