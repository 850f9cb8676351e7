"""Plugin isolation limits: any exception (``BaseException`` included) is a parked fault, the
observers of one save share one deadline, and the threads abandoned to hung plugins are bounded.

Hangs wait on an event that is released when the test ends, so no thread outlives the test."""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time
from collections.abc import Iterator

import pluggy
import pytest

from sen_disagreement.council import CaseEvent, CouncilProfile, FaultKind, PluginFault
from sen_disagreement.errors import PluginError
from sen_disagreement.plugins import Hooks
from sen_disagreement.plugins._workers import _WorkerPool
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.plugins.testing import registered_plugin

COUNCIL = CouncilProfile(
    name="Isolationshire", gss_code="E06000904", la_number="904", slug="isolationshire"
)
SECRET = "Child: Alex Example, DOB 2015-01-01"
SHORT = 0.1
WORKER_THREAD = "sen-disagreement-plugin"


class PluginAbort(BaseException):
    """A plugin's own BaseException subclass."""


BASE_EXCEPTIONS = (SystemExit, KeyboardInterrupt, GeneratorExit, PluginAbort)


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


class Observer:
    def __init__(self) -> None:
        self.heard: list[str] = []

    @hookimpl
    def sen_after_case_event(self, event: CaseEvent) -> None:
        self.heard.append(event.name)


class Raises:
    def __init__(self, exc_type: type[BaseException]) -> None:
        self.exc_type = exc_type

    @hookimpl(tryfirst=True)
    def sen_after_case_event(self) -> None:
        raise self.exc_type(SECRET)


class Hangs:
    def __init__(self, release: threading.Event) -> None:
        self.release = release
        self.calls = 0

    @hookimpl(trylast=True)
    def sen_after_case_event(self) -> None:
        self.calls += 1
        self.release.wait()


def _events(case_id: str, n: int) -> list[CaseEvent]:
    at = dt.datetime(2025, 3, 3, tzinfo=dt.UTC)
    return [CaseEvent(case_id=case_id, name=f"event-{i}", at=at) for i in range(1, n + 1)]


def _plugin_threads() -> int:
    return sum(t.name == WORKER_THREAD for t in threading.enumerate())


# --- BaseException is a fault like any other ---------------------------------------------------


def _assert_base_exception_is_parked(hooks: Hooks, exc_type: type[BaseException]) -> None:
    observer = Observer()
    pm = hooks.plugin_manager
    faults: list[PluginFault] = []
    with (
        registered_plugin(pm, Raises(exc_type), "raises"),
        registered_plugin(pm, observer, "observer"),
    ):
        hooks.after_case_event(COUNCIL, _events("B-1", 1)[0], faults=faults)
    (fault,) = faults
    assert (fault.plugin, fault.kind, fault.detail) == (
        "raises",
        FaultKind.RAISED,
        f"raised {exc_type.__name__}",
    )
    assert SECRET not in repr(fault)
    assert observer.heard == ["event-1"]
    assert [(i.case_id, i.plugin, i.kind) for i in hooks.attention.parked()] == [
        ("B-1", "raises", FaultKind.RAISED)
    ]


@pytest.mark.parametrize("exc_type", BASE_EXCEPTIONS)
def test_plugin_isolation_base_exception_is_parked_inline(
    sen_plugin_manager: pluggy.PluginManager, exc_type: type[BaseException]
) -> None:
    _assert_base_exception_is_parked(Hooks(sen_plugin_manager, timeout=None), exc_type)


@pytest.mark.parametrize("exc_type", BASE_EXCEPTIONS)
def test_plugin_isolation_base_exception_is_parked_worker_mode(
    sen_plugin_manager: pluggy.PluginManager, exc_type: type[BaseException]
) -> None:
    _assert_base_exception_is_parked(Hooks(sen_plugin_manager, timeout=SHORT), exc_type)


def _exit(message: str) -> None:
    raise SystemExit(message)


