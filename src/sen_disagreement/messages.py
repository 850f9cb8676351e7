"""The messages the law attaches to a case's steps, as kinds with an allow-list of fields.

Each :class:`MessageKind` says which rule requires (or, for reminders and alerts, which judgement
of this library motivates) the communication, who receives it (one recipient per message), the
media it prefers, and the **only** personalisation fields it may carry. The fields are a closed
universe (:data:`FIELD_SHAPES`): the case reference, dates, the council's name and its casework
contact's office name, phone and email, a certificate's kind, a deadline's clock id, and for an
alert the failed kind and outbox number. Nothing recorded in disagreement resolution or
mediation, no health detail, and no child's or parent's name is ever a field: a case reference
identifies the case to a recipient who knows it, and a message sent to a wrong or stale address
then discloses nothing about the child.

How a message travels:

1. **Built with the change.** :func:`for_change` compares the stored case with its successor
   and returns the :class:`~sen_disagreement.store.OutboxMessage` s the law attaches to what
   happened (the ICB clock starting, the adviser told, a certificate issued, a mediation date
   fixed, reg 42 duties starting). :class:`~sen_disagreement.service.CaseService` saves them in
   the same transaction as the case. :func:`reminder` builds the sweep's reminders and
   :func:`alert` the dead-letter alert.
2. **No personal data in the outbox.** ``template`` is the kind's name and ``payload_ref`` an
   event reference and a recipient reference (``deadline/<case>/<clock>/<due>#party:parent``,
   ``...#contact:sen_casework_team``); the idempotency key is a hash of (case, kind, recipient,
   event), so a retried step or sweep never queues a message twice.
3. **Resolved at send time.** :func:`resolve` reads the stored case and the council plugin's
   contacts, works out the address and the personalisation, and checks every field against the
   kind's allow-list and its shape; a field outside the list raises :class:`MessageError`
   (``notify.allow_list``) and the dispatcher dead-letters the message, never sending it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence

from attrs import field, frozen

from sen_disagreement._checks import CASE_ID
from sen_disagreement._enum import Enum
from sen_disagreement.channels import Address, Medium
from sen_disagreement.council import Contact, ContactRole, CouncilProfile
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.parties import PartyKind
from sen_disagreement.provenance import Provenance, Rule, U, cite, registered
from sen_disagreement.store.contract import APPEAL_STATUS, DeadlineHit, OutboxMessage
from sen_disagreement.workflow import Case, MediationCase
from sen_disagreement.workflow.certificates import CERTIFICATE_CONTENT, CertificateKind
from sen_disagreement.workflow.mediation.agreement import REG_42
from sen_disagreement.workflow.mediation.arranging import MEDIATION_DATE_NOTICE
from sen_disagreement.workflow.mediation.machine import ICB_CLOCK, MediationState
from sen_disagreement.workflow.mediation.sweep import NOT_ARRANGED_DETECTION

__all__ = [
    "ALERT_CHANNEL",
    "FIELD_SHAPES",
    "KINDS",
    "REMINDER_CHANNEL",
    "STATUTORY_CHANNEL",
    "Audience",
    "MessageError",
    "MessageKind",
    "Resolved",
    "alert",
    "for_change",
    "kind_of",
    "parse_ref",
    "reminder",
    "resolve",
]

STATUTORY_CHANNEL = "statutory"
"""The outbox ``channel`` column of a statutory message (the real channel is chosen when it is
sent, from the council's plugins)."""
REMINDER_CHANNEL = "reminder"
"""The outbox ``channel`` of a reminder (of a duty or an appeal deadline falling due)."""
ALERT_CHANNEL = "alert"
"""The outbox ``channel`` of an alert to the council's casework team (a message not delivered)."""

DEADLINE_REMINDER = Rule(
    "notify.deadline_reminder",
    "The council's SEN casework team is reminded a few working days before each running "
    "statutory duty of a case falls due.",
    Provenance([cite("reminding officers before a duty falls due (a judgement of this "
                     "library)", U)]),
)
APPEAL_REMINDER = Rule(
    "notify.appeal_deadline_reminder",
    "The council's SEN casework team is reminded a few working days before the appeal "
    "deadline of a mediation case.",
    Provenance([cite("reminding officers of a family's appeal deadline (a judgement of this "
                     "library)", U)]),
)
DEAD_LETTER_ALERT = Rule(
    "notify.dead_letter_alert",
    "A message that could not be delivered is never dropped silently: the council's SEN "
    "casework team is told which message of which case failed, so it is sent another way.",
    Provenance([cite("alerting the council to an undelivered statutory message (a judgement "
                     "of this library)", U)]),
)


class MessageError(InvalidInputError):
    """A message that must not be sent as it stands (a field outside its kind's allow-list, a
    recipient the case does not have, no address): the dispatcher dead-letters it. The message
    names the field and the rule, never a value."""


def _bad(field_name: str, message: str, rule: str) -> MessageError:
    return MessageError(message, field=field_name, rule_id=f"notify.{rule}")


# --- fields -------------------------------------------------------------------------------------

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_OFFICE = re.compile(r"[^\x00-\x1f\x7f]{1,200}")
_PHONE = re.compile(r"(?:0|\+44 ?)[0-9](?: ?[0-9]){8,9}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_CLOCK_KEY = re.compile(r"[a-z0-9_.]{1,100}")
_NUMBER = re.compile(r"[0-9]{1,18}")

FIELD_SHAPES: Mapping[str, re.Pattern[str]] = {
    "case_reference": CASE_ID,
    "council_name": _OFFICE,
    "contact_name": _OFFICE,
    "contact_phone": _PHONE,
    "contact_email": _EMAIL,
    "due_date": _DATE,
    "told_on": _DATE,
    "meeting_date": _DATE,
    "issued_on": _DATE,
    "appeal_deadline": _DATE,
    "certificate_kind": re.compile("|".join(k.value for k in CertificateKind)),
    "deadline": _CLOCK_KEY,
    "failed_kind": re.compile(r"[a-z][a-z0-9_]{0,63}"),
    "message_number": _NUMBER,
}
"""Every personalisation field any kind may carry, with the shape its value must have. The
council's name and contact are the office-level details its plugin publishes."""

_CONTACT_FIELDS = ("council_name", "contact_name", "contact_phone", "contact_email")


class Audience(Enum):
    """Who a kind is sent to."""

    FAMILY = "family"
    """Each parent or young person of the case (a case party with contact details)."""
    COMMISSIONING_BODY = "commissioning_body"
    """Each health commissioning body of the case (ICB, NHS England, a former CCG)."""
    CONTACT = "contact"
    """A council contact from the plugin (:class:`~sen_disagreement.council.ContactRole`)."""


_FAMILY_KINDS = frozenset({PartyKind.PARENT, PartyKind.YOUNG_PERSON})
_BODY_KINDS = frozenset({PartyKind.INTEGRATED_CARE_BOARD, PartyKind.NHS_ENGLAND,
                         PartyKind.CLINICAL_COMMISSIONING_GROUP})


def _fields(value: Iterable[str]) -> frozenset[str]:
    out = frozenset(value)
    unknown = out - set(FIELD_SHAPES)
    if unknown:
        msg = f"fields outside the universe: {sorted(unknown)}"
        raise ValueError(msg)
    return out


@frozen(kw_only=True)
class MessageKind:
    """One kind of message: its rule, its recipient, its media and its allow-list."""

    name: str
    summary: str
    rule_id: str
    """A registered rule or a statutory clock (``rules.get(rule_id)``)."""
    audience: Audience
    contact_role: ContactRole | None = None
    media: tuple[Medium, ...]
    """In order of preference; the first one the recipient has an address for and a channel of
    the council delivers is used."""
    fields: frozenset[str] = field(converter=_fields)
    channel: str = STATUTORY_CHANNEL

    @property
    def recipient(self) -> str:
        """Who receives it, in words."""
        if self.audience is Audience.FAMILY:
            return "the parent or young person"
        if self.audience is Audience.COMMISSIONING_BODY:
            return "each health commissioning body"
        assert self.contact_role is not None
        return f"the council's {self.contact_role.label}"

    def cite(self) -> str:
        rule = registered(self.rule_id)
        if rule is not None:
            return rule.cite()
        # The clock table (~10 ms to import) only when a kind cites a clock: the common path
        # (queueing a change's messages) never does.
        from sen_disagreement.clocks import CLOCKS

        clock = CLOCKS.get(self.rule_id)
        return clock.provenance.cite() if clock is not None else self.rule_id

    def check_fields(self, personalisation: Mapping[str, str]) -> dict[str, str]:
        """``personalisation`` if every field is on this kind's allow-list and has its shape;
        otherwise :class:`MessageError` naming the field (never the value)."""
        out: dict[str, str] = {}
        for name, value in personalisation.items():
            if name not in self.fields:
                shown = name if _CLOCK_KEY.fullmatch(name) else "?"
                raise _bad(f"personalisation.{shown}",
                           f"is not on the allow-list of message kind {self.name}", "allow_list")
            if FIELD_SHAPES[name].fullmatch(value) is None:
                raise _bad(f"personalisation.{name}", "does not have the field's shape",
                           "allow_list")
            out[name] = value
        return out


_EMAIL_FIRST = (Medium.EMAIL, Medium.LETTER)
_ALL = (Medium.EMAIL, Medium.SMS, Medium.LETTER)

HEALTH_ISSUES = MessageKind(
    name="health_issues_to_commissioning_body",
    summary="The local authority tells each health commissioning body that health issues are "
    "in a mediation (within 3 working days of being told mediation is wanted).",
    rule_id=ICB_CLOCK, audience=Audience.COMMISSIONING_BODY, media=_EMAIL_FIRST,
    fields={"case_reference", "due_date", *_CONTACT_FIELDS},
)
ADVISER_TOLD = MessageKind(
    name="adviser_told_not_arranged",
    summary="The mediation adviser is told that mediation was not arranged within 30 days, and "
    "must issue a certificate within 3 working days.",
    rule_id=NOT_ARRANGED_DETECTION.rule_id, audience=Audience.CONTACT,
    contact_role=ContactRole.MEDIATION_ADVISER, media=_EMAIL_FIRST,
    fields={"case_reference", "told_on", "due_date", "council_name"},
)
CERTIFICATE_ISSUED = MessageKind(
    name="certificate_issued",
    summary="The parent or young person receives notice of the mediation certificate issued "
    "(its kind, date and the appeal deadline).",
    rule_id=CERTIFICATE_CONTENT.rule_id, audience=Audience.FAMILY, media=_EMAIL_FIRST,
    fields={"case_reference", "certificate_kind", "issued_on", "appeal_deadline",
            *_CONTACT_FIELDS},
)
DATE_NOTICE = MessageKind(
    name="mediation_date_notice",
    summary="The parent or young person is given notice of the date of the mediation.",
    rule_id=MEDIATION_DATE_NOTICE.rule_id, audience=Audience.FAMILY, media=_ALL,
    fields={"case_reference", "meeting_date", *_CONTACT_FIELDS},
)
REG42_DUE = MessageKind(
    name="reg42_duty_due",
    summary="The council's casework team is told of each reg 42 follow-up duty a written "
    "mediation agreement starts, and when it falls due.",
    rule_id=REG_42.rule_id, audience=Audience.CONTACT,
    contact_role=ContactRole.SEN_CASEWORK_TEAM, media=_EMAIL_FIRST,
    fields={"case_reference", "deadline", "due_date"},
)
DUTY_REMINDER = MessageKind(
    name="deadline_reminder",
    summary="The casework team is reminded of a running duty due within a few working days.",
    rule_id=DEADLINE_REMINDER.rule_id, audience=Audience.CONTACT,
    contact_role=ContactRole.SEN_CASEWORK_TEAM, media=_EMAIL_FIRST,
    fields={"case_reference", "deadline", "due_date"}, channel=REMINDER_CHANNEL,
)
APPEAL_DEADLINE_REMINDER = MessageKind(
    name="appeal_deadline_reminder",
    summary="The casework team is reminded of a mediation case's appeal deadline.",
    rule_id=APPEAL_REMINDER.rule_id, audience=Audience.CONTACT,
    contact_role=ContactRole.SEN_CASEWORK_TEAM, media=_EMAIL_FIRST,
    fields={"case_reference", "deadline", "due_date"}, channel=REMINDER_CHANNEL,
)
DELIVERY_FAILED = MessageKind(
    name="delivery_failed",
    summary="The casework team is told that a message of a case could not be delivered.",
    rule_id=DEAD_LETTER_ALERT.rule_id, audience=Audience.CONTACT,
    contact_role=ContactRole.SEN_CASEWORK_TEAM, media=_EMAIL_FIRST,
    fields={"case_reference", "failed_kind", "message_number"}, channel=ALERT_CHANNEL,
)

KINDS: Mapping[str, MessageKind] = {k.name: k for k in (
    HEALTH_ISSUES, ADVISER_TOLD, CERTIFICATE_ISSUED, DATE_NOTICE, REG42_DUE, DUTY_REMINDER,
    APPEAL_DEADLINE_REMINDER, DELIVERY_FAILED,
)}
"""Every message kind, by name (the outbox ``template``)."""


def kind_of(name: str) -> MessageKind:
    """The :class:`MessageKind` named ``name`` (an outbox ``template``); an unknown name is an
    :class:`~sen_disagreement.errors.InvalidInputError`."""
    found = KINDS.get(name)
    if found is None:
        raise _bad("template", "is not a known message kind", "kind")
    return found


# --- building -----------------------------------------------------------------------------------

_RECIPIENT = re.compile(r"(party|contact):([a-z0-9][a-z0-9_-]{0,63})")
_EVENT = re.compile(r"(deadline|certificate|meeting|failed)/[\x21-\x7e]{1,400}")


def _message(case_id: str, kind: MessageKind, recipient: str, event: str,
             not_before: dt.datetime | None = None) -> OutboxMessage:
    if _RECIPIENT.fullmatch(recipient) is None:
        raise _bad("recipient", "must be party:<id> or contact:<role>", "recipient")
    if _EVENT.fullmatch(event) is None or "#" in event:
        raise _bad("event", "must be an event reference", "payload_ref")
    digest = hashlib.sha256(f"{case_id}\0{kind.name}\0{recipient}\0{event}".encode()).hexdigest()
    return OutboxMessage(case_id=case_id, channel=kind.channel, template=kind.name,
                         idempotency_key=f"msg.{digest[:48]}", payload_ref=f"{event}#{recipient}",
                         not_before=not_before)


def parse_ref(payload_ref: str) -> tuple[str, str, str]:
    """(event, recipient kind ``party``/``contact``, recipient id) of a payload reference."""
    event, sep, recipient = payload_ref.rpartition("#")
    match = _RECIPIENT.fullmatch(recipient)
    if not sep or match is None or _EVENT.fullmatch(event) is None:
        raise _bad("payload_ref", "is not an event and recipient reference", "payload_ref")
    return event, match.group(1), match.group(2)


def _party_recipients(case: Case, kinds: frozenset[PartyKind]) -> list[str]:
    return [f"party:{p.party_id}" for p in case.parties if p.party.kind in kinds]


def _contact(role: ContactRole | None) -> str:
    assert role is not None
    return f"contact:{role.value}"


def for_change(old: Case | None, new: Case) -> list[OutboxMessage]:
    """The messages the law attaches to the change from ``old`` (``None``: the case is new) to
    ``new``; one per recipient, each with its deterministic idempotency key."""
    if not isinstance(new, MediationCase) or not isinstance(old, MediationCase):
        return []
    cid = new.case_id
    out: list[OutboxMessage] = []
    old_keys = {d.key for d in old.deadlines}
    icb = new.deadline(ICB_CLOCK)
    if icb is not None and ICB_CLOCK not in old_keys:
        event = f"deadline/{cid}/{ICB_CLOCK}/{icb.due.isoformat()}"
        out += [_message(cid, HEALTH_ISSUES, r, event)
                for r in _party_recipients(new, _BODY_KINDS)]
    deemed = new.deadline("deemed_certificate")
    if deemed is not None and "deemed_certificate" not in old_keys:
        event = f"deadline/{cid}/deemed_certificate/{deemed.due.isoformat()}"
        out.append(_message(cid, ADVISER_TOLD, _contact(ADVISER_TOLD.contact_role), event))
    for index in range(len(old.certificates), len(new.certificates)):
        event = f"certificate/{cid}/{index}"
        out += [_message(cid, CERTIFICATE_ISSUED, r, event)
                for r in _party_recipients(new, _FAMILY_KINDS)]
    if new.meeting_date is not None and new.meeting_date != old.meeting_date:
        event = f"meeting/{cid}/{new.meeting_date.isoformat()}"
        out += [_message(cid, DATE_NOTICE, r, event)
                for r in _party_recipients(new, _FAMILY_KINDS)]
    if new.state is MediationState.AGREEMENT_RECORDED and old.state is not new.state:
        for d in new.deadlines:
            if d.key not in old_keys:
                event = f"deadline/{cid}/{d.key}/{d.due.isoformat()}"
                out.append(_message(cid, REG42_DUE, _contact(REG42_DUE.contact_role), event))
    return out


def reminder(hit: DeadlineHit) -> OutboxMessage:
    """The reminder of ``hit`` for the casework team: keyed by case, clock and due date, so a
    deadline that moves is reminded of again, and one that does not, once."""
    kind = APPEAL_DEADLINE_REMINDER if hit.status == APPEAL_STATUS else DUTY_REMINDER
    event = f"deadline/{hit.case_id}/{hit.clock_id}/{hit.due.isoformat()}"
    return _message(hit.case_id, kind, _contact(kind.contact_role), event)


def alert(case_id: str, outbox_id: int, failed_kind: str) -> OutboxMessage:
    """The casework team's alert that message ``outbox_id`` of ``case_id`` was dead-lettered."""
    kind_of(failed_kind)
    event = f"failed/{case_id}/{outbox_id}/{failed_kind}"
    return _message(case_id, DELIVERY_FAILED, _contact(DELIVERY_FAILED.contact_role), event)


# --- resolving at send time ---------------------------------------------------------------------


@frozen(kw_only=True)
class Resolved:
    """A queued message made ready to send: where to, and with what (allow-listed) fields."""

    kind: MessageKind
    recipient: str
    """``party:<id>`` or ``contact:<role>``: ids only."""
    address: Address = field(repr=False)
    personalisation: Mapping[str, str] = field(repr=False)


def _contact_address(contact: Contact) -> Address:
    postal = [*contact.address_lines, *(x for x in (contact.town, contact.postcode) if x)]
    return Address(email=contact.email, phone=contact.telephone,
                   postal=postal if len(postal) >= 3 else ())


def _office(contacts: Sequence[Contact], council: CouncilProfile) -> dict[str, str]:
    out = {"council_name": council.name}
    team = next((c for c in contacts if c.role is ContactRole.SEN_CASEWORK_TEAM), None)
    if team is not None:
        out["contact_name"] = team.name
        if team.telephone:
            out["contact_phone"] = team.telephone
        if team.email:
            out["contact_email"] = team.email
    return out


def _event_fields(kind: MessageKind, case: Case, event: str) -> dict[str, str]:
    parts = event.split("/")
    if parts[1] != case.case_id:
        raise _bad("payload_ref", "names another case", "payload_ref")
    out = {"case_reference": case.case_id}
    if kind is CERTIFICATE_ISSUED:
        if not isinstance(case, MediationCase) or len(parts) != 3 or not parts[2].isdigit() or (
            int(parts[2]) >= len(case.certificates)
        ):
            raise _bad("payload_ref", "names no certificate of the case", "payload_ref")
        cert = case.certificates[int(parts[2])]
        out |= {"certificate_kind": cert.kind.value, "issued_on": cert.issued_on.isoformat(),
                "appeal_deadline": cert.appeal_deadline.isoformat()}
    elif kind is DATE_NOTICE:
        if len(parts) != 3:
            raise _bad("payload_ref", "names no meeting date", "payload_ref")
        out["meeting_date"] = parts[2]
    elif kind is DELIVERY_FAILED:
        if len(parts) != 4:
            raise _bad("payload_ref", "names no failed message", "payload_ref")
        out |= {"message_number": parts[2], "failed_kind": parts[3]}
    else:  # a deadline: deadline/<case>/<clock key>/<due>
        if len(parts) != 4 or parts[0] != "deadline":
            raise _bad("payload_ref", "names no deadline", "payload_ref")
        key, due = parts[2], parts[3]
        if kind is ADVISER_TOLD:
            told = next((d.started for d in case.deadlines if d.key == key), None)
            if told is None:
                raise _bad("payload_ref", "names no deadline of the case", "payload_ref")
            out["told_on"] = told.isoformat()
        elif kind is not HEALTH_ISSUES:
            out["deadline"] = key
        out["due_date"] = due
    return out


def resolve(
    kind_name: str, payload_ref: str, case: Case, council: CouncilProfile,
    contacts: Sequence[Contact],
) -> Resolved:
    """The address and personalisation of a queued message, from the stored case and the
    council's contacts, checked against the kind's allow-list. Raises :class:`MessageError`
    (the message must be dead-lettered, never sent)."""
    kind = kind_of(kind_name)
    event, rtype, rid = parse_ref(payload_ref)
    if rtype == "party":
        if kind.audience is Audience.CONTACT:
            raise _bad("payload_ref", "names a party for a council contact's kind", "recipient")
        wanted = _FAMILY_KINDS if kind.audience is Audience.FAMILY else _BODY_KINDS
        party = next((p for p in case.parties if p.party_id == rid), None)
        if party is None or party.party.kind not in wanted:
            raise _bad("payload_ref", f"names no {kind.recipient} of the case", "recipient")
        if party.contact is None:
            raise _bad("recipient.contact", "the recipient has no contact details", "address")
        c = party.contact
        address = Address(email=c.email, phone=c.phone, postal=c.postal)
    else:
        if kind.contact_role is None or rid != kind.contact_role.value:
            raise _bad("payload_ref", "names another contact than the kind's", "recipient")
        found = next((c for c in contacts if c.role is kind.contact_role), None)
        if found is None:
            raise _bad("recipient.contact",
                       f"the council's plugin declares no {kind.contact_role.label}", "address")
        address = _contact_address(found)
    fields = _event_fields(kind, case, event)
    office = _office(contacts, council)
    fields |= {k: v for k, v in office.items() if k in kind.fields}
    return Resolved(kind=kind, recipient=f"{rtype}:{rid}", address=address,
                    personalisation=kind.check_fields(fields))
