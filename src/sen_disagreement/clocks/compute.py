"""Computing deadlines from trigger events, the SEN appeal deadline, and clock status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import attrs

from sen_disagreement.calendar import (
    add_calendar_days,
    add_months,
    add_weeks,
    hesc_rule_12,
    in_hesc_r12_3_window,
    working_day_calendar,
)
from sen_disagreement.clocks.model import (
    ORDER_CONDITIONS,
    ORDER_LIMBS_RULE_ID,
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
    MediationIssues,
    OrderKind,
    Roll,
    Status,
    TransferKind,
    Unit,
)
from sen_disagreement.clocks.table import (
    CLOCKS,
    DD_CLAIMS_OUTSIDE_R12_3_FROM,
    EVENTS,
    FIXED_DATE_DEADLINES,
    ORDER_KIND_CLOCKS,
)
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.provenance import Provenance
from sen_disagreement.settings import (
    DEFAULT_SETTINGS,
    DayUnit,
    MeetingDeadline,
    Settings,
    TribunalNonWorkingDays,
)
from sen_disagreement.settings import ExceptionEffect as SettingEffect

__all__ = [
    "APPEAL_CLOCK_ID",
    "appeal_deadline",
    "clock_status",
    "clock_statuses",
    "completion_events",
    "compute_deadlines",
    "dd_claim_rule_12_3",
    "deadline",
    "deadlines_for",
    "due_date",
    "effective_unit",
    "order_clock_ids",
    "period_end",
    "state_of",
]

APPEAL_CLOCK_ID = "tribunal_appeal"
"""Id of the combined SEN appeal deadline (the later of the two r.20(1)(c) clocks)."""

_DAY_UNIT = {DayUnit.CALENDAR_DAYS: Unit.CALENDAR_DAYS, DayUnit.WORKING_DAYS: Unit.WORKING_DAYS}


def _clock(clock_id: str) -> ClockDefinition:
    try:
        return CLOCKS[clock_id]
    except KeyError:
        raise InvalidInputError(
            "unknown clock id", field="clock_id", rule_id="clocks.known_clock"
        ) from None


def effective_unit(clock: ClockDefinition, settings: Settings = DEFAULT_SETTINGS) -> Unit:
    """The clock's unit under ``settings`` (two UNCONFIRMED units are settings)."""
    if "deemed_certificate_unit" in clock.settings:
        return _DAY_UNIT[settings.deemed_certificate_unit]
    if "arrange_mediation_unit" in clock.settings:
        return _DAY_UNIT[settings.arrange_mediation_unit]
    return clock.unit


def completion_events(
    clock: ClockDefinition, settings: Settings = DEFAULT_SETTINGS
) -> tuple[str, ...]:
    """Event names that meet the clock. For the 30-day mediation clocks this depends on the
    setting ``arrange_mediation_deadline`` (meeting held, or only arranged, in time)."""
    if "arrange_mediation_deadline" in clock.settings:
        held = settings.arrange_mediation_deadline is MeetingDeadline.HELD
        return ("mediation_held",) if held else ("mediation_arranged",)
    return clock.completed_by


def period_end(
    start: dt.date,
    length: int,
    unit: Unit,
    *,
    counting: Counting | None = None,
    backwards: bool = False,
    counts_start_day: bool = False,
    settings: Settings = DEFAULT_SETTINGS,
) -> dt.date:
    """The last day of a period of ``length`` ``unit`` counted from ``start`` as ``counting``
    says (see :class:`~sen_disagreement.clocks.model.Counting`).

    * ``WITHIN_AFTER`` / ``NOT_LATER_THAN``: ``start`` is day 0; N months end on the
      corresponding date (clamped to month end).
    * ``STARTING_WITH``: ``start`` is day 1. N days or weeks end one day before ``start`` plus
      N days or weeks; N working days end on the N-th working day on or after ``start``; N
      months end on the day before the corresponding date N months later, or on the last day of
      that month when it has no corresponding date.
    * ``BEFORE``: counted back from ``start``.

    ``backwards`` / ``counts_start_day`` are the older spelling of ``BEFORE`` /
    ``STARTING_WITH``, used only when ``counting`` is not given.
    """
    if counting is None:
        if backwards:
            counting = Counting.BEFORE
        elif counts_start_day:
            counting = Counting.STARTING_WITH
        else:
            counting = Counting.WITHIN_AFTER
    if counting is Counting.STARTING_WITH and length > 0:
        return _starting_with_end(start, length, unit, settings)
    n = -length if counting is Counting.BEFORE else length
    if unit is Unit.WORKING_DAYS:
        return working_day_calendar(settings).add_working_days(start, n)
    if unit is Unit.CALENDAR_DAYS:
        return add_calendar_days(start, n)
    if unit is Unit.WEEKS:
        return add_weeks(start, n)
    return add_months(start, n)


