#!/usr/bin/env python3
"""Benchmark libvdb against hnswlib, FAISS (IndexHNSWFlat) and USearch on the same data.

    python bench/run.py --dataset seed --rows 20000 --queries 200 --runs 3 --ef 16,32,64,128,256
    python bench/run.py --quick                 # smoke test: small data, a few ef values

Rules kept for every system alike: the same data and queries, the same M and
ef_construction, the same thread counts (build at each of --build-threads,
single-thread queries one per call, batch queries on all cores), the same ef
sweep. Each measurement runs in a child process of its own (bench/systems.py),
so one system's memory never counts against another; in each of --runs rounds
every system is measured once, in a rotated order, so drift hits all alike;
each figure reported is the median over the rounds. A system that fails to
import, raises, crashes or times out is reported with its status, never
dropped. libvdb's pure-C figures come from `vdb bench --json` on the same
files, reported as the extra system "libvdb (C)".

Results: bench/results/<dataset>-<time>.json and .md, plus PNG plots
(recall@10 vs QPS, one line per system); see bench/report.py.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import datasets  # noqa: E402
import report  # noqa: E402
from systems import SYSTEMS, all_cores  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default="seed",
                   help="seed | clustered | FILE.hdf5 (ann-benchmarks) | BASE.fvecs|.npy[,QUERIES] (default seed)")
    p.add_argument("--rows", type=int, default=20000, help="vectors indexed (default 20000)")
    p.add_argument("--queries", type=int, default=200, help="queries, held out from the index (default 200)")
    p.add_argument("--dim", type=int, default=128, help="dimension of --dataset clustered (default 128)")
    p.add_argument("--clusters", type=int, default=100, help="centres of --dataset clustered (default 100)")
    p.add_argument("--sigma", type=float, default=0.1, help="per-float sigma of --dataset clustered (default 0.1)")
    p.add_argument("--systems", default=",".join(SYSTEMS), help=f"comma separated (default {','.join(SYSTEMS)})")
    p.add_argument("--no-c", action="store_true", help="skip the pure-C `vdb bench` figures")
    p.add_argument("--M", "-M", type=int, default=16, help="links per node, upper layers (default 16)")
    p.add_argument("--ef-construction", type=int, default=200, help="build beam width (default 200)")
    p.add_argument("--ef", default="16,32,64,128,256", help="search beam widths to sweep")
    p.add_argument("--k", type=int, default=10, help="neighbours per query; recall@k (default 10)")
    p.add_argument("--runs", type=int, default=3, help="rounds; each figure is the median (default 3, at least 3 for reporting)")
    p.add_argument("--build-threads", default="1,all",
                   help="build thread counts, comma separated, 'all' = all cores (default 1,all); the index "
                        "searched is the one built with the last count")
    p.add_argument("--timeout", type=int, default=3600, help="seconds per child process (default 3600)")
    p.add_argument("--out", default=None,
                   help="results folder (default bench/results; bench/results/quick, git-ignored, with --quick)")
    p.add_argument("--target-recall", type=float, default=0.95,
                   help="recall at which the summary interpolates QPS (default 0.95)")
    p.add_argument("--tag", default="", help="name of the result files (default <dataset>-<rows>-<UTC time>)")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 5000 rows, 100 queries, ef 16,64,256, build on all cores only, 3 runs")
    args = p.parse_args(argv)
    if args.quick:
        args.rows, args.queries, args.ef, args.build_threads = 5000, 100, "16,64,256", "all"
    if args.out is None:
        args.out = os.path.join(HERE, "results", "quick") if args.quick else os.path.join(HERE, "results")
    args.ef_list = [int(x) for x in args.ef.split(",") if x]
    cores = all_cores()
    args.build_thread_list = [cores if t.strip() == "all" else int(t) for t in args.build_threads.split(",") if t.strip()]
    args.system_list = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = [s for s in args.system_list if s not in SYSTEMS]
    if unknown:
        p.error(f"unknown systems {unknown}; known: {SYSTEMS}")
    return args


def run_child(mode: str, system: str, spec: dict, workdir: str, timeout: int) -> dict:
    """One measurement in a fresh Python process; its result, or how it failed."""
    tag = f"{mode}-{system}-{spec.get('round', 0)}-{spec.get('threads', '')}"
    spec_path = os.path.join(workdir, tag + ".spec.json")
    out_path = os.path.join(workdir, tag + ".result.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    if os.path.exists(out_path):
        os.remove(out_path)
    cmd = [sys.executable, os.path.join(HERE, "systems.py"), mode, system, spec_path, out_path]
    env = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"system": system, "mode": mode, "status": "timeout", "error": f"no result after {timeout} s"}
    if os.path.exists(out_path):
        with open(out_path) as f:
            result = json.load(f)
        if proc.returncode != 0 and result.get("status") == "ok":
            result["status"] = "crashed"
    else:
        result = {"system": system, "mode": mode, "status": "crashed"}
    if result["status"] != "ok":
        how = f"killed by signal {-proc.returncode}" if proc.returncode < 0 else f"exit code {proc.returncode}"
        result.setdefault("error", how)
        result["returncode"] = proc.returncode
        result["stderr_tail"] = proc.stderr[-1500:]
    return result


def run_c_bench(paths: dict, args, threads: int, index_path: str) -> dict:
    """`vdb bench --json` on the round's libvdb index and the same queries: libvdb with no Python in between."""
    cmd = [datasets.vdb_tool(), "bench", index_path, "--vectors", paths["base"], "--count", str(paths["rows"]),
           "--queries", paths["queries"], "--k", str(args.k), "--ef", args.ef, "--threads", str(threads), "--json"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
        if proc.returncode != 0:
            return {"status": "error", "error": proc.stderr[-1500:], "command": " ".join(cmd)}
        out = json.loads(proc.stdout)
        out["status"] = "ok"
        out["command"] = " ".join(cmd)
        return out
    except Exception as err:  # noqa: BLE001 - reported, not raised
        return {"status": "error", "error": f"{type(err).__name__}: {err}", "command": " ".join(cmd)}


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(system: str, builds: dict, searches: list, nq: int) -> dict:
    """Medians over rounds. builds: threads -> list of child results; searches: list of child results."""
    out = {"system": system, "status": "ok", "errors": []}
    for result in [r for rs in builds.values() for r in rs] + searches:
        if result.get("status") != "ok":
            if out["status"] == "ok":  # the first failure names the cause
                out["status"] = result["status"]
            out["errors"].append({k: result.get(k) for k in ("mode", "status", "error", "stderr_tail", "traceback")})
        if result.get("version"):
            out["version"] = result["version"]
    out["build"] = []
    for threads, results in builds.items():
        ok = [r for r in results if r.get("status") == "ok"]
        if not ok:
            continue
        out["build"].append({
            "threads": threads,
            "runs": len(ok),
            "seconds": median([r["build_seconds"] for r in ok]),
            "vectors_per_second": median([r["build_vectors_per_second"] for r in ok]),
            "peak_rss_bytes": median([r["memory_after"].get("peak_rss") for r in ok]),
            "anon_rss_bytes": median([r["memory_after"].get("anon_rss") for r in ok]),
            "anon_rss_growth_bytes": median([r["anon_rss_growth"] for r in ok]),
            "file_bytes": median([r.get("file_bytes") for r in ok]),
            "all_seconds": [r["build_seconds"] for r in ok],
        })
    ok = [r for r in searches if r.get("status") == "ok"]
    if ok:
        out["search_runs"] = len(ok)
        out["load_seconds"] = median([r["load_seconds"] for r in ok])
        out["first_query_seconds"] = median([r["first_query_seconds"] for r in ok])
        out["search_peak_rss_bytes"] = median([r["memory_after"].get("peak_rss") for r in ok])
        out["search_anon_rss_bytes"] = median([r["memory_after"].get("anon_rss") for r in ok])
        out["search_anon_rss_growth_bytes"] = median(
            [r["memory_after"].get("anon_rss", 0) - r["memory_before"].get("anon_rss", 0) for r in ok])
        out["sweep"] = []
        for i, point in enumerate(ok[0]["sweep"]):
            rows = [r["sweep"][i] for r in ok]
            out["sweep"].append({
                "ef": point["ef"],
                **{key: median([row[key] for row in rows])
                   for key in ("recall", "recall_batch", "qps_single", "qps_batch", "p50_ms", "p99_ms")},
                "batch_threads": point["batch_threads"],
                "qps_single_all": [row["qps_single"] for row in rows],
            })
    return out


def summarise_c(results: list) -> dict:
    ok = [r for r in results if r.get("status") == "ok"]
    out = {"system": "libvdb (C)", "status": "ok" if ok else (results[0]["status"] if results else "not run"),
           "errors": [r for r in results if r.get("status") != "ok"]}
    if not ok:
        return out
    out["version"] = ok[0].get("library_version")
    out["command"] = ok[0].get("command")
    out["load_seconds"] = median([r.get("open_seconds") for r in ok])  # it searches the round's libvdb file
    out["search_peak_rss_bytes"] = median([r.get("peak_rss_bytes") for r in ok])
    out["search_runs"] = len(ok)
    out["sweep"] = []
    for i, point in enumerate(ok[0]["results"]):
        rows = [r["results"][i] for r in ok]
        out["sweep"].append({
            "ef": point["ef"],
            "recall": median([row["recall"] for row in rows]),
            "qps_single": median([row["qps_single"] for row in rows]),
            "qps_batch": median([row["qps_batch"] for row in rows]),
            "p50_ms": median([row["p50_ms"] for row in rows]),
            "p99_ms": median([row["p99_ms"] for row in rows]),
            "batch_threads": ok[0].get("threads"),
        })
    return out


def machine() -> dict:
    info = {"platform": platform.platform(), "python": platform.python_version(), "cores": all_cores()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            info["memory_bytes"] = int(f.readline().split()[1]) * 1024
    except OSError:
        pass
    try:
        import numpy

        info["numpy"] = numpy.__version__
    except ImportError:
        pass
    return info


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.time()
    log = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731
    paths = datasets.prepare(args.dataset, args.rows, args.queries, clusters=args.clusters, sigma=args.sigma,
                             dim=args.dim, log=log)
    log(f"data: {paths['description']} ({paths['rows']} x {paths['dim']}, {paths['nq']} queries)")
    cores = all_cores()
    builds = {s: {t: [] for t in args.build_thread_list} for s in args.system_list}
    searches = {s: [] for s in args.system_list}
    c_results = []
    with tempfile.TemporaryDirectory(prefix="vdb-bench-", dir=os.environ.get("VDB_BENCH_TMP")) as work:
        for rnd in range(args.runs):
            order = args.system_list[rnd % len(args.system_list):] + args.system_list[: rnd % len(args.system_list)]
            index_paths = {}
            for threads in args.build_thread_list:
                for system in order:  # interleaved: each system once per round, rotated order
                    last = threads == args.build_thread_list[-1]
                    index_path = os.path.join(work, f"{system}-{rnd}.index") if last else None
                    spec = {"base": paths["base"], "rows": paths["rows"], "M": args.M,
                            "ef_construction": args.ef_construction, "threads": threads, "save": index_path,
                            "round": rnd}
                    result = run_child("build", system, spec, work, args.timeout)
                    builds[system][threads].append(result)
                    log(f"round {rnd + 1}/{args.runs} build {system:8s} {threads} thr: {result['status']}"
                        + (f" {result['build_seconds']:.2f} s" if result["status"] == "ok" else f" ({result.get('error')})"))
                    if last and result["status"] == "ok":
                        index_paths[system] = index_path
            for system in order:
                if system not in index_paths:
                    searches[system].append({"system": system, "mode": "search", "status": "not-built",
                                             "error": "its build failed in this round"})
                    continue
                spec = {"index": index_paths[system], "queries": paths["queries"], "gt": paths["gt"], "k": args.k,
                        "ef": args.ef_list, "batch_threads": cores, "round": rnd}
                result = run_child("search", system, spec, work, args.timeout)
                searches[system].append(result)
                log(f"round {rnd + 1}/{args.runs} search {system:8s}: {result['status']}"
                    + ("" if result["status"] == "ok" else f" ({result.get('error')})"))
            if not args.no_c and "libvdb" in index_paths:
                c_results.append(run_c_bench(paths, args, args.build_thread_list[-1], index_paths["libvdb"]))
                log(f"round {rnd + 1}/{args.runs} vdb bench (C): {c_results[-1]['status']}")
            for index_path in index_paths.values():
                os.remove(index_path)
    systems = [summarise(s, builds[s], searches[s], paths["nq"]) for s in args.system_list]
    if not args.no_c:
        systems.append(summarise_c(c_results))
    now = _dt.datetime.now(_dt.timezone.utc)
    result = {
        "harness": "bench/run.py",
        "command": " ".join([os.path.relpath(sys.executable), "bench/run.py"] + (argv if argv is not None else sys.argv[1:])),
        "utc": now.isoformat(timespec="seconds"),
        "wall_seconds": time.time() - started,
        "machine": machine(),
        "dataset": {k: paths[k] for k in ("name", "description", "rows", "dim", "nq")},
        "params": {"M": args.M, "ef_construction": args.ef_construction, "ef": args.ef_list, "k": args.k,
                   "runs": args.runs, "target_recall": args.target_recall, "build_threads": args.build_thread_list, "batch_threads": cores,
                   "single_thread_queries": "one query per call, in a loop, on one thread"},
        "systems": systems,
    }
    os.makedirs(args.out, exist_ok=True)
    stem = args.tag or f"{os.path.basename(args.dataset).split(',')[0]}-{paths['rows']}-{now.strftime('%Y%m%dT%H%M%SZ')}"
    json_path = os.path.join(args.out, stem + ".json")
    with open(json_path, "w") as f:
        json.dump(result, f, indent=1)
    written = report.write_report(result, args.out, stem)
    print(report.markdown(result))
    log(f"wrote {json_path}" + "".join(f", {p}" for p in written))
    return 0 if all(s["status"] == "ok" for s in systems) else 1


if __name__ == "__main__":
    sys.exit(main())
