"""The outcome: records of the mediation, the adviser's certificate (CFA 2014 s.55), the written
agreement and its reg 42 follow-up duties, and closing the case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sen_disagreement.appeals import CERTIFICATE_REQUIRED, MediationRoute
from sen_disagreement.disclosure import Disclosure, RecordedItem
from sen_disagreement.errors import InvalidInputError, RuleViolationError
from sen_disagreement.workflow._case import (
    DeadlineStatus,
    TrackedDeadline,
    add_item,
    check_date_order,
    replace_deadline,
    start_deadline,
)
from sen_disagreement.workflow.certificates import CertificateKind, issue_certificate
from sen_disagreement.workflow.issues import IssueOutcome
from sen_disagreement.workflow.mediation._stage import CaseStage
from sen_disagreement.workflow.mediation.agreement import (
    ORDER_CLOCK_IDS,
    REG_42,
    REG_42_5,
    AgreedAction,
    MediationAgreement,
)
from sen_disagreement.workflow.mediation.machine import (
    NON_APPEALABLE_CLOCK,
    NOTIFY_LA_CLOCK,
    MediationEvent,
    MediationState,
)

if TYPE_CHECKING:
    from sen_disagreement.workflow.mediation.case import MediationCase

__all__ = ["OutcomeStage"]


class OutcomeStage(CaseStage):
    """The outcome stage of :class:`~.case.MediationCase`: records, certificates, the written
    agreement, follow-up duties, closing."""

    __slots__ = ()

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
        """Issue the certificate this state calls for: the mediation adviser after declining or
        when mediation was not arranged in time, the mediator after mediation (CFA s.55(5));
        its appeal deadline comes from the clocks."""
        self._begin(MediationEvent.ISSUE_CERTIFICATE, at, actor)
        kind = {
            MediationState.DECLINED: CertificateKind.DECLINED,
            MediationState.NOT_ARRANGED: CertificateKind.NOT_ARRANGED_IN_TIME,
            MediationState.HELD: CertificateKind.AFTER_MEDIATION,
        }[self.state]
        if self.adviser is None:
            raise InvalidInputError("no mediation adviser is recorded", field="adviser",
                                    rule_id=CERTIFICATE_REQUIRED)
        self._not_future(on, at)
        assert self.certificate_clock is not None
        clock = self.deadline(self.certificate_clock)
        assert clock is not None
        issuer = self.mediator if kind is CertificateKind.AFTER_MEDIATION else self.adviser
        if issuer is None:
            raise InvalidInputError("no mediator is recorded", field="mediator",
                                    rule_id=CERTIFICATE_REQUIRED)
        cert = issue_certificate(
            kind=kind, issued_on=on, issued_by=issuer.party_id,
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
        # The written agreement is the parties' outcome (reg 42), so it may be open even though
        # the mediator records it.
        items = add_item(self.items, document, facilitators=self.facilitator_ids,
                         outcome_document=True)
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
