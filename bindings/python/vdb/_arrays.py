"""numpy arrays for C: vectors as float32 C-contiguous arrays handed over
in place when they already are one, ids as uint64 arrays, and the
per-thread buffer of ``id in index``.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ._common import ArrayLike
from ._common import id_array as _id_array
from ._common import is_int as _is_int
from ._errors import InvalidArgumentError
from ._native import ffi


def as_float32(data: ArrayLike) -> np.ndarray:
    """data itself when it is a float32 C-contiguous ndarray, else one converted copy."""
    if isinstance(data, np.ndarray) and data.dtype == np.float32 and data.flags.c_contiguous:
        return data
    try:
        return np.ascontiguousarray(data, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise InvalidArgumentError(f"vectors must be numbers convertible to float32: {err}") from None


def float_ptr(array: np.ndarray) -> Any:
    """A `const float *` into the array's own memory (no copy)."""
    return ffi.from_buffer("float[]", array)


def as_ids(ids: Any, n: int) -> np.ndarray:
    """n ids for n vectors; one integer stands for [integer]."""
    array = _id_array([ids] if _is_int(ids) else ids)
    if array.shape[0] != n:
        raise InvalidArgumentError(f"ids must be a 1-D sequence of {n} ids (one per vector), got {array.shape[0]}")
    return array


class Scratch(threading.local):
    """One float buffer per thread for `id in index`: vdb_get needs somewhere
    to copy the vector, and the copy is thrown away. Per thread, because
    readers run at once; grown to the largest dim seen, never shrunk."""

    floats: Any = None


scratch = Scratch()
