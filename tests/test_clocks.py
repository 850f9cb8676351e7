"""The statutory clocks: definitions, worked examples with hand-checked answers, status."""

from __future__ import annotations

import datetime as dt

import pytest

from sen_disagreement.clocks import (
    APPEAL_CLOCK_ID,
    CLOCKS,
    EVENTS,
    FIXED_DATE_DEADLINES,
    Actor,
    Circumstances,
    ClockKind,
    Condition,
    ExceptionKind,
    ExceptionPeriod,
    MediationIssues,
    OrderKind,
    Status,
    TransferKind,
    Unit,
    appeal_deadline,
    clock_status,
    clock_statuses,
    compute_deadlines,
    deadline,
    deadlines_for,
    due_date,
)
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.provenance import Grade
from sen_disagreement.settings import (
    DayUnit,
    ExceptionEffect,
    MeetingDeadline,
    Settings,
    TribunalNonWorkingDays,
)

D = dt.date
PERSONAL = ExceptionKind.EXCEPTIONAL_PERSONAL_CIRCUMSTANCES

# The 40 clock ids and 2 fixed-date ids of the statutory reference's timescales list, with the
# grade the reference gives each (a clock citing both P and S sources is as sure as the weaker).
REFERENCE_CLOCKS = {
    "mediation_adviser_contact": "P",
    "certificate_after_declining": "S",
    "icb_notification_of_health_issues": "S",
    "arrange_mediation_education_social_care": "S",
    "arrange_mediation_health_only": "S",
    "arrange_mediation_mixed": "S",
    "deemed_certificate": "S",
    "certificate_after_mediation": "S",
    "mediation_date_notice": "P",
    "agreement_appealable_matters": "P",
    "agreement_non_appealable_action": "P",
    "agreement_notify_la": "P",
    # [P] for the 2 months (r.20(1)(c)(i)); the deadline also rolls past Christmas and August,
    # which only IPSEA states, so the clock as computed is [S].
    "tribunal_appeal_from_decision": "S",
    "tribunal_appeal_from_certificate": "S",
    "tribunal_recommendation_response": "S",
    "decide_whether_to_assess": "P",
    "determination_no_provision_needed": "P",
    "advice_for_assessment": "S",
    "decide_not_to_issue_plan": "P",
    "draft_plan_representations": "P",
    "final_plan": "P",
    "annual_review": "P",
    "review_meeting_notice": "P",
    "review_report": "S",
    "review_decision": "S",
    "amendment_representations": "P",
    "final_amended_plan": "P",
    "post16_transfer_review": "P",
    "reassessment_decision": "S",
    "plan_after_reassessment": "P",
    "order_assess_notify": "S",
    "order_assess_no_plan": "S",
    "order_assess_final_plan": "S",
    "order_make_plan_draft": "S",
    "order_make_plan_final": "S",
    "order_cease_upheld": "S",
    "lgsco_complaint": "S",
    "nhs_social_care_complaint": "S",
    "judicial_review": "S",
    "dd_claim_school": "S",
}
REFERENCE_FIXED_DATES = {"phase_transfer_general": "P", "phase_transfer_post16": "P"}

