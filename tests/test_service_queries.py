"""The host queries of CaseService: which steps a user may take now (``steps_open_to``), whether
they may read a case's audit trail (``may_read_audit_trail``), and the deadlines of their cases
(``deadlines_for``), each checked against what the command path itself does.

The cases are the Sefton walkthrough's, run into a real SQLite file, and carried on past where
it stops (a mediation held, a written agreement with reg 42 duties, a case closed; a referral
declined) so that every state they pass through is tried."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import pluggy
import pytest

from sen_disagreement import walkthrough as w
from sen_disagreement.actors import Actor, CaseGrant, Role, StaticActorDirectory
from sen_disagreement.council import StoreAttentionQueue
from sen_disagreement.disclosure import Disclosure, ItemKind
from sen_disagreement.ehc import PlanSection
from sen_disagreement.errors import (
    AccessDeniedError,
    InvalidInputError,
    NotFoundError,
    SenDisagreementError,
)
from sen_disagreement.parties import Party, PartyKind
from sen_disagreement.plugins import Hooks, make_plugin_manager
from sen_disagreement.service import CaseService, OpenDisagreementResolution, OpenMediation
from sen_disagreement.store import CaseRecord, DeadlineHit, open_store
from sen_disagreement.store.contract import APPEAL_CLOCK_ID, APPEAL_STATUS
from sen_disagreement.workflow import Case, CaseParty, PartyContact
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.access import acting_party
from sen_disagreement.workflow.disagreement_resolution import DisagreementResolutionCase
from sen_disagreement.workflow.issues import Issue, IssueOutcome
from sen_disagreement.workflow.mediation import MediationCase
from sen_disagreement.workflow.mediation.agreement import ActionKind, AgreedAction
from sen_disagreement.workflow.records import from_record, to_record

COUNCIL = w.COUNCIL
WIRRAL = "E08000015"
DR2 = "sefton-dr-0002"
MED2 = "sefton-med-0002"  # a second mediation, which this test takes to its end
MED3 = "sefton-med-0003"  # health only: a young person, their parent acting for them, the ICB
MEDIATOR = "mediator-1"
MEDIATOR_ORG = "example-mediation"
WIRRAL_OFFICER = "wirral-officer"
STRANGER = "other.parent"
ICB_OFFICER = "icb-officer"
ICB_USER = "icb-casework-1"
DEPUTY = "deputy.parent"
OTHER_PROVIDER = "other-provider-1"
OTHER_ADVISER = "other-adviser-1"
MISSING = "sefton-med-9999"  # a well-formed id no case has

ACTORS = (
    Actor(actor_id=w.OFFICER, role=Role.LA_OFFICER, council=COUNCIL),
    Actor(actor_id=w.PARENT, role=Role.FAMILY,
          grants={CaseGrant(case_id=c, party_id="parent")
                  for c in (w.DR_CASE, w.MED_CASE, DR2, MED2)}),
    Actor(actor_id=w.PROVIDER, role=Role.PROVIDER, organisation="global-mediation"),
    Actor(actor_id=w.ADVISER, role=Role.MEDIATION_ADVISER, organisation="adviser"),
    Actor(actor_id=w.CLERK, role=Role.TRIBUNAL_EXPORTER, council=COUNCIL),
    Actor(actor_id=MEDIATOR, role=Role.MEDIATOR, organisation=MEDIATOR_ORG),
    Actor(actor_id=ICB_USER, role=Role.BODY_OFFICER,
          grants={CaseGrant(case_id=MED3, party_id="icb")}),
    Actor(actor_id=DEPUTY, role=Role.FAMILY,
          grants={CaseGrant(case_id=MED3, party_id="deputy")}),
    # No part in any of the cases, each in its own way:
    Actor(actor_id=WIRRAL_OFFICER, role=Role.LA_OFFICER, council=WIRRAL),
    Actor(actor_id=STRANGER, role=Role.FAMILY,
          grants={CaseGrant(case_id=MISSING, party_id="parent"),
                  # a grant naming the council's own party is no part in the case
                  CaseGrant(case_id=w.MED_CASE, party_id="sefton")}),
    Actor(actor_id=ICB_OFFICER, role=Role.BODY_OFFICER,
          grants={CaseGrant(case_id=w.MED_CASE, party_id="parent")}),
    Actor(actor_id=OTHER_PROVIDER, role=Role.PROVIDER, organisation="someone-else"),
    Actor(actor_id=OTHER_ADVISER, role=Role.MEDIATION_ADVISER, organisation="another-adviser"),
)
USERS = tuple(a.actor_id for a in ACTORS)
UNATTACHED = (WIRRAL_OFFICER, STRANGER, ICB_OFFICER, OTHER_PROVIDER, OTHER_ADVISER)
ADVISER_PARTY = Party(kind=PartyKind.MEDIATION_ADVISER, name="Example mediation adviser")
MEDIATOR_PARTY = Party(kind=PartyKind.MEDIATOR, name="Example mediator")


_PLUGINS: list[pluggy.PluginManager] = []


def _service(db: Path) -> CaseService:
    """A service over ``db`` with the installed plugins and the walkthrough's development one
    (the plugin manager is built once: loading entry points is the slow part)."""
    if not _PLUGINS:
        pm = make_plugin_manager(load_entry_points=True)
        pm.register(w.ExampleAdviserContact(), name="walkthrough.adviser")
        _PLUGINS.append(pm)
    store = open_store(f"sqlite:///{db.resolve()}")
    hooks = Hooks(_PLUGINS[0], timeout=None, attention=StoreAttentionQueue(store))
    hooks.delegate(COUNCIL, "walkthrough.adviser")
    return CaseService(store, hooks, StaticActorDirectory(ACTORS))


def _parties() -> list[CaseParty]:
    parent = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"),
                       PartyContact(email="sam.parent@example.org"))
    sefton = CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton Council"))
    return [parent, sefton]


def _extend(service: CaseService) -> None:
    """Carry the walkthrough's cases on: a referral the parent declines, and a mediation taken
    through a held meeting, the mediator's certificate, a written agreement with reg 42 duties,
    each duty done, and closing."""
    at = w.at
    day = dt.date(2025, 5, 5)
    service.open_case(w.OFFICER, OpenDisagreementResolution(
        case_id=DR2, council=COUNCIL, parties=_parties(),
        issues=[Issue(issue_id="speech", section=PlanSection.F)]), at=at(day))
    service.apply(DR2, w.OFFICER, st.SeekAgreement(), at=at(day, 11))
    service.apply(DR2, w.PARENT, st.Decline(party_id="parent"), at=at(day, 12))

    med, _ = service.load(w.MED_CASE)
    assert isinstance(med, MediationCase)
    service.open_case(w.OFFICER, OpenMediation(case_id=MED2, council=COUNCIL,
                                               parties=_parties(), notice=med.notice),
                      at=at(dt.date(2025, 3, 3)))
    steps: list[tuple[str, st.Step, dt.datetime]] = [
        (w.PARENT, st.ContactAdviser(adviser_id="adviser", adviser=ADVISER_PARTY,
                                     on=dt.date(2025, 3, 10)), at(dt.date(2025, 3, 10))),
        (w.ADVISER, st.GiveInformation(on=dt.date(2025, 3, 10)), at(dt.date(2025, 3, 10), 11)),
        (w.PARENT, st.AcceptDecision(party_id="parent", told_la_on=dt.date(2025, 3, 12)),
         at(dt.date(2025, 3, 12))),
        (w.PARENT, st.RecordIssue(issue=Issue(issue_id="speech", section=PlanSection.F)),
         at(dt.date(2025, 3, 12))),
        (w.OFFICER, st.ConfirmIssues(), at(dt.date(2025, 3, 12), 11)),
        (w.OFFICER, st.ChooseRoute(), at(dt.date(2025, 3, 12), 12)),
        (w.OFFICER, st.ArrangeMeeting(meeting_date=dt.date(2025, 3, 24), mediator_id=MEDIATOR_ORG,
                                      mediator=MEDIATOR_PARTY), at(dt.date(2025, 3, 14))),
        (MEDIATOR, st.HoldMeeting(on=dt.date(2025, 3, 24)), at(dt.date(2025, 3, 24), 15)),
        (MEDIATOR, st.IssueCertificate(on=dt.date(2025, 3, 25)), at(dt.date(2025, 3, 25))),
        (MEDIATOR, st.RecordAgreement(
            document_id="agreement", text="The parties agree a speech review.",
            agreed_on=dt.date(2025, 3, 25),
            actions=[AgreedAction(action_id="review", kind=ActionKind.NON_APPEALABLE,
                                  by=PartyKind.LOCAL_AUTHORITY)]),
         at(dt.date(2025, 3, 25), 12)),
    ]
    for user, step, when in steps:
        service.apply(MED2, user, step, at=when)
    case, _ = service.load(MED2)
    assert isinstance(case, MediationCase)
    for d in case.deadlines:
        if d.status.value == "running":
            service.apply(MED2, w.OFFICER, st.DutyMet(key=d.key, on=dt.date(2025, 3, 28)),
                          at=at(dt.date(2025, 3, 28)))
    service.apply(MED2, w.OFFICER, st.Close(), at=at(dt.date(2025, 3, 31)))

    young = [
        CaseParty("yp", Party(kind=PartyKind.YOUNG_PERSON, name="Alex",
                              date_of_birth=dt.date(2006, 5, 1))),
        CaseParty("deputy", Party(kind=PartyKind.PARENT, name="Deputy",
                                  acting_for_young_person_lacking_capacity=True)),
        _parties()[1],
        CaseParty("icb", Party(kind=PartyKind.INTEGRATED_CARE_BOARD, name="C&M ICB")),
    ]
    service.open_case(w.OFFICER, OpenMediation(case_id=MED3, council=COUNCIL, parties=young,
                                               notice=med.notice), at=at(dt.date(2025, 3, 3)))
    contact, told = dt.date(2025, 3, 10), dt.date(2025, 3, 12)
    for k, (user, step, day) in enumerate([
        (DEPUTY, st.ContactAdviser(adviser_id="adviser", adviser=ADVISER_PARTY, on=contact),
         contact),
        (w.ADVISER, st.GiveInformation(on=contact), contact),
        (DEPUTY, st.AcceptDecision(party_id="yp", told_la_on=told,
                                   on_behalf_lacking_capacity=True), told),
        (DEPUTY, st.RecordIssue(issue=Issue(issue_id="health", section=PlanSection.G)), told),
        (w.OFFICER, st.ConfirmIssues(), told),
        (w.OFFICER, st.NotifyCommissioningBody(body_id="icb", on=told), told),
        (w.OFFICER, st.ChooseRoute(), told),
        (ICB_USER, st.ArrangeMeeting(meeting_date=dt.date(2025, 3, 31),
                                     mediator_id=MEDIATOR_ORG, mediator=MEDIATOR_PARTY),
         dt.date(2025, 3, 13)),
    ]):
        service.apply(MED3, user, step, at=at(day, 10 + k))


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the walkthrough's cases and this module's two more."""
    db = tmp_path_factory.mktemp("queries") / "cases.sqlite3"
    w.run(db)
    service = _service(db)
    with service.store:
        _extend(service)
    return db


