"""The disagreement-resolution workflow (CFA 2014 s.57), from referral to outcome.

Referral; agreement sought from every party; all agreed (or one declines or withdraws: the case
closes, with no effect on any right of appeal); an independent provider assigned; meeting
arranged; meeting held; outcome recorded issue by issue (full, partial or no agreement); closed.

A :class:`DisagreementResolutionCase` is immutable: every action returns a new case with exactly
one audit entry appended, or raises a typed error and changes nothing. An action not allowed in
the current state raises :class:`~sen_disagreement.errors.InvalidTransitionError` naming the state
and the action. Disagreement resolution has no statutory deadlines (law.md 1.6), so this case runs
no clocks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, cast

from attrs import field, frozen

from sen_disagreement._checks import ACTOR, typed_fields
from sen_disagreement._enum import Enum
from sen_disagreement.disclosure import RecordedItem
from sen_disagreement.ehc import Provision
from sen_disagreement.errors import ConsentRequiredError, InvalidInputError
from sen_disagreement.independence import check_independence
from sen_disagreement.parties import HEALTH_COMMISSIONING_BODIES, Party, PartyKind, detached
from sen_disagreement.provenance import P, Provenance, Rule, S, cite
from sen_disagreement.settings import DEFAULT_SETTINGS, Settings
from sen_disagreement.voluntary import (
    DECLINING_NO_EFFECT,
    VOLUNTARY,
    WITHDRAW_ANY_TIME,
    YOUNG_PERSON_DECIDES,
    ConsentDecision,
    ConsentLedger,
    Process,
    _require_agreed,
    consent_entry,
)
from sen_disagreement.workflow._case import (
    _EVOLVERS,
    CaseParty,
    SharedViews,
    TrackedDeadline,
    add_item,
    builder,
    check_actor,
    check_case_ref,
    check_date_order,
    check_parties,
    check_settings,
    evolver,
)
from sen_disagreement.workflow.audit import (
    AuditTrail,
    CaseChange,
    append_entry,
    check_utc,
)
from sen_disagreement.workflow.issues import Issue, IssueList, IssueOutcome, issue_list_of
from sen_disagreement.workflow.machine import StateMachine, Transition

__all__ = [
    "DR_MACHINE",
    "DR_PROCESS",
    "Closure",
    "DisagreementResolutionCase",
    "DrEvent",
    "DrState",
]

DR_PROCESS = Rule(
    "s57.disagreement_resolution",
    "The local authority makes independent disagreement-resolution arrangements available; use is "
    "voluntary and needs the agreement of all parties; outcomes are not stated to be binding.",
    Provenance(
        [
            cite("CFA 2014 s.57; Explanatory Notes paras 273-275", P,
                 "https://www.legislation.gov.uk/ukpga/2014/6/notes/division/4/3/12/7"),
            cite("SEND Code of Practice 11.6-11.8", S),
        ]
    ),
)
"""Disagreement resolution (CFA 2014 s.57): independent, voluntary, needing the agreement of
every party."""


class DrState(Enum):
    """Where a disagreement-resolution case stands, from referral to closed (see the module
    docstring for the order)."""

    REFERRED = "referred"
    SEEKING_AGREEMENT = "seeking_agreement"
    ALL_AGREED = "all_agreed"
    PROVIDER_ASSIGNED = "provider_assigned"
    MEETING_ARRANGED = "meeting_arranged"
    MEETING_HELD = "meeting_held"
    OUTCOME_RECORDED = "outcome_recorded"
    CLOSED = "closed"


class DrEvent(Enum):
    """The actions that move a disagreement-resolution case on (:data:`DR_MACHINE` says which are
    allowed in each :class:`DrState`)."""

    SEEK_AGREEMENT = "seek_agreement"
    RECORD_ISSUE = "record_issue"
    RECORD_AGREEMENT = "record_agreement"
    ALL_AGREED = "all_agreed"
    DECLINE = "decline"
    WITHDRAW = "withdraw"
    ASSIGN_PROVIDER = "assign_provider"
    ARRANGE_MEETING = "arrange_meeting"
    HOLD_MEETING = "hold_meeting"
    RECORD_ITEM = "record_item"
    RECORD_OUTCOME = "record_outcome"
    CLOSE = "close"


class Closure(Enum):
    """Why a case closed."""

    OUTCOME = "outcome"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


_S, _E = DrState, DrEvent


def _rows() -> list[Transition[DrState, DrEvent]]:
    rows = [
        Transition(_S.REFERRED, _E.SEEK_AGREEMENT, _S.SEEKING_AGREEMENT),
        Transition(_S.SEEKING_AGREEMENT, _E.RECORD_AGREEMENT, _S.SEEKING_AGREEMENT),
        Transition(_S.SEEKING_AGREEMENT, _E.ALL_AGREED, _S.ALL_AGREED),
        Transition(_S.SEEKING_AGREEMENT, _E.DECLINE, _S.CLOSED),
        Transition(_S.ALL_AGREED, _E.ASSIGN_PROVIDER, _S.PROVIDER_ASSIGNED),
        Transition(_S.PROVIDER_ASSIGNED, _E.ARRANGE_MEETING, _S.MEETING_ARRANGED),
        Transition(_S.MEETING_ARRANGED, _E.HOLD_MEETING, _S.MEETING_HELD),
        Transition(_S.MEETING_HELD, _E.RECORD_OUTCOME, _S.OUTCOME_RECORDED),
        Transition(_S.OUTCOME_RECORDED, _E.CLOSE, _S.CLOSED),
    ]
    before_meeting = (
        _S.REFERRED,
        _S.SEEKING_AGREEMENT,
        _S.ALL_AGREED,
        _S.PROVIDER_ASSIGNED,
        _S.MEETING_ARRANGED,
    )
    rows += [Transition(s, _E.RECORD_ISSUE, s) for s in before_meeting]
    live = (
        _S.SEEKING_AGREEMENT,
        _S.ALL_AGREED,
        _S.PROVIDER_ASSIGNED,
        _S.MEETING_ARRANGED,
        _S.MEETING_HELD,
    )
    rows += [Transition(s, _E.WITHDRAW, _S.CLOSED) for s in live]
    rows += [Transition(s, _E.RECORD_ITEM, s) for s in (*live, _S.OUTCOME_RECORDED)]
    return rows


DR_MACHINE: StateMachine[DrState, DrEvent] = StateMachine(
    name="disagreement_resolution",
    states=DrState,
    events=DrEvent,
    initial=DrState.REFERRED,
    final=frozenset({DrState.CLOSED}),
    transitions=_rows(),
    rule_id="workflow.disagreement_resolution",
    citation=DR_PROCESS.cite(),
)
"""The disagreement-resolution state machine: which :class:`DrEvent` is allowed in which
:class:`DrState`, and where it leads."""

_ACTIONS = {e: f"dr.{e.value}" for e in DrEvent}
_DATETIME = dt.datetime
_UTC = dt.UTC
_DECLINED, _WITHDRAWN = ConsentDecision.DECLINED, ConsentDecision.WITHDRAWN
"""The audit action of each event (built once, not formatted on every step)."""

OUTCOME_AFTER_MEETING = Rule(
    "workflow.dr.outcome_after_meeting",
    "An outcome is recorded only after the meeting has been held.",
    DR_PROCESS.provenance,
)


def _parties(value: Iterable[CaseParty]) -> tuple[CaseParty, ...]:
    return tuple(value)


def _items(value: Iterable[RecordedItem]) -> tuple[RecordedItem, ...]:
    return tuple(value)


@frozen(kw_only=True, field_transformer=typed_fields)
class DisagreementResolutionCase(SharedViews):
    """One disagreement-resolution case. Build with :meth:`refer`."""

    KIND = "disagreement_resolution"
    PROCESS = Process.DISAGREEMENT_RESOLUTION

    case_id: str
    council: str
    created_at: dt.datetime
    state: DrState
    parties: tuple[CaseParty, ...] = field(converter=_parties)
    ledger: ConsentLedger
    issues: IssueList
    items: tuple[RecordedItem, ...] = field(default=(), converter=_items)
    provider: CaseParty | None = None
    independence_rules: tuple[str, ...] = ()
    meeting_date: dt.date | None = None
    arranged_on: dt.date | None = None
    held_on: dt.date | None = None
    closure: Closure | None = None
    closed_on: dt.date | None = None
    audit: AuditTrail
    settings: Settings = field(default=DEFAULT_SETTINGS, eq=False, repr=False,
                               validator=check_settings)

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def refer(
        cls,
        *,
        case_id: str,
        council: str,
        parties: Iterable[CaseParty],
        at: dt.datetime,
        actor: str,
        issues: Iterable[Issue] = (),
        settings: Settings = DEFAULT_SETTINGS,
    ) -> DisagreementResolutionCase:
        """A referral: the first state, with one audit entry."""
        check_case_ref(case_id, council)
        check_utc(at)
        check_actor(actor)
        chosen = tuple(parties)
        check_parties(chosen, at.date())
        issue_list = issue_list_of(issues)
        audit = append_entry(AuditTrail(case_id), actor=actor, action="dr.referred", at=at,
                             case_id=case_id, fields=("parties", "issues"))
        if type(settings) is not Settings:
            check_settings(None, None, settings)  # as __init__ checks it, last of the fields
        # The library's own class given values its __init__ keeps as they are: exact strs and
        # datetime (its type checks pass them), the machine's initial state (a DrState member),
        # ``chosen`` an exact tuple (its converter returns it) and the rest unchecked fields.
        if (_FAST_REFER and cls is _SELF and type(case_id) is str and type(council) is str
                and type(at) is _DATETIME):
            built: DisagreementResolutionCase = _REFER(
                case_id, council, at, _INITIAL, chosen, _LEDGER(_DR_PROCESS), issue_list,
                audit, settings)
            return built
        return cls(
            case_id=case_id,
            council=council,
            created_at=at,
            state=DR_MACHINE.initial,
            parties=chosen,
            ledger=ConsentLedger(Process.DISAGREEMENT_RESOLUTION),
            issues=issue_list,
            audit=audit,
            settings=settings,
        )

    # --- shared view ----------------------------------------------------------------------------

    @property
    def facilitator_ids(self) -> tuple[str, ...]:
        return (self.provider.party_id,) if self.provider else ()

    @property
    def deadlines(self) -> tuple[TrackedDeadline, ...]:
        return ()

    @property
    def is_final(self) -> bool:
        return DR_MACHINE.is_final(self.state)

    def last_event(self) -> CaseChange:
        """The latest change, minimised for plugins and notifications."""
        entry = self.audit.entries[-1]
        return CaseChange(
            case_id=self.case_id, council=self.council, kind=self.KIND, action=entry.action,
            state=self.state.value, at=entry.at, actor=entry.actor,
        )

    # --- internals ------------------------------------------------------------------------------

    def _step(
        self,
        event: DrEvent,
        *,
        at: dt.datetime,
        actor: str,
        fields: tuple[str, ...] = (),
        target: DrState | None = None,
        **changes: Any,
    ) -> DisagreementResolutionCase:
        """The new case: ``event`` taken (``target``: where :meth:`_begin` found the same event
        leads), with its audit entry."""
        if target is None:
            target = DR_MACHINE.target(self.state, event)
        audit = append_entry(self.audit, actor=actor, action=_ACTIONS[event], at=at,
                             case_id=self.case_id, fields=fields)
        # evolve_case(self, state=target, audit=audit, **changes), without a second dict.
        names = ("state", "audit", *changes)
        evolve = _EVOLVERS.get((type(self), names)) or evolver(type(self), names)
        return cast(DisagreementResolutionCase, evolve(self, target, audit, *changes.values()))

    def _begin(self, event: DrEvent, at: dt.datetime, actor: str) -> DrState:
        """Checks every action makes first, in this order: allowed here, then well-formed.
        Returns where ``event`` leads."""
        target = DR_MACHINE.target(self.state, event)
        # The checks' own answers for the common exact types, without their calls: check_utc
        # passes a datetime on the UTC singleton, check_actor an exact str its pattern matches.
        if type(at) is not _DATETIME or at.tzinfo is not _UTC:
            check_utc(at)
        if type(actor) is not str or ACTOR.fullmatch(actor) is None:
            check_actor(actor)
        if at < self.audit.entries[-1].at:
            raise InvalidInputError(
                "is earlier than the last change to the case", field="at",
                rule_id="audit.every_change_and_sensitive_read",
            )
        return target

    def _consent(
        self,
        party_id: str,
        decision: ConsentDecision,
        at: dt.datetime,
        recorded_by: str | None,
        on_behalf: bool,
        parties: Mapping[str, Party],
    ) -> tuple[ConsentLedger, list[str] | None]:
        """The ledger with the decision recorded, and the required parties where they were
        worked out for ``parties`` on the way (None: not)."""
        required = None
        if party_id in parties:
            required = self.ledger.required_parties(parties)
            if party_id not in required:
                raise ConsentRequiredError(
                    "a young person decides for themselves; a parent's decision is not "
                    "recorded for them unless acting for a young person who lacks capacity",
                    rule_id=YOUNG_PERSON_DECIDES.rule_id,
                    citation=YOUNG_PERSON_DECIDES.cite(),
                )
        entry = consent_entry(party_id, decision, at, recorded_by or party_id, on_behalf)
        return self.ledger.record(entry, parties), required

    # --- actions --------------------------------------------------------------------------------

    def seek_agreement(self, *, at: dt.datetime, actor: str) -> DisagreementResolutionCase:
        """Ask every party whether it agrees to take part (rule ``s57.voluntary``)."""
        target = self._begin(DrEvent.SEEK_AGREEMENT, at, actor)
        return self._step(DrEvent.SEEK_AGREEMENT, at=at, actor=actor, target=target)

    def record_issue(
        self, issue: Issue, *, at: dt.datetime, actor: str
    ) -> DisagreementResolutionCase:
        target = self._begin(DrEvent.RECORD_ISSUE, at, actor)
        issues = self.issues.add(issue)
        return self._step(DrEvent.RECORD_ISSUE, at=at, actor=actor, fields=("issues",),
                          target=target, issues=issues)

    def agree(
        self,
        party_id: str,
        *,
        at: dt.datetime,
        actor: str,
        recorded_by: str | None = None,
        on_behalf_lacking_capacity: bool = False,
    ) -> DisagreementResolutionCase:
        """Record a party's agreement; once every party has agreed the case moves on."""
        begun = self._begin(DrEvent.RECORD_AGREEMENT, at, actor)
        parties = self.party_map
        ledger, required = self._consent(
            party_id, ConsentDecision.AGREED, at, recorded_by, on_behalf_lacking_capacity,
            parties,
        )
        # The required parties depend only on the parties and the ledger's process, which
        # ``record`` of the library's own ledger carries over: worked out once.
        missing = (ledger.missing_among(required)
                   if required is not None and type(self.ledger) is ConsentLedger
                   else ledger.missing(parties))
        if missing:
            return self._step(DrEvent.RECORD_AGREEMENT, at=at, actor=actor, fields=("ledger",),
                              target=begun, ledger=ledger)
        return self._step(DrEvent.ALL_AGREED, at=at, actor=actor, fields=("ledger",),
                          ledger=ledger)

    def decline(
        self,
        party_id: str,
        *,
        at: dt.datetime,
        actor: str,
        recorded_by: str | None = None,
        on_behalf_lacking_capacity: bool = False,
    ) -> DisagreementResolutionCase:
        """A party declines: the case closes, with no effect on any right of appeal (rule
        ``s57.declining_no_effect_on_appeal``)."""
        target = self._begin(DrEvent.DECLINE, at, actor)
        ledger, _ = self._consent(
            party_id, ConsentDecision.DECLINED, at, recorded_by, on_behalf_lacking_capacity,
            self.party_map,
        )
        return self._step(
            DrEvent.DECLINE, at=at, actor=actor, fields=("ledger", "closure"), ledger=ledger,
            target=target,
            closure=Closure.DECLINED, closed_on=at.date(),
        )

    def withdraw(
        self,
        party_id: str,
        *,
        at: dt.datetime,
        actor: str,
        recorded_by: str | None = None,
        on_behalf_lacking_capacity: bool = False,
    ) -> DisagreementResolutionCase:
        """A party withdraws at any time: the process stops and the case closes (rule
        ``s57.withdraw_any_time``), with no effect on appeal rights."""
        target = self._begin(DrEvent.WITHDRAW, at, actor)
        ledger, _ = self._consent(
            party_id, ConsentDecision.WITHDRAWN, at, recorded_by, on_behalf_lacking_capacity,
            self.party_map,
        )
        return self._step(
            DrEvent.WITHDRAW, at=at, actor=actor, fields=("ledger", "closure"), ledger=ledger,
            target=target,
            closure=Closure.WITHDRAWN, closed_on=at.date(),
        )

    def assign_provider(
        self, provider_id: str, provider: Party, *, at: dt.datetime, actor: str
    ) -> DisagreementResolutionCase:
        """Assign the independent provider; the independence rules are checked first."""
        target = self._begin(DrEvent.ASSIGN_PROVIDER, at, actor)
        provider = detached(provider, field="provider")  # what is checked is what is stored
        if provider.kind is not PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER:
            raise InvalidInputError(
                "must be a disagreement-resolution provider", field="provider.kind",
                rule_id=DR_PROCESS.rule_id, citation=DR_PROCESS.cite(),
            )
        parties = self.party_map  # one reading of the case's parties for the three checks
        if provider_id in parties:
            raise InvalidInputError(
                "the provider cannot be one of the sides", field="provider_id",
                rule_id=DR_PROCESS.rule_id,
            )
        check = check_independence(
            provider,
            case_parties=parties.values(),
            health_in_issue=self.health_in_issue,
            settings=self.settings,
        )
        self._require_all_agreed(parties)
        return self._step(
            DrEvent.ASSIGN_PROVIDER, at=at, actor=actor, fields=("provider",), target=target,
            provider=CaseParty(provider_id, provider),
            independence_rules=tuple([r.rule_id for r in check.rules_applied]),
        )

    def arrange_meeting(
        self, *, meeting_date: dt.date, at: dt.datetime, actor: str
    ) -> DisagreementResolutionCase:
        """The meeting date is fixed: only with every party's live agreement."""
        target = self._begin(DrEvent.ARRANGE_MEETING, at, actor)
        check_date_order(meeting_date, at.date(), "meeting_date", "workflow.dr.meeting_date")
        self._require_all_agreed()
        return self._step(
            DrEvent.ARRANGE_MEETING, at=at, actor=actor, fields=("meeting_date",), target=target,
            meeting_date=meeting_date, arranged_on=at.date(),
        )

    def hold_meeting(
        self, *, on: dt.date, at: dt.datetime, actor: str
    ) -> DisagreementResolutionCase:
        """The meeting takes place on ``on``: only with every party's live agreement."""
        target = self._begin(DrEvent.HOLD_MEETING, at, actor)
        check_date_order(on, self.arranged_on, "on", "workflow.dr.meeting_date")
        if on > at.date():
            raise InvalidInputError("is in the future", field="on",
                                    rule_id="workflow.dr.meeting_date")
        self._require_all_agreed()
        return self._step(DrEvent.HOLD_MEETING, at=at, actor=actor, fields=("held_on",),
                          target=target, held_on=on)

    def record_item(
        self, item: RecordedItem, *, at: dt.datetime, actor: str
    ) -> DisagreementResolutionCase:
        """Record a note, document, offer or comment. Offers and comments made in the meeting
        are without prejudice (enforced by :class:`RecordedItem`) and only exist once the meeting
        has been held."""
        target = self._begin(DrEvent.RECORD_ITEM, at, actor)
        if item.in_meeting and self.held_on is None:
            raise InvalidInputError(
                "a meeting record needs a meeting that has been held", field="item.in_meeting",
                rule_id="workflow.dr.meeting_record",
            )
        items = add_item(self.items, item, facilitators=self.facilitator_ids)
        return self._step(DrEvent.RECORD_ITEM, at=at, actor=actor, fields=("items",),
                          target=target, items=items)

    def record_outcome(
        self,
        outcomes: Mapping[str, IssueOutcome],
        *,
        at: dt.datetime,
        actor: str,
    ) -> DisagreementResolutionCase:
        """The outcome on every issue (agreed / partly / not agreed), after the meeting."""
        target = self._begin(DrEvent.RECORD_OUTCOME, at, actor)
        issues = self.issues.with_outcomes(outcomes)
        return self._step(DrEvent.RECORD_OUTCOME, at=at, actor=actor, fields=("outcomes",),
                          target=target, issues=issues)

    def close(self, *, at: dt.datetime, actor: str) -> DisagreementResolutionCase:
        target = self._begin(DrEvent.CLOSE, at, actor)
        return self._step(DrEvent.CLOSE, at=at, actor=actor, fields=("closure",), target=target,
                          closure=Closure.OUTCOME, closed_on=at.date())

    # --- checks ---------------------------------------------------------------------------------

    @property
    def health_in_issue(self) -> bool:
        return Provision.HEALTH_CARE in self.issues.provisions() or any(
            p.party.kind in HEALTH_COMMISSIONING_BODIES for p in self.parties
        )

    def _require_all_agreed(self, parties: Mapping[str, Party] | None = None) -> None:
        # One reading of the ledger for both checks, in their order: stopped, then missing.
        positions = self.ledger.required_positions(
            self.party_map if parties is None else parties)
        for _, d in positions:
            if d is _DECLINED or d is _WITHDRAWN:
                raise ConsentRequiredError(
                    "a party has declined or withdrawn; the process has stopped",
                    rule_id=WITHDRAW_ANY_TIME.rule_id, citation=WITHDRAW_ANY_TIME.cite(),
                )
        _require_agreed(positions)

    @property
    def appeal_rights_affected(self) -> bool:
        """Always False: declining, withdrawing or not reaching agreement has no effect on any
        right of appeal (rule ``s57.declining_no_effect_on_appeal``)."""
        return False


_SELF = DisagreementResolutionCase
_INITIAL = DR_MACHINE.initial
_DR_PROCESS = Process.DISAGREEMENT_RESOLUTION
# refer's fast build, for the values named (every other field its default).
_REFER = builder(DisagreementResolutionCase, (
    "case_id", "council", "created_at", "state", "parties", "ledger", "issues", "audit",
    "settings"))
# ConsentLedger(process) with no entries, for a process that is exactly a Process member.
_LEDGER = builder(ConsentLedger, ("process",))
# The state's and the process's type checks pass exactly a member of their enum.
_FAST_REFER = type(_INITIAL) is DrState and type(_DR_PROCESS) is Process

RULES = (DR_PROCESS, VOLUNTARY, WITHDRAW_ANY_TIME, DECLINING_NO_EFFECT, OUTCOME_AFTER_MEETING)
