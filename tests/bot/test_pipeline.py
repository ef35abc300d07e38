"""The real pipeline of config.yml: `rasa train nlu`, package, load, parse.

DIETClassifier is swapped for LogisticRegressionClassifier: building DIET's
TensorFlow graph alone takes most of a minute, and this test checks that our
components are wired, persisted and loaded, not how well the model classifies
(that is bench/nlu.py's job).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.core.agent import Agent
from rasa.model_training import train_nlu

from tests.bot.conftest import CATALOGUE, FIXTURES, ROOT


def fast_config(tmp: Path) -> Path:
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    pipeline = config["pipeline"]
    names = [component["name"] for component in pipeline]
    pipeline[names.index("DIETClassifier")] = {"name": "LogisticRegressionClassifier"}
    pipeline[names.index("bot.catalogue_matcher.CatalogueEntityMatcher")]["catalogue_path"] = str(
        CATALOGUE
    )
    config.pop("policies")
    path = tmp / "config.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def agent(tmp_path_factory) -> Agent:
    tmp = tmp_path_factory.mktemp("pipeline")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)  # config.yml's paths are relative to the project
        mp.setenv("RASA_CACHE_DIRECTORY", str(tmp / "cache"))
        model = train_nlu(
            config=str(fast_config(tmp)),
            nlu_data=str(FIXTURES / "nlu.yml"),
            output=str(tmp / "models"),
            fixed_model_name="nlu",
        )
    assert model, "rasa train nlu produced no model"
    return Agent.load(model)


def parse(agent: Agent, text: str) -> dict[str, Any]:
    return asyncio.run(agent.parse_message(text))


def entities(result: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(e["entity"], str(e["value"]), e["extractor"]) for e in result["entities"]}


def test_chinese_message_gets_language_and_catalogue_entities(agent: Agent) -> None:
    result = parse(agent, "我想要蓝色的碎花连衣裙，M码")
    assert {
        ("language", "zh", "LanguageDetector"),
        ("color", "blue", "CatalogueEntityMatcher"),
        ("product", "DR-001", "CatalogueEntityMatcher"),
        ("size", "M", "CatalogueEntityMatcher"),
    } <= entities(result)
    assert result["intent"]["name"] in {
        "order_status",
        "recommend_product",
        "greet",
        "nlu_fallback",
    }


def test_english_message_with_order_id(agent: Agent) -> None:
    result = parse(agent, "where is order SO10004821? I'm waiting")
    found = entities(result)
    assert ("language", "en", "LanguageDetector") in found
    assert ("order_id", "SO10004821", "RegexEntityExtractor") in found
    assert not any(entity == "size" for entity, _, _ in found)  # not the m of I'm


def test_message_without_letters_has_no_language(agent: Agent) -> None:
    result = parse(agent, "SO10004821".removeprefix("SO"))
    assert all(e["entity"] != "language" for e in result["entities"])