# (id, length, unit, who must act) as the reference states them.
REFERENCE_LENGTHS = [
    ("mediation_adviser_contact", 2, Unit.MONTHS, Actor.PARENT_OR_YOUNG_PERSON),
    ("certificate_after_declining", 3, Unit.WORKING_DAYS, Actor.MEDIATION_ADVISER),
    ("icb_notification_of_health_issues", 3, Unit.WORKING_DAYS, Actor.LOCAL_AUTHORITY),
    ("arrange_mediation_health_only", 30, Unit.CALENDAR_DAYS, Actor.RESPONSIBLE_COMMISSIONING_BODY),
    ("mediation_date_notice", 5, Unit.WORKING_DAYS, Actor.ARRANGING_BODY),
    ("agreement_non_appealable_action", 2, Unit.WEEKS,
     Actor.LOCAL_AUTHORITY_OR_RESPONSIBLE_COMMISSIONING_BODY),
    ("agreement_notify_la", 1, Unit.WEEKS, Actor.RESPONSIBLE_COMMISSIONING_BODY),
    ("tribunal_recommendation_response", 5, Unit.WEEKS, Actor.LOCAL_AUTHORITY_OR_ICB),
    ("decide_not_to_issue_plan", 16, Unit.WEEKS, Actor.LOCAL_AUTHORITY),
    ("final_plan", 20, Unit.WEEKS, Actor.LOCAL_AUTHORITY),
    ("post16_transfer_review", 5, Unit.MONTHS, Actor.LOCAL_AUTHORITY),
    ("reassessment_decision", 15, Unit.CALENDAR_DAYS, Actor.LOCAL_AUTHORITY),
    ("order_cease_upheld", 0, Unit.CALENDAR_DAYS, Actor.LOCAL_AUTHORITY),
    ("dd_claim_school", 6, Unit.MONTHS, Actor.PARENT_OR_YOUNG_PERSON),
]


# Definitions ----------------------------------------------------------------------------------


UNCONFIRMED_REG_44_LIMBS = {
    "order_reconsider": (2, Unit.WEEKS),
    "order_amend_plan": (5, Unit.WEEKS),
    "order_amend_placement": (2, Unit.WEEKS),
    "order_continue_to_maintain": (0, Unit.CALENDAR_DAYS),
}


def test_every_reference_clock_id_is_defined_in_order() -> None:
    assert [c for c in CLOCKS if c in REFERENCE_CLOCKS] == list(REFERENCE_CLOCKS)
    assert set(CLOCKS) - set(REFERENCE_CLOCKS) == set(UNCONFIRMED_REG_44_LIMBS)
    assert list(FIXED_DATE_DEADLINES) == list(REFERENCE_FIXED_DATES)


# HMCTS SEND18 guidance gives the amend, amend-placement and continue limbs [S]; reconsider
# stays UNCONFIRMED.
_REG_44_GRADES = {"order_reconsider": Grade.UNCONFIRMED, "order_amend_plan": Grade.SECONDARY,
                  "order_amend_placement": Grade.SECONDARY,
                  "order_continue_to_maintain": Grade.SECONDARY}


@pytest.mark.parametrize(("clock_id", "length"), UNCONFIRMED_REG_44_LIMBS.items())
def test_reg_44_other_limbs_are_graded_clocks(
    clock_id: str, length: tuple[int, Unit]
) -> None:
    clock = CLOCKS[clock_id]
    assert (clock.length, clock.unit) == length
    assert clock.grade is _REG_44_GRADES[clock_id]
    assert clock_id in CLOCKS["agreement_appealable_matters"].delegates_to


def test_reg_44_amend_plan_five_weeks_from_the_order() -> None:
    events = {"tribunal_order": D(2025, 3, 3)}
    got = {
        d.clock_id: d.due
        for d in compute_deadlines(events, Circumstances(order_kind=OrderKind.AMEND_PLAN))
    }
    assert got == {"order_amend_plan": D(2025, 4, 7)}


@pytest.mark.parametrize(("clock_id", "grade"), REFERENCE_CLOCKS.items())
def test_clock_grade_matches_reference(clock_id: str, grade: str) -> None:
    clock = CLOCKS[clock_id]
    assert clock.grade is Grade(grade)
    assert clock.cite()


@pytest.mark.parametrize(("fixed_id", "grade"), REFERENCE_FIXED_DATES.items())
def test_fixed_date_grade_matches_reference(fixed_id: str, grade: str) -> None:
    assert FIXED_DATE_DEADLINES[fixed_id].grade is Grade(grade)


@pytest.mark.parametrize(("clock_id", "length", "unit", "who"), REFERENCE_LENGTHS)
def test_clock_length_unit_and_actor_match_reference(
    clock_id: str, length: int, unit: Unit, who: Actor
) -> None:
    clock = CLOCKS[clock_id]
    assert (clock.length, clock.unit, clock.who_must_act) == (length, unit, who)


