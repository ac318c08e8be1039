"""The errors vdb.ray adds to vdb's own (which pass through unchanged)."""

from __future__ import annotations

from typing import Optional


class ShardUnavailable(RuntimeError):
    """A shard's actor died during a call and the one retry failed too.

    Raised by :meth:`ShardedIndex.search` when an actor died while the
    search was in flight and the search sent again (once, to the restarted
    actor or another replica) failed as well; and by the changes, which are
    not retried (an add that reached the shard before its actor died may be
    committed). The actor keeps restarting (up to ``max_restarts``), so a
    later call may succeed.

    Attributes:
        shard: the shard's number.
        cause: the Ray exception of the last failure.
    """

    def __init__(self, shard: int, message: str, cause: Optional[BaseException] = None) -> None:
        super().__init__(f"shard {shard}: {message}")
        self.shard = shard
        self.cause = cause

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (self.shard, str(self).split(": ", 1)[1], None))


__all__ = ["ShardUnavailable"]
