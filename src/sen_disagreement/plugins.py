"""The plugin manager factory, the typed hook facade and plugin introspection.

* :func:`make_plugin_manager` builds a manager: specs, blocked names (argument and
  ``SEN_DISAGREEMENT_BLOCK_PLUGINS``), the ``sen_disagreement`` entry-point group, the built-in
  defaults, then ``check_pending()``. Nothing happens at import time; each application or test
  owns its manager.
* :class:`Hooks` is the only code that touches ``pm.hook``. It has one typed method per hook,
  calls every implementation on its own (optionally in a worker thread with a deadline), checks
  each answer and turns every misbehaviour into a :class:`~sen_disagreement.council.PluginFault`
  instead of an exception that would stop the other plugins. Faults met while handling a case park
  that case in the facade's :class:`~sen_disagreement.council.AttentionQueue`.

  Isolation covers any exception, ``BaseException`` included (``SystemExit``,
  ``KeyboardInterrupt``, ...): it is a ``RAISED`` fault naming the exception type only. The
  observers of one save share one deadline (:meth:`Hooks.after_case_events`), so a hung observer
  costs the budget once per save, not once per event. A worker whose call overran is abandoned;
  while ``_WorkerPool.MAX_ABANDONED`` (16) of them are still stuck, new calls are refused at once
  as ``TIMEOUT`` faults instead of starting yet another thread.
* :func:`list_plugins` reports name, distribution, version and hooks of every plugin.

Quick start::

    pm = make_plugin_manager()
    hooks = Hooks(pm)
    sefton = hooks.council("sefton")
    hooks.providers(sefton)
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import importlib.metadata
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Final, TypeVar, cast

import pluggy
from attrs import frozen

from sen_disagreement import hookspecs
from sen_disagreement.actors import Actor, Role
from sen_disagreement.council import (
    AttentionQueue,
    CaseContext,
    CaseEvent,
    Contact,
    CouncilProfile,
    FaultKind,
    LoggingChannel,
    MemoryAttentionQueue,
    NotificationChannel,
    PluginFault,
    Provider,
    canonical_council,
)
from sen_disagreement.errors import InvalidInputError, PluginError
from sen_disagreement.hookspecs import PROJECT, hookimpl
from sen_disagreement.settings import Settings

__all__ = [
    "BLOCK_ENV_VAR",
    "DEFAULTS_NAME",
    "DEFAULT_TIMEOUT",
    "ENTRY_POINT_GROUP",
    "HOOK_NAMES",
    "DefaultPlugin",
    "Hooks",
    "PluginInfo",
    "blocked_from_env",
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

DEFAULT_TIMEOUT: Final = 5.0
"""Seconds one hook implementation may take before it is abandoned as hung."""

HOOK_NAMES: Final = (
    "sen_register_councils",
    "sen_register_providers",
    "sen_register_contacts",
    "sen_register_channels",
    "sen_choose_provider",
    "sen_resolve_actor",
    "sen_council_settings",
    "sen_after_case_event",
)
"""Every hook, in the order the reference documents them."""


class DefaultPlugin:
    """Built-in implementations, registered after the entry points and called last."""

    @hookimpl(trylast=True)
    def sen_register_channels(self) -> Sequence[NotificationChannel]:
        return (LoggingChannel(),)

    @hookimpl(trylast=True)
    def sen_choose_provider(self, candidates: Sequence[Provider]) -> Provider | None:
        return candidates[0] if candidates else None


def blocked_from_env(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Plugin names listed in ``SEN_DISAGREEMENT_BLOCK_PLUGINS`` (comma-separated)."""
    raw = (os.environ if environ is None else environ).get(BLOCK_ENV_VAR, "")
    return tuple(name.strip() for name in raw.split(",") if name.strip())


def _entry_point_names(group: str) -> list[str]:
    names: list[str] = []
    for dist in list(importlib.metadata.distributions()):
        for ep in dist.entry_points:
            if ep.group == group and ep.name not in names:
                names.append(ep.name)
    return names


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
    pm.add_hookspecs(hookspecs)
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


