"""The installed package loads its bundled libvdb, with no LD_LIBRARY_PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import vdb

PROBE = """
import os, vdb
maps = open('/proc/self/maps').read()
print([line.split()[-1] for line in maps.splitlines() if 'libvdb.so' in line][0])
print(os.path.dirname(vdb.__file__))
"""


def test_bundled_library_is_the_one_loaded():
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd="/", capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    loaded, package = result.stdout.split()
    assert Path(loaded).parent == Path(package)
    assert Path(loaded).name.startswith("libvdb.so.")


def test_extension_is_out_of_line_api_mode():
    from vdb import _vdb_cffi

    # API mode: the module was compiled against vdb.h, so it has a lib with real
    # C functions and the header's macro values, not a dlopen()ed library.
    assert _vdb_cffi.lib.VDB_VERSION_NUMBER == vdb.GENERATED_VERSION
    assert _vdb_cffi.__file__.endswith(".so")
