"""SI 2020/471 reg 2A: from 1 May to 25 September 2020 inclusive a coronavirus-related reason was
added to the "impractical" exceptions of the listed SEND Regs timescales (not the Tribunal
appeal limits). A dated rule version: a clock whose period overlapped those days can record the
exception and shows it was available; a clock wholly outside refuses it.

Which timescales reg 2A lists: the 20-week plan limit (reg 13(2)) and the advice duty (reg 8(1))
are named by the DfE guidance [S]; the other SEND Regs clocks are UNCONFIRMED (setting
``coronavirus_other_send_regs_clocks``, default on); the mediation clocks are UNCONFIRMED
(setting ``coronavirus_mediation_clocks``, default ``none``, the cautious reading).

Dates worked by hand: 20 weeks from Thu 2 Jan 2020 is Thu 21 May 2020; the clock stands still
on each day of a recorded exception (setting ``lawful_exception_effect``, default ``extend``)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from sen_disagreement.cli import main
from sen_disagreement.clocks import (
    CLOCKS,
    CORONAVIRUS_EXCEPTION,
    CORONAVIRUS_EXCEPTION_END,
    CORONAVIRUS_EXCEPTION_START,
    Circumstances,
    ExceptionKind,
    ExceptionPeriod,
    OrderKind,
    Status,
    appeal_deadline,
    clock_status,
    compute_deadlines,
    deadline,
    deadlines_for,
)
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.provenance import Grade
from sen_disagreement.settings import (
    CoronavirusMediation,
    ExceptionEffect,
    Settings,
    describe,
)
from sen_disagreement.workflow.mediation.agreement import REG_42_2_EXCEPTIONS

D = dt.date
COVID = ExceptionKind.CORONAVIRUS
RULE = "si2020_471.coronavirus_exception"
BODIES = Settings(coronavirus_mediation_clocks=CoronavirusMediation.BODIES)
ALL = Settings(coronavirus_mediation_clocks=CoronavirusMediation.ALL)
NAMED = {"advice_for_assessment", "final_plan"}
UNLISTED = {
    "determination_no_provision_needed",
    "decide_whether_to_assess",
    "decide_not_to_issue_plan",
    "plan_after_reassessment",
    *(c for c in CLOCKS if c.startswith("order_")),
}
MEDIATION_BODIES = {
    "certificate_after_declining",
    "icb_notification_of_health_issues",
    "arrange_mediation_education_social_care",
    "arrange_mediation_health_only",
    "arrange_mediation_mixed",
    "deemed_certificate",
    "certificate_after_mediation",
    "agreement_appealable_matters",
    "agreement_non_appealable_action",
    "agreement_notify_la",
}


def _covid_clocks(settings: Settings) -> set[str]:
    return {
        c.id
        for c in CLOCKS.values()
        if any(e.kind is COVID and e.enabled(settings) for e in c.exceptions)
    }


def _final_plan(request: dt.date, *periods: ExceptionPeriod, s: Settings | None = None) -> dt.date:
    d = deadline("final_plan", request, exceptions=periods, settings=s or Settings())
    assert d.due is not None
    return d.due


# The window ----------------------------------------------------------------------------------


def test_si2020_471_coronavirus_exception_window_1_may_to_25_september_2020_inclusive() -> None:
    p = CORONAVIRUS_EXCEPTION.provenance
    assert (p.valid_from, p.valid_to) == (D(2020, 5, 1), D(2020, 9, 26))  # valid_to exclusive
    assert (p.valid_from, p.valid_to) == (CORONAVIRUS_EXCEPTION_START, CORONAVIRUS_EXCEPTION_END)
    assert [p.applies_on(d) for d in (D(2020, 4, 30), D(2020, 5, 1), D(2020, 9, 25),
                                      D(2020, 9, 26))] == [False, True, True, False]
    assert CORONAVIRUS_EXCEPTION.grade is Grade.SECONDARY
    assert CORONAVIRUS_EXCEPTION.cite().startswith("SI 2020/471 reg 2A")
    for clock in CLOCKS.values():
        for e in clock.exceptions:
            if e.kind is COVID:
                assert e.rule_id == RULE
                assert (e.provenance.valid_from, e.provenance.valid_to) == (
                    D(2020, 5, 1), D(2020, 9, 26)
                )
                assert all(c.text.startswith("SI 2020/471 reg 2A") for c in e.provenance.citations)


# Recording it on a clock that overlapped the window -----------------------------------------


def test_si2020_471_coronavirus_exception_final_plan_stands_still_until_25_september() -> None:
    # Request 2 Jan 2020: 20 weeks end 21 May. Coronavirus from 1 May, no end given: the
    # exception ends with the window on 25 Sep (148 days, 1 May-25 Sep). The 21 days left on
    # 1 May run again from 26 Sep: 16 Oct 2020.
    covid = ExceptionPeriod(COVID, D(2020, 5, 1), evidence="la-covid-log")
    d = deadline("final_plan", D(2020, 1, 2), exceptions=[covid])
    assert (d.unadjusted, d.due) == (D(2020, 5, 21), D(2020, 10, 16))
    assert d.note == "extended by 148 day(s) for lawful exceptions"
    applied = d.exceptions[0]
    assert (applied.period.start, applied.period.end) == (D(2020, 5, 1), D(2020, 9, 25))
    assert applied.period.evidence == "la-covid-log"
    assert applied.exception.rule_id == RULE
    assert d.grade is Grade.SECONDARY
    assert "SI 2020/471 reg 2A" in d.cite()


def test_si2020_471_coronavirus_exception_status_paused_in_the_window_then_running() -> None:
    events = {"assessment_request_received": D(2020, 1, 2)}
    c = Circumstances(exceptions=[ExceptionPeriod(COVID, D(2020, 5, 1))])
    june = clock_status("final_plan", events, as_of=D(2020, 6, 1), circumstances=c)
    assert june.status is Status.PAUSED
    assert june.exception_available(COVID)
    assert [a.kind for a in june.exceptions] == [COVID]
    october = clock_status("final_plan", events, as_of=D(2020, 10, 1), circumstances=c)
    assert october.status is Status.RUNNING
    assert october.deadline is not None and october.deadline.due == D(2020, 10, 16)


def test_si2020_471_coronavirus_exception_request_on_29_february_2020() -> None:
    # 20 weeks from Sat 29 Feb 2020 end Sat 18 Jul; coronavirus 1-31 May (31 days): 18 Aug.
    covid = ExceptionPeriod(COVID, D(2020, 5, 1), D(2020, 5, 31))
    assert _final_plan(D(2020, 2, 29)) == D(2020, 7, 18)
    assert _final_plan(D(2020, 2, 29), covid) == D(2020, 8, 18)


def test_si2020_471_coronavirus_exception_period_cut_to_the_window() -> None:
    # Request 1 Aug 2020: 20 weeks end 19 Dec. Coronavirus recorded 1 Sep-31 Oct: only 1-25 Sep
    # (25 days) was lawful, so 13 Jan 2021.
    covid = ExceptionPeriod(COVID, D(2020, 9, 1), D(2020, 10, 31))
    d = deadline("final_plan", D(2020, 8, 1), exceptions=[covid])
    assert (d.unadjusted, d.due) == (D(2020, 12, 19), D(2021, 1, 13))
    assert (d.exceptions[0].period.start, d.exceptions[0].period.end) == (
        D(2020, 9, 1), D(2020, 9, 25)
    )


def test_si2020_471_coronavirus_exception_with_reg_13_3_absence_not_counted_twice() -> None:
    covid = ExceptionPeriod(COVID, D(2020, 5, 1), D(2020, 5, 31))
    away = ExceptionPeriod(ExceptionKind.ABSENCE_FROM_AREA, D(2020, 5, 20), D(2020, 6, 19))
    # 1 May-19 Jun is 50 days: 18 Jul + 50 = 6 Sep.
    assert _final_plan(D(2020, 2, 29), covid, away) == D(2020, 9, 6)


def test_si2020_471_coronavirus_exception_setting_disapply() -> None:
    covid = ExceptionPeriod(COVID, D(2020, 5, 1), D(2020, 5, 31))
    s = Settings(lawful_exception_effect=ExceptionEffect.DISAPPLY)
    d = deadline("final_plan", D(2020, 2, 29), exceptions=[covid], settings=s)
    assert d.due is None and d.disapplied
    assert "SI 2020/471 reg 2A" in (d.note or "")


# Availability shown on the status, and the edges of the window ------------------------------


def test_si2020_471_coronavirus_exception_available_only_to_clocks_overlapping_the_window() -> (
    None
):
    def available(request: dt.date) -> bool:
        events = {"assessment_request_received": request}
        state = clock_status("final_plan", events, as_of=request)
        return state.exception_available(COVID)

    assert not available(D(2019, 12, 12))  # 20 weeks end Thu 30 Apr 2020
    assert available(D(2019, 12, 13))  # ends Fri 1 May 2020: one day in the window
    assert available(D(2020, 9, 25))  # starts on the window's last day
    assert not available(D(2020, 9, 26))
    assert not available(D(2021, 1, 4))
    # The other exceptions of reg 13(3) stay available throughout.
    late = clock_status("final_plan", {"assessment_request_received": D(2021, 1, 4)},
                        as_of=D(2021, 1, 4))
    assert late.exception_available(ExceptionKind.ABSENCE_FROM_AREA)


def test_si2020_471_coronavirus_exception_refused_on_a_clock_wholly_outside_the_window() -> None:
    covid = ExceptionPeriod(COVID, D(2020, 5, 1), D(2020, 5, 31))
    for request in (D(2019, 12, 12), D(2020, 9, 28)):
        with pytest.raises(InvalidInputError) as err:
            deadline("final_plan", request, exceptions=[covid])
        assert err.value.field == "exceptions.kind"
        assert err.value.rule_id == RULE
        assert err.value.citation is not None
        assert err.value.citation.startswith("SI 2020/471 reg 2A")
        assert "2020-05-01 to 2020-09-25" in err.value.message
    scoped = ExceptionPeriod(COVID, D(2020, 5, 1), D(2020, 5, 31), clock_ids=("final_plan",))
    with pytest.raises(InvalidInputError) as err:
        compute_deadlines({"assessment_request_received": D(2021, 1, 4)},
                          Circumstances(exceptions=[scoped]))
    assert err.value.rule_id == RULE


def test_si2020_471_coronavirus_exception_recorded_outside_the_window_is_refused() -> None:
    # Request 1 Sep 2020 (the clock overlapped the window) but the exception is dated October.
    covid = ExceptionPeriod(COVID, D(2020, 10, 1), D(2020, 10, 10))
    with pytest.raises(InvalidInputError) as err:
        deadline("final_plan", D(2020, 9, 1), exceptions=[covid])
    assert (err.value.field, err.value.rule_id) == ("exceptions.start", RULE)
    early = ExceptionPeriod(COVID, D(2020, 3, 23), D(2020, 4, 30))
    with pytest.raises(InvalidInputError) as err:
        deadline("final_plan", D(2020, 2, 29), exceptions=[early])
    assert (err.value.field, err.value.rule_id) == ("exceptions.start", RULE)


def test_si2020_471_coronavirus_exception_unscoped_leaves_later_clocks_alone() -> None:
    # One case, two clocks: the 2020 assessment and a 2023 re-assessment. An unscoped coronavirus
    # period moves the 2020 clock and does not touch the 2023 one.
    events = {"assessment_request_received": D(2020, 2, 29), "decision_to_reassess": D(2023, 3, 1)}
    c = Circumstances(exceptions=[ExceptionPeriod(COVID, D(2020, 5, 1), D(2020, 5, 31))])
    got = {d.clock_id: d for d in compute_deadlines(events, c)}
    assert got["final_plan"].due == D(2020, 8, 18)
    reassess = got["plan_after_reassessment"]
    assert reassess.due == D(2023, 6, 7)  # 14 weeks from 1 Mar 2023
    assert not reassess.exceptions and not reassess.exception_available(COVID)


# Which clocks: graded honestly, settings for the unconfirmed ones ---------------------------


def test_si2020_471_coronavirus_exception_named_clocks_secondary_others_unconfirmed() -> None:
    assert _covid_clocks(Settings()) == NAMED | UNLISTED
    for clock_id in NAMED:
        exc = next(e for e in CLOCKS[clock_id].exceptions if e.kind is COVID)
        assert exc.grade is Grade.SECONDARY and exc.setting is None
    for clock_id in UNLISTED:
        exc = next(e for e in CLOCKS[clock_id].exceptions if e.kind is COVID)
        assert exc.grade is Grade.UNCONFIRMED
        assert exc.setting == "coronavirus_other_send_regs_clocks"
    assert _covid_clocks(Settings(coronavirus_other_send_regs_clocks=False)) == NAMED


def test_si2020_471_coronavirus_exception_other_send_regs_clocks_setting() -> None:
    # Request 2 Mar 2020 (Mon): the 6-week reg 5(1) decision is due 13 Apr; coronavirus 1-14 May
    # starts after that, so it changes nothing; the 16-week reg 10(1) clock (due 22 Jun) stands
    # still 14 days: 6 Jul.
    events = {"assessment_request_received": D(2020, 3, 2)}
    covid = Circumstances(exceptions=[ExceptionPeriod(COVID, D(2020, 5, 1), D(2020, 5, 14))])
    on = {d.clock_id: d.due for d in compute_deadlines(events, covid)}
    off = {d.clock_id: d.due for d in compute_deadlines(
        events, covid, Settings(coronavirus_other_send_regs_clocks=False))}
    assert (on["decide_whether_to_assess"], off["decide_whether_to_assess"]) == (
        D(2020, 4, 13), D(2020, 4, 13))
    assert (on["decide_not_to_issue_plan"], off["decide_not_to_issue_plan"]) == (
        D(2020, 7, 6), D(2020, 6, 22))
    assert (on["final_plan"], off["final_plan"]) == (D(2020, 8, 3), D(2020, 8, 3))  # named
    grade = next(d for d in compute_deadlines(events, covid)
                 if d.clock_id == "decide_not_to_issue_plan").grade
    assert grade is Grade.UNCONFIRMED


def test_si2020_471_coronavirus_exception_reg_44_order_clocks() -> None:
    # Order 1 Jun 2020 to make a plan: draft 6 Jul (5 weeks); coronavirus 8-21 Jun: 20 Jul.
    covid = ExceptionPeriod(COVID, D(2020, 6, 8), D(2020, 6, 21))
    c = Circumstances(order_kind=OrderKind.MAKE_PLAN, exceptions=[covid])
    got = {d.clock_id: d.due for d in compute_deadlines({"tribunal_order": D(2020, 6, 1)}, c)}
    assert got == {"order_make_plan_draft": D(2020, 7, 20), "order_make_plan_final": D(2020, 8, 31)}


def test_si2020_471_coronavirus_exception_never_on_the_tribunal_appeal_limits() -> None:
    for s in (Settings(), ALL, Settings(coronavirus_other_send_regs_clocks=True)):
        assert "tribunal_appeal_from_decision" not in _covid_clocks(s)
        assert "tribunal_appeal_from_certificate" not in _covid_clocks(s)
        assert "dd_claim_school" not in _covid_clocks(s)
    covid = ExceptionPeriod(COVID, D(2020, 5, 1), D(2020, 5, 31))
    d = deadline("tribunal_appeal_from_decision", D(2020, 4, 30), exceptions=[covid], settings=ALL)
    # 2 months after 30 Apr 2020 is 30 Jun 2020 (a Tuesday): unchanged.
    assert d.due == D(2020, 6, 30) and not d.exceptions
    assert not d.exception_available(COVID)
    events = {"decision_notice_sent": D(2020, 4, 30)}
    appeal = [x for x in compute_deadlines(events, Circumstances(exceptions=[covid]), ALL)
              if x.clock_id == "tribunal_appeal"]
    assert appeal[0].due == appeal_deadline(D(2020, 4, 30)).due == D(2020, 6, 30)


# Mediation clocks: setting coronavirus_mediation_clocks --------------------------------------


def test_si2020_471_coronavirus_exception_mediation_default_none_is_the_cautious_reading() -> (
    None
):
    assert Settings().coronavirus_mediation_clocks is CoronavirusMediation.NONE
    assert not _covid_clocks(Settings()) & (MEDIATION_BODIES | {"mediation_adviser_contact"})
    # 30 days from 1 Jun 2020 is 1 Jul; a coronavirus period changes nothing by default.
    covid = ExceptionPeriod(COVID, D(2020, 6, 5), D(2020, 6, 14))
    d = deadline("arrange_mediation_education_social_care", D(2020, 6, 1), exceptions=[covid])
    assert d.due == D(2020, 7, 1) and not d.exception_available(COVID)
    assert COVID not in {e.kind for e in REG_42_2_EXCEPTIONS if e.enabled(Settings())}
    info = next(i for i in describe() if i.name == "coronavirus_mediation_clocks")
    assert info.default == "none" and info.provenance.grade is Grade.UNCONFIRMED


def test_si2020_471_coronavirus_exception_mediation_setting_bodies() -> None:
    assert _covid_clocks(BODIES) == NAMED | UNLISTED | MEDIATION_BODIES
    covid = ExceptionPeriod(COVID, D(2020, 6, 5), D(2020, 6, 14))  # 10 days
    d = deadline("arrange_mediation_education_social_care", D(2020, 6, 1), exceptions=[covid],
                 settings=BODIES)
    assert (d.unadjusted, d.due) == (D(2020, 7, 1), D(2020, 7, 11))
    assert d.grade is Grade.UNCONFIRMED
    # The reg 42(2) agreement clocks: amend within 5 weeks of 1 Jun is 6 Jul -> 16 Jul; the reg
    # 42(3) two weeks (15 Jun) -> 25 Jun.
    c = Circumstances(order_kind=OrderKind.AMEND_PLAN, la_party_to_agreement=True,
                      exceptions=[covid])
    got = {d.clock_id: d.due for d in compute_deadlines({"mediation_agreement": D(2020, 6, 1)},
                                                        c, BODIES)}
    assert got == {"order_amend_plan": D(2020, 7, 16),
                   "agreement_non_appealable_action": D(2020, 6, 25)}
    default = {d.clock_id: d.due for d in compute_deadlines({"mediation_agreement": D(2020, 6, 1)},
                                                            c)}
    # By default the agreement's clocks keep their limits even though reg 44 itself may use it.
    assert default == {"order_amend_plan": D(2020, 7, 6),
                       "agreement_non_appealable_action": D(2020, 6, 15)}
    # The parent's reg 33 contact is not a body's duty.
    contact = deadline("mediation_adviser_contact", D(2020, 5, 31), exceptions=[covid],
                       settings=BODIES)
    assert contact.due == D(2020, 7, 31) and not contact.exceptions


def test_si2020_471_coronavirus_exception_mediation_setting_all_covers_reg_33() -> None:
    assert _covid_clocks(ALL) == NAMED | UNLISTED | MEDIATION_BODIES | {"mediation_adviser_contact"}
    # Notice 31 Mar 2020: 2 months after is 31 May; coronavirus 1-10 May (10 days): 10 Jun.
    covid = ExceptionPeriod(COVID, D(2020, 5, 1), D(2020, 5, 10))
    d = deadline("mediation_adviser_contact", D(2020, 3, 31), exceptions=[covid], settings=ALL)
    assert (d.unadjusted, d.due) == (D(2020, 5, 31), D(2020, 6, 10))
    # Notice 31 Dec 2019: 2 months after is 29 Feb 2020 (leap year), wholly before the window.
    with pytest.raises(InvalidInputError) as err:
        deadline("mediation_adviser_contact", D(2019, 12, 31), exceptions=[covid], settings=ALL)
    assert (err.value.field, err.value.rule_id) == ("exceptions.kind", RULE)
    assert "2019-12-31 to 2020-02-29" in err.value.message


def test_si2020_471_coronavirus_exception_certificate_working_days_in_the_window() -> None:
    # Told on Fri 22 May 2020: 3 working days skip the 25 May bank holiday -> Thu 28 May.
    # Coronavirus 26-27 May: 30 May (calendar days, as every exception extends).
    covid = ExceptionPeriod(COVID, D(2020, 5, 26), D(2020, 5, 27))
    d = deadline("certificate_after_declining", D(2020, 5, 22), exceptions=[covid],
                 settings=BODIES)
    assert (d.unadjusted, d.due) == (D(2020, 5, 28), D(2020, 5, 30))
    plain = deadlines_for("certificate_after_declining", D(2020, 5, 22),
                          circumstances=Circumstances(exceptions=[covid]))
    assert plain[0].due == D(2020, 5, 28)


# Inputs ------------------------------------------------------------------------------------


def test_si2020_471_coronavirus_exception_evidence_is_an_id_not_free_text() -> None:
    with pytest.raises(InvalidInputError) as err:
        ExceptionPeriod(COVID, D(2020, 5, 1), evidence="Staff off sick, see email")
    assert err.value.field == "exceptions.evidence"


def test_si2020_471_coronavirus_exception_cli_kind_and_setting() -> None:
    doc = {"events": {"la_told_wish_to_mediate": "2020-06-01"},
           "mediation_issues": "education_social_care",
           "exceptions": [{"kind": "coronavirus", "start": "2020-06-05", "end": "2020-06-14"}],
           "settings": {"coronavirus_mediation_clocks": "bodies"}}
    result = CliRunner().invoke(main, ["deadlines", "--input", "-", "--format", "json"],
                                input=json.dumps(doc))
    assert result.exit_code == 0, result.output
    rows = {r["clock_id"]: r for r in json.loads(result.stdout)}
    assert rows["arrange_mediation_education_social_care"]["due"] == "2020-07-11"
    assert rows["arrange_mediation_education_social_care"]["grade"] == "UNCONFIRMED"