def check_plugins(pm: pluggy.PluginManager) -> None:
    """``check_pending()`` with the error turned into a :class:`PluginError` naming the plugin."""
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or repr(exc.plugin)
        raise PluginError(str(exc), plugin=name, hook="(unknown hook)") from exc


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


# --- The facade --------------------------------------------------------------------------------

_T = TypeVar("_T")
_A = TypeVar("_A")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class _Job:
    __slots__ = ("abandoned", "call", "done", "outcome")

    def __init__(self, call: Callable[[], object]) -> None:
        self.call = call
        self.done = threading.Event()
        self.outcome: tuple[bool, object] | None = None
        self.abandoned = False


class _Worker:
    """A reusable daemon thread that runs plugin calls one at a time. Starting a thread per call
    cost about 0.5 ms here; handing a call to a waiting worker costs a few tens of microseconds."""

    def __init__(self, pool: _WorkerPool) -> None:
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._pool = pool
        threading.Thread(target=self._loop, name="sen-disagreement-plugin", daemon=True).start()

    def _loop(self) -> None:
        while (job := self.jobs.get()) is not None:
            try:
                outcome: tuple[bool, object] = (True, job.call())
            except BaseException as exc:  # reported to the caller, never to the thread hook
                outcome = (False, exc)
            self._pool.finish(job, outcome)

    def stop(self) -> None:
        """Exit after the current call (if any) returns."""
        self.jobs.put(None)


class _WorkerPool:
    """Idle workers shared by the threads calling the facade. A worker whose call overruns the
    deadline is abandoned (it exits when the call returns) and never reused, so one hung plugin
    cannot delay another plugin's call.

    Abandoned workers are counted until their call returns: a thread stuck for good cannot be
    killed, so while ``MAX_ABANDONED`` are stuck, :meth:`run` refuses new calls (raising
    :class:`_Refused`) rather than let hung plugins pile up threads without limit."""

    MAX_IDLE = 8
    MAX_ABANDONED = 16

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._abandoned = 0

    def run(self, call: Callable[[], object], timeout: float) -> tuple[bool, object] | None:
        """The call's outcome, or ``None`` if it overran ``timeout`` (its worker is abandoned)."""
        with self._lock:
            if self._abandoned >= self.MAX_ABANDONED:
                raise _Refused(self._abandoned)
            worker = self._idle.pop() if self._idle else None
        if worker is None:
            worker = _Worker(self)
        job = _Job(call)
        worker.jobs.put(job)
        if not job.done.wait(timeout):
            with self._lock:
                # Checked under the lock that finish() takes: the call may have returned just now.
                job.abandoned = not job.done.is_set()
                if job.abandoned:
                    self._abandoned += 1
            if job.abandoned:
                worker.stop()
                return None
        with self._lock:
            keep = len(self._idle) < self.MAX_IDLE
            if keep:
                self._idle.append(worker)
        if not keep:
            worker.stop()
        return job.outcome

    def finish(self, job: _Job, outcome: tuple[bool, object]) -> None:
        """Called by the worker when ``job``'s call returns, however late."""
        with self._lock:
            job.outcome = outcome
            job.done.set()
            if job.abandoned:
                self._abandoned -= 1


class _Timeout(Exception):
    """The call overran its ``seconds``; its answer, if any, is dropped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class _Refused(Exception):
    """The call was not started: too many abandoned calls are still running."""

    def __init__(self, stuck: int) -> None:
        super().__init__(stuck)
        self.stuck = stuck


class _Deadline:
    """One time budget shared by a batch of calls, and per plugin the case ids of the calls that
    were not made because it was spent."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.missed: dict[str, list[str | None]] = {}

    def remaining(self) -> float:
        return self.at - time.monotonic()


def _failure(exc: BaseException, overran: str) -> tuple[FaultKind, str]:
    """The fault kind and detail for a call that did not return; ``overran`` is the timeout
    detail with ``{}`` for the seconds. The detail names the exception type only: its message
    may quote case content."""
    if isinstance(exc, _Timeout):
        return FaultKind.TIMEOUT, overran.format(f"{exc.seconds:.3g}")
    if isinstance(exc, _Refused):
        return FaultKind.TIMEOUT, f"not called: too many hung plugin calls ({exc.stuck}) running"
    return FaultKind.RAISED, f"raised {type(exc).__name__}"



