"""Finding catalogue products, categories, colours and sizes in customer messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.training.fingerprinting import calculate_fingerprint_key
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.catalogue import Term, load_terms
from bot.catalogue_matcher import (
    CatalogueEntityMatcher,
    CatalogueMatcher,
    Match,
    resolve_phrases,
    tokenize,
)
from bot.jieba_tokenizer import ShopJiebaTokenizer
from tests.bot.conftest import CATALOGUE, ROOT


@pytest.fixture(scope="module")
def matcher() -> CatalogueMatcher:
    return CatalogueMatcher.from_terms(load_terms(CATALOGUE))


def found(matcher: CatalogueMatcher, text: str) -> list[tuple[str, str, str]]:
    return [(m.entity, m.value, text[m.start : m.end]) for m in matcher.find(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "我想要蓝色的碎花连衣裙，M码",
            [("color", "blue", "蓝色"), ("product", "DR-001", "碎花连衣裙"), ("size", "M", "M码")],
        ),
        ("有没有42码的跑鞋", [("size", "42", "42码"), ("product", "SH-003", "跑鞋")]),
        ("裙子有大号吗", [("category", "dress", "裙子"), ("size", "L", "大号")]),
        (
            "我要一件white的纯棉T恤，ＸＬ",
            [
                ("color", "white", "white"),
                ("product", "TS-002", "纯棉T恤"),
                ("size", "XL", "ＸＬ"),
            ],
        ),
        (
            "I'm looking for a red floral dress in size M",
            [
                ("color", "red", "red"),
                ("product", "DR-001", "floral dress"),
                ("size", "M", "size M"),
            ],
        ),
        (
            "Do you have DRESSES in blue?",
            [("category", "dress", "DRESSES"), ("color", "blue", "blue")],
        ),
        (
            "any T-shirts in white?",
            [("category", "tshirt", "T-shirts"), ("color", "white", "white")],
        ),
        ("two cotton tees, XL", [("product", "TS-002", "cotton tees"), ("size", "XL", "XL")]),
        ("AirRun size 42 please", [("product", "SH-003", "AirRun"), ("size", "42", "size 42")]),
        ("EU43 running shoes", [("size", "43", "EU43"), ("product", "SH-003", "running shoes")]),
    ],
)
def test_finds_catalogue_entities_in_chinese_and_english(
    matcher: CatalogueMatcher, text: str, expected: list[tuple[str, str, str]]
) -> None:
    assert found(matcher, text) == expected


def test_offsets_are_character_offsets_of_the_message(matcher: CatalogueMatcher) -> None:
    assert matcher.find("我想要蓝色的碎花连衣裙") == [
        Match("color", "blue", 3, 5),
        Match("product", "DR-001", 6, 11),
    ]
    assert matcher.find("a red tee") == [
        Match("color", "red", 2, 5),
        Match("category", "tshirt", 6, 9),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("碎花连衣裙", [("product", "DR-001", "碎花连衣裙")]),  # not the category 连衣裙
        ("纯棉T恤", [("product", "TS-002", "纯棉T恤")]),  # not the category T恤
        ("floral frock", [("product", "DR-001", "floral frock")]),  # not the category frock
        ("size XL", [("size", "XL", "size XL")]),
    ],
)
def test_longest_match_wins(
    matcher: CatalogueMatcher, text: str, expected: list[tuple[str, str, str]]
) -> None:
    assert found(matcher, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I'm waiting for my order",  # the m of I'm is not size M
        "Is it small talk?",  # ... but a word is only a word: "small" alone is a size
        "I live in Malaysia, my mom said",
        "Shall we, Lily?",
        "order 10004242 has 42 items",  # bare numbers are not sizes
        "我买了42件",
        "订单号1004243码",  # a longer number is not size 43
        "redirect me, I'm bored",  # red inside words is not a colour
    ],
)
def test_does_not_match_inside_words_or_bare_numbers(matcher: CatalogueMatcher, text: str) -> None:
    sizes_and_colours = [f for f in found(matcher, text) if f[0] in ("size", "color")]
    assert sizes_and_colours == ([("size", "S", "small")] if "small" in text else [])


def test_tokenize_keeps_offsets_of_full_width_text() -> None:
    assert tokenize("Ｉ'm ４２码") == [("I'm", 0, 3), ("42", 4, 6), ("码", 6, 7)]


def test_ambiguous_phrase_goes_to_the_unique_most_specific_entry() -> None:
    terms = [
        Term("product", "P1", "T恤", "zh"),
        Term("product", "P2", "T恤", "zh"),
        Term("category", "tshirt", "T恤", "zh"),
        Term("product", "P3", "橙色卫衣", "zh"),
        Term("color", "orange", "orange", "en"),
        Term("product", "P4", "Orange", "en"),
        Term("color", "gold", "金色", "zh"),
        Term("color", "yellow", "金色", "zh"),
    ]
    phrases, conflicts = resolve_phrases(terms)
    assert phrases[("t", "恤")] == ("category", "tshirt")  # two products: the category decides
    assert phrases[("orange",)] == ("product", "P4")
    assert ("金", "色") not in phrases  # two colours, nothing more specific: ignored
    assert len(conflicts) == 3
    assert any("'金色' names color: gold, yellow -> ignored" in c for c in conflicts)


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    (tmp_path / "model").mkdir()
    return LocalModelStorage(tmp_path / "model")


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test-model")


def trained(storage: LocalModelStorage, catalogue: Path) -> CatalogueEntityMatcher:
    resource = Resource("catalogue_matcher")
    config = {**CatalogueEntityMatcher.get_default_config(), "catalogue_path": str(catalogue)}
    component = CatalogueEntityMatcher.create(config, storage, resource, context())
    component.train(TrainingData())
    return CatalogueEntityMatcher.load(config, storage, resource, context())


def test_survives_persist_and_load_without_the_catalogue_file(
    storage: LocalModelStorage, catalogue_path: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "catalogue.yml"
    shutil.copy(catalogue_path, copy)
    resource = Resource("catalogue_matcher")
    config = {"catalogue_path": str(copy)}
    CatalogueEntityMatcher.create(config, storage, resource, context()).train(TrainingData())
    copy.unlink()  # the model carries the phrases it was trained with

    loaded = CatalogueEntityMatcher.load(config, storage, resource, context())
    message = Message.build(text="我要蓝色的碎花裙")
    loaded.process([message])
    assert message.get("entities") == [
        {
            "entity": "color",
            "value": "blue",
            "start": 2,
            "end": 4,
            "extractor": "CatalogueEntityMatcher",
        },
        {
            "entity": "product",
            "value": "DR-001",
            "start": 5,
            "end": 8,
            "extractor": "CatalogueEntityMatcher",
        },
    ]


def test_replaces_overlapping_guesses_of_other_extractors(
    storage: LocalModelStorage, catalogue_path: Path
) -> None:
    component = trained(storage, catalogue_path)
    diet_product = {
        "entity": "product",
        "value": "碎花连衣",
        "start": 6,
        "end": 10,
        "extractor": "DIETClassifier",
    }
    diet_colour = {
        "entity": "color",
        "value": "藏青",
        "start": 0,
        "end": 2,
        "extractor": "DIETClassifier",
    }
    address = {
        "entity": "address",
        "value": "上海",
        "start": 12,
        "end": 14,
        "extractor": "DIETClassifier",
    }
    message = Message.build(text="藏青的裙子和碎花连衣裙寄上海")
    message.set("entities", [diet_product, diet_colour, address])
    component.process([message])
    entities = message.get("entities")
    assert diet_product not in entities  # overlaps the catalogue's 碎花连衣裙
    assert diet_colour in entities  # no catalogue match there: kept
    assert address in entities  # not a catalogue entity type
    assert [
        (e["entity"], e["value"]) for e in entities if e["extractor"] == "CatalogueEntityMatcher"
    ] == [
        ("category", "dress"),
        ("product", "DR-001"),
    ]


def test_message_without_catalogue_phrases_is_untouched(
    storage: LocalModelStorage, catalogue_path: Path
) -> None:
    message = Message.build(text="where is my order 10004821")
    trained(storage, catalogue_path).process([message])
    assert message.get("entities") is None


def test_catalogue_edit_changes_the_training_fingerprint(
    tmp_path: Path, catalogue_path: Path
) -> None:
    # Rasa reuses a cached component when this key is unchanged.
    copy = tmp_path / "catalogue.yml"
    shutil.copy(catalogue_path, copy)
    config = {"catalogue_path": str(copy)}

    def key() -> str:
        return calculate_fingerprint_key(CatalogueEntityMatcher, config, {})

    before = key()
    assert key() == before
    copy.write_text(copy.read_text(encoding="utf-8") + "\n# new\n", encoding="utf-8")
    assert key() != before


def test_training_without_the_catalogue_file_fails_clearly(
    storage: LocalModelStorage, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError, match="catalogue file not found: .*missing.yml"):
        trained(storage, tmp_path / "missing.yml")


@pytest.fixture
def pipeline(storage: LocalModelStorage, catalogue_path: Path):
    """Tokenize with the shop's jieba dictionary, then match: as in config.yml."""
    tokenizer = ShopJiebaTokenizer.create(
        {**ShopJiebaTokenizer.get_default_config(), "dictionary_path": str(ROOT / "data/jieba")},
        storage,
        Resource("tokenizer"),
        context(),
    )
    matcher = trained(storage, catalogue_path)

    def parse(text: str, entities: list[dict] | None = None) -> list[tuple[str, str, str]]:
        message = Message.build(text=text)
        if entities:
            message.set("entities", entities)
        matcher.process(tokenizer.process([message]))
        return [
            (e["entity"], e["value"], text[e["start"] : e["end"]])
            for e in message.get("entities") or []
            if e.get("extractor") == "CatalogueEntityMatcher"
        ]

    return parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我明白了", []),  # 白 (white) inside 明白 (understand)
        ("包邮吗", []),  # 包 (bag) inside 包邮 (free shipping)
        ("包裹到哪了", []),
        ("蓝牙耳机有吗", []),  # 蓝 (blue) inside 蓝牙 (Bluetooth)
        ("红包能用吗", []),
        ("这个包多少钱", [("category", "bags", "包")]),
        ("白的还是红的", [("color", "white", "白"), ("color", "red", "红")]),
        ("有蓝的吗", [("color", "blue", "蓝的")]),
    ],
)
def test_one_character_phrases_count_only_as_words_of_their_own(
    pipeline, text: str, expected: list[tuple[str, str, str]]
) -> None:
    assert pipeline(text) == expected


def test_phrases_inside_other_entities_belong_to_them(pipeline) -> None:
    text = "寄到红色大厦，要M码"
    address = {"entity": "address", "value": "红色大厦", "start": 2, "end": 6}
    assert pipeline(text, [address]) == [("size", "M", "M码")]
    # Without the address the building's name would read as a colour.
    assert pipeline(text) == [("color", "red", "红色"), ("size", "M", "M码")]


def test_other_entities_do_not_hide_catalogue_phrases(pipeline) -> None:
    # A statistical extractor's stray order id over "M码" must not cost the size.
    stray = {"entity": "order_id", "value": "M码", "start": 2, "end": 4, "extractor": "DIET"}
    assert pipeline("我要M码", [stray]) == [("size", "M", "M码")]
