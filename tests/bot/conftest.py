"""Tests of the Rasa NLU components in bot/; they run in .venv-rasa only.

`.venv/bin/python -m pytest tests` collects this directory too: there Rasa is not
installed, so the whole directory is skipped with the reason below.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

if importlib.util.find_spec("rasa") is None:
    pytest.skip(
        "bot/ components need Rasa: run `.venv-rasa/bin/python -m pytest tests/bot`",
        allow_module_level=True,
    )

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CATALOGUE = FIXTURES / "catalogue.yml"


@pytest.fixture
def catalogue_path() -> Path:
    return CATALOGUE
