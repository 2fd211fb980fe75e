"""The language server's parts on their own: positions, the outline of text
being typed, the quick fixes' reading of the compiler's messages, the index of
names, and the conversion of diagnostics."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types

from specc.diagnostics import Diagnostic, Note, Severity, codes
from specc.lsp.actions import suggestions
from specc.lsp.analysis import Settings, analyze
from specc.lsp.diagnostics import convert
from specc.lsp.docs import ArgDoc, type_text
from specc.lsp.hover import hover_markdown
from specc.lsp.index import expression_names
from specc.lsp.outline import ITEM, outline
from specc.lsp.positions import UTF8, UTF16, UTF32, PositionMap, column_of, units
from specc.pipeline import compile_text
from specc.span import Span

# --------------------------------------------------------------------------- positions


def test_columns_count_the_clients_code_units() -> None:
    line = 'a: "é😀", b: 1'
    b = line.index("b")  # 9 code points in
    assert units(line[:b], UTF32) == 9
    assert units(line[:b], UTF16) == 10  # the emoji is a surrogate pair
    assert units(line[:b], UTF8) == 13  # é takes 2 bytes, the emoji 4
    for enc in (UTF8, UTF16, UTF32):
        assert column_of(line, units(line[:b], enc), enc) == b
    assert column_of(line, 99, UTF16) == len(line)


def test_a_span_without_end_ends_at_its_token() -> None:
    pm = PositionMap({"f.yaml": "body:\n  - var: kernel  # c\n"})
    rng = pm.range(Span("f.yaml", 2, 10))
    assert rng == types.Range(start=types.Position(1, 9), end=types.Position(1, 15))
    assert pm.cursor("f.yaml", types.Position(1, 12)) == (2, 13)


# --------------------------------------------------------------------------- outline


def _outline(text: str) -> tuple[list[str], str, str | None, str, bool]:
    """The outline at `|` in `text`: (path, mode, value_of, prefix, dollar)."""
    lines = text.split("\n")
    row = next(i for i, line in enumerate(lines) if "|" in line)
    col = lines[row].index("|")
    lines[row] = lines[row].replace("|", "")
    o = outline(lines, row, col)
    return o.path, o.mode, o.value_of, o.prefix, o.dollar


B = ["body", ITEM]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("spe|", ([], "key", None, "spe", False)),
        ("specc: 1\nbody:\n  - va|\n", (B, "key", None, "va", False)),
        ("body:\n  - var: a\n  - use: de|\n", (B, "value", "use", "de", False)),
        (
            "body:\n  - scope: e\n    body:\n      - var: k\n        sha|\n",
            ([*B, "body", ITEM], "key", None, "sha", False),
        ),
        (
            "body:\n  - var: a\n    initializer: {truncated_normal: {std|\n",
            ([*B, "initializer", "truncated_normal"], "key", None, "std", False),
        ),
        (
            "body:\n  - var: a\n    initializer:\n      truncated_normal:\n        st|\n",
            ([*B, "initializer", "truncated_normal"], "key", None, "st", False),
        ),
        ("body:\n  - use: d\n    with: {a: 3, u|}\n", ([*B, "with"], "key", None, "u", False)),
        ("body:\n  - var: a\n    shape: [$hi|\n", ([*B, "shape"], "value", None, "hi", True)),
        ("body:\n  - var: x_${i|\n", (B, "value", "var", "i", True)),
        ("include: [st|\n", (["include"], "value", None, "st", False)),
        ("include:\n  - st|\n", (["include", ITEM], "key", None, "st", False)),
        ("body:\n  - scope: {ref: |\n", ([*B, "scope"], "value", "ref", "", False)),
        (
            "templates:\n  d:\n    args:\n      x: {type: |\n",
            (["templates", "d", "args", "x"], "value", "type", "", False),
        ),
    ],
)
def test_the_outline_of_text_being_typed(
    text: str, expected: tuple[list[str], str, str | None, str, bool]
) -> None:
    assert _outline(text) == expected


def test_the_outline_knows_the_sibling_keys_around_the_cursor() -> None:
    lines = ["body:", "  - repeat: 3", "    as: i", "    body:", "      - use: d", "        ", ""]
    lines += ["        with: {}", "      - var: z"]
    o = outline(lines, 5, 8)
    assert o.siblings == {"use": "d", "with": "{}"}
    assert o.mapping(2) == {"repeat": "3", "as": "i", "body": ""}


# --------------------------------------------------------------------------- quick fixes

TYPOS = {
    "specc: 1\nname: m\nbody:\n  - var: v\n    shap: [2]\n": ("shap", "shape"),
    "specc: 1\nname: m\ntemplates:\n  dense: {body: []}\nbody:\n  - use: dense2\n": (
        "dense2",
        "dense",
    ),
    "specc: 1\nname: m\nbody:\n  - scope: a\n    capture: enc\n  - scope: {ref: enk}\n": (
        "enk",
        "enc",
    ),
    "specc: 1\nname: m\ntemplates:\n  t: {args: {w: {type: int, default: 1}}, body: []}\n"
    "body:\n  - use: t\n    with: {ww: 2}\n": ("ww", "w"),
    "specc: 1\nname: m\nbody:\n  - var: v\n    shape: [2]\n    initializer: glorot_unifrom\n": (
        "glorot_unifrom",
        "glorot_uniform",
    ),
    "specc: 1\nname: m\nbody:\n  - var: v\n    shape: [2]\n"
    "    initializer: {truncated_normal: {stdev: 1}}\n": ("stdev", "stddev"),
    "specc: 1\nname: m\nbody:\n  - var: v\n    shape: [2]\n    dtype: flaot32\n": (
        "flaot32",
        "float32",
    ),
    "specc: 1\nname: m\nparams: {hidden: 3}\nbody:\n  - var: v\n    shape: [$hiden]\n": (
        "$hiden",
        "$hidden",
    ),
    "specc: 1\nname: m\nbody:\n  - vr: v\n    shape: [2]\n": ("vr", "var"),
}


@pytest.mark.parametrize(("text", "fix"), TYPOS.items())
def test_the_compilers_did_you_mean_is_read_back(text: str, fix: tuple[str, str]) -> None:
    """The quick fix reads the compiler's wording: a change of wording fails here."""
    (d,) = compile_text(text, "s.yaml").diagnostics
    assert suggestions(d.message)[0] == fix
    assert d.span is not None
    assert fix[0] in text.split("\n")[d.span.line - 1]


