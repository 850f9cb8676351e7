"""SEND Regs 2014 reg 44(3): the LA need not meet the reg 44(2) Tribunal-order limits where it is
impractical because of listed circumstances (the child, parent or young person absent from the
LA's area for a continuous period of 2 weeks or more [S]; the other limbs UNCONFIRMED, behind
setting ``reg_44_3_unconfirmed_limbs``), also for mediation agreements through reg 42(2); and
orders with several limbs (continue to maintain the plan and amend it: both clocks run).

Dates are worked by hand from the words: "within 5 weeks" of the order is the same weekday five
weeks on; the clock stands still for each day of a recorded exception (setting
``lawful_exception_effect``, default ``extend``)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from sen_disagreement.cli import main
from sen_disagreement.clocks import (
    CLOCKS,
    REG_44_3_ABSENCE,
    Circumstances,
    ExceptionKind,
    ExceptionPeriod,
    OrderKind,
    Status,
    clock_status,
    compute_deadlines,
    deadline,
    deadlines_for,
    order_clock_ids,
)
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.parties import PartyKind
from sen_disagreement.provenance import Grade
from sen_disagreement.settings import ExceptionEffect, Settings
from sen_disagreement.workflow.mediation.agreement import (
    REG_42_2_EXCEPTIONS,
    ActionKind,
    AgreedAction,
    order_clock_ids_for,
)

D = dt.date
ABSENCE = ExceptionKind.ABSENCE_FROM_AREA
ORDER = {"tribunal_order": D(2025, 3, 3)}  # a Monday
ORDER_CLOCKS = [c for c in CLOCKS.values() if c.id.startswith("order_")]
UNCONFIRMED_ON = Settings(reg_44_3_unconfirmed_limbs=True)


def _due(events: dict[str, dt.date], c: Circumstances, s: Settings | None = None) -> dict[
    str, dt.date | None
]:
    return {d.clock_id: d.due for d in compute_deadlines(events, c, s or Settings())}


# reg44_3.absence_from_area ----------------------------------------------------------------------


def test_reg44_3_absence_from_area_two_weeks_extends_make_plan_order_clocks() -> None:
    # Order 3 Mar 2025: draft within 5 weeks (7 Apr), final within 11 weeks (19 May). Away from
    # the area 10-23 Mar inclusive: 14 days, a continuous period of 2 weeks, so both clocks
    # stand still 14 days: 21 Apr and 2 Jun.
    away = ExceptionPeriod(ABSENCE, D(2025, 3, 10), D(2025, 3, 23), evidence="travel-letter")
    got = compute_deadlines(ORDER, Circumstances(order_kind=OrderKind.MAKE_PLAN, exceptions=[away]))
    assert [(d.clock_id, d.unadjusted, d.due) for d in got] == [
        ("order_make_plan_draft", D(2025, 4, 7), D(2025, 4, 21)),
        ("order_make_plan_final", D(2025, 5, 19), D(2025, 6, 2)),
    ]
    draft = got[0]
    assert [a.exception.rule_id for a in draft.exceptions] == [REG_44_3_ABSENCE.rule_id]
    assert draft.exceptions[0].period.evidence == "travel-letter"
    assert draft.grade is Grade.SECONDARY
    assert "SEND Regs 2014 reg 44(3)" in draft.cite()
    assert draft.exception_available(ABSENCE)


def test_reg44_3_absence_from_area_status_paused_while_away_then_running() -> None:
    away = ExceptionPeriod(ABSENCE, D(2025, 3, 10), D(2025, 3, 23))
    c = Circumstances(order_kind=OrderKind.AMEND_PLACEMENT, exceptions=[away])
    during = clock_status("order_amend_placement", ORDER, as_of=D(2025, 3, 15), circumstances=c)
    assert during.status is Status.PAUSED
    assert [a.kind for a in during.exceptions] == [ABSENCE]
    # 2 weeks from 3 Mar is 17 Mar; 14 days still: 31 Mar.
    after = clock_status("order_amend_placement", ORDER, as_of=D(2025, 3, 24), circumstances=c)
    assert after.deadline is not None and after.deadline.due == D(2025, 3, 31)
    assert (after.status, after.working_days_left) == (Status.DUE_SOON, 5)  # 25-28, 31 Mar
    before = clock_status("order_amend_placement", ORDER, as_of=D(2025, 3, 7), circumstances=c)
    assert before.status is Status.RUNNING
    late = clock_status("order_amend_placement", ORDER, as_of=D(2025, 4, 1), circumstances=c)
    assert late.status is Status.MISSED


def test_reg44_3_absence_from_area_shorter_than_two_weeks_is_refused() -> None:
    away = ExceptionPeriod(ABSENCE, D(2025, 3, 10), D(2025, 3, 22))  # 13 days
    with pytest.raises(InvalidInputError) as err:
        compute_deadlines(ORDER, Circumstances(order_kind=OrderKind.ASSESS, exceptions=[away]))
    assert err.value.field == "exceptions.end"
    assert err.value.rule_id == "reg44_3.absence_from_area"
    assert err.value.citation is not None
    assert err.value.citation.startswith("SEND Regs 2014 reg 44(3)")
    assert "14 days" in err.value.message


def test_reg44_3_absence_from_area_counts_29_february_in_a_leap_year() -> None:
    # 20 Feb-4 Mar is 14 days in 2024 (29 Feb counts) but 13 days in 2025.
    draft_2024 = deadline(
        "order_make_plan_draft",
        D(2024, 2, 1),
        exceptions=[ExceptionPeriod(ABSENCE, D(2024, 2, 20), D(2024, 3, 4))],
    )
    assert draft_2024.unadjusted == D(2024, 3, 7)  # 1 Feb 2024 + 5 weeks
    assert draft_2024.due == D(2024, 3, 21)
    with pytest.raises(InvalidInputError) as err:
        deadline(
            "order_make_plan_draft",
            D(2025, 2, 1),
            exceptions=[ExceptionPeriod(ABSENCE, D(2025, 2, 20), D(2025, 3, 4))],
        )
    assert err.value.rule_id == "reg44_3.absence_from_area"
    draft_2025 = deadline(
        "order_make_plan_draft",
        D(2025, 2, 1),
        exceptions=[ExceptionPeriod(ABSENCE, D(2025, 2, 20), D(2025, 3, 5))],
    )
    assert (draft_2025.unadjusted, draft_2025.due) == (D(2025, 3, 8), D(2025, 3, 22))


def test_reg44_3_absence_from_area_over_the_year_end() -> None:
    # Order 31 Dec 2024: amend within 5 weeks is 4 Feb 2025; away 23 Dec-5 Jan, of which
    # 1-5 Jan fall after the order day: the clock stands still 5 days, to 9 Feb.
    d = deadline(
        "order_amend_plan",
        D(2024, 12, 31),
        exceptions=[ExceptionPeriod(ABSENCE, D(2024, 12, 23), D(2025, 1, 5))],
    )
    assert (d.unadjusted, d.due) == (D(2025, 2, 4), D(2025, 2, 9))


def test_reg44_3_absence_from_area_open_ended_pauses_the_order_clock() -> None:
    away = ExceptionPeriod(ABSENCE, D(2025, 3, 10))
    c = Circumstances(order_kind=OrderKind.ASSESS, exceptions=[away])
    state = clock_status("order_assess_final_plan", ORDER, as_of=D(2025, 4, 1), circumstances=c)
    assert state.status is Status.PAUSED
    assert state.deadline is not None and state.deadline.due is None


def test_reg44_3_absence_from_area_setting_disapply_lifts_the_limit() -> None:
    away = ExceptionPeriod(ABSENCE, D(2025, 3, 10), D(2025, 3, 23))
    s = Settings(lawful_exception_effect=ExceptionEffect.DISAPPLY)
    d = deadline("order_make_plan_final", D(2025, 3, 3), exceptions=[away], settings=s)
    assert d.due is None and d.disapplied


def test_reg44_3_absence_from_area_on_every_order_clock() -> None:
    for clock in ORDER_CLOCKS:
        kinds = {e.kind: e for e in clock.exceptions}
        assert kinds[ABSENCE].min_days == 14, clock.id
        assert kinds[ABSENCE].rule_id == "reg44_3.absence_from_area"
        assert "reg_44_3_unconfirmed_limbs" in clock.settings


def test_reg44_3_absence_from_area_applies_to_reg_42_2_agreement_clocks() -> None:
    # Agreement 1 Apr 2025 to assess (reg 42(2): as if it were an order). Away 7-20 Apr (14
    # days): notify 15 -> 29 Apr, no-plan decision 10 Jun -> 24 Jun, final plan 8 Jul -> 22 Jul.
    # The reg 42(3) 2-week duty has no such exception: 15 Apr stands.
    away = ExceptionPeriod(ABSENCE, D(2025, 4, 7), D(2025, 4, 20))
    events = {"mediation_agreement": D(2025, 4, 1)}
    c = Circumstances(order_kind=OrderKind.ASSESS, la_party_to_agreement=True, exceptions=[away])
    got = compute_deadlines(events, c)
    assert [(d.clock_id, d.via, d.due) for d in got] == [
        ("order_assess_notify", "agreement_appealable_matters", D(2025, 4, 29)),
        ("order_assess_no_plan", "agreement_appealable_matters", D(2025, 6, 24)),
        ("order_assess_final_plan", "agreement_appealable_matters", D(2025, 7, 22)),
        ("agreement_non_appealable_action", None, D(2025, 4, 15)),
    ]
    assert "SEND Regs 2014 reg 42(2) applying reg 44(3)" in got[0].cite()
    assert "SEND Regs reg 42(2)" in got[0].cite()
    assert ABSENCE in {e.kind for e in REG_42_2_EXCEPTIONS}


def test_reg44_3_absence_from_area_scoped_to_the_agreement_clock() -> None:
    away = ExceptionPeriod(ABSENCE, D(2025, 4, 7), D(2025, 4, 20),
                           clock_ids=("agreement_appealable_matters",))
    got = deadlines_for(
        "agreement_appealable_matters",
        D(2025, 4, 1),
        circumstances=Circumstances(order_kind=OrderKind.AMEND_PLAN, exceptions=[away]),
    )
    assert [(d.clock_id, d.due) for d in got] == [("order_amend_plan", D(2025, 5, 20))]
    other = ExceptionPeriod(ABSENCE, D(2025, 4, 7), D(2025, 4, 20), clock_ids=("final_plan",))
    got = deadlines_for(
        "agreement_appealable_matters",
        D(2025, 4, 1),
        circumstances=Circumstances(order_kind=OrderKind.AMEND_PLAN, exceptions=[other]),
    )
    assert [(d.clock_id, d.due) for d in got] == [("order_amend_plan", D(2025, 5, 6))]


def test_reg44_3_absence_from_area_written_timescale_still_disapplies_the_agreement() -> None:
    periods = [
        ExceptionPeriod(ExceptionKind.WRITTEN_ALTERNATIVE_TIMESCALE, D(2025, 4, 1)),
        ExceptionPeriod(ABSENCE, D(2025, 4, 7), D(2025, 4, 20)),
    ]
    got = deadlines_for(
        "agreement_appealable_matters",
        D(2025, 4, 1),
        circumstances=Circumstances(order_kind=OrderKind.AMEND_PLAN, exceptions=periods),
    )
    assert [(d.clock_id, d.disapplied) for d in got] == [("agreement_appealable_matters", True)]
    assert [a.kind for a in got[0].exceptions] == [ExceptionKind.WRITTEN_ALTERNATIVE_TIMESCALE]


# The unconfirmed limbs ---------------------------------------------------------------------


def test_reg44_3_exceptional_personal_circumstances_only_with_the_setting() -> None:
    personal = ExceptionPeriod(
        ExceptionKind.EXCEPTIONAL_PERSONAL_CIRCUMSTANCES, D(2025, 3, 10), D(2025, 3, 16)
    )
    c = Circumstances(order_kind=OrderKind.AMEND_PLAN, exceptions=[personal])
    default = compute_deadlines(ORDER, c)[0]
    assert default.due == D(2025, 4, 7)
    assert not default.exceptions
    assert not default.exception_available(ExceptionKind.EXCEPTIONAL_PERSONAL_CIRCUMSTANCES)
    on = compute_deadlines(ORDER, c, UNCONFIRMED_ON)[0]
    assert on.due == D(2025, 4, 14)  # 7 days still
    assert on.grade is Grade.UNCONFIRMED
    assert [a.exception.rule_id for a in on.exceptions] == [
        "reg44_3.exceptional_personal_circumstances"
    ]


def test_reg44_3_institution_closure_only_with_the_setting() -> None:
    closure = ExceptionPeriod(ExceptionKind.INSTITUTION_CLOSURE, D(2025, 3, 24), D(2025, 4, 6))
    c = Circumstances(order_kind=OrderKind.ASSESS, exceptions=[closure])
    assert _due(ORDER, c)["order_assess_notify"] == D(2025, 3, 17)
    assert _due(ORDER, c)["order_assess_final_plan"] == D(2025, 6, 9)
    on = _due(ORDER, c, UNCONFIRMED_ON)
    # The closure starts after the 2-week notice was due: only the later clocks stand still.
    assert on["order_assess_notify"] == D(2025, 3, 17)
    assert on["order_assess_final_plan"] == D(2025, 6, 23)
    clock = CLOCKS["order_assess_final_plan"]
    limb = next(e for e in clock.exceptions if e.rule_id == "reg44_3.institution_closure")
    assert limb.grade is Grade.UNCONFIRMED and limb.setting == "reg_44_3_unconfirmed_limbs"


def test_reg44_3_early_years_closure_only_with_the_setting() -> None:
    closure = ExceptionPeriod(ExceptionKind.EARLY_YEARS_CLOSURE, D(2025, 3, 10), D(2025, 3, 23))
    c = Circumstances(order_kind=OrderKind.MAKE_PLAN, exceptions=[closure])
    assert _due(ORDER, c) == {
        "order_make_plan_draft": D(2025, 4, 7),
        "order_make_plan_final": D(2025, 5, 19),
    }
    assert _due(ORDER, c, UNCONFIRMED_ON) == {
        "order_make_plan_draft": D(2025, 4, 21),
        "order_make_plan_final": D(2025, 6, 2),
    }
    via = deadlines_for(
        "agreement_appealable_matters", D(2025, 3, 3), circumstances=c, settings=UNCONFIRMED_ON
    )
    assert [d.due for d in via] == [D(2025, 4, 21), D(2025, 6, 2)]
    assert "reg 42(2) applying reg 44(3)" in via[0].cite()


# reg44_2.order_limbs ---------------------------------------------------------------------


def test_reg44_2_order_limbs_continue_and_amend_both_clocks_run() -> None:
    c = Circumstances(order_kinds=(OrderKind.CONTINUE_TO_MAINTAIN, OrderKind.AMEND_PLAN))
    assert _due(ORDER, c) == {
        "order_amend_plan": D(2025, 4, 7),  # within 5 weeks
        "order_continue_to_maintain": D(2025, 3, 3),  # at once
    }
    both = Circumstances(order_kind=OrderKind.CONTINUE_TO_MAINTAIN,
                         order_kinds=[OrderKind.AMEND_PLAN])
    assert _due(ORDER, both) == _due(ORDER, c)
    assert both.orders == (OrderKind.CONTINUE_TO_MAINTAIN, OrderKind.AMEND_PLAN)


def test_reg44_2_order_limbs_continue_and_amend_through_a_mediation_agreement() -> None:
    # Agreement 31 Jan 2025: amend within 5 weeks is 7 Mar; continue at once.
    c = Circumstances(
        order_kinds=(OrderKind.AMEND_PLAN, OrderKind.CONTINUE_TO_MAINTAIN),
        la_party_to_agreement=True,
    )
    got = [
        (d.clock_id, d.due, d.via)
        for d in compute_deadlines({"mediation_agreement": D(2025, 1, 31)}, c)
    ]
    assert got == [
        ("order_amend_plan", D(2025, 3, 7), "agreement_appealable_matters"),
        ("order_continue_to_maintain", D(2025, 1, 31), "agreement_appealable_matters"),
        ("agreement_non_appealable_action", D(2025, 2, 14), None),
    ]


def test_reg44_2_order_limbs_amend_with_absence_moves_only_the_amend_clock() -> None:
    away = ExceptionPeriod(ABSENCE, D(2025, 3, 10), D(2025, 3, 23))
    c = Circumstances(
        order_kinds=(OrderKind.CONTINUE_TO_MAINTAIN, OrderKind.AMEND_PLAN), exceptions=[away]
    )
    assert _due(ORDER, c) == {
        "order_amend_plan": D(2025, 4, 21),
        "order_continue_to_maintain": D(2025, 3, 3),  # immediate: no day left to stand still
    }


def test_reg44_2_order_limbs_clock_ids_for_an_agreed_action() -> None:
    limbs = (OrderKind.CONTINUE_TO_MAINTAIN, OrderKind.AMEND_PLAN)
    assert order_clock_ids(limbs) == ("order_amend_plan", "order_continue_to_maintain")
    assert order_clock_ids_for(limbs) == order_clock_ids(limbs)
    assert order_clock_ids(OrderKind.ASSESS) == (
        "order_assess_notify",
        "order_assess_no_plan",
        "order_assess_final_plan",
    )
    action = AgreedAction(
        action_id="amend-f",
        kind=ActionKind.APPEALABLE,
        by=PartyKind.LOCAL_AUTHORITY,
        order_clock_ids=order_clock_ids_for(limbs),
    )
    assert action.order_clock_ids == ("order_amend_plan", "order_continue_to_maintain")
    with pytest.raises(InvalidInputError) as err:
        order_clock_ids(())
    assert (err.value.field, err.value.rule_id) == ("order_kinds", "reg44_2.order_limbs")


def test_reg44_2_order_limbs_cease_upheld_has_no_other_limb() -> None:
    with pytest.raises(InvalidInputError) as err:
        Circumstances(order_kind=OrderKind.CEASE_UPHELD, order_kinds=(OrderKind.AMEND_PLAN,))
    assert (err.value.field, err.value.rule_id) == ("order_kinds", "reg44_2.order_limbs")
    assert Circumstances(order_kinds=(OrderKind.CEASE_UPHELD, OrderKind.CEASE_UPHELD)).orders == (
        OrderKind.CEASE_UPHELD,
    )


def test_reg44_2_order_limbs_bad_values_are_typed_errors() -> None:
    with pytest.raises(InvalidInputError) as err:
        Circumstances(order_kinds=("amend_plan",))  # type: ignore[arg-type]
    assert (err.value.field, err.value.rule_id) == ("order_kinds", "reg44_2.order_limbs")
    with pytest.raises(InvalidInputError) as err:
        Circumstances(order_kind="amend_plan")  # type: ignore[arg-type]
    assert err.value.field == "order_kind"


def test_reg44_2_order_limbs_single_limb_keeps_the_old_spelling() -> None:
    old = Circumstances(order_kind=OrderKind.AMEND_PLAN)
    assert old.order_kind is OrderKind.AMEND_PLAN and old.orders == (OrderKind.AMEND_PLAN,)
    assert _due(ORDER, old) == {"order_amend_plan": D(2025, 4, 7)}
    unknown = {d.clock_id for d in compute_deadlines(ORDER, Circumstances())}
    assert unknown == {c.id for c in ORDER_CLOCKS}


def test_reg44_2_order_limbs_cli_json_list() -> None:
    doc = {"events": {"tribunal_order": "2025-03-03"},
           "order_kind": ["continue_to_maintain", "amend_plan"],
           "exceptions": [{"kind": "absence_from_area", "start": "2025-03-10",
                           "end": "2025-03-23", "evidence": "travel-letter"}]}
    result = CliRunner().invoke(main, ["deadlines", "--input", "-", "--format", "json"],
                                input=json.dumps(doc))
    assert result.exit_code == 0, result.output
    rows = {r["clock_id"]: r["due"] for r in json.loads(result.stdout)}
    assert rows == {"order_amend_plan": "2025-04-21", "order_continue_to_maintain": "2025-03-03"}


# Each reg 44(2) clock, with the reg 44(3) exceptions it carries -------------------------------


def _one(clock_id: str, order: dt.date, *periods: ExceptionPeriod) -> dt.date | None:
    d = deadline(clock_id, order, exceptions=periods)
    assert d.exception_available(ABSENCE), clock_id
    return d.due


def test_order_assess_notify_two_weeks_from_the_order() -> None:
    assert _one("order_assess_notify", D(2025, 3, 3)) == D(2025, 3, 17)
    assert _one("order_assess_notify", D(2025, 1, 31)) == D(2025, 2, 14)
    assert CLOCKS["order_assess_notify"].grade is Grade.SECONDARY


def test_order_assess_no_plan_ten_weeks_from_the_order() -> None:
    assert _one("order_assess_no_plan", D(2025, 3, 3)) == D(2025, 5, 12)
    away = ExceptionPeriod(ABSENCE, D(2025, 4, 1), D(2025, 4, 30))  # 30 days
    assert _one("order_assess_no_plan", D(2025, 3, 3), away) == D(2025, 6, 11)


def test_order_assess_final_plan_fourteen_weeks_in_a_leap_year() -> None:
    assert _one("order_assess_final_plan", D(2024, 2, 1)) == D(2024, 5, 9)
    assert _one("order_assess_final_plan", D(2025, 3, 3)) == D(2025, 6, 9)


def test_order_make_plan_draft_five_weeks_over_the_year_end() -> None:
    assert _one("order_make_plan_draft", D(2024, 12, 31)) == D(2025, 2, 4)


def test_order_make_plan_final_eleven_weeks_from_the_order() -> None:
    assert _one("order_make_plan_final", D(2025, 3, 3)) == D(2025, 5, 19)


def test_order_cease_upheld_at_once_unless_an_absence_is_in_force() -> None:
    assert _one("order_cease_upheld", D(2025, 3, 3)) == D(2025, 3, 3)
    # Away on the order day, 3-20 Mar: the duty stands still the 17 days after it, to 20 Mar.
    away = ExceptionPeriod(ABSENCE, D(2025, 3, 3), D(2025, 3, 20))
    assert _one("order_cease_upheld", D(2025, 3, 3), away) == D(2025, 3, 20)
    # An absence that starts the day after finds the duty already due: nothing moves.
    after = ExceptionPeriod(ABSENCE, D(2025, 3, 4), D(2025, 3, 20))
    assert _one("order_cease_upheld", D(2025, 3, 3), after) == D(2025, 3, 3)


def test_order_reconsider_two_weeks_graded_unconfirmed() -> None:
    assert _one("order_reconsider", D(2025, 3, 3)) == D(2025, 3, 17)
    assert CLOCKS["order_reconsider"].grade is Grade.UNCONFIRMED


def test_order_amend_plan_five_weeks_with_a_two_week_absence() -> None:
    away = ExceptionPeriod(ABSENCE, D(2025, 3, 10), D(2025, 3, 23))
    assert _one("order_amend_plan", D(2025, 3, 3)) == D(2025, 4, 7)
    assert _one("order_amend_plan", D(2025, 3, 3), away) == D(2025, 4, 21)


def test_order_amend_placement_two_weeks_across_29_february() -> None:
    assert _one("order_amend_placement", D(2024, 2, 28)) == D(2024, 3, 13)


def test_order_continue_to_maintain_at_once() -> None:
    assert _one("order_continue_to_maintain", D(2025, 3, 3)) == D(2025, 3, 3)
    amend_only = _due(ORDER, Circumstances(order_kind=OrderKind.AMEND_PLAN))
    assert "order_continue_to_maintain" not in amend_only
