"""No leak: 100,000 rounds of create / add / search / close (and every tenth a\nfailed search) keep RSS flat."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

import vdb

ROUNDS = 100_000
WARMUP = 10_000
ALLOWED_GROWTH_MB = 4.0


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_create_add_search_close_does_not_grow_rss():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(8, 8)).astype(np.float32)
    query = vectors[3] + 0.01
    nan_query = np.full(8, np.nan, np.float32)
    start = time.perf_counter()
    after_warmup = 0.0
    for i in range(1, ROUNDS + 1):
        index = vdb.Index(8, m=4, ef_construction=16, threads=1)
        index.add(vectors)
        ids, distances = index.search(query, k=3)
        if i % 10 == 0:  # the error path too: the C message and the exception
            try:
                index.search(nan_query, k=3)
            except vdb.InvalidArgumentError:
                pass
        if i % 2:
            index.close()  # odd rounds close explicitly, even rounds leave it to the finalizer
        del index
        if i == WARMUP:
            after_warmup = rss_mb()
    assert ids[0] == 3
    final = rss_mb()
    elapsed = time.perf_counter() - start
    growth = final - after_warmup
    print(
        f"\nRSS after {WARMUP:,} rounds: {after_warmup:.1f} MB; after {ROUNDS:,}: {final:.1f} MB; "
        f"growth {growth:+.2f} MB; {elapsed:.1f} s"
    )
    assert growth < ALLOWED_GROWTH_MB
