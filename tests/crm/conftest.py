"""Fixtures for CRM tests that need a database without any tables (migrations, `crm init`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from crm_engine.db import get_engine
from tests.conftest import POSTGRES_URL, _postgres_url_with_schema

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def blank_database(backend: str, directory: Path) -> Iterator[str]:
    """The URL of an empty database: a new SQLite file, or a private PostgreSQL schema."""
    if backend == "sqlite":
        url = f"sqlite:///{directory / 'blank.db'}"
        try:
            yield url
        finally:
            get_engine(url).dispose()
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need CRM_TEST_POSTGRES_URL (set by .ci/run)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _postgres_url_with_schema(POSTGRES_URL, schema)
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch) -> Iterator[str]:
    """An empty database (no tables at all), also exported as CRM_DATABASE_URL."""
    with blank_database(request.param, tmp_path) as url:
        monkeypatch.setenv("CRM_DATABASE_URL", url)
        yield url
