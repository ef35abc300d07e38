"""Append a benchmark's figures to results/bench.jsonl and print them.

One JSON object per line: {name, date, machine: {platform, python, cpu_count,
load_average_1m}, figures}. Every benchmark writes through `record`, so runs
from different machines and days stay comparable. Standard library only:
benchmarks run in both .venv and .venv-rasa.
"""

from __future__ import annotations

import json
import os
import platform
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[1] / "results" / "bench.jsonl"


def machine() -> dict[str, Any]:
    """Where the figures were measured, and how busy the machine was (timings depend on it)."""
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def record(name: str, figures: dict[str, Any], path: Path | None = None) -> dict[str, Any]:
    """Append one benchmark record to `path` (default results/bench.jsonl); return it."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    if not isinstance(figures, dict) or not figures:
        raise ValueError(f"figures must be a non-empty dict, got {figures!r}")
    entry = {
        "name": name,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "figures": figures,
    }
    line = json.dumps(entry, ensure_ascii=False, default=_plain)
    path = RESULTS if path is None else Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")  # one write per record: concurrent runs do not interleave lines
    print(json.dumps(json.loads(line), ensure_ascii=False, indent=2))
    return entry


def _plain(value: Any) -> Any:
    # Money stays exact as text; numpy scalars become Python numbers.
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in a benchmark record: {value!r}")
