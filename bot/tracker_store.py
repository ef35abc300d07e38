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

Rebuilding the tracker from its stored events on every message (a query, JSON
parsing and replaying every event) was a tenth of a turn's time. So the tracker a
turn saved is kept in memory, and the next message of that conversation gets it
back if the newest stored event is still the one this process wrote: any other
writer (a second Rasa process, a deleted conversation) changes that id and the
tracker is read from the database as before. A kept tracker is handed out once
(the next reader gets it from the database until it is saved again), so a turn
that fails half-way leaves nothing stale behind; trackers whose save started a
session are not kept, because the stored session no longer holds all their events.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections import OrderedDict
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

DEFAULT_MAX_SESSION_EVENTS = 60
DEFAULT_KEPT_TRACKERS = 1000
# Set on trackers this store hands out or saves: how many of their events are stored.
_STORED = "_bounded_sql_stored_events"


class BoundedSQLTrackerStore(SQLTrackerStore):
    def __init__(
        self,
        *args: Any,
        max_session_events: int | str = DEFAULT_MAX_SESSION_EVENTS,
        kept_trackers: int | str = DEFAULT_KEPT_TRACKERS,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        limit = int(max_session_events)
        if limit < 10:
            raise ValueError(f"max_session_events must be at least 10, got {limit}")
        self.max_session_events = limit
        self.kept_trackers = int(kept_trackers)  # 0: always read from the database
        # conversation id -> (id of its newest stored event, the tracker saved with it)
        self._kept: OrderedDict[str, tuple[int, DialogueStateTracker]] = OrderedDict()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        kept = self._kept.pop(sender_id, None)
        if kept is not None:
            newest, tracker = kept
            with self.session_scope() as session:
                if self._newest_event_id(session, sender_id) == newest:
                    return tracker
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, _STORED, len(tracker.events))
        return tracker

    def _unsaved_events(self, session: Any, tracker: DialogueStateTracker) -> list[Event]:
        """Events of `tracker` not in the database yet.

        A tracker this store handed out knows how many of its events are stored;
        any other (a new conversation, one built by the HTTP API) is counted in
        the database, as Rasa does.
        """
        stored = getattr(tracker, _STORED, None)
        if stored is None or stored > len(tracker.events):
            return list(self._additional_events(session, tracker))
        return list(itertools.islice(tracker.events, stored, None))

    def _newest_event_id(self, session: Any, sender_id: str) -> int | None:
        return (
            session.query(sa.func.max(self.SQLEvent.id))
            .filter(self.SQLEvent.sender_id == sender_id)
            .scalar()
        )

    def _keep(self, tracker: DialogueStateTracker, newest: int | None) -> None:
        if newest is None or self.kept_trackers <= 0:
            return
        self._kept[tracker.sender_id] = (newest, tracker)
        self._kept.move_to_end(tracker.sender_id)
        while len(self._kept) > self.kept_trackers:
            self._kept.popitem(last=False)

    async def save(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            new_events = self._unsaved_events(session, tracker)
            stored = len(tracker.events) - len(new_events)
            if stored + len(new_events) >= self.max_session_events and _at_turn_boundary(tracker):
                rollover = _session_rollover_events(tracker)
                for event in rollover:
                    tracker.update(event)
                new_events.extend(rollover)
                logger.debug(
                    "conversation %s: new session after %d events", tracker.sender_id, stored
                )

            # One executemany INSERT: the ORM's unit of work costs more than the
            # write itself for the handful of events a turn adds.
            rows = [_event_row(tracker.sender_id, event) for event in new_events]
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            newest = self._newest_event_id(session, tracker.sender_id)  # ours, before commit
            session.commit()
        setattr(tracker, _STORED, len(tracker.events))

        self._kept.pop(tracker.sender_id, None)
        if not any(isinstance(event, SessionStarted) for event in new_events):
            self._keep(tracker, newest)

        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)


def _event_row(sender_id: str, event: Event) -> dict[str, Any]:
    """The `events` table row Rasa's SQLTrackerStore writes for `event`."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


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
    # A new session starts from the domain's initial values, so a slot still at
    # its initial value (most are None) needs no event.
    slots = [
        SlotSet(key=e.key, value=e.value, metadata=e.metadata, timestamp=now)
        for e in latest.values()
        if e.key in tracker.slots and e.value != tracker.slots[e.key].initial_value
    ]
    return [
        ActionExecuted(ACTION_SESSION_START_NAME, timestamp=now),
        SessionStarted(timestamp=now),
        *slots,
        ActionExecuted(ACTION_LISTEN_NAME, timestamp=now),
    ]
