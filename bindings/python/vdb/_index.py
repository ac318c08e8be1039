"""vdb.Index: an HNSW index with numpy in and out.

Input arrays that are already float32 and C-contiguous are handed to C in
place (ffi.from_buffer: no copy). Anything else (float64, Fortran order,
strided views, lists) is converted once with
np.ascontiguousarray(x, dtype=np.float32). Result arrays are allocated with
numpy and filled in place by C. The GIL is released during every C call, so
searches from several Python threads run in parallel.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Dict, List, Literal, Optional, Tuple, Union, overload

import numpy as np
import numpy.typing as npt

from ._errors import DimensionError, InvalidArgumentError, error_for
from ._native import ffi, lib

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
ArrayLike = npt.ArrayLike

#: The id in result slots past the number of results found (UINT64_MAX).
NO_ID: int = 2**64 - 1

_METRICS: Dict[str, int] = {
    "l2": lib.VDB_METRIC_L2,
    "ip": lib.VDB_METRIC_IP,
    "cosine": lib.VDB_METRIC_COSINE,
}
_METRIC_NAMES: Dict[int, str] = {value: name for name, value in _METRICS.items()}
_U32_MAX = 2**32 - 1
_U64_MAX = 2**64 - 1


def _raise_last(code: int) -> None:
    """Raise the exception for a failed call; read in the thread that made it."""
    message = ffi.string(lib.vdb_last_error()).decode("utf-8", "replace")
    raise error_for(code, message)


def _check(code: int) -> None:
    if code != 0:
        _raise_last(code)


def _path(path: PathLike) -> bytes:
    raw = os.fsencode(os.fspath(path))
    if b"\0" in raw:
        raise InvalidArgumentError("path contains a NUL byte")
    return raw


def _uint(name: str, value: Any, maximum: int = _U32_MAX) -> int:
    """An int in 0..maximum, or InvalidArgumentError (cffi would raise OverflowError)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidArgumentError(f"{name} must be an integer, not {value!r}")
    number = int(value)
    if not 0 <= number <= maximum:
        raise InvalidArgumentError(f"{name} must be in 0..{maximum}, not {number}")
    return number


def _metric_code(metric: Union[str, int]) -> int:
    if isinstance(metric, str):
        code = _METRICS.get(metric.lower())
        if code is None:
            raise InvalidArgumentError(f"unknown metric {metric!r}; use one of {', '.join(_METRICS)}")
        return code
    if isinstance(metric, (int, np.integer)) and int(metric) in _METRIC_NAMES:
        return int(metric)
    raise InvalidArgumentError(f"unknown metric {metric!r}; use one of {', '.join(_METRICS)}")


def _as_float32(data: ArrayLike) -> np.ndarray:
    """data itself when it is a float32 C-contiguous ndarray, else one converted copy."""
    if isinstance(data, np.ndarray) and data.dtype == np.float32 and data.flags.c_contiguous:
        return data
    try:
        return np.ascontiguousarray(data, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise InvalidArgumentError(f"vectors must be numbers convertible to float32: {err}") from None


def _float_ptr(array: np.ndarray) -> Any:
    """A `const float *` into the array's own memory (no copy)."""
    return ffi.from_buffer("float[]", array)


def _as_ids(ids: ArrayLike, n: int) -> np.ndarray:
    raw = ids if isinstance(ids, np.ndarray) else np.asarray(ids)
    if raw.dtype.kind not in "iu" and raw.size and not isinstance(ids, np.ndarray):
        # Python ints past int64 make numpy pick float64 or object: convert them exactly.
        items: List[Any] = list(raw.ravel()) if raw.dtype == object else list(ids)  # type: ignore[arg-type]
        if not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in items):
            raise InvalidArgumentError("ids must be integers")
        if not all(0 <= int(i) <= _U64_MAX for i in items):
            raise InvalidArgumentError("ids must be in 0..2**64-2")
        raw = np.array([int(i) for i in items], dtype=np.uint64)
    if raw.size and raw.dtype.kind not in "iu":
        raise InvalidArgumentError(f"ids must be integers, not {raw.dtype}")
    if raw.ndim != 1 or raw.shape[0] != n:
        raise InvalidArgumentError(f"ids must be a 1-D sequence of {n} ids (one per vector), got shape {raw.shape}")
    if raw.dtype.kind == "i" and raw.size and raw.min() < 0:
        raise InvalidArgumentError("ids must not be negative")
    return np.ascontiguousarray(raw, dtype=np.uint64)


