"""`specc check SPEC --against FILE`: header-only reading of .npz and .safetensors
files, the located report, the JSON form and exit codes."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from specc import cli
from specc.formats.arrays import ArrayInfo, CheckpointError
from specc.formats.npz import npy_dtype, parse_literal
from specc.formats.params import read_arrays

SPEC = """\
specc: 1
name: tiny
body:
  - scope: foo
    body:
      - var: v
        shape: [4, 8]
      - var: b
        shape: [8]
        initializer: zeros
      - var: steps
        shape: []
        dtype: int64
  - var: emb
    shape: [6, 2]
    partitioner: {fixed_size: {num_shards: 3}}
"""


def _good() -> dict[str, np.ndarray]:
    return {
        "foo/v": np.zeros((4, 8), np.float32),
        "foo/b": np.zeros(8, np.float32),
        "foo/steps": np.zeros((), np.int64),
        "emb": np.zeros((6, 2), np.float32),
    }


def run(argv: list[str]) -> int:
    """`specc check SPEC --against FILE [--json]` through the CLI."""
    return cli.main(["check", *argv])


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    p = tmp_path / "tiny.yaml"
    p.write_text(SPEC)
    return p


# ------------------------------------------------------------------ the reader


def test_parse_literal_handles_npy_headers() -> None:
    assert parse_literal("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }") == {
        "descr": "<f4",
        "fortran_order": False,
        "shape": (3, 4),
    }
    assert parse_literal("{'shape': (3,)}") == {"shape": (3,)}
    assert parse_literal("{'shape': ()}") == {"shape": ()}
    assert parse_literal("{'shape': (2L, 5L)}") == {"shape": (2, 5)}
    assert parse_literal("[('a', '<i4'), ('b', '<f8')]") == [("a", "<i4"), ("b", "<f8")]
    for bad in ("__import__('os')", "{'a': 1} x", "(1, 2", "{'a' 1}", "'\\x41'", "1.5"):
        with pytest.raises(ValueError):
            parse_literal(bad)


@pytest.mark.parametrize(
    ("descr", "name"),
    [
        ("<f4", "float32"),
        (">f4", "float32"),
        ("<f2", "float16"),
        ("<f8", "float64"),
        ("<i4", "int32"),
        ("<i8", "int64"),
        ("|i1", "int8"),
        ("|b1", "bool"),
        ("|u1", "uint8"),
        ("<u2", "uint16"),
        ("<c8", "complex64"),
        ("<c16", "complex128"),
        ("|S5", "string"),
        ("<V2", "bfloat16"),  # what np.save writes for an ml_dtypes.bfloat16 array
        ("<V4", "<V4"),
    ],
)
def test_npy_dtype_names(descr: str, name: str) -> None:
    assert npy_dtype(descr) == name


def test_reads_npz_written_by_numpy(tmp_path: Path) -> None:
    arrays = {
        "a/kernel": np.zeros((3, 4), np.float32),
        "b": np.zeros((), np.int64),
        "flags": np.zeros(5, bool),
        "half": np.zeros((2, 0), np.float16),
        "big": np.zeros(3, ">f8"),
    }
    for save in (np.savez, np.savez_compressed):
        path = tmp_path / f"{save.__name__}.npz"
        save(path, **arrays)  # type: ignore[operator]
        assert read_arrays(str(path)) == [
            ArrayInfo("a/kernel", (3, 4), "float32"),
            ArrayInfo("b", (), "int64"),
            ArrayInfo("flags", (5,), "bool"),
            ArrayInfo("half", (2, 0), "float16"),
            ArrayInfo("big", (3,), "float64"),
        ]


def test_reads_npy_format_version_2(tmp_path: Path) -> None:
    path = tmp_path / "v2.npz"
    with zipfile.ZipFile(path, "w") as zf, zf.open("w.npy", "w") as f:
        np.lib.format.write_array(f, np.zeros((2, 3), np.int32), version=(2, 0))
    assert read_arrays(str(path)) == [ArrayInfo("w", (2, 3), "int32")]


def test_reads_safetensors_written_by_the_package(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    path = tmp_path / "p.safetensors"
    save_file(
        {"x/k": np.zeros((2, 3), np.float32), "n": np.zeros(4, np.int32)},
        str(path),
        metadata={"format": "np"},
    )
    assert sorted(read_arrays(str(path)), key=lambda a: a.name) == [
        ArrayInfo("n", (4,), "int32"),
        ArrayInfo("x/k", (2, 3), "float32"),
    ]


def _safetensors(path: Path, header: dict[str, object]) -> None:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw)


def test_reads_safetensors_dtype_codes_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "h.safetensors"
    codes = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I8": 1, "I16": 2, "I32": 4}
    codes |= {"I64": 8, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F4": 1}
    header: dict[str, object] = {"__metadata__": {"a": "b"}}
    at = 0
    for code, size in codes.items():
        count = 2 if code == "F4" else 1  # two 4-bit values are one byte
        header[code] = {"dtype": code, "shape": [count], "data_offsets": [at, at + size]}
        at += size
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(at))
    assert [a.dtype for a in read_arrays(str(path))] == [
        "float32",
        "float16",
        "bfloat16",
        "float64",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "bool",
        "F8_E4M3",
        "F4",
    ]


def test_malformed_files_raise(tmp_path: Path) -> None:
    cases = {
        "a.npz": b"not a zip",
        "b.safetensors": b"\x01",
        "c.safetensors": struct.pack("<Q", 1 << 40) + b"{}",
        "d.safetensors": struct.pack("<Q", 3) + b"[1]",
        "e.txt": b"",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(CheckpointError, match=name):
            read_arrays(str(tmp_path / name))
    bad_member = tmp_path / "f.npz"
    with zipfile.ZipFile(bad_member, "w") as zf:
        zf.writestr("x.npy", b"\x93NUMPY\x01\x00\x10\x00{'descr': os.system}")
    with pytest.raises(CheckpointError, match=r"malformed \.npy header"):
        read_arrays(str(bad_member))


# ------------------------------------------------------------------ the command


def test_json_report_carries_the_warnings_and_strict_fails_on_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--json --against` has the same "warnings" key as `--json` alone, and
    `--strict` turns a warning into exit 1 in both."""
    monkeypatch.chdir(tmp_path)
    Path("warn.yaml").write_text(
        "specc: 1\nname: warn\nparams: {unused: 3}\nbody:\n  - {var: v, shape: [2]}\n"
    )
    np.savez("v.npz", v=np.zeros(2, np.float32))
    for extra in ([], ["--against", "v.npz"]):
        assert run(["warn.yaml", "--json", *extra]) == 0
        report = json.loads(capsys.readouterr().out)
        assert [w["code"] for w in report["warnings"]] == ["unused-param"]
        assert report["warnings"][0]["severity"] == "warning"
        assert run(["warn.yaml", "--json", "--strict", *extra]) == 1
        assert json.loads(capsys.readouterr().out)["warnings"] == report["warnings"]
    assert run(["warn.yaml", "--against", "v.npz"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "warn.yaml: ok: v.npz matches its variable\n"
    assert "unused-param" in captured.err


def test_matching_file_exits_0(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    np.savez("good.npz", **_good())
    assert run(["tiny.yaml", "--against", "good.npz"]) == 0
    assert capsys.readouterr().out == "tiny.yaml: ok: good.npz matches all 4 variables\n"
    assert run(["tiny.yaml", "--against", "good.npz", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "errors": [],
        "warnings": [],
        "variables": 4,
        "parameters": 32 + 8 + 1 + 12,
        "bytes": 4 * 32 + 4 * 8 + 8 + 4 * 12,
        "against": {
            "file": "good.npz",
            "format": "npz",
            "keys": 4,
            "ok": True,
            "missing": [],
            "mismatched": [],
            "unexpected": [],
        },
    }


def test_disagreements_are_located(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from safetensors.numpy import save_file

    params = _good()
    del params["foo/b"]
    params["foo/v"] = np.zeros((4, 9), np.float32)
    params["foo/steps"] = np.zeros((), np.int32)
    del params["emb"]
    for i in range(3):
        params[f"emb/part_{i}"] = np.zeros((2, 2), np.float32)
    params["global_step"] = np.zeros((), np.int64)
    save_file(params, "bad.safetensors")
    assert run(["tiny.yaml", "--against", "bad.safetensors"]) == 1
    assert capsys.readouterr().out == (
        "tiny.yaml:8:9: missing: foo/b [8] float32 is not in bad.safetensors\n"
        "tiny.yaml:14:5: missing: emb [6, 2] float32 is not in bad.safetensors (the file "
        "holds 3 of its 3 parts as separate keys, emb/part_0, ...; specc expects one whole "
        "array under the variable's name)\n"
        "tiny.yaml:6:9: shape: foo/v: shape [4, 8] in the spec, [4, 9] in the file\n"
        "tiny.yaml:11:9: dtype: foo/steps: dtype int64 in the spec, int32 in the file\n"
        "bad.safetensors: unexpected: emb/part_0 [2, 2] float32 is not a variable of tiny.yaml\n"
        "bad.safetensors: unexpected: emb/part_1 [2, 2] float32 is not a variable of tiny.yaml\n"
        "bad.safetensors: unexpected: emb/part_2 [2, 2] float32 is not a variable of tiny.yaml\n"
        "bad.safetensors: unexpected: global_step [] int64 is not a variable of tiny.yaml\n"
        "tiny.yaml: bad.safetensors disagrees with the spec in 8 places "
        "(2 missing, 2 mismatched, 4 unexpected)\n"
    )
    assert run(["tiny.yaml", "--against", "bad.safetensors", "--json"]) == 1
    against = json.loads(capsys.readouterr().out)["against"]
    assert against["ok"] is False and against["format"] == "safetensors"
    assert against["keys"] == 6
    assert against["missing"] == [
        {"name": "foo/b", "shape": [8], "dtype": "float32", "defined_at": "tiny.yaml:8:9"},
        {
            "name": "emb",
            "shape": [6, 2],
            "dtype": "float32",
            "defined_at": "tiny.yaml:14:5",
            "parts_in_file": ["emb/part_0", "emb/part_1", "emb/part_2"],
        },
    ]
    assert against["mismatched"] == [
        {
            "name": "foo/v",
            "defined_at": "tiny.yaml:6:9",
            "spec": {"shape": [4, 8], "dtype": "float32"},
            "file": {"shape": [4, 9], "dtype": "float32"},
        },
        {
            "name": "foo/steps",
            "defined_at": "tiny.yaml:11:9",
            "spec": {"shape": [], "dtype": "int64"},
            "file": {"shape": [], "dtype": "int32"},
        },
    ]
    assert [u["name"] for u in against["unexpected"]] == [
        "emb/part_0",
        "emb/part_1",
        "emb/part_2",
        "global_step",
    ]


def test_shape_and_dtype_both_wrong(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    params = _good()
    params["foo/v"] = np.zeros(3, np.float64)
    np.savez("p.npz", **params)
    assert run(["tiny.yaml", "--against", "p.npz"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        "tiny.yaml:6:9: shape and dtype: foo/v: shape [4, 8] in the spec, [3] in the file; "
        "dtype float32 in the spec, float64 in the file"
    )


def test_file_written_by_specc_init_matches(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from specc.emit import load_module, render_module
    from specc.pipeline import compile_file

    comp = compile_file("tiny.yaml")
    assert comp.table is not None
    module = load_module(render_module(comp.table, "tiny.yaml", "tiny.py"), "tiny.py")
    for out in ("init.npz", "init.safetensors"):
        module.init_file(out, 0)
        assert run(["tiny.yaml", "--against", out]) == 0
        assert capsys.readouterr().out.endswith(f"ok: {out} matches all 4 variables\n")


def test_unreadable_files_are_usage_errors(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["tiny.yaml", "--against", "missing.npz"]) == 2
    assert "specc: error: no such parameter file: missing.npz" in capsys.readouterr().err
    Path("junk.npz").write_bytes(b"junk")
    assert run(["tiny.yaml", "--against", "junk.npz"]) == 2
    assert (
        "specc: error: junk.npz: not a valid npz file: not a zip archive" in capsys.readouterr().err
    )
    Path("p.bin").write_bytes(b"")
    assert run(["tiny.yaml", "--against", "p.bin"]) == 2
    assert "expected a .npz or .safetensors file" in capsys.readouterr().err


def test_spec_errors_come_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("specc: 1\nname: bad\nbody:\n  - var: w\n")
    assert run([str(bad), "--against", str(tmp_path / "missing.npz")]) == 1
    assert "error[shape-undefined]" in capsys.readouterr().err
