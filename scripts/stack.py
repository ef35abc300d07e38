"""Start and stop the running product: the action server (.venv) and the Rasa server (.venv-rasa).

One launcher serves `make run`, the end-to-end tests and the latency benchmark, so
they all exercise the same command lines. Settings come from the environment
(scripts/env.sh gives the defaults); `python -m scripts.stack` runs until Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
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

    def start(self, timeout: float = 180.0) -> Stack:
        if not self.model.exists():
            raise FileNotFoundError(f"no trained model at {self.model}: run `make train`")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = {**self.env, "PYTHONUNBUFFERED": "1"}
        self._spawn(
            "actions",
            [str(VENV_PY), "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.action_port)],
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
                print(f"error: the {name} server stopped (code {proc.returncode}); see {stack.log_dir}/{name}.log", file=sys.stderr)
                stopping = True
        time.sleep(0.5)
    print("Stopping...", flush=True)
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
