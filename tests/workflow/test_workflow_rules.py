"""Each rule of the two workflows, one test per rule, named after it."""

from __future__ import annotations

import datetime as dt
import enum

import pytest

from sen_disagreement import clocks
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.disclosure import Disclosure, ItemKind, RecordedItem
from sen_disagreement.ehc import Duty, PlanSection
from sen_disagreement.errors import (
    ConsentRequiredError,
    IndependenceError,
    InvalidInputError,
    InvalidTransitionError,
    RuleViolationError,
)
from sen_disagreement.parties import Employer, Party, PartyKind
from sen_disagreement.settings import MeetingDeadline, Settings
from sen_disagreement.store.sqlite import SQLiteStore
from sen_disagreement.workflow import CaseParty, DeadlineStatus
from sen_disagreement.workflow.certificates import CertificateKind
from sen_disagreement.workflow.disagreement_resolution import (
    DR_MACHINE,
    Closure,
    DisagreementResolutionCase,
    DrState,
)
from sen_disagreement.workflow.issues import AgreementLevel, Issue, IssueOutcome
from sen_disagreement.workflow.machine import MachineDefinitionError, StateMachine, Transition
from sen_disagreement.workflow.mediation import (
    MEDIATION_MACHINE,
    ActionKind,
    AgreedAction,
    DecisionNotice,
    MediationCase,
    MediationState,
    Reg32Item,
)
from sen_disagreement.workflow.records import from_record, save, to_record

UTC = dt.UTC
DAY0 = dt.date(2025, 3, 3)  # a Monday


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), UTC)


def d(n: int) -> dt.date:
    return DAY0 + dt.timedelta(days=n)


PARENT = CaseParty("mum", Party(kind=PartyKind.PARENT, name="A Parent"))
LA = CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton Council"))
ICB = CaseParty("icb", Party(kind=PartyKind.INTEGRATED_CARE_BOARD, name="Cheshire and Merseyside"))
SCHOOL = CaseParty("school", Party(kind=PartyKind.SCHOOL, name="Seaside Primary"))
PROVIDER = Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER, name="Global Mediation")
ADVISER = Party(kind=PartyKind.MEDIATION_ADVISER, name="Global Mediation adviser")
MEDIATOR = Party(kind=PartyKind.MEDIATOR, name="A Mediator")


# --- the state-machine definition ----------------------------------------------------------------


class S(enum.Enum):
    A = "a"
    B = "b"
    C = "c"
    END = "end"


class E(enum.Enum):
    GO = "go"
    STOP = "stop"


def _machine(rows: list[Transition[S, E]], final: frozenset[S] = frozenset({S.END})) -> None:
    StateMachine(name="t", states=S, events=E, initial=S.A, final=final, transitions=rows,
                 rule_id="t", citation="t")


def test_machine_definition_unreachable_state_refused() -> None:
    with pytest.raises(MachineDefinitionError, match="unreachable from 'a': c"):
        _machine([Transition(S.A, E.GO, S.B), Transition(S.B, E.STOP, S.END)])


def test_machine_definition_state_that_cannot_finish_refused() -> None:
    with pytest.raises(MachineDefinitionError, match="never reach a final state: c"):
        _machine([Transition(S.A, E.GO, S.B), Transition(S.B, E.STOP, S.END),
                  Transition(S.A, E.STOP, S.C), Transition(S.C, E.GO, S.C)])


def test_machine_definition_nondeterministic_event_refused() -> None:
    with pytest.raises(MachineDefinitionError, match="appears twice"):
        _machine([Transition(S.A, E.GO, S.B), Transition(S.A, E.GO, S.C),
                  Transition(S.B, E.STOP, S.END), Transition(S.C, E.STOP, S.END)])


def test_machine_definition_final_state_with_exit_refused() -> None:
    with pytest.raises(MachineDefinitionError, match="outgoing"):
        _machine([Transition(S.A, E.GO, S.B), Transition(S.B, E.STOP, S.END),
                  Transition(S.A, E.STOP, S.C), Transition(S.C, E.STOP, S.END),
                  Transition(S.END, E.GO, S.A)])


def test_machine_definition_unused_event_refused() -> None:
    with pytest.raises(MachineDefinitionError, match="never used: stop"):
        _machine([Transition(S.A, E.GO, S.B), Transition(S.B, E.GO, S.C),
                  Transition(S.C, E.GO, S.END)])