def test_clock_events_are_all_in_the_event_vocabulary() -> None:
    for clock in CLOCKS.values():
        assert set(clock.triggers) <= set(EVENTS)
        assert set(clock.completed_by) <= set(EVENTS)
    for fixed in FIXED_DATE_DEADLINES.values():
        assert fixed.trigger in EVENTS


def test_counts_backwards_flags() -> None:
    backwards = {c.id for c in CLOCKS.values() if c.counts_backwards}
    assert backwards == {"mediation_date_notice", "review_meeting_notice", "post16_transfer_review"}


def test_send_regs_clocks_carry_their_start_date() -> None:
    assert CLOCKS["final_plan"].provenance.valid_from == D(2014, 9, 1)
    assert CLOCKS["tribunal_recommendation_response"].provenance.valid_from == D(2018, 4, 3)
    with pytest.raises(InvalidInputError) as err:
        deadline("final_plan", D(2014, 3, 1))
    assert err.value.rule_id == "final_plan"
    assert err.value.field == "assessment_request_received"


def test_reg_42_2_agreement_appealable_matters_delegates_to_reg_44_clocks() -> None:
    clock = CLOCKS["agreement_appealable_matters"]
    assert clock.length is None
    assert all(t.startswith("order_") for t in clock.delegates_to)
    with pytest.raises(InvalidInputError) as err:
        deadline("agreement_appealable_matters", D(2025, 3, 3))
    assert err.value.rule_id == "agreement_appealable_matters"
    got = deadlines_for(
        "agreement_appealable_matters",
        D(2025, 3, 3),
        circumstances=Circumstances(order_kind=OrderKind.MAKE_PLAN),
    )
    assert [(d.clock_id, d.due, d.via) for d in got] == [
        ("order_make_plan_draft", D(2025, 4, 7), "agreement_appealable_matters"),
        ("order_make_plan_final", D(2025, 5, 19), "agreement_appealable_matters"),
    ]
    assert "reg 42(2)" in got[0].cite()


def test_unknown_clock_id_is_a_typed_error() -> None:
    with pytest.raises(InvalidInputError) as err:
        deadline("no_such_clock", D(2025, 1, 1))
    assert err.value.field == "clock_id"


# Worked examples (hand-checked) ---------------------------------------------------------------


def test_reg_33_mediation_adviser_contact_two_months() -> None:
    d = deadline("mediation_adviser_contact", D(2025, 1, 10))
    assert d.due == D(2025, 3, 10)
    assert d.who_must_act is Actor.PARENT_OR_YOUNG_PERSON
    assert "reg 33" in d.cite()


def test_reg_33_from_31_december_ends_on_last_day_of_february() -> None:
    assert deadline("mediation_adviser_contact", D(2024, 12, 31)).due == D(2025, 2, 28)
    assert deadline("mediation_adviser_contact", D(2023, 12, 31)).due == D(2024, 2, 29)


def test_hesc_r20_31_december_plus_two_months_is_28_or_29_february() -> None:
    assert appeal_deadline(D(2024, 12, 31), certificate_required=False).due == D(2025, 2, 28)
    assert appeal_deadline(D(2023, 12, 31), certificate_required=False).due == D(2024, 2, 29)


def test_reg_34_1_certificate_requested_just_before_christmas_2025() -> None:
    # Told Tue 23 Dec: Wed 24 (1), 25-26 Dec holidays, weekend, Mon 29 (2), Tue 30 (3).
    d = deadline("certificate_after_declining", D(2025, 12, 23))
    assert d.due == D(2025, 12, 30)
    assert d.who_must_act is Actor.MEDIATION_ADVISER


def test_reg_34_1_certificate_before_christmas_2020_skips_boxing_day_substitute() -> None:
    # Told Wed 23 Dec 2020: Thu 24 (1), Fri 25 Christmas, weekend, Mon 28 Boxing Day (substitute),
    # Tue 29 (2), Wed 30 (3).
    assert deadline("certificate_after_declining", D(2020, 12, 23)).due == D(2020, 12, 30)


