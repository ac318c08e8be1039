"""Ray's wrappers around the errors raised inside tasks and actors."""

from __future__ import annotations

import ray
import ray.exceptions


def raise_cause(err: BaseException) -> None:
    """Raise the exception a task or actor raised (a vdb.Error, say) rather
    than Ray's wrapper around it, so callers catch what vdb.Index raises."""
    cause = getattr(err, "cause", None)
    if isinstance(err, ray.exceptions.RayTaskError) and isinstance(cause, Exception):
        raise cause from None
    raise err


#: What a call raises when its actor died or could not be reached (a restart is under way, or none is left).
ACTOR_LOST = (ray.exceptions.RayActorError, ray.exceptions.ObjectLostError)

__all__ = ["ACTOR_LOST", "raise_cause"]