class _Guard:
    """Readers (search, save, count, config) share the index; a writer (add,
    build, set_threads, close) waits for them and runs alone, as the C API
    asks. This keeps a Python program from racing a close or an add against a
    search, which would crash inside C. A reader with no writer about takes
    one plain lock twice: a single query's whole call is a few microseconds."""

    __slots__ = ("_lock", "_cond", "_readers", "_writing", "_waiting")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._readers = 0
        self._writing = False
        self._waiting = 0  # writers blocked in enter_write

    def enter_read(self) -> None:
        with self._lock:
            while self._writing:
                self._cond.wait()
            self._readers += 1

    def exit_read(self) -> None:
        with self._lock:
            self._readers -= 1
            if self._readers == 0 and self._waiting:
                self._cond.notify_all()

    def enter_write(self) -> None:
        with self._lock:
            self._waiting += 1
            try:
                while self._writing or self._readers:
                    self._cond.wait()
            finally:
                self._waiting -= 1
            self._writing = True

    def exit_write(self) -> None:
        with self._lock:
            self._writing = False
            self._cond.notify_all()


def _new_config(
    dim: int, metric: Union[str, int], m: int, ef_construction: int, ef_search: int, threads: int, seed: int
) -> Any:
    cfg = ffi.new("vdb_config *")
    lib.vdb_config_init(cfg)
    cfg.dim = _uint("dim", dim)
    cfg.metric = _metric_code(metric)
    cfg.m = _uint("m", m)
    cfg.ef_construction = _uint("ef_construction", ef_construction)
    cfg.ef_search = _uint("ef_search", ef_search)
    cfg.threads = _uint("threads", threads)
    cfg.seed = _uint("seed", seed, _U64_MAX)
    return cfg


SearchResult = Union[Tuple[np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray, Any]]


