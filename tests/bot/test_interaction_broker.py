"""InteractionBroker against a real HTTP server on 127.0.0.1 standing in for the action server."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from bot.interaction_broker import InteractionBroker, trim_event


class FakeInteractionsServer:
    """Records POSTed batches; can fail, refuse bad events, or hold requests until released."""

    def __init__(self) -> None:
        self.batches: list[list[dict]] = []
        self.authorization: list[str | None] = []
        self.attempts = 0
        self.fail_next = 0  # answer 500 this many times
        self.always_fail = False
        self.release = threading.Event()
        self.release.set()
        self.received_one = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.authorization.append(self.headers.get("Authorization"))
                outer.attempts += 1
                outer.received_one.set()
                outer.release.wait(10)
                if outer.always_fail or outer.fail_next > 0:
                    outer.fail_next -= 1
                    return self._reply(500, {"error": "database down"})
                if any(e.get("text") == "BAD" for e in body["events"]):
                    return self._reply(400, {"error": "events[0]: bad"})
                outer.batches.append(body["events"])
                self._reply(200, {"received": len(body["events"])})

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
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/interactions"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def events(self) -> list[dict]:
        return [e for batch in self.batches for e in batch]

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = FakeInteractionsServer()
    yield s
    s.stop()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/interactions"


def user(i: int = 0, text: str = "你好", sender: str = "c1") -> dict:
    return {
        "sender_id": sender,
        "event": "user",
        "timestamp": 1000.0 + i,
        "text": text,
        "input_channel": "rest",
        "message_id": "m1",
        "metadata": {"auth_token": "secret-jwt", "customer_code": "C000001"},
        "parse_data": {
            "text": text,
            "intent": {"name": "greet", "confidence": 0.97},
            "intent_ranking": [{"name": "greet", "confidence": 0.97}],
            "entities": [{"entity": "language", "value": "zh", "start": 0, "end": 2}],
            "sentiment": {"label": "positive", "confidence": 0.8},
            "response_selector": {},
        },
    }


def bot(i: int = 0) -> dict:
    return {
        "sender_id": "c1",
        "event": "bot",
        "timestamp": 1000.5 + i,
        "text": "您好！",
        "data": {"buttons": None},
        "metadata": {"utter_action": "utter_greet", "other": 1},
    }


def close(broker: InteractionBroker) -> None:
    asyncio.run(broker.close())


def wait_until(condition, seconds: float = 10.0) -> None:
    """Wait for the sender thread to get somewhere (closing first would cut retries short)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the sender thread never got there"
        time.sleep(0.01)


def test_it_is_a_rasa_event_broker_built_from_endpoints_yml(server):
    config = EndpointConfig.from_dict(
        {"type": "bot.interaction_broker.InteractionBroker", "url": server.url, "batch_size": "5"}
    )
    broker = asyncio.run(EventBroker.create(config))
    assert isinstance(broker, InteractionBroker)
    assert broker.batch_size == 5 and broker.is_ready()
    close(broker)
    assert not broker.is_ready()


def test_the_token_from_endpoints_yml_is_sent_as_a_bearer_header(server):
    config = EndpointConfig.from_dict(
        {"type": "bot.interaction_broker.InteractionBroker", "url": server.url, "token": "s3cret"}
    )
    broker = asyncio.run(EventBroker.create(config))
    broker.publish(user())
    close(broker)
    assert server.authorization == ["Bearer s3cret"]
    assert [e["text"] for e in server.events] == ["你好"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": ""}, "event_broker.url must be an http"),
        ({"url": "127.0.0.1:5055/interactions"}, "event_broker.url must be an http"),
        (
            {"url": "http://x", "batch_size": 0},
            "event_broker.batch_size must be a positive number; got 0",
        ),
        (
            {"url": "http://x", "timeout": "soon"},
            "event_broker.timeout must be a positive number; got 'soon'",
        ),
    ],
)
def test_bad_configuration_fails_fast(kwargs, message):
    with pytest.raises(ValueError, match=message):
        InteractionBroker(**kwargs)


def test_trim_event_keeps_what_the_log_needs_and_no_secrets():
    trimmed = trim_event(user())
    assert trimmed["metadata"] == {"customer_code": "C000001"}
    assert trimmed["parse_data"] == {
        "intent": {"name": "greet", "confidence": 0.97},
        "entities": [{"entity": "language", "value": "zh", "start": 0, "end": 2}],
        "sentiment": {"label": "positive", "confidence": 0.8},
    }
    assert trim_event(bot())["metadata"] == {"utter_action": "utter_greet"}
    assert (
        trim_event({"event": "slot", "name": "language", "value": "en", "sender_id": "c1"})["value"]
        == "en"
    )
    assert trim_event({"event": "slot", "name": "feedback_comment", "value": "x"}) is None
    assert trim_event({"event": "action", "name": "action_listen"}) is None


