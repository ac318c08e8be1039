"""One adapter per system, all with the same interface.

    adapter = ADAPTERS[name]()          # imports the library (may raise)
    adapter.build(data, M, ef_construction, threads)
    adapter.save(path)                  # file size: os.path.getsize(path)
    adapter.load(path, dim)             # a fresh object reads what save wrote
    adapter.set_ef(ef)
    ids = adapter.search(queries, k, ef, threads)   # (k,) for one query, (nq, k) for a batch
    adapter.version()

Every adapter is given the same data (float32, C order, ids 0..n-1), the same
M and ef_construction, the same seed where the library takes one, and the same
thread counts. M is the number of links per node on the upper layers; all four
libraries keep 2*M on layer 0. Distances are squared L2 everywhere.

Run as a script, this module is the child process that run.py starts for one
measurement, so that each system's RSS is its own:

    python bench/systems.py build  SYSTEM SPEC.json RESULT.json
    python bench/systems.py search SYSTEM SPEC.json RESULT.json
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
import traceback

import numpy as np

SEED = 42


def all_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _threads(threads: int) -> int:
    """0 means all cores; every adapter gets an explicit count."""
    return all_cores() if threads in (0, None) else int(threads)


class Adapter:
    name = "?"
    file_suffix = ".idx"

    def version(self) -> str:
        raise NotImplementedError

    def build(self, data: np.ndarray, M: int, ef_construction: int, threads: int) -> None:
        raise NotImplementedError

    def save(self, path: str) -> None:
        raise NotImplementedError

    def load(self, path: str, dim: int) -> None:
        raise NotImplementedError

    def set_ef(self, ef: int) -> None:
        raise NotImplementedError

    def search(self, queries: np.ndarray, k: int, ef: int, threads: int) -> np.ndarray:
        raise NotImplementedError

    def close(self) -> None:
        self.index = None


class LibVdb(Adapter):
    """libvdb through its Python binding (cffi); vdb.Index copies the vectors in."""

    name = "libvdb"
    file_suffix = ".vdb"
    codes = None  # searches read float32 rows only

    def code_bytes(self, dim: int) -> int:
        """PQ's bytes a vector: 0 for the library's default (dim / 8)."""
        return 0

    def __init__(self) -> None:
        import vdb  # noqa: F401

        self.vdb = vdb
        self.index = None
        self.ef = 64
        self.threads = None

    def version(self) -> str:
        return self.vdb.__version__

    def build(self, data, M, ef_construction, threads):
        self.index = self.vdb.Index(
            data.shape[1],
            metric="l2",
            m=M,
            ef_construction=ef_construction,
            threads=_threads(threads),
            seed=SEED,
            **self.code_options(data.shape[1]),
        )
        self.threads = _threads(threads)
        self.index.add(data)

    def code_options(self, dim: int) -> dict:
        """The Index keywords that give this system's codes."""
        options = {"codes": self.codes} if self.codes else {}
        if self.code_bytes(dim):
            options["code_bytes"] = self.code_bytes(dim)
        return options

    def save(self, path):
        self.index.save(path)

    def load(self, path, dim):
        self.index = self.vdb.Index.open(path)
        self.threads = None

    def set_ef(self, ef):
        self.ef = int(ef)

    def _set_threads(self, threads):
        t = _threads(threads)
        if t != self.threads:
            self.index.set_threads(t)
            self.threads = t

    def search(self, queries, k, ef, threads):
        if queries.ndim == 2:
            self._set_threads(threads)  # a batch runs on the index's threads
        ids, _ = self.index.search(queries, k=k, ef=ef)
        return ids

    def close(self):
        if self.index is not None:
            self.index.close()
        self.index = None


class LibVdbInt8(LibVdb):
    """libvdb with int8 codes: the walk reads a byte per dimension, the final candidates their float32 rows."""

    name = "libvdb-int8"
    codes = "int8"


class LibVdbPq(LibVdb):
    """libvdb with PQ codes, dim / 8 bytes a vector: the walk reads those, the final candidates their float32 rows."""

    name = "libvdb-pq"
    codes = "pq"


class LibVdbPqFine(LibVdb):
    """libvdb with PQ codes of two dimensions a byte (192 bytes for 384-d): finer codes for data PQ48 cannot rank."""

    name = "libvdb-pq2"
    codes = "pq"

    def code_bytes(self, dim):
        return dim // 2


