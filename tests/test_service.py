"""CaseService: a real SQLite store, the installed Sefton plugin, and plugin fault isolation.

Every change goes through the command path: a user id, the actor the directory says it is, a
typed step, and one saved version per step."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sen_disagreement.actors import Actor, CaseGrant, Role, StaticActorDirectory
from sen_disagreement.council import (
    PARKED_ACTION,
    CaseEvent,
    CouncilProfile,
    StoreAttentionQueue,
)
from sen_disagreement.ehc import Duty
from sen_disagreement.errors import AccessDeniedError, NoProviderError, PluginError
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.plugins import Hooks, make_plugin_manager
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.service import CaseService, OpenDisagreementResolution
from sen_disagreement.settings import Settings
from sen_disagreement.store import open_store
from sen_disagreement.workflow import CaseParty
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.disagreement_resolution import DisagreementResolutionCase, DrState
from sen_disagreement.workflow.issues import Issue
from sen_disagreement.workflow.records import from_record

T0 = dt.datetime(2025, 1, 13, 10, tzinfo=dt.UTC)
SEFTON = "E08000014"
CASE_ID = "svc-1"
OFFICER = "officer"
PARENT = "parent-user"


def _directory(council: str = SEFTON) -> StaticActorDirectory:
    return StaticActorDirectory([
        Actor(actor_id=OFFICER, role=Role.LA_OFFICER, council=council),
        Actor(actor_id=PARENT, role=Role.FAMILY,
              grants={CaseGrant(case_id=CASE_ID, party_id="parent")}),
    ])


def _agreed(service: CaseService, council: str = SEFTON) -> int:
    """Open ``CASE_ID`` and take it to 'all agreed' through the command path; the number of
    versions (one per step) saved."""
    parent = CaseParty("parent", Party(kind=PartyKind.PARENT))
    la = CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY,
                               identifiers=Identifiers(gss_code=council)))
    service.open_case(OFFICER, OpenDisagreementResolution(
        case_id=CASE_ID, council=council, parties=[parent, la],
        issues=[Issue(issue_id="review", duty=Duty.KEEP_PROVISION_UNDER_REVIEW)],
    ), at=T0)
    service.apply(CASE_ID, OFFICER, st.SeekAgreement(), at=T0 + dt.timedelta(hours=1))
    service.apply(CASE_ID, PARENT, st.AcceptDecision(party_id="parent"),
                  at=T0 + dt.timedelta(hours=2))
    record = service.apply(CASE_ID, OFFICER, st.AcceptDecision(party_id="la"),
                           at=T0 + dt.timedelta(hours=3))
    return record.version


def test_sefton_case_is_routed_to_global_mediation_by_the_installed_plugin(
    tmp_path: Path,
) -> None:
    service = CaseService.open(str(tmp_path / "s.sqlite3"), directory=_directory(),
                               timeout=None)
    with service.store:
        version = _agreed(service)
        agreed, stored = service.load(CASE_ID)
        assert stored == version == 4
        assert isinstance(agreed, DisagreementResolutionCase)
        assert agreed.state is DrState.ALL_AGREED
        routing = service.route(agreed)
        assert routing.provider.name == "Global Mediation"
        # Only the council's officer assigns, and the provider is the routed one: the step names
        # none. A parent asking is refused, audited, and nothing is written.
        with pytest.raises(AccessDeniedError):
            service.apply(CASE_ID, PARENT, st.AssignProvider(), at=T0 + dt.timedelta(hours=4))
        assert service.load(CASE_ID)[1] == version
        record = service.apply(CASE_ID, OFFICER, st.AssignProvider(),
                               at=T0 + dt.timedelta(hours=4))
        assert record.version == version + 1
        case, _ = service.load(CASE_ID)
        assert isinstance(case, DisagreementResolutionCase)
        assert case.state is DrState.PROVIDER_ASSIGNED
        assert case.provider is not None
        assert case.provider.party.name == "Global Mediation"
        assert case.provider.party_id == routing.provider.provider_id
        assert from_record(service.store.load(CASE_ID)) == case
        assert from_record(record) == case
        last = case.audit.entries[-1]
        assert (last.actor, last.action) == (OFFICER, "dr.assign_provider")
        trail = service.store.audit_trail(CASE_ID)
        assert [(e.actor, e.action, e.outcome) for e in trail if e.outcome != "ok"] == [
            (PARENT, "step.assign_provider", "refused_unauthorised")
        ]


class _CouncilOnly:
    """Declares Sefton but no provider (a case of an uninstalled council cannot be opened)."""

    @hookimpl
    def sen_register_councils(self) -> tuple[CouncilProfile, ...]:
        return (CouncilProfile(name="Sefton", gss_code=SEFTON, la_number="343", slug="sefton"),)


def test_a_council_without_a_provider_gets_a_clear_no_provider_answer(tmp_path: Path) -> None:
    service = CaseService.open(str(tmp_path / "s.sqlite3"), directory=_directory(),
                               load_entry_points=False)
    service.hooks.plugin_manager.register(_CouncilOnly(), name="council-only")
    with service.store:
        version = _agreed(service)
        case, _ = service.load(CASE_ID)
        with pytest.raises(NoProviderError, match="no provider configured for"):
            service.route(case)
        with pytest.raises(NoProviderError, match="no provider configured for"):
            service.apply(CASE_ID, OFFICER, st.AssignProvider(), at=T0 + dt.timedelta(hours=4))
        # Nothing was written: the case is as it was, still waiting for a provider.
        after, stored = service.load(CASE_ID)
        assert stored == version
        assert after == case and after.state is DrState.ALL_AGREED


class _BrokenObserver:
    @hookimpl
    def sen_after_case_event(self, council: CouncilProfile, event: CaseEvent) -> None:
        raise RuntimeError("observer crashed")


def test_a_crashing_observer_never_loses_the_case_and_parks_it(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.sqlite3"))
    pm = make_plugin_manager(load_entry_points=True)
    pm.register(_BrokenObserver(), name="broken-observer")
    attention = StoreAttentionQueue(store)
    service = CaseService(store, Hooks(pm, timeout=None, attention=attention), _directory())
    with store:
        version = _agreed(service)  # every step saved although the observer raised each time
        case, stored = service.load(CASE_ID)
        assert stored == version == 4
        assert isinstance(case, DisagreementResolutionCase)
        assert case.state is DrState.ALL_AGREED
        assert from_record(store.load(CASE_ID)) == case
        # The store's trail holds every entry of the case (each committed with it) and the
        # parking entries besides.
        trail = store.audit_trail(CASE_ID)
        changes = [e for e in trail if e.action != PARKED_ACTION]
        assert [(e.actor, e.action, e.at) for e in changes] == [
            (e.actor, e.action, e.at) for e in case.audit.entries
        ]
        assert all(e.committed_at is not None for e in changes)
        parked = attention.parked()
        assert {p.case_id for p in parked} == {CASE_ID}
        assert {p.plugin for p in parked} == {"broken-observer"}
        # One observation per change, each isolated: the case is parked once per failed call.
        assert len(parked) == len(case.audit.entries)


class _SettingsForEveryCouncil:
    """Registered after Sefton: answers the settings hook for every council it is asked about."""

    @hookimpl(tryfirst=True)
    def sen_council_settings(self, council: CouncilProfile) -> Settings | None:
        return Settings()


def test_an_ignored_settings_answer_from_a_plugin_not_heard_for_the_council_does_not_stop_it(
    tmp_path: Path,
) -> None:
    service = CaseService.open(str(tmp_path / "s.sqlite3"), directory=_directory(),
                               load_entry_points=True)
    service.hooks.plugin_manager.register(_SettingsForEveryCouncil(), name="every-council")
    with service.store:
        # The late plugin's answer is ignored (a conflict fault), Sefton's stands: cases open.
        assert service.settings_for("sefton") == service.settings
        assert _agreed(service) == 4


def test_a_contested_council_opens_no_case(tmp_path: Path) -> None:
    service = CaseService.open(str(tmp_path / "s.sqlite3"), directory=_directory(),
                               load_entry_points=True)

    class _SecondSefton(_SettingsForEveryCouncil):
        @hookimpl
        def sen_register_councils(self) -> tuple[CouncilProfile, ...]:
            return (CouncilProfile(name="Sefton", gss_code=SEFTON, la_number="343",
                                   slug="sefton"),)

    service.hooks.plugin_manager.register(_SecondSefton(), name="second-sefton")
    with pytest.raises(PluginError):
        service.settings_for("sefton")


class _RecordingObserver:
    """Tells the test every event it is told about."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    @hookimpl
    def sen_after_case_event(self, council: CouncilProfile, event: CaseEvent) -> None:
        self.seen.append((council.gss_code, event.name))