def test_reg_39_certificate_after_mediation_over_easter_2025() -> None:
    # Concluded Thu 17 Apr: Good Friday, weekend, Easter Monday, then Tue 22, Wed 23, Thu 24.
    assert deadline("certificate_after_mediation", D(2025, 4, 17)).due == D(2025, 4, 24)


def test_deemed_certificate_skips_19_september_2022_state_funeral() -> None:
    # Told Fri 16 Sep 2022: Mon 19 was the one-off bank holiday; Tue 20, Wed 21, Thu 22.
    assert deadline("deemed_certificate", D(2022, 9, 16)).due == D(2022, 9, 22)


def test_icb_notification_skips_8_may_2023_coronation() -> None:
    # Told Fri 5 May 2023: Mon 8 was the one-off bank holiday; Tue 9, Wed 10, Thu 11.
    assert deadline("icb_notification_of_health_issues", D(2023, 5, 5)).due == D(2023, 5, 11)


def test_deemed_certificate_unit_setting_calendar_days() -> None:
    settings = Settings(deemed_certificate_unit=DayUnit.CALENDAR_DAYS)
    assert deadline("deemed_certificate", D(2022, 9, 16), settings=settings).due == D(2022, 9, 19)


def test_mediation_date_notice_five_working_days_before_counts_backwards_over_easter() -> None:
    # Mediation Tue 22 Apr 2025: Easter Monday, weekend, Good Friday skipped; Thu 17 (1) ... Fri 11.
    assert deadline("mediation_date_notice", D(2025, 4, 22)).due == D(2025, 4, 11)
    assert deadline("mediation_date_notice", D(2025, 6, 16)).due == D(2025, 6, 9)


def test_mediation_date_notice_setting_off_drops_the_clock() -> None:
    events = {"mediation_date": D(2025, 6, 16)}
    assert [d.clock_id for d in compute_deadlines(events)] == ["mediation_date_notice"]
    off = Settings(mediation_date_notice=False)
    assert compute_deadlines(events, settings=off) == []


def test_ias_manchester_30_day_case_mediation_not_held_then_deemed_certificate() -> None:
    # Notice sent Mon 15 Jan 2024; parent asks for mediation Thu 1 Feb; 30 calendar days (2024 is
    # a leap year) end Sat 2 Mar. No meeting by then: the LA tells the adviser on Mon 4 Mar; the
    # certificate is due Thu 7 Mar; the appeal window becomes 1 month from the certificate:
    # Sun 7 Apr moves to Mon 8 Apr, later than the 2-month date (Fri 15 Mar).
    c = Circumstances(mediation_issues=MediationIssues.EDUCATION_SOCIAL_CARE)
    arrange = deadline("arrange_mediation_education_social_care", D(2024, 2, 1))
    assert arrange.due == D(2024, 3, 2)
    events = {
        "decision_notice_sent": D(2024, 1, 15),
        "la_told_wish_to_mediate": D(2024, 2, 1),
        "adviser_told_mediation_not_arranged": D(2024, 3, 4),
    }
    state = clock_status(
        "arrange_mediation_education_social_care", events, as_of=D(2024, 3, 4), circumstances=c
    )
    assert state.status is Status.MISSED
    assert deadline("deemed_certificate", D(2024, 3, 4)).due == D(2024, 3, 7)
    appeal = appeal_deadline(D(2024, 1, 15), D(2024, 3, 7))
    assert appeal.from_decision == D(2024, 3, 15)
    assert appeal.due == D(2024, 4, 8)
    assert appeal.governing_clock_id == "tribunal_appeal_from_certificate"
    assert not appeal.provisional


