"""Python side of the cross-language test:
    python3 query.py <index> <queries.f32> <dim> <nq> <k> <ef> [<allow ids|-> [<delete ids|-> [commit|disk]]]
With a delete file it opens the index writable and deletes those ids (one
call) before searching; with "commit" too it commits them, closes the index
and opens it again read-only. With an allow file every search is filtered by
that allow-list. With "disk" (and no delete file) it opens the index
disk-resident with a 64 KiB node cache. Prints the answers in make_index.c's
format."""
import sys

import numpy as np
import vdb


def read_ids(path):
    with open(path) as f:
        return np.array([int(line) for line in f if line.strip()], dtype=np.uint64)


index_path, queries_path = sys.argv[1], sys.argv[2]
dim, nq, k, ef = (int(a) for a in sys.argv[3:7])
allow_path = sys.argv[7] if len(sys.argv) > 7 else "-"
delete_path = sys.argv[8] if len(sys.argv) > 8 else "-"
commit = len(sys.argv) > 9 and sys.argv[9] == "commit"
disk = len(sys.argv) > 9 and sys.argv[9] == "disk"
queries = np.fromfile(queries_path, dtype="<f4", count=dim * nq).reshape(nq, dim)
if delete_path != "-":
    index = vdb.Index.open(index_path, writable=True)
    index.delete(read_ids(delete_path))
    if commit:
        index.commit()
        index.close()
        index = vdb.Index.open(index_path)
elif disk:
    index = vdb.Index.open(index_path, disk=True)
    index.set_disk_cache(64 << 10)
else:
    index = vdb.Index.open(index_path)
options = {} if allow_path == "-" else {"filter": read_ids(allow_path)}
for q in range(nq):
    ids, distances, found = index.search(queries[q], k=k, ef=ef, return_found=True, **options)
    parts = [str(q), str(found)]
    for i in range(found):
        parts += [str(int(ids[i])), repr(float(distances[i]))]
    print(" ".join(parts))
index.close()
