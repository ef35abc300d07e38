"""`crm analyze`, `crm report`, `crm segment`, `crm recommend`, `crm also-bought`."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from crm_engine.db import session_scope

if TYPE_CHECKING:
    from crm_engine.recommendations import Recommendation


def _as_of(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--as-of must be a date or datetime like 2026-11-20 or 2026-11-20T18:00, got {text!r}"
        ) from None


def _analyze(args: argparse.Namespace) -> int:
    from crm_engine.analyze import run_analysis

    with session_scope() as session:
        run = run_analysis(session, as_of=args.as_of, engine=args.engine, progress=not args.quiet)
        m = run.metrics
        churn = m.get("churn", {})
        auc = churn.get("roc_auc")
        print(
            f"run {run.id} ({run.engine}, model {run.model_version}) as of {run.as_of:%Y-%m-%d %H:%M}: "
            f"{m['customers']} customers in {m['k']} segments, "
            f"{m['product_rules']} product rules, {m['category_rules']} category rules, "
            + (
                f"churn ROC-AUC {auc:.3f}"
                if auc is not None
                else f"churn: {churn.get('skipped', 'no AUC')}"
            )
            + f", {run.seconds:.1f} s"
        )
        for s in sorted(run.segments, key=lambda s: -s.customers):
            if s.code != "all":
                print(f"  {s.name_en} / {s.name_zh}: {s.customers}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from crm_engine.report import write_report

    with session_scope() as session:
        path = write_report(session, args.out, run_id=args.run)
    print(f"report written to {path}")
    return 0


def _segment(args: argparse.Namespace) -> int:
    from crm_engine.profiles import customer_profile

    with session_scope() as session:
        p = customer_profile(session, args.customer_code)
    if p.run_id is None:
        print(f"{p.customer_code}: no analysis yet; run `crm analyze`")
        return 0
    if p.segment_code is None:
        print(f"{p.customer_code}: no purchases as of {p.as_of:%Y-%m-%d} (run {p.run_id})")
        return 0
    risk = (
        f"{p.churn_probability:.0%} ({p.churn_risk})" if p.churn_probability is not None else "n/a"
    )
    print(
        f"{p.customer_code}: segment {p.segment_name_en} / {p.segment_name_zh} ({p.segment_code}), "
        f"tier {p.tier_name_en} / {p.tier_name_zh}, churn risk {risk}; "
        f"last purchase {p.recency_days} days before {p.as_of:%Y-%m-%d}, "
        f"{p.frequency} purchases, {p.monetary} spent (run {p.run_id})"
    )
    return 0


def _print_recommendations(recs: list[Recommendation]) -> None:
    if not recs:
        print("No recommendations (run `crm analyze` first, or not enough data).")
    for r in recs:
        why = f" because of {', '.join(r.because_of)}" if r.because_of else ""
        print(
            f"{r.sku}\t{r.name_en} / {r.name_zh}\t{r.price}\tscore {r.score:.3f} ({r.reason}{why})"
        )


def _recommend(args: argparse.Namespace) -> int:
    from crm_engine.recommendations import recommend_for_customer

    with session_scope() as session:
        _print_recommendations(recommend_for_customer(session, args.customer_code, args.limit))
    return 0


def _also_bought(args: argparse.Namespace) -> int:
    from crm_engine.recommendations import also_bought

    with session_scope() as session:
        _print_recommendations(also_bought(session, args.sku, args.limit))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "analyze",
        help="recompute segments, tiers, churn risk and product rules; store them for the bot",
    )
    p.add_argument(
        "--as-of", type=_as_of, default=None, help="measure at this time (default: now, UTC)"
    )
    p.add_argument(
        "--engine",
        choices=("pandas", "spark"),
        default=None,
        help="override CRM_ANALYTICS_ENGINE for this run",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.set_defaults(handler=_analyze)

    p = subparsers.add_parser("report", help="write the analytics report as one HTML file")
    p.add_argument("--out", type=Path, default=Path("crm-report.html"), help="output file")
    p.add_argument("--run", type=int, default=None, help="analytics run id (default: newest)")
    p.set_defaults(handler=_report)

    p = subparsers.add_parser("segment", help="show a customer's segment, tier and churn risk")
    p.add_argument("customer_code")
    p.set_defaults(handler=_segment)

    p = subparsers.add_parser("recommend", help="products to recommend to a customer")
    p.add_argument("customer_code")
    p.add_argument("--limit", type=int, default=5)
    p.set_defaults(handler=_recommend)

    p = subparsers.add_parser("also-bought", help="customers who bought SKU also bought")
    p.add_argument("sku")
    p.add_argument("--limit", type=int, default=5)
    p.set_defaults(handler=_also_bought)
