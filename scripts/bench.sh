#!/usr/bin/env bash
# Every benchmark; each prints its figures and appends them to results/bench.jsonl.
# `make bench ONLY="latency nlu"` runs a subset. Benchmarks on ../shared/datasets
# skip with a message when that folder is absent.
set -uo pipefail
cd "$(dirname "$0")/.."
only=" ${ONLY:-} "
failed=()

bench() {  # bench NAME PYTHON MODULE [ARGS...]
  local name=$1 py=$2; shift 2
  if [ "$only" != "  " ] && [[ "$only" != *" $name "* ]]; then return; fi
  echo "=== bench: $name"
  "$py" -m "$@" || failed+=("$name")
}

bench nlu .venv-rasa/bin/python bench.nlu
bench nlu_external .venv-rasa/bin/python bench.nlu_external
bench sentiment .venv-rasa/bin/python bench.sentiment
bench latency .venv/bin/python bench.latency
bench association .venv/bin/python bench.association
bench recommend .venv/bin/python bench.recommend
bench scale .venv/bin/python bench.scale

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED benchmarks: ${failed[*]}" >&2
  exit 1
fi
