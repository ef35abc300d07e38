"""NLU quality and speed of a trained model on the held-out examples in tests/nlu.

Per language (zh when the message has a Chinese character, else en):
- intent accuracy and macro-F1 of the classifier's top intent (as `rasa test nlu`
  does, a FallbackClassifier verdict is undone; how often it fired is reported
  as fallback_rate);
- entity precision / recall / F1 over (entity, value) pairs, merged across
  extractors, on the entity types the test data annotates (the `language` tag
  is never counted);
- parse latency (ms) of the full NLU graph, after one warm-up parse.

Run with the Rasa environment, from the project root:
    .venv-rasa/bin/python -m bench.nlu [--model models/x.tar.gz] [--data tests/nlu]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # also runnable as `python bench/nlu.py`
    sys.path.insert(0, str(ROOT))

from bench.results import record  # noqa: E402

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
IGNORED_ENTITIES = frozenset({"language"})


@dataclass
class Parsed:
    text: str
    language: str
    intent: str
    predicted: str
    fallback: bool
    gold: set[tuple[str, str]]
    found: set[tuple[str, str]]
    latency_ms: float


@dataclass
class Tally:
    tp: Counter = field(default_factory=Counter)
    fp: Counter = field(default_factory=Counter)
    fn: Counter = field(default_factory=Counter)


def language_of(text: str) -> str:
    return "zh" if _CJK.search(text) else "en"


def newest_model(directory: Path) -> Path:
    models = sorted(directory.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit(f"error: no trained model (*.tar.gz) in {directory}; run `make train`")
    return models[-1]


def entity_pairs(entities: list[dict[str, Any]], types: set[str]) -> set[tuple[str, str]]:
    return {
        (e["entity"], str(e.get("value")))
        for e in entities
        if e["entity"] in types and e["entity"] not in IGNORED_ENTITIES
    }


async def parse_all(model: Path, examples: list[Any], types: set[str]) -> list[Parsed]:
    from rasa.core.agent import Agent
    from rasa.nlu.classifiers import fallback_classifier

    agent = Agent.load(str(model))
    await agent.parse_message("warm up 预热")  # lazy loading is not parse latency
    parsed = []
    for example in examples:
        text = example.get("text")
        start = time.perf_counter()
        result = await agent.parse_message(text)
        latency_ms = (time.perf_counter() - start) * 1000
        fallback = fallback_classifier.is_fallback_classifier_prediction(result)
        if fallback:
            result = fallback_classifier.undo_fallback_prediction(result)
        parsed.append(
            Parsed(
                text=text,
                language=language_of(text),
                intent=example.get("intent"),
                predicted=(result.get("intent") or {}).get("name") or "",
                fallback=fallback,
                gold=entity_pairs(example.get("entities") or [], types),
                found=entity_pairs(result.get("entities") or [], types),
                latency_ms=latency_ms,
            )
        )
    return parsed


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "support": tp + fn,
    }


def figures_for(rows: list[Parsed]) -> dict[str, Any]:
    from sklearn.metrics import f1_score

    truth = [r.intent for r in rows]
    predicted = [r.predicted for r in rows]
    tally = Tally()
    for r in rows:
        for entity, _ in r.gold & r.found:
            tally.tp[entity] += 1
        for entity, _ in r.found - r.gold:
            tally.fp[entity] += 1
        for entity, _ in r.gold - r.found:
            tally.fn[entity] += 1
    latencies = sorted(r.latency_ms for r in rows)
    return {
        "examples": len(rows),
        "intent_accuracy": round(sum(r.intent == r.predicted for r in rows) / len(rows), 4),
        "intent_macro_f1": round(
            float(
                f1_score(
                    truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0
                )
            ),
            4,
        ),
        "fallback_rate": round(sum(r.fallback for r in rows) / len(rows), 4),
        "entities": prf(sum(tally.tp.values()), sum(tally.fp.values()), sum(tally.fn.values())),
        "entities_by_type": {
            entity: prf(tally.tp[entity], tally.fp[entity], tally.fn[entity])
            for entity in sorted(set(tally.tp) | set(tally.fp) | set(tally.fn))
        },
        "latency_ms_mean": round(statistics.fmean(latencies), 2),
        "latency_ms_p95": round(latencies[max(0, int(len(latencies) * 0.95) - 1)], 2),
    }


def print_errors(rows: list[Parsed]) -> None:
    confusions = Counter((r.intent, r.predicted) for r in rows if r.intent != r.predicted)
    for (intent, predicted), count in confusions.most_common():
        print(f"{count:4d}  {intent} -> {predicted}", file=sys.stderr)
    for r in rows:
        if r.intent != r.predicted:
            print(f"  [{r.language}] {r.intent} -> {r.predicted}: {r.text}", file=sys.stderr)
        if r.gold != r.found:
            print(
                f"  [{r.language}] entities missed {sorted(r.gold - r.found)} "
                f"extra {sorted(r.found - r.gold)}: {r.text}",
                file=sys.stderr,
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="model archive (default: newest in models/)")
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "nlu", help="NLU test data")
    parser.add_argument("--name", default="nlu", help="benchmark name in results/bench.jsonl")
    parser.add_argument("--errors", action="store_true", help="list misclassified examples")
    parser.add_argument(
        "--results", type=Path, help="JSON-lines file (default: results/bench.jsonl)"
    )
    args = parser.parse_args(argv)

    model = args.model or newest_model(ROOT / "models")
    if not model.is_file():
        raise SystemExit(f"error: --model {model} is not a file")
    if not args.data.exists():
        raise SystemExit(f"error: --data {args.data} does not exist")

    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # Rasa logs every parse at debug level otherwise.
    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)

    examples = [e for e in load_data(str(args.data)).intent_examples if e.get("text")]
    if not examples:
        raise SystemExit(f"error: no intent examples in {args.data}")
    types = {e["entity"] for ex in examples for e in ex.get("entities") or []}
    rows = asyncio.run(parse_all(model, examples, types))

    by_language: dict[str, list[Parsed]] = defaultdict(list)
    for row in rows:
        by_language[row.language].append(row)
    if args.errors:
        print_errors(rows)
    figures: dict[str, Any] = {
        "model": model.name,
        "data": str(args.data.relative_to(ROOT) if args.data.is_relative_to(ROOT) else args.data),
        "entity_types": sorted(types - IGNORED_ENTITIES),
        "all": figures_for(rows),
    }
    figures.update({lang: figures_for(by_language[lang]) for lang in sorted(by_language)})
    record(args.name, figures, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