class Hnswlib(Adapter):
    name = "hnswlib"
    file_suffix = ".hnsw"

    def __init__(self) -> None:
        import hnswlib

        self.hnswlib = hnswlib
        self.index = None

    def version(self) -> str:
        from importlib.metadata import version

        return version("hnswlib")

    def build(self, data, M, ef_construction, threads):
        index = self.hnswlib.Index(space="l2", dim=data.shape[1])
        index.init_index(max_elements=data.shape[0], M=M, ef_construction=ef_construction, random_seed=SEED)
        index.set_num_threads(_threads(threads))
        index.add_items(data, np.arange(data.shape[0]), num_threads=_threads(threads))
        self.index = index

    def save(self, path):
        self.index.save_index(path)

    def load(self, path, dim):
        index = self.hnswlib.Index(space="l2", dim=dim)
        index.load_index(path)
        self.index = index

    def set_ef(self, ef):
        self.index.set_ef(int(ef))

    def search(self, queries, k, ef, threads):
        labels, _ = self.index.knn_query(queries, k=k, num_threads=_threads(threads))
        return labels[0] if queries.ndim == 1 else labels


class Faiss(Adapter):
    """faiss.IndexHNSWFlat; efConstruction is set before add, efSearch before search."""

    name = "faiss"
    file_suffix = ".faiss"

    def __init__(self) -> None:
        import faiss

        self.faiss = faiss
        self.index = None

    def version(self) -> str:
        return self.faiss.__version__

    def build(self, data, M, ef_construction, threads):
        self.faiss.omp_set_num_threads(_threads(threads))
        index = self.faiss.IndexHNSWFlat(data.shape[1], M)  # METRIC_L2: squared L2
        index.hnsw.efConstruction = ef_construction
        index.add(data)
        self.index = index

    def save(self, path):
        self.faiss.write_index(self.index, path)

    def load(self, path, dim):
        self.index = self.faiss.read_index(path)

    def set_ef(self, ef):
        self.index.hnsw.efSearch = int(ef)

    def search(self, queries, k, ef, threads):
        self.faiss.omp_set_num_threads(_threads(threads))
        single = queries.ndim == 1
        _, labels = self.index.search(queries.reshape(1, -1) if single else queries, k)
        return labels[0] if single else labels


class USearch(Adapter):
    """usearch.index.Index with dtype f32 (no quantisation), metric l2sq."""

    name = "usearch"
    file_suffix = ".usearch"

    def __init__(self) -> None:
        from usearch.index import Index

        self.Index = Index
        self.index = None

    def version(self) -> str:
        import usearch

        accel = getattr(self.index, "hardware_acceleration", None) if self.index is not None else None
        return usearch.__version__ + (f" ({accel})" if accel else "")

    def build(self, data, M, ef_construction, threads):
        index = self.Index(
            ndim=data.shape[1], metric="l2sq", dtype="f32", connectivity=M, expansion_add=ef_construction
        )
        index.add(np.arange(data.shape[0], dtype=np.uint64), data, threads=_threads(threads))
        self.index = index

    def save(self, path):
        self.index.save(path)

    def load(self, path, dim):
        self.index = self.Index.restore(path, view=False)  # read into memory, like the others

    def set_ef(self, ef):
        self.index.expansion_search = int(ef)

    def search(self, queries, k, ef, threads):
        matches = self.index.search(queries, k, threads=_threads(threads))
        return matches.keys


ADAPTERS = {
    "libvdb": LibVdb,
    "libvdb-int8": LibVdbInt8,
    "libvdb-pq": LibVdbPq,
    "libvdb-pq2": LibVdbPqFine,
    "hnswlib": Hnswlib,
    "faiss": Faiss,
    "usearch": USearch,
}
SYSTEMS = list(ADAPTERS)


# --- the child process -----------------------------------------------------------


def memory() -> dict:
    """Peak RSS (VmHWM), current RSS and anonymous RSS of this process, in bytes.

    Anonymous comes from /proc/self/smaps_rollup: heap and other private
    anonymous pages, not file-backed pages such as a mapped index."""
    out = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    out[{"VmHWM:": "peak_rss", "VmRSS:": "rss"}[line.split()[0]]] = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        with open("/proc/self/smaps_rollup") as f:
            for line in f:
                if line.startswith("Anonymous:"):
                    out["anon_rss"] = int(line.split()[1]) * 1024
    except OSError:
        pass
    return out


