"""The journal of a writable index: commit, replay on open, one writer, checkpoints, recover."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import vdb
from conftest import clustered

DIM = 8


@pytest.fixture
def vectors():
    return clustered(220, DIM, seed=31)


@pytest.fixture
def path(tmp_path, vectors):
    """A saved index of vectors[:200] under ids 0..199; no journal yet."""
    file = tmp_path / "journaled.vdb"
    with vdb.Index(DIM, threads=1, seed=3) as index:
        index.add(vectors[:200])
        index.save(file)
    return file


def journal_of(path):
    return path.parent / (path.name + "-journal")


def nearest(index, vector):
    return int(index.search(vector, k=1)[0][0])


def test_committed_changes_are_in_every_later_open(path, vectors):
    with vdb.Index.open(path, writable=True) as index:
        assert journal_of(path).exists()  # the writable open creates it
        index.add(vectors[200:205], ids=[1000, 1001, 1002, 1003, 1004])
        index.delete([5, 6])
        index.upsert(vectors[210], ids=7)  # id 7 takes another vector
        index.commit()
        index.commit()  # nothing new: returns at once, changes nothing
    with vdb.Index.open(path) as reopened:  # read-only: the journal's commits are applied
        assert len(reopened) == 200 + 5 - 2
        assert 5 not in reopened and 6 not in reopened and 1004 in reopened
        np.testing.assert_array_equal(reopened.get(1002), vectors[202])
        np.testing.assert_array_equal(reopened.get(7), vectors[210])
        assert nearest(reopened, vectors[203]) == 1003
        assert nearest(reopened, vectors[210]) == 7
        assert 5 not in reopened.search(vectors[5], k=10)[0].tolist()
        with pytest.raises(vdb.NotFoundError):
            reopened.get(6)


def test_uncommitted_changes_are_lost_at_close(path, vectors):
    with vdb.Index.open(path, writable=True) as index:
        index.add(vectors[200], ids=500)
        index.commit()
        index.add(vectors[201], ids=501)  # after the commit: never kept
        index.delete([10])
        index.upsert(vectors[202], ids=11)
        assert 501 in index and 10 not in index
    with vdb.Index.open(path) as reopened:
        assert len(reopened) == 201
        assert 500 in reopened and 501 not in reopened and 10 in reopened
        np.testing.assert_array_equal(reopened.get(11), vectors[11])
        assert nearest(reopened, vectors[200]) == 500
        assert nearest(reopened, vectors[10]) == 10
    with vdb.Index.open(path, writable=True) as again:  # a writable open sees the same
        assert len(again) == 201 and 501 not in again


def test_one_writer_at_a_time(path, vectors):
    with vdb.Index.open(path, writable=True) as first:
        with pytest.raises(vdb.BusyError) as e:
            vdb.Index.open(path, writable=True)
        err = e.value
        assert type(err) is vdb.BusyError and isinstance(err, OSError)
        assert err.code == vdb._native.lib.VDB_EBUSY and err.code_name == "VDB_EBUSY"
        assert str(path) in err.message and "open for writing elsewhere" in err.message
        with vdb.Index.open(path) as reader:  # readers take no lock
            assert len(reader) == 200
        first.add(vectors[200], ids=900)  # the first writer is unharmed
        first.commit()
    with vdb.Index.open(path, writable=True) as second:  # free again once it is closed
        assert 900 in second


def test_saving_over_a_file_with_pending_changes_is_refused(path, vectors, tmp_path):
    with vdb.Index.open(path, writable=True) as index:
        index.add(vectors[200], ids=700)
        index.commit()
    with vdb.Index(DIM, threads=1) as other:
        other.add(vectors[:3])
        with pytest.raises(vdb.BusyError) as e:
            other.save(path)  # it would lose id 700
        assert e.value.code == vdb._native.lib.VDB_EBUSY
    with vdb.Index.open(path) as reopened:
        assert len(reopened) == 201 and 700 in reopened


def test_commit_needs_a_writable_index_with_a_file(path):
    with vdb.Index.open(path) as read_only:
        with pytest.raises(vdb.ReadOnlyError) as e:
            read_only.commit()
        assert type(e.value) is vdb.ReadOnlyError and e.value.code == vdb._native.lib.VDB_EREADONLY
        assert "vdb_commit" in e.value.message and "writable=True" in e.value.message
    with vdb.Index(DIM) as in_memory:
        with pytest.raises(vdb.InvalidArgumentError) as e:
            in_memory.commit()
        assert "save" in e.value.message
    closed = vdb.Index.open(path, writable=True)
    closed.close()
    with pytest.raises(vdb.InvalidArgumentError, match="closed"):
        closed.commit()


def test_save_in_place_is_a_checkpoint(path, vectors):
    journal = journal_of(path)
    with vdb.Index.open(path, writable=True) as index:
        index.add(vectors[200:202], ids=[800, 801])
        index.commit()
        index.delete([0])  # not committed, but the checkpoint keeps it
        full = os.path.getsize(journal)
        index.save(path)
        assert os.path.getsize(journal) < full  # emptied
        index.add(vectors[202], ids=802)  # after the checkpoint, committed to the emptied journal
        index.commit()
    with vdb.Index.open(path, verify=True) as reopened:
        assert len(reopened) == 200 + 3 - 1
        assert 0 not in reopened and 800 in reopened and 802 in reopened
        assert reopened.deleted == 0


def test_recover_keeps_the_intact_commits_of_a_damaged_journal(path, vectors):
    journal = journal_of(path)
    with vdb.Index.open(path, writable=True) as index:
        index.add(vectors[200], ids=600)
        index.commit()
        first_commit_end = os.path.getsize(journal)
        index.add(vectors[201], ids=601)
        index.commit()
        index.add(vectors[202], ids=602)
        index.commit()
    with open(journal, "r+b") as f:  # the checksum of the record after commit 1
        f.seek(first_commit_end)
        byte = f.read(1)
        f.seek(first_commit_end)
        f.write(bytes([byte[0] ^ 0xFF]))
    for writable in (False, True):
        with pytest.raises(vdb.FormatError) as e:
            vdb.Index.open(path, writable=writable)
        assert "VDB_OPEN_RECOVER" in e.value.message and "damaged" in e.value.message
    with vdb.Index.open(path, recover=True) as read_only:
        assert 600 in read_only and 601 not in read_only and 602 not in read_only
    with vdb.Index.open(path, writable=True, recover=True) as index:  # cuts the damage off
        assert len(index) == 201 and 600 in index and 601 not in index
    with vdb.Index.open(path) as reopened:  # a plain open now works
        assert len(reopened) == 201 and 600 in reopened and 602 not in reopened


def test_new_codes_map_to_their_classes():
    lib = vdb._native.lib
    busy = vdb._errors.error_for(lib.VDB_EBUSY, "busy")
    assert type(busy) is vdb.BusyError and isinstance(busy, OSError) and busy.code_name == "VDB_EBUSY"
    full = vdb._errors.error_for(lib.VDB_ENOSPC, "full")
    assert type(full) is vdb.NoSpaceError and full.code_name == "VDB_ENOSPC"
    assert isinstance(full, vdb.VdbIOError) and isinstance(full, OSError)  # what a full disk raised before
    assert full.code == -12 and busy.code == -11


def test_a_full_disk_raises_no_space_error(tmp_path):
    """A file over RLIMIT_FSIZE fails with EFBIG, which libvdb reports as VDB_ENOSPC."""
    script = f"""
import resource, signal, sys
import numpy as np
import vdb
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG from write() instead of the signal
index = vdb.Index({DIM}, threads=1)
index.add(np.random.default_rng(1).random((2000, {DIM}), dtype=np.float32))
resource.setrlimit(resource.RLIMIT_FSIZE, (16384, 16384))
try:
    index.save(sys.argv[1])
except vdb.NoSpaceError as err:
    assert isinstance(err, vdb.VdbIOError) and err.code_name == "VDB_ENOSPC", err
    print("NoSpaceError:", err.message)
    sys.exit(0)
sys.exit("saved past the size limit")
"""
    target = tmp_path / "big.vdb"
    result = subprocess.run([sys.executable, "-c", script, str(target)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "NoSpaceError:" in result.stdout and str(target) in result.stdout
    assert not target.exists()  # the save is atomic: nothing was left under the name
