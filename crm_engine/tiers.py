"""Value tiers (VIP / high / medium / low) from each customer's net spend.

Customer value is net spend (after refunds) over the last `window_days` before
the as-of date (lifetime when window_days is null). The cut-offs come from the
`tiers:` section of the shop policy file:

    tiers:
      window_days: 365
      mode: top_share     # top_share: cut-offs learnt from the value distribution
      vip: 0.05           #   the top 5% of buyers by value are VIP,
      high: 0.20          #   the next ones up to the top 20% are high,
      medium: 0.50        #   up to the top 50% medium, the rest low
    # or mode: amount with vip/high/medium as minimum spends, e.g. vip: "5000.00"

A customer with no spend in the window is always low. Missing file or section:
the defaults above.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from crm_engine.config import settings
from crm_engine.rfm import check_as_of, purchases

TIERS = ("vip", "high", "medium", "low")  # best first
TIER_NAMES = {
    "vip": ("VIP客户", "VIP"),
    "high": ("高价值客户", "High value"),
    "medium": ("中等价值客户", "Medium value"),
    "low": ("普通客户", "Low value"),
}
MODES = ("top_share", "amount")
CENT = Decimal("0.01")


def policy_section(name: str, path: Path | None = None) -> dict[str, Any]:
    """One top-level section of the shop policy file ({} when the file or section is absent)."""
    path = Path(path) if path is not None else settings().policy_path
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        document = yaml.safe_load(fh) or {}
    if not isinstance(document, dict):
        raise ValueError(f"{path} must be a YAML mapping, got {type(document).__name__}")
    section = document.get(name) or {}
    if not isinstance(section, dict):
        raise ValueError(f"section {name!r} of {path} must be a mapping, got {section!r}")
    return section


@dataclass(frozen=True)
class TierPolicy:
    window_days: int | None = 365
    mode: str = "top_share"
    vip: Decimal = Decimal("0.05")
    high: Decimal = Decimal("0.20")
    medium: Decimal = Decimal("0.50")

    def __post_init__(self) -> None:
        if self.window_days is not None and (
            isinstance(self.window_days, bool)
            or not isinstance(self.window_days, int)
            or self.window_days < 1
        ):
            raise ValueError(
                f"tiers.window_days must be a positive integer or null, got {self.window_days!r}"
            )
        if self.mode not in MODES:
            raise ValueError(f"tiers.mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        values = (self.vip, self.high, self.medium)
        if self.mode == "top_share":
            for name, v in zip(("vip", "high", "medium"), values, strict=True):
                if not Decimal(0) < v <= Decimal(1):
                    raise ValueError(f"tiers.{name} must be a share in (0, 1], got {v}")
            if not self.vip < self.high < self.medium:
                raise ValueError(
                    "tiers shares must grow from vip to medium (vip < high < medium), "
                    f"got vip={self.vip}, high={self.high}, medium={self.medium}"
                )
        else:
            for name, v in zip(("vip", "high", "medium"), values, strict=True):
                if v <= 0:
                    raise ValueError(f"tiers.{name} must be an amount > 0, got {v}")
            if not self.vip > self.high > self.medium:
                raise ValueError(
                    "tiers amounts must fall from vip to medium (vip > high > medium), "
                    f"got vip={self.vip}, high={self.high}, medium={self.medium}"
                )


def _decimal(name: str, value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"tiers.{name} must be a number, got {value!r}") from None


def load_tier_policy(path: Path | None = None) -> TierPolicy:
    """The validated `tiers:` section of the policy file."""
    section = policy_section("tiers", path)
    unknown = set(section) - {"window_days", "mode", "vip", "high", "medium"}
    if unknown:
        raise ValueError(
            "tiers section keys must be window_days, mode, vip, high, medium; "
            f"got unknown {', '.join(sorted(map(str, unknown)))}"
        )
    defaults = TierPolicy()
    return TierPolicy(
        window_days=section.get("window_days", defaults.window_days),
        mode=section.get("mode", defaults.mode),
        **{
            k: _decimal(k, section[k]) if k in section else getattr(defaults, k)
            for k in ("vip", "high", "medium")
        },
    )


def customer_value(
    orders: pd.DataFrame, *, as_of: dt.datetime, window_days: int | None
) -> pd.Series:
    """Net spend in cents per customer over the window (customers with any purchase by as_of)."""
    as_of = check_as_of(as_of)
    bought = purchases(orders, as_of=as_of)
    everyone = pd.Index(bought["customer_code"].unique(), name="customer_code").sort_values()
    if window_days is not None:
        bought = bought[bought["placed_at"] > as_of - pd.Timedelta(days=window_days)]
    value = bought.groupby("customer_code")["net_cents"].sum()
    return value.reindex(everyone, fill_value=0).astype(np.int64).rename("value_cents")


def top_share_position(share: Decimal | float, n: int) -> int:
    """0-based position, in values sorted high to low, of the last customer in the top share."""
    return max(1, int(float(share) * n)) - 1


class ValueTiers:
    """Learns money cut-offs for the tiers from customer values (in cents).

    Fitted attribute `cutoffs_`: {"vip": Decimal, "high": ..., "medium": ...}, the
    minimum value (currency units) for each tier. In top_share mode a cut-off is
    the value of the last customer inside the share, so equal spenders never split
    across tiers.
    """

    def __init__(self, policy: TierPolicy | None = None) -> None:
        self.policy = policy or TierPolicy()

    def set_cutoffs_cents(self, cents: dict[str, int]) -> ValueTiers:
        self.cutoffs_ = {
            t: (Decimal(int(cents[t])) / 100).quantize(CENT) for t in ("vip", "high", "medium")
        }
        return self

    def floors_cents(self) -> dict[str, int]:
        return {t: int(v * 100) for t, v in self.cutoffs_.items()}

    def fit(self, value_cents: pd.Series) -> ValueTiers:
        if len(value_cents) == 0:
            raise ValueError("value_cents must contain at least one customer, got an empty series")
        if self.policy.mode == "amount":
            self.cutoffs_ = {t: getattr(self.policy, t) for t in ("vip", "high", "medium")}
            return self
        values = np.sort(value_cents.to_numpy(dtype=np.int64))[::-1]
        return self.set_cutoffs_cents(
            {
                t: int(values[top_share_position(getattr(self.policy, t), len(values))])
                for t in ("vip", "high", "medium")
            }
        )

    def predict(self, value_cents: pd.Series) -> np.ndarray:
        """Tier code per customer; no spend in the window is always low."""
        cents = value_cents.to_numpy(dtype=np.int64)
        tiers = np.full(len(cents), "low", dtype=object)
        floors = self.floors_cents()
        for tier in ("medium", "high", "vip"):  # best last, so it wins
            tiers[(cents >= floors[tier]) & (cents > 0)] = tier
        return tiers

    def fit_predict(self, value_cents: pd.Series) -> np.ndarray:
        return self.fit(value_cents).predict(value_cents)
