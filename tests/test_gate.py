"""`check` is the gate: whatever it accepts, `compile` and `init` accept, and the
module builds and passes its own `check()`; whatever they would refuse, it
refuses first, in the same run, located in the spec.

Every spec of every corpus in tests/ and every example goes through the
property (`test_every_corpus_spec_keeps_the_gate_property`); the files a
checkpoint initializer reads are examined by `check` from their headers.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from specc.cli import main
from specc.emit import EmitError, build_module
from specc.pipeline import compile_file, compile_text

ROOT = Path(__file__).resolve().parent.parent
CORPORA = (
    "tests/bad",
    "tests/conformance/cases",
    "tests/differential/cases",
    "examples",
    "specc/diagnostics/examples",
)


def corpus_specs() -> list[Path]:
    """Every spec file of every corpus (a YAML file declaring `specc: 1`)."""
    found = []
    for folder in CORPORA:
        for path in sorted((ROOT / folder).rglob("*.yaml")):
            if re.search(r"^specc: 1", path.read_text(encoding="utf-8", errors="replace"), re.M):
                found.append(path)
    return found


SPECS = corpus_specs()


def _limits_flags(path: Path) -> list[str]:
    """The `# flags:` of a tests/bad case (its limits), as command-line arguments."""
    m = re.search(r"^# flags: (.*)$", path.read_text(encoding="utf-8", errors="replace"), re.M)
    return m.group(1).split() if m else []


def test_the_corpora_are_all_here() -> None:
    """Guard the property below against an empty or shrunken corpus."""
    assert len(SPECS) >= 200


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_corpus_spec_keeps_the_gate_property(path: Path) -> None:
    comp = compile_file(str(path))
    if not comp.ok:
        # refused by check: compile and init, on the same pipeline, refuse too
        return
    assert comp.table is not None
    try:
        module = build_module(comp.table, str(path), str(path.with_suffix(".py")))
    except EmitError as e:  # pragma: no cover - the property's failure
        pytest.fail(f"check accepted {path.name} but compile refuses it: {e}")
    if comp.table.bytes > 64 << 20:
        # the big examples: every variable's first part is built (init of one
        # part follows the same code as init of the whole)
        for row in comp.table.variables[:8]:
            value = module.init_variable(row.name, threads=1)
            assert value.shape == row.shape
        return
    params = module.init(threads=1)
    module.check(params)


def test_the_cli_agrees_on_a_sample(tmp_path: Path) -> None:
    """`check`, `compile` and `init` exit alike (0 or 1) on a sample of the corpora."""
    for path in SPECS[::25]:
        flags = _limits_flags(path)
        expected = main(["check", str(path), *flags])
        if expected == 2:
            continue  # a usage error of the case itself (a missing file on purpose)
        out = tmp_path / (path.stem + ".py")
        assert main(["compile", str(path), "-o", str(out), *flags]) == expected, path
        npz = tmp_path / (path.stem + ".npz")
        assert main(["init", str(path), "-o", str(npz), *flags]) == expected, path


# ------------------------------------------------------------------ checkpoints


HEADER = "specc: 1\nname: m\nbody:\n"


def checkpoint_spec(path: str, *, key: str | None = None, shape: str = "[2, 3]") -> str:
    args = f"path: {path}" + (f", key: {key}" if key else "")
    return HEADER + f"  - var: w\n    shape: {shape}\n    initializer: {{checkpoint: {{{args}}}}}\n"


def gate_errors(text: str, folder: Path, roots: tuple[str, ...] = ()) -> list[tuple[str, int]]:
    comp = compile_text(text, "m.yaml", base_dir=str(folder), checkpoint_roots=roots)
    return [(d.code, d.span.line if d.span else 0) for d in comp.diagnostics]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    spec = tmp_path / "spec"
    spec.mkdir()
    np.savez(spec / "ok.npz", w=np.zeros((2, 3), np.float32), i=np.zeros((2, 3), np.int32))
    (spec / "dir.npz").mkdir()
    (spec / "bad.npz").write_bytes(b"PK\x03\x04 not a zip at all")
    (spec / "w.h5").write_bytes(b"\x89HDF")
    return spec


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (checkpoint_spec("ok.npz"), None),
        (checkpoint_spec("missing.npz"), "checkpoint"),
        (checkpoint_spec("dir.npz"), "checkpoint"),
        (checkpoint_spec("bad.npz"), "checkpoint"),
        (checkpoint_spec("ok.npz", key="nope"), "checkpoint"),
        (checkpoint_spec("ok.npz", shape="[3, 2]"), "initializer-shape"),
        (checkpoint_spec("ok.npz", key="i"), "initializer-dtype"),
    ],
)
def test_check_refuses_every_checkpoint_init_would(
    folder: Path, text: str, code: str | None
) -> None:
    """Located at the variable's `initializer:` (line 6), with every other error."""
    found = gate_errors(text, folder)
    assert found == ([] if code is None else [(code, 6)])