def test_both_workflow_machines_are_sound_and_draw_as_mermaid() -> None:
    for m in (DR_MACHINE, MEDIATION_MACHINE):
        assert m.reachable() == frozenset(m.states)
        assert m.mermaid().startswith("stateDiagram-v2")


# --- disagreement resolution ---------------------------------------------------------------------


def dr_case(*parties: CaseParty) -> DisagreementResolutionCase:
    return DisagreementResolutionCase.refer(
        case_id="dr-1", council="sefton", parties=parties or (PARENT, LA, SCHOOL),
        at=at(d(0)), actor="officer1",
        issues=[Issue(issue_id="f1", section=PlanSection.F),
                Issue(issue_id="review", duty=Duty.KEEP_PROVISION_UNDER_REVIEW)],
    )


def dr_agreed(case: DisagreementResolutionCase) -> DisagreementResolutionCase:
    case = case.seek_agreement(at=at(d(1)), actor="officer1")
    for p in case.ledger.required_parties(case.party_map):
        case = case.agree(p, at=at(d(2)), actor="officer1")
    return case


def test_invalid_action_names_state_and_action_and_changes_nothing() -> None:
    case = dr_agreed(dr_case())
    before = case
    with pytest.raises(InvalidTransitionError) as err:
        case.record_outcome({"f1": IssueOutcome.AGREED, "review": IssueOutcome.AGREED},
                            at=at(d(3)), actor="prov")
    assert "'record_outcome'" in str(err.value) and "'all_agreed'" in str(err.value)
    assert err.value.rule_id == "workflow.disagreement_resolution"
    assert case == before and len(case.audit) == len(before.audit)


def test_s57_voluntary_every_party_agrees_before_the_process_moves_on() -> None:
    case = dr_case().seek_agreement(at=at(d(1)), actor="officer1")
    case = case.agree("mum", at=at(d(1)), actor="officer1")
    case = case.agree("la", at=at(d(1)), actor="officer1")
    assert case.state is DrState.SEEKING_AGREEMENT
    with pytest.raises(InvalidTransitionError):
        case.assign_provider("prov", PROVIDER, at=at(d(2)), actor="officer1")
    case = case.agree("school", at=at(d(2)), actor="officer1")
    assert case.state is DrState.ALL_AGREED


def test_s57_withdraw_any_time_closes_the_case_and_no_meeting_follows() -> None:
    case = dr_agreed(dr_case()).assign_provider("prov", PROVIDER, at=at(d(3)), actor="o")
    case = case.arrange_meeting(meeting_date=d(10), at=at(d(3)), actor="prov")
    case = case.withdraw("school", at=at(d(5)), actor="school-head")
    assert case.state is DrState.CLOSED and case.closure is Closure.WITHDRAWN
    with pytest.raises(InvalidTransitionError):
        case.hold_meeting(on=d(10), at=at(d(10)), actor="prov")


def test_s57_declining_no_effect_on_appeal() -> None:
    case = dr_case().seek_agreement(at=at(d(1)), actor="o").decline("la", at=at(d(2)), actor="o")
    assert case.state is DrState.CLOSED and case.closure is Closure.DECLINED
    assert case.appeal_rights_affected is False


def test_young_person_decides_parent_cannot_agree_for_a_capable_young_person() -> None:
    yp = CaseParty("yp", Party(kind=PartyKind.YOUNG_PERSON, date_of_birth=dt.date(2007, 1, 5)))
    case = dr_case(yp, PARENT, LA).seek_agreement(at=at(d(1)), actor="o")
    with pytest.raises(ConsentRequiredError) as err:
        case.agree("mum", at=at(d(1)), actor="o")
    assert err.value.rule_id == "young_person.decides"
    with pytest.raises(ConsentRequiredError):
        case.agree("yp", at=at(d(1)), actor="o", recorded_by="mum",
                   on_behalf_lacking_capacity=True)


def test_young_person_lacking_capacity_representative_recorded_as_such() -> None:
    yp = CaseParty("yp", Party(kind=PartyKind.YOUNG_PERSON, date_of_birth=dt.date(2007, 1, 5)))
    rep = CaseParty("mum", Party(kind=PartyKind.PARENT,
                                 acting_for_young_person_lacking_capacity=True))
    case = dr_case(yp, rep, LA).seek_agreement(at=at(d(1)), actor="o")
    case = case.agree("yp", at=at(d(1)), actor="o", recorded_by="mum",
                      on_behalf_lacking_capacity=True)
    entry = case.ledger.entries[-1]
    assert entry.party_id == "yp" and entry.recorded_by == "mum"
    assert entry.on_behalf_lacking_capacity


