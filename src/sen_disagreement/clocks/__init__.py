"""Statutory clocks: every timescale of the statutory reference as a named, cited definition,
and the functions that turn trigger events into deadlines and statuses.

Main entry points:

* :data:`CLOCKS` (id -> :class:`ClockDefinition`), :data:`FIXED_DATE_DEADLINES`, :data:`EVENTS`;
* :func:`deadline` ``(clock_id, trigger_date)`` -> :class:`Deadline` (cited, with who must act);
* :func:`due_date` ``(clock_id, trigger_date)`` -> ``date`` (fast path for whole caseloads);
* :func:`compute_deadlines` ``(events, circumstances)`` -> every deadline the events start;
* :func:`appeal_deadline` ``(decision_notice_sent, certificate_issued, certificate_required=)``;
* :func:`clock_statuses` / :func:`clock_status` / :func:`state_of` -> :class:`ClockState`.

Importing this package does not build the working-day calendar; the first deadline does.
"""

from __future__ import annotations

from sen_disagreement.clocks.compute import (
    APPEAL_CLOCK_ID,
    appeal_deadline,
    clock_status,
    clock_statuses,
    completion_events,
    compute_deadlines,
    deadline,
    deadlines_for,
    due_date,
    effective_unit,
    period_end,
    state_of,
)
from sen_disagreement.clocks.model import (
    Actor,
    AppealDeadline,
    Circumstances,
    ClockDefinition,
    ClockException,
    ClockKind,
    ClockState,
    Condition,
    Counting,
    Deadline,
    ExceptionEffect,
    ExceptionKind,
    ExceptionPeriod,
    FixedDateDeadline,
    MediationIssues,
    OrderKind,
    Roll,
    Status,
    TransferKind,
    Unit,
)
from sen_disagreement.clocks.table import CLOCKS, EVENTS, FIXED_DATE_DEADLINES

__all__ = [
    "APPEAL_CLOCK_ID",
    "CLOCKS",
    "EVENTS",
    "FIXED_DATE_DEADLINES",
    "Actor",
    "AppealDeadline",
    "Circumstances",
    "ClockDefinition",
    "ClockException",
    "ClockKind",
    "ClockState",
    "Condition",
    "Counting",
    "Deadline",
    "ExceptionEffect",
    "ExceptionKind",
    "ExceptionPeriod",
    "FixedDateDeadline",
    "MediationIssues",
    "OrderKind",
    "Roll",
    "Status",
    "TransferKind",
    "Unit",
    "appeal_deadline",
    "clock_status",
    "clock_statuses",
    "completion_events",
    "compute_deadlines",
    "deadline",
    "deadlines_for",
    "due_date",
    "effective_unit",
    "period_end",
    "state_of",
]
