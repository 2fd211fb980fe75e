"""Resource limits of one compilation (DESIGN section 9), each with its flag."""

from __future__ import annotations

from dataclasses import dataclass, fields


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

    @staticmethod
    def flag(field_name: str) -> str:
        """The command-line flag that raises the limit `field_name`."""
        return "--" + field_name.replace("_", "-")

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


DEFAULT_LIMITS = Limits()
