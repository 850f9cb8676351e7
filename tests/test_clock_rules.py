"""One worked example per EHC, mediation-agreement, Tribunal and complaint clock, each test named
after the clock's id. Every expected date is derived by hand from the clock's statutory words
(weeks are calendar weeks of 7 days and do not move off a bank holiday; months are calendar
months ending on the corresponding date, or the month's last day when there is none; "starting
with"/"beginning with" a day counts that day as day 1; the Tribunal's r.12 roll-forward moves a
day that is not a working day), with the arithmetic in the comment beside it."""

from __future__ import annotations

import datetime as dt

from sen_disagreement.clocks import (
    Circumstances,
    Deadline,
    MediationIssues,
    TransferKind,
    compute_deadlines,
    deadline,
)

D = dt.date
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def _only(events: dict[str, dt.date], clock_id: str,
          circumstances: Circumstances | None = None) -> Deadline:
    found = [d for d in compute_deadlines(events, circumstances) if d.clock_id == clock_id]
    assert len(found) == 1, [d.clock_id for d in compute_deadlines(events, circumstances)]
    return found[0]


def _due(events: dict[str, dt.date], clock_id: str,
         circumstances: Circumstances | None = None) -> dt.date | None:
    return _only(events, clock_id, circumstances).due


def _absent(events: dict[str, dt.date], clock_id: str,
            circumstances: Circumstances | None = None) -> bool:
    return all(d.clock_id != clock_id for d in compute_deadlines(events, circumstances))


# --- EHC needs assessment and plans (SEND Regs 2014) -----------------------------------------


def test_decide_whether_to_assess_six_weeks_from_the_request_across_christmas() -> None:
    # Reg 5(1): within 6 weeks of receiving the request. Fri 20 Dec 2024 + 42 days: 11 days to
    # 31 Dec, 31 more to Fri 31 Jan 2025. Christmas and New Year do not stop a weeks clock.
    received = D(2024, 12, 20)
    assert _due({"assessment_request_received": received}, "decide_whether_to_assess") == D(
        2025, 1, 31)
    assert D(2025, 1, 31).weekday() == FRI
    # The LA becoming responsible (s.24) later restarts it: Mon 3 Mar 2025 + 42 = Mon 14 Apr.
    later = {"assessment_request_received": received, "la_became_responsible": D(2025, 3, 3)}
    assert _due(later, "decide_whether_to_assess") == D(2025, 4, 14)


def test_determination_no_provision_needed_six_weeks_from_the_request() -> None:
    # Reg 4(1): 6 weeks from receipt. Fri 1 Aug 2025 + 42 days: 30 days to 31 Aug, 12 more to
    # Fri 12 Sep 2025 (the August bank holiday, 25 Aug, changes nothing).
    due = _due({"assessment_request_received": D(2025, 8, 1)},
               "determination_no_provision_needed")
    assert due == D(2025, 9, 12)


def test_advice_for_assessment_six_weeks_ending_on_a_bank_holiday_is_not_moved() -> None:
    # Reg 8: advice within 6 weeks of the request. Mon 10 Mar 2025 + 42 days = Mon 21 Apr
    # 2025, Easter Monday: a period of weeks is not counted in working days, so it stays.
    assert D(2025, 4, 21).weekday() == MON
    assert _due({"advice_requested": D(2025, 3, 10)}, "advice_for_assessment") == D(2025, 4, 21)


def test_decide_not_to_issue_plan_sixteen_weeks_from_the_request() -> None:
    # Reg 10(1): 16 weeks = 112 days from receipt on Tue 31 Dec 2024: +31 = 31 Jan, +59 = 28 Feb
    # (2025 is not a leap year), +90 = 31 Mar, +112 = Tue 22 Apr 2025.
    due = _due({"assessment_request_received": D(2024, 12, 31)}, "decide_not_to_issue_plan")
    assert due == D(2025, 4, 22)
    assert due.weekday() == D(2024, 12, 31).weekday() == TUE


def test_draft_plan_representations_fifteen_days_starting_with_service_in_a_leap_year() -> None:
    # Reg 13(1)(a): at least 15 days "beginning with the day on which the draft plan was
    # served". Served Tue 20 Feb 2024 = day 1; 29 Feb = day 10; 1 Mar = day 11; Tue 5 Mar 2024 =
    # day 15.
    assert _due({"draft_plan_served": D(2024, 2, 20)}, "draft_plan_representations") == D(
        2024, 3, 5)


