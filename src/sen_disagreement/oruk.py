"""Deprecated: the Open Referral UK export moved to :mod:`sen_disagreement.plugins.oruk`.

Its names are still here for one release; taking one emits a :class:`DeprecationWarning` naming
the new path (importing the module alone does not warn).
"""

from __future__ import annotations

import warnings

from sen_disagreement.plugins import oruk as _oruk

_MOVED = frozenset(_oruk.__all__)


def __getattr__(name: str) -> object:
    if name not in _MOVED:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    warnings.warn(
        f"sen_disagreement.oruk is deprecated; import {name} from sen_disagreement.plugins.oruk",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(_oruk, name)


def __dir__() -> list[str]:
    return sorted(_MOVED)
