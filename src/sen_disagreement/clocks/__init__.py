"""Statutory clocks: every timescale of the statutory reference as a named, cited definition,
and the functions that turn trigger events into deadlines and statuses.

Main entry points:

* :data:`CLOCKS` (id -> :class:`ClockDefinition`), :data:`FIXED_DATE_DEADLINES`, :data:`EVENTS`;
* :func:`deadline` ``(clock_id, trigger_date)`` -> :class:`Deadline` (cited, with who must act);
* :func:`due_date` ``(clock_id, trigger_date)`` -> ``date`` (fast path for whole caseloads);
* :func:`compute_deadlines` ``(events, circumstances)`` -> every deadline the events start;
* :func:`appeal_deadline` ``(decision_notice_sent, certificate_issued, certificate_required=)``;
* :func:`clock_statuses` / :func:`clock_status` / :func:`state_of` -> :class:`ClockState`;
* :func:`order_clock_ids` ``(order kinds)`` -> the reg 44 clocks an order with those limbs starts.

Lawful exceptions are :class:`ExceptionPeriod` inputs (in :class:`Circumstances`); each deadline
lists those it applied (``Deadline.exceptions``) and those it could have used
(``Deadline.available_exceptions``: e.g. the SI 2020/471 coronavirus exception for a clock that
ran in 1 May-25 September 2020).

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
    order_clock_ids,
    period_end,
    state_of,
)
from sen_disagreement.clocks.model import (
    Actor,
    AppealDeadline,
    AppliedException,
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
from sen_disagreement.clocks.table import (
    CLOCKS,
    CORONAVIRUS_EXCEPTION,
    CORONAVIRUS_EXCEPTION_END,
    CORONAVIRUS_EXCEPTION_START,
    EVENTS,
    FIXED_DATE_DEADLINES,
    ORDER_KIND_CLOCKS,
    REG_44_3_ABSENCE,
)

__all__ = [
    "APPEAL_CLOCK_ID",
    "CLOCKS",
    "CORONAVIRUS_EXCEPTION",
    "CORONAVIRUS_EXCEPTION_END",
    "CORONAVIRUS_EXCEPTION_START",
    "EVENTS",
    "FIXED_DATE_DEADLINES",
    "ORDER_KIND_CLOCKS",
    "REG_44_3_ABSENCE",
    "Actor",
    "AppealDeadline",
    "AppliedException",
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
    "order_clock_ids",
    "period_end",
    "state_of",
]
