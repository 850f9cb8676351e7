"""What the stage mixins of :class:`~.case.MediationCase` may use of it.

Each stage of the process (:mod:`.adviser`, :mod:`.arranging`, :mod:`.outcome`, :mod:`.sweep`)
is a mixin of the one frozen case class. The case's fields, views and internals are declared here
for the type checker only; :mod:`.case` defines them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sen_disagreement.workflow._case import SharedViews

if TYPE_CHECKING:
    from sen_disagreement.appeals import MediationRoute
    from sen_disagreement.disclosure import RecordedItem
    from sen_disagreement.settings import Settings
    from sen_disagreement.voluntary import ConsentDecision, ConsentLedger
    from sen_disagreement.workflow._case import CaseParty, TrackedDeadline
    from sen_disagreement.workflow.audit import AuditTrail
    from sen_disagreement.workflow.certificates import Certificate
    from sen_disagreement.workflow.issues import IssueList
    from sen_disagreement.workflow.mediation.agreement import MediationAgreement
    from sen_disagreement.workflow.mediation.case import MediationCase
    from sen_disagreement.workflow.mediation.machine import MediationEvent, MediationState
    from sen_disagreement.workflow.mediation.notice import DecisionNotice

__all__ = ["CaseStage"]


class CaseStage(SharedViews):
    """The base of every stage mixin: no state of its own (``__slots__ = ()``, as a frozen
    slotted attrs class needs of its bases)."""

    __slots__ = ()

    if TYPE_CHECKING:
        case_id: str
        council: str
        created_at: dt.datetime
        state: MediationState
        parties: tuple[CaseParty, ...]
        notice: DecisionNotice
        ledger: ConsentLedger
        issues: IssueList
        items: tuple[RecordedItem, ...]
        deadlines: tuple[TrackedDeadline, ...]
        adviser: CaseParty | None
        adviser_contacted_on: dt.date | None
        information_given_on: dt.date | None
        told_la_on: dt.date | None
        commissioning_bodies_notified: tuple[tuple[str, dt.date], ...]
        route: MediationRoute | None
        mediator: CaseParty | None
        meeting_date: dt.date | None
        arranged_on: dt.date | None
        held_on: dt.date | None
        certificate_clock: str | None
        certificates: tuple[Certificate, ...]
        agreement: MediationAgreement | None
        closed_on: dt.date | None
        audit: AuditTrail
        settings: Settings

        @property
        def health_in_issue(self) -> bool: ...

        @property
        def facilitator_ids(self) -> tuple[str, ...]: ...

        @property
        def is_final(self) -> bool: ...

        @property
        def arrange_clock(self) -> TrackedDeadline | None: ...

        def deadline(self, key: str) -> TrackedDeadline | None: ...

        def _begin(self, event: MediationEvent, at: dt.datetime, actor: str) -> None: ...

        def _step(
            self,
            event: MediationEvent,
            *,
            at: dt.datetime,
            actor: str,
            fields: tuple[str, ...] = (),
            outcome: str = "ok",
            **changes: Any,
        ) -> MediationCase: ...

        def _consent(
            self, party_id: str, decision: ConsentDecision, at: dt.datetime,
            recorded_by: str | None, on_behalf: bool,
        ) -> ConsentLedger: ...

        def _settle(self, key: str, on: dt.date) -> tuple[TrackedDeadline, ...]: ...

        def _not_future(self, day: dt.date, at: dt.datetime) -> None: ...
