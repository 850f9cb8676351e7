"""The mediation case: its fields, how it starts (:meth:`MediationCase.notify_decision`), the
views derived from it, and the internals every stage uses. The actions of each stage are in the
stage mixins it inherits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from attrs import field, frozen

from sen_disagreement._checks import typed_fields
from sen_disagreement.appeals import MediationArrangement, MediationRoute, mediation_route
from sen_disagreement.disclosure import RecordedItem
from sen_disagreement.ehc import Provision
from sen_disagreement.errors import ConsentRequiredError, InvalidInputError
from sen_disagreement.parties import PartyKind
from sen_disagreement.settings import DEFAULT_SETTINGS, Settings
from sen_disagreement.voluntary import (
    MEDIATION_BODIES_MUST_TAKE_PART,
    YOUNG_PERSON_DECIDES,
    ConsentDecision,
    ConsentEntry,
    ConsentLedger,
    Process,
)
from sen_disagreement.workflow import _clocks
from sen_disagreement.workflow._case import (
    CaseParty,
    DeadlineStatus,
    TrackedDeadline,
    check_actor,
    check_case_ref,
    check_parties,
    check_settings,
    evolve_case,
    family_ids,
    find_deadline,
    replace_deadline,
    start_deadline,
)
from sen_disagreement.workflow.audit import (
    AuditTrail,
    CaseChange,
    append_entry,
    check_utc,
    make_entry,
)
from sen_disagreement.workflow.certificates import Certificate
from sen_disagreement.workflow.issues import IssueList
from sen_disagreement.workflow.mediation.adviser import AdviserStage
from sen_disagreement.workflow.mediation.agreement import MediationAgreement
from sen_disagreement.workflow.mediation.arranging import ArrangingStage
from sen_disagreement.workflow.mediation.machine import (
    ADVISER_CLOCK,
    ARRANGE_CLOCKS,
    MEDIATION_MACHINE,
    MediationEvent,
    MediationState,
)
from sen_disagreement.workflow.mediation.notice import MEDIATION_PROCESS, REG_33, DecisionNotice
from sen_disagreement.workflow.mediation.outcome import OutcomeStage
from sen_disagreement.workflow.mediation.sweep import SweepStage

__all__ = ["MediationCase"]


def _parties(value: Iterable[CaseParty]) -> tuple[CaseParty, ...]:
    return tuple(value)


def _items(value: Iterable[RecordedItem]) -> tuple[RecordedItem, ...]:
    return tuple(value)


def _deadlines(value: Iterable[TrackedDeadline]) -> tuple[TrackedDeadline, ...]:
    return tuple(value)


def _certs(value: Iterable[Certificate]) -> tuple[Certificate, ...]:
    return tuple(value)


def _notified(value: Iterable[tuple[str, dt.date]]) -> tuple[tuple[str, dt.date], ...]:
    return tuple((a, b) for a, b in value)


# The audit action of each event, built once rather than formatted on every step.
_ACTIONS = {e: f"mediation.{e.value}" for e in MediationEvent}


@frozen(kw_only=True, field_transformer=typed_fields)
class MediationCase(AdviserStage, ArrangingStage, OutcomeStage, SweepStage):
    """One mediation case. Build with :meth:`notify_decision`."""

    KIND = "mediation"
    PROCESS = Process.MEDIATION

    case_id: str
    council: str
    created_at: dt.datetime
    state: MediationState
    parties: tuple[CaseParty, ...] = field(converter=_parties)
    notice: DecisionNotice
    ledger: ConsentLedger
    issues: IssueList = field(factory=IssueList)
    items: tuple[RecordedItem, ...] = field(default=(), converter=_items)
    deadlines: tuple[TrackedDeadline, ...] = field(default=(), converter=_deadlines)
    adviser: CaseParty | None = None
    adviser_contacted_on: dt.date | None = None
    information_given_on: dt.date | None = None
    told_la_on: dt.date | None = None
    commissioning_bodies_notified: tuple[tuple[str, dt.date], ...] = field(
        default=(), converter=_notified
    )
    route: MediationRoute | None = None
    mediator: CaseParty | None = None
    meeting_date: dt.date | None = None
    arranged_on: dt.date | None = None
    held_on: dt.date | None = None
    certificate_clock: str | None = None
    certificates: tuple[Certificate, ...] = field(default=(), converter=_certs)
    agreement: MediationAgreement | None = None
    closed_on: dt.date | None = None
    audit: AuditTrail
    settings: Settings = field(default=DEFAULT_SETTINGS, eq=False, repr=False,
                               validator=check_settings)

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def notify_decision(
        cls,
        *,
        case_id: str,
        council: str,
        parties: Iterable[CaseParty],
        notice: DecisionNotice,
        at: dt.datetime,
        actor: str,
        settings: Settings = DEFAULT_SETTINGS,
    ) -> MediationCase:
        """The LA's notice of an appealable decision: the case starts; the 2-month clock to
        contact the mediation adviser runs where a certificate is needed (reg 33)."""
        check_case_ref(case_id, council)
        check_utc(at)
        check_actor(actor)
        chosen = tuple(parties)
        check_parties(chosen, notice.sent_on)
        if not family_ids(chosen):
            raise InvalidInputError(
                "mediation is for a parent or young person; name one", field="parties",
                rule_id=MEDIATION_PROCESS.rule_id, citation=MEDIATION_PROCESS.cite(),
            )
        if PartyKind.LOCAL_AUTHORITY not in {p.party.kind for p in chosen}:
            raise InvalidInputError(
                "the local authority that made the decision is a party", field="parties",
                rule_id=MEDIATION_PROCESS.rule_id, citation=MEDIATION_PROCESS.cite(),
            )
        if notice.sent_on > at.date():
            raise InvalidInputError("is after the time of recording", field="notice.sent_on",
                                    rule_id=REG_33.rule_id)
        deadlines: tuple[TrackedDeadline, ...] = ()
        if notice.certificate_required:
            deadlines = (start_deadline(ADVISER_CLOCK, notice.sent_on, settings),)
        entry = make_entry(actor=actor, action="mediation.decision_notified", at=at,
                           case_id=case_id, fields=("notice", "parties"))
        return cls(
            case_id=case_id,
            council=council,
            created_at=at,
            state=MEDIATION_MACHINE.initial,
            parties=chosen,
            notice=notice,
            ledger=ConsentLedger(Process.MEDIATION),
            deadlines=deadlines,
            audit=AuditTrail(case_id).append(entry),
            settings=settings,
        )

    # --- shared view ----------------------------------------------------------------------------

    @property
    def health_in_issue(self) -> bool:
        """Whether the mediation issues include health care provision."""
        return Provision.HEALTH_CARE in self.issues.provisions()

    @property
    def facilitator_ids(self) -> tuple[str, ...]:
        return tuple(p.party_id for p in (self.adviser, self.mediator) if p is not None)

    @property
    def is_final(self) -> bool:
        return MEDIATION_MACHINE.is_final(self.state)

    def deadline(self, key: str) -> TrackedDeadline | None:
        return find_deadline(self.deadlines, key)

    @property
    def arrangement(self) -> MediationArrangement | None:
        return mediation_route(self.issues.provisions()) if self.route else None

    @property
    def arrange_clock(self) -> TrackedDeadline | None:
        return next((d for d in self.deadlines if d.clock_id in ARRANGE_CLOCKS), None)

    @property
    def appeal_deadline(self) -> dt.date:
        """The appeal deadline now: from the latest certificate if any (HESC r.20(1)(c))."""
        last = self.certificates[-1] if self.certificates else None
        return _clocks.appeal_deadline(
            self.notice.sent_on,
            last.issued_on if last else None,
            certificate_required=self.notice.certificate_required,
            settings=self.settings,
        )

    def last_event(self) -> CaseChange:
        entry = self.audit.entries[-1]
        return CaseChange(
            case_id=self.case_id, council=self.council, kind=self.KIND, action=entry.action,
            state=self.state.value, at=entry.at, actor=entry.actor,
            deadlines=tuple(d.view() for d in self.deadlines),
        )

    # --- internals ------------------------------------------------------------------------------

    def _begin(self, event: MediationEvent, at: dt.datetime, actor: str) -> None:
        MEDIATION_MACHINE.target(self.state, event)
        check_utc(at)
        check_actor(actor)
        if at < self.audit.entries[-1].at:
            raise InvalidInputError(
                "is earlier than the last change to the case", field="at",
                rule_id="audit.every_change_and_sensitive_read",
            )

    def _step(
        self,
        event: MediationEvent,
        *,
        at: dt.datetime,
        actor: str,
        fields: tuple[str, ...] = (),
        outcome: str = "ok",
        **changes: Any,
    ) -> MediationCase:
        target = MEDIATION_MACHINE.target(self.state, event)
        action = _ACTIONS.get(event) or f"mediation.{event.value}"
        audit = append_entry(self.audit, actor=actor, action=action, at=at,
                             case_id=self.case_id, fields=fields, outcome=outcome)
        return evolve_case(self, state=target, audit=audit, **changes)

    def _consent(
        self, party_id: str, decision: ConsentDecision, at: dt.datetime,
        recorded_by: str | None, on_behalf: bool,
    ) -> ConsentLedger:
        parties = self.party_map
        party = parties.get(party_id)
        if party is not None and party_id not in self.ledger.required_parties(parties):
            if party.kind in {PartyKind.PARENT, PartyKind.YOUNG_PERSON}:
                rule = YOUNG_PERSON_DECIDES
                msg = "a young person decides for themselves about mediation"
            else:
                rule = MEDIATION_BODIES_MUST_TAKE_PART
                msg = "only the parent or young person chooses mediation; the bodies take part"
            raise ConsentRequiredError(msg, rule_id=rule.rule_id, citation=rule.cite())
        entry = ConsentEntry(party_id=party_id, decision=decision, at=at,
                             recorded_by=recorded_by or party_id,
                             on_behalf_lacking_capacity=on_behalf)
        return self.ledger.record(entry, parties)

    def _settle(self, key: str, on: dt.date) -> tuple[TrackedDeadline, ...]:
        d = self.deadline(key)
        if d is None or d.status is not DeadlineStatus.RUNNING:
            return self.deadlines
        return replace_deadline(self.deadlines, d.settle(on))

    def _not_future(self, day: dt.date, at: dt.datetime) -> None:
        if day > at.date():
            raise InvalidInputError("is after the time of recording", field="on",
                                    rule_id="input.date_not_future")
