"""Builds larger than memory: the out-of-core set built in a memory cgroup from a cold page cache.

    python bench/bounded_build.py                        # 1.3M x 384 in a 1024 MB cgroup, libvdb and the peers
    python bench/bounded_build.py --rows 200000 --limit-mb 160 --memory-mb 140   # a small try

For each system, in one run: a build with no limit (the vector file read
into the page cache first), then a build in a memory cgroup of --limit-mb
after dropping the page cache. libvdb's bounded build is handed
`Index.build(memory=--memory-mb MiB)`, which splits the rows into partitions
that fit (docs/c.md, "Builds larger than memory"); the peers take the rows
as an array and have no such option. Then recall@10 of both libvdb files
against the exact ground truth at several ef, in memory, so that the two
builds are compared at equal recall, not only at equal ef.

Each build runs in its own process (bench/out_of_core.py --child build).
Results: bench/results/bounded-build-ROWS.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import datasets  # noqa: E402
import out_of_core  # noqa: E402
import systems  # noqa: E402
from run import machine  # noqa: E402


def build_both_ways(system: str, spec: dict, args, work: str, log) -> dict:
    free_spec = dict(spec, save=spec["save"] + ".free")
    if system.startswith("libvdb") or args.free_peers:
        out_of_core.warm_page_cache(spec["base"])
        log(f"build {system}, no limit ...")
        free = out_of_core.run_child("build", system, free_spec, work, None, args.timeout)
        log(f"  {free['status']}" + (f" in {free['build_seconds']:.0f} s" if free["status"] == "ok" else ""))
    else:
        free = {"status": "not run (--free-peers)"}
    bounded_spec = dict(spec, build_memory_mb=args.memory_mb if system.startswith("libvdb") else None)
    if system.startswith("libvdb") and args.bounded_ef_construction:
        bounded_spec["ef_construction"] = args.bounded_ef_construction
    with out_of_core.memory_cgroup(args.limit_mb << 20) as cgroup:
        cold = out_of_core.drop_page_cache()
        log(f"build {system} in a {args.limit_mb} MB cgroup{', cold cache' if cold else ''} ...")
        limited = out_of_core.run_child("build", system, bounded_spec, work, cgroup, args.timeout)
    limited["cold_cache"] = cold
    log(f"  {limited['status']}" + (f" in {limited['build_seconds']:.0f} s" if limited["status"] == "ok" else ""))
    return {"free": free, "limited": limited, "free_file": free_spec["save"], "limited_file": spec["save"]}


def recall_table(path: str, queries: np.ndarray, truth: np.ndarray, efs: list[int], k: int) -> list[dict]:
    import vdb

    rows = []
    with vdb.Index.open(path) as index:
        index.search(queries, k, ef=max(efs))  # untimed: reads the file into the page cache
        for ef in efs:
            started = time.perf_counter()
            found, _ = index.search(queries, k, ef=ef)
            seconds = time.perf_counter() - started
            rows.append({"ef": ef, "recall": systems.recall_at(found, truth, k), "qps_all_cores": len(queries) / seconds})
    return rows


def seconds(run: dict, key: str) -> str:
    return f"{run[key]:.0f}" if run["status"] == "ok" else "-"


def report_md(result: dict) -> str:
    p = result["params"]
    lines = [f"# Builds in a {p['limit_mb']} MB memory cgroup from a cold page cache", "",
             f"{result['data']}; M {p['M']}, ef_construction {p['ef_construction']}, all {result['threads']} cores. "
             f"libvdb's bounded build: `build(memory={p['memory_mb']} MiB)`"
             + (f", ef_construction {p['bounded_ef_construction']}. " if p.get("bounded_ef_construction") else ". ")
             +
             f"Machine: {result['machine'].get('cpu', '?')}.", "",
             "| system | build, no limit (s) | build in the cgroup (s) | ratio | save in the cgroup (s) | "
             "peak cgroup MiB | status in the cgroup |", "|---|---|---|---|---|---|---|"]
    for system, row in result["systems"].items():
        free, limited = row["free"], row["limited"]
        free_ok, limited_ok = free["status"] == "ok", limited["status"] == "ok"
        ratio = f"{limited['build_seconds'] / free['build_seconds']:.2f}x" if free_ok and limited_ok else "-"
        peak = limited.get("cgroup", {}).get("max_usage_in_bytes", 0) / 2**20
        lines.append(f"| {system} | {seconds(free, 'build_seconds')} | {seconds(limited, 'build_seconds')} | {ratio} | "
                     f"{seconds(limited, 'save_seconds')} | {peak:.0f} | {limited['status']} |")
    for system, row in result["systems"].items():
        if "recall" not in row:
            continue
        lines += ["", f"## {system}: recall@{p['k']} of both files, {p['queries']} queries, in memory", "",
                  "| ef | recall, no limit | recall, bounded | QPS, no limit | QPS, bounded |", "|---|---|---|---|---|"]
        for a, b in zip(row["recall"]["free"], row["recall"]["limited"]):
            lines.append(f"| {a['ef']} | {a['recall']:.4f} | {b['recall']:.4f} | {a['qps_all_cores']:.0f} | "
                         f"{b['qps_all_cores']:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=1_300_000)
    p.add_argument("--queries", type=int, default=2000)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--M", "-M", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=64)
    p.add_argument("--limit-mb", type=int, default=1024, help="the memory cgroup of the bounded builds (default 1024)")
    p.add_argument("--memory-mb", type=int, default=900,
                   help="libvdb's build(memory=) in the cgroup, MiB (default 900: the process and its output file "
                        "need the rest)")
    p.add_argument("--bounded-ef-construction", type=int, default=0,
                   help="libvdb's bounded build with this ef_construction instead (default 0: the same): a build by "
                        "partitions links better, so a smaller one can reach the same recall")
    p.add_argument("--efs", default="16,32,64,128")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--systems", default="libvdb,hnswlib,faiss,usearch")
    p.add_argument("--free-peers", action="store_true",
                   help="also build the peers with no limit (their times are in docs/benchmarks.md already)")
    p.add_argument("--timeout", type=int, default=3600)
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    p.add_argument("--tag", default="", help="name of the results (default bounded-build-ROWS[-efcE])")
    args = p.parse_args(argv)
    log = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731
    paths = datasets.prepare("clustered", args.rows, args.queries, clusters=1000, sigma=0.1, dim=args.dim, log=log)
    queries, truth = np.load(paths["queries"]), np.load(paths["gt"])
    efs = [int(e) for e in args.efs.split(",")]
    result = {"data": paths["description"], "machine": machine(), "threads": systems.all_cores(),
              "params": {k: getattr(args, k) for k in ("rows", "queries", "M", "ef_construction", "limit_mb",
                                                       "memory_mb", "k", "bounded_ef_construction")},
              "systems": {}}
    with tempfile.TemporaryDirectory(prefix="vdb-bounded-", dir=os.path.join(datasets.DATA)) as work:
        for system in [s for s in args.systems.split(",") if s]:
            spec = {"base": paths["base"], "rows": paths["rows"], "dim": args.dim, "M": args.M,
                    "ef_construction": args.ef_construction,
                    "save": os.path.join(work, f"{system}{systems.ADAPTERS[system].file_suffix}")}
            row = result["systems"][system] = build_both_ways(system, spec, args, work, log)
            if system.startswith("libvdb") and row["free"]["status"] == "ok" and row["limited"]["status"] == "ok":
                row["recall"] = {way: recall_table(row[f"{way}_file"], queries, truth, efs, args.k)
                                 for way in ("free", "limited")}
                log(json.dumps(row["recall"]))
            for way in ("free_file", "limited_file"):  # 2 GB each: not kept
                if os.path.exists(row[way]):
                    os.remove(row[way])
    os.makedirs(args.out, exist_ok=True)
    suffix = f"-efc{args.bounded_ef_construction}" if args.bounded_ef_construction else ""
    base = os.path.join(args.out, args.tag or f"bounded-build-{args.rows}{suffix}")
    with open(base + ".json", "w") as f:
        json.dump(result, f, indent=1)
    with open(base + ".md", "w") as f:
        f.write(report_md(result))
    log(f"wrote {base}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
