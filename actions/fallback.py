"""What the bot does when the NLU is not confident (the FallbackClassifier's `nlu_fallback`).

The first miss asks the customer to rephrase; a second miss in a row offers a
person instead of asking again. `fallback_count` goes back to 0 by its slot
mapping as soon as a message is understood.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

MISSES_BEFORE_OFFERING_A_PERSON = 2


class ActionNluFallback(Action):
    def name(self) -> str:
        return "action_nlu_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        misses = int(tracker.get_slot("fallback_count") or 0) + 1
        if misses >= MISSES_BEFORE_OFFERING_A_PERSON:
            dispatcher.utter_message(response="utter_fallback_offer_human")
            return [SlotSet("fallback_count", misses), SlotSet("handoff_offered", True)]
        dispatcher.utter_message(response="utter_ask_rephrase")
        return [SlotSet("fallback_count", misses)]
