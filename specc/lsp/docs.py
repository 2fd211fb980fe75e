"""Markdown for people: catalog kinds and their arguments, templates, and the
page of each diagnostic code that a diagnostic's `codeDescription` links to.

Everything is read from where the compiler keeps it: a kind's doc, TF API and
argument model from its catalog entry, a template's doc and arguments from its
located definition (so it works while the spec does not validate), a code's
explanation from the data files `specc explain-code` prints.
"""

from __future__ import annotations

import os
import tempfile
import types as pytypes
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, Union

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from specc import __version__
from specc.catalog import Entry, default_catalogs
from specc.catalog.initializers import VALUE
from specc.source import LocDict

_TYPE_WORDS: Final = {
    bool: "bool",
    int: "int",
    float: "number",
    str: "string",
    list: "list",
}


def catalog_entry(catalog: str, kind: str) -> Entry | None:
    """The built-in entry of `kind` in `catalog` (`value` among initializers too).
    Custom-getter plugins are not loaded: reading entry points is slow."""
    if catalog == "initializer" and kind == VALUE.kind:
        return VALUE
    registry = default_catalogs().registry(catalog)
    return registry.get(kind)


def catalog_kinds(catalog: str) -> list[Entry]:
    """Every built-in kind of `catalog`, in registry order."""
    return list(default_catalogs().registry(catalog).entries().values())


def type_text(annotation: Any) -> str:
    """A field's type for people: `number`, `int | null`, `` `fan_in` | `fan_out` ``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return type_text(typing.get_args(annotation)[0])
    if origin is Literal:
        return " | ".join(f"`{v}`" for v in typing.get_args(annotation))
    if origin in (Union, pytypes.UnionType):
        parts = list(dict.fromkeys(type_text(a) for a in typing.get_args(annotation)))
        if "number" in parts and "int" in parts:
            parts.remove("int")  # an int is a number
        return " | ".join(parts)
    if annotation is type(None):
        return "null"
    if origin is not None:
        return _TYPE_WORDS.get(origin, getattr(origin, "__name__", "value"))
    for base, word in _TYPE_WORDS.items():
        if isinstance(annotation, type) and issubclass(annotation, base):
            return word
    return getattr(annotation, "__name__", "value")


def yaml_text(value: Any) -> str:
    """A value as it would be written in YAML (`true`, `0.02`, `fan_in`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(yaml_text(v) for v in value) + "]"
    return str(value)


@dataclass(frozen=True, slots=True)
class ArgDoc:
    """One argument of a catalog kind or a template, ready to show."""

    name: str
    type: str
    #: the default as written, or None when the argument has none
    default: str | None
    required: bool
    description: str

    def line(self) -> str:
        """`name` (type, default 1.0): description."""
        if self.required:
            how = "required"
        elif self.default is None:
            how = "optional"
        else:
            how = f"default `{self.default}`"
        text = f"- `{self.name}` ({self.type}, {how})"
        return text + (f": {self.description}" if self.description else "")


def _field_doc(name: str, info: FieldInfo) -> ArgDoc:
    required = info.is_required()
    default = None
    if not required and info.default is not PydanticUndefined and info.default is not None:
        default = yaml_text(info.default)
    return ArgDoc(name, type_text(info.annotation), default, required, info.description or "")


def kind_args(entry: Entry) -> list[ArgDoc]:
    """The arguments of a catalog kind."""
    return [_field_doc(n, f) for n, f in entry.args.model_fields.items()]


def kind_markdown(catalog: str, entry: Entry) -> str:
    """A catalog kind: what it does, the TF API it mirrors, its arguments."""
    out = [
        f"**{entry.kind}** ({catalog.replace('_', ' ')})",
        "",
        entry.doc,
        "",
        f"TF: `{entry.tf_api}`",
    ]
    args = kind_args(entry)
    if args:
        out += ["", "Arguments:", *(a.line() for a in args)]
    else:
        out += ["", "No arguments."]
    return "\n".join(out)


def template_args(definition: LocDict) -> list[ArgDoc]:
    """The arguments of a template, from its located definition."""
    args = definition.get("args")
    if not isinstance(args, LocDict):
        return []
    out = []
    for name, spec in args.items():
        if isinstance(spec, LocDict):
            has_default = "default" in spec
            default = yaml_text(spec.get("default")) if has_default else None
            desc = spec.get("description")
            out.append(
                ArgDoc(
                    name,
                    str(spec.get("type", "?")),
                    default,
                    not has_default,
                    desc if isinstance(desc, str) else "",
                )
            )
        else:
            out.append(ArgDoc(name, str(spec), None, True, ""))
    return out


def template_markdown(name: str, definition: LocDict, where: str) -> str:
    """A template: its doc, arguments, and the scope its `use` opens."""
    doc = definition.get("doc")
    default_name = definition.get("default_name")
    opens = default_name if isinstance(default_name, str) else name
    out = [f"**template {name}** ({where})"]
    if isinstance(doc, str) and doc.strip():
        out += ["", doc.strip()]
    args = template_args(definition)
    out += ["", "Arguments:", *(a.line() for a in args)] if args else ["", "No arguments."]
    out += ["", f"A `use` without `scope:` opens `variable_scope(None, default_name={opens!r})`."]
    return "\n".join(out)


# --------------------------------------------------------------------------- code pages


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "specc" / __version__ / "diagnostics"


def code_pages() -> dict[str, str]:
    """Each code's section of the diagnostics page (Markdown), by code name."""
    from specc.diagnostics.explain import render_markdown  # noqa: PLC0415 - reads data files

    page = render_markdown()
    sections: dict[str, str] = {}
    for chunk in page.split("\n## ")[1:]:
        name = chunk.split("\n", 1)[0].strip()
        sections[name] = f"# {name}\n" + chunk.split("\n", 1)[1]
    return sections


class CodeDocs:
    """Where a diagnostic code's documentation is: `base_url#code` when the client
    configured one, else a Markdown page per code written once into the user's
    cache folder (the temporary folder when that cannot be written)."""

    def __init__(self, base_url: str | None = None, folder: Path | None = None) -> None:
        self.base_url = base_url
        self.folder = folder
        self._written: dict[str, str] | None = None

    def href(self, code: str) -> str | None:
        """The link for `code` (None when no page could be written)."""
        if self.base_url:
            return f"{self.base_url}#{code}"
        if self._written is None:
            self._written = self._write()
        return self._written.get(code)

    def _write(self) -> dict[str, str]:
        pages = code_pages()
        for folder in (self.folder or _cache_root(), Path(tempfile.gettempdir()) / "specc-docs"):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                out = {}
                for name, text in pages.items():
                    target = folder / f"{name}.md"
                    if not target.is_file() or target.read_text(encoding="utf-8") != text:
                        tmp = folder / f".{name}.{os.getpid()}.tmp"
                        tmp.write_text(text, encoding="utf-8")
                        os.replace(tmp, target)
                    out[name] = target.resolve().as_uri()
                return out
            except OSError:
                continue
        return {}
