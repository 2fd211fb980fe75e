"""`specc init -o model.ckpt`, `check --against model.ckpt`, the `checkpoint`
initializer on TF checkpoints, and `specc init --warm-start OLD [--rename
OLD=NEW ...]` (with `specc diff --json`'s renames)."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest

from specc.catalog.dtypes import DTYPES
from specc.catalog.initializers import INITIALIZERS, CheckpointArgs, ExternalContext
from specc.cli import main
from specc.formats.params import read_params
from specc.formats.tf_checkpoint import open_tf_checkpoint, read_tf_checkpoint_arrays
from specc.formats.tf_checkpoint_writer import TFVariable, write_tf_checkpoint

FIXTURES = Path(__file__).parent / "fixtures" / "tf"
PARTITIONED = FIXTURES / "partitioned.yaml"

OLD = """
specc: 1
name: net
seed: 3
body:
  - scope: enc
    body:
      - var: kernel
        shape: [4, 6]
      - var: bias
        shape: [6]
        initializer: {random_normal: {stddev: 1.0}}
  - var: emb
    shape: [12, 3]
    partitioner: {fixed_size: {num_shards: 3}}
  - var: head
    shape: [6, 2]
  - var: steps
    shape: []
    dtype: int64
    initializer: {constant: {value: 41}}
"""

# enc -> encoder (a rename diff detects), emb partitioned otherwise, head
# reshaped, steps retyped, a new variable
NEW = """
specc: 1
name: net
seed: 3
body:
  - scope: encoder
    body:
      - var: kernel
        shape: [4, 6]
      - var: bias
        shape: [6]
        initializer: {random_normal: {stddev: 1.0}}
  - var: emb
    shape: [12, 3]
    partitioner: {fixed_size: {num_shards: 2}}
  - var: head
    shape: [6, 3]
  - var: steps
    shape: []
    dtype: int32
  - var: extra
    shape: [5]