def test_arrange_mediation_deadline_setting_arranged_is_met_by_fixing_a_date() -> None:
    events = {
        "la_told_wish_to_mediate": D(2024, 2, 1),
        "mediation_arranged": D(2024, 2, 20),
        "mediation_held": D(2024, 3, 12),
    }
    c = Circumstances(mediation_issues=MediationIssues.EDUCATION_SOCIAL_CARE)
    cid = "arrange_mediation_education_social_care"
    held = clock_status(cid, events, as_of=D(2024, 3, 20), circumstances=c)
    assert held.status is Status.MISSED
    assert held.completed_on == D(2024, 3, 12)
    arranged = Settings(arrange_mediation_deadline=MeetingDeadline.ARRANGED)
    ok = clock_status(cid, events, as_of=D(2024, 3, 20), circumstances=c, settings=arranged)
    assert ok.status is Status.MET


def test_hesc_r20_ipsea_christmas_example_decision_1_october_certificate_29_november() -> None:
    # 1 Oct + 2 months = 1 Dec; 29 Nov + 1 month = Mon 29 Dec 2025, inside 25 Dec-1 Jan, so the
    # deadline moves to the next working day in January: Fri 2 Jan 2026.
    a = appeal_deadline(D(2025, 10, 1), D(2025, 11, 29))
    assert a.rolled_from == D(2025, 12, 29)
    assert a.due == D(2026, 1, 2)
    none = Settings(tribunal_non_working_days=TribunalNonWorkingDays.NONE)
    assert appeal_deadline(D(2025, 10, 1), D(2025, 11, 29), settings=none).due == D(2025, 12, 29)


def test_hesc_r20_deadline_in_august_moves_to_september() -> None:
    assert appeal_deadline(D(2025, 6, 15), certificate_required=False).due == D(2025, 9, 1)


def test_hesc_r20_two_months_governs_when_certificate_is_early() -> None:
    a = appeal_deadline(D(2025, 1, 10), D(2025, 1, 20))
    assert a.due == D(2025, 3, 10)
    assert a.from_certificate == D(2025, 2, 20)
    assert a.governing_clock_id == "tribunal_appeal_from_decision"


def test_hesc_r20_without_certificate_is_provisional_unless_section_i_only() -> None:
    assert appeal_deadline(D(2025, 1, 10)).provisional
    assert not appeal_deadline(D(2025, 1, 10), certificate_required=False).provisional


def test_hesc_r20_certificate_before_decision_is_rejected() -> None:
    with pytest.raises(InvalidInputError) as err:
        appeal_deadline(D(2025, 1, 10), D(2025, 1, 9))
    assert err.value.field == "certificate_issued"
    assert err.value.rule_id == "tribunal_appeal_from_certificate"


def test_section_i_only_appeal_drops_reg_33_contact_clock() -> None:
    events = {"decision_notice_sent": D(2025, 1, 10)}
    ids = [d.clock_id for d in compute_deadlines(events)]
    assert ids == ["mediation_adviser_contact", "tribunal_appeal_from_decision", APPEAL_CLOCK_ID]
    section_i = compute_deadlines(events, Circumstances(certificate_required=False))
    assert [d.clock_id for d in section_i] == ["tribunal_appeal_from_decision", APPEAL_CLOCK_ID]
    assert not section_i[-1].provisional


def test_reg_13_1_a_draft_plan_fifteen_days_counted_inclusively() -> None:
    d = deadline("draft_plan_representations", D(2025, 3, 3))
    assert d.due == D(2025, 3, 17)
    assert d.kind is ClockKind.MINIMUM_PERIOD
    # reg 22(2)(c) uses the same words as reg 13(1)(a): "beginning with the day" served.
    assert deadline("amendment_representations", D(2025, 3, 3)).due == D(2025, 3, 17)


def test_reg_5_reg_10_reg_13_ehc_weeks_are_calendar_weeks() -> None:
    events = {"assessment_request_received": D(2025, 1, 6)}
    got = {d.clock_id: d.due for d in compute_deadlines(events)}
    assert got == {
        "decide_whether_to_assess": D(2025, 2, 17),
        "determination_no_provision_needed": D(2025, 2, 17),
        "decide_not_to_issue_plan": D(2025, 4, 28),
        "final_plan": D(2025, 5, 26),  # a bank holiday: EHC clocks do not roll
    }