def test_no_suggestion_from_tensorflows_own_advice() -> None:
    message = (
        "Variable foo/v already exists, disallowed. Did you mean to set reuse=True or "
        "reuse=tf.AUTO_REUSE in VarScope?"
    )
    assert suggestions(message) == []


# --------------------------------------------------------------------------- index, docs


def test_the_names_an_expression_uses() -> None:
    assert expression_names("layer_${i}") == [(8, 1, "i")]
    assert expression_names("$a * $b + 1") == [(1, 1, "a"), (6, 1, "b")]
    assert expression_names("${$i + 1}_x") == [(3, 1, "i")]
    assert expression_names("${min(n, 3)}") == [(6, 1, "n")]  # `min` is no name


def test_argument_types_and_defaults_read_plainly() -> None:
    from specc.catalog.initializers import CheckpointArgs, VarianceScalingArgs

    fields = VarianceScalingArgs.model_fields
    assert type_text(fields["scale"].annotation) == "number"
    assert type_text(fields["mode"].annotation) == "`fan_in` | `fan_out` | `fan_avg`"
    key = CheckpointArgs.model_fields["key"]
    assert type_text(key.annotation) == "string | null"
    line = ArgDoc("key", "string | null", None, required=False, description="d").line()
    assert line == "- `key` (string | null, optional): d"


# --------------------------------------------------------------------------- diagnostics


def _analysis(text: str, path: str = "/tmp/spec.yaml"):  # type: ignore[no-untyped-def]
    return analyze("file:///tmp/spec.yaml", 1, text, path, Settings())


def test_a_warning_stays_a_warning_and_unlocated_notes_join_the_message() -> None:
    a = _analysis("specc: 1\nname: m\nbody:\n  - var: v\n    shape: [1]\n")
    d = Diagnostic(
        codes.SCHEMA,
        "odd",
        Span("/tmp/spec.yaml", 4, 5),
        notes=(Note("see the docs"), Note("here", Span("/tmp/spec.yaml", 5, 5))),
        help="do this",
        severity=Severity.WARNING,
    )
    lsp = convert(a, d, None)
    assert lsp.severity == types.DiagnosticSeverity.Warning
    assert lsp.message == "odd\nnote: see the docs\nhelp: do this"
    assert lsp.range == types.Range(start=types.Position(3, 4), end=types.Position(3, 7))
    assert lsp.related_information is not None
    (related,) = lsp.related_information
    assert related.message == "here" and related.location.range.start == types.Position(4, 4)
    assert lsp.code_description is None


def test_hover_on_a_statement_that_never_ran() -> None:
    text = "specc: 1\nname: m\nbody:\n  - var: v\n    if: false\n    shape: [1]\n"
    found = hover_markdown(_analysis(text), 4, 6)
    assert found is not None
    assert "made no variable: it did not run" in found[0]


