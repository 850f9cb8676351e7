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
from sen_disagreement.store.chain import GENESIS, link
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


Expected = tuple[str, int | None, str]
"""Where verify must report the first break: (chain, audit row seq or None for a break found at
the chain's head or in a document, a phrase its problem must contain)."""


def _as_time(raw: Raw, value: Any) -> dt.datetime:
    """A stored time column as the chain hashes it (SQLite keeps microseconds since 1970)."""
    if raw.sqlite:
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(value))
    assert isinstance(value, dt.datetime)
    return value


def _forged(raw: Raw, template: tuple[Any, ...], prev: str) -> tuple[Any, ...]:
    """A new row (not a copy: another actor, action and outcome) correctly chained to ``prev``
    with the scheme's own hash, as someone who knows the scheme and can write the table could."""
    at, _actor, _action, case_id, _outcome, _fields, committed = template[:7]
    row = (at, "forger-1", "item.read", case_id, "ok", "wp_notes", committed)
    digest = link(prev, at=_as_time(raw, at), actor=row[1], action=row[2], case_id=case_id,
                  outcome=row[4], fields=row[5], committed_at=_as_time(raw, committed),
                  doc_version=None, doc_hash=None)
    return (*row, prev, digest, None, None)


def _tamper(raw: Raw, rng: random.Random) -> tuple[Callable[[], object], Expected]:
    """Make one random single-row change; return how to undo it and where verify must find
    the first break (chains are walked in sorted order, "" first; each from its first row).

    As the design defines it (store/chain.py, ``SqlStore._verify_chain``): an edited row is
    named itself; a deleted row by the next row of its chain (whose ``prev_hash`` no longer
    follows), or by the chain's head (seq None) if it was the last; an inserted row by itself
    if it does not chain, by the row after it if it does (placed first), by the head if it
    chains onto the last row; a reordered pair by the earlier of the two; a rewritten document
    by its chain with seq None, naming the version."""
    rows = raw.q("SELECT seq, COALESCE(case_id, '') FROM audit ORDER BY seq")
    seqs = [s for s, _ in rows]
    chain_of = dict(rows)
    in_chain = {c: [s for s, x in rows if x == c] for c in set(chain_of.values())}

    def after(chain: str, seq: int) -> int | None:
        later = [s for s in in_chain[chain] if s > seq]
        return later[0] if later else None

    kind = rng.choice(["edit", "edit", "delete", "insert", "forge_tip", "forge_front",
                       "forge_new_chain", "reorder", "document", "history"])
    cols = ", ".join(_COLUMNS)
    marks = ",".join("?" * (len(_COLUMNS) + 1))
    override = "" if raw.sqlite else " OVERRIDING SYSTEM VALUE"
    insert = f"INSERT INTO audit(seq, {cols}){override} VALUES ({marks})"

    def added(seq: int, row: tuple[Any, ...]) -> Callable[[], object]:
        raw.q(insert, (seq, *row))
        return lambda: raw.q("DELETE FROM audit WHERE seq = ?", (seq,))

    if kind == "edit":
        seq, column = rng.choice(seqs), rng.choice(_COLUMNS)
        (old,) = raw.q(f"SELECT {column} FROM audit WHERE seq = ?", (seq,))[0]
        moved = _shifted(raw, column, old)
        raw.q(f"UPDATE audit SET {column} = ? WHERE seq = ?", (moved, seq))
        chain = chain_of[seq]
        expected: Expected = (chain, seq, "")
        if column == "case_id":
            # The row left its chain for another: whichever of the two is walked first breaks,
            # the one it left at the row after it, the one it joined at the row itself.
            expected = (chain, after(chain, seq), "") if chain < moved else (moved, seq, "")
        return lambda: raw.q(f"UPDATE audit SET {column} = ? WHERE seq = ?", (old, seq)), expected
    if kind in ("delete", "insert"):
        seq = rng.choice(seqs)
        chain = chain_of[seq]
        row = tuple(raw.q(f"SELECT {cols} FROM audit WHERE seq = ?", (seq,))[0])
        if kind == "delete":
            raw.q("DELETE FROM audit WHERE seq = ?", (seq,))
            return lambda: raw.q(insert, (seq, *row)), (chain, after(chain, seq), "")
        new = max(seqs) + 1_000
        return added(new, row), (chain, new, "")  # a copy of an existing row, appended
    if kind in ("forge_tip", "forge_front"):
        chain = rng.choice(sorted(in_chain))
        first, last = in_chain[chain][0], in_chain[chain][-1]
        template = tuple(raw.q(f"SELECT {cols} FROM audit WHERE seq = ?",
                               (last if kind == "forge_tip" else first,))[0])
        if kind == "forge_tip":
            # Chained onto the last row: every row checks, the head does not.
            (tip,) = raw.q("SELECT hash FROM audit_chain WHERE chain = ?", (chain,))[0]
            return added(max(seqs) + 1_000, _forged(raw, template, tip)), (chain, None, "head")
        # A chain of its own placed first: the chain's first row no longer follows.
        return added(min(seqs) - 1_000, _forged(raw, template, GENESIS)), (chain, first, "")
    if kind == "forge_new_chain":
        template = tuple(raw.q(f"SELECT {cols} FROM audit WHERE seq = ?", (seqs[0],))[0])
        row = _forged(raw, (*template[:3], "TAMPER-9", *template[4:]), GENESIS)
        return added(max(seqs) + 1_000, row), ("TAMPER-9", None, "no head")
    if kind == "reorder":
        chain = rng.choice([c for c in sorted(in_chain) if c])
        a, b = sorted(rng.sample(in_chain[chain], 2))
        ra = raw.q(f"SELECT {cols} FROM audit WHERE seq = ?", (a,))[0]
        rb = raw.q(f"SELECT {cols} FROM audit WHERE seq = ?", (b,))[0]
        sets = ", ".join(f"{c} = ?" for c in _COLUMNS)
        update = f"UPDATE audit SET {sets} WHERE seq = ?"
        raw.q(update, (*rb, a))
        raw.q(update, (*ra, b))

        def undo() -> None:
            raw.q(update, (*ra, a))
            raw.q(update, (*rb, b))
        return undo, (chain, a, "")
    if kind == "document":
        case_id, version, doc = rng.choice(raw.q("SELECT case_id, version, document FROM cases"))
        raw.q("UPDATE cases SET document = ? WHERE case_id = ?", (doc + " ", case_id))
        return (lambda: raw.q("UPDATE cases SET document = ? WHERE case_id = ?", (doc, case_id)),
                (case_id, None, f"document of version {version} "))
    hid, case_id, version, doc = rng.choice(raw.q(
        "SELECT h.id, c.case_id, h.version, h.document FROM case_history h"
        " JOIN cases c ON c.id = h.case_ref"))
    raw.q("UPDATE case_history SET document = ? WHERE id = ?", (doc + " ", hid))
    return (lambda: raw.q("UPDATE case_history SET document = ? WHERE id = ?", (doc, hid)),
            (case_id, None, f"document of version {version} "))


def test_verify_detects_every_single_row_tampering(store: Store, raw: Raw) -> None:
    # Detected, and the first break named where the design says: the tampered row (or the
    # row after a deletion or a chained insertion), its chain, or its chain's head.
    _seed(store)
    clean = store.verify()
    assert clean.ok and clean.rows == 4 * 5 + 3 and clean.documents == 16, clean
    rng = random.Random(20261201)
    missed: list[str] = []
    misplaced: list[str] = []
    for trial in range(TRIALS):
        undo, (chain, seq, phrase) = _tamper(raw, rng)
        report = store.verify()
        found = report.first_break
        if found is None:
            missed.append(f"trial {trial}")
        elif (found.chain, found.seq) != (chain, seq) or phrase not in found.problem:
            misplaced.append(f"trial {trial}: expected {(chain, seq, phrase)}, got {found}")
        undo()
    assert missed == []
    assert misplaced == []
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
