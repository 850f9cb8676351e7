"""The steps of a case as typed commands, and who may take each one.

A step says *what* happens (a party agrees, the meeting is held, a certificate is issued) and
never *who* does it: the actor comes from the council's directory
(:mod:`sen_disagreement.actors`), and every field a case records about who acted
(``recorded_by`` of an item or a consent entry, ``issued_by`` of a certificate) is derived from
that actor here. :data:`PERMISSIONS` is the one table of which roles may take which step; each row
cites the provision it rests on or is graded UNCONFIRMED where it is a judgement of this library.
:func:`apply_step` is the one engine both case types go through: authorise, then apply.

Steps validate their fields when built (enums are enums, ids are ids, dates are dates: the
shared :func:`~sen_disagreement._checks.typed_fields` checks, plus id shapes here), so a malformed
command is an :class:`~sen_disagreement.errors.InvalidInputError` naming the field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, cast

import attrs
from attrs import field, frozen

from sen_disagreement._checks import check_id, text_validator, typed_fields
from sen_disagreement.actors import Actor, Role
from sen_disagreement.appeals import MediationRoute, mediation_route
from sen_disagreement.disclosure import Disclosure, ItemKind, RecordedItem
from sen_disagreement.errors import AccessDeniedError, InvalidInputError, SenDisagreementError
from sen_disagreement.independence import MEDIATOR_INDEPENDENT
from sen_disagreement.parties import HEALTH_COMMISSIONING_BODIES, Party, PartyKind
from sen_disagreement.provenance import SEND_REGS_START, P, Provenance, Rule, S, U, cite
from sen_disagreement.workflow import Case, CaseParty, PartyContact
from sen_disagreement.workflow._case import DeadlineStatus, evolve_case
from sen_disagreement.workflow._typed import enum_frozenset
from sen_disagreement.workflow.access import acting_party
from sen_disagreement.workflow.audit import make_entry
from sen_disagreement.workflow.certificates import CertificateKind
from sen_disagreement.workflow.disagreement_resolution import (
    DR_MACHINE,
    DR_PROCESS,
    DisagreementResolutionCase,
    DrEvent,
)
from sen_disagreement.workflow.issues import Issue, IssueOutcome
from sen_disagreement.workflow.mediation import (
    MEDIATION_MACHINE,
    AgreedAction,
    MediationCase,
    MediationEvent,
    MediationState,
)
from sen_disagreement.workflow.mediation.agreement import ORDER_CLOCK_IDS
from sen_disagreement.workflow.mediation.machine import (
    ICB_CLOCK,
    NON_APPEALABLE_CLOCK,
    NOTIFY_LA_CLOCK,
)

__all__ = [
    "PERMISSIONS",
    "AcceptDecision",
    "ArrangeMeeting",
    "AssignProvider",
    "ChangeContact",
    "ChooseRoute",
    "Close",
    "ConfirmIssues",
    "ContactAdviser",
    "Decline",
    "DutyMet",
    "GiveInformation",
    "HoldMeeting",
    "IssueCertificate",
    "NotifyCommissioningBody",
    "Permission",
    "RecordAgreement",
    "RecordIssue",
    "RecordItem",
    "RecordOutcome",
    "SeekAgreement",
    "Step",
    "Sweep",
    "Withdraw",
    "acting_party",
    "apply_step",
    "authorise",
    "open_steps",
    "permission",
]

DR = DisagreementResolutionCase.KIND
MED = MediationCase.KIND

# --- validators ---------------------------------------------------------------------------------





def _local_id(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_id(value, attribute.name)



# --- the steps ------------------------------------------------------------------------------------


class Step:
    """A typed command. ``NAME`` is the step's name in both case types and in
    :data:`PERMISSIONS`."""

    __slots__ = ()
    NAME: ClassVar[str]


@frozen(kw_only=True, field_transformer=typed_fields)
class SeekAgreement(Step):
    """Ask every party whether it agrees to disagreement resolution."""

    NAME = "seek_agreement"


@frozen(kw_only=True, field_transformer=typed_fields)
class RecordIssue(Step):
    """Add an issue in disagreement to the case. Taken by the parent or young person or an LA
    officer, in both case types; for mediation these are what the parent or young person tells
    the LA they want to mediate about (SEND Regs 2014 reg 32(e))."""

    NAME = "record_issue"
    issue: Issue


@frozen(kw_only=True, field_transformer=typed_fields)
class AcceptDecision(Step):
    """A party's agreement: to disagreement resolution, or (mediation) the parent or young person
    telling the LA they want mediation (``told_la_on``)."""

    NAME = "agree"
    party_id: str = field(validator=_local_id)
    told_la_on: dt.date | None = None
    on_behalf_lacking_capacity: bool = False


@frozen(kw_only=True, field_transformer=typed_fields)
class Decline(Step):
    """A party declines (disagreement resolution), or the parent or young person tells the
    adviser they do not want mediation (``on``)."""

    NAME = "decline"
    party_id: str = field(validator=_local_id)
    on: dt.date | None = None
    on_behalf_lacking_capacity: bool = False


@frozen(kw_only=True, field_transformer=typed_fields)
class Withdraw(Step):
    """A party withdraws its agreement. Disagreement resolution: any party (family, LA or
    commissioning body) may, at any time, and the case closes (SEND Code of Practice 11.6).
    Mediation: the parent or young person no longer wants mediation (``on``, required): the
    process and its running duties to arrange stop, and the adviser owes a certificate within
    3 working days."""

    NAME = "withdraw"
    party_id: str = field(validator=_local_id)
    on: dt.date | None = None
    on_behalf_lacking_capacity: bool = False


@frozen(kw_only=True, field_transformer=typed_fields)
class AssignProvider(Step):
    """Assign the provider the council's plugins route the case to (never one the caller names)."""

    NAME = "assign_provider"


@frozen(kw_only=True, field_transformer=typed_fields)
class ContactAdviser(Step):
    """Mediation only: the parent or young person records contacting the mediation adviser on
    ``on`` (SEND Regs 2014 reg 33), which settles the adviser clock. ``adviser`` must be a
    mediation adviser, not a side of the case, and independent (CFA 2014 s.56(3))."""

    NAME = "contact_adviser"
    adviser_id: str = field(validator=_local_id)
    adviser: Party
    on: dt.date


