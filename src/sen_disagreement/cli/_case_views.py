"""What ``sen-disagreement case`` prints: plain dicts of a case's facts (never an item's text
unless the item came from :meth:`~sen_disagreement.service.CaseService.readable_items`), and
their text form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sen_disagreement.disclosure import RecordedItem
from sen_disagreement.store import AuditEntry, CaseRecord
from sen_disagreement.workflow import Case, CaseParty, DisagreementResolutionCase, MediationCase

__all__ = ["audit_view", "case_view", "record_view", "show_text"]


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def record_view(record: CaseRecord) -> dict[str, Any]:
    """A stored case's columns (what ``open``, ``step``, ``sweep`` and ``list`` print)."""
    running = sorted((d for d in record.deadlines if d.status == "running"), key=lambda d: d.due)
    return {
        "case_id": record.case_id,
        "kind": record.kind,
        "council": record.council,
        "state": record.state,
        "version": record.version,
        "updated_at": _iso(record.updated_at),
        "next_deadline": ({"clock": running[0].clock_id, "due": _iso(running[0].due)}
                          if running else None),
    }


def record_line(record: CaseRecord) -> str:
    view = record_view(record)
    due = view["next_deadline"]
    tail = f"; next deadline {due['clock']} {due['due']}" if due else ""
    return (f"{record.case_id}  {record.kind}  {record.council}  {record.state}  "
            f"v{record.version}{tail}")


def _party(p: CaseParty | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"party_id": p.party_id, "kind": p.party.kind.value, "name": p.party.name}


def _items(items: Iterable[RecordedItem]) -> list[dict[str, Any]]:
    return [{"item_id": i.item_id, "kind": i.kind.value, "disclosure": i.disclosure.value,
             "recorded_at": _iso(i.recorded_at), "recorded_by": i.recorded_by,
             "in_meeting": i.in_meeting, "text": i.text} for i in items]


def case_view(case: Case, version: int, readable: Sequence[RecordedItem]) -> dict[str, Any]:
    """The facts of ``case`` and the ``readable`` items (what the user may read, as
    :meth:`~sen_disagreement.service.CaseService.readable_items` answered). ``case.items`` is
    never looked at here."""
    unresolved = {i.issue_id for i in case.issues.unresolved()}
    level = case.issues.level
    out: dict[str, Any] = {
        "case_id": case.case_id,
        "kind": case.kind,
        "council": case.council,
        "state": case.state.value,
        "version": version,
        "created_at": _iso(case.created_at),
        "closed_on": _iso(case.closed_on),
        "parties": [_party(p) for p in case.parties],
        "consent": [{"party_id": e.party_id, "decision": e.decision.value, "at": _iso(e.at),
                     "recorded_by": e.recorded_by,
                     "on_behalf_lacking_capacity": e.on_behalf_lacking_capacity}
                    for e in case.ledger.entries],
        "issues": [{"issue_id": i.issue_id, "concerns": i.concerns,
                    "outcome": (o.value if (o := case.issues.outcome(i.issue_id)) else None),
                    "unresolved": i.issue_id in unresolved} for i in case.issues.issues],
        "agreement_level": level.value if level else None,
        "meeting": {"arranged_on": _iso(case.arranged_on), "date": _iso(case.meeting_date),
                    "held_on": _iso(case.held_on)},
        "deadlines": [{"key": d.key, "clock_id": d.clock_id, "started": _iso(d.started),
                       "due": _iso(d.due), "status": d.status.value,
                       "settled_on": _iso(d.settled_on),
                       "agreed_in_writing": d.agreed_in_writing} for d in case.deadlines],
    }
    if isinstance(case, DisagreementResolutionCase):
        out["provider"] = _party(case.provider)
        out["closure"] = case.closure.value if case.closure else None
    if isinstance(case, MediationCase):
        out["decision_notice"] = {"sent_on": _iso(case.notice.sent_on),
                                  "decisions": [d.value for d in case.notice.decisions]}
        out["adviser"] = _party(case.adviser)
        out["adviser_contacted_on"] = _iso(case.adviser_contacted_on)
        out["mediation_wanted_told_la_on"] = _iso(case.told_la_on)
        out["route"] = case.route.value if case.route else None
        out["mediator"] = _party(case.mediator)
        issuers = {p.party_id: p.party.name for p in (case.adviser, case.mediator)
                   if p is not None}
        out["certificates"] = [{"kind": c.kind.value, "issued_on": _iso(c.issued_on),
                                "issued_by": c.issued_by,
                                "issued_by_name": issuers.get(c.issued_by),
                                "adviser_name": c.adviser_name,
                                "appeal_deadline": _iso(c.appeal_deadline)}
                               for c in case.certificates]
        out["appeal_deadline"] = _iso(case.appeal_deadline)
    out["items"] = _items(readable)
    return out


