"""Rules of the workflow with no test of their own elsewhere: each test is named after its rule id
and exercises the rule through the public API (a real case in a fresh SQLite store where the
rule is about stored cases)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from sen_disagreement.actors import Actor, CaseGrant, Role, StaticActorDirectory
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.disclosure import Disclosure, ItemKind, RecordedItem
from sen_disagreement.ehc import PlanSection
from sen_disagreement.errors import AccessDeniedError, InvalidInputError, RuleViolationError
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.service import CaseService, OpenDisagreementResolution
from sen_disagreement.settings import Settings
from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase, MediationCase
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.audit import AuditTrail, make_entry
from sen_disagreement.workflow.certificates import CertificateKind, issue_certificate
from sen_disagreement.workflow.issues import Issue, IssueOutcome
from sen_disagreement.workflow.mediation import DecisionNotice
from sen_disagreement.workflow.mediation.notice import Reg32Item
from sen_disagreement.workflow.records import from_record, to_record

UTC = dt.UTC
T0 = dt.datetime(2025, 1, 13, 9, tzinfo=UTC)
COUNCIL = "E08000014"  # Sefton
CASE = "named-dr-1"
CANARY = "CANARY-named-5d21"

OFFICER = Actor(actor_id="officer-1", role=Role.LA_OFFICER, council=COUNCIL)
WIRRAL = Actor(actor_id="officer-wirral", role=Role.LA_OFFICER, council="E08000015")
PARENT = Actor(actor_id="sam", role=Role.FAMILY,
               grants={CaseGrant(case_id=CASE, party_id="parent")})
PROVIDER = Actor(actor_id="gm-1", role=Role.PROVIDER, organisation="global-mediation")
CLERK = Actor(actor_id="clerk-1", role=Role.TRIBUNAL_EXPORTER, council=COUNCIL)
USERS = StaticActorDirectory([OFFICER, WIRRAL, PARENT, PROVIDER, CLERK])

LA_PARTY = CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                     identifiers=Identifiers(gss_code=COUNCIL)))
PARENT_PARTY = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"))
MEETING = dt.date(2025, 1, 20)


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[CaseService]:
    svc = CaseService.open(f"sqlite:///{tmp_path / 'n.sqlite3'}", directory=USERS, timeout=None)
    with svc.store:
        yield svc


def _open(service: CaseService) -> None:
    service.open_case("officer-1", OpenDisagreementResolution(
        case_id=CASE, council=COUNCIL, parties=[PARENT_PARTY, LA_PARTY],
        issues=[Issue(issue_id="review", section=PlanSection.F)]), at=at(0))


def _arranged(service: CaseService) -> None:
    """Referred, agreed by both sides, provider routed and the meeting fixed for 20 Jan."""
    _open(service)
    service.apply(CASE, "officer-1", st.SeekAgreement(), at=at(1))
    service.apply(CASE, "sam", st.AcceptDecision(party_id="parent"), at=at(2))
    service.apply(CASE, "officer-1", st.AcceptDecision(party_id="sefton"), at=at(3))
    service.apply(CASE, "officer-1", st.AssignProvider(), at=at(4))
    service.apply(CASE, "gm-1", st.ArrangeMeeting(meeting_date=MEETING), at=at(5))


AFTER_MEETING = dt.datetime(2025, 1, 20, 15, tzinfo=UTC)


# --- access.audit_trail ------------------------------------------------------------------------


def test_access_audit_trail_read_only_by_officers_of_the_owning_council(
    service: CaseService,
) -> None:
    _arranged(service)
    trail = service.audit_trail(CASE, "officer-1", at=at(6))
    assert [e.actor for e in trail][:2] == ["officer-1", "officer-1"]
    assert len(trail) >= 6  # open, seek, two agreements, provider, meeting
    for user in ("officer-wirral", "sam", "gm-1", "clerk-1"):
        with pytest.raises(AccessDeniedError) as err:
            service.audit_trail(CASE, user, at=at(6))
        assert err.value.rule_id == "access.audit_trail"
    # Every refused read is itself in the trail.
    refused = [(e.actor, e.action, e.outcome) for e in service.store.audit_trail(CASE)
               if e.action == "audit.read"]
    assert refused == [(u, "audit.read", "refused")
                       for u in ("officer-wirral", "sam", "gm-1", "clerk-1")]


# --- audit.every_change_and_sensitive_read ---------------------------------------------------


def test_audit_every_change_and_sensitive_read_who_what_when_outcome_no_content(
    service: CaseService,
) -> None:
    _arranged(service)
    service.apply(CASE, "gm-1", st.HoldMeeting(on=MEETING), at=AFTER_MEETING)
    service.apply(CASE, "sam", st.RecordItem(
        item_id="wp-offer", kind=ItemKind.OFFER, disclosure=Disclosure.WITHOUT_PREJUDICE,
        in_meeting=True, text=CANARY), at=AFTER_MEETING + dt.timedelta(minutes=5))
    case, version = service.load(CASE)
    # Every change: one entry each, naming the actor, the action, a UTC time, the case.
    changes = case.audit.entries
    assert len(changes) == version == 8
    assert [e.actor for e in changes] == ["officer-1", "officer-1", "sam", "officer-1",
                                          "officer-1", "gm-1", "gm-1", "sam"]
    assert all(e.case_id == CASE and e.at.tzinfo is not None
               and e.at.utcoffset() == dt.timedelta(0) and e.outcome for e in changes)
    assert changes[-1].at == AFTER_MEETING + dt.timedelta(minutes=5)
    # A sensitive read (the parent reading the without-prejudice offer) and a withheld one
    # (the tribunal exporter is never shown it) are both audited.
    read_at = AFTER_MEETING + dt.timedelta(hours=1)
    assert [i.item_id for i in service.readable_items(CASE, "sam", at=read_at)] == ["wp-offer"]
    assert service.readable_items(CASE, "clerk-1", at=read_at) == ()
    reads = [(e.actor, e.action, e.outcome, e.fields) for e in service.store.audit_trail(CASE)
             if e.action == "item.read"]
    assert reads == [("sam", "item.read", "ok", ("items.wp-offer",)),
                     ("clerk-1", "item.read", "refused", ("items.wp-offer",))]
    # No sensitive value is written into the trail.
    assert all(CANARY not in repr(e) for e in service.store.audit_trail(CASE))
    # The trail is append-only in time and per case.
    last = changes[-1]
    with pytest.raises(InvalidInputError) as err:
        case.audit.append(attrs.evolve(last, at=last.at - dt.timedelta(seconds=1)))
    assert err.value.rule_id == "audit.every_change_and_sensitive_read"
    with pytest.raises(InvalidInputError) as err:
        AuditTrail(CASE).append(make_entry(actor="x", action="y", at=T0, case_id="other-1"))
    assert err.value.rule_id == "audit.every_change_and_sensitive_read"


# --- workflow.dr.outcome_after_meeting -------------------------------------------------------


def test_workflow_dr_outcome_after_meeting_refused_until_the_meeting_is_held(
    service: CaseService,
) -> None:
    _arranged(service)
    step = st.RecordOutcome(outcomes={"review": IssueOutcome.AGREED})
    version = service.load(CASE)[1]
    with pytest.raises(RuleViolationError):
        service.apply(CASE, "gm-1", step, at=at(6))
    case, now = service.load(CASE)
    assert now == version and case.state.value == "meeting_arranged"
    assert case.issues.level is None
    service.apply(CASE, "gm-1", st.HoldMeeting(on=MEETING), at=AFTER_MEETING)
    service.apply(CASE, "gm-1", step, at=AFTER_MEETING + dt.timedelta(hours=1))
    case, _ = service.load(CASE)
    assert case.state.value == "outcome_recorded"
    assert case.issues.level is not None and case.issues.level.value == "full_agreement"


# --- s57.disagreement_resolution -------------------------------------------------------------


def test_s57_disagreement_resolution_independent_provider_only_after_every_party_agrees(
    service: CaseService,
) -> None:
    _open(service)
    service.apply(CASE, "officer-1", st.SeekAgreement(), at=at(1))
    service.apply(CASE, "sam", st.AcceptDecision(party_id="parent"), at=at(2))
    # Voluntary: with the LA's own agreement still missing, no provider is assigned.
    with pytest.raises(RuleViolationError):
        service.apply(CASE, "officer-1", st.AssignProvider(), at=at(3))
    service.apply(CASE, "officer-1", st.AcceptDecision(party_id="sefton"), at=at(4))
    service.apply(CASE, "officer-1", st.AssignProvider(), at=at(5))
    case, _ = service.load(CASE)
    assert isinstance(case, DisagreementResolutionCase)
    assert case.provider is not None and case.provider.party.name == "Global Mediation"
    assert case.provider.party_id not in case.party_map  # independent of the sides
    # The arrangements are with a disagreement-resolution provider who is not one of the sides.
    fresh = DisagreementResolutionCase.refer(case_id="s57-dr", council=COUNCIL,
                                             parties=[PARENT_PARTY, LA_PARTY], at=at(0),
                                             actor="officer-1")
    fresh = fresh.seek_agreement(at=at(1), actor="officer-1")
    for n, pid in enumerate(("parent", "sefton"), start=2):
        fresh = fresh.agree(pid, at=at(n), actor="officer-1", recorded_by=pid)
    with pytest.raises(InvalidInputError) as err:
        fresh.assign_provider("med-org", Party(kind=PartyKind.MEDIATOR, name="M"), at=at(5),
                              actor="officer-1")
    assert err.value.rule_id == "s57.disagreement_resolution"
    with pytest.raises(InvalidInputError) as err:
        fresh.assign_provider("sefton", Party(
            kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER, name="P"), at=at(5),
            actor="officer-1")
    assert err.value.rule_id == "s57.disagreement_resolution"


# --- store.record_matches_document -----------------------------------------------------------


@pytest.mark.parametrize(("column", "value"), [
    ("state", "closed"),
    ("closed_on", dt.date(1990, 1, 1)),
    ("council", "E08000015"),
])
def test_store_record_matches_document_a_column_the_document_does_not_say_is_refused(
    service: CaseService, column: str, value: object
) -> None:
    _arranged(service)
    record = service.store.load(CASE)
    case = from_record(record)
    assert isinstance(case, DisagreementResolutionCase)
    nxt = case.record_item(_note(), at=at(6), actor="officer-1")
    good = to_record(nxt, version=record.version)
    assert getattr(good, column) != value
    forged = attrs.evolve(good, **{column: value})  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError) as err:
        service.store.save(forged, record.version, actor="officer-1")
    assert err.value.rule_id == "store.record_matches_document"
    assert err.value.field == column
    assert service.store.load(CASE) == record
    # The honest record, whose columns are the document's, is saved.
    assert service.store.save(good, record.version, actor="officer-1").version == (
        record.version + 1)


def _note() -> RecordedItem:
    return RecordedItem(item_id="la-note", kind=ItemKind.NOTE,
                        disclosure=Disclosure.CONFIDENTIAL, recorded_at=at(6),
                        recorded_by="sefton", in_meeting=False, text="x")


# --- mediation.process -----------------------------------------------------------------------


def _notice(*decisions: AppealableDecision) -> DecisionNotice:
    return DecisionNotice(sent_on=T0.date(), contents=set(Reg32Item), decisions=list(decisions))


def test_mediation_process_a_parent_and_the_la_and_usually_a_certificate_first() -> None:
    plan_f = _notice(AppealableDecision.PLAN_SPECIAL_EDUCATIONAL_PROVISION)
    icb = CaseParty("icb", Party(kind=PartyKind.INTEGRATED_CARE_BOARD, name="C&M ICB"))
    for parties in ([LA_PARTY, icb], [PARENT_PARTY, icb]):  # no family; no LA
        with pytest.raises(InvalidInputError) as err:
            MediationCase.notify_decision(case_id="mp-1", council=COUNCIL, parties=parties,
                                          notice=plan_f, at=T0, actor="officer-1")
        assert err.value.rule_id == "mediation.process"
        assert err.value.field == "parties"
    case = MediationCase.notify_decision(case_id="mp-1", council=COUNCIL,
                                         parties=[PARENT_PARTY, LA_PARTY], notice=plan_f,
                                         at=T0, actor="officer-1")
    assert case.state.value == "decision_notified"
    # A certificate is needed to appeal section F, so reg 33's two months to contact the
    # adviser run: notice sent Mon 13 Jan 2025 -> Thu 13 Mar 2025.
    adviser = case.deadline("mediation_adviser_contact")
    assert adviser is not None and adviser.due == dt.date(2025, 3, 13)
    # An appeal only about the school named (section I) needs no certificate: no such clock.
    placement = MediationCase.notify_decision(
        case_id="mp-2", council=COUNCIL, parties=[PARENT_PARTY, LA_PARTY],
        notice=_notice(AppealableDecision.PLAN_PLACEMENT_NAMED), at=T0, actor="officer-1")
    assert placement.deadline("mediation_adviser_contact") is None


# --- certificate.content ---------------------------------------------------------------------


def test_certificate_content_kind_date_issuer_decisions_and_the_appeal_window() -> None:
    # The parent tells the adviser on Thu 17 Apr 2025 they do not want mediation. The adviser
    # has 3 working days: Good Friday (18 Apr) and Easter Monday (21 Apr) do not count, so
    # Tue 22, Wed 23, Thu 24 Apr 2025. Issued Tue 22 Apr: in time.
    cert = issue_certificate(
        kind=CertificateKind.DECLINED, issued_on=dt.date(2025, 4, 22), issued_by="adviser-org",
        adviser_name="Adviser", decisions=[AppealableDecision.PLAN_SPECIAL_EDUCATIONAL_PROVISION],
        decision_notice_sent=dt.date(2025, 3, 3), clock_started=dt.date(2025, 4, 17),
        settings=Settings())
    assert (cert.kind, cert.issued_on, cert.issued_by, cert.adviser_name) == (
        CertificateKind.DECLINED, dt.date(2025, 4, 22), "adviser-org", "Adviser")
    assert cert.decisions == (AppealableDecision.PLAN_SPECIAL_EDUCATIONAL_PROVISION,)
    assert cert.clock_id == "certificate_after_declining"
    assert cert.clock_due == dt.date(2025, 4, 24) and cert.in_time
    # The appeal window it starts (HESC r.20(1)(c)): the later of notice + 2 months (Sat 3 May
    # 2025) and certificate + 1 month (Thu 22 May 2025, a working day).
    assert cert.appeal_deadline == dt.date(2025, 5, 22)
    assert cert.certificate_required
    # A certificate cannot predate the event that calls for it.
    with pytest.raises(InvalidInputError) as err:
        issue_certificate(
            kind=CertificateKind.DECLINED, issued_on=dt.date(2025, 4, 16),
            issued_by="adviser-org", adviser_name=None,
            decisions=[AppealableDecision.PLAN_SPECIAL_EDUCATIONAL_PROVISION],
            decision_notice_sent=dt.date(2025, 3, 3), clock_started=dt.date(2025, 4, 17),
            settings=Settings())
    assert err.value.field == "issued_on"


# --- mediation.deemed_certificate ------------------------------------------------------------


def test_mediation_deemed_certificate_three_working_days_after_the_adviser_is_told() -> None:
    adviser = Party(kind=PartyKind.MEDIATION_ADVISER, name="Adviser")
    notice = DecisionNotice(sent_on=dt.date(2025, 3, 3), contents=set(Reg32Item),
                            decisions=[AppealableDecision.PLAN_SPECIAL_EDUCATIONAL_PROVISION])

    def when(day: dt.date, hour: int = 10) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), UTC)

    told = dt.date(2025, 3, 17)  # Mon: the parent tells the LA they want mediation
    case = MediationCase.notify_decision(case_id="deemed-1", council=COUNCIL,
                                         parties=[PARENT_PARTY, LA_PARTY], notice=notice,
                                         at=when(dt.date(2025, 3, 3)), actor="officer-1")
    case = case.contact_adviser("adviser-org", adviser, on=dt.date(2025, 3, 10),
                                at=when(dt.date(2025, 3, 10)), actor="sam")
    case = case.give_information(on=dt.date(2025, 3, 10), at=when(dt.date(2025, 3, 10), 11),
                                 actor="adv")
    case = case.want_mediation("parent", told_la_on=told, at=when(told), actor="sam")
    case = case.record_issue(Issue(issue_id="f", section=PlanSection.F), at=when(told, 11),
                             actor="sam")
    case = case.confirm_issues(at=when(told, 12), actor="officer-1")
    case = case.choose_route(at=when(told, 13), actor="officer-1")
    # 30 days from Mon 17 Mar 2025: +14 = 31 Mar, +30 = Wed 16 Apr 2025. Not yet missed then.
    assert case.tick(dt.date(2025, 4, 16), at=when(dt.date(2025, 4, 16))).state.value == (
        "route_chosen")
    # On Thu 17 Apr the adviser is told; 3 working days from then skip Good Friday (18 Apr) and
    # Easter Monday (21 Apr): Tue 22, Wed 23, Thu 24 Apr 2025.
    case = case.tick(dt.date(2025, 4, 17), at=when(dt.date(2025, 4, 17)))
    assert case.state.value == "not_arranged"
    deemed = case.deadline("deemed_certificate")
    assert deemed is not None
    assert (deemed.started, deemed.due) == (dt.date(2025, 4, 17), dt.date(2025, 4, 24))
    case = case.issue_certificate(on=dt.date(2025, 4, 24), at=when(dt.date(2025, 4, 24)),
                                  actor="adv")
    (cert,) = case.certificates
    assert cert.kind is CertificateKind.NOT_ARRANGED_IN_TIME and cert.in_time
    assert cert.issued_by == "adviser-org"