"""


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "old.yaml").write_text(OLD)
    (tmp_path / "new.yaml").write_text(NEW)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _load(path: str) -> dict[str, np.ndarray]:
    return read_params(path)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# ------------------------------------------------------------ init -o model.ckpt


def test_init_writes_a_tf_checkpoint_equal_to_the_npz(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ckpt, npz = str(tmp_path / "p.ckpt"), str(tmp_path / "p.npz")
    assert main(["init", str(PARTITIONED), "-o", ckpt]) == 0
    assert "p.ckpt (TF checkpoint: p.ckpt.index, p.ckpt.data-00000-of-00001)" in (
        capsys.readouterr().out
    )
    assert main(["init", str(PARTITIONED), "-o", npz]) == 0
    got, want = read_tf_checkpoint_arrays(ckpt), _load(npz)
    assert got.keys() == want.keys()
    assert all(_same(got[k], want[k]) for k in want)
    # partitioned variables are saved as TF's Saver saves them: slices
    entries = open_tf_checkpoint(ckpt).entries
    assert len(entries["embed/table"].slices) == 3
    assert entries["embed/wide"].slices[1] == ((0, 4), (15, 15))


def test_init_accepts_a_ckpt_step_name_and_the_index_name(tmp_path: Path) -> None:
    assert main(["init", str(PARTITIONED), "-o", str(tmp_path / "m.ckpt-100")]) == 0
    assert (tmp_path / "m.ckpt-100.index").is_file()
    assert main(["init", str(PARTITIONED), "-o", str(tmp_path / "n.ckpt.index")]) == 0
    assert (tmp_path / "n.ckpt.data-00000-of-00001").is_file()
    assert main(["init", str(PARTITIONED), "-o", str(tmp_path / "x.bin")]) == 2


def test_check_against_a_tf_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ckpt = str(tmp_path / "p.ckpt")
    assert main(["init", str(PARTITIONED), "-o", ckpt]) == 0
    capsys.readouterr()
    assert main(["check", str(PARTITIONED), "--against", ckpt]) == 0
    assert "matches all 9 variables" in capsys.readouterr().out
    assert main(["check", str(PARTITIONED), "--against", ckpt, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["against"]["format"] == "tf"
    # another spec: missing and unexpected arrays, exit 1
    other = tmp_path / "o.yaml"
    other.write_text("specc: 1\nname: o\nbody:\n  - var: embed/table\n    shape: [50, 9]\n")
    assert main(["check", str(other), "--against", ckpt]) == 1
    assert "shape [50, 9] in the spec, [50, 8] in the file" in capsys.readouterr().out
    assert main(["check", str(other), "--against", str(tmp_path / "none.ckpt")]) == 2
    err = capsys.readouterr().err
    assert "none.ckpt: no such file" in err and "Traceback" not in err


def test_check_against_a_corrupt_index_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ckpt = str(tmp_path / "p.ckpt")
    assert main(["init", str(PARTITIONED), "-o", ckpt]) == 0
    index = Path(ckpt + ".index")
    index.write_bytes(index.read_bytes()[:-7])
    capsys.readouterr()
    assert main(["check", str(PARTITIONED), "--against", ckpt]) == 2
    err = capsys.readouterr().err.strip()
    assert "malformed TF checkpoint index" in err and len(err.splitlines()) == 1


# ------------------------------------------------------------ the checkpoint initializer


def test_checkpoint_initializer_reads_a_tf_checkpoint(tmp_path: Path) -> None:
    ckpt = str(tmp_path / "p.ckpt")
    assert main(["init", str(PARTITIONED), "-o", ckpt]) == 0
    spec = tmp_path / "warm.yaml"
    spec.write_text(
        textwrap.dedent(
            """\
            specc: 1
            name: warm
            body:
              - var: table
                shape: [50, 8]
                initializer: {checkpoint: {path: p.ckpt, key: embed/table}}
              - var: misc/half
                shape: [7, 3]
                dtype: float16
                initializer: {checkpoint: {path: p.ckpt}}
            """
        )
    )
    assert main(["check", str(spec)]) == 0
    out = str(tmp_path / "w.npz")
    assert main(["init", str(spec), "-o", out]) == 0
    got, old = _load(out), read_tf_checkpoint_arrays(ckpt)
    assert _same(got["table"], old["embed/table"]) and _same(got["misc/half"], old["misc/half"])


def _external(base: Path, path: str, name: str, shape: tuple[int, ...], dtype: str) -> str:
    """The `checkpoint` entry's check of the outside world (what `specc check`'s
    gate runs), as the problem's text, or '' when it passes."""
    entry = INITIALIZERS["checkpoint"]
    assert entry.check_external is not None
    args = CheckpointArgs(path=path)
    problem = entry.check_external(args, ExternalContext(str(base), name, shape, DTYPES[dtype]))
    return "" if problem is None else f"{problem.code}: {problem.message} ({problem.help})"


def test_checkpoint_initializer_is_checked_from_the_index(tmp_path: Path) -> None:
    ckpt = str(tmp_path / "p.ckpt")
    assert main(["init", str(PARTITIONED), "-o", ckpt]) == 0
    # the data file is never read: without it, only its size is missed
    assert _external(tmp_path, "p.ckpt", "embed/table", (50, 8), "float32") == ""
    assert _external(tmp_path, "p.ckpt.index", "misc/half", (7, 3), "float16") == ""
    got = _external(tmp_path, "p.ckpt", "embed/table", (50, 4), "float32")
    assert got.startswith("initializer-shape: checkpoint 'p.ckpt' holds 'embed/table' with shape")
    got = _external(tmp_path, "p.ckpt", "misc/half", (7, 3), "float32")
    assert got.startswith("initializer-dtype:")
    got = _external(tmp_path, "q.ckpt", "embed/table", (50, 8), "float32")
    assert "no such file" in got and "relative to the spec's folder" in got
    got = _external(tmp_path, "p.ckpt", "embed/tabel", (50, 8), "float32")
    assert "did you mean 'embed/table'" in got
    Path(ckpt + ".index").write_bytes(b"\0" * 100)
    got = _external(tmp_path, "p.ckpt", "embed/table", (50, 8), "float32")
    assert "malformed TF checkpoint index" in got and "\n" not in got


def test_checkpoint_initializer_static_check_accepts_tf_names() -> None:
    check = INITIALIZERS["checkpoint"].check
    for path in ("model.ckpt", "run/model.ckpt-1000", "model.index"):
        assert check(CheckpointArgs(path=path), (2,), DTYPES["float32"]) is None
    problem = check(CheckpointArgs(path="model.bin"), (2,), DTYPES["float32"])
    assert problem is not None and "TF checkpoint" in problem.message