def test_amendment_representations_fifteen_days_starting_with_service() -> None:
    # Reg 22(2)(c): at least 15 days beginning with the day the proposed amendments are served.
    # Thu 20 Feb 2025 = day 1; 28 Feb = day 9; 1 Mar = day 10; Thu 6 Mar 2025 = day 15.
    assert _due({"proposed_amendments_served": D(2025, 2, 20)},
                "amendment_representations") == D(2025, 3, 6)


def test_review_report_two_weeks_after_the_meeting_ending_on_new_years_day() -> None:
    # Reg 20: the report within 2 weeks of the review meeting. Thu 18 Dec 2025 + 14 days =
    # Thu 1 Jan 2026 (a bank holiday; a weeks clock does not move).
    assert _due({"review_meeting": D(2025, 12, 18)}, "review_report") == D(2026, 1, 1)


def test_review_decision_four_weeks_after_the_meeting_over_a_short_february() -> None:
    # Reg 20 / R (L) v Devon: 4 weeks of the review meeting. Mon 3 Feb 2025 + 28 days: 25 days
    # to 28 Feb, 3 more to Mon 3 Mar 2025.
    assert _due({"review_meeting": D(2025, 2, 3)}, "review_decision") == D(2025, 3, 3)


def test_final_amended_plan_eight_weeks_after_the_proposed_amendments() -> None:
    # Reg 22(3): within 8 weeks of sending the proposed amendments. Thu 6 Nov 2025 + 56 days:
    # 24 to 30 Nov, 55 to 31 Dec, 56 = Thu 1 Jan 2026.
    assert _due({"proposed_amendments_sent": D(2025, 11, 6)}, "final_amended_plan") == D(
        2026, 1, 1)


def test_reassessment_decision_fifteen_calendar_days_after_the_request() -> None:
    # Reg 25(1): within 15 days of receiving the request. Sat 20 Dec 2025 + 15 days: 11 to
    # 31 Dec, 15 = Sun 4 Jan 2026. Calendar days: a Sunday and the holidays are counted.
    due = _due({"reassessment_request_received": D(2025, 12, 20)}, "reassessment_decision")
    assert due == D(2026, 1, 4) and due.weekday() == SUN


def test_plan_after_reassessment_fourteen_weeks_from_the_notice() -> None:
    # Reg 27(2): within 14 weeks of the reg 25(1) notice. Fri 30 May 2025 + 98 days: +1 =
    # 31 May, +31 = 30 Jun, +62 = 31 Jul, +93 = 31 Aug, +98 = Fri 5 Sep 2025.
    assert _due({"reassessment_notice_sent": D(2025, 5, 30)}, "plan_after_reassessment") == D(
        2025, 9, 5)
    # A decision to re-assess under s.44(3): Mon 6 Oct 2025 + 98 days: +25 = 31 Oct, +55 =
    # 30 Nov, +86 = 31 Dec, +98 = Mon 12 Jan 2026.
    assert _due({"decision_to_reassess": D(2025, 10, 6)}, "plan_after_reassessment") == D(
        2026, 1, 12)


# --- reviews before a transfer (reg 18) ------------------------------------------------------


def test_post16_transfer_review_five_months_before_the_transfer() -> None:
    # Reg 18(2): review and amend "at least five months before that transfer takes place".
    # Transfer Thu 15 Jan 2026: five months earlier is Fri 15 Aug 2025.
    post16 = Circumstances(transfer_kind=TransferKind.POST16_OTHER_TIME)
    assert _due({"transfer_date": D(2026, 1, 15)}, "post16_transfer_review", post16) == D(
        2025, 8, 15)
    # Only for a post-16 to post-16 transfer at another time of year.
    general = Circumstances(transfer_kind=TransferKind.GENERAL)
    assert _absent({"transfer_date": D(2026, 1, 15)}, "post16_transfer_review", general)


def test_phase_transfer_general_before_15_february_of_the_year_of_transfer() -> None:
    # Reg 18(1)(b): "before ... 15 February in the calendar year of the child's transfer": a
    # transfer on Tue 1 Sep 2026 must be reviewed and amended by Sat 14 Feb 2026 at the latest.
    general = Circumstances(transfer_kind=TransferKind.GENERAL)
    assert _due({"transfer_date": D(2026, 9, 1)}, "phase_transfer_general", general) == D(
        2026, 2, 14)
    post16 = Circumstances(transfer_kind=TransferKind.SECONDARY_TO_POST16)
    assert _absent({"transfer_date": D(2026, 9, 1)}, "phase_transfer_general", post16)


