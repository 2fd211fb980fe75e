"""A catalog kind is one entry: every kind of every catalog has its code, its
static check, its docs and its schema entry (a kind missing any of them fails
here). Then the kinds' NumPy code through the assembled runtime, the checks of
the outside world (`check_external`), and the one dtype table."""

from __future__ import annotations

import builtins
import io
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from specc.catalog import CATALOG_NAMES, Args, Entry, default_catalogs
from specc.catalog.base import Problem
from specc.catalog.dtypes import DTYPES, MAX_MODULE_RANK, module_refusal, parse_dtype
from specc.catalog.initializers import (
    INITIALIZERS,
    VALUE,
    CheckpointArgs,
    ExternalContext,
    InitializerEntry,
)
from specc.emit import load_runtime
from specc.emit.embed import all_impls

ROOT = Path(__file__).resolve().parent.parent
DOC_SECTIONS = {
    "initializer": "Initializers",
    "partitioner": "Partitioners",
    "regularizer": "Regularizers",
    "constraint": "Constraints",
    "custom_getter": "Custom getters",
}
SCHEMA_OPTION = {  # where each catalog's option appears in the schema
    "initializer": ("VarStmt", "initializer"),
    "partitioner": ("VarStmt", "partitioner"),
    "regularizer": ("VarStmt", "regularizer"),
    "constraint": ("VarStmt", "constraint"),
    "custom_getter": ("ScopeStmt", "custom_getter"),
}
#: catalog -> the module's dispatch table(s) of its kinds' code
TABLES = {
    "initializer": ("_SAMPLERS", "_BUILDERS"),
    "regularizer": ("_REGULARIZERS",),
    "constraint": ("_CONSTRAINTS",),
}


@pytest.fixture(scope="module")
def runtime() -> types.ModuleType:
    return load_runtime()


def _every_kind() -> list[tuple[str, str, Entry]]:
    cats = default_catalogs()
    out: list[tuple[str, str, Entry]] = [
        (c, kind, entry)
        for c in CATALOG_NAMES
        for kind, entry in cats.registry(c).entries().items()
    ]
    return [*out, ("initializer", VALUE.kind, VALUE)]


KINDS = _every_kind()
IDS = [f"{c}:{k}" for c, k, _ in KINDS]


def _doc_kinds(section: str) -> set[str]:
    """The kinds named in the first column of a catalog table of docs/language.md."""
    text = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
    body = text.split(f"\n### {section}\n", 1)[1].split("\n#", 1)[0]
    kinds: set[str] = set()
    for line in body.splitlines():
        if line.startswith("| `"):
            kinds.update(re.findall(r"`(\w+)`", line.split("|")[1]))
    return kinds


