from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from crm_engine.rfm import ORDER_COLUMNS, log_features, quintile_score, rfm_scores, rfm_table

AS_OF = dt.datetime(2026, 11, 20, 12, 0)


def _orders(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(ORDER_COLUMNS))


def _day(days_before: float) -> dt.datetime:
    return AS_OF - dt.timedelta(days=days_before)


def test_rfm_counts_paid_orders_net_of_refunds_and_ignores_the_rest() -> None:
    orders = _orders(
        [
            ("A", "1", _day(10.5), "delivered", 10000, 2500),  # partial refund
            ("A", "2", _day(3.2), "shipped", 5000, 0),
            ("A", "3", _day(1), "cancelled", 9900, 0),
            ("A", "4", _day(1), "pending_payment", 9900, 0),
            ("A", "5", _day(1), "returned", 9900, 9900),
            ("A", "6", _day(-2), "paid", 9900, 0),  # after as_of
            ("B", "7", _day(40), "paid", 1999, 5000),  # refund larger than total
        ]
    )
    table = rfm_table(orders, as_of=AS_OF)
    assert list(table.index) == ["A", "B"]
    a, b = table.loc["A"], table.loc["B"]
    assert (a.recency_days, a.frequency, a.monetary_cents, a.tenure_days) == (3, 2, 12500, 10)
    assert a.monetary == 125.0
    assert (b.recency_days, b.frequency, b.monetary_cents) == (40, 1, 0)


def test_recency_is_whole_days_rounded_down() -> None:
    orders = _orders([("A", "1", AS_OF - dt.timedelta(hours=47, minutes=59), "paid", 100, 0)])
    assert rfm_table(orders, as_of=AS_OF).loc["A", "recency_days"] == 1


def test_quintile_scores_keep_ties_together_and_reward_the_best() -> None:
    values = pd.Series([1, 1, 1, 1, 2, 3, 5, 8, 13, 21])
    scores = quintile_score(values)
    assert scores.tolist() == [1, 1, 1, 1, 3, 3, 4, 4, 5, 5]
    assert quintile_score(values, higher_is_better=False).tolist()[-1] == 1


def test_rfm_scores_are_1_to_5_with_recent_customers_scoring_high() -> None:
    rows = [(f"C{i}", str(i), _day(i * 7), "paid", 1000 * (i + 1), 0) for i in range(20)]
    scored = rfm_scores(rfm_table(_orders(rows), as_of=AS_OF))
    assert scored[["r_score", "f_score", "m_score"]].isin(range(1, 6)).all().all()
    assert scored.loc["C0", "r_score"] == 5 and scored.loc["C19", "r_score"] == 1
    assert scored.loc["C19", "m_score"] == 5
    assert scored.loc["C0", "rfm_score"] == f"5{scored.loc['C0', 'f_score']}1"


def test_log_features_clip_negative_spend() -> None:
    table = pd.DataFrame({"recency_days": [0], "frequency": [1], "monetary": [-5.0]})
    assert log_features(table).tolist() == [[0.0, pytest.approx(0.6931471805599453), 0.0]]


def test_empty_history_is_rejected_with_the_date() -> None:
    orders = _orders([("A", "1", _day(1), "cancelled", 100, 0)])
    with pytest.raises(
        ValueError, match="orders must contain at least one purchase .* got an empty"
    ):
        rfm_table(orders, as_of=AS_OF)


def test_bad_inputs_name_the_parameter() -> None:
    with pytest.raises(ValueError, match="orders must have the columns .* missing refunded_cents"):
        rfm_table(pd.DataFrame(columns=list(ORDER_COLUMNS[:-1])), as_of=AS_OF)
    with pytest.raises(ValueError, match="as_of must be a datetime, got '2026-11-20'"):
        rfm_table(_orders([]), as_of="2026-11-20")
