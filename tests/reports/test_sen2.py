"""SEN2 flags over a generated population of 1,200 stored cases, against counts computed here
from the events each case was built from (never from the report's code), under each setting;
the validation pass; who may run the report."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
from pathlib import Path

import pytest

from reports.population import CLERK, OFFICER, Plan, family
from sen_disagreement.actors import Actor, Role, StaticActorDirectory
from sen_disagreement.appeals import AppealableDecision as D
from sen_disagreement.council import CouncilProfile
from sen_disagreement.errors import AccessDeniedError, InvalidInputError
from sen_disagreement.plugins import hookimpl
from sen_disagreement.reports.sen2 import (
    FIELDS,
    MediationEvidence,
    ReassessmentGroup,
    Sen2Settings,
    TribunalEvidence,
    describe_settings,
    sen2_report,
)
from sen_disagreement.service import CaseService
from sen_disagreement.store.contract import AuditEntry

# The field group of each s.51(2) limb, written out again here (not imported).
_REQUEST = {D.NOT_TO_ASSESS}
_ASSESSMENT = {D.NO_PLAN_AFTER_ASSESSMENT}


def _group(d: D, reassessment: str) -> str:
    if d in _REQUEST or (d is D.NOT_TO_REASSESS and reassessment == "Request"):
        return "Request"
    if d in _ASSESSMENT:
        return "Assessment"
    return "Other"


def expected(plans: list[Plan], year: int, *, wanted: bool = False,
             reassessment: str = "Other") -> tuple[list[dict[str, str]], set[str],
                                                   dict[str, int]]:
    """The rows, the unplaced case ids and the sen2_mi aggregates, from the plans alone."""
    rows: list[dict[str, str]] = []
    unplaced: set[str] = set()
    mi = dict.fromkeys(("request_mediation", "assessment_mediation", "other_mediation",
                        "request_tribunal", "assessment_tribunal", "other_tribunal"), 0)
    total_med = total_trib = followed = 0
    for p in plans:
        if p.kind != "mediation":
            continue
        med_day = p.told_on if wanted else p.held_on
        med = med_day is not None and med_day.year == year
        trib = p.exported_on is not None and p.exported_on.year == year
        if not (med or trib):
            continue
        groups = {_group(d, reassessment) for d in p.decisions}
        if len(groups) > 1:
            unplaced.add(p.case_id)
            continue
        (g,) = groups
        row = dict.fromkeys(FIELDS, "")
        row.update({"CaseRef": p.case_id, "Module": "Requests" if g == "Request" else
                    "Assessments", f"{g}Mediation": "1" if med else "0",
                    f"{g}Tribunal": "1" if trib else "0"})
        rows.append(row)
        mi[f"{g.lower()}_mediation"] += med
        mi[f"{g.lower()}_tribunal"] += trib
        total_med += med
        total_trib += trib
        assert med_day is not None or not med
        if med and trib and med_day is not None and p.exported_on is not None:
            followed += med_day <= p.exported_on
    mi.update(total_mediation=total_med, total_tribunal=total_trib,
              total_tribunal_followed_mediation=followed)
    return rows, unplaced, mi


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_sen2_flag_groups_match_counts_from_the_events(
    population: tuple[str, list[Plan]], population_service: CaseService, year: int,
) -> None:
    _, plans = population
    report = sen2_report(population_service, OFFICER.actor_id, year=year)
    rows, unplaced, mi = expected(plans, year)
    assert [r.values() for r in report.rows] == rows
    assert {p.case_id for p in report.problems} == unplaced
    assert all(p.rule_id == "sen2.flag_groups" for p in report.problems)
    got = report.aggregates()["sen2_mi"]
    assert {k: got[k] for k in mi} == mi
    if year != 2026:  # the population has mediations and appeals in 2024 and 2025
        assert mi["total_mediation"] > 20 and mi["total_tribunal"] > 20 and unplaced
    assert report.excluded == {"disagreement resolution (not in SEN2)": 120}
    release = report.aggregates()["release_2025"]
    assert release["mediation_related_request"] == mi["request_mediation"]
    assert release["number_other_tribunal"] == mi["other_tribunal"]


def test_sen2_flag_groups_under_the_other_readings(
    population: tuple[str, list[Plan]], population_service: CaseService,
) -> None:
    """Mediation flagged when wanted (not held); a refused re-assessment as a request."""
    _, plans = population
    chosen = Sen2Settings(mediation_evidence=MediationEvidence.WANTED,
                          reassessment_group=ReassessmentGroup.REQUEST)
    report = sen2_report(population_service, OFFICER.actor_id, year=2025, settings=chosen)
    rows, unplaced, mi = expected(plans, 2025, wanted=True, reassessment="Request")
    assert [r.values() for r in report.rows] == rows
    assert {p.case_id for p in report.problems} == unplaced
    got = report.aggregates()["sen2_mi"]
    assert {k: got[k] for k in mi} == mi
    assert report.as_json()["settings"] == {"mediation_evidence": "wanted",
                                            "tribunal_evidence": "bundle_exported",
                                            "reassessment_group": "Request"}


def test_sen2_tribunal_evidence_not_recorded_names_every_certificate_case(
    population: tuple[str, list[Plan]], population_service: CaseService,
) -> None:
    _, plans = population
    chosen = Sen2Settings(tribunal_evidence=TribunalEvidence.NOT_RECORDED)
    report = sen2_report(population_service, OFFICER.actor_id, year=2025, settings=chosen)
    assert not any(r.tribunal for r in report.rows)
    named = {p.case_id for p in report.problems if p.rule_id == "sen2.tribunal_evidence"}
    assert named == {p.case_id for p in plans
                     if p.certificate_on is not None and p.certificate_on.year == 2025}
    assert report.aggregates()["sen2_mi"]["total_tribunal"] == 0


def test_sen2_csv_and_json_use_the_return_field_names(population_service: CaseService) -> None:
    report = sen2_report(population_service, OFFICER.actor_id, year=2025)
    parsed = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert parsed and list(parsed[0]) == list(FIELDS)
    assert parsed == [r.values() for r in report.rows]
    doc = json.loads(report.to_json())
    assert doc["fields"] == list(FIELDS) and doc["rows"] == parsed
    assert set(doc["aggregates"]["sen2_mi"]) >= {"total_mediation", "total_tribunal_pc"}
    assert doc["unplaced"] and set(doc["unplaced"][0]) == {"case_id", "reason", "rule_id"}
    assert "[UNCONFIRMED]" in doc["sources"][0]


def test_sen2_settings_are_described_and_unconfirmed() -> None:
    settings = {s["name"]: s for s in describe_settings()}
    assert set(settings) == {"mediation_evidence", "tribunal_evidence", "reassessment_group"}
    assert all(s["grade"] == "UNCONFIRMED" for s in settings.values())
    assert settings["tribunal_evidence"]["default"] == "bundle_exported"


def test_sen2_names_a_stored_case_it_cannot_read(tmp_path: Path) -> None:
    from reports.population import directory, generate, store_population

    cases, plans = generate(30, seed=3)
    db = tmp_path / "bad.sqlite3"
    service = CaseService.open(f"sqlite:///{db}", directory=directory(), timeout=None)
    with service.store as store:
        store_population(store, cases, plans)
    with sqlite3.connect(db) as con:
        con.execute("UPDATE cases SET document = '{\"kind\": \"mediation\"}' "
                    "WHERE case_id = 'gen-000004'")
    service = CaseService.open(f"sqlite:///{db}", directory=directory(), timeout=None)
    with service.store:
        report = sen2_report(service, OFFICER.actor_id, year=2025)
    bad = [p for p in report.problems if p.case_id == "gen-000004"]
    assert len(bad) == 1 and "not a valid case" in bad[0].reason and bad[0].rule_id


class _Wirral:
    """A second installed council, so another council's officer exists."""

    @hookimpl
    def sen_register_councils(self) -> list[CouncilProfile]:
        return [CouncilProfile(name="Wirral", gss_code="E08000015", la_number="344",
                               slug="wirral")]


