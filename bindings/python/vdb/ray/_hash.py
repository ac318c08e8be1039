"""Which shard an id belongs to: splitmix64(id) mod num_shards.

The rule is part of the on-disk layout (the manifest names it), so it must
give the same answer in every process, on every machine and in every
Python: Python's hash() does not (it is salted per process for strings and
differs between versions), so the ids go through splitmix64's finaliser,
computed with numpy's wrapping uint64 arithmetic. Consecutive ids spread
evenly over the shards.
"""

from __future__ import annotations

import numpy as np

#: The name the manifest records for the rule below.
HASH_NAME = "splitmix64"

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def splitmix64(ids: np.ndarray) -> np.ndarray:
    """splitmix64 of each id (a uint64 array): the generator's output for state = id."""
    z = np.asarray(ids, dtype=np.uint64) + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def shard_of(ids: np.ndarray, num_shards: int) -> np.ndarray:
    """The shard (0..num_shards-1, as int64) of each id."""
    with np.errstate(over="ignore"):  # the wrap-around is the point
        return (splitmix64(ids) % np.uint64(num_shards)).astype(np.int64)


__all__ = ["HASH_NAME", "splitmix64", "shard_of"]
