"""vdb.ray on one machine: what sharding costs and gives, for 1, 2 and 4 shards.

    build-venv/bin/python bench/ray_bench.py                       # 200k x 128 clustered, 1/2/4 shards
    build-venv/bin/python bench/ray_bench.py --rows 20000 --runs 3  # a quick try

On one generated data set (datasets.py: `vdb gen --kind clustered`, the
queries held out, exact top-100 cached in bench/data/), for each shard count:

1. build: vdb.ray.build over the rows as a numpy array, a Ray task per shard
   (each asking for cores / shards CPUs and using that many threads);
   wall time of the whole call, once (builds are the slow part of the run).
2. search: vdb.ray.ShardedIndex (one actor per shard, cores / shards CPUs
   and threads each) against the same shards opened in this process
   (vdb.ray.LocalShards: each shard searched in turn on all cores, merged
   the same way), for batches of `--batch` queries and of one query (the
   first 200): the median over `--runs` passes of the seconds per batch, the
   two taking turns pass by pass; "Ray adds" is the difference. Throughput is the queries of a pass over its time. Both give
   the same ids (checked), so recall@10 is given once.
3. memory: each actor's resident memory (/proc/PID/status) and its mapping
   of the shard file (/proc/PID/smaps): resident pages of the file, and its
   anonymous (copied) part, which stays 0 because the shard is mapped, not
   read into the heap.

Ray runs in this process's machine (ray.init with every core). Results go to
bench/results/ray-<name>.json and .md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import datasets  # noqa: E402
from run import machine  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--shards", default="1,2,4", help="shard counts, comma-separated")
    parser.add_argument("--m", type=int, default=16)
    parser.add_argument("--ef-construction", type=int, default=100)
    parser.add_argument("--ef", type=int, default=64, help="search beam width of every shard")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--batch", type=int, default=100, help="queries per batch")
    parser.add_argument("--runs", type=int, default=5, help="search passes; the median is reported")
    parser.add_argument("--work-dir", default=None, help="where the shard folders go (default: a temporary folder)")
    parser.add_argument("--name", default=None, help="results name (default: clustered-<rows/1000>k)")
    return parser.parse_args(argv)


def recall_at(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    return float(np.mean([len(set(f[:k].tolist()) & set(t[:k].tolist())) / k for f, t in zip(found, truth)]))


def seconds_per_batch(searches: dict, queries: np.ndarray, batch: int, runs: int, limit: int | None = None) -> dict:
    """For each named search, per pass over the queries (in batches of `batch`, at most
    `limit` batches): seconds per batch. The searches take turns pass by pass, so a
    neighbour's load on this shared machine falls on all of them alike."""
    starts = list(range(0, queries.shape[0], batch))[:limit]
    passes: dict = {name: [] for name in searches}
    for _ in range(runs):
        for name, search in searches.items():
            began = time.perf_counter()
            for start in starts:
                search(queries[start : start + batch])
            passes[name].append((time.perf_counter() - began) / len(starts))
    return passes