def _schema_kinds(catalog: str) -> tuple[set[str], set[str]]:
    """(kinds the option accepts by name, kinds it accepts as `{kind: args}`)."""
    path = ROOT / "specc" / "schemas" / "specc.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    stmt, option = SCHEMA_OPTION[catalog]
    names: set[str] = set()
    mappings: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if not names and "enum" in node:
                names.update(node["enum"])
            if node.get("maxProperties") == 1 and "properties" in node:
                mappings.update(node["properties"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema["$defs"][stmt]["properties"][option])
    return names, mappings


# ------------------------------------------------------------------ completeness


@pytest.mark.parametrize(("catalog", "kind", "entry"), KINDS, ids=IDS)
def test_every_kind_has_its_code(
    catalog: str, kind: str, entry: Entry, runtime: types.ModuleType
) -> None:
    if catalog == "partitioner":
        assert callable(getattr(entry, "partitions", None)), "a partitioner needs partitions"
        return
    if catalog == "custom_getter":
        assert callable(getattr(entry, "apply", None)), "a getter needs apply"
        return
    impl = getattr(entry, "impl", None)
    assert callable(impl), f"{kind} has no impl"
    copied = {(i.catalog, i.kind): i.name for i in all_impls()}
    assert copied.get((catalog, kind)) == impl.__name__, "the emitter does not copy its impl"
    function = getattr(runtime, impl.__name__)
    assert isinstance(function, types.FunctionType), "its impl is not in the module"
    tables = [getattr(runtime, t) for t in TABLES[catalog]]
    assert [t[kind] for t in tables if kind in t] == [function], "not in a dispatch table"
    if isinstance(entry, InitializerEntry):
        table = "_SAMPLERS" if entry.elementwise else "_BUILDERS"
        assert getattr(runtime, table).get(kind) is function, f"elementwise is not {table}"


def test_the_module_holds_no_code_without_an_entry(runtime: types.ModuleType) -> None:
    kinds = {(c, k) for c, k, _ in KINDS}
    for catalog, tables in TABLES.items():
        for table in tables:
            assert {(catalog, k) for k in getattr(runtime, table)} <= kinds


@pytest.mark.parametrize(("catalog", "kind", "entry"), KINDS, ids=IDS)
def test_every_kind_has_a_static_check(catalog: str, kind: str, entry: Entry) -> None:
    assert issubclass(entry.args, Args), f"{kind}: arguments are checked by an Args model"
    rule = {"partitioner": "validate", "custom_getter": None}.get(catalog, "check")
    if rule is not None:  # a getter rewrites a request: TF has no rule before it runs
        assert callable(getattr(entry, rule, None)), f"{kind} has no {rule}"


@pytest.mark.parametrize(("catalog", "kind", "entry"), KINDS, ids=IDS)
def test_every_kind_is_documented(catalog: str, kind: str, entry: Entry) -> None:
    assert entry.doc.strip() and entry.tf_api.strip()
    assert kind in _doc_kinds(DOC_SECTIONS[catalog]), f"docs/language.md lacks {kind}"


@pytest.mark.parametrize(("catalog", "kind", "entry"), KINDS, ids=IDS)
def test_every_kind_is_in_the_schema(catalog: str, kind: str, entry: Entry) -> None:
    names, mappings = _schema_kinds(catalog)
    assert kind in names, f"the schema's {catalog} does not accept {kind!r}"
    assert kind in mappings, f"the schema's {catalog} has no {{{kind}: args}} form"


def test_the_catalogs_never_import_numpy() -> None:
    code = (
        "import sys\nfrom specc.catalog import default_catalogs, lookup\n"
        "default_catalogs(); lookup('initializer', 'checkpoint')\n"
        "print('numpy' in sys.modules)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "False"


# ------------------------------------------------------------------ the kinds' code


def _info(
    runtime: types.ModuleType, shape: tuple[int, ...], dtype: str, init: dict[str, Any]
) -> Any:
    return runtime.VariableInfo(
        "v", shape, dtype, True, ("variables",), None, init, None, None, False, "v:0",
        None, {}, None,
    )  # fmt: skip


#: arguments that give each initializer a 4x3 float32 value
INIT_ARGS: dict[str, dict[str, Any]] = {
    "constant": {"value": 0.5},
    "value": {"value": [[1.0] * 3] * 4},
    "random_uniform": {"minval": -1, "maxval": 1},
    "random_normal": {"mean": 0.0, "stddev": 1.0},
    "truncated_normal": {"mean": 0.0, "stddev": 1.0},
    "uniform_unit_scaling": {"factor": 1.0},
    "variance_scaling": {"scale": 1.0, "mode": "fan_in", "distribution": "uniform"},
    "orthogonal": {"gain": 1.0},
    "identity": {"gain": 1.0},
}


@pytest.mark.parametrize("kind", [k for c, k, _ in KINDS if c == "initializer"])
def test_each_initializer_fills_its_variable(
    kind: str, runtime: types.ModuleType, tmp_path: Path
) -> None:
    args = INIT_ARGS.get(kind, {})
    if kind == "checkpoint":
        np.savez(tmp_path / "w.npz", v=np.ones((4, 3), np.float32))
        args = {
            "path": os.path.relpath(tmp_path / "w.npz", os.path.dirname(runtime.__file__)),
            "key": None,
        }
    v = _info(runtime, (4, 3), "float32", {"kind": kind, "args": args})
    workers = runtime._workers(1)
    try:
        value = runtime._whole(v, 3, workers)
    finally:
        workers.close()
    assert value.shape == (4, 3) and value.dtype == np.float32
    assert np.isfinite(value).all()


def test_regularizers_compute_their_formulas(runtime: types.ModuleType) -> None:
    w = np.array([[1.0, -2.0], [3.0, 0.0]], np.float32)
    losses = runtime._REGULARIZERS
    assert losses["l1"](w, {"scale": 0.5}) == 0.5 * 6
    assert losses["l2"](w, {"scale": 0.5}) == 0.5 * 14
    assert losses["l2_loss"](w, {"scale": 0.5}) == 0.5 * 14 / 2
    assert losses["l1_l2"](w, {"l1": 0.1, "l2": 0.2}) == pytest.approx(0.1 * 6 + 0.2 * 14)


def test_constraints_project_as_keras(runtime: types.ModuleType) -> None:
    w = np.array([[3.0, -1.0], [4.0, 0.0]], np.float32)
    con = runtime._CONSTRAINTS
    norms = np.array([5.0, 1.0])
    np.testing.assert_allclose(
        con["max_norm"](w, {"max_value": 2, "axis": 0}),
        w * (np.minimum(norms, 2) / (1e-7 + norms)),
        rtol=1e-6,
    )
    np.testing.assert_allclose(con["unit_norm"](w, {"axis": 0}), w / (1e-7 + norms), rtol=1e-6)
    np.testing.assert_array_equal(con["non_neg"](w, {}), [[3, 0], [4, 0]])
    out = con["min_max_norm"](w, {"min_value": 2, "max_value": 3, "rate": 1.0, "axis": 0})
    np.testing.assert_allclose(out, w * (np.clip(norms, 2, 3) / (1e-7 + norms)), rtol=1e-6)


# ------------------------------------------------------------------ the outside world


def _external(
    folder: Path,
    path: str,
    shape: tuple[int, ...] = (2, 3),
    dtype: str = "float32",
    key: str | None = None,
) -> Problem | None:
    check = INITIALIZERS["checkpoint"].check_external
    assert check is not None
    ctx = ExternalContext(str(folder), "enc/w", shape, DTYPES[dtype])
    return check(CheckpointArgs(path=path, key=key), ctx)


@pytest.mark.parametrize("ext", ["npz", "safetensors"])
def test_checkpoint_files_are_checked_from_their_headers(tmp_path: Path, ext: str) -> None:
    from specc.formats.params import write_params

    arrays = {"enc/w": np.zeros((2, 3), np.float32), "other": np.zeros(4, np.int64)}
    write_params(
        tmp_path / f"w.{ext}",
        [(k, a.shape, a.dtype) for k, a in arrays.items()],
        arrays.items(),
        {},
    )
    assert _external(tmp_path, f"w.{ext}") is None  # the key defaults to the variable's name
    assert _external(tmp_path, f"w.{ext}", shape=(4,), dtype="int64", key="other") is None
    p = _external(tmp_path, f"w.{ext}", shape=(3, 2))
    assert p is not None and p.code == "initializer-shape"
    assert p.message == (
        f"checkpoint 'w.{ext}' holds 'enc/w' with shape [2, 3], "
        "but variable 'enc/w' has shape [3, 2]"
    )
    p = _external(tmp_path, f"w.{ext}", dtype="float64")
    assert p is not None and p.code == "initializer-dtype"
    assert "as float32, but variable 'enc/w' is float64" in p.message and p.help
    p = _external(tmp_path, f"w.{ext}", key="enc/W")
    assert p is not None and p.code == "checkpoint"
    assert p.message == f"checkpoint 'w.{ext}': no array 'enc/W' among its 2; did you mean 'enc/w'?"
    assert p.help is not None and "key" in p.help


def test_checkpoint_file_problems(tmp_path: Path) -> None:
    (tmp_path / "folder.npz").mkdir()
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    (tmp_path / "bad.safetensors").write_bytes(b"\x01")
    (tmp_path / "w.h5").write_bytes(b"")
    cases = {
        "missing.npz": "no such file",
        "folder.npz": "a folder, not a file",
        "bad.npz": "not a valid npz file",
        "bad.safetensors": "not a valid safetensors file",
        "w.h5": "expected a .npz or .safetensors file",
    }
    for path, reason in cases.items():
        p = _external(tmp_path, path)
        assert p is not None and p.code == "checkpoint", path
        assert p.message.startswith(f"checkpoint {path!r}: {reason}")
        assert p.help


def test_an_unreadable_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading is refused as for a file without permission (simulated: the
    tests may run as root, who reads any file)."""
    np.savez(tmp_path / "w.npz", w=np.zeros(1))
    target = str(tmp_path / "w.npz")
    real_open, real_os_open = builtins.open, os.open

    def refuse(file: object, *args: object, **kwargs: object) -> object:
        if str(file) == target:
            raise PermissionError(13, "Permission denied", target)
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    def refuse_os(path: object, *args: object, **kwargs: object) -> int:
        if str(path) == target:
            raise PermissionError(13, "Permission denied", target)
        return real_os_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    monkeypatch.setattr(os, "open", refuse_os)
    p = _external(tmp_path, "w.npz")
    assert p is not None and p.code == "checkpoint" and "cannot be read" in p.message


def test_a_checkpoint_path_is_checked_statically_too() -> None:
    check = INITIALIZERS["checkpoint"].check
    bad = check(CheckpointArgs(path="w.h5"), (2,), DTYPES["float32"])
    assert bad is not None and bad.code == "checkpoint"
    assert check(CheckpointArgs(path="w.NPZ"), (2,), DTYPES["float32"]) is None


def test_only_checkpoint_looks_outside() -> None:
    assert [k for k, e in INITIALIZERS.entries().items() if e.check_external] == ["checkpoint"]


# ------------------------------------------------------------------ dtypes


def test_tf_datatype_numbers() -> None:
    want = {
        "float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6,
        "string": 7, "complex64": 8, "int64": 9, "bool": 10, "bfloat16": 14,
        "uint16": 17, "complex128": 18, "float16": 19, "uint32": 22, "uint64": 23,
    }  # fmt: skip
    assert {name: d.tf_enum for name, d in DTYPES.items()} == want


def test_numpy_names_and_sizes_agree() -> None:
    for d in DTYPES.values():
        if d.numpy is not None:
            assert np.dtype(d.numpy).itemsize == d.itemsize and np.dtype(d.numpy).name == d.name


@pytest.mark.parametrize(
    ("dtype", "rank", "refused"),
    [
        ("float32", 2, None),
        ("complex128", MAX_MODULE_RANK, None),
        ("float32", MAX_MODULE_RANK + 1, "rank 65"),
        ("bfloat16", 1, None),  # as uint16 bits or ml_dtypes' type (docs/module.md)
        ("string", 1, None),  # UTF-8 bytes (docs/module.md, "Strings")
    ],
)
def test_what_a_module_can_hold(dtype: str, rank: int, refused: str | None) -> None:
    d = parse_dtype(dtype)
    assert d is not None
    reason = module_refusal(d, rank)
    assert (reason is None) == (refused is None)
    if refused is not None:
        assert reason is not None and refused in reason
