"""Each code's long-form documentation, read from data files beside the registry.

For every code in `CODES`, the folder `examples/<code>/` holds:

- `explanation.md`: why the spec fails and how the fix works (Markdown);
- `failing.yaml`: a minimal spec whose FIRST diagnostic has the code;
- `fixed.yaml`: the same spec fixed, which compiles clean;
- `files/` (optional): helper files written beside the spec (an included file);
- `limits.toml` (optional): limits to compile both specs with, as `Limits`
  field names and integers (`max_variables = 2`), for a limit the default
  values would need a large spec to exceed.

The one-line summary is the registry's (`Code.summary`): it is needed without
the data files, and one place holds it.

Nothing here runs when a spec is compiled: only `specc explain-code`, the docs
generator and the tests import this module, so `specc check` never reads these
files. `docs/diagnostics.md` is generated from them:

    python -m specc.diagnostics.explain docs/diagnostics.md
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Final

from specc.diagnostics.codes import CODES, Code, lookup
from specc.limits import Limits

#: the names a code's folder may hold (besides `files/`)
DATA_FILES: Final = ("explanation.md", "failing.yaml", "fixed.yaml", "limits.toml")


@dataclass(frozen=True, slots=True)
class CodeExample:
    """One code's explanation, minimal failing spec and fix.

    `files` are helper files (name, content) written beside the spec: an
    included file, a checkpoint; `limits` are the limits to compile with
    (None: the defaults).
    """

    code: Code
    explanation: str
    failing: str
    fixed: str
    files: tuple[tuple[str, bytes], ...] = ()
    limits: Limits | None = None


def examples_root() -> Traversable:
    """The folder holding one subfolder per code (inside the installed package)."""
    return files("specc.diagnostics").joinpath("examples")


def load_example(code: Code | str, root: Traversable | None = None) -> CodeExample:
    """Read the documentation of `code` (a constant or a registered name)."""
    info = lookup(code)
    folder = (root or examples_root()).joinpath(info.name)

    def read(name: str) -> str:
        return folder.joinpath(name).read_text(encoding="utf-8")

    extra = folder.joinpath("files")
    helpers = (
        tuple((f.name, f.read_bytes()) for f in sorted(extra.iterdir(), key=lambda f: f.name))
        if extra.is_dir()
        else ()
    )
    limits_file = folder.joinpath("limits.toml")
    limits = _parse_limits(read("limits.toml"), info.name) if limits_file.is_file() else None
    return CodeExample(
        info, read("explanation.md"), read("failing.yaml"), read("fixed.yaml"), helpers, limits
    )


def _parse_limits(text: str, code: str) -> Limits:
    values = tomllib.loads(text)
    known = Limits.field_names()
    for name, value in values.items():
        if name not in known:
            raise ValueError(f"{code}/limits.toml: unknown limit {name!r} (known: {known})")
        if type(value) is not int:
            raise ValueError(f"{code}/limits.toml: {name} must be an integer")
    return Limits(**values)


def limit_flags(limits: Limits) -> str:
    """The command-line flags that set the limits differing from the defaults."""
    default = Limits()
    return " ".join(
        f"{Limits.flag(n)} {getattr(limits, n)}"
        for n in Limits.field_names()
        if getattr(limits, n) != getattr(default, n)
    )


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else "" for line in text.rstrip("\n").splitlines())


def shown_file(name: str, content: bytes) -> str:
    """A helper file as the docs show it: its text, or what a binary file holds."""
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return f"({name}: a binary file of {len(content):,} bytes, in specc/diagnostics/examples)"


def explain_code_text(code: str | None) -> str:
    """What `specc explain-code [CODE]` prints: every code with its summary when
    `code` is None, else the code's failing spec, fix and explanation.

    Raises ValueError for a name that is not a registered code."""
    if code is None:
        return "".join(f"{c.name:22} {c.summary}\n" for c in CODES.values())
    ex = load_example(code)
    out = [f"{ex.code.name}: {ex.code.summary}\n", "\nA spec that fails with it"]
    if ex.limits is not None:
        out.append(f" (checked with {limit_flags(ex.limits)})")
    out += [":\n\n", _indent(ex.failing), "\n"]
    for name, content in ex.files:
        out += [f"\nwith {name} beside it:\n\n", _indent(shown_file(name, content)), "\n"]
    out += ["\nThe fix:\n\n", _indent(ex.fixed), "\n"]
    out += ["\nWhy:\n\n", ex.explanation.strip(), "\n"]
    return "".join(out)


_PAGE_HEAD: Final = """\
# Diagnostics

