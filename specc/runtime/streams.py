"""The random streams: one PCG64 stream per 65,536-element block, keyed by
(seed, blake2b-128(name), block) (docs/rng.md)."""

from __future__ import annotations

import hashlib
import struct
from typing import Any, Final

import numpy as np

from specc.runtime.generated import DEFAULT_SEED

# --------------------------------------------------------------------- streams

_PERSON: Final = b"specc-rng-v2"


def _name_hash(name: str) -> bytes:
    return hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()


#: Consecutive blocks one task fills together. Each NumPy call then covers
#: several blocks, so a thread drops and retakes the GIL a few times per task
#: instead of per block: hand-offs that cost far more than the calls on a
#: virtual machine, and kept two threads from scaling.
_TASK_BLOCKS: Final = 4


def _stream_state(seed: int, name_hash: bytes, block: int) -> dict[str, Any]:
    """The PCG64 state of one block: state and increment from blake2b of
    (seed, blake2b-128(name), block), all fixed-width little-endian."""
    key = struct.pack("<Q", seed) + name_hash + struct.pack("<Q", block)
    d = hashlib.blake2b(key, digest_size=32, person=_PERSON).digest()
    return {
        "bit_generator": "PCG64",
        "state": {
            "state": int.from_bytes(d[:16], "little"),
            "inc": int.from_bytes(d[16:], "little") | 1,
        },
        "has_uint32": 0,
        "uinteger": 0,
    }


def _generator(seed: int, name_hash: bytes, block: int) -> np.random.Generator:
    """The stream of one block, on a generator of its own."""
    gen = np.random.Generator(np.random.PCG64(0))
    gen.bit_generator.state = _stream_state(seed, name_hash, block)
    return gen


def _check_seed(seed: int | None) -> int:
    if seed is None:
        return DEFAULT_SEED
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**64:
        raise ValueError(f"seed must be an integer in [0, 2**64), got {seed!r}")
    return seed