@pytest.fixture
def service(stored: Path, tmp_path: Path) -> Iterator[CaseService]:
    """A service over a copy of the stored cases (a test may write to it)."""
    db = tmp_path / "copy.sqlite3"
    shutil.copyfile(stored, db)
    svc = _service(db)
    with svc.store:
        yield svc


def _snapshots(db: Path) -> list[CaseRecord]:
    service = _service(db)
    with service.store:
        return [r for case_id in (w.DR_CASE, w.MED_CASE, DR2, MED2, MED3)
                for r in service.store.history(case_id)]


# --- steps_open_to against apply ---------------------------------------------------------------


def _candidate(name: str, case: Case, acting: str | None, when: dt.datetime) -> st.Step | None:
    """A step of ``name`` with the best fields this user could give in this case (its own
    party, dates in order, new ids), or None when no such step can be built (no commissioning
    body to tell, no duty running)."""
    day = when.date()
    med = isinstance(case, MediationCase)
    own = acting if acting in case.party_map else "parent"
    parties = case.party_map
    required = case.ledger.required_parties(parties)
    # A parent acting for a young person who lacks capacity decides for them, not for itself.
    for_young_person = own not in required and own in parties and (
        parties[own].acting_for_young_person_lacking_capacity)
    decides = next((p for p in required if parties[p].kind is PartyKind.YOUNG_PERSON), own) \
        if for_young_person else own
    fresh = f"probe-{len(case.audit.entries)}"
    if name == "seek_agreement":
        return st.SeekAgreement()
    if name == "record_issue":
        return st.RecordIssue(issue=Issue(issue_id=fresh, section=PlanSection.F))
    if name == "agree":
        return st.AcceptDecision(party_id=decides, told_la_on=day if med else None,
                                 on_behalf_lacking_capacity=for_young_person)
    if name == "decline":
        return st.Decline(party_id=decides, on=day if med else None,
                          on_behalf_lacking_capacity=for_young_person)
    if name == "withdraw":
        return st.Withdraw(party_id=decides, on=day if med else None,
                           on_behalf_lacking_capacity=for_young_person)
    if name == "assign_provider":
        return st.AssignProvider()
    if name == "contact_adviser":
        return st.ContactAdviser(adviser_id="adviser", adviser=ADVISER_PARTY, on=day)
    if name == "give_information":
        return st.GiveInformation(on=day)
    if name == "confirm_issues":
        return st.ConfirmIssues()
    if name == "notify_commissioning_body":
        told = (dict(case.commissioning_bodies_notified) if isinstance(case, MediationCase)
                else {})
        bodies = [p.party_id for p in case.parties
                  if p.party.kind is PartyKind.INTEGRATED_CARE_BOARD and p.party_id not in told]
        return st.NotifyCommissioningBody(body_id=bodies[0], on=day) if bodies else None
    if name == "choose_route":
        return st.ChooseRoute()
    if name == "arrange_meeting":
        if med:
            return st.ArrangeMeeting(meeting_date=day, mediator_id=MEDIATOR_ORG,
                                     mediator=MEDIATOR_PARTY, shorter_notice_agreed=True)
        return st.ArrangeMeeting(meeting_date=day)
    if name == "hold_meeting":
        return st.HoldMeeting(on=day)
    if name == "record_item":
        return st.RecordItem(item_id=fresh, kind=ItemKind.NOTE,
                             disclosure=Disclosure.CONFIDENTIAL, text="A note")
    if name == "record_outcome":
        return st.RecordOutcome(outcomes={i.issue_id: IssueOutcome.AGREED
                                          for i in case.issues.issues})
    if name == "issue_certificate":
        return st.IssueCertificate(on=day)
    if name == "record_agreement":
        return st.RecordAgreement(
            document_id=fresh, text="Agreed.", agreed_on=day,
            actions=[AgreedAction(action_id="a1", kind=ActionKind.NON_APPEALABLE,
                                  by=PartyKind.LOCAL_AUTHORITY)])
    if name == "duty_met":
        running = [d.key for d in case.deadlines if d.status.value == "running"]
        return st.DutyMet(key=running[0], on=day) if running else None
    if name == "close":
        return st.Close()
    if name == "change_contact":
        return st.ChangeContact(party_id=own, contact=PartyContact(email="new@example.org"))
    assert name == "sweep"
    return st.Sweep(today=day)


