"""The embedded store: one SQLite file through the standard library's ``sqlite3``.

Durability settings are not optional: every connection runs in WAL mode with
``synchronous=FULL`` (each commit is synced before it returns), foreign keys on and
``secure_delete`` on; a connection where WAL cannot be enabled is refused with
:class:`~sen_disagreement.errors.UnsafeStoreSettingsError`. Every write is one explicit
``BEGIN IMMEDIATE`` transaction, so a write either happens completely or not at all. New files get
16 KiB pages (a ~2 KB case document otherwise wastes half of each 4 KiB page).

Each thread gets its own connection (readers never block in WAL mode); writers queue on SQLite's
write lock for up to ``busy_timeout`` seconds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import attrs

from sen_disagreement.errors import (
    InvalidInputError,
    LegalHoldError,
    NotFoundError,
    StaleWriteError,
    StoreError,
    UnsafeStoreSettingsError,
)
from sen_disagreement.store.contract import (
    CASE_KINDS,
    AuditEntry,
    CaseRecord,
    DeadlineEntry,
    DeadlineHit,
    OutboxItem,
    OutboxMessage,
    OutboxStatus,
    PurgeReport,
    RetentionTrigger,
    bad_input,
    case_guard,
    check_actor,
    check_case_id,
    check_case_query,
    check_claim,
    check_date,
    check_deadline_query,
    check_fields,
    check_int,
    check_limit,
    check_messages,
    check_name,
    check_retention_query,
    check_utc,
    check_version,
    decode_deadlines,
)

__all__ = ["MIGRATIONS", "PAGE_SIZE", "SQLiteStore"]

PAGE_SIZE = 16384

MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """CREATE TABLE cases (
                id          INTEGER PRIMARY KEY,
                case_id     TEXT NOT NULL UNIQUE,
                council     TEXT NOT NULL,
                kind        TEXT NOT NULL,
                state       TEXT NOT NULL,
                version     INTEGER NOT NULL CHECK (version >= 1),
                created_at  INTEGER NOT NULL,
                updated_at  INTEGER NOT NULL,
                subject_dob TEXT,
                closed_on   TEXT,
                legal_hold  INTEGER NOT NULL DEFAULT 0 CHECK (legal_hold IN (0, 1)),
                document    TEXT NOT NULL
            )""",
            "CREATE INDEX cases_council ON cases(council, kind, state, case_id)",
            "CREATE INDEX cases_dob ON cases(council, kind, subject_dob) WHERE legal_hold = 0",
            "CREATE INDEX cases_closed ON cases(council, kind, closed_on)"
            " WHERE closed_on IS NOT NULL AND legal_hold = 0",
            """CREATE TABLE case_history (
                id          INTEGER PRIMARY KEY,
                case_ref    INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
                version     INTEGER NOT NULL,
                council     TEXT NOT NULL,
                kind        TEXT NOT NULL,
                state       TEXT NOT NULL,
                created_at  INTEGER NOT NULL,
                updated_at  INTEGER NOT NULL,
                subject_dob TEXT,
                closed_on   TEXT,
                legal_hold  INTEGER NOT NULL,
                deadlines   TEXT NOT NULL,
                document    TEXT NOT NULL,
                UNIQUE (case_ref, version)
            )""",
            """CREATE TABLE deadlines (
                case_ref INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
                clock_id TEXT NOT NULL,
                due      TEXT NOT NULL,
                status   TEXT NOT NULL,
                PRIMARY KEY (case_ref, clock_id)
            ) WITHOUT ROWID""",
            "CREATE INDEX deadlines_due ON deadlines(status, due, clock_id)",
            """CREATE TABLE audit (
                seq     INTEGER PRIMARY KEY AUTOINCREMENT,
                at      INTEGER NOT NULL,
                actor   TEXT NOT NULL,
                action  TEXT NOT NULL,
                case_id TEXT,
                outcome TEXT NOT NULL,
                fields  TEXT NOT NULL
            )""",
            "CREATE INDEX audit_case ON audit(case_id, seq) WHERE case_id IS NOT NULL",
            "CREATE TABLE purge_permits (case_id TEXT PRIMARY KEY) WITHOUT ROWID",
            """CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit
               BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END""",
            """CREATE TRIGGER audit_append_only_d BEFORE DELETE ON audit
               WHEN NOT EXISTS (SELECT 1 FROM purge_permits p WHERE p.case_id = OLD.case_id)
               BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END""",
            """CREATE TRIGGER history_append_only_u BEFORE UPDATE ON case_history
               BEGIN SELECT RAISE(ABORT, 'case history is append-only'); END""",
            """CREATE TRIGGER history_append_only_d BEFORE DELETE ON case_history
               WHEN NOT EXISTS (SELECT 1 FROM purge_permits p JOIN cases c
                                ON c.case_id = p.case_id WHERE c.id = OLD.case_ref)
               BEGIN SELECT RAISE(ABORT, 'case history is append-only'); END""",
        ),
    ),
    (
        2,
        (
            """CREATE TABLE outbox (
                id              INTEGER PRIMARY KEY,
                case_id         TEXT NOT NULL REFERENCES cases(case_id) ON DELETE CASCADE,
                channel         TEXT NOT NULL,
                template        TEXT NOT NULL,
                idempotency_key TEXT NOT NULL UNIQUE,
                payload_ref     TEXT NOT NULL,
                status          TEXT NOT NULL
                                CHECK (status IN ('pending', 'claimed', 'sent', 'dead')),
                attempts        INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER NOT NULL,
                created_at      INTEGER NOT NULL,
                sent_at         INTEGER
            )""",
            "CREATE INDEX outbox_due ON outbox(status, next_attempt_at)",
            "CREATE INDEX outbox_case ON outbox(case_id)",
        ),
    ),
    (
        3,
        # Each audit entry keeps the time of the event (``at``) and, apart, the commit time.
        ("ALTER TABLE audit ADD COLUMN committed_at INTEGER",),
    ),
)
LATEST_VERSION = MIGRATIONS[-1][0]

_CASE_COLUMNS = (
    "case_id, council, kind, state, version, created_at, updated_at, subject_dob, closed_on,"
    " legal_hold, document"
)
_INSERT_CASE = (
    "INSERT INTO cases(id, case_id, council, kind, state, version, created_at, updated_at,"
    " subject_dob, closed_on, legal_hold, document) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)
_INSERT_DEADLINE = "INSERT INTO deadlines(case_ref, clock_id, due, status) VALUES (?,?,?,?)"
_INSERT_AUDIT = (
    "INSERT INTO audit(at, actor, action, case_id, outcome, fields, committed_at)"
    " VALUES (?,?,?,?,?,?,?)"
)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def ts(value: dt.datetime) -> int:
    """A UTC timestamp as stored: integer microseconds since 1970-01-01T00:00Z (compact, sorts
    chronologically, about six times cheaper to produce than ISO text)."""
    return (value - _EPOCH) // _MICROSECOND


def parse_ts(value: object) -> dt.datetime:
    if not isinstance(value, int):
        msg = "a stored timestamp is not an integer"
        raise StoreError(msg)
    return _EPOCH + dt.timedelta(microseconds=value)


def _opt_date(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _case_row(rowid: int | None, r: CaseRecord, version: int) -> tuple[object, ...]:
    return (
        rowid,
        r.case_id,
        r.council,
        r.kind,
        r.state,
        version,
        ts(r.created_at),
        ts(r.updated_at),
        _iso(r.subject_date_of_birth),
        _iso(r.closed_on),
        int(r.legal_hold),
        r.document,
    )


def _enable_wal(c: sqlite3.Connection, patience: float) -> str:
    """Switch to WAL, retrying while another process holds the lock: SQLite does not apply
    busy_timeout to the journal-mode change, so several processes opening a new file at once
    could see 'database is locked' (found by the crash trials)."""
    deadline = time.monotonic() + patience
    delay = 0.001
    while True:
        try:
            return str(c.execute("PRAGMA journal_mode=WAL").fetchone()[0])
        except sqlite3.OperationalError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


FILE_MODE = 0o600
"""A new database file is readable by its owner only: it holds children's data and
without-prejudice text. SQLite gives the -wal and -shm files the database file's mode."""


