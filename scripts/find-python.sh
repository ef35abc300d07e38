#!/usr/bin/env bash
# Print the path of a Python interpreter of the given minor version (e.g. 3.10),
# looking on PATH first and then in pyenv's versions. Exit 1 with advice if none.
set -euo pipefail
want="$1"
for cand in "python$want" "$(command -v pyenv >/dev/null 2>&1 && pyenv root)/versions/$want"*/bin/python"$want"; do
  if [ -n "$cand" ] && command -v "$cand" >/dev/null 2>&1 && "$cand" -c "import sys; assert sys.version.startswith('$want')" 2>/dev/null; then
    command -v "$cand"
    exit 0
  fi
done
for cand in "$HOME"/.pyenv/versions/"$want"*/bin/python"$want" /usr/bin/python"$want" /usr/local/bin/python"$want"; do
  if [ -x "$cand" ]; then echo "$cand"; exit 0; fi
done
echo "error: Python $want not found. Install it (e.g. 'pyenv install $want') and run make again." >&2
exit 1
