"""Hostile review of issue 14's "one successor check per save": ``CaseService._commit`` no longer
runs ``check_successor`` before ``records.save`` and relies on the store's guard
(``invariants.document_guard``) inside the save.

Each test is a caller (or a database user racing a command) trying to get a case that breaks
the history rules into the store through the public API (``CaseService``, ``records.save``,
``Store.save``, ``Store.save_many``), or to make an observer hear of entries that were never
stored. A test marked ``xfail(strict=True)`` is a break found in review (its reason says what
breaks and where); every other test is a guarantee that held, kept as a regression test.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import psycopg
import pytest

from sen_disagreement.actors import Actor, CaseGrant, Role, StaticActorDirectory
from sen_disagreement.council import CaseContext, CaseEvent, CouncilProfile, Provider
from sen_disagreement.disclosure import Disclosure, ItemKind
from sen_disagreement.ehc import Duty
from sen_disagreement.errors import InvalidInputError, SenDisagreementError, StaleWriteError
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.service import CaseService, OpenDisagreementResolution
from sen_disagreement.store import CaseRecord, Store
from sen_disagreement.store.contract import AuditEntry
from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase, invariants, records
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.audit import AuditTrail, make_entry
from sen_disagreement.workflow.invariants import COLUMNS_RULE, FACILITATOR_RECORDS, HISTORY_RULE
from sen_disagreement.workflow.issues import Issue

T0 = dt.datetime(2025, 1, 13, 9, tzinfo=dt.UTC)
COUNCIL = "E08000014"
CASE = "dr-s4-1"
OTHER = "dr-s4-2"
CANARY = "CANARY-wp-s4-51c0de"
"""Without-prejudice text: no error, audit row or event may carry it."""
REFUSALS = {HISTORY_RULE.rule_id, FACILITATOR_RECORDS.rule_id, COLUMNS_RULE.rule_id,
            "store.case_document"}
"""The guard's refusals: a history rule, a facilitator's record opened, columns that are not
the document's, or (read from its text alone) a document whose items refuse themselves."""

OFFICER = Actor(actor_id="officer-1", role=Role.LA_OFFICER, council=COUNCIL)
PARENT = Actor(actor_id="sam", role=Role.FAMILY,
               grants={CaseGrant(case_id=c, party_id="parent") for c in (CASE, OTHER)})
PROVIDER = Actor(actor_id="gm-1", role=Role.PROVIDER, organisation="global-mediation")
USERS = StaticActorDirectory([OFFICER, PARENT, PROVIDER])


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


LATE = dt.datetime(2025, 1, 22, 9, tzinfo=dt.UTC)


