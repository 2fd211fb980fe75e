"""The parameter-file readers refuse every corrupt file with one reason, before
allocating anything: a table of hand-made .safetensors and .npz files (each
field of the format broken in turn), read through the readers, `specc check
--against` (exit 2, one line) and a generated module's `load()`
(`ParamsError`); FIFOs and devices are never opened for reading; the files
`benchmarks/fuzz.py` found are kept here as regression cases."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import tracemalloc
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from specc import cli
from specc.formats import arrays
from specc.formats.arrays import ArrayInfo, CheckpointError
from specc.formats.params import read_arrays, read_params

ROOT = Path(__file__).resolve().parent.parent
#: what benchmarks/fuzz.py found (see test_fuzz_reproducers_are_refused_with_a_reason)
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "readers"

SPEC = """\
specc: 1
name: tiny
body:
  - var: w
    shape: [2, 3]
"""


# ------------------------------------------------------------------ safetensors


def st(header: object, data: bytes = b"", *, length: int | None = None) -> bytes:
    """A .safetensors file: `header` as JSON (bytes as they are), then `data`."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


def w(dtype: str = "F32", shape: object = None, offsets: object = None) -> dict[str, object]:
    """One tensor entry (default: 2x3 float32 at [0, 24])."""
    return {
        "dtype": dtype,
        "shape": [2, 3] if shape is None else shape,
        "data_offsets": [0, 24] if offsets is None else offsets,
    }


GOOD_DATA = bytes(24)

#: name -> (file bytes, the reason's text)
SAFETENSORS_CASES: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "0 bytes, too few for a header length"),
    "short length": (b"\x01\x00\x00", "3 bytes, too few for a header length"),
    "header too large": (st(b"{}", length=100_000_001), "header length 100000001 is over"),
    "header past the end": (st(b"{}", length=64), "header length 64 is past the end"),
    "not utf-8": (st(b'{"\xff": 1}'), "header is not UTF-8 (invalid start byte at byte 2)"),
    "deep nesting": (st(b"[" * 200_000 + b"]" * 200_000), "nests deeper than 128 levels"),
    "deep unterminated": (st(b'{"a":' * 100_000), "nests deeper than 128 levels"),
    "unterminated string": (st(b'{"a": "\\'), "header is not JSON"),
    "not json": (st(b"{nope}"), "header is not JSON (Expecting property name"),
    "nan": (st(b'{"a": NaN}'), "NaN is not JSON"),
    "long number": (st(b'{"a": 123456789012345678901}'), "a number of more than 20 digits"),
    "not an object": (st([1, 2]), "header is not a JSON object"),
    "duplicate key": (
        st(b'{"w": ' + json.dumps(w()).encode() + b', "w": 1}', GOOD_DATA),
        "key 'w' appears twice",
    ),
    "metadata not an object": (st({"__metadata__": [1]}), "__metadata__ is not a JSON object"),
    "metadata not strings": (st({"__metadata__": {"a": 1}}), "__metadata__ 'a' is not a string"),
    "entry not an object": (st({"w": [1]}), "tensor 'w' is not a JSON object"),
    "unknown dtype": (st({"w": w("F7")}, GOOD_DATA), "tensor 'w' has unknown dtype 'F7'"),
    "missing dtype": (st({"w": {"shape": [1], "data_offsets": [0, 4]}}), "unknown dtype None"),
    "negative dimension": (st({"w": w(shape=[-2, 3])}, GOOD_DATA), "bad shape [-2, 3]"),
    "boolean dimension": (st({"w": w(shape=[True, 3])}, GOOD_DATA), "bad shape [True, 3]"),
    "float dimension": (st({"w": w(shape=[2.0, 3])}, GOOD_DATA), "bad shape [2.0, 3]"),
    "huge dimension": (st({"w": w(shape=[0, 2**64])}), "bad shape [0, 18446744073709551616]"),
    "shape not a list": (st({"w": w(shape="2x3")}, GOOD_DATA), "bad shape '2x3'"),
    "one offset": (st({"w": w(offsets=[24])}, GOOD_DATA), "bad data_offsets [24]"),
    "negative offset": (st({"w": w(offsets=[-1, 23])}, GOOD_DATA), "bad data_offsets [-1, 23]"),
    "offsets reversed": (st({"w": w(offsets=[24, 0])}, GOOD_DATA), "[24, 0] end before they begin"),
    "gap": (st({"w": w(offsets=[8, 32])}, bytes(32)), "leave a gap after the data before (to 0)"),
    "overlap": (
        st({"a": w(), "b": w(offsets=[16, 40])}, bytes(40)),
        "tensor 'b': data_offsets [16, 40] overlap the data before (to 24)",
    ),
    "size disagrees": (
        st({"w": w(offsets=[0, 20])}, bytes(20)),
        "[0, 20] hold 20, but shape [2, 3] of F32 is 24 bytes",
    ),
    "data left over": (st({"w": w()}, bytes(25)), "the tensors cover 24 of the 25 data bytes"),
    "data missing": (st({"w": w()}, bytes(23)), "data_offsets [0, 24] pass the 23 data bytes"),
    "not whole bytes": (
        st({"w": w("F4", [3], [0, 1])}, bytes(1)),
        "tensor 'w': 12 bits of F4 are not whole bytes",
    ),
    "lone surrogate": (st(b'{"\\ud800": {}}'), "tensor name '\\ud800' is not valid Unicode"),
    "claims 10 GB": (
        st({"w": w(shape=[2_500_000_000], offsets=[0, 10_000_000_000])}, bytes(24)),
        "data_offsets [0, 10000000000] pass the 24 data bytes",
    ),
    "claims 10 GB of shape": (
        st({"w": w(shape=[50_000, 50_000], offsets=[0, 24])}, bytes(24)),
        "shape [50000, 50000] is larger than the file",
    ),
    "astronomic shape": (
        st({"w": w(shape=[2**63] * 1000, offsets=[0, 24])}, bytes(24)),
        "is larger than the file",
    ),
}


