"""Find catalogue products, categories, colours and sizes in customer messages.

`CatalogueEntityMatcher` turns every mention of a catalogue phrase into an entity
whose value is what the actions need (a product's sku, otherwise the code), so
"我想要那条蓝色的碎花连衣裙" yields color=blue and product=<sku> without any
training examples naming the products.

Design choices:
- One script-aware segmentation for patterns and messages, in both languages:
  each Chinese character is a token (so a phrase matches inside any jieba word),
  a run of Latin letters (apostrophes included) is one token, a number is one
  token. spaCy's own blank pipelines do not fit: the zh character segmenter
  splits "blue" into letters (so the "m" of "I'm" would be size M), its jieba
  segmenter cuts a phrase differently depending on its neighbours, and the en
  tokenizer glues Chinese to Latin ("我要size"). Mixed messages are common.
- The longest match wins and matches never overlap, so "碎花连衣裙" is the
  product, not the category "连衣裙".
- A size that is only a number ("42") matches only with a size cue ("42码",
  "尺码42", "size 42", "EU 42"): bare numbers are order ids, quantities and dates.
- A one-character Chinese phrase (白, 包) must be a word of its own in the
  pipeline's jieba tokens, and no phrase is taken from inside an address:
  明白, 包邮 and 红星路 name no product.
- The phrases are read from the catalogue at training time and stored in the
  model, so a model is self-contained and serves exactly what was evaluated. The
  catalogue file's hash is part of the training fingerprint: after an edit,
  `rasa train` rebuilds this component (seconds; DIET stays cached).
- Other extractors' product/category/color/size entities that overlap a match
  are dropped: the catalogue value is the one the actions can look up.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import spacy
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import raise_warning
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from bot.catalogue import DEFAULT_PATH, Term, file_fingerprint, load_terms

# In this order an ambiguous phrase is resolved: a product is the most specific answer.
ENTITY_PRIORITY: tuple[str, ...] = ("product", "category", "color", "size")
CATALOGUE_ENTITIES = frozenset(ENTITY_PRIORITY)
# A catalogue phrase inside one of these is part of it (红 in the address 红星路).
# Order ids and phones need no entry: a number is one token, so no phrase fits inside.
_HOLDERS = frozenset({"address"})
_TERMS_FILE = "terms.json"

_LATIN = "A-Za-z\u00c0-\u024f"
_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_TOKEN = re.compile(
    rf"{_CJK_CHAR.pattern}"  # one Chinese character
    rf"|[{_LATIN}]+(?:['\u2019][{_LATIN}]+)*"  # a word, with its apostrophes: I'm, don't
    r"|\d+(?:\.\d+)?"  # a number: 42, 42.5
    r"|\S"  # any other visible character on its own
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_LAST_WORD = re.compile(r"[A-Za-z]+$")
# How customers mark a bare size code as a size: "M码", "尺码42", "size XL", "EU 42".
_SIZE_CUES = ("{}码", "尺码{}", "size {}")
_NUMERIC_SIZE_CUES = (*_SIZE_CUES, "EU {}")


@dataclass(frozen=True)
class Match:
    """A catalogue phrase found in a text; start/end are character offsets."""

    entity: str
    value: str
    start: int
    end: int


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) in character offsets of `text`.

    Full-width letters and digits ("ＸＬ", "４２") are read as their ASCII forms;
    only single characters are normalised, so offsets stay those of `text`.
    """
    normalised = "".join(_nfkc_char(ch) for ch in text)
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(normalised)]


def _nfkc_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


def expand_phrases(term: Term) -> list[str]:
    """The surface forms that count as a mention of `term`."""
    phrase = term.phrase
    tokens = tokenize(phrase)
    if term.entity == "size" and len(tokens) == 1:
        # Bare numbers are order ids, quantities and dates: demand a size cue.
        if _NUMBER.fullmatch(tokens[0][0]):
            return [cue.format(phrase) for cue in _NUMERIC_SIZE_CUES]
        return [phrase, *(cue.format(phrase) for cue in _SIZE_CUES)]
    if term.language == "en" and term.entity in ("product", "category"):
        return [phrase, *_plurals(phrase)]
    return [phrase]


