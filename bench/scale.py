"""Segmentation + tiers + churn scoring at scale: 1 million customers, ~10 million orders.

The shop is generated in memory from a deterministic integer hash, written once
with numpy (pandas engine) and once with Spark SQL (Spark engine), so both
engines see exactly the same orders (row count and total spend are checked).
Customer and order ids are integers here (a warehouse export would use them
too); every step of `crm analyze` except the rules runs: RFM + scores, K-means
segments with k chosen by silhouette, value tiers, churn model (time split,
ROC-AUC) and churn scores for everyone.

Peak memory: for pandas the process's peak RSS above its RSS after generating
the data; for Spark the peak RSS of the JVM (driver = executor in local mode)
plus the Python driver's growth. Goals for pandas: <= 60 s and <= 4 GiB.
Run: `nice -n 19 .venv/bin/python -m bench.scale [--customers N] [--engines pandas spark]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.results import record

AS_OF = dt.datetime(2026, 11, 20)
MEAN_ORDERS = 10  # orders per customer: 1 .. 2 * MEAN_ORDERS - 1, uniform
STATUSES = ("delivered", "cancelled", "pending_payment", "returned")
# Per customer kind: (newest order, days of history) before AS_OF, and top order value in cents.
KINDS = ((0, 365, 40_000), (120, 600, 30_000), (300, 700, 10_000), (0, 90, 20_000))
M32 = 4_294_967_296


def mix(x: np.ndarray) -> np.ndarray:
    """A 32-bit integer hash (x < 2**33); `spark_mix` computes the same in Spark SQL."""
    x = (x * 2_654_435_761) % M32
    x = ((x >> 16) ^ x) * 73_244_475 % M32
    return (x >> 16) ^ x


def generate_pandas(n_customers: int) -> pd.DataFrame:
    """rfm.ORDER_COLUMNS for n_customers (integer codes), ~MEAN_ORDERS each."""
    customer = np.arange(n_customers, dtype=np.int64)
    kind = mix(customer * 8 + 1) % len(KINDS)
    n_orders = 1 + mix(customer * 8 + 2) % (2 * MEAN_ORDERS - 1)
    rows = np.repeat(customer, n_orders)
    starts = np.repeat(np.cumsum(n_orders) - n_orders, n_orders)
    key = rows * 32 + (np.arange(len(rows)) - starts)
    newest, span, top = (
        np.array(k, dtype=np.int64)[np.repeat(kind, n_orders)] for k in zip(*KINDS, strict=True)
    )
    seconds_before = (newest + mix(key * 4 + 1) % span) * 86_400 + mix(key * 4 + 2) % 86_400
    as_of_s = int(pd.Timestamp(AS_OF).value // 1_000_000_000)
    status_pick = mix(key * 4 + 3) % 100
    status = np.select([status_pick < 92, status_pick < 96, status_pick < 98], [0, 1, 2], 3)
    total = 500 + mix(key * 4 + 4) % top
    return pd.DataFrame(
        {
            "customer_code": rows,
            "order_number": key,
            "placed_at": ((as_of_s - seconds_before) * 1_000_000).astype("datetime64[us]"),
            "status": pd.Categorical.from_codes(status, STATUSES),
            "total_cents": total,
            "refunded_cents": np.where(mix(key * 4 + 5) % 50 == 0, total // 2, 0),
        }
    )


def spark_mix(col):
    from pyspark.sql import functions as F

    x = F.pmod(col * F.lit(2_654_435_761), F.lit(M32))
    x = F.pmod(F.shiftright(x, 16).bitwiseXOR(x) * F.lit(73_244_475), F.lit(M32))
    return F.shiftright(x, 16).bitwiseXOR(x)


def generate_spark(spark, n_customers: int):
    """The same orders as generate_pandas, as a Spark DataFrame (srfm.ORDER_SCHEMA)."""
    from pyspark.sql import functions as F

    def pick(values: tuple[int, ...], index):
        return F.element_at(F.array(*(F.lit(v) for v in values)), index.cast("int") + 1).cast(
            "long"
        )

    newest, span, top = (tuple(k) for k in zip(*KINDS, strict=True))
    customers = spark.range(n_customers).select(
        F.col("id").alias("customer"),
        (spark_mix(F.col("id") * 8 + 1) % len(KINDS)).alias("kind"),
        (1 + spark_mix(F.col("id") * 8 + 2) % (2 * MEAN_ORDERS - 1)).alias("n_orders"),
    )
    orders = customers.select(
        "customer", "kind", F.explode(F.sequence(F.lit(0), F.col("n_orders") - 1)).alias("j")
    ).withColumn("key", F.col("customer") * 32 + F.col("j"))
    as_of_s = int(pd.Timestamp(AS_OF).value // 1_000_000_000)
    seconds_before = (
        pick(newest, F.col("kind")) + spark_mix(F.col("key") * 4 + 1) % pick(span, F.col("kind"))
    ) * 86_400 + spark_mix(F.col("key") * 4 + 2) % 86_400
    status_pick = spark_mix(F.col("key") * 4 + 3) % 100
    total = 500 + spark_mix(F.col("key") * 4 + 4) % pick(top, F.col("kind"))
    return orders.select(
        F.col("customer").cast("string").alias("customer_code"),
        F.col("key").cast("string").alias("order_number"),
        ((F.lit(as_of_s) - seconds_before) * 1_000_000).alias("placed_us"),
        F.when(status_pick < 92, "delivered")
        .when(status_pick < 96, "cancelled")
        .when(status_pick < 98, "pending_payment")
        .otherwise("returned")
        .alias("status"),
        total.alias("total_cents"),
        F.when(spark_mix(F.col("key") * 4 + 5) % 50 == 0, F.floor(total / 2))
        .otherwise(0)
        .cast("long")
        .alias("refunded_cents"),
    )


def _kib(pid: int | str, field: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> int:
    with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
        fh.write("5")
    return _kib("self", "VmRSS")


def _java_children() -> list[int]:
    """Pids of the JVMs started by this process (Spark's driver in local mode)."""
    pids, found = [os.getpid()], []
    while pids:
        pid = pids.pop()
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:  # a thread ended while we looked
                continue
            for child in map(int, children):
                pids.append(child)
                try:
                    cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"java" in cmdline:
                    found.append(child)
    return found


def bench_pandas(n_customers: int) -> dict:
    from crm_engine.analyze import score_customers

    started = time.perf_counter()
    orders = generate_pandas(n_customers)
    generate_seconds = time.perf_counter() - started
    base_kib = _reset_peak()
    started, cpu_started = time.perf_counter(), time.process_time()
    scores = score_customers(orders, as_of=AS_OF)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_mib = (_kib("self", "VmHWM") - base_kib) / 1024
    table = scores.table
    return {
        "engine": "pandas",
        "customers": len(table),
        "orders": len(orders),
        "total_cents": int(orders["total_cents"].sum()),
        "generate_seconds": round(generate_seconds, 1),
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "peak_mib": round(peak_mib),
        "data_mib": round(orders.memory_usage(deep=True).sum() / 2**20),
        "k": scores.metrics["k"],
        "churn_roc_auc": scores.metrics["churn"].get("roc_auc"),
        "segments": table["segment_code"].value_counts().to_dict(),
        "tiers": table["tier"].value_counts().to_dict(),
        "goal_met": seconds <= 60 and peak_mib <= 4096,
    }


def bench_spark(n_customers: int) -> dict:
    from pyspark.sql import functions as F

    from crm_engine.spark import spark_session
    from crm_engine.spark.analyze import score_customers_spark

    os.environ.setdefault("CRM_SPARK_DRIVER_MEMORY", "6g")
    spark = spark_session("local[2]")
    jvms = _java_children()  # found now, while nothing else is starting or ending
    base_kib = _reset_peak()
    started = time.perf_counter()
    orders = generate_spark(spark, n_customers).cache()
    counts = orders.agg(F.count(F.lit(1)).alias("n"), F.sum("total_cents").alias("cents")).first()
    generate_seconds = time.perf_counter() - started
    started = time.perf_counter()
    scores = score_customers_spark(orders, as_of=AS_OF)
    with tempfile.TemporaryDirectory(prefix="crm-scale-") as out:
        # Writing the per-customer table forces every lazy step to run.
        scores.customers.write.mode("overwrite").parquet(out)
    seconds = time.perf_counter() - started
    print(f"spark: generated in {generate_seconds:.1f} s, scored in {seconds:.1f} s", flush=True)
    summary = scores.customers.groupBy("segment_code").count().collect()
    jvm_mib = sum(_kib(pid, "VmHWM") for pid in jvms) / 1024
    python_mib = (_kib("self", "VmHWM") - base_kib) / 1024
    spark.stop()
    return {
        "engine": "spark local[2]",
        "customers": scores.metrics["customers"],
        "orders": counts["n"],
        "total_cents": int(counts["cents"]),
        "generate_seconds": round(generate_seconds, 1),
        "seconds": round(seconds, 1),
        "peak_mib": round(jvm_mib + python_mib),
        "jvm_peak_mib": round(jvm_mib),
        "driver_memory": os.environ["CRM_SPARK_DRIVER_MEMORY"],
        "k": scores.metrics["k"],
        "churn_roc_auc": scores.metrics["churn"].get("roc_auc"),
        "segments": {r["segment_code"]: r["count"] for r in summary},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument(
        "--engines", nargs="+", choices=("pandas", "spark"), default=["pandas", "spark"]
    )
    args = parser.parse_args(argv)
    runs = []
    for engine in args.engines:
        run = bench_pandas(args.customers) if engine == "pandas" else bench_spark(args.customers)
        print({k: v for k, v in run.items() if k not in ("segments", "tiers")}, flush=True)
        runs.append(run)
    figures = {"runs": runs, "load_average": os.getloadavg()[0]}
    if len(runs) == 2:
        figures["same_data"] = (runs[0]["orders"], runs[0]["total_cents"]) == (
            runs[1]["orders"],
            runs[1]["total_cents"],
        )
    record("scale", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
