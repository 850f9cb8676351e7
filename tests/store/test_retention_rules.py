"""The retention rules of issue 10, each test named after the rule it protects (on both backends
where the rule is the store's):

- retention counts from the child's or young person's date of birth, never a parent's;
- a case with no date of birth is due only N years after it closed (the graded fallback
  ``CLOSED_NO_DOB_PLUS_31``), never while it is open, and a case with a date of birth counts from
  it alone;
- a held case survives any number of saves and purges;
- a purge while another connection reads says honestly what it could not erase, and a later run
  leaves none of the erased bytes in the database, ``-wal`` or ``-shm`` files (SQLite) and no row
  holding them (PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import itertools
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import psycopg
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sen_disagreement.errors import InvalidInputError, LegalHoldError
from sen_disagreement.parties import Identifiers, Party, PartyKind, is_young_person
from sen_disagreement.provenance import Grade
from sen_disagreement.store import (
    CaseRecord,
    DeadlineEntry,
    OutboxMessage,
    RetentionTrigger,
    Store,
    open_store,
)
from sen_disagreement.store.retention import (
    CLOSED_NO_DOB_PLUS_31,
    MEDIATION_DOB_PLUS_31,
    SEN_FILE_DOB_PLUS_31,
    ClosureFallback,
    RetentionPolicy,
    add_years,
    common_practice_rules,
    expires_on,
    purge_expired,
)
from sen_disagreement.store.sqlite import SQLiteDialect, SQLiteStore
from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase
from sen_disagreement.workflow.records import save, to_record

Factory = Callable[..., Any]
T0 = dt.datetime(2025, 1, 13, 9, tzinfo=dt.UTC)
N = CLOSED_NO_DOB_PLUS_31.years
_ids = itertools.count(1)
# Hypothesis runs many examples on one store (the fixture is per test): each example gets its own
# council, so no example sees another's cases.
_EXAMPLES = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _council() -> str:
    return f"T{next(_ids):08d}"


def _policy(council: str) -> RetentionPolicy:
    return RetentionPolicy(council=council, rules=common_practice_rules(), confirmed=True)


def _due(store: Store, council: str, today: dt.date) -> set[str]:
    run = purge_expired(store, _policy(council), today=today, actor="dpo:1")
    return {case_id for ids in run.due.values() for case_id in ids}


# -- the fallback is a named, graded setting ---------------------------------------------------


def test_the_no_date_of_birth_fallback_is_a_named_unconfirmed_setting() -> None:
    assert CLOSED_NO_DOB_PLUS_31.name == "closed_no_dob_plus_31"
    assert CLOSED_NO_DOB_PLUS_31.years == 31
    assert CLOSED_NO_DOB_PLUS_31.provenance.grade is Grade.UNCONFIRMED
    assert "never shorter" in CLOSED_NO_DOB_PLUS_31.summary
    for rule in common_practice_rules():
        assert rule.no_date_of_birth is CLOSED_NO_DOB_PLUS_31
        assert rule.no_date_of_birth_years_after_closure == N
    # A council may keep its own period, or never purge a case without a date of birth.
    own = ClosureFallback(name="closed_plus_40", years=40, summary="council policy",
                          provenance=SEN_FILE_DOB_PLUS_31.provenance)
    assert attrs.evolve(SEN_FILE_DOB_PLUS_31, no_date_of_birth=own).no_date_of_birth is own
    never = attrs.evolve(MEDIATION_DOB_PLUS_31, no_date_of_birth=None)
    assert never.no_date_of_birth_years_after_closure is None


def test_only_a_date_of_birth_rule_falls_back_to_closure() -> None:
    with pytest.raises(InvalidInputError) as err:
        attrs.evolve(SEN_FILE_DOB_PLUS_31, trigger=RetentionTrigger.CASE_CLOSED)
    assert err.value.field == "no_date_of_birth"
    with pytest.raises(InvalidInputError) as err2:
        attrs.evolve(
            SEN_FILE_DOB_PLUS_31, trigger=RetentionTrigger.CLOSED_WITHOUT_DATE_OF_BIRTH,
            no_date_of_birth=None,
        )
    assert err2.value.field == "trigger"
    with pytest.raises(InvalidInputError) as err3:
        attrs.evolve(CLOSED_NO_DOB_PLUS_31, years=0)
    assert err3.value.field == "years"


@given(
    dob=st.dates(dt.date(1990, 1, 1), dt.date(2025, 1, 1)),
    age_at_closure_days=st.integers(0, 25 * 366),
)
def test_the_closure_fallback_never_purges_earlier_than_the_date_of_birth_would(
    dob: dt.date, age_at_closure_days: int
) -> None:
    closed = dob + dt.timedelta(days=age_at_closure_days)
    for rule in common_practice_rules():
        by_dob = expires_on(rule, dob)
        by_closure = expires_on(rule, None, closed_on=closed)
        assert by_dob is not None and by_closure is not None
        assert by_closure >= by_dob
        assert expires_on(rule, dob, closed_on=closed) == by_dob  # a known DOB wins
        assert expires_on(rule, None) is None  # open and no DOB: never due


# -- a parent's age never makes a case due -----------------------------------------------------


def _la() -> CaseParty:
    return CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                 identifiers=Identifiers(gss_code="E08000014")))


@_EXAMPLES
@given(
    parent_dob=st.dates(dt.date(1930, 1, 1), dt.date(2007, 1, 1)),
    child_dobs=st.lists(st.dates(dt.date(2001, 1, 1), T0.date()), max_size=2),
    young_person_dob=st.none() | st.dates(dt.date(2000, 2, 1), dt.date(2008, 8, 31)),
    closed_after=st.none() | st.integers(0, 4000),
    today=st.dates(dt.date(2025, 2, 1), dt.date(2080, 12, 31)),
)
def test_a_parents_date_of_birth_never_makes_a_case_due(
    store: Store,
    parent_dob: dt.date,
    child_dobs: list[dt.date],
    young_person_dob: dt.date | None,
    closed_after: int | None,
    today: dt.date,
) -> None:
    if young_person_dob is not None:
        assume(is_young_person(young_person_dob, T0.date()))
    subjects = [CaseParty(f"child{i}", Party(kind=PartyKind.CHILD, date_of_birth=d))
                for i, d in enumerate(child_dobs)]
    if young_person_dob is not None:
        subjects.append(CaseParty("yp", Party(kind=PartyKind.YOUNG_PERSON,
                                              date_of_birth=young_person_dob)))
    subject_dob = min([*child_dobs, *([young_person_dob] if young_person_dob else [])],
                      default=None)
    council = _council()
    outcomes = []
    # The same case twice: with the generated parent, and with a parent born in 1920 (whose
    # date of birth + 31 passed in 1951). Neither parent may change anything.
    for born in (parent_dob, dt.date(1920, 1, 1)):
        parent = CaseParty("parent", Party(kind=PartyKind.PARENT, date_of_birth=born))
        case = DisagreementResolutionCase.refer(
            case_id=f"DR-{next(_ids)}", council=council, parties=[parent, *subjects, _la()],
            at=T0, actor="officer-1",
        )
        if closed_after is not None:
            who = "parent" if young_person_dob is None else "yp"  # a young person decides
            case = case.seek_agreement(at=T0, actor="officer-1").withdraw(
                who, at=T0 + dt.timedelta(days=closed_after), actor="officer-1")
        record = to_record(case)
        assert record.subject_date_of_birth == subject_dob
        save(store, case, expected_version=0)
        expiry = expires_on(SEN_FILE_DOB_PLUS_31, subject_dob, closed_on=case.closed_on)
        expected = expiry is not None and expiry <= today
        outcomes.append(case.case_id in _due(store, council, today))
        assert outcomes[-1] is expected, (subject_dob, case.closed_on, born, today)
    assert outcomes[0] == outcomes[1]


# -- no date of birth: due N years after closure, only ----------------------------------------


@_EXAMPLES
@given(
    closed=st.dates(dt.date(1990, 1, 1), dt.date(2025, 1, 1)),
    today=st.dates(dt.date(2020, 1, 1), dt.date(2070, 12, 31)),
    kind=st.sampled_from(["mediation", "disagreement_resolution"]),
)
def test_a_case_without_a_date_of_birth_is_due_only_n_years_after_closure(
    store: Store, case_factory: Factory, closed: dt.date, today: dt.date, kind: str
) -> None:
    council = _council()
    case_id = f"NODOB-{next(_ids)}"
    store.save(case_factory(case_id, council=council, kind=kind, dob=None, closed_on=closed),
               0, actor="o:1")
    assert (case_id in _due(store, council, today)) is (add_years(closed, N) <= today)


def test_a_case_without_a_date_of_birth_and_open_is_never_due_and_a_dob_alone_counts(
    store: Store, case_factory: Factory
) -> None:
    council = _council()
    closed = dt.date(2000, 3, 1)
    for case_id, dob, closed_on, kind in [
        ("NODOB-CLOSED", None, closed, "mediation"),
        ("NODOB-DR", None, closed, "disagreement_resolution"),
        ("NODOB-OPEN", None, None, "mediation"),
        # Closed long ago but with a (recorded) date of birth: only the date of birth counts.
        ("DOB-CLOSED", dt.date(2020, 1, 1), dt.date(1990, 1, 1), "mediation"),
        ("NODOB-HELD", None, closed, "mediation"),
    ]:
        store.save(case_factory(case_id, council=council, kind=kind, dob=dob, closed_on=closed_on),
                   0, actor="o:1")
    store.set_legal_hold("NODOB-HELD", True, actor="dpo:1")
    # The store's fallback query picks closed cases with no date of birth, never held ones.
    assert store.retention_candidates(
        council=council, kind="mediation", trigger=RetentionTrigger.CLOSED_WITHOUT_DATE_OF_BIRTH,
        on_or_before=dt.date(2100, 1, 1),
    ) == ["NODOB-CLOSED"]
    day_before, due_day = dt.date(2031, 2, 28), dt.date(2031, 3, 1)
    assert _due(store, council, day_before) == set()
    run = purge_expired(store, _policy(council), today=due_day, actor="dpo:1")
    assert run.due == {"sen_file_dob_plus_31": ("NODOB-DR",),
                       "mediation_dob_plus_31": ("NODOB-CLOSED",)}
    assert run.due_from_closure == run.due
    assert _due(store, council, dt.date(2200, 1, 1)) == {"NODOB-CLOSED", "NODOB-DR", "DOB-CLOSED"}
    assert _due(store, council, dt.date(2050, 12, 31)) == {"NODOB-CLOSED", "NODOB-DR"}
    # A council that never purges a case without a date of birth.
    keep = RetentionPolicy(council=council, rules=[
        attrs.evolve(r, no_date_of_birth=None) for r in common_practice_rules()], confirmed=True)
    assert purge_expired(store, keep, today=dt.date(2200, 1, 1), actor="dpo:1").due == {
        "sen_file_dob_plus_31": (), "mediation_dob_plus_31": ("DOB-CLOSED",)}
    done = purge_expired(store, _policy(council), today=due_day, actor="dpo:1", dry_run=False)
    assert done.purge is not None and done.purge.purged == ("NODOB-DR", "NODOB-CLOSED")
    assert {r.case_id for r in store.find_cases(council)} == {
        "NODOB-OPEN", "DOB-CLOSED", "NODOB-HELD"}


# -- a held case survives any number of saves and purges ---------------------------------------

_OPS = st.lists(st.sampled_from(["save_clearing", "save_setting", "purge", "sweep"]),
                min_size=1, max_size=10)


@_EXAMPLES
@given(ops=_OPS)
def test_a_held_case_survives_any_number_of_saves_and_purges(
    store: Store, case_factory: Factory, ops: list[str]
) -> None:
    council = _council()
    n = next(_ids)
    held_ids = (f"HELD-DOB-{n}", f"HELD-NODOB-{n}")  # due by date of birth / by closure
    store.save(case_factory(held_ids[0], council=council, dob=dt.date(1960, 1, 1)), 0, actor="o:1")
    store.save(case_factory(held_ids[1], council=council, dob=None, closed_on=dt.date(1980, 1, 1)),
               0, actor="o:1")
    control = f"FREE-{n}"
    store.save(case_factory(control, council=council, dob=dt.date(1960, 1, 1)), 0, actor="o:1")
    for case_id in held_ids:
        store.set_legal_hold(case_id, True, actor="dpo:1")
    versions = dict.fromkeys(held_ids, 1)
    today = dt.date(2100, 1, 1)
    for step, op in enumerate(ops):
        if op.startswith("save"):
            for case_id in held_ids:
                current = store.load(case_id)
                # Whatever the record says, a save never changes a hold.
                record = attrs.evolve(current, document=f'{{"step":{step}}}',
                                      legal_hold=op == "save_setting")
                store.save(record, current.version, actor="o:1", fields=["step"])
                versions[case_id] += 1
        elif op == "purge":
            alive = [r.case_id for r in store.find_cases(council) if r.case_id == control]
            with pytest.raises(LegalHoldError):
                store.purge([*alive, *held_ids], actor="dpo:1")
            assert alive == [r.case_id for r in store.find_cases(council)  # nothing erased
                             if r.case_id == control]
        else:
            run = purge_expired(store, _policy(council), today=today, actor="dpo:1", dry_run=False)
            assert run.purge is not None
            assert not set(held_ids) & set(run.purge.purged)
            assert not set(held_ids) & {c for ids in run.due.values() for c in ids}
        for case_id in held_ids:
            stored = store.load(case_id)
            assert stored.legal_hold and stored.version == versions[case_id]
            assert "case.purged" not in {e.action for e in store.audit_trail(case_id)}
    # Released (the only way a hold changes), the held cases are due again.
    for case_id in held_ids:
        store.set_legal_hold(case_id, False, actor="dpo:1")
    assert set(held_ids) <= _due(store, council, today)


# -- a purge with a reader open ----------------------------------------------------------------


def _canary(tag: str, n: int) -> str:
    return f"canary{tag}{n}zq{n * 7919:06d}"


def _save_marked(store: Store, case_id: str, tag: str, council: str = "E08000014") -> None:
    """A case due for purge (no date of birth, closed in 1990) whose document, history, clock,
    outbox and audit fields all carry marker strings."""
    record = CaseRecord(
        case_id=case_id, council=council, kind="mediation", state="closed", version=0,
        document=f'{{"child":"{_canary(tag, 1)}","pad":"{"y" * 3000}"}}',
        created_at=T0, updated_at=T0,
        deadlines=(DeadlineEntry(clock_id=_canary(tag, 2), due=T0.date(), status="met"),),
        subject_date_of_birth=None, closed_on=dt.date(1990, 1, 1),
    )
    message = OutboxMessage(case_id=case_id, channel="email", template="closed",
                            idempotency_key=_canary(tag, 3), payload_ref=_canary(tag, 4))
    v = store.save(record, 0, actor=f"parent:{_canary(tag, 5)}", outbox=[message])
    for k in range(6, 9):  # superseded versions in the history
        v = store.save(attrs.evolve(v, document=f'{{"note":"{_canary(tag, k)}"}}'), v.version,
                       actor="officer:1", fields=[_canary(tag, 9)])


def _files(db: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in db.parent.iterdir() if p.name.startswith(db.name)}


def _markers_in(db: Path, tag: str) -> dict[str, list[str]]:
    """Which marker strings of ``tag`` each of the database's files holds (raw bytes)."""
    return {
        name: [_canary(tag, n) for n in range(1, 10) if _canary(tag, n).encode() in blob]
        for name, blob in _files(db).items()
    }