@pytest.mark.parametrize("timeout", [None, SHORT], ids=["inline", "worker"])
def test_plugin_isolation_base_exception_in_run_isolated_is_parked(
    sen_plugin_manager: pluggy.PluginManager, timeout: float | None
) -> None:
    hooks = Hooks(sen_plugin_manager, timeout=timeout)
    faults: list[PluginFault] = []
    completed = hooks.run_isolated(
        plugin="channel:exits",
        hook="NotificationChannel.send",
        call=functools.partial(_exit, SECRET),
        council=COUNCIL,
        case_id="R-1",
        faults=faults,
    )
    assert completed is False
    assert [(f.kind, f.detail) for f in faults] == [(FaultKind.RAISED, "raised SystemExit")]
    assert [(i.case_id, i.plugin) for i in hooks.attention.parked()] == [("R-1", "channel:exits")]


def test_plugin_isolation_strict_mode_turns_base_exception_into_plugin_error(
    sen_plugin_manager: pluggy.PluginManager,
) -> None:
    hooks = Hooks(sen_plugin_manager, timeout=None, strict=True)
    with (
        registered_plugin(sen_plugin_manager, Raises(KeyboardInterrupt), "raises"),
        pytest.raises(PluginError) as caught,
    ):
        hooks.after_case_event(COUNCIL, _events("S-1", 1)[0])
    assert (caught.value.plugin, caught.value.hook) == ("raises", "sen_after_case_event")
    assert isinstance(caught.value.__cause__, KeyboardInterrupt)


# --- one observer deadline per save ------------------------------------------------------------


def test_observers_hear_every_event_in_order(sen_plugin_manager: pluggy.PluginManager) -> None:
    hooks = Hooks(sen_plugin_manager, timeout=SHORT)
    first, second = Observer(), Observer()
    faults: list[PluginFault] = []
    with (
        registered_plugin(sen_plugin_manager, first, "first"),
        registered_plugin(sen_plugin_manager, second, "second"),
    ):
        hooks.after_case_events(COUNCIL, _events("O-1", 3), budget=5.0, faults=faults)
    assert faults == []
    assert first.heard == second.heard == ["event-1", "event-2", "event-3"]


def test_observer_deadline_is_one_budget_per_save(
    sen_plugin_manager: pluggy.PluginManager, release: threading.Event
) -> None:
    # A per-call timeout of 1 s would let the hung observer cost 3 s over three events; the
    # budget caps the whole save at 0.3 s.
    hooks = Hooks(sen_plugin_manager, timeout=1.0)
    observer, hangs = Observer(), Hangs(release)
    faults: list[PluginFault] = []
    with (
        registered_plugin(sen_plugin_manager, observer, "observer"),
        registered_plugin(sen_plugin_manager, hangs, "hangs"),
    ):
        started = time.monotonic()
        hooks.after_case_events(COUNCIL, _events("D-1", 3), budget=0.3, faults=faults)
        elapsed = time.monotonic() - started
    assert elapsed < 1.5
    # event-1 reached the healthy observer before the hung one spent the budget; the later
    # calls were not made at all
    assert observer.heard == ["event-1"]
    assert hangs.calls == 1
    timeout, *skipped = faults
    assert (timeout.plugin, timeout.kind) == ("hangs", FaultKind.TIMEOUT)
    assert timeout.detail.startswith("did not answer within 0.")  # the budget left, not 1 s
    assert sorted((f.plugin, f.kind) for f in skipped) == [
        ("hangs", FaultKind.TIMEOUT),
        ("observer", FaultKind.TIMEOUT),
    ]
    for fault in skipped:
        assert "overall observer deadline" in fault.detail
        assert "2 event(s) not delivered" in fault.detail
    parked = hooks.attention.parked()
    assert len(parked) == 3
    assert {i.case_id for i in parked} == {"D-1"}


