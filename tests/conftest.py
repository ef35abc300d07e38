"""Fixtures shared by every test that runs in .venv (Python 3.11).

`db_url` runs a test once on a fresh SQLite file and, when CRM_TEST_POSTGRES_URL
is set (CI sets it), once more on PostgreSQL inside a private schema, so parallel
runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from crm_engine.db import get_engine, session_scope
from crm_engine.models import Base

POSTGRES_URL = os.environ.get("CRM_TEST_POSTGRES_URL", "").strip()


def _postgres_url_with_schema(base_url: str, schema: str) -> str:
    sep = "&" if "?" in base_url else "?"
    return f"{base_url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path, monkeypatch) -> Iterator[str]:
    """A CRM database with the full schema, empty; also exported as CRM_DATABASE_URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'crm.db'}"
        Base.metadata.create_all(get_engine(url))
        monkeypatch.setenv("CRM_DATABASE_URL", url)
        yield url
        get_engine(url).dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need CRM_TEST_POSTGRES_URL (set by .ci/run)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _postgres_url_with_schema(POSTGRES_URL, schema)
    Base.metadata.create_all(get_engine(url))
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    """A session on the test database; committed at the end of the test."""
    with session_scope(db_url) as s:
        yield s