def show_text(view: dict[str, Any]) -> str:
    """``case show`` for people."""
    lines = [f"Case {view['case_id']} ({view['kind'].replace('_', ' ')}), council "
             f"{view['council']}: {view['state']} (version {view['version']})"]
    lines.append("Parties: " + ", ".join(
        f"{p['party_id']} ({p['kind']}{', ' + p['name'] if p['name'] else ''})"
        for p in view["parties"]))
    for role in ("provider", "adviser", "mediator"):
        if view.get(role):
            lines.append(f"{role.capitalize()}: {view[role]['party_id']}"
                         + (f" ({view[role]['name']})" if view[role]["name"] else ""))
    if view["consent"]:
        lines.append("Consent: " + "; ".join(
            f"{e['party_id']} {e['decision']} {e['at']}" for e in view["consent"]))
    if view.get("decision_notice"):
        notice = view["decision_notice"]
        lines.append(f"Decision notice sent {notice['sent_on']}: {', '.join(notice['decisions'])}")
    meeting = view["meeting"]
    if meeting["date"]:
        lines.append(f"Meeting: {meeting['date']}"
                     + (f", held {meeting['held_on']}" if meeting["held_on"] else ""))
    if view["issues"]:
        lines.append("Issues:")
        lines += [f"  {i['issue_id']}: {i['concerns']} - outcome {i['outcome'] or 'none yet'}"
                  + (" (still in dispute)" if i["unresolved"] and i["outcome"] else "")
                  for i in view["issues"]]
    if view["agreement_level"]:
        lines.append(f"Agreement: {view['agreement_level'].replace('_', ' ')}")
    if view["deadlines"]:
        lines.append("Deadlines:")
        lines += [f"  {d['key']}: due {d['due']} ({d['status']}"
                  + (f" {d['settled_on']}" if d["settled_on"] else "") + ")"
                  for d in view["deadlines"]]
    for c in view.get("certificates", []):
        # Its issuer: the adviser, or the mediator after mediation (CFA s.55(5)); never the
        # adviser's name for a certificate the mediator issued.
        lines.append(f"Certificate ({c['kind']}) issued {c['issued_on']} by "
                     f"{c.get('issued_by_name') or c['issued_by']}")
    if view.get("appeal_deadline"):
        lines.append(f"Appeal deadline: {view['appeal_deadline']}")
    if view["closed_on"]:
        lines.append(f"Closed: {view['closed_on']}")
    lines.append(f"Items you may read ({len(view['items'])}):")
    for item in view["items"]:
        lines.append(f"  {item['item_id']} [{item['kind']}, {item['disclosure']}] "
                     f"{item['recorded_at']} by {item['recorded_by']}: {item['text']}")
    return "\n".join(lines)


def audit_view(entries: Iterable[AuditEntry]) -> list[dict[str, Any]]:
    return [{"seq": e.seq, "at": _iso(e.at), "committed_at": _iso(e.committed_at),
             "actor": e.actor, "action": e.action, "outcome": e.outcome,
             "fields": list(e.fields)} for e in entries]
