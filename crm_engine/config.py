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
    )
