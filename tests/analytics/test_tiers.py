from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from crm_engine.rfm import ORDER_COLUMNS
from crm_engine.tiers import (
    TIER_NAMES,
    TIERS,
    TierPolicy,
    ValueTiers,
    customer_value,
    load_tier_policy,
)

AS_OF = dt.datetime(2026, 11, 20)


def _values(cents: list[int]) -> pd.Series:
    return pd.Series(cents, index=[f"C{i}" for i in range(len(cents))])


def test_top_share_cutoffs_follow_the_policy_shares() -> None:
    values = _values([100_00 * (i + 1) for i in range(20)])  # 100.00 .. 2000.00
    tiers = ValueTiers(TierPolicy(vip=Decimal("0.1"), high=Decimal("0.25"), medium=Decimal("0.5")))
    predicted = pd.Series(tiers.fit_predict(values), index=values.index)
    assert tiers.cutoffs_ == {
        "vip": Decimal("1900.00"),
        "high": Decimal("1600.00"),
        "medium": Decimal("1100.00"),
    }
    assert predicted.value_counts().to_dict() == {"low": 10, "medium": 5, "high": 3, "vip": 2}


def test_equal_spenders_share_a_tier_and_no_spend_is_low() -> None:
    values = _values([500_00] * 5 + [0] * 5)
    predicted = ValueTiers().fit_predict(values)
    assert set(predicted[:5]) == {"vip"}
    assert set(predicted[5:]) == {"low"}


def test_amount_mode_uses_the_fixed_minimums() -> None:
    policy = TierPolicy(
        mode="amount", vip=Decimal("1000"), high=Decimal("500"), medium=Decimal("100")
    )
    predicted = ValueTiers(policy).fit_predict(_values([1000_00, 999_99, 500_00, 100_00, 99_99]))
    assert predicted.tolist() == ["vip", "high", "high", "medium", "low"]


def test_customer_value_counts_only_the_window() -> None:
    orders = pd.DataFrame(
        [
            ("A", "1", AS_OF - dt.timedelta(days=10), "paid", 100_00, 0),
            ("A", "2", AS_OF - dt.timedelta(days=400), "paid", 900_00, 0),
            ("B", "3", AS_OF - dt.timedelta(days=500), "delivered", 50_00, 0),
        ],
        columns=list(ORDER_COLUMNS),
    )
    assert customer_value(orders, as_of=AS_OF, window_days=365).to_dict() == {"A": 100_00, "B": 0}
    assert customer_value(orders, as_of=AS_OF, window_days=None).to_dict() == {
        "A": 1000_00,
        "B": 50_00,
    }


def test_every_tier_has_chinese_and_english_names() -> None:
    assert set(TIER_NAMES) == set(TIERS)
    assert all(not zh.isascii() and en.isascii() for zh, en in TIER_NAMES.values())


def test_policy_file_section_is_read_and_validated(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text(
        "returns:\n  window_days: 7\n"
        "tiers:\n  window_days: 180\n  vip: 0.02\n  high: 0.1\n  medium: 0.4\n",
        encoding="utf-8",
    )
    policy = load_tier_policy(path)
    assert policy == TierPolicy(
        window_days=180, vip=Decimal("0.02"), high=Decimal("0.1"), medium=Decimal("0.4")
    )
    assert load_tier_policy(tmp_path / "absent.yml") == TierPolicy()


@pytest.mark.parametrize(
    "section, message",
    [
        ("vip: 1.5", r"tiers.vip must be a share in \(0, 1\], got 1.5"),
        ("vip: 0", r"tiers.vip must be a share in \(0, 1\], got 0"),
        ("vip: 0.5\n  high: 0.2", r"shares must grow from vip to medium .* got vip=0.5, high=0.2"),
        ("mode: ranked", "tiers.mode must be one of top_share, amount, got 'ranked'"),
        ("window_days: -3", "tiers.window_days must be a positive integer or null, got -3"),
        ("vip: lots", "tiers.vip must be a number, got 'lots'"),
        (
            "gold: 0.1",
            "tiers section keys must be window_days, mode, vip, high, medium; got unknown gold",
        ),
        (
            "mode: amount\n  vip: 10\n  high: 50\n  medium: 5",
            "amounts must fall from vip to medium",
        ),
    ],
)
def test_bad_policy_values_are_rejected_with_the_key(
    tmp_path: Path, section: str, message: str
) -> None:
    path = tmp_path / "policy.yml"
    path.write_text(f"tiers:\n  {section}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_tier_policy(path)


def test_empty_values_are_rejected() -> None:
    with pytest.raises(ValueError, match="value_cents must contain at least one customer"):
        ValueTiers().fit(pd.Series([], dtype="int64"))