# ------------------------------------------------------------------ npz


def npy(a: np.ndarray) -> bytes:
    """The .npy bytes NumPy writes for `a`."""
    f = io.BytesIO()
    np.lib.format.write_array(f, a)
    return f.getvalue()


def npy_raw(header: str, data: bytes = b"", *, version: tuple[int, int] = (1, 0)) -> bytes:
    """A .npy stream with this header text (padded to 64 bytes with a newline)."""
    text = header.encode("latin-1")
    fixed = 10 if version[0] == 1 else 12
    text += b" " * (-(fixed + len(text) + 1) % 64) + b"\n"
    size = struct.pack("<H" if version[0] == 1 else "<I", len(text))
    return b"\x93NUMPY" + bytes(version) + size + text + data


GOOD_NPY = npy(np.zeros((2, 3), np.float32))


@dataclass(frozen=True)
class Member:
    """A zip member as written by `zip_bytes`; each field may be corrupted."""

    name: bytes
    data: bytes
    method: int = zipfile.ZIP_STORED
    flags: int = 0
    #: overrides of what the directory says (None: the truth)
    crc: int | None = None
    compressed_size: int | None = None
    size: int | None = None
    offset: int | None = None


def zip_bytes(members: list[Member]) -> bytes:
    """A zip archive written field by field (what `zipfile` would never write)."""
    out = bytearray()
    directory = bytearray()
    for m in members:
        body = m.data
        if m.method == zipfile.ZIP_DEFLATED:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            body = c.compress(m.data) + c.flush()
        crc = zlib.crc32(m.data) if m.crc is None else m.crc
        csize = len(body) if m.compressed_size is None else m.compressed_size
        size = len(m.data) if m.size is None else m.size
        offset = len(out) if m.offset is None else m.offset
        fields = struct.pack("<HHHHHIII", 20, m.flags, m.method, 0, 0x21, crc, csize, size)
        out += b"PK\x03\x04" + fields + struct.pack("<HH", len(m.name), 0) + m.name + body
        directory += (
            b"PK\x01\x02"
            + struct.pack("<H", 20)
            + fields
            + struct.pack("<HHHHHII", len(m.name), 0, 0, 0, 0, 0, offset)
            + m.name
        )
    end = struct.pack("<HHHHIIH", 0, 0, len(members), len(members), len(directory), len(out), 0)
    return bytes(out + directory + b"PK\x05\x06" + end)


