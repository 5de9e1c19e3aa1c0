"""Fewer full garbage collections while a batch job holds a large heap until its end.

CPython's cyclic collector runs a full collection (every tracked object of the process) each
time ten younger collections have run, once the objects that survived them reach a quarter of
the long-lived ones. A 采集表 of 10,000 households keeps about a million objects alive until its
last row (the rows read, the households and members built and checked), so the heap grows by a
quarter again and again: nine full collections in its preview and commit, 1.4 s of 11 s, that
free nothing, since what they traverse is still in use.

While a transfer job runs (core/transfer.py run_job) a full collection waits for a hundred
younger ones instead of ten. The young collections, which free the short-lived cycles a row
leaves behind, run as before; the peak memory of an import is the same (bench/RESULTS.md). The
process's thresholds come back when the last job running in it ends.
"""

import contextlib
import gc
import threading
from collections.abc import Iterator

FULL_COLLECTION_EVERY = 100  # younger collections between two full ones during a batch (CPython's default: 10)

_lock = threading.Lock()
_running = 0  # batches running in this process (a worker may run jobs on threads)
_saved: tuple[int, int, int] = gc.get_threshold()


@contextlib.contextmanager
def fewer_full_collections() -> Iterator[None]:
    """Postpone full collections for the block; the thresholds are restored when the last block ends."""
    global _running, _saved
    with _lock:
        if _running == 0:
            _saved = gc.get_threshold()
            young, middle, full = _saved
            gc.set_threshold(young, middle, max(full, FULL_COLLECTION_EVERY))
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0:
                gc.set_threshold(*_saved)
