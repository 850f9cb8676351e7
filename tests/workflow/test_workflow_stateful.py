"""Random sequences of actions over both workflows, with the invariants checked after every step
(reliability guide section 4, T1; issue 4 acceptance):

* no meeting is arranged or held without every required party's live agreement
  (rule ``s57.voluntary``);
* a withdrawal stops progress (rule ``s57.withdraw_any_time``);
* every transition has exactly one audit entry, and the trail is append-only;
* every deadline equals the clock engine's (``sen_disagreement.clocks``);
* no without-prejudice or confidential item reaches a Tribunal bundle;
* a facilitator's record (the provider's, adviser's or mediator's) is never open, the written
  mediation agreement apart, and never reaches a Tribunal bundle.

Figures: 200 examples x 50 steps (10,000 steps), each step acting on one of the two cases.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from sen_disagreement import clocks
from sen_disagreement.actors import Actor, Role
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.disclosure import Disclosure, ItemKind, RecordedItem
from sen_disagreement.ehc import Duty, PlanSection
from sen_disagreement.errors import SenDisagreementError
from sen_disagreement.parties import Employer, Party, PartyKind
from sen_disagreement.settings import MeetingDeadline, Settings
from sen_disagreement.voluntary import ConsentDecision
from sen_disagreement.workflow import CaseParty
from sen_disagreement.workflow.audit import SYSTEM_ACTOR, AuditLog
from sen_disagreement.workflow.disagreement_resolution import (
    DR_MACHINE,
    DisagreementResolutionCase,
    DrEvent,
    DrState,
)
from sen_disagreement.workflow.exports import tribunal_bundle
from sen_disagreement.workflow.issues import Issue, IssueOutcome
from sen_disagreement.workflow.mediation import (
    MEDIATION_MACHINE,
    ActionKind,
    AgreedAction,
    DecisionNotice,
    MediationCase,
    MediationEvent,
    MediationState,
    Reg32Item,
)

UTC = dt.UTC
START = dt.datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
WP_MARK = "WP-CANARY"
CONF_MARK = "CONF-CANARY"

FAMILY_CHOICES = st.sampled_from(["parent", "young_person", "representative"])
SECTIONS = st.sampled_from(list(PlanSection))
DUTIES = st.sampled_from(list(Duty))


def _family(kind: str) -> list[CaseParty]:
    if kind == "parent":
        return [CaseParty("mum", Party(kind=PartyKind.PARENT, name="Mum"))]
    yp = CaseParty("yp", Party(kind=PartyKind.YOUNG_PERSON, date_of_birth=dt.date(2006, 5, 1)))
    if kind == "young_person":
        return [yp]
    rep = CaseParty(
        "mum", Party(kind=PartyKind.PARENT, acting_for_young_person_lacking_capacity=True)
    )
    return [yp, rep]


def _decider(parties: list[CaseParty]) -> tuple[str, str | None, bool]:
    """(party id, recorded_by, on behalf) for the family's decision."""
    ids = {p.party_id for p in parties}
    if "yp" in ids and "mum" in ids:
        return "yp", "mum", True
    if "yp" in ids:
        return "yp", None, False
    return "mum", None, False


Deco = Callable[[Callable[..., None]], Callable[..., None]]


def dr_can(*events: DrEvent) -> Deco:
    """Most rules fire only where their action is allowed, so sequences go deep; the rule
    ``any_action_anywhere`` tries actions in any state."""
    return precondition(
        lambda self: self.wild or any(DR_MACHINE.can(self.dr.state, e) for e in events)
    )


def med_can(*events: MediationEvent) -> Deco:
    return precondition(
        lambda self: self.wild or any(MEDIATION_MACHINE.can(self.med.state, e) for e in events)
    )


