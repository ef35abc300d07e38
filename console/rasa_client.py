"""The staff console's client for the Rasa server's HTTP API.

Rasa must run with `--enable-api --auth-token $RASA_AUTH_TOKEN`. Resuming a
conversation after a human handoff takes three calls, because Rasa 3.6 has no
single "resume and greet" endpoint:

1. `POST /conversations/{id}/tracker/events` `{"event": "resume"}`: the bot
   answers again (`action_human_handoff` had paused it).
2. `POST /conversations/{id}/execute?output_channel=latest` `utter_handoff_closed`:
   tells the customer, in their language, on the channel they last wrote from.
   (Deprecated in Rasa 3.6 in favour of `trigger_intent`, but still supported, and
   it runs exactly one response without a made-up intent in the NLU data.)
3. `POST /conversations/{id}/tracker/events` `{"event": "action", "name": "action_listen"}`:
   the paused conversation never reached `action_listen`; without it the
   customer's next message would not match the dialogue rules.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

DEFAULT_RASA_URL = "http://127.0.0.1:5005"
CLOSED_RESPONSE = "utter_handoff_closed"
# Rasa's routes do not unquote path parameters, so only characters a URL path
# cannot carry are escaped; ids from Rasa's channels never contain them.
_PATH_SAFE = "!$&'()*+,;=:@-._~/"


@dataclass(frozen=True)
class RasaSettings:
    url: str
    token: str
    timeout: float = 15.0


def rasa_settings(env: Mapping[str, str] | None = None) -> RasaSettings:
    """RASA_URL (default http://127.0.0.1:5005) and RASA_AUTH_TOKEN (required)."""
    env = os.environ if env is None else env
    url = (env.get("RASA_URL") or DEFAULT_RASA_URL).strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"RASA_URL must be an http(s) URL; got {url!r}")
    token = (env.get("RASA_AUTH_TOKEN") or "").strip()
    if not token:
        raise ValueError(
            "RASA_AUTH_TOKEN is not set: use the token the Rasa server was started with "
            "(--auth-token; `source scripts/env.sh` sets it for the local set-up)"
        )
    return RasaSettings(url=url, token=token)


class RasaError(RuntimeError):
    """Rasa could not be reached or refused a request; the message says which and why."""


class RasaClient:
    def __init__(self, settings: RasaSettings, http: requests.Session | None = None) -> None:
        self.settings = settings
        self.http = http or requests.Session()

    def _post(self, path: str, payload: Any, **params: str) -> Any:
        url = f"{self.settings.url}{path}"
        try:
            response = self.http.post(
                url,
                json=payload,
                params={"token": self.settings.token, **params},
                timeout=self.settings.timeout,
            )
        except requests.RequestException as exc:
            raise RasaError(f"cannot reach Rasa at {self.settings.url}: {exc}") from exc
        if response.status_code in (401, 403):
            raise RasaError(
                f"Rasa refused the auth token (HTTP {response.status_code}): check RASA_AUTH_TOKEN"
            )
        if response.status_code >= 400:
            raise RasaError(
                f"Rasa answered HTTP {response.status_code} to POST {path}: {response.text[:300]}"
            )
        try:
            return response.json()
        except ValueError as exc:
            raise RasaError(f"Rasa sent a non-JSON answer to POST {path}") from exc

    def _conversation(self, conversation_id: str) -> str:
        if not conversation_id:
            raise ValueError(f"conversation_id must be a non-empty text; got {conversation_id!r}")
        return "/conversations/" + urllib.parse.quote(conversation_id, safe=_PATH_SAFE)

    def resume_conversation(self, conversation_id: str) -> list[str]:
        """Hand a paused conversation back to the bot; returns what the bot told the customer."""
        base = self._conversation(conversation_id)
        self._post(f"{base}/tracker/events", [{"event": "resume"}])
        result = self._post(f"{base}/execute", {"name": CLOSED_RESPONSE}, output_channel="latest")
        self._post(f"{base}/tracker/events", [{"event": "action", "name": "action_listen"}])
        messages = result.get("messages", []) if isinstance(result, dict) else []
        return [m["text"] for m in messages if isinstance(m, dict) and m.get("text")]
