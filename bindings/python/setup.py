"""Build the vdb Python package: libvdb from the repository's sources with
CMake, then the cffi extension (out-of-line API mode) linked against it.

The shared library is bundled inside the package as vdb/libvdb.so.<soname
version>, and the extension finds it through an rpath of $ORIGIN, so
`import vdb` needs no LD_LIBRARY_PATH and no system install of libvdb.

The C sources are found two folders up (this package lives in
bindings/python of the libvdb repository), or at $VDB_SOURCE_DIR.
pip >= 21.3 builds a local directory in place, so `pip install ./bindings/python`
sees them.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent


def source_root() -> Path:
    root = Path(os.environ.get("VDB_SOURCE_DIR", HERE.parent.parent)).resolve()
    if not (root / "include" / "vdb.h").is_file() or not (root / "lib" / "CMakeLists.txt").is_file():
        sys.exit(
            f"vdb: the libvdb sources are not at {root} (include/vdb.h, lib/). Build from the "
            "repository checkout with pip >= 21.3 (pip install ./bindings/python), or set "
            "VDB_SOURCE_DIR to the repository root."
        )
    return root


def header_version(root: Path) -> str:
    text = (root / "include" / "vdb.h").read_text()
    parts = [re.search(rf"^#define VDB_VERSION_{p} (\d+)$", text, re.M) for p in ("MAJOR", "MINOR", "PATCH")]
    if not all(parts):
        sys.exit("vdb: cannot read VDB_VERSION_MAJOR/MINOR/PATCH from include/vdb.h")
    return ".".join(m.group(1) for m in parts)  # type: ignore[union-attr]


class BuildWithLibvdb(build_ext):
    """Build libvdb with CMake first, link the extension to it, bundle the .so."""

    def run(self) -> None:
        root = source_root()
        cmake = shutil.which(os.environ.get("CMAKE", "cmake"))
        if cmake is None:
            sys.exit("vdb: cmake is not on PATH (Debian: apt-get install cmake)")
        cmake_dir = Path(self.build_temp).resolve() / "libvdb"
        jobs = str(os.cpu_count() or 2)
        self.spawn([
            cmake, "-S", str(root), "-B", str(cmake_dir),
            "-DCMAKE_BUILD_TYPE=Release",
            "-DVDB_BUILD_TESTS=OFF", "-DVDB_BUILD_TOOLS=OFF", "-DVDB_BUILD_BENCH=OFF",
            "-DVDB_WERROR=OFF",
        ])
        self.spawn([cmake, "--build", str(cmake_dir), "--target", "vdb", "-j", jobs])

        lib_dir = cmake_dir / "lib"
        link = lib_dir / "libvdb.so"
        # libvdb.so -> libvdb.so.<soname> -> libvdb.so.<version>: the middle name is
        # the soname, the name the extension's DT_NEEDED entry asks the loader for.
        soname = os.readlink(link) if link.is_symlink() else link.name
        self.libvdb = (lib_dir / soname).resolve()
        self.soname = soname
        for ext in self.extensions:
            ext.library_dirs.append(str(lib_dir))
        super().run()

    def build_extension(self, ext) -> None:  # type: ignore[no-untyped-def]
        super().build_extension(ext)
        # Put the library beside the extension, where $ORIGIN points.
        target = Path(self.get_ext_fullpath(ext.name)).parent / self.soname
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.libvdb, target)


setup(
    version=header_version(source_root()),
    cffi_modules=["vdb_build.py:ffibuilder"],
    cmdclass={"build_ext": BuildWithLibvdb},
    zip_safe=False,
)
