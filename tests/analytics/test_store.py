"""`crm analyze` end to end on the store: load, analyse, store, and the bot's read functions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_engine.analytics_models import AnalyticsRun, AssociationRule, CustomerScore, SegmentSummary
from crm_engine.analyze import load_order_lines, load_orders, run_analysis
from crm_engine.cli import main
from crm_engine.models import Customer, Product
from crm_engine.profiles import customer_profile
from crm_engine.recommendations import also_bought, bought_skus, recommend_for_customer
from crm_engine.report import build_report
from tests import factories
from tests.analytics.shop import AS_OF


def _codes(kinds, kind: str) -> list[str]:
    return [code for code, k in kinds.items() if k == kind]


def test_analyze_on_an_empty_store_fails_clearly_and_stores_nothing(
    session: Session, capsys
) -> None:
    session.commit()
    assert main(["analyze", "--quiet", "--engine", "pandas"]) == 2
    assert "orders must contain at least one purchase" in capsys.readouterr().err
    assert session.scalar(select(func.count()).select_from(AnalyticsRun)) == 0


def test_loaders_read_back_exactly_what_the_shop_holds(session: Session, shop, frames) -> None:
    orders, lines = load_orders(session), load_order_lines(session)
    expected_orders, expected_lines = frames
    assert orders.drop(columns="customer_id").astype(object).values.tolist() == (
        expected_orders.astype(object).values.tolist()
    )
    assert sorted(map(tuple, lines.astype(object).values.tolist())) == sorted(
        map(tuple, expected_lines.astype(object).values.tolist())
    )


def test_analyze_stores_one_complete_run(session: Session, shop, kinds) -> None:
    run = run_analysis(session, as_of=AS_OF, engine="pandas")
    assert run.model_version and run.created_at and run.engine == "pandas"
    assert run.metrics["customers"] == len(kinds)
    assert run.metrics["churn"]["roc_auc"] > 0.8
    assert session.scalar(
        select(func.count()).select_from(CustomerScore).where(CustomerScore.run_id == run.id)
    ) == len(kinds)
    codes = set(session.scalars(select(SegmentSummary.code).where(SegmentSummary.run_id == run.id)))
    assert {"champions", "new", "at_risk", "all"} <= codes
    levels = set(
        session.scalars(select(AssociationRule.level).where(AssociationRule.run_id == run.id))
    )
    assert levels == {"product", "category"}


def test_profiles_give_segment_tier_and_churn_risk_in_both_languages(
    session: Session, shop, kinds
) -> None:
    run_analysis(session, as_of=AS_OF, engine="pandas")
    champion = customer_profile(session, _codes(kinds, "champion")[0])
    assert (champion.segment_code, champion.segment_name_zh, champion.segment_name_en) == (
        "champions",
        "冠军客户",
        "Champions",
    )
    assert champion.tier in ("vip", "high")
    assert champion.tier_name("zh") in ("VIP客户", "高价值客户")
    assert champion.churn_risk in ("low", "medium")
    at_risk = customer_profile(session, _codes(kinds, "at_risk")[0])
    assert at_risk.segment_name("en") == "At risk" and at_risk.segment_name("zh") == "流失风险客户"
    assert at_risk.churn_risk == "high"
    assert at_risk.churn_probability > champion.churn_probability
    assert at_risk.as_of == AS_OF


def test_profile_of_a_customer_without_purchases_or_before_any_run(session: Session, shop) -> None:
    newcomer = factories.customer(session, name="Alice", language="en")
    before = customer_profile(session, newcomer.code)
    assert before.run_id is None and before.segment_code is None
    run = run_analysis(session, as_of=AS_OF, engine="pandas")
    after = customer_profile(session, newcomer.code)
    assert after.run_id == run.id and after.segment_code is None and after.tier is None


def test_unknown_customer_is_a_clear_error(session: Session, shop) -> None:
    with pytest.raises(ValueError, match="customer_code must name a known customer, got 'NOPE'"):
        customer_profile(session, "NOPE")
    with pytest.raises(ValueError, match="customer_code must name a known customer, got 'NOPE'"):
        recommend_for_customer(session, "NOPE")


def test_recommendations_come_from_rules_on_what_the_customer_bought(
    session: Session, shop
) -> None:
    run_analysis(session, as_of=AS_OF, engine="pandas")
    buyer = factories.customer(session, name="王芳")
    tea = session.scalar(select(Product).where(Product.sku == "TEA-GREEN"))
    factories.order(
        session, buyer, status="delivered", placed_at=AS_OF - dt.timedelta(days=1), items=[(tea, 1)]
    )
    recs = recommend_for_customer(session, buyer.code, limit=3)
    assert recs[0].sku == "CUP-GLASS" and recs[0].reason == "rules"
    assert recs[0].because_of == ("TEA-GREEN",)
    assert recs[0].name_zh == "玻璃茶杯" and recs[0].name_en == "Glass tea cup"
    assert "TEA-GREEN" not in {r.sku for r in recs}
    assert len(recs) == 3
    assert [r.score for r in recs if r.reason == "rules"] == sorted(
        (r.score for r in recs if r.reason == "rules"), reverse=True
    )


def test_without_rules_the_segment_and_shop_favourites_fill_in(
    session: Session, shop, kinds
) -> None:
    run = run_analysis(session, as_of=AS_OF, engine="pandas")
    for code in _codes(kinds, "lost")[:5]:
        customer = session.scalar(select(Customer).where(Customer.code == code))
        recs = recommend_for_customer(session, code, limit=8)
        assert not {r.sku for r in recs} & bought_skus(session, customer.id)
        reasons = [r.reason for r in recs]
        assert reasons == sorted(reasons, key=["rules", "segment", "popular"].index)
        segment = session.scalar(
            select(SegmentSummary).where(
                SegmentSummary.run_id == run.id,
                SegmentSummary.code == customer_profile(session, code).segment_code,
            )
        )
        favourites = [sku for sku, _ in segment.top_products]
        from_segment = [r.sku for r in recs if r.reason == "segment"]
        assert from_segment == [s for s in favourites if s in from_segment]

    # Someone the run has not seen, owning only an item no rule mentions: shop best sellers.
    newcomer = factories.customer(session, name="Bob", language="en")
    odd = factories.product(session, name_en="Odd vase", name_zh="花瓶", category_code="gifts")
    factories.order(session, newcomer, status="paid", items=[(odd, 1)])
    recs = recommend_for_customer(session, newcomer.code, limit=3)
    shop_top = session.scalar(
        select(SegmentSummary.top_products).where(
            SegmentSummary.run_id == run.id, SegmentSummary.code == "all"
        )
    )
    assert [r.sku for r in recs] == [sku for sku, _ in shop_top[:3]]
    assert {r.reason for r in recs} == {"popular"}


def test_inactive_products_are_never_recommended(session: Session, shop) -> None:
    run_analysis(session, as_of=AS_OF, engine="pandas")
    session.scalar(select(Product).where(Product.sku == "CUP-GLASS")).active = False
    session.flush()
    assert "CUP-GLASS" not in {r.sku for r in also_bought(session, "TEA-GREEN", limit=10)}


def test_also_bought_reads_the_stored_single_item_rules(session: Session, shop) -> None:
    assert also_bought(session, "TEA-GREEN") == []  # no run yet
    run_analysis(session, as_of=AS_OF, engine="pandas")
    recs = also_bought(session, "TEA-GREEN", limit=2)
    assert [r.sku for r in recs][0] == "CUP-GLASS"
    assert len(recs) <= 2 and all(r.reason == "rules" for r in recs)
    with pytest.raises(ValueError, match="sku must name a known product, got 'NOPE'"):
        also_bought(session, "NOPE")
    with pytest.raises(ValueError, match=r"limit must be an integer in \[1, 50\], got 0"):
        also_bought(session, "TEA-GREEN", limit=0)


def test_readers_use_the_newest_run(session: Session, shop, kinds) -> None:
    run_analysis(session, as_of=AS_OF - dt.timedelta(days=400), engine="pandas")
    newest = run_analysis(session, as_of=AS_OF, engine="pandas")
    assert customer_profile(session, _codes(kinds, "champion")[0]).run_id == newest.id
    assert session.scalar(select(func.count()).select_from(AnalyticsRun)) == 2


def test_report_is_one_html_file_with_charts_tables_and_both_languages(
    session: Session, shop
) -> None:
    with pytest.raises(ValueError, match="no analytics run in the store; run `crm analyze` first"):
        build_report(session)
    run_analysis(session, as_of=AS_OF, engine="pandas")
    html = build_report(session)
    assert html.count("data:image/png;base64,") == 4  # sizes, RFM profiles, tiers, churn
    for text in (
        "冠军客户",
        "Champions",
        "VIP客户",
        "流失风险 Churn risk",
        "Glass tea cup",
        "玻璃茶杯",
    ):
        assert text in html
    assert "<script" not in html and "http" not in html.replace("http-equiv", "")


def test_cli_commands(session: Session, shop, kinds, tmp_path, capsys) -> None:
    session.commit()  # the CLI opens its own session on CRM_DATABASE_URL
    assert main(["analyze", "--as-of", "2026-11-20T10:00", "--quiet", "--engine", "pandas"]) == 0
    out = capsys.readouterr().out
    assert "80 customers in 4 segments" in out and "Champions / 冠军客户" in out

    champion = _codes(kinds, "champion")[0]
    assert main(["segment", champion]) == 0
    assert "segment Champions / 冠军客户 (champions)" in capsys.readouterr().out
    assert main(["recommend", champion, "--limit", "2"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2
    assert main(["also-bought", "TEA-GREEN"]) == 0
    assert capsys.readouterr().out.startswith("CUP-GLASS\tGlass tea cup / 玻璃茶杯")

    report = tmp_path / "out" / "report.html"
    assert main(["report", "--out", str(report)]) == 0
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    assert main(["segment", "NOPE"]) == 2
    assert "customer_code must name a known customer, got 'NOPE'" in capsys.readouterr().err
    assert session.scalar(select(func.count()).select_from(Customer)) == len(kinds)
