"""The counting convention of each clock, read from the words of its provision (law.md,
"Corrections after an independent check against primary text"), and HESC Rules r.12 exactly.

"Starting with" / "beginning with": the first day is day 1, so a period of N months ends on the
day before the corresponding date N months later, or on the last day of that month when it has
no corresponding date."""

from __future__ import annotations

import datetime as dt

import pytest

from sen_disagreement.calendar import TRIBUNAL_ROLL_RULE, hesc_rule_12
from sen_disagreement.clocks import (
    CLOCKS,
    Circumstances,
    Counting,
    TransferKind,
    Unit,
    appeal_deadline,
    compute_deadlines,
    deadline,
    due_date,
    period_end,
)
from sen_disagreement.provenance import Grade
from sen_disagreement.settings import Settings, TribunalNonWorkingDays

D = dt.date
NO_XMAS_AUGUST = Settings(tribunal_non_working_days=TribunalNonWorkingDays.NONE)

STARTING_WITH = {
    "annual_review",  # CFA s.44(1) "12 months starting with the date on which the plan was ..."
    "dd_claim_school",  # EqA 2010 Sch 17 para 4(1) "6 months starting with the date when ..."
    "lgsco_complaint",  # LGA 1974 s.26B(2) "12 months beginning with the day on which ..."
    "draft_plan_representations",  # reg 13(1)(a) "at least 15 days beginning with the day ..."
    "amendment_representations",  # reg 22(2)(c) "at least 15 days, beginning with the day ..."
}


def test_every_clock_names_its_counting_convention() -> None:
    assert all(isinstance(c.counting, Counting) for c in CLOCKS.values())
    assert {c.id for c in CLOCKS.values() if c.counting is Counting.STARTING_WITH} == STARTING_WITH
    assert {c.id for c in CLOCKS.values() if c.counting is Counting.BEFORE} == {
        c.id for c in CLOCKS.values() if c.counts_backwards
    }


# CFA s.44(1) ----------------------------------------------------------------------------------


def test_cfa_s44_1_annual_review_plan_made_15_april_2025_review_by_14_april_2026() -> None:
    assert deadline("annual_review", D(2025, 4, 15)).due == D(2026, 4, 14)
    assert due_date("annual_review", D(2025, 4, 15)) == D(2026, 4, 14)


def test_cfa_s44_1_annual_review_from_previous_review_also_starts_with_that_day() -> None:
    events = {"plan_made": D(2023, 5, 31), "review_meeting": D(2024, 5, 20)}
    d = next(d for d in compute_deadlines(events) if d.clock_id == "annual_review")
    assert d.due == D(2025, 5, 19)


def test_cfa_s44_1_annual_review_29_february_and_1_march() -> None:
    # 12 months starting with 29 Feb 2024: no 29 Feb 2025, so the period runs to 28 Feb 2025.
    assert deadline("annual_review", D(2024, 2, 29)).due == D(2025, 2, 28)
    # 12 months starting with 1 Mar 2023 end on the day before 1 Mar 2024: 29 Feb 2024.
    assert deadline("annual_review", D(2023, 3, 1)).due == D(2024, 2, 29)
    assert deadline("annual_review", D(2024, 3, 1)).due == D(2025, 2, 28)


# Equality Act 2010 Sch 17 para 4(1) -----------------------------------------------------------


def test_equality_act_sch17_para4_1_six_months_starting_with_the_conduct() -> None:
    assert deadline("dd_claim_school", D(2025, 3, 10)).due == D(2025, 9, 9)
    assert deadline("dd_claim_school", D(2025, 1, 1)).due == D(2025, 6, 30)


def test_equality_act_sch17_para4_1_month_end_31_august_plus_6_months() -> None:
    # No 31 February: the period runs to the last day of February (28th, or 29th in a leap year).
    assert deadline("dd_claim_school", D(2025, 8, 31)).due == D(2026, 2, 28)
    assert deadline("dd_claim_school", D(2023, 8, 31)).due == D(2024, 2, 29)
    assert deadline("dd_claim_school", D(2025, 8, 30)).due == D(2026, 2, 28)
    assert deadline("dd_claim_school", D(2025, 8, 28)).due == D(2026, 2, 27)


def test_equality_act_sch17_para4_1_29_february_plus_6_months() -> None:
    assert deadline("dd_claim_school", D(2024, 2, 29)).due == D(2024, 8, 28)


