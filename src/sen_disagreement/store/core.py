"""The SQL core of both stores: every :class:`~sen_disagreement.store.contract.Store` method,
written once against a small :class:`Dialect`.

SQL here uses ``?`` placeholders (a dialect rewrites them for its driver) and must not contain
``%``. What really differs between SQLite and PostgreSQL is a member of the dialect: how a write
transaction and a consistent read begin, row locks, claiming outbox rows, how values are encoded,
new row ids, the migrations, the checks of a new connection and the clean-up after a purge.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, Generic, Literal, Protocol, Self, TypeVar

import attrs
from attrs import frozen

from sen_disagreement._checks import CASE_ID, COUNCIL
from sen_disagreement.errors import (
    InvalidInputError,
    LegalHoldError,
    NotFoundError,
    StaleWriteError,
    StoredDataError,
    StoreError,
)
from sen_disagreement.store.chain import (
    GENESIS,
    ChainBreak,
    VerifyReport,
    document_hash,
    link,
    link_us,
    micros,
)
from sen_disagreement.store.contract import (
    _SLUG as SLUG,
)
from sen_disagreement.store.contract import (
    CASE_KINDS,
    AuditEntry,
    CaseRecord,
    DeadlineEntry,
    DeadlineHit,
    Lease,
    OutboxItem,
    OutboxMessage,
    OutboxStatus,
    PurgeReport,
    RetentionTrigger,
    Settlement,
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
    check_lease,
    check_limit,
    check_messages,
    check_name,
    check_retention_query,
    check_timedelta,
    check_utc,
    check_version,
    decode_deadlines,
    exact,
    exact_record,
)

__all__ = [
    "CASE_COLUMNS",
    "EARLIEST_EVENT",
    "INSERT_AUDIT",
    "INSERT_CASE",
    "INSERT_CHAINED_AUDIT",
    "INSERT_CHAIN_HEAD",
    "INSERT_DEADLINE",
    "INSERT_NEW_CASE",
    "PURGE_DELETES",
    "PURGE_PERMIT_INSERT",
    "AuditRow",
    "Codec",
    "Dialect",
    "Migrations",
    "Row",
    "SqlStore",
    "Tx",
    "case_values",
    "check_event_time",
    "stored_case_id",
    "utcnow",
]

C = TypeVar("C", bound="_Closable")
_V = TypeVar("_V", "CaseRecord", "AuditEntry")
Row = Sequence[Any]
Migrations = tuple[tuple[int, tuple[str, ...]], ...]

PURGE_DELETES: tuple[tuple[str, str, Literal["case_id", "rowid"]], ...] = (
    ("outbox", "case_id", "case_id"),
    ("deadlines", "case_ref", "rowid"),
    ("case_history", "case_ref", "rowid"),
    ("cases", "id", "rowid"),
    ("audit", "case_id", "case_id"),
    ("audit_chain", "chain", "case_id"),
    ("purge_permits", "case_id", "case_id"),
)
"""The purge's deletes of one case, in order: (table, column, which key it holds: the case id
or the ``cases.id`` row id). The one source of truth: :meth:`Dialect.erase_case` runs these, and
PostgreSQL's ``sen_purge_case`` body is generated from them (``store/postgres.py``). Children
first (history before its case: its trigger finds the permit through the case row), the audit
entries and their chain head after, the permit (written before the first) last."""
PURGE_PERMIT_INSERT = "INSERT INTO purge_permits(case_id) VALUES (?)"
"""Opens the purge's permit window, before the first of :data:`PURGE_DELETES`."""
_PURGE_STATEMENTS = tuple(
    (f"DELETE FROM {table} WHERE {column} = ?", key == "rowid")  # noqa: S608 (constants)
    for table, column, key in PURGE_DELETES
)