def test_an_observer_registered_or_removed_while_the_service_runs_is_heard_from_then_on(
    tmp_path: Path,
) -> None:
    # With no observer the service skips the hook; it asks on every save whether one is
    # installed, so one registered later is told every event from then on, and none after it
    # is unregistered.
    service = CaseService.open(str(tmp_path / "s.sqlite3"), directory=_directory(),
                               timeout=None)
    observer = _RecordingObserver()
    with service.store:
        parent = CaseParty("parent", Party(kind=PartyKind.PARENT))
        la = CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                   identifiers=Identifiers(gss_code=SEFTON)))
        service.open_case(OFFICER, OpenDisagreementResolution(
            case_id=CASE_ID, council=SEFTON, parties=[parent, la]), at=T0)
        pm = service.hooks.plugin_manager
        pm.register(observer, name="recording-observer")
        service.apply(CASE_ID, OFFICER, st.SeekAgreement(), at=T0 + dt.timedelta(hours=1))
        service.apply(CASE_ID, PARENT, st.AcceptDecision(party_id="parent"),
                      at=T0 + dt.timedelta(hours=2))
        pm.unregister(observer)
        service.apply(CASE_ID, OFFICER, st.AcceptDecision(party_id="la"),
                      at=T0 + dt.timedelta(hours=3))
        assert observer.seen == [(SEFTON, "dr.seek_agreement"), (SEFTON, "dr.record_agreement")]
        assert service.hooks.attention.parked() == []
        assert len(service.load(CASE_ID)[0].audit.entries) == 4


