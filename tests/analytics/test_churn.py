from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from crm_engine.churn import FEATURES, ChurnModel, churn_features, churn_labels, score_churn
from crm_engine.rfm import ORDER_COLUMNS
from tests.analytics.shop import AS_OF


def _orders(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(ORDER_COLUMNS))


def test_features_ignore_orders_after_the_cutoff(frames) -> None:
    orders = frames[0]
    cutoff = AS_OF - dt.timedelta(days=90)
    before = churn_features(orders, as_of=cutoff)
    future = _orders(
        [(before.index[0], "FUTURE", cutoff + dt.timedelta(days=1), "paid", 999_00, 0)]
    )
    after = churn_features(pd.concat([orders, future], ignore_index=True), as_of=cutoff)
    pd.testing.assert_frame_equal(before, after)
    assert list(before.columns) == list(FEATURES)


def test_labels_mark_customers_without_a_purchase_in_the_horizon() -> None:
    cutoff = AS_OF - dt.timedelta(days=30)
    orders = _orders(
        [
            ("A", "1", cutoff - dt.timedelta(days=5), "paid", 100, 0),
            ("A", "2", cutoff + dt.timedelta(days=10), "paid", 100, 0),
            ("B", "3", cutoff - dt.timedelta(days=5), "paid", 100, 0),
            ("B", "4", cutoff + dt.timedelta(days=10), "cancelled", 100, 0),
            ("C", "5", cutoff - dt.timedelta(days=5), "paid", 100, 0),
            ("C", "6", cutoff + dt.timedelta(days=31), "paid", 100, 0),
        ]
    )
    labels = churn_labels(orders, pd.Index(["A", "B", "C"]), cutoff=cutoff, horizon_days=30)
    assert labels.to_dict() == {"A": False, "B": True, "C": True}


def test_time_split_model_separates_churners(frames, kinds) -> None:
    result = score_churn(frames[0], as_of=AS_OF, horizon_days=90)
    assert result.train_cutoff < result.test_cutoff < pd.Timestamp(AS_OF)
    assert result.roc_auc is not None and result.roc_auc > 0.8
    assert result.scores.between(0, 1).all()
    by_kind = result.scores.groupby(kinds.reindex(result.scores.index)).mean()
    assert by_kind["at_risk"] > by_kind["champion"]
    assert by_kind["lost"] > by_kind["champion"]


def test_one_class_training_data_gives_the_base_rate() -> None:
    features = pd.DataFrame(np.ones((4, len(FEATURES))), columns=list(FEATURES))
    model = ChurnModel().fit(features, pd.Series([True] * 4))
    assert model.degenerate_
    assert model.predict_proba(features).tolist() == [1.0] * 4


def test_too_short_history_is_rejected_with_the_needed_start_date(frames) -> None:
    recent = frames[0][frames[0]["placed_at"] > AS_OF - dt.timedelta(days=100)]
    with pytest.raises(
        ValueError, match=r"orders must start on or before 2026-05-24 .*horizon_days=90"
    ):
        score_churn(recent, as_of=AS_OF, horizon_days=90)


@pytest.mark.parametrize("bad", [0, -5, 1.5, "90"])
def test_bad_horizon_is_rejected(frames, bad) -> None:
    with pytest.raises(ValueError, match="horizon_days must be a positive integer, got"):
        score_churn(frames[0], as_of=AS_OF, horizon_days=bad)


def test_mismatched_labels_are_rejected() -> None:
    features = pd.DataFrame(np.ones((3, len(FEATURES))), columns=list(FEATURES))
    with pytest.raises(
        ValueError, match=r"churned must have one label per features row \(3\), got 2"
    ):
        ChurnModel().fit(features, pd.Series([True, False]))
