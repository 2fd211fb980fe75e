"""Rendering diagnostics: exact strings (miette-style golden tests).

The human form underlines the span (`^~~~`); spans without an end get the
YAML token that starts there; control and bidi characters are shown escaped
and the underline follows the escapes; JSON gives the end and stays exact.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specc.diagnostics import (
    Diagnostic,
    Note,
    Severity,
    SpecError,
    codes,
    errors_json,
    render_all,
    render_human,
    to_json,
    with_ends,
)
from specc.diagnostics.escape import display_line, escape_text, is_unsafe, json_safe
from specc.diagnostics.locate import SourceLines, split_lines, token_end
from specc.pipeline import compile_text
from specc.span import Span

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
ESC = "\x1b"


def _token(line: str, column: int) -> str:
    return line[column - 1 : token_end(line, column) - 1]


@pytest.mark.parametrize(
    ("line", "column", "token"),
    [
        ("      - var: v", 9, "var"),  # a key up to its `:`
        ("      - var: v", 14, "v"),
        ("    dtype: float23   ", 12, "float23"),  # trailing blanks are not the token
        ("name: hello world # note", 7, "hello world"),  # a comment ends a plain scalar
        ("url: http://x.org/a#b", 6, "http://x.org/a#b"),  # `:` and `#` inside a scalar
        ("a:b: c", 1, "a:b"),
        ('name: "a\\"b: c" # q', 7, '"a\\"b: c"'),  # an escaped double quote
        ("name: 'it''s' x", 7, "'it''s'"),  # '' inside single quotes
        ('name: "open', 7, '"open'),  # unterminated: to the end of the line
        ('x: {a: "]", b: [1, {c: 2}]} # c', 4, '{a: "]", b: [1, {c: 2}]}'),
        ("shape: [1, 2   # continued below", 8, "[1, 2"),  # unclosed flow: the line
        ("shape: [784, $hidden * 2]", 14, "$hidden * 2"),  # plain scalar in flow
        ("body: [{var: w, shape: [1]}]", 9, "var"),  # a key in a flow mapping
        ("x5: &a5 [*a4, *a4]", 10, "*a4"),  # an alias
        ("x: !!python/object:os.system 1", 4, "!!python/object:os.system"),  # a tag
        ("  - var: v", 3, "- var: v"),  # anything else: to the end of the line
        ("\t- var: v", 1, "\t"),  # a blank is one character
        ("x: 1", 5, ""),  # at the end of the line: empty
        ("x: 1", 40, ""),  # past it: empty, never past the line
    ],
)
def test_token_end(line: str, column: int, token: str) -> None:
    assert _token(line, column) == token


def test_source_lines_split_like_libyaml() -> None:
    lines = SourceLines({"f": "a\r\nb\rc\x85d\u2028e\u2029f\x0cg\n"})
    assert [lines.line("f", n) for n in range(1, 8)] == ["a", "b", "c", "d", "e", "f\x0cg", None]
    assert lines.line("other", 1) is None


SOURCE = "specc: 1\nbody:\n  - scope: foo\n    body:\n      - var: v\n        shape: [1, 2]\n"


def test_with_ends_fills_spans_and_notes_from_the_source() -> None:
    d = Diagnostic(
        codes.VARIABLE_EXISTS,
        "exists",
        Span("m.yaml", 5, 9),
        notes=(Note("first", Span("m.yaml", 6, 16)), Note("unlocated")),
    )
    (filled,) = with_ends([d], {"m.yaml": SOURCE})
    assert filled.span == Span("m.yaml", 5, 9, 5, 12)
    assert filled.notes == (Note("first", Span("m.yaml", 6, 16, 6, 22)), Note("unlocated"))
    assert (filled.code, filled.message, filled.severity) == (d.code, d.message, d.severity)


def test_with_ends_keeps_what_it_cannot_or_need_not_fill() -> None:
    known = Diagnostic("schema", "x", Span("m.yaml", 1, 1, 1, 3))
    other_file = Diagnostic("schema", "x", Span("gone.yaml", 1, 1))
    past_end = Diagnostic("schema", "x", Span("m.yaml", 7, 1))
    unlocated = Diagnostic("schema", "x", None)
    items = [known, other_file, past_end, unlocated]
    assert all(a is b for a, b in zip(with_ends(items, {"m.yaml": SOURCE}), items, strict=True))


def test_human_form_underlines_the_token() -> None:
    d = Diagnostic(
        codes.SHAPE_MISMATCH,
        "Trying to share variable foo/v, but specified shape (1, 2) and found shape (2,).",
        Span("m.yaml", 6, 16),
        variable="foo/v",
        notes=(Note("first created here", Span("m.yaml", 5, 9)),),
        help="leave `shape` out when sharing",
    )
    assert render_human(d, {"m.yaml": SOURCE}) == (
        "m.yaml:6:16: error[shape-mismatch]: Trying to share variable foo/v, but specified "
        "shape (1, 2) and found shape (2,).\n"
        "  6 |         shape: [1, 2]\n"
        "    |                ^~~~~~\n"
        "  note: first created here at m.yaml:5:9\n"
        "  help: leave `shape` out when sharing"
    )


def test_human_form_with_colour() -> None:
    d = Diagnostic("schema", "bad", Span("m.yaml", 1, 1))
    assert render_human(d, {"m.yaml": SOURCE}, color=True) == (
        "\x1b[1mm.yaml:1:1: \x1b[31merror[schema]\x1b[0m\x1b[1m: bad\x1b[0m\n"
        "  1 | specc: 1\n"
        "    | \x1b[31m^~~~~\x1b[0m"
    )


def test_a_given_end_is_used_and_a_later_end_line_underlines_to_the_line_end() -> None:
    sources = {"m.yaml": SOURCE}
    same_line = Diagnostic("schema", "x", Span("m.yaml", 5, 9, 5, 15))
    assert render_human(same_line, sources).splitlines()[2] == "    |         ^~~~~~"
    multi_line = Diagnostic("schema", "x", Span("m.yaml", 3, 5, 6, 22))
    assert render_human(multi_line, sources).splitlines()[1:] == [
        "  3 |   - scope: foo",
        "    |     ^" + "~" * 9,  # `scope: foo`, then the line ends
    ]


def test_tabs_and_wide_characters_keep_the_underline_aligned() -> None:
    text = 'specc: 1\n\tname: "\u6a21\u578b" # c\nx: "\u6a21\u578b": bad\n'
    sources = {"m.yaml": text}
    tab = Diagnostic("yaml-syntax", "a tab", Span("m.yaml", 2, 1))
    assert render_human(tab, sources).splitlines()[1:] == [
        '  2 |         name: "\u6a21\u578b" # c',
        "    | ^" + "~" * 7,  # the tab, 8 columns wide
    ]
    wide = Diagnostic("schema", "x", Span("m.yaml", 2, 8))  # "模型": 1 + 2 + 2 + 1 columns
    assert render_human(wide, sources).splitlines()[2] == "    |               ^~~~~~"
    after_wide = Diagnostic("schema", "x", Span("m.yaml", 3, 10))
    assert render_human(after_wide, sources).splitlines()[1:] == [
        '  3 | x: "\u6a21\u578b": bad',
        "    |            ^~~",
    ]


def test_control_and_bidi_characters_are_escaped_for_people() -> None:
    text = f'body: [{{var: "a{RLO}b", shape: [1]}}, {{var: {ESC}[1m, k: v}}]\n'
    d = Diagnostic(
        "schema",
        f"bad {RLO}name{ESC}[2J here",
        Span(f"m{ESC}.yaml", 1, 14),
        notes=(Note(f"see {RLO}", Span("m.yaml", 1, 1)),),
        help=f"no{ESC}[0m\x07",
    )
    got = render_human(d, {f"m{ESC}.yaml": text})
    assert got == (
        "m\\x1b.yaml:1:14: error[schema]: bad \\u202ename\\x1b[2J here\n"
        '  1 | body: [{var: "a\\u202eb", shape: [1]}, {var: \\x1b[1m, k: v}]\n'
        "    |              ^~~~~~~~~~\n"
        "  note: see \\u202e at m.yaml:1:1\n"
        "  help: no\\x1b[0m\\x07"
    )
    assert ESC not in got and RLO not in got
    after = Diagnostic("schema", "x", Span("m.yaml", 1, 40))  # the ESC, after the RLO
    assert render_human(after, {"m.yaml": text}).splitlines()[2] == (
        "    | " + " " * 44 + "^~~~"  # 39 characters before it, the RLO shown as 6
    )


def test_spec_with_a_bidi_name_and_an_ansi_escape() -> None:
    """End to end: U+202E in a name, then a raw ESC the YAML reader refuses."""
    bidi = f'specc: 1\nname: model\nbody:\n  - {{var: "w{RLO}b", shape: [1]}}\n'
    comp = compile_text(bidi, "bidi.yaml")
    pattern = "^[A-Za-z0-9.][A-Za-z0-9_.\\\\/>-]*$"
    assert render_all(comp.diagnostics, comp.sources).splitlines() == [
        "bidi.yaml:4:5: error[invalid-name]: 'w\\u202eb' is not a valid root scope name. "
        f"A root scope name has to match the following pattern: {pattern}",
        '  4 |   - {var: "w\\u202eb", shape: [1]}',
        "    |     ^" + "~" * 28,  # 24 characters, the RLO shown as 6
        "  help: a name at the root starts with a letter, digit or '.', and may use letters, "
        "digits and _ . \\ / > -",
        "found 1 error",
    ]
    out = errors_json(comp.diagnostics, comp.sources)
    assert RLO not in out and '"variable": "w\\u202eb"' in out
    (err,) = json.loads(out)["errors"]
    assert err["variable"] == f"w{RLO}b"  # exact after decoding
    assert (err["line"], err["column"], err["end_line"], err["end_column"]) == (4, 5, 4, 29)

    ansi = f'specc: 1\nname: model\nbody: [{{var: "{ESC}[2J", shape: [1]}}]\n'
    comp = compile_text(ansi, "ansi.yaml")
    assert render_all(comp.diagnostics, comp.sources) == (
        "ansi.yaml:3:15: error[yaml-syntax]: character U+001B is not allowed in YAML "
        "(control characters are not allowed)\n"
        '  3 | body: [{var: "\\x1b[2J", shape: [1]}]\n'
        "    |               ^~~~\n"
        "found 1 error\n"
    )


def test_json_gives_the_end_and_located_notes() -> None:
    d = Diagnostic(
        codes.VARIABLE_EXISTS,
        "exists",
        Span("m.yaml", 5, 9),
        variable="foo/v",
        notes=(Note("first created here", Span("m.yaml", 3, 5)), Note("no place")),
        help="reuse",
    )
    assert json.loads(errors_json([d], {"m.yaml": SOURCE})) == {
        "errors": [
            {
                "code": "variable-exists",
                "severity": "error",
                "message": "exists",
                "file": "m.yaml",
                "line": 5,
                "column": 9,
                "end_line": 5,
                "end_column": 12,
                "variable": "foo/v",
                "notes": [
                    {
                        "message": "first created here",
                        "at": "m.yaml:3:5",
                        "file": "m.yaml",
                        "line": 3,
                        "column": 5,
                        "end_line": 3,
                        "end_column": 10,
                    },
                    {"message": "no place"},
                ],
                "help": "reuse",
            }
        ],
        "warnings": [],
    }
    # without the sources the end is unknown, and said so
    assert to_json(d)["end_line"] is None and to_json(d)["end_column"] is None
    unlocated = to_json(Diagnostic("limit", "too big", None))
    assert [unlocated[k] for k in ("file", "line", "column", "end_line", "end_column")] == [
        None
    ] * 5


def test_json_escapes_what_a_terminal_would_obey_and_decodes_exactly() -> None:
    nasty = f"a{RLO}b{ESC}[31m\x7f\x85\u2028\u200e\U000e0001\ud800\u00e9\u6a21"
    out = errors_json([Diagnostic("schema", nasty, None, variable=nasty)])
    assert not out.isascii()  # é and 模 stay readable
    for ch in (RLO, ESC, "\x7f", "\x85", "\u2028", "\u200e", "\U000e0001", "\ud800"):
        assert ch not in out
    assert "\\u202e" in out and "\\udb40\\udc01" in out and "\u00e9\u6a21" in out
    assert json.loads(out)["errors"][0]["message"] == nasty
    out.encode("utf-8")  # a lone surrogate would make this raise


def test_escape_helpers() -> None:
    assert escape_text("plain é 模") == "plain é 模"
    assert escape_text(f"{ESC}\t\n\r\x00{RLO}\u2066\u200f\U000e0001") == (
        "\\x1b\\t\\n\\r\\x00\\u202e\\u2066\\u200f\\U000e0001"
    )
    assert json_safe('{"a": "\u202e"}\n') == '{"a": "\\u202e"}\n'
    shown, cells = display_line(f"\ta{RLO}\u6a21e\u0301")
    assert shown == "        a\\u202e\u6a21e\u0301"
    assert cells == [0, 8, 9, 15, 17, 18, 18]


def test_diagnostic_takes_constants_or_names_and_a_severity() -> None:
    by_constant = Diagnostic(codes.SCHEMA, "m", None)
    by_name = Diagnostic("schema", "m", None)
    assert by_constant == by_name and by_constant.code == "schema"
    assert by_constant.severity is Severity.ERROR and by_constant.info is codes.SCHEMA
    with pytest.raises(ValueError, match="unknown diagnostic code 'schemaa'"):
        Diagnostic("schemaa", "m", None)
    warning = Diagnostic("schema", "odd", Span("m.yaml", 1, 1), severity=Severity.WARNING)
    assert render_human(warning, {}) == "m.yaml:1:1: warning[schema]: odd"


def test_render_all_counts_and_spec_error_escapes() -> None:
    items = [Diagnostic("schema", "a", None), Diagnostic("limit", f"b{ESC}", None)]
    assert render_all(items, {}) == ("error[schema]: a\nerror[limit]: b\\x1b\nfound 2 errors\n")
    err = SpecError([Diagnostic("schema", f"bad {RLO}", Span("m.yaml", 2, 3))])
    assert str(err) == "m.yaml:2:3: bad \\u202e"
    assert str(SpecError([])) == "spec error"


@given(st.text(max_size=40), st.integers(min_value=1, max_value=45))
def test_any_line_renders_safely_and_the_end_stays_on_it(line: str, column: int) -> None:
    line = "".join(" " if c in "\r\n\x85\u2028\u2029" else c for c in line)  # one line
    end = token_end(line, column)
    assert end == column if column > len(line) else column < end <= len(line) + 1
    text = "\n".join(["x: 1", line, "y: 2"])
    shown = render_human(Diagnostic("schema", line, Span("f", 2, column)), {"f": text})
    lines = shown.split("\n")
    assert len(lines) == 3
    assert not any(is_unsafe(c) for row in lines for c in row)
    assert lines[2].startswith("    | ") and lines[2].lstrip(" |").startswith("^")


#: libyaml's line breaks (YAML 1.1), written out independently of specc's
_YAML_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


@given(st.text(alphabet=st.sampled_from(list("ab \n\r\x85\u2028\u2029\v\f\x1c\x1e\t"))))
def test_lines_are_split_where_libyaml_breaks_them(text: str) -> None:
    expected = _YAML_BREAK.split(text)
    if len(expected) > 1 and expected[-1] == "":
        expected.pop()  # a break at the very end starts no line
    assert split_lines(text) == expected