def test_equality_act_claims_are_outside_hesc_r12_3() -> None:
    # From 21 July 2020 disability discrimination claims are not moved by r.12(3): a period
    # ending in August stays in August.
    clock = CLOCKS["dd_claim_school"]
    # (r.12(3)(a) moved a claim whose time ended before 21 July 2020: test_law_dd_claims_r12_3)
    assert clock.roll.value == "r12_3a_before_2020_07_21"
    assert deadline("dd_claim_school", D(2025, 2, 10)).due == D(2025, 8, 9)
    assert any("21 July 2020" in c.text for c in clock.provenance.citations)


# Local Government Act 1974 s.26B(2) -----------------------------------------------------------


def test_lga_1974_s26b_2_twelve_months_beginning_with_first_notice() -> None:
    assert deadline("lgsco_complaint", D(2025, 4, 15)).due == D(2026, 4, 14)
    assert deadline("lgsco_complaint", D(2025, 1, 1)).due == D(2025, 12, 31)
    assert deadline("lgsco_complaint", D(2024, 2, 29)).due == D(2025, 2, 28)


# period_end conventions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "length", "expected"),
    [
        (Unit.CALENDAR_DAYS, 15, D(2025, 1, 15)),
        (Unit.WEEKS, 2, D(2025, 1, 14)),
        (Unit.MONTHS, 1, D(2025, 1, 31)),
        (Unit.WORKING_DAYS, 3, D(2025, 1, 6)),  # Wed 1 Jan is a bank holiday: Thu 2 is day 1
    ],
)
def test_starting_with_counts_the_first_day_as_day_1(
    unit: Unit, length: int, expected: dt.date
) -> None:
    assert period_end(D(2025, 1, 1), length, unit, counting=Counting.STARTING_WITH) == expected


def test_within_after_and_not_later_than_count_the_trigger_day_as_day_0() -> None:
    for counting in (Counting.WITHIN_AFTER, Counting.NOT_LATER_THAN):
        assert period_end(D(2025, 4, 15), 2, Unit.MONTHS, counting=counting) == D(2025, 6, 15)
        assert period_end(D(2024, 12, 31), 2, Unit.MONTHS, counting=counting) == D(2025, 2, 28)


def test_before_counts_backwards() -> None:
    assert period_end(D(2025, 6, 16), 2, Unit.WEEKS, counting=Counting.BEFORE) == D(2025, 6, 2)


# "within N months after" at month ends and in leap years (rule calendar.calendar_month: the
# trigger day is day 0; N months end on the corresponding date, or on the last day of the
# month when it has none).


def test_calendar_calendar_month_within_after_31_dec_2023_plus_2_months_is_29_feb() -> None:
    for counting in (Counting.WITHIN_AFTER, Counting.NOT_LATER_THAN):
        # A leap year: 31 Dec 2023 + 2 months has no 31 Feb, so the period ends Thu 29 Feb 2024
        # (not 28 Feb, as the year before: 31 Dec 2024 + 2 months = 28 Feb 2025).
        assert period_end(D(2023, 12, 31), 2, Unit.MONTHS, counting=counting) == D(2024, 2, 29)
        assert period_end(D(2023, 12, 30), 2, Unit.MONTHS, counting=counting) == D(2024, 2, 29)
        assert period_end(D(2023, 12, 29), 2, Unit.MONTHS, counting=counting) == D(2024, 2, 29)
        assert period_end(D(2023, 12, 28), 2, Unit.MONTHS, counting=counting) == D(2024, 2, 28)
        # From 29 Feb: 12 months after is 28 Feb 2025 (no 29 Feb), 48 months after 29 Feb 2028.
        assert period_end(D(2024, 2, 29), 12, Unit.MONTHS, counting=counting) == D(2025, 2, 28)
        assert period_end(D(2024, 2, 29), 48, Unit.MONTHS, counting=counting) == D(2028, 2, 29)
        # A short month into a long one is not stretched: 29 Feb 2024 + 1 month = 29 Mar 2024.
        assert period_end(D(2024, 2, 29), 1, Unit.MONTHS, counting=counting) == D(2024, 3, 29)


