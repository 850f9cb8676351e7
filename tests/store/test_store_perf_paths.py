"""The write paths the issue 14 performance work added to the store, on both backends: the save's
one-statement read of the case row and its chain head (SQLite), a chain head inserted once with
its final values, skipped clock statements, the written-out canonical row of the chain, and the
batched import's rows built in one pass. Each must keep every guarantee of the path it replaced:
the chain verifies, a purged case's chain continues, stale writes are refused and audited, a
tampered head is a typed error."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from sen_disagreement.errors import NotFoundError, StaleWriteError, StoredDataError, StoreError
from sen_disagreement.store import AuditEntry, CaseRecord, DeadlineEntry, Store, open_store
from sen_disagreement.store.chain import (
    GENESIS,
    _canonical,
    link,
    link_us,
    micros,
)
from sen_disagreement.store.sqlite import SQLiteStore

from .conftest import T0, Clock, make_case

CASE = "ENG-E08000014-2025-000001"


def _reference(row: list[object]) -> str:
    """The canonical row as the chain was first defined: ``json.dumps`` with these options."""
    return json.dumps(row, separators=(",", ":"), ensure_ascii=True)


@pytest.mark.parametrize("actor", ["officer-1", "caf\u00e9-officer", "q\"uote\\back", "\U0001f600"])
@pytest.mark.parametrize("case_id", [None, CASE])
@pytest.mark.parametrize("doc", [None, (3, "a" * 64)])
def test_the_written_out_canonical_row_is_the_encoders_byte_for_byte(
    actor: str, case_id: str | None, doc: tuple[int, str] | None
) -> None:
    version, digest = (None, None) if doc is None else doc
    row: list[object] = [GENESIS, 1736154000000000, actor, "case.saved", case_id, "ok",
                         "state,deadlines", 1736154000000001, version, digest]
    written = _canonical(*row)  # type: ignore[arg-type]
    assert written == _reference(row)
    at = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
    assert link_us(*row) == link(  # type: ignore[arg-type]
        GENESIS, at=at, actor=actor, action="case.saved", case_id=case_id, outcome="ok",
        fields="state,deadlines", committed_at=at + dt.timedelta(microseconds=1),
        doc_version=version, doc_hash=digest)


def test_a_value_of_another_type_goes_through_the_encoder_itself() -> None:
    # A bool where an int goes is written by the encoder as JSON true (never as "True").
    row: list[object] = [GENESIS, 1, "a", "b", None, "ok", "", 2, True, None]
    assert _canonical(*row) == _reference(row)  # type: ignore[arg-type]
    assert _canonical(*row).endswith(",true,null]")  # type: ignore[arg-type]


def test_micros_is_the_stored_timestamp() -> None:
    assert micros(dt.datetime(1970, 1, 1, 0, 0, 0, 7, tzinfo=dt.UTC)) == 7
    assert micros(T0) == (T0 - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(
        microseconds=1)


def _chain(store: Store, case_id: str) -> list[AuditEntry]:
    return store.audit_trail(case_id)


def test_new_case_then_updates_chain_and_verify(store: Store, clock: Clock) -> None:
    saved = store.save(make_case(CASE), 0, actor="officer-1", fields=["state"])
    assert saved.version == 1
    for v in range(1, 4):
        clock.advance(dt.timedelta(minutes=1))
        saved = store.save(make_case(CASE, state=f"s{v}", version=v), v, actor="officer-1")
    report = store.verify(CASE)
    assert report.ok, report.first_break
    assert report.rows == 4 and report.documents == 4
    assert [h[2] for h in report.heads] == [4]
    assert [e.committed_at for e in _chain(store, CASE)] == [
        T0 + dt.timedelta(minutes=m) for m in range(4)]


def test_a_stale_save_is_refused_and_audited_in_the_chain(store: Store) -> None:
    store.save(make_case(CASE), 0, actor="officer-1")
    with pytest.raises(StaleWriteError):
        store.save(make_case(CASE), 0, actor="officer-2")  # the case exists: stale
    with pytest.raises(StaleWriteError):
        store.save(make_case("ENG-E08000014-2025-000404", version=3), 3, actor="officer-2")
    outcomes = [(e.actor, e.outcome) for e in _chain(store, CASE)]
    assert outcomes == [("officer-1", "ok"), ("officer-2", "refused_stale")]
    # The refusal of a case that does not exist starts that id's chain, and it verifies.
    assert [e.outcome for e in _chain(store, "ENG-E08000014-2025-000404")] == ["refused_stale"]
    assert store.verify().ok


def test_clock_rows_follow_every_save_including_none(store: Store) -> None:
    due = dt.date(2025, 2, 5)
    store.save(make_case(CASE, deadlines=()), 0, actor="officer-1")
    assert store.load(CASE).deadlines == ()
    two = (DeadlineEntry(clock_id="a_clock", due=due, status="running"),
           DeadlineEntry(clock_id="b_clock", due=due, status="met"))
    store.save(make_case(CASE, version=1, deadlines=two), 1, actor="officer-1")
    assert store.load(CASE).deadlines == two
    store.save(make_case(CASE, version=2, deadlines=()), 2, actor="officer-1")
    assert store.load(CASE).deadlines == ()
    store.save(make_case(CASE, version=3, deadlines=two[:1]), 3, actor="officer-1")
    history = store.history(CASE)
    assert [h.deadlines for h in history] == [(), two, (), two[:1]]
    assert store.deadlines_between(due, due) == [
        (CASE, "E08000014", "mediation", "received", "a_clock", due, "running")]
    assert store.verify(CASE).ok


def test_a_purged_case_id_saved_again_continues_the_purge_chain(store: Store) -> None:
    store.save(make_case(CASE), 0, actor="officer-1")
    store.purge([CASE], actor="officer-1")
    (purged,) = _chain(store, CASE)  # the purge entry starts a new chain for the id
    assert purged.action == "case.purged"
    store.save(make_case(CASE), 0, actor="officer-1")
    assert [e.action for e in _chain(store, CASE)] == ["case.purged", "case.saved"]
    report = store.verify(CASE)
    assert report.ok, report.first_break
    assert [h[2] for h in report.heads] == [2]


def test_an_import_over_purged_ids_continues_their_chains(store: Store) -> None:
    ids = [f"ENG-E08000014-2025-00010{k}" for k in range(4)]
    store.save_many([make_case(i) for i in ids[:2]], actor="import-1")
    store.purge(ids[:2], actor="officer-1")
    assert store.save_many([make_case(i) for i in ids], actor="import-1") == 4
    for i in ids[:2]:
        assert [e.action for e in _chain(store, i)] == ["case.purged", "case.imported"]
    for i in ids[2:]:
        assert [e.action for e in _chain(store, i)] == ["case.imported"]
    report = store.verify()
    assert report.ok, report.first_break
    assert {c: n for c, _h, n in report.heads if c in ids} == {
        ids[0]: 2, ids[1]: 2, ids[2]: 1, ids[3]: 1}


def test_an_import_writes_every_row_of_every_case(store: Store) -> None:
    due = dt.date(2025, 3, 1)
    recs = [
        make_case("ENG-E08000014-2025-000201", deadlines=()),
        make_case("ENG-E08000014-2025-000202", dob=None, closed_on=dt.date(2025, 1, 31)),
        make_case("ENG-E08000014-2025-000203", legal_hold=True, deadlines=(
            DeadlineEntry(clock_id="a_clock", due=due, status="running"),
            DeadlineEntry(clock_id="b_clock", due=due, status="met"))),
    ]
    store.save_many(recs, actor="import-1")
    for r in recs:
        loaded = store.load(r.case_id)
        # Stored as version 1, never held (a hold is set by set_legal_hold only).
        expected = CaseRecord(**{**{a: getattr(r, a) for a in (
            "case_id", "council", "kind", "state", "document", "created_at", "updated_at",
            "deadlines", "subject_date_of_birth", "closed_on")}, "version": 1})
        assert loaded == expected
    assert len(store.deadlines_between(due, due, status="met")) == 1
    report = store.verify()
    assert report.ok and report.documents == 3


def test_an_import_of_an_existing_case_writes_nothing_but_its_refusal(store: Store) -> None:
    store.save(make_case(CASE), 0, actor="officer-1")
    with pytest.raises(StaleWriteError):
        store.save_many([make_case("ENG-E08000014-2025-000301"), make_case(CASE)],
                        actor="import-1")
    assert [(e.action, e.case_id, e.outcome) for e in store.audit_trail()] == [
        ("case.saved", CASE, "ok"), ("case.imported", CASE, "refused_stale")]
    assert store.audit_trail("ENG-E08000014-2025-000301") == []
    assert store.verify().ok


def test_append_audit_sets_only_the_stored_fields(store: Store, clock: Clock) -> None:
    entry = AuditEntry(actor="officer-1", action="item.read", at=T0, case_id=CASE,
                       fields=("items[0].text",))
    stored = store.append_audit(entry)
    assert stored.seq >= 1 and stored.committed_at == clock.now()
    assert (stored.actor, stored.action, stored.at, stored.case_id, stored.fields) == (
        "officer-1", "item.read", T0, CASE, ("items[0].text",))
    assert store.audit_trail(CASE) == [stored]


@pytest.mark.parametrize("bad", ["n = 'x'", "last_committed = 'x'", "last_committed = 1e300"])
def test_a_tampered_chain_head_read_with_the_case_row_is_a_typed_error(
    tmp_path: Path, bad: str
) -> None:
    # SQLite reads the head in the save's first statement: decoded as _heads decodes it.
    path = tmp_path / "store.sqlite3"
    store = open_store(f"sqlite:///{path}")
    try:
        store.save(make_case(CASE), 0, actor="officer-1")
        c = sqlite3.connect(path, isolation_level=None)
        c.execute(f"UPDATE audit_chain SET {bad} WHERE chain = ?", (CASE,))
        c.close()
        with pytest.raises(StoredDataError) as info:
            store.save(make_case(CASE, version=1, state="held"), 1, actor="officer-1")
        assert info.value.field == "audit_chain" and info.value.case_id == CASE
        assert store.load(CASE).version == 1  # nothing of the save was written
        assert [e.outcome for e in store.audit_trail(CASE)] == ["ok"]
    finally:
        store.close()


# The SQLite write transaction, now a plain context manager: each way out of it.


def test_a_write_lock_held_past_busy_timeout_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = SQLiteStore(path, busy_timeout=0.05)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="stayed locked by another writer"):
            store.save(make_case(CASE), 0, actor="officer-1")
        holder.execute("ROLLBACK")
        store.save(make_case(CASE), 0, actor="officer-1")  # the store's connection is usable
        assert store.load(CASE).version == 1
    finally:
        holder.close()
        store.close()


def test_a_driver_fault_inside_the_write_rolls_it_back_as_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = SQLiteStore(path)
    try:
        raw = sqlite3.connect(path, isolation_level=None)
        raw.execute("ALTER TABLE audit_chain RENAME TO audit_chain_gone")  # the head's table
        raw.close()
        with pytest.raises(StoreError, match="the write was not committed") as info:
            store.save(make_case(CASE), 0, actor="officer-1")
        assert info.value.__cause__ is None and info.value.__suppress_context__
        raw = sqlite3.connect(path, isolation_level=None)
        assert raw.execute("SELECT count(*) FROM cases").fetchone() == (0,)  # rolled back
        raw.execute("ALTER TABLE audit_chain_gone RENAME TO audit_chain")
        raw.close()
        store.save(make_case(CASE), 0, actor="officer-1")
        assert store.verify().ok
    finally:
        store.close()


def test_a_refused_commit_rolls_the_write_back(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = SQLiteStore(path)
    try:
        c = store._conn()

        def no_commit(action: int, arg1: str | None, *_: object) -> int:
            refuse = action == sqlite3.SQLITE_TRANSACTION and arg1 == "COMMIT"
            return sqlite3.SQLITE_DENY if refuse else sqlite3.SQLITE_OK

        c.set_authorizer(no_commit)
        with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
            store.save(make_case(CASE), 0, actor="officer-1")
        assert not c.in_transaction
        c.set_authorizer(None)
        with pytest.raises(NotFoundError):
            store.load(CASE)  # nothing of the save was committed
        store.save(make_case(CASE), 0, actor="officer-1")
        assert store.audit_trail(CASE)[0].outcome == "ok"
    finally:
        store.close()


def test_the_one_statement_load_reads_the_case_columns_in_their_order() -> None:
    # load() slices the joined row by position: its case columns must be CASE_COLUMNS exactly.
    from sen_disagreement.store import core

    names = [name.strip() for name in core.CASE_COLUMNS.split(",")]
    assert core._LOAD_WITH_DEADLINES.startswith(
        "SELECT c.id, " + ", ".join(f"c.{name}" for name in names) + ", d.case_ref, d.clock_id,"
    )
