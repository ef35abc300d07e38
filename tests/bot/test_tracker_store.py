"""BoundedSQLTrackerStore: long conversations roll over into new sessions without losing state or history."""

from __future__ import annotations

import asyncio

from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import BoundedSQLTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet]
slots:
  customer_id: {type: text, mappings: [{type: custom}]}
  language: {type: categorical, values: [zh, en], mappings: [{type: custom}]}
"""
)


class RecordingBroker(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append(event)


def _turn(i: int) -> list:
    return [
        UserUttered(f"hello {i}", {"name": "greet", "confidence": 1.0}),
        ActionExecuted("utter_greet"),
        ActionExecuted("action_listen"),
    ]


def _converse(store: BoundedSQLTrackerStore, sender: str, turns: int) -> DialogueStateTracker:
    async def run() -> DialogueStateTracker:
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(SlotSet("customer_id", "C900001"))
        tracker.update(SlotSet("language", "en"))
        tracker.update(SlotSet("language", "zh"))
        await store.save(tracker)
        for i in range(turns):
            tracker = await store.retrieve(sender)
            for event in _turn(i):
                tracker.update(event)
            await store.save(tracker)
        return await store.retrieve(sender)

    return asyncio.run(run())


def test_long_conversation_keeps_a_small_live_tracker_and_its_slots(tmp_path):
    store = BoundedSQLTrackerStore(
        domain=DOMAIN, host=f"sqlite:///{tmp_path / 't.db'}", max_session_events=30
    )
    live = _converse(store, "long", turns=100)

    assert len(live.events) < 30 + 6, "the live tracker must stay bounded"
    assert live.get_slot("customer_id") == "C900001"
    assert live.get_slot("language") == "zh"  # the latest value, not the first
    assert any(isinstance(e, SessionStarted) for e in live.events)

    full = asyncio.run(store.retrieve_full_tracker("long"))
    user_texts = [e.text for e in full.events if isinstance(e, UserUttered)]
    assert user_texts == [f"hello {i}" for i in range(100)], "no message may be lost or repeated"


def test_short_conversation_is_left_alone(tmp_path):
    store = BoundedSQLTrackerStore(
        domain=DOMAIN, host=f"sqlite:///{tmp_path / 't.db'}", max_session_events=60
    )
    live = _converse(store, "short", turns=5)
    assert not any(isinstance(e, SessionStarted) for e in live.events)
    assert len([e for e in live.events if isinstance(e, UserUttered)]) == 5


def test_no_roll_over_while_a_form_is_active(tmp_path):
    from rasa.shared.core.events import ActiveLoop

    store = BoundedSQLTrackerStore(
        domain=DOMAIN, host=f"sqlite:///{tmp_path / 't.db'}", max_session_events=10
    )

    async def run() -> DialogueStateTracker:
        tracker = DialogueStateTracker("form", DOMAIN.slots)
        tracker.update(ActiveLoop("order_form"))
        for i in range(10):
            for event in _turn(i):
                tracker.update(event)
        await store.save(tracker)
        return await store.retrieve("form")

    live = asyncio.run(run())
    assert live.active_loop_name == "order_form"
    assert not any(isinstance(e, SessionStarted) for e in live.events)


def test_each_event_reaches_the_event_broker_exactly_once(tmp_path):
    broker = RecordingBroker()
    store = BoundedSQLTrackerStore(
        domain=DOMAIN,
        host=f"sqlite:///{tmp_path / 't.db'}",
        event_broker=broker,
        max_session_events=20,
    )
    _converse(store, "broker", turns=30)
    user_events = [e["text"] for e in broker.published if e["event"] == "user"]
    assert user_events == [f"hello {i}" for i in range(30)]
    assert all(e["sender_id"] == "broker" for e in broker.published)


def test_rejects_a_limit_too_small_to_hold_one_turn(tmp_path):
    import pytest

    with pytest.raises(ValueError, match="max_session_events must be at least 10, got 3"):
        BoundedSQLTrackerStore(
            domain=DOMAIN, host=f"sqlite:///{tmp_path / 't.db'}", max_session_events=3
        )


def _store(tmp_path, **kwargs) -> BoundedSQLTrackerStore:
    return BoundedSQLTrackerStore(domain=DOMAIN, host=f"sqlite:///{tmp_path / 't.db'}", **kwargs)


def _dicts(tracker: DialogueStateTracker) -> list[dict]:
    return [e.as_dict() for e in tracker.events]


def _add_turn_and_save(store: BoundedSQLTrackerStore, sender: str, i: int) -> DialogueStateTracker:
    async def run() -> DialogueStateTracker:
        tracker = await store.retrieve(sender)
        for event in _turn(i):
            tracker.update(event)
        await store.save(tracker)
        return tracker

    return asyncio.run(run())


def test_the_kept_tracker_equals_the_one_in_the_database(tmp_path):
    store = _store(tmp_path, max_session_events=1000)
    _converse(store, "kept", turns=3)  # its last retrieve hands the kept tracker out
    saved = _add_turn_and_save(store, "kept", 3)

    kept = asyncio.run(store.retrieve("kept"))
    assert kept is saved, "the next message of the conversation reuses the saved tracker"
    from_db = asyncio.run(_store(tmp_path).retrieve("kept"))
    assert _dicts(kept) == _dicts(from_db)
    assert kept.get_slot("language") == from_db.get_slot("language") == "zh"


def test_a_kept_tracker_is_handed_out_once(tmp_path):
    store = _store(tmp_path, max_session_events=1000)
    _converse(store, "once", turns=1)
    saved = _add_turn_and_save(store, "once", 1)
    first = asyncio.run(store.retrieve("once"))
    first.update(UserUttered("never saved", {"name": "greet", "confidence": 1.0}))
    second = asyncio.run(store.retrieve("once"))
    assert first is saved and second is not first, "a failed turn leaves nothing stale behind"
    assert "never saved" not in [e.text for e in second.events if isinstance(e, UserUttered)]


def test_a_write_by_another_process_is_seen(tmp_path):
    ours, theirs = _store(tmp_path, max_session_events=1000), _store(tmp_path)
    _converse(ours, "shared", turns=1)
    _add_turn_and_save(ours, "shared", 1)  # kept by `ours`
    _add_turn_and_save(theirs, "shared", 2)  # another Rasa process answers a message

    seen = asyncio.run(ours.retrieve("shared"))
    texts = [e.text for e in seen.events if isinstance(e, UserUttered)]
    assert texts == ["hello 0", "hello 1", "hello 2"]


def test_a_tracker_whose_save_started_a_session_is_read_again(tmp_path):
    store = _store(tmp_path, max_session_events=10)
    _converse(store, "roll", turns=1)  # 7 events
    rolled = _add_turn_and_save(store, "roll", 1)  # reaches 10 events: a new session starts
    assert any(isinstance(e, SessionStarted) for e in rolled.events)

    live = asyncio.run(store.retrieve("roll"))
    assert live is not rolled
    assert not [e for e in live.events if isinstance(e, UserUttered)], "only the new session"


def test_keeping_can_be_switched_off(tmp_path):
    store = _store(tmp_path, kept_trackers=0)
    _converse(store, "off", turns=1)
    saved = _add_turn_and_save(store, "off", 1)
    assert asyncio.run(store.retrieve("off")) is not saved


def test_a_new_session_carries_only_slots_that_differ_from_their_initial_value(tmp_path):
    store = _store(tmp_path, max_session_events=10)

    async def run() -> DialogueStateTracker:
        tracker = DialogueStateTracker("carry", DOMAIN.slots)
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(SlotSet("customer_id", "C900001"))
        tracker.update(SlotSet("customer_id", None))  # forgotten again
        tracker.update(SlotSet("language", "en"))
        for event in [*_turn(0), *_turn(1), *_turn(2)]:
            tracker.update(event)
        await store.save(tracker)  # 13 events: rolls over
        return await store.retrieve("carry")

    live = asyncio.run(run())
    carried = {e.key: e.value for e in live.events if isinstance(e, SlotSet)}
    assert carried == {"language": "en"}
    assert live.get_slot("customer_id") is None
