"""The exact top-k of a query over all shards from each shard's own top-k.

A vector is in exactly one shard, so the k nearest over the whole set are
among the union of each shard's k nearest: merging is exact, and costs
nothing compared with the searches. Equal distances are ordered by id, so
the answer does not depend on which shard answered first.
"""

from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np


def merge_top_k(ids: Sequence[np.ndarray], distances: Sequence[np.ndarray], k: int) -> Tuple[np.ndarray, np.ndarray]:
    """Merge per-shard results, each (nq, k_shard), into the (nq, k) nearest by (distance, id).

    Empty slots (id vdb.NO_ID, distance +inf) sort last, so they are kept
    only when all the shards together hold fewer than k results.
    """
    all_ids = np.concatenate(ids, axis=1)
    all_distances = np.concatenate(distances, axis=1)
    order = np.lexsort((all_ids, all_distances), axis=-1)[:, :k]  # last key first: distance, then id
    return np.take_along_axis(all_ids, order, axis=1), np.take_along_axis(all_distances, order, axis=1)


__all__ = ["merge_top_k"]