class _Northshire:
    @hookimpl
    def sen_register_councils(self) -> tuple[CouncilProfile, ...]:
        return (CouncilProfile(name="Northshire", gss_code="E06000901", la_number="901",
                               slug="northshire"),)


class _NorthshireRenamed:
    @hookimpl
    def sen_register_councils(self) -> tuple[CouncilProfile, ...]:
        return (CouncilProfile(name="Northshire Unitary", gss_code="E06000901", la_number="901",
                               slug="northshire"),)


def test_the_council_keys_the_service_keeps_follow_the_installed_plugins(tmp_path: Path) -> None:
    # The service keeps each key's profile while the council declarations are unchanged: a
    # plugin registered, replaced or removed is seen on the next lookup, and a refusal is
    # never kept.
    from sen_disagreement.council import UnknownCouncilError

    service = CaseService.open(str(tmp_path / "s.sqlite3"), directory=_directory(),
                               load_entry_points=False)
    pm = service.hooks.plugin_manager
    with service.store:
        with pytest.raises(UnknownCouncilError):
            service.council("northshire")
        first = _Northshire()
        pm.register(first, name="northshire")
        profile = service.council("northshire")
        assert profile.name == "Northshire"
        assert service.council("E06000901") is profile
        assert service.council("901") is profile
        assert service.settings_for(profile) == service.settings  # a profile as the key
        pm.unregister(first)
        pm.register(_NorthshireRenamed(), name="northshire")
        assert service.council("northshire").name == "Northshire Unitary"
        assert service.council(" Northshire Unitary ").gss_code == "E06000901"
        pm.unregister(name="northshire")
        with pytest.raises(UnknownCouncilError):
            service.council("northshire")
        with pytest.raises(UnknownCouncilError):
            service.council(profile.gss_code)
        with pytest.raises(UnknownCouncilError):
            service.settings_for(profile)