STEP_NAMES = tuple(dict.fromkeys(
    p.step for p in st.PERMISSIONS if p.step != "open"))


def _import(db: Path, record: CaseRecord) -> CaseService:
    """A service over a new SQLite file holding only ``record`` (one state of a case)."""
    if db.exists():
        db.unlink()
    service = _service(db)
    # Rebuilt from its document: a history row keeps the document, not the current columns.
    service.store.save_many([to_record(from_record(record))], actor="test.snapshot")
    return service


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """A directory for many short-lived SQLite files: in memory-backed /dev/shm where there is
    one (the files are real; only their fsyncs are cheap), else the test's own."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir=shm, prefix="sen-queries-") as name:
        yield Path(name)


def test_steps_open_to_answers_what_apply_does_for_every_state_step_and_user(
    stored: Path, scratch: Path,
) -> None:
    """For each saved version of each case, each user and each step: listed exactly when the
    command path takes it. The step tried has the best fields the user could give, so a
    refusal is for who they are or for the case's state, never for a field."""
    tmp_path = scratch
    snapshots = _snapshots(stored)
    assert len(snapshots) > 30
    states = {(r.kind, r.state) for r in snapshots}
    assert len(states) >= 18, states
    tried = taken = 0
    for n, record in enumerate(snapshots):
        db = tmp_path / f"state-{n}.sqlite3"
        service = _import(db, record)
        case = from_record(record)
        when = case.audit.entries[-1].at + dt.timedelta(hours=1)
        keys = service._council_keys(case.council)
        for user in USERS:
            actor = service.actor(user)
            try:
                listed = set(service.steps_open_to(case.case_id, user, at=when))
            except AccessDeniedError:
                listed = None  # no part in the case: every step is refused below
            acting = acting_party(case, actor, councils=keys)
            assert (listed is None) == (acting is None), (user, record.state)
            for name in STEP_NAMES:
                row = st.permission(name, case.kind)
                if row is None or actor.role not in row.roles:
                    # The table alone refuses it; apply's refusal of these is the table's
                    # (tested per rule elsewhere), so only the listing is checked here.
                    assert listed is None or name not in listed
                    continue
                step = _candidate(name, case, acting, when)
                tried += 1
                refusal: SenDisagreementError | None = None
                if step is None:
                    refusal = InvalidInputError("no such step can be built", field="step",
                                                rule_id="input.type")
                else:
                    try:
                        service.apply(case.case_id, user, step, at=when)
                    except SenDisagreementError as exc:
                        refusal = exc
                is_listed = listed is not None and name in listed
                assert is_listed == (refusal is None), (
                    f"{record.kind} {record.state} v{record.version}, {user}, {name}: "
                    f"listed={is_listed}, apply refused with {refusal!r}")
                if refusal is None:
                    taken += 1
                    service.store.close()
                    service = _import(db, record)  # back to the state under test
        service.store.close()
    assert tried > 500 and taken > 50, (tried, taken)


