"""cffi builder for vdb._vdb_cffi (out-of-line API mode).

The cdef is vdb/_cdef.h, generated from include/vdb.h by
tools/gen_bindings.py. set_source includes the real header, so the C compiler
checks every declaration of the cdef against it, and cffi checks the struct
layout and the VDB_VERSION_* values. setup.py adds the folder of the
CMake-built libvdb to library_dirs before the extension is compiled.

Two declarations are the binding's own, not the header's: _vdb_py_allow, the
C function that vdb_filter_from_fn calls for a Python predicate, and
_vdb_py_progress, the one vdb_set_progress calls for progress=. As extern
"Python" functions they are compiled into the extension (no libffi closure,
no writable-and-executable memory), and cffi takes the GIL for them on
whichever thread calls them, the library's batch workers included;
vdb/_filter.py and vdb/_progress.py define them with ffi.def_extern.
"""

import os
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("VDB_SOURCE_DIR", HERE.parent.parent)).resolve()

ffibuilder = FFI()
ffibuilder.cdef((HERE / "vdb" / "_cdef.h").read_text())
ffibuilder.cdef('extern "Python" int _vdb_py_allow(uint64_t id, void *ctx);')
ffibuilder.cdef('extern "Python" int _vdb_py_progress(uint64_t done, uint64_t total, void *ctx);')
ffibuilder.set_source(
    "vdb._vdb_cffi",
    '#include "vdb.h"',
    include_dirs=[str(ROOT / "include")],
    libraries=["vdb"],
    # The bundled libvdb.so.<soname> sits beside the extension.
    extra_link_args=["-Wl,-rpath,$ORIGIN"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
