"""Every bad input raises the vdb.Error subclass named for its code, with a message."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest

import vdb
from conftest import clustered


def check(excinfo, cls, code_name, words=None):
    err = excinfo.value
    assert type(err) is cls
    assert isinstance(err, vdb.Error)
    assert err.code == getattr(vdb._native.lib, code_name) and err.code_name == code_name
    assert err.message and str(err) == err.message
    if words:
        assert words in err.message.lower(), err.message


@pytest.fixture
def small():
    index = vdb.Index(4, threads=1)
    index.add(clustered(50, 4, seed=4))
    yield index
    index.close()


@pytest.fixture
def saved(tmp_path, small):
    path = tmp_path / "small.vdb"
    small.save(path)
    return path


def test_exception_hierarchy():
    assert issubclass(vdb.InvalidArgumentError, ValueError)
    assert issubclass(vdb.DimensionError, ValueError)
    assert issubclass(vdb.OutOfMemoryError, MemoryError)
    assert issubclass(vdb.VdbIOError, OSError)
    assert issubclass(vdb.RangeError, IndexError)
    assert issubclass(vdb.NotFoundError, KeyError)
    assert issubclass(vdb.BusyError, OSError)
    assert issubclass(vdb.NoSpaceError, vdb.VdbIOError)  # VDB_EIO before libvdb had VDB_ENOSPC
    for cls in (vdb.InvalidArgumentError, vdb.DimensionError, vdb.OutOfMemoryError, vdb.VdbIOError,
                vdb.FormatError, vdb.VersionError, vdb.ReadOnlyError, vdb.ExistsError, vdb.RangeError,
                vdb.NotFoundError, vdb.BusyError, vdb.NoSpaceError):
        assert issubclass(cls, vdb.Error)
    # Every code the header has maps to its class.
    for name, code in vdb._generated.VDB_STATUS.items():
        if name != "VDB_OK":
            err = vdb._errors.error_for(code, "x")
            assert type(err) is not vdb.Error and err.code == code and err.code_name == name


def test_not_found(small):
    with pytest.raises(vdb.NotFoundError) as e:
        small.get(50)
    check(e, vdb.NotFoundError, "VDB_ENOTFOUND", "id 50 is not in the index")
    assert str(e.value) == e.value.message  # not KeyError's quoted repr
    with pytest.raises(vdb.NotFoundError) as e:
        small.delete([1, 2, 77])
    check(e, vdb.NotFoundError, "VDB_ENOTFOUND", "id 77")
    assert "nothing was deleted" in e.value.message and len(small) == 50
    with pytest.raises(vdb.NotFoundError) as e:
        small.delete([4, 4])
    check(e, vdb.NotFoundError, "VDB_ENOTFOUND", "twice")
    try:
        small.get(1234)
    except KeyError as err:  # caught as a KeyError, as a dict's missing key is
        assert err.code == vdb._native.lib.VDB_ENOTFOUND


def test_wrong_dimension(small):
    with pytest.raises(vdb.DimensionError) as e:
        small.search(np.zeros(5, np.float32))
    check(e, vdb.DimensionError, "VDB_EDIM", "index has 4, query has 5")
    with pytest.raises(vdb.DimensionError):
        small.search(np.zeros((3, 3), np.float32))
    with pytest.raises(vdb.DimensionError):
        small.search(np.zeros((2, 2, 4), np.float32))
    with pytest.raises(vdb.DimensionError) as e:
        small.add(np.zeros((2, 3), np.float32))
    check(e, vdb.DimensionError, "VDB_EDIM", "index has 4")
    assert len(small) == 50


def test_wrong_dimension_of_a_vector_file(tmp_path):
    npy = tmp_path / "v.npy"
    np.save(npy, np.zeros((10, 8), np.float32))
    with pytest.raises(vdb.DimensionError) as e:
        vdb.Index.map_vectors(npy, dim=4)
    check(e, vdb.DimensionError, "VDB_EDIM")


def test_nan_and_inf(small):
    with pytest.raises(vdb.InvalidArgumentError) as e:
        small.search([0, np.nan, 0, 0])
    check(e, vdb.InvalidArgumentError, "VDB_EINVAL", "nan")
    bad = np.zeros((3, 4), np.float32)
    bad[2, 1] = np.inf
    with pytest.raises(vdb.InvalidArgumentError) as e:
        small.add(bad)
    check(e, vdb.InvalidArgumentError, "VDB_EINVAL", "nan or inf")
    assert len(small) == 50  # all or nothing
    with pytest.raises(vdb.InvalidArgumentError):
        small.search(np.array([[0, 0, 0, 0], [0, 0, np.inf, 0]]), k=2)


def test_k_zero_and_bad_numbers(small):
    with pytest.raises(vdb.InvalidArgumentError) as e:
        small.search([0, 0, 0, 0], k=0)
    check(e, vdb.InvalidArgumentError, "VDB_EINVAL", "k must be at least 1")
    for kwargs in ({"k": -1}, {"k": 2**32}, {"k": 2.5}, {"ef": -3}):
        with pytest.raises(vdb.InvalidArgumentError):
            small.search([0, 0, 0, 0], **kwargs)
    with pytest.raises(vdb.InvalidArgumentError):
        small.search(["a", "b", "c", "d"])
    with pytest.raises(vdb.InvalidArgumentError) as e:
        small.set_threads(5000)
    check(e, vdb.InvalidArgumentError, "VDB_EINVAL")
    for bad in (-1, 2**64, 1.5, "7", [[1]], ["a"]):
        with pytest.raises(vdb.InvalidArgumentError):
            small.delete(bad)
    assert len(small) == 50


def test_bad_filter_types(small):
    for bad in ("3", 3, 3.0, [0.5], [-2], np.array([[1, 2]]), {3: 4}, object()):
        with pytest.raises(vdb.InvalidArgumentError) as e:
            small.search([0, 0, 0, 0], k=2, filter=bad)
        check(e, vdb.InvalidArgumentError, "VDB_EINVAL", "filter must be an array-like of ids, a callable")
    with pytest.raises(vdb.InvalidArgumentError) as e:
        vdb.Filter("3")
    check(e, vdb.InvalidArgumentError, "VDB_EINVAL", "filter ids must be a sequence")


def test_bad_config():
    with pytest.raises(vdb.InvalidArgumentError) as e:
        vdb.Index(0)
    check(e, vdb.InvalidArgumentError, "VDB_EINVAL", "dimension")
    with pytest.raises(vdb.InvalidArgumentError):
        vdb.Index(70000)
    with pytest.raises(vdb.InvalidArgumentError):
        vdb.Index(-4)
    with pytest.raises(vdb.InvalidArgumentError) as e:
        vdb.Index(4, metric="hamming")
    assert "hamming" in str(e.value)
    with pytest.raises(vdb.InvalidArgumentError) as e:
        vdb.Index(4, m=1)
    check(e, vdb.InvalidArgumentError, "VDB_EINVAL")
    with pytest.raises(vdb.InvalidArgumentError):
        vdb.Index(4, ef_construction=0)


def test_bad_ids(small):
    v = np.ones((2, 4), np.float32)
    with pytest.raises(vdb.ExistsError) as e:
        small.add(v, ids=[700, 700])
    check(e, vdb.ExistsError, "VDB_EEXIST", "twice")
    with pytest.raises(vdb.ExistsError) as e:
        small.add(v, ids=[3, 1000])  # 3 is taken (0..49)
    check(e, vdb.ExistsError, "VDB_EEXIST", "already")
    with pytest.raises(vdb.InvalidArgumentError) as e:
        small.add(v, ids=[2**64 - 1, 1001])
    check(e, vdb.InvalidArgumentError, "VDB_EINVAL", "reserved")
    for ids in ([1001], [-1, 1001], [1.5, 2.5], [2**64, 1]):
        with pytest.raises(vdb.InvalidArgumentError):
            small.add(v, ids=ids)
    assert len(small) == 50


def test_closed_index(small):
    small.close()
    for call in (
        lambda: small.search([0, 0, 0, 0]),
        lambda: small.add(np.zeros((1, 4), np.float32)),
        lambda: small.save("/tmp/never.vdb"),
        lambda: small.build(0, 1),
        lambda: small.set_threads(1),
        lambda: len(small),
        lambda: small.dim,
        lambda: small.metric,
        lambda: small.config,
        lambda: small.deleted,
        lambda: small.get(1),
        lambda: small.delete([1]),
        lambda: small.upsert(np.zeros((1, 4), np.float32), ids=[1]),
        lambda: 1 in small,
        lambda: small.search([0, 0, 0, 0], filter=[1, 2]),
        lambda: small.search([0, 0, 0, 0], filter=lambda i: True),
    ):
        with pytest.raises(vdb.InvalidArgumentError) as e:
            call()
        check(e, vdb.InvalidArgumentError, "VDB_EINVAL", "closed")
    assert not os.path.exists("/tmp/never.vdb")


def test_missing_file_and_directory(tmp_path):
    for call in (vdb.Index.open, vdb.verify, lambda p: vdb.Index.map_vectors(p, dim=4), lambda p: vdb.VectorDB(p, 4)):
        with pytest.raises(vdb.VdbIOError) as e:
            call(tmp_path / "missing.vdb")
        check(e, vdb.VdbIOError, "VDB_EIO", "missing.vdb")
        assert isinstance(e.value, OSError)
        with pytest.raises(vdb.VdbIOError) as e:
            call(tmp_path)
        check(e, vdb.VdbIOError, "VDB_EIO")


def test_save_to_a_bad_place(small, tmp_path):
    with pytest.raises(vdb.VdbIOError) as e:
        small.save(tmp_path / "no" / "such" / "dir.vdb")
    check(e, vdb.VdbIOError, "VDB_EIO")
    with pytest.raises(vdb.VdbIOError):
        small.save(tmp_path)  # a directory
    with pytest.raises(vdb.InvalidArgumentError):
        small.save("bad\0name.vdb")


def test_not_an_index(tmp_path):
    path = tmp_path / "junk.vdb"
    path.write_bytes(b"this is not an index" * 500)
    with pytest.raises(vdb.FormatError) as e:
        vdb.Index.open(path)
    check(e, vdb.FormatError, "VDB_EFORMAT")
    path.write_bytes(b"")
    with pytest.raises(vdb.FormatError):
        vdb.Index.open(path)


def flip(path, offset, count=4):
    with open(path, "r+b") as f:
        f.seek(offset)
        chunk = bytearray(f.read(count))
        f.seek(offset)
        f.write(bytes(b ^ 0xFF for b in chunk))


def test_corrupt_header(saved):
    flip(saved, 20)  # dim
    with pytest.raises(vdb.FormatError) as e:
        vdb.Index.open(saved)
    check(e, vdb.FormatError, "VDB_EFORMAT")
    with pytest.raises(vdb.FormatError):
        vdb.verify(saved)


def test_corrupt_section_found_by_verify(saved, tmp_path):
    flip(saved, 4096 + 16)  # inside the vectors section
    with vdb.Index.open(saved) as index:  # only the header is checked on open
        index.search([0, 0, 0, 0], k=3)  # may be wrong, must not crash
    with pytest.raises(vdb.FormatError) as e:
        vdb.verify(saved)
    check(e, vdb.FormatError, "VDB_EFORMAT")
    with pytest.raises(vdb.FormatError):
        vdb.Index.open(saved, verify=True)


def test_truncated_file(saved):
    size = os.path.getsize(saved)
    with open(saved, "r+b") as f:
        f.truncate(size - 4096)
    with pytest.raises(vdb.FormatError):
        vdb.Index.open(saved)


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def test_newer_format_version(saved):
    with open(saved, "r+b") as f:
        header = bytearray(f.read(4096))
        header[8:12] = struct.pack("<I", 99)
        header[4092:4096] = struct.pack("<I", crc32c(bytes(header[:4092])))
        f.seek(0)
        f.write(header)
    with pytest.raises(vdb.VersionError) as e:
        vdb.Index.open(saved)
    check(e, vdb.VersionError, "VDB_EVERSION", "99")


def test_read_only_indexes(saved, tmp_path):
    with vdb.Index.open(saved) as opened:
        with pytest.raises(vdb.ReadOnlyError) as e:
            opened.add(np.zeros((1, 4), np.float32))
        check(e, vdb.ReadOnlyError, "VDB_EREADONLY", "read-only")
        with pytest.raises(vdb.ReadOnlyError):
            opened.build(0, 1)
        for name, change in (
            ("vdb_add", lambda: opened.add(np.zeros((1, 4), np.float32), ids=[99])),
            ("vdb_upsert", lambda: opened.upsert(np.zeros((1, 4), np.float32), ids=[3])),
            ("vdb_delete", lambda: opened.delete([3])),
            ("vdb_delete", lambda: opened.delete([])),  # refused even when there is nothing to delete
        ):
            with pytest.raises(vdb.ReadOnlyError) as e:
                change()
            # The C library's words, saying to open it writable, and how to in Python.
            check(e, vdb.ReadOnlyError, "VDB_EREADONLY",
                  f"{name}: this index was opened read-only; open it with vdb_open_writable to change it")
            assert e.value.message.endswith("(in Python: vdb.Index.open(path, writable=True))")
        assert len(opened) == 50 and 3 in opened and opened.deleted == 0
    with vdb.Index.open(saved, writable=True) as writable:
        writable.delete([3])
        writable.upsert(np.zeros((1, 4), np.float32), ids=[3])
        writable.add(np.ones((1, 4), np.float32), ids=[99])
        assert len(writable) == 51
    raw = tmp_path / "v.f32"
    clustered(20, 4).tofile(raw)
    with vdb.Index.map_vectors(raw, dim=4) as mapped:
        with pytest.raises(vdb.ReadOnlyError) as e:
            mapped.add(np.zeros((1, 4), np.float32))
        check(e, vdb.ReadOnlyError, "VDB_EREADONLY")


def test_build_errors(small, tmp_path):
    with pytest.raises(vdb.InvalidArgumentError) as e:
        small.build(0, 1)  # an index made by Index(dim) takes add()
    check(e, vdb.InvalidArgumentError, "VDB_EINVAL")
    raw = tmp_path / "v.f32"
    clustered(20, 4).tofile(raw)
    with vdb.Index.map_vectors(raw, dim=4) as mapped:
        with pytest.raises(vdb.RangeError) as e:
            mapped.build(10, 11)
        check(e, vdb.RangeError, "VDB_ERANGE", "past the end")
        assert isinstance(e.value, IndexError)
        mapped.build(0, 10)
        with pytest.raises(vdb.ExistsError) as e:
            mapped.build(5, 2)
        check(e, vdb.ExistsError, "VDB_EEXIST")
        assert len(mapped) == 10


def test_raw_file_needs_dim_and_whole_rows(tmp_path):
    raw = tmp_path / "v.f32"
    raw.write_bytes(b"\0" * 10)  # not a whole number of 4-d rows
    with pytest.raises(vdb.Error) as e:
        vdb.Index.map_vectors(raw, dim=4)
    assert e.value.code in (vdb._native.lib.VDB_EFORMAT, vdb._native.lib.VDB_EDIM)
    with pytest.raises(vdb.InvalidArgumentError):
        vdb.Index.map_vectors(raw)  # dim required for a raw file
