"""The latency benchmark's CPU accounting counts a process's children (Sanic serves from one)."""

from __future__ import annotations

import subprocess
import sys
import time

from bench.latency import process_tree_cpu_seconds

# A child that keeps a core busy for 3 s of wall time, under a parent that only waits.
BUSY_CHILD = "import time\nend = time.time() + 3\nwhile time.time() < end: pass\n"
PARENT = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {BUSY_CHILD!r}])"


def test_cpu_used_by_a_child_process_is_counted():
    parent = subprocess.Popen([sys.executable, "-c", PARENT])
    try:
        time.sleep(0.8)
        before = process_tree_cpu_seconds(parent.pid)
        time.sleep(1.0)
        used = process_tree_cpu_seconds(parent.pid) - before
    finally:
        parent.kill()
        parent.wait()
    # The parent alone uses ~0 s; the busy child about 1 s of this second.
    assert used > 0.3, used
