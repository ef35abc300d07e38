"""Tables holding the results of `crm analyze`, read by the bot and `crm report`.

Every result row belongs to one AnalyticsRun. A run and all its rows are written
in one transaction, so readers simply take the newest run: they never see half a
run, and older runs stay for comparison until pruned.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_engine.models import Base, utcnow

ENGINES = ("pandas", "spark")
RULE_LEVELS = ("product", "category")
RULE_ROLES = ("antecedent", "consequent")


class AnalyticsRun(Base):
    __tablename__ = "analytics_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_version: Mapped[str] = mapped_column(String(40))
    engine: Mapped[str] = mapped_column(String(10))
    as_of: Mapped[dt.datetime] = mapped_column(DateTime)  # the date RFM and churn are measured at
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    seconds: Mapped[float] = mapped_column(Float)  # wall time of the run
    params: Mapped[dict[str, Any]] = mapped_column()  # thresholds and settings used
    metrics: Mapped[dict[str, Any]] = mapped_column()  # k, silhouette, churn ROC-AUC, counts

    segments: Mapped[list[SegmentSummary]] = relationship(
        back_populates="run", cascade="all, delete-orphan"
    )

    __table_args__ = (CheckConstraint("engine IN ('pandas', 'spark')", name="engine"),)


class CustomerScore(Base):
    """One customer's segment, tier and churn risk in one run."""

    __tablename__ = "customer_scores"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("analytics_runs.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    recency_days: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[int] = mapped_column(Integer)
    monetary: Mapped[Decimal] = mapped_column()  # net spend after refunds, lifetime
    r_score: Mapped[int] = mapped_column(Integer)
    f_score: Mapped[int] = mapped_column(Integer)
    m_score: Mapped[int] = mapped_column(Integer)
    segment_code: Mapped[str] = mapped_column(String(30))
    value: Mapped[Decimal] = mapped_column()  # net spend over the tier window
    tier: Mapped[str] = mapped_column(String(10))
    churn_probability: Mapped[float | None] = mapped_column(Float)  # None: too little history

    __table_args__ = (
        CheckConstraint("tier IN ('vip', 'high', 'medium', 'low')", name="tier"),
        CheckConstraint("r_score BETWEEN 1 AND 5 AND f_score BETWEEN 1 AND 5 AND m_score BETWEEN 1 AND 5", name="scores"),
        Index("ix_customer_scores_customer", "customer_id", "run_id"),
    )  # fmt: skip


class SegmentSummary(Base):
    """A segment of one run: its names, size and mean RFM profile."""

    __tablename__ = "segment_summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("analytics_runs.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(30))
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(40))
    customers: Mapped[int] = mapped_column(Integer)
    r_score: Mapped[float] = mapped_column(Float)
    f_score: Mapped[float] = mapped_column(Float)
    m_score: Mapped[float] = mapped_column(Float)
    recency_days: Mapped[float] = mapped_column(Float)
    frequency: Mapped[float] = mapped_column(Float)
    monetary: Mapped[float] = mapped_column(Float)
    # Most bought products of the segment, [[sku, buyers], ...]: the recommendation fallback.
    top_products: Mapped[list[Any]] = mapped_column()

    run: Mapped[AnalyticsRun] = relationship(back_populates="segments")

    __table_args__ = (Index("uq_segment_summaries_run_code", "run_id", "code", unique=True),)


class AssociationRule(Base):
    """A rule antecedents -> consequents at product (SKU) or category (code) level."""

    __tablename__ = "association_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("analytics_runs.id", ondelete="CASCADE"), index=True
    )
    level: Mapped[str] = mapped_column(String(10))
    antecedents: Mapped[list[Any]] = mapped_column()  # sorted item codes
    consequents: Mapped[list[Any]] = mapped_column()
    antecedent_size: Mapped[int] = mapped_column(Integer)
    antecedent_support: Mapped[float] = mapped_column(Float)
    consequent_support: Mapped[float] = mapped_column(Float)
    support: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    lift: Mapped[float] = mapped_column(Float)
    leverage: Mapped[float] = mapped_column(Float)
    conviction: Mapped[float | None] = mapped_column(Float)  # None: infinite (confidence 1)

    items: Mapped[list[AssociationRuleItem]] = relationship(
        back_populates="rule", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("level IN ('product', 'category')", name="level"),
        Index("ix_association_rules_run_level", "run_id", "level"),
    )


class AssociationRuleItem(Base):
    """Rule membership by item, so "rules whose antecedents a customer bought" is one query."""

    __tablename__ = "association_rule_items"

    rule_id: Mapped[int] = mapped_column(
        ForeignKey("association_rules.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(10), primary_key=True)
    item: Mapped[str] = mapped_column(String(40), primary_key=True)

    rule: Mapped[AssociationRule] = relationship(back_populates="items")

    __table_args__ = (
        CheckConstraint("role IN ('antecedent', 'consequent')", name="role"),
        Index("ix_association_rule_items_item", "item", "role"),
    )