def _starting_with_end(start: dt.date, length: int, unit: Unit, settings: Settings) -> dt.date:
    """Last day of a period of ``length`` ``unit`` "starting with" ``start`` (day 1)."""
    day_before = add_calendar_days(start, -1)
    if unit is Unit.WORKING_DAYS:
        return working_day_calendar(settings).add_working_days(day_before, length)
    if unit is Unit.CALENDAR_DAYS:
        return add_calendar_days(start, length - 1)
    if unit is Unit.WEEKS:
        return add_calendar_days(add_weeks(start, length), -1)
    target = add_months(start, length)
    if target.day < start.day:
        # No corresponding date in the target month: the period runs to its last day.
        return target
    return add_calendar_days(target, -1)


def due_date(
    clock_id: str, trigger_date: dt.date, settings: Settings = DEFAULT_SETTINGS
) -> dt.date:
    """The raw due date of a fixed-length clock started on ``trigger_date`` (after any Tribunal
    roll-forward; no exceptions, conditions or in-force check). The fast path for recomputing a
    caseload; :func:`deadline` gives the full, cited answer."""
    clock = _clock(clock_id)
    if clock.length is None:
        raise _no_single_length(clock)
    due = period_end(
        trigger_date,
        clock.length,
        effective_unit(clock, settings),
        counting=clock.counting,
        settings=settings,
    )
    if clock.roll is Roll.TRIBUNAL:
        due = hesc_rule_12(due, settings)
    elif clock.roll is Roll.WINDOW_BEFORE_2020_07_21:
        due = dd_claim_rule_12_3(due, settings)
    return due


def dd_claim_rule_12_3(end: dt.date, settings: Settings = DEFAULT_SETTINGS) -> dt.date:
    """The last day in time for a disability discrimination claim whose period, unrolled, ends
    on ``end`` (:attr:`~sen_disagreement.clocks.model.Roll.WINDOW_BEFORE_2020_07_21`).

    Before 21 July 2020 HESC r.12(3)(a) applied to these claims (rule
    ``hesc_r12_3.dd_claims_before_21_july_2020``): an end from 25 December to 1 January, or in
    August, moves to the first working day after 1 January / 31 August (only with the default
    setting ``tribunal_non_working_days=ROLL_FORWARD``, as for SEN appeals). From 21 July 2020
    the claims are outside r.12(3) (rule ``hesc_r12_3.dd_claims_outside_from_21_july_2020``):
    ``end`` stands. r.12(2) (the next working day) is applied to neither."""
    if type(end) is not dt.date:  # a datetime compares with dates only by raising TypeError
        raise InvalidInputError("must be a date", field="end", rule_id="input.date")
    if (
        end < DD_CLAIMS_OUTSIDE_R12_3_FROM
        and settings.tribunal_non_working_days is TribunalNonWorkingDays.ROLL_FORWARD
        and in_hesc_r12_3_window(end)
    ):
        return hesc_rule_12(end, settings)  # r.12(3)(a): the window's branch
    return end


def _no_single_length(clock: ClockDefinition) -> InvalidInputError:
    return InvalidInputError(
        "this clock has no single length; it applies the time limits of: "
        + ", ".join(clock.delegates_to),
        field="clock_id",
        rule_id=clock.id,
        citation=clock.cite(),
    )


def _recognised(
    clock: ClockDefinition, settings: Settings, via: ClockDefinition | None = None
) -> dict[ExceptionKind, ClockException]:
    """The exceptions the clock recognises under ``settings``, by kind. Reached through a
    mediation agreement (``via``, reg 42(2)), the agreement's list applies, less the exceptions
    that disapply the agreement as a whole (reg 42(5))."""
    source = clock.exceptions if via is None else via.exceptions
    return {
        e.kind: e
        for e in source
        if e.enabled(settings) and (via is None or e.effect is not ExceptionEffect.DISAPPLY)
    }


