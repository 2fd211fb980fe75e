"""bfloat16 with NumPy alone.

NumPy has no bfloat16 type. Generated modules hold a bfloat16 array as its
16-bit patterns: an array of `ml_dtypes.bfloat16` when `ml_dtypes` (the
package JAX and TensorFlow use) can be imported, else a `uint16` array of the
same bits (docs/module.md). The rounding from float32 is computed here on the
bits, with NumPy alone, whichever is returned: round to nearest, ties to even,
as TensorFlow's and ml_dtypes' casts round (Eigen's `float_to_bfloat16_rtne`);
overflow rounds to infinity; a NaN becomes the quiet NaN 0x7FC0 with its sign.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import numpy as np

    from specc.runtime.prelude import Array
else:
    from specc.formats.lazy import numpy as np

#: A NaN's bfloat16 bits, sign apart: exponent all ones, the quiet bit set.
_BFLOAT16_QUIET_NAN: Final = 0x7FC0


@cache
def _ml_bfloat16() -> np.dtype[Any] | None:
    """`ml_dtypes.bfloat16` when `ml_dtypes` can be imported, else None (looked
    up once; importing it registers the type with NumPy)."""
    try:
        ml_dtypes = importlib.import_module("ml_dtypes")
    except ImportError:
        return None
    dtype: np.dtype[Any] = np.dtype(ml_dtypes.bfloat16)
    return dtype


def bfloat16_dtype() -> np.dtype[Any]:
    """The NumPy dtype of bfloat16 arrays here: `ml_dtypes.bfloat16`, or uint16
    (the bit patterns) without ml_dtypes."""
    ml = _ml_bfloat16()
    return np.dtype(np.uint16) if ml is None else ml


def storage_dtype(name: str) -> np.dtype[Any]:
    """The NumPy dtype of an array of specc dtype `name` (bfloat16 included; a
    string variable holds UTF-8 bytes, `S` of the width its longest needs)."""
    if name == "string":
        return np.dtype("S")
    return bfloat16_dtype() if name == "bfloat16" else np.dtype(name)


def as_bytes(value: Any) -> Any:
    """A literal's strings as UTF-8 bytes (nested lists kept), as TF holds them."""
    if isinstance(value, list):
        return [as_bytes(v) for v in value]
    return value.encode("utf-8") if isinstance(value, str) else value


def is_bfloat16(dtype: np.dtype[Any]) -> bool:
    """Whether `dtype` is ml_dtypes' bfloat16 (uint16 bits are not told apart
    from integers by their dtype: the variable's dtype says which they are)."""
    return dtype.name == "bfloat16" and dtype.itemsize == 2


def as_bfloat16(bits: Array) -> Array:
    """uint16 bit patterns as a bfloat16 array (a view, no copy)."""
    return bits.view(bfloat16_dtype())


def bfloat16_bits(a: Array) -> Array:
    """The uint16 bit patterns of a bfloat16 array (ml_dtypes' or uint16)."""
    return np.asarray(a).view(np.uint16)


def to_bfloat16(values: Array) -> Array:
    """float32 `values` rounded to bfloat16 (see the module docstring), as an
    array of `bfloat16_dtype()`."""
    f = np.ascontiguousarray(values, dtype=np.float32)
    bits = f.view(np.uint32)
    # Add 0x7FFF plus the bit that becomes the last kept one, then drop the low
    # 16 bits: ties go to the even neighbour, and the carry rounds a finite
    # value past the largest one into infinity, as IEEE rounding does.
    rounded = bits >> 16
    rounded &= 1
    rounded += 0x7FFF
    rounded += bits  # wraps only for NaNs, which are replaced below
    rounded >>= 16
    out = rounded.astype(np.uint16)
    nan = np.isnan(f)
    if nan.any():
        sign = (bits[nan] >> 16).astype(np.uint16) & 0x8000
        out[nan] = sign | _BFLOAT16_QUIET_NAN
    return as_bfloat16(out)


def from_bfloat16(a: Array) -> Array:
    """The float32 values of a bfloat16 array (exact: a bfloat16 is the top 16
    bits of a float32)."""
    bits = bfloat16_bits(a).astype(np.uint32)
    bits <<= 16
    return bits.view(np.float32)
