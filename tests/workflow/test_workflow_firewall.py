"""The without-prejudice firewall and the access policy.

* Canary test (reliability guide T7): unique marker strings in every without-prejudice and
  confidential item of 1,000 generated cases never appear in a Tribunal bundle (JSON or text),
  a log record, an exception message, an audit entry or the case event handed to plugins.
* Access matrix (T8): role x disclosure class x own / other case; every cross-case read refused
  and audited, every refusal audited, every confidential read audited.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.disclosure import Disclosure, ItemKind, RecordedItem
from sen_disagreement.ehc import PlanSection
from sen_disagreement.errors import AccessDeniedError, InvalidInputError, SenDisagreementError
from sen_disagreement.parties import Party, PartyKind
from sen_disagreement.workflow import CaseParty
from sen_disagreement.workflow.access import POLICY, Principal, Role, read_item, readable_items
from sen_disagreement.workflow.audit import AuditLog
from sen_disagreement.workflow.disagreement_resolution import DisagreementResolutionCase
from sen_disagreement.workflow.exports import (
    Redaction,
    subject_access_export,
    tribunal_bundle,
)
from sen_disagreement.workflow.issues import Issue
from sen_disagreement.workflow.mediation import DecisionNotice, MediationCase, Reg32Item

UTC = dt.UTC
T0 = dt.datetime(2025, 3, 3, 9, tzinfo=UTC)


def t(days: int, hour: int = 10) -> dt.datetime:
    return T0 + dt.timedelta(days=days, hours=hour - 9)


FAMILY = CaseParty("mum", Party(kind=PartyKind.PARENT))
LA = CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY))
SCHOOL = CaseParty("school", Party(kind=PartyKind.SCHOOL, name="Seaside"))


def held_mediation(case_id: str, texts: dict[str, str]) -> MediationCase:
    """A mediation that took place, with one item of each disclosure class (texts by class)."""
    notice = DecisionNotice(sent_on=T0.date(), contents=set(Reg32Item),
                            decisions=[AppealableDecision.PLAN_NEEDS])
    case = MediationCase.notify_decision(case_id=case_id, council="sefton",
                                         parties=[FAMILY, LA], notice=notice, at=t(0),
                                         actor="officer")
    case = case.contact_adviser("adv", Party(kind=PartyKind.MEDIATION_ADVISER), on=t(1).date(),
                                at=t(1), actor="adv")
    case = case.give_information(on=t(1).date(), at=t(1, 11), actor="adv")
    case = case.want_mediation("mum", told_la_on=t(2).date(), at=t(2), actor="officer")
    case = case.record_issue(Issue(issue_id="b", section=PlanSection.B), at=t(2), actor="o")
    case = case.confirm_issues(at=t(2), actor="officer").choose_route(at=t(2), actor="officer")
    case = case.arrange("med", Party(kind=PartyKind.MEDIATOR), meeting_date=t(9).date(),
                        at=t(2), actor="officer")  # 5 working days' notice
    case = case.hold(on=t(9).date(), at=t(9, 15), actor="med")
    for n, (cls, text) in enumerate(texts.items()):
        disclosure = Disclosure(cls)
        if disclosure is Disclosure.WITHOUT_PREJUDICE:
            item = RecordedItem.meeting_record(item_id=f"i{n}", kind=ItemKind.OFFER,
                                               recorded_at=t(9, 16), recorded_by="la", text=text)
        else:
            item = RecordedItem(item_id=f"i{n}", kind=ItemKind.NOTE, disclosure=disclosure,
                                recorded_at=t(9, 16), recorded_by="la", in_meeting=False,
                                text=text)
        case = case.record_item(item, at=t(9, 16), actor="med")
    return case.issue_certificate(on=t(10).date(), at=t(10), actor="adv")


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(n=st.integers(0, 10**9), noise=st.text(min_size=0, max_size=30))
def test_s57_without_prejudice_canaries_never_leave_the_process(
    caplog: pytest.LogCaptureFixture, n: int, noise: str
) -> None:
    wp = f"WPCANARY{n:010d}"
    conf = f"CONFCANARY{n:010d}"
    texts = {"without_prejudice": f"{noise}{wp}{noise}", "confidential": f"{conf} {noise}",
             "parties": "an open document"}
    sink = AuditLog()
    outputs: list[str] = []
    with caplog.at_level(logging.DEBUG, logger="sen_disagreement"):
        case = held_mediation(f"c{n}", texts)
        bundle = tribunal_bundle(
            case, exporter=Principal(actor="clerk", role=Role.TRIBUNAL_EXPORTER,
                                     cases={case.case_id}), at=t(11), sink=sink,
        )
        outputs += [bundle.to_json(), bundle.to_text(), repr(bundle)]
        outputs.append(repr(case.last_event()))
        outputs.append(repr(case))
        stranger = Principal(actor="other-mum", role=Role.FAMILY, cases={"elsewhere"})
        officer = Principal(actor="officer", role=Role.LA_OFFICER, cases={case.case_id},
                            council="sefton")
        for who, item_id in itertools.product((stranger, officer), ("i0", "i1")):
            try:
                read_item(case, item_id, who=who, at=t(11), sink=sink)
            except SenDisagreementError as exc:
                outputs.append(str(exc))
        try:
            case.hold(on=t(12).date(), at=t(12), actor="med")
        except SenDisagreementError as exc:
            outputs.append(str(exc))
        outputs += [repr(e) for e in case.audit.entries + sink.entries]
    outputs += [r.getMessage() for r in caplog.records]
    for out in outputs:
        assert wp not in out
        assert conf not in out
    assert any(i.text == "an open document" for i in bundle.items)


def test_subject_access_export_withholds_wp_unless_a_redaction_decision_releases_it() -> None:
    case = held_mediation("sar-1", {"without_prejudice": "WP-SAR-MARK",
                                    "confidential": "CONF-SAR-MARK"})
    sink = AuditLog()
    subject = Principal(actor="mum", role=Role.FAMILY, cases={"sar-1"})
    export = subject_access_export(case, subject_id="mum", requester=subject, at=t(12),
                                   sink=sink)
    assert "WP-SAR-MARK" not in export.to_json() and "CONF-SAR-MARK" not in export.to_text()
    released = subject_access_export(case, subject_id="mum", requester=subject, at=t(12),
                                     sink=sink, redactions={"i0": Redaction.RELEASE})
    assert "WP-SAR-MARK" in released.to_json() and "CONF-SAR-MARK" not in released.to_json()
    assert [e.outcome for e in sink.entries if e.action == "item.read"] == ["released"]


def test_subject_access_export_an_officer_can_never_release_without_prejudice_text() -> None:
    case = held_mediation("sar-2", {"without_prejudice": "WP-SAR-MARK"})
    sink = AuditLog()
    officer = Principal(actor="la-casework", role=Role.LA_OFFICER, cases={"sar-2"},
                        council=case.council)
    export = subject_access_export(case, subject_id="mum", requester=officer, at=t(12),
                                   sink=sink)
    assert "WP-SAR-MARK" not in export.to_json()
    with pytest.raises(AccessDeniedError) as err:
        subject_access_export(case, subject_id="mum", requester=officer, at=t(12), sink=sink,
                              redactions={"i0": Redaction.RELEASE})
    assert "WP-SAR-MARK" not in str(err.value)
    assert [e.outcome for e in sink.entries if e.action == "item.read"] == ["refused"]


@pytest.mark.parametrize(
    "requester",
    [
        Principal(actor="stranger", role=Role.LA_OFFICER, cases={"other"}, council="sefton"),
        Principal(actor="la-x", role=Role.LA_OFFICER, cases={"sar-3"}, council="wirral"),
        Principal(actor="dad", role=Role.FAMILY, cases={"sar-3"}),
        Principal(actor="clerk", role=Role.TRIBUNAL_EXPORTER, cases={"sar-3"}),
    ],
    ids=["other-case", "other-council", "not-the-subject", "tribunal-exporter"],
)
def test_subject_access_export_refused_and_audited_for_anyone_else(requester: Principal) -> None:
    case = held_mediation("sar-3", {"without_prejudice": "WP-SAR-MARK"})
    sink = AuditLog()
    with pytest.raises(AccessDeniedError):
        subject_access_export(case, subject_id="mum", requester=requester, at=t(12), sink=sink,
                              redactions={"i0": Redaction.RELEASE})
    assert [(e.action, e.outcome) for e in sink.entries] == [
        ("export.subject_access", "refused")
    ]


# --- access matrix -----------------------------------------------------------------------------


def dr_with_items() -> DisagreementResolutionCase:
    case = DisagreementResolutionCase.refer(case_id="dr-own", council="sefton",
                                            parties=[FAMILY, LA, SCHOOL], at=t(0), actor="o")
    case = case.seek_agreement(at=t(1), actor="o")
    for p in ("mum", "la", "school"):
        case = case.agree(p, at=t(1), actor="o")
    case = case.assign_provider("prov", Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER),
                                at=t(2), actor="o")
    case = case.arrange_meeting(t(5).date(), at=t(2), actor="prov")
    case = case.hold_meeting(t(5).date(), at=t(5, 15), actor="prov")
    for n, disclosure in enumerate(Disclosure):
        if disclosure is Disclosure.WITHOUT_PREJUDICE:
            item = RecordedItem.meeting_record(item_id=f"i{n}", kind=ItemKind.COMMENT,
                                               recorded_at=t(5, 16), recorded_by="la", text="x")
        else:
            item = RecordedItem(item_id=f"i{n}", kind=ItemKind.NOTE, disclosure=disclosure,
                                recorded_at=t(5, 16), recorded_by="la", in_meeting=False,
                                text="x")
        case = case.record_item(item, at=t(5, 16), actor="prov")
    return case


@pytest.mark.parametrize("disclosure", [Disclosure.PUBLIC, Disclosure.PARTIES])
def test_s57_confidential_facilitator_notes_cannot_be_marked_open(
    disclosure: Disclosure,
) -> None:
    # (Comments and offers are without prejudice from construction; notes are checked here.)
    kind = ItemKind.NOTE
    case = DisagreementResolutionCase.refer(case_id="dr-note", council="sefton",
                                            parties=[FAMILY, LA], at=t(0), actor="o")
    case = case.seek_agreement(at=t(1), actor="o")
    for p in ("mum", "la"):
        case = case.agree(p, at=t(1), actor="o")
    case = case.assign_provider("prov", Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER),
                                at=t(2), actor="o")
    summary = RecordedItem(item_id="n1", kind=kind, disclosure=disclosure, recorded_at=t(3),
                           recorded_by="prov", in_meeting=False,
                           text="CANARY provider summary of the offer")
    with pytest.raises(InvalidInputError) as err:
        case.record_item(summary, at=t(3), actor="prov")
    assert err.value.rule_id == "s57.confidential"
    assert "CANARY" not in str(err.value)
    confidential = attrs.evolve(summary, disclosure=Disclosure.CONFIDENTIAL)
    assert case.record_item(confidential, at=t(3), actor="prov").items == (confidential,)


DR = dr_with_items()
MED = held_mediation("med-own", {c.value: "x" for c in Disclosure})
ACTORS = {Role.FAMILY: "mum", Role.LA_OFFICER: "officer", Role.PROVIDER: "prov",
          Role.MEDIATOR: "med", Role.TRIBUNAL_EXPORTER: "clerk"}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("disclosure", list(Disclosure))
@pytest.mark.parametrize("own", [True, False])
@pytest.mark.parametrize("kind", ["disagreement_resolution", "mediation"])
def test_access_policy_matrix_role_disclosure_own_and_other_case(
    role: Role, disclosure: Disclosure, own: bool, kind: str
) -> None:
    case = DR if kind == "disagreement_resolution" else MED
    item_id = next(i.item_id for i in case.items if i.disclosure is disclosure)
    who = Principal(actor=ACTORS[role], role=role,
                    cases={case.case_id} if own else {"another-case"},
                    council="sefton" if own else "wirral")
    # The provider belongs to disagreement resolution, the mediator to mediation.
    attached = own and not (role is Role.PROVIDER and kind == "mediation") and not (
        role is Role.MEDIATOR and kind == "disagreement_resolution"
    )
    allowed = attached and disclosure in POLICY[role]
    sink = AuditLog()
    if allowed:
        assert read_item(case, item_id, who=who, at=t(20), sink=sink).item_id == item_id
        sensitive = disclosure in (Disclosure.CONFIDENTIAL, Disclosure.WITHOUT_PREJUDICE)
        assert [e.outcome for e in sink.entries] == (["ok"] if sensitive else [])
    else:
        with pytest.raises(AccessDeniedError) as err:
            read_item(case, item_id, who=who, at=t(20), sink=sink)
        assert item_id in str(err.value) and disclosure.value in str(err.value)
        (entry,) = sink.entries
        assert (entry.outcome, entry.actor, entry.case_id) == ("refused", who.actor, case.case_id)
        assert entry.fields == (f"items.{item_id}",)


def test_access_la_officer_never_reads_without_prejudice_and_exporter_only_open() -> None:
    assert Disclosure.WITHOUT_PREJUDICE not in POLICY[Role.LA_OFFICER]
    assert POLICY[Role.TRIBUNAL_EXPORTER] == {Disclosure.PUBLIC, Disclosure.PARTIES}
    sink = AuditLog()
    officer = Principal(actor="officer", role=Role.LA_OFFICER, cases={DR.case_id},
                        council="sefton")
    got = readable_items(DR, who=officer, at=t(20), sink=sink)
    assert {i.disclosure for i in got} == {Disclosure.PUBLIC, Disclosure.PARTIES,
                                           Disclosure.CONFIDENTIAL}
    assert [e.outcome for e in sink.entries].count("refused") == 1


def test_tribunal_bundle_refused_to_other_roles_and_other_cases_and_audited() -> None:
    sink = AuditLog()
    for who in (Principal(actor="officer", role=Role.LA_OFFICER, cases={MED.case_id},
                          council="sefton"),
                Principal(actor="clerk", role=Role.TRIBUNAL_EXPORTER, cases={"other"})):
        with pytest.raises(AccessDeniedError):
            tribunal_bundle(MED, exporter=who, at=t(20), sink=sink)
    assert [e.outcome for e in sink.entries] == ["refused", "refused"]


def test_from_record_refuses_a_tampered_document_without_echoing_it() -> None:
    from sen_disagreement.workflow.records import from_record, to_record

    record = to_record(held_mediation("rec-1", {"without_prejudice": "WP-REC-MARK"}))
    broken = attrs.evolve(
        record, document=record.document.replace('"recorded_at": "', '"recorded_at": "WP-REC-MARK')
    )
    renamed = attrs.evolve(record, document=record.document.replace('"i0"', '"WP-REC-MARK x"'))
    for bad in (broken, renamed, attrs.evolve(record, document="[1, 2")):
        with pytest.raises(InvalidInputError) as err:
            from_record(bad)
        assert err.value.rule_id == "store.case_document"
        assert "WP-REC-MARK" not in str(err.value)
        assert err.value.__cause__ is None


def test_subject_access_export_says_where_the_case_stands() -> None:
    case = held_mediation("sar-4", {"parties": "an open letter"})
    subject = Principal(actor="mum", role=Role.FAMILY, cases={"sar-4"})
    export = subject_access_export(case, subject_id="mum", requester=subject, at=t(12),
                                   sink=AuditLog())
    process = export.as_dict()["process"]
    assert process["state"] == "certificate_issued"
    assert process["decision_notice"]["decisions"] == ["s51(2)(c)(i)"]
    assert {f["role"] for f in process["facilitators"]} == {"mediation_adviser", "mediator"}
    assert {d["clock_id"] for d in process["deadlines"]} >= {
        "mediation_adviser_contact", "certificate_after_mediation"
    }
    assert "## Where the case stands" in export.to_text()
