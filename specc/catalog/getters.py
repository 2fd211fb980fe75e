"""Custom getters: functions that rewrite a `get_variable` request, composed as TF
composes them (the innermost scope's getter runs first and calls the outer one).

Plugins are entries of the entry-point group `specc.custom_getters`: each entry
point loads a `GetterEntry`. Import paths are never read from YAML.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from pydantic import Field, StrictStr

from specc.catalog.base import Args, Entry, NoArgs, Registry
from specc.catalog.dtypes import DTYPES, DType

ENTRY_POINT_GROUP = "specc.custom_getters"


@dataclass(slots=True)
class GetterCall:
    """The arguments a getter sees and may change before calling the next getter.

    A getter returns a new call (`dataclasses.replace`) and leaves the one it got
    alone. (Not `frozen`: a frozen dataclass sets each field through
    `object.__setattr__`, and one call is made per variable.)"""

    name: str
    dtype: DType
    trainable: bool
    #: the dtype the variable is read as, when a getter stores it as another dtype
    read_dtype: DType | None = None


@dataclass(frozen=True, slots=True)
class GetterEntry(Entry):
    """A custom getter kind: `apply(args, call)` returns the call passed on."""

    apply: Callable[[Args, GetterCall], GetterCall]


_LOW_PRECISION = frozenset({"float16", "bfloat16"})


def _float32_storage(args: Args, call: GetterCall) -> GetterCall:
    del args
    if call.dtype.name in _LOW_PRECISION:
        return replace(call, dtype=DTYPES["float32"], read_dtype=call.dtype)
    return call


def _freeze(args: Args, call: GetterCall) -> GetterCall:
    del args
    return replace(call, trainable=False)


class RenameArgs(Args):
    prefix_from: StrictStr = Field(description="Prefix of the full variable name to replace.")
    prefix_to: StrictStr = Field(description="What replaces it.")


def _rename(args: Args, call: GetterCall) -> GetterCall:
    assert isinstance(args, RenameArgs)
    if call.name.startswith(args.prefix_from):
        return replace(call, name=args.prefix_to + call.name[len(args.prefix_from) :])
    return call


BUILTIN_GETTERS: tuple[GetterEntry, ...] = (
    GetterEntry(
        "float32_storage",
        NoArgs,
        "A variable asked for in float16 or bfloat16 is stored as float32 and read as the "
        "asked dtype (mixed precision).",
        "custom_getter (mixed-precision storage)",
        _float32_storage,
    ),
    GetterEntry(
        "freeze",
        NoArgs,
        "Variables are created with trainable false.",
        "custom_getter",
        _freeze,
    ),
    GetterEntry(
        "rename",
        RenameArgs,
        "Replace a prefix of the full variable name before the variable is looked up.",
        "custom_getter",
        _rename,
    ),
)


def builtin_getters() -> Registry[GetterEntry]:
    """The custom getters shipped with specc."""
    return Registry("custom_getter", list(BUILTIN_GETTERS))


def load_getters(*, plugins: bool = True) -> Registry[GetterEntry]:
    """The built-in getters plus, when `plugins`, those installed packages register
    (reading entry points costs tens of milliseconds: done only when a spec names
    a getter that is not built in)."""
    entries = list(BUILTIN_GETTERS)
    if plugins:
        from importlib.metadata import entry_points  # noqa: PLC0415 - see above

        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            loaded = ep.load()
            if not isinstance(loaded, GetterEntry):
                raise TypeError(
                    f"entry point {ep.name!r} of {ENTRY_POINT_GROUP} must be a GetterEntry"
                )
            if all(e.kind != loaded.kind for e in entries):
                entries.append(loaded)
    return Registry("custom_getter", entries)
