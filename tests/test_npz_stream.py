"""The streamed `.npz` writer writes, from chunks, the members `np.savez` writes
for whole arrays (bfloat16 as NumPy saves an ml_dtypes array), plus the zip
comment that marks specc's files."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import ml_dtypes
import numpy as np
import pytest

from specc.formats.npz_stream import npz_comment, npz_metadata, write_npz_streamed

ARRAYS: list[tuple[str, Any, str]] = [
    ("f32", np.arange(70000, dtype=np.float32).reshape(700, 100), "float32"),
    ("f16", np.linspace(-1, 1, 30, dtype=np.float16).reshape(5, 6), "float16"),
    ("i64", np.array(7, dtype=np.int64), "int64"),
    (
        "bf",
        np.linspace(-2, 2, 12, dtype=np.float32).astype(ml_dtypes.bfloat16).reshape(3, 4),
        "bfloat16",
    ),
    ("s", np.array([b"a", b"bcd"]), "string"),
    ("empty", np.zeros((0, 3), np.float32), "float32"),
]


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_streamed_members_are_the_bytes_np_savez_writes(tmp_path: Any, chunk: int) -> None:
    entries = [(n, tuple(a.shape), d) for n, a, d in ARRAYS]
    whole = io.BytesIO()
    np.savez(whole, **{n: a for n, a, _ in ARRAYS})
    by_name = {n: a for n, a, _ in ARRAYS}

    def chunks(name: str) -> Any:
        flat = by_name[name].reshape(-1)
        if flat.size == 0:
            yield flat
        for lo in range(0, flat.size, chunk):
            yield flat[lo : lo + chunk]

    path = tmp_path / "s.npz"
    with open(path, "wb") as f:
        write_npz_streamed(f, entries, chunks, npz_comment({"specc_spec": "m"}))
    assert _members(path.read_bytes()) == _members(whole.getvalue())
    assert npz_metadata(str(path)) == {"specc_spec": "m"}
    plain = tmp_path / "p.npz"
    plain.write_bytes(whole.getvalue())
    assert npz_metadata(str(plain)) is None