class Workflows(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.sink = AuditLog()
        self.wild = False

    # --- set-up -------------------------------------------------------------------------------

    @initialize(
        family=FAMILY_CHOICES,
        with_icb=st.booleans(),
        with_school=st.booleans(),
        deadline_rule=st.sampled_from(list(MeetingDeadline)),
        section_i_only=st.booleans(),
    )
    def setup(
        self,
        family: str,
        with_icb: bool,
        with_school: bool,
        deadline_rule: MeetingDeadline,
        section_i_only: bool,
    ) -> None:
        self.settings = Settings(arrange_mediation_deadline=deadline_rule)
        fam = _family(family)
        self.decider = _decider(fam)
        la = CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton"))
        others = [la]
        if with_icb:
            others.append(CaseParty("icb", Party(kind=PartyKind.INTEGRATED_CARE_BOARD)))
        dr_parties = fam + others
        if with_school:
            dr_parties.append(CaseParty("school", Party(kind=PartyKind.SCHOOL, name="St X")))
        self.dr = DisagreementResolutionCase.refer(
            case_id="dr-1", council="sefton", parties=dr_parties, at=self.now, actor="officer",
            settings=self.settings,
        )
        decisions = (
            [AppealableDecision.PLAN_PLACEMENT_NAMED]
            if section_i_only
            else [AppealableDecision.PLAN_SPECIAL_EDUCATIONAL_PROVISION]
        )
        notice = DecisionNotice(
            sent_on=self.now.date(), decisions=decisions, contents=set(Reg32Item)
        )
        self.med = MediationCase.notify_decision(
            case_id="med-1", council="sefton", parties=fam + others, notice=notice,
            at=self.now, actor="officer", settings=self.settings,
        )
        self.transitions = {"dr": 1, "med": 1}
        self.item_n = 0
        self.prev_dr = self.dr
        self.prev_med = self.med

    # --- helpers ------------------------------------------------------------------------------

    def _dr(self, fn: Callable[[], DisagreementResolutionCase]) -> None:
        try:
            new = fn()
        except SenDisagreementError:
            return
        assert isinstance(new, DisagreementResolutionCase)
        assert len(new.audit) == len(self.dr.audit) + 1
        self.transitions["dr"] += 1
        self.dr = new

    def _med(self, fn: Callable[[], MediationCase]) -> None:
        try:
            new = fn()
        except SenDisagreementError:
            return
        assert isinstance(new, MediationCase)
        assert len(new.audit) == len(self.med.audit) + 1
        self.transitions["med"] += 1
        self.med = new

    def _item(self, disclosure: Disclosure, in_meeting: bool, by: str = "la") -> RecordedItem:
        self.item_n += 1
        mark = {Disclosure.WITHOUT_PREJUDICE: WP_MARK, Disclosure.CONFIDENTIAL: CONF_MARK}.get(
            disclosure, "open"
        )
        if in_meeting:
            return RecordedItem.meeting_record(
                item_id=f"i{self.item_n}", kind=ItemKind.OFFER, recorded_at=self.now,
                recorded_by=by, text=f"{mark}-{self.item_n}",
            )
        return RecordedItem(
            item_id=f"i{self.item_n}", kind=ItemKind.NOTE, disclosure=disclosure,
            recorded_at=self.now, recorded_by=by, in_meeting=False,
            text=f"{mark}-{self.item_n}",
        )

    # --- time ---------------------------------------------------------------------------------

    @rule(wild=st.sampled_from([False, False, True]))
    def any_action_anywhere(self, wild: bool) -> None:
        """Switch between trying only allowed actions and trying every action in any state."""
        self.wild = wild

    @rule(days=st.sampled_from([0, 0, 1, 1, 2, 3, 5, 8, 13, 21, 34]), hours=st.integers(0, 8))
    def advance(self, days: int, hours: int) -> None:
        self.now += dt.timedelta(days=days, hours=hours)

    @rule()
    def tick(self) -> None:
        before = len(self.med.audit)
        new = self.med.tick(self.now.date(), at=self.now)
        added = new.audit.entries[before:]
        assert all(e.actor == SYSTEM_ACTOR for e in added)
        self.transitions["med"] += len(added)
        self.med = new

    # --- disagreement resolution --------------------------------------------------------------

    @dr_can(DrEvent.SEEK_AGREEMENT)
    @rule()
    def dr_seek(self) -> None:
        self._dr(lambda: self.dr.seek_agreement(at=self.now, actor="officer"))

    @dr_can(DrEvent.RECORD_ISSUE)
    @rule(section=SECTIONS, duty=DUTIES, use_duty=st.booleans(), n=st.integers(0, 3))
    def dr_issue(self, section: PlanSection, duty: Duty, use_duty: bool, n: int) -> None:
        issue = Issue(issue_id=f"x{n}", duty=duty) if use_duty else Issue(
            issue_id=f"x{n}", section=section
        )
        self._dr(lambda: self.dr.record_issue(issue, at=self.now, actor="officer"))

    @dr_can(DrEvent.RECORD_AGREEMENT, DrEvent.WITHDRAW)
    @rule(data=st.data(),
          decision=st.sampled_from([ConsentDecision.AGREED] * 8
                                   + [ConsentDecision.DECLINED, ConsentDecision.WITHDRAWN]),
          as_rep=st.booleans())
    def dr_consent(self, data: st.DataObject, decision: ConsentDecision, as_rep: bool) -> None:
        required = self.dr.ledger.missing(self.dr.party_map) or list(self.dr.party_map)
        who = data.draw(st.sampled_from([*required, *required, "mum", "nobody"]))
        method = {
            ConsentDecision.AGREED: self.dr.agree,
            ConsentDecision.DECLINED: self.dr.decline,
            ConsentDecision.WITHDRAWN: self.dr.withdraw,
        }[decision]
        recorded_by = "mum" if as_rep and who == "yp" else None
        self._dr(lambda: method(who, at=self.now, actor="officer", recorded_by=recorded_by,
                                on_behalf_lacking_capacity=recorded_by is not None))

    @dr_can(DrEvent.ASSIGN_PROVIDER)
    @rule(employer=st.sampled_from([None, None, None, PartyKind.LOCAL_AUTHORITY,
                                    PartyKind.SCHOOL]))
    def dr_provider(self, employer: PartyKind | None) -> None:
        emp = Employer(kind=employer, name="St X") if employer else None
        provider = Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER, name="Global",
                         employer=emp)
        self._dr(lambda: self.dr.assign_provider("prov", provider, at=self.now, actor="officer"))

    @dr_can(DrEvent.ARRANGE_MEETING)
    @rule(days=st.integers(0, 10))
    def dr_arrange_meeting(self, days: int) -> None:
        day = self.now.date() + dt.timedelta(days=days)
        self._dr(lambda: self.dr.arrange_meeting(meeting_date=day, at=self.now, actor="prov"))

    @dr_can(DrEvent.HOLD_MEETING)
    @rule()
    def dr_hold_meeting(self) -> None:
        self._dr(lambda: self.dr.hold_meeting(on=self.now.date(), at=self.now, actor="prov"))

    @dr_can(DrEvent.RECORD_ITEM)
    @rule(disclosure=st.sampled_from(list(Disclosure)), in_meeting=st.booleans(),
          data=st.data())
    def dr_item(self, disclosure: Disclosure, in_meeting: bool, data: st.DataObject) -> None:
        # Recorded by the LA, or by the provider (whose open records the case refuses).
        by = data.draw(st.sampled_from(["la", *self.dr.facilitator_ids]))
        try:
            item = self._item(disclosure, in_meeting, by)
        except SenDisagreementError:
            return
        self._dr(lambda: self.dr.record_item(item, at=self.now, actor="prov"))

    @dr_can(DrEvent.RECORD_OUTCOME)
    @rule(outcome=st.sampled_from(list(IssueOutcome)))
    def dr_outcome(self, outcome: IssueOutcome) -> None:
        outcomes = dict.fromkeys(self.dr.issues.ids(), outcome)
        self._dr(lambda: self.dr.record_outcome(outcomes, at=self.now, actor="prov"))

    @dr_can(DrEvent.CLOSE)
    @rule()
    def dr_close(self) -> None:
        self._dr(lambda: self.dr.close(at=self.now, actor="officer"))

    # --- mediation ----------------------------------------------------------------------------

    @med_can(MediationEvent.CONTACT_ADVISER)
    @rule(la_employed=st.sampled_from([False, False, False, True]))
    def med_contact(self, la_employed: bool) -> None:
        emp = Employer(kind=PartyKind.LOCAL_AUTHORITY) if la_employed else None
        adviser = Party(kind=PartyKind.MEDIATION_ADVISER, name="Adviser", employer=emp)
        self._med(lambda: self.med.contact_adviser(
            "adv", adviser, on=self.now.date(), at=self.now, actor="adv"))

    @med_can(MediationEvent.GIVE_INFORMATION)
    @rule()
    def med_inform(self) -> None:
        self._med(lambda: self.med.give_information(on=self.now.date(), at=self.now,
                                                    actor="adv"))

    @med_can(MediationEvent.WANT_MEDIATION)
    @rule(want=st.sampled_from([True, True, True, False]))
    def med_choice(self, want: bool) -> None:
        pid, rep, behalf = self.decider
        if want:
            self._med(lambda: self.med.want_mediation(
                pid, told_la_on=self.now.date(), at=self.now, actor="officer",
                recorded_by=rep, on_behalf_lacking_capacity=behalf))
        else:
            self._med(lambda: self.med.decline_mediation(
                pid, on=self.now.date(), at=self.now, actor="adv", recorded_by=rep,
                on_behalf_lacking_capacity=behalf))

    @med_can(MediationEvent.RECORD_ISSUE)
    @rule(section=SECTIONS, n=st.integers(0, 3))
    def med_issue(self, section: PlanSection, n: int) -> None:
        issue = Issue(issue_id=f"m{n}", section=section)
        self._med(lambda: self.med.record_issue(issue, at=self.now, actor="officer"))

    @med_can(MediationEvent.CONFIRM_ISSUES)
    @rule()
    def med_confirm(self) -> None:
        self._med(lambda: self.med.confirm_issues(at=self.now, actor="officer"))

    @med_can(MediationEvent.NOTIFY_COMMISSIONING_BODY)
    @rule()
    def med_notify_icb(self) -> None:
        self._med(lambda: self.med.notify_commissioning_body(
            "icb", on=self.now.date(), at=self.now, actor="officer"))

    @med_can(MediationEvent.CHOOSE_ROUTE)
    @rule()
    def med_route(self) -> None:
        self._med(lambda: self.med.choose_route(at=self.now, actor="officer"))

    @med_can(MediationEvent.ARRANGE_MEETING)
    @rule(days=st.integers(0, 40))
    def med_arrange_meeting(self, days: int) -> None:
        mediator = Party(kind=PartyKind.MEDIATOR, name="Mediator")
        day = self.now.date() + dt.timedelta(days=days)
        self._med(lambda: self.med.arrange_meeting(
            "mediator", mediator, meeting_date=day, at=self.now, actor="officer"))

    @med_can(MediationEvent.HOLD_MEETING)
    @rule()
    def med_hold_meeting(self) -> None:
        self._med(lambda: self.med.hold_meeting(on=self.now.date(), at=self.now, actor="mediator"))

    @med_can(MediationEvent.WITHDRAW)
    @rule()
    def med_withdraw(self) -> None:
        pid, rep, behalf = self.decider
        self._med(lambda: self.med.withdraw(
            pid, on=self.now.date(), at=self.now, actor="officer", recorded_by=rep,
            on_behalf_lacking_capacity=behalf))

    @med_can(MediationEvent.RECORD_ITEM)
    @rule(disclosure=st.sampled_from(list(Disclosure)), in_meeting=st.booleans(),
          data=st.data())
    def med_item(self, disclosure: Disclosure, in_meeting: bool, data: st.DataObject) -> None:
        by = data.draw(st.sampled_from(["la", *self.med.facilitator_ids]))
        try:
            item = self._item(disclosure, in_meeting, by)
        except SenDisagreementError:
            return
        self._med(lambda: self.med.record_item(item, at=self.now, actor="mediator"))

    @med_can(MediationEvent.ISSUE_CERTIFICATE)
    @rule()
    def med_certificate(self) -> None:
        self._med(lambda: self.med.issue_certificate(on=self.now.date(), at=self.now,
                                                     actor="adv"))

    @med_can(MediationEvent.RECORD_AGREEMENT)
    @rule(appealable=st.booleans(), override_days=st.none() | st.integers(0, 60))
    def med_agreement(self, appealable: bool, override_days: int | None) -> None:
        action = (
            AgreedAction(action_id="a1", kind=ActionKind.APPEALABLE, by=PartyKind.LOCAL_AUTHORITY,
                         order_clock_ids=("order_assess_notify", "order_assess_final_plan"))
            if appealable
            else AgreedAction(action_id="a1", kind=ActionKind.NON_APPEALABLE,
                              by=PartyKind.LOCAL_AUTHORITY)
        )
        overrides = (
            {"a1": self.now.date() + dt.timedelta(days=override_days)}
            if override_days is not None
            else None
        )
        self.item_n += 1
        doc = RecordedItem(item_id=f"agr{self.item_n}", kind=ItemKind.OUTCOME,
                           disclosure=Disclosure.PARTIES, recorded_at=self.now,
                           recorded_by="mediator", in_meeting=False, text="agreement")
        self._med(lambda: self.med.record_agreement(
            doc, agreed_on=self.now.date(), actions=[action], at=self.now, actor="mediator",
            other_periods_in_writing=overrides))

    @med_can(MediationEvent.DUTY_MET)
    @rule(data=st.data())
    def med_duty_met(self, data: st.DataObject) -> None:
        keys = [d.key for d in self.med.deadlines] or ["none"]
        key = data.draw(st.sampled_from(keys))
        self._med(lambda: self.med.duty_met(key, on=self.now.date(), at=self.now,
                                            actor="officer"))

    @med_can(MediationEvent.CLOSE)
    @rule()
    def med_close(self) -> None:
        self._med(lambda: self.med.close(at=self.now, actor="officer"))

    # --- the next step of the usual path, so random sequences reach every state --------------

    @rule(n=st.integers(1, 4))
    def dr_next(self, n: int) -> None:
        for _ in range(n):
            state = self.dr.state
            if state is DrState.REFERRED:
                self.dr_seek()
            elif state is DrState.SEEKING_AGREEMENT:
                who = self.dr.ledger.missing(self.dr.party_map)[0]
                self._dr(functools.partial(self.dr.agree, who, at=self.now, actor="officer"))
            elif state is DrState.ALL_AGREED:
                self.dr_provider(None)
            elif state is DrState.PROVIDER_ASSIGNED:
                self.dr_arrange_meeting(1)
            elif state is DrState.MEETING_ARRANGED:
                self.dr_hold_meeting()
            elif state is DrState.MEETING_HELD:
                if not self.dr.issues.issues:
                    self.dr_issue(PlanSection.F, Duty.ASSESS, False, 0)
                self.dr_outcome(IssueOutcome.PARTLY_AGREED)
            elif state is DrState.OUTCOME_RECORDED:
                self.dr_close()

    @rule(n=st.integers(1, 4))
    def med_next(self, n: int) -> None:
        for _ in range(n):
            state = self.med.state
            if state is MediationState.DECISION_NOTIFIED:
                self.med_contact(False)
            elif state is MediationState.ADVISER_CONTACTED:
                self.med_inform()
            elif state is MediationState.INFORMATION_GIVEN:
                self.med_choice(True)
            elif state is MediationState.MEDIATION_WANTED:
                self.med_issue(PlanSection.G if "icb" in self.med.party_map else PlanSection.F, 0)
                self.med_confirm()
            elif state is MediationState.ISSUES_RECORDED:
                if "icb" in self.med.party_map:
                    self.med_notify_icb()
                self.med_route()
            elif state is MediationState.ROUTE_CHOSEN:
                self.med_arrange_meeting(0)
            elif state is MediationState.ARRANGED:
                self.med_hold_meeting()
            elif state in (MediationState.HELD, MediationState.DECLINED,
                           MediationState.NOT_ARRANGED):
                self.med_certificate()
            elif state is MediationState.CERTIFICATE_ISSUED and self.med.held_on is not None:
                self.med_agreement(False, None)

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def states_seen(self) -> None:
        event(f"dr reached {self.dr.state.value}")
        event(f"mediation reached {self.med.state.value}")

    @invariant()
    def no_meeting_without_live_agreement(self) -> None:
        dr_parties = self.dr.party_map
        if self.dr.state in (DrState.MEETING_ARRANGED, DrState.MEETING_HELD):
            assert self.dr.ledger.missing(dr_parties) == []
        med_parties = self.med.party_map
        if self.med.state in (MediationState.ARRANGED, MediationState.HELD):
            assert self.med.ledger.missing(med_parties) == []
            assert not self.med.ledger.stopped(med_parties)

    @invariant()
    def withdrawal_stops_progress(self) -> None:
        if self.dr.ledger.stopped(self.dr.party_map):
            assert self.dr.state is DrState.CLOSED
            assert self.dr.closure is not None and self.dr.closure.value != "outcome"
        if self.med.ledger.stopped(self.med.party_map):
            assert self.med.state in (
                MediationState.DECLINED, MediationState.CERTIFICATE_ISSUED, MediationState.CLOSED
            )
            assert self.med.held_on is None
            assert self.med.agreement is None

    @invariant()
    def one_audit_entry_per_transition_and_append_only(self) -> None:
        assert len(self.dr.audit) == self.transitions["dr"]
        assert len(self.med.audit) == self.transitions["med"]
        assert self.dr.audit.extends(self.prev_dr.audit)
        assert self.med.audit.extends(self.prev_med.audit)
        self.prev_dr, self.prev_med = self.dr, self.med

    @invariant()
    def deadlines_equal_the_clock_engine(self) -> None:
        for d in self.med.deadlines:
            if not d.agreed_in_writing:
                assert d.due == clocks.due_date(d.clock_id, d.started, self.settings)
        for c in self.med.certificates:
            assert c.clock_due == clocks.due_date(c.clock_id, c.clock_started, self.settings)
            assert c.appeal_deadline == clocks.appeal_deadline(
                c.decision_notice_sent, c.issued_on,
                certificate_required=c.certificate_required, settings=self.settings,
            ).due

    @invariant()
    def no_sensitive_item_in_a_tribunal_bundle(self) -> None:
        for case in (self.dr, self.med):
            exporter = Actor(actor_id="tribunal-clerk", role=Role.TRIBUNAL_EXPORTER,
                             council=case.council)
            bundle = tribunal_bundle(case, exporter=exporter, at=self.now, sink=self.sink)
            text = bundle.to_json() + bundle.to_text()
            assert WP_MARK not in text
            assert CONF_MARK not in text
            assert all(i.disclosure in (Disclosure.PUBLIC, Disclosure.PARTIES)
                       for i in bundle.items)
            recorded = {i.item_id: i for i in case.items}
            for b in bundle.items:
                item = recorded[b.item_id]
                assert (item.recorded_by not in case.facilitator_ids
                        or item.kind is ItemKind.OUTCOME)

    @invariant()
    def facilitator_records_are_never_open(self) -> None:
        for case in (self.dr, self.med):
            for item in case.items:
                if item.recorded_by in case.facilitator_ids and item.kind is not ItemKind.OUTCOME:
                    event("a facilitator's record was kept")
                    assert item.disclosure in (Disclosure.CONFIDENTIAL,
                                               Disclosure.WITHOUT_PREJUDICE)


Workflows.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_workflows_random_sequences_keep_every_invariant = Workflows.TestCase
