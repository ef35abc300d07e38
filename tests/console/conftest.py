"""A fake Rasa HTTP API on 127.0.0.1 that records what the staff console asks of it."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

TOKEN = "test-token"


class FakeRasa:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict, object]] = []  # method, path, query, body
        self.fail_execute = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                outer.requests.append(("POST", url.path, query, body))
                if query.get("token") != TOKEN:
                    return self._reply(401, {"status": "failure", "reason": "NotAuthenticated"})
                if url.path.endswith("/execute"):
                    if outer.fail_execute:
                        return self._reply(
                            500, {"status": "failure", "message": "ConversationError"}
                        )
                    text = "人工客服已处理完您的问题，智能客服回来啦！还有什么可以帮您的吗？"
                    return self._reply(
                        200, {"tracker": {}, "messages": [{"recipient_id": "x", "text": text}]}
                    )
                return self._reply(200, {"sender_id": url.path.split("/")[2], "events": []})

            def _reply(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def paths(self) -> list[str]:
        return [path for _, path, _, _ in self.requests]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake_rasa(monkeypatch):
    rasa = FakeRasa()
    monkeypatch.setenv("RASA_URL", rasa.url + "/")
    monkeypatch.setenv("RASA_AUTH_TOKEN", TOKEN)
    yield rasa
    rasa.stop()


@pytest.fixture
def rasa_down(monkeypatch):
    """RASA_URL points at a port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("RASA_AUTH_TOKEN", TOKEN)