def _aimed_at(period: ExceptionPeriod, clock: ClockDefinition, via: ClockDefinition | None) -> bool:
    """Whether ``period`` names this clock (or the agreement it is reached through)."""
    return clock.id in period.clock_ids or (via is not None and via.id in period.clock_ids)


def _relevant_exceptions(
    clock: ClockDefinition,
    periods: Iterable[ExceptionPeriod],
    settings: Settings = DEFAULT_SETTINGS,
    via: ClockDefinition | None = None,
) -> list[tuple[ExceptionPeriod, ClockException]]:
    known = _recognised(clock, settings, via)
    return [
        (p, known[p.kind])
        for p in periods
        if p.kind in known and (not p.clock_ids or _aimed_at(p, clock, via))
    ]


def _exception_error(
    message: str, exc: ClockException, clock: ClockDefinition, field: str
) -> InvalidInputError:
    return InvalidInputError(
        message, field=field, rule_id=exc.rule_id or clock.id, citation=exc.provenance.cite()
    )


def _last_day(exc: ClockException) -> dt.date | None:
    valid_to = exc.provenance.valid_to
    return None if valid_to is None else valid_to - dt.timedelta(days=1)


def _checked_exceptions(
    clock: ClockDefinition,
    trigger_date: dt.date,
    due: dt.date,
    periods: Sequence[ExceptionPeriod],
    settings: Settings,
    *,
    via: ClockDefinition | None,
    aimed: bool,
) -> list[AppliedException]:
    """The recorded exceptions that apply to the clock, checked against the words of their
    provisions: a continuous period the provision requires (reg 44(3): 2 weeks or more), and
    the days a dated exception existed (SI 2020/471: 1 May-25 September 2020). A dated
    exception is cut to those days. One the clock's period never overlapped is refused when it
    was recorded for this clock (``aimed``, or the period names it); otherwise it is left out,
    as an exception after the due date changes nothing."""
    out: list[AppliedException] = []
    first_day, last_day = sorted((trigger_date, due))
    for period, exc in _relevant_exceptions(clock, periods, settings, via):
        days = period.days
        if exc.min_days is not None and days is not None and days < exc.min_days:
            raise _exception_error(
                f"this exception needs a continuous period of at least {exc.min_days} days; "
                f"the recorded period has {days}",
                exc,
                clock,
                "exceptions.end",
            )
        applied = period
        closes = _last_day(exc)
        if closes is not None:
            # A dated exception (SI 2020/471): it existed only on some days.
            opens = exc.provenance.valid_from or dt.date.min
            window = f"{opens.isoformat()} to {closes.isoformat()}"
            if not exc.available_between(first_day, last_day):
                if aimed or _aimed_at(period, clock, via):
                    raise _exception_error(
                        f"this exception existed only from {window}; the clock ran from "
                        f"{first_day.isoformat()} to {last_day.isoformat()}",
                        exc,
                        clock,
                        "exceptions.kind",
                    )
                continue
            end = closes if period.end is None else min(period.end, closes)
            if period.start > closes or end < opens:
                raise _exception_error(
                    f"this exception existed only from {window}", exc, clock, "exceptions.start"
                )
            start = max(period.start, opens)
            if (start, end) != (period.start, period.end):
                applied = attrs.evolve(period, start=start, end=end)
        out.append(AppliedException(applied, exc))
    return out


def _apply_exceptions(
    clock: ClockDefinition,
    trigger_date: dt.date,
    due: dt.date,
    applied: Sequence[AppliedException],
    settings: Settings,
) -> tuple[dt.date | None, bool, str | None, tuple[ClockException, ...]]:
    """(due, disapplied, note, exceptions used) after the checked exceptions in ``applied``
    (see :func:`_checked_exceptions`)."""
    relevant = [(a.period, a.exception) for a in applied]
    if not relevant:
        return due, False, None, ()
    used = tuple(e for _, e in relevant)
    for _period, exc in relevant:
        disapply = exc.effect is ExceptionEffect.DISAPPLY or (
            settings.lawful_exception_effect is SettingEffect.DISAPPLY
        )
        if disapply:
            return None, True, f"time limit disapplied: {exc.provenance.cite()}", used
    # Extend: the clock stands still while an exception lasts. Merge overlapping periods first so
    # a day is never counted twice, then walk them in order; an extension can bring a later
    # period inside the running clock, which the ordered walk handles.
    spans = sorted((p.start, p.end) for p, _ in relevant)
    merged: list[tuple[dt.date, dt.date | None]] = []
    for start, end in spans:
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break
            if start <= last_end + dt.timedelta(days=1):
                new_end = None if end is None else max(end, last_end)
                merged[-1] = (last_start, new_end)
                continue
        merged.append((start, end))
    first_running = trigger_date + dt.timedelta(days=1)
    extended = 0
    for start, end in merged:
        if start > due:
            break
        if end is None:
            paused = f"paused since {max(start, first_running).isoformat()} by a lawful exception"
            return None, False, paused, used
        # The clock was still running when the exception began, so it stands still for the
        # whole exception, even the part after the unextended due date.
        overlap = (end - max(start, first_running)).days + 1
        if overlap > 0:
            due += dt.timedelta(days=overlap)
            extended += overlap
    note = f"extended by {extended} day(s) for lawful exceptions" if extended else None
    return due, False, note, used


