"""The SparkSession used by the Spark engine (created lazily, once per process)."""

from __future__ import annotations

import importlib.util
import logging

from crm_engine.config import settings

log = logging.getLogger(__name__)

# Settings that make Spark fetch jars from the network when a session starts.
NETWORK_SETTINGS = ("spark.jars.packages", "spark.jars.repositories", "spark.jars.ivySettings")


def check_offline(conf: dict[str, str]) -> None:
    """Refuse configurations that would download anything at run time."""
    found = [k for k in NETWORK_SETTINGS if conf.get(k, "").strip()]
    if found:
        raise ValueError(
            f"Spark settings {', '.join(found)} download jars at run time, which shopbot does not "
            "allow; install the jars on the cluster and use spark.jars with local paths instead"
        )


def spark_session(master: str | None = None):
    """A SparkSession on `master` (default CRM_SPARK_MASTER, local[2])."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ValueError(
            "the spark engine needs pyspark (pip install pyspark) and Java 17+"
        ) from None
    config = settings()
    master = master or config.spark_master
    builder = (
        SparkSession.builder.master(master)
        .appName("shopbot-crm-analyze")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", config.spark_driver_memory)
        .config("spark.ui.showConsoleProgress", "false")
    )
    if importlib.util.find_spec("pyarrow") is None:
        # Without pyarrow Spark tries Arrow, warns and falls back on every toPandas().
        builder = builder.config("spark.sql.execution.arrow.pyspark.enabled", "false")
    if master.startswith("local"):
        # In-process: stay on loopback and use few shuffle partitions for small data.
        builder = (
            builder.config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
        )
    spark = builder.getOrCreate()
    check_offline(dict(spark.sparkContext.getConf().getAll()))
    spark.sparkContext.setLogLevel("ERROR")
    log.debug("spark %s on %s", spark.version, master)
    return spark