class Index:
    """An HNSW approximate-nearest-neighbour index over float32 vectors.

    Three ways to get one:

    * ``Index(dim, ...)``: an empty index in memory; add vectors with :meth:`add`.
    * ``Index.map_vectors(path, ...)``: an index over a vector file (raw float32,
      .fvecs or .npy) mapped read-only; link its rows with :meth:`build`.
      Vectors are never copied to the heap. A node's id is its row number.
    * ``Index.open(path)``: a saved index, mapped read-only in O(1).

    Distances: "l2" is the squared Euclidean distance, "ip" is 1 - dot(a, b),
    "cosine" is 1 - cos(a, b); smaller is nearer for all three.

    Threads: :meth:`search` and :meth:`save` may run from many threads at once
    (the GIL is released in C); :meth:`add`, :meth:`build`,
    :meth:`set_threads` and :meth:`close` wait for running calls and then run
    alone.

    The index is a context manager; leaving the ``with`` block closes it. Any
    call on a closed index raises :class:`InvalidArgumentError` (a
    :class:`vdb.Error` and a ``ValueError``).
    """

    __slots__ = ("_handle", "_guard", "_dim", "_metric", "_rows", "__weakref__")

    def __init__(
        self,
        dim: int,
        metric: Union[str, int] = "l2",
        m: int = 16,
        ef_construction: int = 200,
        ef_search: int = 64,
        threads: int = 0,
        seed: int = 42,
    ) -> None:
        """Create an empty index of `dim`-dimensional vectors (1..65536).

        Args:
            dim: vector dimension.
            metric: "l2" (squared Euclidean), "ip" (1 - dot) or "cosine" (1 - cos).
            m: links per node on upper layers, 2..256 (layer 0 has 2*m).
            ef_construction: beam width while building.
            ef_search: beam width of a search that passes no `ef`.
            threads: worker threads for add, build and batch search; 0 = all cores.
            seed: level generator seed (same data + seed + threads=1 = same graph).
        """
        self._handle = None  # a failed constructor leaves a closed index, not a broken one
        self._guard = _Guard()
        cfg = _new_config(dim, metric, m, ef_construction, ef_search, threads, seed)
        out = ffi.new("vdb_index **")
        _check(lib.vdb_create(out, cfg))
        self._adopt(out[0], rows=None)

    def _adopt(self, raw: Any, rows: Optional[int]) -> None:
        self._handle = ffi.gc(raw, lib.vdb_close)
        self._guard = _Guard()
        self._dim = int(lib.vdb_dim(raw))
        self._metric = _METRIC_NAMES.get(int(lib.vdb_metric(raw)), str(int(lib.vdb_metric(raw))))
        self._rows = rows

    @classmethod
    def _from_handle(cls, raw: Any, rows: Optional[int] = None) -> "Index":
        self = cls.__new__(cls)
        self._adopt(raw, rows)
        return self

    @classmethod
    def open(cls, path: PathLike, verify: bool = False, populate: bool = False) -> "Index":
        """Map a saved index read-only. Only the header is read: O(1) in the index size.

        Args:
            path: the index file written by :meth:`save`.
            verify: first check the whole file (checksums, every link), like :func:`vdb.verify`.
            populate: ask the OS to read the whole file into the page cache now.

        Raises:
            VdbIOError: missing path, a directory, unreadable.
            FormatError: not a libvdb index, truncated or corrupt.
            VersionError: a newer file format.
        """
        flags = lib.VDB_OPEN_DEFAULT
        if verify:
            flags |= lib.VDB_OPEN_VERIFY
        if populate:
            flags |= lib.VDB_OPEN_POPULATE
        out = ffi.new("vdb_index **")
        _check(lib.vdb_open(out, _path(path), flags))
        return cls._from_handle(out[0])

    @classmethod
    def map_vectors(
        cls,
        path: PathLike,
        dim: Optional[int] = None,
        metric: Union[str, int] = "l2",
        m: int = 16,
        ef_construction: int = 200,
        ef_search: int = 64,
        threads: int = 0,
        seed: int = 42,
    ) -> "Index":
        """An empty graph over a vector file mapped read-only; link rows with :meth:`build`.

        Formats: .npy (float32, little-endian, C order, 2-D); .fvecs; anything
        else is raw little-endian float32 rows of `dim` (required for raw
        files; None reads it from a .npy or .fvecs file). The file must not
        change while the index is open. A node's id is its row number.
        """
        raw_path = _path(path)
        cfg = _new_config(0 if dim is None else dim, metric, m, ef_construction, ef_search, threads, seed)
        out = ffi.new("vdb_index **")
        _check(lib.vdb_map_vectors(out, raw_path, cfg))
        return cls._from_handle(out[0], rows=int(lib.vdb_rows(out[0])))

    # --- access --------------------------------------------------------------

    def _read(self) -> Any:
        self._guard.enter_read()
        handle = self._handle
        if handle is None:
            self._guard.exit_read()
            raise InvalidArgumentError("the index is closed", lib.VDB_EINVAL)
        return handle

    def _write(self) -> Any:
        self._guard.enter_write()
        handle = self._handle
        if handle is None:
            self._guard.exit_write()
            raise InvalidArgumentError("the index is closed", lib.VDB_EINVAL)
        return handle

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._handle is None

    def _require_open(self) -> None:
        if self._handle is None:
            raise InvalidArgumentError("the index is closed", lib.VDB_EINVAL)

    @property
    def dim(self) -> int:
        """The vector dimension."""
        self._require_open()
        return self._dim

    @property
    def metric(self) -> str:
        """The metric: "l2", "ip" or "cosine"."""
        self._require_open()
        return self._metric

    @property
    def rows(self) -> Optional[int]:
        """Rows in the vector file of an index from :meth:`map_vectors`; None for the others."""
        return self._rows

    @property
    def config(self) -> Dict[str, Any]:
        """The configuration: dim, metric (a name), m, ef_construction, ef_search, threads, seed."""
        cfg = ffi.new("vdb_config *")
        handle = self._read()
        try:
            _check(lib.vdb_get_config(handle, cfg))
        finally:
            self._guard.exit_read()
        return {
            "dim": int(cfg.dim),
            "metric": _METRIC_NAMES.get(int(cfg.metric), str(int(cfg.metric))),
            "m": int(cfg.m),
            "ef_construction": int(cfg.ef_construction),
            "ef_search": int(cfg.ef_search),
            "threads": int(cfg.threads),
            "seed": int(cfg.seed),
        }

    def __len__(self) -> int:
        """Vectors linked into the graph."""
        handle = self._read()
        try:
            return int(lib.vdb_count(handle))
        finally:
            self._guard.exit_read()

    def __repr__(self) -> str:
        if self._handle is None:
            return "<vdb.Index closed>"
        return f"<vdb.Index dim={self._dim} metric={self._metric!r} count={len(self)}>"

    # --- changes -----------------------------------------------------------------

    def add(self, vectors: ArrayLike, ids: Optional[ArrayLike] = None) -> None:
        """Copy vectors into the index and link them into the graph, in parallel.

        Args:
            vectors: (n, dim) array, or one (dim,) vector. float32 C-contiguous
                arrays are read in place; anything else is converted once.
            ids: n ids (integers 0..2**64-2), or None for the next row numbers
                (len(index) onwards).

        All or nothing: on any error nothing is added.

        Raises:
            DimensionError: the rows are not `dim` long.
            InvalidArgumentError: NaN/Inf in a vector, bad ids.
            ExistsError: an id already present or repeated.
            ReadOnlyError: an index from :meth:`open` or :meth:`map_vectors`.
        """
        self._require_open()
        array = _as_float32(vectors)
        if array.ndim == 1:
            array = array.reshape(1, -1)
        if array.ndim != 2:
            raise DimensionError(f"vectors must be (n, {self._dim}) or ({self._dim},), got shape {array.shape}")
        if array.shape[1] != self._dim:
            raise DimensionError(
                f"dimension mismatch: index has {self._dim}, vectors have {array.shape[1]}"
            )
        n = array.shape[0]
        id_array = None if ids is None else _as_ids(ids, n)
        id_ptr = ffi.NULL if id_array is None else ffi.from_buffer("uint64_t[]", id_array)
        handle = self._write()
        try:
            _check(lib.vdb_add(handle, _float_ptr(array), n, id_ptr))
        finally:
            self._guard.exit_write()

    def build(self, first: int = 0, count: Optional[int] = None) -> None:
        """Link rows [first, first + count) of the mapped vector file into the graph.

        For an index from :meth:`map_vectors`. `count` None means every row
        from `first` to the end of the file. May be called again for other
        rows, in any order; each row can be built once.

        Raises:
            RangeError: rows past the end of the file.
            ExistsError: a row already built (nothing is added).
            InvalidArgumentError: NaN/Inf in a row; an index made by ``Index(dim)``.
            ReadOnlyError: an index from :meth:`open`.
        """
        first = _uint("first", first, _U64_MAX)
        if count is None:
            count = max(0, self._rows - first) if self._rows is not None else 0
        count = _uint("count", count, _U64_MAX)
        handle = self._write()
        try:
            _check(lib.vdb_build(handle, first, count))
        finally:
            self._guard.exit_write()

    def set_threads(self, threads: int) -> None:
        """Worker threads for add, build and batch search: 1..1024, or 0 = all online cores."""
        threads = _uint("threads", threads)
        handle = self._write()
        try:
            _check(lib.vdb_set_threads(handle, threads))
        finally:
            self._guard.exit_write()

    # --- queries -------------------------------------------------------------------

    @overload
    def search(
        self, queries: ArrayLike, k: int = ..., ef: Optional[int] = ..., return_found: Literal[False] = ...
    ) -> Tuple[np.ndarray, np.ndarray]: ...

    @overload
    def search(
        self, queries: ArrayLike, k: int = ..., ef: Optional[int] = ..., *, return_found: Literal[True]
    ) -> Tuple[np.ndarray, np.ndarray, Any]: ...

    def search(
        self,
        queries: ArrayLike,
        k: int = 10,
        ef: Optional[int] = None,
        return_found: bool = False,
    ) -> SearchResult:
        """The k nearest neighbours of one query or of a batch.

        Args:
            queries: one query of shape (dim,), or a batch of shape (nq, dim).
                A batch is searched on the index's threads (vdb_search_batch).
            k: results per query, >= 1.
            ef: beam width; None = the index's ef_search; raised to k if smaller.
            return_found: also return how many slots hold results.

        Returns:
            ``(ids, distances)``, or ``(ids, distances, found)`` with return_found.
            For a (dim,) query: ids (k,) uint64, distances (k,) float32, found an int.
            For an (nq, dim) batch: ids (nq, k), distances (nq, k), found (nq,) uint32.
            Nearest first. When the index holds fewer than k vectors, the
            slots past `found` hold id ``vdb.NO_ID`` (2**64 - 1) and distance +inf.

        Raises:
            DimensionError: the query's length is not the index's dim.
            InvalidArgumentError: k = 0, NaN/Inf in a query, a closed index.
        """
        self._require_open()
        array = _as_float32(queries)
        if array.ndim not in (1, 2):
            raise DimensionError(f"queries must be ({self._dim},) or (nq, {self._dim}), got shape {array.shape}")
        if array.shape[-1] != self._dim:
            raise DimensionError(f"dimension mismatch: index has {self._dim}, query has {array.shape[-1]}")
        k = _uint("k", k)
        if k == 0:
            raise InvalidArgumentError("k must be at least 1", lib.VDB_EINVAL)
        ef = 0 if ef is None else _uint("ef", ef)
        if array.ndim == 1:
            return self._search_one(array, k, ef, return_found)
        nq = array.shape[0]
        ids = np.empty((nq, k), dtype=np.uint64)
        distances = np.empty((nq, k), dtype=np.float32)
        found = np.empty(nq, dtype=np.uint32)
        query_ptr = _float_ptr(array)
        id_ptr = ffi.from_buffer("uint64_t[]", ids, require_writable=True)
        dist_ptr = ffi.from_buffer("float[]", distances, require_writable=True)
        found_ptr = ffi.from_buffer("uint32_t[]", found, require_writable=True)
        handle = self._read()
        try:
            if nq:
                _check(lib.vdb_search_batch(handle, query_ptr, nq, k, ef, id_ptr, dist_ptr, found_ptr))
        finally:
            self._guard.exit_read()
        if return_found:
            return ids, distances, found
        return ids, distances

    def _search_one(self, query: np.ndarray, k: int, ef: int, return_found: bool) -> SearchResult:
        """search() of one (dim,) query: the path a query loop takes, so it allocates only its results."""
        ids = np.empty(k, dtype=np.uint64)
        distances = np.empty(k, dtype=np.float32)
        found = ffi.new("uint32_t *") if return_found else ffi.NULL
        handle = self._read()
        try:
            code = lib.vdb_search(
                handle,
                _float_ptr(query),
                k,
                ef,
                ffi.from_buffer("uint64_t[]", ids, require_writable=True),
                ffi.from_buffer("float[]", distances, require_writable=True),
                found,
            )
        finally:
            self._guard.exit_read()
        _check(code)
        if return_found:
            return ids, distances, int(found[0])
        return ids, distances

    # --- files and lifetime ---------------------------------------------------------

    def save(self, path: PathLike) -> None:
        """Write the index, vectors included, to one self-contained file.

        Atomic: written beside `path` under a temporary name, flushed and
        renamed over it, so a failure leaves any earlier file intact. May run
        while other threads search.

        Raises:
            VdbIOError: the OS refused (the message names the path and errno text).
        """
        raw_path = _path(path)
        handle = self._read()
        try:
            _check(lib.vdb_save(handle, raw_path))
        finally:
            self._guard.exit_read()

    def close(self) -> None:
        """Release the index and unmap its files. Waits for running calls. Idempotent."""
        self._guard.enter_write()
        try:
            handle, self._handle = self._handle, None
            if handle is not None:
                ffi.release(handle)  # runs vdb_close now
        finally:
            self._guard.exit_write()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def verify(path: PathLike) -> None:
    """Check a saved index completely: header, every section's checksum, every link.

    Reads the whole file. Returns None when the file is sound.

    Raises:
        VdbIOError, FormatError, VersionError: what is wrong, in the message.
    """
    _check(lib.vdb_verify(_path(path)))


__all__ = ["Index", "verify", "NO_ID"]
