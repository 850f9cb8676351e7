"""Making the plugin manager: specifications, blocked names, entry points, built-in defaults.

* :func:`make_plugin_manager` builds a manager: the specs (:mod:`sen_disagreement.plugins.spec`),
  blocked names (argument and ``SEN_DISAGREEMENT_BLOCK_PLUGINS``), the ``sen_disagreement``
  entry-point group, the built-in defaults, then ``check_pending()``. Nothing happens at import
  time; each application or test owns its manager.
* :func:`check_plugins` turns pluggy's validation error into a :class:`PluginError` naming the
  plugin.
* :func:`list_plugins` reports name, distribution, version and hooks of every plugin.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Final, Protocol

import pluggy
from attrs import frozen

from sen_disagreement.council import LoggingChannel, NotificationChannel, Provider
from sen_disagreement.errors import PluginError
from sen_disagreement.plugins import spec
from sen_disagreement.plugins.faults import PluginFault
from sen_disagreement.plugins.spec import PROJECT, hookimpl, inline

if TYPE_CHECKING:
    import importlib.metadata

__all__ = [
    "BLOCK_ENV_VAR",
    "DEFAULTS_NAME",
    "ENTRY_POINT_GROUP",
    "DefaultPlugin",
    "PluginInfo",
    "blocked_from_env",
    "check_plugins",
    "list_plugins",
    "make_plugin_manager",
]

log = logging.getLogger("sen_disagreement.plugins")

ENTRY_POINT_GROUP: Final = PROJECT
"""Entry-point group council plugins are published under."""

BLOCK_ENV_VAR: Final = "SEN_DISAGREEMENT_BLOCK_PLUGINS"
"""Comma-separated plugin names never to load (entry-point names, or the defaults' name)."""

DEFAULTS_NAME: Final = "sen_disagreement.defaults"
"""Name under which :class:`DefaultPlugin` is registered."""


class DefaultPlugin:
    """Built-in implementations, registered after the entry points and called last. Both answer
    from their arguments alone, so they are :func:`~sen_disagreement.plugins.spec.inline`."""

    @hookimpl(trylast=True)
    @inline
    def sen_register_channels(self) -> Sequence[NotificationChannel]:
        return (LoggingChannel(),)

    @hookimpl(trylast=True)
    @inline
    def sen_choose_provider(self, candidates: Sequence[Provider]) -> Provider | None:
        return candidates[0] if candidates else None


def blocked_from_env(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Plugin names listed in ``SEN_DISAGREEMENT_BLOCK_PLUGINS`` (comma-separated)."""
    raw = (os.environ if environ is None else environ).get(BLOCK_ENV_VAR, "")
    return tuple(name.strip() for name in raw.split(",") if name.strip())


def _entry_point_names(group: str) -> list[str]:
    """The entry-point names of ``group``, in the order pluggy would load them.

    Raises :class:`PluginError` when two distributions publish one name: pluggy would load
    whichever comes first on the path and skip the other in silence, so a package published
    under a council plugin's name could stand in for it (own its councils, be its owner's
    delegate). The same distribution seen twice (an editable install beside a wheel) is one.
    An entry point named like the built-in defaults (:data:`DEFAULTS_NAME`) is refused too."""
    import importlib.metadata  # here, not at the top: ~14 ms (email.*) only when loading

    publishers: dict[str, list[str]] = {}
    for dist in list(importlib.metadata.distributions()):
        project = _project(dist)
        for ep in dist.entry_points:
            if ep.group != group:
                continue
            seen = publishers.setdefault(ep.name, [])
            if project not in seen:
                seen.append(project)
    for name, projects in publishers.items():
        if name == DEFAULTS_NAME:
            # The defaults are heard for every council: a package must not take their name.
            msg = (f"uses the name reserved for the built-in defaults (published by "
                   f"{', '.join(projects)}); uninstall it")
            raise PluginError(msg, plugin=name, hook="(entry point)")
        if len(projects) > 1:
            msg = (f"is published by more than one distribution ({', '.join(projects)}); "
                   "uninstall all but the council's own")
            raise PluginError(msg, plugin=name, hook="(entry point)")
    return list(publishers)


def _project(dist: importlib.metadata.Distribution) -> str:
    """A distribution's normalised project name (``?`` when its metadata has none)."""
    try:
        raw: object = dist.metadata["name"]
    except KeyError:  # some metadata mappings raise rather than answer None
        raw = None
    text = raw if isinstance(raw, str) and raw else "?"
    return re.sub(r"[-_.]+", "-", text).lower()


def make_plugin_manager(
    *,
    load_entry_points: bool = True,
    blocked: Collection[str] = (),
    environ: Mapping[str, str] | None = None,
) -> pluggy.PluginManager:
    """Build a plugin manager: specs, blocks, entry points, built-in defaults, checks.

    ``blocked`` and the names in ``SEN_DISAGREEMENT_BLOCK_PLUGINS`` (read from ``environ``, by
    default ``os.environ``) are never loaded or registered. ``load_entry_points=False`` gives a
    manager with the built-ins only (tests register their own plugins).

    Raises :class:`PluginError` naming the plugin when an entry point cannot be imported or
    implements a hook that does not exist or takes an argument the hook does not have.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(spec)
    for name in (*blocked, *blocked_from_env(environ)):
        pm.set_blocked(name)
    if load_entry_points:
        for name in _entry_point_names(ENTRY_POINT_GROUP):
            if pm.is_blocked(name):
                log.info("plugin %s is blocked; not loaded", name)
                continue
            try:
                pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name=name)
            except Exception as exc:
                # Load-time messages hold code details only: no case exists yet.
                raise PluginError(
                    f"could not be loaded ({type(exc).__name__}: {exc}); to start without it, "
                    f"set {BLOCK_ENV_VAR}={name}",
                    plugin=name,
                    hook="(entry point)",
                ) from exc
    if not pm.is_blocked(DEFAULTS_NAME):
        pm.register(DefaultPlugin(), name=DEFAULTS_NAME)
    check_plugins(pm)
    return pm


class _OwnershipCheck(Protocol):
    def check_ownership(self) -> list[PluginFault]: ...


def check_plugins(pm: pluggy.PluginManager, *, hooks: _OwnershipCheck | None = None) -> None:
    """``check_pending()`` with the error turned into a :class:`PluginError` naming the plugin.

    With ``hooks`` (the :class:`~sen_disagreement.plugins.Hooks` facade over ``pm``) the
    ownership rule is checked too (:meth:`Hooks.check_ownership
    <sen_disagreement.plugins.Hooks.check_ownership>`): a :class:`PluginError` names the first
    plugin that declares a council another plugin declares, or answers for a council it neither
    owns nor is a delegate of."""
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or repr(exc.plugin)
        raise PluginError(str(exc), plugin=name, hook="(unknown hook)") from exc
    if hooks is not None:
        faults = hooks.check_ownership()
        if faults:
            raise faults[0].as_error()


@frozen(kw_only=True)
class PluginInfo:
    """One registered plugin: its name, the distribution that provides it, and its hooks."""

    name: str
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]
    builtin: bool


def list_plugins(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """Every registered plugin with the distribution and version it came from (``None`` for
    plugins registered in code) and the hooks it implements, sorted by name."""
    dists: dict[int, tuple[str, str]] = {}
    for plugin, dist in pm.list_plugin_distinfo():
        dists[id(plugin)] = (str(dist.project_name), str(dist.version))
    out: list[PluginInfo] = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:  # blocked
            continue
        callers = pm.get_hookcallers(plugin) or []
        dist_name, version = dists.get(id(plugin), (None, None))
        out.append(
            PluginInfo(
                name=name,
                distribution=dist_name,
                version=version,
                hooks=tuple(sorted(c.name for c in callers)),
                builtin=name == DEFAULTS_NAME,
            )
        )
    return sorted(out, key=lambda info: info.name)
