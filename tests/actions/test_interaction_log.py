"""The action server's POST /interactions, through the real rasa-sdk app on 127.0.0.1."""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic
from sqlalchemy import select

from actions.interaction_log import PayloadError, parse_payload
from crm_engine.db import get_engine, session_scope
from crm_engine.models import Base, Interaction
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def user(sender="web-1", t=100.0, text="我的订单到哪了", intent="order_status", **extra):
    event = {
        "sender_id": sender,
        "event": "user",
        "timestamp": t,
        "text": text,
        "input_channel": "socketio",
        "parse_data": {
            "intent": {"name": intent, "confidence": 0.91},
            "entities": [
                {
                    "entity": "language",
                    "value": "zh",
                    "start": 0,
                    "end": len(text),
                    "extractor": "LanguageDetector",
                },
                {
                    "entity": "order_id",
                    "value": "SO1",
                    "start": 0,
                    "end": 3,
                    "confidence_entity": 0.9,
                },
            ],
        },
        "metadata": {},
    }
    event.update(extra)
    return event


def bot(sender="web-1", t=100.5, text="请提供订单号", action="utter_ask_order_id"):
    return {
        "sender_id": sender,
        "event": "bot",
        "timestamp": t,
        "text": text,
        "data": {},
        "metadata": {"utter_action": action},
    }


# --- parsing (no server) -------------------------------------------------


def test_user_and_bot_events_become_interactions():
    u, b = parse_payload(
        {"events": [user(), {"event": "action", "sender_id": "web-1", "name": "x"}, bot()]}
    )
    assert (u.direction, u.text, u.channel, u.language, u.intent, u.confidence) == (
        "user", "我的订单到哪了", "socketio", "zh", "order_status", 0.91,
    )  # fmt: skip
    assert u.entities == [{"entity": "order_id", "value": "SO1", "start": 0, "end": 3}]
    assert (b.direction, b.text, b.response, b.language) == (
        "bot",
        "请提供订单号",
        "utter_ask_order_id",
        "zh",
    )


def test_sentiment_is_read_when_the_pipeline_adds_it():
    event = user(text="太慢了")
    event["parse_data"]["sentiment"] = {"label": "negative", "confidence": 0.88}
    [u] = parse_payload({"events": [event]})
    assert (u.sentiment_label, u.sentiment_score) == ("negative", 0.88)


def test_language_without_an_entity_comes_from_the_text_then_the_conversation():
    digits = user(t=101.0, text="10004821", intent="inform")
    digits["parse_data"]["entities"] = []
    command = user(t=102.0, text="/greet", intent="greet")
    command["parse_data"]["entities"] = []
    language_slot = {"sender_id": "web-1", "event": "slot", "name": "language", "value": "zh"}
    events = parse_payload(
        {
            "events": [
                language_slot,
                digits,
                command,
                bot(t=103.0),
                bot(sender="web-3", text="Hello!"),
            ]
        }
    )
    # The reply follows the language slot that chose it, not the customer's "/greet".
    assert [e.language for e in events] == ["zh", "en", "zh", "en"]


def test_customer_code_comes_from_the_slot_or_message_metadata_never_other_metadata():
    first = user(t=1.0, metadata={"customer_code": "C000042", "auth_token": "secret"})
    events = parse_payload(
        {
            "events": [
                first,
                bot(t=2.0),
                {"sender_id": "web-2", "event": "slot", "name": "customer_id", "value": "C7"},
                user(sender="web-2", t=3.0),
            ]
        }
    )
    assert [e.customer_code for e in events] == ["C000042", "C000042", "C7"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], r'body must be a JSON object \{"events": \[...\]\}; got \[\]'),
        ({"events": "x"}, "body must be a JSON object"),
        ({"events": [1]}, r"events\[0\] must be an object; got 1"),
        (
            {"events": [{"event": "user", "timestamp": 1}]},
            r"events\[0\].sender_id must be a non-empty text; got None",
        ),
        (
            {"events": [user(timestamp="noon")]},
            r"events\[0\]: event_time must be a finite number; got 'noon'",
        ),
        (
            {"events": [user(parse_data="oops")]},
            r"events\[0\].parse_data must be an object; got 'oops'",
        ),
        (
            {"events": [bot(), user(parse_data={"entities": "x"})]},
            r"events\[1\].parse_data.entities must be a list of objects",
        ),
        ({"events": [user()] * 501}, "events must hold at most 500 events per request; got 501"),
    ],
)
def test_malformed_payloads_are_rejected_naming_the_problem(body, message):
    with pytest.raises(PayloadError, match=message):
        parse_payload(body)


# --- through the real rasa-sdk app ---------------------------------------


TOKEN = "test-interactions-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(autouse=True)
def interactions_token(monkeypatch):
    monkeypatch.setenv("INTERACTIONS_TOKEN", TOKEN)