class Observer:
    """Every event observers are told, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dt.datetime]] = []

    @hookimpl
    def sen_after_case_event(self, council: CouncilProfile, event: CaseEvent) -> None:
        self.events.append((event.case_id, event.name, event.at))


@pytest.fixture
def observer() -> Observer:
    return Observer()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(the store's URL, its tables' owner's URL for direct SQL): a SQLite file, or PostgreSQL
    as the application role."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 's4.sqlite3'}"
        return url, url
    schema = request.getfixturevalue("pg_schema")
    return schema.app_url, schema.owner_url


def _raw(owner_url: str, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    """One statement as the owner of the tables (``?`` placeholders), committed."""
    if owner_url.startswith("sqlite"):
        c = sqlite3.connect(owner_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            return list(c.execute(sql, args).fetchall())
        finally:
            c.close()
    with psycopg.connect(owner_url, autocommit=True) as pc:
        cur = pc.execute(sql.replace("?", "%s"), args)
        return list(cur.fetchall()) if cur.description else []


@pytest.fixture
def service(urls: tuple[str, str], observer: Observer) -> Iterator[CaseService]:
    svc = CaseService.open(urls[0], directory=USERS, timeout=None)
    svc.hooks.plugin_manager.register(observer, name="s4-observer")
    with svc.store:
        yield svc


def _open(service: CaseService, case_id: str = CASE) -> None:
    parent = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"))
    la = CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                   identifiers=Identifiers(gss_code=COUNCIL)))
    service.open_case(OFFICER.actor_id, OpenDisagreementResolution(
        case_id=case_id, council=COUNCIL, parties=[parent, la],
        issues=[Issue(issue_id="review", duty=Duty.KEEP_PROVISION_UNDER_REVIEW)],
    ), at=at(0))


def _held(service: CaseService, case_id: str = CASE) -> None:
    """A case with consent recorded, the provider assigned, the meeting held, and a
    without-prejudice offer and a provider's confidential note on file."""
    _open(service, case_id)
    service.apply(case_id, "officer-1", st.SeekAgreement(), at=at(1))
    service.apply(case_id, "sam", st.AcceptDecision(party_id="parent"), at=at(2))
    service.apply(case_id, "officer-1", st.AcceptDecision(party_id="sefton"), at=at(3))
    service.apply(case_id, "officer-1", st.AssignProvider(), at=at(4))
    service.apply(case_id, "gm-1", st.ArrangeMeeting(meeting_date=dt.date(2025, 1, 20)),
                  at=at(5))
    service.apply(case_id, "gm-1", st.HoldMeeting(on=dt.date(2025, 1, 20)),
                  at=dt.datetime(2025, 1, 20, 15, tzinfo=dt.UTC))
    service.apply(case_id, "officer-1", st.RecordItem(
        item_id="offer-1", kind=ItemKind.OFFER, disclosure=Disclosure.WITHOUT_PREJUDICE,
        in_meeting=True, text=f"{CANARY} termly reviews offered"),
        at=dt.datetime(2025, 1, 20, 16, tzinfo=dt.UTC))
    service.apply(case_id, "gm-1", st.RecordItem(
        item_id="note-1", kind=ItemKind.NOTE, disclosure=Disclosure.CONFIDENTIAL,
        text=f"{CANARY} mediator's note"), at=dt.datetime(2025, 1, 20, 17, tzinfo=dt.UTC))


def _stored(store: Store, case_id: str = CASE) -> DisagreementResolutionCase:
    case = records.from_record(store.load(case_id))
    assert isinstance(case, DisagreementResolutionCase)
    return case


def _next(case: DisagreementResolutionCase, **changes: Any) -> DisagreementResolutionCase:
    """``case`` changed by ``changes`` with one honest new audit entry (unless ``audit`` is
    among the changes)."""
    if "audit" not in changes:
        changes["audit"] = case.audit.append(make_entry(
            actor="officer-1", action="dr.note", at=LATE, case_id=case.case_id))
    return attrs.evolve(case, **changes)


def _forced(value: Any, **changes: Any) -> Any:
    """A copy of a frozen value with ``changes`` set past its own checks (a caller that skips the
    constructor's rules; the original, shared with the stored version, is left alone)."""
    new = copy.copy(value)
    assert new is not value
    for name, changed in changes.items():
        object.__setattr__(new, name, changed)
    return new


