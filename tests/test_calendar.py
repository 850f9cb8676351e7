"""Working-day and Tribunal calendars, calendar months (rules calendar.*)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sen_disagreement.calendar import (
    CALENDAR_MONTH_RULE,
    TRIBUNAL_ROLL_RULE,
    WORKING_DAY_RULE,
    HolidaySource,
    WorkingDayCalendar,
    add_months,
    add_weeks,
    bank_holidays,
    days_in_month,
    hesc_rule_12,
    tribunal_calendar,
    working_day_calendar,
)
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.provenance import Grade
from sen_disagreement.settings import Settings, TribunalNonWorkingDays

D = dt.date
CAL = working_day_calendar()
NO_XMAS_AUGUST = Settings(tribunal_non_working_days=TribunalNonWorkingDays.NONE)


def test_snapshot_matches_installed_holidays_package() -> None:
    # The shipped snapshot must equal what the maintained package says; if a holidays release
    # adds a one-off day, this fails until scripts/gen_bank_holidays.py is rerun.
    assert bank_holidays(HolidaySource.SNAPSHOT) == bank_holidays(HolidaySource.HOLIDAYS_PACKAGE)


@pytest.mark.parametrize(
    ("day", "name_part"),
    [
        (D(2022, 9, 19), "Funeral"),
        (D(2023, 5, 8), "Coronation"),
        (D(2022, 6, 3), "Jubilee"),
        (D(2020, 5, 8), "May Day"),  # moved to VE Day in 2020
        (D(2020, 12, 28), "observed"),  # substitute for Boxing Day on a Saturday
        (D(2027, 12, 28), "observed"),  # Christmas Day and Boxing Day both on a weekend
    ],
)
def test_calendar_working_day_excludes_one_offs_and_substitute_days(
    day: dt.date, name_part: str
) -> None:
    assert name_part in bank_holidays()[day]
    assert not CAL.is_working_day(day)


def test_working_day_rule_is_cited_and_unconfirmed_for_send_regs() -> None:
    assert WORKING_DAY_RULE.grade is Grade.UNCONFIRMED
    assert "reg 2(1)" in WORKING_DAY_RULE.cite()


def test_calendar_covers_2014_to_2040_at_least() -> None:
    assert CAL.first <= D(2014, 1, 1)
    assert CAL.last >= D(2040, 12, 31)


def test_add_three_working_days_over_christmas_2025() -> None:
    # Tue 23 Dec: Wed 24 (1), Thu 25 and Fri 26 holidays, weekend, Mon 29 (2), Tue 30 (3).
    assert CAL.add_working_days(D(2025, 12, 23), 3) == D(2025, 12, 30)


def test_add_working_days_from_a_weekend_counts_from_monday() -> None:
    assert CAL.add_working_days(D(2025, 3, 8), 1) == D(2025, 3, 10)
    assert CAL.add_working_days(D(2025, 3, 9), 3) == D(2025, 3, 12)


def test_add_zero_and_negative_working_days() -> None:
    assert CAL.add_working_days(D(2025, 3, 8), 0) == D(2025, 3, 8)
    assert CAL.add_working_days(D(2025, 3, 12), -3) == CAL.subtract_working_days(D(2025, 3, 12), 3)
    assert CAL.subtract_working_days(D(2025, 3, 12), -3) == CAL.add_working_days(D(2025, 3, 12), 3)


def test_subtract_working_days_over_easter_2025() -> None:
    # Before Tue 22 Apr 2025: Easter Monday 21, weekend, Good Friday 18 are skipped.
    assert CAL.subtract_working_days(D(2025, 4, 22), 1) == D(2025, 4, 17)
    assert CAL.subtract_working_days(D(2025, 4, 22), 5) == D(2025, 4, 11)


def test_roll_forward_and_is_working_day() -> None:
    assert CAL.roll_forward(D(2025, 4, 18)) == D(2025, 4, 22)
    assert CAL.roll_forward(D(2025, 4, 22)) == D(2025, 4, 22)
    assert CAL.is_working_day(D(2025, 4, 22))
    assert not CAL.is_working_day(D(2025, 4, 19))


def test_working_days_between() -> None:
    assert CAL.working_days_between(D(2025, 12, 23), D(2025, 12, 30)) == 3
    assert CAL.working_days_between(D(2025, 12, 30), D(2025, 12, 23)) == -3
    assert CAL.working_days_between(D(2025, 12, 30), D(2025, 12, 30)) == 0


@given(
    st.dates(min_value=D(2014, 1, 10), max_value=D(2044, 3, 31)),
    st.integers(min_value=1, max_value=400),
)
def test_add_then_count_back_is_consistent(day: dt.date, n: int) -> None:
    later = CAL.add_working_days(day, n)
    assert CAL.working_days_between(day, later) == n
    assert CAL.is_working_day(later)
    # Counting n back from the result lands on day, or on the last working day before it.
    on_or_before = day if CAL.is_working_day(day) else CAL.subtract_working_days(day, 1)
    assert CAL.subtract_working_days(later, n) == on_or_before


@pytest.mark.parametrize(
    "call",
    [
        lambda: CAL.add_working_days(D(2013, 12, 31), 3),
        lambda: CAL.add_working_days(D(2045, 12, 30), 3),
        lambda: CAL.subtract_working_days(D(2014, 1, 2), 3),
        lambda: CAL.roll_forward(D(2046, 1, 1)),
        lambda: CAL.is_working_day(D(2050, 1, 1)),
        lambda: CAL.working_days_between(D(2010, 1, 1), D(2020, 1, 1)),
    ],
)
def test_dates_outside_calendar_range_raise_typed_error(call: object) -> None:
    with pytest.raises(InvalidInputError) as err:
        call()  # type: ignore[operator]
    assert err.value.rule_id == "calendar.range"
    assert err.value.field == "date"


def test_calendar_calendar_month_31_december_plus_two_months_is_end_of_february() -> None:
    assert add_months(D(2024, 12, 31), 2) == D(2025, 2, 28)
    assert add_months(D(2023, 12, 31), 2) == D(2024, 2, 29)
    assert CALENDAR_MONTH_RULE.provenance.citations[0].grade is Grade.PRIMARY


def test_calendar_month_rule_corresponding_date_and_backwards() -> None:
    assert add_months(D(2025, 1, 10), 2) == D(2025, 3, 10)
    assert add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert add_months(D(2025, 7, 31), -5) == D(2025, 2, 28)
    assert add_months(D(2025, 3, 31), -1) == D(2025, 2, 28)
    assert add_months(D(2025, 11, 30), 3) == D(2026, 2, 28)


@given(st.dates(), st.integers(min_value=-24, max_value=24))
def test_add_months_never_overflows_the_target_month(day: dt.date, n: int) -> None:
    try:
        result = add_months(day, n)
    except InvalidInputError:
        return
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == n
    assert result.day == min(day.day, days_in_month(result.year, result.month))


def test_weeks_are_calendar_weeks() -> None:
    assert add_weeks(D(2025, 1, 6), 6) == D(2025, 2, 17)


def test_calendar_tribunal_roll_forward_august_moves_to_first_working_day_of_september() -> None:
    assert hesc_rule_12(D(2025, 8, 15)) == D(2025, 9, 1)
    assert hesc_rule_12(D(2024, 8, 31)) == D(2024, 9, 2)  # Sat 31 Aug -> Mon 2 Sep
    # r.12(3)(a) verbatim reproduction read on a secondary source: [S], no longer UNCONFIRMED.
    assert TRIBUNAL_ROLL_RULE.grade is Grade.SECONDARY


def test_tribunal_roll_rule_christmas_to_new_year_moves_to_january() -> None:
    assert hesc_rule_12(D(2024, 12, 28)) == D(2025, 1, 2)
    assert hesc_rule_12(D(2025, 12, 29)) == D(2026, 1, 2)
    assert hesc_rule_12(D(2026, 1, 1)) == D(2026, 1, 2)


def test_tribunal_roll_rule_weekend_just_before_the_window_is_r12_2_only() -> None:
    # The tribunal calendar's roll_forward rolls through the window; HESC r.12 does not.
    assert hesc_rule_12(D(2027, 7, 31)) == D(2027, 8, 2)
    assert tribunal_calendar().roll_forward(D(2027, 7, 31)) == D(2027, 9, 1)
    assert hesc_rule_12(D(2028, 12, 23)) == D(2028, 12, 27)


def test_tribunal_roll_setting_none_keeps_only_weekends_and_bank_holidays() -> None:
    tc = tribunal_calendar(NO_XMAS_AUGUST)
    assert tc.roll_forward(D(2025, 8, 15)) == D(2025, 8, 15)
    assert tc.roll_forward(D(2025, 12, 27)) == D(2025, 12, 29)
    assert tc.roll_forward(D(2025, 8, 25)) == D(2025, 8, 26)  # late summer bank holiday
    assert hesc_rule_12(D(2025, 8, 15), NO_XMAS_AUGUST) == D(2025, 8, 15)
    assert hesc_rule_12(D(2025, 12, 27), NO_XMAS_AUGUST) == D(2025, 12, 29)
    assert hesc_rule_12(D(2025, 8, 25), NO_XMAS_AUGUST) == D(2025, 8, 26)


def test_calendars_are_built_once_per_process() -> None:
    assert working_day_calendar() is working_day_calendar()
    assert tribunal_calendar() is tribunal_calendar()
    assert tribunal_calendar() is not tribunal_calendar(NO_XMAS_AUGUST)


def test_custom_calendar_closed_days() -> None:
    cal = WorkingDayCalendar([D(2025, 1, 7)], D(2025, 1, 1), D(2025, 1, 31), name="test")
    assert cal.add_working_days(D(2025, 1, 6), 1) == D(2025, 1, 8)
    assert "test" in repr(cal)


def test_import_of_package_does_not_import_holidays_or_build_a_calendar() -> None:
    code = (
        "import sys, datetime as dt\n"
        "import sen_disagreement\n"
        "assert 'holidays' not in sys.modules\n"
        "assert 'sen_disagreement.calendar' not in sys.modules\n"
        "import sen_disagreement.clocks as c\n"
        "c.deadline('certificate_after_declining', dt.date(2025, 12, 23))\n"
        "print('holidays' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