def _with_exceptions(provenance: Provenance, used: tuple[ClockException, ...]) -> Provenance:
    if not used:
        return provenance
    extra = tuple(c for e in used for c in e.provenance.citations if c not in provenance.citations)
    return Provenance(
        provenance.citations + extra,
        valid_from=provenance.valid_from,
        valid_to=provenance.valid_to,
    )


def deadline(
    clock_id: str,
    trigger_date: dt.date,
    *,
    settings: Settings = DEFAULT_SETTINGS,
    exceptions: Sequence[ExceptionPeriod] = (),
    trigger: str | None = None,
    via: str | None = None,
    conditions: tuple[Condition, ...] = (),
) -> Deadline:
    """The cited deadline of clock ``clock_id`` started by an event on ``trigger_date``.

    ``exceptions`` are recorded for this clock: each kind the clock recognises (under
    ``settings``) is checked against its provision and applied; ``Deadline.exceptions`` lists
    them and ``Deadline.available_exceptions`` every exception the clock could have used.
    ``via`` names the mediation agreement clock (reg 42(2)) the deadline is reached through.

    Raises :class:`~sen_disagreement.errors.InvalidInputError` (naming the trigger event and the
    clock) when the clock was not in force on ``trigger_date``, or for a clock with no single
    length (``agreement_appealable_matters``: use :func:`deadlines_for`); and (naming the
    exception's field and rule) for an exception its provision does not allow: a reg 44(3)
    absence shorter than 2 weeks, or a coronavirus exception outside 1 May-25 September 2020 or
    on a clock whose period never overlapped those days.
    """
    return _deadline(
        clock_id,
        trigger_date,
        settings=settings,
        exceptions=exceptions,
        trigger=trigger,
        via=via,
        conditions=conditions,
        aimed=True,
    )


def _deadline(
    clock_id: str,
    trigger_date: dt.date,
    *,
    settings: Settings,
    exceptions: Sequence[ExceptionPeriod],
    trigger: str | None,
    via: str | None,
    conditions: tuple[Condition, ...],
    aimed: bool,
) -> Deadline:
    clock = _clock(clock_id)
    event = trigger or clock.trigger
    if not clock.provenance.applies_on(trigger_date):
        raise InvalidInputError(
            f"this clock is not in force on that date (from {clock.provenance.valid_from})",
            field=event,
            rule_id=clock.id,
            citation=clock.cite(),
        )
    try:
        raw = due_date(clock_id, trigger_date, settings)
    except InvalidInputError as err:
        if err.rule_id == clock.id:
            raise
        raise InvalidInputError(err.message, field=event, rule_id=err.rule_id) from None
    unrolled = (
        period_end(
            trigger_date,
            clock.length or 0,
            effective_unit(clock, settings),
            counting=clock.counting,
            settings=settings,
        )
        if clock.roll is not Roll.NONE
        else raw
    )
    via_clock = CLOCKS.get(via) if via is not None else None
    applied = _checked_exceptions(
        clock, trigger_date, raw, exceptions, settings, via=via_clock, aimed=aimed
    )
    first_day, last_day = sorted((trigger_date, raw))
    available = tuple(
        e
        for e in _recognised(clock, settings, via_clock).values()
        if e.available_between(first_day, last_day)
    )
    due, disapplied, note, used = _apply_exceptions(clock, trigger_date, raw, applied, settings)
    if clock.roll is Roll.TRIBUNAL and raw != unrolled:
        note = f"moved from {unrolled.isoformat()} (Tribunal non-working day)"
    elif clock.roll is Roll.WINDOW_BEFORE_2020_07_21 and raw != unrolled:
        note = (
            f"moved from {unrolled.isoformat()} (HESC r.12(3)(a): a disability discrimination "
            "claim's time ending in the Christmas/August window before 21 July 2020)"
        )
    return Deadline(
        clock_id=clock.id,
        description=clock.description,
        due=due,
        who_must_act=clock.who_must_act,
        trigger=event,
        trigger_date=trigger_date,
        provenance=_with_exceptions(clock.provenance, used),
        kind=clock.kind,
        unadjusted=unrolled,
        via=via,
        conditions=conditions,
        disapplied=disapplied,
        note=note,
        exceptions=tuple(applied),
        available_exceptions=available,
    )


