"""vdb.ray on a local Ray cluster of two nodes (ray.cluster_utils.Cluster,
one CPU each): a sharded build, search across shard actors, restarts after
a killed actor, routed changes, and the Ray Data callable.

What each test expects is computed here, independently of vdb.ray: shard
membership by a pure-Python splitmix64, the merge by sorting (distance, id)
pairs of each shard's own vdb.Index.search, recall against numpy brute force.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

ray = pytest.importorskip("ray")

# Ray Data warns about its own deprecated settings when it starts; nothing here sets them.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

import vdb  # noqa: E402
import vdb.ray  # noqa: E402
from conftest import brute_force_l2, clustered  # noqa: E402

DIM = 32
N = 6000
SHARDS = 3
K = 10
EF = 24  # low, so one index over everything misses some neighbours and recall says something
ACTOR_CPUS = 0.25  # four actors fit on the two one-CPU nodes beside the test's own tasks
MASK64 = 2**64 - 1


def splitmix64_reference(x: int) -> int:
    """splitmix64 in Python ints, as published (Steele, Lea, Flood 2014; Vigna's splitmix64.c)."""
    z = (x + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def expected_shard(id: int, num_shards: int) -> int:
    return splitmix64_reference(id) % num_shards


def merge_by_sorting(per_shard: list, k: int) -> tuple:
    """The k smallest (distance, id) pairs of every shard's answer to one query."""
    pairs = sorted((float(d), int(i)) for ids, dists in per_shard for i, d in zip(ids, dists))
    return [i for _, i in pairs[:k]], [d for d, _ in pairs[:k]]


def shard_answers(folder: str, num_shards: int, queries: np.ndarray, k: int, ef: int, filter=None) -> list:
    """Each shard file's own answer to the queries, opened here with vdb.Index.open;
    with a filter, each shard allows the allowed ids that are its own."""
    answers = []
    for shard in range(num_shards):
        mine = None if filter is None else [i for i in filter if expected_shard(int(i), num_shards) == shard]
        with vdb.Index.open(os.path.join(folder, f"shard-{shard:04d}.vdb")) as index:
            answers.append(index.search(queries, k, ef, filter=mine))
    return answers


def expected_results(folder: str, num_shards: int, queries: np.ndarray, k: int, ef: int, filter=None) -> list:
    answers = shard_answers(folder, num_shards, queries, k, ef, filter)
    return [merge_by_sorting([(ids[q], dists[q]) for ids, dists in answers], k) for q in range(len(queries))]


def assert_same_as_expected(ids: np.ndarray, distances: np.ndarray, expected: list) -> None:
    for q, (want_ids, want_distances) in enumerate(expected):
        assert ids[q].tolist() == want_ids, f"query {q}"
        assert distances[q].tolist() == want_distances, f"query {q}"


@pytest.fixture(scope="module")
def cluster():
    from ray.cluster_utils import Cluster

    small = {"num_cpus": 1, "object_store_memory": 150 * 2**20}
    local = Cluster(initialize_head=True, head_node_args={**small, "include_dashboard": False})
    local.add_node(**small)
    ray.init(address=local.address, log_to_driver=False)
    local.wait_for_nodes()
    yield local
    ray.shutdown()
    local.shutdown()


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    return clustered(N, DIM, seed=11)


@pytest.fixture(scope="module")
def queries() -> np.ndarray:
    return clustered(100, DIM, seed=12)


@pytest.fixture(scope="module")
def folder(cluster, vectors, tmp_path_factory) -> str:
    """A sharded index of `vectors` (ids 0..N-1) that tests only read."""
    path = str(tmp_path_factory.mktemp("ray") / "index")
    vdb.ray.build(vectors, path, SHARDS, m=16, ef_construction=100, progress=False)
    return path


def test_shards_are_chosen_by_splitmix64_of_the_id():
    assert splitmix64_reference(0) == 0xE220A8397B1DCDAF  # the published first output from state 0
    ids = np.array([0, 1, 2, 41, 2**32, 2**63 + 5, 2**64 - 2], dtype=np.uint64)
    assert vdb.ray.splitmix64(ids).tolist() == [splitmix64_reference(int(i)) for i in ids]
    for num_shards in (1, 2, 3, 7):
        assert vdb.ray.shard_of(ids, num_shards).tolist() == [expected_shard(int(i), num_shards) for i in ids]


def test_build_writes_one_openable_file_per_shard_and_a_manifest(cluster, folder):
    assert len(ray.nodes()) == 2
    manifest = vdb.ray.read_manifest(folder)
    assert manifest.num_shards == SHARDS and manifest.hash == "splitmix64"
    assert manifest.config["dim"] == DIM and manifest.config["m"] == 16 and manifest.config["ef_construction"] == 100
    assert manifest.libvdb_version == vdb.__version__
    wanted = [[i for i in range(N) if expected_shard(i, SHARDS) == s] for s in range(SHARDS)]
    assert manifest.counts == [len(w) for w in wanted]
    for shard in range(SHARDS):
        with vdb.Index.open(os.path.join(folder, f"shard-{shard:04d}.vdb")) as index:
            assert len(index) == len(wanted[shard])
            assert all(i in index for i in wanted[shard][::50])
            assert not any(i in index for i in wanted[(shard + 1) % SHARDS][::50])


def test_sharded_search_is_the_exact_merge_of_each_shards_search(cluster, folder, queries):
    allowed = np.arange(0, N, 3, dtype=np.uint64)
    with vdb.ray.ShardedIndex(folder, num_cpus=ACTOR_CPUS) as index:
        assert len({a["node_id"] for a in index.actors()}) == 2  # spread over both nodes
        ids, distances = index.search(queries, k=K, ef=EF)
        assert ids.shape == (len(queries), K) and ids.dtype == np.uint64 and distances.dtype == np.float32
        assert_same_as_expected(ids, distances, expected_results(folder, SHARDS, queries, K, EF))

        one_ids, one_distances = index.search(queries[7], k=K, ef=EF)
        assert one_ids.shape == (K,) and one_ids.tolist() == ids[7].tolist()

        ids, distances = index.search(queries, k=K, ef=EF, filter=allowed)
        assert np.isin(ids, allowed).all()
        assert_same_as_expected(ids, distances, expected_results(folder, SHARDS, queries, K, EF, filter=allowed))

        with pytest.raises(vdb.DimensionError):
            index.search(queries[:, :5], k=K)
        with pytest.raises(vdb.InvalidArgumentError):
            index.search(queries, k=0)


def test_sharded_recall_is_at_least_that_of_one_index(cluster, folder, vectors, queries):
    truth = brute_force_l2(vectors, queries, K)
    with vdb.Index(DIM, m=16, ef_construction=100, threads=1) as whole:
        whole.add(vectors)
        single_ids, _ = whole.search(queries, k=K, ef=EF)
    with vdb.ray.ShardedIndex(folder, num_cpus=ACTOR_CPUS) as index:
        sharded_ids, _ = index.search(queries, k=K, ef=EF)

    def recall(found: np.ndarray) -> float:
        return np.mean([len(set(f.tolist()) & set(t.tolist())) / K for f, t in zip(found, truth)])

    assert recall(sharded_ids) >= recall(single_ids)
    assert recall(sharded_ids) > 0.9


def test_files_and_a_dataset_build_the_same_shards_as_an_array(cluster, folder, vectors, queries, tmp_path):
    half = N // 2
    np.save(tmp_path / "first.npy", vectors[:half])
    fvecs = np.hstack([np.full((N - half, 1), DIM, np.int32).view(np.float32), vectors[half:]])
    fvecs.tofile(tmp_path / "second.fvecs")
    from_files = str(tmp_path / "from-files")
    reports: list = []
    vdb.ray.build([str(tmp_path / "first.npy"), str(tmp_path / "second.fvecs")], from_files, SHARDS,
                  m=16, ef_construction=100, progress=lambda done, total: reports.append((done, total)))
    assert reports[0] == (0, N) and reports[-1] == (N, N) and len(reports) == SHARDS + 1

    ids = np.arange(N, dtype=np.uint64)[::-1].copy()  # the id column, not the row order, decides
    dataset = ray.data.from_items([{"vector": v, "id": int(i)} for v, i in zip(vectors, ids)])
    from_dataset = str(tmp_path / "from-dataset")
    vdb.ray.build(dataset, from_dataset, SHARDS, m=16, ef_construction=100, progress=False)

    assert not [n for n in os.listdir(from_dataset) if n.startswith(".parts")]  # the split's files are gone
    numbered = str(tmp_path / "numbered")  # no id column: row numbers, in the dataset's order
    vdb.ray.build(ray.data.from_items([{"vector": v} for v in vectors]), numbered, SHARDS,
                  m=16, ef_construction=100, progress=False)

    for shard in range(SHARDS):
        name = f"shard-{shard:04d}.vdb"
        for same in (from_files, numbered):
            with vdb.Index.open(os.path.join(folder, name)) as a, vdb.Index.open(os.path.join(same, name)) as b:
                assert len(a) == len(b)
                assert np.array_equal(a.search(queries, K, EF)[0], b.search(queries, K, EF)[0])
        with vdb.Index.open(os.path.join(from_dataset, name)) as c:
            wanted = [int(i) for i in ids if expected_shard(int(i), SHARDS) == shard]
            assert len(c) == len(wanted) and all(i in c for i in wanted[::40])
            assert np.array_equal(c.get(wanted[0]), vectors[N - 1 - wanted[0]])


def test_bad_input_is_refused_before_any_shard_is_written(cluster, folder, vectors, tmp_path):
    target = str(tmp_path / "bad")
    with pytest.raises(vdb.DimensionError):
        vdb.ray.build(vectors, target, 2, dim=DIM + 1, progress=False)
    broken = vectors[:100].copy()
    broken[42, 3] = np.nan
    with pytest.raises(vdb.InvalidArgumentError, match="row 42"):
        vdb.ray.build(broken, target, 2, progress=False)
    with pytest.raises(vdb.InvalidArgumentError, match="id 42 holds NaN"):  # found by a Ray Data worker
        vdb.ray.build(ray.data.from_items([{"vector": v, "id": i} for i, v in enumerate(broken)]), target, 2,
                      progress=False)
    with pytest.raises(vdb.InvalidArgumentError, match="ids must be distinct"):  # found by a shard's task
        vdb.ray.build(ray.data.from_items([{"vector": v, "id": i % 50} for i, v in enumerate(vectors[:100])]),
                      target, 2, progress=False)
    with pytest.raises(vdb.InvalidArgumentError, match="id 7 is repeated"):
        vdb.ray.build(vectors[:3], target, 2, ids=[7, 8, 7], progress=False)
    with pytest.raises(vdb.InvalidArgumentError):
        vdb.ray.build(vectors, target, 0, progress=False)
    with pytest.raises(vdb.VdbIOError):
        vdb.ray.build([str(tmp_path / "missing.npy")], target, 2, progress=False)
    assert not os.path.exists(os.path.join(target, "manifest.json"))
    with pytest.raises(vdb.ExistsError):
        vdb.ray.build(vectors, folder, SHARDS, progress=False)
    with pytest.raises(vdb.VdbIOError):
        vdb.ray.ShardedIndex(str(tmp_path / "nothing-here"))


def test_a_killed_actor_costs_at_most_the_searches_in_flight(cluster, folder, queries):
    expected = expected_results(folder, SHARDS, queries, K, EF)
    outcomes: list = []
    stop = threading.Event()

    def stream(index) -> None:
        while not stop.is_set():
            try:
                ids, distances = index.search(queries, k=K, ef=EF)
                assert_same_as_expected(ids, distances, expected)
                outcomes.append("same")
            except Exception as err:  # ShardUnavailable is allowed; anything else fails below
                outcomes.append(err)

    with vdb.ray.ShardedIndex(folder, num_cpus=ACTOR_CPUS, max_restarts=5) as index:
        victim = index.actors()[1]
        searcher = threading.Thread(target=stream, args=(index,))
        searcher.start()
        while len(outcomes) < 5:
            time.sleep(0.01)
        os.kill(victim["pid"], signal.SIGKILL)
        time.sleep(3.0)  # the stream goes on across the death and the restart
        stop.set()
        searcher.join(60)
        assert not searcher.is_alive()
        after_kill = len(outcomes) - 5
        assert after_kill >= 1
        assert all(o == "same" or (isinstance(o, vdb.ray.ShardUnavailable) and o.shard == 1) for o in outcomes)

        for _ in range(3):  # the next searches succeed, on a new process
            ids, distances = index.search(queries, k=K, ef=EF)
            assert_same_as_expected(ids, distances, expected)
        assert index.actors()[1]["pid"] != victim["pid"]


def slow_first_call():
    """A filter that allows every id but takes a second over its first call in each
    process it is unpickled in: a search that uses it is surely in flight for that second.
    A closure, so that Ray pickles it by value (the actors cannot import this file)."""
    state = {"called": False}

    def allow(id: int) -> bool:
        if not state["called"]:
            state["called"] = True
            time.sleep(1.0)
        return True

    return allow


def test_a_search_in_flight_when_its_actor_dies_is_retried_once(cluster, folder, queries):
    expected = expected_results(folder, SHARDS, queries[:5], K, EF)
    with vdb.ray.ShardedIndex(folder, num_cpus=ACTOR_CPUS, max_restarts=5) as index:
        victim = index.actors()[2]
        result: list = []
        searcher = threading.Thread(target=lambda: result.append(index.search(queries[:5], K, EF, filter=slow_first_call())))
        searcher.start()
        time.sleep(0.4)
        os.kill(victim["pid"], signal.SIGKILL)
        searcher.join(60)
        assert index.retries == 1
        assert_same_as_expected(*result[0], expected)


def test_a_shard_that_stays_dead_raises_shard_unavailable(cluster, folder, queries):
    with vdb.ray.ShardedIndex(folder, num_cpus=ACTOR_CPUS, max_restarts=0) as index:
        os.kill(index.actors()[1]["pid"], signal.SIGKILL)
        with pytest.raises(vdb.ray.ShardUnavailable) as caught:
            index.search(queries, k=K)
        assert caught.value.shard == 1 and index.retries == 1


def test_with_two_replicas_a_killed_actor_costs_no_search(cluster, folder, queries):
    expected = expected_results(folder, SHARDS, queries[:20], K, EF)
    with vdb.ray.ShardedIndex(folder, replicas=2, num_cpus=0.1) as index:
        victim = next(a for a in index.actors() if a["shard"] == 0 and a["replica"] == 0)
        os.kill(victim["pid"], signal.SIGKILL)
        for _ in range(6):  # turns alternate replicas: some go to the dead one and are retried on the other
            ids, distances = index.search(queries[:20], k=K, ef=EF)
            assert_same_as_expected(ids, distances, expected)


def test_changes_go_to_their_shards_and_every_replica_sees_them(cluster, vectors, tmp_path):
    path = str(tmp_path / "changing")
    vdb.ray.build(vectors[:2000], path, 2, m=16, ef_construction=100, progress=False)
    far = np.full((4, DIM), 50.0, np.float32) + np.arange(4, dtype=np.float32)[:, None]
    new_ids = [10_000, 10_001, 10_002, 10_003]
    assert {expected_shard(i, 2) for i in new_ids} == {0, 1}  # the change spans both shards

    with vdb.ray.ShardedIndex(path, num_cpus=ACTOR_CPUS) as read_only:
        with pytest.raises(vdb.ReadOnlyError):
            read_only.add(far, ids=new_ids)

    with vdb.ray.ShardedIndex(path, replicas=2, writable=True, num_cpus=0.1) as index:
        index.add(far, ids=new_ids)
        assert len(index) == 2004
        assert {a["node_id"] for a in index.actors() if a["shard"] == 0} == {n["NodeID"] for n in ray.nodes()}
        for _ in range(2):  # both replicas of each shard, in turn
            ids, distances = index.search(far, k=1)
            assert ids[:, 0].tolist() == new_ids and distances[:, 0].tolist() == [0.0] * 4

        moved = far[0] + 100.0
        index.upsert(moved, ids=new_ids[0])
        index.delete([new_ids[1]])
        for _ in range(2):
            ids, distances = index.search(np.stack([moved, far[1]]), k=1)
            assert ids[0, 0] == new_ids[0] and distances[0, 0] == 0.0
            assert ids[1, 0] != new_ids[1]

        writer = next(a for a in index.actors() if a["replica"] == 0 and a["shard"] == expected_shard(new_ids[0], 2))
        os.kill(writer["pid"], signal.SIGKILL)  # the restarted writer reopens the file writable, journal included
        for _ in range(2):
            ids, distances = index.search(np.stack([moved, far[1]]), k=1)
            assert ids[0, 0] == new_ids[0] and distances[0, 0] == 0.0 and ids[1, 0] != new_ids[1]
        index.add(far[1] - 100.0, ids=[20_000])
        assert index.search(far[1] - 100.0, k=1)[0][0] == 20_000

        with pytest.raises(vdb.ExistsError):
            index.add(far[2], ids=new_ids[2])
        with pytest.raises(vdb.NotFoundError):
            index.delete([new_ids[1]])
        with pytest.raises(vdb.InvalidArgumentError):
            index.add(far, ids=None)
        with pytest.raises(vdb.BusyError):  # one writer per shard file
            vdb.ray.ShardedIndex(path, writable=True, num_cpus=0.1)
        index.checkpoint()

    for i in new_ids:  # in the file of the shard the rule names, after the checkpoint
        with vdb.Index.open(os.path.join(path, f"shard-{expected_shard(i, 2):04d}.vdb")) as shard:
            assert (i in shard) == (i != new_ids[1])
    with vdb.Index.open(os.path.join(path, f"shard-{expected_shard(new_ids[0], 2):04d}.vdb")) as shard:
        assert np.array_equal(shard.get(new_ids[0]), moved)


def test_the_ray_data_callable_adds_what_direct_searches_give(cluster, folder, queries):
    expected = expected_results(folder, SHARDS, queries, K, EF)
    dataset = ray.data.from_items([{"vector": q, "qid": i} for i, q in enumerate(queries)])
    searched = dataset.map_batches(
        vdb.ray.NearestNeighbors,
        fn_constructor_kwargs={"path": folder, "k": K, "ef": EF},
        concurrency=1,
        num_cpus=0.5,
        batch_size=32,
        batch_format="numpy",
    )
    rows = sorted(searched.take_all(), key=lambda row: row["qid"])
    assert [row["qid"] for row in rows] == list(range(len(queries)))
    for row, (want_ids, want_distances) in zip(rows, expected):
        assert np.asarray(row["neighbor_ids"]).tolist() == want_ids
        assert np.asarray(row["neighbor_distances"]).tolist() == want_distances


def test_the_example_in_docs_ray_md_runs(tmp_path):
    """docs/ray.md's example, as the page shows it, in a fresh interpreter (it starts its own cluster)."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    page = Path(__file__).resolve().parents[3] / "docs" / "ray.md"
    blocks = re.findall(r"^```python\n(.*?)^```", page.read_text(), re.S | re.M)
    assert len(blocks) == 1
    result = subprocess.run([sys.executable, "-c", blocks[0]], cwd=tmp_path, capture_output=True, text=True,
                            timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "vectors per shard: [" in result.stdout