def test_ehc_clock_restarts_from_the_later_trigger() -> None:
    events = {"assessment_request_received": D(2025, 1, 6), "la_became_responsible": D(2025, 2, 3)}
    d = next(d for d in compute_deadlines(events) if d.clock_id == "decide_whether_to_assess")
    assert (d.trigger, d.due) == ("la_became_responsible", D(2025, 3, 17))


def test_reg_13_3_exception_extends_final_plan_by_its_duration() -> None:
    exc = ExceptionPeriod(PERSONAL, D(2025, 2, 1), D(2025, 2, 14))
    d = deadline("final_plan", D(2025, 1, 6), exceptions=[exc])
    assert d.due == D(2025, 6, 9)  # 26 May + 14 days
    assert d.unadjusted == D(2025, 5, 26)
    assert "reg 13(3)" in d.cite()


def test_reg_10_4_overlapping_exceptions_are_not_counted_twice() -> None:
    a = ExceptionPeriod(PERSONAL, D(2025, 2, 1), D(2025, 2, 14))
    b = ExceptionPeriod(ExceptionKind.ABSENCE_FROM_AREA, D(2025, 2, 10), D(2025, 2, 20))
    d = deadline("decide_not_to_issue_plan", D(2025, 1, 6), exceptions=[a, b])
    assert d.due == D(2025, 4, 28) + dt.timedelta(days=20)


def test_reg_5_4_exception_past_the_original_due_date_stops_the_clock_throughout() -> None:
    # 42-day clock from Mon 6 Jan: 25 days run (7-31 Jan), paused 1-28 Feb, the other 17 days
    # run 1-17 Mar.
    exc = ExceptionPeriod(ExceptionKind.ABSENCE_FROM_AREA, D(2025, 2, 1), D(2025, 2, 28))
    d = deadline("decide_whether_to_assess", D(2025, 1, 6), exceptions=[exc])
    assert d.due == D(2025, 3, 17)
    assert d.grade is Grade.SECONDARY  # reg 5(4) beyond limb (a) is known only via IPSEA


def test_exception_starting_after_the_deadline_changes_nothing() -> None:
    exc = ExceptionPeriod(ExceptionKind.ABSENCE_FROM_AREA, D(2025, 2, 18), D(2025, 2, 28))
    assert deadline("decide_whether_to_assess", D(2025, 1, 6), exceptions=[exc]).due == D(
        2025, 2, 17
    )


def test_reg_10_4_exception_setting_disapply() -> None:
    exc = ExceptionPeriod(ExceptionKind.INSTITUTION_CLOSURE, D(2025, 2, 1), D(2025, 2, 14))
    settings = Settings(lawful_exception_effect=ExceptionEffect.DISAPPLY)
    d = deadline("decide_not_to_issue_plan", D(2025, 1, 6), exceptions=[exc], settings=settings)
    assert d.due is None
    assert d.disapplied


def test_reg_10_4_open_ended_exception_pauses_the_clock() -> None:
    exc = ExceptionPeriod(ExceptionKind.ABSENCE_FROM_AREA, D(2025, 3, 1))
    events = {"assessment_request_received": D(2025, 1, 6)}
    c = Circumstances(exceptions=[exc])
    state = clock_status("final_plan", events, as_of=D(2025, 3, 10), circumstances=c)
    assert state.status is Status.PAUSED
    assert state.deadline is not None and state.deadline.due is None


def test_exception_not_recognised_by_a_clock_is_ignored() -> None:
    exc = ExceptionPeriod(ExceptionKind.ABSENCE_FROM_AREA, D(2025, 2, 1), D(2025, 2, 14))
    d = deadline("determination_no_provision_needed", D(2025, 1, 6), exceptions=[exc])
    assert d.due == D(2025, 2, 17)


def test_exception_period_ending_before_start_is_rejected() -> None:
    with pytest.raises(InvalidInputError) as err:
        ExceptionPeriod(ExceptionKind.ABSENCE_FROM_AREA, D(2025, 2, 14), D(2025, 2, 1))
    assert err.value.field == "exceptions.end"