def _forgeries(case: DisagreementResolutionCase) -> dict[str, DisagreementResolutionCase]:
    """Every history-breaking successor of ``case`` a careless or hostile caller could build
    with ``attrs.evolve`` (each with a new audit entry, so only the rule it breaks refuses it)."""
    items = case.items
    offer = next(i for i in items if i.item_id == "offer-1")
    rest = tuple(i for i in items if i is not offer)
    entries = case.audit.entries
    new_entry = make_entry(actor="officer-1", action="dr.note", at=LATE, case_id=case.case_id)
    ledger = case.ledger
    assert case.provider is not None and ledger.entries
    other_provider = attrs.evolve(case.provider, party=attrs.evolve(
        case.provider.party, name="Another Provider Ltd"))

    def trail(*es: AuditEntry) -> AuditTrail:
        return attrs.evolve(case.audit, entries=es)

    return {
        "offer_relabelled_parties": _next(case, items=(
            _forced(offer, disclosure=Disclosure.PARTIES), *rest)),
        "offer_relabelled_public": _next(case, items=(
            _forced(offer, disclosure=Disclosure.PUBLIC), *rest)),
        "offer_moved_out_of_the_meeting": _next(case, items=(
            _forced(offer, in_meeting=False, kind=ItemKind.DOCUMENT,
                    disclosure=Disclosure.PARTIES), *rest)),
        "note_relabelled_confidential_to_parties": _next(case, items=tuple(
            attrs.evolve(i, disclosure=Disclosure.PARTIES) if i.item_id == "note-1" else i
            for i in items)),
        "offer_text_rewritten": _next(case, items=(
            attrs.evolve(offer, text="nothing was offered"), *rest)),
        "offer_author_rewritten": _next(case, items=(
            attrs.evolve(offer, recorded_by="sam"), *rest)),
        "offer_removed": _next(case, items=rest),
        "offer_shadowed_by_a_copy": _next(case, items=(
            _forced(offer, disclosure=Disclosure.PARTIES, text="nothing"), *items)),
        "trail_cut": _next(case, audit=trail(*entries[:3], new_entry)),
        "trail_emptied_but_one": _next(case, audit=trail(new_entry)),
        "entry_rewritten": _next(case, audit=trail(
            attrs.evolve(entries[0], actor="someone-else"), *entries[1:], new_entry)),
        "entry_reordered": _next(case, audit=trail(
            entries[1], entries[0], *entries[2:], new_entry)),
        "no_new_entry": attrs.evolve(case, items=(*items,)),
        "new_entry_earlier_than_the_last": _next(case, audit=trail(
            *entries, attrs.evolve(new_entry, at=at(4.5)))),
        "new_entry_of_another_case": _next(case, audit=trail(
            *entries, attrs.evolve(new_entry, case_id=OTHER))),
        "ledger_rewritten": _next(case, ledger=attrs.evolve(
            ledger, entries=(attrs.evolve(ledger.entries[0], party_id="sefton"),
                             *ledger.entries[1:]))),
        "ledger_cut": _next(case, ledger=attrs.evolve(ledger, entries=ledger.entries[:1])),
        "provider_removed": _next(case, provider=None),
        "provider_changed": _next(case, provider=other_provider),
        "council_changed": _next(case, council="E08000015"),
        "created_at_changed": _next(case, created_at=T0 - dt.timedelta(days=1)),
    }


FORGERIES = ("offer_relabelled_parties", "offer_relabelled_public",
             "offer_moved_out_of_the_meeting",
             "note_relabelled_confidential_to_parties", "offer_text_rewritten",
             "offer_author_rewritten", "offer_removed", "offer_shadowed_by_a_copy", "trail_cut",
             "trail_emptied_but_one", "entry_rewritten", "entry_reordered", "no_new_entry",
             "new_entry_earlier_than_the_last", "new_entry_of_another_case", "ledger_rewritten",
             "ledger_cut", "provider_removed", "provider_changed", "council_changed",
             "created_at_changed")


def _snapshot(store: Store, case_id: str = CASE) -> tuple[object, ...]:
    """Everything of a case a refused save must leave as it was (its audit rows but the
    refusal's)."""
    return (store.load(case_id), store.history(case_id),
            [(e.seq, e.outcome) for e in store.audit_trail(case_id)],
            store.deadlines_between(None, dt.date(2100, 1, 1)))


def _assert_refused_and_audited(store: Store, before: tuple[object, ...],
                                call: Callable[[], object]) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as err:
        call()
    exc = err.value
    assert exc.rule_id in REFUSALS, (exc.rule_id, exc.field)
    assert exc.field
    assert CANARY not in str(exc) and CANARY not in repr(exc.__dict__)
    after = _snapshot(store)
    assert after[:2] == before[:2] and after[3] == before[3]  # nothing of the case written
    trail = after[2]
    assert isinstance(trail, list) and trail[:-1] == before[2]
    assert trail[-1][1] == "refused_invariant"  # the refusal, audited by the store
    return exc


