"""The one place that reads configuration from the environment.

Every setting has a safe embedded default so `make run` works on a bare machine;
production overrides them with environment variables (documented in .env.example).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "var" / "crm.db"
DEFAULT_POLICY_PATH = PROJECT_ROOT / "data" / "shop_policy.yml"
DEFAULT_CATALOGUE_PATH = PROJECT_ROOT / "data" / "shop" / "catalogue.yml"


@dataclass(frozen=True)
class Settings:
    database_url: str
    policy_path: Path
    catalogue_path: Path
    auth_secret: str | None
    analytics_engine: str = "pandas"  # CRM_ANALYTICS_ENGINE: pandas | spark
    spark_master: str = "local[2]"  # CRM_SPARK_MASTER, e.g. spark://host:7077
    spark_driver_memory: str = "2g"  # CRM_SPARK_DRIVER_MEMORY (JVM size syntax: 512m, 4g)


ANALYTICS_ENGINES = ("pandas", "spark")


def analytics_engine() -> str:
    """`CRM_ANALYTICS_ENGINE`: which engine `crm analyze` uses (pandas by default)."""
    engine = os.environ.get("CRM_ANALYTICS_ENGINE", "pandas").strip().lower() or "pandas"
    if engine not in ANALYTICS_ENGINES:
        raise ValueError(
            f"CRM_ANALYTICS_ENGINE must be one of {', '.join(ANALYTICS_ENGINES)}, got {engine!r}"
        )
    return engine


def database_url() -> str:
    """SQLAlchemy URL of the CRM store: `CRM_DATABASE_URL`, else an SQLite file in var/."""
    url = os.environ.get("CRM_DATABASE_URL", "").strip()
    if url:
        # Shops paste Heroku-style URLs; SQLAlchemy 2 wants an explicit driver.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    DEFAULT_DB_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_DB_PATH}"


def settings() -> Settings:
    return Settings(
        database_url=database_url(),
        policy_path=Path(os.environ.get("CRM_POLICY_FILE", DEFAULT_POLICY_PATH)),
        catalogue_path=Path(os.environ.get("CRM_CATALOGUE_FILE", DEFAULT_CATALOGUE_PATH)),
        auth_secret=os.environ.get("CRM_AUTH_SECRET") or None,
        analytics_engine=analytics_engine(),
        spark_master=os.environ.get("CRM_SPARK_MASTER", "").strip() or "local[2]",
        spark_driver_memory=os.environ.get("CRM_SPARK_DRIVER_MEMORY", "").strip() or "2g",
    )
