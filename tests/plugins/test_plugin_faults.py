"""Fault isolation: a plugin that raises, returns malformed data or hangs never loses or corrupts a
case. The case is parked for manual attention with an audit entry and the other plugins still run.

Hangs wait on an event that is released when the test ends, so no thread outlives the test."""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace

import pluggy
import pytest

from sen_disagreement.council import (
    PARKED_ACTION,
    CaseContext,
    CaseEvent,
    CouncilProfile,
    FaultKind,
    MemoryAttentionQueue,
    Notification,
    PluginFault,
    Provider,
    StoreAttentionQueue,
    route_provider,
    send_notification,
)
from sen_disagreement.errors import PluginError
from sen_disagreement.parties import PartyKind
from sen_disagreement.plugins import Hooks, make_plugin_manager
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.plugins.testing import RegisterPlugin, registered_plugin
from sen_disagreement.store import open_store
from sen_disagreement.voluntary import Process

COUNCIL = CouncilProfile(
    name="Faultshire", gss_code="E06000903", la_number="903", slug="faultshire"
)
GOOD = Provider(
    provider_id="good", name="Good Mediation", kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER
)
SECRET = "Child: Alex Example, DOB 2015-01-01"
SHORT = 0.1


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


class HealthyCouncil:
    @hookimpl
    def sen_register_councils(self) -> Sequence[CouncilProfile]:
        return (COUNCIL,)

    @hookimpl
    def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
        return (GOOD,) if council == COUNCIL else ()


class Observer:
    def __init__(self) -> None:
        self.events: list[str] = []

    @hookimpl
    def sen_after_case_event(self, event: CaseEvent) -> None:
        self.events.append(event.case_id)


def _case(case_id: str = "F-1") -> CaseContext:
    return CaseContext(case_id=case_id, process=Process.DISAGREEMENT_RESOLUTION)


def _event(case_id: str) -> CaseEvent:
    return CaseEvent(case_id=case_id, name="case.routed", at=dt.datetime(2025, 3, 3, tzinfo=dt.UTC))