def test_phase_transfer_post16_before_31_march_of_the_year_of_transfer() -> None:
    # Reg 18(1)(a): "before 31 March in the calendar year of the ... transfer from secondary
    # school to a post-16 institution": last day in time for a 2027 transfer is Tue 30 Mar 2027.
    post16 = Circumstances(transfer_kind=TransferKind.SECONDARY_TO_POST16)
    assert _due({"transfer_date": D(2027, 9, 1)}, "phase_transfer_post16", post16) == D(
        2027, 3, 30)
    general = Circumstances(transfer_kind=TransferKind.GENERAL)
    assert _absent({"transfer_date": D(2027, 9, 1)}, "phase_transfer_post16", general)


# --- mediation: arranging it and the agreement (regs 37, 42) ---------------------------------


def test_arrange_mediation_education_social_care_thirty_days_across_february() -> None:
    # 30 days from the LA being told the parent wants mediation. Fri 31 Jan 2025 + 30: +28 =
    # 28 Feb, +29 = 1 Mar, +30 = Sun 2 Mar 2025.
    education = Circumstances(mediation_issues=MediationIssues.EDUCATION_SOCIAL_CARE)
    events = {"la_told_wish_to_mediate": D(2025, 1, 31)}
    assert _due(events, "arrange_mediation_education_social_care", education) == D(2025, 3, 2)
    assert _absent(events, "arrange_mediation_mixed", education)


def test_arrange_mediation_mixed_thirty_days_in_a_leap_year() -> None:
    # Thu 1 Feb 2024 + 30: +28 = 29 Feb (leap year), +29 = 1 Mar, +30 = Sat 2 Mar 2024.
    mixed = Circumstances(mediation_issues=MediationIssues.MIXED)
    events = {"la_told_wish_to_mediate": D(2024, 2, 1)}
    assert _due(events, "arrange_mediation_mixed", mixed) == D(2024, 3, 2)
    assert _absent(events, "arrange_mediation_education_social_care", mixed)


def test_arrange_mediation_health_only_thirty_days_from_notifying_the_body() -> None:
    # Health only: 30 days from the LA telling the commissioning body. Wed 10 Dec 2025 + 30:
    # +21 = 31 Dec, +30 = Fri 9 Jan 2026 (Christmas counts: calendar days).
    health = Circumstances(mediation_issues=MediationIssues.HEALTH_ONLY)
    events = {"la_told_wish_to_mediate": D(2025, 12, 1),
              "commissioning_body_notified": D(2025, 12, 10)}
    assert _due(events, "arrange_mediation_health_only", health) == D(2026, 1, 9)
    assert _absent(events, "arrange_mediation_education_social_care", health)


def test_agreement_non_appealable_action_two_weeks_of_the_agreement() -> None:
    # Reg 42(3): within 2 weeks of the date of the agreement. Fri 19 Dec 2025 + 14 days = Fri
    # 2 Jan 2026 (Christmas, Boxing Day and New Year's Day are all counted).
    assert _due({"mediation_agreement": D(2025, 12, 19)},
                "agreement_non_appealable_action") == D(2026, 1, 2)


def test_agreement_notify_la_one_week_only_when_the_la_was_not_a_party() -> None:
    # Reg 42(4): a commissioning body tells the LA within 1 week of an agreement the LA was not
    # party to. Mon 14 Apr 2025 + 7 = Mon 21 Apr 2025 (Easter Monday: not moved).
    events = {"mediation_agreement": D(2025, 4, 14)}
    assert _due(events, "agreement_notify_la", Circumstances(la_party_to_agreement=False)) == D(
        2025, 4, 21)
    assert _absent(events, "agreement_notify_la", Circumstances(la_party_to_agreement=True))


# --- the Tribunal (HESC Rules 2008 r.12, r.20) -----------------------------------------------


def test_tribunal_appeal_from_decision_two_months_rolled_by_rule_12() -> None:
    # r.20(1)(c)(i): 2 months after the notice was sent.
    # Sat 22 Mar 2025 -> Thu 22 May 2025: a working day, unchanged.
    assert deadline("tribunal_appeal_from_decision", D(2025, 3, 22)).due == D(2025, 5, 22)
    # Wed 5 Mar 2025 -> Mon 5 May 2025, the early May bank holiday: r.12(2), next working day
    # Tue 6 May 2025.
    assert deadline("tribunal_appeal_from_decision", D(2025, 3, 5)).due == D(2025, 5, 6)
    # Thu 5 Jun 2025 -> Tue 5 Aug 2025, in August: r.12(3)(a), the first working day after
    # 31 Aug is Mon 1 Sep 2025.
    rolled = deadline("tribunal_appeal_from_decision", D(2025, 6, 5))
    assert (rolled.unadjusted, rolled.due) == (D(2025, 8, 5), D(2025, 9, 1))
    # Through compute_deadlines too, as a clock of its own.
    assert _due({"decision_notice_sent": D(2025, 6, 5)}, "tribunal_appeal_from_decision") == D(
        2025, 9, 1)


