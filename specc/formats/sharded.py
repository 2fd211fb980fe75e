"""Sharded `.safetensors` folders, laid out as Hugging Face writes them.

`huggingface_hub.split_torch_state_dict_into_shards` (which transformers'
`save_pretrained` calls) packs tensors greedily in the state dict's order: a
tensor that would tip the current shard over `max_shard_size` starts a new
one, a tensor larger than `max_shard_size` gets a shard of its own, and the
shards are named `model-00001-of-0000N.safetensors`. One shard is written as
`model.safetensors` without an index; several get
`model.safetensors.index.json`: `{"metadata": {"total_size": BYTES},
"weight_map": {tensor: file}}`, written as `save_pretrained` writes it
(`json.dumps(index, indent=2, sort_keys=True) + "\\n"`). Sizes are decimal,
as `parse_size_to_int` reads them (`5GB` is 5 * 10**9 bytes).

specc packs in table order, the order its own single files (and `save()`)
use, which is the order a TF state dict lists its variables in.

A folder (or its index) is read as one parameter file: its arrays are the
shards' arrays, in the index's order, each read from the file the index
names. Listing them reads only the shards' headers.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from specc.formats.arrays import ArrayInfo, CheckpointError
from specc.formats.safetensors import read_safetensors, read_safetensors_arrays

if TYPE_CHECKING:
    import numpy.typing as npt

#: `huggingface_hub`'s default `max_shard_size`
MAX_SHARD_SIZE: Final = 5_000_000_000
#: the index of a sharded folder
SHARD_INDEX: Final = "model.safetensors.index.json"
#: the one file of a folder that needed a single shard
SINGLE_SHARD: Final = "model.safetensors"
#: index files larger than this are refused (a million tensors' names fit)
MAX_INDEX_BYTES: Final = 256 << 20

#: the largest size (bytes) a file offset can hold
_MAX_SIZE: Final = 2**63 - 1
#: `parse_size_to_int`'s units (decimal, two letters), and the binary ones
_SIZE_UNITS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "TB": 10**12,
        "GB": 10**9,
        "MB": 10**6,
        "KB": 10**3,
        "TIB": 1 << 40,
        "GIB": 1 << 30,
        "MIB": 1 << 20,
        "KIB": 1 << 10,
    }
)


def parse_size(text: str) -> int:
    """Bytes from a size such as `5GB`, `500MB` or `1.5 GB` (decimal, as
    `huggingface_hub.parse_size_to_int` reads them), `64MiB` (binary), or
    plain digits (bytes); any case, ASCII digits only. Raises ValueError for
    anything else: less than one byte, more than 2**63 - 1, not finite."""
    s = text.strip()
    if not s.isascii():
        raise ValueError(f"a size is written in ASCII digits and a unit, got {text!r}")
    size: float
    if s.isdigit():
        # more digits than 2**63 has: too large, and never a huge int parse
        size = int(s) if len(s) <= 19 else math.inf
    else:
        ends = (s[-3:].upper(), s[-2:].upper())
        unit = next((u for u in ends if u in _SIZE_UNITS), None)
        if unit is None:
            msg = f"expected a size such as 5GB, 500MB, 64MiB or bytes, got {text!r}"
            raise ValueError(msg)
        try:
            size = float(s[: -len(unit)].strip()) * _SIZE_UNITS[unit]
        except ValueError:
            raise ValueError(f"cannot read the number in {text!r}") from None
    if size < 1:
        raise ValueError(f"a size must be at least one byte, got {text!r}")
    if not size <= _MAX_SIZE:  # also NaN
        raise ValueError(f"a size must be at most 2**63 - 1 bytes, got {text!r}")
    return int(size)


def shard_name(index: int, count: int) -> str:
    """The file name of shard `index` (0-based) of `count`."""
    if count == 1:
        return SINGLE_SHARD
    return f"model-{index + 1:05d}-of-{count:05d}.safetensors"


def split_shards(
    sizes: Sequence[tuple[str, int]], max_shard_size: int
) -> list[tuple[str, list[str]]]:
    """(file name, tensor names) of each shard, for tensors of these byte sizes
    in this order, packed as `split_state_dict_into_shards_factory` packs them."""
    shards: list[list[str]] = []
    current: list[str] = []
    current_size = 0
    for name, size in sizes:
        if size > max_shard_size:
            shards.append([name])  # alone, and the current shard stays open
            continue
        if current and current_size + size > max_shard_size:
            shards.append(current)
            current, current_size = [], 0
        current.append(name)
        current_size += size
    if current or not shards:
        shards.append(current)
    return [(shard_name(i, len(shards)), names) for i, names in enumerate(shards)]


def shard_index_text(
    shards: Sequence[tuple[str, Sequence[str]]],
    total_size: int,
) -> str:
    """The text of `model.safetensors.index.json`, as `save_pretrained` writes
    it (keys sorted, two-space indent, a final newline)."""
    weight_map = {name: file for file, names in shards for name in names}
    index = {"metadata": {"total_size": total_size}, "weight_map": weight_map}
    return json.dumps(index, indent=2, sort_keys=True) + "\n"


# ------------------------------------------------------------------ reading


def sharded_index_path(path: str) -> str | None:
    """The index of a sharded folder given as the folder or the index, or
    None when `path` is neither (a folder of one shard has no index)."""
    if path.endswith(".safetensors.index.json"):
        return path
    candidate = os.path.join(path, SHARD_INDEX)
    if os.path.isdir(path) and os.path.isfile(candidate):
        return candidate
    return None


def is_sharded_folder(path: str) -> bool:
    """A folder of shards (with its index) or of one `model.safetensors`."""
    if sharded_index_path(path) is not None:
        return True
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, SINGLE_SHARD))


def _weight_map(index_path: str) -> dict[str, str]:
    """The index's tensor -> file map, each file checked to be a plain name in
    the index's folder."""
    try:
        with open(index_path, "rb") as f:
            raw = f.read(MAX_INDEX_BYTES + 1)
    except FileNotFoundError:
        raise CheckpointError(index_path, "no such file") from None
    if len(raw) > MAX_INDEX_BYTES:
        raise CheckpointError(index_path, "index too large")
    try:
        index = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise CheckpointError(index_path, f"malformed index: {e}") from None
    weights = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(weights, dict):
        raise CheckpointError(index_path, "malformed index: no weight_map")
    for key, file in weights.items():
        plain = isinstance(file, str) and os.path.basename(file) == file
        if not plain or file in ("", ".", ".."):
            msg = f"malformed index: {key!r} maps to {file!r}, not a file beside it"
            raise CheckpointError(index_path, msg)
    return weights