def test_s57_independence_provider_employed_by_the_la_refused() -> None:
    case = dr_agreed(dr_case())
    bad = Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER,
                employer=Employer(kind=PartyKind.LOCAL_AUTHORITY))
    with pytest.raises(IndependenceError):
        case.assign_provider("prov", bad, at=at(d(3)), actor="o")
    school_run = Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER,
                       employer=Employer(kind=PartyKind.SCHOOL, name="Seaside Primary"))
    with pytest.raises(IndependenceError, match="in dispute"):
        case.assign_provider("prov", school_run, at=at(d(3)), actor="o")
    ok = case.assign_provider("prov", PROVIDER, at=at(d(3)), actor="o")
    assert "s57.independence.local_authority" in ok.independence_rules


def test_s57_partial_agreement_narrows_what_an_appeal_can_focus_on() -> None:
    case = dr_agreed(dr_case()).assign_provider("prov", PROVIDER, at=at(d(3)), actor="o")
    case = case.arrange_meeting(meeting_date=d(10), at=at(d(3)), actor="prov")
    case = case.hold_meeting(on=d(10), at=at(d(10)), actor="prov")
    case = case.record_outcome(
        {"f1": IssueOutcome.PARTLY_AGREED, "review": IssueOutcome.AGREED},
        at=at(d(10), 15), actor="prov",
    )
    assert case.issues.level is AgreementLevel.PARTIAL
    focus = case.issues.appeal_focus()
    assert [(i.issue_id, limbs) for i, limbs in focus] == [
        ("f1", (AppealableDecision.PLAN_SPECIAL_EDUCATIONAL_PROVISION,))
    ]
    assert case.close(at=at(d(11)), actor="o").state is DrState.CLOSED


def test_issue_concerns_exactly_one_section_or_duty() -> None:
    with pytest.raises(InvalidInputError) as err:
        Issue(issue_id="x", section=PlanSection.B, duty=Duty.ASSESS)
    assert err.value.field == "section"
    assert Issue(issue_id="g", section=PlanSection.G).appealable_limbs == ()


def test_wp_meeting_record_only_after_the_meeting() -> None:
    case = dr_agreed(dr_case())
    offer = RecordedItem.meeting_record(item_id="o1", kind=ItemKind.OFFER,
                                        recorded_at=at(d(3)), recorded_by="la", text="offer")
    with pytest.raises(InvalidInputError) as err:
        case.record_item(offer, at=at(d(3)), actor="prov")
    assert err.value.field == "item.in_meeting"


def test_bad_input_typed_error_names_the_field_and_nothing_is_written() -> None:
    case = dr_case()
    with pytest.raises(InvalidInputError) as err:
        case.seek_agreement(at=dt.datetime(2025, 3, 4, 9), actor="o")  # naive time
    assert err.value.field == "at"
    with pytest.raises(InvalidInputError) as err2:
        case.seek_agreement(at=at(d(1)), actor="has spaces")
    assert err2.value.field == "actor"
    assert len(case.audit) == 1


# --- mediation -----------------------------------------------------------------------------------


NOTICE = DecisionNotice(
    sent_on=DAY0, decisions=[AppealableDecision.PLAN_SPECIAL_EDUCATIONAL_PROVISION],
    contents=set(Reg32Item),
)


def med_case(*parties: CaseParty, settings: Settings | None = None) -> MediationCase:
    return MediationCase.notify_decision(
        case_id="med-1", council="sefton", parties=parties or (PARENT, LA), notice=NOTICE,
        at=at(d(0)), actor="officer1", settings=settings or Settings(),
    )


def med_wanted(case: MediationCase, *sections: PlanSection) -> MediationCase:
    case = case.contact_adviser("adv", ADVISER, on=d(5), at=at(d(5)), actor="adv")
    case = case.give_information(on=d(5), at=at(d(5), 11), actor="adv")
    case = case.want_mediation("mum", told_la_on=d(7), at=at(d(7)), actor="o")
    for i, section in enumerate(sections or (PlanSection.F,)):
        case = case.record_issue(Issue(issue_id=f"i{i}", section=section), at=at(d(7)), actor="o")
    return case.confirm_issues(at=at(d(7)), actor="o")