def _via_records_save(store: Store, case: DisagreementResolutionCase, version: int) -> object:
    return records.save(store, case, expected_version=version)


def _via_store_save(store: Store, case: DisagreementResolutionCase, version: int) -> object:
    return store.save(records.to_record(case, version=version), version, actor="officer-1")


def _via_store_save_from_text(store: Store, case: DisagreementResolutionCase,
                              version: int) -> object:
    # The record's text alone, as a caller writing the JSON itself would give it: no case is
    # remembered for the text (the guard structures it).
    record = records.to_record(case, version=version)
    invariants._CASES.clear()
    return store.save(record, version, actor="officer-1")


ENTRY_POINTS = {"records.save": _via_records_save, "Store.save": _via_store_save,
                "Store.save-from-text": _via_store_save_from_text}


@pytest.mark.parametrize("entry_point", list(ENTRY_POINTS))
@pytest.mark.parametrize("forgery", FORGERIES)
def test_history_append_only_every_forged_successor_is_refused_audited_and_unwritten(
    service: CaseService, observer: Observer, forgery: str, entry_point: str
) -> None:
    _held(service)
    store = service.store
    before = _snapshot(store)
    told = list(observer.events)
    case = _stored(store)
    forged = _forgeries(case)[forgery]
    version = store.load(CASE).version
    _assert_refused_and_audited(
        store, before, functools.partial(ENTRY_POINTS[entry_point], store, forged, version))
    assert observer.events == told
    # and the service still works on the case afterwards, from the stored version
    service.apply(CASE, "gm-1", st.RecordItem(
        item_id="after", kind=ItemKind.NOTE, disclosure=Disclosure.CONFIDENTIAL, text="x"),
        at=LATE)
    assert store.load(CASE).version == version + 1
    assert observer.events == [*told, (CASE, "dr.record_item", LATE)]


def test_case_keeps_its_id_a_successor_saved_for_another_case_is_refused_and_audited(
    service: CaseService,
) -> None:
    _held(service)
    _held(service, OTHER)
    store = service.store
    before = _snapshot(store)
    other_before = _snapshot(store, OTHER)
    successor = _next(_stored(store))  # CASE's honest next version...
    record = records.to_record(successor, version=store.load(CASE).version)
    # ...saved as OTHER's next version (same version number)
    forged = attrs.evolve(record, case_id=OTHER, version=store.load(OTHER).version)
    with pytest.raises(InvalidInputError) as err:
        store.save(forged, forged.version, actor="officer-1")
    assert err.value.rule_id in REFUSALS
    assert _snapshot(store) == before
    after = _snapshot(store, OTHER)
    assert after[:2] == other_before[:2]
    assert [o for _, o in after[2]][-1] == "refused_invariant"  # type: ignore[attr-defined]


