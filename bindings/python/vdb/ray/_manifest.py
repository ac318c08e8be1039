"""The manifest of a sharded index: ``manifest.json`` beside the shard files.

It records what a reader needs to serve and extend the shards without
opening them first: the shard count, the rule that routes an id to its
shard, the index configuration, how many vectors each shard got at build
time, and the libvdb version that built them. It is written last and
atomically, so a folder with a manifest holds every shard it names.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List

from .._errors import FormatError, VdbIOError

MANIFEST_NAME = "manifest.json"
FORMAT_NAME = "vdb.ray sharded index"
FORMAT_VERSION = 1


def shard_file_name(shard: int) -> str:
    """The file of shard `shard` inside the index folder: shard-0000.vdb, shard-0001.vdb, ..."""
    return f"shard-{shard:04d}.vdb"


@dataclass
class Manifest:
    """What manifest.json holds. `config` is what each shard's vdb.Index was made with;
    `counts[s]` is how many vectors shard s got at build time (changes since are not counted)."""

    num_shards: int
    hash: str
    config: Dict[str, Any]
    counts: List[int]
    libvdb_version: str
    files: List[str] = field(default_factory=list)

    @property
    def dim(self) -> int:
        return int(self.config["dim"])

    def shard_path(self, folder: str, shard: int) -> str:
        return os.path.join(folder, self.files[shard])

    def write(self, folder: str) -> None:
        """Write manifest.json into folder atomically (a temporary file renamed over it)."""
        body = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **asdict(self)}
        body["rule"] = f"shard = {self.hash}(id) mod num_shards"
        target = os.path.join(folder, MANIFEST_NAME)
        temporary = target + ".tmp"
        with open(temporary, "w") as out:
            json.dump(body, out, indent=2)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)


def read_manifest(folder: str) -> Manifest:
    """The manifest of the sharded index in `folder`.

    Raises:
        VdbIOError: no such folder, or no manifest in it (not built, or the build failed).
        FormatError: a manifest this version does not read.
    """
    target = os.path.join(folder, MANIFEST_NAME)
    if not os.path.isdir(folder):
        raise VdbIOError(f"{folder}: no such folder (a sharded index is a folder made by vdb.ray.build)")
    try:
        with open(target) as source:
            body = json.load(source)
    except FileNotFoundError:
        raise VdbIOError(f"{target}: no manifest; is {folder} a folder made by vdb.ray.build?") from None
    except (OSError, ValueError) as err:
        raise FormatError(f"{target}: unreadable manifest: {err}") from None
    if body.get("format") != FORMAT_NAME:
        raise FormatError(f"{target}: not a vdb.ray manifest")
    if body.get("format_version") != FORMAT_VERSION:
        raise FormatError(f"{target}: manifest version {body.get('format_version')}, this vdb reads {FORMAT_VERSION}")
    return Manifest(
        num_shards=int(body["num_shards"]),
        hash=str(body["hash"]),
        config=dict(body["config"]),
        counts=[int(c) for c in body["counts"]],
        libvdb_version=str(body["libvdb_version"]),
        files=list(body["files"]),
    )


__all__ = ["MANIFEST_NAME", "Manifest", "read_manifest", "shard_file_name"]