CASE_COLUMNS = (
    "case_id, council, kind, state, version, created_at, updated_at, subject_dob, closed_on,"
    " legal_hold, document"
)
_LOAD_WITH_DEADLINES = (
    "SELECT c.id, c.case_id, c.council, c.kind, c.state, c.version, c.created_at, c.updated_at,"
    " c.subject_dob, c.closed_on, c.legal_hold, c.document,"
    " d.case_ref, d.clock_id, d.due, d.status FROM cases c"
    " LEFT JOIN deadlines d ON d.case_ref = c.id WHERE c.case_id = ? ORDER BY d.clock_id"
)
"""A case row (id, :data:`CASE_COLUMNS`) beside each of its deadline rows (case ref, clock,
due, status), or once with NULLs when it has none: :meth:`SqlStore.load` in one statement.
The joined ``case_ref`` says which (it is NULL only where no row joined); a clock column can
be NULL in a tampered row, which must be refused, not read as "no clocks"."""
INSERT_CASE = (
    "INSERT INTO cases(id, case_id, council, kind, state, version, created_at, updated_at,"
    " subject_dob, closed_on, legal_hold, document) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)
# A new case by save(): on PostgreSQL another server may create it after our SELECT saw nothing.
INSERT_NEW_CASE = (
    "INSERT INTO cases(case_id, council, kind, state, version, created_at, updated_at,"
    " subject_dob, closed_on, legal_hold, document) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
    " ON CONFLICT (case_id) DO NOTHING"
)
INSERT_DEADLINE = "INSERT INTO deadlines(case_ref, clock_id, due, status) VALUES (?,?,?,?)"
INSERT_AUDIT = (
    "INSERT INTO audit(at, actor, action, case_id, outcome, fields, committed_at)"
    " VALUES (?,?,?,?,?,?,?)"
)
"""The audit row without its chain columns (the benchmarks' raw floors write it)."""
INSERT_CHAINED_AUDIT = (
    "INSERT INTO audit(at, actor, action, case_id, outcome, fields, committed_at, prev_hash,"
    " hash, doc_version, doc_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)
INSERT_CHAIN_HEAD = (
    "INSERT INTO audit_chain(chain, hash, n, last_committed) VALUES (?,?,?,?)"
    " ON CONFLICT (chain) DO NOTHING"
)
_INSERT_MOVED_HEAD = "INSERT INTO audit_chain(chain, hash, n, last_committed) VALUES (?,?,?,?)"
"""A chain's head written once with its final values (a serialised dialect: no conflict can
arise, and one that did would fail the write rather than be skipped)."""
_UPDATE_HEAD = "UPDATE audit_chain SET hash = ?, n = ?, last_committed = ? WHERE chain = ?"
_SAVE_READ = "SELECT id, version, document, legal_hold FROM cases WHERE case_id = ?"
_SAVE_READ_WITH_HEAD = (
    "SELECT c.id, c.version, c.document, c.legal_hold, h.hash, h.n, h.last_committed"
    " FROM (SELECT ? AS k) q LEFT JOIN cases c ON c.case_id = q.k"
    " LEFT JOIN audit_chain h ON h.chain = q.k"
)
"""A save's first read on a serialised dialect: the case row and its chain's head in one
statement (each by its unique index; a column of a missing row reads NULL, and neither ``id`` nor
``hash`` is ever NULL in a stored row)."""
_STORED_DEADLINES = (
    "SELECT clock_id, due, status FROM deadlines WHERE case_ref = ? ORDER BY clock_id"
)
_HISTORY_COPY = (
    "INSERT INTO case_history(case_ref, version, council, kind, state, created_at,"
    " updated_at, subject_dob, closed_on, legal_hold, deadlines, document)"
    " SELECT c.id, c.version, c.council, c.kind, c.state, c.created_at, c.updated_at,"
    " c.subject_dob, c.closed_on, c.legal_hold, ?, c.document FROM cases c WHERE c.id = ?"
)
_UPDATE_CASE = (
    "UPDATE cases SET council=?, kind=?, state=?, version=?, created_at=?, updated_at=?,"
    " subject_dob=?, closed_on=?, document=? WHERE id=?"
)

AuditRow = tuple[dt.datetime, str, str, str | None, str, tuple[str, ...]]
"""(at, actor, action, case id, outcome, field names) of a row to append."""

EARLIEST_EVENT = dt.datetime(2014, 9, 1, tzinfo=dt.UTC)
"""No event of this process is older than Part 3 of the Children and Families Act 2014."""
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def check_event_time(at: dt.datetime) -> None:
    """An audit entry's event time is not before the law began (a 1971 entry is refused). The
    upper bound is the command path's (a step dated after its clock is refused there); the
    chain's own order is by commit time, which the store stamps."""
    if at < EARLIEST_EVENT:
        raise bad_input("at", "must not be before 2014-09-01", "event_time")
_INSERT_OUTBOX = (
    "INSERT INTO outbox(case_id, channel, template, idempotency_key, payload_ref, status,"
    " attempts, next_attempt_at, created_at) VALUES (?,?,?,?,?,'pending',0,?,?)"
    " ON CONFLICT (idempotency_key) DO NOTHING"
)
_SETTLE = {
    OutboxStatus.SENT: "UPDATE outbox SET status = 'sent', sent_at = ?"
    " WHERE id = ? AND status = 'claimed' AND attempts = ? AND case_id = ?",
    OutboxStatus.PENDING: "UPDATE outbox SET status = 'pending', next_attempt_at = ?"
    " WHERE id = ? AND status = 'claimed' AND attempts = ? AND case_id = ?",
    OutboxStatus.DEAD: "UPDATE outbox SET status = 'dead'"
    " WHERE id = ? AND status = 'claimed' AND attempts = ? AND case_id = ?",
}
"""The mark of each settled status, checked against the claim: still claimed, by this claim
(``attempts``), of the entry's case (:meth:`SqlStore.settle_outbox`)."""
_COMPACT = json.JSONEncoder(separators=(",", ":"))
"""``json.dumps(value, separators=(",", ":"))`` byte for byte, built once."""
_AUDIT_COLUMNS = "seq, at, actor, action, case_id, outcome, fields, committed_at"
_CLAIM_COLUMNS = (
    "id, case_id, channel, template, idempotency_key, payload_ref, attempts, created_at"
)


@frozen
class Codec:
    """How a backend stores Python values (and reads them back). Each ``*_out`` takes what the
    driver returned for a column and accepts only what ``*_in`` writes: anything else (another
    type, a value out of range) raises :class:`StoredDataError` without quoting it."""

    ts_in: Callable[[dt.datetime], object]
    ts_out: Callable[[Any], dt.datetime]
    date_in: Callable[[dt.date], object]
    date_out: Callable[[Any], dt.date]
    bool_in: Callable[[bool], object]
    bool_out: Callable[[Any], bool]
    ts_is_micros: bool = False
    """``ts_in`` writes a timestamp as :func:`~sen_disagreement.store.chain.micros` does (the
    chain hashes that number): the write loop then computes it once for both."""


# Stored-data faults: whatever decoding a tampered value can raise (RecursionError is a
# RuntimeError, InvalidInputError a ValueError). Each becomes a StoredDataError naming the case
# and the column; the original is dropped (``from None``), as its message may quote the value.
_UNREADABLE = (ValueError, TypeError, OverflowError, LookupError, AttributeError, RuntimeError,
               StoredDataError)
# A record field as the column it is stored in.
_COLUMN_OF = {"subject_date_of_birth": "subject_dob"}
_MAX_INT4 = 2**31 - 1  # version and attempts are PostgreSQL integers on both backends


_CASE_ID_OK = CASE_ID.fullmatch
_COUNCIL_OK = COUNCIL.fullmatch
_SLUG_OK = SLUG.fullmatch


def _matches(ok: Callable[[str], object], value: object) -> bool:
    return isinstance(value, str) and ok(value) is not None


def stored_case_id(value: object) -> str | None:
    """A stored case id, if it is one (to name a faulty row's case without echoing a value that
    is not a case id)."""
    return value if isinstance(value, str) and CASE_ID.fullmatch(value) is not None else None


def _int_in(value: object, minimum: int) -> int:
    """A stored integer column (version, attempts) as the store writes it."""
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= _MAX_INT4:
        raise TypeError  # the message is dropped: it would not quote the value anyway
    return value


def _field(table: str, column: str, exc: Exception) -> str:
    """The column a decoding error is about: a record's own check names its field (``state``,
    ``subject_date_of_birth``, ``deadlines[0].clock_id``); otherwise the column being decoded."""
    if isinstance(exc, InvalidInputError):
        column = exc.field.split("[", 1)[0].split(".", 1)[0]
    return f"{table}.{_COLUMN_OF.get(column, column)}"

def case_values(codec: Codec, r: CaseRecord, version: int) -> tuple[object, ...]:
    """The columns of a ``cases`` row after ``id``, encoded for the backend."""
    dob, closed = r.subject_date_of_birth, r.closed_on
    return (
        r.case_id,
        r.council,
        r.kind,
        r.state,
        version,
        codec.ts_in(r.created_at),
        codec.ts_in(r.updated_at),
        None if dob is None else codec.date_in(dob),
        None if closed is None else codec.date_in(closed),
        codec.bool_in(r.legal_hold),
        r.document,
    )


class Tx(ABC):
    """Statements on one connection, in whatever transaction the dialect opened. Both drivers
    take ``execute(sql, args)`` and return a cursor; an adapter overrides :meth:`execute`,
    :meth:`many` and :meth:`insert` where they differ."""

    __slots__ = ("_c",)

    def __init__(self, c: Any) -> None:
        self._c = c

    def execute(self, sql: str, args: Sequence[object]) -> Any:
        """Run one statement; the driver's cursor."""
        return self._c.execute(sql, args)

    def one(self, sql: str, args: Sequence[object] = ()) -> Row | None:
        row: Row | None = self.execute(sql, args).fetchone()
        return row

    def all(self, sql: str, args: Sequence[object] = ()) -> list[Row]:
        rows: list[Row] = self.execute(sql, args).fetchall()
        return rows

    def run(self, sql: str, args: Sequence[object] = ()) -> int:
        """Execute one statement; the number of rows it changed."""
        return int(self.execute(sql, args).rowcount)

    @abstractmethod
    def many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run one statement for each of ``rows``."""

    @abstractmethod
    def insert(self, sql: str, args: Sequence[object], key: str) -> int | None:
        """Insert one row; its new ``key`` column, or ``None`` if ``ON CONFLICT`` skipped it."""


class _Closable(Protocol):
    def close(self) -> None: ...


class Dialect(ABC, Generic[C]):
    """What one backend does differently; :class:`SqlStore` holds everything else."""

    migrations: ClassVar[Migrations]
    schema_version_ddl: ClassVar[str]
    codec: ClassVar[Codec]
    for_update: ClassVar[str]
    """Suffix of the SELECT by which a write reads the rows it is about to change."""
    skip_locked: ClassVar[str]
    """Suffix of the SELECT that picks the outbox rows to claim."""
    not_held: ClassVar[str]
    """The condition "not under legal hold", spelt as the partial indexes spell it (a planner
    uses a partial index only for a query that repeats its WHERE clause)."""
    join: ClassVar[str]
    """How deadline queries join cases to deadlines."""
    unindexed: ClassVar[str]
    """Prefix of a cases column filtered in a deadline query."""
    list_chunk: ClassVar[int]
    """How many values one :meth:`any_of` may bind."""
    unique_error: type[Exception]
    """What the driver raises for a duplicate key (save_many names the existing case)."""
    fk_error: type[Exception]
    """What the driver raises for a missing referenced row (an outbox message's case)."""
    tx_class: ClassVar[type[Tx]]
    serialised: ClassVar[bool] = False
    """One writer at a time for the whole database (SQLite's write lock, taken by the write
    transaction's BEGIN): what a write reads is what is stored until it commits, so a chain head
    it did not find can be inserted once with its final values, and a save reads its case row
    and chain head in one statement. ``False`` (PostgreSQL): rows are locked one by one, and a
    chain another server may start meanwhile is inserted ``ON CONFLICT`` first and read back."""

    @abstractmethod
    def connect(self) -> C:
        """A new connection, refused unless its durability settings are safe."""

    def usable(self, c: C) -> bool:
        """Whether a thread's connection can still be used (else a new one is opened)."""
        return True

    def tx(self, c: C) -> Tx:
        """Statements outside an explicit transaction (a single read)."""
        return self.tx_class(c)

    @abstractmethod
    def write(self, c: C, *, single: bool = False) -> contextlib.AbstractContextManager[Tx]:
        """A write transaction: committed on success, rolled back on any exception. ``single``:
        the body is one statement, which needs no explicit transaction where each statement
        commits on its own."""

    @abstractmethod
    def read(self, c: C) -> contextlib.AbstractContextManager[Tx]:
        """A read-only transaction in which every statement sees one snapshot."""

    def before_migrate(self, tx: Tx) -> None:
        """Serialise the migrations of servers starting together (in the migration's write)."""

    @abstractmethod
    def new_ids(self, tx: Tx, n: int) -> list[int]:
        """``n`` unused ``cases.id`` values, for a bulk insert."""

    @abstractmethod
    def after_purge(self, c: C, purged: tuple[str, ...]) -> PurgeReport:
        """Clean up the files after a purge of ``purged`` committed, and report. Called after
        every purge, even of no cases: it then finishes a clean-up an earlier one left owed."""

    @abstractmethod
    def any_of(self, column: str, values: Sequence[object]) -> tuple[str, list[object]]:
        """A condition ``column`` is one of ``values`` (at most :attr:`list_chunk`), with args."""

    def indexed_by(self, index: str) -> str:
        """A hint naming the index a retention query must use ("" where no hint exists)."""
        return ""

    def erase_case(self, tx: Tx, case_id: str, rowid: int) -> None:
        """Delete every row of one case (locked, not held) in the purge's transaction: the purge
        permit lets the append-only triggers allow it. The deletes are :data:`PURGE_DELETES`,
        in its order, the permit's own last (closing the window). The erased case's chain goes
        with it; the purge entry starts a new one. (PostgreSQL calls its ``sen_purge_case``
        function, generated from the same tuple.)"""
        tx.run(PURGE_PERMIT_INSERT, (case_id,))
        for sql, by_rowid in _PURGE_STATEMENTS:
            tx.run(sql, (rowid if by_rowid else case_id,))


def _unheld(record: CaseRecord) -> CaseRecord:
    return attrs.evolve(record, legal_hold=False) if record.legal_hold else record


_FIELDS: dict[type, tuple[tuple[str, ...], dict[str, Any]]] = {
    cls: (tuple(a.name for a in attrs.fields(cls)), {a.name: a for a in attrs.fields(cls)})
    for cls in (CaseRecord, AuditEntry)
}


def _evolved(value: _V, **changes: Any) -> _V:
    """``attrs.evolve(value, **changes)`` for a record type of this store, running only the
    changed fields' validators: the rest were checked when ``value`` was built. Only for
    changes no whole-value check looks at (see the callers)."""
    known = _FIELDS.get(type(value))
    if known is None:  # a subclass of the record type: the general path, every field checked
        return attrs.evolve(value, **changes)
    names, by_name = known
    new = object.__new__(type(value))
    for name in names:
        object.__setattr__(new, name, getattr(value, name))
    for name, changed in changes.items():
        object.__setattr__(new, name, changed)
    for name, changed in changes.items():
        attribute = by_name[name]
        if attribute.validator is not None:
            attribute.validator(new, attribute, changed)
    return new


def _stamped(record: CaseRecord, version: int, held: bool) -> CaseRecord:
    """The record as stored: its version and legal hold set (neither takes part in the record's
    whole-record check, created before updated)."""
    if type(record) is not CaseRecord:
        return _evolved(record, version=version, legal_hold=held)
    # _evolved written out for the record class itself (it runs on every save): each field
    # set through its slot, the two changed ones checked by their own validators.
    new = _new_object(CaseRecord)
    _set_case_id(new, record.case_id)
    _set_council(new, record.council)
    _set_kind(new, record.kind)
    _set_state(new, record.state)
    _set_version(new, version)
    _set_document(new, record.document)
    _set_created_at(new, record.created_at)
    _set_updated_at(new, record.updated_at)
    _set_deadlines(new, record.deadlines)
    _set_subject_date_of_birth(new, record.subject_date_of_birth)
    _set_closed_on(new, record.closed_on)
    _set_legal_hold(new, held)
    _check_version(new, _VERSION_FIELD, version)
    _check_held(new, _HELD_FIELD, held)
    return new


_new_object = object.__new__
_SLOT = CaseRecord.__dict__
_set_case_id = _SLOT["case_id"].__set__
_set_council = _SLOT["council"].__set__
_set_kind = _SLOT["kind"].__set__
_set_state = _SLOT["state"].__set__
_set_version = _SLOT["version"].__set__
_set_document = _SLOT["document"].__set__
_set_created_at = _SLOT["created_at"].__set__
_set_updated_at = _SLOT["updated_at"].__set__
_set_deadlines = _SLOT["deadlines"].__set__
_set_subject_date_of_birth = _SLOT["subject_date_of_birth"].__set__
_set_closed_on = _SLOT["closed_on"].__set__
_set_legal_hold = _SLOT["legal_hold"].__set__
_STAMPED_FIELDS = ("case_id", "council", "kind", "state", "version", "document", "created_at",
                   "updated_at", "deadlines", "subject_date_of_birth", "closed_on", "legal_hold")
"""The fields :func:`_stamped` sets, one by one (a test holds them to the record's fields)."""
_VERSION_FIELD = _FIELDS[CaseRecord][1]["version"]
_HELD_FIELD = _FIELDS[CaseRecord][1]["legal_hold"]
_check_version: Callable[..., Any] = _VERSION_FIELD.validator
_check_held: Callable[..., Any] = _HELD_FIELD.validator


def _stored_entry(entry: AuditEntry, seq: int, committed_at: dt.datetime) -> AuditEntry:
    """The entry as stored: its sequence number and commit time set (AuditEntry has no
    whole-entry check)."""
    return _evolved(entry, seq=seq, committed_at=committed_at)


def _chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC: the stores' default clock."""
    return dt.datetime.now(dt.UTC)


class SqlStore(Generic[C]):
    """A :class:`~sen_disagreement.store.contract.Store` on a SQL database, through a dialect.

    Each thread gets its own connection; :meth:`close` closes them all."""

    def __init__(self, dialect: Dialect[C], now: Callable[[], dt.datetime] = utcnow) -> None:
        self._d = dialect
        self._codec = dialect.codec
        self._now = now
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[C] = []
        self._closed = False
        self._guard = case_guard()
        # Built once: the statements whose text depends on the dialect.
        self._save_read = _SAVE_READ + dialect.for_update
        self._heads_read = (
            "SELECT chain, hash, n, last_committed FROM audit_chain WHERE {cond}"  # noqa: S608
            " ORDER BY chain" + dialect.for_update
        )
        self._migrate()

    # -- connections and transactions -------------------------------------------------------
    def _conn(self) -> C:
        if self._closed:
            msg = "the store is closed"
            raise StoreError(msg)
        c: C | None = getattr(self._local, "conn", None)
        if c is None or not self._d.usable(c):
            c = self._d.connect()
            self._local.conn = c
            with self._lock:
                self._connections.append(c)
        return c

    def _write(self, *, single: bool = False) -> contextlib.AbstractContextManager[Tx]:
        return self._d.write(self._conn(), single=single)

    def _read(self) -> contextlib.AbstractContextManager[Tx]:
        return self._d.read(self._conn())

    def _plain(self) -> Tx:
        return self._d.tx(self._conn())

    def _migrate(self) -> None:
        with self._write() as tx:
            self._d.before_migrate(tx)
            tx.run(self._d.schema_version_ddl)
            row = tx.one("SELECT COALESCE(MAX(version), 0) FROM schema_version")
            current = 0 if row is None else int(row[0])
            latest = self._d.migrations[-1][0]
            if current > latest:
                msg = (
                    f"the database has schema version {current}, newer than this library's "
                    f"{latest}; upgrade sen-disagreement"
                )
                raise StoreError(msg)
            for version, statements in self._d.migrations:
                if version <= current:
                    continue
                for statement in statements:
                    tx.run(statement)
                tx.run(
                    "INSERT INTO schema_version(version, applied_at) VALUES (?, ?)",
                    (version, self._codec.ts_in(self._now())),
                )

    def schema_version(self) -> int:
        row = self._plain().one("SELECT MAX(version) FROM schema_version")
        assert row is not None
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for c in self._connections:
                c.close()
            self._connections.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- rows ---------------------------------------------------------------------------------
    def _audit(
        self,
        tx: Tx,
        rows: Sequence[AuditRow],
        *,
        document: tuple[int, str] | None = None,
        documents: Sequence[tuple[int, str] | None] | None = None,
        want_seqs: bool = False,
        new_chains: bool = False,
        heads: dict[str, tuple[str, int, dt.datetime]] | None = None,
        read: Sequence[str] = (),
    ) -> tuple[list[int], list[dt.datetime]]:
        """Append audit rows, every one through here: each is stamped with the commit time
        (never earlier than its chain's last) and linked into its case's hash chain, whose head
        moves in the same transaction. ``document`` (version, text) is recorded on the last row,
        or ``documents`` gives one per row (imports). Batched: one statement per kind of write,
        whatever the number of rows. ``new_chains``: the rows start chains (an import of new
        cases), so on a dialect that is not serialised their heads are inserted before they are
        read, not looked for first. ``heads``/``read``: the heads of the chains ``read`` that the
        caller has already read, locked, in this transaction (the others are read here).
        Returns the new sequence numbers (``want_seqs``) and each row's commit time as stored
        (the store's time, or its chain's last where the clock went back)."""
        now = self._now()
        codec = self._codec
        ts_in = codec.ts_in
        as_micros = codec.ts_is_micros
        serial = self._d.serialised
        # Sorted: two writers locking several chain heads lock them in one order (a batch of
        # settlements, an import), so neither holds one the other waits for.
        if len(rows) == 1:
            chains = [rows[0][3] or ""]
        else:
            chains = sorted(dict.fromkeys(r[3] or "" for r in rows))
        heads = {} if heads is None else dict(heads)
        unread = [c for c in chains if c not in read] if read else chains
        if unread and not (new_chains and not serial):
            heads.update(self._heads(tx, unread))
        missing = [c for c in chains if c not in heads]
        fresh: set[str] = set()
        if missing and serial:
            # The write lock is held: a head the read did not find is not stored, so the chain
            # starts here and its head is inserted once, after its rows, with its final values.
            fresh.update(missing)
            for c in missing:
                heads[c] = (GENESIS, 0, _EPOCH)
        elif len(missing) == 1 and tx.run(INSERT_CHAIN_HEAD, (missing[0], GENESIS, 0,
                                                               ts_in(_EPOCH))) == 1:
            # A new case's chain, started here at the genesis hash (the usual first save).
            heads[missing[0]] = (GENESIS, 0, _EPOCH)
        elif len(missing) == 1:
            # The insert found a head (another server's, committed meanwhile, or for a new
            # case a chain its id already had): read it, locked.
            heads.update(self._heads(tx, missing))
        elif missing:
            # ON CONFLICT: another server may start a chain meanwhile; its head is then read,
            # locked, once that one commits.
            tx.many(INSERT_CHAIN_HEAD, [(c, GENESIS, 0, ts_in(_EPOCH)) for c in missing])
            heads.update(self._heads(tx, missing))
        if documents is None:
            documents = [None] * (len(rows) - 1) + [document] if rows else []
        now_us = micros(now)
        now_in = now_us if as_micros else ts_in(now)
        out: list[tuple[object, ...]] = []
        stamped: list[dt.datetime] = []
        moved: dict[str, tuple[str, int, object]] = {}
        for (at, actor, action, case_id, outcome, fields), doc in zip(rows, documents,
                                                                      strict=True):
            chain = case_id or ""
            prev, n, last = heads[chain]
            # The store's time, never going backwards in a chain.
            if last > now:
                committed, committed_us = last, micros(last)
                committed_in = committed_us if as_micros else ts_in(committed)
            else:
                committed, committed_us, committed_in = now, now_us, now_in
            if at < EARLIEST_EVENT:  # check_event_time, inline: it runs for every row
                check_event_time(at)
            at_us = micros(at)
            names = ",".join(fields)
            # The canonical row is written in one place, chain.py (its fast path for the
            # exact types this loop passes).
            doc_version, doc_hash = (None, None) if doc is None else (doc[0], document_hash(doc[1]))
            digest = link_us(prev, at_us, actor, action, case_id, outcome, names, committed_us,
                             doc_version, doc_hash)
            out.append((at_us if as_micros else ts_in(at), actor, action, case_id, outcome,
                        names, committed_in, prev, digest, doc_version, doc_hash))
            heads[chain] = (digest, n + 1, committed)
            stamped.append(committed)
            moved[chain] = (digest, n + 1, committed_in)
        seqs: list[int] = []
        if want_seqs:
            seqs = [tx.insert(INSERT_CHAINED_AUDIT, row, "seq") or 0 for row in out]
        elif len(out) == 1:
            tx.run(INSERT_CHAINED_AUDIT, out[0])
        else:
            tx.many(INSERT_CHAINED_AUDIT, out)
        updates = [(d, n, last, c) for c, (d, n, last) in moved.items() if c not in fresh]
        inserts = [(c, d, n, last) for c, (d, n, last) in moved.items() if c in fresh]
        if len(updates) == 1:
            tx.run(_UPDATE_HEAD, updates[0])
        elif updates:
            tx.many(_UPDATE_HEAD, updates)
        if len(inserts) == 1:
            tx.run(_INSERT_MOVED_HEAD, inserts[0])
        elif inserts:
            tx.many(_INSERT_MOVED_HEAD, inserts)
        return seqs, stamped

    def _head(self, chain: object, digest: object, n: object, last: object
              ) -> tuple[str, int, dt.datetime]:
        """A stored chain head; a value the store never writes is a StoredDataError."""
        try:
            return str(digest), int(n), self._codec.ts_out(last)  # type: ignore[call-overload]
        except Exception:
            raise StoredDataError("audit_chain", case_id=stored_case_id(chain)) from None

    def _heads(self, tx: Tx, chains: Sequence[str]) -> dict[str, tuple[str, int, dt.datetime]]:
        """The heads (hash, rows, last commit time) of those of ``chains`` that exist, locked
        for this transaction (an existing chain costs one statement, not an insert and a read)."""
        heads: dict[str, tuple[str, int, dt.datetime]] = {}
        for chunk in _chunks(chains, self._d.list_chunk):
            cond, args = self._d.any_of("chain", chunk)
            # ORDER BY: PostgreSQL locks the rows in the order it returns them.
            for chain, digest, n, last in tx.all(self._heads_read.format(cond=cond), args):
                heads[str(chain)] = self._head(chain, digest, n, last)
        return heads

    def _stamp(
        self, actor: str, action: str, case_id: str | None, outcome: str, fields: tuple[str, ...]
    ) -> AuditRow:
        """A row the store writes on its own account (a refusal, a purge, a hold), at its time."""
        return (self._now(), actor, action, case_id, outcome, fields)

    def _deadline_rows(self, rowid: int, r: CaseRecord) -> list[tuple[object, ...]]:
        date_in = self._codec.date_in
        return [(rowid, d.clock_id, date_in(d.due), d.status) for d in r.deadlines]

    def _deadline(
        self, clock_id: Any, due: object, status: Any, case_id: str | None = None
    ) -> DeadlineEntry:
        """A ``deadlines`` row of ``case_id``; a value it cannot hold is a StoredDataError."""
        try:
            return DeadlineEntry(clock_id=clock_id, due=self._codec.date_out(due), status=status)
        except _UNREADABLE as exc:
            raise StoredDataError(_field("deadlines", "due", exc), case_id=case_id) from None

    def _record(
        self,
        row: Row,
        deadlines: tuple[DeadlineEntry, ...],
        *,
        table: str = "cases",
        row_id: int | None = None,
    ) -> CaseRecord:
        """A ``cases`` (or ``case_history``) row as a record. A value the store never writes (a
        wrong type, a timestamp or date out of range, an integer out of range, a value its field
        refuses) is a :class:`StoredDataError` naming the case and the column, never the value."""
        (case_id, council, kind, state, version, created, updated, dob, closed, hold, doc) = row
        codec = self._codec
        column = "created_at"  # the column being decoded, for the error
        try:
            created_at = codec.ts_out(created)
            column = "updated_at"
            updated_at = codec.ts_out(updated)
            column = "subject_dob"
            dob_out = None if dob is None else codec.date_out(dob)
            column = "closed_on"
            closed_out = None if closed is None else codec.date_out(closed)
            column = "legal_hold"
            held = codec.bool_out(hold)
            column = "version"
            stored_version = _int_in(version, 1)
            column = "record"  # CaseRecord's own checks name their field
            return CaseRecord(
                case_id=case_id,
                council=council,
                kind=kind,
                state=state,
                version=stored_version,
                created_at=created_at,
                updated_at=updated_at,
                subject_date_of_birth=dob_out,
                closed_on=closed_out,
                legal_hold=held,
                document=doc,
                deadlines=deadlines,
            )
        except _UNREADABLE as exc:
            field = _field(table, column, exc)
            raise StoredDataError(field, case_id=stored_case_id(case_id), row=row_id) from None

    # -- cases --------------------------------------------------------------------------------
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
        record = exact_record(record)
        new_version = check_version(record, expected_version)
        check_actor(actor)
        check_name(action, "action")
        names = check_fields(fields)
        messages = check_messages(outbox, case_id=record.case_id)
        case_id = record.case_id
        stale: int | None = None
        refused: InvalidInputError | None = None
        with self._write() as tx:
            stored_head: Row | None = None
            if self._d.serialised:
                # One statement for the case row and its chain head (the write lock is held).
                got = tx.one(_SAVE_READ_WITH_HEAD, (case_id,))
                assert got is not None  # the LEFT JOINs keep the one row of the parameter
                row: Row | None = None if got[0] is None else got[:4]
                stored_head = got[4:]
            else:
                row = tx.one(self._save_read, (case_id,))
            found, held = (None, False) if row is None else self._stored_state(record, row)
            entries: tuple[AuditEntry, ...] | None = None
            if (found or 0) != expected_version:
                stale = -1 if found is None else found
            else:
                try:
                    entries = self._guard(
                        None if row is None else str(row[2]), record.document, kind=record.kind,
                        record=record,
                    )
                except InvalidInputError as exc:
                    refused = exc
            rowid: int | None = None
            if stale is None and refused is None and row is None:
                # A legal hold is the store's own fact, set by set_legal_hold only.
                values = case_values(self._codec, _unheld(record), new_version)
                rowid = tx.insert(INSERT_NEW_CASE, values, "id")
                if rowid is None:  # created concurrently since our SELECT
                    again = tx.one("SELECT version FROM cases WHERE case_id = ?", (case_id,))
                    stale = int(again[0]) if again is not None else -1
            # A case not yet stored usually has no chain either: where the head is not read
            # with the case row, it is inserted first (one statement) and read only if another
            # was there (a purged case's id keeps the chain its purge entry started).
            heads: dict[str, tuple[str, int, dt.datetime]] | None = None
            read: tuple[str, ...] = ()
            if stored_head is not None:
                # Decoded where _audit would have read it: after the case row's own checks.
                heads, read = {}, (case_id,)
                if stored_head[0] is not None:
                    heads[case_id] = self._head(case_id, *stored_head)
            if stale is not None or refused is not None:
                outcome = "refused_stale" if refused is None else "refused_invariant"
                self._audit(tx, [self._stamp(actor, action, case_id, outcome, names)],
                            heads=heads, read=read, new_chains=row is None)
            else:
                if rowid is None:
                    assert row is not None
                    rowid = int(row[0])
                    self._supersede(tx, rowid, record, new_version)
                if record.deadlines:
                    tx.many(INSERT_DEADLINE, self._deadline_rows(rowid, record))
                rows = [(e.at, e.actor, e.action, e.case_id, e.outcome, e.fields)
                        for e in entries] if entries else [
                    self._stamp(actor, action, case_id, "ok", names)]
                self._audit(tx, rows, document=(new_version, record.document), heads=heads,
                            read=read, new_chains=row is None)
                if messages:
                    self._insert_messages(tx, messages)
        # Raised after the commit, so the refusal stays audited.
        if refused is not None:
            raise refused
        if stale is not None:
            raise StaleWriteError(case_id, expected_version, None if stale < 0 else stale)
        return _stamped(record, new_version, held)

    def _stored_state(self, record: CaseRecord, row: Row) -> tuple[int, bool]:
        """The stored version and legal hold of the row a save is about to replace, checked:
        a tampered value is a typed error naming the column, never quoting it."""
        rowid, version, document, hold = row
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise StoredDataError("cases.version", case_id=record.case_id,
                                  row=rowid if isinstance(rowid, int) else None)
        if not isinstance(document, str):
            raise StoredDataError("cases.document", case_id=record.case_id, row=rowid)
        try:
            held = self._codec.bool_out(hold)
        except Exception:
            raise StoredDataError("cases.legal_hold", case_id=record.case_id, row=rowid) from None
        return version, held

    def _supersede(self, tx: Tx, rowid: int, record: CaseRecord, version: int) -> None:
        """Move the stored version into the history and write ``record`` over it."""
        date_out = self._codec.date_out
        stored = tx.all(_STORED_DEADLINES, (rowid,))
        deadlines = [[k, date_out(d).isoformat(), s] for k, d, s in stored]
        tx.run(_HISTORY_COPY, (_COMPACT.encode(deadlines), rowid))
        values = case_values(self._codec, record, version)
        # legal_hold is left as stored: no save can set or clear a hold.
        tx.run(_UPDATE_CASE, (*values[1:9], values[10], rowid))
        if stored:
            # None stored, none to delete: the case row is locked, and every write of a case's
            # clocks locks it first.
            tx.run("DELETE FROM deadlines WHERE case_ref = ?", (rowid,))

    def save_many(
        self, records: Sequence[CaseRecord], *, actor: str, action: str = "case.imported"
    ) -> int:
        check_actor(actor)
        check_name(action, "action")
        guard = self._guard
        seen: set[str] = set()
        records = list(records)
        for i, r in enumerate(records):
            if not isinstance(r, CaseRecord):
                raise bad_input(f"records[{i}]", "must be a CaseRecord", "record")
            try:
                records[i] = r = exact_record(r)
            except InvalidInputError as exc:
                raise exc.at(f"records[{i}]") from None
            if r.version not in (0, 1):
                raise bad_input(f"records[{i}].version", "must be 0 or 1 for a new case", "version")
            if r.case_id in seen:
                raise bad_input(f"records[{i}].case_id", "is repeated in the batch", "unique")
            seen.add(r.case_id)
            try:
                guard(None, r.document, kind=r.kind, record=r)
            except InvalidInputError as exc:
                # As a save's refusal is: audited on the case it names, nothing imported.
                self._audit_refusal(actor, action, r.case_id, "refused_invariant")
                raise exc.at(f"records[{i}]") from None
        if not records:
            return 0
        now = self._now()
        codec = self._codec
        ts_in, date_in = codec.ts_in, codec.date_in
        # A legal hold is the store's own fact, set by set_legal_hold only: every import is
        # stored unheld.
        unheld = codec.bool_in(False)
        try:
            with self._write() as tx:
                ids = self._d.new_ids(tx, len(records))
                # case_values(codec, _unheld(r), 1), written out: one pass over the records
                # builds every row of the batch.
                cases: list[tuple[object, ...]] = []
                clocks: list[tuple[object, ...]] = []
                for rowid, r in zip(ids, records, strict=True):
                    dob, closed = r.subject_date_of_birth, r.closed_on
                    cases.append((
                        rowid, r.case_id, r.council, r.kind, r.state, 1, ts_in(r.created_at),
                        ts_in(r.updated_at), None if dob is None else date_in(dob),
                        None if closed is None else date_in(closed), unheld, r.document,
                    ))
                    for d in r.deadlines:
                        clocks.append((rowid, d.clock_id, date_in(d.due), d.status))
                tx.many(INSERT_CASE, cases)
                if clocks:
                    tx.many(INSERT_DEADLINE, clocks)
                self._audit(tx, [(now, actor, action, r.case_id, "ok", ()) for r in records],
                            documents=[(1, r.document) for r in records], new_chains=True)
        except self._d.unique_error:
            found = self._first_existing([r.case_id for r in records])
            if found is not None:
                self._audit_refusal(actor, action, found[0], "refused_stale")
                raise StaleWriteError(found[0], 0, found[1]) from None
            raise
        return len(records)

    def _audit_refusal(self, actor: str, action: str, case_id: str, outcome: str) -> None:
        """One refused import recorded on the case it names, in its own transaction (the
        import's was never begun, or was rolled back)."""
        with self._write() as tx:
            self._audit(tx, [self._stamp(actor, action, case_id, outcome, ())])

    def _first_existing(self, case_ids: list[str]) -> tuple[str, int] | None:
        tx = self._plain()
        for chunk in _chunks(case_ids, self._d.list_chunk):
            cond, args = self._d.any_of("case_id", chunk)
            row = tx.one(f"SELECT case_id, version FROM cases WHERE {cond} LIMIT 1", args)  # noqa: S608
            if row is not None:
                return str(row[0]), int(row[1])
        return None

    def _load(self, tx: Tx, case_id: str) -> tuple[int, CaseRecord]:
        row = tx.one(f"SELECT id, {CASE_COLUMNS} FROM cases WHERE case_id = ?", (case_id,))  # noqa: S608
        if row is None:
            msg = f"case {case_id} is not in the store"
            raise NotFoundError(msg)
        rowid = int(row[0])
        deadlines = tuple(
            self._deadline(k, d, s, case_id)
            for k, d, s in tx.all(
                "SELECT clock_id, due, status FROM deadlines WHERE case_ref = ? ORDER BY clock_id",
                (rowid,),
            )
        )
        return rowid, self._record(row[1:], deadlines)

    def load(self, case_id: str) -> CaseRecord:
        check_case_id(case_id)
        # The case row and its deadlines in ONE statement, outside a transaction: a statement
        # reads one snapshot on both backends (SQLite's WAL read mark, PostgreSQL's statement
        # snapshot in autocommit), so no BEGIN/COMMIT round trip is needed for consistency.
        rows = self._plain().all(_LOAD_WITH_DEADLINES, (case_id,))
        if not rows:
            msg = f"case {case_id} is not in the store"
            raise NotFoundError(msg)
        first = rows[0]
        deadline = self._deadline
        deadlines = () if first[12] is None else tuple(
            [deadline(r[13], r[14], r[15], case_id) for r in rows])
        return self._record(first[1:12], deadlines)

    def history(self, case_id: str) -> list[CaseRecord]:
        check_case_id(case_id)
        with self._read() as tx:
            rowid, current = self._load(tx, case_id)
            rows = tx.all(
                "SELECT council, kind, state, version, created_at, updated_at, subject_dob,"
                " closed_on, legal_hold, document, deadlines FROM case_history"
                " WHERE case_ref = ? ORDER BY version",
                (rowid,),
            )
        out = [
            self._record((case_id, *r[:10]), decode_deadlines(r[10], case_id=case_id),
                         table="case_history")
            for r in rows
        ]
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
        kinds, kind_args = self._d.any_of("kind", CASE_KINDS if kind is None else (kind,))
        sql = f"SELECT id, {CASE_COLUMNS} FROM cases WHERE council = ? AND {kinds}"  # noqa: S608
        args: list[object] = [council, *kind_args]
        if state is not None:
            sql += " AND state = ?"
            args.append(state)
        if after_case_id is not None:
            sql += " AND case_id > ?"
            args.append(after_case_id)
        sql += " ORDER BY case_id LIMIT ?"
        args.append(limit)
        with self._read() as tx:
            rows = tx.all(sql, args)
            by_ref: dict[int, list[DeadlineEntry]] = {int(r[0]): [] for r in rows}
            names = {int(r[0]): stored_case_id(r[1]) for r in rows}
            for chunk in _chunks(list(by_ref), self._d.list_chunk):
                refs, ref_args = self._d.any_of("case_ref", chunk)
                for ref, k, d, s in tx.all(
                    f"SELECT case_ref, clock_id, due, status FROM deadlines WHERE {refs}"  # noqa: S608
                    " ORDER BY case_ref, clock_id",
                    ref_args,
                ):
                    by_ref[int(ref)].append(self._deadline(k, d, s, names[int(ref)]))
        return [self._record(r[1:], tuple(by_ref[int(r[0])]), row_id=int(r[0])) for r in rows]

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
        date_in, plus = self._codec.date_in, self._d.unindexed
        sql = (
            "SELECT c.case_id, c.council, c.kind, c.state, d.clock_id, d.due, d.status"  # noqa: S608
            f" FROM deadlines d {self._d.join} cases c ON c.id = d.case_ref WHERE d.status = ?"
        )
        args: list[object] = [status]
        if start is not None:
            sql += " AND d.due >= ?"
            args.append(date_in(start))
        sql += " AND d.due <= ?"
        args.append(date_in(end))
        if clock_id is not None:
            sql += " AND d.clock_id = ?"
            args.append(clock_id)
        if council is not None:
            sql += f" AND {plus}c.council = ?"
            args.append(council)
        if kind is not None:
            sql += f" AND {plus}c.kind = ?"
            args.append(kind)
        sql += " ORDER BY d.due, d.clock_id, d.case_ref LIMIT ?"
        args.append(limit)
        return [self._hit(row) for row in self._plain().all(sql, args)]

    def _hit(self, row: Row) -> DeadlineHit:
        """A row of a deadline query, each column checked as its record would check it (the
        status is the one asked for); a value the store never writes is a StoredDataError."""
        case_id, council, kind, state, clock_id, due, status = row
        try:  # one expression: deadline queries return hundreds of rows on request paths
            if (_CASE_ID_OK(case_id) and _COUNCIL_OK(council) and kind in CASE_KINDS
                    and _SLUG_OK(state) and _SLUG_OK(clock_id)):
                day = self._codec.date_out(due)
                return DeadlineHit(case_id, council, kind, state, clock_id, day, status)
        except _UNREADABLE:  # a value of another type (fullmatch raises TypeError) or date
            pass
        name = stored_case_id(case_id)
        column = next(column for column, ok in (
            ("cases.case_id", name is not None),
            ("cases.council", _matches(_COUNCIL_OK, council)),
            ("cases.kind", kind in CASE_KINDS),
            ("cases.state", _matches(_SLUG_OK, state)),
            ("deadlines.clock_id", _matches(_SLUG_OK, clock_id)),
            ("deadlines.due", False),
        ) if not ok)
        raise StoredDataError(column, case_id=name)

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
        entry = exact(AuditEntry, entry, "entry")  # what is checked is what is written
        # Every field checked again before anything is written: an entry rewritten since it was
        # built (object.__setattr__) must not be stored and leave the trail unreadable.
        attrs.validate(entry)
        row = (entry.at, entry.actor, entry.action, entry.case_id, entry.outcome, entry.fields)
        with self._write() as tx:
            seqs, committed = self._audit(tx, [row], want_seqs=True)
        # The commit time the row was stored with (clamped to its chain's last), not the clock's.
        return _stored_entry(entry, seqs[0], committed[0])

    def audit_trail(
        self, case_id: str | None = None, *, after_seq: int = 0, limit: int = 10_000
    ) -> list[AuditEntry]:
        if case_id is not None:
            check_case_id(case_id)
        check_limit(limit)
        check_int(after_seq, "after_seq")
        if case_id is None:
            sql = f"SELECT {_AUDIT_COLUMNS} FROM audit WHERE seq > ? ORDER BY seq LIMIT ?"  # noqa: S608
            args: tuple[object, ...] = (after_seq, limit)
        else:
            sql = (
                f"SELECT {_AUDIT_COLUMNS} FROM audit WHERE case_id = ? AND seq > ?"  # noqa: S608
                " ORDER BY seq LIMIT ?"
            )
            args = (case_id, after_seq, limit)
        return [self._audit_entry(row) for row in self._plain().all(sql, args)]

    def _audit_entry(self, row: Row) -> AuditEntry:
        """An ``audit`` row as an entry; a value the store never writes is a StoredDataError
        naming the entry's case (if its case id is one), the column and the row's ``seq``."""
        seq, at, actor, action, cid, outcome, fields, committed = row
        ts_out = self._codec.ts_out
        column = "at"
        try:
            when = ts_out(at)
            column = "committed_at"
            committed_at = None if committed is None else ts_out(committed)
            column = "fields"
            if not isinstance(fields, str):
                raise TypeError
            column = "entry"  # AuditEntry's own checks name their field
            return AuditEntry(
                seq=int(seq),
                at=when,
                actor=actor,
                action=action,
                case_id=cid,
                outcome=outcome,
                fields=tuple(fields.split(",")) if fields else (),
                committed_at=committed_at,
            )
        except _UNREADABLE as exc:
            field = _field("audit", column, exc)
            raise StoredDataError(field, case_id=stored_case_id(cid), row=int(seq)) from None

    def verify(self, case_id: str | None = None) -> VerifyReport:
        """Walk the audit hash chains (one case's, or every chain) and check each stored case
        document and history version against the trail; report the first broken link."""
        if case_id is not None:
            check_case_id(case_id)
        with self._read() as tx:
            if case_id is None:
                heads = tx.all("SELECT chain, hash, n FROM audit_chain ORDER BY chain")
                chains = {str(c) for (c,) in tx.all(
                    "SELECT DISTINCT COALESCE(case_id, '') FROM audit")}
            else:
                heads = tx.all("SELECT chain, hash, n FROM audit_chain WHERE chain = ?",
                               (case_id,))
                chains = {case_id}
            head_of = {str(c): (str(h), int(n)) for c, h, n in heads}
            totals = [0, 0, 0]  # rows, documents, unchained
            first: ChainBreak | None = None
            for chain in sorted(chains | set(head_of)):
                first = self._verify_chain(tx, chain, head_of.get(chain), totals)
                if first is not None:
                    break
        return VerifyReport(
            chains=len(chains | set(head_of)), rows=totals[0], documents=totals[1],
            unchained=totals[2], first_break=first,
            heads=tuple((c, h, n) for c, (h, n) in sorted(head_of.items())),
        )

    def _verify_chain(
        self, tx: Tx, chain: str, head: tuple[str, int] | None, totals: list[int]
    ) -> ChainBreak | None:
        ts_out = self._codec.ts_out
        where = "case_id IS NULL" if chain == "" else "case_id = ?"
        args: tuple[object, ...] = () if chain == "" else (chain,)
        rows = tx.all(
            "SELECT seq, at, actor, action, case_id, outcome, fields, committed_at, prev_hash,"  # noqa: S608
            f" hash, doc_version, doc_hash FROM audit WHERE {where} ORDER BY seq",
            args,
        )
        prev, count, last_committed = GENESIS, 0, None
        documents: dict[int, str] = {}
        for seq, at, actor, action, cid, outcome, fields, committed, p, h, dv, dh in rows:
            if h is None and count == 0:
                totals[2] += 1  # written before the chain existed
                continue
            try:
                when, stored = ts_out(committed), ts_out(at)
                expected = link(prev, at=stored, actor=actor, action=action, case_id=cid,
                                outcome=outcome, fields=fields, committed_at=when,
                                doc_version=None if dv is None else int(dv), doc_hash=dh)
            except Exception:  # a value that no longer decodes is a broken link too
                return ChainBreak(chain, int(seq), "a row's values do not decode")
            if p != prev:
                return ChainBreak(chain, int(seq), "does not follow the previous row "
                                  "(a row was deleted, inserted or reordered before it)")
            if h != expected:
                return ChainBreak(chain, int(seq), "its content does not match its hash "
                                  "(the row was edited)")
            if last_committed is not None and when < last_committed:
                return ChainBreak(chain, int(seq), "its commit time goes backwards")
            if dv is not None:
                documents[int(dv)] = str(dh)
            prev, count, last_committed = h, count + 1, when
            totals[0] += 1
        if count and head is None:
            return ChainBreak(chain, None, "the chain has no head (its head row was deleted)")
        if head is not None and (head[0] != prev or head[1] != count):
            return ChainBreak(chain, None, "the last rows of the chain were deleted, or rows "
                              "were added after its head")
        if chain and documents:
            return self._verify_documents(tx, chain, documents, totals)
        return None

    def _verify_documents(
        self, tx: Tx, case_id: str, documents: dict[int, str], totals: list[int]
    ) -> ChainBreak | None:
        current = tx.one("SELECT id, version, document FROM cases WHERE case_id = ?", (case_id,))
        stored: list[tuple[int, str]] = []
        if current is not None:
            stored.append((int(current[1]), str(current[2])))
            stored += [(int(v), str(d)) for v, d in tx.all(
                "SELECT version, document FROM case_history WHERE case_ref = ? ORDER BY version",
                (current[0],))]
        for version, document in stored:
            recorded = documents.get(version)
            if recorded is None:
                continue  # saved before the chain existed
            totals[1] += 1
            if recorded != document_hash(document):
                return ChainBreak(case_id, None, f"the document of version {version} is not "
                                  "the one its save recorded")
        return None

    # -- outbox ---------------------------------------------------------------------------------
    def _insert_messages(self, tx: Tx, messages: Sequence[OutboxMessage]) -> list[int]:
        now = self._now()
        ts_in = self._codec.ts_in
        ids: list[int] = []
        for i, m in enumerate(messages):
            try:
                new = tx.insert(
                    _INSERT_OUTBOX,
                    (
                        m.case_id,
                        m.channel,
                        m.template,
                        m.idempotency_key,
                        m.payload_ref,
                        ts_in(m.not_before or now),
                        ts_in(now),
                    ),
                    "id",
                )
            except self._d.fk_error:
                msg = f"outbox[{i}]: case {m.case_id} is not in the store"
                raise NotFoundError(msg) from None
            if new is not None:
                ids.append(new)
                continue
            # The key is stored already: the same message again is a no-op, another is refused.
            row = tx.one(
                "SELECT id, case_id, channel, template, payload_ref FROM outbox"
                " WHERE idempotency_key = ?",
                (m.idempotency_key,),
            )
            assert row is not None
            if tuple(row[1:]) != (m.case_id, m.channel, m.template, m.payload_ref):
                raise bad_input(
                    f"outbox[{i}].idempotency_key",
                    "was already used for a different message",
                    "idempotency_key_reused",
                )
            ids.append(int(row[0]))
        return ids

    def enqueue(self, messages: Sequence[OutboxMessage]) -> list[int]:
        checked = check_messages(messages)
        with self._write() as tx:
            return self._insert_messages(tx, checked)

    def claim_outbox(
        self,
        *,
        now: dt.datetime,
        limit: int = 100,
        lease: dt.timedelta = dt.timedelta(minutes=5),
        channel: str | None = None,
    ) -> list[OutboxItem]:
        check_claim(now, limit, lease, channel)
        ts_in = self._codec.ts_in
        sql = (
            f"SELECT {_CLAIM_COLUMNS} FROM outbox WHERE status IN ('pending', 'claimed')"  # noqa: S608
            " AND next_attempt_at <= ?"
        )
        args: list[object] = [ts_in(now)]
        if channel is not None:
            sql += " AND channel = ?"
            args.append(channel)
        sql += f" ORDER BY next_attempt_at, id LIMIT ?{self._d.skip_locked}"
        args.append(limit)
        until = now + lease
        with self._write() as tx:
            rows = tx.all(sql, args)
            # Decoded before the claim is written: a row the store never wrote raises, and the
            # transaction rolls back with nothing claimed.
            items = [self._outbox_item(r, until) for r in rows]
            for chunk in _chunks([r[0] for r in rows], self._d.list_chunk):
                ids, id_args = self._d.any_of("id", chunk)
                tx.run(
                    "UPDATE outbox SET status = 'claimed', attempts = attempts + 1,"  # noqa: S608
                    f" next_attempt_at = ? WHERE {ids}",
                    [ts_in(until), *id_args],
                )
        return items

    def _outbox_item(self, r: Row, until: dt.datetime) -> OutboxItem:
        """An outbox row being claimed; a value the store never writes is a StoredDataError
        naming the message's case (if its case id is one), the column and the row's id."""
        column = "attempts"
        try:
            attempts = _int_in(r[6], 0)
            if attempts >= _MAX_INT4:
                raise OverflowError  # one more attempt would not fit the column
            column = "created_at"
            created_at = self._codec.ts_out(r[7])
            column = "message"  # OutboxMessage's own checks name their field
            message = OutboxMessage(
                case_id=r[1], channel=r[2], template=r[3], idempotency_key=r[4], payload_ref=r[5]
            )
        except _UNREADABLE as exc:
            field = _field("outbox", column, exc)
            raise StoredDataError(field, case_id=stored_case_id(r[1]), row=int(r[0])) from None
        return OutboxItem(
            id=int(r[0]),
            message=message,
            status=OutboxStatus.CLAIMED,
            attempts=attempts + 1,
            next_attempt_at=until,
            created_at=created_at,
        )

    def _set_outbox(self, outbox_id: int, sql: str, args: tuple[object, ...]) -> None:
        check_int(outbox_id, "outbox_id", 1)
        with self._write(single=True) as tx:
            if tx.run(sql, (*args, outbox_id)) != 1:
                msg = f"outbox message {outbox_id} is not claimed"
                raise NotFoundError(msg)

    def mark_sent(self, outbox_id: int) -> None:
        self._set_outbox(
            outbox_id,
            "UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = ? AND status = 'claimed'",
            (self._codec.ts_in(self._now()),),
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
            (self._codec.ts_in(retry_at),),
        )

    def settle_outbox(self, settlements: Sequence[Settlement]) -> list[bool]:
        """Each settlement's mark, entry and alert in one transaction for the whole batch (one
        commit, however many messages). The mark's ``WHERE`` is the claim check: still claimed,
        by this claim (``attempts``), of the entry's case; a row it does not match is left as
        it is and nothing else of that settlement is written. Order within the transaction:
        the marks (row locks on rows this claim owns), the alerts (the FK check's share lock on
        their case rows), then the audit chain heads, so a save (case row, then chain head)
        never waits on us while we wait on it."""
        checked = list(settlements)
        for i, s in enumerate(checked):
            if not isinstance(s, Settlement):
                raise bad_input(f"settlements[{i}]", "must be a Settlement", "outbox_message")
            # Read once, as checked: the entry and alert are exactly their classes (Settlement
            # checks it), so the claim's WHERE and the audit row see the same case.
            checked[i] = s = exact(Settlement, s, f"settlements[{i}]")
            check_event_time(s.entry.at)
        if not checked:
            return []
        ts_in = self._codec.ts_in
        sent_at = ts_in(self._now())
        done: list[bool] = []
        with self._write() as tx:
            for s in checked:
                where = (s.outbox_id, s.claim, s.entry.case_id)
                if s.status is OutboxStatus.SENT:
                    args: tuple[object, ...] = (sent_at, *where)
                elif s.status is OutboxStatus.PENDING:
                    assert s.retry_at is not None  # Settlement checks it
                    args = (ts_in(s.retry_at), *where)
                else:
                    args = where
                done.append(tx.run(_SETTLE[s.status], args) == 1)
            settled = [s for s, ok in zip(checked, done, strict=True) if ok]
            alerts = [s.alert for s in settled if s.alert is not None]
            if alerts:
                self._insert_messages(tx, check_messages(alerts))
            if settled:
                self._audit(tx, [(e.at, e.actor, e.action, e.case_id, e.outcome, e.fields)
                                 for e in (s.entry for s in settled)])
        return done

    # -- leases -------------------------------------------------------------------------------
    def _lease_row(self, name: str, row: Row) -> Lease:
        holder, expires, done = row
        column = "expires_at"
        try:
            expires_at = self._codec.ts_out(expires)
            column = "done_through"
            done_through = None if done is None else self._codec.date_out(done)
            column = "holder"
            if holder is not None and not isinstance(holder, str):
                raise TypeError
        except _UNREADABLE:
            raise StoredDataError(f"leases.{column}") from None
        return Lease(name=name, holder=holder, expires_at=expires_at, done_through=done_through)

    def claim_lease(
        self, name: str, holder: str, *, now: dt.datetime, ttl: dt.timedelta, day: dt.date
    ) -> str:
        check_lease(name, holder)
        check_utc(now, "now")
        check_timedelta(ttl, "ttl")
        check_date(day, "day")
        until = self._codec.ts_in(now + ttl)
        with self._write() as tx:
            # PostgreSQL: a row another claim has locked is skipped, so that claim wins and this
            # one answers "held" at once; SQLite: BEGIN IMMEDIATE already serialises the claims.
            row = tx.one(
                "SELECT holder, expires_at, done_through FROM leases WHERE name = ?"  # noqa: S608
                f"{self._d.skip_locked}",
                (name,),
            )
            if row is None:
                added = tx.run(
                    "INSERT INTO leases(name, holder, expires_at) VALUES (?,?,?)"
                    " ON CONFLICT (name) DO NOTHING",
                    (name, holder, until),
                )
                return "claimed" if added == 1 else "held"
            lease = self._lease_row(name, row)
            if lease.done_through is not None and lease.done_through >= day:
                return "done"
            if lease.holder not in (None, holder) and lease.expires_at > now:
                return "held"
            tx.run("UPDATE leases SET holder = ?, expires_at = ? WHERE name = ?",
                   (holder, until, name))
            return "claimed"

    def renew_lease(
        self, name: str, holder: str, *, now: dt.datetime, ttl: dt.timedelta
    ) -> bool:
        check_lease(name, holder)
        check_utc(now, "now")
        check_timedelta(ttl, "ttl")
        with self._write(single=True) as tx:
            return tx.run("UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ?",
                          (self._codec.ts_in(now + ttl), name, holder)) == 1

    def release_lease(self, name: str, holder: str, *, done: dt.date | None = None) -> bool:
        check_lease(name, holder)
        if done is not None:
            check_date(done, "done")
        codec = self._codec
        with self._write() as tx:
            row = tx.one(
                f"SELECT holder, expires_at, done_through FROM leases WHERE name = ?"  # noqa: S608
                f"{self._d.for_update}",
                (name,),
            )
            if row is None or self._lease_row(name, row).holder != holder:
                return False
            lease = self._lease_row(name, row)
            through = lease.done_through
            if done is not None and (through is None or through < done):
                through = done
            tx.run(
                "UPDATE leases SET holder = NULL, expires_at = ?, done_through = ? WHERE name = ?",
                (codec.ts_in(_EPOCH), None if through is None else codec.date_in(through), name),
            )
            return True

    def lease(self, name: str) -> Lease | None:
        check_name(name, "name")
        row = self._plain().one(
            "SELECT holder, expires_at, done_through FROM leases WHERE name = ?", (name,)
        )
        return None if row is None else self._lease_row(name, row)

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
            index, column, known = "cases_dob", "subject_dob", ""
        elif trigger is RetentionTrigger.CASE_CLOSED:
            index, column, known = "cases_closed", "closed_on", " AND closed_on IS NOT NULL"
        elif trigger is RetentionTrigger.CLOSED_WITHOUT_DATE_OF_BIRTH:
            # The fallback of a date-of-birth rule: a case with a date of birth counts from it
            # alone, however long ago it closed.
            index, column = "cases_closed", "closed_on"
            known = " AND closed_on IS NOT NULL AND subject_dob IS NULL"
        else:
            raise bad_input("trigger", "must be a RetentionTrigger", "retention_trigger")
        sql = (
            f"SELECT case_id FROM cases{self._d.indexed_by(index)} WHERE council = ? AND kind = ?"  # noqa: S608
            f" AND {self._d.not_held}{known} AND {column} <= ? ORDER BY {column}, case_id LIMIT ?"
        )
        args = (council, kind, self._codec.date_in(on_or_before), limit)
        return [str(r[0]) for r in self._plain().all(sql, args)]

    def set_legal_hold(self, case_id: str, hold: bool, *, actor: str) -> None:
        check_case_id(case_id)
        check_actor(actor)
        if not isinstance(hold, bool):
            raise bad_input("hold", "must be a bool", "bool")
        action = "case.legal_hold" if hold else "case.legal_hold_released"
        with self._write() as tx:
            changed = tx.run("UPDATE cases SET legal_hold = ? WHERE case_id = ?",
                             (self._codec.bool_in(hold), case_id))
            if changed != 1:
                msg = f"case {case_id} is not in the store"
                raise NotFoundError(msg)
            self._audit(tx, [self._stamp(actor, action, case_id, "ok", ("legal_hold",))])

    def purge(self, case_ids: Sequence[str], *, actor: str) -> PurgeReport:
        """Delete the cases' rows in one transaction (:meth:`Dialect.erase_case`: the purge permit
        lets the append-only triggers allow it), then let the dialect clean the files: see
        :meth:`Dialect.after_purge`
        (PostgreSQL does not zero freed space; see docs/how-to/storage.md)."""
        check_actor(actor)
        ids = list(dict.fromkeys(case_ids))
        for i, case_id in enumerate(ids):
            check_case_id(case_id, f"case_ids[{i}]")
        if not ids:  # still settles a clean-up an earlier purge could not finish
            return self._d.after_purge(self._conn(), ())
        with self._write() as tx:
            for case_id in ids:
                row = tx.one(
                    f"SELECT id, legal_hold FROM cases WHERE case_id = ?{self._d.for_update}",  # noqa: S608
                    (case_id,),
                )
                if row is None:
                    msg = f"case {case_id} is not in the store"
                    raise NotFoundError(msg)
                try:
                    held = self._codec.bool_out(row[1])
                except Exception:  # fail closed: an unreadable hold is never taken as none
                    raise StoredDataError("cases.legal_hold", case_id=case_id) from None
                if held:
                    raise LegalHoldError(case_id)
                self._d.erase_case(tx, case_id, int(row[0]))
                self._audit(tx, [self._stamp(actor, "case.purged", case_id, "ok", ())])
        return self._d.after_purge(self._conn(), tuple(ids))
