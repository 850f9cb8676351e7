"""Arranging the mediation: the issues recorded, each commissioning body told (where health care
is in issue), the route chosen, the meeting arranged and held (CFA 2014 ss.52-53), or the parent
or young person withdrawing."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sen_disagreement._checks import check_id
from sen_disagreement.appeals import MediationRoute, mediation_route
from sen_disagreement.errors import (
    ConsentRequiredError,
    InvalidInputError,
    InvalidTransitionError,
)
from sen_disagreement.independence import MEDIATOR_INDEPENDENT, check_independence
from sen_disagreement.parties import HEALTH_COMMISSIONING_BODIES, Party, PartyKind, detached
from sen_disagreement.provenance import SEND_REGS_START, P, Provenance, Rule, S, U, cite
from sen_disagreement.settings import MeetingDeadline
from sen_disagreement.voluntary import ConsentDecision
from sen_disagreement.workflow import _clocks
from sen_disagreement.workflow._case import (
    CaseParty,
    check_date_order,
    replace_deadline,
    start_deadline,
    stop_running,
)
from sen_disagreement.workflow.certificates import CertificateKind
from sen_disagreement.workflow.issues import Issue
from sen_disagreement.workflow.mediation._stage import CaseStage
from sen_disagreement.workflow.mediation.machine import ICB_CLOCK, MediationEvent, MediationState
from sen_disagreement.workflow.mediation.notice import REG_32

if TYPE_CHECKING:
    from sen_disagreement.workflow.mediation.case import MediationCase

__all__ = ["MEDIATE_LATER", "MEDIATION_DATE_NOTICE", "MEDIATION_WITHDRAWAL", "ArrangingStage"]

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
"""When mediation was not arranged in time, the parent or young person may appeal at once or
still mediate later."""

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
"""The arranging body gives at least 5 working days' notice of the date and place, unless the
parent or young person agrees to less (whether a regulation says so is unconfirmed)."""


def _icb_cite() -> str:
    from sen_disagreement.clocks import CLOCKS

    return CLOCKS[ICB_CLOCK].provenance.cite()


MEDIATION_WITHDRAWAL = Rule(
    "mediation.withdraw_any_time",
    "The parent or young person may stop mediation at any time, having agreed to it; nothing "
    "further is arranged and the mediation adviser owes a certificate within 3 working days.",
    Provenance(
        [
            cite("CFA 2014 s.55(4)-(5); SEND Regs 2014 reg 34(1)", S,
                 "https://sendadvicesurrey.org.uk/information-advice-and-support/mediation/"),
            cite("that withdrawing after agreeing is treated as not wishing to pursue mediation",
                 U),
        ],
        valid_from=SEND_REGS_START,
    ),
)
"""The parent or young person may stop mediation at any time; the adviser then owes a
certificate."""


class ArrangingStage(CaseStage):
    """The arranging stage of :class:`~.case.MediationCase`: issues, commissioning bodies, route,
    meeting, withdrawal."""

    __slots__ = ()

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
                                    field="body_id", rule_id=ICB_CLOCK,
                                    citation=_icb_cite())
        if body_id not in self._bodies():
            raise InvalidInputError("is not a commissioning body of this case", field="body_id",
                                    rule_id=ICB_CLOCK,
                                    citation=_icb_cite())
        if body_id in dict(self.commissioning_bodies_notified):
            raise InvalidInputError("was already told", field="body_id",
                                    rule_id=ICB_CLOCK,
                                    citation=_icb_cite())
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

    def arrange_meeting(
        self, mediator_id: str, mediator: Party, *, meeting_date: dt.date, at: dt.datetime,
        actor: str, shorter_notice_agreed: bool = False,
    ) -> MediationCase:
        """A mediation date is fixed with an independent mediator (needs the parent's or young
        person's live agreement). With setting ``arrange_mediation_deadline=arranged`` this meets
        the 30-day clock; with ``held`` (the default) the meeting must also be held in time."""
        self._begin(MediationEvent.ARRANGE_MEETING, at, actor)
        self._check_reopening(MediationEvent.ARRANGE_MEETING)
        check_id(mediator_id, "mediator_id")
        mediator = detached(mediator, field="mediator")  # what is checked is what is stored
        if mediator.kind is not PartyKind.MEDIATOR:
            raise InvalidInputError("must be a mediator", field="mediator.kind",
                                    rule_id=MEDIATOR_INDEPENDENT)
        if mediator_id in self.party_map:
            raise InvalidInputError("the mediator cannot be one of the sides",
                                    field="mediator_id",
                                    rule_id=MEDIATOR_INDEPENDENT)
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
        return self._step(MediationEvent.ARRANGE_MEETING, at=at, actor=actor,
                          fields=("mediator", "meeting_date"),
                          outcome="shorter_notice_agreed" if shorter_notice_agreed else "ok",
                          mediator=CaseParty(mediator_id, mediator), meeting_date=meeting_date,
                          arranged_on=at.date(), deadlines=deadlines)

    def hold_meeting(self, *, on: dt.date, at: dt.datetime, actor: str) -> MediationCase:
        """The mediation takes place (only with the parent's or young person's live agreement);
        the certificate is due within 3 working days of it concluding."""
        self._begin(MediationEvent.HOLD_MEETING, at, actor)
        self._check_reopening(MediationEvent.HOLD_MEETING)
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
        return self._step(MediationEvent.HOLD_MEETING, at=at, actor=actor, fields=("held_on",),
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

    def _require_live_agreement(self) -> None:
        parties = self.party_map
        if self.ledger.stopped(parties):
            raise ConsentRequiredError(
                "the parent or young person no longer wants mediation",
                rule_id=MEDIATION_WITHDRAWAL,
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