def _open_reader(db: Path) -> sqlite3.Connection:
    """Another connection holding a read snapshot (BEGIN + SELECT), as a report query or an
    online backup would."""
    reader = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM cases").fetchone()[0] >= 1
    return reader


def test_a_purge_with_a_reader_open_reports_what_remains_and_a_later_run_erases_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SQLiteDialect, "purge_patience", 0.3)
    db = tmp_path / "cases.sqlite3"
    policy = _policy("E08000014")
    store = SQLiteStore(db)
    _save_marked(store, "ENG-DOOMED-1", "d")
    _save_marked(store, "ENG-KEPT-1", "k")
    store.set_legal_hold("ENG-KEPT-1", True, actor="dpo:1")
    everything = sorted({m for found in _markers_in(db, "d").values() for m in found})
    assert everything == sorted(_canary("d", n) for n in range(1, 10))  # all on disk before

    reader = _open_reader(db)
    run = purge_expired(store, policy, today=T0.date(), actor="dpo:1", dry_run=False)
    report = run.purge
    assert report is not None and report.purged == ("ENG-DOOMED-1",)
    assert report.vacuumed and not report.wal_truncated and report.pending
    assert "-wal" in report.message and "next purge" in report.message
    # Honest: the bytes really are still on disk while the reader holds its snapshot.
    assert any(_markers_in(db, "d").values())
    # Still blocked: a run with nothing to purge tries again and still says so.
    again = purge_expired(store, policy, today=T0.date(), actor="dpo:1", dry_run=False).purge
    assert again is not None and again.purged == () and again.pending
    assert not again.vacuumed and not again.wal_truncated
    store.close()  # the reader keeps the WAL alive: the clean-up is owed across processes

    reader.execute("COMMIT")  # the reader is gone (its connection stays open)
    later = SQLiteStore(db)  # a later run, as a new process would make it
    settled = purge_expired(later, policy, today=T0.date(), actor="dpo:1", dry_run=False).purge
    assert settled is not None and settled.purged == ()
    assert settled.wal_truncated and not settled.pending and settled.message == ""
    files = _markers_in(db, "d")
    assert {f"{db.name}-wal", f"{db.name}-shm", db.name} <= set(files)
    assert all(found == [] for found in files.values()), files
    assert any(_markers_in(db, "k").values())  # the scan does see a kept case's markers
    assert later.load("ENG-KEPT-1").version == 4
    later.close()
    reader.close()
    assert not any(_markers_in(db, "d").values())


