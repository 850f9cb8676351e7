"""``@inline``: a hook implementation its plugin declares safe runs in the caller's thread even
when the facade has a per-call timeout (issue 14), and is isolated and checked as every other.

Each implementation records the thread it ran in; the facade's workers are named
``sen-disagreement-plugin``."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence

import pluggy
import pytest

from sen_disagreement.council import (
    CaseEvent,
    CouncilProfile,
    FaultKind,
    PluginFault,
    Provider,
)
from sen_disagreement.parties import PartyKind
from sen_disagreement.plugins import Hooks, inline
from sen_disagreement.plugins.spec import INLINE_ATTRIBUTE, hookimpl
from sen_disagreement.plugins.testing import registered_plugin

COUNCIL = CouncilProfile(name="Inlineshire", gss_code="E06000905", la_number="905",
                         slug="inlineshire")
PROVIDER = Provider(provider_id="inline-mediation", name="Inline Mediation",
                    kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER)
SECRET = "Child: Alex Example, DOB 2015-01-01"


class Declares:
    """The council's owner; ``sen_register_providers`` inline or not, as asked."""

    def __init__(self, *, inline_providers: bool) -> None:
        self.threads: list[str] = []

        def providers(council: CouncilProfile) -> Sequence[Provider]:
            self.threads.append(threading.current_thread().name)
            return (PROVIDER,) if council.slug == COUNCIL.slug else ()

        self.sen_register_providers = hookimpl(inline(providers) if inline_providers
                                               else providers)

    @hookimpl
    @inline
    def sen_register_councils(self) -> Sequence[CouncilProfile]:
        return (COUNCIL,)


def _hooks(pm: pluggy.PluginManager) -> Hooks:
    return Hooks(pm, timeout=1.0)


def test_inline_implementation_runs_in_the_callers_thread(
    sen_plugin_manager: pluggy.PluginManager,
) -> None:
    plugin = Declares(inline_providers=True)
    with registered_plugin(sen_plugin_manager, plugin, "inline-owner"):
        assert _hooks(sen_plugin_manager).providers(COUNCIL) == [PROVIDER]
    assert plugin.threads == [threading.current_thread().name]


def test_implementation_not_declared_inline_still_runs_in_a_worker(
    sen_plugin_manager: pluggy.PluginManager,
) -> None:
    plugin = Declares(inline_providers=False)
    with registered_plugin(sen_plugin_manager, plugin, "worker-owner"):
        assert _hooks(sen_plugin_manager).providers(COUNCIL) == [PROVIDER]
    assert len(plugin.threads) == 1
    assert plugin.threads[0] != threading.current_thread().name
    assert plugin.threads[0].startswith("sen-disagreement-plugin")


def test_only_the_value_true_declares_inline(sen_plugin_manager: pluggy.PluginManager) -> None:
    # A plugin whose function happens to carry a truthy attribute of that name is not inline.
    plugin = Declares(inline_providers=False)
    setattr(plugin.sen_register_providers, INLINE_ATTRIBUTE, "yes")
    with registered_plugin(sen_plugin_manager, plugin, "truthy-owner"):
        _hooks(sen_plugin_manager).providers(COUNCIL)
    assert plugin.threads[0] != threading.current_thread().name


class RaisesInline:
    @hookimpl
    @inline
    def sen_register_councils(self) -> Sequence[CouncilProfile]:
        return (COUNCIL,)

    @hookimpl
    @inline
    def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
        raise RuntimeError(SECRET)


class MalformedInline:
    @hookimpl
    @inline
    def sen_register_councils(self) -> Sequence[CouncilProfile]:
        return (COUNCIL,)

    @hookimpl
    @inline
    def sen_register_providers(self, council: CouncilProfile) -> object:
        return [{"provider_id": "not-a-provider"}]


@pytest.mark.parametrize(("plugin", "kind"), [(RaisesInline(), FaultKind.RAISED),
                                              (MalformedInline(), FaultKind.MALFORMED)])
def test_inline_implementation_faults_are_still_isolated(
    sen_plugin_manager: pluggy.PluginManager, plugin: object, kind: FaultKind
) -> None:
    hooks = _hooks(sen_plugin_manager)
    faults: list[PluginFault] = []
    with registered_plugin(sen_plugin_manager, plugin, "faulty"):
        assert hooks.providers(COUNCIL, case_id="I-1", faults=faults) == []
    assert [(f.plugin, f.kind) for f in faults] == [("faulty", kind)]
    assert all(SECRET not in f.detail for f in faults)
    assert [i.case_id for i in hooks.attention.parked()] == ["I-1"]


class InlineObserver:
    def __init__(self) -> None:
        self.threads: list[str] = []

    @hookimpl
    @inline
    def sen_after_case_event(self, event: CaseEvent) -> None:
        self.threads.append(threading.current_thread().name)


def test_inline_observer_runs_in_thread_within_the_save_budget(
    sen_plugin_manager: pluggy.PluginManager,
) -> None:
    observer = InlineObserver()
    at = dt.datetime(2025, 3, 3, tzinfo=dt.UTC)
    events = [CaseEvent(case_id="O-1", name=f"event-{i}", at=at) for i in (1, 2)]
    faults: list[PluginFault] = []
    with registered_plugin(sen_plugin_manager, observer, "inline-observer"):
        _hooks(sen_plugin_manager).after_case_events(COUNCIL, events, budget=5.0,
                                                     faults=faults)
    assert faults == []
    assert observer.threads == [threading.current_thread().name] * 2


def test_sefton_declares_its_constant_hooks_inline() -> None:
    from sen_disagreement_sefton import plugin

    for hook in ("sen_register_councils", "sen_register_providers", "sen_register_contacts"):
        assert getattr(getattr(plugin, hook), INLINE_ATTRIBUTE) is True, hook
    # Its channels hook reads configuration, so it keeps the worker and its timeout.
    assert getattr(plugin.sen_register_channels, INLINE_ATTRIBUTE, False) is False


def test_built_in_defaults_are_inline() -> None:
    from sen_disagreement.plugins.manager import DefaultPlugin

    for hook in ("sen_register_channels", "sen_choose_provider"):
        assert getattr(getattr(DefaultPlugin(), hook), INLINE_ATTRIBUTE) is True, hook