def test_tribunal_appeal_from_certificate_one_month_month_end_and_christmas() -> None:
    # r.20(1)(c)(ii): 1 month after the certificate. Fri 31 Jan 2025 -> 31 Feb does not
    # exist, so the month ends on Fri 28 Feb 2025 (a working day).
    assert deadline("tribunal_appeal_from_certificate", D(2025, 1, 31)).due == D(2025, 2, 28)
    # Fri 28 Nov 2025 -> Sun 28 Dec 2025, within 25 Dec-1 Jan: r.12(3)(a) moves it to the
    # first working day after 1 Jan, Fri 2 Jan 2026 (not a bank holiday in England).
    rolled = deadline("tribunal_appeal_from_certificate", D(2025, 11, 28))
    assert (rolled.unadjusted, rolled.due) == (D(2025, 12, 28), D(2026, 1, 2))
    assert _due({"certificate_issued": D(2025, 11, 28)}, "tribunal_appeal_from_certificate") == D(
        2026, 1, 2)


def test_tribunal_recommendation_response_five_weeks_only_from_april_2018() -> None:
    # SI 2017/1306: respond within 5 weeks of the decision with the recommendation. Mon 1 Dec
    # 2025 + 35 days: +30 = 31 Dec, +35 = Mon 5 Jan 2026.
    events = {"tribunal_recommendation_issued": D(2025, 12, 1)}
    assert _due(events, "tribunal_recommendation_response") == D(2026, 1, 5)
    # The national trial (the power to recommend) began on 3 April 2018: none before.
    assert _absent({"tribunal_recommendation_issued": D(2018, 3, 1)},
                   "tribunal_recommendation_response")


# --- other routes ----------------------------------------------------------------------------


def test_dd_claim_school_six_months_starting_with_the_act_no_august_roll() -> None:
    # Equality Act 2010 Sch 17 para 4(1): "6 months starting with the date" of the conduct.
    # Thu 20 Feb 2025 is day 1, so the period ends the day before 20 Aug: Tue 19 Aug 2025, in
    # August, and not moved (disability claims are outside r.12(3)'s August rule).
    assert _due({"act_complained_of": D(2025, 2, 20)}, "dd_claim_school") == D(2025, 8, 19)
    # Sun 31 Aug 2025: no 31 Feb 2026, so the six months run to Sat 28 Feb 2026.
    assert _due({"act_complained_of": D(2025, 8, 31)}, "dd_claim_school") == D(2026, 2, 28)


def test_lgsco_complaint_twelve_months_beginning_with_notice() -> None:
    # LGA 1974 s.26B(2): "12 months beginning with the day on which the person ... first had
    # notice". Sat 15 Mar 2025 is day 1: the period ends on Sat 14 Mar 2026.
    assert _due({"complainant_aware_of_problem": D(2025, 3, 15)}, "lgsco_complaint") == D(
        2026, 3, 14)
    # From Thu 29 Feb 2024 there is no 29 Feb 2025: the twelve months end on Fri 28 Feb 2025.
    assert _due({"complainant_aware_of_problem": D(2024, 2, 29)}, "lgsco_complaint") == D(
        2025, 2, 28)


def test_nhs_social_care_complaint_twelve_months_from_the_later_of_occurrence_and_notice(
) -> None:
    # SI 2009/309: not later than 12 months after the matter occurred or, if later, came to
    # the complainant's notice. Occurred Mon 10 Jun 2024, noticed Mon 2 Sep 2024: Tue 2 Sep
    # 2025.
    events = {"matter_occurred": D(2024, 6, 10), "matter_came_to_notice": D(2024, 9, 2)}
    assert _due(events, "nhs_social_care_complaint") == D(2025, 9, 2)
    assert _due({"matter_occurred": D(2024, 6, 10)}, "nhs_social_care_complaint") == D(
        2025, 6, 10)


def test_judicial_review_three_months_after_the_grounds_at_a_month_end() -> None:
    # CPR 54.5(1): "not later than 3 months after the grounds to make the claim first arose".
    # Sun 30 Nov 2025 -> no 30 Feb 2026, so Sat 28 Feb 2026 (the month's last day).
    assert _due({"grounds_arose": D(2025, 11, 30)}, "judicial_review") == D(2026, 2, 28)
    # Wed 14 May 2025 -> Thu 14 Aug 2025.
    assert _due({"grounds_arose": D(2025, 5, 14)}, "judicial_review") == D(2025, 8, 14)
