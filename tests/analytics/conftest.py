"""Fixtures for the analytics tests: the synthetic shop as frames or as store rows."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy.orm import Session

import crm_engine.analytics_models  # noqa: F401 - registers the result tables before create_all
from crm_engine.models import Customer
from tests.analytics.shop import ShopPlan, build_shop, plan_frames, plan_shop


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark: runs the Spark engine on local[2] (needs Java 17+)")


@pytest.fixture(scope="session")
def plan() -> ShopPlan:
    return plan_shop(n_customers=80, seed=7)


@pytest.fixture(scope="session")
def frames(plan: ShopPlan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(orders, lines) of the synthetic shop; treat as read-only."""
    return plan_frames(plan)


@pytest.fixture(scope="session")
def kinds(plan: ShopPlan) -> pd.Series:
    """The kind each customer was generated as (champion / new / at_risk / lost)."""
    return pd.Series(plan.customers, name="kind")


@pytest.fixture
def shop(session: Session, plan: ShopPlan) -> dict[str, Customer]:
    """The synthetic shop written to the test database (SQLite, and PostgreSQL when set)."""
    return build_shop(session, plan)