def test_every_step_of_the_permission_table_has_its_state_check() -> None:
    """A step added to the table without saying which event of its case it begins with would
    never be listed: refuse that here rather than on a user's page."""
    for row in st.PERMISSIONS:
        for kind in row.kinds:
            if row.step in ("open", "sweep", "change_contact"):
                continue
            table = st._DR_EVENTS if kind == DisagreementResolutionCase.KIND else (
                st._MEDIATION_EVENTS)
            assert row.step in table, (row.step, kind)


def test_steps_open_to_for_a_hidden_case_is_case_fors_audited_refusal(
    service: CaseService,
) -> None:
    """Another council's officer, a parent whose grant names the council's party, a body
    officer granted a party that is not a body, a provider of another organisation: each gets
    the one refusal ``case_for`` gives, for a stored case and for an id no case has alike, and
    each probe is audited."""
    for user in UNATTACHED:
        answers = []
        for case_id in (w.MED_CASE, MISSING):
            with pytest.raises(AccessDeniedError) as err:
                service.steps_open_to(case_id, user)
            answers.append((err.value.rule_id, str(err.value).replace(case_id, "<id>")))
            with pytest.raises(AccessDeniedError) as direct:
                service.case_for(case_id, user)
            assert (direct.value.rule_id, str(direct.value)) == (err.value.rule_id,
                                                                 str(err.value))
        assert answers[0] == answers[1], user
        assert answers[0][0] == "access.policy"
    refused = [(e.actor, e.case_id) for e in service.store.audit_trail(None)
               if e.action == "case.read" and e.outcome == "refused"]
    for user in UNATTACHED:
        # Two probes (ours and case_for's) of each id.
        assert refused.count((user, w.MED_CASE)) == 2
        assert refused.count((user, MISSING)) == 2


