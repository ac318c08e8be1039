"""The out-of-core proof: an index file larger than the memory it is searched in.

    sudo python bench/out_of_core.py                      # 1.3M x 384: a 2.2 GB libvdb file
    python bench/out_of_core.py --rows 200000 --limit-mb 128 --build-limit-mb 256   # a small try

1. Data: a Gaussian mixture of `--rows` + `--queries` rows (datasets.py,
   `vdb gen --kind clustered`), the queries held out, exact top-100 cached.
2. Build, per system, on all cores, with the same M and ef_construction.
   Each build is first tried in a memory cgroup of `--build-limit-mb`
   (libvdb builds over the mapped vector file; the peers are handed the rows
   as a numpy array, which their add() copies). A build killed there is
   reported, then run again without a limit so that the search can go on.
3. Search, per system, twice, with `--queries` queries one per call on one
   thread: with no limit and a warm page cache (the file is read once
   first), then in a cgroup of `--limit-mb` after dropping the page cache.
   Each system loads its index the way that needs the least memory: libvdb
   `Index.open` (a mapping), FAISS `read_index(IO_FLAG_MMAP)`, USearch
   `Index.restore(view=True)`; hnswlib can only read its file into memory.
   Reported: load time, recall@10, QPS, p50/p99 latency, major page faults,
   peak and anonymous RSS, or how the child died.

Memory cgroups v1 need root; the cgroups are removed afterwards. Results go
to bench/results/out-of-core-*.json and .md (`--report JSON` prints the
table again). Indexes are kept in --index-dir, so a second run only
searches. Each child is
`python bench/out_of_core.py --child build|search SPEC RESULT`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import datasets  # noqa: E402
import systems  # noqa: E402
from run import machine  # noqa: E402

CGROUP_ROOT = "/sys/fs/cgroup/memory"


# --- memory cgroups (v1) ---------------------------------------------------------------


@contextlib.contextmanager
def memory_cgroup(limit_bytes: int | None):
    """A fresh cgroup with a memory limit, yielding its path (None: no limit); removed on exit."""
    if not limit_bytes:
        yield None
        return
    path = os.path.join(CGROUP_ROOT, f"vdb-bench-{os.getpid()}-{time.monotonic_ns()}")
    os.mkdir(path)
    try:
        with open(os.path.join(path, "memory.limit_in_bytes"), "w") as f:
            f.write(str(limit_bytes))
        yield path
    finally:
        for _ in range(50):  # a killed child may take a moment to leave
            try:
                os.rmdir(path)
                break
            except OSError:
                time.sleep(0.1)


def cgroup_stats(path: str | None) -> dict:
    if not path:
        return {}
    out = {}
    for name in ("memory.max_usage_in_bytes", "memory.failcnt"):
        with contextlib.suppress(OSError), open(os.path.join(path, name)) as f:
            out[name.split(".", 1)[1]] = int(f.read())
    with contextlib.suppress(OSError), open(os.path.join(path, "memory.oom_control")) as f:
        for line in f:
            key, value = line.split()
            if key == "oom_kill":
                out["oom_kills"] = int(value)
    return out


def drop_page_cache() -> bool:
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def warm_page_cache(path: str) -> None:
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def run_child(mode: str, system: str, spec: dict, work: str, cgroup: str | None, timeout: int) -> dict:
    """One build or search in a fresh process, inside `cgroup` from its first instruction."""
    tag = f"{mode}-{system}-{'limited' if cgroup else 'free'}"
    spec_path, out_path = os.path.join(work, tag + ".spec.json"), os.path.join(work, tag + ".result.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    with contextlib.suppress(FileNotFoundError):
        os.remove(out_path)

    def enter_cgroup():
        if cgroup:
            with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))

    cmd = [sys.executable, os.path.abspath(__file__), "--child", mode, system, spec_path, out_path]
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, preexec_fn=enter_cgroup)
        code, stderr = proc.returncode, proc.stderr
    except subprocess.TimeoutExpired as err:  # its captured output may come back as bytes
        code, stderr = None, err.stderr.decode(errors="replace") if isinstance(err.stderr, bytes) else err.stderr or ""
    result = {"system": system, "mode": mode, "status": "crashed"}
    if os.path.exists(out_path):
        with open(out_path) as f:
            result = json.load(f)
    result["wall_seconds"] = time.perf_counter() - started
    result["cgroup"] = cgroup_stats(cgroup)
    if code is None:
        result.update(status="timeout", error=f"no result after {timeout} s")
    elif code != 0 or result.get("status") != "ok":
        killed = code < 0 and result["cgroup"].get("oom_kills", 0) > 0
        result["status"] = "killed for memory" if killed else result.get("status") if code == 0 else "crashed"
        result.setdefault("error", f"killed by signal {-code}" if code < 0 else f"exit code {code}")
        result["returncode"] = code
        result["stderr_tail"] = stderr[-1500:]
    return result


# --- the children ----------------------------------------------------------------------


def load_for_search(adapter: systems.Adapter, path: str, dim: int) -> str:
    """Load the way that needs least memory; returns how."""
    name = adapter.name
    if name == "faiss":
        adapter.index = adapter.faiss.read_index(path, adapter.faiss.IO_FLAG_MMAP)
        return "faiss.read_index(path, IO_FLAG_MMAP)"
    if name == "usearch":
        adapter.index = adapter.Index.restore(path, view=True)
        return "Index.restore(path, view=True)"
    adapter.load(path, dim)
    return "Index.open(path): a read-only mapping" if name.startswith("libvdb") else "load_index(path): read into memory"


def child_build(system: str, spec: dict) -> dict:
    adapter = systems.ADAPTERS[system]()
    before = systems.memory()
    t0 = time.perf_counter()
    if system.startswith("libvdb"):  # over the mapped vector file: the rows never enter the heap
        vdb = adapter.vdb
        adapter.index = vdb.Index.map_vectors(spec["base"], m=spec["M"], ef_construction=spec["ef_construction"],
                                              threads=systems.all_cores(), seed=systems.SEED,
                                              **adapter.code_options(spec["dim"]))
        memory = spec.get("build_memory_mb")
        adapter.index.build(0, spec["rows"], memory=memory << 20 if memory else None)
        how = "Index.map_vectors(base.npy).build(0, rows" + (f", memory={memory} MiB)" if memory else ")")
    else:
        data = np.ascontiguousarray(np.load(spec["base"], mmap_mode="r")[: spec["rows"]], dtype=np.float32)
        t0 = time.perf_counter()
        adapter.build(data, spec["M"], spec["ef_construction"], 0)
        del data
        how = "numpy array in memory, add() on all cores"
    seconds = time.perf_counter() - t0
    after = systems.memory()
    t1 = time.perf_counter()
    adapter.save(spec["save"])
    return {"build_seconds": seconds, "how": how, "threads": systems.all_cores(), "memory_before": before,
            "memory_after": after, "save_seconds": time.perf_counter() - t1,
            "file_bytes": os.path.getsize(spec["save"]), "version": adapter.version()}


def child_search(system: str, spec: dict) -> dict:
    adapter = systems.ADAPTERS[system]()
    queries = np.ascontiguousarray(np.load(spec["queries"]), dtype=np.float32)
    truth = np.load(spec["gt"])
    k, ef = spec["k"], spec["ef"]
    gc.collect()
    faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_majflt
    t0 = time.perf_counter()
    how = load_for_search(adapter, spec["index"], queries.shape[1])
    load_seconds = time.perf_counter() - t0
    after_load = systems.memory()
    adapter.set_ef(ef)
    faults1 = resource.getrusage(resource.RUSAGE_SELF).ru_majflt
    found = np.full((queries.shape[0], k), -1, dtype=np.int64)
    lat = []
    clock, deadline = time.perf_counter_ns, time.perf_counter() + spec["max_search_seconds"]
    start = clock()
    for i, q in enumerate(queries):
        t = clock()
        found[i] = adapter.search(q, k, ef, 1)
        lat.append(clock() - t)
        if time.perf_counter() > deadline:
            break
    seconds = (clock() - start) / 1e9
    done = len(lat)
    faults2 = resource.getrusage(resource.RUSAGE_SELF).ru_majflt
    if spec.get("found_out"):
        np.save(spec["found_out"], found[:done])
    return {"how": how, "load_seconds": load_seconds, "memory_after_load": after_load, "memory_after": systems.memory(),
            "queries_run": done, "queries_asked": int(queries.shape[0]), "ef": ef, "k": k,
            "recall": systems.recall_at(found[:done], truth[:done], k), "qps": done / seconds,
            "p50_ms": float(np.percentile(lat, 50)) / 1e6, "p99_ms": float(np.percentile(lat, 99)) / 1e6,
            "major_faults_load": faults1 - faults0, "major_faults_search": faults2 - faults1,
            "major_faults_per_query": (faults2 - faults1) / done, "version": adapter.version()}


def read_bytes() -> int:
    """Bytes this process has read from the disk, direct reads included (/proc/self/io)."""
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("read_bytes:"):
                return int(line.split()[1])
    return 0


def fio_reads_per_second(path: str, seconds: int = 5) -> float | None:
    """The disk's random 4 KiB direct reads a second on `path` at depth 64 with io_uring, now (None without fio).

    The disk these runs share varies by a third from minute to minute, so its rate is measured beside each run."""
    if not shutil.which("fio"):
        return None
    out = subprocess.run(["fio", "--name=limit", f"--filename={path}", "--rw=randread", "--bs=4k", "--direct=1",
                          "--ioengine=io_uring", "--iodepth=64", f"--runtime={seconds}", "--time_based", "--readonly",
                          "--output-format=json"], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    return float(json.loads(out.stdout)["jobs"][0]["read"]["iops"])


def child_disk(system: str, spec: dict) -> dict:
    """Disk-resident searches (VDB_OPEN_DISK) at each ef: one query a call on one thread, then batches on one and two
    threads, each `disk_repeats` times (the medians reported), with the disk's own rate measured beside them."""
    import vdb

    queries = np.ascontiguousarray(np.load(spec["queries"]), dtype=np.float32)
    truth = np.load(spec["gt"])
    k, n = spec["k"], min(len(queries), spec["disk_queries"])
    t0, bytes0 = time.perf_counter(), read_bytes()
    index = vdb.Index.open(spec["index"], disk=True)
    index.set_disk_cache(spec["disk_cache_mb"] << 20)
    load = {"load_seconds": time.perf_counter() - t0, "load_read_bytes": read_bytes() - bytes0,
            "memory_after_load": systems.memory()}
    runs = []
    for ef in spec["disk_efs"]:
        lat, found = [], np.empty((n, k), dtype=np.int64)
        index.set_threads(1)
        bytes0, start = read_bytes(), time.perf_counter_ns()
        for i in range(n):
            t = time.perf_counter_ns()
            found[i] = index.search(queries[i], k=k, ef=ef)[0]
            lat.append(time.perf_counter_ns() - t)
        seconds, read = (time.perf_counter_ns() - start) / 1e9, read_bytes() - bytes0
        run = {"ef": ef, "queries": n, "recall": systems.recall_at(found, truth[:n], k), "qps_1_thread": n / seconds,
               "p50_ms": float(np.percentile(lat, 50)) / 1e6, "p99_ms": float(np.percentile(lat, 99)) / 1e6,
               "read_bytes_per_query": read / n, "reads_per_query": read / n / 4096}
        for threads in (1, 2):  # batches: each thread walks several queries at once
            index.set_threads(threads)
            qps, reads, fio = [], [], []
            for _ in range(spec["disk_repeats"]):
                bytes0, t = read_bytes(), time.perf_counter()
                index.search(queries[:n], k=k, ef=ef)
                qps.append(n / (time.perf_counter() - t))
                reads.append((read_bytes() - bytes0) / n / 4096)
                if threads == 2:
                    fio.append(fio_reads_per_second(spec["index"]))
            run[f"batch_qps_{threads}_thread{'s' if threads > 1 else ''}"] = statistics.median(qps)
            run[f"batch_qps_runs_{threads}"] = qps
            run[f"batch_reads_per_query_{threads}"] = statistics.median(reads)
        if all(f is not None for f in fio):
            run["fio_reads_per_second_runs"] = fio
            run["fio_reads_per_second"] = statistics.median(fio)
        runs.append(run)
    return {"how": f"Index.open(path, disk=True), set_disk_cache({spec['disk_cache_mb']} MiB)", **load,
            "disk_cache_mb": spec["disk_cache_mb"], "runs": runs, "memory_after": systems.memory(),
            "version": vdb.__version__}


