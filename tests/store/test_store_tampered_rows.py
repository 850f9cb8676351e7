"""Every stored-data fault is a typed StoreError that names the case and the field and never the
stored value, and a call that meets one writes nothing (issue 10).

A database user with direct SQL access (the append-only triggers dropped on SQLite, disabled on
PostgreSQL; CHECK constraints off) plants one bad value per trial in a seeded store: wrong types,
huge or negative integers, timestamps and dates out of range or malformed, invalid and deeply
nested JSON, NUL bytes, text that is not UTF-8, invalid enum strings, an unknown state, case ids
that break the id pattern, malformed history deadlines, real case documents altered. Every read
API then runs (and ``from_record`` of what ``load`` returns); the row is restored after the trial.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import random
import re
import sqlite3
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import psycopg
import pytest

from sen_disagreement._checks import ACTOR, CASE_ID
from sen_disagreement._checks import COUNCIL as COUNCIL_ID
from sen_disagreement.actors import Actor, CaseGrant, Role, StaticActorDirectory
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.disclosure import Disclosure, ItemKind
from sen_disagreement.ehc import Duty
from sen_disagreement.errors import (
    InvalidInputError,
    NotFoundError,
    StoredDataError,
    StoredDocumentError,
    StoreError,
)
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.plugins import Hooks, make_plugin_manager
from sen_disagreement.service import CaseService, OpenDisagreementResolution, OpenMediation
from sen_disagreement.store import (
    CASE_KINDS,
    AuditEntry,
    CaseRecord,
    DeadlineEntry,
    OutboxMessage,
    RetentionTrigger,
    Store,
    open_store,
)
from sen_disagreement.workflow import CaseParty
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.issues import Issue
from sen_disagreement.workflow.mediation import DecisionNotice, Reg32Item
from sen_disagreement.workflow.records import from_record

TRIALS = 3000
T0 = dt.datetime(2025, 1, 13, 9, tzinfo=dt.UTC)
COUNCIL = "E08000014"
REAL = ("med-tamper-1", "med-tamper-2", "dr-tamper-1")
OPAQUE = ("ENG-E08000014-2025-000101", "ENG-E08000014-2025-000102", "ENG-E08000014-2025-000103")
FAR = dt.date(9999, 12, 30)

SLUG = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
FIELD_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_.$\[\]-]{0,127}")
KEY = re.compile(r"[\x21-\x7e]{1,200}")
REF = re.compile(r"[\x21-\x7e]{1,500}")


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


# --- seeding ------------------------------------------------------------------------------------


def _seed(url: str) -> None:
    """Three workflow cases saved through the service (two mediations with running and met
    clocks, a disagreement resolution with a history), three opaque records with two clocks, a
    date of birth, a closure date and outbox messages, and one audit entry of no case."""
    officer = Actor(actor_id="officer-1", role=Role.LA_OFFICER, council=COUNCIL)
    parent = Actor(actor_id="sam", role=Role.FAMILY,
                   grants={CaseGrant(case_id=c, party_id="parent") for c in REAL})
    store = open_store(url, now=lambda: T0 + dt.timedelta(days=1))
    hooks = Hooks(make_plugin_manager(load_entry_points=True), timeout=None)
    service = CaseService(store, hooks, StaticActorDirectory([officer, parent]))
    mum = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"))
    child = CaseParty("child", Party(kind=PartyKind.CHILD, date_of_birth=dt.date(2014, 3, 1)))
    la = CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                   identifiers=Identifiers(gss_code=COUNCIL)))
    notice = DecisionNotice(sent_on=T0.date(), contents=set(Reg32Item),
                            decisions=[AppealableDecision.NOT_TO_AMEND_OR_REPLACE])
    for n, case_id in enumerate(REAL[:2]):
        service.open_case("officer-1", OpenMediation(
            case_id=case_id, council=COUNCIL, parties=[mum, child, la], notice=notice), at=at(0))
        if n:
            adviser = Party(kind=PartyKind.MEDIATION_ADVISER, name="Adviser")
            service.apply(case_id, "sam", st.ContactAdviser(adviser_id="adviser", adviser=adviser,
                                                            on=T0.date()), at=at(1))
        for k in range(2):
            service.apply(case_id, "officer-1", st.RecordItem(
                item_id=f"i{k}", kind=ItemKind.DOCUMENT, disclosure=Disclosure.PARTIES,
                text=f"Letter {k} to Sam Parent"), at=at(2 + k))
    service.open_case("officer-1", OpenDisagreementResolution(
        case_id=REAL[2], council=COUNCIL, parties=[mum, la],
        issues=[Issue(issue_id="review", duty=Duty.KEEP_PROVISION_UNDER_REVIEW)]), at=at(0))
    service.apply(REAL[2], "officer-1", st.SeekAgreement(), at=at(1))
    service.apply(REAL[2], "sam", st.AcceptDecision(party_id="parent"), at=at(2))
    for n, case_id in enumerate(OPAQUE):
        for version in range(3):
            record = CaseRecord(
                case_id=case_id, council=COUNCIL, kind=CASE_KINDS[n % 2], state="received",
                version=version, document=json.dumps({"case_id": case_id, "v": version}),
                created_at=T0, updated_at=T0 + dt.timedelta(hours=version),
                deadlines=(
                    DeadlineEntry(clock_id="arrange_mediation",
                                  due=dt.date(2025, 2, 5) + dt.timedelta(days=version),
                                  status="running"),
                    DeadlineEntry(clock_id="certificate", due=dt.date(2025, 3, 1), status="met"),
                ),
                subject_date_of_birth=dt.date(2012, 5, 17),
                closed_on=dt.date(2025, 6, 1) if n == 0 else None,
            )
            store.save(record, version, actor="officer-1")
        store.enqueue([OutboxMessage(case_id=case_id, channel="email", template="arranged",
                                     idempotency_key=f"k-{case_id}-{i}",
                                     payload_ref=f"personalisation/{case_id}/{i}")
                       for i in range(2)])
    store.append_audit(AuditEntry(actor="relay-1", action="outbox.started", at=at(5)))
    store.close()


# --- what a bad value is --------------------------------------------------------------------------


@attrs.frozen
class Bad:
    """A value to plant: ``value`` bound into ``expr``; ``needles`` must never appear in an error;
    ``fatal``: the read of the row must fail on this column (else it may pass, or fail later)."""

    value: object
    needles: tuple[str, ...]
    fatal: bool
    expr: str = "?"


# The kind of each column the trials plant into.
COLUMNS: dict[str, dict[str, str]] = {
    "cases": {
        "case_id": "case_id", "council": "council", "kind": "kind", "state": "slug",
        "version": "version", "created_at": "ts", "updated_at": "ts", "subject_dob": "date_null",
        "closed_on": "date_null", "legal_hold": "bool", "document": "document",
    },
    "case_history": {
        "version": "version", "council": "council", "kind": "kind", "state": "slug",
        "created_at": "ts", "updated_at": "ts", "subject_dob": "date_null",
        "closed_on": "date_null", "legal_hold": "bool", "deadlines": "deadlines_json",
        "document": "document",
    },
    "deadlines": {"clock_id": "slug", "due": "date", "status": "slug"},
    "audit": {
        "at": "ts", "actor": "actor", "action": "slug", "case_id": "case_id_null",
        "outcome": "slug", "fields": "fields", "committed_at": "ts",
    },
    "outbox": {
        "case_id": "case_id", "channel": "slug", "template": "slug", "idempotency_key": "key",
        "payload_ref": "ref", "status": "unread", "attempts": "attempts",
        "next_attempt_at": "unread_ts", "created_at": "ts",
    },
}
TABLE_WEIGHTS = {"cases": 30, "case_history": 20, "deadlines": 15, "audit": 15, "outbox": 20}
TEXT_KINDS = {"case_id", "case_id_null", "council", "kind", "slug", "actor", "key", "ref",
              "fields", "document", "deadlines_json", "unread"}


def _valid_text(kind: str, s: str) -> bool:
    """Whether a read of ``kind`` accepts ``s`` (as the store's checks do)."""
    if kind in ("case_id", "case_id_null"):
        return CASE_ID.fullmatch(s) is not None
    if kind == "council":
        return COUNCIL_ID.fullmatch(s) is not None
    if kind == "kind":
        return s in CASE_KINDS
    if kind == "slug":
        return SLUG.fullmatch(s) is not None
    if kind == "actor":
        return ACTOR.fullmatch(s) is not None
    if kind == "key":
        return KEY.fullmatch(s) is not None
    if kind == "ref":
        return REF.fullmatch(s) is not None
    if kind == "fields":
        return s == "" or all(FIELD_NAME.fullmatch(f) for f in s.split(","))
    if kind == "document":
        return s != "" and "\x00" not in s
    return True  # "unread": a column no read decodes


def _deep(tok: str, depth: int = 100_000) -> str:
    return "[" * depth + json.dumps(tok) + "]" * depth


def _text_values(kind: str, tok: str, n: int) -> list[Bad]:
    """Text both backends can hold (PostgreSQL refuses NUL and non-UTF-8 itself)."""
    low = tok.lower()
    texts = [
        (f"Qz {tok} !", (tok,)),  # breaks every id and slug pattern
        (low, (low,)),  # a valid slug: an unknown state, another case id, a new actor...
        ("", ()),
        (tok + "x" * 600, (tok,)),  # longer than any pattern allows
        (f"{tok}'; DROP TABLE cases; --", (tok,)),
        (f"2025-13-45T{tok}", (tok,)),  # a malformed ISO date
        (f'{{"{tok}": ', (tok,)),  # invalid JSON
        (str(98_765_432_100 + n), (str(98_765_432_100 + n),)),  # a number as text
        ("\u202e" + tok, (tok,)),  # a bidi control
    ]
    if kind in ("document", "deadlines_json"):
        texts.append((_deep(tok), (tok,)))
    if kind == "kind":
        texts += [(k, ()) for k in CASE_KINDS]
    return [Bad(s, needles, fatal=not _valid_text(kind, s)) for s, needles in texts]


def _deadline_json_values(tok: str) -> list[Bad]:
    bad = [
        '[["a","b"]]', "[[1,2,3]]", '{"a":1}', "null", '"x"', "[[null,null,null]]",
        '[["arrange_mediation","2025-02-30","running"]]',
        '[["arrange_mediation","20250205","running"]]',
        '[["arrange_mediation","2025-W06-3","running"]]',
        '[["x","2025-01-01","running"],["x","2025-01-02","met"]]',
        '[["x","2025-01-01","running",4]]',
        f'[["Q {tok}","2025-01-01","running"]]',
        f'[["x","{tok}","running"]]',
        f'[["x","2025-01-01",{json.dumps(_deep(tok, 10))}]]',
        "[" * 50_000 + "]" * 50_000,
    ]
    fine = ["[]", '[["x","2025-01-01","running"]]']
    return [Bad(s, (tok,), fatal=True) for s in bad] + [Bad(s, (), fatal=False) for s in fine]


def _document_values(original: str, tok: str, real: bool) -> list[Bad]:
    """A real case's document altered (``fatal``: from_record must refuse it)."""
    if not real:
        return []
    payload = json.loads(original)
    out: list[Bad] = []

    def variant(change: Callable[[dict[str, Any]], None], *needles: str) -> None:
        copy = json.loads(original)
        change(copy)
        out.append(Bad(json.dumps(copy), (tok, "Sam Parent", *needles), fatal=True))

    variant(lambda p: p["case"].__setitem__("state", tok.lower()))
    variant(lambda p: p.__setitem__("kind", [p["kind"]]))
    deep = _deep(tok, 50_000)  # spliced in as text: json itself cannot nest so deep
    for key in ("kind", "case", "document_version"):
        text = json.dumps({**payload, key: "DEEP"}).replace('"DEEP"', deep, 1)
        out.append(Bad(text, (tok, "Sam Parent"), fatal=True))
    variant(lambda p: p.__setitem__("document_version", 2))
    variant(lambda p: p.__setitem__("document_version", True))
    variant(lambda p: p["case"].__setitem__("case_id", tok.lower()))
    variant(lambda p: p["case"].__setitem__("council", "E08000015"))
    variant(lambda p: p["case"].pop("parties"))
    variant(lambda p: p["case"].__setitem__("created_at", f"2025-01-13T09:00:00{tok}"))
    variant(lambda p: p["case"].__setitem__("created_at", "2024-01-13T09:00:00+00:00"))
    other = "mediation" if payload["kind"] != "mediation" else "disagreement_resolution"
    variant(lambda p: p.__setitem__("kind", other))
    out.append(Bad(original[: len(original) // 2], ("Sam Parent",), fatal=True))
    out.append(Bad(original.replace("Sam Parent", tok), (tok,), fatal=False))  # still a case
    return out


class Backend:
    """Direct SQL on the store's database, as a database user could run it."""

    name: str

    def plant(self, target: Target, bad: Bad) -> bool:
        raise NotImplementedError

    def original(self, target: Target) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def restore(self, target: Target, rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def snapshot(self) -> dict[str, str]:
        raise NotImplementedError

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def values(self, kind: str, tok: str, n: int) -> list[Bad]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


@attrs.frozen
class Target:
    table: str
    column: str
    key: int  # id / seq, or case_ref for deadlines
    clock: str | None  # deadlines: the row's clock id
    case_id: str | None  # the case the row belongs to


_KEY = {"cases": "id", "case_history": "id", "audit": "seq", "outbox": "id",
        "deadlines": "case_ref"}


def _where(t: Target, mark: str) -> tuple[str, tuple[object, ...]]:
    if t.table == "deadlines":
        return f"case_ref = {mark} AND clock_id = {mark}", (t.key, t.clock)
    return f"{_KEY[t.table]} = {mark}", (t.key,)


def _hash(rows: list[tuple[Any, ...]]) -> str:
    return hashlib.sha256(repr(sorted(repr(r) for r in rows)).encode()).hexdigest()


class SQLiteBackend(Backend):
    name = "sqlite"

    def __init__(self, path: str) -> None:
        self.c = sqlite3.connect(path, isolation_level=None)
        self.c.execute("PRAGMA synchronous=OFF")
        self.c.execute("PRAGMA ignore_check_constraints=ON")  # foreign keys are off already
        for (name,) in self.c.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            self.c.execute(f"DROP TRIGGER {name}")
        self.tables = [t for (t,) in self.c.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        self.c.text_factory = str
        return list(self.c.execute(sql).fetchall())

    def plant(self, target: Target, bad: Bad) -> bool:
        where, args = _where(target, "?")
        sql = f"UPDATE {target.table} SET {target.column} = {bad.expr} WHERE {where}"
        try:
            self.c.execute(sql, (bad.value, *args))
        except (sqlite3.IntegrityError, OverflowError):
            return False  # NOT NULL, UNIQUE or PRIMARY KEY: not plantable here
        return True

    def original(self, target: Target) -> list[tuple[Any, ...]]:
        self.c.text_factory = str
        key = _KEY[target.table]
        return list(self.c.execute(f"SELECT * FROM {target.table} WHERE {key} = ?",
                                   (target.key,)).fetchall())

    def restore(self, target: Target, rows: list[tuple[Any, ...]]) -> None:
        key = _KEY[target.table]
        self.c.execute(f"DELETE FROM {target.table} WHERE {key} = ?", (target.key,))
        marks = ",".join("?" * len(rows[0]))
        self.c.executemany(f"INSERT INTO {target.table} VALUES ({marks})", rows)

    def snapshot(self) -> dict[str, str]:
        self.c.text_factory = bytes  # text that is not UTF-8 included
        return {t: _hash(self.c.execute(f"SELECT * FROM {t}").fetchall()) for t in self.tables}

    def values(self, kind: str, tok: str, n: int) -> list[Bad]:
        big = 9_223_372_036_854_775_807 - n
        raw = b"\xff\xfe" + tok.encode()
        out = [
            Bad(raw, (tok, repr(raw)), fatal=kind != "unread" and kind != "unread_ts",
                expr="CAST(? AS TEXT)"),  # not UTF-8
            Bad(raw, (tok, repr(raw)), fatal=kind not in ("unread", "unread_ts")),  # a BLOB
            Bad(f"ok\x00{tok}", (tok,), fatal=kind not in ("unread", "unread_ts")),
        ]
        if kind in TEXT_KINDS:
            out += _text_values(kind, tok, n)
            real = 12345.25 + n  # REAL: TEXT affinity stores it as its text
            out.append(Bad(real, (repr(real),), fatal=not _valid_text(kind, repr(real))))
            if kind == "deadlines_json":
                out += _deadline_json_values(tok)
            return out
        # integer columns: version, attempts, the timestamps, legal_hold; dates are TEXT
        if kind in ("date", "date_null"):
            dates = [f"2025-02-30{tok}", "2025-02-30", "20250205", "2025-W06-3", "2025-02-05T00:00",
                     "0000-01-01", f"{tok}", ""]
            out += [Bad(d, (d,) if d else (), fatal=True) for d in dates]
            out += [Bad(20250205 + n, (str(20250205 + n),), fatal=True),
                    Bad("1999-12-31", (), fatal=False)]
            return out
        ints = [big, -big, 2**31 + n, -(10**15 + n), 10**15 + n]
        out += [Bad(f"abc{tok}", (tok,), fatal=kind != "unread_ts"),
                Bad(12345.5 + n, (repr(12345.5 + n),), fatal=kind != "unread_ts")]
        if kind == "version":
            out += [Bad(i, (str(i),), fatal=True) for i in ints]
            out += [Bad(0, (), fatal=True), Bad(-3, (), fatal=True), Bad(7, (), fatal=False)]
        elif kind == "attempts":
            out += [Bad(i, (str(i),), fatal=i < 0 or i >= 2**31 - 1) for i in ints]
            out += [Bad(-1, (), fatal=True), Bad(2**31 - 1, (), fatal=True)]
        elif kind == "bool":
            out += [Bad(2, (), fatal=True), Bad(-1, (), fatal=True), Bad(1, (), fatal=False),
                    Bad("1", (), fatal=False)]  # INTEGER affinity: "1" is stored as 1
        elif kind in ("ts", "unread_ts"):
            lo, hi = -62_135_596_800_000_000, 253_402_300_799_999_999
            for i in [*ints, lo - 1, hi + 1, lo, -1]:
                fatal = kind == "ts" and not lo <= i <= hi
                out.append(Bad(i, (str(i),) if abs(i) > 10**6 else (), fatal=fatal))
            out.append(Bad("2025-01-13T09:00:00+00:00", ("2025-01-13T09:00:00",),
                           fatal=kind == "ts"))
        return out

    def close(self) -> None:
        self.c.close()


_PG_TYPES = {"ts": "timestamptz", "unread_ts": "timestamptz", "date": "date",
             "date_null": "date"}


class PostgresBackend(Backend):
    name = "postgres"

    def __init__(self, url: str) -> None:
        self.c = psycopg.connect(url, autocommit=True)
        self.c.execute("SET synchronous_commit = off")  # this session only: planting is not data
        self.tables = [t for (t,) in self.c.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() ORDER BY table_name").fetchall()]
        for t in self.tables:
            self.c.execute(f"ALTER TABLE {t} DISABLE TRIGGER ALL")  # as the owner could
        for table, name in self.c.execute(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint"
            " WHERE contype = 'c' AND connamespace = current_schema()::regnamespace"
        ).fetchall():
            self.c.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        parts = ", ".join(
            f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {t} t)"
            for t in self.tables)
        self.snapshot_sql = f"SELECT {parts}"

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return list(self.c.execute(sql).fetchall())

    def plant(self, target: Target, bad: Bad) -> bool:
        where, args = _where(target, "%s")
        value = bad.expr.replace("?", "%s")
        sql = f"UPDATE {target.table} SET {target.column} = {value} WHERE {where}"
        try:
            self.c.execute(sql, (bad.value, *args))
        except (psycopg.errors.IntegrityError, psycopg.errors.DataError):
            return False
        return True

    def original(self, target: Target) -> list[tuple[Any, ...]]:
        key = _KEY[target.table]
        return list(self.c.execute(f"SELECT * FROM {target.table} WHERE {key} = %s",
                                   (target.key,)).fetchall())

    def restore(self, target: Target, rows: list[tuple[Any, ...]]) -> None:
        key = _KEY[target.table]
        with self.c.transaction():
            self.c.execute(f"DELETE FROM {target.table} WHERE {key} = %s", (target.key,))
            marks = ",".join(["%s"] * len(rows[0]))
            over = " OVERRIDING SYSTEM VALUE" if target.table != "deadlines" else ""
            with self.c.cursor() as cur:
                cur.executemany(f"INSERT INTO {target.table}{over} VALUES ({marks})", rows)

    def snapshot(self) -> dict[str, str]:
        row = self.c.execute(self.snapshot_sql).fetchone()
        assert row is not None
        return dict(zip(self.tables, row, strict=True))

    def values(self, kind: str, tok: str, n: int) -> list[Bad]:
        if kind in TEXT_KINDS:
            out = _text_values(kind, tok, n)
            return out + _deadline_json_values(tok) if kind == "deadlines_json" else out
        if kind in _PG_TYPES:
            cast = f"%s::{_PG_TYPES[kind]}"
            read = kind in ("ts", "date", "date_null")
            if _PG_TYPES[kind] == "date":
                bad = ["infinity", "-infinity", "0044-03-15 BC", "10000-01-01", "5874897-12-31"]
                fine = ["1999-12-31", "0001-01-01"]
            else:
                bad = ["infinity", "-infinity", "0044-03-15 10:00:00+00 BC",
                       "10000-01-01 00:00:00+00", "294276-12-31 00:00:00+00"]
                fine = ["1969-07-20 20:17:00+00", "0001-01-01 00:00:00+00"]
            return [Bad(v, (v, v.split()[0], v.split("-")[0] if "BC" in v else v), fatal=read,
                        expr=cast) for v in bad] + [Bad(v, (), fatal=False, expr=cast)
                                                    for v in fine]
        if kind == "bool":
            return [Bad(True, (), fatal=False), Bad(False, (), fatal=False)]
        ints = [2_147_483_647, -2_147_483_648 + n, -(10**6 + n), 10**6 + n]
        if kind == "version":
            return [Bad(i, (str(i),), fatal=i < 1) for i in ints] + [
                Bad(0, (), fatal=True), Bad(-3, (), fatal=True), Bad(7, (), fatal=False)]
        assert kind == "attempts"
        return [Bad(i, (str(i),), fatal=i < 0 or i >= 2**31 - 1) for i in ints] + [
            Bad(-1, (), fatal=True), Bad(5, (), fatal=False)]

    def close(self) -> None:
        self.c.close()


# --- the trials -----------------------------------------------------------------------------------


@pytest.fixture
def tampered(store_url: str, admin_url: str) -> Iterator[tuple[Store, Backend]]:
    _seed(store_url)
    backend: Backend
    if store_url.startswith("sqlite"):
        backend = SQLiteBackend(store_url.removeprefix("sqlite:///"))
    else:
        backend = PostgresBackend(admin_url)  # the superuser: it disables the FK triggers too
    store = open_store(store_url, now=lambda: T0 + dt.timedelta(days=2))
    try:
        yield store, backend
    finally:
        store.close()
        backend.close()


def _targets(backend: Backend) -> list[Target]:
    ids = {int(i): str(c) for i, c in backend.rows("SELECT id, case_id FROM cases")}
    out: list[Target] = []
    for (rowid,) in backend.rows("SELECT id FROM cases"):
        out += [Target("cases", col, int(rowid), None, ids[int(rowid)]) for col in COLUMNS["cases"]]
    for rowid, ref in backend.rows("SELECT id, case_ref FROM case_history"):
        out += [Target("case_history", col, int(rowid), None, ids[int(ref)])
                for col in COLUMNS["case_history"]]
    for ref, clock in backend.rows("SELECT case_ref, clock_id FROM deadlines"):
        out += [Target("deadlines", col, int(ref), str(clock), ids[int(ref)])
                for col in COLUMNS["deadlines"]]
    for seq, case_id in backend.rows("SELECT seq, case_id FROM audit"):
        out += [Target("audit", col, int(seq), None, case_id) for col in COLUMNS["audit"]]
    for rowid, case_id in backend.rows("SELECT id, case_id FROM outbox"):
        out += [Target("outbox", col, int(rowid), None, str(case_id)) for col in COLUMNS["outbox"]]
    return out


def _calls(store: Store, t: Target, trial: int) -> Iterator[tuple[str, Callable[[], object]]]:
    """Every read API, as a relay, a deadline sweep and a case worker would call them."""
    case_id = t.case_id
    kind = CASE_KINDS[trial % 2]
    if case_id is not None:
        def load_and_read() -> object:
            record = store.load(case_id)
            return from_record(record) if case_id in REAL else record

        yield "load", load_and_read
        yield "history", lambda: store.history(case_id)
        yield "audit_trail(case)", lambda: store.audit_trail(case_id)
    yield "find_cases", lambda: store.find_cases(COUNCIL, limit=1000)
    yield "deadlines_between", lambda: store.deadlines_between(None, FAR)
    yield "overdue", lambda: store.overdue(FAR)
    yield "audit_trail", lambda: store.audit_trail()
    for trigger in RetentionTrigger:
        yield "retention_candidates", functools.partial(
            store.retention_candidates, council=COUNCIL, kind=kind, trigger=trigger,
            on_or_before=FAR)
    now = T0 + dt.timedelta(days=3650, seconds=2 * trial)
    yield "claim_outbox", lambda: store.claim_outbox(now=now, limit=1000,
                                                     lease=dt.timedelta(seconds=1))


def _echoes(error: BaseException, needles: tuple[str, ...]) -> list[str]:
    text = str(error) + repr(error) + "".join(traceback.format_exception(error))
    return [n for n in needles if n and n in text]


def _expected_field(t: Target, error: StoredDataError) -> bool:
    """The error names the planted column (a document's own field counts for ``document``)."""
    if error.field == f"{t.table}.{t.column}":
        return True
    # A document altered to another case id, council or time disagrees with its columns.
    disagrees = error.problem == "is not what the case document says"
    return t.column == "document" and (error.field.startswith("document") or disagrees)


def test_every_tampered_row_is_a_typed_store_error_naming_case_and_field_never_the_value(
    tampered: tuple[Store, Backend],
) -> None:
    store, backend = tampered
    rng = random.Random(f"issue-10-{backend.name}")
    targets = _targets(backend)
    by_table: dict[str, list[Target]] = {}
    for t in targets:
        by_table.setdefault(t.table, []).append(t)
    tables = list(TABLE_WEIGHTS)
    weights = [TABLE_WEIGHTS[t] for t in tables]
    planted = unplantable = detected = fatal_trials = calls = 0
    failures: Counter[str] = Counter()
    fields: Counter[str] = Counter()
    problems: list[str] = []
    started = time.perf_counter()
    n = 0
    while planted < TRIALS:
        n += 1
        assert n < 3 * TRIALS, "too few values could be planted"
        t = rng.choice(by_table[rng.choices(tables, weights)[0]])
        kind = COLUMNS[t.table][t.column]
        tok = f"Zk{n:05d}q"
        choices = backend.values(kind, tok, n)
        if kind == "document":
            [doc] = [r[0] for r in backend.rows(
                f"SELECT document FROM {t.table} WHERE id = {t.key}")]
            real = t.table == "cases" and t.case_id in REAL  # only load's document is parsed
            choices += _document_values(str(doc), tok, real) * 2
        bad = rng.choice(choices)
        rows = backend.original(t)
        if not backend.plant(t, bad):
            unplantable += 1
            continue
        planted += 1
        before = backend.snapshot()
        met: list[tuple[str, BaseException]] = []
        claimed = False
        for api, call in _calls(store, t, n):
            calls += 1
            try:
                call()
            except Exception as exc:  # every failure is checked below
                met.append((api, exc))
            else:
                claimed = claimed or api == "claim_outbox"
        after = backend.snapshot()
        backend.restore(t, rows)
        if claimed:  # a claim that met no fault writes its claims, and only them
            before.pop("outbox")
            after.pop("outbox")
        where = f"trial {n} {t.table}.{t.column} ({kind})"
        if before != after:
            problems.append(f"{where}: a call that met the fault wrote something")
        for api, error in met:
            failures[type(error).__name__] += 1
            moved = t.table == "cases" and t.column == "case_id"
            if isinstance(error, NotFoundError) and moved and api in ("load", "history"):
                continue  # the row now has another case id: the one asked for is not there
            if not isinstance(error, StoreError):
                problems.append(f"{where}: {api} raised {type(error).__name__}")
                continue
            if echoed := _echoes(error, bad.needles):
                problems.append(f"{where}: {api} echoed {echoed!r}")
            if isinstance(error, StoredDataError):
                fields[error.field.split(".")[0]] += 1
                if not error.field or error.case_id not in (None, t.case_id):
                    problems.append(f"{where}: {api} named {error.case_id!r} / {error.field!r}")
                if error.__cause__ is not None:
                    problems.append(f"{where}: {api} chained the driver's error")
        typed = [e for _, e in met if isinstance(e, StoredDataError)]
        detected += bool(typed)
        if bad.fatal:
            fatal_trials += 1
            if not any(_expected_field(t, e) for e in typed):
                got = sorted({getattr(e, "field", type(e).__name__) for _, e in met})
                problems.append(f"{where}: the fault went unreported (errors: {got})")
    elapsed = time.perf_counter() - started
    summary = (
        f"{backend.name}: {planted} tampered-row trials ({unplantable} values the column could "
        f"not hold), {calls} API calls in {elapsed:.1f}s; {detected} trials raised a "
        f"StoredDataError ({fatal_trials} had to); errors by type {dict(failures)}; "
        f"StoredDataError by table {dict(fields)}; {len(problems)} problems"
    )
    print(summary)
    assert not problems, "\n".join([summary, *problems[:40]])
    assert planted >= TRIALS
    assert fatal_trials > TRIALS // 2  # most planted values are faults a read must report
    # Everything was restored: every case reads back whole.
    for case_id in REAL + OPAQUE:
        record = store.load(case_id)
        if case_id in REAL:
            from_record(record)
        assert store.history(case_id)[-1] == record


# --- files that are not a store -------------------------------------------------------------------


@pytest.fixture
def real_db(tmp_path: Path) -> bytes:
    url = f"sqlite:///{tmp_path / 'real.sqlite3'}"
    with open_store(url) as store:
        for i in range(200):
            record = CaseRecord(
                case_id=f"ENG-E08000014-2025-{i:06d}", council=COUNCIL, kind="mediation",
                state="received", version=0, document=json.dumps({"n": i, "pad": "x" * 2000}),
                created_at=T0, updated_at=T0)
            store.save(record, 0, actor="officer-1")
    return (tmp_path / "real.sqlite3").read_bytes()


def test_a_file_that_is_not_a_sqlite_database_is_a_store_error_and_is_left_as_it_was(
    tmp_path: Path, real_db: bytes
) -> None:
    rng = random.Random(10)
    header_gone = b"\x00" * 100 + real_db[100:]
    files = {
        "random-bytes": rng.randbytes(5000),
        "random-page": rng.randbytes(16384),
        "text": b"case_id,council\nENG-1,E08000014\n" * 200,
        "json": json.dumps({"cases": ["ENG-1"]}).encode(),
        "header-zeroed": header_gone,
        **{f"truncated-{cut}": real_db[:cut]
           # (a cut inside the last page is not seen: SQLite reads a short page as zeros)
           for cut in (50, 99, 100, 4096, 16384, 16385, len(real_db) // 2,
                       len(real_db) - 16384, len(real_db) - 16385)},
    }
    for name, data in files.items():
        path = tmp_path / f"{name}.sqlite3"
        path.write_bytes(data)
        with pytest.raises(StoreError) as err:
            open_store(f"sqlite:///{path}")
        assert not isinstance(err.value, sqlite3.Error), name
        assert "SQLITE_NOTADB" in str(err.value) or "SQLITE_CORRUPT" in str(err.value), name
        assert err.value.__cause__ is None and err.value.__suppress_context__, name
        assert path.read_bytes() == data, f"{name}: the file was changed"
        assert not os.path.exists(f"{path}-wal") or os.path.getsize(f"{path}-wal") == 0, name


def test_a_database_of_a_newer_schema_is_a_store_error_and_is_not_migrated(
    store_url: str,
    owner_url: str,
) -> None:
    open_store(store_url).close()
    run: Callable[[str], list[tuple[Any, ...]]]
    if store_url.startswith("sqlite"):
        c = sqlite3.connect(store_url.removeprefix("sqlite:///"), isolation_level=None)
        run = lambda sql: list(c.execute(sql).fetchall())  # noqa: E731
        close, now, shape = c.close, "0", "SELECT count(*), group_concat(sql) FROM sqlite_master"
    else:
        pc = psycopg.connect(owner_url, autocommit=True)  # the application role cannot write it
        run = lambda sql: list(pc.execute(sql).fetchall())  # noqa: E731
        close, now = pc.close, "now()"
        shape = ("SELECT count(*), string_agg(table_name || '.' || column_name, ',')"
                 " FROM information_schema.columns WHERE table_schema = current_schema()")
    try:
        run(f"INSERT INTO schema_version(version, applied_at) VALUES (99, {now}) RETURNING version")
        before = run(shape)
        with pytest.raises(StoreError) as err:
            open_store(store_url)
        assert "schema version 99" in str(err.value)
        assert run(shape) == before
        assert run("SELECT max(version) FROM schema_version") == [(99,)]
    finally:
        close()


def test_from_record_names_the_case_of_a_document_that_is_not_a_case(tmp_path: Path) -> None:
    """Decision: a load path's document fault is a StoredDocumentError, both a StoredDataError
    (naming the case and the field) and, as before, the InvalidInputError of the rule."""
    url = f"sqlite:///{tmp_path / 'doc.sqlite3'}"
    _seed(url)
    with open_store(url) as store:
        record = store.load(REAL[0])
    for document in ("[1, 2", json.dumps({"document_version": 1, "kind": _deep("x", 50_000)})):
        with pytest.raises(StoredDocumentError) as err:
            from_record(attrs.evolve(record, document=document))
        assert isinstance(err.value, StoredDataError)
        assert isinstance(err.value, InvalidInputError)
        assert err.value.rule_id.startswith(("store.", "input."))
        assert err.value.case_id == REAL[0] and err.value.field.startswith("document")
    with pytest.raises(StoredDataError) as moved:
        from_record(attrs.evolve(record, state="zk-unknown"))
    assert (moved.value.case_id, moved.value.field) == (REAL[0], "cases.state")
    assert "zk-unknown" not in str(moved.value)
