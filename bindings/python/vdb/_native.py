"""The compiled cffi module, checked against the header it was generated from.

The check compares three numbers: GENERATED_VERSION (the header that
tools/gen_bindings.py read), VDB_VERSION_NUMBER as compiled into the
extension, and vdb_version_number() of the libvdb actually loaded.
"""

from __future__ import annotations

from ._generated import GENERATED_VERSION

try:
    from ._vdb_cffi import ffi, lib
except ImportError as err:  # pragma: no cover - depends on the install
    raise ImportError(
        "vdb: the compiled extension vdb._vdb_cffi (or its bundled libvdb.so) cannot be "
        f"loaded: {err}. Install the package with `pip install ./bindings/python` from "
        "the libvdb repository."
    ) from err


def _check_versions() -> None:
    running = int(lib.vdb_version_number())
    compiled = int(lib.VDB_VERSION_NUMBER)
    if running != GENERATED_VERSION or compiled != GENERATED_VERSION:
        raise ImportError(
            f"vdb: version mismatch: this binding was generated for libvdb {GENERATED_VERSION} "
            f"(VDB_VERSION_NUMBER), compiled against {compiled}, but the libvdb loaded is "
            f"{running} ({ffi.string(lib.vdb_version_string()).decode()}). Rebuild the package "
            "(pip install ./bindings/python) and make sure no other libvdb.so shadows the bundled one."
        )


_check_versions()

__all__ = ["ffi", "lib"]
