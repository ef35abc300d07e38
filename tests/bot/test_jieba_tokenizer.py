"""The jieba tokenizer with the shop's dictionary."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.training.fingerprinting import calculate_fingerprint_key
from rasa.shared.nlu.training_data.message import Message

from bot.catalogue import jieba_dictionary, load_terms
from bot.jieba_tokenizer import ShopJiebaTokenizer
from tests.bot.conftest import ROOT

DICTIONARY = ROOT / "data" / "jieba"
SHOP_CATALOGUE = ROOT / "data" / "shop" / "catalogue.yml"


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory) -> ShopJiebaTokenizer:
    config = {**ShopJiebaTokenizer.get_default_config(), "dictionary_path": str(DICTIONARY)}
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    return ShopJiebaTokenizer.create(
        config, storage, Resource("tokenizer"), ExecutionContext(GraphSchema({}))
    )


def words(tokenizer: ShopJiebaTokenizer, text: str) -> list[str]:
    return [t.text for t in tokenizer.tokenize(Message.build(text=text), "text")]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("可以七天无理由退货吗", ["七天无理由", "退货"]),
        ("发顺丰还是京东物流", ["顺丰", "京东物流"]),
        ("有运费险吗", ["运费险"]),
        ("发票抬头和税号怎么填", ["发票抬头", "税号"]),
        ("帮我转人工", ["转人工"]),
        ("双十一包邮吗", ["双十一", "包邮"]),
    ],
)
def test_shop_terms_stay_whole(tokenizer: ShopJiebaTokenizer, text: str, kept: list[str]) -> None:
    tokens = words(tokenizer, text)
    assert all(word in tokens for word in kept), tokens


def test_spaces_are_not_tokens(tokenizer: ShopJiebaTokenizer) -> None:
    assert words(tokenizer, "Where is  my order?") == ["Where", "is", "my", "order", "?"]
    message = Message.build(text="where is my order")
    tokens = tokenizer.tokenize(message, "text")
    assert [(t.start, t.end) for t in tokens] == [(0, 5), (6, 8), (9, 11), (12, 17)]


def test_dictionary_edit_changes_the_training_fingerprint(tmp_path: Path) -> None:
    # Rasa reuses the cached tokenizer, old dictionary included, when this key is unchanged.
    copy = tmp_path / "jieba"
    shutil.copytree(DICTIONARY, copy)
    config = {**ShopJiebaTokenizer.get_default_config(), "dictionary_path": str(copy)}

    def key() -> str:
        return calculate_fingerprint_key(ShopJiebaTokenizer, config, {})

    before = key()
    assert key() == before
    with (copy / "shop.txt").open("a", encoding="utf-8") as f:
        f.write("以旧换新\n")
    assert key() != before


@pytest.mark.skipif(not SHOP_CATALOGUE.exists(), reason="data/shop/catalogue.yml not written yet")
def test_jieba_dictionary_holds_the_catalogue_names() -> None:
    expected = jieba_dictionary(load_terms(SHOP_CATALOGUE))
    path = DICTIONARY / "catalogue.txt"
    listed = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    assert listed == expected, (
        "data/jieba/catalogue.txt is out of date; regenerate it with "
        "`.venv-rasa/bin/python -m bot.catalogue jieba > data/jieba/catalogue.txt`"
    )
