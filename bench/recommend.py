"""Recommendation quality on UCI Online Retail with a time split.

Rules (and the segments used by the fallback) are learnt from invoices before
SPLIT; for every customer who buys again afterwards, the products they buy
after SPLIT and had not bought before are held out. We recommend from their
earlier history and measure:
  hit rate@5  share of customers with at least one held-out product in the top 5
  recall@10   held-out products found in the top 10 / held-out products (mean over customers)
for our ranking (rules, then segment favourites, then shop best sellers; see
crm_engine.recommendations), for rules alone, and for the popularity baseline
(shop best sellers not yet bought). Run: `.venv/bin/python -m bench.recommend`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.association import DATASETS, load_online_retail
from bench.results import record

SPLIT = pd.Timestamp("2011-09-01")
SUPPORTS = (0.02, 0.01, 0.005)
MIN_CONFIDENCE = 0.1


def _orders_frame(lines: pd.DataFrame) -> pd.DataFrame:
    """Invoices as rfm.ORDER_COLUMNS (every sold invoice is a delivered purchase)."""
    cents = (lines["Quantity"] * lines["UnitPrice"] * 100).round().astype(np.int64)
    invoices = (
        lines.assign(cents=cents)
        .groupby("InvoiceNo")
        .agg(
            customer_code=("CustomerID", "first"),
            placed_at=("InvoiceDate", "min"),
            total_cents=("cents", "sum"),
        )
    )
    return pd.DataFrame(
        {
            "customer_code": invoices["customer_code"].to_numpy(),
            "order_number": invoices.index.to_numpy(),
            "placed_at": invoices["placed_at"].to_numpy(),
            "status": "delivered",
            "total_cents": invoices["total_cents"].to_numpy(),
            "refunded_cents": 0,
        }
    )


class RuleIndex:
    """Finds the rules whose antecedents a customer owns with one bincount, not a scan."""

    def __init__(self, rules: pd.DataFrame) -> None:
        self.rules = rules.reset_index(drop=True)
        self.sizes = self.rules["antecedents"].map(len).to_numpy()
        by_item: dict[str, list[int]] = {}
        for i, antecedent in enumerate(self.rules["antecedents"]):
            for item in antecedent:
                by_item.setdefault(item, []).append(i)
        self.by_item = {item: np.array(ids) for item, ids in by_item.items()}

    def applicable(self, owned: set[str]) -> pd.DataFrame:
        hits = [self.by_item[i] for i in owned if i in self.by_item]
        if not hits:
            return self.rules.iloc[:0]
        counts = np.bincount(np.concatenate(hits), minlength=len(self.rules))
        return self.rules.iloc[np.flatnonzero(counts == self.sizes)]


def _score(recommended: list[list[str]], held_out: list[set[str]]) -> dict[str, float]:
    hits = [bool(set(r[:5]) & h) for r, h in zip(recommended, held_out, strict=True)]
    recall = [len(set(r[:10]) & h) / len(h) for r, h in zip(recommended, held_out, strict=True)]
    return {
        "hit_rate_at_5": round(float(np.mean(hits)), 4),
        "recall_at_10": round(float(np.mean(recall)), 4),
    }


def run(root: Path) -> dict:
    from crm_engine.analyze import top_products
    from crm_engine.association import baskets_from_lines, mine_rules
    from crm_engine.recommendations import rank_items
    from crm_engine.rfm import rfm_scores, rfm_table
    from crm_engine.segmentation import CustomerSegmenter

    sold = load_online_retail(root)
    train, test = sold[sold["InvoiceDate"] < SPLIT], sold[sold["InvoiceDate"] >= SPLIT]
    known = train.dropna(subset=["CustomerID"])
    history = known.groupby("CustomerID")["StockCode"].agg(set)
    later = test.dropna(subset=["CustomerID"]).groupby("CustomerID")["StockCode"].agg(set)
    customers = [c for c in later.index if c in history.index and later[c] - history[c]]
    held_out = [later[c] - history[c] for c in customers]

    table = rfm_scores(rfm_table(_orders_frame(known), as_of=SPLIT))
    segment_of = pd.Series(CustomerSegmenter().fit_predict(table), index=table.index)
    pairs = known.rename(columns={"CustomerID": "customer_code", "StockCode": "sku"})
    favourites = top_products(pairs, segment_of, limit=60)
    shares = {
        code: [(sku, buyers / max(int((segment_of == code).sum()), 1)) for sku, buyers in items]
        for code, items in favourites.items()
        if code != "all"
    }
    shop = [(sku, buyers / len(table)) for sku, buyers in favourites["all"]]
    empty_rules = pd.DataFrame(
        columns=["antecedents", "consequents", "confidence", "lift", "support"]
    )

    baseline = [
        [
            item
            for item, *_ in rank_items(
                empty_rules, history[c], fallbacks=[("popular", shop)], limit=10
            )
        ]
        for c in customers
    ]
    figures = {
        "split": SPLIT.date().isoformat(),
        "train_invoices": int(train["InvoiceNo"].nunique()),
        "customers_evaluated": len(customers),
        "mean_held_out_products": round(float(np.mean([len(h) for h in held_out])), 1),
        "segments": int(segment_of.nunique()),
        "popularity_baseline": _score(baseline, held_out),
        "by_min_support": [],
    }
    baskets = baskets_from_lines(train, basket="InvoiceNo", item="StockCode")
    for support in SUPPORTS:
        started = time.perf_counter()
        _, rules = mine_rules(
            baskets, min_support=support, min_confidence=MIN_CONFIDENCE, max_len=4
        )
        mine_seconds = time.perf_counter() - started
        started = time.perf_counter()
        index = RuleIndex(rules)
        ours, rules_only = [], []
        for c in customers:
            owned = history[c]
            applicable = index.applicable(owned)
            fallbacks = [("segment", shares.get(segment_of.get(c), [])), ("popular", shop)]
            ranked = rank_items(applicable, owned, fallbacks=fallbacks, limit=10)
            ours.append([item for item, *_ in ranked])
            rules_only.append([item for item, _, reason, _ in ranked if reason == "rules"])
        entry = {
            "min_support": support,
            "rules": len(rules),
            "mine_seconds": round(mine_seconds, 2),
            "recommend_ms_per_customer": round(
                1000 * (time.perf_counter() - started) / len(customers), 2
            ),
            "rule_coverage": round(float(np.mean([bool(r) for r in rules_only])), 4),
            "ours": _score(ours, held_out),
            "rules_only": _score(rules_only, held_out),
        }
        print(
            f"min_support={support}: {entry['rules']} rules, ours {entry['ours']}, rules only "
            f"{entry['rules_only']} (coverage {entry['rule_coverage']}), "
            f"popularity {figures['popularity_baseline']}",
            flush=True,
        )
        figures["by_min_support"].append(entry)
    figures["load_average"] = os.getloadavg()[0]
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    args = parser.parse_args(argv)
    if not (args.datasets / "uci_online_retail").is_dir():
        print(f"bench.recommend: skipped, datasets not found under {args.datasets}")
        return 0
    record("recommend", run(args.datasets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