def _shards(path: str) -> tuple[str, dict[str, str]]:
    """(folder, tensor -> file name) of a sharded folder or its index."""
    index = sharded_index_path(path)
    if index is None:
        single = os.path.join(path, SINGLE_SHARD)
        if os.path.isfile(single):
            return path, {a.name: SINGLE_SHARD for a in read_safetensors(single)}
        raise CheckpointError(path, f"a folder without {SHARD_INDEX} or {SINGLE_SHARD}")
    return os.path.dirname(index) or ".", _weight_map(index)


def _files(weights: Mapping[str, str]) -> list[str]:
    """The files a weight map names, in order of first mention."""
    return list(dict.fromkeys(weights.values()))


def read_sharded(path: str) -> list[ArrayInfo]:
    """The arrays of a sharded folder (or its index), in the index's order,
    from the shards' headers. A tensor the index names that its file lacks,
    or one a shard holds that the index does not name, is a CheckpointError."""
    folder, weights = _shards(path)
    found: dict[str, ArrayInfo] = {}
    for file in _files(weights):
        shard = os.path.join(folder, file)
        if not os.path.isfile(shard):
            raise CheckpointError(path, f"the index names {file}, which is missing")
        for a in read_safetensors(shard):
            if weights.get(a.name) != file:
                msg = f"{file} holds {a.name!r}, which the index does not map to it"
                raise CheckpointError(path, msg)
            found[a.name] = a
    missing = [k for k in weights if k not in found]
    if missing:
        msg = f"{weights[missing[0]]} lacks {missing[0]!r}, which the index maps to it"
        raise CheckpointError(path, msg)
    return [found[k] for k in weights]


def read_sharded_arrays(
    path: str,
    only: str | None = None,
) -> dict[str, npt.NDArray[Any]]:
    """The arrays of a sharded folder (only the one keyed `only`, when given),
    one shard open at a time."""
    folder, weights = _shards(path)
    if only is not None:
        file = weights.get(only)
        if file is None:
            return {}
        return read_safetensors_arrays(os.path.join(folder, file), only)
    out: dict[str, npt.NDArray[Any]] = {}
    for file in _files(weights):
        out.update(read_safetensors_arrays(os.path.join(folder, file)))
    return {k: out[k] for k in weights if k in out}