def test_raising_plugin_is_isolated_and_its_message_is_not_recorded(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    class Raises:
        @hookimpl(tryfirst=True)
        def sen_choose_provider(self) -> Provider:
            raise ValueError(SECRET)

    register_sen_plugin(HealthyCouncil(), name="council")
    register_sen_plugin(Raises(), name="raises")
    routing = route_provider(sen_hooks, COUNCIL, _case())
    assert routing.provider == GOOD
    assert routing.parked
    (fault,) = routing.faults
    assert (fault.plugin, fault.hook, fault.kind) == (
        "raises",
        "sen_choose_provider",
        FaultKind.RAISED,
    )
    assert SECRET not in repr(fault)
    assert [i.case_id for i in sen_hooks.attention.parked()] == ["F-1"]


@pytest.mark.parametrize(
    "answer",
    [
        "good",  # wrong type
        {"provider_id": "good"},  # missing fields, as if from JSON
        SimpleNamespace(provider_id="good"),  # duck-typed, missing fields
        [GOOD],  # a list where one provider is expected
    ],
)
def test_malformed_choice_is_refused_and_the_next_plugin_answers(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, answer: object
) -> None:
    class Malformed:
        @hookimpl(tryfirst=True)
        def sen_choose_provider(self) -> object:
            return answer

    register_sen_plugin(HealthyCouncil(), name="council")
    register_sen_plugin(Malformed(), name="malformed")
    routing = route_provider(sen_hooks, COUNCIL, _case())
    assert routing.provider == GOOD
    assert [(f.plugin, f.kind) for f in routing.faults] == [("malformed", FaultKind.MALFORMED)]


def test_malformed_registration_is_refused(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    class BadProviders:
        @hookimpl
        def sen_register_providers(self) -> object:
            return [GOOD, {"provider_id": "half"}]

    register_sen_plugin(HealthyCouncil(), name="council")
    register_sen_plugin(BadProviders(), name="bad-providers")
    faults: list[PluginFault] = []
    assert sen_hooks.providers(COUNCIL, faults=faults) == [GOOD]
    assert "item 1" in faults[0].detail
    # not case-bound: nothing parked
    assert sen_hooks.attention.parked() == []


def test_hanging_plugin_is_abandoned_and_its_late_answer_discarded(
    sen_plugin_manager: pluggy.PluginManager, release: threading.Event
) -> None:
    late = Provider(
        provider_id="late", name="Late", kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER
    )
    hooks = Hooks(sen_plugin_manager, timeout=SHORT)
    observer = Observer()

    class Hangs:
        @hookimpl(tryfirst=True)
        def sen_choose_provider(self) -> Provider:
            release.wait()
            return late

        @hookimpl(tryfirst=True)
        def sen_after_case_event(self) -> None:
            release.wait()

    with (
        registered_plugin(sen_plugin_manager, HealthyCouncil(), "council"),
        registered_plugin(sen_plugin_manager, Hangs(), "hangs"),
        registered_plugin(sen_plugin_manager, observer, "observer"),
    ):
        routing = route_provider(hooks, COUNCIL, _case("H-1"))
        hooks.after_case_event(COUNCIL, _event("H-1"))
    assert routing.provider == GOOD
    assert [(f.plugin, f.kind) for f in routing.faults] == [("hangs", FaultKind.TIMEOUT)]
    assert observer.events == ["H-1"]
    assert [(i.case_id, i.hook) for i in hooks.attention.parked()] == [
        ("H-1", "sen_choose_provider"),
        ("H-1", "sen_after_case_event"),
    ]


def test_failing_channel_does_not_stop_the_others(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    class Broken:
        name = "broken"

        def send(self, notification: Notification) -> None:
            raise ConnectionError(SECRET)

    class Channels:
        @hookimpl
        def sen_register_channels(self) -> Sequence[object]:
            return (Broken(),)

    register_sen_plugin(Channels(), name="channels")
    note = Notification(case_id="N-9", council="faultshire", template="t", recipient_role="parent")
    assert send_notification(sen_hooks, COUNCIL, note) == ["log"]
    (item,) = sen_hooks.attention.parked()
    assert (item.case_id, item.plugin, item.kind) == ("N-9", "channel:broken", FaultKind.RAISED)


def test_strict_facade_raises_plugin_error_naming_plugin_and_hook(
    sen_plugin_manager: pluggy.PluginManager,
) -> None:
    class Bad:
        @hookimpl
        def sen_register_contacts(self) -> object:
            return "SEN team"

    hooks = Hooks(sen_plugin_manager, timeout=None, strict=True)
    with registered_plugin(sen_plugin_manager, Bad(), "bad"), pytest.raises(PluginError) as caught:
        hooks.contacts(COUNCIL)
    assert caught.value.plugin == "bad"
    assert caught.value.hook == "sen_register_contacts"
    assert str(caught.value).startswith("plugin 'bad', hook sen_register_contacts:")


def test_wrapper_implementations_are_refused(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    class Wrapper:
        @hookimpl(wrapper=True)
        def sen_register_contacts(self) -> Iterator[None]:
            return (yield)

    register_sen_plugin(Wrapper(), name="wrapper")
    faults: list[PluginFault] = []
    assert sen_hooks.contacts(COUNCIL, faults=faults) == []
    assert "wrappers are not supported" in faults[0].detail


def test_store_attention_queue_parks_through_the_audit_trail(
    tmp_path: Path, sen_plugin_manager: pluggy.PluginManager
) -> None:
    class Raises:
        @hookimpl
        def sen_after_case_event(self) -> None:
            raise RuntimeError(SECRET)

    with open_store(f"sqlite:///{tmp_path / 'cases.sqlite3'}") as store:
        queue = StoreAttentionQueue(store)
        hooks = Hooks(sen_plugin_manager, timeout=SHORT, attention=queue)
        with registered_plugin(sen_plugin_manager, Raises(), "raises"):
            hooks.after_case_event(COUNCIL, _event("S-1"))
        (item,) = queue.parked()
        assert (item.case_id, item.plugin, item.hook, item.kind) == (
            "S-1",
            "raises",
            "sen_after_case_event",
            FaultKind.RAISED,
        )
        (entry,) = [e for e in store.audit_trail("S-1") if e.action == PARKED_ACTION]
        assert entry.actor == "plugin:raises"
        assert entry.fields == ("sen_after_case_event",)
        assert SECRET not in repr(entry)


# --- 1,000 randomised faults -------------------------------------------------------------------

KINDS = ("raise", "wrong_type", "missing_fields", "slow")
WEIGHTS = (30, 31, 31, 8)


class Faulty:
    """A plugin that misbehaves in one way in every hook it implements."""

    def __init__(self, kind: str, release: threading.Event) -> None:
        self.kind = kind
        self.release = release

    def _misbehave(self) -> object:
        if self.kind == "raise":
            raise RuntimeError(SECRET)
        if self.kind == "wrong_type":
            return SECRET
        if self.kind == "missing_fields":
            return [{"provider_id": "x"}]
        # Overruns the timeout, then returns on its own like a real slow plugin: a thousand
        # calls hung until the test ends would (rightly) hit the bound on stuck workers.
        self.release.wait(3 * SHORT)
        return None


class FaultyChooser(Faulty):
    @hookimpl(tryfirst=True)
    def sen_choose_provider(self) -> object:
        answer = self._misbehave()
        return answer[0] if isinstance(answer, list) else answer


class FaultyProviders(Faulty):
    @hookimpl
    def sen_register_providers(self) -> object:
        return self._misbehave()


class FaultyObserver(Faulty):
    @hookimpl
    def sen_after_case_event(self) -> object:
        return self._misbehave()


class FaultyContacts(Faulty):
    @hookimpl
    def sen_register_contacts(self) -> object:
        return self._misbehave()


FAULTY = (FaultyChooser, FaultyProviders, FaultyObserver, FaultyContacts)


@pytest.mark.slow
def test_one_thousand_random_faults_lose_no_case(release: threading.Event) -> None:
    rng = random.Random(20250101)
    pm = make_plugin_manager(load_entry_points=False, environ={})
    queue = MemoryAttentionQueue()
    hooks = Hooks(pm, timeout=SHORT, attention=queue)
    pm.register(HealthyCouncil(), name="council")
    observers = [Observer() for _ in range(3)]
    for i, observer in enumerate(observers):
        pm.register(observer, name=f"observer-{i}")

    cases: dict[str, CaseContext] = {}
    outcome: dict[str, str] = {}
    faults_injected = 0
    expected_faults: dict[str, int] = {}
    trial = 0
    while faults_injected < 1000:
        trial += 1
        case = _case(f"R-{trial}")
        cases[case.case_id] = case
        snapshot = CaseContext(
            case_id=case.case_id, process=case.process, health_in_issue=case.health_in_issue
        )
        plugins = []
        for n in range(rng.randint(1, 3)):
            kind = rng.choices(KINDS, WEIGHTS)[0]
            plugin = rng.choice(FAULTY)(kind, release)
            pm.register(plugin, name=f"faulty-{trial}-{n}")
            plugins.append(plugin)
        # contacts are not case-bound: their faults are isolated but park nothing
        bound = sum(not isinstance(p, FaultyContacts) for p in plugins)
        faults_injected += len(plugins)
        expected_faults[case.case_id] = bound

        faults: list[PluginFault] = []
        routing = route_provider(hooks, COUNCIL, case)
        hooks.after_case_event(COUNCIL, _event(case.case_id), faults=faults)
        hooks.contacts(COUNCIL, faults=faults)
        all_faults = [*routing.faults, *faults]

        # every fault was seen and named its plugin; every healthy plugin still answered
        assert routing.provider == GOOD
        assert len(all_faults) == len(plugins)
        assert {f.plugin for f in all_faults} == {pm.get_name(p) for p in plugins}
        assert all(SECRET not in f.detail for f in all_faults)
        assert all(o.events[-1] == case.case_id for o in observers)
        # the case is intact
        assert case == snapshot
        outcome[case.case_id] = "parked" if bound else "routed"
        for plugin in plugins:
            pm.unregister(plugin)

    # zero lost: every case is either routed cleanly or parked, and every case-bound fault is
    # audited exactly once against its case
    parked = [item.case_id for item in queue.parked()]
    assert len(queue.audit) == len(parked) == sum(expected_faults.values())
    for case_id in cases:
        assert parked.count(case_id) == expected_faults[case_id]
        assert (case_id in parked) == (outcome[case_id] == "parked")
    assert all(len(o.events) == trial for o in observers)
    assert faults_injected >= 1000


def test_a_plugin_writing_into_a_frozen_council_profile_changes_only_its_copy(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    class Vandal:
        @hookimpl(tryfirst=True)
        def sen_register_providers(self, council: CouncilProfile) -> list[Provider]:
            object.__setattr__(council, "name", "Taken Over Council")
            return []

    register_sen_plugin(HealthyCouncil(), name="council")
    register_sen_plugin(Vandal(), name="vandal")
    (profile,) = [c for c in sen_hooks.councils() if c.slug == COUNCIL.slug]
    assert sen_hooks.providers(profile) == [GOOD]
    # COUNCIL is the very object HealthyCouncil declares: compare with the literal name.
    assert profile.name == "Faultshire" and COUNCIL.name == "Faultshire"
    (again,) = [c for c in sen_hooks.councils() if c.slug == COUNCIL.slug]
    assert again.name == "Faultshire"
    assert route_provider(sen_hooks, COUNCIL, _case()).provider == GOOD
