"""vdb.VectorDB, the seed's class, end to end."""

from __future__ import annotations

import vdb
from conftest import brute_force_l2, clustered


def test_vectordb_end_to_end(tmp_path):
    data = clustered(3000, 24, seed=11)
    path = tmp_path / "data.f32"
    data.tofile(path)  # raw float32 rows, as the seed writes them
    db = vdb.VectorDB(str(path), 24, M=16, ef_construction=200)
    db.build_index(0, 2000)
    assert len(db) == 2000

    query = data[123].tolist()  # a plain list, as the seed passes it
    results = db.search(query, 5)
    assert len(results) == 5
    assert all(type(i) is int and type(d) is float for i, d in results)
    assert results[0] == (123, 0.0)
    distances = [d for _, d in results]
    assert distances == sorted(distances)
    exact = brute_force_l2(data[:2000], data[123:124], 5)[0].tolist()
    assert [i for i, _ in results] == exact

    db.build_index(2000, 3000)
    assert db.search(data[2500], 1)[0][0] == 2500
    db.close()


def test_vectordb_returns_only_found_results(tmp_path):
    path = tmp_path / "few.f32"
    clustered(10, 4).tofile(path)
    with vdb.VectorDB(path, 4) as db:
        db.build_index(0, 3)
        results = db.search([0, 0, 0, 0], 10)
    assert sorted(i for i, _ in results) == [0, 1, 2]
