"""Independent oracle: every working-day clock and the appeal deadline, for every start date from
2014-09-01 to 2030-12-31, against a naive day-by-day count over the installed ``holidays``
package (not the library's snapshot, index or month arithmetic). The appeal oracle reads HESC
Rules r.20(1)(c) and r.12(2)/(3)(a) from their words: the unrolled end date decides whether the
Christmas/August rule applies at all."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest

from sen_disagreement.clocks import CLOCKS, Unit, appeal_deadline, deadline, effective_unit
from sen_disagreement.settings import DayUnit, Settings, TribunalNonWorkingDays

START = dt.date(2014, 9, 1)
END = dt.date(2030, 12, 31)
ONE = dt.timedelta(days=1)
BANK = frozenset(
    holidays.country_holidays("GB", subdiv="ENG", years=range(2014, 2032)).keys()
)
ALL_STARTS = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]

DEFAULT_WORKING_DAY_CLOCKS = {
    "certificate_after_declining",
    "icb_notification_of_health_issues",
    "deemed_certificate",
    "certificate_after_mediation",
    "mediation_date_notice",
}
ARRANGE_CLOCKS = {
    "arrange_mediation_education_social_care",
    "arrange_mediation_health_only",
    "arrange_mediation_mixed",
}
# The arrange-mediation unit is an UNCONFIRMED setting; its working-day reading is checked too.
ALL_WORKING = Settings(arrange_mediation_unit=DayUnit.WORKING_DAYS)


def naive_working(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in BANK


def naive_count(start: dt.date, n: int, backwards: bool) -> dt.date:
    step = -ONE if backwards else ONE
    day = start
    while n:
        day += step
        if naive_working(day):
            n -= 1
    return day


def naive_add_months(day: dt.date, months: int) -> dt.date:
    year = day.year + (day.month - 1 + months) // 12
    month = (day.month - 1 + months) % 12 + 1
    d = day.day
    while True:  # walk back from the corresponding day until the month has it
        try:
            return dt.date(year, month, d)
        except ValueError:
            d -= 1


def in_r12_3_window(day: dt.date) -> bool:
    # HESC r.12(3)(a): "a day from 25 December to 1 January inclusive, or on any day in August".
    return day.month == 8 or (day.month == 12 and day.day >= 25) or (day.month, day.day) == (1, 1)


def first_working_day_after(day: dt.date) -> dt.date:
    day += ONE
    while not naive_working(day):
        day += ONE
    return day


def naive_hesc_r12(end: dt.date, christmas_august: bool) -> dt.date:
    """HESC r.12 read from its words, applied to the day the time ends (no library code)."""
    if christmas_august and in_r12_3_window(end):
        # r.12(3)(a): in time if provided on the first working day after 1 January or
        # 31 August (the 1 January that ends the window containing ``end``).
        if end.month == 8:
            return first_working_day_after(dt.date(end.year, 8, 31))
        new_year = end.year + 1 if end.month == 12 else end.year
        return first_working_day_after(dt.date(new_year, 1, 1))
    # r.12(2): an act due on a day that is not a working day is in time on the next working day.
    return end if naive_working(end) else first_working_day_after(end)


def naive_appeal_due(sent: dt.date, cert: dt.date | None, christmas_august: bool) -> dt.date:
    # HESC r.20(1)(c): the later of notice + 2 months and certificate + 1 month, unrolled.
    end = naive_add_months(sent, 2)
    if cert is not None:
        end = max(end, naive_add_months(cert, 1))
    return naive_hesc_r12(end, christmas_august)


def test_oracle_covers_exactly_the_working_day_clocks() -> None:
    default = {c.id for c in CLOCKS.values() if effective_unit(c) is Unit.WORKING_DAYS}
    assert default == DEFAULT_WORKING_DAY_CLOCKS
    wider = {c.id for c in CLOCKS.values() if effective_unit(c, ALL_WORKING) is Unit.WORKING_DAYS}
    assert wider == DEFAULT_WORKING_DAY_CLOCKS | ARRANGE_CLOCKS


@pytest.mark.parametrize("clock_id", sorted(DEFAULT_WORKING_DAY_CLOCKS | ARRANGE_CLOCKS))
def test_working_day_clock_matches_brute_force_count_2014_to_2030(clock_id: str) -> None:
    clock = CLOCKS[clock_id]
    assert clock.length is not None
    mismatches = [
        start
        for start in ALL_STARTS
        if deadline(clock_id, start, settings=ALL_WORKING).due
        != naive_count(start, clock.length, clock.counts_backwards)
    ]
    assert mismatches == []


def _settings(christmas_august: bool) -> Settings:
    rule = TribunalNonWorkingDays.ROLL_FORWARD if christmas_august else TribunalNonWorkingDays.NONE
    return Settings(tribunal_non_working_days=rule)


@pytest.mark.parametrize("christmas_august", [True, False])
def test_hesc_r12_appeal_deadline_without_certificate_every_decision_2014_to_2030(
    christmas_august: bool,
) -> None:
    settings = _settings(christmas_august)
    mismatches = [
        sent
        for sent in ALL_STARTS
        for required in (True, False)
        if appeal_deadline(sent, certificate_required=required, settings=settings).due
        != naive_appeal_due(sent, None, christmas_august)
    ]
    assert mismatches == []


# The full product: every decision date x every certificate offset 0-90 days (~4 s per setting).
@pytest.mark.parametrize("christmas_august", [True, False])
def test_hesc_r12_appeal_deadline_with_certificate_0_to_90_days_later(
    christmas_august: bool,
) -> None:
    settings = _settings(christmas_august)
    mismatches = []
    for sent in ALL_STARTS:
        for days in range(91):
            cert = sent + dt.timedelta(days=days)
            got = appeal_deadline(sent, cert, settings=settings).due
            if got != naive_appeal_due(sent, cert, christmas_august):
                mismatches.append((sent, cert))
    assert mismatches == []


def test_oracle_reads_r12_as_the_law_md_examples() -> None:
    # Guards against an oracle that drifts to the implementation's old reading.
    assert naive_hesc_r12(dt.date(2027, 7, 31), True) == dt.date(2027, 8, 2)
    assert naive_hesc_r12(dt.date(2028, 12, 23), True) == dt.date(2028, 12, 27)
    assert naive_hesc_r12(dt.date(2027, 8, 1), True) == dt.date(2027, 9, 1)
    assert naive_hesc_r12(dt.date(2025, 12, 29), True) == dt.date(2026, 1, 2)
    assert naive_hesc_r12(dt.date(2026, 1, 1), True) == dt.date(2026, 1, 2)
    assert naive_hesc_r12(dt.date(2025, 12, 27), False) == dt.date(2025, 12, 29)


def test_oracle_itself_knows_the_one_off_bank_holidays() -> None:
    # Guards against a vacuous oracle: its own holiday data must contain the 2022/2023 one-offs.
    assert naive_count(dt.date(2022, 9, 16), 3, backwards=False) == dt.date(2022, 9, 22)
    assert naive_count(dt.date(2023, 5, 5), 3, backwards=False) == dt.date(2023, 5, 11)
