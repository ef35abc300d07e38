"""The benchmark record writer and the NLU benchmark's metrics."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from bench.nlu import Parsed, figures_for, language_of, prf
from bench.results import record


def test_record_appends_one_json_line_per_run(tmp_path, capsys) -> None:
    path = tmp_path / "results" / "bench.jsonl"
    record("nlu", {"accuracy": 0.97, "price": Decimal("79.90")}, path)
    record("rfm", {"customers": 10}, path)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [entry["name"] for entry in lines] == ["nlu", "rfm"]
    assert lines[0]["figures"] == {"accuracy": 0.97, "price": "79.90"}
    assert lines[0]["machine"]["cpu_count"] >= 1
    assert lines[0]["date"].endswith("+00:00")
    assert '"name": "rfm"' in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "figures", "message"),
    [
        ("", {"a": 1}, "name must be a non-empty string"),
        ("x", {}, "figures must be a non-empty dict"),
    ],
)
def test_record_rejects_empty_input(tmp_path, name, figures, message) -> None:
    with pytest.raises(ValueError, match=message):
        record(name, figures, tmp_path / "bench.jsonl")
    assert not (tmp_path / "bench.jsonl").exists()


def test_language_is_chinese_when_any_chinese_character() -> None:
    assert language_of("我的order到哪了") == "zh"
    assert language_of("where is 10004821") == "en"


def test_prf() -> None:
    assert prf(3, 1, 1) == {"precision": 0.75, "recall": 0.75, "f1": 0.75, "support": 4}
    assert prf(0, 0, 0) == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}


def row(intent: str, predicted: str, gold=(), found=(), fallback=False) -> Parsed:
    return Parsed("t", "en", intent, predicted, fallback, set(gold), set(found), 10.0)


def test_figures_count_intents_entities_and_fallbacks() -> None:
    rows = [
        row("a", "a", gold={("product", "P1")}, found={("product", "P1"), ("color", "red")}),
        row("a", "b", gold={("size", "M")}, found=set(), fallback=True),
        row("b", "b"),
        row("b", "b"),
    ]
    figures = figures_for(rows)
    assert figures["intent_accuracy"] == 0.75
    # a: precision 1, recall 0.5 -> 0.667; b: precision 0.667, recall 1 -> 0.8
    assert figures["intent_macro_f1"] == pytest.approx(0.7333, abs=1e-4)
    assert figures["fallback_rate"] == 0.25
    assert figures["entities"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert figures["entities_by_type"]["color"]["precision"] == 0.0
    assert figures["latency_ms_mean"] == 10.0
