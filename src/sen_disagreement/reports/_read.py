"""How every report reads cases: as an authenticated officer of the council reported on, page by
page through the store, each record structured into its case (a record that cannot be is named,
never skipped in silence)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

from attrs import frozen

from sen_disagreement.actors import Actor, Role
from sen_disagreement.errors import AccessDeniedError, InvalidInputError, StoredDataError
from sen_disagreement.provenance import Provenance, Rule, S, cite
from sen_disagreement.workflow import Case, MediationCase, records

if TYPE_CHECKING:
    from sen_disagreement.council import CouncilProfile
    from sen_disagreement.service import CaseService
    from sen_disagreement.store.contract import AuditEntry

__all__ = ["REPORT_READER", "CouncilReader", "Unreadable", "england_date", "reader_for"]

REPORT_READER = Rule(
    "reports.council_officer",
    "Reports over many cases (the SEN2 flags, management metrics) are for an officer of the "
    "council whose cases they count; they carry dates, states, clock ids, certificate kinds and "
    "issue outcomes, never a recorded item, a party's name or contact details.",
    Provenance([
        cite("UK GDPR Art. 5(1)(c), 25 (data minimisation; data protection by design)", S),
        cite("DfE SEN2 guide: the return is made by the local authority", S),
    ]),
)

PAGE = 1000


def england_date(when: dt.datetime) -> dt.date:
    """The day ``when`` (stored in UTC) falls on in England, as every date a council reports
    by: in summer a case opened at 00:30 BST on 1 April is stored at 23:30 UTC on 31 March."""
    from sen_disagreement.sweeping import london_today

    return london_today(when)


@frozen
class Unreadable:
    """A stored case a report could not read, and the rule its document breaks."""

    case_id: str
    rule_id: str


def _denied(actor: Actor, why: str) -> AccessDeniedError:
    return AccessDeniedError(
        f"{actor.role.value} {actor.actor_id} may not run this report ({why})",
        rule_id=REPORT_READER.rule_id, citation=REPORT_READER.cite(),
    )


@frozen
class CouncilReader:
    """The cases of one council, for one officer of it."""

    service: CaseService
    actor: Actor
    council: CouncilProfile

    def records(self) -> Iterator[tuple[str, Case | Unreadable]]:
        """Every current case of the council (any of its keys), by case id."""
        settings = self.service.settings_for(self.council)
        after: str | None = None
        while True:
            page = self.service.find_cases(self.council.gss_code, after_case_id=after,
                                           limit=PAGE)
            for record in page:
                try:
                    case = records.from_record(record, settings=settings)
                except StoredDataError as exc:
                    rule = exc.rule_id if isinstance(exc, InvalidInputError) else "store.document"
                    yield record.case_id, Unreadable(record.case_id, rule)
                    continue
                yield record.case_id, _checked(case)
            if len(page) < PAGE:
                return
            after = page[-1].case_id

    def store_audit(self, case_id: str) -> list[AuditEntry]:
        """The store's audit trail of one case (exports and reads are audited there, not in the
        case document)."""
        entries: list[AuditEntry] = []
        while True:
            page = self.service.store.audit_trail(
                case_id, after_seq=entries[-1].seq if entries else 0)
            entries.extend(page)
            if len(page) < 10_000:
                return entries


def _checked(case: Case) -> Case | Unreadable:
    """``case``, or :class:`Unreadable` when a value the reports print as a label is not one
    the library writes. The case reader checks each deadline's key but not its clock id, which
    the metrics count by: a document rewritten in the store could otherwise put any text (a
    name, markup) into a report or chart."""
    from sen_disagreement.clocks import CLOCKS

    deadlines = case.deadlines if isinstance(case, MediationCase) else ()
    if any(d.clock_id not in CLOCKS for d in deadlines):
        return Unreadable(case.case_id, "store.clock_id")
    return case


def reader_for(service: CaseService, user: str | Actor, council: str | None) -> CouncilReader:
    """The reader for ``user`` over ``council`` (default: the officer's own). Anyone but an
    officer of that council is refused (:class:`AccessDeniedError`, rule
    ``reports.council_officer``); the refusal is audited in the store."""
    actor = service.actor(user)
    if actor.role is not Role.LA_OFFICER or not actor.council:
        _audit_refusal(service, actor)
        raise _denied(actor, "reports are for an officer of the council")
    own = service.council(actor.council)
    wanted = own if council is None else service.council(council)
    if wanted.gss_code != own.gss_code:
        _audit_refusal(service, actor)
        raise _denied(actor, "not an officer of that council")
    return CouncilReader(service, actor, wanted)


def _audit_refusal(service: CaseService, actor: Actor) -> None:
    from sen_disagreement.store.contract import AuditEntry

    service.store.append_audit(AuditEntry(actor=actor.actor_id, action="report.run",
                                          at=service.clock(), outcome="refused"))