def test_calendar_calendar_month_within_after_leap_year_on_the_clocks() -> None:
    # The clocks that say "within N months after" (reg 33; HESC r.20(1)(c)(i)) end on 29 Feb
    # 2024 from 31 Dec 2023 (a Thursday, a working day: r.12 moves nothing).
    for clock_id in ("mediation_adviser_contact", "tribunal_appeal_from_decision"):
        assert CLOCKS[clock_id].counting is Counting.WITHIN_AFTER
        assert deadline(clock_id, D(2023, 12, 31)).due == D(2024, 2, 29)
        assert due_date(clock_id, D(2023, 12, 31)) == D(2024, 2, 29)
        assert deadline(clock_id, D(2024, 12, 31)).due == D(2025, 2, 28)
    # 3 months after 30 Nov 2023 is 29 Feb 2024 (no 30 Feb); 12 months after 29 Feb 2024 is
    # 28 Feb 2025.
    assert deadline("judicial_review", D(2023, 11, 30)).due == D(2024, 2, 29)
    assert deadline("nhs_social_care_complaint", D(2024, 2, 29)).due == D(2025, 2, 28)


# "before": counted back from the named day (day 0), months clamped to the month's last day.


def test_before_month_end_and_leap_year_months() -> None:
    # 5 months before 31 Jul: no 31 Feb, so the last day of February (29th in a leap year).
    before = Counting.BEFORE
    assert period_end(D(2024, 7, 31), 5, Unit.MONTHS, counting=before) == D(2024, 2, 29)
    assert period_end(D(2025, 7, 31), 5, Unit.MONTHS, counting=before) == D(2025, 2, 28)
    assert period_end(D(2024, 7, 29), 5, Unit.MONTHS, counting=before) == D(2024, 2, 29)
    assert period_end(D(2023, 7, 29), 5, Unit.MONTHS, counting=before) == D(2023, 2, 28)
    # From 29 Feb back 12 months: 28 Feb 2023. From 31 Mar back 1 month: 29 Feb 2024.
    assert period_end(D(2024, 2, 29), 12, Unit.MONTHS, counting=before) == D(2023, 2, 28)
    assert period_end(D(2024, 3, 31), 1, Unit.MONTHS, counting=before) == D(2024, 2, 29)


def test_post16_transfer_review_five_months_before_at_month_end_and_in_a_leap_year() -> None:
    # SEND Regs reg 18(2), counted back from the transfer date (clock post16_transfer_review).
    assert CLOCKS["post16_transfer_review"].counting is Counting.BEFORE
    assert deadline("post16_transfer_review", D(2024, 7, 31)).due == D(2024, 2, 29)
    assert deadline("post16_transfer_review", D(2025, 7, 31)).due == D(2025, 2, 28)
    assert deadline("post16_transfer_review", D(2024, 2, 29)).due == D(2023, 9, 29)
    assert due_date("post16_transfer_review", D(2024, 7, 31)) == D(2024, 2, 29)


def test_review_meeting_notice_two_weeks_before_across_29_february() -> None:
    # SEND Regs reg 20(3)-(4): 2 weeks before the meeting. Thu 14 Mar 2024 - 14 days lands on
    # Thu 29 Feb 2024; the same date in 2025 on Fri 28 Feb.
    assert deadline("review_meeting_notice", D(2024, 3, 14)).due == D(2024, 2, 29)
    assert deadline("review_meeting_notice", D(2025, 3, 14)).due == D(2025, 2, 28)
    assert period_end(D(2024, 3, 1), 1, Unit.WEEKS, counting=Counting.BEFORE) == D(2024, 2, 23)


def test_mediation_date_notice_five_working_days_before_across_the_month_end() -> None:
    # 5 working days back from Mon 4 Mar 2024 (day 0): Fri 1 Mar, Thu 29 Feb, Wed 28, Tue 27,
    # Mon 26 Feb. From Mon 3 Mar 2025: Fri 28 Feb ... Mon 24 Feb.
    assert deadline("mediation_date_notice", D(2024, 3, 4)).due == D(2024, 2, 26)
    assert deadline("mediation_date_notice", D(2025, 3, 3)).due == D(2025, 2, 24)
    five = period_end(D(2024, 3, 1), 5, Unit.WORKING_DAYS, counting=Counting.BEFORE)
    assert five == D(2024, 2, 23)


