"""vdb on Ray: a sharded index built by Ray tasks and served by Ray actors.

    import vdb.ray

    vdb.ray.build(vectors, "/shared/index", num_shards=4)        # numpy, .npy/.fvecs files or a Ray Dataset
    with vdb.ray.ShardedIndex("/shared/index", replicas=1) as index:
        ids, distances = index.search(queries, k=10)              # exact merge of every shard's top-k
    ds.map_batches(vdb.ray.NearestNeighbors, fn_constructor_kwargs={"path": "/shared/index"},
                   concurrency=2, batch_format="numpy")           # offline batch search

A sharded index is a folder: shard-0000.vdb, shard-0001.vdb, ... (each an
ordinary libvdb index file, vdb.Index.open reads it) and manifest.json.
An id lives in shard splitmix64(id) mod num_shards. Needs Ray:
``pip install "./bindings/python[ray]"``. See docs/ray.md.
"""

from __future__ import annotations

try:
    import ray as _ray  # noqa: F401  (the absolute import: Ray itself, not this package)
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError('vdb.ray needs Ray: pip install "vdb[ray]" (from the repository: "./bindings/python[ray]")') from err

from ._batches import NearestNeighbors
from ._build import build
from ._errors import ShardUnavailable
from ._hash import HASH_NAME, shard_of, splitmix64
from ._local import LocalShards
from ._manifest import Manifest, read_manifest, shard_file_name
from ._sharded import ShardedIndex

__all__ = [
    "build",
    "ShardedIndex",
    "NearestNeighbors",
    "LocalShards",
    "ShardUnavailable",
    "Manifest",
    "read_manifest",
    "shard_file_name",
    "shard_of",
    "splitmix64",
    "HASH_NAME",
]
