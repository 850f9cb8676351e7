"""An independent hostile review of the case boundary: the public API (and the store's public API)
tried as a careless or hostile caller would. Each test is named after the rule it protects; the
ones marked "break" fail until the library refuses what the review found it accepting."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from sen_disagreement.actors import Actor, CaseGrant, Role, StaticActorDirectory
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.council import CouncilProfile, StoreAttentionQueue
from sen_disagreement.disclosure import Disclosure, ItemKind, RecordedItem
from sen_disagreement.ehc import Duty, PlanSection
from sen_disagreement.errors import AccessDeniedError, InvalidInputError, NotFoundError
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.plugins import Hooks, make_plugin_manager
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.service import CaseService, OpenDisagreementResolution, OpenMediation
from sen_disagreement.store import DeadlineEntry, open_store
from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase, MediationCase
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.issues import Issue
from sen_disagreement.workflow.mediation import DecisionNotice, MediationAgreement, Reg32Item
from sen_disagreement.workflow.records import from_record, save, to_record

UTC = dt.UTC
T0 = dt.datetime(2025, 1, 13, 9, tzinfo=UTC)
LATE = dt.datetime(2025, 1, 21, 9, tzinfo=UTC)
COUNCIL = "E08000014"
CASE, MED = "dr-hostile-1", "med-hostile-1"
CANARY = "CANARY-hostile-5d20c4"

OFFICER = Actor(actor_id="officer-1", role=Role.LA_OFFICER, council=COUNCIL)
PARENT = Actor(actor_id="sam", role=Role.FAMILY, grants={CaseGrant(case_id=CASE, party_id="parent"),
                                                         CaseGrant(case_id=MED, party_id="parent")})
PROVIDER = Actor(actor_id="gm-1", role=Role.PROVIDER, organisation="global-mediation")
CLERK = Actor(actor_id="clerk-1", role=Role.TRIBUNAL_EXPORTER, council=COUNCIL)
ADVISER = Actor(actor_id="adv-1", role=Role.MEDIATION_ADVISER, organisation="adviser")
MEDIATOR = Actor(actor_id="med-1", role=Role.MEDIATOR, organisation="mediator")
USERS = [OFFICER, PARENT, PROVIDER, CLERK, ADVISER, MEDIATOR]


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def _service(path: Path, users: list[Actor] = USERS) -> CaseService:
    svc = CaseService.open(f"sqlite:///{path}", directory=StaticActorDirectory(users),
                           timeout=None)
    svc.clock = lambda: dt.datetime(2025, 6, 1, tzinfo=UTC)
    return svc


@pytest.fixture
def service(tmp_path: Path) -> Iterator[CaseService]:
    svc = _service(tmp_path / "h.sqlite3")
    with svc.store:
        yield svc


def _la() -> CaseParty:
    return CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                     identifiers=Identifiers(gss_code=COUNCIL)))


def _open(service: CaseService, *extra: CaseParty) -> None:
    parent = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"))
    service.open_case("officer-1", OpenDisagreementResolution(
        case_id=CASE, council=COUNCIL, parties=[parent, _la(), *extra],
        issues=[Issue(issue_id="review", duty=Duty.KEEP_PROVISION_UNDER_REVIEW)]), at=at(0))


def _held(service: CaseService) -> None:
    _open(service)
    service.apply(CASE, "officer-1", st.SeekAgreement(), at=at(1))
    service.apply(CASE, "sam", st.AcceptDecision(party_id="parent"), at=at(2))
    service.apply(CASE, "officer-1", st.AcceptDecision(party_id="sefton"), at=at(3))
    service.apply(CASE, "officer-1", st.AssignProvider(), at=at(4))
    service.apply(CASE, "gm-1", st.ArrangeMeeting(meeting_date=dt.date(2025, 1, 20)), at=at(5))
    service.apply(CASE, "gm-1", st.HoldMeeting(on=dt.date(2025, 1, 20)),
                  at=dt.datetime(2025, 1, 20, 15, tzinfo=UTC))


def _next_version(service: CaseService) -> tuple[int, DisagreementResolutionCase]:
    """The stored version and a well-formed successor (the officer records a note)."""
    record = service.store.load(CASE)
    case = from_record(record)
    assert isinstance(case, DisagreementResolutionCase)
    note = RecordedItem(item_id="la-note", kind=ItemKind.NOTE, disclosure=Disclosure.CONFIDENTIAL,
                        recorded_at=LATE, recorded_by="sefton", in_meeting=False, text="x")
    return record.version, case.record_item(note, at=LATE, actor="officer-1")


def _mediation(service: CaseService) -> None:
    """A mediation held, a mediator's confidential outcome note, the mediator's certificate."""
    day = dt.date(2025, 3, 3)

    def when(days: int, hour: int = 10) -> dt.datetime:
        return dt.datetime.combine(day + dt.timedelta(days), dt.time(hour), UTC)

    parent = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"))
    service.open_case("officer-1", OpenMediation(
        case_id=MED, council=COUNCIL, parties=[parent, _la()],
        notice=DecisionNotice(sent_on=day, decisions=[AppealableDecision.NOT_TO_AMEND_OR_REPLACE],
                              contents=set(Reg32Item))), at=when(0))
    go = service.apply
    go(MED, "sam", st.ContactAdviser(adviser_id="adviser", adviser=Party(
        kind=PartyKind.MEDIATION_ADVISER), on=day + dt.timedelta(1)), at=when(1))
    go(MED, "adv-1", st.GiveInformation(on=day + dt.timedelta(1)), at=when(1, 11))
    go(MED, "sam", st.AcceptDecision(party_id="parent", told_la_on=day + dt.timedelta(2)),
       at=when(2))
    go(MED, "sam", st.RecordIssue(issue=Issue(issue_id="speech", section=PlanSection.F)),
       at=when(2, 11))
    go(MED, "officer-1", st.ConfirmIssues(), at=when(2, 12))
    go(MED, "officer-1", st.ChooseRoute(), at=when(2, 13))
    go(MED, "officer-1", st.ArrangeMeeting(
        meeting_date=day + dt.timedelta(14), mediator_id="mediator",
        mediator=Party(kind=PartyKind.MEDIATOR)), at=when(3))
    go(MED, "med-1", st.HoldMeeting(on=day + dt.timedelta(14)), at=when(14, 15))
    go(MED, "med-1", st.RecordItem(item_id="med-outcome", kind=ItemKind.OUTCOME,
                                   disclosure=Disclosure.CONFIDENTIAL, text=CANARY),
       at=when(14, 16))
    go(MED, "med-1", st.IssueCertificate(on=day + dt.timedelta(15)), at=when(15))


def _later(case: MediationCase, changes: dict[str, object]) -> MediationCase:
    audit = case.audit.append(attrs.evolve(case.audit.entries[-1],
                                           at=dt.datetime(2025, 4, 1, tzinfo=UTC)))
    return attrs.evolve(case, audit=audit, **changes)  # type: ignore[arg-type]


# --- breaks ------------------------------------------------------------------------------------


def test_legal_hold_survives_a_step_through_the_command_path(service: CaseService) -> None:
    # Break: holding a case by saving it with legal_hold=True was lifted by the next step (every
    # step writes to_record(case), whose legal_hold is False). Now a hold is the store's fact:
    # a save neither sets nor clears it; only the audited set_legal_hold does.
    _held(service)
    version, case = _next_version(service)
    service.store.save(attrs.evolve(to_record(case, version=version), legal_hold=True), version,
                       actor="officer-1")
    assert not service.store.load(CASE).legal_hold  # a save cannot place a hold either
    service.store.set_legal_hold(CASE, True, actor="dpo-1")
    assert service.store.load(CASE).legal_hold
    service.apply(CASE, "gm-1", st.RecordItem(item_id="gm-note", kind=ItemKind.NOTE,
                                              disclosure=Disclosure.CONFIDENTIAL, text="y"),
                  at=LATE + dt.timedelta(hours=1))
    assert service.store.load(CASE).legal_hold, "a step through the service lifted the hold"


@pytest.mark.parametrize(("column", "value"), [
    ("council", "E08000015"),  # listed to another council by find_cases
    ("closed_on", dt.date(1990, 1, 1)),  # a live case made due for the retention purge
    ("subject_date_of_birth", dt.date(1900, 1, 1)),  # likewise
    ("state", "closed"),
    ("created_at", dt.datetime(2000, 1, 1, tzinfo=UTC)),
    ("deadlines", (DeadlineEntry(clock_id="bogus", due=dt.date(2000, 1, 1), status="running"),)),
])
def test_store_record_columns_are_the_documents(
    service: CaseService, column: str, value: object
) -> None:
    # Break: the store checks only the document, so a save can rewrite the columns that queries,
    # deadline reports and the retention purge trust, without the document changing them.
    _held(service)
    version, case = _next_version(service)
    forged = attrs.evolve(to_record(case, version=version), **{column: value})  # type: ignore[arg-type]
    before = service.store.load(CASE)
    with pytest.raises(InvalidInputError):
        service.store.save(forged, version, actor="officer-1")
    assert service.store.load(CASE) == before


def test_case_keeps_its_id_a_document_saved_under_another_case_id_is_refused(
    service: CaseService,
) -> None:
    # Break: a new record "copy-1" holding the document of CASE is accepted; CASE's audit
    # entries are written again under CASE (orphan rows in its trail) and "copy-1" loads as CASE.
    _held(service)
    record = service.store.load(CASE)
    trail = service.store.audit_trail(CASE)
    with pytest.raises(InvalidInputError):
        service.store.save(attrs.evolve(record, case_id="copy-1", version=0), 0,
                           actor="officer-1")
    with pytest.raises(InvalidInputError):
        service.store.save_many([attrs.evolve(record, case_id="copy-2", version=0)],
                                actor="officer-1")
    assert service.store.audit_trail(CASE) == trail
    for copy in ("copy-1", "copy-2"):
        with pytest.raises(NotFoundError):
            service.store.load(copy)


def test_history_append_only_a_duplicate_item_id_cannot_shadow_a_stored_item(
    service: CaseService,
) -> None:
    # Break: the successor check looks items up by id in a dict, so a version holding a forged
    # copy *before* the stored item passes; reads take the first, and the without-prejudice
    # note's id reaches the Tribunal bundle relabelled "parties" with rewritten text.
    _held(service)
    service.apply(CASE, "officer-1", st.RecordItem(
        item_id="wp", kind=ItemKind.NOTE, disclosure=Disclosure.WITHOUT_PREJUDICE, text=CANARY),
        at=LATE)
    record = service.store.load(CASE)
    case = from_record(record)
    stored = case.items[0]
    fake = attrs.evolve(stored, disclosure=Disclosure.PARTIES, text="nothing was offered")
    audit = case.audit.append(attrs.evolve(case.audit.entries[-1], at=LATE))
    with pytest.raises(InvalidInputError):
        save(service.store, attrs.evolve(case, items=(fake, stored), audit=audit),
             expected_version=record.version)
    bundle = service.tribunal_bundle(CASE, "clerk-1", at=LATE)
    assert [i.item_id for i in bundle.items] == []


def test_facilitator_records_a_forged_agreement_cannot_open_a_mediators_note(
    service: CaseService,
) -> None:
    # Break: facilitator_record() lets the written agreement's item id override by_facilitator,
    # and the store does not check the agreement; pointing it at the mediator's confidential
    # outcome note lets the LA officer read it and release it in a subject-access export.
    _mediation(service)
    record = service.store.load(MED)
    case = from_record(record)
    assert isinstance(case, MediationCase)
    agreement = MediationAgreement(agreed_on=dt.date(2025, 3, 18), document_item_id="med-outcome",
                                   actions=(), other_periods_in_writing=(), la_party=True)
    with contextlib.suppress(InvalidInputError):  # refusing it is the fix
        save(service.store, _later(case, {"agreement": agreement}),
             expected_version=record.version)
    later = dt.datetime(2025, 4, 2, tzinfo=UTC)
    texts = [i.text for i in service.readable_items(MED, "officer-1", at=later)]
    assert CANARY not in "".join(texts), "the LA officer reads the mediator's confidential note"


def test_step_time_a_step_dated_after_the_service_clock_is_refused(
    service: CaseService,
) -> None:
    # Break: any actor may date a step far in the future; every later step is then "earlier
    # than the last change" and refused, so one parent can freeze the case for everyone.
    _held(service)
    with pytest.raises(InvalidInputError) as err:
        service.apply(CASE, "sam", st.RecordItem(
            item_id="note", kind=ItemKind.NOTE, disclosure=Disclosure.PARTIES, text="x"),
            at=dt.datetime(9999, 1, 1, tzinfo=UTC))
    assert err.value.field == "at"
    service.apply(CASE, "officer-1", st.RecordItem(
        item_id="la-note", kind=ItemKind.NOTE, disclosure=Disclosure.PARTIES, text="y"))


@pytest.mark.parametrize("kind", [PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER, PartyKind.MEDIATOR,
                                  PartyKind.MEDIATION_ADVISER])
def test_independent_roles_never_a_side_of_an_opened_case(
    service: CaseService, kind: PartyKind
) -> None:
    # Break: the classifier refuses an independent role as a side
    # (party.independent_role_not_a_side), but open_case stores one as a party whose consent is
    # then required and for whom a body officer's grant acts.
    with pytest.raises(InvalidInputError):
        _open(service, CaseParty("facilitator", Party(kind=kind, name="Global Mediation")))
    with pytest.raises(NotFoundError):
        service.store.load(CASE)


def test_who_acts_one_actor_granted_two_parties_of_a_case_is_not_decided_by_set_order(
    tmp_path: Path,
) -> None:
    # Break: Actor.party_in returns the first grant of a frozenset for the case, so which party
    # an officer acting for two bodies acts as changes with the process's hash seed; one of the
    # two agreements is always refused, which one differs from run to run.
    try:
        head = Actor(actor_id="head", role=Role.BODY_OFFICER, grants={
            CaseGrant(case_id=CASE, party_id="school-a"),
            CaseGrant(case_id=CASE, party_id="school-b")})
        svc = _service(tmp_path / "g.sqlite3", [OFFICER, PARENT, head])
    except InvalidInputError:
        return  # refusing the ambiguous grant outright is deterministic too
    with svc.store:
        _open(svc, CaseParty("school-a", Party(kind=PartyKind.SCHOOL, name="A")),
              CaseParty("school-b", Party(kind=PartyKind.SCHOOL, name="B")))
        svc.apply(CASE, "officer-1", st.SeekAgreement(), at=at(1))
        for party in ("school-a", "school-b"):
            svc.apply(CASE, "head", st.AcceptDecision(party_id=party), at=at(2))
        case, _ = svc.load(CASE)
        assert {(e.party_id, e.recorded_by) for e in case.ledger.entries} == {
            ("school-a", "school-a"), ("school-b", "school-b")}


class _Impostor:
    """A second council whose name folds to Sefton's GSS code (names are not conflict-checked)."""

    @hookimpl
    def sen_register_councils(self) -> list[CouncilProfile]:
        return [CouncilProfile(name=COUNCIL.lower(), gss_code="E09000001", la_number="999",
                               slug="city")]


