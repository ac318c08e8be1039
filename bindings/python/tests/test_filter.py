"""Filtered search: filter= as an array of ids, a callable and a vdb.Filter."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

import vdb
from conftest import brute_force_l2, clustered

ALL = 5000  # the session index `built` holds ids 0 .. 4999


def allowed_ids(share: float, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(ALL, max(1, int(ALL * share)), replace=False)).astype(np.uint64)


def as_kind(kind: str, allowed: np.ndarray):
    """The same allow-list as each kind of filter= argument."""
    if kind == "array":
        return allowed
    if kind == "list":
        return allowed.tolist()
    if kind == "callable":
        members = set(allowed.tolist())
        return lambda i: i in members
    return vdb.Filter(allowed)


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    return sum(len(set(f.tolist()) & set(e.tolist())) for f, e in zip(found, exact)) / exact.size


# From the graph walk (most ids allowed) to an exact scan (few allowed).
@pytest.mark.parametrize("share", [0.9, 0.5, 0.1, 0.01])
def test_filtered_recall_against_brute_force_among_the_allowed(built, data, queries, share):
    allowed = allowed_ids(share)
    k = 10
    ids, distances = built.search(queries, k=k, ef=64, filter=allowed)
    exact = allowed[brute_force_l2(data[allowed.astype(np.int64)], queries, k)]
    r = recall(ids, exact)
    print(f"filtered recall@{k}, {len(allowed)} of {ALL} allowed: {r:.4f}")
    assert r >= 0.95
    # Distances are those of the ids returned, nearest first.
    expected = ((data[ids.astype(np.int64)] - queries[:, None, :]) ** 2).sum(-1)
    np.testing.assert_allclose(distances, expected, rtol=1e-4, atol=1e-3)
    assert np.all(np.diff(distances, axis=1) >= 0)


@pytest.mark.parametrize("share", [0.9, 0.5, 0.1, 0.01, 0.001])
def test_results_are_always_allowed(built, queries, share):
    allowed = allowed_ids(share, seed=4)
    members = set(allowed.tolist())
    for kind in ("array", "callable", "Filter"):
        ids, _, found = built.search(queries[:40], k=10, filter=as_kind(kind, allowed), return_found=True)
        assert all(i in members for i in ids.ravel().tolist() if i != vdb.NO_ID), kind
        assert np.all(found == min(10, len(allowed)))


@pytest.mark.parametrize("share", [0.5, 0.1, 0.004])
def test_the_same_ids_from_every_kind_of_filter(built, queries, share):
    allowed = allowed_ids(share, seed=5)
    expected, expected_d = built.search(queries[:30], k=8, filter=allowed)
    for kind in ("list", "callable", "Filter"):
        ids, distances = built.search(queries[:30], k=8, filter=as_kind(kind, allowed))
        np.testing.assert_array_equal(ids, expected, err_msg=kind)
        np.testing.assert_array_equal(distances, expected_d, err_msg=kind)
        for q in (0, 17):  # one query at a time gives what the batch gives
            one_ids, _ = built.search(queries[q], k=8, filter=as_kind(kind, allowed))
            np.testing.assert_array_equal(one_ids, expected[q], err_msg=kind)


def test_fewer_allowed_than_k(built, queries):
    ids, distances, found = built.search(queries[0], k=5, filter=[3, 17, 10**9], return_found=True)
    assert found == 2 and sorted(ids[:2].tolist()) == [3, 17]  # 10**9 is not in the index: ignored
    assert ids[2:].tolist() == [vdb.NO_ID] * 3 and np.all(np.isinf(distances[2:]))
    for nothing in ([], np.array([], np.uint64), lambda i: False, vdb.Filter([])):
        ids, _, found = built.search(queries[:3], k=4, filter=nothing, return_found=True)
        assert np.all(found == 0) and np.all(ids == vdb.NO_ID)


def test_every_iterable_of_ids_is_an_allow_list(built, queries):
    expected, _ = built.search(queries[0], k=3, filter=np.arange(100, 200))
    for ids in (
        list(range(100, 200)),
        tuple(range(100, 200)),
        range(100, 200),
        set(range(100, 200)),
        frozenset(range(100, 200)),
        (i for i in range(100, 200)),
        np.arange(100, 200, dtype=np.int32),
        np.arange(100, 200, dtype=np.uint16),
        np.repeat(np.arange(100, 200), 2)[::2],  # a strided view
        list(range(100, 200)) + [150, 150, 2**64 - 2],  # repeats, and an id past int64
    ):
        got, _ = built.search(queries[0], k=3, filter=ids)
        np.testing.assert_array_equal(got, expected)


def test_deleted_ids_are_never_returned_even_when_allowed(data):
    with vdb.Index(32, threads=2) as index:
        index.add(data[:500])
        index.delete([7, 8])
        for f in ([7, 8, 9], lambda i: i in (7, 8, 9), vdb.Filter([7, 8, 9])):
            ids, _, found = index.search(data[7], k=3, filter=f, return_found=True)
            assert found == 1 and ids[0] == 9


def test_a_callable_sees_int_ids_and_its_result_is_taken_as_a_truth_value(built, queries):
    seen = set()

    def even(i):
        seen.add(type(i))
        return np.bool_(i % 2 == 0)  # any truthy / falsy value

    ids, _ = built.search(queries[:10], k=5, filter=even)
    assert seen == {int}
    assert all(i % 2 == 0 for i in ids.ravel().tolist())


class Boom(Exception):
    pass


@pytest.mark.parametrize("batch", [False, True])
def test_an_exception_in_a_callable_filter_is_raised_by_search(built, queries, batch):
    calls = []

    def explode(i):
        calls.append(i)
        if len(calls) == 5:
            raise Boom(f"no id {i}")
        return True

    q = queries[:20] if batch else queries[0]
    with pytest.raises(Boom, match="no id") as e:
        built.search(q, k=5, filter=explode)
    assert e.value.__traceback__ is not None
    # Not called again after it raised (in a batch, another worker thread
    # may have been inside its own call at that moment).
    most = 5 + (os.cpu_count() or 1) if batch else 5
    assert 5 <= len(calls) <= most
    # The index is fine afterwards.
    ids, _ = built.search(queries[0], k=3, filter=lambda i: i % 2 == 1)
    assert all(i % 2 == 1 for i in ids.tolist())


def test_a_callable_that_raises_from_the_worker_threads(data, queries):
    with vdb.Index(32, threads=2) as index:
        index.add(data[:2000])
        threads_seen = set()
        lock = threading.Lock()

        calls = [0]

        def flaky(i):
            with lock:
                threads_seen.add(threading.get_ident())
                calls[0] += 1
                if calls[0] == 500:
                    raise Boom(i)
            return i % 3 == 0

        with pytest.raises(Boom):
            index.search(queries[:200], k=10, filter=flaky)
        # A predicate that does not raise gives what the allow-list gives, from all worker threads.
        allowed = np.arange(0, 2000, 3)
        expected, _ = index.search(queries[:200], k=10, filter=allowed)
        got, _ = index.search(queries[:200], k=10, filter=lambda i: i % 3 == 0)
        np.testing.assert_array_equal(got, expected)
        print(f"\npredicate called from {len(threads_seen)} threads")


def test_a_callable_filter_must_not_use_its_own_index(built, queries):
    for misuse in (lambda i: i in built, lambda i: len(built) > 0, lambda i: built.get(i) is None):
        with pytest.raises(vdb.InvalidArgumentError, match="must not use the index it filters") as e:
            built.search(queries[0], k=3, filter=misuse)
        assert e.value.code == vdb._native.lib.VDB_EINVAL
    # From the worker threads of a batch too, and for a writer, which would otherwise
    # wait forever for the search that called it (run apart: a hang fails, not blocks).
    with vdb.Index(32, threads=2) as index:
        index.add(queries[:100])
        outcome = []

        def misuse_from_workers():
            try:
                index.search(queries[:50], k=3, filter=lambda i: index.delete([i]))
            except vdb.InvalidArgumentError as err:
                outcome.append(err.message)

        searcher = threading.Thread(target=misuse_from_workers, daemon=True)
        searcher.start()
        searcher.join(timeout=60)
        assert not searcher.is_alive() and outcome and "must not use the index it filters" in outcome[0]
        assert len(index) == 100
        index.delete([0])  # usable afterwards
    # Another index is fine.
    with vdb.Index(32) as other:
        other.add(queries[:10], ids=[1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        ids, _ = built.search(queries[0], k=3, filter=lambda i: i in other)
        assert set(ids.tolist()) <= set(range(1, 11))


def test_bad_filters(built, queries):
    for bad in (
        "1, 2, 3",
        b"\x01",
        5,  # one id is not a list of ids
        2.5,
        [1.5, 2.0],
        np.array([1.0, 2.0]),
        [-1, 2],
        np.array([-1, 2]),
        [2**64],
        [[1, 2], [3, 4]],
        np.zeros((2, 2), np.uint64),
        [True, False],
        {1: "a"},
        object(),
    ):
        with pytest.raises(vdb.InvalidArgumentError) as e:
            built.search(queries[0], k=3, filter=bad)
        assert "filter" in e.value.message, bad
    with pytest.raises(vdb.InvalidArgumentError, match="pass a callable"):
        vdb.Filter(lambda i: True)
    with pytest.raises(vdb.InvalidArgumentError):
        vdb.Filter([1.5])
    closed = vdb.Filter([1, 2])
    closed.close()
    with pytest.raises(vdb.InvalidArgumentError, match="closed"):
        built.search(queries[0], k=3, filter=closed)


def test_filter_object_lifetime(built, queries):
    with vdb.Filter(range(10)) as f:
        assert not f.closed and repr(f) == "<vdb.Filter of 10 ids>"
        ids, _ = built.search(queries[0], k=3, filter=f)
        assert set(ids.tolist()) <= set(range(10))
    assert f.closed and repr(f) == "<vdb.Filter closed>"
    f.close()  # idempotent
    source = np.arange(10, dtype=np.uint64)
    g = vdb.Filter(source)
    source[:] = 4000  # the filter copied the ids
    assert set(built.search(queries[0], k=3, filter=g)[0].tolist()) <= set(range(10))
    del g  # released by the garbage collector


def test_one_filter_serves_many_indexes_and_threads(built, data, queries):
    allowed = vdb.Filter(np.arange(0, 1000, 7))
    expected, _ = built.search(queries, k=5, filter=allowed)
    with vdb.Index(32, threads=1) as small:
        small.add(data[:1000])
        small_expected, _ = small.search(queries, k=5, filter=allowed)
        errors = []

        def worker():
            try:
                for _ in range(10):
                    np.testing.assert_array_equal(built.search(queries, k=5, filter=allowed)[0], expected)
                    np.testing.assert_array_equal(small.search(queries, k=5, filter=allowed)[0], small_expected)
            except Exception as err:  # pragma: no cover - reported below
                errors.append(err)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
    allowed.close()


def test_closing_a_filter_while_searches_use_it_never_crashes(built, queries):
    allowed = vdb.Filter(np.arange(0, ALL, 2))
    results = []

    def worker():
        for _ in range(100):
            try:
                built.search(queries[:8], k=5, filter=allowed)
            except vdb.InvalidArgumentError:
                results.append("closed")
                return
        results.append("done")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    allowed.close()  # waits for the searches in progress
    for t in threads:
        t.join()
    assert len(results) == 4


def test_filtered_search_of_other_metrics():
    data = clustered(2000, 16, seed=12)
    queries = clustered(20, 16, seed=13)
    for metric in ("ip", "cosine"):
        with vdb.Index(16, metric=metric) as index:
            index.add(data)
            allowed = np.arange(0, 2000, 5)
            plain_ids, _ = index.search(queries, k=5, filter=allowed)
            callable_ids, _ = index.search(queries, k=5, filter=lambda i: i % 5 == 0)
            assert all(i % 5 == 0 for i in plain_ids.ravel().tolist())
            np.testing.assert_array_equal(plain_ids, callable_ids)