@frozen(kw_only=True, field_transformer=typed_fields)
class GiveInformation(Step):
    """Mediation only: the mediation adviser records giving the parent or young person
    information and advice about pursuing mediation on ``on`` (CFA 2014 ss.55(2)-(3), 56(2))."""

    NAME = "give_information"
    on: dt.date


@frozen(kw_only=True, field_transformer=typed_fields)
class ConfirmIssues(Step):
    """Mediation only: an LA officer settles the recorded mediation issues (at least one).
    Where they include health care, the commissioning bodies must be parties and the LA's 3
    working days to tell them start (IPSEA, "the mediation process", regs 35-36)."""

    NAME = "confirm_issues"


@frozen(kw_only=True, field_transformer=typed_fields)
class NotifyCommissioningBody(Step):
    """Mediation only: an LA officer records telling commissioning body ``body_id`` (a party)
    the health care issues on ``on``; the 3-working-day clock is met once every body is told
    (IPSEA, "the mediation process"; the regulation number is UNCONFIRMED)."""

    NAME = "notify_commissioning_body"
    body_id: str = field(validator=_local_id)
    on: dt.date


@frozen(kw_only=True, field_transformer=typed_fields)
class ChooseRoute(Step):
    """The local authority records who arranges the mediation (it follows from the issues),
    which starts the 30 days to arrange it."""

    NAME = "choose_route"


@frozen(kw_only=True, field_transformer=typed_fields)
class ArrangeMeeting(Step):
    """Fix the meeting date; for mediation, with the independent mediator."""

    NAME = "arrange_meeting"
    meeting_date: dt.date
    mediator_id: str | None = None
    mediator: Party | None = None
    shorter_notice_agreed: bool = False

    def __attrs_post_init__(self) -> None:
        if (self.mediator_id is None) != (self.mediator is None):
            raise InvalidInputError("name both the mediator id and the mediator, or neither",
                                    field="mediator", rule_id="input.type")
        if self.mediator_id is not None:
            check_id(self.mediator_id, "mediator_id")
        if self.mediator is not None and not isinstance(self.mediator, Party):
            raise InvalidInputError("must be a Party", field="mediator", rule_id="input.type")


@frozen(kw_only=True, field_transformer=typed_fields)
class HoldMeeting(Step):
    """The meeting took place on ``on``, only with every party's live agreement. Recorded by
    the independent provider (disagreement resolution, CFA 2014 s.57(4)) or the mediator
    (mediation, s.52(4)); who records it is UNCONFIRMED. For mediation it starts the 3 working
    days for the certificate."""

    NAME = "hold_meeting"
    on: dt.date


@frozen(kw_only=True, field_transformer=typed_fields)
class RecordItem(Step):
    """Record a note, document, offer or comment. Who recorded it, and when, is the actor and the
    time of the step; a facilitator's record is never open (see :func:`apply_step`)."""

    NAME = "record_item"
    item_id: str = field(validator=_local_id)
    kind: ItemKind
    disclosure: Disclosure
    text: str = field(repr=False, validator=text_validator)
    in_meeting: bool = False


def _outcomes(value: object) -> tuple[tuple[str, IssueOutcome], ...]:
    if not isinstance(value, Mapping):
        raise InvalidInputError("must map issue ids to outcomes", field="outcomes",
                                rule_id="input.type")
    out = []
    for k, v in value.items():
        check_id(k, "outcomes")
        if not isinstance(v, IssueOutcome):
            raise InvalidInputError("must be an IssueOutcome", field=f"outcomes.{k}",
                                    rule_id="input.type")
        out.append((k, v))
    return tuple(sorted(out, key=lambda kv: kv[0]))


@frozen(kw_only=True, field_transformer=typed_fields)
class RecordOutcome(Step):
    """Disagreement resolution only: the provider records the meeting's outcome on each issue
    (``outcomes``: issue id to ``IssueOutcome``). Who records it is UNCONFIRMED; a
    mediation's outcomes come with :class:`RecordAgreement`."""

    NAME = "record_outcome"
    outcomes: tuple[tuple[str, IssueOutcome], ...] = field(converter=_outcomes)


@frozen(kw_only=True, field_transformer=typed_fields)
class IssueCertificate(Step):
    """Mediation only: issue the certificate the case's state calls for, dated ``on``. The
    mediation adviser issues it after declining or when mediation was not arranged in time, the
    mediator after mediation (CFA 2014 s.55(4)-(5); SEND Regs 2014 reg 34(1); the mediator's
    part is UNCONFIRMED)."""

    NAME = "issue_certificate"
    on: dt.date