def test_reg_42_5_written_alternative_timescale_disapplies_reg_42_clocks() -> None:
    exc = ExceptionPeriod(ExceptionKind.WRITTEN_ALTERNATIVE_TIMESCALE, D(2025, 4, 1))
    c = Circumstances(exceptions=[exc], la_party_to_agreement=True)
    events = {"mediation_agreement": D(2025, 4, 1)}
    states = clock_statuses(events, as_of=D(2025, 4, 2), circumstances=c)
    assert [(s.clock_id, s.status) for s in states] == [
        ("agreement_appealable_matters", Status.DISAPPLIED),
        ("agreement_non_appealable_action", Status.DISAPPLIED),
    ]


def test_reg_42_3_and_42_4_agreement_clocks() -> None:
    events = {"mediation_agreement": D(2025, 4, 1)}
    c = Circumstances(la_party_to_agreement=False, order_kind=OrderKind.CEASE_UPHELD)
    got = {d.clock_id: d.due for d in compute_deadlines(events, c)}
    assert got == {
        "order_cease_upheld": D(2025, 4, 1),
        "agreement_non_appealable_action": D(2025, 4, 15),
        "agreement_notify_la": D(2025, 4, 8),
    }


def test_reg_44_tribunal_order_to_assess() -> None:
    events = {"tribunal_order": D(2025, 3, 3)}
    c = Circumstances(order_kind=OrderKind.ASSESS)
    got = {d.clock_id: d.due for d in compute_deadlines(events, c)}
    assert got == {
        "order_assess_notify": D(2025, 3, 17),
        "order_assess_no_plan": D(2025, 5, 12),
        "order_assess_final_plan": D(2025, 6, 9),
    }


def test_unknown_mediation_issues_keep_every_arrange_clock_with_its_condition() -> None:
    got = compute_deadlines({"la_told_wish_to_mediate": D(2025, 2, 3)})
    assert [(d.clock_id, d.conditions) for d in got] == [
        ("arrange_mediation_education_social_care", (Condition.EDUCATION_SOCIAL_CARE_ONLY,)),
        ("arrange_mediation_mixed", (Condition.MIXED_ISSUES,)),
    ]
    mixed = compute_deadlines(
        {"la_told_wish_to_mediate": D(2025, 2, 3)},
        Circumstances(mediation_issues=MediationIssues.MIXED),
    )
    assert [(d.clock_id, d.conditions) for d in mixed] == [("arrange_mediation_mixed", ())]


def test_arrange_mediation_unit_setting_working_days() -> None:
    settings = Settings(arrange_mediation_unit=DayUnit.WORKING_DAYS)
    d = deadline("arrange_mediation_health_only", D(2025, 2, 3), settings=settings)
    assert d.due == D(2025, 3, 17)
    assert deadline("arrange_mediation_health_only", D(2025, 2, 3)).due == D(2025, 3, 5)


def test_reg_18_fixed_date_deadlines_and_post16_counting_backwards() -> None:
    events = {"transfer_date": D(2026, 9, 1)}
    got = {d.clock_id: d.due for d in compute_deadlines(events)}
    assert got == {
        "post16_transfer_review": D(2026, 4, 1),
        "phase_transfer_general": D(2026, 2, 14),
        "phase_transfer_post16": D(2026, 3, 30),  # reg 18(1): "before" 31 March
    }
    only = compute_deadlines(events, Circumstances(transfer_kind=TransferKind.SECONDARY_TO_POST16))
    assert [d.clock_id for d in only] == ["phase_transfer_post16"]


def test_reg_20_review_meeting_notice_two_weeks_before() -> None:
    assert deadline("review_meeting_notice", D(2025, 6, 16)).due == D(2025, 6, 2)
    assert deadline("review_decision", D(2025, 6, 16)).due == D(2025, 7, 14)


