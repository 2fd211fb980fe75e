"""Scalars under the YAML 1.2 core schema, and the standard tags.

PyYAML resolves plain scalars with YAML 1.1's rules (`on`, `no`, `yes` are
booleans, `1e-4` a string); specs are read with the 1.2 core schema instead.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

WORDS: Final[dict[str, Any]] = {
    "": None,
    "~": None,
    "null": None,
    "Null": None,
    "NULL": None,
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
}
_NULL_WORDS: Final = frozenset(k for k, v in WORDS.items() if v is None)
_BOOL_WORDS: Final = {k: v for k, v in WORDS.items() if isinstance(v, bool)}

# One alternation, tried in the core schema's order; `lastgroup` names the kind.
_NUMBER: Final = re.compile(
    r"(?P<int>[-+]?[0-9]+)"
    r"|(?P<oct>0o[0-7]+)"
    r"|(?P<hex>0x[0-9a-fA-F]+)"
    r"|(?P<float>[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)"
    r"|(?P<inf>[-+]?\.(?:inf|Inf|INF))"
    r"|(?P<nan>\.(?:nan|NaN|NAN))"
)
NUMBER_START: Final = frozenset("0123456789+-.")


def number(text: str) -> tuple[str, Any] | None:
    """(kind, value) when `text` is a core-schema number; ValueError if unrepresentable."""
    m = _NUMBER.fullmatch(text)
    if m is None:
        return None
    kind = m.lastgroup or ""
    if kind == "int":
        # Python refuses int() of more than 4300 digits; that ValueError is the caller's.
        return kind, int(text)
    if kind == "oct":
        return kind, int(text[2:], 8)
    if kind == "hex":
        return kind, int(text[2:], 16)
    if kind == "float":
        return kind, float(text)
    if kind == "inf":
        return kind, -math.inf if text[0] == "-" else math.inf
    return kind, math.nan


def resolve_plain(text: str) -> Any:
    """A plain (unquoted, untagged) scalar under the core schema."""
    if text in WORDS:
        return WORDS[text]
    if text[0] in NUMBER_START:
        num = number(text)
        if num is not None:
            return num[1]
    return text


def yaml_scalar(text: str) -> Any:
    """Resolve `text` as one plain YAML scalar with the YAML 1.2 core schema.

    Used for `-D NAME=VALUE`: `16000` -> 16000, `1e-4` -> 0.0001, `true` -> True,
    `null` or the empty string -> None, `on` -> "on", anything else -> the text.
    The text is taken as is (no stripping, no quote removal). Never raises: an
    integer too long for Python to convert (over 4300 digits) stays text.
    """
    try:
        return resolve_plain(text)
    except ValueError:
        return text


CORE_PREFIX: Final = "tag:yaml.org,2002:"
STR_TAG: Final = CORE_PREFIX + "str"
MAP_TAG: Final = CORE_PREFIX + "map"
SEQ_TAG: Final = CORE_PREFIX + "seq"
SCALAR_TAGS: Final = frozenset(CORE_PREFIX + t for t in ("str", "int", "float", "bool", "null")) | {
    "!"
}
_STANDARD_TAGS: Final = "!!str, !!int, !!float, !!bool, !!null, !!map and !!seq"


def show_tag(tag: str) -> str:
    return "!!" + tag[len(CORE_PREFIX) :] if tag.startswith(CORE_PREFIX) else tag


def bad_tag_message(tag: str) -> str:
    return f"unsupported tag '{show_tag(tag)}': only the standard tags {_STANDARD_TAGS} are allowed"


def tagged_scalar(tag: str, text: str) -> tuple[Any, str | None]:
    """Construct a scalar with an explicit tag: (value, error message or None)."""
    if tag in (STR_TAG, "!"):
        return text, None
    name = tag[len(CORE_PREFIX) :] if tag.startswith(CORE_PREFIX) else ""
    try:
        num = number(text) if text else None
    except ValueError:
        return None, f"the integer '{text[:20]}...' has too many digits"
    if name == "int" and num is not None and num[0] in ("int", "oct", "hex"):
        return num[1], None
    if name == "float" and num is not None:
        return float(num[1]), None
    if name == "bool" and text in _BOOL_WORDS:
        return _BOOL_WORDS[text], None
    if name == "null" and text in _NULL_WORDS:
        return None, None
    if name in ("int", "float", "bool", "null"):
        return None, f"'{text}' is not a valid !!{name}"
    if name in ("map", "seq"):
        return None, f"the tag !!{name} cannot be used on a scalar"
    return None, bad_tag_message(tag)