def order_clock_ids(kinds: OrderKind | Iterable[OrderKind]) -> tuple[str, ...]:
    """The reg 44(2) clocks an order (or agreed appealable matter, reg 42(2)) with these limbs
    starts, in the reference's order: ``(CONTINUE_TO_MAINTAIN, AMEND_PLAN)`` gives
    ``("order_amend_plan", "order_continue_to_maintain")``."""
    limbs = Circumstances(order_kinds=kinds).orders
    if not limbs:
        raise InvalidInputError(
            "an order has at least one limb", field="order_kinds", rule_id=ORDER_LIMBS_RULE_ID
        )
    wanted = {c for k in limbs for c in ORDER_KIND_CLOCKS[k]}
    return tuple(c for c in CLOCKS["agreement_appealable_matters"].delegates_to if c in wanted)


def _condition_holds(
    condition: Condition, c: Circumstances, settings: Settings
) -> bool | None:
    """True / False, or None when the fact is not known."""
    issues = c.mediation_issues
    transfer = c.transfer_kind
    orders = c.orders
    order_condition = _ORDER_CONDITION_KINDS.get(condition)
    if order_condition is not None:
        return None if not orders else order_condition in orders
    match condition:
        case Condition.CERTIFICATE_REQUIRED:
            return c.certificate_required
        case Condition.HEALTH_ISSUES:
            return None if issues is None else issues is not MediationIssues.EDUCATION_SOCIAL_CARE
        case Condition.EDUCATION_SOCIAL_CARE_ONLY:
            return None if issues is None else issues is MediationIssues.EDUCATION_SOCIAL_CARE
        case Condition.HEALTH_ONLY:
            return None if issues is None else issues is MediationIssues.HEALTH_ONLY
        case Condition.MIXED_ISSUES:
            return None if issues is None else issues is MediationIssues.MIXED
        case Condition.LA_NOT_PARTY:
            party = c.la_party_to_agreement
            return None if party is None else not party
        case Condition.TRANSFER_GENERAL:
            return None if transfer is None else transfer is TransferKind.GENERAL
        case Condition.TRANSFER_SECONDARY_TO_POST16:
            return None if transfer is None else transfer is TransferKind.SECONDARY_TO_POST16
        case Condition.TRANSFER_POST16_OTHER_TIME:
            return None if transfer is None else transfer is TransferKind.POST16_OTHER_TIME
        case Condition.MEDIATION_DATE_NOTICE:
            return settings.mediation_date_notice
    return None  # pragma: no cover - every other condition is an order limb


_ORDER_CONDITION_KINDS: dict[Condition, OrderKind] = {v: k for k, v in ORDER_CONDITIONS.items()}


def _unknown_conditions(
    conditions: Iterable[Condition], c: Circumstances, settings: Settings
) -> tuple[Condition, ...] | None:
    """None if some condition is known to be false; else the conditions not known."""
    unknown: list[Condition] = []
    for cond in conditions:
        holds = _condition_holds(cond, c, settings)
        if holds is False:
            return None
        if holds is None:
            unknown.append(cond)
    return tuple(unknown)


def _check_events(events: Mapping[str, dt.date]) -> None:
    for name, value in events.items():
        if name not in EVENTS:
            raise InvalidInputError(
                "unknown event name (see sen_disagreement.clocks.EVENTS)",
                field=name,
                rule_id="clocks.known_event",
            )
        # Callers parse JSON and flags: a datetime or string here is a caller bug worth naming.
        if type(value) is not dt.date:
            raise InvalidInputError(
                "an event needs a date", field=name, rule_id="clocks.event_date"
            )


