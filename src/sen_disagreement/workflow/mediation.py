"""The mediation workflow (CFA 2014 ss.51-56; SEND Regs 2014 regs 32-42), from the decision
notice to the last follow-up duty.

Appealable decision notified (the notice carries what reg 32 lists); mediation adviser contacted
(within 2 months, reg 33); information given; then either declined (certificate within 3 working
days) or mediation wanted; the mediation issues recorded; where they include health care, each
commissioning body told within 3 working days; the route chosen (local authority, commissioning
body or joint); mediation arranged within 30 days, or not (the adviser is told and issues a
certificate within 3 working days: :meth:`MediationCase.tick` detects the 30 days passing without
a mediation); mediation held; certificate within 3 working days; written agreement; the reg 42
follow-up duties tracked until each is met or missed, unless the parties agreed other periods in
writing (reg 42(5)).

Every running deadline comes from the statutory clocks (:mod:`sen_disagreement.clocks`). A case is
immutable: each action returns a new case with one audit entry per transition, or raises a typed
error and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
from attrs import field, frozen

from sen_disagreement._checks import check_id
from sen_disagreement.appeals import (
    AppealableDecision,
    MediationArrangement,
    MediationRoute,
    certificate_requirement,
    mediation_route,
)
from sen_disagreement.clocks import CLOCKS
from sen_disagreement.disclosure import Disclosure, RecordedItem
from sen_disagreement.ehc import Provision
from sen_disagreement.errors import (
    ConsentRequiredError,
    InvalidInputError,
    InvalidTransitionError,
    RuleViolationError,
)
from sen_disagreement.independence import check_independence
from sen_disagreement.parties import HEALTH_COMMISSIONING_BODIES, Party, PartyKind
from sen_disagreement.provenance import P, Provenance, Rule, S, U, cite
from sen_disagreement.settings import DEFAULT_SETTINGS, MeetingDeadline, Settings
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
    SharedViews,
    TrackedDeadline,
    add_item,
    check_actor,
    check_case_ref,
    check_date_order,
    check_parties,
    family_ids,
    find_deadline,
    replace_deadline,
    start_deadline,
    stop_running,
)
from sen_disagreement.workflow.audit import (
    SYSTEM_ACTOR,
    AuditTrail,
    CaseChange,
    check_utc,
    make_entry,
)
from sen_disagreement.workflow.certificates import Certificate, CertificateKind, issue_certificate
from sen_disagreement.workflow.issues import Issue, IssueList, IssueOutcome
from sen_disagreement.workflow.machine import StateMachine, Transition

__all__ = [
    "MEDIATION_MACHINE",
    "ORDER_CLOCK_IDS",
    "REG_32",
    "REG_42",
    "REG_42_5",
    "ActionKind",
    "AgreedAction",
    "DecisionNotice",
    "MediationAgreement",
    "MediationCase",
    "MediationEvent",
    "MediationState",
    "Reg32Item",
]

_MEDIATION_REGS = "https://www.legislation.gov.uk/uksi/2014/1530/part/2/crossheading/mediation/made"
_REG_42_URL = "https://legislation.gov.uk/uksi/2014/1530/regulation/42/2014-09-01/data.htm?view=plain"

MEDIATION_PROCESS = Rule(
    "mediation.process",
    "After an appealable decision the parent or young person may mediate; a certificate from a "
    "mediation adviser is normally needed before appealing.",
    Provenance(
        [
            cite("CFA 2014 ss.51-56", P),
            cite("SEND Regs 2014 regs 32-42", P, _MEDIATION_REGS),
        ]
    ),
)
REG_32 = Rule(
    "reg32.notice_contents",
    "The notice of an appealable decision states: (a) the right to mediation; (b) the need for a "
    "certificate before appealing; (c) the mediation adviser's contact details; (d) the "
    "timescales for requesting mediation; (e) that the parent or young person must tell the LA "
    "whether they want mediation, the issues and any health care provision sought; (f) the LA "
    "contact for pursuing mediation.",
    Provenance([cite("SEND Regs 2014 reg 32", P, _MEDIATION_REGS)]),
)
REG_33 = Rule(
    "reg33.adviser_contact",
    "A parent or young person who needs a certificate contacts the mediation adviser within 2 "
    "months of the decision notice being sent.",
    Provenance([cite("SEND Regs 2014 reg 33", P, _MEDIATION_REGS)]),
)
REG_42 = Rule(
    "reg42.follow_up",
    "After a written mediation agreement: appealable matters within the reg 44 limits as if it "
    "were a Tribunal order (42(2)); other agreed actions within 2 weeks (42(3)); a commissioning "
    "body tells the LA of an agreement it was not party to within 1 week (42(4)).",
    Provenance([cite("SEND Regs 2014 reg 42(2)-(4)", P, _REG_42_URL)]),
)
REG_42_5 = Rule(
    "reg42_5.other_periods_in_writing",
    "The periods in reg 42(2) and (3) do not apply where the parties agree other periods in "
    "writing.",
    Provenance([cite("SEND Regs 2014 reg 42(5)", P, _REG_42_URL)]),
)
MEDIATE_LATER = Rule(
    "mediation.later_after_not_arranged",
    "When mediation was not arranged in time, the parent or young person may appeal at once on "
    "the certificate or still take part in the mediation later; a mediation held later ends "
    "with a certificate after mediation.",
    Provenance(
        [
            cite("Sefton 'Arranging Mediation'", S),
            cite("IAS Manchester case study 17 (2024)", S,
                 "https://www.iasmanchester.org/case-study-17-what-happens-when-mediation-does-not-take-place-within-30-days"),
        ]
    ),
)

MEDIATION_DATE_NOTICE = Rule(
    "mediation.date_notice",
    "The body arranging mediation tells the parent or young person its date and place at least 5 "
    "working days beforehand, unless they agree to less (setting mediation_date_notice).",
    Provenance(
        [
            cite("SEND Code of Practice ch.11, quoted in R (Kumar) v LB Hillingdon [2020] EWHC "
                 "3326 (Admin)", P, "https://beta.bailii.org/ew/cases/EWHC/Admin/2020/3326.html"),
            cite("whether a regulation imposes it", U),
        ]
    ),
)

NOT_ARRANGED_DETECTION = Rule(
    "mediation.not_arranged_in_time",
    "When the 30 days pass without mediation (held, or with the setting 'arranged': a date "
    "fixed), the arranging body tells the mediation adviser, who issues a certificate within 3 "
    "working days of being told.",
    Provenance(
        [
            cite("IPSEA 'the mediation process'", S, "https://www.ipsea.org.uk/the-mediation-process"),
            cite("arrange-vs-hold wording; regulation number", U),
        ]
    ),
)

ORDER_CLOCK_IDS: tuple[str, ...] = CLOCKS["agreement_appealable_matters"].delegates_to
"""The reg 44 clocks an agreed appealable matter runs on (reg 42(2)); defined once, with the
clocks."""


class Reg32Item(enum.Enum):
    RIGHT_TO_MEDIATION = "a"
    CERTIFICATE_NEEDED = "b"
    ADVISER_CONTACT_DETAILS = "c"
    TIMESCALES = "d"
    TELL_LA_WISHES_AND_ISSUES = "e"
    LA_CONTACT_DETAILS = "f"


def _decisions(value: Iterable[AppealableDecision]) -> tuple[AppealableDecision, ...]:
    return tuple(value)


def _reg32(value: Iterable[Reg32Item]) -> frozenset[Reg32Item]:
    return frozenset(value)


@frozen(kw_only=True)
class DecisionNotice:
    """The local authority's notice of an appealable decision."""

    sent_on: dt.date
    decisions: tuple[AppealableDecision, ...] = field(converter=_decisions)
    contents: frozenset[Reg32Item] = field(converter=_reg32)

    def __attrs_post_init__(self) -> None:
        if not self.decisions:
            raise InvalidInputError(
                "name at least one appealable decision (CFA s.51(2))",
                field="notice.decisions", rule_id="s55.certificate_required",
            )
        missing = sorted(i.value for i in Reg32Item if i not in self.contents)
        if missing:
            raise InvalidInputError(
                "the decision notice must carry every item reg 32 lists; missing: "
                + ", ".join(f"reg 32({m})" for m in missing),
                field="notice.contents", rule_id=REG_32.rule_id, citation=REG_32.cite(),
            )

    @property
    def certificate_required(self) -> bool:
        return certificate_requirement(self.decisions).required