def med_held(case: MediationCase) -> MediationCase:
    case = med_wanted(case).choose_route(at=at(d(7)), actor="o")
    case = case.arrange_meeting("mediator", MEDIATOR, meeting_date=d(20), at=at(d(8)), actor="o")
    case = case.hold_meeting(on=d(20), at=at(d(20), 16), actor="mediator")
    return case.issue_certificate(on=d(21), at=at(d(21)), actor="adv")


def test_reg32_notice_contents_must_carry_every_listed_item() -> None:
    with pytest.raises(InvalidInputError) as err:
        DecisionNotice(sent_on=DAY0, decisions=[AppealableDecision.NOT_TO_ASSESS],
                       contents={Reg32Item.RIGHT_TO_MEDIATION, Reg32Item.TIMESCALES})
    assert err.value.field == "notice.contents" and err.value.rule_id == "reg32.notice_contents"
    assert "reg 32(f)" in str(err.value)


def test_reg33_adviser_contact_within_two_months_or_the_case_lapses() -> None:
    case = med_case()
    clock = case.deadline("mediation_adviser_contact")
    assert clock is not None and clock.due == clocks.due_date("mediation_adviser_contact", DAY0)
    assert case.tick(clock.due, at=at(clock.due)).state is MediationState.DECISION_NOTIFIED
    day_after = clock.due + dt.timedelta(days=1)
    lapsed = case.tick(day_after, at=at(day_after))
    assert lapsed.state is MediationState.LAPSED
    assert lapsed.deadline("mediation_adviser_contact").status is DeadlineStatus.MISSED  # type: ignore[union-attr]


def test_s56_adviser_employed_by_the_la_refused() -> None:
    bad = Party(kind=PartyKind.MEDIATION_ADVISER, employer=Employer(kind=PartyKind.LOCAL_AUTHORITY))
    with pytest.raises(IndependenceError):
        med_case().contact_adviser("adv", bad, on=d(1), at=at(d(1)), actor="adv")


def test_reg34_certificate_after_declining_three_working_days_reg34_1() -> None:
    case = med_case().contact_adviser("adv", ADVISER, on=d(4), at=at(d(4)), actor="adv")
    case = case.give_information(on=d(4), at=at(d(4), 11), actor="adv")
    case = case.decline_mediation("mum", on=d(4), at=at(d(4), 12), actor="adv")  # a Friday
    clock = case.deadline("certificate_after_declining")
    assert clock is not None and clock.due == dt.date(2025, 3, 12)  # Mon-Wed after
    case = case.issue_certificate(on=d(8), at=at(d(8)), actor="adv")
    cert = case.certificates[0]
    assert cert.kind is CertificateKind.DECLINED and cert.in_time
    assert cert.appeal_deadline == clocks.appeal_deadline(DAY0, d(8)).due


def test_icb_notification_of_health_issues_three_working_days() -> None:
    case = med_wanted(med_case(PARENT, LA, ICB), PlanSection.G, PlanSection.F)
    clock = case.deadline("icb_notification_of_health_issues")
    assert clock is not None
    assert clock.due == clocks.due_date("icb_notification_of_health_issues", d(7))
    case = case.notify_commissioning_body("icb", on=d(8), at=at(d(8)), actor="o")
    assert case.deadline("icb_notification_of_health_issues").status is DeadlineStatus.MET  # type: ignore[union-attr]
    case = case.choose_route(at=at(d(8)), actor="o")
    assert case.arrange_clock is not None
    assert case.arrange_clock.clock_id == "arrange_mediation_mixed"


def test_mediation_route_health_only_clock_runs_from_notifying_the_body() -> None:
    case = med_wanted(med_case(PARENT, LA, ICB), PlanSection.G)
    with pytest.raises(InvalidInputError):
        case.choose_route(at=at(d(8)), actor="o")
    case = case.notify_commissioning_body("icb", on=d(9), at=at(d(9)), actor="o")
    case = case.choose_route(at=at(d(9)), actor="o")
    clock = case.arrange_clock
    assert clock is not None and clock.clock_id == "arrange_mediation_health_only"
    assert clock.started == d(9)


