"""One test per row of the permissions table (``workflow.steps.PERMISSIONS``), named after the
row's rule id (``who.<step>.<kinds>``). Each walks a real case through :class:`CaseService` (a
fresh SQLite file) to a state where the step can be taken, then checks that

* every role the row does not list, attached to the case, is refused with
  :class:`AccessDeniedError` naming the row's rule ("not a step this role takes"), the refusal is
  audited and nothing stored changes; and
* each role the row does list takes the step (the stored version moves on).

The expected roles are written here from the row's statutory words, not read from the table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from sen_disagreement.actors import SYSTEM, Actor, CaseGrant, Role, StaticActorDirectory
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.disclosure import Disclosure, ItemKind
from sen_disagreement.ehc import PlanSection
from sen_disagreement.errors import AccessDeniedError
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.service import CaseService, OpenDisagreementResolution, OpenMediation
from sen_disagreement.workflow import Case, CaseParty, MediationCase
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.issues import Issue, IssueOutcome
from sen_disagreement.workflow.mediation import ActionKind, AgreedAction, DecisionNotice
from sen_disagreement.workflow.mediation.notice import Reg32Item

UTC = dt.UTC
START = dt.datetime(2025, 1, 13, 9, tzinfo=UTC)  # a Monday
COUNCIL = "E08000014"  # Sefton: its plugin routes disagreement resolution to Global Mediation
DR, MED = "perm-dr-1", "perm-med-1"
LA = "sefton"
_LA_PARTY = Party(kind=PartyKind.LOCAL_AUTHORITY, identifiers=Identifiers(gss_code=COUNCIL))


def _grants(*pairs: tuple[str, str]) -> set[CaseGrant]:
    return {CaseGrant(case_id=c, party_id=p) for c, p in pairs}


# One user per role, each attached to both cases where the role can be (so a refusal is about
# the role, not about having no part in the case).
USER = {
    Role.LA_OFFICER: "officer",
    Role.FAMILY: "mum",
    Role.BODY_OFFICER: "body",
    Role.PROVIDER: "gm",
    Role.MEDIATION_ADVISER: "adv",
    Role.MEDIATOR: "med",
    Role.TRIBUNAL_EXPORTER: "clerk",
}
ACTORS = [
    Actor(actor_id="officer", role=Role.LA_OFFICER, council=COUNCIL),
    Actor(actor_id="mum", role=Role.FAMILY, grants=_grants((DR, "parent"), (MED, "parent"))),
    Actor(actor_id="body", role=Role.BODY_OFFICER, grants=_grants((DR, "school"), (MED, "icb"))),
    Actor(actor_id="gm", role=Role.PROVIDER, organisation="global-mediation"),
    Actor(actor_id="adv", role=Role.MEDIATION_ADVISER, organisation="adviser-org"),
    Actor(actor_id="med", role=Role.MEDIATOR, organisation="mediator-org"),
    Actor(actor_id="clerk", role=Role.TRIBUNAL_EXPORTER, council=COUNCIL),
]
ALL_ROLES = frozenset(USER)

DR_PARTIES = [CaseParty("parent", Party(kind=PartyKind.PARENT, name="Mum")),
              CaseParty(LA, _LA_PARTY),
              CaseParty("school", Party(kind=PartyKind.SCHOOL, name="St X"))]
MED_PARTIES = [CaseParty("parent", Party(kind=PartyKind.PARENT, name="Mum")),
               CaseParty(LA, _LA_PARTY),
               CaseParty("icb", Party(kind=PartyKind.INTEGRATED_CARE_BOARD, name="C&M ICB"))]

ADVISER = Party(kind=PartyKind.MEDIATION_ADVISER, name="Adviser")
MEDIATOR = Party(kind=PartyKind.MEDIATOR, name="Mediator")
# Each step of a walk takes one day (so every date is in order); the meeting is fixed well
# ahead (more than 5 working days' notice).
MEETING = dt.date(2025, 2, 17)


def day(n: int) -> dt.datetime:
    return START + dt.timedelta(days=n)


class Walk:
    """A case in a fresh store, moved along its natural path one step a day."""

    def __init__(self, tmp_path: Path, name: str, kind: str) -> None:
        self.service = CaseService.open(f"sqlite:///{tmp_path / (name + '.sqlite3')}",
                                        timeout=None, directory=StaticActorDirectory(ACTORS))
        self.case_id = kind
        self.n = 0

    def now(self) -> dt.datetime:
        self.n += 1
        if self.case_id == MED and self.n > 25:  # after the meeting: steps dated after it
            return dt.datetime.combine(MEETING, dt.time(9), UTC) + dt.timedelta(hours=self.n)
        return day(self.n)

    def do(self, user: str, step: st.Step) -> None:
        self.service.apply(self.case_id, user, step, at=self.now())

    @property
    def case(self) -> Case:
        return self.service.load(self.case_id)[0]

    @property
    def version(self) -> int:
        return self.service.load(self.case_id)[1]

    @property
    def state(self) -> str:
        return str(self.service.load(self.case_id)[0].state.value)


def open_dr(tmp_path: Path, name: str) -> Walk:
    w = Walk(tmp_path, name, DR)
    w.service.open_case("officer", OpenDisagreementResolution(
        case_id=DR, council=COUNCIL, parties=DR_PARTIES,
        issues=[Issue(issue_id="review", section=PlanSection.F)]), at=START)
    return w


DR_PATH: list[tuple[str, str, Callable[[Walk], st.Step]]] = [
    # (state before the step, user, step)
    ("referred", "officer", lambda w: st.SeekAgreement()),
    ("seeking_agreement", "mum", lambda w: st.AcceptDecision(party_id="parent")),
    ("seeking_agreement", "officer", lambda w: st.AcceptDecision(party_id=LA)),
    ("seeking_agreement", "body", lambda w: st.AcceptDecision(party_id="school")),
    ("all_agreed", "officer", lambda w: st.AssignProvider()),
    ("provider_assigned", "gm", lambda w: st.ArrangeMeeting(meeting_date=day(30).date())),
    ("meeting_arranged", "gm", lambda w: st.HoldMeeting(on=day(w.n).date())),
    ("meeting_held", "gm", lambda w: st.RecordOutcome(outcomes={"review": IssueOutcome.AGREED})),
    ("outcome_recorded", "officer", lambda w: st.Close()),
]


def dr_until(tmp_path: Path, name: str, steps: int) -> Walk:
    """A disagreement-resolution case after the first ``steps`` steps of its natural path."""
    w = open_dr(tmp_path, name)
    for state, user, make in DR_PATH[:steps]:
        assert w.state == state
        if make(w).NAME == "hold_meeting":
            w.n = 30  # the meeting day
        w.do(user, make(w))
    return w


def open_med(tmp_path: Path, name: str) -> Walk:
    w = Walk(tmp_path, name, MED)
    notice = DecisionNotice(sent_on=START.date(), contents=set(Reg32Item),
                            decisions=[AppealableDecision.PLAN_SPECIAL_EDUCATIONAL_PROVISION])
    w.service.open_case("officer", OpenMediation(case_id=MED, council=COUNCIL,
                                                 parties=MED_PARTIES, notice=notice), at=START)
    return w


def med_until(tmp_path: Path, name: str, state: str, *, health_only: bool = False,
              declined: bool = False) -> Walk:
    """A mediation case walked along its natural path until it is in ``state``: the parent
    contacts the adviser, is informed, wants mediation (or declines), records an issue about
    section F (or, ``health_only``, section G), the LA confirms it (and tells the ICB), chooses
    the route, the meeting is arranged and held, the mediator issues the certificate and records
    the written agreement."""
    w = open_med(tmp_path, name)

    def nxt() -> tuple[str, st.Step] | None:
        case = w.service.load(MED)[0]
        assert isinstance(case, MediationCase)
        s, today = case.state.value, w.now().date()
        w.n -= 1  # nxt only peeks at the date
        if s == "decision_notified":
            return "mum", st.ContactAdviser(adviser_id="adviser-org", adviser=ADVISER, on=today)
        if s == "adviser_contacted":
            return "adv", st.GiveInformation(on=today)
        if s == "information_given":
            if declined:
                return "mum", st.Decline(party_id="parent", on=today)
            return "mum", st.AcceptDecision(party_id="parent", told_la_on=today)
        if s == "mediation_wanted":
            if case.issues.issues:
                return "officer", st.ConfirmIssues()
            section = PlanSection.G if health_only else PlanSection.F
            return "mum", st.RecordIssue(issue=Issue(issue_id="issue-1", section=section))
        if s == "issues_recorded":
            if case.health_in_issue and not case.commissioning_bodies_notified:
                return "officer", st.NotifyCommissioningBody(body_id="icb", on=today)
            return "officer", st.ChooseRoute()
        if s == "route_chosen":
            return ("body" if health_only else "officer"), st.ArrangeMeeting(
                meeting_date=MEETING, mediator_id="mediator-org", mediator=MEDIATOR)
        if s == "arranged":
            w.n = 25
            return "med", st.HoldMeeting(on=MEETING)
        if s == "held":
            return "med", st.IssueCertificate(on=MEETING)
        if s == "declined":
            return "adv", st.IssueCertificate(on=today)
        if s == "certificate_issued" and not declined:
            by = PartyKind.INTEGRATED_CARE_BOARD if health_only else PartyKind.LOCAL_AUTHORITY
            return "med", st.RecordAgreement(
                document_id="agreement-1", text="We agree.", agreed_on=MEETING,
                actions=[AgreedAction(action_id="a1", kind=ActionKind.NON_APPEALABLE, by=by)])
        return None

    while w.state != state:
        found = nxt()
        assert found is not None, f"the walk never reaches {state} (stuck at {w.state})"
        w.do(*found)
    return w


def assert_refused(w: Walk, rule_id: str, roles: Iterable[Role], step: st.Step,
                   reason: str = "not a step this role takes") -> None:
    """Every user of ``roles`` is refused ``step`` under ``rule_id``, audited, nothing stored."""
    for role in roles:
        user = USER[role]
        version = w.version
        before = len(w.service.store.audit_trail(w.case_id))
        with pytest.raises(AccessDeniedError) as err:
            w.service.apply(w.case_id, user, step, at=w.now())
        assert err.value.rule_id == rule_id, (role, err.value.rule_id)
        assert reason in str(err.value), (role, str(err.value))
        assert w.version == version
        trail = w.service.store.audit_trail(w.case_id)[before:]
        assert [(e.actor, e.action, e.outcome) for e in trail] == [
            (user, f"step.{step.NAME}", "refused_unauthorised")]


def assert_taken(w: Walk, user: str, step: st.Step) -> None:
    version = w.version
    w.do(user, step)
    assert w.version == version + 1


def roles_except(*allowed: Role) -> frozenset[Role]:
    return ALL_ROLES - set(allowed)


_F, _LA, _BODY = Role.FAMILY, Role.LA_OFFICER, Role.BODY_OFFICER
_PROV, _ADV, _MEDR = Role.PROVIDER, Role.MEDIATION_ADVISER, Role.MEDIATOR


# --- open -----------------------------------------------------------------------------------


def _open_refused(service: CaseService, opening: OpenDisagreementResolution | OpenMediation,
                  rule_id: str, roles: Iterable[Role]) -> None:
    for role in roles:
        with pytest.raises(AccessDeniedError) as err:
            service.open_case(USER[role], opening, at=START)
        assert err.value.rule_id == rule_id
    trail = service.store.audit_trail(opening.case_id)
    assert {e.outcome for e in trail} == {"refused_unauthorised"}
    assert {e.actor for e in trail} == {USER[r] for r in roles}


def test_who_open_disagreement_resolution_only_an_la_officer(tmp_path: Path) -> None:
    # CFA 2014 s.57(1)-(2): the LA makes the arrangements, so its officer records the referral.
    service = CaseService.open(f"sqlite:///{tmp_path / 'o.sqlite3'}", timeout=None,
                               directory=StaticActorDirectory(ACTORS))
    opening = OpenDisagreementResolution(case_id=DR, council=COUNCIL, parties=DR_PARTIES)
    _open_refused(service, opening, "who.open.disagreement_resolution", roles_except(_LA))
    assert service.open_case("officer", opening, at=START).version == 1


def test_who_open_mediation_only_an_la_officer(tmp_path: Path) -> None:
    # Reg 32: the LA's notice of its appealable decision opens the mediation case.
    service = CaseService.open(f"sqlite:///{tmp_path / 'o.sqlite3'}", timeout=None,
                               directory=StaticActorDirectory(ACTORS))
    notice = DecisionNotice(sent_on=START.date(), contents=set(Reg32Item),
                            decisions=[AppealableDecision.PLAN_SPECIAL_EDUCATIONAL_PROVISION])
    opening = OpenMediation(case_id=MED, council=COUNCIL, parties=MED_PARTIES, notice=notice)
    _open_refused(service, opening, "who.open.mediation", roles_except(_LA))
    assert service.open_case("officer", opening, at=START).version == 1


# --- disagreement resolution ----------------------------------------------------------------


def test_who_seek_agreement_disagreement_resolution_only_the_la(tmp_path: Path) -> None:
    w = dr_until(tmp_path, "w", 0)
    assert_refused(w, "who.seek_agreement.disagreement_resolution", roles_except(_LA),
                   st.SeekAgreement())
    assert_taken(w, "officer", st.SeekAgreement())
    assert w.state == "seeking_agreement"


def test_who_agree_disagreement_resolution_each_party_for_itself(tmp_path: Path) -> None:
    # s.57: each party gives its own agreement (the parent, the LA, the school).
    w = dr_until(tmp_path, "w", 1)
    rule = "who.agree.disagreement_resolution"
    assert_refused(w, rule, roles_except(_F, _LA, _BODY), st.AcceptDecision(party_id="parent"))
    # A party does not agree for another.
    assert_refused(w, rule, [_LA, _BODY], st.AcceptDecision(party_id="parent"),
                   reason="decides for itself")
    for user, pid in (("mum", "parent"), ("officer", LA), ("body", "school")):
        assert_taken(w, user, st.AcceptDecision(party_id=pid))
    assert w.state == "all_agreed"


def test_who_decline_disagreement_resolution_each_party_for_itself(tmp_path: Path) -> None:
    rule = "who.decline.disagreement_resolution"
    for user, pid in (("mum", "parent"), ("officer", LA), ("body", "school")):
        w = dr_until(tmp_path, f"w-{user}", 1)
        assert_refused(w, rule, roles_except(_F, _LA, _BODY), st.Decline(party_id=pid))
        assert_taken(w, user, st.Decline(party_id=pid))
        assert w.state == "closed"  # one party declining ends disagreement resolution


def test_who_withdraw_disagreement_resolution_any_party_its_own_agreement(
    tmp_path: Path,
) -> None:
    rule = "who.withdraw.disagreement_resolution"
    for user, pid in (("mum", "parent"), ("officer", LA), ("body", "school")):
        w = dr_until(tmp_path, f"w-{user}", 4)  # every party agreed
        assert_refused(w, rule, roles_except(_F, _LA, _BODY), st.Withdraw(party_id=pid))
        # Only its own agreement: another party's user may not withdraw it.
        others = [r for r in (_F, _LA, _BODY) if USER[r] != user]
        assert_refused(w, rule, others, st.Withdraw(party_id=pid), reason="decides for itself")
        assert_taken(w, user, st.Withdraw(party_id=pid))
        assert w.state == "closed"


def test_who_record_issue_disagreement_resolution_mediation_family_and_la(
    tmp_path: Path,
) -> None:
    rule = "who.record_issue.disagreement_resolution_mediation"
    w = dr_until(tmp_path, "dr", 1)
    assert_refused(w, rule, roles_except(_F, _LA),
                   st.RecordIssue(issue=Issue(issue_id="x", section=PlanSection.G)))
    for n, user in enumerate(("mum", "officer")):
        assert_taken(w, user, st.RecordIssue(issue=Issue(issue_id=f"dr-{n}",
                                                         section=PlanSection.B)))
    # Mediation: reg 32(e), the parent tells the LA what they want to mediate about.
    m = med_until(tmp_path, "med", "mediation_wanted")
    assert_refused(m, rule, roles_except(_F, _LA),
                   st.RecordIssue(issue=Issue(issue_id="x", section=PlanSection.F)))
    for n, user in enumerate(("mum", "officer")):
        assert_taken(m, user, st.RecordIssue(issue=Issue(issue_id=f"med-{n}",
                                                         section=PlanSection.I)))
    case = m.case
    assert isinstance(case, MediationCase)
    assert sorted(case.issues.ids()) == ["med-0", "med-1"]


def test_who_assign_provider_disagreement_resolution_only_the_la(tmp_path: Path) -> None:
    # s.57(1), (4): the LA makes the independent arrangements.
    w = dr_until(tmp_path, "w", 4)
    assert_refused(w, "who.assign_provider.disagreement_resolution", roles_except(_LA),
                   st.AssignProvider())
    assert_taken(w, "officer", st.AssignProvider())
    assert w.state == "provider_assigned"


def test_who_arrange_meeting_disagreement_resolution_the_provider_or_the_la(
    tmp_path: Path,
) -> None:
    for user in ("gm", "officer"):
        w = dr_until(tmp_path, f"w-{user}", 5)
        step = st.ArrangeMeeting(meeting_date=day(30).date())
        assert_refused(w, "who.arrange_meeting.disagreement_resolution",
                       roles_except(_PROV, _LA), step)
        assert_taken(w, user, step)
        assert w.state == "meeting_arranged"


def test_who_hold_meeting_disagreement_resolution_only_the_provider(tmp_path: Path) -> None:
    w = dr_until(tmp_path, "w", 6)
    w.n = 30
    step = st.HoldMeeting(on=day(30).date())
    assert_refused(w, "who.hold_meeting.disagreement_resolution", roles_except(_PROV), step)
    assert_taken(w, "gm", step)
    assert w.state == "meeting_held"


def test_who_record_item_disagreement_resolution_parties_and_the_provider(
    tmp_path: Path,
) -> None:
    w = dr_until(tmp_path, "w", 7)  # meeting held
    rule = "who.record_item.disagreement_resolution"

    def note(n: int) -> st.RecordItem:
        return st.RecordItem(item_id=f"note-{n}", kind=ItemKind.NOTE,
                             disclosure=Disclosure.CONFIDENTIAL, text="a note")

    assert_refused(w, rule, roles_except(_F, _LA, _BODY, _PROV), note(0))
    for n, user in enumerate(("mum", "officer", "body", "gm"), start=1):
        assert_taken(w, user, note(n))
    assert [i.recorded_by for i in w.case.items] == ["parent", LA, "school", "global-mediation"]


def test_who_record_outcome_disagreement_resolution_only_the_provider(tmp_path: Path) -> None:
    w = dr_until(tmp_path, "w", 7)
    step = st.RecordOutcome(outcomes={"review": IssueOutcome.NOT_AGREED})
    assert_refused(w, "who.record_outcome.disagreement_resolution", roles_except(_PROV), step)
    assert_taken(w, "gm", step)
    assert w.state == "outcome_recorded"


def test_who_close_disagreement_resolution_the_la_or_the_provider(tmp_path: Path) -> None:
    for user in ("officer", "gm"):
        w = dr_until(tmp_path, f"w-{user}", 8)
        assert_refused(w, "who.close.disagreement_resolution", roles_except(_LA, _PROV),
                       st.Close())
        assert_taken(w, user, st.Close())
        assert w.state == "closed"


# --- mediation ------------------------------------------------------------------------------


def test_who_contact_adviser_mediation_only_the_parent_or_young_person(tmp_path: Path) -> None:
    # Reg 33: the parent or young person contacts the mediation adviser.
    w = med_until(tmp_path, "w", "decision_notified")
    step = st.ContactAdviser(adviser_id="adviser-org", adviser=ADVISER, on=day(1).date())
    assert_refused(w, "who.contact_adviser.mediation", roles_except(_F), step)
    assert_taken(w, "mum", step)
    assert w.state == "adviser_contacted"


def test_who_give_information_mediation_only_the_adviser(tmp_path: Path) -> None:
    w = med_until(tmp_path, "w", "adviser_contacted")
    step = st.GiveInformation(on=day(w.n + 1).date())
    assert_refused(w, "who.give_information.mediation", roles_except(_ADV), step)
    assert_taken(w, "adv", st.GiveInformation(on=day(w.n + 1).date()))
    assert w.state == "information_given"


def test_who_agree_mediation_only_the_parent_or_young_person(tmp_path: Path) -> None:
    w = med_until(tmp_path, "w", "information_given")
    today = day(w.n + 1).date()
    rule = "who.agree.mediation"
    # The LA and the commissioning body must take part; they do not choose mediation.
    assert_refused(w, rule, roles_except(_F), st.AcceptDecision(party_id=LA, told_la_on=today))
    assert_refused(w, rule, roles_except(_F),
                   st.AcceptDecision(party_id="parent", told_la_on=today))
    assert_taken(w, "mum", st.AcceptDecision(party_id="parent", told_la_on=today))
    assert w.state == "mediation_wanted"


def test_who_decline_mediation_only_the_parent_or_young_person(tmp_path: Path) -> None:
    w = med_until(tmp_path, "w", "information_given")
    today = day(w.n + 1).date()
    rule = "who.decline.mediation"
    assert_refused(w, rule, roles_except(_F), st.Decline(party_id=LA, on=today))
    assert_refused(w, rule, roles_except(_F), st.Decline(party_id="parent", on=today))
    assert_taken(w, "mum", st.Decline(party_id="parent", on=today))
    assert w.state == "declined"


def test_who_withdraw_mediation_only_the_parent_or_young_person(tmp_path: Path) -> None:
    w = med_until(tmp_path, "w", "route_chosen")
    today = day(w.n + 1).date()
    rule = "who.withdraw.mediation"
    assert_refused(w, rule, roles_except(_F), st.Withdraw(party_id="icb", on=today))
    assert_refused(w, rule, roles_except(_F), st.Withdraw(party_id="parent", on=today))
    assert_taken(w, "mum", st.Withdraw(party_id="parent", on=today))
    assert w.state == "declined"


def test_who_confirm_issues_mediation_only_the_la(tmp_path: Path) -> None:
    w = med_until(tmp_path, "w", "mediation_wanted")
    w.do("mum", st.RecordIssue(issue=Issue(issue_id="issue-1", section=PlanSection.F)))
    assert_refused(w, "who.confirm_issues.mediation", roles_except(_LA), st.ConfirmIssues())
    assert_taken(w, "officer", st.ConfirmIssues())
    assert w.state == "issues_recorded"


def test_who_notify_commissioning_body_mediation_only_the_la(tmp_path: Path) -> None:
    w = med_until(tmp_path, "w", "mediation_wanted", health_only=True)
    w.do("mum", st.RecordIssue(issue=Issue(issue_id="issue-1", section=PlanSection.G)))
    w.do("officer", st.ConfirmIssues())
    today = day(w.n + 1).date()
    step = st.NotifyCommissioningBody(body_id="icb", on=today)
    assert_refused(w, "who.notify_commissioning_body.mediation", roles_except(_LA), step)
    assert_taken(w, "officer", step)
    case = w.case
    assert isinstance(case, MediationCase)
    assert dict(case.commissioning_bodies_notified) == {"icb": today}


def test_who_choose_route_mediation_only_the_la(tmp_path: Path) -> None:
    w = med_until(tmp_path, "w", "issues_recorded")
    assert_refused(w, "who.choose_route.mediation", roles_except(_LA), st.ChooseRoute())
    assert_taken(w, "officer", st.ChooseRoute())
    assert w.state == "route_chosen"


def test_who_arrange_meeting_mediation_the_la_or_for_health_only_the_body(
    tmp_path: Path,
) -> None:
    rule = "who.arrange_meeting.mediation"
    step = st.ArrangeMeeting(meeting_date=MEETING, mediator_id="mediator-org", mediator=MEDIATOR)
    # Education issues: the LA arranges (s.53(3)); a commissioning body may not.
    w = med_until(tmp_path, "education", "route_chosen")
    assert_refused(w, rule, roles_except(_LA, _BODY), step)
    assert_refused(w, rule, [_BODY], step, reason="arranges only health-only mediation")
    assert_taken(w, "officer", step)
    assert w.state == "arranged"
    # Health-only issues: the commissioning body arranges (s.54(3)).
    h = med_until(tmp_path, "health", "route_chosen", health_only=True)
    assert_refused(h, rule, roles_except(_LA, _BODY), step)
    assert_taken(h, "body", step)
    assert h.state == "arranged"


def test_who_hold_meeting_mediation_only_the_mediator(tmp_path: Path) -> None:
    w = med_until(tmp_path, "w", "arranged")
    w.n = 25
    step = st.HoldMeeting(on=MEETING)
    assert_refused(w, "who.hold_meeting.mediation", roles_except(_MEDR), step)
    assert_taken(w, "med", step)
    assert w.state == "held"


def test_who_record_item_mediation_parties_adviser_and_mediator(tmp_path: Path) -> None:
    w = med_until(tmp_path, "w", "held")
    rule = "who.record_item.mediation"

    def note(n: int) -> st.RecordItem:
        return st.RecordItem(item_id=f"note-{n}", kind=ItemKind.NOTE,
                             disclosure=Disclosure.CONFIDENTIAL, text="a note")

    assert_refused(w, rule, roles_except(_F, _LA, _BODY, _ADV, _MEDR), note(0))
    for n, user in enumerate(("mum", "officer", "body", "adv", "med"), start=1):
        assert_taken(w, user, note(n))
    case = w.case
    assert isinstance(case, MediationCase)
    assert [i.recorded_by for i in case.items] == ["parent", LA, "icb", "adviser-org",
                                                   "mediator-org"]


def test_who_issue_certificate_mediation_adviser_after_declining_mediator_after_mediation(
    tmp_path: Path,
) -> None:
    rule = "who.issue_certificate.mediation"
    # After declining: the adviser (reg 34(1)); the mediator may not.
    d = med_until(tmp_path, "declined", "declined", declined=True)
    step = st.IssueCertificate(on=day(d.n + 1).date())
    assert_refused(d, rule, roles_except(_ADV, _MEDR), step)
    # (no mediation was arranged, so no mediator has a part in the case)
    assert_refused(d, rule, [_MEDR], step, reason="has no part in this case")
    assert_taken(d, "adv", step)
    assert d.state == "certificate_issued"
    # After mediation: the mediator; the adviser may not.
    m = med_until(tmp_path, "held", "held")
    step = st.IssueCertificate(on=MEETING)
    assert_refused(m, rule, roles_except(_ADV, _MEDR), step)
    assert_refused(m, rule, [_ADV], step, reason="issued by the mediator")
    assert_taken(m, "med", step)
    assert m.state == "certificate_issued"


def test_who_record_agreement_mediation_only_the_mediator(tmp_path: Path) -> None:
    w = med_until(tmp_path, "w", "certificate_issued")
    step = st.RecordAgreement(
        document_id="agreement-1", text="We agree.", agreed_on=MEETING,
        actions=[AgreedAction(action_id="a1", kind=ActionKind.NON_APPEALABLE,
                              by=PartyKind.LOCAL_AUTHORITY)])
    assert_refused(w, "who.record_agreement.mediation", roles_except(_MEDR), step)
    assert_taken(w, "med", step)
    assert w.state == "agreement_recorded"


def test_who_duty_met_mediation_the_la_or_the_commissioning_body(tmp_path: Path) -> None:
    rule = "who.duty_met.mediation"
    for user, health_only in (("officer", False), ("body", True)):
        w = med_until(tmp_path, f"w-{user}", "agreement_recorded", health_only=health_only)
        case = w.case
        assert isinstance(case, MediationCase)
        key = next(d.key for d in case.deadlines if d.clock_id.startswith("agreement_")
                   and d.status.value == "running")
        step = st.DutyMet(key=key, on=MEETING + dt.timedelta(days=1))
        assert_refused(w, rule, roles_except(_LA, _BODY), step)
        assert_taken(w, user, step)
        case = w.case
        assert isinstance(case, MediationCase)
        assert case.deadline(key) is not None
        tracked = case.deadline(key)
        assert tracked is not None and tracked.status.value == "met"


def test_who_close_mediation_only_the_la(tmp_path: Path) -> None:
    w = med_until(tmp_path, "w", "certificate_issued", declined=True)
    assert_refused(w, "who.close.mediation", roles_except(_LA), st.Close())
    assert_taken(w, "officer", st.Close())
    assert w.state == "closed"


# --- the sweep ------------------------------------------------------------------------------


def test_who_sweep_disagreement_resolution_mediation_only_the_system(tmp_path: Path) -> None:
    rule = "who.sweep.disagreement_resolution_mediation"
    # No user, whatever their role, records a clock event.
    d = dr_until(tmp_path, "dr", 1)
    assert_refused(d, rule, ALL_ROLES, st.Sweep(today=dt.date(2025, 3, 1)))
    m = med_until(tmp_path, "med", "decision_notified")
    assert_refused(m, rule, ALL_ROLES, st.Sweep(today=dt.date(2025, 3, 1)))
    # The system does, through sweep(): reg 33's two months from the notice (sent Mon 13 Jan
    # 2025) end on Thu 13 Mar 2025; the case lapses once that day is over, not before.
    version = m.version
    assert m.service.sweep(MED, dt.date(2025, 3, 13),
                           at=dt.datetime(2025, 3, 13, 18, tzinfo=UTC)) is None
    assert m.state == "decision_notified"
    saved = m.service.sweep(MED, dt.date(2025, 3, 14), at=dt.datetime(2025, 3, 14, 9, tzinfo=UTC))
    assert saved is not None and saved.version == version + 1
    assert m.state == "lapsed"
    assert m.service.store.audit_trail(MED)[-1].actor == SYSTEM.actor_id
