"""The TensorFlow conformance corpus, run in-process.

`cases/` is a copy of ../shared/conformance/cases (keep it in sync: a test below
compares the two when the shared folder is present). Each case holds a spec and
the exact table or first error TensorFlow 2.21 produced; the comparison rules are
the corpus README's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from specc.cli import main

HERE = Path(__file__).resolve().parent
CASE_DIRS = [HERE / "cases", HERE.parent / "differential" / "cases"]
CASES = sorted(p for d in CASE_DIRS if d.is_dir() for p in d.glob("*.yaml"))
SHARED = HERE.parents[2] / "shared" / "conformance" / "cases"

VARIABLE_FIELDS = ("name", "tensor", "shape", "dtype", "trainable", "local")


def _kind(v: Any) -> Any:
    return v.get("kind") if isinstance(v, dict) else v


def _run(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    code = main(["table", str(path), "--json"])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, json.loads(out.out)


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_case(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = json.loads(case.with_suffix("").with_suffix(".expected.json").read_text())
    code, got = _run(case, capsys)
    if "errors" in expected:
        assert code == 1, got
        exp, first = expected["errors"][0], got["errors"][0]
        assert (first["code"], first["line"]) == (exp["code"], exp["line"]), first
        if exp.get("variable") is not None:
            assert first["variable"] == exp["variable"]
        return
    assert code == 0, got
    assert len(got["variables"]) == len(expected["variables"])
    for e, g in zip(expected["variables"], got["variables"], strict=True):
        for f in VARIABLE_FIELDS:
            assert g[f] == e[f], (e["name"], f)
        assert set(g["collections"]) == set(e["collections"]), e["name"]
        if e["partitions"] is None:
            assert g["partitions"] is None
        else:
            parts = [{k: p[k] for k in ("name", "shape", "offset")} for p in g["partitions"]]
            assert parts == e["partitions"], e["name"]
        for f in ("initializer", "constraint"):
            if f in e:
                assert _kind(g[f]) == _kind(e[f]), (e["name"], f)
    assert got["ops"] == expected["ops"]
    assert got["regularization_losses"] == expected["regularization_losses"]


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/conformance is not beside the repo")
def test_copy_in_sync_with_shared_corpus() -> None:
    """The copy under tests/ must equal the shared corpus (it grows over time)."""
    ours = {p.name: p.read_bytes() for p in (HERE / "cases").iterdir()}
    theirs = {p.name: p.read_bytes() for p in SHARED.iterdir() if p.is_file()}
    assert sorted(ours) == sorted(theirs), (
        "run: cp -r ../shared/conformance/cases tests/conformance/"
    )
    assert ours == theirs
