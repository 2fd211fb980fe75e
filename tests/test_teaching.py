"""Diagnostics that teach: the line the author can change, the near name, the
missing include, YAML's complaints in one sentence with the fix, and `-D`
values checked against the declared type."""

from __future__ import annotations

from pathlib import Path

import pytest

from specc.cli import main
from specc.pipeline import compile_text
from specc.source import compose

HEADER = "specc: 1\nname: m\n"


def only(text: str) -> tuple[str, int, int, str, str | None]:
    (d,) = compile_text(text, "m.yaml").diagnostics
    assert d.span is not None
    return d.code, d.span.line, d.span.column, d.message, d.help


def test_an_error_in_a_std_template_is_reported_at_the_use() -> None:
    text = HEADER + "include: [std]\nbody:\n  - use: dense\n    with: {in_dim: -1, units: 3}\n"
    (d,) = compile_text(text, "m.yaml").diagnostics
    assert d.span is not None and (d.span.file, d.span.line) == ("m.yaml", 5)
    assert d.notes[0].message == "the statement of template 'dense' that fails is here"
    assert d.notes[0].span is not None and d.notes[0].span.file == "<std>/dense.yaml"


def test_an_error_in_an_included_template_is_reported_at_the_use(tmp_path: Path) -> None:
    (tmp_path / "blocks.yaml").write_text(
        "templates:\n  t:\n    body:\n      - var: w\n        shape: [1]\n      - var: w\n"
        "        shape: [1]\n"
    )
    text = HEADER + "include: [blocks.yaml]\nbody:\n  - use: t\n"
    (d,) = compile_text(text, "m.yaml", base_dir=str(tmp_path)).diagnostics
    assert d.code == "variable-exists"
    assert d.span is not None and (d.span.file, d.span.line) == ("m.yaml", 5)
    assert [n.span.file if n.span else None for n in d.notes][:2] == ["blocks.yaml", "blocks.yaml"]


def test_a_std_template_without_the_include_says_so() -> None:
    code, line, _, message, help_ = only(
        HEADER + "body:\n  - use: dense\n    with: {in_dim: 2, units: 3}\n"
    )
    assert (code, line) == ("unknown-ref", 4)
    assert "is in the standard library" in message
    assert help_ is not None and "include: [std]" in help_


def test_a_mistyped_shared_name_gets_the_near_one() -> None:
    text = HEADER + (
        "body:\n  - scope: enc\n    body:\n      - var: kernel\n        shape: [2]\n"
        "  - scope: enc\n    reuse: true\n    body:\n      - var: kernal\n"
    )
    code, _, _, _, help_ = only(text)
    assert code == "variable-missing"
    assert help_ is not None and help_.startswith("did you mean 'enc/kernel'?")
    assert "reuse: auto" not in help_


@pytest.mark.parametrize("libyaml", [True, False])
@pytest.mark.parametrize(
    ("text", "line", "message", "fix"),
    [
        (
            "body:\n  - var: a\n   shape: [1]\n",
            5,
            "indented to column 4, which matches no block",
            "column 3",
        ),
        (
            "body:\n  - var: a\n      shape: [1]\n",
            5,
            "deeper than the key above it (column 5)",
            "column 5",
        ),
        ("body:\n  - var: a: b\n", 4, "a second `: ` in a plain value", "quote the value"),
        ("body:\n  - var: a\n    shape: [1, 2\n", 6, "the `[` opened at line 5, column 12", "`]`"),
        ('body:\n  - var: "a\n', 5, "the quoted string that starts at line 4", "close the quote"),
    ],
)
def test_yaml_syntax_in_one_sentence_with_the_fix(  # noqa: PLR0917 - one case a row
    monkeypatch: pytest.MonkeyPatch, libyaml: bool, text: str, line: int, message: str, fix: str
) -> None:
    if not libyaml:
        monkeypatch.setattr(compose, "WITH_LIBYAML", False)
    code, got_line, _, got, help_ = only(HEADER + text)
    assert code == "yaml-syntax"
    assert message in got
    assert help_ is not None and fix in help_
    assert abs(got_line - line) <= 1  # the two parsers stop a line apart at the end


