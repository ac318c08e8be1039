"""What vdb.ray.build accepts as data, checked and brought to one shape.

Three kinds of input:

* a numpy array (or anything np.asarray takes): rows are vectors;
* a list of vector files (.npy or .fvecs): only their headers are read
  here; each shard's build task maps the files itself and keeps its rows,
  so the vectors never pass through this process (the files must be
  readable on every node, like the output folder);
* a Ray Dataset with a column of vectors and an id column: split by shard
  by Ray Data's own workers (_spill.py); without an id column (or with
  `ids` given) it is read here in order, batch by batch, for row numbers.

Ids default to row numbers (over the files in the order given). They are
always held here as one uint64 array (8 bytes a row) to check them once:
no repeats, no vdb.NO_ID.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence

import numpy as np

from .._common import id_array
from .._errors import DimensionError, InvalidArgumentError, VdbIOError

NO_ID = 2**64 - 1


@dataclass(frozen=True)
class VectorFile:
    """One .npy or .fvecs file: its rows are ids first_id, first_id + 1, ... unless ids are given."""

    path: str
    kind: str  # "npy" or "fvecs"
    rows: int
    dim: int


@dataclass
class Prepared:
    """The input, checked: `vectors` (n, dim) float32 in memory, `files` to be read by each task,
    or a `dataset` with an id column, to be split by Ray Data (_spill.py; dim and ids unknown yet)."""

    dim: int
    ids: Optional[np.ndarray]
    vectors: Optional[np.ndarray] = None
    files: Optional[List[VectorFile]] = None
    dataset: Any = None


def _probe_file(path: str) -> VectorFile:
    """The kind, row count and dimension of a vector file, from its header."""
    if not os.path.isfile(path):
        raise VdbIOError(f"{path}: no such vector file")
    if path.endswith(".npy"):
        try:
            array = np.load(path, mmap_mode="r")
        except ValueError as err:
            raise InvalidArgumentError(f"{path}: not a readable .npy array: {err}") from None
        if array.ndim != 2 or array.dtype.kind != "f":
            raise InvalidArgumentError(f"{path}: a .npy of vectors must be 2-D floats, not {array.dtype} {array.shape}")
        return VectorFile(path, "npy", int(array.shape[0]), int(array.shape[1]))
    if path.endswith(".fvecs"):
        size = os.path.getsize(path)
        if size == 0:
            return VectorFile(path, "fvecs", 0, 0)
        dim = int(np.fromfile(path, dtype=np.int32, count=1)[0])
        if dim <= 0 or size % (4 * (dim + 1)):
            raise InvalidArgumentError(f"{path}: not an .fvecs file (first row says dim {dim}, size {size} bytes)")
        return VectorFile(path, "fvecs", size // (4 * (dim + 1)), dim)
    raise InvalidArgumentError(f"{path}: vector files must be .npy or .fvecs")


def read_file_rows(file: VectorFile, rows: np.ndarray) -> np.ndarray:
    """Rows `rows` (sorted row numbers) of a vector file, as a new (len(rows), dim) float32 array."""
    if file.kind == "npy":
        mapped = np.load(file.path, mmap_mode="r")
    else:
        mapped = np.memmap(file.path, dtype=np.float32, mode="r").reshape(file.rows, file.dim + 1)[:, 1:]
    return np.ascontiguousarray(mapped[rows], dtype=np.float32)


def check_ids(ids: Any, n: int) -> np.ndarray:
    array = np.arange(n, dtype=np.uint64) if ids is None else id_array(ids)
    if array.shape[0] != n:
        raise InvalidArgumentError(f"ids: {array.shape[0]} ids for {n} vectors")
    if n and int(array.max()) == NO_ID:
        raise InvalidArgumentError("ids must be in 0..2**64-2 (2**64-1 is vdb.NO_ID)")
    ordered = np.sort(array)
    repeats = np.flatnonzero(ordered[1:] == ordered[:-1])
    if repeats.size:
        raise InvalidArgumentError(f"ids must be distinct; id {int(ordered[repeats[0]])} is repeated")
    return array


def check_vectors(array: Any, dim: Optional[int], what: str = "data", ids: Optional[np.ndarray] = None) -> np.ndarray:
    """array as an (n, dim) float32 array with no NaN or Inf (the error names the row, or its id in `ids`)."""
    try:
        vectors = np.ascontiguousarray(array, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise InvalidArgumentError(f"{what} must be numbers convertible to float32: {err}") from None
    if vectors.ndim != 2:
        raise DimensionError(f"{what} must be a 2-D array of vectors, got shape {vectors.shape}")
    if dim is not None and vectors.shape[1] != dim:
        raise DimensionError(f"dimension mismatch: dim is {dim}, {what} has {vectors.shape[1]}")
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        where = f"row {row}" if ids is None or len(ids) <= row else f"the vector of id {int(ids[row])}"
        raise InvalidArgumentError(f"{what}: {where} holds NaN or Inf")
    return vectors


def _from_dataset(dataset: Any, column: str, id_column: str, ids: Any, dim: Optional[int]) -> Prepared:
    names = dataset.schema().names
    if column not in names:
        raise InvalidArgumentError(f"the dataset has no column {column!r} (its columns: {names}); pass column=")
    if ids is None and id_column in names:
        return Prepared(dim or 0, None, dataset=dataset)  # split by Ray Data into the output folder
    # Row numbers (or ids given here) need the rows in order: read them through this process.
    chunks: List[np.ndarray] = []
    from ray.data import DataContext

    options = DataContext.get_current().execution_options
    was = options.preserve_order
    options.preserve_order = True  # else blocks may come in any order, and row numbers with them
    try:
        for batch in dataset.iter_batches(batch_format="numpy", batch_size=4096):
            part = batch[column]
            chunks.append(np.stack(part) if part.dtype == object else part)
    finally:
        options.preserve_order = was
    if not chunks:
        raise InvalidArgumentError("the dataset is empty")
    vectors = check_vectors(np.concatenate(chunks), dim, f"column {column!r}")
    return Prepared(vectors.shape[1], check_ids(ids, vectors.shape[0]), vectors=vectors)


def prepare(data: Any, dim: Optional[int], ids: Any, column: str, id_column: str) -> Prepared:
    """Check `data` and its ids; see the module docstring for what `data` may be."""
    if isinstance(data, (str, os.PathLike)):
        data = [data]
    if isinstance(data, (list, tuple)) and data and all(isinstance(p, (str, os.PathLike)) for p in data):
        files = [_probe_file(os.path.abspath(os.fspath(p))) for p in data]
        dims = {f.dim for f in files if f.rows}
        if len(dims) > 1:
            raise DimensionError(f"the vector files differ in dimension: {sorted(dims)}")
        file_dim = dims.pop() if dims else (dim or 0)
        if dim is not None and file_dim != dim:
            raise DimensionError(f"dimension mismatch: dim is {dim}, the files have {file_dim}")
        if not file_dim:
            raise InvalidArgumentError("the vector files are empty")
        return Prepared(file_dim, check_ids(ids, sum(f.rows for f in files)), files=files)
    if hasattr(data, "iter_batches") and hasattr(data, "schema"):
        return _from_dataset(data, column, id_column, ids, dim)
    vectors = check_vectors(data, dim)
    if vectors.shape[0] == 0:
        raise InvalidArgumentError("data holds no vectors")
    return Prepared(vectors.shape[1], check_ids(ids, vectors.shape[0]), vectors=vectors)


def file_rows_of(files: Sequence[VectorFile], global_rows: np.ndarray) -> List[np.ndarray]:
    """For each file, the sorted row numbers inside it of the (sorted) global rows."""
    result = []
    start = 0
    for file in files:
        lo, hi = np.searchsorted(global_rows, [start, start + file.rows])
        result.append(global_rows[lo:hi] - start)
        start += file.rows
    return result


__all__ = ["Prepared", "VectorFile", "prepare", "check_ids", "check_vectors", "read_file_rows", "file_rows_of"]
