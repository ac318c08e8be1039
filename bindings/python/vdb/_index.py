"""vdb.Index: an HNSW index with numpy in and out.

Input arrays that are already float32 and C-contiguous are handed to C in
place (ffi.from_buffer: no copy). Anything else (float64, Fortran order,
strided views, lists) is converted once with
np.ascontiguousarray(x, dtype=np.float32). Result arrays are allocated with
numpy and filled in place by C. The GIL is released during every C call, so
searches from several Python threads run in parallel.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, List, Literal, Optional, Tuple, Union, overload

import numpy as np

from ._arrays import as_float32 as _as_float32
from ._arrays import as_ids as _as_ids
from ._arrays import float_ptr as _float_ptr
from ._arrays import scratch as _scratch
from ._common import (
    U32_MAX as _U32_MAX,
    U64_MAX as _U64_MAX,
    ArrayLike,
    Guard as _Guard,
    PathLike,
    check as _check,
    fs_path as _path,
    id_array as _id_array,
    is_int as _is_int,
    raise_last as _raise_last,
    uint as _uint,
)
from ._config import CODES_NAMES as _CODES_NAMES
from ._config import METRIC_NAMES as _METRIC_NAMES
from ._config import new_config as _new_config
from ._errors import DimensionError, InvalidArgumentError
from ._filter import FilterLike, SearchFilter, inside_own_predicate
from ._native import ffi, lib
from ._progress import ProgressLike, ProgressScope

#: The id in result slots past the number of results found (UINT64_MAX).
NO_ID: int = 2**64 - 1

SearchResult = Union[Tuple[np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray, Any]]


class Index:
    """An HNSW approximate-nearest-neighbour index over float32 vectors.

    Four ways to get one:

    * ``Index(dim, ...)``: an empty index in memory; add vectors with :meth:`add`.
    * ``Index.map_vectors(path, ...)``: an index over a vector file (raw float32,
      .fvecs or .npy) mapped read-only; link its rows with :meth:`build`.
      Vectors are never copied to the heap. A node's id is its row number.
    * ``Index.open(path)``: a saved index, mapped read-only in O(1).
    * ``Index.open(path, writable=True)``: a saved index that takes
      :meth:`add`, :meth:`upsert` and :meth:`delete`. Each change is also
      written to the journal beside the file, ``PATH-journal``;
      :meth:`commit` makes the changes so far durable there, and
      :meth:`save` to `path` folds them into the file (a checkpoint). Changes
      neither committed nor saved are lost at :meth:`close` or a crash.

    Which index takes which change (the others raise :class:`ReadOnlyError`,
    or :class:`InvalidArgumentError` for :meth:`build` on an index that takes
    :meth:`add`):

    ======================================  ===  ======  ======  =====
    made by                                 add  upsert  delete  build
    ======================================  ===  ======  ======  =====
    ``Index(dim)``                          yes  yes     yes     -
    ``Index.map_vectors(path)``             -    -       yes     yes
    ``Index.open(path)``                    -    -       -       -
    ``Index.open(path, writable=True)``     yes  yes     yes     -
    ======================================  ===  ======  ======  =====

    A deleted id is never returned by a search, :meth:`get` or ``in``, and
    may be added again. ``len(index)`` counts the vectors that are not
    deleted; :attr:`deleted` the deleted ones the next :meth:`save` drops.

    Distances: "l2" is the squared Euclidean distance, "ip" is 1 - dot(a, b),
    "cosine" is 1 - cos(a, b); smaller is nearer for all three.

    Codes: with ``codes="int8"`` the index also keeps a byte per dimension
    of each vector, with ``codes="pq"`` `code_bytes` bytes (product
    quantization; 0 = dim / 8). A search walks the graph by those codes,
    then measures its `rerank` best candidates (0: all `ef` of them) with
    the float32 vectors, so the distances it returns are exact. The codes
    are trained when the index first holds 1024 vectors (int8) or 4096
    (pq); until then searches read the float32 vectors only. Compare speed
    with and without codes at equal recall, not at equal `ef`.

    Threads: :meth:`search`, :meth:`get`, ``in`` and :meth:`save` may run from
    many threads at once (the GIL is released in C); :meth:`add`,
    :meth:`upsert`, :meth:`delete`, :meth:`build`, :meth:`commit`,
    :meth:`set_threads`, :meth:`set_disk_cache` and :meth:`close` wait for
    running calls and then run alone.

    The index is a context manager; leaving the ``with`` block closes it. Any
    call on a closed index raises :class:`InvalidArgumentError` (a
    :class:`vdb.Error` and a ``ValueError``).
    """

    __slots__ = ("_handle", "_guard", "_dim", "_metric", "_rows", "_predicate_searches", "_progress", "__weakref__")

    def __init__(
        self,
        dim: int,
        metric: Union[str, int] = "l2",
        m: int = 16,
        ef_construction: int = 200,
        ef_search: int = 64,
        threads: int = 0,
        seed: int = 42,
        codes: Union[None, str, int] = None,
        code_bytes: int = 0,
        rerank: int = 0,
    ) -> None:
        """Create an empty index of `dim`-dimensional vectors (1..65536).

        Args:
            dim: vector dimension.
            metric: "l2" (squared Euclidean), "ip" (1 - dot) or "cosine" (1 - cos).
            m: links per node on upper layers, 2..256 (layer 0 has 2*m).
            ef_construction: beam width while building.
            ef_search: beam width of a search that passes no `ef`.
            threads: worker threads for add, upsert, build and batch search; 0 = all cores.
            seed: level generator seed (same data + seed + threads=1 = same graph).
            codes: None or "none" (default); "int8", a byte per dimension; or
                "pq", `code_bytes` bytes a vector: compressed vectors that
                searches walk the graph by (see the class docstring).
            code_bytes: with codes="pq", bytes a vector, 1..dim (0 = dim / 8);
                must be 0 otherwise.
            rerank: with codes, how many of a search's best candidates by code
                get their exact distance, 0..65536; raised to k if smaller;
                0 = all `ef` of them.

        Raises:
            InvalidArgumentError: a bad dim, metric, codes or other setting.
        """
        self._handle = None  # a failed constructor leaves a closed index, not a broken one
        self._guard = _Guard()
        self._predicate_searches: List[SearchFilter] = []
        self._progress: Optional[ProgressScope] = None
        cfg = _new_config(dim, metric, m, ef_construction, ef_search, threads, seed, codes, code_bytes, rerank)
        out = ffi.new("vdb_index **")
        _check(lib.vdb_create(out, cfg))
        self._adopt(out[0], rows=None)

    def _adopt(self, raw: Any, rows: Optional[int]) -> None:
        self._handle = ffi.gc(raw, lib.vdb_close)
        self._guard = _Guard()
        # The searches with a callable filter in progress (list.append and
        # list.remove are atomic, so no lock); see _not_from_own_filter.
        self._predicate_searches = []
        # The add or build whose progress callback is running; see _not_from_own_filter.
        self._progress = None
        self._dim = int(lib.vdb_dim(raw))
        self._metric = _METRIC_NAMES.get(int(lib.vdb_metric(raw)), str(int(lib.vdb_metric(raw))))
        self._rows = rows

    @classmethod
    def _from_handle(cls, raw: Any, rows: Optional[int] = None) -> "Index":
        self = cls.__new__(cls)
        self._adopt(raw, rows)
        return self

    @classmethod
    def open(
        cls,
        path: PathLike,
        verify: bool = False,
        populate: bool = False,
        writable: bool = False,
        recover: bool = False,
        disk: bool = False,
    ) -> "Index":
        """Map a saved index. Only the header is read: O(1) in the index size.

        Every open, read-only too, first applies the committed changes that
        the journal beside the file (``PATH-journal``) holds and ignores an
        uncommitted or torn tail (what a crash leaves); with committed
        changes pending the open costs what a writable one does, plus
        redoing them, until a checkpoint (``save`` to `path`) folds them in.

        Args:
            path: the index file written by :meth:`save`.
            verify: first check the whole file (checksums, every link), like :func:`vdb.verify`.
            populate: ask the OS to read the whole file into the page cache now.
            writable: let the index take :meth:`add`, :meth:`upsert` and
                :meth:`delete`. Its vectors stay mapped from the file (new ones
                go to the heap); its links and ids are copied to the heap in
                one pass (about (2m + 1) * 4 + 24 bytes per vector), so this
                open is O(n). Each change is appended to ``PATH-journal``
                (created by this open); :meth:`commit` makes them durable, and
                :meth:`save` to `path` is a checkpoint that writes them into
                the file and empties the journal (the index keeps using the
                file it opened until it is closed). One open at a time may
                hold a file writable, in this process or another.
            recover: a journal damaged before its last commit is refused
                (FormatError, naming the commit); with ``recover=True`` the
                commits before the damage are applied instead, the rest are
                dropped, and a writable open cuts them off the journal.
            disk: disk-resident search, for an index far larger than memory.
                It needs an index saved with codes (``codes="int8"`` or
                ``"pq"``): the codes stay in memory, and each node a search
                expands is read, vector and links in one block, straight from
                the disk (no page cache). Results are the same ids and
                distances as without `disk`. Memory is the codes plus the
                cache that :meth:`set_disk_cache` sets (none at first). The
                index is read-only; not with `writable` or `populate`.

        Raises:
            VdbIOError: missing path, a directory, unreadable; a journal that
                cannot be created.
            FormatError: not a libvdb index, truncated or corrupt; a damaged
                journal, or one that extends another version of the file.
            VersionError: a newer file format.
            BusyError: ``writable=True`` and the file is open writable elsewhere.
            InvalidArgumentError: ``disk=True`` with ``writable`` or
                ``populate``, on an index without codes, or with journal
                changes not yet saved into the file.
        """
        flags = lib.VDB_OPEN_DEFAULT
        if verify:
            flags |= lib.VDB_OPEN_VERIFY
        if populate:
            flags |= lib.VDB_OPEN_POPULATE
        if writable:
            flags |= lib.VDB_OPEN_WRITABLE
        if recover:
            flags |= lib.VDB_OPEN_RECOVER
        if disk:
            flags |= lib.VDB_OPEN_DISK
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
        codes: Union[None, str, int] = None,
        code_bytes: int = 0,
        rerank: int = 0,
    ) -> "Index":
        """An empty graph over a vector file mapped read-only; link rows with :meth:`build`.

        Formats: .npy (float32, little-endian, C order, 2-D); .fvecs; anything
        else is raw little-endian float32 rows of `dim` (required for raw
        files; None reads it from a .npy or .fvecs file). The file must not
        change while the index is open. A node's id is its row number. The
        other arguments are those of ``Index(dim, ...)``; codes are kept in
        memory (and saved with the index).
        """
        raw_path = _path(path)
        cfg = _new_config(
            0 if dim is None else dim, metric, m, ef_construction, ef_search, threads, seed, codes, code_bytes, rerank
        )
        out = ffi.new("vdb_index **")
        _check(lib.vdb_map_vectors(out, raw_path, cfg))
        return cls._from_handle(out[0], rows=int(lib.vdb_rows(out[0])))

    # --- access --------------------------------------------------------------

    def _not_from_own_filter(self) -> None:
        # A callable filter runs inside a search of this index: a call back
        # into it is forbidden by the C API, and a writer would wait forever
        # for that search to end.
        if self._predicate_searches and inside_own_predicate(self):
            raise InvalidArgumentError(
                "a search filter must not use the index it filters (libvdb forbids it)", lib.VDB_EINVAL
            )
        # The progress callback runs inside add or build, holding the writer
        # guard on this thread: entering the index again would wait forever.
        progress = self._progress
        if progress is not None and progress.thread == threading.get_ident():
            raise InvalidArgumentError(
                "a progress callback must not use the index it reports on (libvdb forbids it)", lib.VDB_EINVAL
            )

    def _read(self) -> Any:
        self._not_from_own_filter()
        self._guard.enter_read()
        handle = self._handle
        if handle is None:
            self._guard.exit_read()
            raise InvalidArgumentError("the index is closed", lib.VDB_EINVAL)
        return handle

    def _write(self) -> Any:
        self._not_from_own_filter()
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
        """The configuration: dim, metric (a name), m, ef_construction, ef_search, threads, seed,
        codes ("int8", "pq", or None for none), code_bytes (pq's bytes a vector, what 0 chose; else 0)
        and rerank. A saved index gives back what it was made with."""
        cfg = ffi.new("vdb_config *")
        lib.vdb_config_init(cfg, lib.VDB_CONFIG_VERSION)  # vdb_get_config fills the fields our version has
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
            "codes": _CODES_NAMES.get(int(cfg.codes), str(int(cfg.codes))),
            "code_bytes": int(cfg.code_bytes),
            "rerank": int(cfg.rerank),
        }

    def __len__(self) -> int:
        """Vectors in the index that are not deleted."""
        handle = self._read()
        try:
            return int(lib.vdb_count(handle))
        finally:
            self._guard.exit_read()

    @property
    def deleted(self) -> int:
        """Deleted vectors the index still holds; the next :meth:`save` leaves them out of the file."""
        handle = self._read()
        try:
            return int(lib.vdb_deleted(handle))
        finally:
            self._guard.exit_read()

    def __contains__(self, id: object) -> bool:
        """Whether the index holds a vector under `id` that is not deleted.

        Anything that is not an integer in 0..2**64-2 is simply not there.
        O(1) (vdb_get into a per-thread buffer, no numpy array); the first
        look-up on an index from :meth:`open` builds its id table
        (about 16 bytes per vector), as the first :meth:`get` does.
        """
        if not _is_int(id) or not 0 <= int(id) < _U64_MAX:  # type: ignore[call-overload]
            self._require_open()
            return False
        buffer = _scratch.floats
        if buffer is None or len(buffer) < self._dim:
            buffer = _scratch.floats = ffi.new("float[]", max(self._dim, 1))
        handle = self._read()
        try:
            code = lib.vdb_get(handle, int(id), buffer)  # type: ignore[call-overload]
        finally:
            self._guard.exit_read()
        if code == lib.VDB_ENOTFOUND:
            return False
        _check(code)
        return True

    def get(self, id: Union[int, ArrayLike]) -> np.ndarray:
        """The vector stored under an id, as a new float32 array.

        Args:
            id: one id, or a sequence (array, list, ...) of ids.

        Returns:
            A (dim,) float32 array for one id; an (n, dim) array for n ids.

        Raises:
            NotFoundError: an id that is not in the index (never added, or
                deleted); also a KeyError. The message names the id.
        """
        self._require_open()
        one = _is_int(id)
        if one:
            ids = np.array([_uint("id", id, _U64_MAX)], dtype=np.uint64)
        else:
            ids = _id_array(id)
        out = np.empty((ids.shape[0], self._dim), dtype=np.float32)
        pointer = ffi.from_buffer("float[]", out, require_writable=True)
        handle = self._read()
        try:
            for i, each in enumerate(ids.tolist()):
                code = lib.vdb_get(handle, each, pointer + i * self._dim)
                if code != 0:
                    _raise_last(code)
        finally:
            self._guard.exit_read()
        return out[0] if one else out

    def __repr__(self) -> str:
        if self._handle is None:
            return "<vdb.Index closed>"
        return f"<vdb.Index dim={self._dim} metric={self._metric!r} count={len(self)}>"

    # --- changes -----------------------------------------------------------------

    def _vector_rows(self, vectors: ArrayLike) -> np.ndarray:
        """vectors as an (n, dim) float32 C-contiguous array (in place when it already is one)."""
        array = _as_float32(vectors)
        if array.ndim == 1:
            array = array.reshape(1, -1)
        if array.ndim != 2:
            raise DimensionError(f"vectors must be (n, {self._dim}) or ({self._dim},), got shape {array.shape}")
        if array.shape[1] != self._dim:
            raise DimensionError(f"dimension mismatch: index has {self._dim}, vectors have {array.shape[1]}")
        return array

    def add(self, vectors: ArrayLike, ids: Optional[ArrayLike] = None, *, progress: ProgressLike = None) -> None:
        """Copy vectors into the index and link them into the graph, in parallel.

        Args:
            vectors: (n, dim) array, or one (dim,) vector. float32 C-contiguous
                arrays are read in place; anything else is converted once.
            ids: n ids (integers 0..2**64-2; one integer for one vector), or
                None for consecutive ids after the largest id the index holds
                (0, 1, 2, ... for an index filled only this way).
            progress: None; True for a bar on stderr (tqdm when it is
                installed); or a callable ``f(done, total)``, called on this
                thread with 0 first, then each hundredth of the way (or 0.1 s), then total.
                A truthy return cancels the call (CanceledError); an
                exception cancels it and is re-raised. At the last report
                (done == total) the vectors are in: a return is ignored, and
                an exception is still raised.

        All or nothing: on any error, cancel included, nothing is added.

        Raises:
            DimensionError: the rows are not `dim` long.
            InvalidArgumentError: NaN/Inf in a vector, bad ids.
            ExistsError: an id already present or repeated.
            ReadOnlyError: an index from :meth:`open` without ``writable=True``,
                or from :meth:`map_vectors`.
            CanceledError: `progress` returned a truthy value.
        """
        self._require_open()
        array = self._vector_rows(vectors)
        n = array.shape[0]
        id_array = None if ids is None else _as_ids(ids, n)
        id_ptr = ffi.NULL if id_array is None else ffi.from_buffer("uint64_t[]", id_array)
        scope = ProgressScope(progress, "add")
        self._with_progress(scope, lambda handle: lib.vdb_add(handle, _float_ptr(array), n, id_ptr))

    def upsert(self, vectors: ArrayLike, ids: ArrayLike) -> None:
        """Insert each vector under its id, or replace the vector of an id the index holds.

        Args:
            vectors: (n, dim) array, or one (dim,) vector.
            ids: n distinct ids (one integer for one vector); required.

        All or nothing, as :meth:`add`. A replaced vector is deleted (it
        counts in :attr:`deleted` until the next :meth:`save`) and the new
        one linked in.

        Raises:
            DimensionError: the rows are not `dim` long.
            InvalidArgumentError: NaN/Inf in a vector; bad, missing or repeated ids.
            ReadOnlyError: as :meth:`add`.
        """
        self._require_open()
        if ids is None:
            raise InvalidArgumentError("upsert needs an id for each vector", lib.VDB_EINVAL)
        array = self._vector_rows(vectors)
        n = array.shape[0]
        id_array = _as_ids(ids, n)
        handle = self._write()
        try:
            _check(lib.vdb_upsert(handle, _float_ptr(array), n, ffi.from_buffer("uint64_t[]", id_array)))
        finally:
            self._guard.exit_write()

    def delete(self, ids: Union[int, ArrayLike]) -> None:
        """Delete the vectors of one id or of a sequence of ids.

        All or nothing: if any id is not in the index, or is repeated, nothing
        is deleted. ``len(index)`` drops at once; the file shrinks at the next
        :meth:`save`. A deleted id may be added again.

        Raises:
            NotFoundError: an id absent or repeated (the message names it); also a KeyError.
            InvalidArgumentError: not integer ids.
            ReadOnlyError: an index from :meth:`open` without ``writable=True``.
        """
        self._require_open()
        id_array = np.array([_uint("id", ids, _U64_MAX)], np.uint64) if _is_int(ids) else _id_array(ids)
        pointer = ffi.from_buffer("uint64_t[]", id_array) if id_array.size else ffi.NULL
        handle = self._write()
        try:
            _check(lib.vdb_delete(handle, pointer, id_array.size))
        finally:
            self._guard.exit_write()

    def build(
        self,
        first: int = 0,
        count: Optional[int] = None,
        *,
        progress: ProgressLike = None,
        memory: Optional[int] = None,
    ) -> None:
        """Link rows [first, first + count) of the mapped vector file into the graph.

        For an index from :meth:`map_vectors`. `count` None means every row
        from `first` to the end of the file. May be called again for other
        rows, in any order; a row can be built once, or again after
        :meth:`delete` removed it. `progress` is as for :meth:`add`.

        `memory` bounds the build's memory in bytes (None: no bound), for a
        vector file larger than the memory the build may use: when the rows
        and the graph do not fit, the first build on the index splits the
        rows into partitions that do, builds each in memory from its rows
        read in file order, and merges the graphs, so it runs at the speed
        of the CPU instead of waiting on the disk (vdb_set_build_memory).

        Raises:
            RangeError: rows past the end of the file.
            ExistsError: a row already built (nothing is added).
            InvalidArgumentError: NaN/Inf in a row; an index made by ``Index(dim)``;
                a `memory` too small even for partitions (the message gives
                the least that would do).
            ReadOnlyError: an index from :meth:`open`.
            CanceledError: `progress` returned a truthy value (nothing is built).
        """
        first = _uint("first", first, _U64_MAX)
        if count is None:
            count = max(0, self._rows - first) if self._rows is not None else 0
        count = _uint("count", count, _U64_MAX)
        bound = 0 if memory is None else _uint("memory", memory, _U64_MAX)
        if memory is not None and bound == 0:
            raise InvalidArgumentError("memory must be at least 1 byte, or None for no bound")
        scope = ProgressScope(progress, "build")

        def build_within_bound(handle: Any) -> int:
            code = lib.vdb_set_build_memory(handle, bound)
            return code if code != 0 else lib.vdb_build(handle, first, count)

        self._with_progress(scope, build_within_bound)

    def _with_progress(self, scope: ProgressScope, call: Any) -> None:
        """Run call(handle) as the index's writer, with scope's callback set
        for just that call; the callable's exception comes before the code."""
        handle = self._write()
        try:
            code = 0
            if scope.active:
                scope.attach(handle)
                self._progress = scope
            try:
                code = call(handle)
            finally:
                self._progress = None
                scope.detach()
        finally:
            self._guard.exit_write()
        scope.raise_pending()
        _check(code)

    def set_threads(self, threads: int) -> None:
        """Worker threads for add, upsert, build, save and batch search: 1..1024, or 0 = all online cores."""
        threads = _uint("threads", threads)
        handle = self._write()
        try:
            _check(lib.vdb_set_threads(handle, threads))
        finally:
            self._guard.exit_write()

    def set_disk_cache(self, bytes: int) -> None:
        """Keep up to `bytes` of node blocks of an index opened with
        ``disk=True`` in memory, so that searches do not read them: the
        graph's top levels first, then each level down. The blocks are read
        now; this replaces the cache there was, and 0 empties it. A block is
        about 2 KiB for 384 floats, so 64 MiB holds about 30,000 nodes.
        Waits for running calls and then runs alone.

        Raises:
            InvalidArgumentError: an index not opened with ``disk=True``, or
                `bytes` not an integer in 0..2**64-1.
            VdbIOError: a read failed (the cache is then empty).
        """
        size = _uint("bytes", bytes, _U64_MAX)
        handle = self._write()
        try:
            _check(lib.vdb_set_disk_cache(handle, size))
        finally:
            self._guard.exit_write()

    # --- queries -------------------------------------------------------------------

    @overload
    def search(
        self,
        queries: ArrayLike,
        k: int = ...,
        ef: Optional[int] = ...,
        return_found: Literal[False] = ...,
        *,
        filter: FilterLike = ...,
    ) -> Tuple[np.ndarray, np.ndarray]: ...

    @overload
    def search(
        self,
        queries: ArrayLike,
        k: int = ...,
        ef: Optional[int] = ...,
        *,
        return_found: Literal[True],
        filter: FilterLike = ...,
    ) -> Tuple[np.ndarray, np.ndarray, Any]: ...

    def search(
        self,
        queries: ArrayLike,
        k: int = 10,
        ef: Optional[int] = None,
        return_found: bool = False,
        *,
        filter: FilterLike = None,
    ) -> SearchResult:
        """The k nearest neighbours of one query or of a batch.

        Args:
            queries: one query of shape (dim,), or a batch of shape (nq, dim).
                A batch is searched on the index's threads (vdb_search_batch).
            k: results per query, >= 1.
            ef: beam width; None = the index's ef_search; raised to k if smaller.
            return_found: also return how many slots hold results.
            filter: return only allowed ids. One of:

                * an array-like of allowed ids (array, list, set, range, ...),
                  made into an allow-list for this call;
                * a :class:`vdb.Filter`: an allow-list made once, for many searches;
                * a callable ``f(id) -> bool``. It runs with the GIL held,
                  on the library's threads (the worker threads of a batch
                  too), so keep it short; an allow-list is much faster. It
                  may be called for ids the search then does not return, and
                  must not use this index. If it raises, the search stops
                  asking it (the id counts as not allowed) and re-raises that
                  exception when the C call returns.

                The k nearest allowed vectors are found with the recall of an
                unfiltered search, however few are allowed; when few are
                allowed the library scans them exactly instead of walking the graph.

        Returns:
            ``(ids, distances)``, or ``(ids, distances, found)`` with return_found.
            For a (dim,) query: ids (k,) uint64, distances (k,) float32, found an int.
            For an (nq, dim) batch: ids (nq, k), distances (nq, k), found (nq,) uint32.
            Nearest first. When fewer than k vectors are there (or allowed),
            the slots past `found` hold id ``vdb.NO_ID`` (2**64 - 1) and distance +inf.

        Raises:
            DimensionError: the query's length is not the index's dim.
            InvalidArgumentError: k = 0, NaN/Inf in a query, a bad filter, a closed index.
            Exception: whatever a callable filter raised.
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
        if filter is None:
            return self._search(array, k, ef, return_found, None)
        scope = SearchFilter(filter, self)
        if scope.is_predicate:
            self._predicate_searches.append(scope)
        try:
            result = self._search(array, k, ef, return_found, scope.pointer)
        except BaseException:
            self._end_filtered_search(scope)
            scope.raise_pending()  # the callable's exception comes first
            raise
        self._end_filtered_search(scope)
        scope.raise_pending()
        return result

    def _end_filtered_search(self, scope: SearchFilter) -> None:
        if scope.is_predicate:
            self._predicate_searches.remove(scope)
        scope.close()

    def _search(self, array: np.ndarray, k: int, ef: int, return_found: bool, filter: Any) -> SearchResult:
        if array.ndim == 1:
            return self._search_one(array, k, ef, return_found, filter)
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
            if nq == 0:
                code = 0
            elif filter is None:
                code = lib.vdb_search_batch(handle, query_ptr, nq, k, ef, id_ptr, dist_ptr, found_ptr)
            else:
                code = lib.vdb_search_batch_filtered(handle, query_ptr, nq, k, ef, filter, id_ptr, dist_ptr,
                                                     found_ptr)
        finally:
            self._guard.exit_read()
        _check(code)
        if return_found:
            return ids, distances, found
        return ids, distances

    def _search_one(self, query: np.ndarray, k: int, ef: int, return_found: bool, filter: Any) -> SearchResult:
        """search() of one (dim,) query: the path a query loop takes, so it allocates only its results."""
        ids = np.empty(k, dtype=np.uint64)
        distances = np.empty(k, dtype=np.float32)
        found = ffi.new("uint32_t *") if return_found else ffi.NULL
        handle = self._read()
        try:
            code = lib.vdb_search_filtered(
                handle,
                _float_ptr(query),
                k,
                ef,
                ffi.NULL if filter is None else filter,
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

        Deleted vectors are left out and the links around them repaired.
        Atomic: written beside `path` under a temporary name, flushed and
        renamed over it, so a failure leaves any earlier file intact. Saving
        to the path the index was opened from works (the index keeps using
        the file it opened until it is closed); for an index opened with
        ``writable=True`` it is a checkpoint: the new file holds every
        change, committed or not, and the journal is emptied. May run while
        other threads search.

        Raises:
            VdbIOError: the OS refused (the message names the path and errno text).
            NoSpaceError: the disk or a quota is full.
            BusyError: `path` is another file that is open writable
                elsewhere, or whose journal holds changes the file lacks
                (the save would lose them).
        """
        raw_path = _path(path)
        handle = self._read()
        try:
            _check(lib.vdb_save(handle, raw_path))
        finally:
            self._guard.exit_read()

    def commit(self) -> None:
        """Make every change since the last commit durable, with one fsync of the journal.

        For an index from ``Index.open(path, writable=True)``: the changes
        are in ``PATH-journal``, and every later open of `path` applies them.
        After a crash during this call the next open has all of them or
        none, never part. Costs what the changes cost, not what the index
        does; with nothing to commit it returns at once. Changes not
        committed (nor saved to `path`) are lost at :meth:`close` and at a
        crash.

        Raises:
            ReadOnlyError: an index opened without ``writable=True``.
            InvalidArgumentError: an index with no file (``Index(dim)``,
                :meth:`map_vectors`): :meth:`save` it instead.
            VdbIOError, NoSpaceError: the journal could not be written or
                synced. The changes stay in memory and may be saved; after a
                failed sync, commits are refused until the index is reopened.
        """
        handle = self._write()
        try:
            _check(lib.vdb_commit(handle))
        finally:
            self._guard.exit_write()

    def close(self) -> None:
        """Release the index and unmap its files. Waits for running calls. Idempotent."""
        self._not_from_own_filter()
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
