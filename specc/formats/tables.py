"""The dtype tables of the file formats, built from the one dtype table
(`specc.catalog.dtypes`). Generated modules get the same tables written as
literals by the emitter: this file is not embedded."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from specc.catalog.dtypes import (
    npy_dtypes,
    safetensors_bits,
    safetensors_dtypes,
    tf_dtypes,
)

#: .npy `descr` body (no byte-order mark; a kind letter alone: any size) -> name.
_NPY_DTYPES: Final[Mapping[str, str]] = MappingProxyType(npy_dtypes())
#: safetensors dtype code -> name.
_SAFETENSORS_DTYPES: Final[Mapping[str, str]] = MappingProxyType(safetensors_dtypes())
#: TF's DataType number -> (name, bytes per element).
_TF_DTYPES: Final[Mapping[int, tuple[str, int]]] = MappingProxyType(tf_dtypes())
#: safetensors dtype code (every code the format defines) -> size in bits.
_SAFETENSORS_BITS: Final[Mapping[str, int]] = MappingProxyType(safetensors_bits())
