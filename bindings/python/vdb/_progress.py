"""The ``progress=`` argument of Index.add and Index.build: a callable
``f(done, total)`` or True for a bar, set with vdb_set_progress for one call.

The C function is _vdb_py_progress, an extern "Python" function compiled
into the extension (vdb_build.py declares it), as for a predicate filter.
The library calls it only on the thread that made the call, which has
released the GIL; cffi takes it again for each report. An exception from
the callable cancels the call (the callback answers non-zero) and is
re-raised once the C call has returned, so it is never lost or printed to
stderr as "unraisable".
"""

from __future__ import annotations

import sys
import threading
from typing import Any, Callable, Optional, Union

from ._common import check
from ._errors import InvalidArgumentError
from ._native import ffi, lib

#: What ``progress=`` accepts: None, True (a bar), or f(done, total) whose truthy return cancels.
ProgressLike = Union[None, bool, Callable[[int, int], Any]]


class _Reporter:
    """The context of one call's reports: the callable and the first exception it raised."""

    __slots__ = ("fn", "error")

    def __init__(self, fn: Callable[[int, int], Any]) -> None:
        self.fn = fn
        self.error: Optional[BaseException] = None


def _report(done: int, total: int, ctx: Any) -> int:
    reporter: _Reporter = ffi.from_handle(ctx)
    if reporter.error is not None:
        return 1
    try:
        return 1 if reporter.fn(done, total) else 0
    except BaseException as err:  # re-raised by the call that reported
        reporter.error = err
        return 1


ffi.def_extern(name="_vdb_py_progress")(_report)  # lib._vdb_py_progress now calls _report


class _PlainBar:
    """A one-line bar on stderr for when tqdm is not installed. Redrawn in
    place on a terminal; elsewhere (a log, a pipe) only the last line is
    written, so files never fill with carriage returns."""

    WIDTH = 30

    def __init__(self, label: str) -> None:
        self.label = label
        self.last: Optional[str] = None
        self.tty = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        filled = int(fraction * self.WIDTH)
        self.last = f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {fraction * 100:5.1f}% {done}/{total}"
        if self.tty:
            sys.stderr.write("\r" + self.last)
            sys.stderr.flush()

    def close(self) -> None:
        if self.last is not None:
            sys.stderr.write(("\r" if self.tty else "") + self.last + "\n")
            sys.stderr.flush()


class _TqdmBar:
    """tqdm, made at the first report, when the total is known."""

    def __init__(self, tqdm: Any, label: str) -> None:
        self.tqdm = tqdm
        self.label = label
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = self.tqdm(total=total, desc=self.label, unit="vec")
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _bar(label: str) -> Any:
    try:
        from tqdm import tqdm  # imported per call: an optional dependency
    except ImportError:
        return _PlainBar(label)
    return _TqdmBar(tqdm, label)


class ProgressScope:
    """vdb_set_progress for the length of one call of one index handle:
    ``with ProgressScope(spec, label) as scope: scope.attach(handle); ...``,
    then :meth:`raise_pending`. Made before the index is entered, so a bad
    spec fails early; exits clear the callback and close a bar."""

    __slots__ = ("_reporter", "_context", "_bar", "_handle", "thread")

    def __init__(self, spec: ProgressLike, label: str) -> None:
        self._reporter: Optional[_Reporter] = None
        self._context: Any = None
        self._bar: Any = None
        self._handle: Any = None
        self.thread: Optional[int] = None
        if spec is None or spec is False:
            return
        if spec is True:
            self._bar = _bar(label)
            fn = self._bar
        elif callable(spec):
            fn = spec
        else:
            raise InvalidArgumentError(
                f"progress must be None, True or a callable f(done, total), not {type(spec).__name__}"
            )
        self._reporter = _Reporter(fn)
        self._context = ffi.new_handle(self._reporter)  # lives as long as this object

    @property
    def active(self) -> bool:
        return self._reporter is not None

    def attach(self, handle: Any) -> None:
        """Set the callback on handle (inside the index's writer guard)."""
        if self._reporter is None:
            return
        check(lib.vdb_set_progress(handle, lib._vdb_py_progress, self._context))
        self._handle = handle
        self.thread = threading.get_ident()

    def detach(self) -> None:
        """Clear the callback (still inside the writer guard) and close the bar."""
        if self._handle is not None:
            lib.vdb_set_progress(self._handle, ffi.NULL, ffi.NULL)
            self._handle = None
            self.thread = None
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def raise_pending(self) -> None:
        """Raise the exception the callable raised during the call, if any."""
        reporter = self._reporter
        if reporter is not None and reporter.error is not None:
            error, reporter.error = reporter.error, None
            raise error


__all__ = ["ProgressLike", "ProgressScope"]
