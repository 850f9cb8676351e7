"""The clock table loads on first use, not at import (issue 14), and loads the same as before.

Checked in fresh interpreters through ``sys.modules`` (a timing assertion would pass on a quiet
host and fail on a busy one). Importing what a disagreement-resolution pipeline needs, and
running such a case, builds no clock: ``sen_disagreement.clocks`` is then only its lazy package
and the ids of the reg 44 clocks. The first use of a clock name (from the package, the
mediation workflow's ``REG_42_2_EXCEPTIONS``, a deadline) loads the table once, from any number
of threads at once, and every caller gets the table's own objects.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PIPELINE = ("sen_disagreement.service", "sen_disagreement.classifier",
            "sen_disagreement.serialization", "sen_disagreement.workflow.steps",
            "sen_disagreement.workflow.records")
"""What bench/bench_pipeline.py imports to run a case from a form dict to its saved outcome."""

CLOCK_MODULES = frozenset({"sen_disagreement.clocks.table", "sen_disagreement.clocks.compute",
                           "sen_disagreement.clocks.model", "sen_disagreement.calendar"})
"""The clock table, its types, the computations and the working-day calendar."""


def _run(code: str) -> object:
    """Run ``code`` in a fresh interpreter; it prints one JSON value as its last line."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=True,
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _clock_modules_after(*statements: str) -> list[str]:
    code = "; ".join([*statements, "import sys, json", "print(json.dumps(sorted(m for m in "
                      f"sys.modules if m in {sorted(CLOCK_MODULES)!r})))"])
    found = _run(code)
    assert isinstance(found, list)
    return found


def test_importing_the_pipeline_builds_no_clock() -> None:
    assert _clock_modules_after(*(f"import {m}" for m in PIPELINE)) == []


@pytest.mark.parametrize("module", [
    "sen_disagreement.workflow", "sen_disagreement.workflow.mediation",
    "sen_disagreement.workflow.mediation.agreement", "sen_disagreement.workflow.certificates",
    "sen_disagreement.appeals", "sen_disagreement.clocks", "sen_disagreement.messages",
])
def test_importing_a_workflow_module_builds_no_clock(module: str) -> None:
    assert _clock_modules_after(f"import {module}") == []


def test_running_a_disagreement_resolution_case_builds_no_clock(tmp_path: Path) -> None:
    """A Sefton disagreement-resolution case through the public API, as the benchmark runs it
    (form dict, classify, open, both consents, the plugin's provider, meeting, outcome, each
    step saved to a real SQLite file), computes no clock, so it never loads the table."""
    found = _run(f"""
        import datetime as dt, json, sys
        import sen_disagreement as sd
        from sen_disagreement.serialization import structure
        day0 = dt.date(2025, 1, 13)
        def at(day, hour=10):
            return dt.datetime.combine(day, dt.time(hour), dt.UTC)
        council, officer, practitioner, parent = (
            "E08000014", "sen-casework-1", "gm-practitioner-1", "parent-dr-1")
        users = sd.StaticActorDirectory([
            sd.Actor(actor_id=officer, role=sd.Role.LA_OFFICER, council=council),
            sd.Actor(actor_id=practitioner, role=sd.Role.PROVIDER,
                     organisation="global-mediation"),
            sd.Actor(actor_id=parent, role=sd.Role.FAMILY,
                     grants={{sd.CaseGrant(case_id="dr-1", party_id="parent")}})])
        service = sd.CaseService.open("sqlite:///{tmp_path / 'cases.sqlite3'}", timeout=None,
                                      directory=users)
        d = structure({{"schema_version": 1, "date": day0.isoformat(),
                       "stage": "assessment_requested", "duty": "assess", "parties": [
                           {{"kind": "parent", "name": "Sam Parent"}},
                           {{"kind": "local_authority", "name": "Sefton Council",
                            "identifiers": {{"gss_code": council, "la_number": "343"}}}}]}},
                      sd.Disagreement)
        assert sd.classify(d).type_numbers == (1,)
        parties = [sd.CaseParty("parent", d.parties[0], sd.PartyContact(email="p@example.org")),
                   sd.CaseParty("sefton", d.parties[1])]
        issues = [sd.Issue(issue_id="assess", duty=sd.Duty.ASSESS),
                  sd.Issue(issue_id="speech", section=sd.PlanSection.F)]
        service.open_case(officer, sd.OpenDisagreementResolution(
            case_id="dr-1", council=council, parties=parties, issues=issues), at=at(day0))
        st, meeting = sd.steps, day0 + dt.timedelta(days=17)
        for who, step, when in [
            (officer, st.SeekAgreement(), at(day0, 11)),
            (parent, st.AcceptDecision(party_id="parent"), at(day0 + dt.timedelta(days=2))),
            (officer, st.AcceptDecision(party_id="sefton"), at(day0 + dt.timedelta(days=3))),
            (officer, st.AssignProvider(), at(day0 + dt.timedelta(days=3), 12)),
            (practitioner, st.ArrangeMeeting(meeting_date=meeting),
             at(day0 + dt.timedelta(days=4))),
            (practitioner, st.HoldMeeting(on=meeting), at(meeting, 15)),
            (practitioner, st.RecordOutcome(outcomes={{
                "assess": sd.IssueOutcome.AGREED, "speech": sd.IssueOutcome.NOT_AGREED}}),
             at(meeting, 16)),
        ]:
            service.apply("dr-1", who, step, at=when)
        case, version = service.load("dr-1")
        service.store.close()
        print(json.dumps([case.state.value, version, sorted(
            m for m in sys.modules if m.startswith("sen_disagreement.clocks."))]))
    """)
    assert isinstance(found, list)
    state, version, clock_modules = found
    assert (state, clock_modules) == ("outcome_recorded", ["sen_disagreement.clocks._order"])
    assert version >= 8  # opened and seven steps, each saved