def test_save_many_refuses_every_case_that_breaks_the_rules_on_its_own_and_writes_nothing(
    service: CaseService,
) -> None:
    _held(service)
    store = service.store
    case = _stored(store)
    fresh = "dr-s4-import"

    def new(changes: dict[str, Any], fresh: str = fresh) -> CaseRecord:
        base = attrs.evolve(case, case_id=fresh, audit=AuditTrail(
            case_id=fresh, entries=tuple(attrs.evolve(e, case_id=fresh)
                                         for e in case.audit.entries)))
        return records.to_record(attrs.evolve(base, **changes))

    note = next(i for i in case.items if i.item_id == "note-1")
    bad: dict[str, dict[str, Any]] = {
        "facilitator_note_open": {"items": tuple(
            attrs.evolve(i, disclosure=Disclosure.PARTIES) if i is note else i
            for i in case.items)},
        "duplicate_item_id": {"items": (*case.items, note)},
        "entries_of_another_case": {"audit": AuditTrail(case_id=fresh + "-b", entries=tuple(
            attrs.evolve(e, case_id=OTHER) for e in case.audit.entries))},
    }
    trail = store.audit_trail()
    for name, changes in bad.items():
        with pytest.raises(InvalidInputError) as err:
            store.save_many([new({}), new(changes, fresh + "-b")], actor="officer-1")
        assert err.value.rule_id in REFUSALS, name
        assert err.value.field.startswith("records[1]"), (name, err.value.field)
        assert CANARY not in str(err.value)
        assert store.find_cases(COUNCIL, after_case_id="dr-s4-h") == [], name
        # Nothing of the import is written; its refusal is audited on the case it named.
        added = store.audit_trail()[len(trail):]
        assert [(e.case_id, e.outcome) for e in added] == [
            (fresh + "-b", "refused_invariant")], name
        trail = store.audit_trail()
    assert store.save_many([new({})], actor="officer-1") == 1


# --- observers: told exactly what was stored ---------------------------------------------------


def _events_of(store: Store, case_id: str, since: int) -> list[tuple[str, str, dt.datetime]]:
    entries = _stored(store, case_id).audit.entries[since:]
    return [(case_id, e.action, e.at) for e in entries]


def test_observers_are_told_each_new_entry_once_in_order_and_nothing_of_other_cases(
    service: CaseService, observer: Observer,
) -> None:
    _held(service)
    assert observer.events == _events_of(service.store, CASE, 0)
    _held(service, OTHER)
    assert observer.events == _events_of(service.store, CASE, 0) + _events_of(
        service.store, OTHER, 0)
    assert len(observer.events) == len(set(observer.events))
    # every event is of an entry the store wrote, with its time
    stored = {(e.case_id, e.action, e.at) for e in service.store.audit_trail()
              if e.outcome == "ok"}
    assert set(observer.events) <= stored


def test_observers_are_never_told_of_a_step_that_went_stale(
    service: CaseService, observer: Observer,
) -> None:
    _open(service)
    told = list(observer.events)
    with pytest.raises(StaleWriteError):
        service.apply(CASE, "officer-1", st.SeekAgreement(), at=at(1), expected_version=0)
    assert observer.events == told


class _RacesTheCommand:
    """A provider-choosing plugin called between the command's load and its save, standing in
    for a database user (or another server) changing the stored case meanwhile."""

    def __init__(self, act: Callable[[], None]) -> None:
        self.act = act
        self.calls = 0

    @hookimpl
    def sen_choose_provider(self, case: CaseContext) -> Provider | None:
        self.calls += 1
        self.act()
        return None


def _opened_and_agreed(service: CaseService) -> None:
    _open(service)
    service.apply(CASE, "officer-1", st.SeekAgreement(), at=at(1))
    service.apply(CASE, "sam", st.AcceptDecision(party_id="parent"), at=at(2))
    service.apply(CASE, "officer-1", st.AcceptDecision(party_id="sefton"), at=at(3))


