"""A generated population of stored cases for the reports' tests and bench, built in memory
through the workflow's own steps (``apply_step``), stored with ``save_many``; and, beside each
case, the events it was built from (:class:`Plan`), so a test can count what SEN2 should say
without the report's code.

Also :func:`hostile_case`: a mediation case with a canary string in every free-text field."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable

import attrs
from attrs import frozen

from sen_disagreement.actors import Actor, CaseGrant, Role, StaticActorDirectory
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.disclosure import Disclosure, ItemKind
from sen_disagreement.ehc import Duty, PlanSection
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.store import CaseRecord, Store
from sen_disagreement.store.contract import AuditEntry
from sen_disagreement.workflow import (
    Case,
    CaseParty,
    DisagreementResolutionCase,
    MediationCase,
    PartyContact,
    records,
)
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.issues import Issue, IssueOutcome
from sen_disagreement.workflow.mediation import DecisionNotice, Reg32Item

COUNCIL = "E08000014"  # Sefton: its plugin is installed in the test environment
OFFICER = Actor(actor_id="officer-1", role=Role.LA_OFFICER, council=COUNCIL)
OTHER_OFFICER = Actor(actor_id="officer-9", role=Role.LA_OFFICER, council="E09000033")
CLERK = Actor(actor_id="clerk-1", role=Role.TRIBUNAL_EXPORTER, council=COUNCIL)
ADVISER = Actor(actor_id="adviser-1", role=Role.MEDIATION_ADVISER, organisation="adviser")
MEDIATOR = Actor(actor_id="mediator-1", role=Role.MEDIATOR, organisation="mediator")
PROVIDER = Actor(actor_id="provider-1", role=Role.PROVIDER, organisation="global-mediation")

D = AppealableDecision
DECISIONS: tuple[tuple[AppealableDecision, ...], ...] = (
    (D.NOT_TO_ASSESS,),
    (D.NO_PLAN_AFTER_ASSESSMENT,),
    (D.NOT_TO_AMEND_OR_REPLACE,),
    (D.PLAN_SPECIAL_EDUCATIONAL_PROVISION,),
    (D.CEASE_TO_MAINTAIN,),
    (D.NOT_TO_REASSESS,),
    (D.NOT_TO_ASSESS, D.PLAN_NEEDS),  # two field groups: never placed
)
PATHS = ("notified", "declined", "wanted", "held")


@frozen
class Plan:
    """The events a generated case was built from."""

    case_id: str
    kind: str
    decisions: tuple[AppealableDecision, ...] = ()
    path: str = ""
    told_on: dt.date | None = None
    held_on: dt.date | None = None
    certificate_on: dt.date | None = None
    exported_on: dt.date | None = None
    """The first audited Tribunal-bundle export (``None``: never exported)."""


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


def family(case_id: str) -> Actor:
    return Actor(actor_id=f"fam-{case_id}"[:60], role=Role.FAMILY,
                 grants={CaseGrant(case_id=case_id, party_id="parent")})


def directory(case_ids: Iterable[str] = ()) -> StaticActorDirectory:
    return StaticActorDirectory([OFFICER, OTHER_OFFICER, CLERK, ADVISER, MEDIATOR, PROVIDER,
                                 *(family(c) for c in case_ids)])


def _parties(name: str | None = None, contact: PartyContact | None = None) -> list[CaseParty]:
    return [CaseParty("parent", Party(kind=PartyKind.PARENT, name=name), contact),
            CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                  identifiers=Identifiers(gss_code=COUNCIL)))]


def _m(case: Case) -> MediationCase:
    assert isinstance(case, MediationCase)
    return case


def mediation(case_id: str, decisions: tuple[AppealableDecision, ...], path: str,
              sent: dt.date, *, names: str | None = None) -> tuple[MediationCase, Plan]:
    """A mediation case after ``decisions`` notified on ``sent``, taken down ``path``."""
    contact = (PartyContact(email=f"{names.lower()}@example.org") if names else None)
    notice = DecisionNotice(sent_on=sent, decisions=list(decisions), contents=set(Reg32Item))
    case = MediationCase.notify_decision(case_id=case_id, council=COUNCIL,
                                         parties=_parties(names, contact), notice=notice,
                                         at=at(sent), actor=OFFICER.actor_id)
    plan = Plan(case_id, "mediation", decisions, path)
    if path == "notified":
        return case, plan
    fam = family(case_id)
    day = sent + dt.timedelta(days=5)
    steps: list[tuple[Actor, st.Step, dt.datetime]] = [
        (fam, st.ContactAdviser(adviser_id="adviser", on=day,
                                adviser=Party(kind=PartyKind.MEDIATION_ADVISER, name=names)),
         at(day, 9)),
        (ADVISER, st.GiveInformation(on=day), at(day, 10)),
    ]
    if path == "declined":
        cert = day + dt.timedelta(days=1)
        steps += [(fam, st.Decline(party_id="parent", on=day), at(day, 11)),
                  (ADVISER, st.IssueCertificate(on=cert), at(cert, 10))]
        plan = attrs.evolve(plan, certificate_on=cert)
    else:
        told = day + dt.timedelta(days=2)
        steps += [
            (fam, st.AcceptDecision(party_id="parent", told_la_on=told), at(told, 9)),
            (fam, st.RecordIssue(issue=Issue(issue_id="speech", section=PlanSection.F)),
             at(told, 9, 10)),
            (OFFICER, st.ConfirmIssues(), at(told, 9, 20)),
            (OFFICER, st.ChooseRoute(), at(told, 9, 30)),
        ]
        plan = attrs.evolve(plan, told_on=told)
        if names:
            steps.append((OFFICER, st.RecordItem(
                item_id="offer-1", kind=ItemKind.OFFER, disclosure=Disclosure.WITHOUT_PREJUDICE,
                text=f"Without prejudice {names}: an offer"), at(told, 9, 40)))
        if path == "held":
            meeting = told + dt.timedelta(days=12)
            steps += [
                (OFFICER, st.ArrangeMeeting(meeting_date=meeting, mediator_id="mediator",
                                            mediator=Party(kind=PartyKind.MEDIATOR, name=names)),
                 at(told, 14)),
                (MEDIATOR, st.HoldMeeting(on=meeting), at(meeting, 15)),
                (MEDIATOR, st.IssueCertificate(on=meeting), at(meeting, 16)),
            ]
            plan = attrs.evolve(plan, held_on=meeting, certificate_on=meeting)
    for who, step, when in steps:
        case = _m(st.apply_step(case, who, step, at=when))
    return case, plan


def disagreement_resolution(case_id: str, referred: dt.date, *, names: str | None = None,
                            outcome: bool = True) -> tuple[DisagreementResolutionCase, Plan]:
    """A disagreement-resolution case, referred on ``referred`` and (``outcome``) taken to a
    partial agreement and closed."""
    contact = PartyContact(email=f"{names.lower()}@example.org") if names else None
    case: Case = DisagreementResolutionCase.refer(
        case_id=case_id, council=COUNCIL, parties=_parties(names, contact), at=at(referred),
        actor=OFFICER.actor_id,
        issues=[Issue(issue_id="review", duty=Duty.KEEP_PROVISION_UNDER_REVIEW),
                Issue(issue_id="speech", section=PlanSection.F)])
    if outcome:
        fam = family(case_id)
        meeting = referred + dt.timedelta(days=14)
        provider = ("global-mediation",
                    Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER, name=names))
        for k, (who, step, when) in enumerate([
            (OFFICER, st.SeekAgreement(), at(referred, 11)),
            (fam, st.AcceptDecision(party_id="parent"), at(referred, 12)),
            (OFFICER, st.AcceptDecision(party_id="la"), at(referred, 13)),
            (OFFICER, st.AssignProvider(), at(referred, 14)),
            (PROVIDER, st.ArrangeMeeting(meeting_date=meeting), at(referred, 15)),
            (PROVIDER, st.HoldMeeting(on=meeting), at(meeting, 15)),
            (OFFICER, st.RecordItem(item_id="offer-1", kind=ItemKind.OFFER,
                                    disclosure=Disclosure.WITHOUT_PREJUDICE, in_meeting=True,
                                    text=f"Without prejudice {names}"), at(meeting, 15, 30)),
            (PROVIDER, st.RecordOutcome(outcomes={"review": IssueOutcome.AGREED,
                                                  "speech": IssueOutcome.NOT_AGREED}),
             at(meeting, 16)),
            (OFFICER, st.Close(), at(meeting + dt.timedelta(days=1))),
        ]):
            if names is None and isinstance(step, st.RecordItem):
                continue
            case = st.apply_step(case, who, step, at=when + dt.timedelta(seconds=k),
                                 provider=provider if isinstance(step, st.AssignProvider)
                                 else None)
    assert isinstance(case, DisagreementResolutionCase)
    return case, Plan(case_id, "disagreement_resolution")


def generate(n: int, *, seed: int = 16) -> tuple[list[Case], list[Plan]]:
    """``n`` cases: one in ten disagreement resolution, the rest mediation over every decision
    group and path, notices sent from June 2024 to December 2025; a third of those with a
    certificate have their Tribunal bundle exported 20-60 days later (some in the next year),
    and some have a refused export first (which never counts)."""
    rng = random.Random(seed)
    cases: list[Case] = []
    plans: list[Plan] = []
    start = dt.date(2024, 6, 1)
    for i in range(n):
        case_id = f"gen-{i:06d}"
        sent = start + dt.timedelta(days=rng.randrange(0, 570))
        case: Case
        if i % 10 == 9:
            case, plan = disagreement_resolution(case_id, sent)
        else:
            case, plan = mediation(case_id, rng.choice(DECISIONS), rng.choice(PATHS), sent)
            if plan.certificate_on is not None and rng.random() < 0.34:
                later = dt.timedelta(days=rng.randrange(20, 61))
                plan = attrs.evolve(plan, exported_on=plan.certificate_on + later)
        cases.append(case)
        plans.append(plan)
    return cases, plans


def store_population(store: Store, cases: list[Case], plans: list[Plan], *,
                     batch: int = 2000) -> None:
    """Save ``cases`` and append the audit entries of their planned exports (a refused export
    by an officer before some of them)."""
    recs: list[CaseRecord] = [records.to_record(c) for c in cases]
    for k in range(0, len(recs), batch):
        store.save_many(recs[k:k + batch], actor="system")
    for n, plan in enumerate(plans):
        if plan.exported_on is None:
            continue
        if n % 3 == 0:
            store.append_audit(AuditEntry(actor=OFFICER.actor_id, action="export.tribunal_bundle",
                                          at=at(plan.exported_on - dt.timedelta(days=1)),
                                          case_id=plan.case_id, outcome="refused"))
        store.append_audit(AuditEntry(actor=CLERK.actor_id, action="export.tribunal_bundle",
                                      at=at(plan.exported_on), case_id=plan.case_id,
                                      fields=("items", "issues")))


CANARY = "Zqxcanary"
"""In every free-text field of :func:`hostile_case` (a name, so it passes the name checks)."""


def hostile_case(case_id: str = "hostile-0001") -> tuple[MediationCase, Plan]:
    """A held mediation with the canary in the parent's, adviser's and mediator's names, the
    parent's email and a without-prejudice offer."""
    return mediation(case_id, (D.NOT_TO_AMEND_OR_REPLACE,), "held", dt.date(2025, 3, 3),
                     names=CANARY)


def hostile_dr(case_id: str = "hostile-dr-0001") -> tuple[DisagreementResolutionCase, Plan]:
    return disagreement_resolution(case_id, dt.date(2025, 2, 3), names=CANARY)
