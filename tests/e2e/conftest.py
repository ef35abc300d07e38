"""Start the real product — action server (.venv) and Rasa server (.venv-rasa) — for end-to-end tests.

`stack` runs each test module twice: embedded (SQLite CRM and tracker store,
in-memory lock store) and production-like (PostgreSQL CRM and tracker store in a
private schema, Redis lock store) when CRM_TEST_POSTGRES_URL and REDIS_TEST_URL
are set, as .ci/run sets them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text

from scripts.stack import ROOT, Conversation, Stack, isolated_env, load_demo_shop

__all__ = ["Conversation"]

MODEL = ROOT / "models" / "shopbot.tar.gz"
POSTGRES_URL = os.environ.get("CRM_TEST_POSTGRES_URL", "").strip()
REDIS_URL = os.environ.get("REDIS_TEST_URL", "").strip()


@pytest.fixture(
    scope="module",
    params=[
        "embedded",
        pytest.param("production", marks=[pytest.mark.postgres, pytest.mark.redis]),
    ],
)
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.skip(f"end-to-end tests need a trained model at {MODEL} (make test trains it)")
    work = tmp_path_factory.mktemp(f"e2e-{request.param}")
    env = isolated_env(work)
    cleanup = None
    if request.param == "production":
        if not (POSTGRES_URL and REDIS_URL):
            pytest.skip(
                "production-like end-to-end run needs CRM_TEST_POSTGRES_URL and REDIS_TEST_URL (set by .ci/run)"
            )
        schema = f"e2e_{uuid.uuid4().hex[:10]}"
        admin = create_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        option = f"options=-csearch_path%3D{schema}"
        rasa_pg = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
        redis = urlsplit(REDIS_URL)
        env.update(
            CRM_DATABASE_URL=f"{POSTGRES_URL}?{option}",
            RASA_TRACKER_URL=f"{rasa_pg}?{option}",
            RASA_LOCK_STORE="redis",
            REDIS_HOST=redis.hostname or "127.0.0.1",
            REDIS_PORT=str(redis.port or 6379),
            REDIS_DB=(redis.path or "/0").lstrip("/") or "0",
        )

        def cleanup() -> None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    load_demo_shop(env, customers=60, orders=400)
    stack = Stack(
        env=env,
        rasa_port=int(env["RASA_PORT"]),
        action_port=int(env["ACTION_PORT"]),
        model=MODEL,
        log_dir=work / "logs",
    )
    stack.start()
    stack.mode = request.param  # type: ignore[attr-defined]
    try:
        yield stack
    finally:
        stack.stop()
        if cleanup:
            cleanup()
