"""The committed FFI declarations match include/vdb.h (tools/gen_bindings.py --check)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import vdb

ROOT = Path(__file__).resolve().parents[3]


def test_generated_files_are_up_to_date():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_bindings.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"run: python tools/gen_bindings.py\n{result.stdout}{result.stderr}"


def test_loaded_library_is_the_generated_version():
    assert vdb.library_version_number() == vdb.GENERATED_VERSION
    major, minor, patch = (int(p) for p in vdb.library_version().split("."))
    assert major * 10000 + minor * 100 + patch == vdb.GENERATED_VERSION
    assert vdb.__version__ == vdb.library_version()