def one(**kw: object) -> bytes:
    """An archive of one member `w.npy` (2x3 float32 zeros), fields overridden."""
    base = Member(b"w.npy", GOOD_NPY)
    return zip_bytes([replace(base, **kw)])  # type: ignore[arg-type]


def _crc_flipped() -> bytes:
    data = bytearray(one())
    data[data.index(GOOD_NPY) + len(GOOD_NPY) - 1] ^= 1  # the last data byte
    return bytes(data)


def _deflate_broken() -> bytes:
    data = bytearray(one(method=zipfile.ZIP_DEFLATED))
    start = data.index(b"w.npy") + 5
    data[start + 2 : start + 6] = b"\xff\xff\xff\xff"  # inside the deflate stream
    return bytes(data)


def _same_offset() -> bytes:
    """Two directory entries over one local header: the zip bomb's overlap."""
    return zip_bytes([Member(b"w.npy", GOOD_NPY), Member(b"v.npy", GOOD_NPY, offset=0)])


NPZ_CASES: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "not a zip archive (File is not a zip file)"),
    "not a zip": (b"PK\x03\x04 junk", "not a zip archive"),
    "not an npy": (one(data=b"hello"), "'w' is not a .npy array"),
    "npy version 4": (one(data=npy_raw("{}", version=(4, 0))), "'w' has .npy format version 4.0"),
    "npy version 1.1": (one(data=npy_raw("{}", version=(1, 1))), "format version 1.1"),
    "npy header too long": (
        one(data=npy_raw("{'a': '" + "x" * 20_000 + "'}", version=(2, 0))),
        "has a 20020-byte .npy header (NumPy's limit: 10000)",
    ),
    "npy header cut": (one(data=GOOD_NPY[:40]), "'w' ends inside its .npy header"),
    "npy header not a dict": (one(data=npy_raw("[1, 2]")), "keys are not descr, fortran_order"),
    "npy header key missing": (
        one(data=npy_raw("{'descr': '<f4', 'shape': (2, 3)}")),
        "keys are not descr, fortran_order, shape",
    ),
    "npy header extra key": (
        one(data=npy_raw("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}")),
        "keys are not descr, fortran_order, shape",
    ),
    "npy header not a literal": (
        one(data=npy_raw("{'descr': os.system('true')}")),
        "'w' has a malformed .npy header (unexpected 'os.system(')",
    ),
    "npy negative dimension": (
        one(data=npy_raw("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3)}")),
        "'w' has .npy shape (-1, 3)",
    ),
    "npy shape not a tuple": (
        one(data=npy_raw("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}")),
        "'w' has .npy shape [2, 3]",
    ),
    "npy rank 65": (
        one(data=npy_raw("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)*65}")),
        "malformed .npy header",
    ),
    "npy rank 65 spelled out": (
        one(
            data=npy_raw("{'descr': '<f4', 'fortran_order': False, 'shape': (" + "1, " * 65 + ")}")
        ),
        "'w' has 65 dimensions (NumPy allows 64)",
    ),
    "npy fortran_order not bool": (
        one(data=npy_raw("{'descr': '<f4', 'fortran_order': 0, 'shape': ()}", bytes(4))),
        "'w' has fortran_order 0",
    ),
    "npy descr not a string": (
        one(data=npy_raw("{'descr': 4, 'fortran_order': False, 'shape': ()}", bytes(4))),
        "'w' has .npy descr 4",
    ),
    "npy data short": (
        one(data=GOOD_NPY[:-4]),
        "'w': shape [2, 3] of '<f4' needs 24 bytes, the member holds 20",
    ),
    "npy data long": (one(data=GOOD_NPY + b"x"), "needs 24 bytes, the member holds 25"),
    "npy claims 10 GB": (
        one(data=npy_raw("{'descr': '<f4', 'fortran_order': False, 'shape': (2500000000,)}")),
        "'w': shape [2500000000] of '<f4' needs more bytes, the member holds 0",
    ),
    "bad crc": (_crc_flipped(), "member 'w.npy': Bad CRC-32 for file 'w.npy'"),
    "bad deflate data": (_deflate_broken(), "member 'w.npy': "),
    "encrypted": (one(flags=1), "member 'w.npy' is encrypted"),
    "bzip2": (one(method=zipfile.ZIP_BZIP2), "uses compression method 12"),
    "stored sizes differ": (one(size=len(GOOD_NPY) + 1), "stored member 'w.npy' has two sizes"),
    "deflate bomb": (
        one(method=zipfile.ZIP_DEFLATED, size=4_000_000_000),
        "member 'w.npy' claims 4000000000 bytes from",
    ),
    "member past the end": (one(compressed_size=10**6, size=10**6), "runs past the end"),
    "overlapping members": (_same_offset(), "overlaps the member before it"),
    "name not utf-8": (one(name=b"w\xff.npy"), "member name 'w\\xa0.npy' is not UTF-8"),
    "name flagged utf-8 but not": (one(name=b"w\xff.npy", flags=0x800), "not a zip archive"),
    "absolute name": (one(name=b"/etc/w.npy"), "member name '/etc/w.npy': empty, absolute"),
    "dotdot name": (one(name=b"a/../w.npy"), "member name 'a/../w.npy': empty, absolute"),
    "drive name": (one(name=b"C:/w.npy"), "member name 'C:/w.npy': empty, absolute"),
    "empty name": (one(name=b""), "member name '': empty, absolute"),
    "nul in name": (one(name=b"w\x00x.npy"), "member name 'w\\x00x.npy': empty"),
    "duplicate keys": (
        zip_bytes([Member(b"w.npy", GOOD_NPY), Member(b"w", GOOD_NPY)]),
        "two members have the key 'w'",
    ),
}


