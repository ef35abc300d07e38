"""Association-rule mining: our engine vs mlxtend fpgrowth and apriori on real baskets.

Data: ../shared/datasets/groceries (9,835 baskets) and uci_online_retail (19,960
invoices of StockCodes). For each min support: wall time and peak memory of
finding the frequent itemsets and of deriving the rules (confidence >= 0.1),
and whether itemsets and rules are identical to mlxtend's.

Every measurement runs in a forked child process, so peak memory is the child's
peak RSS above its starting RSS (C allocations such as pyfim's included) and a
run that takes too long is stopped (apriori at low supports) and reported as
skipped. Run: `.venv/bin/python -m bench.association` (nice -n 19 on shared boxes).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from queue import Empty
from typing import Any

import pandas as pd

from bench.results import record

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
MIN_CONFIDENCE = 0.1
SUPPORTS = {"groceries": (0.01, 0.005, 0.002), "online_retail": (0.03, 0.02, 0.01, 0.005)}


def load_groceries(root: Path = DATASETS) -> list[list[str]]:
    with (root / "groceries" / "groceries.csv").open(encoding="ascii") as fh:
        return [line.rstrip("\n").split(",") for line in fh if line.strip()]


def load_online_retail(root: Path = DATASETS) -> pd.DataFrame:
    """Sold lines: Quantity > 0, UnitPrice > 0, not a cancellation invoice."""
    lines = pd.read_csv(
        root / "uci_online_retail" / "online_retail.csv.gz",
        dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str},
    )
    sold = lines[
        (lines["Quantity"] > 0) & (lines["UnitPrice"] > 0) & ~lines["InvoiceNo"].str.startswith("C")
    ].copy()
    sold["InvoiceDate"] = pd.to_datetime(sold["InvoiceDate"])
    sold["CustomerID"] = sold["CustomerID"].str.replace(r"\.0$", "", regex=True)
    return sold


def retail_baskets(sold: pd.DataFrame) -> list[list[str]]:
    from crm_engine.association import baskets_from_lines

    return baskets_from_lines(sold, basket="InvoiceNo", item="StockCode")


def _rss_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _child(fn: Callable[[], Any], queue: mp.Queue) -> None:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")  # reset the peak-RSS counter (VmHWM) to the current RSS
        start_kib = _rss_kib("VmRSS")
        started, cpu_started = time.perf_counter(), time.process_time()
        value = fn()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        queue.put(("ok", (seconds, cpu), (_rss_kib("VmHWM") - start_kib) / 1024, value))
    except BaseException:  # report any failure to the parent instead of hanging it
        queue.put(("error", 0.0, 0.0, traceback.format_exc()))


def measure(fn: Callable[[], Any], timeout: float, repeat: int = 3) -> dict[str, Any]:
    """Best of `repeat` runs (fewer when a run takes over 10 s), each in a forked child.

    Returns {seconds, cpu_seconds, peak_mib, value} or {skipped: reason}. CPU
    seconds are the child's own, so they hold up better than wall time on a
    machine shared with other jobs.
    """
    best: dict[str, Any] = {}
    for _ in range(repeat):
        result = _measure_once(fn, timeout)
        if "skipped" in result:
            return result
        if not best or result["seconds"] < best["seconds"]:
            best = result
        if result["seconds"] > 10:
            break
    return best


def _measure_once(fn: Callable[[], Any], timeout: float) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child, args=(fn, queue))
    child.start()
    try:
        status, times, peak, value = queue.get(timeout=timeout)
    except Empty:  # the child is still running
        child.kill()
        child.join()
        return {"skipped": f"did not finish within {timeout:.0f} s"}
    child.join()
    if status != "ok":
        return {"skipped": f"failed: {value.strip().splitlines()[-1]}"}
    return {
        "seconds": round(times[0], 3),
        "cpu_seconds": round(times[1], 3),
        "peak_mib": round(peak, 1),
        "value": value,
    }


def _itemset_dict(frame: pd.DataFrame) -> dict[frozenset, float]:
    return dict(zip(frame["itemsets"], frame["support"], strict=True))


def _rule_dict(frame: pd.DataFrame) -> dict[tuple, tuple]:
    from crm_engine.association import RULE_METRICS

    return {
        (a, c): tuple(m)
        for a, c, m in zip(
            frame["antecedents"],
            frame["consequents"],
            frame[list(RULE_METRICS)].itertuples(index=False),
            strict=True,
        )
    }


def _warm_up(baskets: list[list[str]], onehot: pd.DataFrame) -> None:
    """Run both miners once on a few baskets in the parent, before any measurement.

    Every measurement is a fresh fork of the parent, so lazy imports (pyfim) and
    first-call set-up would otherwise be paid again in each child; warming both
    sides keeps the comparison about mining, not imports.
    """
    from mlxtend.frequent_patterns import fpgrowth

    from crm_engine.association import association_rules, frequent_itemsets

    association_rules(frequent_itemsets(baskets[:200], min_support=0.05), min_threshold=0.5)
    fpgrowth(onehot.head(200), min_support=0.05, use_colnames=True)


def bench_dataset(
    name: str, baskets: list[list[str]], supports: tuple[float, ...], timeout: float
) -> list[dict]:
    from mlxtend.frequent_patterns import apriori, fpgrowth
    from mlxtend.frequent_patterns import association_rules as mlx_rules
    from mlxtend.preprocessing import TransactionEncoder

    from crm_engine.association import association_rules, frequent_itemsets, pyfim_available

    started = time.perf_counter()
    encoder = TransactionEncoder()
    onehot = pd.DataFrame(encoder.fit(baskets).transform(baskets), columns=encoder.columns_)
    encode_seconds = time.perf_counter() - started
    n = len(baskets)
    _warm_up(baskets, onehot)
    rows = []
    for support in supports:
        ours = measure(lambda s=support: frequent_itemsets(baskets, min_support=s), timeout)
        ref = measure(lambda s=support: fpgrowth(onehot, min_support=s, use_colnames=True), timeout)
        apr = measure(
            lambda s=support: apriori(onehot, min_support=s, use_colnames=True, low_memory=True),
            timeout,
        )
        row: dict[str, Any] = {
            "dataset": name,
            "baskets": n,
            "items": onehot.shape[1],
            "min_support": support,
            "engine": "pyfim" if pyfim_available() else "mlxtend",
            "mlxtend_onehot_seconds": round(encode_seconds, 3),
        }
        for label, result in (("ours", ours), ("mlxtend_fpgrowth", ref), ("mlxtend_apriori", apr)):
            for key in ("seconds", "cpu_seconds", "peak_mib", "skipped"):
                if key in result:
                    row[f"{label}_{key}"] = result[key]
        if "value" in ours and "value" in ref:
            found, ref_found = ours["value"], ref["value"]
            row["itemsets"] = len(found)
            row["itemsets_identical"] = _itemset_dict(found) == _itemset_dict(ref_found)
            if "value" in apr:
                row["apriori_identical"] = _itemset_dict(apr["value"]) == _itemset_dict(ref_found)
            row["speedup_vs_fpgrowth"] = round(ref["seconds"] / max(ours["seconds"], 1e-9), 1)
            row["cpu_speedup_vs_fpgrowth"] = round(
                ref["cpu_seconds"] / max(ours["cpu_seconds"], 1e-9), 1
            )
            rules = measure(
                lambda f=found: association_rules(
                    f, metric="confidence", min_threshold=MIN_CONFIDENCE
                ),
                timeout,
            )
            ref_rules = measure(
                lambda f=ref_found: mlx_rules(
                    f, num_itemsets=n, metric="confidence", min_threshold=MIN_CONFIDENCE
                ),
                timeout,
            )
            for label, result in (("ours_rules", rules), ("mlxtend_rules", ref_rules)):
                for key in ("seconds", "cpu_seconds", "peak_mib", "skipped"):
                    if key in result:
                        row[f"{label}_{key}"] = result[key]
            if "value" in rules and "value" in ref_rules:
                row["rules"] = len(rules["value"])
                row["rules_identical"] = _rule_dict(rules["value"]) == _rule_dict(
                    ref_rules["value"]
                )
        print(
            f"{name} s={support}: ours {row.get('ours_seconds')} s (cpu {row.get('ours_cpu_seconds')}) "
            f"/ {row.get('ours_peak_mib')} MiB, "
            f"fpgrowth {row.get('mlxtend_fpgrowth_seconds', row.get('mlxtend_fpgrowth_skipped'))} "
            f"(cpu {row.get('mlxtend_fpgrowth_cpu_seconds')}), "
            f"apriori {row.get('mlxtend_apriori_seconds', row.get('mlxtend_apriori_skipped'))}, "
            f"identical itemsets={row.get('itemsets_identical')} rules={row.get('rules_identical')}",
            flush=True,
        )
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per measurement")
    parser.add_argument("--quick", action="store_true", help="one support per dataset")
    parser.add_argument(
        "--results", type=Path, help="JSON-lines file (default: results/bench.jsonl)"
    )
    args = parser.parse_args(argv)
    if (
        not (args.datasets / "groceries").is_dir()
        or not (args.datasets / "uci_online_retail").is_dir()
    ):
        print(f"bench.association: skipped, datasets not found under {args.datasets}")
        return 0
    supports = {k: v[:1] if args.quick else v for k, v in SUPPORTS.items()}
    rows = bench_dataset(
        "groceries", load_groceries(args.datasets), supports["groceries"], args.timeout
    )
    rows += bench_dataset(
        "online_retail",
        retail_baskets(load_online_retail(args.datasets)),
        supports["online_retail"],
        args.timeout,
    )
    record(
        "association",
        {
            "runs": rows,
            "min_confidence": MIN_CONFIDENCE,
            "load_average": os.getloadavg()[0],
            "all_identical": all(
                r.get("itemsets_identical") and r.get("rules_identical", True) for r in rows
            ),
        },
        args.results,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
