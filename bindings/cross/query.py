"""Python side of the cross-language test:
    python3 query.py <index> <queries.f32> <dim> <nq> <k> <ef>
Prints the answers in make_index.c's format."""
import sys

import numpy as np
import vdb

index_path, queries_path = sys.argv[1], sys.argv[2]
dim, nq, k, ef = (int(a) for a in sys.argv[3:7])
queries = np.fromfile(queries_path, dtype="<f4", count=dim * nq).reshape(nq, dim)
index = vdb.Index.open(index_path)
for q in range(nq):
    ids, distances, found = index.search(queries[q], k=k, ef=ef, return_found=True)
    parts = [str(q), str(found)]
    for i in range(found):
        parts += [str(int(ids[i])), repr(float(distances[i]))]
    print(" ".join(parts))
index.close()
