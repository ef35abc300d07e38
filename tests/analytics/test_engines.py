"""Contract tests: the pandas and the Spark engine must give the same answers.

The Spark engine runs on local[2]. It is skipped only when pyspark or Java is
truly missing, with the reason in the skip message.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from crm_engine.analyze import AnalysisResult, analyze_frames
from crm_engine.association import RULE_METRICS
from tests.analytics.shop import AS_OF


def _spark_missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install pyspark)"
    java = shutil.which("java")
    if java is None:
        return "Java is not installed (the Spark engine needs Java 17+)"
    probe = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"java -version failed: {probe.stderr.strip()[:200]}"
    return None


SPARK_MISSING = _spark_missing()
needs_spark = pytest.mark.skipif(SPARK_MISSING is not None, reason=f"Spark engine: {SPARK_MISSING}")


@pytest.fixture(scope="session")
def spark():
    if SPARK_MISSING:
        pytest.skip(f"Spark engine: {SPARK_MISSING}")
    from crm_engine.spark import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def pandas_result(frames) -> AnalysisResult:
    return analyze_frames(*frames, as_of=AS_OF)


@pytest.fixture(scope="module")
def spark_result(frames, spark) -> AnalysisResult:
    from crm_engine.spark import analyze_frames_spark

    return analyze_frames_spark(*frames, as_of=AS_OF, spark=spark)


@pytest.fixture(params=["pandas", pytest.param("spark", marks=[pytest.mark.spark, needs_spark])])
def result(request: pytest.FixtureRequest) -> AnalysisResult:
    return request.getfixturevalue(f"{request.param}_result")


def test_analytics_engine_setting_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    from crm_engine.config import settings

    monkeypatch.setenv("CRM_ANALYTICS_ENGINE", "Spark ")
    monkeypatch.setenv("CRM_SPARK_MASTER", "spark://10.0.0.5:7077")
    assert (settings().analytics_engine, settings().spark_master) == (
        "spark",
        "spark://10.0.0.5:7077",
    )
    monkeypatch.setenv("CRM_ANALYTICS_ENGINE", "dask")
    with pytest.raises(
        ValueError, match="CRM_ANALYTICS_ENGINE must be one of pandas, spark, got 'dask'"
    ):
        settings()


# --- the contract every engine meets -------------------------------------------------


def test_segments_match_the_generated_kinds(result: AnalysisResult, kinds) -> None:
    codes = result.customers["segment_code"]
    assert adjusted_rand_score(kinds.reindex(codes.index), codes) == 1.0
    named = codes.groupby(kinds.reindex(codes.index)).first()
    assert (named["champion"], named["new"], named["at_risk"]) == ("champions", "new", "at_risk")
    assert set(result.segments.index) == set(codes)
    assert result.segments["customers"].sum() == len(codes)


def test_tiers_rank_champions_above_lost_customers(result: AnalysisResult, kinds) -> None:
    tier_rank = result.customers["tier"].map({"vip": 3, "high": 2, "medium": 1, "low": 0})
    by_kind = tier_rank.groupby(kinds.reindex(tier_rank.index)).mean()
    assert by_kind["champion"] > by_kind["at_risk"] > by_kind["lost"]
    assert set(result.metrics["tier_cutoffs"]) == {"vip", "high", "medium"}


def test_churn_risk_is_evaluated_and_ranks_churners_higher(result: AnalysisResult, kinds) -> None:
    assert result.metrics["churn"]["roc_auc"] > 0.8
    risk = result.customers["churn_probability"]
    assert risk.between(0, 1).all()
    by_kind = risk.groupby(kinds.reindex(risk.index)).mean()
    assert by_kind["at_risk"] > by_kind["champion"] and by_kind["lost"] > by_kind["champion"]


def test_rules_find_the_planted_pairs(result: AnalysisResult) -> None:
    rules = result.product_rules
    tea_cup = rules[
        (rules["antecedents"] == frozenset({"TEA-GREEN"}))
        & (rules["consequents"] == frozenset({"CUP-GLASS"}))
    ]
    assert len(tea_cup) == 1 and tea_cup["lift"].iloc[0] > 1.5
    assert (result.category_rules["antecedents"] == frozenset({"tea"})).any()


def test_top_products_are_listed_for_every_segment(result: AnalysisResult) -> None:
    assert set(result.top_products) == set(result.segments.index) | {"all"}
    buyers = [b for _, b in result.top_products["all"]]
    assert buyers == sorted(buyers, reverse=True)


# --- Spark agrees with pandas ------------------------------------------------------------


@pytest.mark.spark
@needs_spark
def test_spark_rfm_scores_and_tiers_are_identical(pandas_result, spark_result) -> None:
    exact = [
        "recency_days",
        "frequency",
        "monetary",
        "monetary_cents",
        "tenure_days",
        "r_score",
        "f_score",
        "m_score",
        "rfm_score",
        "value_cents",
        "tier",
    ]
    ours = pandas_result.customers[exact]
    theirs = spark_result.customers[exact].reindex(ours.index)
    assert ours.astype(object).equals(theirs.astype(object))
    assert pandas_result.metrics["tier_cutoffs"] == spark_result.metrics["tier_cutoffs"]


@pytest.mark.spark
@needs_spark
def test_spark_segments_agree_with_pandas(pandas_result, spark_result) -> None:
    ours = pandas_result.customers["segment_code"]
    theirs = spark_result.customers["segment_code"].reindex(ours.index)
    assert adjusted_rand_score(ours, theirs) >= 0.9
    assert (ours == theirs).mean() >= 0.95  # same names, not just the same partition
    assert spark_result.metrics["k"] == pandas_result.metrics["k"]


@pytest.mark.spark
@needs_spark
def test_spark_itemsets_and_rules_are_identical(pandas_result, spark_result) -> None:
    for level in ("product_rules", "category_rules"):
        ours, theirs = getattr(pandas_result, level), getattr(spark_result, level)
        pd.testing.assert_frame_equal(ours, theirs, check_exact=True)
        assert list(ours.columns) == ["antecedents", "consequents", *RULE_METRICS]


@pytest.mark.spark
@needs_spark
def test_spark_frequent_itemsets_equal_the_pandas_engine(spark, frames) -> None:
    from pyspark.sql import functions as F

    from crm_engine.association import baskets_from_lines, frequent_itemsets
    from crm_engine.spark.models import frequent_itemsets as spark_itemsets
    from crm_engine.spark.rfm import lines_to_spark

    lines = frames[1]
    baskets = (
        lines_to_spark(spark, lines)
        .groupBy("order_number")
        .agg(F.collect_set("sku").alias("items"))
    )
    for min_support in (0.01, 0.1, 0.3):
        ours = frequent_itemsets(
            baskets_from_lines(lines, basket="order_number", item="sku"), min_support=min_support
        )
        theirs = spark_itemsets(baskets, min_support=min_support, max_len=None)
        pd.testing.assert_frame_equal(ours, theirs, check_exact=True)


@pytest.mark.spark
@needs_spark
def test_spark_session_never_downloads(spark) -> None:
    from crm_engine.spark.session import NETWORK_SETTINGS, check_offline

    conf = dict(spark.sparkContext.getConf().getAll())
    assert not any(conf.get(k) for k in NETWORK_SETTINGS)
    with pytest.raises(ValueError, match="spark.jars.packages download jars at run time"):
        check_offline({"spark.jars.packages": "org.postgresql:postgresql:42.7.3"})


@pytest.mark.spark
@needs_spark
def test_spark_results_store_and_read_back_like_pandas_ones(
    session, shop, spark_result, kinds
) -> None:
    from crm_engine.analyze import store_result
    from crm_engine.profiles import customer_profile
    from crm_engine.recommendations import also_bought

    run = store_result(session, spark_result, seconds=1.0)
    assert run.engine == "spark" and run.metrics["customers"] == len(kinds)
    champion = next(code for code, kind in kinds.items() if kind == "champion")
    assert customer_profile(session, champion).segment_code == "champions"
    assert also_bought(session, "TEA-GREEN")[0].sku == "CUP-GLASS"


@pytest.mark.spark
@needs_spark
def test_crm_analyze_runs_the_engine_named_by_the_setting(
    spark, plan, tmp_path, monkeypatch
) -> None:
    from crm_engine.analyze import run_analysis
    from crm_engine.db import get_engine, session_scope
    from crm_engine.models import Base
    from tests.analytics.shop import build_shop

    url = f"sqlite:///{tmp_path / 'spark.db'}"
    Base.metadata.create_all(get_engine(url))
    monkeypatch.setenv("CRM_ANALYTICS_ENGINE", "spark")
    with session_scope(url) as session:
        build_shop(session, plan)
        run = run_analysis(session, as_of=AS_OF)
        assert run.engine == "spark" and run.metrics["churn"]["roc_auc"] > 0.8
    get_engine(url).dispose()
