"""Rasa's JiebaTokenizer, fixed for a shop that edits its dictionary and talks English too.

- Rasa fingerprints a component by its config and training data only, so after
  an edit of a file in `dictionary_path` `rasa train` would silently reuse the
  cached tokenizer and the old dictionary. The files' content is added to the
  fingerprint.
- jieba returns every space as a token ("where", " ", "is", ...); English
  messages would carry twice as many tokens into DIET, half of them blanks.
  Whitespace tokens are dropped.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


def dictionary_fingerprint(path: str | Path) -> str:
    """sha256 over the names and bytes of the files JiebaTokenizer loads from `path`."""
    digest = hashlib.sha256()
    for file in sorted(p for p in Path(path).glob("*") if p.is_file()):
        digest.update(file.name.encode())
        digest.update(b"\0")
        digest.update(file.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class ShopJiebaTokenizer(JiebaTokenizer):
    """JiebaTokenizer that retrains when its dictionary changes and skips blank tokens."""

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        path = config.get("dictionary_path")
        return dictionary_fingerprint(path) if path else None

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        words = [token for token in tokens if token.text.strip()]
        # Featurizers expect at least one token; a blank message keeps jieba's.
        return words or tokens
