"""libvdb for Python: an embeddable, out-of-core HNSW nearest-neighbour index.

    import numpy as np, vdb

    index = vdb.Index(dim=128)                       # metric "l2" (squared Euclidean)
    index.add(np.random.rand(10000, 128).astype(np.float32))
    ids, distances = index.search(query, k=10)        # (128,) -> (10,), (nq, 128) -> (nq, 10)
    index.save("vectors.vdb")
    index = vdb.Index.open("vectors.vdb")             # O(1): maps the file, read-only

    index = vdb.Index.open("vectors.vdb", writable=True)   # one writer at a time (vdb.BusyError)
    index = vdb.Index.open("coded.vdb", disk=True)  # an index saved with codes, searched from the disk
    index.set_disk_cache(64 << 20)                    # keep the top levels' blocks in memory
    index.delete([3, 4]); index.upsert(vectors[:2], ids=[10, 11])
    vector = index.get(10); 3 in index                # False: deleted
    ids, distances = index.search(query, k=10, filter=allowed_ids)       # or filter=lambda id: ...
    index.commit()                                    # durable in "vectors.vdb-journal"
    index.save("vectors.vdb")                         # in place: a checkpoint, empties the journal

Slots past the number of results found (fewer vectors than k) hold id
vdb.NO_ID (2**64 - 1) and distance +inf; search(..., return_found=True) also
returns the counts. Errors are vdb.Error subclasses named for the C codes;
vdb.NotFoundError (an id not in the index) is also a KeyError.
"""

from __future__ import annotations

from ._errors import (
    BusyError,
    CanceledError,
    DimensionError,
    Error,
    ExistsError,
    FormatError,
    InvalidArgumentError,
    NoSpaceError,
    NotFoundError,
    OutOfMemoryError,
    RangeError,
    ReadOnlyError,
    VdbIOError,
    VersionError,
)
from ._generated import GENERATED_VERSION
from ._native import ffi as _ffi
from ._native import lib as _lib
from ._filter import Filter
from ._index import NO_ID, Index, verify
from ._compat import VectorDB


def library_version() -> str:
    """"MAJOR.MINOR.PATCH" of the libvdb that is loaded (vdb_version_string)."""
    return str(_ffi.string(_lib.vdb_version_string()).decode())


def library_version_number() -> int:
    """VDB_VERSION_NUMBER of the libvdb that is loaded (major*10000 + minor*100 + patch)."""
    return int(_lib.vdb_version_number())


__version__: str = library_version()

__all__ = [
    "Index",
    "Filter",
    "VectorDB",
    "verify",
    "NO_ID",
    "library_version",
    "library_version_number",
    "GENERATED_VERSION",
    "Error",
    "InvalidArgumentError",
    "DimensionError",
    "OutOfMemoryError",
    "VdbIOError",
    "FormatError",
    "VersionError",
    "ReadOnlyError",
    "ExistsError",
    "RangeError",
    "NotFoundError",
    "BusyError",
    "CanceledError",
    "NoSpaceError",
]