def _actions(value: object) -> tuple[AgreedAction, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidInputError("must be a list of AgreedAction", field="actions",
                                rule_id="input.type")
    out = tuple(value)
    if not all(isinstance(a, AgreedAction) for a in out):
        raise InvalidInputError("must be a list of AgreedAction", field="actions",
                                rule_id="input.type")
    return out


def _periods(value: object) -> tuple[tuple[str, dt.date], ...]:
    if not value:
        return ()
    if not isinstance(value, Mapping):
        raise InvalidInputError("must map action ids to dates",
                                field="other_periods_in_writing", rule_id="input.type")
    for k, v in value.items():
        check_id(k, "other_periods_in_writing")
        if not isinstance(v, dt.date) or isinstance(v, dt.datetime):
            raise InvalidInputError("must be a date", field=f"other_periods_in_writing.{k}",
                                    rule_id="input.type")
    return tuple(sorted(value.items()))


def _optional_outcomes(value: object) -> tuple[tuple[str, IssueOutcome], ...]:
    return _outcomes(value) if value else ()


@frozen(kw_only=True, field_transformer=typed_fields)
class RecordAgreement(Step):
    """The written mediation agreement: the document the parties signed (recorded as a
    ``parties`` outcome) and the reg 42 actions it starts."""

    NAME = "record_agreement"
    document_id: str = field(validator=_local_id)
    text: str = field(repr=False)
    agreed_on: dt.date
    actions: tuple[AgreedAction, ...] = field(converter=_actions)
    other_periods_in_writing: tuple[tuple[str, dt.date], ...] = field(
        factory=tuple, converter=_periods
    )
    outcomes: tuple[tuple[str, IssueOutcome], ...] = field(
        factory=tuple, converter=_optional_outcomes
    )


@frozen(kw_only=True, field_transformer=typed_fields)
class DutyMet(Step):
    """Mediation only: a follow-up duty of the mediation agreement (the running deadline
    ``key``) was done on ``on``: met if in time, otherwise recorded as missed. Taken by an LA
    or commissioning body officer (SEND Regs 2014 reg 42(2)-(4))."""

    NAME = "duty_met"
    key: str
    on: dt.date


@frozen(kw_only=True, field_transformer=typed_fields)
class Close(Step):
    """Close the case: disagreement resolution by an LA officer or the provider once the outcome
    is recorded; mediation by an LA officer once no deadline is still running (the certificate
    issued, every duty met or missed). Who closes is UNCONFIRMED."""

    NAME = "close"


@frozen(kw_only=True, field_transformer=typed_fields)
class ChangeContact(Step):
    """A party's new contact details (email, UK phone, postal lines), replacing the ones the
    case holds, at any stage after the case is opened. Confidential personal data: the step's
    repr, its audit entry and every error name the parts changed, never a value. Messages sent
    from then on (including ones already queued: the dispatcher reads the address when it sends)
    go to the new details."""

    NAME = "change_contact"
    party_id: str = field(validator=_local_id)
    contact: PartyContact = field(repr=False)


@frozen(kw_only=True, field_transformer=typed_fields)
class Sweep(Step):
    """The daily clock sweep for one day (the system actor only)."""

    NAME = "sweep"
    today: dt.date


_STEP_NAMES: dict[type, str] = {
    cls: cls.NAME
    for cls in (SeekAgreement, RecordIssue, AcceptDecision, Decline, Withdraw, AssignProvider,
                ContactAdviser, GiveInformation, ConfirmIssues, NotifyCommissioningBody,
                ChooseRoute, ArrangeMeeting, HoldMeeting, RecordItem, RecordOutcome,
                IssueCertificate, RecordAgreement, DutyMet, Close, ChangeContact, Sweep)
}


# Built once: ``isinstance(step, A | B | C)`` builds the union on every call.
_CONSENT_STEP_CLASSES = (AcceptDecision, Decline, Withdraw)
# This module's step classes by identity (id -> the class itself, kept alive here, so an id
# found is the class's own): the ones authorise checks nothing further for, and all of them. A
# class is looked up by ``id`` and compared with ``is``, so no class (or metaclass) can pass
# for one of these by its equality.
_PLAIN_STEPS: dict[int, type] = {
    id(cls): cls for cls in _STEP_NAMES
    if cls not in (*_CONSENT_STEP_CLASSES, ChangeContact, ArrangeMeeting, IssueCertificate)
}
_OWN_STEPS: dict[int, type] = {id(cls): cls for cls in _STEP_NAMES}

# --- who may do what -----------------------------------------------------------------------


def _roles(value: Iterable[Role]) -> frozenset[Role]:
    return enum_frozenset(value, Role, field="roles")


@frozen(field_transformer=typed_fields)
class Permission:
    """Which roles may take ``step`` in cases of ``kinds``, and the rule that says so."""

    step: str
    kinds: frozenset[str]
    roles: frozenset[Role] = field(converter=_roles)
    rule: Rule


_MED = "https://www.legislation.gov.uk/uksi/2014/1530/part/2/crossheading/mediation/made"
_CFA57 = "https://www.legislation.gov.uk/ukpga/2014/6/notes/division/4/3/12/7"


def _row(step: str, kinds: Iterable[str], roles: Iterable[Role], summary: str,
         *citations: Any) -> Permission:
    # Every row rests on CFA 2014 Part 3 and the SEND Regulations, in force from 1 Sept 2014.
    return Permission(step, frozenset(kinds), frozenset(roles),
                      Rule(f"who.{step}.{'_'.join(sorted(kinds))}", summary,
                           Provenance(list(citations), valid_from=SEND_REGS_START)))


_F, _LA, _BODY = Role.FAMILY, Role.LA_OFFICER, Role.BODY_OFFICER
_PROV, _ADV, _MEDR = Role.PROVIDER, Role.MEDIATION_ADVISER, Role.MEDIATOR

PERMISSIONS: tuple[Permission, ...] = (
    _row("open", [DR], [_LA],
         "The local authority makes the disagreement-resolution arrangements, so its officer "
         "records a referral.",
         cite("CFA 2014 s.57(1)-(2)", P, _CFA57)),
    _row("open", [MED], [_LA],
         "The local authority gives notice of its appealable decision (reg 32), which opens the "
         "mediation case.",
         cite("SEND Regs 2014 reg 32", P, _MED)),
    _row("seek_agreement", [DR], [_LA],
         "The local authority, which makes the arrangements, asks the parties whether they agree.",
         cite("CFA 2014 s.57(2)", P, _CFA57), cite("who asks", U)),
    _row("record_issue", [DR, MED], [_F, _LA],
         "The issues come from the parent or young person and the local authority; for mediation "
         "the parent or young person tells the LA what they want to mediate about (reg 32(e)).",
         cite("SEND Regs 2014 reg 32(e)", P, _MED), cite("LA officer recording them", U)),
    _row("agree", [DR], [_F, _LA, _BODY],
         "Each party gives its own agreement; a representative only for a young person who "
         "lacks capacity.",
         cite("CFA 2014 s.57; Explanatory Notes para 274", P, _CFA57),
         cite("CFA 2014 s.80 (young people lacking capacity)", S)),
    _row("agree", [MED], [_F],
         "Only the parent or young person chooses mediation and tells the LA; the bodies must "
         "take part.",
         cite("CFA 2014 ss.53(2), 54(2)", S), cite("R (Kumar) v LB Hillingdon [2020] EWHC 3326 "
                                                  "(Admin)", P)),
    _row("decline", [DR], [_F, _LA, _BODY],
         "A party declines for itself; declining has no effect on any right of appeal.",
         cite("SEND Code of Practice 11.6", S)),
    _row("decline", [MED], [_F],
         "The parent or young person tells the mediation adviser they do not want mediation.",
         cite("SEND Regs 2014 reg 34(1) (heading read; body via SENDIASS)", S)),
    _row("withdraw", [DR], [_F, _LA, _BODY],
         "Any party may withdraw its own agreement at any time.",
         cite("SEND Code of Practice 11.6", S)),
    _row("withdraw", [MED], [_F],
         "The parent or young person may change their mind and no longer want mediation.",
         cite("Sefton 'Arranging Mediation'", S)),
    _row("assign_provider", [DR], [_LA],
         "The local authority makes the independent arrangements; the provider comes from the "
         "council's plugins, checked for independence.",
         cite("CFA 2014 s.57(1), (4)", P, _CFA57)),
    _row("contact_adviser", [MED], [_F],
         "The parent or young person contacts the mediation adviser. (An adviser cannot make "
         "itself the adviser of a case.)",
         cite("SEND Regs 2014 reg 33", P, _MED)),
    _row("give_information", [MED], [_ADV],
         "The mediation adviser gives information and advice about pursuing mediation.",
         cite("CFA 2014 s.55(2)-(3), s.56(2)", S)),
    _row("confirm_issues", [MED], [_LA],
         "The local authority, told the mediation issues, acts on them (and tells commissioning "
         "bodies where health care is in issue).",
         cite("IPSEA 'the mediation process' (regs 35-36)", S)),
    _row("notify_commissioning_body", [MED], [_LA],
         "The local authority tells each commissioning body the health care issues within 3 "
         "working days.",
         cite("IPSEA 'the mediation process'", S), cite("regulation number", U)),
    _row("choose_route", [MED], [_LA],
         "Who arranges the mediation follows from the issues; the LA records it.",
         cite("CFA 2014 ss.53-54", S)),
    _row("arrange_meeting", [DR], [_PROV, _LA],
         "The provider (or the LA that commissions it) fixes the meeting.",
         cite("who arranges a disagreement-resolution meeting", U)),
    _row("arrange_meeting", [MED], [_LA, _BODY],
         "The local authority (or, for health-only issues, the commissioning body) arranges the "
         "mediation with an independent mediator.",
         cite("CFA 2014 ss.53(3), 54(3)", S), cite("IPSEA 'the mediation process'", S)),
    _row("hold_meeting", [DR], [_PROV],
         "The independent provider runs the meeting and records that it took place.",
         cite("CFA 2014 s.57(4) (independence)", P, _CFA57), cite("who records it", U)),
    _row("hold_meeting", [MED], [_MEDR],
         "The independent mediator conducts the mediation and records that it took place.",
         cite("CFA 2014 s.52(4) (independent mediator)", S), cite("who records it", U)),
    _row("record_item", [DR], [_F, _LA, _BODY, _PROV],
         "Each party and the provider record their own material; a provider's records are "
         "confidential or without prejudice.",
         cite("SEND Code of Practice ch.11 via council pages (confidential, without prejudice)",
              S)),
    _row("record_item", [MED], [_F, _LA, _BODY, _ADV, _MEDR],
         "Each party, the adviser and the mediator record their own material; a facilitator's "
         "records are confidential or without prejudice.",
         cite("SEND Code of Practice ch.11 via council pages (confidential, without prejudice)",
              S)),
    _row("record_outcome", [DR], [_PROV],
         "The provider records the outcome of the meeting, issue by issue.",
         cite("who records the outcome", U)),
    _row("issue_certificate", [MED], [_ADV, _MEDR],
         "The mediation adviser issues the certificate after declining or when mediation was not "
         "arranged in time; the mediator issues the certificate after mediation "
         "(checked per kind).",
         cite("CFA 2014 s.55(4)-(5); SEND Regs 2014 reg 34(1)", S),
         cite("after mediation: the mediator (s.55(5) text not read)", U)),
    _row("record_agreement", [MED], [_MEDR],
         "The mediator records the written agreement the parties reached.",
         cite("SEND Regs 2014 reg 42(1)", P, _MED), cite("who records it", U)),
    _row("duty_met", [MED], [_LA, _BODY],
         "The body that owes a reg 42 duty records that it was done.",
         cite("SEND Regs 2014 reg 42(2)-(4)", P, _MED)),
    _row("close", [DR], [_LA, _PROV],
         "The LA or the provider closes a case once the outcome is recorded.",
         cite("who closes a case", U)),
    _row("close", [MED], [_LA],
         "The LA closes a mediation case once the certificate is issued and the duties settled.",
         cite("who closes a case", U)),
    _row("change_contact", [DR, MED], [_F, _BODY, _LA],
         "A party's contact details are changed by the party itself (a parent or young person "
         "for their own, a commissioning body's officer for the body's) or by an officer of the "
         "council that owns the case (which keeps the case record accurate); never by another "
         "party, a facilitator or the Tribunal's exporter.",
         cite("UK GDPR Art. 5(1)(d), 16 (accuracy; the data subject's right to rectification)",
              S),
         cite("who may change a party's contact details (a judgement of this library)", U)),
    _row("sweep", [DR, MED], [Role.SYSTEM],
         "Clock events (a deadline passing) are found by the library's daily sweep, never "
         "recorded by a person.",
         cite("SEND Regs 2014 regs 33, 42 (the clocks)", P, _MED)),
)
"""Which roles take which step in which kind of case, one row per step and kinds, each with the
rule (and citations) it rests on."""

_TABLE: dict[tuple[str, str], Permission] = {}
for _p in PERMISSIONS:
    for _k in _p.kinds:
        _TABLE[(_p.step, _k)] = _p


def permission(step: str, kind: str) -> Permission | None:
    """The row for ``step`` in a case of ``kind`` (None: no such step for that kind)."""
    return _TABLE.get((step, kind))


# --- attachment and authorisation -----------------------------------------------------------------


def _deny(
    actor: Actor, step: str, case_id: str, reason: str, rule: Rule | None
) -> AccessDeniedError:
    return AccessDeniedError(
        f"{actor.role.value} {actor.actor_id} may not {step.replace('_', ' ')} in case "
        f"{case_id}: {reason}",
        rule_id=rule.rule_id if rule else "who.unknown_step",
        citation=rule.cite() if rule else "no such step for this kind of case",
    )


def step_name(step: object) -> str:
    """The name of one of the library's own steps. The step's exact class decides, never a
    ``NAME`` a caller could give a subclass (a ``RecordOutcome`` named ``record_item`` once let
    anyone who records items record the outcome). The class is found by identity: a class
    whose metaclass hashes as one of these and claims equality would be found by a dict
    lookup, then checked as the class it posed as."""
    cls = type(step)
    name = _STEP_NAMES.get(cls) if _OWN_STEPS.get(id(cls)) is cls else None
    if name is None:
        raise InvalidInputError("must be one of the steps of sen_disagreement.workflow.steps",
                                field="step", rule_id="input.type")
    return name


def _check_for_another(case: Case, actor: Actor, step: Any, acting: str, name: str,
                       row: Permission) -> None:
    """Consent is the party's own; a representative decides only for a young person who lacks
    capacity, and only a parent recorded as acting for them is one."""
    party_map = case.party_map
    party = party_map.get(step.party_id)
    representative = party_map.get(acting)
    if not (step.on_behalf_lacking_capacity and actor.role is Role.FAMILY
            and party is not None and party.kind is PartyKind.YOUNG_PERSON
            and representative is not None
            and representative.acting_for_young_person_lacking_capacity):
        raise _deny(actor, name, case.case_id,
                    "a party decides for itself, not for another party", row.rule)


def _acting_as(case: Case, actor: Actor, name: str, row: Permission | None,
               councils: Iterable[str]) -> str:
    """The first of authorise's checks, shared with apply_step's own path: the step's row
    allows the actor's role, and the actor has a part in the case (the id it acts as)."""
    if row is None or actor.role not in row.roles:
        raise _deny(actor, name, case.case_id, "not a step this role takes",
                    row.rule if row else None)
    acting = acting_party(case, actor, councils=councils)
    if acting is None:
        raise _deny(actor, name, case.case_id, "has no part in this case", row.rule)
    return acting


def authorise(
    case: Case, actor: Actor, step: Step, *, councils: Iterable[str] = ()
) -> str:
    """The id ``actor`` acts as when taking ``step`` in ``case``; raise
    :class:`AccessDeniedError` (naming the role, the step and the rule, never case content) when
    the table or the actor's part in the case does not allow it."""
    name = step_name(step)
    row = _TABLE.get((name, case.kind))
    acting = _acting_as(case, actor, name, row, councils)
    assert row is not None  # _acting_as refuses a step with no row
    # Exactly one of this module's steps that none of the checks below is for. A check added
    # below for another step class must take that class out of _PLAIN_STEPS.
    if _PLAIN_STEPS.get(id(type(step))) is type(step):
        return acting
    if isinstance(step, _CONSENT_STEP_CLASSES) and acting != step.party_id:
        _check_for_another(case, actor, step, acting, name, row)
    if isinstance(step, ChangeContact):
        if step.party_id not in case.party_map:
            raise InvalidInputError("is not a party of this case", field="party_id",
                                    rule_id=row.rule.rule_id)
        if acting != step.party_id and actor.role is not Role.LA_OFFICER:
            raise _deny(actor, name, case.case_id,
                        "only the party itself or a council officer changes a party's contact "
                        "details", row.rule)
    if (isinstance(step, ArrangeMeeting) and isinstance(case, MediationCase)
            and actor.role is Role.BODY_OFFICER
            and case.route is not MediationRoute.COMMISSIONING_BODY):
        raise _deny(actor, name, case.case_id,
                    "a commissioning body arranges only health-only mediation", row.rule)
    if isinstance(step, IssueCertificate) and isinstance(case, MediationCase):
        after_mediation = case.state is MediationState.HELD
        wanted = Role.MEDIATOR if after_mediation else Role.MEDIATION_ADVISER
        if actor.role is not wanted:
            raise _deny(actor, name, case.case_id,
                        f"this certificate is issued by the {wanted.value.replace('_', ' ')}",
                        row.rule)
    return acting


# --- which steps are open ---------------------------------------------------------------------

# The machine event each step's action begins with (the first check the case itself makes).
# ``change_contact`` has none (allowed in every state) and ``sweep`` never refuses.
_DR_EVENTS: Mapping[str, DrEvent] = {
    "seek_agreement": DrEvent.SEEK_AGREEMENT, "record_issue": DrEvent.RECORD_ISSUE,
    "agree": DrEvent.RECORD_AGREEMENT, "decline": DrEvent.DECLINE,
    "withdraw": DrEvent.WITHDRAW, "assign_provider": DrEvent.ASSIGN_PROVIDER,
    "arrange_meeting": DrEvent.ARRANGE_MEETING, "hold_meeting": DrEvent.HOLD_MEETING,
    "record_item": DrEvent.RECORD_ITEM, "record_outcome": DrEvent.RECORD_OUTCOME,
    "close": DrEvent.CLOSE,
}
_MEDIATION_EVENTS: Mapping[str, MediationEvent] = {
    "contact_adviser": MediationEvent.CONTACT_ADVISER,
    "give_information": MediationEvent.GIVE_INFORMATION,
    "agree": MediationEvent.WANT_MEDIATION, "decline": MediationEvent.DECLINE_MEDIATION,
    "withdraw": MediationEvent.WITHDRAW, "record_issue": MediationEvent.RECORD_ISSUE,
    "confirm_issues": MediationEvent.CONFIRM_ISSUES,
    "notify_commissioning_body": MediationEvent.NOTIFY_COMMISSIONING_BODY,
    "choose_route": MediationEvent.CHOOSE_ROUTE,
    "arrange_meeting": MediationEvent.ARRANGE_MEETING,
    "hold_meeting": MediationEvent.HOLD_MEETING, "record_item": MediationEvent.RECORD_ITEM,
    "issue_certificate": MediationEvent.ISSUE_CERTIFICATE,
    "record_agreement": MediationEvent.RECORD_AGREEMENT, "duty_met": MediationEvent.DUTY_MET,
    "close": MediationEvent.CLOSE,
}
_CONSENT_STEPS = frozenset({"agree", "decline", "withdraw"})
_DUTY_CLOCKS = frozenset({*ORDER_CLOCK_IDS, NON_APPEALABLE_CLOCK, NOTIFY_LA_CLOCK})


def _decides(case: Case, actor: Actor, acting: str) -> bool:
    """Whether some party's consent decision is the actor's to record (its own, or a young
    person's it represents), as :func:`authorise` and the consent ledger allow."""
    parties = case.party_map
    required = case.ledger.required_parties(parties)
    if acting in required:
        return True
    representative = parties.get(acting)
    return (actor.role is Role.FAMILY and representative is not None
            and representative.acting_for_young_person_lacking_capacity
            and any(parties[p].kind is PartyKind.YOUNG_PERSON for p in required))


def _all_agreed(case: Case) -> bool:
    parties = case.party_map
    return not case.ledger.stopped(parties) and not case.ledger.missing(parties)


def _dr_ready(case: DisagreementResolutionCase, name: str) -> bool:
    """The state a disagreement-resolution step needs beyond its machine event."""
    if name in ("assign_provider", "arrange_meeting", "hold_meeting"):
        return _all_agreed(case)
    if name == "record_outcome":
        return bool(case.issues.issues) and not case.issues.outcomes
    return True


def _reopens(case: MediationCase) -> bool:
    """After a certificate, only a 'not arranged in time' one leaves mediation open."""
    if case.state is not MediationState.CERTIFICATE_ISSUED:
        return True
    return bool(case.certificates) and (
        case.certificates[-1].kind is CertificateKind.NOT_ARRANGED_IN_TIME)


def _bodies(case: MediationCase) -> set[str]:
    return {p.party_id for p in case.parties if p.party.kind in HEALTH_COMMISSIONING_BODIES}


def _mediation_ready(case: MediationCase, actor: Actor, name: str) -> bool:
    """The state (and, where the case decides it, the role) a mediation step needs beyond its
    machine event: the same checks its action makes before it looks at the step's fields."""
    told = dict(case.commissioning_bodies_notified)
    if name == "confirm_issues":
        return bool(case.issues.issues) and (not case.health_in_issue or bool(_bodies(case)))
    if name == "notify_commissioning_body":
        return case.deadline(ICB_CLOCK) is not None and bool(_bodies(case) - set(told))
    if name == "choose_route":
        try:
            route = mediation_route(case.issues.provisions()).route
        except SenDisagreementError:
            return False
        return route is not MediationRoute.COMMISSIONING_BODY or (
            bool(told) and not set(told) < _bodies(case))
    if name == "arrange_meeting":
        if actor.role is Role.BODY_OFFICER and case.route is not MediationRoute.COMMISSIONING_BODY:
            return False
        return _reopens(case) and _all_agreed(case)
    if name == "hold_meeting":
        return _reopens(case) and case.arranged_on is not None and _all_agreed(case)
    if name == "issue_certificate":
        after_mediation = case.state is MediationState.HELD
        issuer = case.mediator if after_mediation else case.adviser
        clock = case.deadline(case.certificate_clock) if case.certificate_clock else None
        return (actor.role is (Role.MEDIATOR if after_mediation else Role.MEDIATION_ADVISER)
                and case.adviser is not None and issuer is not None and clock is not None)
    if name == "record_agreement":
        return (bool(case.certificates) and case.held_on is not None
                and case.certificates[-1].kind is CertificateKind.AFTER_MEDIATION)
    if name == "duty_met":
        return case.agreement is not None and any(
            d.clock_id in _DUTY_CLOCKS and d.status is DeadlineStatus.RUNNING
            for d in case.deadlines)
    if name == "close":
        return all(d.status is not DeadlineStatus.RUNNING for d in case.deadlines)
    return True


def open_steps(
    case: Case, actor: Actor, *, councils: Iterable[str] = (), at: dt.datetime | None = None
) -> tuple[str, ...]:
    """The names of the steps ``actor`` may take in ``case`` now, in the order the steps are
    declared in this module: those :func:`apply_step` would not refuse for who the actor is
    (the permission table ``PERMISSIONS``, its part in the case, the role a state calls for)
    or for the case's state (its state machine and the state each action checks before it
    reads the step's fields). A step listed may still be refused for its fields (a date out
    of order, an id that is no party); ``assign_provider`` may still find no provider to
    route to.

    A consent step (``agree``, ``decline``, ``withdraw``) is listed when the actor has a
    decision of its own to record, or a young person's it represents. ``at`` is the time the
    step would be taken: one earlier than the case's last change opens none. No audit entry is
    written (asking is not an attempt)."""
    if not isinstance(cast(object, actor), Actor):
        raise InvalidInputError("must be an Actor", field="actor", rule_id="input.type")
    keys = tuple(councils)
    acting = acting_party(case, actor, councils=keys)
    if acting is None:
        return ()
    last = case.audit.entries[-1].at if case.audit.entries else None
    too_early = at is not None and last is not None and at < last
    out: list[str] = []
    for name in dict.fromkeys(_STEP_NAMES.values()):
        row = permission(name, case.kind)
        if row is None or actor.role not in row.roles:
            continue
        if name == "sweep":
            out.append(name)  # the daily sweep never refuses the system actor
            continue
        if too_early:
            continue
        if name == "change_contact":
            out.append(name)  # not a step of the process: every state, own party or officer
            continue
        if name in _CONSENT_STEPS and not _decides(case, actor, acting):
            continue
        if isinstance(case, DisagreementResolutionCase):
            ready = DR_MACHINE.can(case.state, _DR_EVENTS[name]) and _dr_ready(case, name)
        else:
            ready = (MEDIATION_MACHINE.can(case.state, _MEDIATION_EVENTS[name])
                     and _mediation_ready(case, actor, name))
        if ready:
            out.append(name)
    return tuple(out)


# --- the engine ---------------------------------------------------------------------------------


def apply_step(
    case: Case,
    actor: Actor,
    step: Step,
    *,
    at: dt.datetime,
    councils: Iterable[str] = (),
    provider: tuple[str, Party] | None = None,
) -> Case:
    """Authorise ``actor`` for ``step`` and apply it to ``case``: the one way both case types
    change. ``provider`` is the routed (provider id, party) for :class:`AssignProvider`."""
    # One of this module's own step classes (the common case, found by identity) is a Step;
    # an Actor is one.
    cls = type(step)
    own = _OWN_STEPS.get(id(cls)) is cls
    if not own and not isinstance(step, Step):
        raise InvalidInputError("must be a Step", field="step", rule_id="input.type")
    if type(actor) is not Actor and not isinstance(actor, Actor):
        raise InvalidInputError("must be an Actor", field="actor", rule_id="input.type")
    fast = (_DR_FAST.get(cls) if own and type(case) is _DR_CASE and type(actor) is Actor
            else None)
    if fast is not None and type(case).KIND is _DR_KIND:
        # authorise and the dispatch below, for the library's own case class and one of the
        # steps authorise checks nothing more for on it than its row, the actor's part and
        # (consent) whose decision it is: the same checks in the same order, found by class.
        name, row, action = fast
        acting = _acting_as(case, actor, name, row, councils)
        assert row is not None  # _acting_as refuses a step with no row
        if cls in _CONSENT_STEP_CLASSES and acting != step.party_id:  # type: ignore[attr-defined]
            _check_for_another(case, actor, step, acting, name, row)
        if action is None:
            raise _unsupported(step, case.KIND)
        fast_result: DisagreementResolutionCase = action(case, acting, actor.actor_id, step, at,
                                                         provider)
        return fast_result
    acting = authorise(case, actor, step, councils=councils)
    who = actor.actor_id
    if isinstance(step, ChangeContact):
        return _change_contact(case, who, step, at)
    if isinstance(case, DisagreementResolutionCase):
        # By the step's exact class, as step_name (in authorise) named it.
        action = _DR_ACTIONS.get(type(step))
        if action is None:
            raise _unsupported(step, case.KIND)
        result: DisagreementResolutionCase = action(case, acting, who, step, at, provider)
        return result
    return _apply_mediation(case, acting, who, step, at)


def _change_contact(case: Case, who: str, step: ChangeContact, at: dt.datetime) -> Case:
    """``case`` with the party's new contact details and an audit entry naming the parts that
    changed (``parties.<id>.contact.email``...), never their values. The case's state and
    clocks are untouched: it is not a step of the process, so it is allowed in every state."""
    last = case.audit.entries[-1].at if case.audit.entries else None
    if last is not None and at < last:
        raise InvalidInputError("is earlier than the last change to the case", field="at",
                                rule_id="audit.every_change_and_sensitive_read")
    old = next(p.contact for p in case.parties if p.party_id == step.party_id)
    new = step.contact
    changed = [part for part in ("email", "phone", "postal")
               if getattr(old, part, None if part != "postal" else ()) != getattr(new, part)]
    prefix = f"parties.{step.party_id}.contact"
    fields = tuple(f"{prefix}.{part}" for part in changed) or (prefix,)
    parties = tuple(CaseParty(p.party_id, p.party, new) if p.party_id == step.party_id else p
                    for p in case.parties)
    prefix_of_kind = "dr" if isinstance(case, DisagreementResolutionCase) else "mediation"
    entry = make_entry(actor=who, action=f"{prefix_of_kind}.{step.NAME}", at=at,
                       case_id=case.case_id, fields=fields,
                       outcome="ok" if changed else "unchanged")
    return evolve_case(case, parties=parties, audit=case.audit.append(entry))


def _item(acting: str, at: dt.datetime, step: RecordItem) -> RecordedItem:
    return RecordedItem(item_id=step.item_id, kind=step.kind, disclosure=step.disclosure,
                        recorded_at=at, recorded_by=acting, in_meeting=step.in_meeting,
                        text=step.text)


def _unsupported(step: Step, kind: str) -> InvalidInputError:
    return InvalidInputError(f"{step.NAME} is not a step of a {kind} case", field="step",
                             rule_id="who.unknown_step")


def _dr_seek(case: DisagreementResolutionCase, acting: str, who: str, step: Any,
             at: dt.datetime, provider: tuple[str, Party] | None) -> DisagreementResolutionCase:
    return case.seek_agreement(at=at, actor=who)


def _dr_issue(case: DisagreementResolutionCase, acting: str, who: str, step: Any,
              at: dt.datetime, provider: tuple[str, Party] | None) -> DisagreementResolutionCase:
    return case.record_issue(step.issue, at=at, actor=who)


def _dr_consent(case: DisagreementResolutionCase, acting: str, who: str, step: Any,
                at: dt.datetime, provider: tuple[str, Party] | None
                ) -> DisagreementResolutionCase:
    # _DR_ACTIONS dispatches here by the step's exact class, one of these three.
    cls = type(step)
    method = (case.agree if cls is AcceptDecision
              else case.decline if cls is Decline else case.withdraw)
    return method(step.party_id, at=at, actor=who, recorded_by=acting,
                  on_behalf_lacking_capacity=step.on_behalf_lacking_capacity)


def _dr_provider(case: DisagreementResolutionCase, acting: str, who: str, step: Any,
                 at: dt.datetime, provider: tuple[str, Party] | None
                 ) -> DisagreementResolutionCase:
    if provider is None:
        raise InvalidInputError("no provider was routed for this case", field="provider",
                                rule_id=DR_PROCESS.rule_id)
    return case.assign_provider(provider[0], provider[1], at=at, actor=who)


def _dr_arrange(case: DisagreementResolutionCase, acting: str, who: str, step: Any,
                at: dt.datetime, provider: tuple[str, Party] | None
                ) -> DisagreementResolutionCase:
    if step.mediator is not None:
        raise InvalidInputError("disagreement resolution has a provider, not a mediator",
                                field="mediator", rule_id="input.type")
    return case.arrange_meeting(meeting_date=step.meeting_date, at=at, actor=who)


def _dr_hold(case: DisagreementResolutionCase, acting: str, who: str, step: Any,
             at: dt.datetime, provider: tuple[str, Party] | None) -> DisagreementResolutionCase:
    return case.hold_meeting(on=step.on, at=at, actor=who)


def _dr_item(case: DisagreementResolutionCase, acting: str, who: str, step: Any,
             at: dt.datetime, provider: tuple[str, Party] | None) -> DisagreementResolutionCase:
    return case.record_item(_item(acting, at, step), at=at, actor=who)


def _dr_outcome(case: DisagreementResolutionCase, acting: str, who: str, step: Any,
                at: dt.datetime, provider: tuple[str, Party] | None
                ) -> DisagreementResolutionCase:
    return case.record_outcome(dict(step.outcomes), at=at, actor=who)


def _dr_close(case: DisagreementResolutionCase, acting: str, who: str, step: Any,
              at: dt.datetime, provider: tuple[str, Party] | None) -> DisagreementResolutionCase:
    return case.close(at=at, actor=who)


def _dr_sweep(case: DisagreementResolutionCase, acting: str, who: str, step: Any,
              at: dt.datetime, provider: tuple[str, Party] | None) -> DisagreementResolutionCase:
    return case


# By the step's exact class, as step_name (called by authorise first) names it: a subclass of a
# step is refused before it gets here.
_DR_ACTIONS: dict[type, Any] = {
    SeekAgreement: _dr_seek, RecordIssue: _dr_issue, AcceptDecision: _dr_consent,
    Decline: _dr_consent, Withdraw: _dr_consent, AssignProvider: _dr_provider,
    ArrangeMeeting: _dr_arrange, HoldMeeting: _dr_hold, RecordItem: _dr_item,
    RecordOutcome: _dr_outcome, Close: _dr_close, Sweep: _dr_sweep,
}

_DR_CASE = DisagreementResolutionCase
_DR_KIND = DisagreementResolutionCase.KIND
# authorise's further checks of these steps are for a MediationCase only (a test holds that).
_DR_UNCHECKED = (ArrangeMeeting, IssueCertificate)
# apply_step's path for a disagreement-resolution case, by the step's exact class: (its name,
# its row of the table for the case's kind, its action). Only the classes authorise returns
# early for, those it checks further on a mediation case only, and the consent steps, whose one
# further check it shares (_check_for_another); any other class goes through authorise.
_DR_FAST: dict[type, tuple[str, Permission | None, Any]] = {
    cls: (_STEP_NAMES[cls], _TABLE.get((_STEP_NAMES[cls], _DR_KIND)), _DR_ACTIONS.get(cls))
    for cls in (*_PLAIN_STEPS.values(), *_DR_UNCHECKED, *_CONSENT_STEP_CLASSES)
}


def _apply_mediation(
    case: MediationCase, acting: str, who: str, step: Step, at: dt.datetime
) -> MediationCase:
    if isinstance(step, ContactAdviser):
        return case.contact_adviser(step.adviser_id, step.adviser, on=step.on, at=at, actor=who)
    if isinstance(step, GiveInformation):
        return case.give_information(on=step.on, at=at, actor=who)
    if isinstance(step, Decline):
        return case.decline_mediation(step.party_id, on=_on(step.on, "on"), at=at, actor=who,
                                      recorded_by=acting,
                                      on_behalf_lacking_capacity=step.on_behalf_lacking_capacity)
    if isinstance(step, AcceptDecision):
        return case.want_mediation(step.party_id, told_la_on=_on(step.told_la_on, "told_la_on"),
                                   at=at, actor=who, recorded_by=acting,
                                   on_behalf_lacking_capacity=step.on_behalf_lacking_capacity)
    if isinstance(step, Withdraw):
        return case.withdraw(step.party_id, on=_on(step.on, "on"), at=at, actor=who,
                             recorded_by=acting,
                             on_behalf_lacking_capacity=step.on_behalf_lacking_capacity)
    if isinstance(step, RecordIssue):
        return case.record_issue(step.issue, at=at, actor=who)
    if isinstance(step, ConfirmIssues):
        return case.confirm_issues(at=at, actor=who)
    if isinstance(step, NotifyCommissioningBody):
        return case.notify_commissioning_body(step.body_id, on=step.on, at=at, actor=who)
    if isinstance(step, ChooseRoute):
        return case.choose_route(at=at, actor=who)
    if isinstance(step, ArrangeMeeting):
        if step.mediator_id is None or step.mediator is None:
            raise InvalidInputError("mediation is arranged with a named mediator",
                                    field="mediator", rule_id=MEDIATOR_INDEPENDENT)
        return case.arrange_meeting(step.mediator_id, step.mediator,
                                    meeting_date=step.meeting_date, at=at, actor=who,
                                    shorter_notice_agreed=step.shorter_notice_agreed)
    if isinstance(step, HoldMeeting):
        return case.hold_meeting(on=step.on, at=at, actor=who)
    if isinstance(step, RecordItem):
        return case.record_item(_item(acting, at, step), at=at, actor=who)
    if isinstance(step, IssueCertificate):
        return case.issue_certificate(on=step.on, at=at, actor=who)
    if isinstance(step, RecordAgreement):
        document = RecordedItem(item_id=step.document_id, kind=ItemKind.OUTCOME,
                                disclosure=Disclosure.PARTIES, recorded_at=at,
                                recorded_by=acting, in_meeting=False, text=step.text)
        return case.record_agreement(
            document, agreed_on=step.agreed_on, actions=step.actions, at=at, actor=who,
            other_periods_in_writing=dict(step.other_periods_in_writing) or None,
            outcomes=dict(step.outcomes) if step.outcomes else None,
        )
    if isinstance(step, DutyMet):
        return case.duty_met(step.key, on=step.on, at=at, actor=who)
    if isinstance(step, Close):
        return case.close(at=at, actor=who)
    if isinstance(step, Sweep):
        return case.tick(step.today, at=at)
    raise _unsupported(step, case.KIND)


def _on(day: dt.date | None, name: str) -> dt.date:
    if day is None:
        raise InvalidInputError("is needed for a mediation case", field=name,
                                rule_id="input.type")
    return day

