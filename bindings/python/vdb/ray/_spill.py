"""A Ray Dataset with an id column, split into shards by Ray Data itself.

Each map_batches task routes its batch's rows by id and writes each shard's
part as two .npy files (vectors, ids) under a parts folder inside the
output folder, which every node can already write; each shard's build task
then reads its own parts. So the vectors go from the Dataset's workers to
the shard builders through the shared folder, never through the driver.
A batch's problem (NaN, a bad id, a wrong dimension) comes back as a row of
the summary rather than as an exception, because Ray Data passes on only
the text of an exception raised in user code; the driver raises it as the
vdb error it was.
"""

from __future__ import annotations

import glob
import os
import uuid
from typing import Any, Dict, Optional, Tuple

import numpy as np

from .. import _errors
from .._common import id_array
from .._errors import DimensionError, Error, InvalidArgumentError
from ._hash import shard_of
from ._inputs import NO_ID, check_vectors, check_ids


#: Rows a map task gathers (from as many blocks as it takes) before it writes them: fewer, larger part files.
_ROWS_PER_TASK = 16384


def _spill_batch(
    batch: Dict[str, np.ndarray], parts: str, num_shards: int, column: str, id_column: str, dim: Optional[int]
) -> Dict[str, np.ndarray]:
    """Write one batch's rows into per-shard part files; answer one summary row."""
    try:
        raw = batch[column]
        ids = id_array(batch[id_column], f"column {id_column!r}")
        vectors = check_vectors(np.stack(raw) if raw.dtype == object else raw, dim, f"column {column!r}", ids)
        if ids.size and int(ids.max()) == NO_ID:
            raise InvalidArgumentError("ids must be in 0..2**64-2 (2**64-1 is vdb.NO_ID)")
        token = uuid.uuid4().hex
        shards = shard_of(ids, num_shards)
        for shard in np.unique(shards).tolist():
            mine = shards == shard
            np.save(os.path.join(parts, f"{shard:04d}-{token}-vectors.npy"), vectors[mine])
            np.save(os.path.join(parts, f"{shard:04d}-{token}-ids.npy"), ids[mine])
        return {"rows": np.array([len(ids)]), "dim": np.array([vectors.shape[1]]),
                "error": np.array([""]), "kind": np.array([""])}
    except Error as err:
        return {"rows": np.array([0]), "dim": np.array([0]),
                "error": np.array([str(err)]), "kind": np.array([type(err).__name__])}


def spill(dataset: Any, parts: str, num_shards: int, column: str, id_column: str, dim: Optional[int]) -> Tuple[int, int]:
    """Write the dataset's rows into `parts` by shard; returns (rows, dim).

    Raises the first batch's problem as its vdb error class (DimensionError, InvalidArgumentError, ...).
    """
    os.makedirs(parts, exist_ok=True)
    summary = dataset.map_batches(
        _spill_batch,
        fn_kwargs={"parts": parts, "num_shards": num_shards, "column": column, "id_column": id_column, "dim": dim},
        batch_format="numpy",
        batch_size=_ROWS_PER_TASK,
    ).take_all()
    for row in summary:
        if row["error"]:
            raise getattr(_errors, str(row["kind"]), InvalidArgumentError)(str(row["error"]))
    dims = {int(row["dim"]) for row in summary if int(row["rows"])}
    if len(dims) > 1:
        raise DimensionError(f"column {column!r} holds vectors of different dimensions: {sorted(dims)}")
    rows = sum(int(row["rows"]) for row in summary)
    if not rows:
        raise InvalidArgumentError("the dataset is empty")
    return rows, dims.pop()


def read_parts(parts: str, shard: int, dim: int) -> Tuple[np.ndarray, np.ndarray]:
    """The vectors and ids of one shard, from its part files; the ids checked distinct."""
    vector_files = sorted(glob.glob(os.path.join(parts, f"{shard:04d}-*-vectors.npy")))
    if not vector_files:
        return np.empty((0, dim), np.float32), np.empty(0, np.uint64)
    vectors = np.concatenate([np.load(f) for f in vector_files])
    ids = np.concatenate([np.load(f[: -len("vectors.npy")] + "ids.npy") for f in vector_files])
    return vectors, check_ids(ids, len(ids))


__all__ = ["spill", "read_parts"]