def child_main(mode: str, system: str, spec_path: str, out_path: str) -> int:
    with open(spec_path) as f:
        spec = json.load(f)
    result = {"system": system, "mode": mode, "status": "ok"}
    try:
        child = {"build": child_build, "search": child_search, "disk": child_disk}[mode]
        result.update(child(system, spec))
    except Exception as err:  # reported, not raised: the parent keeps the row
        result.update(status="error", error=f"{type(err).__name__}: {err}")
    with open(out_path + ".tmp", "w") as f:
        json.dump(result, f)
    os.replace(out_path + ".tmp", out_path)
    return 0


# --- the parent ------------------------------------------------------------------------


def compare_runs(free_path: str, limited_path: str) -> dict:
    """Whether the limited run returned the same ids as the free one, query for query."""
    if not (os.path.exists(free_path) and os.path.exists(limited_path)):
        return {}
    free, limited = np.load(free_path), np.load(limited_path)
    common = min(len(free), len(limited))
    same = np.all(free[:common] == limited[:common], axis=1)
    return {"compared_queries": int(common), "queries_with_identical_ids": int(same.sum())}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=1_300_000, help="vectors indexed (default 1,300,000: a 2.2 GB file)")
    p.add_argument("--queries", type=int, default=10_000, help="queries, held out (default 10,000)")
    p.add_argument("--dim", type=int, default=384, help="dimension (default 384)")
    p.add_argument("--clusters", type=int, default=1000, help="mixture centres (default 1000)")
    p.add_argument("--sigma", type=float, default=0.1, help="per-float sigma (default 0.1)")
    p.add_argument("--M", "-M", type=int, default=16, help="links per node, upper layers (default 16)")
    p.add_argument("--ef-construction", type=int, default=64, help="build beam width (default 64)")
    p.add_argument("--ef", type=int, default=64, help="search beam width (default 64)")
    p.add_argument("--k", type=int, default=10, help="neighbours per query (default 10)")
    p.add_argument("--limit-mb", type=int, default=512, help="memory cgroup for the searches (default 512)")
    p.add_argument("--build-limit-mb", type=int, default=1024, help="memory cgroup tried for the builds (default 1024)")
    p.add_argument("--systems", default=",".join(systems.SYSTEMS), help="comma separated (default all)")
    p.add_argument("--max-search-seconds", type=float, default=900,
                   help="stop a search run after this long and report the queries done (default 900)")
    p.add_argument("--timeout", type=int, default=7200, help="seconds per child (default 7200)")
    p.add_argument("--index-dir", default=os.path.join(datasets.DATA, "out-of-core"),
                   help="where the indexes are kept between runs (default bench/data/out-of-core)")
    p.add_argument("--disk-efs", default="64,128,256",
                   help="ef values of the disk-resident searches of libvdb indexes with codes (default 64,128,256)")
    p.add_argument("--disk-queries", type=int, default=1000, help="queries of each disk-resident run (default 1000)")
    p.add_argument("--disk-repeats", type=int, default=3,
                   help="runs of each disk-resident batch; the median is reported (default 3)")
    p.add_argument("--disk-cache-mb", type=int, default=32,
                   help="vdb_set_disk_cache of the disk-resident searches, MiB (default 32)")
    p.add_argument("--rebuild", action="store_true", help="build even when an index file from an earlier run exists")
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    p.add_argument("--tag", default="")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    log = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731
    if not os.path.isdir(CGROUP_ROOT) or not os.access(CGROUP_ROOT, os.W_OK):
        log(f"{CGROUP_ROOT}: memory cgroups v1 are not writable here (run as root on a cgroup v1 machine)")
        return 2
    started = time.time()
    paths = datasets.prepare("clustered", args.rows, args.queries, clusters=args.clusters, sigma=args.sigma,
                             dim=args.dim, log=log)
    log(f"data: {paths['description']}")
    os.makedirs(args.index_dir, exist_ok=True)
    key = f"{args.rows}-{args.dim}-{args.clusters}-{args.sigma}-M{args.M}-efc{args.ef_construction}"
    names = [s for s in args.systems.split(",") if s]
    results = {}
    with tempfile.TemporaryDirectory(prefix="vdb-ooc-") as work:
        for system in names:
            index = os.path.join(args.index_dir, f"{system}-{key}{systems.ADAPTERS[system].file_suffix}")
            row = results[system] = {"system": system, "index": index}
            build_spec = {"base": paths["base"], "rows": paths["rows"], "dim": args.dim, "M": args.M,
                          "ef_construction": args.ef_construction, "save": index}
            if args.rebuild or not os.path.exists(index + ".build.json"):
                with memory_cgroup(args.build_limit_mb << 20) as cg:
                    log(f"build {system} in a {args.build_limit_mb} MB cgroup ...")
                    limited = run_child("build", system, build_spec, work, cg, args.timeout)
                log(f"  {limited['status']}" + (f" in {limited.get('build_seconds', 0):.0f} s" if limited["status"] == "ok" else ""))
                build = {"limited": limited}
                if limited["status"] != "ok":
                    log(f"build {system} with no limit ...")
                    build["free"] = run_child("build", system, build_spec, work, None, args.timeout)
                    log(f"  {build['free']['status']}")
                with open(index + ".build.json", "w") as f:
                    json.dump(build, f)
            with open(index + ".build.json") as f:
                row["build"] = json.load(f)
            if not os.path.exists(index):
                row["search"] = {"status": "not-built"}
                continue
            row["file_bytes"] = os.path.getsize(index)
            search_spec = {"index": index, "queries": paths["queries"], "gt": paths["gt"], "k": args.k,
                           "ef": args.ef, "max_search_seconds": args.max_search_seconds}
            found = {run: os.path.join(work, f"{system}-{run}-found.npy") for run in ("free", "limited")}
            log(f"search {system}: no limit, warm page cache ...")
            warm_page_cache(index)
            free = run_child("search", system, dict(search_spec, found_out=found["free"]), work, None, args.timeout)
            log(f"  {free['status']}" + (f" recall {free['recall']:.4f} {free['qps']:.0f} QPS" if free["status"] == "ok" else ""))
            dropped = drop_page_cache()
            with memory_cgroup(args.limit_mb << 20) as cg:
                log(f"search {system}: {args.limit_mb} MB cgroup, cold page cache ...")
                limited = run_child("search", system, dict(search_spec, found_out=found["limited"]), work, cg,
                                    args.timeout)
            limited["page_cache_dropped"] = dropped
            limited.update(compare_runs(found["free"], found["limited"]))
            log(f"  {limited['status']}" + (f" recall {limited['recall']:.4f} {limited['qps']:.0f} QPS, "
                                             f"{limited['major_faults_per_query']:.0f} major faults/query"
                                             if limited["status"] == "ok" else f" ({limited.get('error')})"))
            row["search"] = {"free": free, "limited": limited}
            if system.startswith("libvdb") and systems.ADAPTERS[system].codes and args.disk_efs:
                disk_spec = dict(search_spec, disk_efs=[int(e) for e in args.disk_efs.split(",")],
                                 disk_queries=args.disk_queries, disk_cache_mb=args.disk_cache_mb,
                                 disk_repeats=args.disk_repeats)
                drop_page_cache()
                with memory_cgroup(args.limit_mb << 20) as cg:
                    log(f"search {system} disk-resident: {args.limit_mb} MB cgroup, cold page cache ...")
                    disk = run_child("disk", system, disk_spec, work, cg, args.timeout)
                for r in disk.get("runs", []):
                    log(f"  ef {r['ef']}: recall {r['recall']:.4f}, {r['qps_1_thread']:.0f} QPS a query a call, batches "
                        f"{r['batch_qps_1_thread']:.0f} on 1 thread, {r['batch_qps_2_threads']:.0f} on 2, "
                        f"p99 {r['p99_ms']:.2f} ms, {r['reads_per_query']:.0f} reads/query")
                if disk["status"] != "ok":
                    log(f"  {disk['status']} ({disk.get('error')})")
                row["disk"] = disk
    now = _dt.datetime.now(_dt.timezone.utc)
    result = {"harness": "bench/out_of_core.py",
              "command": " ".join([os.path.relpath(sys.executable), "bench/out_of_core.py"] + (argv or sys.argv[1:])),
              "utc": now.isoformat(timespec="seconds"), "wall_seconds": time.time() - started, "machine": machine(),
              "dataset": {k: paths[k] for k in ("description", "rows", "dim", "nq")},
              "base_bytes": os.path.getsize(paths["base"]),
              "params": {k: getattr(args, k) for k in ("M", "ef_construction", "ef", "k", "limit_mb", "build_limit_mb",
                                                       "disk_cache_mb", "disk_repeats")},
              "systems": list(results.values())}
    os.makedirs(args.out, exist_ok=True)
    stem = args.tag or f"out-of-core-{paths['rows']}-{now.strftime('%Y%m%dT%H%M%SZ')}"
    with open(os.path.join(args.out, stem + ".json"), "w") as f:
        json.dump(result, f, indent=1)
    table = markdown(result)
    with open(os.path.join(args.out, stem + ".md"), "w") as f:
        f.write(table)
    print(table)
    return 0