def recall_at(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    """|found[:k] & truth[:k]| / k, averaged over queries."""
    hits = 0
    for f, t in zip(found, truth):
        hits += len(set(int(x) for x in f[:k]) & set(int(x) for x in t[:k]))
    return hits / (k * len(truth))


def child_build(adapter: Adapter, spec: dict) -> dict:
    data = np.ascontiguousarray(np.load(spec["base"], mmap_mode="r")[: spec["rows"]], dtype=np.float32)
    gc.collect()
    before = memory()
    t0 = time.perf_counter()
    adapter.build(data, spec["M"], spec["ef_construction"], spec["threads"])
    seconds = time.perf_counter() - t0
    after = memory()
    result = {
        "build_seconds": seconds,
        "build_vectors_per_second": data.shape[0] / seconds,
        "build_threads": _threads(spec["threads"]),
        "memory_before": before,
        "memory_after": after,
        "anon_rss_growth": after.get("anon_rss", 0) - before.get("anon_rss", 0),
    }
    if spec.get("save"):
        t0 = time.perf_counter()
        adapter.save(spec["save"])
        result["save_seconds"] = time.perf_counter() - t0
        result["file_bytes"] = os.path.getsize(spec["save"])
    return result


def child_search(adapter: Adapter, spec: dict) -> dict:
    queries = np.ascontiguousarray(np.load(spec["queries"]), dtype=np.float32)
    truth = np.load(spec["gt"])
    k, nq = spec["k"], queries.shape[0]
    all_threads = _threads(spec["batch_threads"])
    gc.collect()
    before = memory()
    t0 = time.perf_counter()
    adapter.load(spec["index"], queries.shape[1])
    load_seconds = time.perf_counter() - t0
    after_load = memory()
    adapter.set_ef(spec["ef"][0])
    t0 = time.perf_counter()
    adapter.search(queries[0], k, spec["ef"][0], 1)
    first_query_seconds = time.perf_counter() - t0
    sweep = []
    for ef in spec["ef"]:
        adapter.set_ef(ef)
        for q in queries[: min(nq, spec.get("warmup", 50))]:  # untimed warm-up
            adapter.search(q, k, ef, 1)
        lat = np.empty(nq)
        found = np.empty((nq, k), dtype=np.int64)
        clock = time.perf_counter_ns
        start = clock()
        for i in range(nq):  # single thread: one query per call
            t = clock()
            found[i] = adapter.search(queries[i], k, ef, 1)
            lat[i] = clock() - t
        single_seconds = (clock() - start) / 1e9
        # batch: one call with all queries on all cores; an untimed call first (thread
        # pools start), then calls repeated until min_batch_seconds have passed.
        batch = np.asarray(adapter.search(queries, k, ef, all_threads)).astype(np.int64)
        calls, t = 0, time.perf_counter()
        while True:
            adapter.search(queries, k, ef, all_threads)
            calls += 1
            batch_seconds = time.perf_counter() - t
            if batch_seconds >= spec.get("min_batch_seconds", 0.2) or calls >= 50:
                break
        batch_seconds /= calls
        sweep.append(
            {
                "ef": ef,
                "recall": recall_at(found, truth, k),
                "recall_batch": recall_at(batch, truth, k),
                "qps_single": nq / single_seconds,
                "qps_batch": nq / batch_seconds,
                "batch_threads": all_threads,
                "batch_calls": calls,
                "p50_ms": float(np.percentile(lat, 50)) / 1e6,
                "p99_ms": float(np.percentile(lat, 99)) / 1e6,
            }
        )
    return {
        "load_seconds": load_seconds,
        "first_query_seconds": first_query_seconds,
        "memory_before": before,
        "memory_after_load": after_load,
        "memory_after": memory(),
        "sweep": sweep,
    }


def child_main(argv: list) -> int:
    mode, system, spec_path, out_path = argv
    with open(spec_path) as f:
        spec = json.load(f)
    result = {"system": system, "mode": mode, "status": "ok"}

    def write():
        with open(out_path + ".tmp", "w") as f:
            json.dump(result, f)
        os.replace(out_path + ".tmp", out_path)

    try:
        adapter = ADAPTERS[system]()
        result["version"] = adapter.version()
    except Exception as err:  # a peer that fails to import is reported, not dropped
        result["status"] = "import-failed"
        result["error"] = f"{type(err).__name__}: {err}"
        write()
        return 0
    try:
        result.update(child_build(adapter, spec) if mode == "build" else child_search(adapter, spec))
        result["version"] = adapter.version()
    except Exception as err:
        result["status"] = "error"
        result["error"] = f"{type(err).__name__}: {err}"
        result["traceback"] = traceback.format_exc()[-2000:]
    write()
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