def test_council_keys_a_council_named_like_anothers_code_never_takes_its_cases(
    tmp_path: Path,
) -> None:
    # Break: find_council() also matches names, casefolded, and the conflict check compares only
    # slug, GSS code and LA number exactly; the impostor is found first for "E08000014", so its
    # officers act on Sefton's cases (and its plugins route and observe them).
    store = open_store(f"sqlite:///{tmp_path / 'i.sqlite3'}")
    pm = make_plugin_manager(load_entry_points=True)
    pm.register(_Impostor(), name="impostor")
    city = Actor(actor_id="city-officer", role=Role.LA_OFFICER, council="city")
    svc = CaseService(store, Hooks(pm, timeout=None, attention=StoreAttentionQueue(store)),
                      StaticActorDirectory([*USERS, city]))
    with store:
        _open(svc)
        with pytest.raises(AccessDeniedError):
            svc.apply(CASE, "city-officer", st.SeekAgreement(), at=at(1))
        assert svc.council_of(svc.load(CASE)[0]).slug == "sefton"


# --- attacks correctly refused (coverage the other suites do not have) -------------------------


def test_actor_from_directory_a_subclass_claiming_equality_gets_only_the_directory_actor(
    service: CaseService,
) -> None:
    class Liar(Actor):
        def __eq__(self, other: object) -> bool:
            return True

        def __ne__(self, other: object) -> bool:
            return False

        __hash__ = Actor.__hash__

    _open(service)
    liar = Liar(actor_id="sam", role=Role.LA_OFFICER, council=COUNCIL)
    got = service.actor(liar)
    assert type(got) is Actor and got.role is Role.FAMILY
    with pytest.raises(AccessDeniedError):
        service.apply(CASE, liar, st.SeekAgreement(), at=at(1))


@pytest.mark.parametrize("tamper", ["certificate_rewritten", "certificate_removed",
                                    "item_renamed"])
def test_history_append_only_certificates_and_item_ids_never_rewritten_in_the_store(
    service: CaseService, tamper: str
) -> None:
    _mediation(service)
    record = service.store.load(MED)
    case = from_record(record)
    assert isinstance(case, MediationCase) and case.certificates
    cert = case.certificates[0]
    changes: dict[str, object] = {
        "certificate_rewritten": {"certificates": (
            attrs.evolve(cert, issued_on=cert.issued_on + dt.timedelta(days=20)),)},
        "certificate_removed": {"certificates": ()},
        "item_renamed": {"items": tuple(attrs.evolve(i, item_id="renamed")
                                        for i in case.items)},
    }[tamper]  # type: ignore[assignment]
    assert isinstance(changes, dict)
    with pytest.raises(InvalidInputError) as err:
        save(service.store, _later(case, changes), expected_version=record.version)
    assert err.value.rule_id == "case.history_append_only"
    assert CANARY not in str(err.value)
    assert service.store.load(MED) == record
    assert service.store.audit_trail(MED)[-1].outcome == "refused_invariant"
