"""Tag every customer message with its language so the bot answers in kind.

`LanguageDetector` adds the entity `language` (zh | en) spanning the whole
message; the `language` slot (domain/core.yml) is filled from it. A message
without letters ("10004821", "👍", "？") says nothing about the language, so it
gets no entity and the slot keeps the language of the conversation so far.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

# Same ranges as actions.common.detect_language, so the bot and the actions agree.
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def detect_language(text: str | None) -> str | None:
    """'zh' if any Chinese character, else 'en' if any letter, else None.

    Mixed messages such as "我的order到哪了" are Chinese customers using a
    borrowed word, so any Chinese character wins.
    """
    if not text:
        return None
    if _CJK.search(text):
        return "zh"
    if any(ch.isalpha() for ch in text):
        return "en"
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds the `language` entity to each parsed message; needs no training."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            language = detect_language(text)
            if language is None:
                continue
            entity = {"entity": "language", "value": language, "start": 0, "end": len(text)}
            message.set(
                ENTITIES,
                message.get(ENTITIES, []) + self.add_extractor_name([entity]),
                add_to_output=True,
            )
        return messages
