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
    """This process's peak RSS (VmHWM: its own memory's high-water mark).

    Not getrusage's ru_maxrss: Linux carries a forked child's maxrss across exec, so a probe
    started by the bench process would report the bench process's size at the fork (with
    django-import-export loaded, 450 MiB) when its own peak was lower.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # no procfs


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