def test_a_step_refused_by_the_stores_guard_is_audited_and_no_observer_hears_of_it(
    service: CaseService, observer: Observer, urls: tuple[str, str],
) -> None:
    # The stored document is rewritten in place (same version) while the step runs: an entry is
    # added to its trail, which the service's new version (built from the version it loaded)
    # lacks. The service no longer checks the history itself: the store's guard must refuse.
    _opened_and_agreed(service)
    store = service.store
    loaded = _stored(store)
    version = store.load(CASE).version
    planted = records.to_record(_next(loaded), version=version).document

    def rewrite() -> None:
        _raw(urls[1], "UPDATE cases SET document = ? WHERE case_id = ?", (planted, CASE))

    racer = _RacesTheCommand(rewrite)
    service.hooks.plugin_manager.register(racer, name="racer")
    told = list(observer.events)
    rows = [(e.seq, e.outcome) for e in store.audit_trail(CASE)]
    queued = _raw(urls[1], "SELECT COUNT(*) FROM outbox")
    with pytest.raises(InvalidInputError) as err:
        service.apply(CASE, "officer-1", st.AssignProvider(), at=at(4))
    assert racer.calls == 1
    assert _raw(urls[1], "SELECT COUNT(*) FROM outbox") == queued  # no message of it either
    assert err.value.rule_id == HISTORY_RULE.rule_id and err.value.field == "audit"
    assert observer.events == told  # nobody told of an assignment that was never stored
    after = [(e.seq, e.outcome) for e in store.audit_trail(CASE)]
    assert after[:-1] == rows and after[-1][1] == "refused_invariant"
    record = store.load(CASE)
    assert record.version == version and record.document == planted  # nothing written
    planted_case = records.case_from_document(record.document, kind=record.kind)
    assert isinstance(planted_case, DisagreementResolutionCase)
    assert planted_case.provider is None


def test_a_step_overtaken_by_another_save_is_stale_and_no_observer_hears_of_it(
    service: CaseService, observer: Observer,
) -> None:
    _opened_and_agreed(service)
    store = service.store

    def overtake() -> None:
        case = _stored(store)
        records.save(store, _next(case), expected_version=store.load(CASE).version)

    racer = _RacesTheCommand(overtake)
    service.hooks.plugin_manager.register(racer, name="racer")
    told = list(observer.events)
    with pytest.raises(StaleWriteError):
        service.apply(CASE, "officer-1", st.AssignProvider(), at=at(4))
    assert observer.events == told
    assert store.audit_trail(CASE)[-1].outcome == "refused_stale"
    assert _stored(store).provider is None


