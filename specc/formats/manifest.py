"""The manifest `specc init` keeps in a sharded folder, and what says that
specc wrote an output.

`.specc-manifest.json` lists each file of a finished folder with the sha256
of each byte range its tasks wrote; `.specc-progress.json` does the same for
the files completed so far while a run goes on (and after one failed), under
their temporary names. `specc init --resume` re-hashes the files either lists
and skips those that still match (the same spec, seed and ranges); the rest
are written again. Both are deterministic: the same run gives the same bytes,
whatever the executor. Hidden files, so that globs for `*.safetensors` and
Hugging Face's loaders, which read the index, never see them.

specc overwrites only what it wrote, unless given `--force`: a safetensors
file whose `__metadata__` names a spec (`specc_spec`), an `.npz` whose zip
comment does (`npz_stream.py`), a folder holding a manifest (or progress), or
a TF checkpoint whose variables are exactly the spec's (TF's bundle has no
free-form field, and specc writes it byte for byte as TF does: re-initializing
a model over its own checkpoint is allowed, clobbering another is not).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any, Final

from specc.formats.atomic import write_atomic
from specc.formats.npz_stream import npz_metadata
from specc.formats.safetensors import MAX_SAFETENSORS_HEADER

#: the manifest of a finished folder
MANIFEST: Final = ".specc-manifest.json"
#: the files completed so far, while (or after) a run
PROGRESS: Final = ".specc-progress.json"
#: manifests larger than this are not read (a 100B model's has a few thousand
#: ranges: well under a megabyte)
_MAX_MANIFEST: Final = 64 << 20


def manifest_text(
    spec: str,
    spec_sha256: str,
    seed: int,
    files: Mapping[str, Sequence[Mapping[str, Any]]],
) -> str:
    """The manifest of `files` (file name -> the results of its tasks)."""
    body = {
        "specc_manifest": 1,
        "spec": spec,
        "spec_sha256": spec_sha256,
        "seed": seed,
        "files": {
            name: {
                "size": sum(int(r["length"]) for r in results),
                "ranges": [[r["offset"], r["length"], r["sha256"]] for r in results],
            }
            for name, results in files.items()
        },
    }
    return json.dumps(body, indent=1, sort_keys=True) + "\n"


def read_manifest(path: str) -> dict[str, Any] | None:
    """A manifest's content, or None when it is missing or not one."""
    try:
        with open(path, "rb") as f:
            raw = f.read(_MAX_MANIFEST + 1)
        found = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(found, dict) or found.get("specc_manifest") != 1:
        return None
    if not isinstance(found.get("files"), dict):
        return None
    return found


def write_manifest(path: str, text: str) -> None:
    write_atomic(path, text)


def manifest_ranges(
    manifest: Mapping[str, Any] | None, spec_sha256: str, seed: int, name: str
) -> list[tuple[int, int, str]] | None:
    """The ranges a manifest records for file `name`, when it was written
    for this spec and seed; else None."""
    if manifest is None:
        return None
    if manifest.get("spec_sha256") != spec_sha256 or manifest.get("seed") != seed:
        return None
    entry = manifest["files"].get(name)
    if not isinstance(entry, dict) or not isinstance(entry.get("ranges"), list):
        return None
    out = []
    for item in entry["ranges"]:
        if not (isinstance(item, list) and len(item) == 3):
            return None
        out.append((int(item[0]), int(item[1]), str(item[2])))
    return out


def _safetensors_by_specc(path: str) -> bool:
    """Whether a file's safetensors header has specc's `__metadata__`."""
    with open(path, "rb") as f:
        length = int.from_bytes(f.read(8), "little")
        raw = f.read(min(length, MAX_SAFETENSORS_HEADER))
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    return isinstance(meta, dict) and "specc_spec" in meta


def written_by_specc(path: str, fmt: str) -> bool:
    """Whether the existing output `path` (of format `fmt`: npz, safetensors
    or sharded) carries specc's mark. Raises OSError when it cannot be read."""
    if fmt == "npz":
        return npz_metadata(path) is not None
    if fmt == "safetensors":
        return _safetensors_by_specc(path)
    names = set(os.listdir(path))
    return not names or MANIFEST in names or PROGRESS in names
