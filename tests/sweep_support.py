"""Mediation cases in the states the daily sweep acts on, built in memory through the workflow's
own steps (fast enough for 10,000 stored cases: one template case, cloned by case id)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import attrs

from sen_disagreement.actors import SYSTEM_ID, Actor, CaseGrant, Role, StaticActorDirectory
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.ehc import PlanSection
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.service import CaseService
from sen_disagreement.store import CaseRecord, Store, open_store
from sen_disagreement.workflow import CaseParty, MediationCase, records
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.issues import Issue
from sen_disagreement.workflow.mediation import (
    ActionKind,
    AgreedAction,
    DecisionNotice,
    Reg32Item,
)

COUNCIL = "E08000014"
OFFICER = Actor(actor_id="officer-1", role=Role.LA_OFFICER, council=COUNCIL)
ADVISER = Actor(actor_id="adviser-1", role=Role.MEDIATION_ADVISER, organisation="adviser")
MEDIATOR = Actor(actor_id="mediator-1", role=Role.MEDIATOR, organisation="mediator")
NOW = dt.datetime(2025, 9, 1, 12, tzinfo=dt.UTC)
"""The service's clock in these tests (every --as-at is before it)."""


def copies(prefix: str, n: int, told: dt.date) -> list[MediationCase]:
    """``n`` distinct valid cases, ids ``prefix-0`` .. ``prefix-(n-1)``: one agreed case
    renamed, its audit trail's entries with it, each its own object."""
    base = agreed(f"{prefix}-0", told)
    out: list[MediationCase] = []
    for k in range(n):
        case_id = f"{prefix}-{k}"
        audit = attrs.evolve(base.audit, case_id=case_id, entries=tuple(
            attrs.evolve(e, case_id=case_id) for e in base.audit.entries))
        out.append(attrs.evolve(base, case_id=case_id, audit=audit))
    return out


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


def family(case_id: str) -> Actor:
    return Actor(actor_id=f"fam-{case_id}"[:60], role=Role.FAMILY,
                 grants={CaseGrant(case_id=case_id, party_id="parent")})


def _m(case: object) -> MediationCase:
    assert isinstance(case, MediationCase)
    return case


def officer(council: str = COUNCIL) -> Actor:
    """The casework officer of ``council`` (:data:`OFFICER` for Sefton)."""
    return OFFICER if council == COUNCIL else attrs.evolve(OFFICER, council=council)


def notified(case_id: str, sent: dt.date, *,
             decisions: tuple[AppealableDecision, ...] = (
                 AppealableDecision.NOT_TO_AMEND_OR_REPLACE,),
             council: str = COUNCIL) -> MediationCase:
    """Decision notified: the 2-month adviser-contact clock runs (when a certificate is needed)."""
    parties = [CaseParty("parent", Party(kind=PartyKind.PARENT)),
               CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                     identifiers=Identifiers(gss_code=council)))]
    notice = DecisionNotice(sent_on=sent, decisions=list(decisions), contents=set(Reg32Item))
    return MediationCase.notify_decision(case_id=case_id, council=council, parties=parties,
                                         notice=notice, at=at(sent), actor=OFFICER.actor_id)


def route_chosen(case_id: str, told: dt.date, sent: dt.date | None = None, *,
                 council: str = COUNCIL) -> MediationCase:
    """Mediation wanted and the route chosen on ``told`` (a case of ``council``): the 30-day
    arrange clock runs."""
    sent = sent or told - dt.timedelta(days=9)
    case = notified(case_id, sent, council=council)
    fam = family(case_id)
    la = officer(council)
    contact = told - dt.timedelta(days=2)
    for k, (who, step) in enumerate([
        (fam, st.ContactAdviser(adviser_id="adviser",
                                adviser=Party(kind=PartyKind.MEDIATION_ADVISER), on=contact)),
        (ADVISER, st.GiveInformation(on=contact)),
        (fam, st.AcceptDecision(party_id="parent", told_la_on=told)),
        (fam, st.RecordIssue(issue=Issue(issue_id="speech", section=PlanSection.F))),
        (la, st.ConfirmIssues()),
        (la, st.ChooseRoute()),
    ]):
        case = _m(st.apply_step(case, who, step, at=at(told, 10) + dt.timedelta(minutes=k)))
    return case


