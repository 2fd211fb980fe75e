"""Generated modules stay ruff- and mypy-clean whatever name `check` accepts:
the spec's `name` (any Python identifier, non-ASCII and long ones included),
its file name, and variable and scope names of any length."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specc.emit import render_module
from specc.pipeline import compile_file

VENV_BIN = Path(sys.executable).parent

#: identifier characters from several scripts, confusables and a combining mark
_IDENT = st.sampled_from(
    [
        *"abcxyz_",
        "\xe9",
        "\xdf",
        "\u03c0",
        "\u0436",
        "\u0439",
        "\u03a9",
        "\U0001d518",
        "\uff41",
        "\u0663",
        "\u0131",
        "\u01c5",
    ]
)


@st.composite
def identifiers(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from([*"abz_", "\u00e9", "\u03c0", "\u0436", "\u03a9"]))
    tail = draw(st.text(_IDENT, max_size=draw(st.sampled_from([5, 40, 300]))))
    name = head + tail
    return name if name.isidentifier() else "m"


_SCOPE = st.text(st.sampled_from(list("abcXYZ019_.-")), min_size=1, max_size=200).map(
    lambda s: "a" + s
)


_NAMES = st.tuples(
    identifiers(), st.sampled_from(["s", "sp\u00e9c-\u00fc", "x" * 150]), _SCOPE, _SCOPE
)


@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_NAMES, min_size=10, max_size=10))
def test_any_accepted_name_makes_a_clean_module(
    tmp_path_factory: object, cases: list[tuple[str, str, str, str]]
) -> None:
    """Ten modules an example, checked together (ruff and mypy start once)."""
    tmp = Path(tmp_path_factory.mktemp("names"))  # type: ignore[attr-defined]
    outs = []
    for i, (name, file, scope, var) in enumerate(cases):
        folder = tmp / str(i)
        folder.mkdir()
        spec = folder / f"{file}.yaml"
        spec.write_text(
            f"specc: 1\nname: {name}\nbody:\n  - scope: {scope}\n    body:\n"
            f"      - var: '{var}'\n        shape: [2]\n",
            encoding="utf-8",
        )
        comp = compile_file(str(spec))
        assert comp.ok, comp.diagnostics
        assert comp.table is not None
        out = folder / f"gen_{i}.py"
        out.write_text(render_module(comp.table, str(spec), str(out)), encoding="utf-8")
        assert out.read_bytes().isascii()
        outs.append(str(out))
    ruff = str(VENV_BIN / "ruff")
    for args in (
        ["check", "--isolated", "--select", "E,F,W,RUF", "--line-length", "100"],
        ["format", "--check", "--isolated"],
        ["format", "--check", "--isolated", "--line-length", "100"],
    ):
        r = subprocess.run([ruff, *args, *outs], capture_output=True, text=True, check=False)
        assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run(
        [str(VENV_BIN / "mypy"), "--strict", "--no-incremental", *outs],
        capture_output=True,
        text=True,
        cwd=tmp,
        check=False,
    )
    assert r.returncode == 0, r.stdout
