"""The embedded store: one SQLite file through the standard library's ``sqlite3``.

Durability settings are not optional: every connection runs in WAL mode with
``synchronous=FULL`` (each commit is synced before it returns), foreign keys on and
``secure_delete`` on; a connection where WAL cannot be enabled is refused with
:class:`~sen_disagreement.errors.UnsafeStoreSettingsError`. Every write is one explicit
``BEGIN IMMEDIATE`` transaction, so a write either happens completely or not at all. New files get
16 KiB pages (a ~2 KB case document otherwise wastes half of each 4 KiB page).

Each thread gets its own connection (readers never block in WAL mode); writers queue on SQLite's
write lock for up to ``busy_timeout`` seconds. The queries and writes themselves are in
:mod:`sen_disagreement.store.core`; this module holds what is SQLite's own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from sen_disagreement.errors import StoredDataError, StoreError, UnsafeStoreSettingsError
from sen_disagreement.store import core
from sen_disagreement.store.contract import CaseRecord, PurgeReport, stored_date
from sen_disagreement.store.core import Codec, Dialect, SqlStore, Tx

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
    (
        4,
        # Tamper evidence (store/chain.py): each row's hash chained per case, the document each
        # save stored, and each chain's head.
        (
            "ALTER TABLE audit ADD COLUMN prev_hash TEXT",
            "ALTER TABLE audit ADD COLUMN hash TEXT",
            "ALTER TABLE audit ADD COLUMN doc_version INTEGER",
            "ALTER TABLE audit ADD COLUMN doc_hash TEXT",
            """CREATE TABLE audit_chain (
                chain          TEXT PRIMARY KEY,
                hash           TEXT NOT NULL,
                n              INTEGER NOT NULL,
                last_committed INTEGER NOT NULL
            ) WITHOUT ROWID""",
        ),
    ),
    (
        5,
        # The daily sweep's leases (sweeping.py): who holds each shard until when, and the last
        # day its sweep finished. And the appeal deadline as a deadline row: backfilled for the
        # cases with a certificate, whose document records the date (the rest get theirs with
        # their next save).
        (
            """CREATE TABLE leases (
                name         TEXT PRIMARY KEY,
                holder       TEXT,
                expires_at   INTEGER NOT NULL,
                done_through TEXT
            ) WITHOUT ROWID""",
            """INSERT INTO deadlines(case_ref, clock_id, due, status)
               SELECT ref, 'tribunal_appeal', due, 'appeal' FROM (
                 SELECT id AS ref,
                        json_extract(document, '$.case.certificates[#-1].appeal_deadline') AS due
                 FROM cases WHERE kind = 'mediation' AND json_valid(document)
               ) WHERE typeof(due) = 'text' AND length(due) = 10
               ON CONFLICT DO NOTHING""",
        ),
    ),
)
LATEST_VERSION = MIGRATIONS[-1][0]

# The statements as written for SQLite (the benchmarks run them on raw connections).
_INSERT_CASE = core.INSERT_CASE
_INSERT_DEADLINE = core.INSERT_DEADLINE
_INSERT_AUDIT = core.INSERT_AUDIT


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def ts(value: dt.datetime) -> int:
    """A UTC timestamp as stored: integer microseconds since 1970-01-01T00:00Z (compact, sorts
    chronologically, about six times cheaper to produce than ISO text)."""
    return (value - _EPOCH) // _MICROSECOND


_TS_MIN = ts(dt.datetime.min.replace(tzinfo=dt.UTC))
_TS_MAX = ts(dt.datetime.max.replace(tzinfo=dt.UTC))


def parse_ts(value: object) -> dt.datetime:
    """A stored timestamp; anything but an integer in the range of a datetime is a
    :class:`StoredDataError` (which never quotes the value)."""
    if not isinstance(value, int) or isinstance(value, bool) or not _TS_MIN <= value <= _TS_MAX:
        raise StoredDataError("timestamp", problem="is not a timestamp this library writes")
    return _EPOCH + dt.timedelta(microseconds=value)


def parse_bool(value: object) -> bool:
    """A stored flag: exactly 0 or 1 (the CHECK constraint a raw connection can switch off)."""
    if type(value) is int and value in (0, 1):
        return value == 1
    raise StoredDataError("flag", problem="is not 0 or 1")


class _Undecodable(str):
    """What a TEXT value that is not UTF-8 reads as: a string every field check refuses (it holds
    a NUL), never the bytes themselves (sqlite3's own error would quote them)."""

    __slots__ = ()


_UNDECODABLE = _Undecodable("\x00")


def _text(data: bytes) -> str:
    """The connections' text factory: UTF-8 as usual; anything else reads as ``_UNDECODABLE``."""
    try:
        return data.decode()
    except UnicodeDecodeError:
        return _UNDECODABLE


# Timestamps as above, dates as ISO text (which sorts like the date), legal_hold as 0/1.
CODEC = Codec(ts, parse_ts, dt.date.isoformat, stored_date, int, parse_bool,
              ts_is_micros=True)


def _case_row(rowid: int | None, r: CaseRecord, version: int) -> tuple[object, ...]:
    return (rowid, *core.case_values(CODEC, r, version))


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

_DAMAGED = (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT)


def _unusable(e: sqlite3.DatabaseError) -> str:
    """Why a file cannot be used, by SQLite's error name only (never the driver's text)."""
    if e.sqlite_errorcode in _DAMAGED:
        return f"the file is not a SQLite database, or it is damaged ({e.sqlite_errorname})"
    return f"cannot use the SQLite file ({e.sqlite_errorname})"


def _create_private(path: Path) -> None:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        return  # an existing file keeps the mode its owner chose
    os.close(fd)


class _Tx(Tx):
    __slots__ = ()

    def many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        self._c.executemany(sql, rows)

    def insert(self, sql: str, args: Sequence[object], key: str) -> int | None:
        cur = self._c.execute(sql, args)
        return int(cur.lastrowid) if cur.rowcount == 1 else None


class _Write:
    """A write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``; ``ROLLBACK`` on any exception),
    as a plain context manager: it runs on every save, and a generator-based one costs more."""

    __slots__ = ("_c",)

    def __init__(self, c: sqlite3.Connection) -> None:
        self._c = c

    def __enter__(self) -> Tx:
        try:
            self._c.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            msg = "the database stayed locked by another writer past busy_timeout"
            raise StoreError(msg) from e
        return _Tx(self._c)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        c = self._c
        if exc is None:
            try:
                c.execute("COMMIT")
                return
            except BaseException as failed:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                if isinstance(failed, sqlite3.OperationalError):
                    raise StoreError(
                        f"the write was not committed: {_unusable(failed)}") from None
                raise
        if c.in_transaction:
            c.execute("ROLLBACK")
        if isinstance(exc, sqlite3.OperationalError):
            # The file could not be written (disk I/O error, full disk, lock lost):
            # nothing was committed.
            raise StoreError(f"the write was not committed: {_unusable(exc)}") from None


class SQLiteDialect(Dialect[sqlite3.Connection]):
    migrations = MIGRATIONS
    schema_version_ddl = (
        "CREATE TABLE IF NOT EXISTS schema_version"
        " (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"
    )
    codec = CODEC
    for_update = ""  # BEGIN IMMEDIATE already holds the file's one write lock
    skip_locked = ""  # one writer at a time: no other claimer can hold a row
    not_held = "legal_hold = 0"
    # CROSS JOIN fixes the join order (drive deadline queries from the deadlines index) and the
    # unary + keeps the planner off the cases indexes for the case filters.
    join = "CROSS JOIN"
    unindexed = "+"
    list_chunk = 500  # well under SQLite's limit on bound parameters
    unique_error = sqlite3.IntegrityError
    fk_error = sqlite3.IntegrityError
    tx_class = _Tx
    serialised = True  # BEGIN IMMEDIATE: one writer at a time for the whole file

    def __init__(self, path: Path, busy_ms: int) -> None:
        self.path = path
        self.busy_ms = busy_ms

    def connect(self) -> sqlite3.Connection:
        if self.path.exists() and not self.path.is_file():
            # /dev/null, a directory, a FIFO: SQLite would fail later, mid-transaction.
            raise StoreError("the SQLite path is not a regular file")
        try:
            c = sqlite3.connect(
                self.path,
                timeout=self.busy_ms / 1000,
                isolation_level=None,  # explicit BEGIN IMMEDIATE / COMMIT in write()
                check_same_thread=False,  # each connection is used by one thread only
            )
        except sqlite3.Error as e:
            msg = f"cannot open the SQLite file ({e.__class__.__name__})"
            raise StoreError(msg) from e
        c.text_factory = _text
        try:
            c.execute(f"PRAGMA busy_timeout={self.busy_ms}")
            c.execute(f"PRAGMA page_size={PAGE_SIZE}")  # no-op once the file has tables
            mode = _enable_wal(c, self.busy_ms / 1000)
            if str(mode).lower() != "wal":
                raise UnsafeStoreSettingsError("journal_mode", str(mode), "wal")
            c.execute("PRAGMA synchronous=FULL")
            if c.execute("PRAGMA synchronous").fetchone()[0] != 2:
                raise UnsafeStoreSettingsError("synchronous", "not FULL", "FULL")
            c.execute("PRAGMA foreign_keys=ON")
            if c.execute("PRAGMA foreign_keys").fetchone()[0] != 1:
                raise UnsafeStoreSettingsError("foreign_keys", "off", "on")
            c.execute("PRAGMA secure_delete=ON")
        except sqlite3.DatabaseError as e:  # the first statement reads the file's header
            c.close()
            raise StoreError(_unusable(e)) from None
        except BaseException:
            c.close()
            raise
        return c

    def write(self, c: sqlite3.Connection, *, single: bool = False) -> _Write:
        # Even one statement takes BEGIN IMMEDIATE, so a lock timeout reads the same everywhere.
        return _Write(c)

    @contextlib.contextmanager
    def read(self, c: sqlite3.Connection) -> Iterator[Tx]:
        # A deferred transaction reads one WAL snapshot from its first statement to COMMIT.
        c.execute("BEGIN")
        try:
            yield _Tx(c)
        finally:
            c.execute("COMMIT")

    def new_ids(self, tx: Tx, n: int) -> list[int]:
        row = tx.one("SELECT COALESCE(MAX(id), 0) FROM cases")  # safe: the write lock is held
        base = 1 if row is None else int(row[0]) + 1
        return list(range(base, base + n))

    purge_patience = 5.0
    """Seconds a purge keeps retrying the checkpoint that empties the WAL while another
    connection holds a read snapshot, before it reports the clean-up as pending."""
    _vacuum_owed = False  # a VACUUM after a purge failed: the next purge retries it

    def after_purge(self, c: sqlite3.Connection, purged: tuple[str, ...]) -> PurgeReport:
        # Rebuild the file so no freed page keeps old bytes (secure_delete zeroed them already),
        # then checkpoint: copy the WAL into the file and truncate it. A connection holding a
        # read snapshot blocks the checkpoint (the old pages, erased bytes and all, are what it
        # reads; VACUUM itself does not wait for readers), so the checkpoint is retried with a
        # short backoff for purge_patience seconds, then reported as pending. What is owed needs
        # no marker: while the -wal file holds any bytes, every later purge (even of no cases,
        # as purge_expired makes with nothing due) checkpoints again.
        vacuumed, problems = False, []
        if purged or self._vacuum_owed:
            try:
                c.execute("VACUUM")
            except sqlite3.OperationalError as e:
                self._vacuum_owed = True
                problems.append(
                    f"the file was not rebuilt (VACUUM failed: {e.__class__.__name__}), so the "
                    "freed pages (zeroed by secure_delete) were not repacked; the next purge "
                    "retries it"
                )
            else:
                vacuumed, self._vacuum_owed = True, False
        truncated = (not purged and self._wal_size() == 0) or self._checkpoint(c)
        if not truncated:
            problems.append(
                "erased bytes may remain in the database file and its -wal file: another "
                "connection held a read snapshot through every checkpoint attempt "
                f"({self.purge_patience:g} s); the next purge, or purge_expired run even with "
                "nothing due, checkpoints again"
            )
        return PurgeReport(
            purged=purged,
            vacuumed=vacuumed,
            wal_truncated=truncated,
            pending=bool(problems),
            message="; ".join(problems),
        )

    def _wal_size(self) -> int:
        try:
            return os.stat(f"{self.path}-wal").st_size
        except FileNotFoundError:
            return 0

    def _checkpoint(self, c: sqlite3.Connection) -> bool:
        """Checkpoint and truncate the WAL; ``False`` if readers blocked it past the patience.
        Each attempt runs without SQLite's busy handler: a TRUNCATE checkpoint waiting in it
        would hold every new writer back until the readers finish."""
        deadline = time.monotonic() + self.purge_patience
        delay = 0.002
        c.execute("PRAGMA busy_timeout=0")
        try:
            while True:
                try:
                    busy = c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                except sqlite3.OperationalError:
                    busy = 1  # a writer held the lock at that moment
                if busy == 0:
                    return True
                if time.monotonic() >= deadline:
                    return False
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
        finally:
            c.execute(f"PRAGMA busy_timeout={self.busy_ms}")

    def any_of(self, column: str, values: Sequence[object]) -> tuple[str, list[object]]:
        return f"{column} IN ({','.join('?' * len(values))})", list(values)

    def indexed_by(self, index: str) -> str:
        # Pin the partial index the query is written for (cases_council matches too).
        return f" INDEXED BY {index}"


class SQLiteStore(SqlStore[sqlite3.Connection]):
    """A :class:`~sen_disagreement.store.contract.Store` on one SQLite file."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 30.0,
        now: Callable[[], dt.datetime] = core.utcnow,
    ) -> None:
        self.path = Path(path)
        if not self.path.parent.is_dir():
            msg = f"the directory of the SQLite file does not exist: {self.path.parent}"
            raise StoreError(msg)
        _create_private(self.path)
        dialect = SQLiteDialect(self.path, int(busy_timeout * 1000))
        try:
            super().__init__(dialect, now)
        except sqlite3.DatabaseError as e:
            self.close()  # an open that fails keeps no connection
            # A file whose header reads but whose pages do not (truncated, overwritten) fails
            # in the migration's first read; any other driver error is the migration's own.
            if e.sqlite_errorcode not in _DAMAGED:
                raise
            raise StoreError(_unusable(e)) from None
        except BaseException:
            self.close()
            raise