def test_mediation_not_arranged_in_time_detected_and_deemed_certificate_due() -> None:
    case = med_wanted(med_case()).choose_route(at=at(d(7)), actor="o")
    clock = case.arrange_clock
    assert clock is not None and clock.due == clocks.due_date(clock.clock_id, d(7))
    on_due = case.tick(clock.due, at=at(clock.due))
    assert on_due.state is MediationState.ROUTE_CHOSEN
    told = clock.due + dt.timedelta(days=1)
    case = case.tick(told, at=at(told))
    assert case.state is MediationState.NOT_ARRANGED
    assert case.audit.entries[-1].action == "mediation.not_arranged_in_time"
    assert case.audit.entries[-1].actor == "system"
    deemed = case.deadline("deemed_certificate")
    assert deemed is not None and deemed.due == clocks.due_date("deemed_certificate", told)
    case = case.issue_certificate(on=deemed.due, at=at(deemed.due), actor="adv")
    assert case.certificates[0].kind is CertificateKind.NOT_ARRANGED_IN_TIME


def test_mediation_later_after_not_arranged_booked_meeting_still_held() -> None:
    # Setting 'held': a meeting booked for day 40 misses the 30 days, the adviser is told and
    # a certificate issued; the parent may still take part in the booked mediation.
    case = med_wanted(med_case()).choose_route(at=at(d(7)), actor="o")
    case = case.arrange_meeting("mediator", MEDIATOR, meeting_date=d(40), at=at(d(8)), actor="o")
    case = case.tick(d(38), at=at(d(38)))
    assert case.state is MediationState.NOT_ARRANGED
    case = case.issue_certificate(on=d(39), at=at(d(39)), actor="adv")
    assert case.certificates[-1].kind is CertificateKind.NOT_ARRANGED_IN_TIME
    case = case.hold_meeting(on=d(40), at=at(d(40), 16), actor="mediator")
    assert case.state is MediationState.HELD
    # The missed 30-day clock stays missed: later events never rewrite it.
    assert case.arrange_clock is not None
    assert case.arrange_clock.status is DeadlineStatus.MISSED
    case = case.issue_certificate(on=d(41), at=at(d(41)), actor="adv")
    kinds = [c.kind for c in case.certificates]
    assert kinds == [CertificateKind.NOT_ARRANGED_IN_TIME, CertificateKind.AFTER_MEDIATION]
    assert case.audit.entries[-1].action == "mediation.issue_certificate"


def test_mediation_later_after_not_arranged_a_new_date_can_be_fixed() -> None:
    case = med_wanted(med_case()).choose_route(at=at(d(7)), actor="o")
    case = case.tick(d(38), at=at(d(38)))
    with pytest.raises(InvalidInputError) as err:
        case.hold_meeting(on=d(39), at=at(d(39)), actor="mediator")  # nothing was ever arranged
    assert err.value.field == "arranged_on"
    case = case.arrange_meeting("mediator", MEDIATOR, meeting_date=d(50), at=at(d(39)), actor="o")
    assert case.state is MediationState.ARRANGED
    assert case.tick(d(45), at=at(d(45))).state is MediationState.ARRANGED  # no second trigger


def test_mediation_later_not_after_a_declined_or_after_mediation_certificate() -> None:
    held = med_held(med_case())
    with pytest.raises(InvalidTransitionError) as err:
        held.arrange_meeting("mediator", MEDIATOR, meeting_date=d(30), at=at(d(22)), actor="o")
    assert err.value.rule_id == "mediation.later_after_not_arranged"
    assert "certificate_issued" in str(err.value)


def test_mediation_date_notice_five_working_days_unless_agreed() -> None:
    case = med_wanted(med_case()).choose_route(at=at(d(7)), actor="o")
    # Fixing on Tuesday 11 March a meeting for Friday 14 March: 3 working days' notice.
    with pytest.raises(InvalidInputError) as err:
        case.arrange_meeting("mediator", MEDIATOR, meeting_date=d(11), at=at(d(8)), actor="o")
    assert err.value.rule_id == "mediation.date_notice"
    assert err.value.field == "meeting_date"
    agreed = case.arrange_meeting("mediator", MEDIATOR, meeting_date=d(11), at=at(d(8)),
                                  actor="o", shorter_notice_agreed=True)
    assert agreed.audit.entries[-1].outcome == "shorter_notice_agreed"
    off = med_wanted(med_case(settings=Settings(mediation_date_notice=False)))
    off = off.choose_route(at=at(d(7)), actor="o")
    assert off.arrange_meeting("mediator", MEDIATOR, meeting_date=d(11), at=at(d(8)),
                               actor="o").state is MediationState.ARRANGED
    # Exactly 5 working days before the meeting is in time.
    last = clocks.due_date("mediation_date_notice", d(18))
    on_time = case.arrange_meeting("mediator", MEDIATOR, meeting_date=d(18), at=at(last), actor="o")
    assert on_time.state is MediationState.ARRANGED