def post(url: str, body: dict, headers: dict | None = None) -> requests.Response:
    return requests.post(url, json=body, headers=AUTH if headers is None else headers, timeout=10)


@pytest.fixture(scope="module")
def action_server():
    """rasa-sdk's own app (with its plugins attached) served on 127.0.0.1 in a thread."""
    Sanic.test_mode = True  # other tests may build a rasa-sdk app in this process too
    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app_for_serve(executor)
    port = free_port()
    ready = threading.Event()
    state = {}

    def serve() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(
            app.create_server(
                host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
            )
        )
        loop.run_until_complete(server.startup())
        loop.run_until_complete(server.before_start())
        loop.run_until_complete(server.after_start())
        state.update(server=server, loop=loop)
        ready.set()
        with contextlib.suppress(asyncio.CancelledError):  # close() cancels serve_forever
            loop.run_until_complete(server.serve_forever())
        loop.run_until_complete(server.before_stop())
        loop.run_until_complete(server.after_stop())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(15), "action server did not start"
    yield f"http://127.0.0.1:{port}"
    state["loop"].call_soon_threadsafe(state["server"].close)
    thread.join(10)


def rows(db_url):
    with session_scope(db_url) as s:
        return [
            (
                i.conversation_id,
                i.direction,
                i.event_time,
                i.text,
                i.language,
                i.intent,
                i.response,
                i.customer_id,
            )
            for i in s.scalars(
                select(Interaction).order_by(Interaction.event_time, Interaction.direction)
            )
        ]


def test_post_interactions_stores_the_batch_once(db_url, action_server):
    with session_scope(db_url) as s:
        cust = factories.customer(s)
        code, cust_id = cust.code, cust.id
    body = {
        "events": [
            {"sender_id": "web-1", "event": "slot", "name": "customer_id", "value": code},
            user(),
            bot(),
        ]
    }
    first = post(f"{action_server}/interactions", body)
    assert first.status_code == 200 and first.json() == {"received": 2, "stored": 2}
    again = post(f"{action_server}/interactions", body)
    assert again.json() == {"received": 2, "stored": 0}
    assert rows(db_url) == [
        ("web-1", "user", 100.0, "我的订单到哪了", "zh", "order_status", None, cust_id),
        ("web-1", "bot", 100.5, "请提供订单号", "zh", None, "utter_ask_order_id", cust_id),
    ]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            '{"events": [{"event": "user"}]}',
            "events[0].sender_id must be a non-empty text; got None",
        ),
        ("{not json", "body must be JSON"),
    ],
)
def test_malformed_post_gets_400_and_stores_nothing(db_url, action_server, data, error):
    resp = requests.post(
        f"{action_server}/interactions",
        data=data,
        headers={"Content-Type": "application/json", **AUTH},
        timeout=10,
    )
    assert resp.status_code == 400
    assert resp.json() == {"error": error}
    assert rows(db_url) == []


def test_a_bad_event_rejects_the_whole_batch(db_url, action_server):
    resp = post(f"{action_server}/interactions", {"events": [user(), bot(t="late")]})
    assert resp.status_code == 400 and "events[1]" in resp.json()["error"]
    assert rows(db_url) == []


def test_the_real_action_server_process_serves_interactions(tmp_path):
    """`python -m rasa_sdk --actions actions` finds the route through rasa_sdk_plugins."""
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    Base.metadata.create_all(get_engine(url))
    port = free_port()
    env = {**os.environ, "CRM_DATABASE_URL": url, "INTERACTIONS_TOKEN": TOKEN}
    log = tmp_path / "actions.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()[-2000:]
            try:
                requests.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except (requests.ConnectionError, requests.Timeout):
                assert time.monotonic() < deadline, "action server did not start"
                time.sleep(0.3)
        resp = post(f"http://127.0.0.1:{port}/interactions", {"events": [user(sender="proc")]})
        assert resp.json() == {"received": 1, "stored": 1}
    finally:
        proc.send_signal(signal.SIGINT)  # Sanic's clean shutdown, as scripts/stack.py does
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert [r[0] for r in rows(url)] == ["proc"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}],
    ids=["no token", "wrong token", "not a bearer header"],
)
def test_a_batch_without_the_shared_secret_is_refused(db_url, action_server, headers):
    resp = post(f"{action_server}/interactions", {"events": [user()]}, headers=headers)
    assert resp.status_code == 401
    assert rows(db_url) == []


def test_a_server_without_a_configured_secret_refuses_everything(
    db_url, action_server, monkeypatch
):
    monkeypatch.delenv("INTERACTIONS_TOKEN")
    resp = post(f"{action_server}/interactions", {"events": [user()]})
    assert resp.status_code == 503 and "INTERACTIONS_TOKEN" in resp.json()["error"]
    assert rows(db_url) == []
