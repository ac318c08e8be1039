"""What vdb.Index and vdb.Filter share: turning codes into exceptions,
checking numbers and ids before they reach C, and the reader-writer guard
that keeps a Python program inside the C API's thread rules.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any, List, Union

import numpy as np
import numpy.typing as npt

from ._errors import InvalidArgumentError, error_for
from ._native import ffi, lib

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
ArrayLike = npt.ArrayLike

U32_MAX = 2**32 - 1
U64_MAX = 2**64 - 1

def raise_last(code: int) -> None:
    """Raise the exception for a failed call; read in the thread that made it."""
    message = ffi.string(lib.vdb_last_error()).decode("utf-8", "replace")
    if code == lib.VDB_EREADONLY and "VDB_OPEN_WRITABLE" in message:
        message += " (in Python: vdb.Index.open(path, writable=True))"
    raise error_for(code, message)


def check(code: int) -> None:
    if code != 0:
        raise_last(code)


def fs_path(path: PathLike) -> bytes:
    raw = os.fsencode(os.fspath(path))
    if b"\0" in raw:
        raise InvalidArgumentError("path contains a NUL byte")
    return raw


def is_int(value: Any) -> bool:
    """An int or numpy integer, but not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def uint(name: str, value: Any, maximum: int = U32_MAX) -> int:
    """An int in 0..maximum, or InvalidArgumentError (cffi would raise OverflowError)."""
    if not is_int(value):
        raise InvalidArgumentError(f"{name} must be an integer, not {value!r}")
    number = int(value)
    if not 0 <= number <= maximum:
        raise InvalidArgumentError(f"{name} must be in 0..{maximum}, not {number}")
    return number


def id_array(ids: Any, what: str = "ids") -> np.ndarray:
    """A 1-D C-contiguous uint64 array of the ids in `ids` (an array, a list,
    a tuple, a range, a set or any other iterable of integers), converted
    exactly: Python ints up to 2**64 - 1 never pass through float64. The
    array itself when it is already a 1-D C-contiguous uint64 array."""
    if isinstance(ids, (str, bytes, bytearray, Mapping)) or is_int(ids) or ids is None:
        raise InvalidArgumentError(
            f"{what} must be a sequence of integer ids (an array, list, set, ...), not {type(ids).__name__}"
        )
    if isinstance(ids, np.ndarray):
        raw = ids
        if raw.size and raw.dtype.kind not in "iu":
            raise InvalidArgumentError(f"{what} must be integers, not {raw.dtype}")
    else:
        if not isinstance(ids, (list, tuple, range)):
            try:
                ids = list(ids)
            except TypeError:
                raise InvalidArgumentError(
                    f"{what} must be a sequence of integer ids (an array, list, set, ...), "
                    f"not {type(ids).__name__}"
                ) from None
        try:
            raw = np.asarray(ids)
        except (TypeError, ValueError, OverflowError):
            raw = np.asarray(ids, dtype=object) if len(ids) else np.empty(0, np.uint64)
        if raw.size and raw.dtype.kind not in "iu":
            # Python ints past int64 make numpy pick float64 or object: convert them exactly.
            items: List[Any] = list(raw.ravel()) if raw.dtype == object else list(ids)
            if not all(is_int(i) for i in items):
                raise InvalidArgumentError(f"{what} must be integers")
            if not all(0 <= int(i) <= U64_MAX for i in items):
                raise InvalidArgumentError(f"{what} must be in 0..2**64-2")
            raw = np.array([int(i) for i in items], dtype=np.uint64)
    if raw.ndim != 1:
        raise InvalidArgumentError(f"{what} must be one-dimensional, got shape {raw.shape}")
    if raw.dtype.kind == "i" and raw.size and raw.min() < 0:
        raise InvalidArgumentError(f"{what} must not be negative")
    return np.ascontiguousarray(raw, dtype=np.uint64)


class Guard:
    """Readers (search, get, save, count, config) share a handle; a writer
    (add, upsert, delete, build, commit, set_threads, close) waits for them
    and runs alone, as the C API asks. This keeps a Python program from racing a close
    or an add against a search, which would crash inside C. A reader with no
    writer about takes one plain lock twice: a single query's whole call is a
    few microseconds."""

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


__all__ = [
    "ArrayLike",
    "Guard",
    "PathLike",
    "U32_MAX",
    "U64_MAX",
    "check",
    "fs_path",
    "id_array",
    "is_int",
    "raise_last",
    "uint",
]
