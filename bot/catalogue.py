"""The shop catalogue (data/shop/catalogue.yml) as the phrases customers use for it.

Every category, product, colour and size becomes `Term`s: one per name or alias,
tagged with the entity it stands for and the value the bot should hand on (a
product's sku, otherwise the code). The file is read and validated by
`crm_engine.catalogue_file`, the one reader of the format (it avoids database
imports so it works in .venv-rasa too).

`python -m bot.catalogue jieba [CATALOGUE]` prints the catalogue's Chinese names
as a jieba user dictionary (data/jieba/catalogue.txt is made this way).
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from crm_engine.catalogue_file import load_catalogue

DEFAULT_PATH = "data/shop/catalogue.yml"

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# jieba's own definition of text it segments with its dictionary (jieba.re_han_default).
_JIEBA_WORD = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+")


@dataclass(frozen=True)
class Term:
    """One way a customer may name a catalogue entry."""

    entity: str  # product | category | color | size
    value: str  # sku for products, code otherwise
    phrase: str
    language: str  # zh | en: which list of the catalogue the phrase came from


def file_fingerprint(path: str | Path) -> str:
    """sha256 of the file's bytes, or "missing": changes whenever the catalogue does."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return "missing"


def load_terms(path: str | Path = DEFAULT_PATH) -> list[Term]:
    """Every (entity, value, phrase) the catalogue defines, in file order.

    Raises FileNotFoundError, or ValueError listing what is wrong with the file.
    """
    catalogue = load_catalogue(path)
    terms: list[Term] = []
    for p in catalogue.products:
        terms += _terms("product", p.sku, (p.name_zh, *p.aliases_zh), (p.name_en, *p.aliases_en))
    for c in catalogue.categories:
        terms += _terms("category", c.code, (c.name_zh, *c.aliases_zh), (c.name_en, *c.aliases_en))
    for v in catalogue.colors:
        terms += _terms("color", v.code, v.zh, v.en)
    for v in catalogue.sizes:
        terms += _terms("size", v.code, v.zh, v.en)
    return terms


def _terms(entity: str, value: str, zh: tuple[str, ...], en: tuple[str, ...]) -> list[Term]:
    return [Term(entity, value, phrase, "zh") for phrase in zh if phrase] + [
        Term(entity, value, phrase, "en") for phrase in en if phrase
    ]


def jieba_dictionary(terms: list[Term]) -> list[str]:
    """The Chinese phrases jieba should keep whole, sorted and unique.

    jieba cuts text at characters outside `_JIEBA_WORD` (spaces, punctuation)
    before it looks words up, so phrases containing them could never be kept
    whole; single characters gain nothing.
    """
    words = {
        t.phrase
        for t in terms
        if _CJK.search(t.phrase) and _JIEBA_WORD.fullmatch(t.phrase) and len(t.phrase) > 1
    }
    return sorted(words)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "jieba" or len(args) > 2:
        print("usage: python -m bot.catalogue jieba [CATALOGUE]", file=sys.stderr)
        return 2
    try:
        terms = load_terms(args[1] if len(args) == 2 else DEFAULT_PATH)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(jieba_dictionary(terms)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