def test_check_does_not_import_the_language_server(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("specc: 1\nname: s\nbody:\n  - var: w\n    shape: [2]\n")
    code = (
        "import sys\nfrom specc.cli import main\n"
        f"assert main(['check', {str(spec)!r}]) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol')"
        " or m.startswith('specc.lsp') or m == 'specc.cli.lsp'))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_lsp_help_names_the_extra() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "specc", "lsp", "--help"], capture_output=True, text=True, check=True
    )
    assert r.stdout.startswith("usage: specc lsp ")
    assert "--stdio" in r.stdout and "--log-file" in r.stdout


def test_without_pygls_the_command_says_how_to_install_it(tmp_path: Path) -> None:
    """The hint installs from specc's clone (the name `specc` on PyPI is
    another project) or pygls itself; never a traceback."""
    code = (
        "import sys\nsys.modules['pygls'] = None\n"
        "from specc.cli import main\nraise SystemExit(main(['lsp']))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert "pip install -e '.[lsp]'" in r.stderr and "pip install 'pygls>=2,<3'" in r.stderr
    assert "specc[lsp]" not in r.stderr


# --------------------------------------------------------------------------- docs/editors.md

EDITORS = Path(__file__).resolve().parent.parent / "docs" / "editors.md"


def _blocks(language: str) -> list[str]:
    text = EDITORS.read_text(encoding="utf-8")
    return [b.split("```", 1)[0] for b in text.split(f"```{language}\n")[1:]]


def test_the_editor_setups_parse_and_start_specc_lsp() -> None:
    import json
    import tomllib

    (helix,) = (tomllib.loads(b) for b in _blocks("toml"))
    assert helix["language-server"]["specc"] == {
        "command": "specc",
        "args": ["lsp"],
        "config": {"debounceMs": 150},
    }
    vscode = json.loads(_blocks("json")[1])
    assert vscode["glspc.serverCommand"] == "specc"
    assert vscode["glspc.serverCommandArguments"] == ["lsp"]
    for lua in _blocks("lua")[:3]:
        assert "cmd = { 'specc', 'lsp' }" in lua
    (elisp,) = _blocks("elisp")
    assert '("specc" "lsp" :initializationOptions (:debounceMs 150))' in elisp


def test_the_documented_settings_are_the_ones_read() -> None:
    from specc.lsp.server import _settings

    text = EDITORS.read_text(encoding="utf-8")
    for option in ("debounceMs", "params", "limits", "docsUrl"):
        assert f"| `{option}` |" in text
    s = _settings(
        {"debounceMs": 40, "params": {"hidden": 8}, "limits": {"max_statements": 7}, "docsUrl": "u"}
    )
    assert (s.debounce, dict(s.params), s.limits.max_statements, s.docs_url) == (
        0.04,
        {"hidden": 8},
        7,
        "u",
    )
    assert _settings({"debounceMs": "x", "limits": {"nope": 1}}).debounce == 0.15


# --------------------------------------------------------------------------- robustness

TESTS = Path(__file__).resolve().parent
SPECS = sorted((TESTS / "bad").glob("*.yaml")) + sorted((TESTS.parent / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_every_feature_answers_anywhere_in_any_spec(path: Path) -> None:
    """Every request, at many places of every bad spec and example: no feature
    may raise (the server logs and answers null, which would hide a bug)."""
    from specc.lsp.actions import code_actions
    from specc.lsp.completion import Knowledge, complete
    from specc.lsp.diagnostics import publishable
    from specc.lsp.positions import split_lines
    from specc.lsp.symbols import document_symbols, inlay_hints

    if path.stat().st_size > 200_000:
        pytest.skip("a limit test: too big to probe everywhere")
    text = path.read_text(encoding="utf-8", errors="replace")
    a = analyze(path.as_uri(), 1, text, str(path), Settings())
    lines = split_lines(text)[:150]
    whole = types.Range(start=types.Position(0, 0), end=types.Position(len(lines), 0))
    document_symbols(a)
    inlay_hints(a, whole)
    published = publishable(a, None)
    code_actions(a, published, whole, ["dense"])
    knowledge = Knowledge(index=a.index)
    for row, line in enumerate(lines):
        for col in sorted({0, len(line) // 3, len(line) // 2, len(line)}):
            hover_markdown(a, row + 1, col + 1)
            a.index().at(a.path, row + 1, col + 1)
            where = outline(lines, row, col)
            complete(where, knowledge, line, row=row, column=col, encoding=UTF16)


@pytest.mark.parametrize("name", ["mlp", "cnn", "seq2seq", "transformer"])
def test_features_answer_on_every_prefix_of_an_example(name: str) -> None:
    """A spec being typed: cut an example at many places and ask at the cut."""
    from specc.lsp.completion import Knowledge, complete
    from specc.lsp.positions import split_lines

    text = (TESTS.parent / "examples" / f"{name}.yaml").read_text(encoding="utf-8")
    for cut in range(0, len(text), 89):
        part = text[:cut]
        a = analyze("file:///x.yaml", 1, part, "/tmp/x.yaml", Settings())
        lines = split_lines(part)
        row, col = len(lines) - 1, len(lines[-1])
        hover_markdown(a, row + 1, col + 1)
        complete(
            outline(lines, row, col),
            Knowledge(index=a.index),
            lines[-1],
            row=row,
            column=col,
            encoding=UTF16,
        )