def _create_private(path: Path) -> None:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        return  # an existing file keeps the mode its owner chose
    os.close(fd)


class SQLiteStore:
    """A :class:`~sen_disagreement.store.contract.Store` on one SQLite file."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 30.0,
        now: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.path = Path(path)
        self._busy_ms = int(busy_timeout * 1000)
        self._now = now
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        self._guard = case_guard()
        if not self.path.parent.is_dir():
            msg = f"the directory of the SQLite file does not exist: {self.path.parent}"
            raise StoreError(msg)
        _create_private(self.path)
        self._migrate(self._conn())

    # -- connections and transactions -------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            c = sqlite3.connect(
                self.path,
                timeout=self._busy_ms / 1000,
                isolation_level=None,  # explicit BEGIN IMMEDIATE / COMMIT below
                check_same_thread=False,  # each connection is used by one thread only
            )
        except sqlite3.Error as e:
            msg = f"cannot open the SQLite file ({e.__class__.__name__})"
            raise StoreError(msg) from e
        try:
            c.execute(f"PRAGMA busy_timeout={self._busy_ms}")
            c.execute(f"PRAGMA page_size={PAGE_SIZE}")  # no-op once the file has tables
            mode = _enable_wal(c, self._busy_ms / 1000)
            if str(mode).lower() != "wal":
                raise UnsafeStoreSettingsError("journal_mode", str(mode), "wal")
            c.execute("PRAGMA synchronous=FULL")
            if c.execute("PRAGMA synchronous").fetchone()[0] != 2:
                raise UnsafeStoreSettingsError("synchronous", "not FULL", "FULL")
            c.execute("PRAGMA foreign_keys=ON")
            if c.execute("PRAGMA foreign_keys").fetchone()[0] != 1:
                raise UnsafeStoreSettingsError("foreign_keys", "off", "on")
            c.execute("PRAGMA secure_delete=ON")
        except BaseException:
            c.close()
            raise
        return c

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            msg = "the store is closed"
            raise StoreError(msg)
        c: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if c is None:
            c = self._connect()
            self._local.conn = c
            with self._lock:
                self._connections.append(c)
        return c

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        c = self._conn()
        try:
            c.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            msg = "the database stayed locked by another writer past busy_timeout"
            raise StoreError(msg) from e
        try:
            yield c
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise

    def _migrate(self, c: sqlite3.Connection) -> None:
        with self._write():
            c.execute(
                "CREATE TABLE IF NOT EXISTS schema_version"
                " (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"
            )
            current = c.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[
                0
            ]
            if current > LATEST_VERSION:
                msg = (
                    f"the database has schema version {current}, newer than this library's "
                    f"{LATEST_VERSION}; upgrade sen-disagreement"
                )
                raise StoreError(msg)
            for version, statements in MIGRATIONS:
                if version <= current:
                    continue
                for statement in statements:
                    c.execute(statement)
                c.execute(
                    "INSERT INTO schema_version(version, applied_at) VALUES (?, ?)",
                    (version, ts(self._now())),
                )

    def schema_version(self) -> int:
        row = self._conn().execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for c in self._connections:
                c.close()
            self._connections.clear()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- cases --------------------------------------------------------------------------------
    def _audit_row(
        self,
        actor: str,
        action: str,
        case_id: str | None,
        outcome: str,
        fields: tuple[str, ...],
    ) -> tuple[object, ...]:
        now = ts(self._now())
        return (now, actor, action, case_id, outcome, ",".join(fields), now)

    @staticmethod
    def _entry_rows(entries: Sequence[AuditEntry], committed: int) -> list[tuple[object, ...]]:
        return [
            (ts(e.at), e.actor, e.action, e.case_id, e.outcome, ",".join(e.fields), committed)
            for e in entries
        ]

    def save(
        self,
        record: CaseRecord,
        expected_version: int,
        *,
        actor: str,
        action: str = "case.saved",
        fields: Sequence[str] = (),
        outbox: Sequence[OutboxMessage] = (),
    ) -> CaseRecord:
        if not isinstance(record, CaseRecord):
            raise bad_input("record", "must be a CaseRecord", "record")
        new_version = check_version(record, expected_version)
        check_actor(actor)
        check_name(action, "action")
        names = check_fields(fields)
        messages = check_messages(outbox, case_id=record.case_id)
        stale: int | None = None
        refused: InvalidInputError | None = None
        with self._write() as c:
            row = c.execute(
                "SELECT id, version, document FROM cases WHERE case_id = ?", (record.case_id,)
            ).fetchone()
            found = None if row is None else int(row[1])
            entries: tuple[AuditEntry, ...] | None = None
            if (found or 0) != expected_version:
                stale = -1 if found is None else found
            else:
                try:
                    entries = self._guard(
                        None if row is None else str(row[2]), record.document, kind=record.kind
                    )
                except InvalidInputError as exc:
                    refused = exc
            if stale is not None or refused is not None:
                outcome = "refused_stale" if refused is None else "refused_invariant"
                c.execute(
                    _INSERT_AUDIT, self._audit_row(actor, action, record.case_id, outcome, names)
                )
            else:
                if row is None:
                    cur = c.execute(_INSERT_CASE, _case_row(None, record, new_version))
                    rowid = int(cur.lastrowid or 0)
                else:
                    rowid = int(row[0])
                    c.execute(
                        "INSERT INTO case_history(case_ref, version, council, kind, state,"
                        " created_at, updated_at, subject_dob, closed_on, legal_hold, deadlines,"
                        " document) SELECT c.id, c.version, c.council, c.kind, c.state,"
                        " c.created_at, c.updated_at, c.subject_dob, c.closed_on, c.legal_hold,"
                        " ?, c.document FROM cases c WHERE c.id = ?",
                        (self._current_deadlines_json(c, rowid), rowid),
                    )
                    c.execute(
                        "UPDATE cases SET council=?, kind=?, state=?, version=?, created_at=?,"
                        " updated_at=?, subject_dob=?, closed_on=?, legal_hold=?, document=?"
                        " WHERE id=?",
                        (*_case_row(None, record, new_version)[2:], rowid),
                    )
                    c.execute("DELETE FROM deadlines WHERE case_ref = ?", (rowid,))
                c.executemany(
                    _INSERT_DEADLINE,
                    [(rowid, d.clock_id, d.due.isoformat(), d.status) for d in record.deadlines],
                )
                if entries:
                    c.executemany(_INSERT_AUDIT, self._entry_rows(entries, ts(self._now())))
                else:
                    c.execute(
                        _INSERT_AUDIT, self._audit_row(actor, action, record.case_id, "ok", names)
                    )
                if messages:
                    self._insert_messages(c, messages)
        if refused is not None:
            raise refused
        if stale is not None:
            raise StaleWriteError(record.case_id, expected_version, None if stale < 0 else stale)
        return attrs.evolve(record, version=new_version)

    @staticmethod
    def _current_deadlines_json(c: sqlite3.Connection, rowid: int) -> str:
        rows = c.execute(
            "SELECT clock_id, due, status FROM deadlines WHERE case_ref = ? ORDER BY clock_id",
            (rowid,),
        ).fetchall()
        return json.dumps([list(r) for r in rows], separators=(",", ":"))

    def save_many(
        self, records: Sequence[CaseRecord], *, actor: str, action: str = "case.imported"
    ) -> int:
        check_actor(actor)
        check_name(action, "action")
        seen: set[str] = set()
        for i, r in enumerate(records):
            if not isinstance(r, CaseRecord):
                raise bad_input(f"records[{i}]", "must be a CaseRecord", "record")
            if r.version not in (0, 1):
                raise bad_input(f"records[{i}].version", "must be 0 or 1 for a new case", "version")
            if r.case_id in seen:
                raise bad_input(f"records[{i}].case_id", "is repeated in the batch", "unique")
            seen.add(r.case_id)
            try:
                self._guard(None, r.document, kind=r.kind)
            except InvalidInputError as exc:
                raise exc.at(f"records[{i}]") from None
        if not records:
            return 0
        at = ts(self._now())
        try:
            with self._write() as c:
                base = int(c.execute("SELECT COALESCE(MAX(id), 0) FROM cases").fetchone()[0]) + 1
                c.executemany(
                    _INSERT_CASE,
                    [
                        (
                            base + i,
                            r.case_id,
                            r.council,
                            r.kind,
                            r.state,
                            1,
                            (r.created_at - _EPOCH) // _MICROSECOND,
                            (r.updated_at - _EPOCH) // _MICROSECOND,
                            None
                            if r.subject_date_of_birth is None
                            else r.subject_date_of_birth.isoformat(),
                            None if r.closed_on is None else r.closed_on.isoformat(),
                            int(r.legal_hold),
                            r.document,
                        )
                        for i, r in enumerate(records)
                    ],
                )
                c.executemany(
                    _INSERT_DEADLINE,
                    [
                        (base + i, d.clock_id, d.due.isoformat(), d.status)
                        for i, r in enumerate(records)
                        for d in r.deadlines
                    ],
                )
                c.executemany(
                    _INSERT_AUDIT, [(at, actor, action, r.case_id, "ok", "", at) for r in records]
                )
        except sqlite3.IntegrityError:
            self._raise_existing([r.case_id for r in records])
            raise
        return len(records)

    def _raise_existing(self, case_ids: list[str]) -> None:
        c = self._conn()
        for start in range(0, len(case_ids), 500):
            chunk = case_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            row = c.execute(
                f"SELECT case_id, version FROM cases WHERE case_id IN ({marks}) LIMIT 1",  # noqa: S608
                chunk,
            ).fetchone()
            if row is not None:
                raise StaleWriteError(row[0], 0, int(row[1]))

    def _record(self, row: Sequence[object], deadlines: tuple[DeadlineEntry, ...]) -> CaseRecord:
        (case_id, council, kind, state, version, created, updated, dob, closed, hold, doc) = row
        return CaseRecord(
            case_id=str(case_id),
            council=str(council),
            kind=str(kind),
            state=str(state),
            version=int(str(version)),
            created_at=parse_ts(created),
            updated_at=parse_ts(updated),
            subject_date_of_birth=_opt_date(None if dob is None else str(dob)),
            closed_on=_opt_date(None if closed is None else str(closed)),
            legal_hold=bool(hold),
            document=str(doc),
            deadlines=deadlines,
        )

    def _load(self, c: sqlite3.Connection, case_id: str) -> tuple[int, CaseRecord]:
        row = c.execute(
            f"SELECT id, {_CASE_COLUMNS} FROM cases WHERE case_id = ?",  # noqa: S608
            (case_id,),
        ).fetchone()
        if row is None:
            msg = f"case {case_id} is not in the store"
            raise NotFoundError(msg)
        rowid = int(row[0])
        deadlines = tuple(
            DeadlineEntry(clock_id=k, due=dt.date.fromisoformat(d), status=s)
            for k, d, s in c.execute(
                "SELECT clock_id, due, status FROM deadlines WHERE case_ref = ? ORDER BY clock_id",
                (rowid,),
            )
        )
        return rowid, self._record(row[1:], deadlines)

    def load(self, case_id: str) -> CaseRecord:
        check_case_id(case_id)
        c = self._conn()
        with _read(c):
            return self._load(c, case_id)[1]

    def history(self, case_id: str) -> list[CaseRecord]:
        check_case_id(case_id)
        c = self._conn()
        with _read(c):
            rowid, current = self._load(c, case_id)
            rows = c.execute(
                "SELECT ?, council, kind, state, version, created_at, updated_at, subject_dob,"
                " closed_on, legal_hold, document, deadlines FROM case_history"
                " WHERE case_ref = ? ORDER BY version",
                (case_id, rowid),
            ).fetchall()
        out = [self._record(r[:11], decode_deadlines(r[11])) for r in rows]
        out.append(current)
        return out

    def find_cases(
        self,
        council: str,
        *,
        kind: str | None = None,
        state: str | None = None,
        after_case_id: str | None = None,
        limit: int = 1000,
    ) -> list[CaseRecord]:
        check_case_query(council, kind, state, after_case_id, limit)
        kinds = _kinds(kind)
        marks = ",".join("?" * len(kinds))
        sql = f"SELECT id, {_CASE_COLUMNS} FROM cases WHERE council = ? AND kind IN ({marks})"  # noqa: S608
        args: list[object] = [council, *kinds]
        if state is not None:
            sql += " AND state = ?"
            args.append(state)
        if after_case_id is not None:
            sql += " AND case_id > ?"
            args.append(after_case_id)
        sql += " ORDER BY case_id LIMIT ?"
        args.append(limit)
        c = self._conn()
        with _read(c):
            rows = c.execute(sql, args).fetchall()
            by_ref: dict[int, list[DeadlineEntry]] = {int(r[0]): [] for r in rows}
            refs = list(by_ref)
            for start in range(0, len(refs), 500):
                chunk = refs[start : start + 500]
                q = (
                    "SELECT case_ref, clock_id, due, status FROM deadlines WHERE case_ref IN"  # noqa: S608
                    f" ({','.join('?' * len(chunk))}) ORDER BY case_ref, clock_id"
                )
                for ref, k, d, s in c.execute(q, chunk):
                    by_ref[ref].append(
                        DeadlineEntry(clock_id=k, due=dt.date.fromisoformat(d), status=s)
                    )
        return [self._record(r[1:], tuple(by_ref[int(r[0])])) for r in rows]

    # -- deadlines ------------------------------------------------------------------------------
    def deadlines_between(
        self,
        start: dt.date | None,
        end: dt.date,
        *,
        clock_id: str | None = None,
        status: str = "running",
        council: str | None = None,
        kind: str | None = None,
        limit: int = 10_000,
    ) -> list[DeadlineHit]:
        check_deadline_query(start, end, clock_id, status, council, kind, limit)
        # Drive the query from the deadlines index: CROSS JOIN fixes the join order and the
        # unary + keeps the planner off the cases indexes for the case filters.
        sql = (
            "SELECT c.case_id, c.council, c.kind, c.state, d.clock_id, d.due, d.status"
            " FROM deadlines d CROSS JOIN cases c ON c.id = d.case_ref WHERE d.status = ?"
        )
        args: list[object] = [status]
        if start is not None:
            sql += " AND d.due >= ?"
            args.append(start.isoformat())
        sql += " AND d.due <= ?"
        args.append(end.isoformat())
        if clock_id is not None:
            sql += " AND d.clock_id = ?"
            args.append(clock_id)
        if council is not None:
            sql += " AND +c.council = ?"
            args.append(council)
        if kind is not None:
            sql += " AND +c.kind = ?"
            args.append(kind)
        sql += " ORDER BY d.due, d.clock_id, d.case_ref LIMIT ?"
        args.append(limit)
        fromiso = dt.date.fromisoformat
        return [
            DeadlineHit(a, b, k, s, cl, fromiso(d), st)
            for a, b, k, s, cl, d, st in self._conn().execute(sql, args)
        ]

    def overdue(
        self,
        today: dt.date,
        *,
        clock_id: str | None = None,
        council: str | None = None,
        kind: str | None = None,
        limit: int = 10_000,
    ) -> list[DeadlineHit]:
        check_date(today, "today")
        return self.deadlines_between(
            None,
            today - dt.timedelta(days=1),
            clock_id=clock_id,
            council=council,
            kind=kind,
            limit=limit,
        )

    # -- audit ----------------------------------------------------------------------------------
    def append_audit(self, entry: AuditEntry) -> AuditEntry:
        if not isinstance(entry, AuditEntry):
            raise bad_input("entry", "must be an AuditEntry", "audit_entry")
        committed = self._now()
        with self._write() as c:
            cur = c.execute(
                _INSERT_AUDIT,
                (
                    ts(entry.at),
                    entry.actor,
                    entry.action,
                    entry.case_id,
                    entry.outcome,
                    ",".join(entry.fields),
                    ts(committed),
                ),
            )
            seq = int(cur.lastrowid or 0)
        return attrs.evolve(entry, seq=seq, committed_at=committed)

    def audit_trail(
        self, case_id: str | None = None, *, after_seq: int = 0, limit: int = 10_000
    ) -> list[AuditEntry]:
        if case_id is not None:
            check_case_id(case_id)
        check_limit(limit)
        check_int(after_seq, "after_seq")
        cols = "seq, at, actor, action, case_id, outcome, fields, committed_at"
        if case_id is None:
            rows = self._conn().execute(
                f"SELECT {cols} FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",  # noqa: S608
                (after_seq, limit),
            )
        else:
            rows = self._conn().execute(
                f"SELECT {cols} FROM audit WHERE case_id = ? AND seq > ?"  # noqa: S608
                " ORDER BY seq LIMIT ?",
                (case_id, after_seq, limit),
            )
        return [
            AuditEntry(
                seq=seq,
                at=parse_ts(at),
                actor=actor,
                action=action,
                case_id=cid,
                outcome=outcome,
                fields=tuple(fields.split(",")) if fields else (),
                committed_at=None if committed is None else parse_ts(committed),
            )
            for seq, at, actor, action, cid, outcome, fields, committed in rows
        ]

    # -- outbox ---------------------------------------------------------------------------------
    def _insert_messages(
        self, c: sqlite3.Connection, messages: Sequence[OutboxMessage]
    ) -> list[int]:
        now = self._now()
        ids: list[int] = []
        for i, m in enumerate(messages):
            row = c.execute(
                "SELECT id, case_id, channel, template, payload_ref FROM outbox"
                " WHERE idempotency_key = ?",
                (m.idempotency_key,),
            ).fetchone()
            if row is not None:
                if tuple(row[1:]) != (m.case_id, m.channel, m.template, m.payload_ref):
                    raise bad_input(
                        f"outbox[{i}].idempotency_key",
                        "was already used for a different message",
                        "idempotency_key_reused",
                    )
                ids.append(int(row[0]))
                continue
            try:
                cur = c.execute(
                    "INSERT INTO outbox(case_id, channel, template, idempotency_key, payload_ref,"
                    " status, attempts, next_attempt_at, created_at)"
                    " VALUES (?,?,?,?,?,'pending',0,?,?)",
                    (
                        m.case_id,
                        m.channel,
                        m.template,
                        m.idempotency_key,
                        m.payload_ref,
                        ts(m.not_before or now),
                        ts(now),
                    ),
                )
            except sqlite3.IntegrityError as e:
                msg = f"outbox[{i}]: case {m.case_id} is not in the store"
                raise NotFoundError(msg) from e
            ids.append(int(cur.lastrowid or 0))
        return ids

    def enqueue(self, messages: Sequence[OutboxMessage]) -> list[int]:
        checked = check_messages(messages)
        with self._write() as c:
            return self._insert_messages(c, checked)

    def claim_outbox(
        self,
        *,
        now: dt.datetime,
        limit: int = 100,
        lease: dt.timedelta = dt.timedelta(minutes=5),
        channel: str | None = None,
    ) -> list[OutboxItem]:
        check_claim(now, limit, lease, channel)
        sql = (
            "SELECT id, case_id, channel, template, idempotency_key, payload_ref, attempts,"
            " created_at FROM outbox WHERE status IN ('pending', 'claimed')"
            " AND next_attempt_at <= ?"
        )
        args: list[object] = [ts(now)]
        if channel is not None:
            sql += " AND channel = ?"
            args.append(channel)
        sql += " ORDER BY next_attempt_at, id LIMIT ?"
        args.append(limit)
        until = now + lease
        with self._write() as c:
            rows = c.execute(sql, args).fetchall()
            c.executemany(
                "UPDATE outbox SET status = 'claimed', attempts = attempts + 1,"
                " next_attempt_at = ? WHERE id = ?",
                [(ts(until), r[0]) for r in rows],
            )
        return [
            OutboxItem(
                id=int(r[0]),
                message=OutboxMessage(
                    case_id=r[1],
                    channel=r[2],
                    template=r[3],
                    idempotency_key=r[4],
                    payload_ref=r[5],
                ),
                status=OutboxStatus.CLAIMED,
                attempts=int(r[6]) + 1,
                next_attempt_at=until,
                created_at=parse_ts(r[7]),
            )
            for r in rows
        ]

    def _set_outbox(self, outbox_id: int, sql: str, args: tuple[object, ...]) -> None:
        check_int(outbox_id, "outbox_id", 1)
        with self._write() as c:
            if c.execute(sql, (*args, outbox_id)).rowcount != 1:
                msg = f"outbox message {outbox_id} is not claimed"
                raise NotFoundError(msg)

    def mark_sent(self, outbox_id: int) -> None:
        self._set_outbox(
            outbox_id,
            "UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = ? AND status = 'claimed'",
            (ts(self._now()),),
        )

    def mark_failed(self, outbox_id: int, *, retry_at: dt.datetime | None) -> None:
        if retry_at is None:
            self._set_outbox(
                outbox_id,
                "UPDATE outbox SET status = 'dead' WHERE id = ? AND status = 'claimed'",
                (),
            )
            return
        check_utc(retry_at, "retry_at")
        self._set_outbox(
            outbox_id,
            "UPDATE outbox SET status = 'pending', next_attempt_at = ?"
            " WHERE id = ? AND status = 'claimed'",
            (ts(retry_at),),
        )

    # -- retention ------------------------------------------------------------------------------
    def retention_candidates(
        self,
        *,
        council: str,
        kind: str,
        trigger: RetentionTrigger,
        on_or_before: dt.date,
        limit: int = 10_000,
    ) -> list[str]:
        check_retention_query(council, kind, on_or_before, limit)
        if trigger is RetentionTrigger.DATE_OF_BIRTH:
            sql = (
                "SELECT case_id FROM cases INDEXED BY cases_dob WHERE council = ? AND kind = ?"
                " AND legal_hold = 0 AND subject_dob <= ? ORDER BY subject_dob, case_id LIMIT ?"
            )
        elif trigger is RetentionTrigger.CASE_CLOSED:
            sql = (
                "SELECT case_id FROM cases INDEXED BY cases_closed WHERE council = ? AND kind = ?"
                " AND legal_hold = 0 AND closed_on IS NOT NULL AND closed_on <= ?"
                " ORDER BY closed_on, case_id LIMIT ?"
            )
        else:
            raise bad_input("trigger", "must be a RetentionTrigger", "retention_trigger")
        rows = self._conn().execute(sql, (council, kind, on_or_before.isoformat(), limit))
        return [r[0] for r in rows]

    def purge(self, case_ids: Sequence[str], *, actor: str) -> PurgeReport:
        check_actor(actor)
        ids = list(dict.fromkeys(case_ids))
        for i, case_id in enumerate(ids):
            check_case_id(case_id, f"case_ids[{i}]")
        if not ids:
            return PurgeReport(purged=(), vacuumed=False, wal_truncated=False)
        with self._write() as c:
            for case_id in ids:
                row = c.execute(
                    "SELECT id, legal_hold FROM cases WHERE case_id = ?", (case_id,)
                ).fetchone()
                if row is None:
                    msg = f"case {case_id} is not in the store"
                    raise NotFoundError(msg)
                if row[1]:
                    raise LegalHoldError(case_id)
                rowid = int(row[0])
                c.execute("INSERT INTO purge_permits(case_id) VALUES (?)", (case_id,))
                c.execute("DELETE FROM outbox WHERE case_id = ?", (case_id,))
                c.execute("DELETE FROM deadlines WHERE case_ref = ?", (rowid,))
                c.execute("DELETE FROM case_history WHERE case_ref = ?", (rowid,))
                c.execute("DELETE FROM cases WHERE id = ?", (rowid,))
                c.execute("DELETE FROM audit WHERE case_id = ?", (case_id,))
                c.execute("DELETE FROM purge_permits WHERE case_id = ?", (case_id,))
                c.execute(_INSERT_AUDIT, self._audit_row(actor, "case.purged", case_id, "ok", ()))
        # Rebuild the file so no freed page keeps old bytes, then empty the WAL.
        conn = self._conn()
        conn.execute("VACUUM")
        busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return PurgeReport(purged=tuple(ids), vacuumed=True, wal_truncated=busy == 0)


@contextlib.contextmanager
def _read(c: sqlite3.Connection) -> Iterator[None]:
    """A read transaction, so multi-statement reads see one snapshot."""
    c.execute("BEGIN")
    try:
        yield
    finally:
        c.execute("COMMIT")


def _kinds(kind: str | None) -> tuple[str, ...]:
    """The kinds a query covers (``kind`` was checked by the caller)."""
    return CASE_KINDS if kind is None else (kind,)