def test_steps_open_to_refuses_forged_and_unknown_users(service: CaseService) -> None:
    officer = service.actor(w.OFFICER)
    forged = attrs.evolve(officer, council=WIRRAL)
    with pytest.raises(AccessDeniedError) as err:
        service.steps_open_to(w.MED_CASE, forged)
    assert err.value.rule_id == "who.directory"
    promoted = Actor(actor_id=w.PARENT, role=Role.LA_OFFICER, council=COUNCIL)
    with pytest.raises(AccessDeniedError):
        service.steps_open_to(w.MED_CASE, promoted)
    with pytest.raises(NotFoundError):
        service.steps_open_to(w.MED_CASE, "nobody-at-all")
    before = len(service.store.audit_trail(w.MED_CASE))
    # A real user asking writes nothing: asking is not an attempt.
    assert "close" in service.steps_open_to(w.MED_CASE, w.OFFICER)
    assert len(service.store.audit_trail(w.MED_CASE)) == before


def test_steps_open_to_names_steps_the_web_forms_know_and_respects_at(
    service: CaseService,
) -> None:
    """At the end of the walkthrough's mediation (a 'not arranged in time' certificate): the
    officer may still arrange the mediation (the parent may mediate later), record, change
    contacts or close; the parent may withdraw; the adviser's certificate is issued, so the
    adviser may only record. A time before the last change opens nothing, and one in the
    future is refused as apply refuses it."""
    assert service.steps_open_to(w.MED_CASE, w.OFFICER) == [
        "arrange_meeting", "record_item", "close", "change_contact"]
    assert service.steps_open_to(w.MED_CASE, w.PARENT) == ["record_item", "change_contact"]
    assert service.steps_open_to(w.MED_CASE, w.ADVISER) == ["record_item"]
    assert service.steps_open_to(w.MED_CASE, w.CLERK) == []
    case, _ = service.load(w.MED_CASE)
    early = case.audit.entries[-1].at - dt.timedelta(seconds=1)
    assert service.steps_open_to(w.MED_CASE, w.OFFICER, at=early) == []
    with pytest.raises(InvalidInputError) as err:
        service.steps_open_to(w.MED_CASE, w.OFFICER,
                              at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
    assert err.value.rule_id == "input.date_not_future"
    assert service.steps_open_to(w.DR_CASE, w.OFFICER) == ["change_contact"]  # closed


# --- may_read_audit_trail -----------------------------------------------------------------------


def test_may_read_audit_trail_answers_as_audit_trail_does_and_records_nothing(
    service: CaseService,
) -> None:
    for case_id in (w.DR_CASE, w.MED_CASE, MISSING):
        for user in USERS:
            before = len(service.store.audit_trail(None))
            allowed = service.may_read_audit_trail(case_id, user)
            assert len(service.store.audit_trail(None)) == before, "asking was audited"
            if allowed:
                trail = service.audit_trail(case_id, user)
                assert trail and {e.case_id for e in trail} == {case_id}
            else:
                with pytest.raises(AccessDeniedError) as err:
                    service.audit_trail(case_id, user)
                assert err.value.rule_id == "access.audit_trail"
    assert service.may_read_audit_trail(w.MED_CASE, w.OFFICER)
    assert not service.may_read_audit_trail(MISSING, w.OFFICER)
    # Only the council's officers: its Tribunal clerk, the parent and the facilitators are not.
    assert [u for u in USERS if service.may_read_audit_trail(w.MED_CASE, u)] == [w.OFFICER]


def test_audit_trail_answers_a_missing_case_as_a_hidden_one(service: CaseService) -> None:
    """Another council's officer learns nothing from the refusal: the same error for a stored
    case and for an id no case has, each refusal audited, dated when it happened."""
    messages = []
    for case_id in (w.MED_CASE, MISSING):
        with pytest.raises(AccessDeniedError) as err:
            service.audit_trail(case_id, WIRRAL_OFFICER, at=w.at(dt.date(2025, 1, 1)))
        messages.append(str(err.value).replace(case_id, "<id>"))
    assert messages[0] == messages[1]
    refused = [e for e in service.store.audit_trail(None)
               if e.action == "audit.read" and e.actor == WIRRAL_OFFICER]
    assert [e.case_id for e in refused] == [w.MED_CASE, MISSING]
    # Dated now, not at the time the caller gave.
    assert all(e.at > dt.datetime(2026, 1, 1, tzinfo=dt.UTC) for e in refused)


def test_may_read_audit_trail_refuses_forged_actors_and_malformed_ids(
    service: CaseService,
) -> None:
    officer = service.actor(w.OFFICER)
    with pytest.raises(AccessDeniedError):
        service.may_read_audit_trail(w.MED_CASE, attrs.evolve(officer, council=WIRRAL))
    with pytest.raises(AccessDeniedError):
        service.may_read_audit_trail(
            w.MED_CASE, Actor(actor_id=w.CLERK, role=Role.LA_OFFICER, council=COUNCIL))
    with pytest.raises(InvalidInputError) as err:
        service.may_read_audit_trail("no spaces allowed", w.OFFICER)
    assert err.value.field == "case_id"


# --- deadlines_for -------------------------------------------------------------------------------


def _expected(service: CaseService, user: str, start: dt.date | None,
              end: dt.date) -> list[DeadlineHit]:
    """The slow answer: every case the user has a part in, loaded, its deadline rows read."""
    out = [DeadlineHit(r.case_id, r.council, r.kind, r.state, d.clock_id, d.due, d.status)
           for r in service.cases_for(user) for d in r.deadlines
           if d.status in ("running", APPEAL_STATUS)
           and (start is None or start <= d.due) and d.due <= end]
    return sorted(out, key=lambda h: (h.due, h.case_id, h.clock_id))


def test_deadlines_for_is_what_each_user_sees_of_their_own_cases(service: CaseService) -> None:
    start, end = dt.date(2025, 1, 1), dt.date(2026, 12, 31)
    for user in USERS:
        assert service.deadlines_for(user, start, end) == _expected(service, user, start, end)
        assert service.deadlines_for(user, None, end) == _expected(service, user, None, end)
    officer = service.deadlines_for(w.OFFICER, start, end)
    # The walkthrough's mediation has its appeal deadline (the family's, not a duty); the
    # closed mediation's reg 42 duty is done, so only its appeal deadline remains; the
    # health-only one, arranged but not yet held, runs the commissioning body's 30 days.
    assert {(h.case_id, h.clock_id, h.status) for h in officer} == {
        (w.MED_CASE, APPEAL_CLOCK_ID, APPEAL_STATUS), (MED2, APPEAL_CLOCK_ID, APPEAL_STATUS),
        (MED3, "arrange_mediation_health_only", "running")}
    assert service.deadlines_for(w.ADVISER, start, end) == officer  # adviser of all three
    assert service.deadlines_for(w.PARENT, start, end) == [
        h for h in officer if h.case_id != MED3]
    for user in (DEPUTY, ICB_USER):
        assert service.deadlines_for(user, start, end) == [
            h for h in officer if h.case_id == MED3]
    assert {h.case_id for h in service.deadlines_for(MEDIATOR, start, end)} == {MED2, MED3}
    for user in UNATTACHED:
        assert service.deadlines_for(user, start, end) == []
    # A window holding neither.
    assert service.deadlines_for(w.OFFICER, dt.date(2030, 1, 1), dt.date(2030, 2, 1)) == []


def test_deadlines_for_running_duties_and_the_window(service: CaseService) -> None:
    """A mediation waiting for its adviser has a running reg 33 clock: the officer and the
    parent see it in a window holding its due day, not in one ending the day before."""
    med, _ = service.load(w.MED_CASE)
    assert isinstance(med, MediationCase)
    service.open_case(w.OFFICER, OpenMediation(case_id="sefton-med-0004", council=COUNCIL,
                                               parties=_parties(), notice=med.notice),
                      at=w.at(dt.date(2025, 3, 3)))
    fresh, _ = service.load("sefton-med-0004")
    assert isinstance(fresh, MediationCase)
    clock = fresh.deadline("mediation_adviser_contact")
    assert clock is not None
    due = clock.due
    hits = service.deadlines_for(w.OFFICER, due, due)
    assert [(h.case_id, h.clock_id, h.status) for h in hits] == [
        ("sefton-med-0004", "mediation_adviser_contact", "running")]
    assert service.deadlines_for(w.OFFICER, None, due - dt.timedelta(days=1)) == [
        h for h in service.deadlines_for(w.OFFICER, None, due) if h.due < due]
    # The parent has no grant for the new case: not theirs to see.
    assert all(h.case_id != "sefton-med-0004"
               for h in service.deadlines_for(w.PARENT, None, due))


def test_deadlines_for_limit_is_the_first_in_order_and_checked(service: CaseService) -> None:
    start, end = dt.date(2025, 1, 1), dt.date(2026, 12, 31)
    every = service.deadlines_for(w.OFFICER, start, end)
    assert len(every) == 3
    for user in (w.OFFICER, w.PARENT, w.ADVISER, MEDIATOR, DEPUTY):
        theirs = service.deadlines_for(user, start, end)
        for n in (1, 2):
            assert service.deadlines_for(user, start, end, limit=n) == theirs[:n]
    with pytest.raises(InvalidInputError) as err:
        service.deadlines_for(w.OFFICER, start, end, limit=0)
    assert err.value.field == "limit"
    with pytest.raises(InvalidInputError) as err:
        service.deadlines_for(w.OFFICER, "2025-01-01", end)  # type: ignore[arg-type]
    assert err.value.field == "start"
    with pytest.raises(InvalidInputError):
        service.deadlines_for(w.OFFICER, start, end, kind="no such kind")


def test_deadlines_for_a_facilitator_keeps_only_its_own_cases_past_a_full_page(
    service: CaseService,
) -> None:
    """Many cases of the council due before the facilitator's: its own still come first,
    however small the page the store is asked for."""
    med, _ = service.load(w.MED_CASE)
    assert isinstance(med, MediationCase)
    for i in range(6):
        service.open_case(w.OFFICER, OpenMediation(case_id=f"sefton-med-1{i:03}",
                                                   council=COUNCIL, parties=_parties(),
                                                   notice=med.notice),
                          at=w.at(dt.date(2025, 3, 3)))
    start, end = dt.date(2025, 1, 1), dt.date(2026, 12, 31)
    assert len(service.deadlines_for(w.OFFICER, start, end)) == 9
    own = service.deadlines_for(w.ADVISER, start, end)
    assert {h.case_id for h in own} == {w.MED_CASE, MED2, MED3}
    assert service.deadlines_for(w.ADVISER, start, end, limit=1) == own[:1]
    assert service.deadlines_for(OTHER_ADVISER, start, end, limit=1) == []


def test_deadlines_for_refuses_forged_actors(service: CaseService) -> None:
    parent = service.actor(w.PARENT)
    start, end = dt.date(2025, 1, 1), dt.date(2026, 12, 31)
    # A parent's actor with a grant the directory never gave: refused, not answered.
    forged = attrs.evolve(parent, grants={*parent.grants,
                                          CaseGrant(case_id="sefton-med-1000",
                                                    party_id="parent")})
    with pytest.raises(AccessDeniedError):
        service.deadlines_for(forged, start, end)
    with pytest.raises(AccessDeniedError):
        service.deadlines_for(
            Actor(actor_id=WIRRAL_OFFICER, role=Role.LA_OFFICER, council=COUNCIL), start, end)
    with pytest.raises(NotFoundError):
        service.deadlines_for("nobody-at-all", start, end)


def test_deadlines_for_skips_without_loading_only_cases_no_facilitator_is_assigned_to_yet() -> None:
    """The states read off the mediation machine in which a case has no adviser (before it is
    contacted) or no mediator (before a mediation is arranged). 'declined' is not among the
    mediator's: a parent may withdraw from an arranged mediation."""
    from sen_disagreement.service import _UNASSIGNED

    assert _UNASSIGNED[Role.MEDIATION_ADVISER] == {"decision_notified", "lapsed"}
    assert _UNASSIGNED[Role.MEDIATOR] == {
        "decision_notified", "adviser_contacted", "information_given", "mediation_wanted",
        "issues_recorded", "route_chosen", "lapsed"}
