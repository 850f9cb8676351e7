"""Independent oracle: every working-day clock and the appeal deadline, for every start date from
2014-09-01 to 2030-12-31, against a naive day-by-day count over the installed ``holidays``
package (not the library's snapshot, index or month arithmetic)."""

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


def naive_tribunal_roll(day: dt.date, christmas_august: bool) -> dt.date:
    def closed(x: dt.date) -> bool:
        special = x.month == 8 or (x.month, x.day) >= (12, 25) or (x.month, x.day) == (1, 1)
        return not naive_working(x) or (christmas_august and special)

    while closed(day):
        day += ONE
    return day


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


@pytest.mark.parametrize("christmas_august", [True, False])
def test_hesc_r20_appeal_deadline_matches_brute_force_2014_to_2030(christmas_august: bool) -> None:
    rule = TribunalNonWorkingDays.ROLL_FORWARD if christmas_august else TribunalNonWorkingDays.NONE
    settings = Settings(tribunal_non_working_days=rule)
    mismatches = []
    for i, sent in enumerate(ALL_STARTS):
        # A certificate 0-60 days after the notice exercises both limbs of r.20(1)(c).
        cert = sent + dt.timedelta(days=(i * 7) % 61)
        expected = naive_tribunal_roll(
            max(naive_add_months(sent, 2), naive_add_months(cert, 1)), christmas_august
        )
        if appeal_deadline(sent, cert, settings=settings).due != expected:
            mismatches.append(sent)
    assert mismatches == []


def test_oracle_itself_knows_the_one_off_bank_holidays() -> None:
    # Guards against a vacuous oracle: its own holiday data must contain the 2022/2023 one-offs.
    assert naive_count(dt.date(2022, 9, 16), 3, backwards=False) == dt.date(2022, 9, 22)
    assert naive_count(dt.date(2023, 5, 5), 3, backwards=False) == dt.date(2023, 5, 11)
