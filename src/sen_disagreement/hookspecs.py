"""Deprecated: the hook specifications moved to :mod:`sen_disagreement.plugins.spec`.

Every name this module had is still here for one release; taking one
(``from sen_disagreement.hookspecs import hookimpl``) emits a :class:`DeprecationWarning` naming
the new path. Importing the module alone does not warn, so tools that import every module (the
rule registry's walk) stay quiet.
"""

from __future__ import annotations

import warnings

from sen_disagreement.plugins import spec as _spec

_MOVED = frozenset(_spec.__all__)


def __getattr__(name: str) -> object:
    if name not in _MOVED:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    warnings.warn(
        f"sen_disagreement.hookspecs is deprecated; import {name} from "
        "sen_disagreement.plugins.spec (or sen_disagreement.plugins)",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(_spec, name)


def __dir__() -> list[str]:
    return sorted(_MOVED)