# ------------------------------------------------------------ warm start


def test_warm_start_copies_renames_skips_and_initializes(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "old.yaml", "-o", "old.ckpt"]) == 0
    capsys.readouterr()
    assert main(["diff", "old.yaml", "new.yaml", "--json"]) == 1
    (work / "diff.json").write_text(capsys.readouterr().out)
    renames = json.loads((work / "diff.json").read_text())["rename"]
    assert renames == {"enc/kernel": "encoder/kernel", "enc/bias": "encoder/bias"}
    args = ["init", "new.yaml", "--warm-start", "old.ckpt", "--rename", "@diff.json"]
    assert main([*args, "-o", "new.npz"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "warm start from old.ckpt: 1 copied, 2 renamed, 2 skipped, 1 not in the checkpoint; "
        "3 initialized fresh\n"
    )
    assert "  enc/kernel -> encoder/kernel\n" in out
    assert "  head: shape [6, 2] in the checkpoint, [6, 3] in the spec\n" in out
    assert "  steps: dtype int64 in the checkpoint, int32 in the spec\n" in out
    assert "initialized fresh (not in the checkpoint):\n  extra\n" in out
    old, new = read_tf_checkpoint_arrays("old.ckpt"), _load("new.npz")
    assert _same(new["encoder/kernel"], old["enc/kernel"])
    assert _same(new["encoder/bias"], old["enc/bias"])
    # partitioned in 3 parts before, 2 now: copied whole
    assert _same(new["emb"], old["emb"])
    # everything else is bit for bit a plain init
    assert main(["init", "new.yaml", "-o", "plain.npz"]) == 0
    plain = _load("plain.npz")
    for name in ("head", "steps", "extra"):
        assert _same(new[name], plain[name]), name


def test_a_warm_start_that_copies_nothing_warns(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Legal (exit 0, every variable fresh) but most likely the wrong
    checkpoint: a warning on stderr says so and how renames are found."""
    (work / "other.yaml").write_text("specc: 1\nname: other\nbody:\n  - {var: w, shape: [2]}\n")
    assert main(["init", "other.yaml", "-o", "other.npz", "-q"]) == 0
    assert main(["init", "new.yaml", "--warm-start", "other.npz", "-o", "new.npz"]) == 0
    captured = capsys.readouterr()
    assert "0 copied, 0 renamed, 0 skipped, 6 not in the checkpoint; 6 initialized fresh" in (
        captured.out
    )
    assert captured.err == (
        "warning: nothing was copied from other.npz: no variable of the spec has a name, "
        "shape and dtype there (`specc diff OLD NEW --json` gives renames for --rename)\n"
    )
    assert main(["init", "new.yaml", "--warm-start", "new.npz", "-o", "again.npz"]) == 0
    assert capsys.readouterr().err == ""
    # --quiet: no report, the warning still
    assert main(["init", "new.yaml", "-q", "--warm-start", "other.npz", "-o", "q.npz"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("warning: nothing was copied from other.npz")


@pytest.mark.parametrize("old_suffix", [".npz", ".safetensors", ".ckpt"])
@pytest.mark.parametrize("new_suffix", [".npz", ".safetensors", ".ckpt"])
def test_warm_start_between_every_format(work: Path, old_suffix: str, new_suffix: str) -> None:
    assert main(["init", "old.yaml", "-o", "old" + old_suffix, "--seed", "5"]) == 0
    rename = ["--rename", "enc/kernel=encoder/kernel"]
    out = "new" + new_suffix
    assert main(["init", "new.yaml", "--warm-start", "old" + old_suffix, *rename, "-o", out]) == 0
    old, new = _load("old" + old_suffix), _load(out)
    assert _same(new["encoder/kernel"], old["enc/kernel"]) and _same(new["emb"], old["emb"])
    plain_out = "plain" + new_suffix
    assert main(["init", "new.yaml", "-o", plain_out]) == 0
    plain = _load(plain_out)
    for name in ("encoder/bias", "head", "steps", "extra"):
        assert _same(new[name], plain[name]), name


def test_warm_start_from_a_checkpoint_tf_wrote(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """basic.ckpt (TF's Saver): its partitioned `emb` [10, 3] and `dense/kernel`."""
    for suffix in (".index", ".data-00000-of-00001"):
        shutil.copy(FIXTURES / ("basic.ckpt" + suffix), work / ("tf.ckpt" + suffix))
    (work / "s.yaml").write_text(
        "specc: 1\nname: s\nbody:\n  - var: emb\n    shape: [10, 3]\n"
        "    partitioner: {fixed_size: {num_shards: 4}}\n"
        "  - var: k\n    shape: [3, 4]\n"
    )
    args = ["init", "s.yaml", "--warm-start", "tf.ckpt", "--rename", "dense/kernel=k"]
    assert main([*args, "-o", "s.ckpt"]) == 0
    assert (
        "1 copied, 1 renamed, 0 skipped, 0 not in the checkpoint; 0 initialized fresh"
        in capsys.readouterr().out
    )
    with np.load(FIXTURES / "basic.values.npz") as f:
        want = dict(f)
    got = read_tf_checkpoint_arrays("s.ckpt")
    assert _same(got["emb"], want["emb"]) and _same(got["k"], want["dense/kernel"])


def test_warm_start_refusals_write_nothing(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "old.yaml", "-o", "old.npz"]) == 0
    (work / "bad.ckpt.index").write_bytes(b"not a table")
    (work / "r.json").write_text('{"rename": {"enc/kernel": 3}}')
    cases = {
        ("--warm-start", "missing.npz"): "no such parameter file: missing.npz",
        ("--warm-start", "bad.ckpt"): "malformed TF checkpoint index",
        ("--warm-start", "old.npz", "--rename", "enc/kernel=nope"): "no variable 'nope'",
        ("--warm-start", "old.npz", "--rename", "gone=extra"): "holds no 'gone'",
        ("--warm-start", "old.npz", "--rename", "enc/kernel"): "expected OLD=NEW",
        ("--warm-start", "old.npz", "--rename", "@r.json"): "expected an object",
        ("--warm-start", "old.npz", "--rename", "@no.json"): "No such file",
        ("--rename", "a=b"): "--rename needs --warm-start",
        (
            "--warm-start",
            "old.npz",
            "--rename",
            "enc/kernel=extra",
            "--rename",
            "enc/bias=extra",
        ): "is the new name of",
    }
    capsys.readouterr()
    for args, message in cases.items():
        assert main(["init", "new.yaml", *args, "-o", "out.npz"]) == 2, args
        err = capsys.readouterr().err
        assert message in err, (args, err)
        assert "Traceback" not in err
        assert not (work / "out.npz").exists()


@pytest.mark.parametrize("suffix", [".ckpt", ".npz"])
def test_warm_start_from_corrupt_data_is_a_one_line_error(
    work: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The index (or zip directory) is fine; the data is not: found while
    writing, exit 2, and no output file."""
    assert main(["init", "old.yaml", "-o", "old" + suffix]) == 0
    data = work / ("old.ckpt.data-00000-of-00001" if suffix == ".ckpt" else "old.npz")
    raw = bytearray(data.read_bytes())
    if suffix == ".ckpt":
        raw[-3] ^= 0xFF  # the last tensor's data: its checksum fails
    else:
        raw[200:260] = bytes(60)  # the first member's .npy header
    data.write_bytes(bytes(raw))
    capsys.readouterr()
    assert main(["init", "old.yaml", "--warm-start", "old" + suffix, "-o", "out.ckpt"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (work / "out.ckpt.index").exists()
    assert not (work / "out.ckpt.data-00000-of-00001").exists()


def test_partitioned_writer_order_matches_names(tmp_path: Path) -> None:
    """Data is written in TF's order (sorted names) whatever order the table has."""
    arrays = {"b": np.ones(2, np.float32), "a": np.zeros(3, np.float32)}
    variables = [TFVariable("b", (2,), "float32"), TFVariable("a", (3,), "float32")]
    write_tf_checkpoint(str(tmp_path / "o.ckpt"), variables, arrays.__getitem__)
    entries = open_tf_checkpoint(str(tmp_path / "o.ckpt")).entries
    assert entries["a"].offset == 0 and entries["b"].offset == 12