def test_of_many_commands_racing_on_one_version_one_is_stored_and_only_it_is_observed(
    service: CaseService, observer: Observer,
) -> None:
    # Threads (each its own connection) take different steps on the same stored version: one
    # is stored, the rest are stale; observers hear of the stored one's entry only.
    _held(service)
    store = service.store
    version = store.load(CASE).version
    told = list(observer.events)
    barrier = threading.Barrier(6)
    results: dict[int, object] = {}

    def step(n: int) -> None:
        barrier.wait()
        try:
            results[n] = service.apply(CASE, "gm-1", st.RecordItem(
                item_id=f"race-{n}", kind=ItemKind.NOTE, disclosure=Disclosure.CONFIDENTIAL,
                text=f"note {n}"), at=LATE + dt.timedelta(minutes=n), expected_version=version)
        except StaleWriteError as exc:
            results[n] = exc

    threads = [threading.Thread(target=step, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    won = [n for n, r in results.items() if isinstance(r, CaseRecord)]
    assert len(results) == 6 and len(won) == 1, results
    assert all(isinstance(r, StaleWriteError) for n, r in results.items() if n != won[0])
    case = _stored(store)
    assert [i.item_id for i in case.items if i.item_id.startswith("race-")] == [f"race-{won[0]}"]
    assert observer.events == [*told, (CASE, "dr.record_item", LATE + dt.timedelta(
        minutes=won[0]))]
    assert observer.events[len(told):] == _events_of(store, CASE, len(case.audit) - 1)


# --- breaks found in review, now mended --------------------------------------------


@attrs.frozen(kw_only=True, eq=False)
class _ClaimsEquality(AuditEntry):
    """An audit entry equal to every value (``==`` and ``!=`` both lie)."""

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = AuditEntry.__hash__


class _PosesAs(str):
    """Text comparing equal to another string while holding its own."""

    pose = ""

    def __eq__(self, other: object) -> bool:
        return other == self.pose

    def __ne__(self, other: object) -> bool:
        return other != self.pose

    __hash__ = str.__hash__


# Found in review (they predated this session): to_record remembered the caller's case object
# for its text whatever its classes, so the store's guard judged that object rather than the text
# it stored. Now only a case the compiled encoder writes (the library's own class, every value
# of exactly its declared type) is remembered; any other is read back from its text.


@pytest.mark.parametrize("entry_point", ["records.save", "Store.save"])
def test_an_entry_claiming_equality_never_rewrites_the_stored_trail(
    service: CaseService, entry_point: str
) -> None:
    _held(service)
    store = service.store
    case = _stored(store)
    first = case.audit.entries[0]
    liar = _ClaimsEquality(actor="someone-else", action=first.action, at=first.at,
                           case_id=first.case_id, outcome=first.outcome, fields=first.fields)
    forged = _next(case, audit=attrs.evolve(case.audit, entries=(
        liar, *case.audit.entries[1:], make_entry(actor="officer-1", action="dr.note", at=LATE,
                                                  case_id=CASE))))
    version = store.load(CASE).version
    with pytest.raises(SenDisagreementError):
        ENTRY_POINTS[entry_point](store, forged, version)
    stored = store.load(CASE)
    text_case = records.case_from_document(stored.document, kind=stored.kind)
    assert text_case.audit.entries[0].actor == "officer-1"


@pytest.mark.parametrize("entry_point", ["records.save", "Store.save"])
def test_text_posing_as_the_stored_text_never_rewrites_a_without_prejudice_offer(
    service: CaseService, entry_point: str
) -> None:
    _held(service)
    store = service.store
    case = _stored(store)
    offer = next(i for i in case.items if i.item_id == "offer-1")
    posing = _PosesAs("the LA offered nothing")
    posing.pose = offer.text
    forged = _next(case, items=tuple(attrs.evolve(i, text=posing) if i is offer else i
                                     for i in case.items))
    version = store.load(CASE).version
    with pytest.raises(SenDisagreementError):
        ENTRY_POINTS[entry_point](store, forged, version)
    stored = store.load(CASE)
    text_case = records.case_from_document(stored.document, kind=stored.kind)
    assert next(i for i in text_case.items if i.item_id == "offer-1").text == offer.text


@attrs.frozen(kw_only=True)
class _HostCase(DisagreementResolutionCase):
    """A caller's own case class (it could override any view the service reads)."""


def test_a_load_never_returns_the_callers_own_case_class_or_object(service: CaseService) -> None:
    _held(service)
    store = service.store
    case = _stored(store)
    mine = _next(_HostCase(**{a.name: getattr(case, a.name)
                              for a in attrs.fields(DisagreementResolutionCase)}))
    assert type(mine) is _HostCase
    try:
        records.save(store, mine, expected_version=store.load(CASE).version)
    except InvalidInputError:
        return  # refusing a foreign class is a fix too
    loaded, _ = service.load(CASE)
    assert type(loaded) is DisagreementResolutionCase
    assert loaded is not mine


# Found in review: a case with no audit entry raised a raw IndexError in records.save and
# to_record; the store's guard now refuses it, audited as the system's refusal.
@pytest.mark.parametrize("stored", [False, True], ids=["new-case", "stored-case"])
def test_records_save_of_a_case_with_no_audit_entries_is_a_typed_refusal(
    service: CaseService, stored: bool
) -> None:
    _open(service)
    case = _stored(service.store)
    if not stored:
        case = attrs.evolve(case, case_id="dr-s4-new", audit=AuditTrail(case_id="dr-s4-new"))
    else:
        case = attrs.evolve(case, audit=AuditTrail(case_id=CASE))
    version = 1 if stored else 0
    with pytest.raises(InvalidInputError) as err:
        records.save(service.store, case, expected_version=version)
    assert err.value.rule_id == HISTORY_RULE.rule_id
    if stored:
        assert service.store.audit_trail(CASE)[-1].outcome == "refused_invariant"