def test_arrange_mediation_deadline_setting_held_vs_arranged() -> None:
    for rule, expect in ((MeetingDeadline.HELD, MediationState.NOT_ARRANGED),
                         (MeetingDeadline.ARRANGED, MediationState.ARRANGED)):
        case = med_wanted(med_case(settings=Settings(arrange_mediation_deadline=rule)))
        case = case.choose_route(at=at(d(7)), actor="o")
        case = case.arrange_meeting("mediator", MEDIATOR, meeting_date=d(60), at=at(d(8)),
                                    actor="o")
        assert case.tick(d(45), at=at(d(45))).state is expect


def test_mediation_withdraw_any_time_stops_the_process_and_a_certificate_is_due() -> None:
    case = med_wanted(med_case()).choose_route(at=at(d(7)), actor="o")
    case = case.withdraw("mum", on=d(9), at=at(d(9)), actor="adv")
    assert case.state is MediationState.DECLINED
    assert case.arrange_clock is not None
    assert case.arrange_clock.status is DeadlineStatus.STOPPED
    due = case.deadline("certificate_after_declining")
    assert due is not None and due.due == clocks.due_date("certificate_after_declining", d(9))
    with pytest.raises(InvalidTransitionError):
        case.hold_meeting(on=d(10), at=at(d(10)), actor="mediator")


def test_mediation_bodies_must_take_part_la_cannot_decline() -> None:
    case = med_case().contact_adviser("adv", ADVISER, on=d(5), at=at(d(5)), actor="adv")
    case = case.give_information(on=d(5), at=at(d(5), 11), actor="adv")
    with pytest.raises(ConsentRequiredError) as err:
        case.decline_mediation("la", on=d(6), at=at(d(6)), actor="o")
    assert err.value.rule_id == "mediation.bodies_must_take_part"


def test_reg39_certificate_after_mediation_three_working_days() -> None:
    case = med_held(med_case())
    cert = case.certificates[-1]
    assert cert.kind is CertificateKind.AFTER_MEDIATION and cert.in_time
    assert cert.clock_due == clocks.due_date("certificate_after_mediation", d(20))


def _agreement(case: MediationCase, actions: list[AgreedAction], **kw: object) -> MediationCase:
    doc = RecordedItem(item_id="agreement", kind=ItemKind.OUTCOME, disclosure=Disclosure.PARTIES,
                       recorded_at=at(d(21)), recorded_by="mediator", in_meeting=False,
                       text="written agreement")
    return case.record_agreement(doc, agreed_on=d(20), actions=actions, at=at(d(21), 12),
                                 actor="mediator", **kw)  # type: ignore[arg-type]


def test_reg_42_2_appealable_matters_on_the_reg_44_clocks() -> None:
    action = AgreedAction(action_id="assess", kind=ActionKind.APPEALABLE,
                          by=PartyKind.LOCAL_AUTHORITY,
                          order_clock_ids=("order_assess_notify", "order_assess_final_plan"))
    case = _agreement(med_held(med_case()), [action])
    notify = case.deadline("order_assess_notify.assess")
    final = case.deadline("order_assess_final_plan.assess")
    assert notify is not None and notify.due == clocks.due_date("order_assess_notify", d(20))
    assert final is not None and final.due == clocks.due_date("order_assess_final_plan", d(20))


def test_reg42_2_agreed_amendment_to_section_f_runs_on_the_reg_44_amend_clock() -> None:
    action = AgreedAction(action_id="amend-f", kind=ActionKind.APPEALABLE,
                          by=PartyKind.LOCAL_AUTHORITY, order_clock_ids=("order_amend_plan",))
    case = _agreement(med_held(med_case()), [action])
    duty = case.deadline("order_amend_plan.amend-f")
    assert duty is not None and duty.due == clocks.due_date("order_amend_plan", d(20))
    # 5 weeks [S] from HMCTS SEND18 guidance (the reg 44(2) sub-paragraph was not read).
    assert clocks.CLOCKS["order_amend_plan"].grade.value == "S"