def _mib(value) -> str:
    return "-" if value is None else f"{value / 2**20:.0f}"


def _same(run: dict) -> str:
    if "compared_queries" not in run:
        return "-"
    return f"{run['queries_with_identical_ids']} of {run['compared_queries']} queries"


def _fio(run: dict) -> str:
    """fio's reads a second and the two-thread batches' reads a second, as a share of it."""
    if "fio_reads_per_second" not in run:
        return "- | -"
    batch = run["batch_qps_2_threads"] * run["batch_reads_per_query_2"]
    return f"{run['fio_reads_per_second'] / 1e3:.0f}k | {batch / 1e3:.0f}k, {batch / run['fio_reads_per_second']:.0%}"


def markdown(result: dict) -> str:
    p = result["params"]
    lines = [f"Out of core: {result['dataset']['description']}; M {p['M']}, ef_construction {p['ef_construction']}, "
             f"ef {p['ef']}, k {p['k']}; `{result['command']}`", "",
             f"| system | run | status | load ms | queries | recall@{p['k']} | QPS | p50 ms | p99 ms "
             "| major faults / query | peak RSS MiB | anon RSS MiB | same ids as with no limit |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in result["systems"]:
        for run, label in (("free", "no limit, warm cache"), ("limited", f"{p['limit_mb']} MB cgroup, cold cache")):
            r = (s.get("search") or {}).get(run) or s.get("search") or {}
            ok = r.get("status") == "ok"
            mem = r.get("memory_after") or {}
            lines.append(
                f"| {s['system']} | {label} | {r.get('status', '-')} | "
                + (f"{r['load_seconds'] * 1e3:.1f} | {r['queries_run']} | {r['recall']:.4f} | {r['qps']:.0f} | "
                   f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['major_faults_per_query']:.1f} | "
                   f"{_mib(mem.get('peak_rss'))} | {_mib(mem.get('anon_rss'))} | {_same(r)} |"
                   if ok else "- | - | - | - | - | - | - | - | - | - |"))
    disk_rows = [(s["system"], r, s["disk"]) for s in result["systems"] if s.get("disk", {}).get("status") == "ok"
                 for r in s["disk"]["runs"]]
    if disk_rows:
        lines += ["", f"Disk-resident (`Index.open(path, disk=True)`, a {p.get('disk_cache_mb', '-')} MiB block cache) in a "
                  f"{p['limit_mb']} MB cgroup after dropping the page cache: QPS of one query a call on one thread "
                  "(p50, p99 of those calls), and of batches (`search(matrix)`, several queries walked at once a thread) "
                  "on one and two threads, the median of the runs; reads are 4 KiB, counted by /proc/self/io. The "
                  "disk's limit: fio's random 4 KiB reads a second on the same file at depth 64 (io_uring, direct), "
                  "measured after each two-thread batch run; 'of the disk' is the batch's reads a second over it.", "",
                  f"| system | ef | recall@{p['k']} | QPS a query a call | p50 ms | p99 ms | QPS batch 1 thread "
                  "| QPS batch 2 threads | reads / query (a call / batch) | KiB / query | fio reads/s | batch reads/s, of "
                  "the disk | peak RSS MiB | anon RSS MiB |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for name, r, d in disk_rows:
            mem = d.get("memory_after") or {}
            lines.append(f"| {name} | {r['ef']} | {r['recall']:.4f} | {r['qps_1_thread']:.0f} | {r['p50_ms']:.2f} | "
                         f"{r['p99_ms']:.2f} | {r['batch_qps_1_thread']:.0f} | {r['batch_qps_2_threads']:.0f} | "
                         f"{r['reads_per_query']:.0f} / {r.get('batch_reads_per_query_2', 0):.0f} | "
                         f"{r['read_bytes_per_query'] / 1024:.0f} | {_fio(r)} | {_mib(mem.get('peak_rss'))} | "
                         f"{_mib(mem.get('anon_rss'))} |")
    lines += ["", f"Builds on all cores. Peak RSS counts mapped file pages too; anonymous RSS is the heap. When the "
              f"build in the {p['build_limit_mb']} MB cgroup failed, the figures are those of the build with no limit.", "",
              f"| system | build in a {p['build_limit_mb']} MB cgroup | build s | peak RSS MiB | anon RSS MiB after "
              "| index file MiB |", "|---|---|---|---|---|---|"]
    for s in result["systems"]:
        b = s.get("build", {})
        done = b.get("limited", {}) if b.get("limited", {}).get("status") == "ok" else b.get("free", {})
        mem = done.get("memory_after") or {}
        lines.append(f"| {s['system']} | {b.get('limited', {}).get('status', '-')} | "
                     f"{done.get('build_seconds', 0):.0f} | {_mib(mem.get('peak_rss'))} | {_mib(mem.get('anon_rss'))} | "
                     f"{_mib(s.get('file_bytes'))} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.exit(child_main(*sys.argv[2:6]))
    if len(sys.argv) > 2 and sys.argv[1] == "--report":  # the table again, from a results JSON
        with open(sys.argv[2]) as f:
            print(markdown(json.load(f)), end="")
        sys.exit(0)
    sys.exit(main())
