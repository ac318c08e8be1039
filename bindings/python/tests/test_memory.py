"""No leak: 100,000 rounds of create / add / search / close (and every tenth a
failed search), and 10,000 filtered searches, keep RSS flat."""

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


FILTER_ROUNDS = 10_000
FILTER_WARMUP = 1_000


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_filtered_searches_and_filters_do_not_grow_rss():
    """Each kind of filter, made and dropped 10,000 times (a predicate that raises
    among them), in single and batch searches: no filter, handle or exception is kept."""
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(200, 8)).astype(np.float32)
    queries = vectors[:4] + 0.01
    allowed = np.arange(0, 200, 3, dtype=np.uint64)

    def boom(i: int) -> bool:
        raise RuntimeError(f"no {i}")

    start = time.perf_counter()
    after_warmup = 0.0
    with vdb.Index(8, m=4, ef_construction=16, threads=2) as index:
        index.add(vectors)
        for i in range(1, FILTER_ROUNDS + 1):
            kind = i % 4
            query = queries if i % 2 else queries[0]
            if kind == 0:
                ids, _ = index.search(query, k=3, filter=allowed)
            elif kind == 1:
                ids, _ = index.search(query, k=3, filter=lambda n: n % 3 == 0)
            elif kind == 2:
                with vdb.Filter(allowed) as reused:
                    ids, _ = index.search(query, k=3, filter=reused)
            else:
                try:
                    index.search(query, k=3, filter=boom)
                except RuntimeError:
                    pass
            if i == FILTER_WARMUP:
                after_warmup = rss_mb()
    final = rss_mb()
    growth = final - after_warmup
    print(
        f"\nfiltered: RSS after {FILTER_WARMUP:,} rounds: {after_warmup:.1f} MB; after {FILTER_ROUNDS:,}: "
        f"{final:.1f} MB; growth {growth:+.2f} MB; {time.perf_counter() - start:.1f} s"
    )
    assert growth < ALLOWED_GROWTH_MB