def test_a_purge_retries_while_a_reader_finishes_and_then_erases_every_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SQLiteDialect, "purge_patience", 10.0)
    db = tmp_path / "cases.sqlite3"
    store = SQLiteStore(db)
    _save_marked(store, "ENG-DOOMED-2", "r")
    reader = _open_reader(db)
    finished = threading.Timer(0.3, lambda: reader.execute("COMMIT"))
    finished.start()
    try:
        report = store.purge(["ENG-DOOMED-2"], actor="dpo:1")
    finally:
        finished.join()
    assert report.vacuumed and report.wal_truncated and not report.pending
    assert not any(_markers_in(db, "r").values())
    # With nothing owed, a run that purges nothing reports a clean file at once.
    assert store.purge([], actor="dpo:1") == attrs.evolve(report, purged=(), vacuumed=False)
    store.close()
    reader.close()


@pytest.mark.postgres
def test_a_postgres_purge_leaves_no_row_holding_the_erased_text(pg_url: str) -> None:
    store = open_store(pg_url)
    _save_marked(store, "ENG-DOOMED-3", "p")
    _save_marked(store, "ENG-KEPT-3", "q")
    store.set_legal_hold("ENG-KEPT-3", True, actor="dpo:1")

    def rows_holding(tag: str) -> dict[str, int]:
        with psycopg.connect(pg_url, autocommit=True) as c:
            tables = [t for (t,) in c.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")]
            found: dict[str, int] = {}
            for table in tables:
                pattern = f"%canary{tag}%"
                row = c.execute(
                    f"SELECT count(*) FROM {table} t WHERE t::text LIKE %s",  # every column
                    (pattern,),
                ).fetchone()
                assert row is not None
                if row[0]:
                    found[table] = int(row[0])
            return found

    assert set(rows_holding("p")) >= {"cases", "case_history", "deadlines", "outbox", "audit"}
    reader = psycopg.connect(pg_url)
    reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    assert reader.execute("SELECT count(*) FROM cases").fetchone() == (2,)
    run = purge_expired(store, _policy("E08000014"), today=T0.date(), actor="dpo:1",
                        dry_run=False)
    assert run.purge is not None and run.purge.purged == ("ENG-DOOMED-3",)
    assert run.purge.vacuumed and not run.purge.wal_truncated and not run.purge.pending
    assert "does not zero freed space" in run.purge.message  # says what VACUUM cannot do
    reader.rollback()
    reader.close()
    assert rows_holding("p") == {}
    assert set(rows_holding("q")) >= {"cases", "case_history", "audit"}
    [entry] = store.audit_trail("ENG-DOOMED-3")
    assert (entry.action, entry.fields) == ("case.purged", ())
    nothing = purge_expired(store, _policy("E08000014"), today=T0.date(), actor="dpo:1",
                            dry_run=False).purge
    assert nothing is not None and nothing.purged == () and not nothing.pending
    store.close()
