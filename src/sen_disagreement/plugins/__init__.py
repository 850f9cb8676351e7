"""Everything plugin-related: the hook specifications, the plugin manager, the typed facade,
faults, the Open Referral UK export and the plugin testing helpers.

=================================  ===========================================================
module                             what it holds
=================================  ===========================================================
:mod:`~.plugins.spec`              the ``sen_*`` hook specifications, ``hookimpl``,
                                   ``inline``, ``HOOK_NAMES``, ``OWNED_HOOKS``
:mod:`~.plugins.manager`           :func:`make_plugin_manager`, entry points, blocked names,
                                   :func:`check_plugins`, :func:`list_plugins`
:mod:`~.plugins.facade`            :class:`Hooks` (the only caller of hooks), council ownership
:mod:`~.plugins.faults`            :class:`PluginFault`, :class:`FaultKind`, attention queues
:mod:`~.plugins.oruk`              Open Referral UK ``service`` records
:mod:`~.plugins.testing`           pytest fixtures and :class:`CouncilPluginContract`
=================================  ===========================================================

The names below are importable from ``sen_disagreement.plugins`` itself, as they were when it was
one module. They are loaded on first use, so importing a submodule (``plugins.faults``, which
:mod:`sen_disagreement.council` uses) does not import the manager or pluggy.

Quick start::

    pm = make_plugin_manager()
    hooks = Hooks(pm)
    sefton = hooks.council("sefton")
    hooks.providers(sefton)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sen_disagreement.plugins.facade import DEFAULT_TIMEOUT, Hooks, Ownership
    from sen_disagreement.plugins.faults import FaultKind, PluginFault
    from sen_disagreement.plugins.manager import (
        BLOCK_ENV_VAR,
        DEFAULTS_NAME,
        ENTRY_POINT_GROUP,
        DefaultPlugin,
        PluginInfo,
        blocked_from_env,
        check_plugins,
        list_plugins,
        make_plugin_manager,
    )
    from sen_disagreement.plugins.spec import HOOK_NAMES, OWNED_HOOKS, PROJECT, hookimpl, inline

__all__ = [
    "BLOCK_ENV_VAR",
    "DEFAULTS_NAME",
    "DEFAULT_TIMEOUT",
    "ENTRY_POINT_GROUP",
    "HOOK_NAMES",
    "OWNED_HOOKS",
    "PROJECT",
    "DefaultPlugin",
    "FaultKind",
    "Hooks",
    "Ownership",
    "PluginFault",
    "PluginInfo",
    "blocked_from_env",
    "check_plugins",
    "hookimpl",
    "inline",
    "list_plugins",
    "make_plugin_manager",
]

_HOME = {
    "DEFAULT_TIMEOUT": "facade",
    "Hooks": "facade",
    "Ownership": "facade",
    "FaultKind": "faults",
    "PluginFault": "faults",
    "BLOCK_ENV_VAR": "manager",
    "DEFAULTS_NAME": "manager",
    "ENTRY_POINT_GROUP": "manager",
    "DefaultPlugin": "manager",
    "PluginInfo": "manager",
    "blocked_from_env": "manager",
    "check_plugins": "manager",
    "list_plugins": "manager",
    "make_plugin_manager": "manager",
    "HOOK_NAMES": "spec",
    "OWNED_HOOKS": "spec",
    "PROJECT": "spec",
    "hookimpl": "spec",
    "inline": "spec",
}


def __getattr__(name: str) -> object:
    # Loaded on first use (PEP 562) so that the leaf modules can be imported on their own.
    home = _HOME.get(name)
    if home is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
