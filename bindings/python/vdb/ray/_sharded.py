"""vdb.ray.ShardedIndex: the shards of a folder made by vdb.ray.build,
served by Ray actors, searched as one index.

Each search goes to every shard at once (one replica of each) and the
per-shard top-k are merged exactly (_merge.py). Actors restart when their
process dies (max_restarts) and reopen their file; a search whose actor
died while it was in flight is sent once more, to the next replica (or to
the same actor once Ray has restarted it), and if that fails too it raises
ShardUnavailable.

Changes are routed by the same rule as the build (_hash.py) to each
shard's writer, replica 0, the only process that holds the file writable
(libvdb allows one). The writer commits before answering; the shard's other
replicas then reopen the file, which applies the committed journal, so a
search after a change returns sees it on every replica.
"""

from __future__ import annotations

import itertools
import os
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np
import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from .._common import id_array, is_int, uint
from .._errors import DimensionError, FormatError, InvalidArgumentError, ReadOnlyError
from .._filter import Filter
from ._actor import ShardActor
from ._errors import ShardUnavailable
from ._hash import HASH_NAME, shard_of
from ._inputs import check_vectors
from ._manifest import Manifest, read_manifest
from ._merge import merge_top_k
from ._ray_errors import ACTOR_LOST, raise_cause

_RemoteShardActor = ray.remote(ShardActor)

#: Query batches up to this size go with each call instead of through the object store.
_INLINE_BYTES = 64 << 10