# ------------------------------------------------------------------ the readers


def _write(tmp_path: Path, suffix: str, name: str, data: bytes) -> Path:
    path = tmp_path / (name.replace(" ", "_") + suffix)
    path.write_bytes(data)
    return path


ALL_CASES = [(".safetensors", n, d, r) for n, (d, r) in SAFETENSORS_CASES.items()] + [
    (".npz", n, d, r) for n, (d, r) in NPZ_CASES.items()
]


@pytest.mark.parametrize(
    ("suffix", "name", "data", "reason"), ALL_CASES, ids=[f"{c[1]}{c[0]}" for c in ALL_CASES]
)
def test_each_corrupt_file_has_its_reason(
    tmp_path: Path, suffix: str, name: str, data: bytes, reason: str
) -> None:
    path = _write(tmp_path, suffix, name, data)
    fmt = suffix[1:]
    tracemalloc.start()
    try:
        for read in (read_arrays, read_params):
            with pytest.raises(CheckpointError) as e:
                read(str(path))
            text = str(e.value)
            assert text.startswith(f"{path}: not a valid {fmt} file: "), text
            assert reason in text, text
            assert "\n" not in text and len(text) < len(str(path)) + 340
        # nothing near what the headers claim was allocated: the peak is the
        # header's parse (a few times the file's size at worst)
        assert tracemalloc.get_traced_memory()[1] < max(16 << 20, 64 * len(data))
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_fuzz_reproducers_are_refused_with_a_reason(
    tmp_path: Path, module: ModuleType, suffix: str
) -> None:
    """Inputs `benchmarks/fuzz.py` found to break the readers before they were
    made strict (zlib.error, OSError, IndexError or UnicodeDecodeError from
    zipfile; a file listed as fine whose data was short; `load()` raising
    another error than ParamsError): each, read as either format, is refused
    with `not a valid ... file`."""
    cases = sorted(FIXTURES.glob("*.bin"))
    assert len(cases) == 9
    for case in cases:
        path = tmp_path / (case.stem + suffix)
        path.write_bytes(case.read_bytes())
        for read in (read_arrays, read_params):
            with pytest.raises(CheckpointError, match=f"not a valid {suffix[1:]} file: "):
                read(str(path))
        with pytest.raises(module.ParamsError, match=f"not a valid {suffix[1:]} file: "):
            module.load(path)


