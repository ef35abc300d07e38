"""Start the real product — action server (.venv) and Rasa server (.venv-rasa) — for end-to-end tests.

`stack` runs each test module twice: embedded (SQLite CRM and tracker store,
in-memory lock store) and production-like (PostgreSQL CRM and tracker store in a
private schema, Redis lock store) when CRM_TEST_POSTGRES_URL and REDIS_TEST_URL
are set, as .ci/run sets them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import create_engine, text

from scripts.stack import ROOT, Stack

MODEL = ROOT / "models" / "shopbot.tar.gz"
POSTGRES_URL = os.environ.get("CRM_TEST_POSTGRES_URL", "").strip()
REDIS_URL = os.environ.get("REDIS_TEST_URL", "").strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _crm(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "crm"), *args], env=env, check=True, cwd=ROOT,
        capture_output=True, text=True,
    )  # fmt: skip


@pytest.fixture(scope="module", params=["embedded", pytest.param("production", marks=[pytest.mark.postgres, pytest.mark.redis])])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.skip(f"end-to-end tests need a trained model at {MODEL} (make test trains it)")
    work: Path = tmp_path_factory.mktemp(f"e2e-{request.param}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "RASA_", "REDIS_"))}
    env.update(
        RASA_AUTH_TOKEN=uuid.uuid4().hex,
        CRM_AUTH_SECRET=uuid.uuid4().hex,
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
    )
    cleanup = None
    if request.param == "embedded":
        env.update(
            CRM_DATABASE_URL=f"sqlite:///{work / 'crm.db'}",
            RASA_TRACKER_URL=f"sqlite:///{work / 'tracker.db'}",
            RASA_LOCK_STORE="in_memory",
            REDIS_HOST="127.0.0.1", REDIS_PORT="6379", REDIS_DB="1",
        )  # fmt: skip
    else:
        if not (POSTGRES_URL and REDIS_URL):
            pytest.skip("production-like end-to-end run needs CRM_TEST_POSTGRES_URL and REDIS_TEST_URL (set by .ci/run)")
        schema = f"e2e_{uuid.uuid4().hex[:10]}"
        admin = create_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        option = f"options=-csearch_path%3D{schema}"
        plain = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
        redis = urlsplit(REDIS_URL)
        env.update(
            CRM_DATABASE_URL=f"{POSTGRES_URL}?{option}",
            RASA_TRACKER_URL=f"{plain}?{option}",
            RASA_LOCK_STORE="redis",
            REDIS_HOST=redis.hostname or "127.0.0.1",
            REDIS_PORT=str(redis.port or 6379),
            REDIS_DB=(redis.path or "/0").lstrip("/") or "0",
        )

        def cleanup() -> None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    _crm(env, "init")
    _crm(env, "demo", "--customers", "60", "--orders", "400", "--seed", "7")
    rasa_port, action_port = free_port(), free_port()
    env.update(
        RASA_PORT=str(rasa_port),
        ACTION_PORT=str(action_port),
        ACTION_SERVER_URL=f"http://127.0.0.1:{action_port}/webhook",
        INTERACTIONS_URL=f"http://127.0.0.1:{action_port}/interactions",
        RASA_URL=f"http://127.0.0.1:{rasa_port}",
    )
    stack = Stack(env=env, rasa_port=rasa_port, action_port=action_port, model=MODEL, log_dir=work / "logs")
    stack.start()
    stack.mode = request.param  # type: ignore[attr-defined]
    try:
        yield stack
    finally:
        stack.stop()
        if cleanup:
            cleanup()


class Conversation:
    """One customer talking to the bot through the REST channel."""

    def __init__(self, stack: Stack, sender: str | None = None, metadata: dict | None = None) -> None:
        self.url = f"{stack.rasa_url}/webhooks/rest/webhook"
        self.sender = sender or f"e2e-{uuid.uuid4().hex[:10]}"
        self.metadata = metadata or {}

    def say(self, message: str) -> list[str]:
        resp = requests.post(
            self.url, json={"sender": self.sender, "message": message, "metadata": self.metadata}, timeout=60
        )
        resp.raise_for_status()
        return [m["text"] for m in resp.json() if "text" in m]
