"""libvdb in one page, in Python: create, add, search, save, open, search again.

Run with a Python that has the binding installed (pip install ./bindings/python):
    python3 docs/examples/quickstart.py
"""

import os
import sys
import tempfile

import numpy as np
import vdb

DIM, COUNT, K = 32, 2000, 5

rng = np.random.default_rng(1)
vectors = rng.random((COUNT, DIM), dtype=np.float32)
queries = vectors[:10]  # each query is a stored row, so it must find itself first

index = vdb.Index(DIM)  # metric "l2", m 16, ef_construction 200, ef_search 64
index.add(vectors)  # ids 0, 1, 2, ...
ids, distances = index.search(queries, k=K)  # a (10, DIM) batch gives (10, K) arrays

with tempfile.TemporaryDirectory() as scratch:
    path = os.path.join(scratch, "quickstart.vdb")
    index.save(path)
    index.close()
    with vdb.Index.open(path) as opened:  # read-only, maps the file
        count = len(opened)
        reopened_ids, reopened_distances = opened.search(queries, k=K)

print(f"libvdb {vdb.__version__}: {count} vectors; nearest to row 0:",
      " ".join(f"{i} ({d:.4f})" for i, d in zip(ids[0], distances[0])))
same = (
    np.array_equal(ids[:, 0], np.arange(len(queries)))
    and np.array_equal(ids, reopened_ids)
    and np.array_equal(distances, reopened_distances)
)
print("ok: the reopened index gives the same answer" if same else "MISMATCH")
sys.exit(0 if same else 1)
