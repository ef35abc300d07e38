"""Latency through the REST channel for a turn that runs a CRM-backed action.

Starts the real stack (scripts/stack.py) on a throw-away SQLite CRM with a demo shop,
verifies one order, then asks for its status over and over: each such turn runs NLU,
the dialogue policies, the order-status action and its database queries.

Reports: Rasa server start-up time; p50/p99 with 1 and with 8 concurrent
conversations and the throughput; p50 around turn 5 versus around turn 200 of one
long conversation. Run with .venv python: `python -m bench.latency`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench.results import record
from scripts.stack import ROOT, Conversation, Stack, isolated_env, load_demo_shop

ORDER = "SO20000003"
PHONE_LAST4 = "8000"
QUESTIONS = [f"我的订单{ORDER}到哪了", f"where is my order {ORDER}"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def verified_conversation(stack: Stack, sender: str) -> Conversation:
    """A conversation that has proved it owns ORDER, so status questions go straight to the CRM."""
    conv = Conversation(stack.rasa_url, sender=sender)
    conv.say(QUESTIONS[0])
    replies = " ".join(conv.say(PHONE_LAST4))
    if ORDER not in replies:
        raise RuntimeError(f"verification of {ORDER} failed; the bot said: {replies!r}")
    return conv


def timed_turns(conv: Conversation, turns: int) -> list[float]:
    """Milliseconds per turn; every reply must mention the order (a real CRM answer)."""
    out = []
    for i in range(turns):
        question = QUESTIONS[i % 2]
        start = time.perf_counter()
        texts = conv.say(question)
        out.append((time.perf_counter() - start) * 1000)
        if not any(ORDER in t for t in texts):
            raise RuntimeError(f"turn {i}: no order status in reply {texts!r}")
    return out


def process_tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its children (Linux /proc).

    Sanic serves from a child process, so the action server's work is in the child.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(stat[11]) + int(stat[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue  # a process that ended in between
    return total


def server_cpu_ms(stack: Stack) -> dict[str, float]:
    return {
        name: process_tree_cpu_seconds(proc.pid) * 1000 for name, proc in stack.processes.items()
    }


def concurrent(stack: Stack, conversations: int, turns: int) -> tuple[list[float], float]:
    convs = [
        verified_conversation(stack, f"bench-c{conversations}-{i}") for i in range(conversations)
    ]
    results: list[list[float]] = [[] for _ in convs]

    def run(i: int) -> None:
        results[i] = timed_turns(convs[i], turns)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(convs))]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    latencies = [x for r in results for x in r]
    if len(latencies) != conversations * turns:
        raise RuntimeError("a conversation thread failed; see the error above")
    return latencies, len(latencies) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=100, help="turns for the 1-conversation run")
    parser.add_argument("--long", type=int, default=205, help="length of the long conversation")
    args = parser.parse_args()
    model = ROOT / "models" / "shopbot.tar.gz"

    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        work = Path(tmp)
        env = isolated_env(work)
        load_demo_shop(env, customers=300, orders=3000)
        stack = Stack(
            env=env,
            rasa_port=int(env["RASA_PORT"]),
            action_port=int(env["ACTION_PORT"]),
            model=model,
            log_dir=work / "logs",
        )
        started = time.perf_counter()
        stack.start()
        startup_s = time.perf_counter() - started
        try:
            warm = verified_conversation(stack, "bench-warm")
            timed_turns(warm, 10)

            conv = verified_conversation(stack, "bench-single")
            cpu_before = server_cpu_ms(stack)
            single = timed_turns(conv, args.turns)
            # CPU per turn holds up on a busy machine, where wall-clock latency does not.
            cpu_per_turn = {
                name: round((used - cpu_before[name]) / len(single), 1)
                for name, used in server_cpu_ms(stack).items()
            }
            multi, throughput = concurrent(stack, conversations=8, turns=max(10, args.turns // 4))
            long_run = timed_turns(verified_conversation(stack, "bench-long"), args.long)
        finally:
            stack.stop()

    early = statistics.median(long_run[0:10])  # turns 1-10: around turn 5
    late = statistics.median(long_run[195:205] if len(long_run) >= 205 else long_run[-10:])
    figures = {
        "startup_s": round(startup_s, 1),
        "one_conversation": {
            "turns": len(single),
            "p50_ms": round(percentile(single, 50), 1),
            "p99_ms": round(percentile(single, 99), 1),
            "server_cpu_ms_per_turn": cpu_per_turn,
        },
        "eight_conversations": {
            "turns": len(multi),
            "p50_ms": round(percentile(multi, 50), 1),
            "p99_ms": round(percentile(multi, 99), 1),
            "throughput_turns_per_s": round(throughput, 1),
        },
        "long_conversation": {
            "p50_turns_1_10_ms": round(early, 1),
            "p50_turns_196_205_ms": round(late, 1),
            "ratio_late_to_early": round(late / early, 2),
        },
        "targets": {"p50_one_conversation_ms": 60, "max_ratio_late_to_early": 1.2},
    }
    record("rest_latency", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