def agreed(case_id: str, told: dt.date, *, other_period: dt.date | None = None
           ) -> MediationCase:
    """Mediation held, the certificate issued and a written agreement recorded: the reg 42
    duties run (one appealable matter on reg 44, one other action within 2 weeks)."""
    case = route_chosen(case_id, told)
    meeting = told + dt.timedelta(days=10)
    overrides = (("letter", other_period),) if other_period else ()
    for k, (who, step, when) in enumerate([
        (OFFICER, st.ArrangeMeeting(meeting_date=meeting, mediator_id="mediator",
                                    mediator=Party(kind=PartyKind.MEDIATOR)), at(told, 14)),
        (MEDIATOR, st.HoldMeeting(on=meeting), at(meeting, 15)),
        (MEDIATOR, st.IssueCertificate(on=meeting), at(meeting, 16)),
        (MEDIATOR, st.RecordAgreement(
            document_id="agreement", text="Agreed: a review of section F", agreed_on=meeting,
            actions=[AgreedAction(action_id="assess", kind=ActionKind.APPEALABLE,
                                  by=PartyKind.LOCAL_AUTHORITY,
                                  order_clock_ids=("order_assess_notify",)),
                     AgreedAction(action_id="letter", kind=ActionKind.NON_APPEALABLE,
                                  by=PartyKind.LOCAL_AUTHORITY)],
            other_periods_in_writing=overrides), at(meeting, 17)),
    ]):
        case = _m(st.apply_step(case, who, step, at=when + dt.timedelta(minutes=k)))
    return case


def section_i_only(case_id: str, sent: dt.date) -> MediationCase:
    """A decision about the school named only: no certificate is needed, so the appeal
    deadline is known from the notice."""
    return notified(case_id, sent, decisions=(AppealableDecision.PLAN_PLACEMENT_NAMED,))


def clones(case: MediationCase, ids: list[str]) -> list[CaseRecord]:
    """Records of ``case`` under each of ``ids`` (the document's case id replaced)."""
    template = records.to_record(case)
    return [attrs.evolve(template, case_id=cid,
                         document=template.document.replace(f'"{case.case_id}"', f'"{cid}"'))
            for cid in ids]


def directory(*case_ids: str) -> StaticActorDirectory:
    return StaticActorDirectory([OFFICER, ADVISER, MEDIATOR, *(family(c) for c in case_ids)])


def service(url: str, *, now: dt.datetime = NOW,
            store_clock: Callable[[], dt.datetime] | None = None) -> CaseService:
    """A service on ``url`` whose clock reads ``now`` (the sweep's ``--as-at`` days are all
    before it), without plugins."""
    from sen_disagreement.council import StoreAttentionQueue
    from sen_disagreement.plugins import Hooks, make_plugin_manager

    store: Store = open_store(url, now=store_clock)
    hooks = Hooks(make_plugin_manager(load_entry_points=False), timeout=None,
                  attention=StoreAttentionQueue(store))
    return CaseService(store, hooks, directory(), clock=lambda: now)


def import_cases(store: Store, cases: list[CaseRecord], batch: int = 2000) -> None:
    for start in range(0, len(cases), batch):
        store.save_many(cases[start:start + batch], actor=SYSTEM_ID)


def actions(store: Store, case_id: str) -> list[tuple[str, dt.date]]:
    """The system's audit entries of a case: (action, date of the event)."""
    return [(e.action, e.at.date()) for e in store.audit_trail(case_id)
            if e.actor == SYSTEM_ID and e.case_id == case_id and e.action.startswith("mediation.")]