def test_user_and_bot_events_are_forwarded_in_order_and_flushed_on_close(server):
    broker = InteractionBroker(server.url)
    broker.publish(user(0))
    broker.publish(
        {"sender_id": "c1", "event": "action", "name": "utter_greet", "timestamp": 1000.4}
    )
    broker.publish(bot(0))
    broker.publish(
        {"sender_id": "c1", "event": "slot", "name": "language", "value": "zh", "timestamp": 1000.6}
    )
    close(broker)
    assert [(e["event"], e["timestamp"]) for e in server.events] == [
        ("user", 1000.0),
        ("bot", 1000.5),
        ("slot", 1000.6),
    ]
    assert "auth_token" not in json.dumps(server.events)
    assert broker.sent == 3 and broker.dropped == 0


def test_events_queued_while_the_server_is_busy_go_in_batches(server):
    server.release.clear()  # hold the first request so the rest queue up
    broker = InteractionBroker(server.url, batch_size=20)
    broker.publish(user(0))
    assert server.received_one.wait(10)
    for i in range(1, 45):
        broker.publish(user(i))
    server.release.set()
    close(broker)
    assert [len(b) for b in server.batches] == [1, 20, 20, 4]
    assert [e["timestamp"] for e in server.events] == [1000.0 + i for i in range(45)]


def test_the_events_of_one_turn_go_in_one_request(server):
    broker = InteractionBroker(server.url, flush_interval=1.0)
    broker.publish(user(0))
    time.sleep(0.1)  # the rest of the turn: actions run, the bot answers
    broker.publish(bot(0))
    broker.publish(user(1))
    wait_until(lambda: server.batches)
    close(broker)
    assert [len(b) for b in server.batches] == [3]


def test_server_errors_are_retried_with_backoff(server):
    server.fail_next = 2
    broker = InteractionBroker(server.url, retry_backoff=0.01)
    broker.publish(user(0))
    wait_until(lambda: broker.sent == 1)
    close(broker)
    assert server.attempts == 3
    assert len(server.events) == 1 and broker.dropped == 0


def test_persistent_failure_is_logged_and_dropped_without_troubling_the_bot(server, caplog):
    server.always_fail = True
    broker = InteractionBroker(server.url, max_retries=2, retry_backoff=0.01)
    with caplog.at_level(logging.ERROR, logger="bot.interaction_broker"):
        broker.publish(user(0))
        broker.publish(bot(0))
        wait_until(lambda: broker.dropped == 2)
        close(broker)
    assert server.attempts == 3
    assert broker.dropped == 2 and broker.sent == 0
    assert "dropped 2 events for conversations ['c1']" in caplog.text


def test_shutting_down_retries_once_so_close_is_not_held_up(server):
    server.always_fail = True
    broker = InteractionBroker(server.url, max_retries=5, retry_backoff=0.2)
    broker.publish(user(0))
    close(broker)
    assert server.attempts <= 2 and broker.dropped == 1


def test_an_unreachable_server_never_blocks_publish_and_close_gives_up(caplog):
    broker = InteractionBroker(closed_port_url(), max_retries=1, retry_backoff=0.01, timeout=1)
    with caplog.at_level(logging.ERROR, logger="bot.interaction_broker"):
        for i in range(5):
            broker.publish(user(i))
        close(broker)
    assert broker.dropped == 5 and broker.sent == 0
    assert not broker.is_ready()


def test_a_full_queue_drops_new_events_with_a_warning(server, caplog):
    server.release.clear()
    broker = InteractionBroker(server.url, max_queue=2)
    broker.publish(user(0))
    assert server.received_one.wait(10)  # the sender holds event 0; the queue is empty
    with caplog.at_level(logging.WARNING, logger="bot.interaction_broker"):
        for i in range(1, 5):
            broker.publish(user(i))
    assert broker.dropped == 2
    assert "interaction log queue is full" in caplog.text
    server.release.set()
    close(broker)
    assert [e["timestamp"] for e in server.events] == [1000.0, 1001.0, 1002.0]


def test_a_refused_event_does_not_take_its_batch_with_it(server, caplog):
    server.release.clear()
    broker = InteractionBroker(server.url)
    broker.publish(user(0))
    assert server.received_one.wait(10)
    broker.publish(user(1))
    broker.publish(user(2, text="BAD"))
    broker.publish(user(3))
    server.release.set()
    with caplog.at_level(logging.ERROR, logger="bot.interaction_broker"):
        close(broker)
    assert [e["timestamp"] for e in server.events] == [1000.0, 1001.0, 1003.0]
    assert broker.dropped == 1 and "refused by the server: HTTP 400" in caplog.text


def test_a_broken_event_is_logged_not_raised(server, caplog):
    broker = InteractionBroker(server.url)
    with caplog.at_level(logging.ERROR, logger="bot.interaction_broker"):
        broker.publish({"event": "user", "parse_data": "not a dict"})
    close(broker)
    assert "could not queue a user event" in caplog.text
