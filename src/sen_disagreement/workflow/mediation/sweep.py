"""The daily sweep: what the passing of a day makes happen to a mediation case (the adviser
contact period lapsing, the 30 days passing without a mediation, deadlines missed)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast

import attrs

from sen_disagreement.provenance import Provenance, Rule, S, U, cite
from sen_disagreement.settings import MeetingDeadline
from sen_disagreement.workflow._case import (
    DeadlineStatus,
    replace_deadline,
    start_deadline,
    stop_running,
)
from sen_disagreement.workflow.audit import SYSTEM_ACTOR, check_utc
from sen_disagreement.workflow.mediation._stage import CaseStage
from sen_disagreement.workflow.mediation.machine import (
    ADVISER_CLOCK,
    MediationEvent,
    MediationState,
)

if TYPE_CHECKING:
    from sen_disagreement.workflow.mediation.case import MediationCase

__all__ = ["NOT_ARRANGED_DETECTION", "SweepStage"]

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
"""When the 30 days pass without mediation, the arranging body tells the mediation adviser, who
issues a certificate."""


class SweepStage(CaseStage):
    """The automatic detection of :class:`~.case.MediationCase`."""

    __slots__ = ()

    def tick(self, today: dt.date, *, at: dt.datetime) -> MediationCase:
        """Apply what the passing of ``today`` makes happen, one transition (and audit entry)
        each: the 2-month adviser-contact period lapsing; the 30 days passing without a
        mediation (the adviser is told today and the deemed-certificate clock starts); any other
        running deadline passing (recorded as missed). A deadline passes once its due day is
        over, so ``today`` must be after the due date."""
        check_utc(at)
        # A stage mixin is only ever a part of MediationCase.
        case = cast("MediationCase", self)
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
