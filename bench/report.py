#!/usr/bin/env python3
"""Turn a results JSON from bench/run.py into a markdown table and PNG plots.

    python bench/report.py bench/results/seed-20000-....json [...]

For each JSON file writes beside it: STEM.md (tables) and STEM-qps.png
(recall@10 vs QPS, single-thread and batch, one line per system; log QPS).

    python bench/report.py --targets bench/results/*.json

prints the issue's targets as a table: libvdb's ratios to the peers. Where
a system's sweep never reaches recall 0.95, QPS is compared at the highest
recall (to 0.01) that all four reach, and the row says so.
"""

from __future__ import annotations

import json
import math
import os
import sys

MiB = 1024 * 1024


def _fmt(value, spec="{:.0f}", none="-"):
    return none if value is None else spec.format(value)


def _mib(value):
    return _fmt(None if value is None else value / MiB, "{:.1f}")


def qps_at_recall(sweep: list, key: str, target: float):
    """QPS at recall = target, interpolated linearly in log(QPS) between the two
    sweep points around it (sorted by recall); None when the sweep never reaches it."""
    import math

    points = sorted((row["recall"], row[key]) for row in sweep if row.get(key))
    for (r0, q0), (r1, q1) in zip(points, points[1:]):
        if r0 <= target <= r1:
            if r1 == r0:
                return max(q0, q1)
            w = (target - r0) / (r1 - r0)
            return math.exp(math.log(q0) + w * (math.log(q1) - math.log(q0)))
    if points and points[0][0] >= target:  # even the smallest ef reaches it
        return max(q for r, q in points if r >= target)
    return None