def _trigger(
    clock_triggers: Iterable[str], events: Mapping[str, dt.date]
) -> tuple[str, dt.date] | None:
    """The latest of the clock's trigger events that is present (a later one restarts it)."""
    found = [(events[t], t) for t in clock_triggers if t in events]
    if not found:
        return None
    when, name = max(found)
    return name, when


def deadlines_for(
    clock_id: str,
    trigger_date: dt.date,
    *,
    circumstances: Circumstances | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    trigger: str | None = None,
) -> list[Deadline]:
    """The deadline(s) a clock produces: one for most clocks; for ``agreement_appealable_matters``
    one per reg 44 clock that applies (the agreement counts as the date of an order), or a single
    disapplied entry when the parties agreed another timescale in writing (reg 42(5))."""
    c = circumstances or Circumstances()
    clock = _clock(clock_id)
    conditions = _unknown_conditions(clock.conditions, c, settings)
    if conditions is None:
        return []
    if not clock.delegates_to:
        return [
            _deadline(
                clock_id,
                trigger_date,
                settings=settings,
                exceptions=c.exceptions,
                trigger=trigger,
                via=None,
                conditions=conditions,
                aimed=False,
            )
        ]
    event = trigger or clock.trigger
    relevant = [
        (p, e)
        for p, e in _relevant_exceptions(clock, c.exceptions, settings)
        if e.effect is ExceptionEffect.DISAPPLY
    ]
    if relevant:
        return [
            Deadline(
                clock_id=clock.id,
                description=clock.description,
                due=None,
                who_must_act=clock.who_must_act,
                trigger=event,
                trigger_date=trigger_date,
                provenance=_with_exceptions(clock.provenance, tuple(e for _, e in relevant)),
                disapplied=True,
                note="parties agreed a different timescale in writing (reg 42(5))",
                exceptions=tuple(AppliedException(p, e) for p, e in relevant),
            )
        ]
    out: list[Deadline] = []
    for target in clock.delegates_to:
        sub = _unknown_conditions(CLOCKS[target].conditions, c, settings)
        if sub is None:
            continue
        d = _deadline(
            target,
            trigger_date,
            settings=settings,
            exceptions=c.exceptions,
            trigger=event,
            via=clock.id,
            conditions=conditions + sub,
            aimed=False,
        )
        merged = Provenance(
            clock.provenance.citations + d.provenance.citations,
            valid_from=clock.provenance.valid_from,
        )
        out.append(_replace_provenance(d, merged))
    return out


def _replace_provenance(d: Deadline, provenance: Provenance) -> Deadline:
    return attrs.evolve(d, provenance=provenance)


def appeal_deadline(
    decision_notice_sent: dt.date,
    certificate_issued: dt.date | None = None,
    *,
    certificate_required: bool = True,
    settings: Settings = DEFAULT_SETTINGS,
) -> AppealDeadline:
    """The SEN appeal deadline: the later of decision notice + 2 months and certificate + 1 month
    (HESC Rules r.20(1)(c)), then moved by HESC Rules r.12 (:func:`calendar.hesc_rule_12`):
    r.12(3)(a) only when that later date itself falls on 25 December-1 January or in August,
    otherwise r.12(2) (next working day).

    ``certificate_required=False`` for an appeal only about section I (the school or institution
    named, or that none is named): no certificate is needed, so the deadline is final without
    one. With ``certificate_required=True`` and no certificate yet, the result is provisional.
    ``from_decision`` / ``from_certificate`` are each limb's date as r.12 would move it alone.
    """
    if certificate_issued is not None and certificate_issued < decision_notice_sent:
        raise InvalidInputError(
            "the mediation certificate cannot be issued before the decision notice was sent",
            field="certificate_issued",
            rule_id="tribunal_appeal_from_certificate",
            citation=CLOCKS["tribunal_appeal_from_certificate"].cite(),
        )
    from_decision_clock = CLOCKS["tribunal_appeal_from_decision"]
    from_cert_clock = CLOCKS["tribunal_appeal_from_certificate"]
    try:
        raw_decision = add_months(decision_notice_sent, 2)
        raw_cert = None if certificate_issued is None else add_months(certificate_issued, 1)
        from_decision = hesc_rule_12(raw_decision, settings)
        from_cert = None if raw_cert is None else hesc_rule_12(raw_cert, settings)
    except InvalidInputError as err:
        raise InvalidInputError(
            err.message, field="decision_notice_sent", rule_id=err.rule_id
        ) from None
    # r.20(1)(c): the time ends on the later of the two unrolled dates; r.12 then applies to
    # that end date (not to each limb and then the later).
    cert_governs = raw_cert is not None and raw_cert > raw_decision
    governing = from_cert_clock if cert_governs else from_decision_clock
    rolled_from = raw_cert if cert_governs and raw_cert is not None else raw_decision
    due = hesc_rule_12(rolled_from, settings)
    citations = from_decision_clock.provenance.citations + tuple(
        x for x in from_cert_clock.provenance.citations
        if x not in from_decision_clock.provenance.citations
    )
    return AppealDeadline(
        due=due,
        from_decision=from_decision,
        from_certificate=from_cert,
        governing_clock_id=governing.id,
        certificate_required=certificate_required,
        provisional=certificate_required and certificate_issued is None,
        rolled_from=rolled_from,
        provenance=Provenance(citations, valid_from=from_cert_clock.provenance.valid_from),
    )


