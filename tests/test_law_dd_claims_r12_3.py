"""HESC Rules r.12(3) and disability discrimination claims (issue 11): until 20 July 2020
r.12(3)(a) applied to "a special educational needs case or a disability discrimination in
schools case"; from 21 July 2020 disability discrimination claims are outside it (law.md,
"Corrections": HESC r.12 read in a verbatim reproduction with its revision history [S]).

The clock ``dd_claim_school`` runs 6 months starting with the act complained of (Equality Act
2010 Sch 17 para 4(1)). The day its time *ends* decides: before 21 July 2020 an end from 25
December to 1 January, or in August, is in time on the first working day after 1 January or 31
August; on or after 21 July 2020 the end stands. r.12(2), the next working day, is applied on
neither side (as before this change: the 6 months are the Equality Act's, and the library has
never moved a claim ending on a weekend)."""

from __future__ import annotations

import datetime as dt

from sen_disagreement import rules
from sen_disagreement.calendar import bank_holidays
from sen_disagreement.clocks import CLOCKS, Roll, deadline, due_date
from sen_disagreement.clocks.compute import dd_claim_rule_12_3
from sen_disagreement.clocks.table import (
    DD_CLAIMS_OUTSIDE_R12_3_FROM,
    HESC_R12_3_DD_BEFORE_2020,
    HESC_R12_3_DD_FROM_2020,
)
from sen_disagreement.provenance import Grade
from sen_disagreement.settings import Settings, TribunalNonWorkingDays

D = dt.date
CLOCK = "dd_claim_school"
CHANGE = D(2020, 7, 21)


def _due(act: dt.date, settings: Settings | None = None) -> dt.date:
    d = deadline(CLOCK, act) if settings is None else deadline(CLOCK, act, settings=settings)
    # the fast path agrees with the cited answer
    assert due_date(CLOCK, act, *(() if settings is None else (settings,))) == d.due
    return d.due


def test_hesc_r12_3_dd_claims_before_21_july_2020_august_and_christmas_move() -> None:
    # Sat 2 Feb 2019 is day 1: the six months end on Thu 1 Aug 2019, in August, before the
    # change: in time on the first working day after Sat 31 Aug 2019, Mon 2 Sep 2019.
    assert _due(D(2019, 2, 2)) == D(2019, 9, 2)
    assert _due(D(2019, 2, 20)) == D(2019, 9, 2)  # ends Mon 19 Aug 2019
    # Ends Fri 27 Dec 2019 / Wed 1 Jan 2020: the first working day after 1 Jan, Thu 2 Jan 2020.
    assert _due(D(2019, 6, 28)) == D(2020, 1, 2)
    assert _due(D(2019, 7, 2)) == D(2020, 1, 2)
    moved = deadline(CLOCK, D(2019, 2, 2))
    assert moved.unadjusted == D(2019, 8, 1)
    assert moved.note is not None and "21 July 2020" in moved.note
    assert CLOCKS[CLOCK].roll is Roll.WINDOW_BEFORE_2020_07_21


def test_hesc_r12_3_dd_claims_before_21_july_2020_only_the_window_no_next_working_day() -> None:
    # Fri 1 Feb 2019 is day 1: the period ends Wed 31 Jul 2019, the day before the window: it
    # stands. Sun 1 Dec 2019: ends Sun 31 May 2020, a weekend outside the window: it stands
    # (r.12(2) is not applied to these claims).
    assert _due(D(2019, 2, 1)) == D(2019, 7, 31)
    assert _due(D(2019, 12, 1)) == D(2020, 5, 31)
    # With the r.12(3)(a) window switched off (setting tribunal_non_working_days=NONE, as for
    # SEN appeals) nothing moves.
    off = Settings(tribunal_non_working_days=TribunalNonWorkingDays.NONE)
    assert _due(D(2019, 2, 2), off) == D(2019, 8, 1)
    assert _due(D(2019, 6, 28), off) == D(2019, 12, 27)


def test_hesc_r12_3_dd_claims_outside_from_21_july_2020_august_and_christmas_stand() -> None:
    # Sun 2 Feb 2020: ends Sat 1 Aug 2020, after the change: it stands, on a Saturday.
    assert _due(D(2020, 2, 2)) == D(2020, 8, 1)
    assert _due(D(2020, 2, 20)) == D(2020, 8, 19)  # Wed 19 Aug 2020
    assert _due(D(2020, 6, 28)) == D(2020, 12, 27)  # Sun 27 Dec 2020
    # The act was before 21 July 2020 but the time ends after it: the day it ends decides.
    # Sun 1 Mar 2020: ends Mon 31 Aug 2020 (the summer bank holiday), and stands.
    assert _due(D(2020, 3, 1)) == D(2020, 8, 31)
    assert deadline(CLOCK, D(2020, 2, 2)).note is None
    # The days either side of the change, outside the window: nothing to move on either.
    assert _due(D(2020, 1, 21)) == D(2020, 7, 20)
    assert _due(D(2020, 1, 22)) == D(2020, 7, 21)


def test_hesc_r12_3_dd_claims_outside_from_21_july_2020_dated_rules_either_side() -> None:
    before, after = HESC_R12_3_DD_BEFORE_2020, HESC_R12_3_DD_FROM_2020
    assert DD_CLAIMS_OUTSIDE_R12_3_FROM == CHANGE
    assert before.provenance.valid_to == CHANGE and after.provenance.valid_from == CHANGE
    assert before.provenance.applies_on(D(2020, 7, 20))
    assert not before.provenance.applies_on(CHANGE)
    assert not after.provenance.applies_on(D(2020, 7, 20))
    assert after.provenance.applies_on(CHANGE)
    # graded as the rest of r.12 is: a verbatim reproduction, [S]
    assert before.grade is Grade.SECONDARY and after.grade is Grade.SECONDARY
    assert CLOCKS[CLOCK].grade is Grade.SECONDARY
    assert rules.get(before.rule_id).kind == "rule" and rules.get(after.rule_id).kind == "rule"


def _day_by_day(end: dt.date) -> dt.date:
    """HESC r.12(3)(a) read from its words, for a time ending before 21 July 2020, without the
    library's calendar: the first day after 1 January / 31 August that is neither a Saturday,
    a Sunday nor an England and Wales bank holiday."""
    in_window = end.month == 8 or (end.month, end.day) >= (12, 25) or (end.month, end.day) == (1, 1)
    if end >= CHANGE or not in_window:
        return end
    day = D(end.year, 8, 31) if end.month == 8 else D(end.year + (end.month == 12), 1, 1)
    holidays = bank_holidays()
    day += dt.timedelta(days=1)
    while day.weekday() >= 5 or day in holidays:
        day += dt.timedelta(days=1)
    return day


def test_hesc_r12_3_dd_claims_before_21_july_2020_every_act_date_2015_to_2024() -> None:
    # Every act date: the library's answer is the rule's words applied to the unrolled end.
    act = D(2015, 1, 1)
    seen_moved = seen_standing_in_window = 0
    while act <= D(2024, 12, 31):
        d = deadline(CLOCK, act)
        end = d.unadjusted
        assert end is not None
        assert d.due == _day_by_day(end) == dd_claim_rule_12_3(end), act
        seen_moved += d.due != end
        seen_standing_in_window += end >= CHANGE and end.month == 8
        act += dt.timedelta(days=1)
    assert seen_moved > 100 and seen_standing_in_window > 100