def _clone(value: _A) -> _A:
    """A field-by-field copy of a frozen attrs value (``copy.copy`` goes through pickling's
    protocol and costs several times more)."""
    twin = object.__new__(type(value))
    for a in type(value).__attrs_attrs__:  # type: ignore[attr-defined]
        object.__setattr__(twin, a.name, getattr(value, a.name))
    return twin

class Hooks:
    """The typed facade: the only code that calls ``pm.hook``.

    ``timeout``: seconds each implementation may run; ``None`` runs implementations in the
    calling thread (faster; a hung plugin then hangs the caller). Whatever an implementation
    raises, ``BaseException`` included, is isolated as a fault; a call refused because too many
    hung calls are still running is a ``TIMEOUT`` fault. ``attention``: where cases are
    parked when a plugin fails while handling them (default: an in-process
    :class:`~sen_disagreement.council.MemoryAttentionQueue`; production passes a
    :class:`~sen_disagreement.council.StoreAttentionQueue`). ``strict``: raise
    :class:`PluginError` at the first fault instead of isolating it (for plugin authors' tests).
    """

    def __init__(
        self,
        pm: pluggy.PluginManager,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        attention: AttentionQueue | None = None,
        strict: bool = False,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        if timeout is not None and timeout <= 0:
            msg = "timeout must be positive seconds or None"
            raise ValueError(msg)
        self._pm = pm
        self._timeout = timeout
        self._workers = _WorkerPool()
        self._councils_cache: tuple[frozenset[tuple[str, int]], list[CouncilProfile]] | None = None
        self._copies: dict[tuple[str, int], tuple[object, CouncilProfile | Provider]] = {}
        self._settings_cache: tuple[
            frozenset[tuple[str, int]], dict[CouncilProfile, Settings | None]
        ] = (frozenset(), {})
        self._strict = strict
        self._clock = clock
        self.attention: AttentionQueue = attention if attention is not None else (
            MemoryAttentionQueue()
        )
        self.recent_faults: collections.deque[PluginFault] = collections.deque(maxlen=200)
        """The last faults seen (any hook), for diagnostics; details never include case content."""
        relay = pm.hook
        self._callers: dict[str, pluggy.HookCaller] = {
            name: getattr(relay, name) for name in HOOK_NAMES
        }

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        return self._pm

    # -- the per-implementation call loop --

    def _fault(
        self,
        sink: list[PluginFault] | None,
        *,
        plugin: str,
        hook: str,
        kind: FaultKind,
        detail: str,
        council: CouncilProfile | None,
        case_id: str | None,
        cause: BaseException | None = None,
    ) -> None:
        fault = PluginFault(
            plugin=plugin,
            hook=hook,
            kind=kind,
            detail=detail,
            council=council.slug if council is not None else None,
            case_id=case_id,
        )
        if self._strict:
            raise fault.as_error() from cause
        self.recent_faults.append(fault)
        if sink is not None:
            sink.append(fault)
        log.warning(
            "plugin fault: plugin=%s hook=%s kind=%s council=%s case=%s",
            plugin,
            hook,
            kind.value,
            fault.council,
            case_id,
        )
        if case_id is not None:
            self.attention.park(fault, at=self._clock())

    def _invoke(self, call: Callable[[], object], timeout: float | None) -> object:
        """Run ``call`` within ``timeout`` seconds (``None``: inline). Raises :class:`_Timeout`,
        :class:`_Refused` or what ``call`` raised."""
        if timeout is None:
            return call()
        outcome = self._workers.run(call, timeout)
        if outcome is None:
            # Still running (hung): its worker is abandoned, and a late answer is dropped with
            # it, so it can never reach the case.
            raise _Timeout(timeout)
        ok, value = outcome
        if ok:
            return value
        assert isinstance(value, BaseException)
        raise value

    def _private(self, plugin: str, value: object) -> object:
        """What ``plugin`` is handed for ``value``: its own copy of a council profile (text
        fields only, so a field copy is whole; kept per plugin and profile, so the hot path pays
        a dictionary lookup) and fresh copies of candidate providers with their employer."""
        if isinstance(value, CouncilProfile | Provider):
            return self._copy_for(plugin, value)
        if isinstance(value, tuple) and value and all(isinstance(v, Provider) for v in value):
            return tuple(self._copy_for(plugin, v) for v in value)
        return value

    def _copy_for(self, plugin: str, value: CouncilProfile | Provider) -> CouncilProfile | Provider:
        # Keyed by identity (the original is kept in the entry, so its id cannot be reused
        # while the entry lives): hashing a profile costs more than the call it protects.
        key = (plugin, id(value))
        entry = self._copies.get(key)
        if entry is not None and entry[0] is value:
            return entry[1]
        if len(self._copies) > 4096:  # councils and providers are few; bound it anyway
            self._copies.clear()
        twin = _clone(value)
        if isinstance(value, Provider) and value.employer is not None:
            object.__setattr__(twin, "employer", _clone(value.employer))
        self._copies[key] = (value, twin)
        return twin

    def _call(
        self,
        hook: str,
        kwargs: dict[str, object],
        check: Callable[[object], _T | None],
        sink: list[PluginFault] | None,
        council: CouncilProfile | None,
        case_id: str | None,
        *,
        first: bool = False,
        deadline: _Deadline | None = None,
    ) -> list[tuple[str, _T]]:
        """Call each implementation of ``hook`` in pluggy's order; return (plugin, answer) for
        every answer ``check`` accepts. ``check`` returns ``None`` for "no answer" and raises
        :class:`TypeError` / :class:`ValueError` for a malformed one. Under ``deadline`` each call
        gets at most the time left, and once none is left the calls are not made but noted in
        ``deadline.missed`` (the caller reports them)."""
        answers: list[tuple[str, _T]] = []
        for impl in reversed(self._callers[hook].get_hookimpls()):
            if impl.wrapper or impl.hookwrapper:
                self._fault(
                    sink, plugin=impl.plugin_name, hook=hook, kind=FaultKind.MALFORMED,
                    detail="hook wrappers are not supported; implementation skipped",
                    council=council, case_id=case_id,
                )
                continue
            timeout = self._timeout
            if deadline is not None:
                remaining = deadline.remaining()
                if remaining <= 0:
                    deadline.missed.setdefault(impl.plugin_name, []).append(case_id)
                    continue
                timeout = remaining if timeout is None else min(timeout, remaining)
            names = impl.argnames
            function = impl.function
            # Each implementation gets its own copy of the council profile the process shares
            # (and of the providers it may choose from): a plugin that writes into a frozen
            # value with object.__setattr__ changes only its copy, never what other calls and
            # plugins see.
            kwargs_for = {a: self._private(impl.plugin_name, kwargs[a]) for a in names}
            try:
                if timeout is not None:
                    raw = self._invoke(
                        functools.partial(function, *[kwargs_for[a] for a in names]), timeout
                    )
                elif not names:
                    raw = function()
                elif len(names) == 1:
                    raw = function(kwargs_for[names[0]])
                else:
                    raw = function(*[kwargs_for[a] for a in names])
            except BaseException as exc:  # SystemExit & co. too: a plugin must not stop the host
                kind, detail = _failure(exc, "did not answer within {} s; answer discarded")
                self._fault(
                    sink, plugin=impl.plugin_name, hook=hook, kind=kind, detail=detail,
                    council=council, case_id=case_id, cause=exc,
                )
                continue
            try:
                answer = check(raw)
            except (TypeError, ValueError) as exc:
                self._fault(
                    sink, plugin=impl.plugin_name, hook=hook, kind=FaultKind.MALFORMED,
                    detail=f"returned invalid data: {exc}",
                    council=council, case_id=case_id, cause=exc,
                )
                continue
            if answer is not None:
                answers.append((impl.plugin_name, answer))
                if first:
                    break
        return answers

    # -- one typed method per hook --

    def councils(self, *, faults: list[PluginFault] | None = None) -> list[CouncilProfile]:
        """Every council declared by the installed plugins (``sen_register_councils``).
        A council whose slug, GSS code or LA number repeats an earlier one is a conflict fault.

        The declarations are static, and this runs on every save and route, so a fault-free
        answer is kept until the set of registered plugins changes."""
        key = self._plugin_key()
        cached = self._councils_cache
        if cached is not None and cached[0] == key:
            return list(cached[1])
        found: list[PluginFault] = []
        councils = self._declared_councils(found)
        if faults is not None:
            faults.extend(found)
        # Only a clean answer is kept: a fault (say a timeout) may pass, so it is retried.
        self._councils_cache = None if found else (key, councils)
        return list(councils)

    def _declared_councils(self, faults: list[PluginFault]) -> list[CouncilProfile]:
        hook = "sen_register_councils"
        seen: dict[str, str] = {}
        out: list[CouncilProfile] = []
        for plugin, batch in self._call(
            hook, {}, _records(CouncilProfile), faults, None, None
        ):
            for profile in batch:
                keys = (profile.slug, profile.gss_code, profile.la_number)
                clash = next((k for k in keys if k in seen), None)
                if clash is not None:
                    self._fault(
                        faults, plugin=plugin, hook=hook, kind=FaultKind.CONFLICT,
                        detail=f"council {clash} is already declared by plugin {seen[clash]!r}",
                        council=profile, case_id=None,
                    )
                    continue
                for k in keys:
                    seen[k] = plugin
                out.append(profile)
        return out

    def _plugin_key(self) -> frozenset[tuple[str, int]]:
        return frozenset((name, id(plugin)) for name, plugin in self._pm.list_name_plugin())

    def find_council(self, key: str) -> CouncilProfile | None:
        """The council whose GSS code, slug, LA number or name is ``key``, or ``None`` (see
        :func:`~sen_disagreement.council.canonical_council`)."""
        try:
            return canonical_council(self, key)
        except InvalidInputError:
            return None

    def council(self, key: str) -> CouncilProfile:
        """Like :meth:`find_council` but raises
        :class:`~sen_disagreement.council.UnknownCouncilError` (a :class:`NotFoundError` and an
        :class:`InvalidInputError`) naming what is installed."""
        return canonical_council(self, key)

    def council_settings(
        self,
        council: CouncilProfile,
        *,
        case_id: str | None = None,
        faults: list[PluginFault] | None = None,
    ) -> Settings | None:
        """The settings ``council`` works to (``sen_council_settings``, first valid answer wins),
        or ``None`` when no plugin supplies them. An answer that is not a
        :class:`~sen_disagreement.settings.Settings` is a malformed fault and the next plugin is
        asked. A fault-free answer is kept until the set of registered plugins changes."""
        key = self._plugin_key()
        cached_key, cache = self._settings_cache
        if cached_key != key:
            cache = {}
            self._settings_cache = (key, cache)
        if council in cache:
            return cache[council]

        def check(raw: object) -> Settings | None:
            if raw is None:
                return None
            if not isinstance(raw, Settings):
                msg = f"expected Settings or None, got {type(raw).__name__}"
                raise TypeError(msg)
            return raw

        found: list[PluginFault] = []
        answers = self._call(
            "sen_council_settings", {"council": council}, check, found, council, case_id,
            first=True,
        )
        if faults is not None:
            faults.extend(found)
        answer = answers[0][1] if answers else None
        if not found:
            cache[council] = answer
        return answer

    def providers(
        self,
        council: CouncilProfile,
        *,
        case_id: str | None = None,
        faults: list[PluginFault] | None = None,
    ) -> list[Provider]:
        """The council's providers from every plugin (``sen_register_providers``). A provider id
        repeated for the council is a conflict fault; the first declaration is kept."""
        hook = "sen_register_providers"
        out: list[Provider] = []
        seen: dict[str, str] = {}
        for plugin, batch in self._call(
            hook, {"council": council}, _records(Provider), faults, council, case_id
        ):
            for provider in batch:
                if provider.provider_id in seen:
                    self._fault(
                        faults, plugin=plugin, hook=hook, kind=FaultKind.CONFLICT,
                        detail=f"provider {provider.provider_id!r} is already declared by "
                        f"plugin {seen[provider.provider_id]!r}",
                        council=council, case_id=case_id,
                    )
                    continue
                seen[provider.provider_id] = plugin
                out.append(provider)
        return out

    def contacts(
        self,
        council: CouncilProfile,
        *,
        case_id: str | None = None,
        faults: list[PluginFault] | None = None,
    ) -> list[Contact]:
        """The council's contacts from every plugin (``sen_register_contacts``)."""
        return [
            contact
            for _, batch in self._call(
                "sen_register_contacts", {"council": council}, _records(Contact),
                faults, council, case_id,
            )
            for contact in batch
        ]

    def channels(
        self,
        council: CouncilProfile,
        *,
        case_id: str | None = None,
        faults: list[PluginFault] | None = None,
    ) -> list[NotificationChannel]:
        """The council's notification channels (``sen_register_channels``); the built-in ``log``
        channel comes last. A repeated channel name is a conflict fault."""
        hook = "sen_register_channels"
        out: list[NotificationChannel] = []
        seen: dict[str, str] = {}
        for plugin, batch in self._call(
            hook, {"council": council}, _channels, faults, council, case_id
        ):
            for channel in batch:
                if channel.name in seen:
                    self._fault(
                        faults, plugin=plugin, hook=hook, kind=FaultKind.CONFLICT,
                        detail=f"channel {channel.name!r} is already declared by plugin "
                        f"{seen[channel.name]!r}",
                        council=council, case_id=case_id,
                    )
                    continue
                seen[channel.name] = plugin
                out.append(channel)
        return out

    def choose_provider(
        self,
        council: CouncilProfile,
        case: CaseContext,
        candidates: Sequence[Provider],
        *,
        faults: list[PluginFault] | None = None,
    ) -> Provider | None:
        """The provider for ``case`` (``sen_choose_provider``, first valid answer wins). An answer
        that is not one of ``candidates`` is a malformed fault and the next plugin is asked."""
        pool = tuple(candidates)

        def check(raw: object) -> Provider | None:
            if raw is None:
                return None
            if not isinstance(raw, Provider):
                msg = f"expected a Provider or None, got {type(raw).__name__}"
                raise TypeError(msg)
            if raw not in pool:
                msg = f"provider {raw.provider_id!r} is not one of the candidates offered"
                raise ValueError(msg)
            return raw

        answers = self._call(
            "sen_choose_provider",
            {"council": council, "case": case, "candidates": pool},
            check, faults, council, case.case_id, first=True,
        )
        return answers[0][1] if answers else None

    def resolve_actor(
        self, user_id: str, *, faults: list[PluginFault] | None = None
    ) -> Actor | None:
        """Who ``user_id`` is, from the council's directory (``sen_resolve_actor``, first valid
        answer wins). An answer that is not an :class:`~sen_disagreement.actors.Actor` for that
        user id is a malformed fault and the next plugin is asked."""

        def check(raw: object) -> Actor | None:
            if raw is None:
                return None
            if not isinstance(raw, Actor):
                msg = f"expected an Actor or None, got {type(raw).__name__}"
                raise TypeError(msg)
            if raw.actor_id != user_id:
                msg = "answered for another user id"
                raise ValueError(msg)
            if raw.role is Role.SYSTEM:
                msg = "the system actor is the library's own, never a directory user"
                raise ValueError(msg)
            return raw

        answers = self._call(
            "sen_resolve_actor", {"user_id": user_id}, check, faults, None, None, first=True
        )
        return answers[0][1] if answers else None

    def after_case_event(
        self,
        council: CouncilProfile,
        event: CaseEvent,
        *,
        faults: list[PluginFault] | None = None,
    ) -> None:
        """Tell every observer about one ``event``, as :meth:`after_case_events` does but with
        no overall deadline: each observer gets the full per-call timeout, so one hung observer
        cannot keep the event from the others."""
        self._observe(council, (event,), None, faults)

    def after_case_events(
        self,
        council: CouncilProfile,
        events: Iterable[CaseEvent],
        *,
        budget: float | None = None,
        faults: list[PluginFault] | None = None,
    ) -> None:
        """Tell every observer about every event, in order (``sen_after_case_event``, one call
        per observer per event). Every observer is called even if others fail; an observer
        returning anything but ``None`` is reported as malformed.

        The whole batch runs under one deadline of ``budget`` seconds (default: the facade's
        timeout; ``None`` with no timeout is unbounded), and each call gets at most the time
        left, so a hung observer costs the budget once per save, not once per event. Once it
        is spent the remaining calls are not made: each observer left out gets one ``TIMEOUT``
        fault saying how many events it missed, parked against the first such event's case."""
        if budget is not None and budget <= 0:
            msg = "budget must be positive seconds or None"
            raise ValueError(msg)
        seconds = self._timeout if budget is None else budget
        self._observe(council, events, None if seconds is None else _Deadline(seconds), faults)

    def _observe(
        self,
        council: CouncilProfile,
        events: Iterable[CaseEvent],
        deadline: _Deadline | None,
        faults: list[PluginFault] | None,
    ) -> None:
        hook = "sen_after_case_event"
        for event in events:
            self._call(
                hook, {"council": council, "event": event},
                _nothing, faults, council, event.case_id, deadline=deadline,
            )
        if deadline is None:
            return
        for plugin, case_ids in deadline.missed.items():
            self._fault(
                faults, plugin=plugin, hook=hook, kind=FaultKind.TIMEOUT,
                detail=f"the overall observer deadline ({deadline.seconds:.3g} s) was spent; "
                f"{len(case_ids)} event(s) not delivered",
                council=council, case_id=case_ids[0],
            )

    def run_isolated(
        self,
        *,
        plugin: str,
        hook: str,
        call: Callable[[], object],
        council: CouncilProfile | None = None,
        case_id: str | None = None,
        faults: list[PluginFault] | None = None,
    ) -> bool:
        """Run plugin-supplied code that is not a hook (a channel's ``send``) under the same
        isolation, ``BaseException`` included; ``True`` if it completed."""
        try:
            self._invoke(call, self._timeout)
        except BaseException as exc:  # SystemExit & co. too: a plugin must not stop the host
            kind, detail = _failure(exc, "did not finish within {} s")
            self._fault(
                faults, plugin=plugin, hook=hook, kind=kind, detail=detail,
                council=council, case_id=case_id, cause=exc,
            )
            return False
        return True


def _records(kind: type[_T]) -> Callable[[object], Sequence[_T] | None]:
    """A checker for hooks returning a sequence of ``kind`` records."""

    def check(raw: object) -> Sequence[_T] | None:
        if raw is None:
            return None
        if type(raw) is not tuple and not isinstance(raw, list | tuple):
            msg = f"expected a list or tuple of {kind.__name__}, got {type(raw).__name__}"
            raise TypeError(msg)
        for item in raw:
            if not isinstance(item, kind):
                i = next(n for n, x in enumerate(raw) if not isinstance(x, kind))
                msg = f"item {i}: expected {kind.__name__}, got {type(item).__name__}"
                raise TypeError(msg)
        return cast("Sequence[_T]", raw)

    return check


def _channels(raw: object) -> tuple[NotificationChannel, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list | tuple):
        msg = f"expected a list or tuple of channels, got {type(raw).__name__}"
        raise TypeError(msg)
    out: list[NotificationChannel] = []
    for i, item in enumerate(raw):
        if not isinstance(item, NotificationChannel):
            msg = f"item {i}: {type(item).__name__} has no name and send()"
            raise TypeError(msg)
        name: object = item.name
        if not isinstance(name, str) or not name or len(name) > 64:
            msg = f"item {i}: a channel name must be a short non-empty string"
            raise ValueError(msg)
        out.append(item)
    return tuple(out)


def _nothing(raw: object) -> None:
    if raw is not None:
        msg = f"an observer returns None, not {type(raw).__name__}"
        raise TypeError(msg)
