"""Resource limits of one compilation (DESIGN section 9), each with its flag."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits that bound what one compilation may read, expand and build.

    Each field maps to a command-line flag (`max_file_bytes` -> `--max-file-bytes`);
    exceeding one is a `limit` diagnostic that names the flag.
    """

    max_file_bytes: int = 16 * 1024 * 1024
    max_nodes: int = 1_000_000
    max_depth: int = 100
    max_statements: int = 1_000_000
    max_variables: int = 1_000_000
    max_param_bytes: int = 1 << 40

    def __post_init__(self) -> None:
        for name in self.field_names():
            value = getattr(self, name)
            top = MAXIMA.get(name)
            if not isinstance(value, int) or value < 1 or (top is not None and value > top):
                bound = f" and at most {top}" if top is not None else ""
                raise ValueError(
                    f"{self.flag(name)} must be a positive integer{bound}, got {value}"
                )

    @staticmethod
    def flag(field_name: str) -> str:
        """The command-line flag that raises the limit `field_name`."""
        return "--" + field_name.replace("_", "-")

    def advice(self, field_name: str) -> str:
        """How to get past the limit `field_name`: raise it with its flag, or, at
        the largest value specc supports, say so."""
        top = MAXIMA.get(field_name)
        if top is not None and getattr(self, field_name) >= top:
            return f"{self.flag(field_name)} is at the most specc supports, {top}"
        return f"raise it with {self.flag(field_name)}"

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


#: The largest value a limit accepts, where one exists. Statements nest two YAML
#: levels apiece and pydantic-core validates nested models with a fixed
#: recursion guard: a body nested about 255 statements deep is the deepest it
#: validates, so `--max-depth` stops at 250 (tests/test_bad_inputs.py builds
#: specs exactly that deep, of every nesting statement).
MAXIMA: Final[Mapping[str, int]] = MappingProxyType({"max_depth": 250})

DEFAULT_LIMITS = Limits()
