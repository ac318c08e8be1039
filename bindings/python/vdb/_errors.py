"""Exceptions: one class per VDB_E* code, all under vdb.Error.

Each carries `.code` (the negative VDB_E* value) and `.message` (the C
library's vdb_last_error() text, or the binding's own words for a check made
before calling C). Classes also derive from the matching built-in exception
where one fits, so `except ValueError` catches a bad argument.
"""

from __future__ import annotations

from typing import Dict, Optional, Type

from ._generated import VDB_STATUS

_CODE_NAMES = {value: name for name, value in VDB_STATUS.items()}


class Error(Exception):
    """Base class of every libvdb error.

    Attributes:
        code: the VDB_E* code (a negative int), or None.
        message: what went wrong, in words.
    """

    code: Optional[int] = None

    def __init__(self, message: str, code: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    @property
    def code_name(self) -> Optional[str]:
        """The C name of the code, e.g. "VDB_EDIM"."""
        return _CODE_NAMES.get(self.code) if self.code is not None else None

    def __str__(self) -> str:
        return self.message


class InvalidArgumentError(Error, ValueError):
    """VDB_EINVAL: a bad argument (k = 0, NaN/Inf in a vector, bad config), or a closed index."""

    code = VDB_STATUS["VDB_EINVAL"]


class DimensionError(Error, ValueError):
    """VDB_EDIM: a vector's dimension differs from the index's."""

    code = VDB_STATUS["VDB_EDIM"]


class OutOfMemoryError(Error, MemoryError):
    """VDB_ENOMEM: an allocation or a mapping failed."""

    code = VDB_STATUS["VDB_ENOMEM"]


class VdbIOError(Error, OSError):
    """VDB_EIO: the OS refused a file operation (missing path, directory, permission)."""

    code = VDB_STATUS["VDB_EIO"]


class FormatError(Error):
    """VDB_EFORMAT: not a libvdb index or vector file, truncated, or corrupt."""

    code = VDB_STATUS["VDB_EFORMAT"]


class VersionError(Error):
    """VDB_EVERSION: the file's format version is newer than this library reads."""

    code = VDB_STATUS["VDB_EVERSION"]


class ReadOnlyError(Error):
    """VDB_EREADONLY: a change was asked of a read-only index (opened from a file, or over a vector file)."""

    code = VDB_STATUS["VDB_EREADONLY"]


class ExistsError(Error):
    """VDB_EEXIST: an id (or a mapped row) that is already in the index."""

    code = VDB_STATUS["VDB_EEXIST"]


class RangeError(Error, IndexError):
    """VDB_ERANGE: rows outside the vector file, or a count past the index's limits."""

    code = VDB_STATUS["VDB_ERANGE"]


class NotFoundError(Error, KeyError):
    """VDB_ENOTFOUND: an id that is not in the index (never added, or deleted).

    Also a KeyError, so ``except KeyError`` works as it does for a dict.
    """

    code = VDB_STATUS["VDB_ENOTFOUND"]


class BusyError(Error, OSError):
    """VDB_EBUSY: the index file is open writable elsewhere (another open
    holds its journal's lock: another process, or another writable open in
    this one), or a save over a file whose journal holds changes the file
    lacks was refused (it would lose them)."""

    code = VDB_STATUS["VDB_EBUSY"]


class NoSpaceError(VdbIOError):
    """VDB_ENOSPC: the disk or a quota is full, or a file is over the size limit.

    A VdbIOError too (this was VDB_EIO before libvdb had the code), so
    ``except vdb.VdbIOError`` and ``except OSError`` still catch it.
    """

    code = VDB_STATUS["VDB_ENOSPC"]


class CanceledError(Error):
    """VDB_ECANCELED: the progress callback asked to stop; the call added nothing."""

    code = VDB_STATUS["VDB_ECANCELED"]


_BY_CODE: Dict[int, Type[Error]] = {
    cls.code: cls
    for cls in (
        InvalidArgumentError,
        DimensionError,
        OutOfMemoryError,
        VdbIOError,
        FormatError,
        VersionError,
        ReadOnlyError,
        ExistsError,
        RangeError,
        NotFoundError,
        BusyError,
        NoSpaceError,
        CanceledError,
    )
}


def error_for(code: int, message: str) -> Error:
    """The exception for a VDB_E* code; an unknown code gives a plain Error."""
    cls = _BY_CODE.get(code)
    if cls is None:
        return Error(f"{message} (unknown libvdb code {code})", code)
    return cls(message, code)
