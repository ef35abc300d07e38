"""The language tag that decides whether the bot answers in Chinese or English."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from bot.language import LanguageDetector, detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的订单到哪了", "zh"),
        ("我的order到哪了", "zh"),  # a borrowed English word stays Chinese
        ("订单10004821", "zh"),
        ("Where is my order?", "en"),
        ("Ｏｒｄｅｒ status", "en"),  # full-width letters are still letters
        ("refund 10004821", "en"),
        ("10004821", None),
        ("👍", None),
        ("？？", None),
        ("13800138000 !", None),
        ("", None),
        (None, None),
    ],
)
def test_detect_language(text: str | None, expected: str | None) -> None:
    assert detect_language(text) == expected


@pytest.fixture
def detector(tmp_path) -> LanguageDetector:
    return LanguageDetector.create(
        {}, LocalModelStorage(tmp_path), Resource("language"), ExecutionContext(GraphSchema({}))
    )


def test_adds_language_entity_spanning_the_message(detector: LanguageDetector) -> None:
    message = Message.build(text="我的order到哪了")
    detector.process([message])
    assert message.get("entities") == [
        {
            "entity": "language",
            "value": "zh",
            "start": 0,
            "end": 10,
            "extractor": "LanguageDetector",
        }
    ]


def test_keeps_entities_of_other_extractors(detector: LanguageDetector) -> None:
    order = {"entity": "order_id", "value": "10004821", "start": 15, "end": 23}
    message = Message.build(text="where is order 10004821")
    message.set("entities", [order])
    detector.process([message])
    assert message.get("entities")[0] == order
    assert message.get("entities")[1]["value"] == "en"


@pytest.mark.parametrize("text", ["10004821", "👍", "..."])
def test_message_without_letters_takes_no_position(detector: LanguageDetector, text: str) -> None:
    # No entity means the `language` slot keeps the conversation's language.
    message = Message.build(text=text)
    detector.process([message])
    assert not message.get("entities")
