"""The Spark engine for `crm analyze`: Spark SQL for RFM, tiers and churn features,
MLlib KMeans for segments, MLlib FPGrowth for frequent itemsets, MLlib
LogisticRegression for churn risk. It produces the same AnalysisResult as the
pandas engine and passes the same contract tests (identical RFM, itemsets and
rules; matching segments).

Selecting it: `CRM_ANALYTICS_ENGINE=spark crm analyze` (or `crm analyze --engine spark`).

Running on a cluster instead of in-process (`local[2]` by default):

    CRM_SPARK_MASTER=spark://spark-master.internal:7077   # standalone cluster
    CRM_SPARK_MASTER=yarn                                  # YARN (HADOOP_CONF_DIR must be set)
    CRM_SPARK_MASTER=k8s://https://k8s-api:6443            # Kubernetes (+ spark.kubernetes.* in spark-defaults.conf)
    CRM_SPARK_DRIVER_MEMORY=4g

The machine running `crm analyze` is the driver. The cluster must run the same
Spark (pyspark) version and Python 3.11 with this project installed on every
worker (the segment naming and rule metrics run on the driver, but Python
functions are shipped to executors). Executor sizes and other cluster settings
go in `$SPARK_CONF_DIR/spark-defaults.conf` as usual. Nothing is downloaded at
run time: the session refuses `spark.jars.packages` / `spark.jars.repositories`
(the store is read through SQLAlchemy, so no JDBC driver jar is needed). For
data too big for the driver, call `analyze_spark()` directly on Spark
DataFrames read from Parquet exports of the orders and order lines.
"""

from crm_engine.spark.analyze import SparkAnalysis, analyze_frames_spark, analyze_spark
from crm_engine.spark.session import spark_session

__all__ = ["SparkAnalysis", "analyze_frames_spark", "analyze_spark", "spark_session"]