def test_d_names_and_values_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "m.yaml"
    spec.write_text(
        HEADER + "params: {hidden: 4, lr: 0.1, act: relu}\nbody:\n"
        "  - var: w\n    shape: [$hidden]\n    if: $lr > 0 and $act != 'x'\n"
    )
    assert main(["check", str(spec), "-D", "hiden=8"]) == 2
    assert "unknown param 'hiden'; did you mean 'hidden'?" in capsys.readouterr().err
    assert main(["check", str(spec), "-D", "hidden=abc"]) == 2
    err = capsys.readouterr().err
    assert "param 'hidden' is an integer (4); -D gave a string ('abc')" in err
    assert main(["check", str(spec), "-D", "lr=1"]) == 0  # an int is taken for a float
    assert main(["check", str(spec), "-D", "act=7"]) == 0  # the text 7
    assert main(["check", str(spec), "-D", "lr=fast"]) == 2
    assert "param 'lr' is a float (0.1); -D gave a string ('fast')" in capsys.readouterr().err


SHARED_TOWER = """\
specc: 1
name: m
templates:
  dense:
    args: {n: int}
    body:
      - var: kernel
        shape: [$n, $n]
  tower:
    args: {h: int}
    body:
      - use: dense
        with: {n: $h}
body:
  - scope: a
    body:
      - use: tower
        instance: t
        with: {h: 4}
  - scope: b
    body:
      - use: tower
        instance: t
        with: {h: 8}
"""


def test_a_clash_in_a_template_body_names_the_use_that_created_the_variable() -> None:
    """Both calls run the same body line: "first created here" alone points at
    the error's own line, so the `use` of the first call is named too."""
    comp = compile_text(SHARED_TOWER, "m.yaml")
    (d,) = comp.diagnostics
    assert d.code == "shape-mismatch"
    assert [(n.message, n.span.line if n.span else None) for n in d.notes] == [
        ("first created here", 7),
        ("first created by template 'tower', used here", 17),
        ("in template 'dense', used here", 12),
        ("in template 'tower', used here", 22),
    ]


def test_a_clash_outside_templates_has_no_creating_use_note() -> None:
    text = (
        "specc: 1\nname: m\nbody:\n"
        "  - {scope: s, body: [{var: v, shape: [2]}]}\n"
        "  - {scope: s, reuse: true, body: [{var: v, shape: [3]}]}\n"
    )
    comp = compile_text(text, "m.yaml")
    assert [n.message for d in comp.diagnostics for n in d.notes] == ["first created here"]


def test_the_same_error_from_one_line_is_reported_once_and_counted() -> None:
    """Three turns of a repeat run the same failing line: one error, with a
    note that counts the other two (not three identical errors, nor one that
    hides them)."""
    text = (
        "specc: 1\nname: r\nparams: {h: -5}\n"
        "templates:\n  dense:\n    args: {n: int}\n"
        "    body:\n      - {var: kernel, shape: [$n, 2]}\n"
        "body:\n  - repeat: 3\n    body:\n"
        "      - scope: null\n        default_name: layer\n"
        "        body:\n          - {use: dense, with: {n: $h}}\n"
    )
    comp = compile_text(text, "r.yaml")
    (d,) = comp.diagnostics
    assert d.notes[-1].message == (
        "and 2 more from this line (other turns of a repeat or uses of a template)"
    )
    assert d.notes[-1].span is None


def test_errors_of_one_kind_at_one_line_are_shown_up_to_a_hundred() -> None:
    """A failing line in a repeat of 1,000 turns: 100 errors (each its own
    variable), the other 900 counted on the first."""
    text = (
        "specc: 1\nname: big\nbody:\n  - repeat: 1000\n    body:\n"
        "      - scope: null\n        default_name: layer\n        body:\n"
        "          - {var: kernel, shape: [2]}\n          - {var: kernel, shape: [3]}\n"
    )
    comp = compile_text(text, "big.yaml")
    assert len(comp.diagnostics) == 100
    assert {d.code for d in comp.diagnostics} == {"variable-exists"}
    assert comp.diagnostics[0].notes[-1].message.startswith("and 900 more from this line")
