"""LocalShards: every shard of a sharded index opened in this process.

Mapping a shard is O(1), so a process that searches many batches (a Ray
Data worker, a benchmark's baseline) opens them all and merges their
answers itself, with no actor in between.
"""

from __future__ import annotations

import os
from typing import Any, List, Optional, Tuple, Union

import numpy as np

from .._index import Index
from ._manifest import Manifest, read_manifest
from ._merge import merge_top_k


class LocalShards:
    """The shards of the folder `path`, each a read-only vdb.Index; searched and merged here."""

    def __init__(self, path: Union[str, "os.PathLike[str]"], threads: Optional[int] = None) -> None:
        folder = os.path.abspath(os.fspath(path))
        self.manifest: Manifest = read_manifest(folder)
        self.indexes: List[Index] = []
        try:
            for shard in range(self.manifest.num_shards):
                index = Index.open(self.manifest.shard_path(folder, shard))
                if threads:
                    index.set_threads(threads)
                self.indexes.append(index)
        except BaseException:
            self.close()
            raise

    def search(self, queries: Any, k: int = 10, ef: Optional[int] = None, filter: Any = None) -> Tuple[np.ndarray, np.ndarray]:
        """As ShardedIndex.search, shard after shard in this process."""
        array = np.asarray(queries, dtype=np.float32)
        batch = array.reshape(1, -1) if array.ndim == 1 else array
        results = [index.search(batch, k, ef, filter=filter) for index in self.indexes]
        ids, distances = merge_top_k([r[0] for r in results], [r[1] for r in results], k)
        return (ids[0], distances[0]) if array.ndim == 1 else (ids, distances)

    def close(self) -> None:
        for index in self.indexes:
            index.close()
        self.indexes = []

    def __enter__(self) -> "LocalShards":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["LocalShards"]
