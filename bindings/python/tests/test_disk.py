"""Index.open(path, disk=True) and set_disk_cache: a disk-resident index gives
the mapped index's ids and distances, with and without a cache, and what it
refuses raises."""

from __future__ import annotations

import numpy as np
import pytest

import vdb
from conftest import clustered

N, DIM, K, EF = 2000, 32, 10, 64  # over the 1024 vectors that int8 codes are trained at


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """An int8-coded index and one without codes, both saved."""
    folder = tmp_path_factory.mktemp("disk")
    data = clustered(N, DIM, seed=31)
    paths = {}
    for codes in ("int8", None):
        with vdb.Index(DIM, codes=codes, seed=3) as index:
            index.add(data)
            paths[codes] = folder / f"{codes or 'plain'}.vdb"
            index.save(paths[codes])
    return paths


@pytest.fixture(scope="module")
def queries() -> np.ndarray:
    return clustered(50, DIM, seed=32)


@pytest.mark.parametrize("cache", [None, 0, 64 << 10, 64 << 20])
def test_disk_gives_the_mapped_ids_and_distances(saved, queries, cache):
    with vdb.Index.open(saved["int8"]) as mapped:
        want_ids, want_distances = mapped.search(queries, k=K, ef=EF)
    with vdb.Index.open(saved["int8"], disk=True) as disk:
        if cache is not None:
            disk.set_disk_cache(cache)
        ids, distances = disk.search(queries, k=K, ef=EF)
        one_ids, one_distances = disk.search(queries[7], k=K, ef=EF)
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_array_equal(distances, want_distances)
    np.testing.assert_array_equal(one_ids, want_ids[7])
    np.testing.assert_array_equal(one_distances, want_distances[7])


def test_disk_cache_takes_a_numpy_integer_and_can_be_emptied(saved, queries):
    with vdb.Index.open(saved["int8"], disk=True) as disk:
        disk.set_disk_cache(np.uint64(1 << 20))
        disk.set_disk_cache(0)
        assert disk.search(queries[0], k=1)[0].shape == (1,)


def test_disk_is_read_only(saved):
    with vdb.Index.open(saved["int8"], disk=True) as disk:
        with pytest.raises(vdb.ReadOnlyError):
            disk.delete(0)


@pytest.mark.parametrize("other", ["writable", "populate"])
def test_disk_with_writable_or_populate_raises(saved, other):
    with pytest.raises(vdb.InvalidArgumentError) as err:
        vdb.Index.open(saved["int8"], disk=True, **{other: True})
    assert err.value.code == vdb._lib.VDB_EINVAL


def test_disk_without_codes_raises_naming_codes(saved):
    with pytest.raises(vdb.InvalidArgumentError, match="codes"):
        vdb.Index.open(saved[None], disk=True)


def test_set_disk_cache_on_an_index_not_opened_disk_raises(saved):
    with vdb.Index.open(saved["int8"]) as mapped:
        with pytest.raises(vdb.InvalidArgumentError, match="VDB_OPEN_DISK"):
            mapped.set_disk_cache(1 << 20)
    with vdb.Index(DIM) as heap:
        with pytest.raises(vdb.InvalidArgumentError):
            heap.set_disk_cache(1 << 20)


def test_set_disk_cache_checks_its_argument(saved):
    with vdb.Index.open(saved["int8"], disk=True) as disk:
        for bad in (-1, 2**64, 1.5, "1"):
            with pytest.raises(vdb.InvalidArgumentError):
                disk.set_disk_cache(bad)
    disk.close()
    with pytest.raises(vdb.InvalidArgumentError, match="closed"):
        disk.set_disk_cache(0)
