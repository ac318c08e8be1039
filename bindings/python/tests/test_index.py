"""vdb.Index: recall, shapes, files, zero copy, conversions, configuration."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import vdb
import vdb._arrays as vdb_arrays
import vdb._index as vdb_index
from conftest import brute_force_l2, clustered


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    hits = sum(len(set(f.tolist()) & set(e.tolist())) for f, e in zip(found, exact))
    return hits / exact.size


def test_recall_at_10_against_brute_force(built, data, queries):
    ids, distances = built.search(queries, k=10, ef=64)
    exact = brute_force_l2(data, queries, 10)
    r = recall(ids.astype(np.int64), exact)
    print(f"recall@10 at ef 64 on 5000 x 32 clustered: {r:.4f}")
    assert r >= 0.95
    # Distances are squared L2 of the ids returned, nearest first.
    expected = ((data[ids.astype(np.int64)] - queries[:, None, :]) ** 2).sum(-1)
    np.testing.assert_allclose(distances, expected, rtol=1e-4, atol=1e-3)
    assert np.all(np.diff(distances, axis=1) >= 0)


def test_search_shapes_one_query_and_batch(built, queries):
    ids, distances = built.search(queries[0], k=7)
    assert ids.shape == (7,) and ids.dtype == np.uint64
    assert distances.shape == (7,) and distances.dtype == np.float32
    ids2, distances2 = built.search(queries[:5], k=7)
    assert ids2.shape == (5, 7) and distances2.shape == (5, 7)
    ids3, distances3, found = built.search(queries[:5], k=7, return_found=True)
    assert found.shape == (5,) and found.dtype == np.uint32 and np.all(found == 7)
    one = built.search(queries[0], k=7, return_found=True)
    assert one[2] == 7 and isinstance(one[2], int)
    empty_ids, empty_d = built.search(np.empty((0, 32), np.float32), k=3)
    assert empty_ids.shape == (0, 3) and empty_d.shape == (0, 3)


def test_batch_equals_loop(built, queries):
    ids, distances = built.search(queries[:50], k=10, ef=80)
    for i in range(50):
        one_ids, one_d = built.search(queries[i], k=10, ef=80)
        np.testing.assert_array_equal(one_ids, ids[i])
        np.testing.assert_array_equal(one_d, distances[i])


def test_fewer_vectors_than_k_pads_with_no_id_and_inf():
    with vdb.Index(3) as index:
        index.add(np.array([[0, 0, 0], [1, 1, 1]], np.float32), ids=[10, 20])
        ids, distances, found = index.search([0, 0, 0.1], k=5, return_found=True)
    assert found == 2
    assert ids.tolist()[:2] == [10, 20]
    assert ids.tolist()[2:] == [vdb.NO_ID] * 3 == [2**64 - 1] * 3
    assert np.all(np.isinf(distances[2:])) and np.all(np.isfinite(distances[:2]))


def test_save_open_round_trip(tmp_path, built, queries):
    path = tmp_path / "index.vdb"
    built.save(path)
    vdb.verify(path)
    before = built.search(queries, k=10)
    for kwargs in ({}, {"verify": True}, {"populate": True}):
        with vdb.Index.open(path, **kwargs) as opened:
            assert len(opened) == len(built) == 5000
            assert opened.dim == 32 and opened.metric == "l2"
            assert opened.config["m"] == 16 and opened.config["seed"] == 7
            after = opened.search(queries, k=10)
            np.testing.assert_array_equal(before[0], after[0])
            np.testing.assert_array_equal(before[1], after[1])
    # str and bytes paths work too
    with vdb.Index.open(str(path)) as a, vdb.Index.open(bytes(path)) as b:
        assert len(a) == len(b) == 5000


def test_custom_ids_come_back(tmp_path):
    data = clustered(300, 8, seed=5)
    ids = np.arange(300, dtype=np.uint64) * 1000 + 2**63  # beyond int64
    with vdb.Index(8) as index:
        index.add(data, ids=ids)
        got, _ = index.search(data[17], k=1)
        assert int(got[0]) == int(ids[17])
        index.save(tmp_path / "ids.vdb")
    with vdb.Index.open(tmp_path / "ids.vdb") as opened:
        assert int(opened.search(data[17], k=1)[0][0]) == int(ids[17])
    with vdb.Index(2) as index:  # Python ints, including one above 2**63
        index.add([[0, 0], [1, 1]], ids=[5, 2**64 - 2])
        assert index.search([1, 1], k=1)[0].tolist() == [2**64 - 2]


class _RecordingFFI:
    """Wraps the cffi FFI object of vdb._index and vdb._arrays to record the address of every from_buffer."""

    def __init__(self, real):
        self._real = real
        self.addresses = []

    def from_buffer(self, *args, **kwargs):
        cdata = self._real.from_buffer(*args, **kwargs)
        self.addresses.append(int(self._real.cast("uintptr_t", cdata)))
        return cdata

    def __getattr__(self, name):
        return getattr(self._real, name)


def _record_from_buffer(monkeypatch):
    """A _RecordingFFI in place of the FFI object of every module that makes pointers for C:
    vdb._arrays makes those to vectors, the Index methods (vdb._index) those to ids and results."""
    recorder = _RecordingFFI(vdb_index.ffi)
    monkeypatch.setattr(vdb_index, "ffi", recorder)
    monkeypatch.setattr(vdb_arrays, "ffi", recorder)
    return recorder


def test_float32_c_contiguous_input_is_passed_without_copy(monkeypatch, data):
    recorder = _record_from_buffer(monkeypatch)
    vectors = np.ascontiguousarray(data[:200])
    vectors.flags.writeable = False  # C only reads it: read-only input is fine
    query = vectors[3]
    with vdb.Index(32) as index:
        index.add(vectors)
        assert recorder.addresses[0] == vectors.__array_interface__["data"][0]
        recorder.addresses.clear()
        ids, _ = index.search(query, k=1)
        assert recorder.addresses[0] == query.__array_interface__["data"][0]
        assert ids[0] == 3
        # A float64 input is converted: C sees another buffer.
        recorder.addresses.clear()
        q64 = query.astype(np.float64)
        ids, _ = index.search(q64, k=1)
        assert recorder.addresses[0] != q64.__array_interface__["data"][0]
        assert ids[0] == 3


def test_result_arrays_are_filled_in_place_by_c(monkeypatch, built, queries):
    recorder = _record_from_buffer(monkeypatch)
    ids, distances, found = built.search(queries[:4], k=5, return_found=True)
    # query, ids, distances, found: the last three are the arrays returned.
    assert recorder.addresses[1:] == [
        ids.__array_interface__["data"][0],
        distances.__array_interface__["data"][0],
        found.__array_interface__["data"][0],
    ]


def test_float64_fortran_and_list_inputs_are_converted(built, queries):
    expected_ids, expected_d = built.search(queries[:20], k=10)
    for variant in (
        queries[:20].astype(np.float64),
        np.asfortranarray(queries[:20]),
        queries[:20].tolist(),
        queries[:20].astype(">f4"),
    ):
        ids, distances = built.search(variant, k=10)
        np.testing.assert_array_equal(ids, expected_ids)
        np.testing.assert_allclose(distances, expected_d, rtol=1e-6)
    # A strided (non-contiguous) view
    doubled = np.repeat(queries[:20], 2, axis=0)[::2]
    assert not doubled.flags.c_contiguous
    np.testing.assert_array_equal(built.search(doubled, k=10)[0], expected_ids)


def test_add_one_vector_and_fortran_batch():
    data = clustered(100, 6, seed=9)
    with vdb.Index(6, threads=2) as index:
        index.add(data[0])  # one (dim,) vector
        index.add(np.asfortranarray(data[1:]))
        assert len(index) == 100
        assert index.search(data[42], k=1)[0][0] == 42


def test_map_vectors_build_search(tmp_path):
    data = clustered(2000, 16, seed=3)
    raw = tmp_path / "vectors.f32"
    data.tofile(raw)
    npy = tmp_path / "vectors.npy"
    np.save(npy, data)
    for path, dim in ((raw, 16), (npy, None)):
        with vdb.Index.map_vectors(path, dim=dim, m=12, ef_construction=100, threads=2) as index:
            assert index.rows == 2000 and len(index) == 0 and index.dim == 16
            index.build(0, 500)
            index.build(500)  # the rest
            assert len(index) == 2000
            ids, _ = index.search(data[:100], k=10, ef=64)
            assert recall(ids.astype(np.int64), brute_force_l2(data, data[:100], 10)) >= 0.95
            index.save(tmp_path / "mapped.vdb")
        vdb.verify(tmp_path / "mapped.vdb")


def test_metrics_and_config():
    with vdb.Index(4, metric="cosine", m=8, ef_construction=50, ef_search=30, threads=2, seed=99) as index:
        assert index.metric == "cosine"
        assert index.config == {
            "dim": 4, "metric": "cosine", "m": 8, "ef_construction": 50,
            "ef_search": 30, "threads": 2, "seed": 99, "codes": None,
            "code_bytes": 0, "rerank": 0,
        }
        index.add(np.array([[1, 0, 0, 0], [0, 1, 0, 0]], np.float32))
        ids, d = index.search([2, 0, 0, 0], k=2)
        assert ids.tolist() == [0, 1]
        np.testing.assert_allclose(d, [0.0, 1.0], atol=1e-6)
        index.set_threads(1)
        assert index.config["threads"] == 1
    with vdb.Index(2, metric="ip") as index:
        index.add([[1, 0], [3, 0]])
        ids, d = index.search([1, 0], k=2)
        assert ids.tolist() == [1, 0]
        np.testing.assert_allclose(d, [1 - 3, 0], atol=1e-6)


def test_threads_search_concurrently_and_close_waits(built, queries):
    expected, _ = built.search(queries, k=10)
    errors = []

    def worker():
        try:
            for _ in range(20):
                got, _ = built.search(queries, k=10)
                np.testing.assert_array_equal(got, expected)
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_close_while_other_threads_search_never_crashes(data):
    index = vdb.Index(32, threads=1)
    index.add(data[:1000])
    results = []

    def worker():
        for _ in range(200):
            try:
                index.search(data[:8], k=5)
            except vdb.InvalidArgumentError:
                results.append("closed")
                return
        results.append("done")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    index.close()
    for t in threads:
        t.join()
    assert len(results) == 4


def test_context_manager_and_repr():
    with vdb.Index(3) as index:
        assert "dim=3" in repr(index) and not index.closed
    assert index.closed and repr(index) == "<vdb.Index closed>"
    index.close()  # idempotent


def test_version_mismatch_is_an_import_error(monkeypatch):
    import vdb._native as native

    monkeypatch.setattr(native, "GENERATED_VERSION", native.GENERATED_VERSION + 1)
    with pytest.raises(ImportError, match="version mismatch"):
        native._check_versions()