def test_reports_council_officer_only(population: tuple[str, list[Plan]]) -> None:
    """Another council's officer, an officer asking for another council, a Tribunal clerk, a
    family member: each refused (rule reports.council_officer) and the refusal audited."""
    wirral = Actor(actor_id="officer-w", role=Role.LA_OFFICER, council="E08000015")
    fam = family("gen-000001")
    service = CaseService.open(population[0], directory=StaticActorDirectory(
        [OFFICER, CLERK, wirral, fam]), timeout=None)
    service.hooks.plugin_manager.register(_Wirral(), name="test.wirral")
    with service.store:
        before = len(_refusals(service))
        # Wirral's officer reports on Wirral, which has no cases here: nothing of Sefton's.
        own = sen2_report(service, wirral.actor_id, year=2025)
        assert own.rows == () and own.problems == () and own.council == "E08000015"
        for who, council in [(wirral.actor_id, "sefton"),
                             (OFFICER.actor_id, "wirral"), (CLERK.actor_id, None),
                             (fam.actor_id, None)]:
            with pytest.raises(AccessDeniedError) as err:
                sen2_report(service, who, year=2025, council=council)
            assert err.value.rule_id == "reports.council_officer"
        assert len(_refusals(service)) == before + 4
        # An unknown council is bad input naming the field, not a refusal.
        with pytest.raises(InvalidInputError) as bad:
            sen2_report(service, OFFICER.actor_id, year=2025, council="E09000033")
        assert bad.value.rule_id == "council.installed"


def _refusals(service: CaseService) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    while True:
        page = service.store.audit_trail(None, after_seq=entries[-1].seq if entries else 0)
        entries += page
        if len(page) < 10_000:
            return [e for e in entries if e.action == "report.run" and e.outcome == "refused"]


@pytest.mark.parametrize("year", [2013, 10000, "2025", True, 2025.0])
def test_sen2_year_is_checked(population_service: CaseService, year: object) -> None:
    with pytest.raises(InvalidInputError) as err:
        sen2_report(population_service, OFFICER.actor_id, year=year)  # type: ignore[arg-type]
    assert err.value.field == "year" and err.value.rule_id == "input.range"


def test_sen2_walkthrough_other_tribunal(walkthrough_db: Path) -> None:
    """The walkthrough's mediation (a decision not to amend) had its Tribunal bundle exported
    by the clerk through the service: OtherTribunal, and no mediation held."""
    from sen_disagreement.walkthrough import OFFICER as WALK_OFFICER
    from sen_disagreement.walkthrough import directory as walk_directory

    service = CaseService.open(f"sqlite:///{walkthrough_db}", directory=walk_directory(),
                               timeout=None)
    with service.store:
        report = sen2_report(service, WALK_OFFICER, year=2025, council="sefton")
    assert [r.values() for r in report.rows] == [{
        "CaseRef": "sefton-med-0001", "Module": "Assessments", "RequestMediation": "",
        "RequestTribunal": "", "AssessmentMediation": "", "AssessmentTribunal": "",
        "OtherMediation": "0", "OtherTribunal": "1"}]
    assert report.problems == () and report.council == "E08000014"
    assert report.year == 2025 and dt.date(2025, 1, 1).year == report.year