def test_reg18_1_fixed_dates_before_are_the_day_before_also_in_a_leap_year() -> None:
    # "before 15 February" / "before 31 March" of the year of transfer: the last days in time
    # are 14 February and 30 March, in a leap year as in any other.
    for year in (2027, 2028):
        general = Circumstances(transfer_kind=TransferKind.GENERAL)
        post16 = Circumstances(transfer_kind=TransferKind.SECONDARY_TO_POST16)
        events = {"transfer_date": D(year, 9, 1)}
        dues = {d.clock_id: d.due for d in compute_deadlines(events, general)}
        assert dues["phase_transfer_general"] == D(year, 2, 14)
        dues = {d.clock_id: d.due for d in compute_deadlines(events, post16)}
        assert dues["phase_transfer_post16"] == D(year, 3, 30)


def test_starting_with_month_end_31_january_plus_1_month() -> None:
    jan31 = D(2025, 1, 31)
    assert period_end(jan31, 1, Unit.MONTHS, counting=Counting.STARTING_WITH) == D(2025, 2, 28)
    assert period_end(jan31, 2, Unit.MONTHS, counting=Counting.STARTING_WITH) == D(2025, 3, 30)


# HESC Rules r.12 --------------------------------------------------------------------------------


def test_hesc_r12_2_weekend_before_august_moves_only_to_monday() -> None:
    assert hesc_rule_12(D(2027, 7, 31)) == D(2027, 8, 2)  # Sat 31 Jul 2027, not September
    assert appeal_deadline(D(2027, 5, 31), certificate_required=False).due == D(2027, 8, 2)


def test_hesc_r12_2_weekend_before_christmas_moves_past_the_bank_holidays_only() -> None:
    # Sat 23 Dec 2028 -> Mon 25 and Tue 26 are bank holidays -> Wed 27 Dec 2028, not January.
    assert hesc_rule_12(D(2028, 12, 23)) == D(2028, 12, 27)
    assert appeal_deadline(D(2028, 10, 23), certificate_required=False).due == D(2028, 12, 27)


def test_hesc_r12_3_a_end_in_august_is_in_time_on_first_working_day_after_31_august() -> None:
    assert hesc_rule_12(D(2027, 8, 1)) == D(2027, 9, 1)
    assert hesc_rule_12(D(2024, 8, 31)) == D(2024, 9, 2)  # Sat 31 Aug -> Mon 2 Sep
    assert appeal_deadline(D(2025, 6, 15), certificate_required=False).due == D(2025, 9, 1)


def test_hesc_r12_3_a_end_25_december_to_1_january_is_in_time_after_1_january() -> None:
    assert hesc_rule_12(D(2025, 12, 25)) == D(2026, 1, 2)
    assert hesc_rule_12(D(2025, 12, 29)) == D(2026, 1, 2)
    assert hesc_rule_12(D(2026, 1, 1)) == D(2026, 1, 2)
    assert hesc_rule_12(D(2027, 1, 1)) == D(2027, 1, 4)  # Sat 2, Sun 3 Jan 2027
    assert hesc_rule_12(D(2025, 12, 24)) == D(2025, 12, 24)  # a working day before the window


def test_hesc_r12_setting_none_applies_r12_2_only() -> None:
    assert hesc_rule_12(D(2025, 8, 15), NO_XMAS_AUGUST) == D(2025, 8, 15)
    assert hesc_rule_12(D(2025, 12, 27), NO_XMAS_AUGUST) == D(2025, 12, 29)


def test_hesc_r12_applies_to_the_later_r20_date_not_to_each_limb() -> None:
    # Notice 30 May 2027 -> 30 Jul 2027 (Fri); certificate 30 Jun 2027 -> Fri 30 Jul too; a
    # certificate of 1 Jul 2027 -> 1 Aug 2027 (in August) -> 1 Sep 2027.
    assert appeal_deadline(D(2027, 5, 30), D(2027, 6, 30)).due == D(2027, 7, 30)
    a = appeal_deadline(D(2027, 5, 30), D(2027, 7, 1))
    assert a.rolled_from == D(2027, 8, 1)
    assert a.due == D(2027, 9, 1)


def test_hesc_r12_rule_is_graded_secondary_and_not_the_upper_tribunal_rule() -> None:
    assert TRIBUNAL_ROLL_RULE.grade is Grade.SECONDARY
    text = TRIBUNAL_ROLL_RULE.cite()
    assert "Upper Tribunal" not in text
    assert "believed identical" not in text
    for cid in ("tribunal_appeal_from_decision", "tribunal_appeal_from_certificate"):
        assert CLOCKS[cid].grade is Grade.SECONDARY
        assert "r.12" in CLOCKS[cid].cite()
