"""NearestNeighbors: offline batch search as a Ray Data map_batches step.

    ds.map_batches(vdb.ray.NearestNeighbors, fn_constructor_kwargs={"path": folder, "k": 10},
                   concurrency=2, batch_format="numpy")

Ray makes one instance per worker, so the index is opened once per worker
(O(1) per shard), not once per batch.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Union

import numpy as np

from .._index import Index
from ._local import LocalShards


class NearestNeighbors:
    """A callable for ``Dataset.map_batches``: adds each row's k nearest ids and distances.

    Args:
        path: a sharded index folder (from vdb.ray.build), or one .vdb index file.
        k: neighbours per row.
        ef: beam width; None = the index's ef_search.
        column: the column of query vectors.
        ids_column, distances_column: the columns added: (k,) uint64 ids and
            (k,) float32 distances per row, nearest first (vdb.NO_ID and +inf past the results found).
        threads: threads each index searches a batch with; None = the index's default (all cores).
    """

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]"],
        k: int = 10,
        ef: Optional[int] = None,
        column: str = "vector",
        ids_column: str = "neighbor_ids",
        distances_column: str = "neighbor_distances",
        threads: Optional[int] = None,
    ) -> None:
        self.k, self.ef = k, ef
        self.column, self.ids_column, self.distances_column = column, ids_column, distances_column
        if os.path.isdir(path):
            self.index: Any = LocalShards(path, threads)
        else:
            self.index = Index.open(path)
            if threads:
                self.index.set_threads(threads)

    def __call__(self, batch: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        queries = batch[self.column]
        if queries.dtype == object:  # rows of a list column come as an array of arrays
            queries = np.stack(queries)
        ids, distances = self.index.search(np.ascontiguousarray(queries, dtype=np.float32), self.k, self.ef)
        return {**batch, self.ids_column: ids, self.distances_column: distances}


__all__ = ["NearestNeighbors"]