<!-- Generated from specc/diagnostics/examples/ (and the summaries in
specc/diagnostics/codes.py); edit those, not this file, then regenerate with
    python -m specc.diagnostics.explain docs/diagnostics.md
A test fails while this page and the data disagree. -->

Every error specc reports carries one of the codes below. `specc explain-code CODE` \
prints the same example on a terminal, and `specc explain-code` lists every code.

Exit codes: 0 ok, 1 errors in the spec, 2 usage errors (bad flags, an unknown `-D` \
name, a missing file).

Errors come in two phases. Phase 1 (`yaml-syntax`, `schema`, `include`, most \
`unknown-ref`, some `expression` and `limit` errors) checks the whole document and \
reports in source order; resolution does not run on an invalid document. Phase 2 runs \
the body as TensorFlow would and reports in execution order, so the first error is the \
one TensorFlow raises; it then carries on, so one run shows every error it can find.

## How errors are shown

On a terminal, like a compiler: the location, `error[code]`, the message, the source \
line with the offending key, value or statement underlined, then notes and a hint:

```
model.yaml:10:9: error[variable-exists]: Variable foo/v already exists, disallowed. \
Did you mean to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?
  10 |       - var: v
     |         ^~~
  note: first created here at model.yaml:6:9
  help: set `reuse: true` or `reuse: auto` on the enclosing scope
found 1 error
```

The underline covers the YAML token that starts at the location: a key up to its \
`:`, a plain or quoted scalar, a flow collection (`[...]`, `{...}`) to its closing \
bracket, and never goes past that line. A statement is located at its first key, \
so `- var: v` underlines `var`.

With `--json`, each error is an object with `code`, `message`, `file`, `line`, \
`column` (1-based, where the span starts), `end_line` and `end_column` (the \
character just after the underlined range; `null` when unknown), `variable` (the \
variable's full name, or `null`), and optionally `notes` (each with `message` and, \
when located, `at` as `file:line:col` plus the same `file`, `line`, `column`, \
`end_line`, `end_column` fields) and `help`.

Control characters (an ANSI escape, a NUL), bidirectional overrides and isolates \
(U+202A-U+202E, U+2066-U+2069), direction marks (U+200E, U+200F) and other \
invisible format characters in a spec are never written raw to a terminal: the human \
form shows them escaped (`\\x1b`, `\\u202e`) and the underline follows the escaped \
text. The JSON form keeps the exact text, and writes these characters as `\\uXXXX` \
escapes.

| code | meaning |
| --- | --- |
"""


def _fence(text: str) -> str:
    return "```yaml\n" + text.rstrip("\n") + "\n```\n"


def _section(ex: CodeExample) -> list[str]:
    summary = ex.code.summary
    out = ["\n", f"## {ex.code.name}\n", "\n", summary[0].upper(), summary[1:], ".\n", "\n"]
    if ex.limits is not None:
        out += [f"Fails when checked with `{limit_flags(ex.limits)}`:\n", "\n"]
    else:
        out += ["Fails:\n", "\n"]
    out += [_fence(ex.failing), "\n"]
    for name, content in ex.files:
        shown = shown_file(name, content)
        if shown.startswith("("):
            out += [f"With `{name}` beside the spec {shown}.\n", "\n"]
        else:
            out += [f"With `{name}` beside the spec:\n", "\n", _fence(shown), "\n"]
    out += ["Fixed:\n", "\n", _fence(ex.fixed), "\n", ex.explanation.rstrip("\n"), "\n"]
    return out


def render_markdown() -> str:
    """The text of `docs/diagnostics.md`: every code, its failing spec and fix."""
    out = [_PAGE_HEAD]
    out.extend(f"| [`{c}`](#{c}) | {info.summary} |\n" for c, info in CODES.items())
    for code in CODES:
        out.extend(_section(load_example(code)))
    return "".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m specc.diagnostics.explain [PATH]`: write the docs page to PATH
    (UTF-8), or print it."""
    args = sys.argv[1:] if argv is None else list(argv)
    page = render_markdown()
    if args:
        with open(args[0], "w", encoding="utf-8", newline="\n") as f:
            f.write(page)
    else:
        sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
