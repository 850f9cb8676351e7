"""Choosing a provider when only the library's default chooses.

The built-in :class:`~sen_disagreement.plugins.manager.DefaultPlugin` takes the first candidate;
a plugin that chooses, a replaced default or a patched implementation is asked instead, and
with the defaults blocked routing takes the first eligible provider. (Issue 14 tried answering
the default's choice without the call; a hostile review found it could differ from the call,
``test_hostile_review_routing_s7.py``, so every choice is made by the call.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pluggy
from host_hooks import LA, NORTH

from sen_disagreement.council import CaseContext, CouncilProfile, Provider, route_provider
from sen_disagreement.parties import PartyKind
from sen_disagreement.plugins import Hooks, make_plugin_manager
from sen_disagreement.plugins.manager import DEFAULTS_NAME, DefaultPlugin
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.voluntary import Process

CASE = CaseContext(case_id="dr-choose-1", process=Process.DISAGREEMENT_RESOLUTION,
                   health_in_issue=False, bodies=[LA])
FIRST = Provider(provider_id="north-dr-a", name="North DR A",
                 kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER)
SECOND = Provider(provider_id="north-dr-b", name="North DR B",
                  kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER)


class North:
    @hookimpl
    def sen_register_councils(self) -> Sequence[CouncilProfile]:
        return (NORTH,)

    @hookimpl
    def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
        return (FIRST, SECOND)


class NorthChoosesTheLast(North):
    """The council's own plugin choosing (the hook is owned: only the council's plugins are
    heard for it)."""

    @hookimpl
    def sen_choose_provider(self, candidates: Sequence[Provider]) -> Provider | None:
        return candidates[-1] if candidates else None


class LastDefault(DefaultPlugin):
    """A host's replacement for the defaults, registered under their name."""

    @hookimpl(trylast=True)
    def sen_choose_provider(self, candidates: Sequence[Provider]) -> Provider | None:
        return candidates[-1] if candidates else None


def _hooks(north: object | None = None) -> tuple[pluggy.PluginManager, Hooks]:
    pm = make_plugin_manager(load_entry_points=False, environ={})
    pm.register(North() if north is None else north, name="north")
    return pm, Hooks(pm, timeout=None)


def _monitored(pm: pluggy.PluginManager, hooks: Hooks, candidates: Sequence[Provider]
               ) -> tuple[Provider | None, list[str]]:
    """The answer with a hook monitor listening (so the call is made), and the hooks it saw."""
    seen: list[str] = []

    def before(name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, object]) -> None:
        seen.append(name)

    undo = pm.add_hookcall_monitoring(before, lambda *a: None)
    try:
        return hooks.choose_provider(NORTH, CASE, candidates), seen
    finally:
        undo()


def test_only_the_default_answers_the_hosts_own_first_candidate_as_the_call_does() -> None:
    pm, hooks = _hooks()
    candidates = hooks.providers(NORTH)
    answer = hooks.choose_provider(NORTH, CASE, candidates)
    assert answer is candidates[0]
    called, seen = _monitored(pm, hooks, candidates)
    assert seen == ["sen_choose_provider"]  # with a monitor the default is called
    assert called is answer


def test_only_the_default_with_no_candidates_answers_none_as_the_call_does() -> None:
    pm, hooks = _hooks()
    assert hooks.choose_provider(NORTH, CASE, ()) is None
    assert _monitored(pm, hooks, ())[0] is None


def test_a_plugin_that_chooses_is_called() -> None:
    _, hooks = _hooks(NorthChoosesTheLast())
    candidates = hooks.providers(NORTH)
    assert hooks.choose_provider(NORTH, CASE, candidates) is candidates[-1]
    routed = route_provider(hooks, NORTH, CASE)
    assert routed.provider.provider_id == SECOND.provider_id


def test_a_replaced_default_is_called() -> None:
    pm = make_plugin_manager(load_entry_points=False, environ={})
    pm.unregister(name=DEFAULTS_NAME)
    pm.register(LastDefault(), name=DEFAULTS_NAME)
    pm.register(North(), name="north")
    hooks = Hooks(pm, timeout=None)
    routed = route_provider(hooks, NORTH, CASE)
    assert routed.provider.provider_id == SECOND.provider_id


def test_a_default_whose_function_was_replaced_is_called() -> None:
    pm, hooks = _hooks()
    default = pm.get_plugin(DEFAULTS_NAME)
    assert type(default) is DefaultPlugin
    [impl] = hooks._callers["sen_choose_provider"].get_hookimpls()
    impl.function = lambda candidates: candidates[-1]  # type: ignore[misc]  # a host patching pluggy
    candidates = hooks.providers(NORTH)
    assert hooks.choose_provider(NORTH, CASE, candidates) is candidates[-1]


def test_blocked_defaults_leave_the_first_eligible_provider() -> None:
    pm = make_plugin_manager(load_entry_points=False, blocked=(DEFAULTS_NAME,), environ={})
    pm.register(North(), name="north")
    hooks = Hooks(pm, timeout=None)
    assert hooks.choose_provider(NORTH, CASE, hooks.providers(NORTH)) is None
    assert route_provider(hooks, NORTH, CASE).provider.provider_id == FIRST.provider_id


def test_routing_with_only_the_default_is_routing_through_the_call() -> None:
    pm, hooks = _hooks()
    quick = route_provider(hooks, NORTH, CASE)
    undo = pm.add_hookcall_monitoring(lambda *a: None, lambda *a: None)
    try:
        called = route_provider(hooks, NORTH, CASE)
    finally:
        undo()
    assert quick == called
    assert quick.provider.provider_id == FIRST.provider_id
    assert not quick.parked