def test_good_files_of_the_table_are_read(tmp_path: Path) -> None:
    """The table's helpers write valid files unless told otherwise."""
    path = _write(tmp_path, ".safetensors", "good", st({"w": w()}, GOOD_DATA))
    assert read_arrays(str(path)) == [ArrayInfo("w", (2, 3), "float32")]
    assert read_params(str(path))["w"].shape == (2, 3)
    for member in (Member(b"w.npy", GOOD_NPY), Member(b"w.npy", GOOD_NPY, zipfile.ZIP_DEFLATED)):
        path = _write(tmp_path, ".npz", "good", zip_bytes([member]))
        assert read_arrays(str(path)) == [ArrayInfo("w", (2, 3), "float32")]
        assert read_params(str(path))["w"].tolist() == [[0.0] * 3] * 2
        np.testing.assert_array_equal(np.load(path)["w"], np.zeros((2, 3)))


def test_a_member_name_in_utf8_without_the_flag_is_decoded(tmp_path: Path) -> None:
    path = _write(tmp_path, ".npz", "utf8", one(name="wé.npy".encode()))
    assert read_arrays(str(path)) == [ArrayInfo("wé", (2, 3), "float32")]


def test_unsupported_dtypes_in_valid_files_are_named(tmp_path: Path) -> None:
    f8 = _write(tmp_path, ".safetensors", "f8", st({"w": w("F8_E5M2", [2], [0, 2])}, bytes(2)))
    assert read_arrays(str(f8)) == [ArrayInfo("w", (2,), "F8_E5M2")]
    with pytest.raises(CheckpointError, match="'w': NumPy has no dtype F8_E5M2"):
        read_params(str(f8))
    dates = tmp_path / "dates.npz"
    np.savez(dates, w=np.zeros(2, "M8[ns]"), o=np.array([None, 1], dtype=object))
    assert read_arrays(str(dates)) == [
        ArrayInfo("w", (2,), "<M8[ns]"),
        ArrayInfo("o", (2,), "string"),
    ]
    with pytest.raises(CheckpointError, match=r"'w': dtype '<M8\[ns\]' is not supported"):
        read_params(str(dates))
    with pytest.raises(CheckpointError, match="'o': dtype 'string' is not supported"):
        read_params(str(dates), only="o")


def test_numpy_files_with_strings_and_fortran_order_are_read(tmp_path: Path) -> None:
    path = tmp_path / "s.npz"
    arrays_ = {
        "s": np.array([b"ab", b"c"]),
        "u": np.array(["xyz", ""]),
        "f": np.asfortranarray(np.arange(6, dtype=">i2").reshape(2, 3)),
        "e": np.zeros((0, 3), np.float64),
    }
    np.savez_compressed(path, **arrays_)
    back = read_params(str(path))
    for k, a in arrays_.items():
        np.testing.assert_array_equal(back[k], a)
        assert back[k].dtype.isnative


# ------------------------------------------------------------------ not regular files


CHECK_ONE_LINE = """
import sys
from specc import cli
sys.exit(cli.main(["check", sys.argv[1], "--against", sys.argv[2]]))
"""


