"""MLlib parts of the Spark engine: KMeans segments, LogisticRegression churn, FPGrowth itemsets.

k selection and cluster naming reuse crm_engine.segmentation (a sample is small
enough for the driver), and rules are derived on the driver from the itemsets
with crm_engine.association, because MLlib's own rules allow single-item
consequents only and compute the metrics differently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.ml import Pipeline
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.clustering import KMeans
from pyspark.ml.evaluation import BinaryClassificationEvaluator
from pyspark.ml.feature import StandardScaler, VectorAssembler
from pyspark.ml.fpm import FPGrowth
from pyspark.ml.functions import vector_to_array
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from crm_engine import association
from crm_engine.churn import FEATURES
from crm_engine.rfm import SCORE_COLUMNS
from crm_engine.segmentation import CustomerSegmenter, name_clusters, select_k

LOG_COLUMNS = ("f_recency", "f_frequency", "f_monetary")


@dataclass
class SparkSegments:
    assignments: DataFrame  # customer_code, segment_code
    profiles: pd.DataFrame  # per segment code, as CustomerSegmenter.profiles_
    n_clusters: int
    silhouette: dict[int, float]


def fit_segments(scored: DataFrame, params: CustomerSegmenter) -> SparkSegments:
    """Segments for rfm_scores output: standardised log features, k by silhouette, KMeans."""
    params._check_params()
    logs = scored.select(
        "*",
        F.log1p(F.col("recency_days").cast("double")).alias("f_recency"),
        F.log1p(F.col("frequency").cast("double")).alias("f_frequency"),
        F.log1p(F.greatest(F.col("monetary"), F.lit(0.0))).alias("f_monetary"),
    )
    stats = logs.agg(
        *(F.avg(c).alias(f"{c}_mean") for c in LOG_COLUMNS),
        *(F.stddev_pop(c).alias(f"{c}_std") for c in LOG_COLUMNS),
        F.count(F.lit(1)).alias("n"),
    ).first()
    z_cols = []
    for c in LOG_COLUMNS:
        std = (
            stats[f"{c}_std"] or 1.0
        )  # sklearn's StandardScaler also leaves constant features unscaled
        z_cols.append(((F.col(c) - F.lit(stats[f"{c}_mean"])) / F.lit(std)).alias(f"z_{c}"))
    z = logs.select("*", *z_cols).cache()
    n = stats["n"]
    z_names = [f"z_{c}" for c in LOG_COLUMNS]

    sample = (
        z.orderBy("customer_code")
        if n <= params.selection_sample
        else (z.orderBy(F.rand(params.random_state)).limit(params.selection_sample))
    )
    sample_x = np.array([list(r) for r in sample.select(*z_names).collect()], dtype=float)
    k, silhouette, _ = select_k(
        sample_x,
        k_values=range(max(params.k_min, 2), params.k_max + 1),
        n_init=params.n_init,
        silhouette_sample=params.silhouette_sample,
        random_state=params.random_state,
    )
    if k == 1:
        clustered = z.withColumn("cluster", F.lit(0))
    else:
        features = VectorAssembler(inputCols=z_names, outputCol="features").transform(z)
        model = KMeans(
            k=k,
            seed=params.random_state,
            maxIter=50,
            tol=1e-6,
            featuresCol="features",
            predictionCol="cluster",
        ).fit(features)
        clustered = model.transform(features).drop("features")
    clustered = clustered.cache()
    profiles = (
        clustered.groupBy("cluster")
        .agg(
            F.count(F.lit(1)).alias("customers"),
            *(F.avg(c).alias(c) for c in (*SCORE_COLUMNS, "recency_days", "frequency", "monetary")),
        )
        .toPandas()
        .set_index("cluster")
        .sort_index()
        .reindex(range(k))
    )
    profiles[list(SCORE_COLUMNS)] = profiles[list(SCORE_COLUMNS)].fillna(1.0)
    profiles["customers"] = profiles["customers"].fillna(0).astype(int)
    segments = name_clusters(profiles[list(SCORE_COLUMNS)].to_numpy())
    profiles["segment"] = [s.code for s in segments]
    code = F.create_map(*[x for i, s in enumerate(segments) for x in (F.lit(i), F.lit(s.code))])
    assignments = clustered.select("customer_code", code[F.col("cluster")].alias("segment_code"))
    z.unpersist()
    return SparkSegments(assignments, profiles.set_index("segment"), k, silhouette)


@dataclass
class SparkChurn:
    scores: DataFrame  # customer_code, churn_probability
    roc_auc: float | None
    n_train: int
    n_test: int
    test_churn_rate: float


def _churn_pipeline() -> Pipeline:
    return Pipeline(
        stages=[
            VectorAssembler(inputCols=[f"log_{c}" for c in FEATURES], outputCol="raw"),
            StandardScaler(inputCol="raw", outputCol="features", withMean=True, withStd=True),
            LogisticRegression(
                labelCol="churned", featuresCol="features", maxIter=50, regParam=0.01
            ),
        ]
    )


def _with_logs(frame: DataFrame) -> DataFrame:
    # All churn features are counts, days or money (>= 0) with long right tails.
    return frame.select(
        "*", *(F.log1p(F.greatest(F.col(c), F.lit(0.0))).alias(f"log_{c}") for c in FEATURES)
    )


def _constant_scores(frame: DataFrame, rate: float) -> DataFrame:
    return frame.select("customer_code", F.lit(rate).alias("churn_probability"))


def fit_churn(train: DataFrame, test: DataFrame, now: DataFrame) -> SparkChurn:
    """Train on `train`, report ROC-AUC on `test`, refit on `test` and score `now`.

    train/test carry FEATURES + churned; now carries FEATURES. Mirrors churn.score_churn.
    """
    train, test, now = _with_logs(train).cache(), _with_logs(test).cache(), _with_logs(now)
    train_stats = train.agg(F.count(F.lit(1)).alias("n"), F.avg("churned").alias("rate")).first()
    test_stats = test.agg(F.count(F.lit(1)).alias("n"), F.avg("churned").alias("rate")).first()
    auc = None
    if 0 < train_stats["rate"] < 1 and 0 < test_stats["rate"] < 1:
        evaluated = _churn_pipeline().fit(train)
        auc = float(
            BinaryClassificationEvaluator(labelCol="churned", metricName="areaUnderROC").evaluate(
                evaluated.transform(test)
            )
        )
    if 0 < test_stats["rate"] < 1:
        live = _churn_pipeline().fit(test)
        scores = live.transform(now).select(
            "customer_code", vector_to_array(F.col("probability"))[1].alias("churn_probability")
        )
    else:
        scores = _constant_scores(now, float(test_stats["rate"]))
    train.unpersist()
    return SparkChurn(scores, auc, train_stats["n"], test_stats["n"], float(test_stats["rate"]))


def frequent_itemsets(
    baskets: DataFrame, *, min_support: float, max_len: int | None
) -> pd.DataFrame:
    """baskets (basket, items array) -> the association.frequent_itemsets frame.

    MLlib keeps itemsets with count >= ceil(minSupport * n); asking for
    (c - 0.5) / n with c = association.min_count(...) makes that exactly c, the
    count mlxtend's float comparison implies. MLlib has no max length, so longer
    itemsets are dropped after mining.
    """
    association.check_fraction("min_support", min_support)
    n = baskets.count()
    if n == 0:
        raise ValueError("baskets must contain at least one basket, got an empty history")
    count = association.min_count(min_support, n)
    model = FPGrowth(itemsCol="items", minSupport=(count - 0.5) / n, minConfidence=1.0).fit(baskets)
    found = model.freqItemsets
    if max_len is not None:
        found = found.where(F.size("items") <= max_len)
    rows = [(tuple(r["items"]), int(r["freq"])) for r in found.collect()]
    return association.itemsets_from_counts(rows, n)
