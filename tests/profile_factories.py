"""Analytics results written through the real models, for tests that need a customer profile.

`score` stores one AnalyticsRun (shared by every score written in a test) and the
customer's CustomerScore, as `crm analyze` would; the read API
(crm_engine.profiles, crm_engine.personalisation) then sees them as the newest run.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_engine.analytics_models import AnalyticsRun, CustomerScore
from crm_engine.models import Customer
from tests import factories


def analytics_run(session: Session) -> AnalyticsRun:
    """The newest run, created when there is none."""
    run_id = session.scalar(select(func.max(AnalyticsRun.id)))
    if run_id is not None:
        return session.get(AnalyticsRun, run_id)
    run = AnalyticsRun(
        model_version="test",
        engine="pandas",
        as_of=factories.NOW,
        seconds=0.0,
        params={},
        metrics={},
    )
    session.add(run)
    session.flush()
    return run


def score(
    session: Session,
    customer: Customer,
    *,
    tier: str,
    segment: str = "loyal",
    churn: float | None = 0.1,
    frequency: int = 5,
) -> CustomerScore:
    row = CustomerScore(
        run_id=analytics_run(session).id,
        customer_id=customer.id,
        recency_days=10,
        frequency=frequency,
        monetary=Decimal("1000.00"),
        r_score=3,
        f_score=3,
        m_score=3,
        segment_code=segment,
        value=Decimal("1000.00"),
        tier=tier,
        churn_probability=churn,
    )
    session.add(row)
    session.flush()
    return row
