"""Three-class sentiment model: logistic regression over n-grams and explicit cues.

Trained with scikit-learn; predicts with a few numpy operations on the weights,
so one message costs well under a millisecond, and persisted as JSON plus a
numpy archive (no pickle: a model file cannot run code when loaded).

Review corpora have only positive and negative texts; the team's chat examples
add the neutral class and the chat register. `TrainingSettings.chat_share`
gives the chat examples a fixed share of the total sample weight so thousands
of reviews do not drown a few hundred chat messages.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from bot.sentiment_data import CHAT, Example
from bot.sentiment_features import LABELS, Lexicon, analyse, features

FORMAT_VERSION = 1
MODEL_FILE = "sentiment.json"
WEIGHTS_FILE = "sentiment_weights.npz"


@dataclass(frozen=True)
class TrainingSettings:
    c: float = 4.0  # inverse L2 regularisation strength
    chat_share: float = 0.6  # share of the total sample weight given to chat examples
    cue_scale: float = 1.0  # weight of the cue features against the L2-normalised n-grams
    min_review_df: int = 2  # n-grams seen only in fewer reviews (and no chat message) are dropped
    max_iter: int = 300  # saga epochs; converges in well under 100 on these data


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    probabilities: dict[str, float]

    def as_dict(self) -> dict[str, object]:
        """The `sentiment` entry of a parsed message."""
        return {"label": self.label, "confidence": round(self.confidence, 4)}


class SentimentModel:
    def __init__(
        self,
        lexicon: Lexicon,
        vocabulary: dict[str, int],
        weights: np.ndarray,
        bias: np.ndarray,
        settings: TrainingSettings,
    ) -> None:
        self.lexicon = lexicon
        self.vocabulary = vocabulary
        self.weights = weights  # (n_features, len(LABELS))
        self.bias = bias
        self.settings = settings

    def predict(self, text: str) -> Prediction:
        indices, values = vectorize(
            features(analyse(text, self.lexicon)), self.vocabulary, self.settings.cue_scale
        )
        logits = values @ self.weights[indices] + self.bias
        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        best = int(probabilities.argmax())
        return Prediction(
            LABELS[best],
            float(probabilities[best]),
            dict(zip(LABELS, probabilities.tolist(), strict=True)),
        )

    def save(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        ordered = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        document = {
            "format_version": FORMAT_VERSION,
            "labels": list(LABELS),
            "settings": asdict(self.settings),
            "lexicon": dict(self.lexicon.valences),
            "lexicon_max_phrase_tokens": self.lexicon.max_phrase_tokens,
            "vocabulary": ordered,
        }
        (directory / MODEL_FILE).write_text(
            json.dumps(document, ensure_ascii=False), encoding="utf-8"
        )
        np.savez_compressed(directory / WEIGHTS_FILE, weights=self.weights, bias=self.bias)

    @classmethod
    def load(cls, directory: str | Path) -> SentimentModel:
        directory = Path(directory)
        document = json.loads((directory / MODEL_FILE).read_text(encoding="utf-8"))
        if document.get("format_version") != FORMAT_VERSION or document.get("labels") != list(
            LABELS
        ):
            raise ValueError(
                f"{directory / MODEL_FILE}: format_version must be {FORMAT_VERSION} with labels "
                f"{list(LABELS)}, got {document.get('format_version')} {document.get('labels')}; retrain"
            )
        with np.load(directory / WEIGHTS_FILE) as arrays:
            weights, bias = arrays["weights"], arrays["bias"]
        lexicon = Lexicon(document["lexicon"], document["lexicon_max_phrase_tokens"])
        vocabulary = {name: i for i, name in enumerate(document["vocabulary"])}
        return cls(lexicon, vocabulary, weights, bias, TrainingSettings(**document["settings"]))


def vectorize(
    feats: dict[str, float], vocabulary: dict[str, int], cue_scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of one message: n-grams binary and L2-normalised, cues scaled."""
    grams = [vocabulary[k] for k in feats if k[0] != "x" and k in vocabulary]
    cues = [
        (vocabulary[k], v * cue_scale) for k, v in feats.items() if k[0] == "x" and k in vocabulary
    ]
    gram_value = 1.0 / np.sqrt(len(grams)) if grams else 0.0
    indices = np.fromiter([*grams, *(i for i, _ in cues)], dtype=np.int64)
    values = np.fromiter([gram_value] * len(grams) + [v for _, v in cues], dtype=np.float64)
    return indices, values


def train(
    examples: Sequence[Example], lexicon: Lexicon, settings: TrainingSettings | None = None
) -> SentimentModel:
    """Fit on chat examples (all three labels) and reviews (positive/negative)."""
    from sklearn.linear_model import LogisticRegression

    settings = settings or TrainingSettings()
    if not 0 < settings.chat_share <= 1:
        raise ValueError(f"chat_share must be in (0, 1], got {settings.chat_share}")
    if not any(e.source == CHAT for e in examples):
        raise ValueError("sentiment training needs chat examples: only they teach 'neutral'")
    bad = {e.label for e in examples} - set(LABELS)
    if bad:
        raise ValueError(f"example labels must be in {LABELS}, got {sorted(bad)}")

    rows = [features(analyse(e.text, lexicon)) for e in examples]
    vocabulary = _vocabulary(rows, examples, settings.min_review_df)
    matrix = _matrix(rows, vocabulary, settings.cue_scale)
    y = np.array([LABELS.index(e.label) for e in examples])
    # saga: an order of magnitude faster than lbfgs on ~10^5 sparse columns.
    model = LogisticRegression(
        C=settings.c,
        max_iter=settings.max_iter,
        tol=1e-3,
        multi_class="multinomial",
        solver="saga",
        random_state=0,
    )
    model.fit(matrix, y, sample_weight=_sample_weights(examples, settings.chat_share))
    return SentimentModel(
        lexicon,
        vocabulary,
        model.coef_.T.astype(np.float32),
        model.intercept_.astype(np.float32),
        settings,
    )


def _vocabulary(
    rows: list[dict[str, float]], examples: Sequence[Example], min_review_df: int
) -> dict[str, int]:
    review_df: Counter[str] = Counter()
    keep: set[str] = set()
    for feats, example in zip(rows, examples, strict=True):
        if example.source == CHAT:
            keep.update(feats)
        else:
            review_df.update(feats)
    keep.update(k for k, n in review_df.items() if n >= min_review_df)
    return {name: i for i, name in enumerate(sorted(keep))}


def _matrix(
    rows: list[dict[str, float]], vocabulary: dict[str, int], cue_scale: float
) -> sparse.csr_matrix:
    indptr, indices, values = [0], [], []
    for feats in rows:
        cols, vals = vectorize(feats, vocabulary, cue_scale)
        indices.append(cols)
        values.append(vals)
        indptr.append(indptr[-1] + len(cols))
    return sparse.csr_matrix(
        (np.concatenate(values), np.concatenate(indices), np.array(indptr)),
        shape=(len(rows), len(vocabulary)),
    )


def _sample_weights(examples: Sequence[Example], chat_share: float) -> np.ndarray:
    is_chat = np.array([e.source == CHAT for e in examples])
    n_chat, n_other = int(is_chat.sum()), int((~is_chat).sum())
    if n_other == 0:
        return np.ones(len(examples))
    # Chat rows together weigh chat_share of the total; the mean weight stays 1.
    chat = chat_share * len(examples) / n_chat
    other = (1 - chat_share) * len(examples) / n_other
    return np.where(is_chat, chat, other)