def _appeal_as_deadline(
    events: Mapping[str, dt.date], c: Circumstances, settings: Settings
) -> Deadline:
    sent = events["decision_notice_sent"]
    cert = events.get("certificate_issued")
    a = appeal_deadline(
        sent, cert, certificate_required=c.certificate_required, settings=settings
    )
    notes = []
    if a.rolled_from != a.due:
        notes.append(f"moved from {a.rolled_from.isoformat()} (Tribunal non-working day)")
    if a.provisional:
        notes.append("provisional: a certificate issued later may move this date")
    if not c.certificate_required:
        notes.append("no mediation certificate needed (section I only)")
    governing_trigger = "certificate_issued" if a.governing_clock_id.endswith("certificate") else (
        "decision_notice_sent"
    )
    return Deadline(
        clock_id=APPEAL_CLOCK_ID,
        description="SEN appeal received by the Tribunal: the later of the two r.20(1)(c) dates",
        due=a.due,
        who_must_act=CLOCKS["tribunal_appeal_from_decision"].who_must_act,
        trigger=governing_trigger,
        trigger_date=events[governing_trigger],
        provenance=a.provenance,
        unadjusted=a.rolled_from,
        provisional=a.provisional,
        note="; ".join(notes) or None,
    )


def compute_deadlines(
    events: Mapping[str, dt.date],
    circumstances: Circumstances | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> list[Deadline]:
    """Every deadline the ``events`` (event name -> date) start, in the reference's order, then
    the combined appeal deadline (``tribunal_appeal``) and the fixed-date deadlines.

    Clocks not in force on their trigger date, and clocks whose condition is known to be false,
    are left out; clocks whose condition is unknown are kept with ``conditions`` listing it.
    """
    _check_events(events)
    c = circumstances or Circumstances()
    out: list[Deadline] = []
    for clock in CLOCKS.values():
        found = _trigger(clock.triggers, events)
        if found is None:
            continue
        name, when = found
        if not clock.provenance.applies_on(when):
            continue
        out.extend(
            deadlines_for(clock.id, when, circumstances=c, settings=settings, trigger=name)
        )
    if "decision_notice_sent" in events:
        out.append(_appeal_as_deadline(events, c, settings))
    if "transfer_date" in events:
        when = events["transfer_date"]
        for f in FIXED_DATE_DEADLINES.values():
            conditions = _unknown_conditions(f.conditions, c, settings)
            if conditions is None or not f.provenance.applies_on(when):
                continue
            out.append(
                Deadline(
                    clock_id=f.id,
                    description=f.description,
                    due=f.due_in(when.year),
                    who_must_act=f.who_must_act,
                    trigger=f.trigger,
                    trigger_date=when,
                    provenance=f.provenance,
                    conditions=conditions,
                    note="last day in time is the day before the named date" if f.before else None,
                )
            )
    return out


def _completed_on(
    d: Deadline,
    events: Mapping[str, dt.date],
    completed: Mapping[str, dt.date],
    settings: Settings,
) -> dt.date | None:
    if d.clock_id in completed:
        return completed[d.clock_id]
    if d.clock_id == APPEAL_CLOCK_ID:
        names: tuple[str, ...] = ("appeal_received",)
    elif d.clock_id in CLOCKS:
        names = completion_events(CLOCKS[d.clock_id], settings)
    else:
        names = ()
    backwards = d.clock_id in CLOCKS and CLOCKS[d.clock_id].counts_backwards
    dates = [
        events[n] for n in names if n in events and (backwards or events[n] >= d.trigger_date)
    ]
    return min(dates) if dates else None


def state_of(
    d: Deadline,
    *,
    as_of: dt.date,
    events: Mapping[str, dt.date] | None = None,
    completed: Mapping[str, dt.date] | None = None,
    circumstances: Circumstances | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    due_within: int = 5,
) -> ClockState:
    """The status on ``as_of`` of a computed deadline.

    Order of tests: disapplied; met/missed once completed (on or before ``as_of``); paused while
    a lawful exception covers ``as_of`` (or has no end); not started while the trigger is in the
    future (forward clocks only); missed once ``as_of`` is past ``due``; due soon when at most
    ``due_within`` working days remain; otherwise running. A minimum period that has run out is
    ``met``: the period the law requires has been allowed.
    """
    ev = events or {}
    c = circumstances or Circumstances()
    done = _completed_on(d, ev, completed or {}, settings)
    if d.disapplied:
        return ClockState(d.clock_id, Status.DISAPPLIED, as_of, d, done)
    if done is not None and done <= as_of:
        on_time = d.due is None or done <= d.due
        return ClockState(d.clock_id, Status.MET if on_time else Status.MISSED, as_of, d, done)
    clock = CLOCKS.get(d.clock_id)
    if d.due is None or _paused_on(d, c, settings, as_of):
        return ClockState(d.clock_id, Status.PAUSED, as_of, d, done)
    backwards = clock is not None and clock.counts_backwards and d.via is None
    if not backwards and d.trigger_date > as_of:
        return ClockState(d.clock_id, Status.NOT_STARTED, as_of, d, done)
    if as_of > d.due:
        status = Status.MET if d.kind is ClockKind.MINIMUM_PERIOD else Status.MISSED
        return ClockState(d.clock_id, status, as_of, d, done)
    left = working_day_calendar(settings).working_days_between(as_of, d.due)
    status = Status.DUE_SOON if left <= due_within else Status.RUNNING
    return ClockState(d.clock_id, status, as_of, d, done, left)


def _paused_on(d: Deadline, c: Circumstances, settings: Settings, as_of: dt.date) -> bool:
    """A recorded exception covers ``as_of``: those the deadline applied, else (for a deadline
    computed without them) those in ``c`` that its clock recognises."""
    if d.exceptions:
        return any(a.period.covers(as_of) for a in d.exceptions)
    clock = CLOCKS.get(d.clock_id)
    if clock is None or not c.exceptions or clock.length is None:
        return False
    via = CLOCKS.get(d.via) if d.via is not None else None
    applied = _checked_exceptions(
        clock, d.trigger_date, d.unadjusted or d.trigger_date, c.exceptions, settings,
        via=via, aimed=False,
    )
    return any(a.period.covers(as_of) for a in applied)


def clock_statuses(
    events: Mapping[str, dt.date],
    *,
    as_of: dt.date,
    completed: Mapping[str, dt.date] | None = None,
    circumstances: Circumstances | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    due_within: int = 5,
) -> list[ClockState]:
    """The status on ``as_of`` of every deadline the events start (see :func:`state_of`).
    ``completed`` maps a clock id to the day it was met, for clocks without a completion event.
    """
    c = circumstances or Circumstances()
    return [
        state_of(
            d,
            as_of=as_of,
            events=events,
            completed=completed,
            circumstances=c,
            settings=settings,
            due_within=due_within,
        )
        for d in compute_deadlines(events, c, settings)
    ]


def clock_status(
    clock_id: str,
    events: Mapping[str, dt.date],
    *,
    as_of: dt.date,
    completed: Mapping[str, dt.date] | None = None,
    circumstances: Circumstances | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    due_within: int = 5,
) -> ClockState:
    """The status of one clock on ``as_of``; ``not_started`` if none of its triggers happened."""
    for state in clock_statuses(
        events,
        as_of=as_of,
        completed=completed,
        circumstances=circumstances,
        settings=settings,
        due_within=due_within,
    ):
        if state.clock_id == clock_id:
            return state
    known = clock_id in CLOCKS or clock_id in FIXED_DATE_DEADLINES or clock_id == APPEAL_CLOCK_ID
    if not known:
        _clock(clock_id)
    return ClockState(clock_id, Status.NOT_STARTED, as_of)