def test_the_first_use_builds_the_same_table() -> None:
    """Through each lazy door the same objects as the table's, and the same values as building
    it eagerly: the reg 42(2) exceptions are the agreement clock's non-disapplying ones, the
    order clock ids its ``delegates_to``."""
    found = _run("""
        import json, sys, datetime as dt
        from sen_disagreement import clocks
        from sen_disagreement.workflow.mediation import agreement
        from sen_disagreement.workflow.mediation import ORDER_CLOCK_IDS
        before = "sen_disagreement.clocks.table" in sys.modules
        exceptions = agreement.REG_42_2_EXCEPTIONS
        from sen_disagreement.clocks import table, compute, model
        clock = table.CLOCKS["agreement_appealable_matters"]
        expected = tuple(e for e in clock.exceptions
                         if e.effect is not model.ExceptionEffect.DISAPPLY)
        print(json.dumps({
            "loaded before first use": before,
            "exceptions are the table's": exceptions is table.REG_42_2_EXCEPTIONS,
            "exceptions as built eagerly": exceptions == expected and len(expected) > 0,
            "kept": agreement.REG_42_2_EXCEPTIONS is exceptions,
            "in dir": "REG_42_2_EXCEPTIONS" in dir(agreement),
            "order ids are delegates_to": ORDER_CLOCK_IDS is clock.delegates_to,
            "order ids": list(ORDER_CLOCK_IDS),
            "CLOCKS": clocks.CLOCKS is table.CLOCKS and "order_amend_plan" in clocks.CLOCKS,
            "functions": clocks.due_date is compute.due_date,
            "types": clocks.ClockDefinition is model.ClockDefinition,
            "every name": all(getattr(clocks, n) is not None for n in clocks.__all__),
            "dir": set(clocks.__all__) <= set(dir(clocks)),
            "due": str(clocks.due_date("mediation_adviser_contact", dt.date(2024, 3, 1))),
        }))
    """)
    assert found == {
        "loaded before first use": False,
        "exceptions are the table's": True,
        "exceptions as built eagerly": True,
        "kept": True,
        "in dir": True,
        "order ids are delegates_to": True,
        "order ids": ["order_assess_notify", "order_assess_no_plan", "order_assess_final_plan",
                      "order_make_plan_draft", "order_make_plan_final", "order_cease_upheld",
                      "order_reconsider", "order_amend_plan", "order_amend_placement",
                      "order_continue_to_maintain"],
        "CLOCKS": True,
        "functions": True,
        "types": True,
        "every name": True,
        "dir": True,
        "due": "2024-05-01",
    }


def test_a_first_use_from_many_threads_at_once_loads_the_table_once() -> None:
    found = _run("""
        import json, threading
        import sen_disagreement.workflow.steps
        from sen_disagreement import clocks
        from sen_disagreement.workflow.mediation import agreement
        barrier = threading.Barrier(16)
        seen = []
        def first_use():
            barrier.wait()
            seen.append((id(clocks.CLOCKS), id(agreement.REG_42_2_EXCEPTIONS),
                         id(clocks.due_date), id(clocks.ORDER_KIND_CLOCKS)))
        threads = [threading.Thread(target=first_use) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        from sen_disagreement.clocks import compute, table
        one = (id(table.CLOCKS), id(table.REG_42_2_EXCEPTIONS), id(compute.due_date),
               id(table.ORDER_KIND_CLOCKS))
        print(json.dumps([len(seen), len(set(seen)), set(seen) == {one}]))
    """)
    assert found == [16, 1, True]


def test_an_unknown_name_is_the_same_attribute_error_as_before() -> None:
    from sen_disagreement import clocks
    from sen_disagreement.workflow.mediation import agreement

    with pytest.raises(AttributeError, match=r"^module 'sen_disagreement\.clocks' has no "
                       r"attribute 'CLOKS'$"):
        _ = clocks.CLOKS  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match=r"^module 'sen_disagreement\.workflow\.mediation"
                       r"\.agreement' has no attribute 'REG_42_3_EXCEPTIONS'$"):
        _ = agreement.REG_42_3_EXCEPTIONS  # type: ignore[attr-defined]
    with pytest.raises(ImportError, match="cannot import name 'CLOKS'"):
        exec("from sen_disagreement.clocks import CLOKS", {})


def test_an_agreed_appealable_matter_is_still_checked_against_the_order_clocks() -> None:
    """AgreedAction validates its clocks against the ids without the table: a wrong id is the
    same typed error, naming the field and the rule."""
    from sen_disagreement.errors import InvalidInputError
    from sen_disagreement.parties import PartyKind
    from sen_disagreement.workflow.mediation import REG_42, ActionKind, AgreedAction

    ok = AgreedAction(action_id="a1", kind=ActionKind.APPEALABLE, by=PartyKind.LOCAL_AUTHORITY,
                      order_clock_ids=["order_amend_plan"])
    assert ok.order_clock_ids == ("order_amend_plan",)
    with pytest.raises(InvalidInputError) as caught:
        AgreedAction(action_id="a2", kind=ActionKind.APPEALABLE, by=PartyKind.LOCAL_AUTHORITY,
                     order_clock_ids=["mediation_adviser_contact"])
    assert caught.value.field == "actions.order_clock_ids"
    assert caught.value.rule_id == REG_42.rule_id
