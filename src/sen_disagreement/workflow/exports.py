"""Exports of a case: the Tribunal bundle and the subject-access export, on separate code paths.

**Tribunal bundle** (:func:`tribunal_bundle`): built from an allow-list. Only items whose class is
public or parties (:data:`~sen_disagreement.disclosure.TRIBUNAL_ALLOWED`) and that were not said
in a meeting can become a :class:`BundleItem`, and a :class:`BundleItem` re-checks this when it is
built (:func:`~sen_disagreement.disclosure.check_tribunal_bound`), so a without-prejudice or
confidential item can never be placed in a bundle, whatever the caller does. Besides items the
bundle carries facts, never text: the decision under appeal, the certificates and their appeal
deadline, and the issues with their outcomes (the unresolved ones are what the appeal can focus
on).

**Subject-access export** (:func:`subject_access_export`): what the case holds about a parent or
young person, for a UK GDPR Art. 15 request. Confidential and without-prejudice items are
listed; their text is released only where a recorded redaction decision says so.

Both come as JSON (:meth:`TribunalBundle.to_json`, :meth:`SubjectAccessExport.to_json`) and as
a readable Markdown document (:meth:`TribunalBundle.to_text`, :meth:`SubjectAccessExport.to_text`),
and each export is audited. So is every refused or invalid export call: exactly one entry (outcome
``refused``, or ``invalid`` for bad input) is appended before the error is raised, naming ids and
field names only; neither the entry nor the message carries item text or personal data.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from attrs import field, frozen

from sen_disagreement._checks import LOCAL_ID
from sen_disagreement._enum import Enum
from sen_disagreement.actors import Actor
from sen_disagreement.disclosure import (
    TRIBUNAL_ALLOWED,
    WITHOUT_PREJUDICE,
    Disclosure,
    ItemKind,
    RecordedItem,
    check_tribunal_bound,
)
from sen_disagreement.errors import AccessDeniedError, InvalidInputError, WithoutPrejudiceError
from sen_disagreement.provenance import Provenance, Rule, S, U, cite
from sen_disagreement.workflow import Case
from sen_disagreement.workflow.access import (
    ACCESS_RULE,
    POLICY,
    SENSITIVE,
    CaseLike,
    Role,
    attached_reason,
    facilitator_record,
)
from sen_disagreement.workflow.audit import AuditSink, make_entry
from sen_disagreement.workflow.certificates import Certificate
from sen_disagreement.workflow.disagreement_resolution import DisagreementResolutionCase
from sen_disagreement.workflow.issues import IssueList
from sen_disagreement.workflow.mediation import MediationCase

__all__ = [
    "SAR_RULE",
    "BundleItem",
    "Redaction",
    "SarItem",
    "SubjectAccessExport",
    "TribunalBundle",
    "subject_access_export",
    "tribunal_bundle",
]

SAR_RULE = Rule(
    "ukgdpr.art15.subject_access",
    "A data subject may obtain a copy of their personal data; material may be withheld where an "
    "exemption applies, decided item by item and recorded.",
    Provenance(
        [
            cite("UK GDPR Art. 15; DPA 2018 Sch 2 (exemptions)", S),
            cite("whether the 'negotiations' exemption covers positions taken in mediation", U),
        ]
    ),
)
"""A data subject may obtain a copy of their personal data (UK GDPR Art. 15); what is withheld
is decided item by item and recorded."""



@frozen(kw_only=True)
class BundleItem:
    """An item allowed into a Tribunal bundle. Building one from anything but a public or
    parties item said outside a meeting raises :class:`WithoutPrejudiceError`."""

    item_id: str
    kind: ItemKind
    disclosure: Disclosure
    recorded_at: dt.datetime
    text: str = field(repr=False)

    def __attrs_post_init__(self) -> None:
        if self.disclosure not in TRIBUNAL_ALLOWED:
            raise WithoutPrejudiceError(
                f"item {self.item_id} is {self.disclosure.value}; bundles take public and "
                "parties items only",
                rule_id=WITHOUT_PREJUDICE.rule_id, citation=WITHOUT_PREJUDICE.cite(),
            )

    @classmethod
    def of(cls, item: RecordedItem) -> BundleItem:
        check_tribunal_bound(item)
        if item.in_meeting:
            raise WithoutPrejudiceError(
                f"item {item.item_id} was said in a meeting",
                rule_id=WITHOUT_PREJUDICE.rule_id, citation=WITHOUT_PREJUDICE.cite(),
            )
        return cls(item_id=item.item_id, kind=item.kind, disclosure=item.disclosure,
                   recorded_at=item.recorded_at, text=item.text)


def _issues_json(issues: IssueList) -> list[dict[str, Any]]:
    out = []
    unresolved = {i.issue_id for i in issues.unresolved()}
    for issue in issues.issues:
        outcome = issues.outcome(issue.issue_id)
        out.append({
            "issue_id": issue.issue_id,
            "concerns": issue.concerns,
            "outcome": outcome.value if outcome else None,
            "unresolved": issue.issue_id in unresolved,
            "appeal_limbs": [d.value for d in issue.appealable_limbs],
        })
    return out


def _certificate_json(c: Certificate) -> dict[str, Any]:
    return {
        "kind": c.kind.value,
        "issued_on": c.issued_on.isoformat(),
        "issued_by": c.issued_by,
        "adviser_name": c.adviser_name,
        "decisions": [d.value for d in c.decisions],
        "decision_notice_sent": c.decision_notice_sent.isoformat(),
        "appeal_deadline": c.appeal_deadline.isoformat(),
        "certificate_required": c.certificate_required,
        "rule": f"{c.rule.rule_id} ({c.rule.cite()})",
    }


def _item_json(item: BundleItem | SarItem) -> dict[str, Any]:
    return {
        "item_id": item.item_id,
        "kind": item.kind.value,
        "disclosure": item.disclosure.value,
        "recorded_at": item.recorded_at.isoformat(),
        "text": item.text,
        **({"withheld": item.withheld} if isinstance(item, SarItem) else {}),
    }


def _items(value: Iterable[BundleItem]) -> tuple[BundleItem, ...]:
    return tuple(value)


@frozen(kw_only=True)
class TribunalBundle:
    """What may go to the Tribunal from a case (:func:`tribunal_bundle` builds it): facts (the
    decision under appeal, the certificates, the appeal deadline, the issues and outcomes) and
    only the items allowed there, never confidential or without-prejudice material."""

    case_id: str
    council: str
    kind: str
    generated_at: dt.datetime
    generated_by: str
    decision_notice_sent: dt.date | None
    decisions: tuple[str, ...]
    certificates: tuple[dict[str, Any], ...]
    appeal_deadline: dt.date | None
    issues: tuple[dict[str, Any], ...]
    items: tuple[BundleItem, ...] = field(converter=_items)

    def as_dict(self) -> dict[str, Any]:
        """The bundle as a JSON-ready dict, stating the firewall rule it was built under."""
        return {
            "export": "tribunal_bundle",
            "case_id": self.case_id,
            "council": self.council,
            "kind": self.kind,
            "generated_at": self.generated_at.isoformat(),
            "generated_by": self.generated_by,
            "decision_notice_sent": (
                self.decision_notice_sent.isoformat() if self.decision_notice_sent else None
            ),
            "decisions": list(self.decisions),
            "certificates": list(self.certificates),
            "appeal_deadline": self.appeal_deadline.isoformat() if self.appeal_deadline else None,
            "issues": list(self.issues),
            "items": [_item_json(i) for i in self.items],
            "firewall": "without-prejudice and confidential material is never included "
            f"(rule {WITHOUT_PREJUDICE.rule_id})",
        }

    def to_json(self) -> str:
        """The bundle as an indented JSON document."""
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        """The bundle as a readable Markdown document."""
        lines = [
            f"# Tribunal bundle: case {self.case_id}",
            "",
            f"Council: {self.council}  ",
            f"Process: {self.kind.replace('_', ' ')}  ",
            f"Generated: {self.generated_at.isoformat()} by {self.generated_by}",
            "",
        ]
        if self.decision_notice_sent:
            lines += [
                "## Decision under appeal",
                "",
                f"Notice sent {self.decision_notice_sent.isoformat()}; "
                f"decision(s): {', '.join(self.decisions)}",
                "",
            ]
        if self.certificates:
            lines += ["## Mediation certificates", ""]
            for c in self.certificates:
                lines.append(
                    f"- {c['kind'].replace('_', ' ')} certificate issued {c['issued_on']} by "
                    f"{c['adviser_name'] or c['issued_by']}; appeal deadline "
                    f"{c['appeal_deadline']}"
                )
            lines.append("")
        if self.appeal_deadline:
            lines += [f"**Appeal deadline: {self.appeal_deadline.isoformat()}**", ""]
        if self.issues:
            lines += ["## Issues", "", "| issue | concerns | outcome | still in dispute |",
                      "|---|---|---|---|"]
            for i in self.issues:
                lines.append(
                    f"| {i['issue_id']} | {i['concerns']} | {i['outcome'] or 'none recorded'} "
                    f"| {'yes' if i['unresolved'] else 'no'} |"
                )
            lines.append("")
        lines += ["## Documents", ""]
        if not self.items:
            lines.append("(none)")
        for item in self.items:
            lines += [
                f"### {item.kind.value} {item.item_id} ({item.disclosure.value}, "
                f"{item.recorded_at.isoformat()})",
                "",
                item.text,
                "",
            ]
        lines += [
            "",
            "Without-prejudice and confidential material from disagreement resolution or "
            "mediation is never part of this bundle.",
        ]
        return "\n".join(lines) + "\n"


def _refuse(
    sink: AuditSink, case: CaseLike, actor: str, action: str, at: dt.datetime, reason: str
) -> AccessDeniedError:
    sink.append_audit(make_entry(actor=actor, action=action, at=at, case_id=case.case_id,
                                 outcome="refused"))
    return AccessDeniedError(f"{actor} may not export case {case.case_id}: {reason}",
                             rule_id=ACCESS_RULE.rule_id, citation=ACCESS_RULE.cite())


def _invalid(
    sink: AuditSink, case: CaseLike, actor: str, at: dt.datetime, message: str, *,
    field: str, rule_id: str,
) -> InvalidInputError:
    """Audit a subject-access call refused for bad input (outcome ``invalid``), then return the
    error to raise. ``field`` is a field name or ``redactions.<item id>`` once the id's shape is
    checked; neither the message nor the entry carries a supplied value."""
    sink.append_audit(make_entry(actor=actor, action="export.subject_access", at=at,
                                 case_id=case.case_id, outcome="invalid", fields=(field,)))
    return InvalidInputError(message, field=field, rule_id=rule_id, citation=SAR_RULE.cite())


def _is_id(value: object) -> bool:
    return isinstance(value, str) and LOCAL_ID.fullmatch(value) is not None


def tribunal_bundle(
    case: Case, *, exporter: Actor, at: dt.datetime, sink: AuditSink,
    councils: Iterable[str] = (),
) -> TribunalBundle:
    """The Tribunal bundle of ``case``: allow-listed items and facts only; audited."""
    if exporter.role is not Role.TRIBUNAL_EXPORTER:
        raise _refuse(sink, case, exporter.actor_id, "export.tribunal_bundle", at,
                      "only a Tribunal-bundle exporter builds a bundle")
    reason = attached_reason(case, exporter, councils=councils)
    if reason:
        raise _refuse(sink, case, exporter.actor_id, "export.tribunal_bundle", at, reason)
    allowed = [
        BundleItem.of(i) for i in case.items
        if i.disclosure in TRIBUNAL_ALLOWED and not i.in_meeting
        # A facilitator's own record never goes (the written agreement, the outcome, may).
        and not facilitator_record(case, i)
    ]
    notice_sent: dt.date | None = None
    decisions: tuple[str, ...] = ()
    certificates: tuple[dict[str, Any], ...] = ()
    deadline: dt.date | None = None
    if isinstance(case, MediationCase):
        notice_sent = case.notice.sent_on
        decisions = tuple(d.value for d in case.notice.decisions)
        certificates = tuple(_certificate_json(c) for c in case.certificates)
        deadline = case.appeal_deadline
    bundle = TribunalBundle(
        case_id=case.case_id, council=case.council, kind=case.kind, generated_at=at,
        generated_by=exporter.actor_id, decision_notice_sent=notice_sent, decisions=decisions,
        certificates=certificates, appeal_deadline=deadline,
        issues=tuple(_issues_json(case.issues)), items=allowed,
    )
    sink.append_audit(make_entry(actor=exporter.actor_id, action="export.tribunal_bundle", at=at,
                                 case_id=case.case_id, fields=("items", "issues")))
    return bundle


# --- subject access -----------------------------------------------------------------------------


class Redaction(Enum):
    """A recorded decision on one confidential or without-prejudice item in a subject-access
    export: release its text, or withhold it (UK GDPR Art. 15; DPA 2018 Sch 2 exemptions)."""

    RELEASE = "release"
    WITHHOLD = "withhold"


@frozen(kw_only=True)
class SarItem:
    """One item of a case in a subject-access export: always listed, with its text only when
    released (``withheld`` says which)."""

    item_id: str
    kind: ItemKind
    disclosure: Disclosure
    recorded_at: dt.datetime
    text: str | None = field(repr=False)
    withheld: bool


@frozen(kw_only=True)
class SubjectAccessExport:
    """What a case holds about a parent or young person, for a UK GDPR Art. 15 request: their
    details, consent, issues, certificates, the process so far and the items (sensitive ones
    released only by a recorded :class:`Redaction`); :func:`subject_access_export` builds it."""

    case_id: str
    council: str
    kind: str
    subject_id: str
    generated_at: dt.datetime
    generated_by: str
    subject: dict[str, Any]
    consent: tuple[dict[str, Any], ...]
    issues: tuple[dict[str, Any], ...]
    certificates: tuple[dict[str, Any], ...]
    items: tuple[SarItem, ...]
    process: dict[str, Any] = field(factory=dict)
    """Where the case stands: state, dates, who facilitates, the decision notice, the route, the
    statutory deadlines and the reg 42 duties owed."""

    def as_dict(self) -> dict[str, Any]:
        """The export as a JSON-ready dict, citing the subject-access rule."""
        return {
            "export": "subject_access",
            "process": self.process,
            "case_id": self.case_id,
            "council": self.council,
            "kind": self.kind,
            "subject_id": self.subject_id,
            "generated_at": self.generated_at.isoformat(),
            "generated_by": self.generated_by,
            "subject": self.subject,
            "consent": list(self.consent),
            "issues": list(self.issues),
            "certificates": list(self.certificates),
            "items": [_item_json(i) for i in self.items],
            "rule": f"{SAR_RULE.rule_id} ({SAR_RULE.cite()})",
        }

    def to_json(self) -> str:
        """The export as an indented JSON document."""
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        """The export as a readable Markdown document, addressed to the data subject."""
        lines = [
            f"# Subject-access export: case {self.case_id}",
            "",
            f"Data subject: {self.subject_id} ({self.subject.get('kind')})  ",
            f"Generated: {self.generated_at.isoformat()} by {self.generated_by}",
            "",
            "## Your decisions about taking part",
            "",
        ]
        lines += [f"- {c['at']}: {c['decision']}" + (" (recorded by a representative)"
                                                      if c["on_behalf"] else "")
                  for c in self.consent] or ["(none)"]
        lines += ["", "## Where the case stands", ""]
        lines += [f"- {key.replace('_', ' ')}: {_plain(value)}"
                  for key, value in self.process.items()]
        lines += ["", "## Issues", ""]
        lines += [f"- {i['issue_id']}: {i['concerns']}, outcome {i['outcome'] or 'none yet'}"
                  for i in self.issues] or ["(none)"]
        if self.certificates:
            lines += ["", "## Certificates", ""]
            lines += [f"- {c['kind']} issued {c['issued_on']}, appeal deadline "
                      f"{c['appeal_deadline']}" for c in self.certificates]
        lines += ["", "## Records", ""]
        for item in self.items:
            head = f"### {item.kind.value} {item.item_id} ({item.disclosure.value})"
            body = item.text if not item.withheld else (
                "Withheld: no decision to release this confidential or without-prejudice "
                "record has been made.")
            lines += [head, "", body or "", ""]
        return "\n".join(lines) + "\n"


def _plain(value: object) -> str:
    if isinstance(value, list):
        return "; ".join(_plain(v) for v in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_plain(v)}" for k, v in value.items())
    return "none" if value is None else str(value)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _process_json(case: Case) -> dict[str, Any]:
    facilitators = [
        {"role": role, "name": cp.party.name}
        for role, cp in (
            (("provider", case.provider),) if isinstance(case, DisagreementResolutionCase)
            else (("mediation_adviser", case.adviser), ("mediator", case.mediator))
        )
        if cp is not None
    ]
    out: dict[str, Any] = {
        "state": case.state.value,
        "facilitators": facilitators,
        "meeting_date": _iso(case.meeting_date),
        "held_on": _iso(case.held_on),
        "closed_on": _iso(case.closed_on),
    }
    if isinstance(case, MediationCase):
        out["decision_notice"] = {
            "sent_on": case.notice.sent_on.isoformat(),
            "decisions": [d.value for d in case.notice.decisions],
        }
        out["route"] = case.route.value if case.route else None
        out["deadlines"] = [
            {"clock_id": d.clock_id, "due": d.due.isoformat(), "status": d.status.value}
            for d in case.deadlines
        ]
        if case.agreement is not None:
            out["agreement"] = {
                "agreed_on": case.agreement.agreed_on.isoformat(),
                "actions": [a.action_id for a in case.agreement.actions],
            }
    return out


def subject_access_export(
    case: Case,
    *,
    subject_id: str,
    requester: Actor,
    at: dt.datetime,
    sink: AuditSink,
    redactions: Mapping[str, Redaction] | None = None,
    councils: Iterable[str] = (),
) -> SubjectAccessExport:
    """What ``case`` holds about the parent or young person ``subject_id``, for ``requester``:
    the data subject themselves, or an officer of the case's council answering their request.

    Public and parties items are released; confidential and without-prejudice items only where
    ``redactions`` says :attr:`Redaction.RELEASE` *and* the requester's role may read that class
    (a council officer can never release without-prejudice material). Every release, and every
    refusal, is audited under the requester's name; so is a call refused for bad input (a
    ``subject_id`` that is not an id or not the case's parent or young person, a redaction naming
    no item of the case), with outcome ``invalid``."""
    actor = requester.actor_id
    refusal = attached_reason(case, requester, councils=councils)
    if (refusal is None and requester.role is Role.FAMILY
            and requester.party_in(case.case_id) != subject_id):
        refusal = "a parent or young person may only ask for their own data"
    if refusal is None and requester.role not in (Role.FAMILY, Role.LA_OFFICER):
        refusal = f"a {requester.role.value} does not answer subject-access requests"
    if refusal is not None:
        sink.append_audit(make_entry(actor=actor, action="export.subject_access", at=at,
                                     case_id=case.case_id, outcome="refused", fields=("items",)))
        raise AccessDeniedError(
            f"{requester.role.value} {actor} may not export case {case.case_id}: {refusal}",
            rule_id=ACCESS_RULE.rule_id, citation=SAR_RULE.cite(),
        )
    # Checked as an id before anything could echo it (the export names the subject by id).
    if not _is_id(subject_id):
        raise _invalid(sink, case, actor, at,
                       "must be the party id of the parent or young person (1-32 characters of "
                       "a-z, 0-9, '_' or '-')", field="subject_id", rule_id="input.id")
    if subject_id not in case.family_ids:
        raise _invalid(sink, case, actor, at, "is not the parent or young person of this case",
                       field="subject_id", rule_id=SAR_RULE.rule_id)
    decisions = dict(redactions or {})
    item_ids = {i.item_id for i in case.items}
    for key in decisions:
        if not _is_id(key):
            raise _invalid(sink, case, actor, at,
                           "keys must be item ids (1-32 characters of a-z, 0-9, '_' or '-')",
                           field="redactions", rule_id="input.id")
        if key not in item_ids:
            raise _invalid(sink, case, actor, at, "names no item of this case",
                           field=f"redactions.{key}", rule_id=SAR_RULE.rule_id)
    for item in case.items:
        if decisions.get(item.item_id) is Redaction.RELEASE and (
            item.disclosure not in POLICY[requester.role] or facilitator_record(case, item)
        ):
            sink.append_audit(make_entry(actor=actor, action="item.read", at=at,
                                         case_id=case.case_id, outcome="refused",
                                         fields=(f"items.{item.item_id}",)))
            raise AccessDeniedError(
                f"{requester.role.value} {actor} may not release item {item.item_id} "
                f"[{item.disclosure.value}]",
                rule_id=ACCESS_RULE.rule_id, citation=SAR_RULE.cite(),
            )
    items: list[SarItem] = []
    for item in case.items:
        # A facilitator's own record is the independent process's, never released here.
        release = not facilitator_record(case, item) and (
            item.disclosure not in SENSITIVE or decisions.get(item.item_id) is Redaction.RELEASE
        )
        if release and item.disclosure in SENSITIVE:
            sink.append_audit(make_entry(actor=actor, action="item.read", at=at,
                                         case_id=case.case_id, outcome="released",
                                         fields=(f"items.{item.item_id}",)))
        items.append(SarItem(item_id=item.item_id, kind=item.kind, disclosure=item.disclosure,
                             recorded_at=item.recorded_at, text=item.text if release else None,
                             withheld=not release))
    party = case.party_map[subject_id]
    # The subject's own contact details are theirs to see (and only theirs: no other export
    # or view carries them).
    contact = next((p.contact for p in case.parties if p.party_id == subject_id), None)
    consent = tuple(
        {"at": e.at.isoformat(), "decision": e.decision.value,
         "on_behalf": e.on_behalf_lacking_capacity}
        for e in case.ledger.entries if e.party_id == subject_id or e.recorded_by == subject_id
    )
    certificates = (
        tuple(_certificate_json(c) for c in case.certificates)
        if isinstance(case, MediationCase) else ()
    )
    export = SubjectAccessExport(
        case_id=case.case_id, council=case.council, kind=case.kind, subject_id=subject_id,
        generated_at=at, generated_by=actor,
        subject={
            "kind": party.kind.value,
            "name": party.name,
            "date_of_birth": party.date_of_birth.isoformat() if party.date_of_birth else None,
            "contact": contact.as_json() if contact is not None else None,
        },
        consent=consent, issues=tuple(_issues_json(case.issues)), certificates=certificates,
        items=tuple(items), process=_process_json(case),
    )
    sink.append_audit(make_entry(actor=actor, action="export.subject_access", at=at,
                                 case_id=case.case_id, fields=("items", "consent")))
    return export
