import asyncio

import pytest

from actions.fallback import ActionNluFallback
from actions.handoff import ActionDeclineHandoff
from tests.actions.conftest import assert_responses_exist, make_tracker, responses_of


@pytest.mark.parametrize("text", ["asdkjh qwe", "啊啊啊这个那个"])
def test_first_miss_asks_to_rephrase(dispatcher, domain, text):
    tracker = make_tracker(text=text, intent="nlu_fallback", slots={"fallback_count": 0})
    events = asyncio.run(ActionNluFallback().run(dispatcher, tracker, domain))
    assert responses_of(dispatcher) == ["utter_ask_rephrase"]
    assert events == [{"event": "slot", "timestamp": None, "name": "fallback_count", "value": 1}]
    assert_responses_exist(dispatcher, domain)


@pytest.mark.parametrize(("text", "count"), [("qwe zxc", 1), ("还是看不懂", 2), ("???", 5)])
def test_second_miss_in_a_row_offers_a_person(dispatcher, domain, text, count):
    tracker = make_tracker(text=text, intent="nlu_fallback", slots={"fallback_count": count})
    events = asyncio.run(ActionNluFallback().run(dispatcher, tracker, domain))
    assert responses_of(dispatcher) == ["utter_fallback_offer_human"]
    slots = {e["name"]: e["value"] for e in events}
    assert slots == {"fallback_count": count + 1, "handoff_offered": True}
    assert_responses_exist(dispatcher, domain)


def test_fallback_counter_resets_when_a_message_is_understood(domain):
    """The reset lives in the slot mapping, so the domain must keep it."""
    mapping = domain["slots"]["fallback_count"]["mappings"]
    assert mapping == [{"type": "from_intent", "value": 0, "not_intent": ["nlu_fallback"]}]
    offered = domain["slots"]["handoff_offered"]["mappings"]
    assert offered == [
        {"type": "from_intent", "value": False, "not_intent": ["affirm", "deny", "nlu_fallback"]}
    ]


@pytest.mark.parametrize("text", ["不用了", "no thanks"])
def test_declining_a_person_withdraws_the_offer_and_carries_on(dispatcher, domain, text):
    tracker = make_tracker(
        text=text, intent="deny", slots={"handoff_offered": True, "fallback_count": 2}
    )
    events = asyncio.run(ActionDeclineHandoff().run(dispatcher, tracker, domain))
    assert responses_of(dispatcher) == ["utter_handoff_declined"]
    assert {e["name"]: e["value"] for e in events} == {
        "handoff_offered": False,
        "fallback_count": 0,
    }
    assert_responses_exist(dispatcher, domain)
