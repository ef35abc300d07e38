"""Churn risk: the probability that a customer makes no purchase in the next N days.

Features are computed from orders placed on or before a cut-off date only, so
nothing from the future leaks in. Evaluation is a time split: the model learns
at cut-off `as_of - 2N` (labels from the N days after it) and is tested at
cut-off `as_of - N` (labels from the last N days), i.e. trained on the past and
tested on the later period. Live scores come from a model refitted at `as_of - N`
(the most recent fully observed window) applied to features at `as_of`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from crm_engine.rfm import check_as_of, purchases, rfm_table

FEATURES = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "orders_30d",
    "orders_90d",
    "avg_order_value",
    "days_per_order",
)


def check_horizon(horizon_days: int) -> int:
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int) or horizon_days < 1:
        raise ValueError(f"horizon_days must be a positive integer, got {horizon_days!r}")
    return horizon_days


def churn_features(orders: pd.DataFrame, *, as_of: dt.datetime) -> pd.DataFrame:
    """FEATURES per customer with a purchase by as_of, from orders up to as_of only."""
    as_of = check_as_of(as_of)
    table = rfm_table(orders, as_of=as_of)
    bought = purchases(orders, as_of=as_of)
    for days in (30, 90):
        recent = bought[bought["placed_at"] > as_of - pd.Timedelta(days=days)]
        counts = recent.groupby("customer_code").size()
        table[f"orders_{days}d"] = counts.reindex(table.index, fill_value=0).astype(np.int64)
    table["avg_order_value"] = table["monetary"] / table["frequency"]
    table["days_per_order"] = table["tenure_days"] / table["frequency"]
    return table[list(FEATURES)]


def churn_labels(
    orders: pd.DataFrame, customers: pd.Index, *, cutoff: dt.datetime, horizon_days: int
) -> pd.Series:
    """True for each customer with no purchase in (cutoff, cutoff + horizon_days]."""
    cutoff = check_as_of(cutoff)
    horizon_days = check_horizon(horizon_days)
    bought = purchases(orders, as_of=cutoff + pd.Timedelta(days=horizon_days))
    active = set(bought.loc[bought["placed_at"] > cutoff, "customer_code"])
    return pd.Series([c not in active for c in customers], index=customers, name="churned")


def default_estimator() -> ClassifierMixin:
    """Logistic regression on log1p features, standardised.

    Chosen over boosted trees because it stays sensible with a few dozen customers
    (a young shop), trains in seconds on a million, and is the model the Spark
    engine uses too. Every feature is a count, a day span or money (>= 0, long tail).
    """
    return make_pipeline(
        FunctionTransformer(np.log1p),
        StandardScaler(),
        LogisticRegression(C=1.0, max_iter=1000),
    )


class ChurnModel:
    """Wraps a scikit-learn classifier on FEATURES; `predict_proba` gives P(churn).

    When the training labels have one class only (say, a young shop where nobody
    has churned yet) the model predicts that class's rate for everyone and
    `degenerate_` is True. Fitted attributes: estimator_, degenerate_, churn_rate_.
    """

    def __init__(self, estimator: ClassifierMixin | None = None) -> None:
        self.estimator = estimator

    def fit(self, features: pd.DataFrame, churned: pd.Series) -> ChurnModel:
        if len(features) == 0:
            raise ValueError("features must contain at least one customer, got an empty table")
        if len(features) != len(churned):
            raise ValueError(
                f"churned must have one label per features row ({len(features)}), got {len(churned)}"
            )
        y = np.asarray(churned, dtype=bool)
        self.churn_rate_ = float(y.mean())
        self.degenerate_ = len(np.unique(y)) < 2
        base = DummyClassifier(strategy="prior") if self.degenerate_ else self.estimator
        self.estimator_ = clone(base) if base is not None else default_estimator()
        self.estimator_.fit(np.clip(features[list(FEATURES)].to_numpy(dtype=float), 0, None), y)
        return self

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """P(no purchase in the horizon) per row."""
        proba = self.estimator_.predict_proba(
            np.clip(features[list(FEATURES)].to_numpy(dtype=float), 0, None)
        )
        classes = list(self.estimator_.classes_)
        if True in classes:
            return proba[:, classes.index(True)]
        return np.zeros(len(features))

    def predict(self, features: pd.DataFrame, threshold: float = 0.5) -> np.ndarray:
        return self.predict_proba(features) >= threshold


@dataclass(frozen=True)
class ChurnResult:
    scores: pd.Series  # P(churn) per customer code, at as_of
    roc_auc: float | None  # on the later period; None when it has one class only
    train_cutoff: pd.Timestamp
    test_cutoff: pd.Timestamp
    n_train: int
    n_test: int
    test_churn_rate: float
    model: ChurnModel


def score_churn(
    orders: pd.DataFrame,
    *,
    as_of: dt.datetime,
    horizon_days: int = 90,
    estimator: ClassifierMixin | None = None,
) -> ChurnResult:
    """Evaluate on a time split, then score every customer at as_of (see module doc)."""
    as_of = check_as_of(as_of)
    horizon = pd.Timedelta(days=check_horizon(horizon_days))
    train_cutoff, test_cutoff = as_of - 2 * horizon, as_of - horizon
    first = orders["placed_at"].min() if len(orders) else None
    if first is None or pd.isna(first) or first > train_cutoff:
        raise ValueError(
            f"orders must start on or before {train_cutoff.date()} (as_of minus 2 x horizon_days="
            f"{horizon_days}) to train and test a churn model, got history starting {first}"
        )
    x_train = churn_features(orders, as_of=train_cutoff)
    y_train = churn_labels(orders, x_train.index, cutoff=train_cutoff, horizon_days=horizon_days)
    x_test = churn_features(orders, as_of=test_cutoff)
    y_test = churn_labels(orders, x_test.index, cutoff=test_cutoff, horizon_days=horizon_days)
    evaluated = ChurnModel(estimator).fit(x_train, y_train)
    auc = None
    if y_test.nunique() == 2:
        auc = float(roc_auc_score(y_test.to_numpy(), evaluated.predict_proba(x_test)))
    live = ChurnModel(estimator).fit(x_test, y_test)
    x_now = churn_features(orders, as_of=as_of)
    scores = pd.Series(live.predict_proba(x_now), index=x_now.index, name="churn_probability")
    return ChurnResult(
        scores=scores,
        roc_auc=auc,
        train_cutoff=train_cutoff,
        test_cutoff=test_cutoff,
        n_train=len(x_train),
        n_test=len(x_test),
        test_churn_rate=float(y_test.mean()),
        model=live,
    )
