"""A living index, in Python: open a saved index writable, delete, upsert and
get by id, search with a filter, and save the changes back to the same file.

Run with a Python that has the binding installed (pip install ./bindings/python):
    python3 docs/examples/changes.py /tmp/changes.vdb
"""

import sys

import numpy as np
import vdb

DIM, COUNT, K = 16, 1000, 3

path = sys.argv[1] if len(sys.argv) > 1 else "changes.vdb"
rng = np.random.default_rng(7)
vectors = rng.random((COUNT, DIM), dtype=np.float32)
problems: list[str] = []


def expect(ok: bool, what: str) -> None:
    if not ok:
        problems.append(what)


# A saved index with ids 0 .. 999.
with vdb.Index(DIM) as index:
    index.add(vectors)
    index.save(path)

# Reopen it writable: delete two ids, give id 7 the vector of row 500, add id 5000.
index = vdb.Index.open(path, writable=True)
index.delete([10, 11])
index.upsert(vectors[500], ids=[7])
index.add(vectors[900], ids=[5000])
expect(10 not in index and 7 in index and 5000 in index, "10 deleted; 7 and 5000 there")
try:
    index.get(10)
    expect(False, "get(10) raises NotFoundError")
except vdb.NotFoundError as err:  # also a KeyError
    print(f"get(10): {err}")
expect(np.array_equal(index.get(7), vectors[500]), "id 7 holds row 500's vector")

# Search near row 500 with and without a filter: ids 500 and 7 now hold the same vector.
query = vectors[500]
ids, distances = index.search(query, k=K)
even_ids, _ = index.search(query, k=K, filter=lambda i: i % 2 == 0)  # runs with the GIL: keep it short
listed_ids, _ = index.search(query, k=K, filter=[7, 501, 502])  # an allow-list: much faster
with vdb.Filter([7, 501, 502]) as listed:  # an allow-list made once, for many searches
    reused_ids, _ = index.search(query, k=K, filter=listed)
print(f"{len(index)} vectors, {index.deleted} deleted; nearest to row 500: {ids.tolist()}; "
      f"even only: {even_ids.tolist()}; listed: {listed_ids.tolist()}")
expect(sorted(ids[:2].tolist()) == [7, 500] and distances[1] == 0, "7 and 500 nearest, at distance 0")
expect(all(i % 2 == 0 for i in even_ids.tolist()), "the predicate allows even ids only")
expect(sorted(listed_ids.tolist()) == [7, 501, 502] and listed_ids[0] == 7, "the allow-list's three, 7 first")
expect(np.array_equal(reused_ids, listed_ids), "a vdb.Filter gives what the list gives")
expect(len(index) == COUNT - 1 and index.deleted == 3, "999 vectors; 10, 11 and the old 7 deleted")

# Save over the file it was opened from; the deleted vectors are left out.
index.save(path)
index.close()
with vdb.Index.open(path, verify=True) as reopened:
    print(f"after saving: {len(reopened)} vectors, {reopened.deleted} deleted")
    expect(len(reopened) == COUNT - 1 and reopened.deleted == 0, "the saved file holds the 999")
    expect(11 not in reopened and np.array_equal(reopened.get(5000), vectors[900]), "the changes were saved")

for what in problems:
    print(f"FAILED: {what}")
print("ok: every change gives what it should" if not problems else "MISMATCH")
sys.exit(1 if problems else 0)
