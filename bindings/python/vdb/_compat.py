"""vdb.VectorDB: the seed's class, kept so the seed's programs run unchanged.

    db = vdb.VectorDB("vectors.f32", 384, M=16, ef_construction=200)
    db.build_index(0, 20000)               # rows [0, 20000)
    db.search(query, 5)                    # [(id, distance), ...] nearest first

It is a thin layer over vdb.Index.map_vectors; `.index` is that Index.
"""

from __future__ import annotations

from typing import List, Tuple

from ._common import ArrayLike, PathLike
from ._common import uint as _uint
from ._index import Index


class VectorDB:
    """A raw float32 vector file (or .npy / .fvecs) mapped read-only, with an HNSW graph over its rows."""

    def __init__(self, file_path: PathLike, dimensions: int, M: int = 16, ef_construction: int = 200) -> None:
        """Map `file_path` (rows of `dimensions` float32) with graph parameters M and ef_construction."""
        self.index = Index.map_vectors(file_path, dim=dimensions, m=M, ef_construction=ef_construction)

    def build_index(self, start: int, end: int) -> None:
        """Link rows [start, end) of the file into the graph."""
        start = _uint("start", start, 2**64 - 1)
        end = _uint("end", end, 2**64 - 1)
        self.index.build(start, max(0, end - start))

    def search(self, query: ArrayLike, k: int) -> List[Tuple[int, float]]:
        """The k nearest rows to `query` (a list or array of floats) as (row id, distance) pairs, nearest first.

        Only found results are returned: fewer than k when fewer rows are built.
        """
        ids, distances, found = self.index.search(query, k, return_found=True)
        return [(int(ids[i]), float(distances[i])) for i in range(found)]

    def close(self) -> None:
        """Unmap the file."""
        self.index.close()

    def __len__(self) -> int:
        return len(self.index)

    def __enter__(self) -> "VectorDB":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
