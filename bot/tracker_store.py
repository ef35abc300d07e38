"""An SQL tracker store whose live conversation stays small, so turn 200 costs what turn 5 does.

Stock Rasa rebuilds the tracker from every event of the current session on each
message and featurizes the whole history for every prediction, so a long
conversation slows several-fold. The dialogue policies only look at the last few
turns (max_history), so after `max_session_events` events this store starts a new
session at the next turn boundary, carrying the slots over exactly as Rasa's own
`action_session_start` does. Nothing is deleted: the full transcript stays in the
`events` table for the staff console (`retrieve_full_tracker`).

It also streams each saved event to the event broker once, instead of re-reading
the whole tracker to diff it as the base class does.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

DEFAULT_MAX_SESSION_EVENTS = 60


class BoundedSQLTrackerStore(SQLTrackerStore):
    def __init__(
        self, *args: Any, max_session_events: int | str = DEFAULT_MAX_SESSION_EVENTS, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        limit = int(max_session_events)
        if limit < 10:
            raise ValueError(f"max_session_events must be at least 10, got {limit}")
        self.max_session_events = limit

    async def save(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
            stored = len(tracker.events) - len(new_events)
            if stored + len(new_events) >= self.max_session_events and _at_turn_boundary(tracker):
                rollover = _session_rollover_events(tracker)
                for event in rollover:
                    tracker.update(event)
                new_events.extend(rollover)
                logger.debug(
                    "conversation %s: new session after %d events", tracker.sender_id, stored
                )

            for event in new_events:
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {})
                        .get("intent", {})
                        .get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()

        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)


def _at_turn_boundary(tracker: DialogueStateTracker) -> bool:
    """Only roll over while the bot waits for the customer and nothing is in flight."""
    return (
        tracker.latest_action_name == ACTION_LISTEN_NAME
        and tracker.active_loop_name is None
        and not tracker.is_paused()
        and tracker.followup_action in (None, ACTION_LISTEN_NAME)
    )


def _session_rollover_events(tracker: DialogueStateTracker) -> list[Event]:
    """What Rasa's `action_session_start` logs when slots carry over to a new session."""
    now = time.time()
    latest: dict[str, SlotSet] = {}
    for event in tracker.applied_events():
        if isinstance(event, SlotSet):
            latest[event.key] = event  # the last value of each slot is its current one
    slots = [
        SlotSet(key=e.key, value=e.value, metadata=e.metadata, timestamp=now)
        for e in latest.values()
    ]
    return [
        ActionExecuted(ACTION_SESSION_START_NAME, timestamp=now),
        SessionStarted(timestamp=now),
        *slots,
        ActionExecuted(ACTION_LISTEN_NAME, timestamp=now),
    ]
