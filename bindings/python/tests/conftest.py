"""Shared fixtures: clustered data and an exact brute-force reference."""

from __future__ import annotations

import numpy as np
import pytest


def clustered(n: int, dim: int, clusters: int = 40, spread: float = 0.35, seed: int = 1) -> np.ndarray:
    """n float32 points around `clusters` Gaussian centres."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim)).astype(np.float32)
    labels = rng.integers(0, clusters, size=n)
    return (centres[labels] + spread * rng.normal(size=(n, dim))).astype(np.float32)


def brute_force_l2(data: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Exact k nearest ids by squared L2, computed in float64."""
    d = data.astype(np.float64)
    q = queries.astype(np.float64)
    dist = (q * q).sum(1)[:, None] - 2.0 * q @ d.T + (d * d).sum(1)[None, :]
    return np.argsort(dist, axis=1, kind="stable")[:, :k]


@pytest.fixture(scope="session")
def data() -> np.ndarray:
    return clustered(5000, 32)


@pytest.fixture(scope="session")
def queries() -> np.ndarray:
    return clustered(200, 32, seed=2)


@pytest.fixture(scope="session")
def built(data):
    """A session-wide index over `data` (ids 0..n-1); tests must not change it."""
    import vdb

    index = vdb.Index(32, m=16, ef_construction=200, seed=7)
    index.add(data)
    yield index
    index.close()
