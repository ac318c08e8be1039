"""Filtered search: vdb.Filter, a reusable allow-list, and the vdb_filter
that one search makes from its ``filter=`` argument (an allow-list of ids, a
Python callable, or a vdb.Filter).

A callable becomes a predicate filter (vdb_filter_from_fn) whose C function
is _vdb_py_allow, an extern "Python" function compiled into the extension
(vdb_build.py declares it). The library calls it from whichever thread runs
the search, the worker threads of a batch included; cffi takes the GIL for
each call. The callable's first exception is kept, every later call answers
"not allowed" without calling it again, and the search re-raises the
exception once the C call has returned, so it is never lost or printed to
stderr instead.
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any, Callable, Optional, Union

from ._common import ArrayLike, Guard, check, id_array
from ._errors import InvalidArgumentError
from ._native import ffi, lib


class Filter:
    """An allow-list of ids, made once and passed to any number of searches.

    ``index.search(q, k, filter=ids)`` builds the allow-list (a hash set in C,
    O(len(ids))) for that one call; ``vdb.Filter(ids)`` builds it once, so a
    large list used by many searches costs nothing per search. One Filter may
    serve searches of any indexes, from any threads, at once. Ids the index
    does not hold are ignored.

        with vdb.Filter(allowed_ids) as allowed:
            for q in queries:
                ids, distances = index.search(q, k=10, filter=allowed)

    The list is copied into the filter: `ids` may change afterwards without
    changing the filter. The filter is released by :meth:`close`, on leaving
    a ``with`` block, or when it is garbage-collected; :meth:`close` waits
    for searches that are using it.
    """

    __slots__ = ("_handle", "_guard", "_given", "__weakref__")

    def __init__(self, ids: ArrayLike) -> None:
        """Allow the ids in `ids`: an array, list, tuple, range, set or other
        iterable of integers in 0..2**64-2 (repeats are fine).

        Raises:
            InvalidArgumentError: not integer ids (a callable, a string, floats,
                negative numbers, a 2-D array).
        """
        self._handle = None
        self._guard = Guard()
        if callable(ids):
            raise InvalidArgumentError(
                "vdb.Filter takes a list of ids; pass a callable to search(..., filter=f) directly"
            )
        array = id_array(ids, "filter ids")
        out = ffi.new("vdb_filter **")
        pointer = ffi.from_buffer("uint64_t[]", array) if array.size else ffi.NULL
        check(lib.vdb_filter_create(out, pointer, array.size))
        self._handle = ffi.gc(out[0], lib.vdb_filter_close)
        self._given = int(array.size)

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._handle is None

    def close(self) -> None:
        """Release the filter. Waits for searches that are using it. Idempotent."""
        self._guard.enter_write()
        try:
            handle, self._handle = self._handle, None
            if handle is not None:
                ffi.release(handle)  # runs vdb_filter_close now
        finally:
            self._guard.exit_write()

    def __enter__(self) -> "Filter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._handle is None:
            return "<vdb.Filter closed>"
        return f"<vdb.Filter of {self._given} ids>"


#: What ``filter=`` accepts.
FilterLike = Union[Filter, Callable[[int], Any], ArrayLike, None]


class _Predicate:
    """The context of one search's Python predicate: the callable, the index
    it filters, and the first exception it raised."""

    __slots__ = ("fn", "index", "error")

    def __init__(self, fn: Callable[[int], Any], index: object) -> None:
        self.fn = fn
        self.index = index
        self.error: Optional[BaseException] = None


def _allow(node_id: int, ctx: Any) -> int:
    """The C predicate of every callable filter: ctx is the handle of a _Predicate."""
    # Called once per id the search weighs: keep it lean (no thread-local
    # bookkeeping here; inside_own_predicate finds this frame when needed).
    predicate: _Predicate = ffi.from_handle(ctx)
    if predicate.error is not None:
        return 0
    try:
        return 1 if predicate.fn(node_id) else 0
    except BaseException as err:  # re-raised by the search that called us
        if predicate.error is None:
            predicate.error = err
        return 0


ffi.def_extern(name="_vdb_py_allow")(_allow)  # lib._vdb_py_allow now calls _allow


def inside_own_predicate(index: object) -> bool:
    """Whether this thread is running a callable filter of a search of
    `index`: _allow's frame, with that index, is on this thread's stack. The
    C API forbids a filter to call libvdb on the index it filters (and a
    writer would wait forever for the search that called the filter), so
    Index asks this, only while a predicate search of it is in progress."""
    code = _allow.__code__
    frame: Optional[FrameType] = sys._getframe(1)
    while frame is not None:
        if frame.f_code is code:
            predicate = frame.f_locals.get("predicate")
            if predicate is not None and predicate.index is index:
                return True
        frame = frame.f_back
    return False


class SearchFilter:
    """The `const vdb_filter *` of one search call, made from its ``filter=``
    argument; :meth:`close` releases what it made (or lets a vdb.Filter be
    closed again) and :meth:`raise_pending` re-raises a predicate's exception.
    Made before the index is entered, so a bad filter fails early."""

    __slots__ = ("pointer", "_made", "_shared", "_predicate", "_context")

    @property
    def is_predicate(self) -> bool:
        """Whether Python code (a callable) runs during this search."""
        return self._predicate is not None

    def __init__(self, spec: FilterLike, index: object) -> None:
        self.pointer: Any = ffi.NULL
        self._made: Any = None
        self._shared: Optional[Filter] = None
        self._predicate: Optional[_Predicate] = None
        self._context: Any = None
        if spec is None:
            return
        if isinstance(spec, Filter):
            spec._guard.enter_read()
            if spec._handle is None:
                spec._guard.exit_read()
                raise InvalidArgumentError("the vdb.Filter is closed", lib.VDB_EINVAL)
            self._shared = spec
            self.pointer = spec._handle
            return
        out = ffi.new("vdb_filter **")
        if callable(spec):
            self._predicate = _Predicate(spec, index)
            self._context = ffi.new_handle(self._predicate)  # lives as long as this object
            check(lib.vdb_filter_from_fn(out, lib._vdb_py_allow, self._context))
        else:
            try:
                array = id_array(spec, "filter")
            except InvalidArgumentError as err:
                raise InvalidArgumentError(
                    f"filter must be an array-like of ids, a callable f(id) -> bool or a vdb.Filter: {err}"
                ) from None
            check(lib.vdb_filter_create(out, ffi.from_buffer("uint64_t[]", array) if array.size else ffi.NULL,
                                        array.size))
        self._made = out[0]
        self.pointer = self._made

    def close(self) -> None:
        if self._made is not None:
            lib.vdb_filter_close(self._made)
            self._made = None
        if self._shared is not None:
            self._shared._guard.exit_read()
            self._shared = None
        self.pointer = ffi.NULL

    def raise_pending(self) -> None:
        """Raise the exception the predicate raised during the search, if any."""
        predicate = self._predicate
        if predicate is not None and predicate.error is not None:
            error, predicate.error = predicate.error, None
            raise error


__all__ = ["Filter", "FilterLike"]
