"""The typed hook facade: :class:`Hooks`, the only code that calls the plugins' hooks.

It has one typed method per hook, calls every implementation on its own (optionally in a worker
thread with a deadline), checks each answer and turns every misbehaviour into a
:class:`~sen_disagreement.plugins.faults.PluginFault` instead of an exception that would stop the
other plugins. Faults met while handling a case park that case in the facade's
:class:`~sen_disagreement.plugins.faults.AttentionQueue`.

* Isolation covers any exception, ``BaseException`` included (``SystemExit``,
  ``KeyboardInterrupt``, ...): it is a ``RAISED`` fault naming the exception type only. The
  observers of one save share one deadline (:meth:`Hooks.after_case_events`). A worker whose call
  overran is abandoned; while ``_WorkerPool.MAX_ABANDONED`` (16) of them are still stuck, new
  calls are refused at once as ``TIMEOUT`` faults.
* Whether a hook's first answer wins is read from its specification
  (``pm.hook.<name>.spec.opts["firstresult"]``), never restated here.
* Each implementation is called through pluggy's own hook executor whenever hook-call monitoring
  is on (``pm.add_hookcall_monitoring``, ``pm.enable_tracing()``), so monitors see one call per
  implementation; otherwise it is called directly (the same call, without the executor's cost).
* Ownership: the plugin that declares a council owns it. For the hooks in
  :data:`~sen_disagreement.plugins.spec.OWNED_HOOKS` only the owner's answers, its delegates'
  (named in :attr:`CouncilProfile.delegates
  <sen_disagreement.council.CouncilProfile.delegates>`, or granted by the host with
  :meth:`Hooks.delegate`) and the built-in defaults' count; another plugin's answer is ignored and
  reported as a ``CONFLICT`` fault. A council declared by two plugins has no owner (both are
  reported) until one of them is blocked, so a plugin registered later can never take over a
  council's routing. :meth:`Hooks.ownership` and :meth:`Hooks.check_ownership` report it.
* Each implementation is handed its own copies of the shared council profile and candidate
  providers (:meth:`Hooks._copy_for`), so a plugin writing into a frozen value with
  ``object.__setattr__`` changes only its copy.
"""

from __future__ import annotations

import collections
import datetime as dt
import enum
import functools
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar, cast

import attrs
import pluggy
from attrs import frozen

from sen_disagreement.actors import Actor, Role
from sen_disagreement.council import (
    PROVIDER_KIND_FOR,
    CaseContext,
    CaseEvent,
    Contact,
    CouncilProfile,
    NotificationChannel,
    Provider,
    canonical_council,
)
from sen_disagreement.errors import InvalidInputError, PluginError
from sen_disagreement.plugins._workers import (
    _Deadline,
    _failure,
    _Timeout,
    _WorkerPool,
    type_name,
)
from sen_disagreement.plugins.faults import (
    AttentionQueue,
    FaultKind,
    MemoryAttentionQueue,
    PluginFault,
)
from sen_disagreement.plugins.manager import DEFAULTS_NAME
from sen_disagreement.plugins.spec import HOOK_NAMES, INLINE_ATTRIBUTE, OWNED_HOOKS
from sen_disagreement.settings import Settings

_PLAIN_HOOKEXEC: object
_NOT_KEPT = object()
try:  # pluggy's default executor: while it is in place, no monitor is listening
    from pluggy._callers import _multicall

    _PLAIN_HOOKEXEC = _multicall
except ImportError:  # pragma: no cover - a pluggy that moved it: always use the executor
    _PLAIN_HOOKEXEC = None

__all__ = ["DEFAULT_TIMEOUT", "Hooks", "Ownership"]

log = logging.getLogger("sen_disagreement.plugins")

DEFAULT_TIMEOUT = 5.0
"""Seconds one hook implementation may take before it is abandoned as hung."""

_T = TypeVar("_T")
_A = TypeVar("_A")
_D = TypeVar("_D")
"""A declared record (a provider, a channel) whose key must be unique for a council."""


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@frozen(kw_only=True)
class Ownership:
    """Who speaks for one declared council: its ``owner`` (``None`` while two plugins declare
    it), every plugin that declared it (``claimants``), and the ``delegates`` whose answers
    count besides the owner's (named by the owner's profile, or granted by the host)."""

    council: CouncilProfile
    owner: str | None
    claimants: tuple[str, ...]
    delegates: tuple[str, ...]

    @property
    def contested(self) -> bool:
        return self.owner is None

    @property
    def heard(self) -> frozenset[str]:
        """The plugins whose answers count for this council (the built-in defaults always)."""
        own = () if self.owner is None else (self.owner,)
        return frozenset((*own, *self.delegates, DEFAULTS_NAME))