def measure(shards: int, base: np.ndarray, queries: np.ndarray, truth: np.ndarray, work: str,
            args: argparse.Namespace, cores: int, log) -> dict:
    import vdb.ray

    folder = os.path.join(work, f"shards-{shards}")
    cpus = cores / shards
    threads = max(1, cores // shards)
    log(f"{shards} shard(s): building ...")
    began = time.perf_counter()
    vdb.ray.build(base, folder, shards, m=args.m, ef_construction=args.ef_construction, num_cpus=cpus,
                  overwrite=True, progress=False)
    build_s = time.perf_counter() - began
    log(f"  built in {build_s:.1f} s")

    result: dict = {"shards": shards, "build_s": build_s, "actor_cpus": cpus, "actor_threads": threads}
    with vdb.ray.LocalShards(folder, threads=cores) as local, \
            vdb.ray.ShardedIndex(folder, num_cpus=cpus, threads=threads) as index:
        ray_ids, _ = index.search(queries, args.k, args.ef)
        local_ids, _ = local.search(queries, args.k, args.ef)
        result["same_ids"] = bool(np.array_equal(ray_ids, local_ids))
        result["recall_at_10"] = recall_at(ray_ids, truth, 10)
        for label, batch, limit in (("batch", args.batch, None), ("single", 1, 200)):
            passes = seconds_per_batch({"ray": lambda q: index.search(q, args.k, args.ef),
                                        "direct": lambda q: local.search(q, args.k, args.ef)},
                                       queries, batch, args.runs, limit)
            via_ray, direct = passes["ray"], passes["direct"]
            ray_s, direct_s = statistics.median(via_ray), statistics.median(direct)
            result[label] = {
                "queries_per_batch": batch,
                "ray_ms": ray_s * 1e3,
                "direct_ms": direct_s * 1e3,
                "ray_adds_ms": (ray_s - direct_s) * 1e3,
                "ray_qps": batch / ray_s,
                "direct_qps": batch / direct_s,
                "ray_ms_runs": [s * 1e3 for s in via_ray],
                "direct_ms_runs": [s * 1e3 for s in direct],
            }
            log(f"  {label}: Ray {ray_s * 1e3:.2f} ms, direct {direct_s * 1e3:.2f} ms per batch of {batch}")
        result["actors"] = [
            {key: actor[key] for key in ("shard", "pid", "file_bytes", "rss", "rss_anon", "rss_file",
                                         "shard_rss", "shard_anon")}
            for actor in index.actors()
        ]
    return result


def report(results: dict) -> str:
    mib = 1 << 20
    lines = [
        f"# vdb.ray on one machine: {results['description']}",
        "",
        f"{results['rows']} x {results['dim']}, {results['nq']} queries, M {results['m']}, "
        f"ef_construction {results['ef_construction']}, search ef {results['ef']}, k {results['k']}; "
        f"{results['machine'].get('cores')} cores ({results['machine'].get('cpu', '?')}), Ray {results['ray']}, "
        f"{results['date']}. Search figures are medians of {results['runs']} passes. The machine is shared and "
        "small (1-minute load average {:.1f} before, {:.1f} after, on {} cores), so the figures are noisy: "
        "read them as orders of magnitude, not to the percent.".format(
            results["load_average_before_after"][0][0], results["load_average_before_after"][1][0],
            results["machine"].get("cores")),
        "",
        "| shards | build s | recall@10 | QPS via Ray (batch) | QPS direct (batch) | Ray adds per batch ms "
        "| Ray adds per 1-query search ms | same ids |",
        "|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for r in results["by_shards"]:
        lines.append(
            f"| {r['shards']} | {r['build_s']:.1f} | {r['recall_at_10']:.4f} | {r['batch']['ray_qps']:.0f} "
            f"| {r['batch']['direct_qps']:.0f} | {r['batch']['ray_adds_ms']:.2f} | {r['single']['ray_adds_ms']:.2f} "
            f"| {'yes' if r['same_ids'] else 'NO'} |"
        )
    lines += [
        "",
        f"Batches of {results['batch']} queries. \"Direct\": the same shard files opened in the driver "
        "(vdb.ray.LocalShards), searched one after another on all cores and merged the same way.",
        "",
        "Memory of each actor after the searches (MiB): the whole process, its heap (anonymous), and its "
        "mapping of the shard file (resident, and the anonymous part of it).",
        "",
        "| shards | shard | file | RSS | RSS anonymous | RSS file-backed | shard file resident | shard file anonymous |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["by_shards"]:
        for a in r["actors"]:
            lines.append(
                f"| {r['shards']} | {a['shard']} | {a['file_bytes'] / mib:.1f} | {a['rss'] / mib:.1f} "
                f"| {a['rss_anon'] / mib:.1f} | {a['rss_file'] / mib:.1f} | {a['shard_rss'] / mib:.1f} "
                f"| {a['shard_anon'] / mib:.1f} |"
            )
    lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    log = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731
    import ray

    paths = datasets.prepare("clustered", args.rows, args.queries, dim=args.dim, log=log)
    base = np.load(paths["base"])
    queries = np.load(paths["queries"])
    truth = np.load(paths["gt"])
    cores = os.cpu_count() or 1
    ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False,
             object_store_memory=max(256 << 20, 2 * base.nbytes))
    load_before = os.getloadavg()
    work = args.work_dir or tempfile.mkdtemp(prefix="vdb-ray-bench-")
    try:
        by_shards = [measure(int(s), base, queries, truth, work, args, cores, log) for s in args.shards.split(",")]
    finally:
        ray.shutdown()
        if args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    results = {
        "description": paths.get("description", "clustered"),
        "rows": int(base.shape[0]), "dim": int(base.shape[1]), "nq": int(queries.shape[0]),
        "m": args.m, "ef_construction": args.ef_construction, "ef": args.ef, "k": args.k,
        "batch": args.batch, "runs": args.runs, "ray": ray.__version__,
        "machine": machine(), "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python bench/ray_bench.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "load_average_before_after": [list(load_before), list(os.getloadavg())],
        "by_shards": by_shards,
    }
    name = args.name or f"clustered-{args.rows // 1000}k"
    out = os.path.join(HERE, "results", f"ray-{name}")
    with open(out + ".json", "w") as f:
        json.dump(results, f, indent=2)
    with open(out + ".md", "w") as f:
        f.write(report(results))
    print(report(results))
    log(f"wrote {out}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
