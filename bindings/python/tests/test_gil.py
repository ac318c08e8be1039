"""A search releases the GIL: another Python thread keeps running while it is in C.

The measure: a thread counts in a Python loop and notes (time, count) every
1,000 steps. A call is timed from just before to just after; the steps the
counter took well inside that span (a margin at each end covers the Python
code on either side of the C call) can only have happened while the calling
thread did not hold the GIL. A control call that holds the GIL for its whole
length (re's backtracking, C code that never releases it) must show none, so
the measure itself is proven; the search must show many. Nothing depends on
how fast the machine is: a call is made longer until it lasts long enough.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from typing import Callable, List, Tuple

import numpy as np
import pytest

import vdb
from conftest import clustered

LONG_ENOUGH_S = 0.6
STEPS_PER_NOTE = 1000


def margin() -> float:
    return max(0.1, 20 * sys.getswitchinterval())


def counter_progress_during(call: Callable[[], object]) -> Tuple[float, int]:
    """(seconds the call took, counter steps taken well inside that span)."""
    notes: List[Tuple[float, int]] = []
    running = True

    def count() -> None:
        steps = 0
        while running:
            steps += 1
            if steps % STEPS_PER_NOTE == 0:
                notes.append((time.perf_counter(), steps))

    counter = threading.Thread(target=count, daemon=True)
    counter.start()
    try:
        while not notes:  # the counter is running before the call starts
            time.sleep(0.001)
        start = time.perf_counter()
        call()
        end = time.perf_counter()
    finally:
        running = False
        counter.join()
    inside = [steps for t, steps in notes if start + margin() <= t <= end - margin()]
    return end - start, (inside[-1] - inside[0] if len(inside) > 1 else 0)


def measure_long_call(make_call: Callable[[int], Callable[[], object]], size: int, grow: Callable[[int], int]):
    """counter_progress_during(make_call(size)), size grown until the call takes LONG_ENOUGH_S."""
    for _ in range(30):
        seconds, steps = counter_progress_during(make_call(size))
        if seconds >= LONG_ENOUGH_S:
            return seconds, steps
        size = grow(size)
    pytest.fail("could not make a call long enough")  # pragma: no cover


def test_the_measure_sees_a_call_that_holds_the_gil():
    pattern = re.compile(r"(a+)+b")  # backtracking: 2**n steps in C, GIL held throughout
    seconds, steps = measure_long_call(lambda n: (lambda: pattern.match("a" * n)), 18, lambda n: n + 1)
    print(f"\nGIL held for {seconds:.2f} s: counter steps inside {steps}")
    assert seconds >= LONG_ENOUGH_S and steps == 0


@pytest.fixture(scope="module")
def one_thread_index():
    # One worker thread: the batch keeps one core busy, the counter has the other.
    index = vdb.Index(32, threads=1, ef_construction=64, seed=3)
    index.add(clustered(5000, 32))
    yield index
    index.close()


@pytest.mark.parametrize("kind", ["plain", "allow-list"])
def test_a_batch_search_lets_other_threads_run(one_thread_index, kind):
    queries = clustered(500, 32, seed=8)
    allowed = vdb.Filter(np.arange(0, 5000, 2)) if kind == "allow-list" else None

    def make_call(repeats: int) -> Callable[[], object]:
        batch = np.tile(queries, (repeats, 1))
        return lambda: one_thread_index.search(batch, k=10, ef=200, filter=allowed)

    seconds, steps = measure_long_call(make_call, 1, lambda r: r * 2)
    print(f"\n{kind} batch search of {seconds:.2f} s: counter steps inside {steps:,}")
    assert seconds >= LONG_ENOUGH_S
    # Holding the GIL would give 0 (see the control above); a Python loop
    # takes millions of steps a second, so 100,000 is a wide margin even on
    # a loaded machine.
    assert steps >= 100_000