class _Declarations:
    """What ``sen_register_councils`` answered, kept while its implementations stay the same."""

    __slots__ = ("councils", "faults", "impls", "owners")

    def __init__(
        self,
        impls: list[pluggy.HookImpl],
        councils: list[CouncilProfile],
        owners: dict[str, Ownership],
        faults: list[PluginFault],
    ) -> None:
        self.impls = impls
        self.councils = councils
        self.owners = owners
        self.faults = faults


_UNOWNED = frozenset({DEFAULTS_NAME})
"""Who is heard for a council no plugin declares: the built-in defaults only."""


def _clone(value: _A) -> _A:
    """A field-by-field copy of a frozen attrs value (``copy.copy`` goes through pickling's
    protocol and costs several times more)."""
    twin = object.__new__(type(value))
    for a in type(value).__attrs_attrs__:  # type: ignore[attr-defined]
        object.__setattr__(twin, a.name, getattr(value, a.name))
    return twin

_SHARED = frozenset({str, int, float, bool, type(None), dt.date, dt.datetime})
"""Immutable value types a copy shares (looked up first: most fields hold one)."""


def _deep_clone(value: _A) -> _A:
    """A copy of a frozen attrs value and of every attrs value (or tuple of them) it holds; the
    rest (str, int, enum members, dates) is immutable and shared."""
    cls = type(value)
    if cls in _SHARED or isinstance(value, enum.Enum):
        return value
    fields = getattr(cls, "__attrs_attrs__", None)
    if fields is not None:
        twin = object.__new__(cls)
        for a in fields:
            object.__setattr__(twin, a.name, _deep_clone(getattr(value, a.name)))
        return twin
    if cls is tuple:
        return cast("_A", tuple([_deep_clone(v) for v in cast("tuple[object, ...]", value)]))
    return value


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
        self._declarations: _Declarations | None = None
        # Per implementation of sen_register_councils, its last valid answer: used while it
        # faults, so that the owner's outage never leaves a contesting plugin sole owner.
        self._last_declared: dict[int, tuple[Callable[..., object], Sequence[CouncilProfile]]] = {}
        self._grants: dict[str, tuple[str, ...]] = {}
        self._grants_version = 0
        self._heard: dict[str, frozenset[str]] = {}
        self._heard_key: _Declarations | None = None
        self._copies: dict[tuple[str, int], tuple[object, CouncilProfile | Provider]] = {}
        # What the kept settings answers depend on (the implementations, their functions, their
        # plugin names and wrapper flags, the declarations, the grants version), and the answers.
        self._settings_cache: tuple[
            tuple[pluggy.HookImpl, ...], tuple[object, ...], tuple[tuple[str, bool, bool], ...],
            _Declarations | None, int, dict[CouncilProfile, Settings | None],
        ] = ((), (), (), None, -1, {})
        self._strict = strict
        self._clock = clock
        self.attention: AttentionQueue = attention if attention is not None else (
            MemoryAttentionQueue()
        )
        self.recent_faults: collections.deque[PluginFault] = collections.deque(maxlen=200)
        """The last faults seen (any hook), for diagnostics; details never include case content."""
        relay = pm.hook
        self._callers: dict[str, pluggy.HookCaller] = {}
        self._first: dict[str, bool] = {}
        for name in HOOK_NAMES:
            caller: pluggy.HookCaller | None = getattr(relay, name, None)
            if caller is None or caller.spec is None:
                msg = (f"the plugin manager has no specification for {name}: build it with "
                       "make_plugin_manager()")
                raise PluginError(msg, plugin="(host)", hook=name)
            self._callers[name] = caller
            # Read from the specification, never restated here.
            self._first[name] = bool(caller.spec.opts.get("firstresult", False))
        self._councils_caller = self._callers["sen_register_councils"]

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

    def _copy_for(self, plugin: str, value: CouncilProfile | Provider) -> CouncilProfile | Provider:
        """``plugin``'s own copy of a council profile (text fields only, so a field copy is
        whole) or of a candidate provider with its employer; kept per plugin and value, so the
        hot path pays a dictionary lookup. :meth:`_call` hands every implementation copies of
        the ``council`` and ``candidates`` arguments."""
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
        deadline: _Deadline | None = None,
        speaks_for: Callable[[_T], CouncilProfile | None] | None = None,
    ) -> list[tuple[str, _T]]:
        """Call each implementation of ``hook`` in pluggy's order; return (plugin, answer) for
        every answer ``check`` accepts. ``check`` returns ``None`` for "no answer" and raises
        :class:`TypeError` / :class:`ValueError` for a malformed one. Under ``deadline`` each call
        gets at most the time left, and once none is left the calls are not made but noted in
        ``deadline.missed`` (the caller reports them). ``speaks_for``: the council an accepted
        answer speaks for, if any; an answer from a plugin not heard for it is a ``CONFLICT``
        fault and ignored, as for an owned hook.

        Whether the first accepted answer ends the loop is the specification's ``firstresult``.
        For an owned hook about a council, an answer from a plugin that is not heard for that
        council (:meth:`_heard_for`) is ignored and reported as a ``CONFLICT`` fault."""
        answers: list[tuple[str, _T]] = []
        first = self._first[hook]
        heard: frozenset[str] | None = None
        if council is not None and hook in OWNED_HOOKS:
            # The hot path, inlined: the declarations are unchanged and the council was seen.
            declared = self._declarations
            if (
                declared is not None
                and self._heard_key is declared
                and declared.impls == self._councils_caller.get_hookimpls()
            ):
                heard = self._heard.get(council.gss_code)
            if heard is None:
                heard = self._heard_for(council)
        copy_for = self._copy_for
        # Monitors replace pluggy's executor; while it is the plain one nobody is listening and
        # the implementation is called directly, which is what the executor would do.
        traced = self._pm._inner_hookexec is not _PLAIN_HOOKEXEC
        for impl in reversed(self._callers[hook].get_hookimpls()):
            if impl.wrapper or impl.hookwrapper:
                self._fault(
                    sink, plugin=impl.plugin_name, hook=hook, kind=FaultKind.MALFORMED,
                    detail="hook wrappers are not supported; implementation skipped",
                    council=council, case_id=case_id,
                )
                continue
            # An implementation its plugin declared ``@inline`` runs in this thread: no worker
            # hand-off (its faults are still isolated below; only a hang is unbounded).
            # Read on every call, so a declaration withdrawn takes effect at once. Through the
            # function's __dict__ (a bound method forwards it): getattr with a default on a
            # bound method that lacks the attribute raises and catches inside, ~0.3 µs.
            attributes = getattr(impl.function, "__dict__", None)
            in_thread = (attributes is not None
                         and attributes.get(INLINE_ATTRIBUTE, False) is True)
            timeout = None if in_thread else self._timeout
            if deadline is not None:
                remaining = deadline.remaining()
                if remaining <= 0:
                    deadline.missed.setdefault(impl.plugin_name, []).append(case_id)
                    continue
                if not in_thread:
                    timeout = remaining if timeout is None else min(timeout, remaining)
            names = impl.argnames
            plugin = impl.plugin_name
            # Each implementation gets its own copy of the council profile the process shares
            # (and of the providers it may choose from): a plugin that writes into a frozen
            # value with object.__setattr__ changes only its copy, never what other calls and
            # plugins see.
            args: list[object] = []
            for name in names:
                value = kwargs[name]
                # Every hook's ``council`` is a profile and ``candidates`` a tuple of providers.
                if name == "council":
                    value = copy_for(plugin, cast("CouncilProfile", value))
                elif name == "candidates":
                    value = tuple([copy_for(plugin, v) for v in cast("tuple[Provider]", value)])
                elif name == "case":
                    # The case's bodies are the case's own Party objects: each call gets its
                    # own copy, so a plugin writing into one changes no case.
                    value = _deep_clone(value)
                args.append(value)
            try:
                if traced:
                    run = functools.partial(
                        self._executor, hook, impl, dict(zip(names, args, strict=True)), first
                    )
                    raw = run() if timeout is None else self._invoke(run, timeout)
                elif timeout is not None:
                    raw = self._invoke(functools.partial(impl.function, *args), timeout)
                else:
                    raw = impl.function(*args)
            except BaseException as exc:  # SystemExit & co. too: a plugin must not stop the host
                kind, detail = _failure(exc, "did not answer within {} s; answer discarded")
                self._fault(
                    sink, plugin=impl.plugin_name, hook=hook, kind=kind, detail=detail,
                    council=council, case_id=case_id, cause=exc,
                )
                continue
            try:
                answer = check(raw)
            except (TypeError, ValueError) as exc:  # the checkers' own messages: no values
                self._fault(
                    sink, plugin=impl.plugin_name, hook=hook, kind=FaultKind.MALFORMED,
                    detail=f"returned invalid data: {exc}",
                    council=council, case_id=case_id, cause=exc,
                )
                continue
            except Exception as exc:  # a value built to break the check (nested a mile deep)
                self._fault(
                    sink, plugin=impl.plugin_name, hook=hook, kind=FaultKind.MALFORMED,
                    detail=f"returned data that could not be checked ({type_name(exc)})",
                    council=council, case_id=case_id, cause=exc,
                )
                continue
            if answer is None:
                continue
            if heard is not None and plugin not in heard:
                # An empty sequence says nothing, so it takes nothing over: not a fault.
                if first or not (isinstance(answer, list | tuple) and not answer):
                    assert council is not None
                    self._fault(
                        sink, plugin=impl.plugin_name, hook=hook, kind=FaultKind.CONFLICT,
                        detail=f"answered for council {council.slug}, which it neither owns "
                        "nor is a delegate of; answer ignored",
                        council=council, case_id=case_id,
                    )
                continue
            claimed = speaks_for(answer) if speaks_for is not None else None
            if claimed is not None and plugin not in self._heard_for(claimed):
                self._fault(
                    sink, plugin=impl.plugin_name, hook=hook, kind=FaultKind.CONFLICT,
                    detail=f"answered for council {claimed.slug}, which it neither owns nor is "
                    "a delegate of; answer ignored",
                    council=claimed, case_id=case_id,
                )
                continue
            answers.append((impl.plugin_name, answer))
            if first:
                break
        return answers

    def _executor(
        self, hook: str, impl: pluggy.HookImpl, kwargs: dict[str, object], first: bool
    ) -> object:
        """One implementation through pluggy's hook executor, so that hook-call monitors and
        tracing see it (as ``hook`` called with ``[impl]``)."""
        result = self._pm._hookexec(hook, [impl], kwargs, first)
        if first:
            return result
        # Without firstresult the executor returns the non-None results as a list.
        results = cast("list[object]", result)
        return results[0] if results else None

    # -- one typed method per hook --

    def councils(self, *, faults: list[PluginFault] | None = None) -> list[CouncilProfile]:
        """Every council declared by the installed plugins (``sen_register_councils``), in
        registration order. A council whose slug, GSS code or LA number repeats another
        declaration is a conflict fault against every plugin declaring it; the earliest
        declaration is listed and the council has no owner until one of them is blocked.

        The declarations are static, and this runs on every save and route, so an answer
        without timeouts, crashes or malformed data is kept (its conflict faults with it) until
        the implementations of ``sen_register_councils`` change."""
        declared = self._declared(faults)
        return list(declared.councils)

    def declarations_key(self) -> object:
        """An opaque value that stays the same object while the councils' declarations are
        unchanged: a host may keep what it derived from them (a council key's profile) until it
        changes. Reading it re-checks the implementations, as every facade call does."""
        return self._declared(None)

    def has_implementations(self, hook: str) -> bool:
        """Whether any installed plugin (the built-in defaults included) implements ``hook``
        now, so a caller can skip building a call nobody would receive."""
        caller = self._callers.get(hook)
        if caller is None:
            raise InvalidInputError("must name a hook of the specification", field="hook",
                                    rule_id="input.enum")
        return bool(caller.get_hookimpls())

    def _declared(self, faults: list[PluginFault] | None) -> _Declarations:
        impls = self._councils_caller.get_hookimpls()
        cached = self._declarations
        # HookImpl has no __eq__: the lists are equal when they hold the same objects.
        if cached is not None and cached.impls == impls:
            if faults is not None:
                faults.extend(cached.faults)
            return cached
        found: list[PluginFault] = []
        declared = self._declare(impls, found)
        if faults is not None:
            faults.extend(found)
        # A timeout or a crash may pass, so only conflicts (which are static) are kept.
        if all(f.kind is FaultKind.CONFLICT for f in found):
            self._declarations = declared
        return declared

    def _declare(
        self, impls: list[pluggy.HookImpl], faults: list[PluginFault]
    ) -> _Declarations:
        hook = "sen_register_councils"
        before = len(faults)
        answers = self._call(hook, {}, _records(CouncilProfile), faults, None, None)
        by_name = {impl.plugin_name: impl for impl in impls}
        for plugin, batch in answers:
            function = by_name[plugin].function
            self._last_declared[id(function)] = (function, batch)
        # A plugin whose declaration raised, hung or was malformed this time still claims what
        # it declared last: otherwise a plugin contesting its councils would own them meanwhile.
        failed = {f.plugin for f in faults[before:] if f.kind is not FaultKind.CONFLICT}
        for plugin in failed:
            impl = by_name.get(plugin)
            last = self._last_declared.get(id(impl.function)) if impl is not None else None
            if impl is not None and last is not None and last[0] is impl.function:
                answers.append((plugin, last[1]))
        kept: list[tuple[CouncilProfile, list[str]]] = []
        # Declarations are judged in registration order, never in call order: tryfirst and
        # trylast reorder the calls, and a later plugin must not become the one listed.
        order = {name: n for n, (name, _) in enumerate(self._pm.list_name_plugin())}
        for plugin, batch in sorted(answers, key=lambda a: order.get(a[0], len(order))):
            for profile in batch:
                keys = {profile.slug, profile.gss_code, profile.la_number}
                earlier = next(
                    (k for k in kept if keys & {k[0].slug, k[0].gss_code, k[0].la_number}), None
                )
                if earlier is None:
                    kept.append((profile, [plugin]))
                    continue
                other = earlier[0]
                clash = next(
                    k for k in (profile.slug, profile.gss_code, profile.la_number)
                    if k in {other.slug, other.gss_code, other.la_number}
                )
                claimants = earlier[1]
                if plugin not in claimants:
                    if len(claimants) == 1:  # the first owner learns it lost the council
                        self._fault(
                            faults, plugin=claimants[0], hook=hook, kind=FaultKind.CONFLICT,
                            detail=f"council {clash} is also declared by plugin {plugin!r}; "
                            "neither is heard for it until one is blocked",
                            council=other, case_id=None,
                        )
                    claimants.append(plugin)
                self._fault(
                    faults, plugin=plugin, hook=hook, kind=FaultKind.CONFLICT,
                    detail=f"council {clash} is already declared by plugin {claimants[0]!r}; "
                    "neither is heard for it until one is blocked",
                    council=profile, case_id=None,
                )
        owners = {
            profile.gss_code: Ownership(
                council=profile,
                owner=claimants[0] if len(claimants) == 1 else None,
                claimants=tuple(claimants),
                delegates=profile.delegates if len(claimants) == 1 else (),
            )
            for profile, claimants in kept
        }
        return _Declarations(impls, [profile for profile, _ in kept], owners, faults[:])

    def _heard_for(self, council: CouncilProfile) -> frozenset[str]:
        """The plugins whose answers count for ``council`` in the owned hooks."""
        declared = self._declarations
        if declared is None or declared.impls != self._councils_caller.get_hookimpls():
            declared = self._declared(None)
        if self._heard_key is not declared:
            self._heard = {}
            self._heard_key = declared
        heard = self._heard.get(council.gss_code)
        if heard is None:
            ownership = declared.owners.get(council.gss_code)
            heard = _UNOWNED if ownership is None else ownership.heard
            grants = self._grants.get(council.gss_code)
            if grants:
                heard = heard | frozenset(grants)
            self._heard[council.gss_code] = heard
        return heard

    def ownership(self) -> list[Ownership]:
        """Who speaks for each declared council, host grants included, in registration order."""
        declared = self._declared(None)
        out: list[Ownership] = []
        for profile in declared.councils:
            own = declared.owners[profile.gss_code]
            grants = tuple(
                g for g in self._grants.get(profile.gss_code, ()) if g not in own.delegates
            )
            out.append(Ownership(council=own.council, owner=own.owner, claimants=own.claimants,
                                 delegates=(*own.delegates, *grants)))
        return out

    def delegate(self, council: str | CouncilProfile, plugin: str) -> None:
        """Let ``plugin`` answer the owned hooks for ``council`` as if its owner had named it.

        For the host (the application that builds the manager and registers plugins in code,
        such as a development plugin supplying a contact): a plugin is never handed the facade,
        so no plugin can grant itself a council. Raises
        :class:`~sen_disagreement.council.UnknownCouncilError` when ``council`` is not
        installed, and :class:`ValueError` for an empty plugin name."""
        given: object = plugin  # callers without type checking pass anything
        if not isinstance(given, str) or not given.strip():
            msg = "plugin must be a registered plugin's name"
            raise ValueError(msg)
        profile = canonical_council(self, council)
        granted = self._grants.get(profile.gss_code, ())
        if plugin not in granted:
            self._grants[profile.gss_code] = (*granted, plugin)
        self._heard = {}
        self._grants_version += 1

    def check_ownership(self) -> list[PluginFault]:
        """Ask every owned hook about every declared council (and the provider choice with a
        check case per process that has candidates, no personal data) and return the faults:
        contested councils and answers from plugins that are not heard for a council. For
        ``sen-disagreement plugins`` and plugin authors' checks; faults are not parked."""
        faults: list[PluginFault] = []
        for profile in self.councils(faults=faults):
            providers = self.providers(profile, faults=faults)
            self.contacts(profile, faults=faults)
            self.council_settings(profile, faults=faults)
            for process, kind in PROVIDER_KIND_FOR.items():
                candidates = tuple(p for p in providers if p.kind is kind)
                if candidates:
                    case = CaseContext(case_id="plugins-check", process=process)
                    self._choose(profile, case, candidates, faults, None)
        return faults

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
        asked. A fault-free answer is kept until the hook's implementations, the council
        declarations or the host's grants change."""
        # The answer depends on who implements the hook (each implementation as it is now: its
        # plugin's name, its function, whether it is a wrapper) and on who is heard for the
        # council (the declarations, the grants).
        impls = tuple(self._callers["sen_council_settings"].get_hookimpls())
        functions = tuple([impl.function for impl in impls])
        marks = tuple([(impl.plugin_name, impl.hookwrapper, impl.wrapper) for impl in impls])
        declared = self._declared(None)
        held_impls, held_functions, held_marks, held_declared, held_grants, cache = (
            self._settings_cache)
        # HookImpl has no __eq__: == on its tuple is identity. The functions by identity too (a
        # callable may claim to equal anything); the names and flags by value, as before.
        if not (held_impls == impls and held_declared is declared
                and held_grants == self._grants_version and held_marks == marks
                and all(a is b for a, b in zip(held_functions, functions, strict=True))):
            cache = {}
            self._settings_cache = (impls, functions, marks, declared, self._grants_version,
                                    cache)
        kept = cache.get(council, _NOT_KEPT)  # one hash of the profile, not two
        if kept is not _NOT_KEPT:
            return cast("Settings | None", kept)

        def check(raw: object) -> Settings | None:
            if raw is None:
                return None
            if not isinstance(raw, Settings):
                msg = f"expected Settings or None, got {type_name(raw)}"
                raise TypeError(msg)
            # The answer is pinned to cases: the host keeps its own, validated again.
            return _rebuilt(raw, Settings)

        found: list[PluginFault] = []
        answers = self._call(
            "sen_council_settings", {"council": council}, check, found, council, case_id
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
        """The council's providers (``sen_register_providers``) from its owner and delegates. A
        provider id repeated for the council is a conflict fault; the first declaration is
        kept."""
        hook = "sen_register_providers"
        answers = self._call(
            hook, {"council": council}, _records(Provider), faults, council, case_id
        )
        return self._first_declared(hook, answers, lambda p: p.provider_id, "provider",
                                    faults, council, case_id)

    def contacts(
        self,
        council: CouncilProfile,
        *,
        case_id: str | None = None,
        faults: list[PluginFault] | None = None,
    ) -> list[Contact]:
        """The council's contacts (``sen_register_contacts``) from its owner and delegates."""
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
        answers = self._call(hook, {"council": council}, _channels, faults, council, case_id)
        return self._first_declared(hook, answers, lambda c: c.name, "channel",
                                    faults, council, case_id)

    def _first_declared(
        self, hook: str, answers: Iterable[tuple[str, Sequence[_D]]],
        key: Callable[[_D], str], what: str, faults: list[PluginFault] | None,
        council: CouncilProfile, case_id: str | None,
    ) -> list[_D]:
        """Every declaration in ``answers``, the first of each ``key`` kept: a later one with
        the same key is a conflict fault naming both plugins."""
        out: list[_D] = []
        seen: dict[str, str] = {}
        for plugin, batch in answers:
            for declared in batch:
                k = key(declared)
                if k in seen:
                    self._fault(
                        faults, plugin=plugin, hook=hook, kind=FaultKind.CONFLICT,
                        detail=f"{what} {k!r} is already declared by plugin {seen[k]!r}",
                        council=council, case_id=case_id,
                    )
                    continue
                seen[k] = plugin
                out.append(declared)
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
        return self._choose(council, case, candidates, faults, case.case_id)

    def _choose(
        self,
        council: CouncilProfile,
        case: CaseContext,
        candidates: Sequence[Provider],
        faults: list[PluginFault] | None,
        case_id: str | None,
    ) -> Provider | None:
        pool = tuple(candidates)

        def check(raw: object) -> Provider | None:
            if raw is None:
                return None
            if type(raw) is not Provider:  # a subclass could claim to equal any candidate
                msg = f"expected a Provider or None, got {type_name(raw)}"
                raise TypeError(msg)
            # The host's own candidate is what is chosen, never the object the plugin returned
            # (which it could rewrite after the choice was checked).
            for candidate in pool:
                if candidate == raw:
                    return candidate
            msg = "the provider chosen is not one of the candidates offered"
            raise ValueError(msg)

        answers = self._call(
            "sen_choose_provider",
            {"council": council, "case": case, "candidates": pool},
            check, faults, council, case_id,
        )
        return answers[0][1] if answers else None

    def resolve_actor(
        self, user_id: str, *, faults: list[PluginFault] | None = None
    ) -> Actor | None:
        """Who ``user_id`` is, from the council's directory (``sen_resolve_actor``, first valid
        answer wins). An answer that is not an :class:`~sen_disagreement.actors.Actor` for that
        user id is a malformed fault and the next plugin is asked. An actor working for an
        installed council (``Actor.council``) counts only from a plugin heard for that council
        (its owner, a delegate, a host grant); another plugin's is a conflict fault."""

        def check(raw: object) -> Actor | None:
            if raw is None:
                return None
            if not isinstance(raw, Actor):
                msg = f"expected an Actor or None, got {type_name(raw)}"
                raise TypeError(msg)
            # Checked and kept as the host's own: a subclass could answer with another role
            # once checked.
            actor = _rebuilt(raw, Actor)
            if actor.actor_id != user_id:
                msg = "answered for another user id"
                raise ValueError(msg)
            if actor.role is Role.SYSTEM:
                msg = "the system actor is the library's own, never a directory user"
                raise ValueError(msg)
            return actor

        def council_of(actor: Actor) -> CouncilProfile | None:
            # Who works for an installed council is said only by a plugin heard for it: a
            # later plugin is called first and would otherwise mint that council's officers.
            return None if actor.council is None else self.find_council(actor.council)

        answers = self._call(
            "sen_resolve_actor", {"user_id": user_id}, check, faults, None, None,
            speaks_for=council_of,
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


def _rebuilt(value: object, kind: type[_A], where: str = "") -> _A:
    """The host's own ``kind`` record equal to ``value``, made through the class's ``__init__``.

    A plugin can bypass a frozen record's validators (``object.__setattr__`` after building it),
    return a subclass that lies (an ``__eq__`` equal to anything, a property answering
    differently each time), or keep the object and rewrite it after the host checked it.
    Rebuilding ``value`` field by field, nested records and text included, runs every validator
    again and leaves the plugin holding nothing the host uses. Raises :class:`TypeError` or
    :class:`ValueError` naming the field and rule only (never the value)."""
    if type(value) is not kind:
        msg = f"{where}expected {kind.__name__}, got {type_name(value)}"
        raise TypeError(msg)
    fields: dict[str, object] = {}
    for a in attrs.fields(cast("type[attrs.AttrsInstance]", kind)):
        if a.init:
            fields[a.alias] = _plain(getattr(value, a.name), where, a.name)
    try:
        return kind(**fields)
    except InvalidInputError as exc:
        msg = f"{where}{exc.field} breaks rule {exc.rule_id}"
        raise ValueError(msg) from None
    except (TypeError, ValueError):
        msg = f"{where}not a valid {kind.__name__}"
        raise ValueError(msg) from None


_LEAVES = (bool, int, float, dt.date, dt.datetime, dt.timedelta)


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile("[\n\t]")
_MULTILINE = frozenset({"description"})
"""Fields whose text may run over several lines."""


def _plain(value: object, where: str, name: str) -> object:
    """A field's value rebuilt for :func:`_rebuilt`: the library's own records again, text as
    plain ``str``, the library's enum members, and plain numbers, dates and ``None``. Anything
    else is refused: an object slipped in past the validators could hash and compare like an
    enum member and be something else. Text with control characters (a terminal escape, a
    carriage return) or bidirectional overrides is refused too: plugin text is printed by the
    command line, written into notices and logged, where those forge or hide what is shown."""
    if value is None or type(value) in _LEAVES:
        return value
    if isinstance(value, str):
        text = str.__str__(value)  # a str subclass could render differently later
        if _CONTROL.search(text) or (name not in _MULTILINE and _LINE_BREAK.search(text)):
            msg = f"{where}{name} holds a control character"
            raise ValueError(msg)
        return text
    if isinstance(value, enum.Enum) and type(value).__module__.startswith("sen_disagreement."):
        return value
    if attrs.has(type(value)):
        if not type(value).__module__.startswith("sen_disagreement."):
            msg = f"{where}a nested {type_name(value)} is not one of the library's records"
            raise TypeError(msg)
        return _rebuilt(value, type(value), where)
    if type(value) is tuple:
        return tuple(_plain(v, where, name) for v in cast("tuple[object, ...]", value))
    if type(value) is frozenset:
        return frozenset(_plain(v, where, name) for v in cast("frozenset[object]", value))
    msg = f"{where}a field holds a {type_name(value)}, which no record of the library holds"
    raise TypeError(msg)


_HOST_COPIES: dict[int, tuple[object, object]] = {}
"""id(a plugin's record) -> (that record, the host's copy). Plugins return the same constant
records on every call; rebuilding them each time would cost more than the call."""


def _host_copy(value: object, kind: type[_A], index: int) -> _A:
    """:func:`_rebuilt`, once per record object. A record a plugin rewrites after it was first
    rebuilt (``object.__setattr__``) keeps the copy made then: the host only ever holds what
    passed the validators, and runs none of the plugin's code (an ``__eq__``) to notice."""
    entry = _HOST_COPIES.get(id(value))
    if entry is not None and entry[0] is value:
        return cast("_A", entry[1])
    twin = _rebuilt(value, kind, f"item {index}: ")
    if len(_HOST_COPIES) > 4096:  # records are few; bound it anyway
        _HOST_COPIES.clear()
    # Keeping the record keeps its id from being reused while the entry lives.
    _HOST_COPIES[id(value)] = (value, twin)
    return twin


_HOST_ANSWERS: dict[tuple[int, type], tuple[object, tuple[object, ...]]] = {}
"""(id(a plugin's tuple answer), record class) -> (that tuple, the host's copies)."""

MAX_RECORDS = 1000
"""The most records one implementation may answer with: councils, providers and contacts are
few, and a huge answer would be checked in the calling thread, outside the deadline."""


def _records(kind: type[_T]) -> Callable[[object], Sequence[_T] | None]:
    """A checker for hooks returning a sequence of ``kind`` records; the answer is the host's
    own rebuilt copies (:func:`_rebuilt`)."""

    def check(raw: object) -> Sequence[_T] | None:
        if raw is None:
            return None
        if type(raw) is not tuple and type(raw) is not list:
            msg = f"expected a list or tuple of {kind.__name__}, got {type_name(raw)}"
            raise TypeError(msg)
        items = cast("list[object] | tuple[object, ...]", raw)
        # A tuple cannot change, so the same tuple (a plugin's constant answer) has the same
        # copies: one lookup instead of one per record.
        key = (id(raw), kind)
        entry = _HOST_ANSWERS.get(key) if type(raw) is tuple else None
        if entry is not None and entry[0] is raw:
            return cast("tuple[_T, ...]", entry[1])
        if len(items) > MAX_RECORDS:
            msg = f"more than {MAX_RECORDS} records in one answer"
            raise ValueError(msg)
        copies = tuple([_host_copy(item, kind, i) for i, item in enumerate(items)])
        if type(raw) is tuple:
            if len(_HOST_ANSWERS) > 4096:
                _HOST_ANSWERS.clear()
            _HOST_ANSWERS[key] = (raw, copies)
        return copies

    return check


def _channels(raw: object) -> tuple[NotificationChannel, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list | tuple):
        msg = f"expected a list or tuple of channels, got {type_name(raw)}"
        raise TypeError(msg)
    out: list[NotificationChannel] = []
    for i, item in enumerate(raw):
        if not isinstance(item, NotificationChannel):
            msg = f"item {i}: {type_name(item)} has no name and send()"
            raise TypeError(msg)
        name: object = item.name
        if (not isinstance(name, str) or not name or len(name) > 64
                or _CONTROL.search(name) or _LINE_BREAK.search(name)):
            msg = f"item {i}: a channel name must be a short non-empty line of text"
            raise ValueError(msg)
        out.append(item)
    return tuple(out)


def _nothing(raw: object) -> None:
    if raw is not None:
        msg = f"an observer returns None, not {type_name(raw)}"
        raise TypeError(msg)