def test_a_checkpoint_of_another_format_is_refused_at_its_statement(folder: Path) -> None:
    """Only a file's suffix is needed: refused as the variable is created (phase
    2 points at statements, as TF's errors do)."""
    assert gate_errors(checkpoint_spec("w.h5"), folder) == [("checkpoint", 4)]


def test_a_checkpoint_may_not_leave_the_spec_folder_unless_granted(
    folder: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    np.savez(store / "w.npz", w=np.zeros((2, 3), np.float32))
    for path in ("../store/w.npz", str(store / "w.npz")):
        comp = compile_text(checkpoint_spec(path), "m.yaml", base_dir=str(folder))
        assert [d.code for d in comp.diagnostics] == ["checkpoint"]
        assert "--checkpoint-root" in comp.diagnostics[0].message
        assert gate_errors(checkpoint_spec(path), folder, (str(store),)) == []


def test_gate_errors_come_with_the_others_in_one_run(folder: Path) -> None:
    text = (
        HEADER
        + "  - var: a\n    shape: [2, 3]\n    initializer: {checkpoint: {path: missing.npz}}\n"
        + "  - var: a\n    shape: [2]\n"
    )
    assert [c for c, _ in gate_errors(text, folder)] == ["variable-exists", "checkpoint"]


def test_string_variables_hold_utf8_bytes(tmp_path: Path) -> None:
    """TF's tables hold string variables, so `check` accepts them; the module
    gives them UTF-8 bytes, and `.npz` stores them."""
    spec = tmp_path / "s.yaml"
    spec.write_text(
        HEADER
        + "  - var: vocab\n    initializer: {value: [a, \"b\\u00e9\", '']}\n"
        + "  - var: blank\n    shape: [2]\n    dtype: string\n"
        + "  - var: filled\n    shape: [3]\n    dtype: string\n"
        + "    initializer: {constant: {value: [x, yz]}}\n"
    )
    comp = compile_file(str(spec))
    assert comp.ok and comp.table is not None
    module = build_module(comp.table, str(spec), str(tmp_path / "s.py"))
    params = module.init()
    module.check(params)
    assert params["vocab"].tolist() == [b"a", "bé".encode(), b""]
    assert params["blank"].tolist() == [b"", b""]
    assert params["filled"].tolist() == [b"x", b"yz", b"yz"]
    module.save(params, tmp_path / "p.npz")
    back = module.load(tmp_path / "p.npz")
    assert {k: v.tolist() for k, v in back.items()} == {k: v.tolist() for k, v in params.items()}
    assert main(["check", str(spec), "--against", str(tmp_path / "p.npz")]) == 0
    assert main(["init", str(spec), "-o", str(tmp_path / "p.safetensors")]) != 0
    assert not (tmp_path / "p.safetensors").exists()
