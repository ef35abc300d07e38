"""A Rasa event broker that feeds the CRM's conversation log (POST /interactions on the action server).

endpoints.yml:

    event_broker:
      type: bot.interaction_broker.InteractionBroker
      url: ${INTERACTIONS_URL}
      token: ${INTERACTIONS_TOKEN}   # sent as "Authorization: Bearer ..."
      # optional: batch_size, flush_interval (s), max_queue, max_retries, retry_backoff,
      # timeout, close_timeout

The bot must never wait for, or fail because of, its log. `publish` only puts
a trimmed copy of the event on a bounded queue (dropping, with a warning, when
the queue is full); one background thread sends small batches, retries
connection errors and 5xx answers with exponential backoff, and logs and drops
a batch that still fails. A batch the server calls malformed (4xx) is resent
event by event so one bad event cannot take its neighbours with it. `close`
(Rasa's shutdown) sends what is still queued, within `close_timeout` seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request
from asyncio import AbstractEventLoop
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

# Slots that tell the log who is writing and in which language.
FORWARDED_SLOTS = frozenset({"customer_id", "language"})
# The only message metadata the log reads; the rest may hold auth tokens.
FORWARDED_METADATA = ("customer_code", "customer_id")
MAX_BACKOFF_SECONDS = 30.0


def _positive(name: str, value: Any, kind: type) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"event_broker.{name} must be a positive number; got {value!r}") from None
    if number <= 0:
        raise ValueError(f"event_broker.{name} must be a positive number; got {value!r}")
    return number


def trim_event(event: dict[str, Any]) -> dict[str, Any] | None:
    """What the conversation log needs of a Rasa event, or None if it needs nothing."""
    kind = event.get("event")
    base = {"sender_id": event.get("sender_id"), "event": kind, "timestamp": event.get("timestamp")}
    if kind == "user":
        parse = event.get("parse_data") or {}
        intent = parse.get("intent") or {}
        metadata = event.get("metadata") or {}
        trimmed_parse: dict[str, Any] = {
            "intent": {"name": intent.get("name"), "confidence": intent.get("confidence")},
            "entities": parse.get("entities") or [],
        }
        if parse.get("sentiment") is not None:
            trimmed_parse["sentiment"] = parse["sentiment"]
        return {
            **base,
            "text": event.get("text"),
            "input_channel": event.get("input_channel"),
            "parse_data": trimmed_parse,
            "metadata": {k: metadata[k] for k in FORWARDED_METADATA if k in metadata},
        }
    if kind == "bot":
        metadata = event.get("metadata") or {}
        return {
            **base,
            "text": event.get("text"),
            "metadata": {"utter_action": metadata.get("utter_action")},
        }
    if kind == "slot" and event.get("name") in FORWARDED_SLOTS:
        return {**base, "name": event.get("name"), "value": event.get("value")}
    return None


class _ClientError(Exception):
    """The server refused the batch itself (4xx): retrying it unchanged cannot help."""


class InteractionBroker(EventBroker):
    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        batch_size: int = 20,
        max_queue: int = 10_000,
        max_retries: int = 5,
        retry_backoff: float = 0.5,
        timeout: float = 5.0,
        close_timeout: float = 10.0,
        flush_interval: float = 0.25,
    ) -> None:
        if not url or not str(url).startswith(("http://", "https://")):
            raise ValueError(
                f"event_broker.url must be an http(s) URL (INTERACTIONS_URL); got {url!r}"
            )
        self.url = str(url)
        # The action server refuses the log without it (actions/interaction_log.py).
        self._headers = {"Content-Type": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self.batch_size = _positive("batch_size", batch_size, int)
        self.max_retries = int(max_retries)
        if self.max_retries < 0:
            raise ValueError(f"event_broker.max_retries must be 0 or more; got {max_retries!r}")
        self.retry_backoff = _positive("retry_backoff", retry_backoff, float)
        self.timeout = _positive("timeout", timeout, float)
        self.close_timeout = _positive("close_timeout", close_timeout, float)
        self.flush_interval = _positive("flush_interval", flush_interval, float)
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(
            maxsize=_positive("max_queue", max_queue, int)
        )
        self._closing = threading.Event()
        self._counts = threading.Lock()
        self.sent = 0  # events the server accepted
        self.dropped = 0  # events given up on (queue full, or sending failed for good)
        self._thread = threading.Thread(target=self._run, name="interaction-broker", daemon=True)
        self._thread.start()

    @classmethod
    async def from_endpoint_config(
        cls,
        broker_config: EndpointConfig,
        event_loop: AbstractEventLoop | None = None,
    ) -> InteractionBroker:
        return cls(broker_config.url, token=broker_config.token, **broker_config.kwargs)

    def publish(self, event: dict[str, Any]) -> None:
        """Queue the event for the log; never blocks and never raises into Rasa."""
        try:
            item = trim_event(event)
            if item is None:
                return
            self._queue.put_nowait(item)
        except queue.Full:
            with self._counts:
                self.dropped += 1
                dropped = self.dropped
            if dropped == 1 or dropped % 100 == 0:
                logger.warning(
                    "interaction log queue is full (%d events): %d events dropped so far; is %s reachable?",
                    self._queue.maxsize,
                    dropped,
                    self.url,
                )
        except Exception:
            logger.exception("interaction log: could not queue a %s event", event.get("event"))

    def is_ready(self) -> bool:
        return self._thread.is_alive()

    async def close(self) -> None:
        """Send what is queued (at most `close_timeout` seconds), then stop."""
        self._closing.set()
        await asyncio.get_running_loop().run_in_executor(
            None, self._thread.join, self.close_timeout
        )
        if self._thread.is_alive():
            logger.warning(
                "interaction log: %d events still unsent at shutdown", self._queue.qsize()
            )

    # --- the sender thread ---------------------------------------------------

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch:
                self._deliver(batch)
            elif self._closing.is_set():
                return

    def _next_batch(self) -> list[dict[str, Any]]:
        try:
            first = self._queue.get(timeout=0.2)
        except queue.Empty:
            return []
        # A turn publishes several events in quick succession: waiting a moment
        # sends them in one request instead of one each, which keeps the sender
        # thread (and the GIL it holds) off the busy path of the turn.
        batch = [first]
        deadline = time.monotonic() + self.flush_interval
        while len(batch) < self.batch_size:
            # Shutting down: take what is queued, wait for nothing more.
            remaining = 0.0 if self._closing.is_set() else deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=remaining) if remaining > 0 else None
                batch.append(item if item is not None else self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        try:
            self._send_with_retries(batch)
        except _ClientError as exc:
            if len(batch) == 1:
                self._drop(batch, f"refused by the server: {exc}")
                return
            for event in batch:  # keep the good events of a batch with a bad one
                self._deliver([event])
        except Exception as exc:
            self._drop(batch, str(exc))

    def _send_with_retries(self, batch: list[dict[str, Any]]) -> None:
        body = json.dumps({"events": batch}, ensure_ascii=False, default=str).encode("utf-8")
        attempt = 0
        while True:
            try:
                self._post(body)
                with self._counts:
                    self.sent += len(batch)
                return
            except _ClientError:
                raise
            except Exception as exc:
                # Shutting down: one retry, so close() is not held up by a dead server.
                if attempt >= self.max_retries or (self._closing.is_set() and attempt >= 1):
                    raise
                delay = min(self.retry_backoff * 2**attempt, MAX_BACKOFF_SECONDS)
                logger.info("interaction log: %s; retrying in %.1f s", exc, delay)
                time.sleep(delay)
                attempt += 1

    def _post(self, body: bytes) -> None:
        request = urllib.request.Request(self.url, data=body, headers=self._headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300]
            if 400 <= exc.code < 500:
                raise _ClientError(f"HTTP {exc.code}: {detail}") from exc
            raise RuntimeError(f"HTTP {exc.code} from {self.url}: {detail}") from exc

    def _drop(self, batch: list[dict[str, Any]], reason: str) -> None:
        with self._counts:
            self.dropped += len(batch)
        logger.error(
            "interaction log: dropped %d events for conversations %s: %s",
            len(batch),
            sorted({str(e.get("sender_id")) for e in batch}),
            reason,
        )
