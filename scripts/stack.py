"""Start and stop the running product: the action server (.venv) and the Rasa server (.venv-rasa).

One launcher serves `make run`, the end-to-end tests and the latency benchmark, so
they all exercise the same command lines. Settings come from the environment
(scripts/env.sh gives the defaults); `python -m scripts.stack` runs until Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PY = ROOT / ".venv" / "bin" / "python"
RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"


@dataclass
class Stack:
    env: dict[str, str]
    rasa_port: int
    action_port: int
    model: Path
    log_dir: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    def start(self, timeout: float = 420.0) -> Stack:
        if not self.model.exists():
            raise FileNotFoundError(f"no trained model at {self.model}: run `make train`")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {**self.env, "PYTHONUNBUFFERED": "1"}
        self._spawn(
            "actions",
            [
                str(VENV_PY),
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "--port",
                str(self.action_port),
            ],
            env,
        )
        self._spawn(
            "rasa",
            [
                str(RASA_BIN), "run",
                "--model", str(self.model),
                "--endpoints", "endpoints.yml",
                "--credentials", "credentials.yml",
                "--port", str(self.rasa_port),
                "--enable-api",
                "--auth-token", env["RASA_AUTH_TOKEN"],
                "--cors", "*",
            ],
            env,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        self._wait_until(f"{self.action_url}/health", deadline, "actions")
        token = env["RASA_AUTH_TOKEN"]
        self._wait_until(f"{self.rasa_url}/status?token={token}", deadline, "rasa")
        return self

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.processes.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.processes.clear()

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, name: str, cmd: list[str], env: Mapping[str, str]) -> None:
        log = open(self.log_dir / f"{name}.log", "w", encoding="utf-8")  # noqa: SIM115
        self.processes[name] = subprocess.Popen(
            cmd, cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )

    def _wait_until(self, url: str, deadline: float, name: str) -> None:
        while time.monotonic() < deadline:
            proc = self.processes[name]
            if proc.poll() is not None:
                self.stop()
                raise RuntimeError(
                    f"{name} server exited with code {proc.returncode}:\n{self.log(name)[-4000:]}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"{name} server did not come up at {url}:\n{self.log(name)[-4000:]}")


class Conversation:
    """One customer talking to the bot through the REST channel."""

    def __init__(
        self, rasa_url: str, sender: str | None = None, metadata: dict | None = None
    ) -> None:
        import requests  # only in .venv; the launcher itself needs nothing beyond the stdlib

        self._http = requests.Session()
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        self.sender = sender or f"conv-{uuid.uuid4().hex[:10]}"
        self.metadata = metadata or {}

    def reply(self, message: str, timeout: float = 60) -> list[dict]:
        """The bot's messages (dicts with text, buttons, custom...) for one customer message."""
        resp = self._http.post(
            self.url,
            json={"sender": self.sender, "message": message, "metadata": self.metadata},
            timeout=timeout,
        )
        resp.raise_for_status()
        return resp.json()

    def say(self, message: str) -> list[str]:
        """The texts of the bot's replies."""
        return [m["text"] for m in self.reply(message) if "text" in m]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def isolated_env(work: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Settings for a throw-away stack in `work`: SQLite CRM and tracker, free ports, fresh secrets.

    Used by the end-to-end tests and the benchmarks; callers may override any value.
    """
    env = {
        k: v
        for k, v in (os.environ if base is None else base).items()
        if not k.startswith(("CRM_", "RASA_", "REDIS_", "INTERACTIONS_"))
    }
    rasa_port, action_port = free_port(), free_port()
    env.update(
        CRM_DATABASE_URL=f"sqlite:///{work / 'crm.db'}",
        RASA_TRACKER_URL=f"sqlite:///{work / 'tracker.db'}",
        RASA_LOCK_STORE="in_memory",
        REDIS_HOST="127.0.0.1",
        REDIS_PORT="6379",
        REDIS_DB="1",
        RASA_AUTH_TOKEN=uuid.uuid4().hex,
        CRM_AUTH_SECRET=uuid.uuid4().hex,
        INTERACTIONS_TOKEN=uuid.uuid4().hex,
        RASA_PORT=str(rasa_port),
        ACTION_PORT=str(action_port),
        RASA_URL=f"http://127.0.0.1:{rasa_port}",
        ACTION_SERVER_URL=f"http://127.0.0.1:{action_port}/webhook",
        INTERACTIONS_URL=f"http://127.0.0.1:{action_port}/interactions",
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
    )
    return env


def load_demo_shop(env: Mapping[str, str], customers: int, orders: int, seed: int = 7) -> None:
    """Create the CRM schema and a small demo shop in the database `env` points at."""
    crm = str(ROOT / ".venv" / "bin" / "crm")
    for args in (
        ["init"],
        ["demo", "--customers", str(customers), "--orders", str(orders), "--seed", str(seed)],
    ):
        result = subprocess.run(
            [crm, *args], env=dict(env), cwd=ROOT, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"crm {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def stack_from_env(env: Mapping[str, str] | None = None, log_dir: Path | None = None) -> Stack:
    env = dict(os.environ if env is None else env)
    return Stack(
        env=env,
        rasa_port=int(env.get("RASA_PORT", "5005")),
        action_port=int(env.get("ACTION_PORT", "5055")),
        model=Path(env.get("RASA_MODEL", ROOT / "models" / "shopbot.tar.gz")),
        log_dir=log_dir or ROOT / "var" / "logs",
    )


def main() -> int:
    stack = stack_from_env()
    print("Starting the action server and the Rasa server (this takes ~30 s)...", flush=True)
    try:
        stack.start()
    except (RuntimeError, TimeoutError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"""
shopbot is running.
  Rasa server (REST + socket.io): {stack.rasa_url}
    chat in this terminal:  make chat
    REST:      curl -s {stack.rasa_url}/webhooks/rest/webhook -H 'Content-Type: application/json' \\
                 -d '{{"sender": "me", "message": "我的订单SO20000003到哪了"}}'
    socket.io: {stack.rasa_url}/socket.io  (events user_uttered / bot_uttered)
  Action server: {stack.action_url}  (health: {stack.action_url}/health)
  CRM database:  {stack.env.get("CRM_DATABASE_URL")}
  Logs:          {stack.log_dir}/
Demo orders: 张伟 (phone ending 8000): SO20000001 processing, SO20000002 delivered, SO20000003 shipped
             Emma Wilson (phone ending 0123): SO20000011 processing, SO20000012 delivered, SO20000013 shipped
Press Ctrl-C to stop.""",
        flush=True,
    )
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    while not stopping:
        for name, proc in stack.processes.items():
            if proc.poll() is not None:
                print(
                    f"error: the {name} server stopped (code {proc.returncode}); see {stack.log_dir}/{name}.log",
                    file=sys.stderr,
                )
                stopping = True
        time.sleep(0.5)
    print("Stopping...", flush=True)
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
