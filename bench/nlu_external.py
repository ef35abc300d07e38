"""NLU on customer messages the team never saw: the public Bitext customer-support sample.

tests/nlu is held out from training but was written by the same team (and its
errors guided later training data), so it may flatter the model. This benchmark
parses the English Bitext sample in ../shared/datasets/en_bitext_cs_llm_sample
(4,514 messages, 27 intents) and scores the intents that mean the same as ours
(MAPPING); intents with no counterpart (accounts, newsletters) or with two
(`delivery_period` is both "when does my order come" and "how long does delivery
take") are left out. Skips with a message when the dataset is absent.

Run with the Rasa environment: `.venv-rasa/bin/python -m bench.nlu_external`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.nlu import figures_for, newest_model, parse_all  # noqa: E402
from bench.results import record  # noqa: E402

DATASET = (
    ROOT.parent
    / "shared"
    / "datasets"
    / "en_bitext_cs_llm_sample"
    / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
)
# Bitext intent -> ours.
MAPPING = {
    "track_order": "order_status",
    "cancel_order": "cancel_order",
    "change_shipping_address": "change_address",
    "get_refund": "refund_request",
    "track_refund": "refund_status",
    "delivery_options": "delivery_inquiry",
    "contact_human_agent": "human_handoff",
    "complaint": "complaint",
    "review": "provide_feedback",
    "get_invoice": "invoice_request",
    "payment_issue": "payment_issue",
}


def load_examples(path: Path) -> list:
    """Rasa messages (text, our intent) for the mapped rows of the CSV."""
    from rasa.shared.nlu.training_data.message import Message

    with path.open(encoding="utf-8", newline="") as fh:
        return [
            Message(data={"text": row["instruction"].strip(), "intent": MAPPING[row["intent"]]})
            for row in csv.DictReader(fh)
            if row["intent"] in MAPPING and row["instruction"].strip()
        ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="model archive (default: newest in models/)")
    parser.add_argument("--data", type=Path, default=DATASET, help="the Bitext CSV")
    parser.add_argument(
        "--results", type=Path, help="JSON-lines file (default: results/bench.jsonl)"
    )
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(
            f"bench.nlu_external: skipped, {args.data} not found (../shared/datasets is optional)"
        )
        return 0
    model = args.model or newest_model(ROOT / "models")

    import logging

    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)

    rows = asyncio.run(parse_all(model, load_examples(args.data), types=set()))
    confusions = Counter((r.intent, r.predicted) for r in rows if r.intent != r.predicted)
    figures = figures_for(rows)
    for key in ("entities", "entities_by_type"):  # this sample's entities are not ours
        figures.pop(key)
    figures["per_intent_accuracy"] = {
        intent: round(
            sum(r.predicted == intent for r in rows if r.intent == intent)
            / sum(r.intent == intent for r in rows),
            4,
        )
        for intent in sorted(set(MAPPING.values()))
    }
    figures["top_confusions"] = [
        {"intent": i, "predicted": p, "count": n} for (i, p), n in confusions.most_common(10)
    ]
    record(
        "nlu_external",
        {"model": model.name, "dataset": args.data.parent.name, **figures},
        args.results,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
