"""CaseService: a real SQLite store, the installed Sefton plugin, and plugin fault isolation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sen_disagreement.council import CaseEvent, CouncilProfile, StoreAttentionQueue
from sen_disagreement.ehc import Duty
from sen_disagreement.errors import NoProviderError
from sen_disagreement.hookspecs import hookimpl
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.plugins import Hooks, make_plugin_manager
from sen_disagreement.service import CaseService
from sen_disagreement.store import open_store
from sen_disagreement.workflow import CaseParty
from sen_disagreement.workflow.disagreement_resolution import DisagreementResolutionCase
from sen_disagreement.workflow.issues import Issue
from sen_disagreement.workflow.records import from_record

T0 = dt.datetime(2025, 1, 13, 10, tzinfo=dt.UTC)


def _agreed_case(council: str = "E08000014") -> DisagreementResolutionCase:
    parent = CaseParty("parent", Party(kind=PartyKind.PARENT))
    la = CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY,
                               identifiers=Identifiers(gss_code=council)))
    case = DisagreementResolutionCase.refer(
        case_id="svc-1", council=council, parties=[parent, la], at=T0, actor="officer",
        issues=[Issue(issue_id="review", duty=Duty.KEEP_PROVISION_UNDER_REVIEW)],
    )
    case = case.seek_agreement(at=T0 + dt.timedelta(hours=1), actor="officer")
    case = case.agree("parent", at=T0 + dt.timedelta(hours=2), actor="parent")
    return case.agree("la", at=T0 + dt.timedelta(hours=3), actor="officer")


def test_sefton_case_is_routed_to_global_mediation_by_the_installed_plugin(
    tmp_path: Path,
) -> None:
    service = CaseService.open(str(tmp_path / "s.sqlite3"), timeout=None)
    with service.store:
        case, routing = service.assign_routed_provider(
            _agreed_case(), at=T0 + dt.timedelta(hours=4), actor="officer"
        )
        assert routing.provider.name == "Global Mediation"
        assert case.provider is not None
        assert case.provider.party.name == "Global Mediation"
        record = service.save(case, expected_version=0)
        assert from_record(service.store.load(case.case_id)) == case
        assert record.version == 1


def test_a_council_without_a_plugin_gets_a_clear_no_provider_answer(tmp_path: Path) -> None:
    service = CaseService.open(str(tmp_path / "s.sqlite3"), load_entry_points=False)
    with service.store, pytest.raises(NoProviderError, match="no provider configured for"):
        service.route(_agreed_case())


class _BrokenObserver:
    @hookimpl
    def sen_after_case_event(self, council: CouncilProfile, event: CaseEvent) -> None:
        raise RuntimeError("observer crashed")


def test_a_crashing_observer_never_loses_the_case_and_parks_it(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s.sqlite3"))
    pm = make_plugin_manager(load_entry_points=True)
    pm.register(_BrokenObserver(), name="broken-observer")
    attention = StoreAttentionQueue(store)
    service = CaseService(store, Hooks(pm, timeout=None, attention=attention))
    with store:
        case = _agreed_case()
        service.save(case, expected_version=0)
        assert from_record(store.load(case.case_id)) == case
        parked = attention.parked()
        assert {p.case_id for p in parked} == {case.case_id}
        assert {p.plugin for p in parked} == {"broken-observer"}
        # One observation per change, each isolated: the case is parked once per failed call.
        assert len(parked) == len(case.audit.entries)