def _check_subprocess(spec: Path, target: Path) -> subprocess.CompletedProcess[str]:
    """`specc check SPEC --against TARGET` in a process of its own: a reader
    that blocked would hang it, and the timeout fails the test instead."""
    return subprocess.run(
        [sys.executable, "-c", CHECK_ONE_LINE, str(spec), str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_fifos_and_devices_are_refused_without_blocking(tmp_path: Path, suffix: str) -> None:
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC)
    fifo = tmp_path / f"fifo{suffix}"
    os.mkfifo(fifo)
    zero = tmp_path / f"zero{suffix}"
    zero.symlink_to("/dev/zero")
    folder = tmp_path / f"folder{suffix}"
    folder.mkdir()
    for target, kind in ((fifo, "a FIFO"), (zero, "a device"), (folder, "a directory")):
        r = _check_subprocess(spec, target)
        assert r.returncode == 2, r
        assert r.stdout == ""
        assert r.stderr == f"specc: error: {target}: not a regular file: it is {kind}\n"
        with pytest.raises(CheckpointError, match=f"not a regular file: it is {kind}"):
            read_params(str(target))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_swapped_in_after_the_check_does_not_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path is checked, then opened non-blocking and checked again by its
    descriptor: a FIFO that replaces the file in between is refused too."""
    fifo = tmp_path / "swapped.npz"
    os.mkfifo(fifo)
    kinds = iter([None])  # the first check sees a regular file, the second the truth
    describe = arrays._describe_kind
    monkeypatch.setattr(arrays, "_describe_kind", lambda mode: next(kinds, describe(mode)))
    with pytest.raises(CheckpointError, match="not a regular file: it is a FIFO"):
        arrays.open_regular(str(fifo))


# ------------------------------------------------------------------ the command and load()


def test_check_against_a_corrupt_file_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("tiny.yaml").write_text(SPEC)
    for suffix, name, data, reason in ALL_CASES:
        path = _write(tmp_path, suffix, name, data)
        assert cli.main(["check", "tiny.yaml", "--against", path.name]) == 2, name
        out, err = capsys.readouterr()
        assert out == "", name
        assert err.startswith(f"specc: error: {path.name}: not a valid {suffix[1:]} file: ")
        assert reason in err and err.count("\n") == 1, err
        assert cli.main(["check", "tiny.yaml", "--against", path.name, "--json"]) == 2
        assert capsys.readouterr().out == ""


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    from specc.emit import build_module
    from specc.pipeline import compile_text

    folder = tmp_path_factory.mktemp("module")
    comp = compile_text(SPEC, str(folder / "tiny.yaml"))
    assert comp.ok and comp.table is not None
    return build_module(comp.table, str(folder / "tiny.yaml"), str(folder / "tiny.py"))


def test_load_raises_params_error_for_every_corrupt_file(
    tmp_path: Path, module: ModuleType
) -> None:
    for suffix, name, data, reason in ALL_CASES:
        path = _write(tmp_path, suffix, name, data)
        with pytest.raises(module.ParamsError) as e:
            module.load(path)
        assert f"not a valid {suffix[1:]} file: " in str(e.value) and reason in str(e.value)
    f8 = _write(tmp_path, ".safetensors", "f8", st({"w": w("F8_E4M3", [2], [0, 2])}, bytes(2)))
    with pytest.raises(module.ParamsError, match="NumPy has no dtype F8_E4M3"):
        module.load(f8)
    with pytest.raises(module.ParamsError, match=r"expected a \.npz or \.safetensors file"):
        module.load(tmp_path / "x.h5")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_load_refuses_a_fifo(tmp_path: Path, module: ModuleType) -> None:
    os.mkfifo(tmp_path / "p.npz")
    with pytest.raises(module.ParamsError, match="not a regular file: it is a FIFO"):
        module.load(tmp_path / "p.npz")