def test_cfa_s44_annual_review_from_latest_review() -> None:
    # s.44(1): "12 months starting with" the previous review: the review day is day 1.
    events = {"plan_made": D(2023, 5, 31), "review_meeting": D(2024, 5, 20)}
    d = next(d for d in compute_deadlines(events) if d.clock_id == "annual_review")
    assert d.due == D(2025, 5, 19)


def test_due_date_fast_path_equals_deadline() -> None:
    for cid in ("certificate_after_declining", "tribunal_appeal_from_certificate", "final_plan"):
        assert due_date(cid, D(2025, 7, 20)) == deadline(cid, D(2025, 7, 20)).due


# Status ---------------------------------------------------------------------------------------


def test_status_lifecycle_of_reg_34_1_certificate_clock() -> None:
    cid = "certificate_after_declining"
    events = {"adviser_told_no_mediation": D(2025, 12, 23)}
    assert clock_status(cid, {}, as_of=D(2025, 12, 1)).status is Status.NOT_STARTED
    assert clock_status(cid, events, as_of=D(2025, 12, 1)).status is Status.NOT_STARTED
    soon = clock_status(cid, events, as_of=D(2025, 12, 24))
    assert (soon.status, soon.working_days_left) == (Status.DUE_SOON, 2)
    running = clock_status(cid, events, as_of=D(2025, 12, 24), due_within=1)
    assert running.status is Status.RUNNING
    assert clock_status(cid, events, as_of=D(2025, 12, 31)).status is Status.MISSED
    met = {**events, "certificate_issued": D(2025, 12, 29)}
    assert clock_status(cid, met, as_of=D(2025, 12, 31)).status is Status.MET
    late = {**events, "certificate_issued": D(2026, 1, 5)}
    assert clock_status(cid, late, as_of=D(2026, 1, 6)).status is Status.MISSED


def test_status_completed_mapping_by_clock_id() -> None:
    events = {"review_meeting": D(2025, 6, 16)}
    state = clock_status(
        "review_report", events, as_of=D(2025, 7, 10), completed={"review_report": D(2025, 6, 27)}
    )
    assert state.status is Status.MET


def test_status_minimum_period_is_met_once_it_has_run() -> None:
    events = {"draft_plan_served": D(2025, 3, 3)}
    assert clock_status("draft_plan_representations", events, as_of=D(2025, 3, 4)).status in {
        Status.RUNNING,
        Status.DUE_SOON,
    }
    assert clock_status("draft_plan_representations", events, as_of=D(2025, 3, 18)).status is (
        Status.MET
    )


def test_status_backwards_clock_runs_before_the_meeting() -> None:
    events = {"mediation_date": D(2025, 6, 16)}
    early = clock_status("mediation_date_notice", events, as_of=D(2025, 5, 1))
    assert early.status is Status.RUNNING
    assert clock_status("mediation_date_notice", events, as_of=D(2025, 6, 10)).status is (
        Status.MISSED
    )


def test_status_combined_appeal_met_by_appeal_received() -> None:
    events = {"decision_notice_sent": D(2025, 1, 10), "appeal_received": D(2025, 3, 1)}
    state = clock_status(APPEAL_CLOCK_ID, events, as_of=D(2025, 3, 2))
    assert state.status is Status.MET


def test_unknown_event_name_is_rejected_naming_the_field() -> None:
    with pytest.raises(InvalidInputError) as err:
        compute_deadlines({"decision_sent": D(2025, 1, 10)})
    assert err.value.field == "decision_sent"
    assert err.value.rule_id == "clocks.known_event"


def test_event_value_must_be_a_date() -> None:
    with pytest.raises(InvalidInputError) as err:
        compute_deadlines({"decision_notice_sent": dt.datetime(2025, 1, 10, 9, 0)})
    assert err.value.field == "decision_notice_sent"


def test_trigger_outside_calendar_range_names_the_event() -> None:
    with pytest.raises(InvalidInputError) as err:
        compute_deadlines({"adviser_told_no_mediation": D(2046, 1, 10)})
    assert err.value.field == "adviser_told_no_mediation"
    assert err.value.rule_id == "calendar.range"
