#!/usr/bin/env bash
# Every test, in order of cost. Called by `make test` (and so by .ci/run) with
# scripts/env.sh sourced. A pytest run that collects nothing fails (exit 5).
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()

step() {  # step NAME COMMAND...
  local name=$1; shift
  echo "=== $name"
  "$@"
  local rc=$?
  if [ $rc -eq 5 ]; then
    echo "!!! $name: pytest collected no tests" >&2
  fi
  [ $rc -eq 0 ] || failed+=("$name (exit $rc)")
}

step "ruff" .venv/bin/ruff check .
step "ruff format" .venv/bin/ruff format --check .
# Warnings are not fatal: responses uttered only by custom actions always warn "not used in any story".
step "rasa data validate" .venv-rasa/bin/rasa data validate --domain domain \
  --data data/nlu data/rules data/stories
step "pytest (.venv-rasa: bot components)" .venv-rasa/bin/python -m pytest tests/bot -q
step "pytest (.venv: CRM, actions, console, end to end)" .venv/bin/python -m pytest tests -q \
  --ignore=tests/bot
step "rasa test stories" .venv-rasa/bin/rasa test core --model models/shopbot.tar.gz \
  --stories tests --fail-on-prediction-errors --out var/test-results

if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "All test steps passed."
