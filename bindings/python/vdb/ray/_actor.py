"""ShardActor: one Ray actor serving one shard file.

The actor maps its file with vdb.Index.open, which reads only the header,
so a restarted actor (Ray runs __init__ again) serves again at once. It
holds the file read-only, or writable when it is its shard's writer: then
each change is committed to the shard's journal before the call returns,
and the other replicas reopen the file to see it (every open applies the
committed journal).
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Tuple

import numpy as np

from .._index import Index


def _memory() -> Dict[str, int]:
    """This process's resident memory in bytes: all of it, anonymous (heap) and file-backed (mapped files)."""
    wanted = {"VmRSS": "rss", "RssAnon": "rss_anon", "RssFile": "rss_file", "RssShmem": "rss_shmem"}
    result: Dict[str, int] = {}
    try:
        with open("/proc/self/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in wanted:
                    result[wanted[key]] = int(value.split()[0]) * 1024
    except OSError:  # not Linux
        pass
    return result


def _mapped(path: str) -> Dict[str, int]:
    """Resident and anonymous (copied-on-write) bytes of this process's mappings of `path`, from /proc/self/smaps."""
    totals = {"shard_rss": 0, "shard_anon": 0}
    inside = False
    try:
        with open("/proc/self/smaps") as smaps:
            for line in smaps:
                first = line.split(None, 1)[0]
                if "-" in first and not first.endswith(":"):  # a mapping's header: "start-end perms ... path"
                    inside = line.rstrip("\n").endswith(" " + path)
                elif inside and first in ("Rss:", "Anonymous:"):
                    key = "shard_rss" if first == "Rss:" else "shard_anon"
                    totals[key] += int(line.split()[1]) * 1024
    except OSError:
        pass
    return totals


class ShardActor:
    """Serves searches (and, as the writer, changes) of one shard file."""

    def __init__(self, path: str, writable: bool, threads: Optional[int]) -> None:
        self.path = path
        self.writable = writable
        self.threads = threads
        # An open that fails (BusyError: another writer; a missing file) is kept and raised by
        # each call, rather than failing __init__: Ray reports an __init__ error only as its text.
        self._index: Optional[Index] = None
        self._open_error: Optional[Exception] = None
        self._try_open()

    def _try_open(self) -> None:
        try:
            self._index = self._open()
            self._open_error = None
        except Exception as err:
            self._open_error = err

    @property
    def index(self) -> Index:
        """The open shard; a failed open is tried again, and its error raised if it fails again."""
        if self._index is None:
            self._try_open()
            if self._open_error is not None:
                raise self._open_error
        assert self._index is not None
        return self._index

    def _open(self) -> Index:
        index = Index.open(self.path, writable=self.writable)
        if self.threads:
            index.set_threads(self.threads)
        return index

    def search(self, queries: np.ndarray, k: int, ef: Optional[int], filter: Any) -> Tuple[np.ndarray, np.ndarray]:
        return self.index.search(queries, k, ef, filter=filter)  # type: ignore[return-value]

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        self.index.add(vectors, ids=ids)
        self.index.commit()

    def upsert(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        self.index.upsert(vectors, ids=ids)
        self.index.commit()

    def delete(self, ids: np.ndarray) -> None:
        self.index.delete(ids)
        self.index.commit()

    def checkpoint(self) -> None:
        """Fold the journal into the file (a save to the file it was opened from)."""
        self.index.save(self.path)

    def reopen(self) -> None:
        """Map the file again, with the journal's committed changes (a read replica after a change)."""
        fresh = self._open()
        old, self._index = self._index, fresh
        if old is not None:
            old.close()

    def count(self) -> int:
        return len(self.index)

    def info(self) -> Dict[str, Any]:
        """Where this actor runs and what memory it holds (for ShardedIndex.actors())."""
        import ray  # only inside an actor

        return {
            "pid": os.getpid(),
            "node_id": ray.get_runtime_context().get_node_id(),
            "path": self.path,
            "writable": self.writable,
            "file_bytes": os.path.getsize(self.path),
            **_memory(),
            **_mapped(self.path),
        }


__all__ = ["ShardActor"]
