"""What a catalog kind's NumPy code looks like.

Each initializer, regularizer and constraint has its code in its catalog entry
(specc/catalog/). The emitter copies those functions into the module after the
runtime and writes the dispatch tables `_SAMPLERS`, `_BUILDERS`,
`_REGULARIZERS` and `_CONSTRAINTS` (kind -> function) at its end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from specc.runtime.prelude import Array
from specc.runtime.samplers import _Sampler
from specc.runtime.table import VariableInfo

#: An element-wise initializer: (variable, args, sampling dtype) -> the sampler
#: that fills its blocks (a part then costs only its own blocks).
_SamplerImpl = Callable[[VariableInfo, Mapping[str, Any], np.dtype[Any]], _Sampler]
#: Any other initializer: (variable, args, seed) -> the whole variable.
_BuilderImpl = Callable[[VariableInfo, Mapping[str, Any], int], Array]
#: A regularizer: (whole variable, args) -> its loss.
_RegularizerImpl = Callable[[Array, Mapping[str, Any]], float]
#: A constraint: (whole variable, args) -> its projection.
_ConstraintImpl = Callable[[Array, Mapping[str, Any]], Array]
