"""cffi builder for vdb._vdb_cffi (out-of-line API mode).

The cdef is vdb/_cdef.h, generated from include/vdb.h by
tools/gen_bindings.py. set_source includes the real header, so the C compiler
checks every declaration of the cdef against it, and cffi checks the struct
layout and the VDB_VERSION_* values. setup.py adds the folder of the
CMake-built libvdb to library_dirs before the extension is compiled.
"""

import os
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("VDB_SOURCE_DIR", HERE.parent.parent)).resolve()

ffibuilder = FFI()
ffibuilder.cdef((HERE / "vdb" / "_cdef.h").read_text())
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