def _plurals(phrase: str) -> list[str]:
    # Regular English plurals of the last word: tee -> tees, dress -> dresses,
    # T-shirt -> T-shirts, battery -> batteries. A word ending in one "s"
    # (shoes, jeans) is taken as plural already.
    word = _LAST_WORD.search(phrase)
    if word is None:
        return []
    last = word.group().lower()
    if last.endswith(("ss", "x", "z", "ch", "sh")):
        suffix = "es"
    elif last.endswith("s"):
        return []
    elif last.endswith("y") and len(last) > 1 and last[-2] not in "aeiou":
        return [phrase[:-1] + "ies"]
    else:
        suffix = "s"
    return [phrase + suffix]


def resolve_phrases(
    terms: Iterable[Term],
) -> tuple[dict[tuple[str, ...], tuple[str, str]], list[str]]:
    """Map each token sequence to the single (entity, value) it stands for.

    When a phrase names several entries, the most specific entity type with a
    single candidate wins (product before category before colour before size);
    a phrase with no unique answer is dropped. Returns the mapping and a
    description of every dropped or overridden phrase.
    """
    candidates: dict[tuple[str, ...], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    surface: dict[tuple[str, ...], str] = {}
    for term in terms:
        for form in expand_phrases(term):
            key = tuple(token.lower() for token, _, _ in tokenize(form))
            if key:
                candidates[key][term.entity].add(term.value)
                surface.setdefault(key, form)
    resolved: dict[tuple[str, ...], tuple[str, str]] = {}
    conflicts: list[str] = []
    for key, by_entity in candidates.items():
        choice = next(
            (
                (entity, next(iter(by_entity[entity])))
                for entity in ENTITY_PRIORITY
                if len(by_entity.get(entity, ())) == 1
            ),
            None,
        )
        if choice is not None:
            resolved[key] = choice
        if len(by_entity) > 1 or any(len(values) > 1 for values in by_entity.values()):
            named = "; ".join(f"{e}: {', '.join(sorted(v))}" for e, v in sorted(by_entity.items()))
            outcome = f"read as {choice[0]} {choice[1]}" if choice else "ignored"
            conflicts.append(f"'{surface[key]}' names {named} -> {outcome}")
    return resolved, conflicts


class CatalogueMatcher:
    """Longest-match, non-overlapping search for catalogue phrases (no Rasa involved)."""

    def __init__(self, phrases: dict[tuple[str, ...], tuple[str, str]]) -> None:
        # "xx" (multi-language) only supplies a vocabulary with lower-casing; the
        # Docs are built from our own tokens.
        self._vocab = spacy.blank("xx").vocab
        self._matcher = PhraseMatcher(self._vocab, attr="LOWER")
        self._labels: dict[int, tuple[str, str]] = {}
        patterns: dict[tuple[str, str], list[Doc]] = defaultdict(list)
        for key, label in phrases.items():
            patterns[label].append(Doc(self._vocab, words=list(key)))
        for (entity, value), docs in patterns.items():
            match_id = self._vocab.strings.add(f"{entity}\t{value}")
            self._labels[match_id] = (entity, value)
            self._matcher.add(f"{entity}\t{value}", docs)

    @classmethod
    def from_terms(cls, terms: Iterable[Term]) -> CatalogueMatcher:
        phrases, _ = resolve_phrases(terms)
        return cls(phrases)

    def find(self, text: str, words: set[tuple[int, int]] | None = None) -> list[Match]:
        """Matches in text order; of overlapping candidates the longest (then first) wins.

        `words` are the (start, end) offsets of the message's words (from the
        pipeline's jieba tokenizer). When given, a one-character Chinese phrase
        counts only as a word of its own: 白 (white) not in 明白 (understand),
        包 (bag) not in 包邮 (free shipping), 蓝 (blue) not in 蓝牙 (Bluetooth).
        """
        tokens = tokenize(text)
        if not tokens:
            return []
        doc = Doc(self._vocab, words=[token for token, _, _ in tokens])
        candidates = [
            (match_id, start, end)
            for match_id, start, end in self._matcher(doc)
            if words is None
            or end - start > 1
            or not _CJK_CHAR.fullmatch(tokens[start][0])
            or (tokens[start][1], tokens[start][2]) in words
        ]
        taken = [False] * len(tokens)
        matches: list[Match] = []
        for match_id, start, end in sorted(candidates, key=lambda m: (m[1] - m[2], m[1])):
            if any(taken[start:end]):
                continue
            taken[start:end] = [True] * (end - start)
            entity, value = self._labels[match_id]
            matches.append(Match(entity, value, tokens[start][1], tokens[end - 1][2]))
        return sorted(matches, key=lambda m: m.start)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class CatalogueEntityMatcher(GraphComponent, EntityExtractorMixin):
    """Adds product/category/color/size entities for catalogue phrases in the message.

    Config: `catalogue_path` (default data/shop/catalogue.yml, relative to where
    `rasa train` runs). Place it after DIETClassifier and EntitySynonymMapper so
    it can replace their overlapping guesses with catalogue values.
    """

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"catalogue_path": DEFAULT_PATH}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        # Without this, editing the catalogue would not retrain the component:
        # Rasa fingerprints only config and training data.
        return file_fingerprint(config["catalogue_path"])

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        phrases: dict[tuple[str, ...], tuple[str, str]] | None = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._matcher = CatalogueMatcher(phrases or {})

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CatalogueEntityMatcher:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Read the catalogue and store its phrases with the model."""
        phrases, conflicts = resolve_phrases(load_terms(self._config["catalogue_path"]))
        for conflict in conflicts:
            raise_warning(f"Catalogue phrase {conflict}.")
        self._matcher = CatalogueMatcher(phrases)
        with self._model_storage.write_to(self._resource) as directory:
            rows = [[list(key), entity, value] for key, (entity, value) in phrases.items()]
            (directory / _TERMS_FILE).write_text(
                json.dumps(rows, ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CatalogueEntityMatcher:
        with model_storage.read_from(resource) as directory:
            rows = json.loads((directory / _TERMS_FILE).read_text(encoding="utf-8"))
        phrases = {tuple(key): (entity, value) for key, entity, value in rows}
        return cls(config, model_storage, resource, phrases)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            others = message.get(ENTITIES, [])
            words = {(t.start, t.end) for t in message.get(TOKENS_NAMES[TEXT], [])}
            holders = [e for e in others if e.get("entity") in _HOLDERS]
            matches = [
                m for m in self._matcher.find(text, words or None) if not _overlaps(m, holders)
            ]
            if not matches:
                continue
            kept = [
                e
                for e in others
                if e.get("entity") not in CATALOGUE_ENTITIES or not _overlaps(e, matches)
            ]
            found = [
                {"entity": m.entity, "value": m.value, "start": m.start, "end": m.end}
                for m in matches
            ]
            message.set(ENTITIES, kept + self.add_extractor_name(found), add_to_output=True)
        return messages


def _span(item: Match | dict[str, Any]) -> tuple[int, int] | None:
    if isinstance(item, Match):
        return item.start, item.end
    start, end = item.get("start"), item.get("end")
    return (start, end) if start is not None and end is not None else None


def _overlaps(item: Match | dict[str, Any], others: Iterable[Match | dict[str, Any]]) -> bool:
    span = _span(item)
    if span is None:
        return False
    return any(
        (other := _span(o)) is not None and span[0] < other[1] and other[0] < span[1]
        for o in others
    )
