"""The registry of bench steps and the timing helpers they share."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable

STEPS: list[tuple[str, Callable[[dict], dict]]] = []


def step(name: str):
    def register(function):
        STEPS.append((name, function))
        return function

    return register


def peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def timed_repeats(function: Callable[[], int], repeats: int) -> dict:
    """Run `function` `repeats` times after one warm-up; p50/p95 in seconds."""
    function()
    durations, rows = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        rows = function()
        durations.append(time.perf_counter() - started)
    durations.sort()
    return {
        "seconds": round(sum(durations), 4),
        "p50": round(statistics.median(durations), 5),
        "p95": round(durations[max(0, int(len(durations) * 0.95) - 1)], 5),
        "repeats": repeats,
        "rows": rows,
    }
