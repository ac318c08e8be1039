"""progress= on add and build: reports from 0 to total, cancel by a truthy
return or an exception, and the bar of progress=True without tqdm."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import vdb

DIM = 8
N = 3000


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return np.random.default_rng(7).random((N, DIM), dtype=np.float32)


def recorder():
    calls = []

    def progress(done, total):
        calls.append((done, total))

    return calls, progress


def assert_zero_to_total(calls, total):
    assert calls[0] == (0, total) and calls[-1] == (total, total)
    dones = [done for done, _ in calls]
    assert dones == sorted(dones)
    assert all(t == total for _, t in calls)


def test_add_reports_from_zero_to_total(vectors):
    calls, progress = recorder()
    with vdb.Index(DIM, threads=2) as index:
        index.add(vectors, progress=progress)
        assert len(index) == N
    assert_zero_to_total(calls, N)


def test_build_reports_from_zero_to_total(tmp_path, vectors):
    raw = tmp_path / "v.f32"
    vectors.tofile(raw)
    calls, progress = recorder()
    with vdb.Index.map_vectors(raw, dim=DIM, threads=2) as index:
        index.build(100, 2000, progress=progress)
        assert len(index) == 2000
    assert_zero_to_total(calls, 2000)


def test_a_true_return_cancels_and_adds_nothing(vectors):
    with vdb.Index(DIM, threads=2) as index:
        index.add(vectors[:10], ids=np.arange(10))
        with pytest.raises(vdb.CanceledError):
            index.add(vectors[10:], ids=np.arange(10, N), progress=lambda done, total: True)
        assert len(index) == 10 and 10 not in index
        index.add(vectors[10:], ids=np.arange(10, N))  # the ids are free again
        assert len(index) == N


def test_a_cancelled_build_builds_nothing(tmp_path, vectors):
    raw = tmp_path / "v.f32"
    vectors.tofile(raw)
    with vdb.Index.map_vectors(raw, dim=DIM, threads=2) as index:
        with pytest.raises(vdb.CanceledError):
            index.build(progress=lambda done, total: done > 0 or None)
        assert len(index) == 0
        index.build()
        assert len(index) == N


def test_an_exception_in_the_callable_cancels_and_propagates(vectors):
    class Stop(Exception):
        pass

    def progress(done, total):
        raise Stop("enough")

    with vdb.Index(DIM, threads=2) as index:
        with pytest.raises(Stop, match="enough"):
            index.add(vectors, progress=progress)
        assert len(index) == 0
        index.add(vectors[:5], progress=lambda done, total: None)  # the callback was cleared
        assert len(index) == 5


def test_the_callback_is_cleared_after_the_call(vectors):
    calls, progress = recorder()
    with vdb.Index(DIM, threads=2) as index:
        index.add(vectors[:100], progress=progress)
        seen = len(calls)
        index.add(vectors[100:200])
        assert len(calls) == seen


def test_the_callable_must_not_use_its_index(vectors):
    with vdb.Index(DIM, threads=2) as index:
        with pytest.raises(vdb.InvalidArgumentError, match="progress callback"):
            index.add(vectors[:100], progress=lambda done, total: len(index))
        assert len(index) == 0


def test_a_bad_progress_argument_is_refused(vectors):
    with vdb.Index(DIM) as index:
        with pytest.raises(vdb.InvalidArgumentError, match="progress"):
            index.add(vectors[:10], progress="yes")
        assert len(index) == 0


def test_progress_true_draws_a_plain_bar_without_tqdm(monkeypatch, capsys, vectors):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    with vdb.Index(DIM, threads=2) as index:
        index.add(vectors, progress=True)
        assert len(index) == N
    err = capsys.readouterr().err
    assert "add [" in err and f"100.0% {N}/{N}" in err


def test_progress_true_uses_tqdm_when_it_imports(monkeypatch, vectors):
    bars = []

    class FakeTqdm:
        def __init__(self, total, desc, unit):
            self.total, self.desc, self.n, self.closed = total, desc, 0, False
            bars.append(self)

        def update(self, step):
            self.n += step

        def close(self):
            self.closed = True

    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeTqdm))
    with vdb.Index(DIM, threads=2) as index:
        index.add(vectors, progress=True)
    assert len(bars) == 1 and bars[0].desc == "add" and bars[0].n == bars[0].total == N and bars[0].closed


def test_an_exception_at_the_last_report_is_raised_after_the_add(vectors):
    def progress(done, total):
        if done == total:
            raise KeyError("at the end")

    with vdb.Index(DIM, threads=2) as index:
        with pytest.raises(KeyError, match="at the end"):
            index.add(vectors[:100], progress=progress)
        assert len(index) == 100  # the last report's answer is not asked: the add stands