def test_reg42_follow_up_non_appealable_action_two_weeks_reg_42_3() -> None:
    action = AgreedAction(action_id="meet", kind=ActionKind.NON_APPEALABLE,
                          by=PartyKind.LOCAL_AUTHORITY)
    case = _agreement(med_held(med_case()), [action])
    duty = case.deadline("agreement_non_appealable_action.meet")
    assert duty is not None and duty.due == d(34)
    with pytest.raises(RuleViolationError):
        case.close(at=at(d(22)), actor="o")
    met = case.duty_met("agreement_non_appealable_action.meet", on=d(30), at=at(d(30)), actor="o")
    assert met.deadline("agreement_non_appealable_action.meet").status is DeadlineStatus.MET  # type: ignore[union-attr]
    assert met.close(at=at(d(31)), actor="o").state is MediationState.CLOSED
    missed = case.tick(d(35), at=at(d(35)))
    assert missed.deadline("agreement_non_appealable_action.meet").status is DeadlineStatus.MISSED  # type: ignore[union-attr]
    assert missed.close(at=at(d(36)), actor="o").state is MediationState.CLOSED


def test_reg_42_4_commissioning_body_tells_the_la_within_one_week() -> None:
    case = med_wanted(med_case(PARENT, LA, ICB), PlanSection.G)
    case = case.notify_commissioning_body("icb", on=d(8), at=at(d(8)), actor="o")
    case = case.choose_route(at=at(d(8)), actor="o")
    case = case.arrange_meeting("mediator", MEDIATOR, meeting_date=d(20), at=at(d(9)), actor="o")
    case = case.hold_meeting(on=d(20), at=at(d(20), 16), actor="mediator")
    case = case.issue_certificate(on=d(21), at=at(d(21)), actor="adv")
    action = AgreedAction(action_id="therapy", kind=ActionKind.NON_APPEALABLE,
                          by=PartyKind.INTEGRATED_CARE_BOARD)
    case = _agreement(case, [action])
    notify = case.deadline("agreement_notify_la")
    assert notify is not None and notify.due == d(27)
    assert case.agreement is not None and case.agreement.la_party is False


def test_reg42_5_other_periods_in_writing_replace_the_statutory_ones() -> None:
    action = AgreedAction(action_id="meet", kind=ActionKind.NON_APPEALABLE,
                          by=PartyKind.LOCAL_AUTHORITY)
    case = _agreement(med_held(med_case()), [action],
                      other_periods_in_writing={"meet": d(60)})
    duty = case.deadline("agreement_non_appealable_action.meet")
    assert duty is not None and duty.due == d(60) and duty.agreed_in_writing
    assert case.tick(d(40), at=at(d(40))).deadline(duty.key).status is DeadlineStatus.RUNNING  # type: ignore[union-attr]
    with pytest.raises(InvalidInputError) as err:
        _agreement(med_held(med_case()), [action], other_periods_in_writing={"nope": d(60)})
    assert err.value.rule_id == "reg42_5.other_periods_in_writing"


def test_hesc_r20_appeal_deadline_later_of_notice_and_certificate() -> None:
    case = med_held(med_case())
    assert case.appeal_deadline == clocks.appeal_deadline(DAY0, d(21)).due
    assert case.certificates[0].appeal_deadline == case.appeal_deadline


def test_case_round_trips_through_the_sqlite_store(tmp_path: object) -> None:
    import pathlib

    assert isinstance(tmp_path, pathlib.Path)
    case = med_held(med_case())
    record = to_record(case)
    assert from_record(record) == case
    assert {e.clock_id for e in record.deadlines} >= {"certificate_after_mediation"}
    with SQLiteStore(tmp_path / "cases.sqlite3") as store:
        saved = save(store, case, expected_version=0)
        loaded = from_record(store.load("med-1"))
        assert loaded == case and saved.version == 1
        trail = store.audit_trail("med-1")
        assert [e.action for e in trail] == [e.action for e in case.audit.entries]
    dr = dr_agreed(dr_case())
    assert from_record(to_record(dr)) == dr