class ActionKind(enum.Enum):
    APPEALABLE = "appealable"
    """Reg 42(2): on the reg 44 limits as if the agreement were a Tribunal order."""
    NON_APPEALABLE = "non_appealable"
    """Reg 42(3): within 2 weeks of the agreement."""


def _strs(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@frozen(kw_only=True)
class AgreedAction:
    """One thing the written agreement requires a body to do (no free text: the terms are in the
    agreement document)."""

    action_id: str = field(validator=lambda _i, _a, v: _check_action_id(v))
    kind: ActionKind
    by: PartyKind
    order_clock_ids: tuple[str, ...] = field(default=(), converter=_strs)
    """For an appealable matter: the reg 44 clocks that apply (e.g. ``order_assess_notify``)."""

    def __attrs_post_init__(self) -> None:
        if self.by is not PartyKind.LOCAL_AUTHORITY and self.by not in (
            HEALTH_COMMISSIONING_BODIES
        ):
            raise InvalidInputError(
                "an agreed action falls to the local authority or a commissioning body",
                field="actions.by", rule_id=REG_42.rule_id, citation=REG_42.cite(),
            )
        if self.kind is ActionKind.APPEALABLE:
            bad = [c for c in self.order_clock_ids if c not in ORDER_CLOCK_IDS]
            if not self.order_clock_ids or bad:
                raise InvalidInputError(
                    "an appealable matter names the reg 44 clocks that apply: "
                    + ", ".join(ORDER_CLOCK_IDS),
                    field="actions.order_clock_ids", rule_id=REG_42.rule_id,
                    citation=REG_42.cite(),
                )
            if self.by is not PartyKind.LOCAL_AUTHORITY:
                raise InvalidInputError(
                    "appealable matters fall to the local authority (reg 42(2))",
                    field="actions.by", rule_id=REG_42.rule_id, citation=REG_42.cite(),
                )
        elif self.order_clock_ids:
            raise InvalidInputError(
                "a non-appealable action runs on the 2-week clock, not reg 44",
                field="actions.order_clock_ids", rule_id=REG_42.rule_id, citation=REG_42.cite(),
            )


def _check_action_id(value: object) -> None:
    check_id(value, "actions.action_id")


def _actions(value: Iterable[AgreedAction]) -> tuple[AgreedAction, ...]:
    return tuple(value)


@frozen(kw_only=True)
class MediationAgreement:
    """The written mediation agreement: its date, the recorded document, the agreed actions, and
    the actions for which the parties agreed other periods in writing (reg 42(5))."""

    agreed_on: dt.date
    document_item_id: str
    actions: tuple[AgreedAction, ...] = field(converter=_actions)
    other_periods_in_writing: tuple[tuple[str, dt.date], ...] = ()
    la_party: bool = True


class MediationState(enum.Enum):
    DECISION_NOTIFIED = "decision_notified"
    ADVISER_CONTACTED = "adviser_contacted"
    INFORMATION_GIVEN = "information_given"
    DECLINED = "declined"
    MEDIATION_WANTED = "mediation_wanted"
    ISSUES_RECORDED = "issues_recorded"
    ROUTE_CHOSEN = "route_chosen"
    ARRANGED = "arranged"
    NOT_ARRANGED = "not_arranged"
    HELD = "held"
    CERTIFICATE_ISSUED = "certificate_issued"
    AGREEMENT_RECORDED = "agreement_recorded"
    LAPSED = "lapsed"
    CLOSED = "closed"


class MediationEvent(enum.Enum):
    CONTACT_ADVISER = "contact_adviser"
    GIVE_INFORMATION = "give_information"
    DECLINE_MEDIATION = "decline_mediation"
    WANT_MEDIATION = "want_mediation"
    RECORD_ISSUE = "record_issue"
    CONFIRM_ISSUES = "confirm_issues"
    NOTIFY_COMMISSIONING_BODY = "notify_commissioning_body"
    CHOOSE_ROUTE = "choose_route"
    ARRANGE = "arrange"
    NOT_ARRANGED_IN_TIME = "not_arranged_in_time"
    HOLD = "hold"
    WITHDRAW = "withdraw"
    RECORD_ITEM = "record_item"
    ISSUE_CERTIFICATE = "issue_certificate"
    RECORD_AGREEMENT = "record_agreement"
    DUTY_MET = "duty_met"
    CLOCK_MISSED = "clock_missed"
    LAPSE = "lapse"
    CLOSE = "close"


_S, _E = MediationState, MediationEvent

_LIVE = (
    _S.DECISION_NOTIFIED, _S.ADVISER_CONTACTED, _S.INFORMATION_GIVEN, _S.DECLINED,
    _S.MEDIATION_WANTED, _S.ISSUES_RECORDED, _S.ROUTE_CHOSEN, _S.ARRANGED, _S.NOT_ARRANGED,
    _S.HELD, _S.CERTIFICATE_ISSUED, _S.AGREEMENT_RECORDED,
)
_WANTED = (_S.MEDIATION_WANTED, _S.ISSUES_RECORDED, _S.ROUTE_CHOSEN, _S.ARRANGED)


def _rows() -> list[Transition[MediationState, MediationEvent]]:
    rows = [
        Transition(_S.DECISION_NOTIFIED, _E.CONTACT_ADVISER, _S.ADVISER_CONTACTED),
        Transition(_S.DECISION_NOTIFIED, _E.LAPSE, _S.LAPSED),
        Transition(_S.ADVISER_CONTACTED, _E.GIVE_INFORMATION, _S.INFORMATION_GIVEN),
        Transition(_S.INFORMATION_GIVEN, _E.DECLINE_MEDIATION, _S.DECLINED),
        Transition(_S.INFORMATION_GIVEN, _E.WANT_MEDIATION, _S.MEDIATION_WANTED),
        Transition(_S.MEDIATION_WANTED, _E.RECORD_ISSUE, _S.MEDIATION_WANTED),
        Transition(_S.MEDIATION_WANTED, _E.CONFIRM_ISSUES, _S.ISSUES_RECORDED),
        Transition(_S.ISSUES_RECORDED, _E.NOTIFY_COMMISSIONING_BODY, _S.ISSUES_RECORDED),
        Transition(_S.ISSUES_RECORDED, _E.CHOOSE_ROUTE, _S.ROUTE_CHOSEN),
        Transition(_S.ROUTE_CHOSEN, _E.NOTIFY_COMMISSIONING_BODY, _S.ROUTE_CHOSEN),
        Transition(_S.ROUTE_CHOSEN, _E.ARRANGE, _S.ARRANGED),
        Transition(_S.ROUTE_CHOSEN, _E.NOT_ARRANGED_IN_TIME, _S.NOT_ARRANGED),
        Transition(_S.ARRANGED, _E.NOT_ARRANGED_IN_TIME, _S.NOT_ARRANGED),
        Transition(_S.ARRANGED, _E.HOLD, _S.HELD),
        # Rule mediation.later_after_not_arranged: the parent may still mediate after the 30
        # days pass, before or after the certificate is issued.
        Transition(_S.NOT_ARRANGED, _E.ARRANGE, _S.ARRANGED),
        Transition(_S.NOT_ARRANGED, _E.HOLD, _S.HELD),
        Transition(_S.CERTIFICATE_ISSUED, _E.ARRANGE, _S.ARRANGED),
        Transition(_S.CERTIFICATE_ISSUED, _E.HOLD, _S.HELD),
        Transition(_S.DECLINED, _E.ISSUE_CERTIFICATE, _S.CERTIFICATE_ISSUED),
        Transition(_S.NOT_ARRANGED, _E.ISSUE_CERTIFICATE, _S.CERTIFICATE_ISSUED),
        Transition(_S.HELD, _E.ISSUE_CERTIFICATE, _S.CERTIFICATE_ISSUED),
        Transition(_S.CERTIFICATE_ISSUED, _E.RECORD_AGREEMENT, _S.AGREEMENT_RECORDED),
        Transition(_S.AGREEMENT_RECORDED, _E.DUTY_MET, _S.AGREEMENT_RECORDED),
        Transition(_S.CERTIFICATE_ISSUED, _E.CLOSE, _S.CLOSED),
        Transition(_S.AGREEMENT_RECORDED, _E.CLOSE, _S.CLOSED),
    ]
    rows += [Transition(s, _E.WITHDRAW, _S.DECLINED) for s in _WANTED]
    rows += [Transition(s, _E.RECORD_ITEM, s) for s in _LIVE]
    rows += [Transition(s, _E.CLOCK_MISSED, s) for s in _LIVE]
    return rows


MEDIATION_MACHINE: StateMachine[MediationState, MediationEvent] = StateMachine(
    name="mediation",
    states=MediationState,
    events=MediationEvent,
    initial=MediationState.DECISION_NOTIFIED,
    final=frozenset({MediationState.CLOSED, MediationState.LAPSED}),
    transitions=_rows(),
    rule_id="workflow.mediation",
    citation=MEDIATION_PROCESS.cite(),
)

ADVISER_CLOCK = "mediation_adviser_contact"
ICB_CLOCK = "icb_notification_of_health_issues"
NOTIFY_LA_CLOCK = "agreement_notify_la"
NON_APPEALABLE_CLOCK = "agreement_non_appealable_action"
ARRANGE_CLOCKS = (
    "arrange_mediation_education_social_care",
    "arrange_mediation_health_only",
    "arrange_mediation_mixed",
)


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


@frozen(kw_only=True)
class MediationCase(SharedViews):
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
    settings: Settings = field(default=DEFAULT_SETTINGS, eq=False, repr=False)

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
        entry = make_entry(actor=actor, action=f"mediation.{event.value}", at=at,
                           case_id=self.case_id, fields=fields, outcome=outcome)
        return attrs.evolve(self, state=target, audit=self.audit.append(entry), **changes)

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

    def _require_live_agreement(self) -> None:
        parties = self.party_map
        if self.ledger.stopped(parties):
            raise ConsentRequiredError(
                "the parent or young person no longer wants mediation",
                rule_id="s57.withdraw_any_time", citation=MEDIATION_PROCESS.cite(),
            )
        self.ledger.require_all_agreed(parties)

    def _check_reopening(self, event: MediationEvent) -> None:
        """After a certificate, only a 'not arranged in time' one leaves mediation open."""
        if self.state is not MediationState.CERTIFICATE_ISSUED:
            return
        last = self.certificates[-1] if self.certificates else None
        if last is None or last.kind is not CertificateKind.NOT_ARRANGED_IN_TIME:
            raise InvalidTransitionError(
                f"'{event.value}' is not allowed in state '{self.state.value}' after a "
                f"{last.kind.value if last else 'missing'} certificate",
                rule_id=MEDIATE_LATER.rule_id,
                citation=MEDIATE_LATER.cite(),
            )

    def _settle(self, key: str, on: dt.date) -> tuple[TrackedDeadline, ...]:
        d = self.deadline(key)
        if d is None or d.status is not DeadlineStatus.RUNNING:
            return self.deadlines
        return replace_deadline(self.deadlines, d.settle(on))

    # --- reg 33: the adviser --------------------------------------------------------------------

    def contact_adviser(
        self, adviser_id: str, adviser: Party, *, on: dt.date, at: dt.datetime, actor: str
    ) -> MediationCase:
        """The parent or young person contacts the mediation adviser (reg 33); the adviser's
        independence is checked (CFA s.56(3))."""
        self._begin(MediationEvent.CONTACT_ADVISER, at, actor)
        check_id(adviser_id, "adviser_id")
        if adviser.kind is not PartyKind.MEDIATION_ADVISER:
            raise InvalidInputError("must be a mediation adviser", field="adviser.kind",
                                    rule_id="s56.adviser_independence")
        if adviser_id in self.party_map:
            raise InvalidInputError("the adviser cannot be one of the sides",
                                    field="adviser_id", rule_id="s56.adviser_independence")
        check_date_order(on, self.notice.sent_on, "on", REG_33.rule_id)
        self._not_future(on, at)
        check_independence(adviser, case_parties=self.party_map.values(),
                           health_in_issue=True, settings=self.settings)
        return self._step(
            MediationEvent.CONTACT_ADVISER, at=at, actor=actor, fields=("adviser",),
            adviser=CaseParty(adviser_id, adviser), adviser_contacted_on=on,
            deadlines=self._settle(ADVISER_CLOCK, on),
        )

    def give_information(self, *, on: dt.date, at: dt.datetime, actor: str) -> MediationCase:
        """The adviser gives information about mediation (without pressure to mediate)."""
        self._begin(MediationEvent.GIVE_INFORMATION, at, actor)
        check_date_order(on, self.adviser_contacted_on, "on", "workflow.mediation.dates")
        self._not_future(on, at)
        return self._step(MediationEvent.GIVE_INFORMATION, at=at, actor=actor,
                          information_given_on=on)

    def decline_mediation(
        self, party_id: str, *, on: dt.date, at: dt.datetime, actor: str,
        recorded_by: str | None = None, on_behalf_lacking_capacity: bool = False,
    ) -> MediationCase:
        """The parent or young person tells the adviser they do not want mediation: the
        certificate is due within 3 working days (reg 34(1))."""
        self._begin(MediationEvent.DECLINE_MEDIATION, at, actor)
        check_date_order(on, self.information_given_on, "on", "workflow.mediation.dates")
        self._not_future(on, at)
        ledger = self._consent(party_id, ConsentDecision.DECLINED, at, recorded_by,
                               on_behalf_lacking_capacity)
        clock = "certificate_after_declining"
        return self._step(
            MediationEvent.DECLINE_MEDIATION, at=at, actor=actor, fields=("ledger",),
            ledger=ledger, certificate_clock=clock,
            deadlines=replace_deadline(self.deadlines, start_deadline(clock, on, self.settings)),
        )

    def want_mediation(
        self, party_id: str, *, told_la_on: dt.date, at: dt.datetime, actor: str,
        recorded_by: str | None = None, on_behalf_lacking_capacity: bool = False,
    ) -> MediationCase:
        """The parent or young person tells the LA they want mediation (their agreement is
        recorded in the consent ledger)."""
        self._begin(MediationEvent.WANT_MEDIATION, at, actor)
        check_date_order(told_la_on, self.information_given_on, "told_la_on",
                         "workflow.mediation.dates")
        self._not_future(told_la_on, at)
        ledger = self._consent(party_id, ConsentDecision.AGREED, at, recorded_by,
                               on_behalf_lacking_capacity)
        return self._step(MediationEvent.WANT_MEDIATION, at=at, actor=actor,
                          fields=("ledger", "told_la_on"), ledger=ledger, told_la_on=told_la_on)

    def record_issue(self, issue: Issue, *, at: dt.datetime, actor: str) -> MediationCase:
        self._begin(MediationEvent.RECORD_ISSUE, at, actor)
        return self._step(MediationEvent.RECORD_ISSUE, at=at, actor=actor, fields=("issues",),
                          issues=self.issues.add(issue))

    def confirm_issues(self, *, at: dt.datetime, actor: str) -> MediationCase:
        """The mediation issues are settled; where they include health care the LA must tell
        each commissioning body within 3 working days of being told them."""
        self._begin(MediationEvent.CONFIRM_ISSUES, at, actor)
        if not self.issues.issues:
            raise InvalidInputError("record at least one mediation issue", field="issues",
                                    rule_id="reg32.notice_contents", citation=REG_32.cite())
        assert self.told_la_on is not None
        deadlines = self.deadlines
        if self.health_in_issue:
            if not self._bodies():
                raise InvalidInputError(
                    "health care issues need the responsible commissioning body as a party",
                    field="parties", rule_id="mediation.route.commissioning_body",
                )
            deadlines = replace_deadline(
                deadlines, start_deadline(ICB_CLOCK, self.told_la_on, self.settings)
            )
        return self._step(MediationEvent.CONFIRM_ISSUES, at=at, actor=actor,
                          fields=("issues",), deadlines=deadlines)

    def _bodies(self) -> tuple[str, ...]:
        return tuple(p.party_id for p in self.parties
                     if p.party.kind in HEALTH_COMMISSIONING_BODIES)

    def notify_commissioning_body(
        self, body_id: str, *, on: dt.date, at: dt.datetime, actor: str
    ) -> MediationCase:
        """The LA tells a commissioning body the mediation issues; the 3-working-day clock is met
        when every body has been told."""
        self._begin(MediationEvent.NOTIFY_COMMISSIONING_BODY, at, actor)
        if self.deadline(ICB_CLOCK) is None:
            raise InvalidInputError("the mediation issues include no health care",
                                    field="body_id", rule_id="mediation.icb_notification")
        if body_id not in self._bodies():
            raise InvalidInputError("is not a commissioning body of this case", field="body_id",
                                    rule_id="mediation.icb_notification")
        if body_id in dict(self.commissioning_bodies_notified):
            raise InvalidInputError("was already told", field="body_id",
                                    rule_id="mediation.icb_notification")
        check_date_order(on, self.told_la_on, "on", "workflow.mediation.dates")
        self._not_future(on, at)
        notified = (*self.commissioning_bodies_notified, (body_id, on))
        deadlines = self.deadlines
        if {b for b, _ in notified} >= set(self._bodies()):
            deadlines = self._settle(ICB_CLOCK, max(d for _, d in notified))
        return self._step(MediationEvent.NOTIFY_COMMISSIONING_BODY, at=at, actor=actor,
                          fields=("commissioning_bodies_notified",),
                          commissioning_bodies_notified=notified, deadlines=deadlines)

    def choose_route(self, *, at: dt.datetime, actor: str) -> MediationCase:
        """Who arranges the mediation follows from the issues; the 30-day clock starts."""
        self._begin(MediationEvent.CHOOSE_ROUTE, at, actor)
        arrangement = mediation_route(self.issues.provisions())
        assert self.told_la_on is not None
        start = self.told_la_on
        if arrangement.route is MediationRoute.COMMISSIONING_BODY:
            told = dict(self.commissioning_bodies_notified)
            if set(told) < set(self._bodies()) or not told:
                raise InvalidInputError(
                    "health-only mediation: the 30 days run from the LA telling the "
                    "commissioning body, so tell every body first",
                    field="commissioning_bodies_notified",
                    rule_id=arrangement.rule.rule_id, citation=arrangement.rule.cite(),
                )
            start = max(told.values())
        clock = start_deadline(arrangement.arrange_clock_id, start, self.settings)
        return self._step(MediationEvent.CHOOSE_ROUTE, at=at, actor=actor, fields=("route",),
                          route=arrangement.route,
                          deadlines=replace_deadline(self.deadlines, clock))

    def arrange(
        self, mediator_id: str, mediator: Party, *, meeting_date: dt.date, at: dt.datetime,
        actor: str, shorter_notice_agreed: bool = False,
    ) -> MediationCase:
        """A mediation date is fixed with an independent mediator (needs the parent's or young
        person's live agreement). With setting ``arrange_mediation_deadline=arranged`` this meets
        the 30-day clock; with ``held`` (the default) the meeting must also be held in time."""
        self._begin(MediationEvent.ARRANGE, at, actor)
        self._check_reopening(MediationEvent.ARRANGE)
        check_id(mediator_id, "mediator_id")
        if mediator.kind is not PartyKind.MEDIATOR:
            raise InvalidInputError("must be a mediator", field="mediator.kind",
                                    rule_id="s52.mediator_independence.local_authority")
        if mediator_id in self.party_map:
            raise InvalidInputError("the mediator cannot be one of the sides",
                                    field="mediator_id",
                                    rule_id="s52.mediator_independence.local_authority")
        check_date_order(meeting_date, at.date(), "meeting_date", "workflow.mediation.dates")
        check_independence(
            mediator, case_parties=self.party_map.values(),
            health_in_issue=self.health_in_issue,
            settings=self.settings,
        )
        self._require_live_agreement()
        if self.settings.mediation_date_notice and not shorter_notice_agreed:
            # The notice is given when the date is fixed (``at``): it must be on or before the
            # clock's last day, counted back from the meeting.
            latest = _clocks.due("mediation_date_notice", meeting_date, self.settings)
            if at.date() > latest:
                raise InvalidInputError(
                    f"gives less than 5 working days' notice (the notice was due by "
                    f"{latest.isoformat()}); record shorter_notice_agreed if the parent or young "
                    "person agreed to less",
                    field="meeting_date", rule_id=MEDIATION_DATE_NOTICE.rule_id,
                    citation=MEDIATION_DATE_NOTICE.cite(),
                )
        deadlines = self.deadlines
        clock = self.arrange_clock
        if clock is not None and self.settings.arrange_mediation_deadline is (
            MeetingDeadline.ARRANGED
        ):
            deadlines = self._settle(clock.key, at.date())
        return self._step(MediationEvent.ARRANGE, at=at, actor=actor,
                          fields=("mediator", "meeting_date"),
                          outcome="shorter_notice_agreed" if shorter_notice_agreed else "ok",
                          mediator=CaseParty(mediator_id, mediator), meeting_date=meeting_date,
                          arranged_on=at.date(), deadlines=deadlines)

    def hold(self, *, on: dt.date, at: dt.datetime, actor: str) -> MediationCase:
        """The mediation takes place (only with the parent's or young person's live agreement);
        the certificate is due within 3 working days of it concluding."""
        self._begin(MediationEvent.HOLD, at, actor)
        self._check_reopening(MediationEvent.HOLD)
        if self.arranged_on is None:
            raise InvalidInputError("no mediation has been arranged", field="arranged_on",
                                    rule_id="workflow.mediation.dates")
        check_date_order(on, self.arranged_on, "on", "workflow.mediation.dates")
        self._not_future(on, at)
        self._require_live_agreement()
        deadlines = self.deadlines
        clock = self.arrange_clock
        if clock is not None and self.settings.arrange_mediation_deadline is MeetingDeadline.HELD:
            deadlines = self._settle(clock.key, on)
        cert = "certificate_after_mediation"
        deadlines = replace_deadline(deadlines, start_deadline(cert, on, self.settings))
        return self._step(MediationEvent.HOLD, at=at, actor=actor, fields=("held_on",),
                          held_on=on, certificate_clock=cert, deadlines=deadlines)

    def withdraw(
        self, party_id: str, *, on: dt.date, at: dt.datetime, actor: str,
        recorded_by: str | None = None, on_behalf_lacking_capacity: bool = False,
    ) -> MediationCase:
        """The parent or young person no longer wants mediation: the process stops, running
        duties to arrange it stop, and the adviser owes a certificate within 3 working days."""
        self._begin(MediationEvent.WITHDRAW, at, actor)
        self._not_future(on, at)
        check_date_order(on, self.told_la_on, "on", "workflow.mediation.dates")
        ledger = self._consent(party_id, ConsentDecision.WITHDRAWN, at, recorded_by,
                               on_behalf_lacking_capacity)
        clock = "certificate_after_declining"
        deadlines = stop_running(self.deadlines, on)
        deadlines = replace_deadline(deadlines, start_deadline(clock, on, self.settings))
        return self._step(MediationEvent.WITHDRAW, at=at, actor=actor, fields=("ledger",),
                          ledger=ledger, certificate_clock=clock, deadlines=deadlines)

    # --- records, certificates, agreement ---------------------------------------------------------

    def record_item(self, item: RecordedItem, *, at: dt.datetime, actor: str) -> MediationCase:
        self._begin(MediationEvent.RECORD_ITEM, at, actor)
        if item.in_meeting and self.held_on is None:
            raise InvalidInputError(
                "a meeting record needs a mediation that has been held", field="item.in_meeting",
                rule_id="workflow.mediation.meeting_record",
            )
        return self._step(MediationEvent.RECORD_ITEM, at=at, actor=actor, fields=("items",),
                          items=add_item(self.items, item, facilitators=self.facilitator_ids))

    def issue_certificate(self, *, on: dt.date, at: dt.datetime, actor: str) -> MediationCase:
        """The adviser issues the certificate this state calls for; its appeal deadline comes
        from the clocks."""
        self._begin(MediationEvent.ISSUE_CERTIFICATE, at, actor)
        kind = {
            MediationState.DECLINED: CertificateKind.DECLINED,
            MediationState.NOT_ARRANGED: CertificateKind.NOT_ARRANGED_IN_TIME,
            MediationState.HELD: CertificateKind.AFTER_MEDIATION,
        }[self.state]
        if self.adviser is None:
            raise InvalidInputError("no mediation adviser is recorded", field="adviser",
                                    rule_id="s55.certificate_required")
        self._not_future(on, at)
        assert self.certificate_clock is not None
        clock = self.deadline(self.certificate_clock)
        assert clock is not None
        cert = issue_certificate(
            kind=kind, issued_on=on, issued_by=self.adviser.party_id,
            adviser_name=self.adviser.party.name, decisions=self.notice.decisions,
            decision_notice_sent=self.notice.sent_on, clock_started=clock.started,
            settings=self.settings,
        )
        return self._step(MediationEvent.ISSUE_CERTIFICATE, at=at, actor=actor,
                          fields=("certificates",), certificates=(*self.certificates, cert),
                          deadlines=self._settle(clock.key, on))

    def record_agreement(
        self,
        document: RecordedItem,
        *,
        agreed_on: dt.date,
        actions: Sequence[AgreedAction],
        at: dt.datetime,
        actor: str,
        other_periods_in_writing: Mapping[str, dt.date] | None = None,
        outcomes: Mapping[str, IssueOutcome] | None = None,
    ) -> MediationCase:
        """The written mediation agreement and the reg 42 duties it starts: appealable matters on
        the reg 44 clocks, other actions within 2 weeks, and (where the LA was not a party) the
        commissioning body telling the LA within 1 week. ``other_periods_in_writing`` maps an
        action id to the date the parties agreed in writing instead (reg 42(5))."""
        self._begin(MediationEvent.RECORD_AGREEMENT, at, actor)
        last = self.certificates[-1]
        if last.kind is not CertificateKind.AFTER_MEDIATION or self.held_on is None:
            raise InvalidInputError(
                "a mediation agreement follows a mediation that took place",
                field="agreed_on", rule_id=REG_42.rule_id, citation=REG_42.cite(),
            )
        check_date_order(agreed_on, self.held_on, "agreed_on", REG_42.rule_id)
        self._not_future(agreed_on, at)
        if document.disclosure is Disclosure.WITHOUT_PREJUDICE:
            raise InvalidInputError(
                "the written agreement is the outcome, not a without-prejudice record; record "
                "it as 'parties' or 'public'", field="document.disclosure",
                rule_id=REG_42.rule_id,
            )
        chosen = tuple(actions)
        ids = [a.action_id for a in chosen]
        if len(set(ids)) != len(ids):
            raise InvalidInputError("action ids must be unique", field="actions.action_id",
                                    rule_id=REG_42.rule_id)
        overrides = dict(other_periods_in_writing or {})
        for action_id, day in overrides.items():
            if action_id not in ids:
                raise InvalidInputError("names no agreed action",
                                        field=f"other_periods_in_writing.{action_id}",
                                        rule_id=REG_42_5.rule_id, citation=REG_42_5.cite())
            check_date_order(day, agreed_on, f"other_periods_in_writing.{action_id}",
                             REG_42_5.rule_id)
        issues = self.issues.with_outcomes(outcomes) if outcomes is not None else self.issues
        items = add_item(self.items, document, facilitators=self.facilitator_ids)
        la_party = self.route is not MediationRoute.COMMISSIONING_BODY
        deadlines = self.deadlines
        for action in chosen:
            clock_ids = action.order_clock_ids or (NON_APPEALABLE_CLOCK,)
            for clock_id in clock_ids:
                key = f"{clock_id}.{action.action_id}"
                if action.action_id in overrides:
                    tracked = TrackedDeadline(key=key, clock_id=clock_id, started=agreed_on,
                                              due=overrides[action.action_id],
                                              agreed_in_writing=True)
                else:
                    tracked = start_deadline(clock_id, agreed_on, self.settings, key=key)
                deadlines = replace_deadline(deadlines, tracked)
        if not la_party:
            deadlines = replace_deadline(
                deadlines, start_deadline(NOTIFY_LA_CLOCK, agreed_on, self.settings)
            )
        agreement = MediationAgreement(
            agreed_on=agreed_on, document_item_id=document.item_id, actions=chosen,
            other_periods_in_writing=tuple(sorted(overrides.items())), la_party=la_party,
        )
        return self._step(MediationEvent.RECORD_AGREEMENT, at=at, actor=actor,
                          fields=("agreement", "items", "deadlines"), agreement=agreement,
                          items=items, issues=issues, deadlines=deadlines)

    def duty_met(self, key: str, *, on: dt.date, at: dt.datetime, actor: str) -> MediationCase:
        """A reg 42 duty was done on ``on`` (met if in time, otherwise recorded as missed)."""
        self._begin(MediationEvent.DUTY_MET, at, actor)
        d = self.deadline(key)
        if d is None or d.clock_id not in (*ORDER_CLOCK_IDS, NON_APPEALABLE_CLOCK,
                                           NOTIFY_LA_CLOCK):
            raise InvalidInputError("is not a follow-up duty of this case", field="key",
                                    rule_id=REG_42.rule_id, citation=REG_42.cite())
        if d.status is not DeadlineStatus.RUNNING:
            raise InvalidInputError(f"is already {d.status.value}", field="key",
                                    rule_id=REG_42.rule_id)
        assert self.agreement is not None
        check_date_order(on, self.agreement.agreed_on, "on", REG_42.rule_id)
        self._not_future(on, at)
        return self._step(MediationEvent.DUTY_MET, at=at, actor=actor, fields=("deadlines",),
                          deadlines=self._settle(key, on))

    def close(self, *, at: dt.datetime, actor: str) -> MediationCase:
        """Close the case: after a certificate with no agreement, or once every follow-up duty
        is met or missed."""
        self._begin(MediationEvent.CLOSE, at, actor)
        running = [d.key for d in self.deadlines if d.status is DeadlineStatus.RUNNING]
        if running:
            raise RuleViolationError(
                "duties still running: " + ", ".join(running),
                rule_id=REG_42.rule_id, citation=REG_42.cite(),
            )
        return self._step(MediationEvent.CLOSE, at=at, actor=actor, closed_on=at.date())

    # --- automatic detection ----------------------------------------------------------------------

    def tick(self, today: dt.date, *, at: dt.datetime) -> MediationCase:
        """Apply what the passing of ``today`` makes happen, one transition (and audit entry)
        each: the 2-month adviser-contact period lapsing; the 30 days passing without a
        mediation (the adviser is told today and the deemed-certificate clock starts); any other
        running deadline passing (recorded as missed). A deadline passes once its due day is
        over, so ``today`` must be after the due date."""
        check_utc(at)
        case = self
        if case.is_final:
            return case
        adviser_clock = case.deadline(ADVISER_CLOCK)
        if (
            case.state is MediationState.DECISION_NOTIFIED
            and adviser_clock is not None
            and adviser_clock.status is DeadlineStatus.RUNNING
            and today > adviser_clock.due
        ):
            missed = attrs.evolve(adviser_clock, status=DeadlineStatus.MISSED)
            return case._step(MediationEvent.LAPSE, at=at, actor=SYSTEM_ACTOR,
                              fields=("deadlines",), outcome="lapsed",
                              deadlines=stop_running(
                                  replace_deadline(case.deadlines, missed), today),
                              closed_on=today)
        arrange = case.arrange_clock
        waiting = case.state is MediationState.ROUTE_CHOSEN or (
            case.state is MediationState.ARRANGED
            and case.settings.arrange_mediation_deadline is MeetingDeadline.HELD
        )
        if (
            waiting
            and arrange is not None
            and arrange.status is DeadlineStatus.RUNNING
            and today > arrange.due
        ):
            missed = attrs.evolve(arrange, status=DeadlineStatus.MISSED)
            cert = "deemed_certificate"
            deadlines = replace_deadline(case.deadlines, missed)
            deadlines = replace_deadline(deadlines, start_deadline(cert, today, case.settings))
            case = case._step(MediationEvent.NOT_ARRANGED_IN_TIME, at=at, actor=SYSTEM_ACTOR,
                              fields=("deadlines",), outcome="adviser_told",
                              certificate_clock=cert, deadlines=deadlines)
        for d in case.deadlines:
            if d.status is DeadlineStatus.RUNNING and today > d.due:
                missed = attrs.evolve(d, status=DeadlineStatus.MISSED)
                case = case._step(MediationEvent.CLOCK_MISSED, at=at, actor=SYSTEM_ACTOR,
                                  fields=("deadlines",), outcome="missed",
                                  deadlines=replace_deadline(case.deadlines, missed))
        return case

    def _not_future(self, day: dt.date, at: dt.datetime) -> None:
        if day > at.date():
            raise InvalidInputError("is after the time of recording", field="on",
                                    rule_id="input.date_not_future")


RULES = (
    MEDIATION_PROCESS, REG_32, REG_33, REG_42, REG_42_5, NOT_ARRANGED_DETECTION,
    MEDIATE_LATER, MEDIATION_DATE_NOTICE,
)