def markdown(result: dict) -> str:
    p, d, m = result["params"], result["dataset"], result["machine"]
    lines = [
        f"### {d['name']}: {d['rows']} x {d['dim']}, {d['nq']} queries",
        "",
        f"{d['description']}. M={p['M']}, ef_construction={p['ef_construction']}, k={p['k']}; "
        f"median of {p['runs']} interleaved runs. Single-thread QPS: {p['single_thread_queries']}; "
        f"batch QPS: one call with all queries on {p['batch_threads']} threads.",
        "",
        f"Machine: {m.get('cpu', '?')}, {m.get('cores')} cores, {_mib(m.get('memory_bytes'))} MiB; "
        f"{m.get('platform')}; Python {m.get('python')}, numpy {m.get('numpy', '?')}. "
        f"Run {result['utc']} by `{result['command']}`.",
        "",
        "Memory in the child process of each measurement (VmHWM and `Anonymous:` of /proc/self/smaps_rollup): "
        "the build's figures include the data set the child holds as a numpy array "
        "and Python with the library imported; the search child loads the saved index and holds only the queries. "
        "Load: open or read the saved file; first query: the first search after it.",
        "",
        "| system | version | status | build threads | build s | vectors/s | build peak RSS MiB | build anon RSS MiB "
        "| index file MiB | load ms | first query ms | search peak RSS MiB | search anon RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in result["systems"]:
        builds = s.get("build") or [{}]
        for b in builds:
            lines.append(
                f"| {s['system']} | {s.get('version', '-')} | {s['status']} | {_fmt(b.get('threads'))} "
                f"| {_fmt(b.get('seconds'), '{:.2f}')} | {_fmt(b.get('vectors_per_second'))} "
                f"| {_mib(b.get('peak_rss_bytes'))} | {_mib(b.get('anon_rss_bytes'))} | {_mib(b.get('file_bytes'))} "
                f"| {_fmt(None if s.get('load_seconds') is None else s['load_seconds'] * 1e3, '{:.2f}')} "
                f"| {_fmt(None if s.get('first_query_seconds') is None else s['first_query_seconds'] * 1e3, '{:.3f}')} "
                f"| {_mib(s.get('search_peak_rss_bytes'))} | {_mib(s.get('search_anon_rss_bytes'))} |")
    lines += [
        "",
        f"| system | ef | recall@{p['k']} | QPS 1 thread | QPS batch | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in result["systems"]:
        if not s.get("sweep"):
            err = "; ".join(f"{e.get('mode', '')} {e.get('status')}: {e.get('error')}" for e in s.get("errors", []))
            lines.append(f"| {s['system']} | - | {s['status']} | {err.replace('|', '/')[:200] or '-'} | | | |")
            continue
        for row in s["sweep"]:
            lines.append(
                f"| {s['system']} | {row['ef']} | {row['recall']:.4f} | {_fmt(row['qps_single'])} "
                f"| {_fmt(row['qps_batch'])} | {_fmt(row['p50_ms'], '{:.3f}')} | {_fmt(row['p99_ms'], '{:.3f}')} |")
    target = result["params"].get("target_recall", 0.95)
    lines += [
        "",
        f"QPS at recall@{p['k']} = {target} (log-linear interpolation between the two ef values around it; "
        "'-': not reached in the sweep; '>=': reached at the smallest ef, a lower bound):",
        "",
        "| system | QPS 1 thread | QPS batch |",
        "|---|---|---|",
    ]
    for s in result["systems"]:
        sweep = s.get("sweep") or []
        # ">=": the smallest ef already passes the target, so the figure is a lower bound
        at_least = ">= " if sweep and min(row["recall"] for row in sweep) > target else ""
        lines.append(f"| {s['system']} | {at_least}{_fmt(qps_at_recall(sweep, 'qps_single', target))} "
                     f"| {at_least}{_fmt(qps_at_recall(sweep, 'qps_batch', target))} |")
    failed = [s for s in result["systems"] if s["status"] != "ok"]
    if failed:
        lines += ["", "Failures (reported, not dropped):", ""]
        for s in failed:
            for e in s.get("errors", []):
                lines.append(f"- {s['system']} {e.get('mode', '')}: {e.get('status')}: {e.get('error')}")
    return "\n".join(lines) + "\n"


def plot(result: dict, path: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        print(f"no plot: matplotlib is not importable ({err})", file=sys.stderr)
        return False
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    k = result["params"]["k"]
    for ax, key, title in ((axes[0], "qps_single", "1 thread, one query per call"),
                           (axes[1], "qps_batch", f"batch on {result['params']['batch_threads']} threads")):
        for s in result["systems"]:
            sweep = [row for row in s.get("sweep") or [] if row.get(key)]
            if not sweep:
                continue
            ax.plot([row["recall"] for row in sweep], [row[key] for row in sweep], marker="o",
                    label=f"{s['system']} {s.get('version', '')}")
        ax.set_xlabel(f"recall@{k}")
        ax.set_ylabel("queries per second")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    d, p = result["dataset"], result["params"]
    fig.suptitle(f"{d['name']}: {d['rows']} x {d['dim']}, M={p['M']}, ef_construction={p['ef_construction']} "
                 f"(up and right is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_report(result: dict, out_dir: str, stem: str) -> list:
    written = []
    md_path = os.path.join(out_dir, stem + ".md")
    with open(md_path, "w") as f:
        f.write(markdown(result))
    written.append(md_path)
    png_path = os.path.join(out_dir, stem + "-qps.png")
    if plot(result, png_path):
        written.append(png_path)
    return written


def _system(result: dict, name: str) -> dict:
    return next((s for s in result["systems"] if s["system"] == name), {})


def _build_seconds(system: dict, threads: int):
    return next((b.get("seconds") for b in system.get("build") or [] if b.get("threads") == threads), None)


def _recall_at_ef(system: dict, ef: int):
    return next((row["recall"] for row in system.get("sweep") or [] if row["ef"] == ef), None)


def _short_name(name: str) -> str:
    """A data set's name for a table: files are named by their folder (bench/data/text-minilm/base.npy: text-minilm)."""
    first = name.split(",")[0]
    if os.sep not in first:
        return first
    return os.path.basename(os.path.dirname(first)) or os.path.basename(first)


def _ratio(a, b) -> str:
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def targets(results: list) -> str:
    """The issue's targets, one row per data set: libvdb against hnswlib and the best of FAISS and USearch."""
    lines = [
        "| data set | QPS at recall 0.95, 1 thread: libvdb / hnswlib (target >= 1.2x) | libvdb / best of FAISS, USearch (target >= 1x) "
        "| build s on all cores: libvdb / hnswlib (target <= 1x) | recall@10 at ef 64 / 256: libvdb vs hnswlib |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        target = result["params"].get("target_recall", 0.95)
        names = ("libvdb", "hnswlib", "faiss", "usearch")
        best_recall = [max((row["recall"] for row in _system(result, n).get("sweep") or []), default=0) for n in names]
        if min(best_recall) < target:  # some system never gets there: compare where all four do
            target = math.floor(min(best_recall) * 100) / 100
        threads = result["params"]["batch_threads"]
        qps = {name: qps_at_recall(_system(result, name).get("sweep") or [], "qps_single", target) for name in names}
        peers = [(qps[n], n) for n in ("faiss", "usearch") if qps[n] is not None]
        best = max(peers) if peers else (None, "-")
        lib, hnsw = _system(result, "libvdb"), _system(result, "hnswlib")
        d, p = result["dataset"], result["params"]
        at = "" if target == p.get("target_recall", 0.95) else f" (at recall {target:.2f}: not all reach {p.get('target_recall', 0.95)})"
        lines.append(
            f"| {_short_name(d['name'])} {d['rows']} x {d['dim']}, efC {p['ef_construction']}{at} "
            f"| {_fmt(qps['libvdb'])} / {_fmt(qps['hnswlib'])} = **{_ratio(qps['libvdb'], qps['hnswlib'])}** "
            f"| {_fmt(qps['libvdb'])} / {_fmt(best[0])} ({best[1]}) = **{_ratio(qps['libvdb'], best[0])}** "
            f"| {_fmt(_build_seconds(lib, threads), '{:.1f}')} / {_fmt(_build_seconds(hnsw, threads), '{:.1f}')} "
            f"= **{_ratio(_build_seconds(lib, threads), _build_seconds(hnsw, threads))}** "
            f"| {_fmt(_recall_at_ef(lib, 64), '{:.3f}')} / {_fmt(_recall_at_ef(lib, 256), '{:.3f}')} vs "
            f"{_fmt(_recall_at_ef(hnsw, 64), '{:.3f}')} / {_fmt(_recall_at_ef(hnsw, 256), '{:.3f}')} |")
    return "\n".join(lines) + "\n" + codes_targets(results)


def codes_targets(results: list) -> str:
    """Issue 11's in-RAM target for codes: libvdb with codes against hnswlib at equal recall, and what a walk reads."""
    rows = [r for r in results if _system(r, "libvdb-int8").get("sweep") or _system(r, "libvdb-pq").get("sweep")]
    if not rows:
        return ""
    lines = [
        "",
        "| data set | QPS at recall 0.95, 1 thread: libvdb-int8 / hnswlib (target >= 1.5x) "
        "| libvdb-pq / hnswlib | libvdb-int8 / libvdb float32 | bytes a walk reads per vector: float32, int8, PQ |",
        "|---|---|---|---|---|",
    ]
    for result in rows:
        target = result["params"].get("target_recall", 0.95)
        names = ("libvdb-int8", "libvdb-pq", "libvdb", "hnswlib")
        qps = {n: qps_at_recall(_system(result, n).get("sweep") or [], "qps_single", target) for n in names}
        dim = result["dataset"]["dim"]
        row = lambda code_bytes: (code_bytes + 3) // 4 * 4 + 4  # noqa: E731 (docs/format.md: bytes, padding, a float)
        int8, pq = row(dim), row(max(dim // 8, 1))  # PQ's default code_bytes
        lines.append(
            f"| {_short_name(result['dataset']['name'])} {result['dataset']['rows']} x {dim} "
            f"| {_fmt(qps['libvdb-int8'])} / {_fmt(qps['hnswlib'])} = **{_ratio(qps['libvdb-int8'], qps['hnswlib'])}** "
            f"| {_fmt(qps['libvdb-pq'])} / {_fmt(qps['hnswlib'])} = **{_ratio(qps['libvdb-pq'], qps['hnswlib'])}** "
            f"| **{_ratio(qps['libvdb-int8'], qps['libvdb'])}** "
            f"| {4 * dim}, {int8} ({4 * dim / int8:.1f}x smaller), {pq} ({4 * dim / pq:.1f}x smaller) |")
    return "\n".join(lines) + "\n"


def main(argv) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "--targets":
        results = []
        for path in argv[1:]:
            with open(path) as f:
                results.append(json.load(f))
        print(targets(results), end="")
        return 0
    for path in argv:
        with open(path) as f:
            result = json.load(f)
        stem = os.path.splitext(os.path.basename(path))[0]
        for p in write_report(result, os.path.dirname(os.path.abspath(path)), stem):
            print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
