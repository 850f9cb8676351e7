"""Tamper evidence (issue 10): ``Store.verify`` finds every edited, deleted, inserted or reordered
audit row, and every rewritten case or history document, in at least 1,000 randomised
single-row tamperings on each backend, made with direct SQL as the owner role could (the
append-only triggers dropped or disabled first: on PostgreSQL as the migration role, which owns
the tables; the store itself runs as the application role, which may do neither). Each
tampering is undone before the next."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.store import AuditEntry, Store
from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase
from sen_disagreement.workflow.records import save

TRIALS = 1000
T0 = dt.datetime(2025, 1, 13, 9, tzinfo=dt.UTC)
_COLUMNS = ("at", "actor", "action", "case_id", "outcome", "fields", "committed_at",
            "prev_hash", "hash", "doc_version", "doc_hash")


class Raw:
    """One direct connection to the backend, as a database user (the owner) has."""

    def __init__(self, url: str) -> None:
        self.sqlite = url.startswith("sqlite")
        self.c: Any
        if self.sqlite:
            self.c = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            for t in ("audit_append_only_u", "audit_append_only_d", "history_append_only_u",
                      "history_append_only_d"):
                self.c.execute(f"DROP TRIGGER IF EXISTS {t}")
        else:
            self.c = psycopg.connect(url, autocommit=True)
            self.c.execute("ALTER TABLE audit DISABLE TRIGGER USER")
            self.c.execute("ALTER TABLE case_history DISABLE TRIGGER USER")

    def q(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        if not self.sqlite:
            sql = sql.replace("?", "%s")
        cur = self.c.execute(sql, args)
        return list(cur.fetchall()) if cur.description else []

    def close(self) -> None:
        self.c.close()


@pytest.fixture
def raw(store: Store, owner_url: str) -> Iterator[Raw]:
    connection = Raw(owner_url)
    yield connection
    connection.close()


def _seed(store: Store) -> None:
    for n in range(4):
        parent = CaseParty("parent", Party(kind=PartyKind.PARENT))
        la = CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                   identifiers=Identifiers(gss_code="E08000014")))
        case = DisagreementResolutionCase.refer(
            case_id=f"TAMPER-{n}", council="E08000014", parties=[parent, la], at=T0,
            actor="officer-1")
        save(store, case, expected_version=0)
        for k in range(3):
            case = case.seek_agreement(at=T0 + dt.timedelta(hours=1), actor="officer-1") if (
                k == 0) else case.agree("parent", at=T0 + dt.timedelta(hours=1 + k),
                                        actor="parent") if k == 1 else case.withdraw(
                "parent", at=T0 + dt.timedelta(hours=5), actor="parent")
            save(store, case, expected_version=k + 1)
        store.append_audit(AuditEntry(actor="officer-1", action="item.read", at=T0,
                                      case_id=f"TAMPER-{n}", outcome="ok"))
    for _ in range(3):
        store.append_audit(AuditEntry(actor="dpo-1", action="store.checked", at=T0))


def _shifted(raw: Raw, column: str, value: Any) -> Any:
    if column in ("at", "committed_at"):
        return value + (1 if raw.sqlite else dt.timedelta(microseconds=1))
    if column == "doc_version":
        return 1 if value is None else value + 1
    if column == "case_id":
        return "TAMPER-0" if value != "TAMPER-0" else "TAMPER-1"
    return ("x" if value is None else value + "x")


def _tamper(raw: Raw, rng: random.Random) -> Callable[[], object]:
    """Make one random single-row change; return how to undo it."""
    seqs = [s for (s,) in raw.q("SELECT seq FROM audit ORDER BY seq")]
    kind = rng.choice(["edit", "edit", "delete", "insert", "reorder", "document", "history"])
    cols = ", ".join(_COLUMNS)
    if kind == "edit":
        seq, column = rng.choice(seqs), rng.choice(_COLUMNS)
        (old,) = raw.q(f"SELECT {column} FROM audit WHERE seq = ?", (seq,))[0]
        raw.q(f"UPDATE audit SET {column} = ? WHERE seq = ?", (_shifted(raw, column, old), seq))
        return lambda: raw.q(f"UPDATE audit SET {column} = ? WHERE seq = ?", (old, seq))
    if kind in ("delete", "insert"):
        seq = rng.choice(seqs)
        row = raw.q(f"SELECT {cols} FROM audit WHERE seq = ?", (seq,))[0]
        marks = ",".join("?" * (len(_COLUMNS) + 1))
        override = "" if raw.sqlite else " OVERRIDING SYSTEM VALUE"
        insert = f"INSERT INTO audit(seq, {cols}){override} VALUES ({marks})"
        if kind == "delete":
            raw.q("DELETE FROM audit WHERE seq = ?", (seq,))
            return lambda: raw.q(insert, (seq, *row))
        new = max(seqs) + 1_000
        raw.q(insert, (new, *row))  # a copy of an existing row, appended
        return lambda: raw.q("DELETE FROM audit WHERE seq = ?", (new,))
    if kind == "reorder":
        chain = rng.choice([c for (c,) in raw.q(
            "SELECT case_id FROM audit WHERE case_id IS NOT NULL GROUP BY case_id")])
        mine = [s for (s,) in raw.q("SELECT seq FROM audit WHERE case_id = ? ORDER BY seq",
                                    (chain,))]
        a, b = rng.sample(mine, 2)
        ra = raw.q(f"SELECT {cols} FROM audit WHERE seq = ?", (a,))[0]
        rb = raw.q(f"SELECT {cols} FROM audit WHERE seq = ?", (b,))[0]
        sets = ", ".join(f"{c} = ?" for c in _COLUMNS)
        update = f"UPDATE audit SET {sets} WHERE seq = ?"
        raw.q(update, (*rb, a))
        raw.q(update, (*ra, b))

        def undo() -> None:
            raw.q(update, (*ra, a))
            raw.q(update, (*rb, b))
        return undo
    table = "cases" if kind == "document" else "case_history"
    key = "case_id" if kind == "document" else "id"
    ids = [i for (i,) in raw.q(f"SELECT {key} FROM {table}")]
    target = rng.choice(ids)
    (doc,) = raw.q(f"SELECT document FROM {table} WHERE {key} = ?", (target,))[0]
    raw.q(f"UPDATE {table} SET document = ? WHERE {key} = ?", (doc + " ", target))
    return lambda: raw.q(f"UPDATE {table} SET document = ? WHERE {key} = ?", (doc, target))


def test_verify_detects_every_single_row_tampering(store: Store, raw: Raw) -> None:
    _seed(store)
    clean = store.verify()
    assert clean.ok and clean.rows == 4 * 5 + 3 and clean.documents == 16, clean
    rng = random.Random(20261201)
    missed: list[str] = []
    for trial in range(TRIALS):
        undo = _tamper(raw, rng)
        report = store.verify()
        if report.ok:
            missed.append(f"trial {trial}")
        undo()
    assert missed == []
    assert store.verify().ok  # every tampering undone exactly


def test_verify_one_case_and_the_head_archive(store: Store, raw: Raw) -> None:
    _seed(store)
    heads = store.verify().heads
    assert {c for c, _h, _n in heads} == {"", "TAMPER-0", "TAMPER-1", "TAMPER-2", "TAMPER-3"}
    raw.q("UPDATE cases SET document = document || ' ' WHERE case_id = 'TAMPER-2'")
    assert store.verify("TAMPER-1").ok
    broken = store.verify("TAMPER-2")
    assert not broken.ok and broken.first_break is not None
    assert broken.first_break.chain == "TAMPER-2"
    assert "document of version 4" in broken.first_break.problem


def test_audit_times_the_store_refuses_an_event_before_the_law(store: Store) -> None:
    from sen_disagreement.errors import InvalidInputError

    with pytest.raises(InvalidInputError) as err:
        store.append_audit(AuditEntry(actor="a-1", action="item.read",
                                      at=dt.datetime(1971, 1, 1, tzinfo=dt.UTC)))
    assert err.value.field == "at"
    assert store.audit_trail() == []