class ShardedIndex:
    """A sharded index served by Ray actors: ``replicas`` actors per shard.

    ``with vdb.ray.ShardedIndex(path) as index: ids, distances = index.search(queries, k=10)``

    Read-only by default: each actor maps its file (O(1), and the pages are
    the page cache's, shared by every process on the node that maps the
    same file). With ``writable=True`` each shard's replica 0 opens its file
    writable and takes :meth:`add`, :meth:`upsert` and :meth:`delete`.
    """

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]"],
        replicas: int = 1,
        *,
        writable: bool = False,
        num_cpus: float = 1,
        threads: Optional[int] = None,
        max_restarts: int = 3,
        actor_options: Optional[Dict[str, Any]] = None,
    ) -> None:
        """Start the actors and wait until each has opened its shard.

        Args:
            path: the folder vdb.ray.build wrote (every node must read it at this path).
            replicas: actors per shard, >= 1; searches take turns between them.
            writable: replica 0 of each shard opens its file writable and takes changes.
            num_cpus: CPUs each actor asks Ray for (Ray's scheduling only; may be fractional).
            threads: threads each actor's index searches a batch with; None = max(1, int(num_cpus)).
            max_restarts: how often Ray restarts an actor whose process died (-1: always).
            actor_options: more ``.options(...)`` for the actors (resources,
                scheduling_strategy, runtime_env, ...). Without a scheduling_strategy,
                actors go round robin over the alive nodes (a soft node affinity, so Ray
                places one elsewhere when its node is full), which puts a shard's replicas
                on different nodes.

        Raises:
            VdbIOError, FormatError: no sharded index at `path`; a shard file that will not open.
            BusyError: writable, and a shard is open writable elsewhere (another ShardedIndex, say).
        """
        self._actors: List[List[Any]] = []
        self.path = os.path.abspath(os.fspath(path))
        self.manifest: Manifest = read_manifest(self.path)
        if self.manifest.hash != HASH_NAME:
            raise FormatError(f"{self.path}: shards routed by {self.manifest.hash!r}, this vdb knows {HASH_NAME!r}")
        if isinstance(replicas, bool) or not is_int(replicas) or replicas < 1:
            raise InvalidArgumentError(f"replicas must be an integer >= 1, not {replicas!r}")
        self.replicas = int(replicas)
        self.writable = bool(writable)
        self._turn = itertools.count()
        #: Searches sent again because a shard's actor died while they were in flight.
        self.retries = 0
        options: Dict[str, Any] = {
            "num_cpus": num_cpus,
            "max_restarts": max_restarts,
            "max_task_retries": 0,  # this class retries searches itself, once, and never changes
            **(actor_options or {}),
        }
        threads = max(1, int(num_cpus)) if threads is None else threads
        if not ray.is_initialized():
            ray.init()  # what Ray's first .remote() would do; ray.nodes() below needs it done
        nodes = [] if "scheduling_strategy" in options else _alive_nodes()
        for shard in range(self.manifest.num_shards):
            file = self.manifest.shard_path(self.path, shard)
            group = []
            for r in range(self.replicas):
                placed = dict(options)
                if nodes:  # round robin: a shard's replicas on different nodes, shards spread evenly
                    node = nodes[(shard + r) % len(nodes)]
                    placed["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node, soft=True)
                group.append(_RemoteShardActor.options(**placed).remote(file, self.writable and r == 0, threads))
            self._actors.append(group)
        try:
            ray.get([a.count.remote() for group in self._actors for a in group])
        except Exception as err:
            self.close()
            raise_cause(err)

    # --- about ------------------------------------------------------------------

    @property
    def num_shards(self) -> int:
        return self.manifest.num_shards

    @property
    def dim(self) -> int:
        return self.manifest.dim

    def __len__(self) -> int:
        """Vectors in all shards now (changes included), from each shard's replica 0."""
        return sum(ray.get([group[0].count.remote() for group in self._live()]))

    def actors(self) -> List[Dict[str, Any]]:
        """One dict per actor: shard, replica, pid, node_id, path, writable, file_bytes; the
        process's resident memory in bytes, rss = rss_anon (heap) + rss_file (mapped files and
        libraries) + rss_shmem; and shard_rss / shard_anon, the resident and the copied
        (anonymous) bytes of its mappings of the shard file: a read-only shard is mapped,
        so shard_anon stays 0 and shard_rss at most file_bytes."""
        calls = [(s, r, a.info.remote()) for s, group in enumerate(self._live()) for r, a in enumerate(group)]
        return [{"shard": s, "replica": r, **ray.get(ref)} for s, r, ref in calls]

    # --- search -----------------------------------------------------------------

    def search(
        self, queries: Any, k: int = 10, ef: Optional[int] = None, filter: Any = None
    ) -> Tuple[np.ndarray, np.ndarray]:
        """The k nearest neighbours over all shards of one query or a batch, as vdb.Index.search.

        Args:
            queries: (dim,) or (nq, dim); sent once to the object store and read by every shard.
            k: results per query, >= 1; each shard returns its k nearest, and the merge keeps the
                k nearest of those by (distance, id): exactly the top-k of the shards' answers.
            ef: each shard's beam width; None = the ef_search the shards were built with.
            filter: None; an array-like of allowed ids (each shard gets only its own); or a
                callable ``f(id) -> bool``, pickled to every actor (as for vdb.Index, it runs
                under the actor's GIL).

        Returns:
            ``(ids, distances)``: (k,) uint64 and float32 for a (dim,) query, (nq, k) for a
            batch, nearest first; slots past the results found hold vdb.NO_ID and +inf.

        Raises:
            DimensionError, InvalidArgumentError: a bad query, k, ef or filter.
            ShardUnavailable: a shard's actor died during the search and the one retry failed.
        """
        array = np.asarray(queries, dtype=np.float32) if not isinstance(queries, np.ndarray) else queries
        if array.ndim not in (1, 2) or array.shape[-1] != self.dim:
            raise DimensionError(f"queries must be ({self.dim},) or (nq, {self.dim}), got shape {array.shape}")
        if uint("k", k) == 0:
            raise InvalidArgumentError("k must be at least 1")
        if ef is not None:
            uint("ef", ef)
        batch = np.ascontiguousarray(array.reshape(1, -1) if array.ndim == 1 else array, dtype=np.float32)
        shard_filters = self._filters_by_shard(filter)
        groups = self._live()
        turn = next(self._turn)
        # Put once, read by every shard; a small batch rides inline with each call, which is quicker.
        queries_arg = ray.put(batch) if batch.nbytes > _INLINE_BYTES else batch
        refs = [
            group[turn % self.replicas].search.remote(queries_arg, k, ef, shard_filters[s])
            for s, group in enumerate(groups)
        ]
        try:
            results = ray.get(refs)  # the usual case: every shard answered
        except Exception:
            results = [
                self._search_result(s, ref, turn, queries_arg, k, ef, shard_filters[s]) for s, ref in enumerate(refs)
            ]
        ids, distances = merge_top_k([r[0] for r in results], [r[1] for r in results], k)
        if array.ndim == 1:
            return ids[0], distances[0]
        return ids, distances

    def _search_result(
        self, shard: int, ref: Any, turn: int, queries_ref: Any, k: int, ef: Optional[int], filter: Any
    ) -> Tuple[np.ndarray, np.ndarray]:
        """One shard's answer; sent once more (to the next replica) if its actor died meanwhile."""
        try:
            return ray.get(ref)
        except ACTOR_LOST:
            pass
        except Exception as err:
            raise_cause(err)
        group = self._actors[shard]
        self.retries += 1
        try:
            return ray.get(group[(turn + 1) % self.replicas].search.remote(queries_ref, k, ef, filter))
        except ACTOR_LOST as err:
            raise ShardUnavailable(shard, f"its actor died during a search, and again on the retry: {err}", err) from err
        except Exception as err:
            raise_cause(err)
            raise  # unreachable: raise_cause always raises

    def _filters_by_shard(self, filter: Any) -> List[Any]:
        if filter is None or (callable(filter) and not isinstance(filter, Filter)):
            return [filter] * self.num_shards
        if isinstance(filter, Filter):
            raise InvalidArgumentError("a vdb.Filter lives in one process; pass its ids (an array) instead")
        allowed = id_array(filter, "filter")
        shards = shard_of(allowed, self.num_shards)
        return [allowed[shards == s] for s in range(self.num_shards)]

    # --- changes ----------------------------------------------------------------

    def add(self, vectors: Any, ids: Any) -> None:
        """Add vectors under new ids, each to its shard (ids are required: shards have no shared counter).

        Committed on each shard before this returns. All or nothing per shard; when one shard
        refuses its part (an id it already holds: ExistsError), the other shards keep theirs.

        Raises:
            ReadOnlyError: the index was not opened with ``writable=True``.
            DimensionError, InvalidArgumentError: bad vectors or ids, checked before any shard is asked.
            ExistsError: an id already in its shard.
            ShardUnavailable: a shard's writer died during the call (changes are not retried).
        """
        self._change("add", *self._rows(vectors, ids))

    def upsert(self, vectors: Any, ids: Any) -> None:
        """Insert or replace the vector of each id, in its shard; as :meth:`add` otherwise."""
        self._change("upsert", *self._rows(vectors, ids))

    def delete(self, ids: Any) -> None:
        """Delete the vectors of these ids from their shards; as :meth:`add` otherwise.

        Raises:
            NotFoundError: an id not in its shard (that shard deletes none of its part).
        """
        ids = id_array([ids] if is_int(ids) else ids)
        self._check_distinct(ids)
        self._change("delete", None, ids)

    def checkpoint(self) -> None:
        """Fold each shard's journal into its file (vdb.Index.save to the file it was opened from),
        so later opens, restarts included, need not replay the changes."""
        self._require_writable()
        self._gather([(s, group[0].checkpoint.remote()) for s, group in enumerate(self._live())])

    def _rows(self, vectors: Any, ids: Any) -> Tuple[np.ndarray, np.ndarray]:
        if ids is None:
            raise InvalidArgumentError("changes to a sharded index need ids (they choose the shards)")
        array = np.asarray(vectors)
        rows = check_vectors(array.reshape(1, -1) if array.ndim == 1 else array, self.dim, "vectors")
        id_list = id_array([ids] if is_int(ids) else ids)
        if id_list.shape[0] != rows.shape[0]:
            raise InvalidArgumentError(f"{id_list.shape[0]} ids for {rows.shape[0]} vectors")
        self._check_distinct(id_list)
        return rows, id_list

    @staticmethod
    def _check_distinct(ids: np.ndarray) -> None:
        ordered = np.sort(ids)
        repeats = np.flatnonzero(ordered[1:] == ordered[:-1])
        if repeats.size:
            raise InvalidArgumentError(f"id {int(ordered[repeats[0]])} is repeated")

    def _require_writable(self) -> None:
        if not self.writable:
            raise ReadOnlyError(
                "this ShardedIndex is read-only; open it with vdb.ray.ShardedIndex(path, writable=True) to change it"
            )

    def _change(self, method: str, vectors: Optional[np.ndarray], ids: np.ndarray) -> None:
        self._require_writable()
        groups = self._live()
        shards = shard_of(ids, self.num_shards)
        calls = []
        for s in np.unique(shards).tolist():
            mine = shards == s
            args = (ids[mine],) if vectors is None else (vectors[mine], ids[mine])
            calls.append((s, getattr(groups[s][0], method).remote(*args)))
        changed, first_error = self._gather(calls, raise_first=False)
        # Replicas reopen after every shard's writer answered, so a search after this call sees the change.
        self._gather([(s, r.reopen.remote()) for s in changed for r in groups[s][1:]])
        if first_error is not None:
            raise first_error

    def _gather(self, calls: List[Tuple[int, Any]], raise_first: bool = True) -> Tuple[List[int], Optional[BaseException]]:
        """Wait for every call; the shards that succeeded, and the first error (raised unless raise_first is False)."""
        succeeded: List[int] = []
        first_error: Optional[BaseException] = None
        for shard, ref in calls:
            try:
                ray.get(ref)
                succeeded.append(shard)
            except ACTOR_LOST as err:
                first_error = first_error or ShardUnavailable(shard, f"its actor died during the call: {err}", err)
            except Exception as err:
                try:
                    raise_cause(err)
                except Exception as cause:
                    first_error = first_error or cause
        if first_error is not None and raise_first:
            raise first_error
        return succeeded, first_error

    # --- lifetime ---------------------------------------------------------------

    def _live(self) -> List[List[Any]]:
        if not self._actors:
            raise InvalidArgumentError("the sharded index is closed")
        return self._actors

    @property
    def closed(self) -> bool:
        return not self._actors

    def close(self) -> None:
        """Stop the actors (uncommitted changes do not exist: every change is committed). Idempotent."""
        actors, self._actors = self._actors, []
        for group in actors:
            for actor in group:
                ray.kill(actor, no_restart=True)

    def __enter__(self) -> "ShardedIndex":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.num_shards} shards x {self.replicas} replicas"
        return f"<vdb.ray.ShardedIndex {self.path!r} {state}>"


def _alive_nodes() -> List[str]:
    """The ids of the cluster's alive nodes, in a stable order."""
    return sorted(node["NodeID"] for node in ray.nodes() if node.get("Alive"))


__all__ = ["ShardedIndex"]
