"""build(memory=...): a vector file larger than the bound is built by
partitions, with recall against exact brute force close to a build without
a bound; a bound too small is refused with the least that would do."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import brute_force_l2, clustered

import vdb

N, DIM = 20000, 32
BOUND = 4 << 20  # the rows are 2.4 MiB and their graph about 3: partitions


@pytest.fixture(scope="module")
def rows_file(tmp_path_factory):
    rows = clustered(N, DIM, clusters=64, spread=0.3, seed=11)
    path = tmp_path_factory.mktemp("build_memory") / "rows.npy"
    np.save(path, rows)
    return path, rows


def recall(index, rows, queries, ef):
    ids, _ = index.search(queries, 10, ef=ef)
    exact = brute_force_l2(rows, queries, 10)
    return np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids.tolist(), exact.tolist())])


def test_a_bounded_build_finds_what_an_unbounded_one_does(rows_file):
    path, rows = rows_file
    queries = rows[::100] + np.float32(0.05)
    whole = vdb.Index.map_vectors(path, m=12, ef_construction=64)
    whole.build()
    parts = vdb.Index.map_vectors(path, m=12, ef_construction=64)
    parts.build(memory=BOUND)
    assert len(parts) == N
    unbounded, bounded = recall(whole, rows, queries, 32), recall(parts, rows, queries, 32)
    assert bounded >= 0.95 and bounded >= unbounded - 0.02, (bounded, unbounded)


def test_a_bound_too_small_is_refused_with_the_least_that_would_do(rows_file):
    path, _ = rows_file
    index = vdb.Index.map_vectors(path, m=12, ef_construction=64)
    with pytest.raises(vdb.InvalidArgumentError, match="give at least"):
        index.build(memory=1 << 20)
    assert len(index) == 0
    with pytest.raises(vdb.InvalidArgumentError):
        index.build(memory=0)
    with pytest.raises(vdb.InvalidArgumentError):
        index.build(memory=-1)
    index.build(memory=BOUND, progress=lambda done, total: None)
    assert len(index) == N
