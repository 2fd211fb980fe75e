"""Stand-ins for the names the emitter writes into each generated module.

The runtime's files import these so that they are real, importable, checked
Python; the emitter drops those imports and writes, in the module template,
the spec's own values under the same names. Importing the runtime directly
therefore gives a module of an empty spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from specc.runtime.kinds import (
        _BuilderImpl,
        _ConstraintImpl,
        _RegularizerImpl,
        _SamplerImpl,
    )

#: The spec's `name`.
SPEC_NAME: Final[str] = ""
#: sha256 of the variable table's canonical JSON.
SPEC_SHA256: Final[str] = ""
#: The seed `init` uses when none is given.
DEFAULT_SEED: Final[int] = 0
#: How `_TABLE` is encoded: `json`, or `zlib+base85` for a large table.
_TABLE_ENCODING: Final[str] = "json"
#: The compact variable table (see `specc.emit.compact_table`): here, no variables.
_TABLE: Final[str] = (
    '{"collections":[],"constraints":[],"initializers":[],"options":[],'
    '"regularizers":[],"variables":[]}'
)

# The catalog's dispatch tables (kind -> the kind's function): here, no kinds.
_SAMPLERS: Final[Mapping[str, _SamplerImpl]] = MappingProxyType({})
_BUILDERS: Final[Mapping[str, _BuilderImpl]] = MappingProxyType({})
_REGULARIZERS: Final[Mapping[str, _RegularizerImpl]] = MappingProxyType({})
_CONSTRAINTS: Final[Mapping[str, _ConstraintImpl]] = MappingProxyType({})
