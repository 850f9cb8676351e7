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

Importing this package builds nothing: the clock table (:mod:`.table`, about 17 ms to load) and
the computations load on first use of one of these names, and the working-day calendar on the
first deadline, so a process that computes no clock (a disagreement-resolution pipeline) never
pays for them.
"""

from __future__ import annotations

# typing.TYPE_CHECKING without importing typing; type checkers treat the name as true, so they
# see the real names (and docs tools follow these imports to the defining modules).
TYPE_CHECKING = False
if TYPE_CHECKING:
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

# name -> the submodule that defines it.
_WHERE: dict[str, str] = {
    "APPEAL_CLOCK_ID": "sen_disagreement.clocks.compute",
    "appeal_deadline": "sen_disagreement.clocks.compute",
    "clock_status": "sen_disagreement.clocks.compute",
    "clock_statuses": "sen_disagreement.clocks.compute",
    "completion_events": "sen_disagreement.clocks.compute",
    "compute_deadlines": "sen_disagreement.clocks.compute",
    "deadline": "sen_disagreement.clocks.compute",
    "deadlines_for": "sen_disagreement.clocks.compute",
    "due_date": "sen_disagreement.clocks.compute",
    "effective_unit": "sen_disagreement.clocks.compute",
    "order_clock_ids": "sen_disagreement.clocks.compute",
    "period_end": "sen_disagreement.clocks.compute",
    "state_of": "sen_disagreement.clocks.compute",
    "Actor": "sen_disagreement.clocks.model",
    "AppealDeadline": "sen_disagreement.clocks.model",
    "AppliedException": "sen_disagreement.clocks.model",
    "Circumstances": "sen_disagreement.clocks.model",
    "ClockDefinition": "sen_disagreement.clocks.model",
    "ClockException": "sen_disagreement.clocks.model",
    "ClockKind": "sen_disagreement.clocks.model",
    "ClockState": "sen_disagreement.clocks.model",
    "Condition": "sen_disagreement.clocks.model",
    "Counting": "sen_disagreement.clocks.model",
    "Deadline": "sen_disagreement.clocks.model",
    "ExceptionEffect": "sen_disagreement.clocks.model",
    "ExceptionKind": "sen_disagreement.clocks.model",
    "ExceptionPeriod": "sen_disagreement.clocks.model",
    "FixedDateDeadline": "sen_disagreement.clocks.model",
    "MediationIssues": "sen_disagreement.clocks.model",
    "OrderKind": "sen_disagreement.clocks.model",
    "Roll": "sen_disagreement.clocks.model",
    "Status": "sen_disagreement.clocks.model",
    "TransferKind": "sen_disagreement.clocks.model",
    "Unit": "sen_disagreement.clocks.model",
    "CLOCKS": "sen_disagreement.clocks.table",
    "CORONAVIRUS_EXCEPTION": "sen_disagreement.clocks.table",
    "CORONAVIRUS_EXCEPTION_END": "sen_disagreement.clocks.table",
    "CORONAVIRUS_EXCEPTION_START": "sen_disagreement.clocks.table",
    "EVENTS": "sen_disagreement.clocks.table",
    "FIXED_DATE_DEADLINES": "sen_disagreement.clocks.table",
    "ORDER_KIND_CLOCKS": "sen_disagreement.clocks.table",
    "REG_44_3_ABSENCE": "sen_disagreement.clocks.table",
}

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


# Defined for run time only, so type checkers still reject a name this package does not have.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        """Load a name on first use (PEP 562) and keep it: the same object as its submodule's, with
        later uses costing nothing. The import system's per-module lock makes a first use from
        several threads at once load each submodule once; every thread then gets that object."""
        where = _WHERE.get(name)
        if where is None:
            msg = f"module {__name__!r} has no attribute {name!r}"
            raise AttributeError(msg)
        import importlib

        value: object = getattr(importlib.import_module(where), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
