"""A living index: delete, upsert, get, `in`, len and deleted, writable open, save in place."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import vdb
from conftest import brute_force_l2, clustered

DIM = 8


@pytest.fixture
def vectors():
    return clustered(300, DIM, seed=21)


@pytest.fixture
def index(vectors):
    with vdb.Index(DIM, threads=2) as index:
        index.add(vectors)  # ids 0 .. 299
        yield index


def top(index, query, k=1, **kwargs):
    return index.search(query, k=k, **kwargs)[0].tolist()


def test_delete_one_id_or_many(index, vectors):
    index.delete(3)
    assert len(index) == 299 and index.deleted == 1
    assert 3 not in index and 4 in index
    index.delete([4, 5])
    index.delete(np.array([6, 7], dtype=np.uint64))
    index.delete(np.array([8], dtype=np.int32))
    index.delete(range(9, 11))
    index.delete({11, 12})
    index.delete(i for i in (13, 14))
    index.delete([])  # nothing to do
    assert len(index) == 300 - 12 and index.deleted == 12
    for gone in range(3, 15):
        assert gone not in index
        assert gone not in top(index, vectors[gone], k=10)  # never returned, even for its own vector
    assert top(index, vectors[15]) == [15]


def test_delete_is_all_or_nothing(index):
    with pytest.raises(vdb.NotFoundError) as e:
        index.delete([10, 20, 999])
    assert "999" in e.value.message and e.value.code == vdb._native.lib.VDB_ENOTFOUND
    with pytest.raises(vdb.NotFoundError) as e:
        index.delete([30, 30])
    assert "30" in e.value.message and "twice" in e.value.message
    assert len(index) == 300 and index.deleted == 0
    assert all(i in index for i in (10, 20, 30))
    index.delete(10)
    with pytest.raises(KeyError):  # deleting again: not there any more
        index.delete(10)


def test_a_deleted_id_can_come_back(index, vectors):
    index.delete([40, 41])
    index.add(vectors[40], ids=40)
    assert 40 in index and 41 not in index
    assert top(index, vectors[40]) == [40]
    index.upsert(vectors[41], ids=[41])
    assert top(index, vectors[41]) == [41] and len(index) == 300


def test_upsert_replaces_and_inserts(index, vectors):
    index.upsert(vectors[200], ids=7)  # id 7 now holds row 200's vector
    assert len(index) == 300 and index.deleted == 1  # the old vector of 7
    np.testing.assert_array_equal(index.get(7), vectors[200])
    assert sorted(top(index, vectors[200], k=2)) == [7, 200]
    index.upsert(vectors[:2] + 1.0, ids=[1000, 1001])  # new ids: inserted
    assert len(index) == 302 and 1000 in index and 1001 in index
    np.testing.assert_array_equal(index.get([1000, 1001]), vectors[:2] + 1.0)
    index.upsert(np.stack([vectors[5], vectors[6]]), ids=np.array([6, 5]))  # swap two
    np.testing.assert_array_equal(index.get(5), vectors[6])
    np.testing.assert_array_equal(index.get(6), vectors[5])


def test_upsert_is_all_or_nothing_and_needs_ids(index, vectors):
    bad = vectors[:3].copy()
    bad[2, 0] = np.nan
    with pytest.raises(vdb.InvalidArgumentError, match="NaN"):
        index.upsert(bad, ids=[0, 1, 5000])
    with pytest.raises(vdb.InvalidArgumentError, match="twice"):
        index.upsert(vectors[:2], ids=[9, 9])
    with pytest.raises(vdb.InvalidArgumentError, match="2 ids"):
        index.upsert(vectors[:2], ids=[9])
    with pytest.raises(vdb.InvalidArgumentError, match="needs an id"):
        index.upsert(vectors[:2], None)
    with pytest.raises(TypeError):
        index.upsert(vectors[:2])  # type: ignore[call-arg]
    with pytest.raises(vdb.DimensionError):
        index.upsert(np.zeros((1, DIM + 1), np.float32), ids=[1])
    assert len(index) == 300 and index.deleted == 0 and 5000 not in index
    np.testing.assert_array_equal(index.get(0), vectors[0])


def test_get_copies_the_vector_out(index, vectors):
    got = index.get(17)
    assert got.shape == (DIM,) and got.dtype == np.float32
    np.testing.assert_array_equal(got, vectors[17])
    got[:] = 0  # a copy: the index is unchanged
    np.testing.assert_array_equal(index.get(np.uint64(17)), vectors[17])
    many = index.get([3, 1, 2])
    assert many.shape == (3, DIM)
    np.testing.assert_array_equal(many, vectors[[3, 1, 2]])
    assert index.get(np.array([], dtype=np.uint64)).shape == (0, DIM)


def test_get_of_a_missing_id(index):
    index.delete(8)
    for missing in (8, 300, 2**64 - 2):
        with pytest.raises(vdb.NotFoundError) as e:
            index.get(missing)
        assert isinstance(e.value, KeyError) and isinstance(e.value, vdb.Error)
        assert str(missing) in str(e.value) and e.value.code_name == "VDB_ENOTFOUND"
    with pytest.raises(vdb.NotFoundError):
        index.get([1, 2, 8])
    for bad in (-1, 2**64, 1.0, "1", True):
        with pytest.raises(vdb.InvalidArgumentError):
            index.get(bad)


def test_contains(index):
    assert 0 in index and 299 in index and np.uint64(5) in index and np.int8(5) in index
    assert 300 not in index
    for other in (-1, 2**64 - 1, 2**64, 1.0, "1", None, True, (1,), [1]):
        assert other not in index
    index.delete(5)
    assert 5 not in index


def test_contains_from_many_threads(index):
    index.delete(list(range(0, 300, 3)))
    errors = []

    def worker():
        try:
            for _ in range(20):
                got = [i in index for i in range(320)]
                assert got == [i < 300 and i % 3 != 0 for i in range(320)]
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_get_and_contains_on_an_index_opened_read_only(tmp_path, index, vectors):
    path = tmp_path / "ro.vdb"
    index.save(path)
    with vdb.Index.open(path) as opened:  # the first look-up builds the id table
        assert 12 in opened and 300 not in opened
        np.testing.assert_array_equal(opened.get(12), vectors[12])
        with pytest.raises(vdb.NotFoundError):
            opened.get(300)


def test_writable_open_add_delete_upsert_save_in_place_reopen(tmp_path, vectors):
    path = tmp_path / "living.vdb"
    with vdb.Index(DIM, seed=5) as index:
        index.add(vectors[:200], ids=np.arange(200) * 10)  # ids 0, 10, ..., 1990
        index.save(path)
        before = index.search(vectors[:20], k=5)

    with vdb.Index.open(path, writable=True) as index:
        assert len(index) == 200 and index.deleted == 0
        after_open = index.search(vectors[:20], k=5)  # the same graph
        np.testing.assert_array_equal(after_open[0], before[0])
        index.add(vectors[200:250], ids=np.arange(200, 250) * 10)
        index.delete([0, 10, 20])
        index.upsert(vectors[260], ids=30)  # id 30 (row 3) takes row 260's vector
        index.upsert(vectors[261], ids=5)  # a new id
        assert len(index) == 250 - 3 + 1 and index.deleted == 4  # 3 deleted + the old vector of 30
        assert index.search(vectors[260], k=1)[0][0] == 30
        index.save(path)  # over the file the index was opened from
        assert 30 in index and index.search(vectors[100], k=1)[0][0] == 1000  # still usable after saving

    vdb.verify(path)
    with vdb.Index.open(path, verify=True) as reopened:
        assert len(reopened) == 248 and reopened.deleted == 0  # saving dropped the deleted vectors
        assert 0 not in reopened and 10 not in reopened and 20 not in reopened
        assert 2490 in reopened and 5 in reopened
        np.testing.assert_array_equal(reopened.get(30), vectors[260])
        np.testing.assert_array_equal(reopened.get(2490), vectors[249])
        # Recall of the saved, repaired graph against brute force over what it holds.
        live_ids = np.array([i * 10 for i in range(250) if i not in (0, 1, 2, 3)] + [30, 5])
        live = np.stack([vectors[i // 10] for i in live_ids[:-2]] + [vectors[260], vectors[261]])
        queries = clustered(50, DIM, seed=22)
        exact = live_ids[brute_force_l2(live, queries, 10)]
        found, _ = reopened.search(queries, k=10, ef=64)
        hits = sum(len(set(f.tolist()) & set(x.tolist())) for f, x in zip(found, exact))
        assert hits / exact.size >= 0.95
        with pytest.raises(vdb.ReadOnlyError):
            reopened.delete(30)  # opened without writable=True


def test_a_mapped_vector_file_takes_delete_and_build_again(tmp_path, vectors):
    raw = tmp_path / "v.f32"
    vectors.tofile(raw)
    with vdb.Index.map_vectors(raw, dim=DIM, threads=1) as index:
        index.build()
        index.delete([5, 6])
        assert len(index) == 298 and 5 not in index
        index.build(5, 1)  # a deleted row can be built again
        assert 5 in index and 6 not in index
        with pytest.raises(vdb.ReadOnlyError, match="read-only vector file"):
            index.upsert(vectors[0], ids=[6])
