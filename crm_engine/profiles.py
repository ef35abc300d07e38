"""What the bot knows about a customer from the newest `crm analyze` run (read only, fast)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_engine.analytics_models import AnalyticsRun, CustomerScore
from crm_engine.models import Customer
from crm_engine.segmentation import SEGMENTS
from crm_engine.tiers import TIER_NAMES

# P(no purchase in the horizon) at or above which risk is called high / medium.
HIGH_RISK = 0.7
MEDIUM_RISK = 0.4
RISK_NAMES = {"high": ("高", "high"), "medium": ("中", "medium"), "low": ("低", "low")}


def churn_risk_level(probability: float | None) -> str | None:
    if probability is None:
        return None
    if probability >= HIGH_RISK:
        return "high"
    return "medium" if probability >= MEDIUM_RISK else "low"


@dataclass(frozen=True)
class CustomerProfile:
    """Fields are None when the customer has no purchase in the newest run (or no run exists)."""

    customer_code: str
    segment_code: str | None = None
    segment_name_zh: str | None = None
    segment_name_en: str | None = None
    tier: str | None = None
    tier_name_zh: str | None = None
    tier_name_en: str | None = None
    churn_probability: float | None = None
    churn_risk: str | None = None  # high / medium / low
    recency_days: int | None = None
    frequency: int | None = None
    monetary: Decimal | None = None
    as_of: dt.datetime | None = None
    model_version: str | None = None
    run_id: int | None = None

    def segment_name(self, language: str) -> str | None:
        return self.segment_name_zh if language == "zh" else self.segment_name_en

    def tier_name(self, language: str) -> str | None:
        return self.tier_name_zh if language == "zh" else self.tier_name_en


def customer_profile(session: Session, customer_code: str) -> CustomerProfile:
    """Segment, tier and churn risk of a customer; ValueError for an unknown code."""
    customer_id = session.scalar(select(Customer.id).where(Customer.code == customer_code))
    if customer_id is None:
        raise ValueError(f"customer_code must name a known customer, got {customer_code!r}")
    run = session.scalars(select(AnalyticsRun).order_by(AnalyticsRun.id.desc()).limit(1)).first()
    if run is None:
        return CustomerProfile(customer_code)
    score = session.get(CustomerScore, (run.id, customer_id))
    if score is None:
        return CustomerProfile(
            customer_code, as_of=run.as_of, model_version=run.model_version, run_id=run.id
        )
    segment = SEGMENTS[score.segment_code]
    tier_zh, tier_en = TIER_NAMES[score.tier]
    return CustomerProfile(
        customer_code=customer_code,
        segment_code=segment.code,
        segment_name_zh=segment.name_zh,
        segment_name_en=segment.name_en,
        tier=score.tier,
        tier_name_zh=tier_zh,
        tier_name_en=tier_en,
        churn_probability=score.churn_probability,
        churn_risk=churn_risk_level(score.churn_probability),
        recency_days=score.recency_days,
        frequency=score.frequency,
        monetary=score.monetary,
        as_of=run.as_of,
        model_version=run.model_version,
        run_id=run.id,
    )
