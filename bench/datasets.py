"""Data sets for the harness, each with exact top-100 ground truth.

prepare(name, rows, nq, ...) returns a dict of paths under bench/data/
(git-ignored): base.npy (rows x dim float32), queries.npy (nq x dim) and
gt.npy (nq x 100 int64, exact nearest by squared L2, nearest first). Each is
made once and cached; the cache key holds every parameter.

Names:
  seed        the seed project's 100,000 x 384 uniform set (`vdb gen --seed-set`);
              the index gets its first `rows` rows, the queries are its last
              `nq` rows (held out: never indexed).
  clustered   a Gaussian mixture (`vdb gen --kind clustered`, 100 centres,
              sigma 0.1 by default), rows + nq rows, the last nq are the queries.
  PATH.hdf5   ann-benchmarks layout: datasets 'train', 'test' (and 'neighbors',
              recomputed here when rows < the whole train set); angular sets
              are normalised so squared L2 ranks as cosine does.
  BASE[,QUERIES[,GT]]  .fvecs / .npy / .bvecs files (queries default to the
              last nq rows of BASE, held out); GT an .ivecs of true neighbours
              (SIFT1M's groundtruth), used only when the whole BASE is indexed.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
ROOT = os.path.dirname(HERE)
GT_K = 100


def vdb_tool() -> str:
    for candidate in (
        os.environ.get("VDB_TOOL", ""),
        os.path.join(ROOT, "build-release", "tools", "vdb"),
        os.path.join(ROOT, "build", "tools", "vdb"),
        shutil.which("vdb") or "",
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError("the vdb tool: build it (cmake -B build && cmake --build build) or set VDB_TOOL")


# --- readers ---------------------------------------------------------------------


def read_fvecs(path: str, dtype=np.float32) -> np.ndarray:
    """.fvecs (float32) or .ivecs (int32): each row an int32 dim, then dim values."""
    raw = np.fromfile(path, dtype=np.int32)
    if raw.size == 0:
        return np.empty((0, 0), dtype=dtype)
    dim = int(raw[0])
    rows = raw.reshape(-1, dim + 1)
    if not np.all(rows[:, 0] == dim):
        raise ValueError(f"{path}: rows of differing dimension")
    return np.ascontiguousarray(rows[:, 1:]).view(dtype)


def read_ivecs(path: str) -> np.ndarray:
    return read_fvecs(path, dtype=np.int32)


def read_bvecs(path: str) -> np.ndarray:
    raw = np.fromfile(path, dtype=np.uint8)
    dim = int(raw[:4].view(np.int32)[0])
    return raw.reshape(-1, dim + 4)[:, 4:].astype(np.float32)


def read_vectors(path: str) -> np.ndarray:
    if path.endswith(".fvecs"):
        return read_fvecs(path)
    if path.endswith(".ivecs"):
        return read_ivecs(path)
    if path.endswith(".bvecs"):
        return read_bvecs(path)
    if path.endswith(".npy"):
        return np.load(path, mmap_mode="r")
    raise ValueError(f"{path}: unknown format (use .fvecs, .ivecs, .bvecs, .npy or .hdf5)")


def read_hdf5(path: str):
    """ann-benchmarks layout: (train, test, neighbors or None, distance name)."""
    try:
        import h5py
    except ImportError as err:
        raise RuntimeError(f"{path}: reading .hdf5 needs h5py (pip install h5py): {err}") from None
    with h5py.File(path, "r") as f:
        train = np.asarray(f["train"], dtype=np.float32)
        test = np.asarray(f["test"], dtype=np.float32)
        neighbors = np.asarray(f["neighbors"]) if "neighbors" in f else None
        distance = f.attrs.get("distance", "euclidean")
        if isinstance(distance, bytes):
            distance = distance.decode()
    return train, test, neighbors, str(distance)


# --- ground truth -------------------------------------------------------------------


def exact_knn(base: np.ndarray, queries: np.ndarray, k: int = GT_K, block: int = 0) -> np.ndarray:
    """Exact k nearest rows of base for each query by squared L2, nearest first.

    ||x||^2 - 2 q.x in float64 (the ||q||^2 term does not change the order),
    over blocks of base rows so memory stays bounded for large sets: by
    default each block's distance matrix is about 512 MiB."""
    k = min(k, base.shape[0])
    block = block or max(4096, (64 << 20) // max(1, queries.shape[0]))
    q = np.asarray(queries, dtype=np.float64)
    best_d = np.full((q.shape[0], 0), np.inf)
    best_i = np.zeros((q.shape[0], 0), dtype=np.int64)
    for b0 in range(0, base.shape[0], block):
        x = np.asarray(base[b0 : b0 + block], dtype=np.float64)
        d = np.einsum("ij,ij->i", x, x)[None, :] - 2.0 * (q @ x.T)
        kk = min(k, d.shape[1])
        part = np.argpartition(d, kk - 1, axis=1)[:, :kk]
        d = np.concatenate([best_d, np.take_along_axis(d, part, axis=1)], axis=1)
        i = np.concatenate([best_i, part + b0], axis=1)
        sel = np.argpartition(d, k - 1, axis=1)[:, :k] if d.shape[1] > k else np.argsort(d, axis=1)
        best_d = np.take_along_axis(d, sel, axis=1)
        best_i = np.take_along_axis(i, sel, axis=1)
    order = np.argsort(best_d, axis=1, kind="stable")
    return np.take_along_axis(best_i, order, axis=1)


# --- the data sets ------------------------------------------------------------------


def _save_set(folder: str, base: np.ndarray, queries: np.ndarray, truth=None) -> dict:
    os.makedirs(folder, exist_ok=True)
    paths = {k: os.path.join(folder, k + ".npy") for k in ("base", "queries", "gt")}
    np.save(paths["base"], np.ascontiguousarray(base, dtype=np.float32))
    np.save(paths["queries"], np.ascontiguousarray(queries, dtype=np.float32))
    if truth is None:
        truth = exact_knn(np.load(paths["base"], mmap_mode="r"), np.load(paths["queries"]))
    np.save(paths["gt"], truth.astype(np.int64))
    return paths


def _file_key(path: str) -> str:
    """Cache key of an input file: its name, and a hash of its full path, size and time."""
    import hashlib

    st = os.stat(path)
    digest = hashlib.sha1(f"{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:10]
    return f"{os.path.splitext(os.path.basename(path))[0]}-{digest}"


def _cached(folder: str):
    paths = {k: os.path.join(folder, k + ".npy") for k in ("base", "queries", "gt")}
    return paths if all(os.path.exists(p) for p in paths.values()) else None


def prepare(name: str, rows: int, nq: int, clusters: int = 100, sigma: float = 0.1, dim: int = 128,
            seed: int = 42, log=print) -> dict:
    """Make (or find cached) base/queries/ground truth; returns paths and a description."""
    os.makedirs(DATA, exist_ok=True)
    if name == "seed":
        folder = os.path.join(DATA, f"seed-{rows}-{nq}")
        desc = f"seed set: first {rows} of the seed's 100,000 x 384 uniform [0,1) rows (vdb gen --seed-set); queries: its last {nq} rows"
        if not _cached(folder):
            raw = os.path.join(DATA, "seed-set.f32")
            if not os.path.exists(raw):
                log(f"generating the seed set: {raw}")
                subprocess.run([vdb_tool(), "gen", raw, "--seed-set"], check=True, stdout=subprocess.DEVNULL)
            full = np.memmap(raw, dtype=np.float32, mode="r").reshape(-1, 384)
            if rows + nq > full.shape[0]:
                raise ValueError(f"the seed set has {full.shape[0]} rows: rows + queries must not exceed it")
            log(f"exact ground truth for {nq} queries over {rows} rows ...")
            _save_set(folder, full[:rows], full[full.shape[0] - nq :])
    elif name == "clustered":
        folder = os.path.join(DATA, f"clustered-{rows}-{nq}-{dim}-{clusters}-{sigma}-{seed}")
        desc = (f"clustered: Gaussian mixture, {rows} x {dim}, {clusters} centres uniform in [0,1)^{dim}, "
                f"sigma {sigma} (vdb gen --kind clustered, seed {seed}); queries: {nq} more rows, held out")
        if not _cached(folder):
            os.makedirs(folder, exist_ok=True)
            raw = os.path.join(folder, "all.npy")
            log(f"generating {rows + nq} x {dim} clustered rows")
            subprocess.run([vdb_tool(), "gen", raw, "--count", str(rows + nq), "--dim", str(dim), "--kind", "clustered",
                            "--clusters", str(clusters), "--sigma", str(sigma), "--seed", str(seed)],
                           check=True, stdout=subprocess.DEVNULL)
            full = np.load(raw, mmap_mode="r")
            log(f"exact ground truth for {nq} queries over {rows} rows ...")
            _save_set(folder, full[:rows], full[rows:])
            del full
            os.remove(raw)
    elif name.endswith((".hdf5", ".h5")):
        folder = os.path.join(DATA, f"{_file_key(name)}-{rows}-{nq}")
        desc = f"{name} (ann-benchmarks layout): first {rows} train rows, first {nq} test rows"
        if not _cached(folder):
            train, test, neighbors, distance = read_hdf5(name)
            if distance in ("angular", "cosine"):
                train = train / np.maximum(np.linalg.norm(train, axis=1, keepdims=True), 1e-30)
                test = test / np.maximum(np.linalg.norm(test, axis=1, keepdims=True), 1e-30)
                desc += " (angular: normalised, ranked by L2)"
            rows = min(rows, train.shape[0])
            truth = neighbors[:nq] if neighbors is not None and rows == train.shape[0] else None
            _save_set(folder, train[:rows], test[:nq], truth)
    else:
        parts = name.split(",")
        folder = os.path.join(DATA, "-".join(_file_key(x) for x in parts) + f"-{rows}-{nq}")
        desc = f"{parts[0]}: first {rows} rows"
        if not _cached(folder):
            base = read_vectors(parts[0])
            truth = None
            if len(parts) > 1:
                queries = read_vectors(parts[1])[:nq]
                desc += f", queries: first {nq} rows of {parts[1]}"
                if len(parts) > 2 and rows >= base.shape[0]:  # given ground truth holds for the whole base only
                    truth = read_vectors(parts[2])[:nq]
                    desc += f", ground truth from {parts[2]}"
            else:
                queries = base[base.shape[0] - nq :]
                base = base[: base.shape[0] - nq]
                desc += f", queries: its last {nq} rows, held out"
            _save_set(folder, base[:rows], queries, truth)
    paths = _cached(folder)
    desc_path = os.path.join(folder, "description.txt")
    if os.path.exists(desc_path):
        with open(desc_path) as f:
            desc = f.read().strip()
    else:
        with open(desc_path, "w") as f:
            f.write(desc + "\n")
    base = np.load(paths["base"], mmap_mode="r")
    queries = np.load(paths["queries"], mmap_mode="r")
    paths.update(name=name, description=desc, rows=int(base.shape[0]), dim=int(base.shape[1]),
                 nq=int(queries.shape[0]))
    return paths
