"""vdb.ray.build: a sharded index built by Ray tasks, one per shard.

Rows go to shards by splitmix64(id) mod num_shards (see _hash.py). Each
task builds one vdb.Index over its rows and saves it as shard-XXXX.vdb in
the output folder, a file vdb.Index.open reads on its own; the manifest is
written last, once every shard is saved.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np
import ray

from .. import __version__ as libvdb_version
from .._errors import ExistsError, InvalidArgumentError, VdbIOError
from .._index import Index
from .._progress import _bar
from ._hash import HASH_NAME, shard_of
from ._inputs import Prepared, VectorFile, file_rows_of, prepare, read_file_rows
from ._manifest import MANIFEST_NAME, Manifest, read_manifest, shard_file_name
from ._ray_errors import raise_cause
from ._spill import read_parts, spill

Progress = Union[None, bool, Callable[[int, int], Any]]


def _shard_rows_from_files(
    files: List[VectorFile], ids: np.ndarray, shard: int, num_shards: int
) -> Tuple[np.ndarray, np.ndarray]:
    """The vectors and ids of one shard, read from the mapped files (only its own rows)."""
    rows = np.flatnonzero(shard_of(ids, num_shards) == shard)  # sorted global row numbers
    dim = next(f.dim for f in files if f.rows)
    parts = [read_file_rows(f, r) for f, r in zip(files, file_rows_of(files, rows)) if r.size]
    vectors = np.concatenate(parts) if parts else np.empty((0, dim), np.float32)
    bad = ~np.isfinite(vectors).all(axis=1)
    if bad.any():
        raise InvalidArgumentError(f"the vector of id {int(ids[rows][bad][0])} holds NaN or Inf")
    return vectors, ids[rows]


def _build_shard(
    shard: int,
    num_shards: int,
    target: str,
    options: Dict[str, Any],
    vectors: Optional[np.ndarray],
    ids: Optional[np.ndarray],
    files: Optional[List[VectorFile]],
    parts: Optional[str] = None,
) -> Tuple[int, int, float, Dict[str, Any]]:
    """Build and save one shard (runs as a Ray task); returns (shard, count, seconds, config).

    Its rows are `vectors` and `ids` (already this shard's), or this shard's rows of the
    vector `files` (all rows' `ids` given), or its part files in the folder `parts`."""
    started = time.perf_counter()
    if files is not None:
        assert ids is not None
        vectors, ids = _shard_rows_from_files(files, ids, shard, num_shards)
    elif parts is not None:
        vectors, ids = read_parts(parts, shard, options["dim"])
    assert ids is not None
    with Index(**options) as index:
        if len(ids):
            index.add(vectors, ids=ids)
        index.save(target)
        config = index.config
    return shard, len(ids), time.perf_counter() - started, config


_build_shard_task = ray.remote(_build_shard)


def _check_folder(folder: str, overwrite: bool) -> None:
    """Refuse a `folder` that is a file, or holds an index (unless overwrite); nothing is changed."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise VdbIOError(f"{folder}: exists and is not a folder")
    if os.path.exists(os.path.join(folder, MANIFEST_NAME)) and not overwrite:
        raise ExistsError(f"{folder} already holds a sharded index; pass overwrite=True to replace it")


def _clear_folder(folder: str) -> None:
    """Make `folder` ready for a new index: create it, or remove the old index in it."""
    os.makedirs(folder, exist_ok=True)
    if not os.path.exists(os.path.join(folder, MANIFEST_NAME)):
        return
    old = read_manifest(folder)
    os.remove(os.path.join(folder, MANIFEST_NAME))  # first: a half-removed index is never taken for whole
    for name in old.files:
        for path in (os.path.join(folder, name), os.path.join(folder, name) + "-journal"):
            if os.path.exists(path):
                os.remove(path)


def _split_in_memory(prepared: Prepared, num_shards: int) -> List[Tuple[Any, Any]]:
    """Each shard's (vectors, ids), put in the object store once."""
    shards = shard_of(prepared.ids, num_shards)
    order = np.argsort(shards, kind="stable")
    bounds = np.searchsorted(shards[order], np.arange(num_shards + 1))
    assert prepared.vectors is not None and prepared.ids is not None
    parts = []
    for shard in range(num_shards):
        rows = order[bounds[shard] : bounds[shard + 1]]
        parts.append((ray.put(prepared.vectors[rows]), ray.put(prepared.ids[rows])))
    return parts


def build(
    data: Any,
    path: Union[str, "os.PathLike[str]"],
    num_shards: int,
    dim: Optional[int] = None,
    metric: str = "l2",
    m: int = 16,
    ef_construction: int = 200,
    ids: Any = None,
    *,
    ef_search: int = 64,
    seed: int = 42,
    column: str = "vector",
    id_column: str = "id",
    num_cpus: float = 1,
    overwrite: bool = False,
    progress: Progress = True,
    **index_options: Any,
) -> Manifest:
    """Build a sharded index in folder `path`, one Ray task per shard.

    Args:
        data: the vectors: a numpy array (n, dim); a list of .npy / .fvecs
            files (each task maps them and reads only its shard's rows, so
            they must be readable on every node); or a Ray Dataset with a
            column `column` of vectors and, if present, a column `id_column`
            of ids. With an id column, Ray Data's workers split the rows by
            shard into part files under `path` (removed afterwards), so they
            never pass through this process; without one (or with `ids`),
            the rows are read here in order, for row numbers.
        path: the output folder; every node must be able to write it (a
            local folder on one machine, a shared mount on a cluster).
        num_shards: how many shards (files, and build tasks), >= 1.
        dim: the vector dimension, checked against the data; None takes the data's.
        metric, m, ef_construction, ef_search, seed, **index_options: as for
            vdb.Index (index_options: codes, code_bytes, rerank); each shard
            is built with them.
        ids: one distinct id per row, 0..2**64-2; None for row numbers
            (0, 1, 2, ..., continuing from one file to the next), or the id
            column of a Dataset.
        num_cpus: CPUs each build task asks Ray for; the shard's index uses
            that many threads (at least one).
        overwrite: replace a sharded index already in `path` (its shard files
            and journals are removed first).
        progress: True for a bar (tqdm when installed, else one line on
            stderr), advanced as shards finish; a callable f(done, total) in
            vectors; or None / False.

    Returns:
        The manifest written to ``path/manifest.json``.

    Raises:
        DimensionError: rows of the wrong dimension, or files that differ.
        InvalidArgumentError: NaN or Inf in a vector, repeated or bad ids,
            no vectors, a bad num_shards or index setting.
        VdbIOError: a missing vector file, `path` a file.
        ExistsError: `path` holds a sharded index and overwrite is False.
    """
    if isinstance(num_shards, bool) or not isinstance(num_shards, (int, np.integer)) or num_shards < 1:
        raise InvalidArgumentError(f"num_shards must be an integer >= 1, not {num_shards!r}")
    num_shards = int(num_shards)
    folder = os.path.abspath(os.fspath(path))  # tasks run in other working directories
    _check_folder(folder, overwrite)
    prepared = prepare(data, dim, ids, column, id_column)
    options = dict(index_options, dim=prepared.dim or dim or 1, metric=metric, m=m, ef_construction=ef_construction,
                   ef_search=ef_search, seed=seed, threads=max(1, int(num_cpus)))
    Index(**options).close()  # a bad setting fails here, before any task starts
    if prepared.dataset is None:
        _clear_folder(folder)
        return _build_shards(prepared, folder, num_shards, options, num_cpus, progress)
    parts = os.path.join(folder, f".parts-{uuid.uuid4().hex}")  # on the shared storage, like the shards
    try:
        rows, options["dim"] = spill(prepared.dataset, parts, num_shards, column, id_column, dim)
        _clear_folder(folder)
        return _build_shards(prepared, folder, num_shards, options, num_cpus, progress, parts, rows)
    finally:
        shutil.rmtree(parts, ignore_errors=True)


def _build_shards(
    prepared: Prepared,
    folder: str,
    num_shards: int,
    options: Dict[str, Any],
    num_cpus: float,
    progress: Progress,
    parts: Optional[str] = None,
    rows: int = 0,
) -> Manifest:
    """Start a task per shard, wait for them all, and write the manifest."""
    task = _build_shard_task.options(num_cpus=num_cpus)
    files = [shard_file_name(s) for s in range(num_shards)]
    if parts is not None:
        pending = {
            task.remote(s, num_shards, os.path.join(folder, files[s]), options, None, None, None, parts): s
            for s in range(num_shards)
        }
        total = rows
    elif prepared.files is not None:
        assert prepared.ids is not None
        total = int(prepared.ids.shape[0])
        ids_ref = ray.put(prepared.ids)
        pending = {
            task.remote(s, num_shards, os.path.join(folder, files[s]), options, None, ids_ref, prepared.files): s
            for s in range(num_shards)
        }
    else:
        assert prepared.ids is not None
        total = int(prepared.ids.shape[0])
        in_memory = _split_in_memory(prepared, num_shards)
        pending = {
            task.remote(s, num_shards, os.path.join(folder, files[s]), options, vectors, shard_ids, None): s
            for s, (vectors, shard_ids) in enumerate(in_memory)
        }
        del in_memory
    counts, config = _wait_for_shards(pending, total, progress)

    config.pop("threads", None)  # a property of the process that opens a shard, not of the data
    manifest = Manifest(num_shards, HASH_NAME, config, counts, libvdb_version, files)
    manifest.write(folder)
    return manifest


def _wait_for_shards(pending: Dict[Any, int], total: int, progress: Progress) -> Tuple[List[int], Dict[str, Any]]:
    """Wait for every shard task, reporting progress; the first failure cancels the rest and is raised."""
    bar = _bar("vdb.ray.build") if progress is True else None
    report = bar if bar is not None else (progress if callable(progress) else None)
    counts = [0] * len(pending)
    config: Dict[str, Any] = {}
    done = 0
    try:
        if report is not None:
            report(0, total)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            pending.pop(ready[0])
            try:
                shard, count, _seconds, config = ray.get(ready[0])
            except Exception as err:
                for ref in pending:
                    ray.cancel(ref)
                raise_cause(err)
            counts[shard] = count
            done += count
            if report is not None:
                report(done, total)
    finally:
        if bar is not None:
            bar.close()
    return counts, config


__all__ = ["build"]