def test_observer_deadline_defaults_to_the_facade_timeout(
    sen_plugin_manager: pluggy.PluginManager, release: threading.Event
) -> None:
    hooks = Hooks(sen_plugin_manager, timeout=SHORT)
    hangs = Hangs(release)
    faults: list[PluginFault] = []
    with registered_plugin(sen_plugin_manager, hangs, "hangs"):
        hooks.after_case_events(COUNCIL, _events("T-1", 3), faults=faults)
    assert hangs.calls == 1
    assert [(f.plugin, f.kind) for f in faults] == [("hangs", FaultKind.TIMEOUT)] * 2
    assert "2 event(s) not delivered" in faults[1].detail


def test_observer_deadline_applies_without_a_per_call_timeout(
    sen_plugin_manager: pluggy.PluginManager, release: threading.Event
) -> None:
    # timeout=None would run observers inline, where a hang hangs the caller; a budget moves
    # them to workers so the save still returns.
    hooks = Hooks(sen_plugin_manager, timeout=None)
    observer, hangs = Observer(), Hangs(release)
    faults: list[PluginFault] = []
    with (
        registered_plugin(sen_plugin_manager, observer, "observer"),
        registered_plugin(sen_plugin_manager, hangs, "hangs"),
    ):
        hooks.after_case_events(COUNCIL, _events("N-1", 2), budget=SHORT, faults=faults)
    assert observer.heard == ["event-1"]
    assert [(f.plugin, f.kind) for f in faults] == [
        ("hangs", FaultKind.TIMEOUT),
        ("observer", FaultKind.TIMEOUT),
        ("hangs", FaultKind.TIMEOUT),
    ]


@pytest.mark.parametrize("budget", [0.0, -1.0])
def test_observer_deadline_must_be_positive(
    sen_plugin_manager: pluggy.PluginManager, budget: float
) -> None:
    observer = Observer()
    hooks = Hooks(sen_plugin_manager, timeout=SHORT)
    with (
        registered_plugin(sen_plugin_manager, observer, "observer"),
        pytest.raises(ValueError, match="budget"),
    ):
        hooks.after_case_events(COUNCIL, _events("V-1", 1), budget=budget)
    assert observer.heard == []


# --- abandoned workers are bounded -------------------------------------------------------------


def test_abandoned_workers_are_bounded(
    sen_plugin_manager: pluggy.PluginManager,
    release: threading.Event,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_WorkerPool, "MAX_ABANDONED", 2)
    hooks = Hooks(sen_plugin_manager, timeout=0.05)
    observer, hangs = Observer(), Hangs(release)
    with (
        registered_plugin(sen_plugin_manager, observer, "observer"),
        registered_plugin(sen_plugin_manager, hangs, "hangs"),
    ):
        events = _events("W-1", 4)
        for event in events[:2]:
            hooks.after_case_event(COUNCIL, event)
        assert hangs.calls == 2  # two workers now stuck: the bound
        threads = _plugin_threads()

        refused: list[PluginFault] = []
        hooks.after_case_event(COUNCIL, events[2], faults=refused)
        # refused at once, the healthy observer's call too, and no thread was started for them
        assert [(f.plugin, f.kind) for f in refused] == [
            ("observer", FaultKind.TIMEOUT),
            ("hangs", FaultKind.TIMEOUT),
        ]
        assert all("too many hung plugin calls" in f.detail for f in refused)
        assert hangs.calls == 2
        assert _plugin_threads() <= threads
        assert observer.heard == ["event-1", "event-2"]
        assert [i.case_id for i in hooks.attention.parked()].count("W-1") == 4

        # once the hung calls return, their workers are no longer counted
        release.set()

        def delivered_cleanly() -> bool:
            faults: list[PluginFault] = []
            hooks.after_case_event(COUNCIL, events[3], faults=faults)
            return not faults

        give_up = time.monotonic() + 5.0
        while not delivered_cleanly():
            assert time.monotonic() < give_up, "abandoned workers were never released"
            time.sleep(0.01)
        assert observer.heard[-1] == "event-4"
