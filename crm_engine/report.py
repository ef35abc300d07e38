"""`crm report`: one self-contained HTML file a shop owner can open and forward.

Charts are matplotlib PNGs embedded as base64, so the file needs no server and
no network. Chart labels are English (servers rarely have a CJK font); the tables
next to them carry the Chinese names.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from jinja2 import Environment, PackageLoader, select_autoescape  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from crm_engine.analytics_models import (  # noqa: E402
    AnalyticsRun,
    AssociationRule,
    CustomerScore,
    SegmentSummary,
)
from crm_engine.models import Category, Product  # noqa: E402
from crm_engine.profiles import HIGH_RISK, MEDIUM_RISK  # noqa: E402
from crm_engine.segmentation import SEGMENTS  # noqa: E402
from crm_engine.tiers import TIER_NAMES, TIERS  # noqa: E402

TOP_RULES = 20
_COLOURS = ("#2f6690", "#3a7ca5", "#81c3d7", "#d9dcd6", "#f4a259", "#bc4b51", "#8cb369", "#5b8e7d")


def _png(fig: plt.Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _segment_charts(segments: list[SegmentSummary]) -> tuple[str, str]:
    names = [s.name_en for s in segments]
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.barh(names[::-1], [s.customers for s in segments][::-1], color=_COLOURS[1])
    ax.set_xlabel("customers")
    ax.set_title("Segment sizes")
    sizes = _png(fig)

    fig, ax = plt.subplots(figsize=(7, 3.4))
    x = np.arange(len(segments))
    for i, (attr, label) in enumerate(
        (("r_score", "Recency"), ("f_score", "Frequency"), ("m_score", "Monetary"))
    ):
        ax.bar(
            x + (i - 1) * 0.27,
            [getattr(s, attr) for s in segments],
            0.27,
            label=label,
            color=_COLOURS[i * 2],
        )
    ax.set_xticks(x, names, rotation=20, ha="right")
    ax.set_ylim(0, 5.2)
    ax.set_ylabel("mean score (5 = best)")
    ax.set_title("RFM profile of each segment")
    ax.legend(ncols=3, fontsize=8)
    return sizes, _png(fig)


def _tier_chart(counts: dict[str, int]) -> str:
    fig, ax = plt.subplots(figsize=(6, 2.8))
    ax.bar([TIER_NAMES[t][1] for t in TIERS], [counts.get(t, 0) for t in TIERS], color=_COLOURS[4])
    ax.set_ylabel("customers")
    ax.set_title("Value tiers")
    return _png(fig)


def _churn_chart(probabilities: np.ndarray) -> str:
    fig, ax = plt.subplots(figsize=(6, 2.8))
    ax.hist(probabilities, bins=20, range=(0, 1), color=_COLOURS[5])
    for line in (MEDIUM_RISK, HIGH_RISK):
        ax.axvline(line, color="black", linestyle="--", linewidth=0.8)
    ax.set_xlabel("probability of no purchase in the horizon")
    ax.set_ylabel("customers")
    ax.set_title("Churn risk")
    return _png(fig)


def _rule_rows(session: Session, run_id: int, level: str) -> list[dict[str, Any]]:
    rules = session.scalars(
        select(AssociationRule)
        .where(AssociationRule.run_id == run_id, AssociationRule.level == level)
        .order_by((AssociationRule.confidence * AssociationRule.lift).desc(), AssociationRule.id)
        .limit(TOP_RULES)
    ).all()
    codes = {c for r in rules for c in (*r.antecedents, *r.consequents)}
    if level == "product":
        found = session.execute(
            select(Product.sku, Product.name_zh, Product.name_en).where(Product.sku.in_(codes))
        )
    else:
        found = session.execute(
            select(Category.code, Category.name_zh, Category.name_en).where(
                Category.code.in_(codes)
            )
        )
    names = {code: f"{en} / {zh}" for code, zh, en in found}

    def label(items: list[str]) -> str:
        return " + ".join(names.get(i, i) for i in items)

    return [
        {
            "if": label(r.antecedents),
            "then": label(r.consequents),
            "support": r.support,
            "confidence": r.confidence,
            "lift": r.lift,
        }
        for r in rules
    ]


def build_report(session: Session, run_id: int | None = None) -> str:
    """The report of one run (newest by default) as an HTML string."""
    if run_id is None:
        run = session.scalars(
            select(AnalyticsRun).order_by(AnalyticsRun.id.desc()).limit(1)
        ).first()
        if run is None:
            raise ValueError("no analytics run in the store; run `crm analyze` first")
    else:
        run = session.get(AnalyticsRun, run_id)
        if run is None:
            raise ValueError(f"run must be the id of an analytics run, got {run_id!r}")
    segments = sorted(
        (s for s in run.segments if s.code != "all"),
        key=lambda s: -(s.r_score + s.f_score + s.m_score),
    )
    tier_counts = dict(
        session.execute(
            select(CustomerScore.tier, func.count())
            .where(CustomerScore.run_id == run.id)
            .group_by(CustomerScore.tier)
        ).all()
    )
    churn = np.array(
        session.scalars(
            select(CustomerScore.churn_probability).where(
                CustomerScore.run_id == run.id, CustomerScore.churn_probability.is_not(None)
            )
        ).all(),
        dtype=float,
    )
    total = sum(tier_counts.values())
    sizes_png, profile_png = _segment_charts(segments) if segments else ("", "")
    env = Environment(
        loader=PackageLoader("crm_engine", "templates"), autoescape=select_autoescape(["html"])
    )
    return env.get_template("report.html").render(
        run=run,
        metrics=run.metrics,
        total=total,
        segments=[
            {
                "summary": s,
                "advice_zh": SEGMENTS[s.code].advice_zh,
                "advice_en": SEGMENTS[s.code].advice_en,
            }
            for s in segments
        ],
        sizes_png=sizes_png,
        profile_png=profile_png,
        tiers=[
            (t, TIER_NAMES[t], tier_counts.get(t, 0), run.metrics.get("tier_cutoffs", {}).get(t))
            for t in TIERS
        ],
        tier_png=_tier_chart(tier_counts),
        churn_png=_churn_chart(churn) if len(churn) else "",
        churn_levels={
            "high": int((churn >= HIGH_RISK).sum()),
            "medium": int(((churn >= MEDIUM_RISK) & (churn < HIGH_RISK)).sum()),
            "low": int((churn < MEDIUM_RISK).sum()),
        },
        high_risk=HIGH_RISK,
        medium_risk=MEDIUM_RISK,
        product_rules=_rule_rows(session, run.id, "product"),
        category_rules=_rule_rows(session, run.id, "category"),
    )


def write_report(session: Session, path: Path, run_id: int | None = None) -> Path:
    path = Path(path)
    html = build_report(session, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
