"""The store contract: the records a case store keeps and the :class:`Store` protocol.

The store is generic over an opaque case *document*: the workflow layer serialises a case to JSON
and the store keeps that text as it is, without parsing it on any request path. What the store
needs for queries (council, kind, state, deadlines, date of birth, closure date, legal hold) travels
beside the document as typed columns.

Every record validates itself when built: a bad value raises
:class:`~sen_disagreement.errors.InvalidInputError` naming the field, so nothing invalid can reach a
write. Identifiers are restricted to a conservative character set; audit entries hold ids and
field *names* only, never values.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, Protocol, TypeVar, runtime_checkable

import attrs
from attrs import field, frozen

from sen_disagreement import _checks
from sen_disagreement._checks import ACTOR, CASE_ID, COUNCIL
from sen_disagreement._enum import Enum
from sen_disagreement.errors import InvalidInputError, StoredDataError
from sen_disagreement.store.chain import VerifyReport

__all__ = [
    "APPEAL_CLOCK_ID",
    "APPEAL_STATUS",
    "CASE_KINDS",
    "LEASE_STATUSES",
    "AuditEntry",
    "CaseRecord",
    "DeadlineEntry",
    "DeadlineHit",
    "Lease",
    "OutboxItem",
    "OutboxMessage",
    "OutboxStatus",
    "PurgeReport",
    "RetentionTrigger",
    "Settlement",
    "Store",
]

CASE_KINDS = ("disagreement_resolution", "mediation")
"""The record kinds a case can be (the retention rules are keyed by these)."""

MAX_DOCUMENT_CHARS = 16 * 1024 * 1024

APPEAL_CLOCK_ID = "tribunal_appeal"
"""The deadline row of a mediation case's SEN appeal deadline (HESC Rules r.20(1)(c)), written
with the case once the date is known: a mediation certificate issued, or a decision for which no
certificate is needed (section I only)."""
APPEAL_STATUS = "appeal"
"""The status of the :data:`APPEAL_CLOCK_ID` row. The appeal deadline is the family's, not a duty
of the council: it is never ``running``, so it is never :meth:`Store.overdue` nor marked missed;
``deadlines_between(..., status=APPEAL_STATUS)`` finds it."""
LEASE_STATUSES = ("claimed", "held", "done")
"""What :meth:`Store.claim_lease` can answer: ``claimed`` (the caller holds it now), ``held``
(another holder's lease has not expired, or its row is locked by a claim in progress),
``done`` (the work it guards was finished for that day)."""

_CASE_ID = CASE_ID
_COUNCIL = COUNCIL
_SLUG = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
_ACTOR = ACTOR
_FIELD_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_.$\[\]-]{0,127}")
_KEY = re.compile(r"[\x21-\x7e]{1,200}")
_REF = re.compile(r"[\x21-\x7e]{1,500}")


# The store takes strings and integers as exactly str and int, never subclasses: a subclass can
# say it equals anything, so a record whose council column lied to the check that it is what its
# document says was stored under another council (hostile review). Dates and datetimes may be
# subclasses (pendulum's are); the columns check compares them by exact type too.
def _bad(field_name: str, message: str, rule: str) -> InvalidInputError:
    return InvalidInputError(message, field=field_name, rule_id=f"store.{rule}")


def _matches(pattern: re.Pattern[str], rule: str, what: str) -> Any:
    def check(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if type(value) is not str:
            raise _bad(attribute.name, f"must be a string, not {type(value).__name__}", rule)
        if pattern.fullmatch(value) is None:
            raise _bad(attribute.name, f"must be {what}", rule)

    return check


def _optional(check: Any) -> Any:
    def run(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None:
            check(inst, attribute, value)

    return run


def _is_date(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not dt.date:
        raise _bad(attribute.name, "must be a date (exactly datetime.date)", "date")


def _is_utc(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not dt.datetime:
        raise _bad(attribute.name, "must be a datetime (exactly datetime.datetime)", "datetime")
    if value.utcoffset() != dt.timedelta(0):
        raise _bad(attribute.name, "must be timezone-aware UTC", "datetime_utc")


def _is_bool(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise _bad(attribute.name, "must be a bool", "bool")


def _non_negative_int(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not int or value < 0:
        raise _bad(attribute.name, "must be an integer >= 0", "non_negative_int")


def _to_tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    if isinstance(value, str | bytes):
        return (value,)  # rejected by the element check with a clear message
    try:
        return tuple(value)
    except TypeError:
        return (value,)


def _kind(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not str or value not in CASE_KINDS:
        raise _bad(attribute.name, f"must be one of {', '.join(CASE_KINDS)}", "case_kind")


def _document(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not str:
        raise _bad(attribute.name, "must be the case serialised as a JSON string", "document")
    if not value or len(value) > MAX_DOCUMENT_CHARS:
        raise _bad(attribute.name, f"must be 1..{MAX_DOCUMENT_CHARS} characters", "document")
    if "\x00" in value:
        raise _bad(attribute.name, "must not contain NUL characters", "document")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: no database could store it
            raise _bad(attribute.name, "must be text that UTF-8 can hold (no lone surrogate)",
                       "document") from None


@frozen(kw_only=True)
class DeadlineEntry:
    """One statutory clock of a case, kept in an indexed child table for deadline queries (the
    running and settled duties, and the appeal deadline as :data:`APPEAL_CLOCK_ID` /
    :data:`APPEAL_STATUS`)."""

    clock_id: str = field(validator=_matches(_SLUG, "clock_id", "a lower-case slug"))
    """Which clock, e.g. ``"arrange_mediation"`` (a slug the workflow layer defines)."""
    due: dt.date = field(validator=_is_date)
    status: str = field(validator=_matches(_SLUG, "deadline_status", "a lower-case slug"))
    """``"running"`` while the duty is open; e.g. ``"met"`` or ``"missed"`` once settled."""


def _deadlines(inst: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    seen: set[str] = set()
    for i, entry in enumerate(value):
        if type(entry) is not DeadlineEntry:
            raise _bad(f"{attribute.name}[{i}]", "must be a DeadlineEntry", "deadline_entry")
        if entry.clock_id in seen:
            raise _bad(f"{attribute.name}[{i}].clock_id", "is repeated", "deadline_unique")
        seen.add(entry.clock_id)


@frozen(kw_only=True)
class CaseRecord:
    """One case as the store keeps it: an opaque JSON document plus the columns queries use."""

    case_id: str = field(validator=_matches(_CASE_ID, "case_id", "1-128 of A-Z a-z 0-9 . _ : / -"))
    council: str = field(validator=_matches(_COUNCIL, "council", "a GSS code or slug"))
    kind: str = field(validator=_kind)
    state: str = field(validator=_matches(_SLUG, "state", "a lower-case slug"))
    version: int = field(validator=_non_negative_int)
    """The version loaded (0 for a case not yet saved); :meth:`Store.save` stamps the new one."""
    document: str = field(validator=_document, repr=False)
    created_at: dt.datetime = field(validator=_is_utc)
    updated_at: dt.datetime = field(validator=_is_utc)
    deadlines: tuple[DeadlineEntry, ...] = field(
        default=(), converter=_to_tuple, validator=_deadlines
    )
    subject_date_of_birth: dt.date | None = field(default=None, validator=_optional(_is_date))
    closed_on: dt.date | None = field(default=None, validator=_optional(_is_date))
    """The date the case closed (a retention trigger); ``None`` while open."""
    legal_hold: bool = field(default=False, validator=_is_bool)
    """As stored. A save never sets or clears it: only :meth:`Store.set_legal_hold` does."""

    def __attrs_post_init__(self) -> None:
        if self.updated_at < self.created_at:
            raise _bad("updated_at", "must not be before created_at", "timestamps_order")


_T = TypeVar("_T")
_SLOTS: dict[type, tuple[tuple[str, Any], ...]] = {}


def exact(cls: type[_T], value: object, field_name: str) -> _T:
    """``value`` as an object of exactly ``cls`` (one of the store's frozen record classes). A
    subclass is rebuilt from the values its slots hold, read through ``cls``'s own descriptors
    (a property or ``__getattribute__`` of the subclass answering for a field is never asked),
    and checked again by ``cls``'s constructor, so what the store checks is what it writes;
    anything else, an object posing by its ``__class__`` among them, is refused."""
    if type(value) is cls:
        return value
    what = f"must be a {cls.__name__}"
    if not issubclass(type(value), cls):
        raise _bad(field_name, what, "record")
    slots = _SLOTS.get(cls)
    if slots is None:
        slots = _SLOTS[cls] = tuple((a.name, cls.__dict__[a.name])
                                    for a in attrs.fields(cls))  # type: ignore[arg-type]
    try:
        values = {name: slot.__get__(value, cls) for name, slot in slots}
        return cls(**values)
    except InvalidInputError:
        raise
    except Exception:  # a field kept elsewhere than its slot, or one that raises when read
        raise _bad(field_name, f"{what} holding every field in its own slot", "record") from None


def exact_record(record: CaseRecord) -> CaseRecord:
    """``record`` as a :class:`CaseRecord` of exactly that class (:func:`exact`)."""
    return exact(CaseRecord, record, "record")


def _fields(inst: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    for i, name in enumerate(value):
        if type(name) is not str or _FIELD_NAME.fullmatch(name) is None:
            raise _bad(f"{attribute.name}[{i}]", "must be a field name, not a value", "field_name")


@frozen(kw_only=True)
class AuditEntry:
    """An append-only audit event. It names who, what, when, which case and the outcome, and the
    *names* of fields touched: never their values."""

    actor: str = field(validator=_matches(_ACTOR, "actor", "an actor id (no spaces or controls)"))
    action: str = field(validator=_matches(_SLUG, "action", "a lower-case dotted name"))
    at: dt.datetime = field(validator=_is_utc)
    case_id: str | None = field(
        default=None, validator=_optional(_matches(_CASE_ID, "case_id", "a case id"))
    )
    outcome: str = field(default="ok", validator=_matches(_SLUG, "outcome", "a lower-case slug"))
    fields: tuple[str, ...] = field(default=(), converter=_to_tuple, validator=_fields)
    seq: int = field(default=0, validator=_non_negative_int)
    """Position in the trail, assigned by the store (0 before it is stored)."""
    committed_at: dt.datetime | None = field(default=None, validator=_optional(_is_utc), eq=False)
    """When the store committed the entry (``None`` before it is stored). ``at`` stays the time
    of the event itself; the two differ when a change is saved after it happened."""


class OutboxStatus(Enum):
    """Where an outbox message stands: waiting to be sent (or retried), claimed by a
    dispatcher under a lease, sent, or dead-lettered."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    DEAD = "dead"


@frozen(kw_only=True)
class OutboxMessage:
    """A notification to send, written in the same transaction as the change that causes it.

    ``payload_ref`` points at what to send (e.g. a template personalisation key); the outbox never
    holds the personal data itself."""

    case_id: str = field(validator=_matches(_CASE_ID, "case_id", "a case id"))
    channel: str = field(validator=_matches(_SLUG, "channel", "a lower-case slug"))
    template: str = field(validator=_matches(_SLUG, "template", "a lower-case slug"))
    idempotency_key: str = field(
        validator=_matches(_KEY, "idempotency_key", "1-200 printable ASCII characters, no spaces")
    )
    payload_ref: str = field(
        validator=_matches(_REF, "payload_ref", "1-500 printable ASCII characters, no spaces")
    )
    not_before: dt.datetime | None = field(default=None, validator=_optional(_is_utc))


@frozen(kw_only=True)
class OutboxItem:
    """An outbox row as stored."""

    id: int
    message: OutboxMessage
    status: OutboxStatus
    attempts: int
    next_attempt_at: dt.datetime
    created_at: dt.datetime


_SETTLED = (OutboxStatus.SENT, OutboxStatus.PENDING, OutboxStatus.DEAD)


def _positive_int(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not is_int(value) or not 1 <= value <= 2**31 - 1:  # type: ignore[operator]
        raise _bad(attribute.name, "must be an integer in 1..2147483647", "integer")


def _settled_status(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in _SETTLED:
        raise _bad(attribute.name, "must be OutboxStatus.SENT, PENDING or DEAD", "status")


def _entry(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not AuditEntry:
        raise _bad(attribute.name, "must be an AuditEntry", "outbox_message")
    if value.case_id is None:
        raise _bad(f"{attribute.name}.case_id", "must be the message's case", "outbox_case")


def _alert(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and type(value) is not OutboxMessage:
        raise _bad(attribute.name, "must be an OutboxMessage or None", "outbox_message")


@frozen(kw_only=True)
class Settlement:
    """How one claim of an outbox message ended, for :meth:`Store.settle_outbox`: its mark
    (``status``: sent, pending again at ``retry_at``, or dead) and the audit entry recording it,
    written together, and for a dead letter the alert to queue with it.

    ``claim`` is the :attr:`OutboxItem.attempts` the claim returned: each claim counts one more
    attempt, so it names the claim, and a claim superseded by a later one (its lease lapsed and
    another dispatcher took the message) no longer matches. The entry must be about the
    message's case; ids and field names only, like every audit entry."""

    outbox_id: int = field(validator=_positive_int)
    claim: int = field(validator=_positive_int)
    status: OutboxStatus = field(validator=_settled_status)
    entry: AuditEntry = field(validator=_entry)
    retry_at: dt.datetime | None = field(default=None, validator=_optional(_is_utc))
    alert: OutboxMessage | None = field(default=None, validator=_alert)

    def __attrs_post_init__(self) -> None:
        # A retry needs its time and only a retry has one; an alert is for a dead letter only.
        if (self.retry_at is None) == (self.status is OutboxStatus.PENDING):
            raise _bad("retry_at", "must be given for PENDING (a retry) and only then",
                       "datetime")
        if self.alert is not None and self.status is not OutboxStatus.DEAD:
            raise _bad("alert", "may be given for a DEAD message only", "outbox_message")
        if self.alert is not None and self.alert.case_id != self.entry.case_id:
            raise _bad("alert.case_id", "must be the message's case", "outbox_case")


class DeadlineHit(NamedTuple):
    """A row of a deadline query: the clock and the case it belongs to (no document). A named
    tuple, because deadline queries return hundreds of rows on request paths."""

    case_id: str
    council: str
    kind: str
    state: str
    clock_id: str
    due: dt.date
    status: str


@frozen(kw_only=True)
class Lease:
    """A row of the store's lease table: who holds the named lease until when, and the last day
    the work it guards was finished (``None``: never)."""

    name: str
    holder: str | None
    expires_at: dt.datetime
    done_through: dt.date | None


class RetentionTrigger(Enum):
    """The date a retention period counts from."""

    DATE_OF_BIRTH = "date_of_birth"
    """The child's or young person's date of birth (cases with none are never picked)."""
    CASE_CLOSED = "case_closed"
    """The closure date, for every closed case."""
    CLOSED_WITHOUT_DATE_OF_BIRTH = "closed_without_date_of_birth"
    """The closure date, for closed cases that record no date of birth only: the fallback of a
    date-of-birth rule (:class:`~sen_disagreement.store.retention.ClosureFallback`)."""


@frozen(kw_only=True)
class PurgeReport:
    """What a purge erased, and whether its bytes are gone from the database files too.

    ``vacuumed``: the file was rebuilt (SQLite) or the tables vacuumed (PostgreSQL).
    ``wal_truncated``: the SQLite ``-wal`` file was emptied (or was already empty), so it holds
    none of the erased bytes; always ``False`` on PostgreSQL, whose WAL segments the store cannot
    empty. ``pending``: the clean-up could not finish (a reader held an old snapshot through
    every retry), so erased bytes may remain in the database and ``-wal`` files; every later
    purge, including one of no cases (``purge_expired`` with nothing due), tries again.
    ``message`` says in plain words what remains, or is empty."""

    purged: tuple[str, ...]
    vacuumed: bool
    wal_truncated: bool
    pending: bool = False
    message: str = ""


@runtime_checkable
class Store(Protocol):
    """What every case store provides. All writes are atomic and durable when the call returns."""

    def schema_version(self) -> int:
        """The schema version of the open database (migrations are applied on open)."""
        ...

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
        """Write ``record`` as version ``expected_version + 1`` if the stored version is still
        ``expected_version`` (0: the case must not exist yet); keep the previous version in the
        history; in the same transaction append the audit entries and the ``outbox`` messages.

        For a case document the new version is checked against the stored one
        (:func:`sen_disagreement.workflow.invariants.document_guard`: history only extends,
        without-prejudice material never opens up) and the audit entries it adds are written,
        each with its own event time and the commit time. For any other document one entry
        (``actor``, ``action``, ``fields``) is written. ``record.version`` must be
        ``expected_version`` or ``expected_version + 1``.

        Raises :class:`StaleWriteError`, or :class:`InvalidInputError` for a version that breaks
        the history; nothing of the case is written and the refusal is audited."""
        ...

    def save_many(
        self, records: Sequence[CaseRecord], *, actor: str, action: str = "case.imported"
    ) -> int:
        """Create many new cases (each stored as version 1, with one audit entry) in one
        transaction, for imports; returns how many. All or nothing: if any case already exists,
        :class:`StaleWriteError` names it, and a record the store's check refuses is an
        :class:`InvalidInputError` naming it; then nothing of the import is written and the
        refusal is audited on the case it names (as a refused :meth:`save` is)."""
        ...

    def load(self, case_id: str) -> CaseRecord:
        """The current version of a case; :class:`NotFoundError` if unknown."""
        ...

    def history(self, case_id: str) -> list[CaseRecord]:
        """Every saved version of a case, oldest first (the last is the current one)."""
        ...

    def find_cases(
        self,
        council: str,
        *,
        kind: str | None = None,
        state: str | None = None,
        after_case_id: str | None = None,
        limit: int = 1000,
    ) -> list[CaseRecord]:
        """Current cases of a council, optionally of one kind and state, ordered by case id;
        page with ``after_case_id``."""
        ...

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
        """Clocks in ``status`` whose due date is in ``[start, end]`` (``start=None``: no lower
        bound), ordered by due date. "Mediations whose 30-day clock ends within 5 working days"
        is ``deadlines_between(today, today + 5 working days, clock_id=..., kind="mediation")``."""
        ...

    def overdue(
        self,
        today: dt.date,
        *,
        clock_id: str | None = None,
        council: str | None = None,
        kind: str | None = None,
        limit: int = 10_000,
    ) -> list[DeadlineHit]:
        """Running clocks due before ``today``."""
        ...

    def append_audit(self, entry: AuditEntry) -> AuditEntry:
        """Append an audit entry on its own (e.g. a sensitive read or a refused access)."""
        ...

    def audit_trail(
        self, case_id: str | None = None, *, after_seq: int = 0, limit: int = 10_000
    ) -> list[AuditEntry]:
        """Audit entries in order, for one case or (``None``) all."""
        ...

    def enqueue(self, messages: Sequence[OutboxMessage]) -> list[int]:
        """Add outbox messages in one transaction. A message whose idempotency key is already
        stored with the same content is not added again (its id is returned); the same key with
        different content raises :class:`InvalidInputError` and nothing is written."""
        ...

    def claim_outbox(
        self,
        *,
        now: dt.datetime,
        limit: int = 100,
        lease: dt.timedelta = dt.timedelta(minutes=5),
        channel: str | None = None,
    ) -> list[OutboxItem]:
        """Claim up to ``limit`` messages due at ``now``; each claim counts an attempt and lasts
        ``lease`` (after which an unconfirmed message can be claimed again: at-least-once)."""
        ...

    def mark_sent(self, outbox_id: int) -> None:
        """Record that a claimed message was delivered (by any claim of it, with no audit
        entry: the dispatcher uses :meth:`settle_outbox`, which checks the claim and writes
        the entry in the mark's transaction)."""
        ...

    def mark_failed(self, outbox_id: int, *, retry_at: dt.datetime | None) -> None:
        """Record a failed attempt: retry at ``retry_at``, or dead-letter it if ``None`` (as
        :meth:`mark_sent`, unchecked and unaudited)."""
        ...

    def settle_outbox(self, settlements: Sequence[Settlement]) -> list[bool]:
        """Settle claimed messages in one transaction: for each :class:`Settlement` whose claim
        is still the message's current one (claimed, not settled since, not claimed again),
        write its mark, its audit entry (into the case's hash chain) and its alert, if any.
        A settlement that is not current (a stale claim, a message settled or purged meanwhile)
        writes nothing. Returns, in order, whether each was written. All or nothing on a fault:
        if the transaction fails, no mark, entry or alert of the batch is written."""
        ...

    def retention_candidates(
        self,
        *,
        council: str,
        kind: str,
        trigger: RetentionTrigger,
        on_or_before: dt.date,
        limit: int = 10_000,
    ) -> list[str]:
        """Ids of a council's cases of ``kind``, not under legal hold, whose trigger date is on
        or before ``on_or_before``."""
        ...

    def verify(self, case_id: str | None = None) -> VerifyReport:
        """Check the tamper-evident audit chains (one case's, or all) and the stored documents
        against them; the report names the first broken link (see
        :mod:`sen_disagreement.store.chain`)."""
        ...

    def set_legal_hold(self, case_id: str, hold: bool, *, actor: str) -> None:
        """Place a case under legal hold (``hold=True``) or release it; audited
        (``case.legal_hold`` / ``case.legal_hold_released``). The only way a hold changes."""
        ...

    def purge(self, case_ids: Sequence[str], *, actor: str) -> PurgeReport:
        """Erase cases with their history, deadlines, outbox rows and audit entries, leaving one
        ``case.purged`` audit entry per case that records only the case id. Raises
        :class:`LegalHoldError` (nothing erased) if any case is under legal hold."""
        ...

    def claim_lease(
        self, name: str, holder: str, *, now: dt.datetime, ttl: dt.timedelta, day: dt.date
    ) -> str:
        """Claim the lease ``name`` for ``holder`` until ``now + ttl`` to do the work of ``day``:
        ``"claimed"`` if it was free, expired or already ``holder``'s; ``"held"`` if another
        holder's lease runs (or another claim is in progress: PostgreSQL skips the locked row,
        SQLite's write lock serialises the claims); ``"done"`` if that work was finished for
        ``day`` or later (:meth:`release_lease` with ``done``)."""
        ...

    def renew_lease(
        self, name: str, holder: str, *, now: dt.datetime, ttl: dt.timedelta
    ) -> bool:
        """Extend ``holder``'s lease to ``now + ttl``; ``False`` if it is no longer theirs."""
        ...

    def release_lease(self, name: str, holder: str, *, done: dt.date | None = None) -> bool:
        """Give the lease up (``done``: the work of that day is finished, so later claims for
        it answer ``"done"``); ``False`` if it was no longer ``holder``'s (nothing changes)."""
        ...

    def lease(self, name: str) -> Lease | None:
        """The lease row ``name`` as stored, or ``None``."""
        ...

    def close(self) -> None:
        """Close every connection."""
        ...

    def __enter__(self) -> Store: ...

    def __exit__(self, *exc: object) -> None: ...


def is_int(value: object) -> bool:
    """An int that is not a bool (nor any other subclass of int)."""
    return type(value) is int


def check_int(value: object, field_name: str, minimum: int = 0) -> None:
    if not is_int(value) or value < minimum:  # type: ignore[operator]
        raise _bad(field_name, f"must be an integer >= {minimum}", "integer")


def check_limit(limit: object) -> None:
    if not is_int(limit) or not 1 <= limit <= 1_000_000:  # type: ignore[operator]
        raise _bad("limit", "must be an integer in 1..1000000", "limit")


def check_timedelta(value: object, field_name: str) -> None:
    if not isinstance(value, dt.timedelta) or value <= dt.timedelta(0):
        raise _bad(field_name, "must be a positive timedelta", "timedelta")


def check_version(record: CaseRecord, expected_version: int) -> int:
    """Validate the version arguments of a save; return the version to write."""
    check_int(expected_version, "expected_version")
    if record.version not in (expected_version, expected_version + 1):
        raise _bad(
            "version", "must equal expected_version or expected_version + 1", "version_matches"
        )
    return expected_version + 1


def check_name(value: object, field_name: str) -> None:
    """A field that must be a slug (action, channel, clock id, state...)."""
    if type(value) is not str or _SLUG.fullmatch(value) is None:
        raise _bad(field_name, "must be a lower-case slug", "slug")


def check_case_id(value: object, field_name: str = "case_id") -> None:
    if type(value) is not str or _CASE_ID.fullmatch(value) is None:
        raise _bad(field_name, "must be a case id", "case_id")


def check_council(value: object, field_name: str = "council") -> None:
    if type(value) is not str or _COUNCIL.fullmatch(value) is None:
        raise _bad(field_name, "must be a GSS code or slug", "council")


def check_kind(value: object, field_name: str = "kind") -> None:
    if type(value) is not str or value not in CASE_KINDS:
        raise _bad(field_name, f"must be one of {', '.join(CASE_KINDS)}", "case_kind")


def check_date(value: object, field_name: str) -> None:
    if type(value) is not dt.date:
        raise _bad(field_name, "must be a date (exactly datetime.date)", "date")


def check_utc(value: object, field_name: str) -> None:
    if type(value) is not dt.datetime:
        raise _bad(field_name, "must be a datetime (exactly datetime.datetime)", "datetime_utc")
    _checks.check_utc(value, field=field_name, rule_id="store.datetime_utc")


def check_fields(values: Sequence[str]) -> tuple[str, ...]:
    out = _to_tuple(values)
    for i, name in enumerate(out):
        if type(name) is not str or _FIELD_NAME.fullmatch(name) is None:
            raise _bad(f"fields[{i}]", "must be a field name, never a value", "field_name")
    return out


def check_actor(value: object) -> None:
    if type(value) is not str or _ACTOR.fullmatch(value) is None:
        raise _bad("actor", "must be an actor id (no spaces or controls)", "actor")


def bad_input(field_name: str, message: str, rule: str) -> InvalidInputError:
    """An :class:`InvalidInputError` with the store's rule-id prefix."""
    return _bad(field_name, message, rule)


def check_messages(
    messages: Sequence[OutboxMessage], *, case_id: str | None = None
) -> list[OutboxMessage]:
    """Outbox messages to enqueue: each an :class:`OutboxMessage`, of ``case_id`` if given, with
    no idempotency key repeated in the batch."""
    out = list(messages)
    keys: set[str] = set()
    for i, m in enumerate(out):
        if not isinstance(m, OutboxMessage):
            raise bad_input(f"outbox[{i}]", "must be an OutboxMessage", "outbox_message")
        out[i] = m = exact(OutboxMessage, m, f"outbox[{i}]")
        if case_id is not None and m.case_id != case_id:
            raise bad_input(f"outbox[{i}].case_id", "must be the saved case", "outbox_case")
        if m.idempotency_key in keys:
            raise bad_input(f"outbox[{i}].idempotency_key", "is repeated", "unique")
        keys.add(m.idempotency_key)
    return out


class VersionGuard(Protocol):
    """Checks a new version of a stored document against the stored one (and, given the
    ``record``, that its columns are the document's); returns the audit entries the new version
    adds (``None``: not a case document)."""

    def __call__(
        self, previous: str | None, document: str, *, kind: str, record: CaseRecord | None = None
    ) -> tuple[AuditEntry, ...] | None: ...


def case_guard() -> VersionGuard:
    """The guard every store applies: the case invariants of the workflow layer (imported when
    first needed, so the store stays importable on its own)."""
    from sen_disagreement.workflow.invariants import document_guard

    return document_guard


def stored_date(value: object) -> dt.date:
    """A date the store wrote as text: exactly ``YYYY-MM-DD``, as :meth:`datetime.date.isoformat`
    writes it (``fromisoformat`` alone would also take ``20250205`` or ``2025-W06-3``, which sort
    apart from the dates around them; given ten characters with the dashes in place it takes
    ASCII digits only). Anything else is a :class:`StoredDataError` that does not quote the
    text."""
    if isinstance(value, str) and len(value) == 10 and value[4] == value[7] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise StoredDataError("date", problem="is not a YYYY-MM-DD date")


def decode_deadlines(text: object, *, case_id: str | None = None) -> tuple[DeadlineEntry, ...]:
    """The deadlines of a superseded version, as both adapters keep them in the history row
    (compact JSON ``[[clock_id, due, status], ...]``). Text that is not that (malformed or deeply
    nested JSON, another shape, a bad date or slug, a clock twice) is a :class:`StoredDataError`
    naming ``case_id`` and the column, never the text."""
    try:
        if not isinstance(text, str):
            raise TypeError
        items = json.loads(text)
        if not isinstance(items, list):
            raise TypeError
        out: list[DeadlineEntry] = []
        for item in items:
            if not isinstance(item, list) or len(item) != 3:
                raise TypeError
            c, d, s = item
            out.append(DeadlineEntry(clock_id=c, due=stored_date(d), status=s))
        if len({e.clock_id for e in out}) != len(out):
            raise ValueError  # a clock twice
    except (ValueError, TypeError, RecursionError, StoredDataError):
        raise StoredDataError("case_history.deadlines", case_id=case_id) from None
    return tuple(out)


# Argument checks shared by the adapters' query methods (one place, so both refuse the same).


def check_case_query(
    council: str, kind: str | None, state: str | None, after_case_id: str | None, limit: int
) -> None:
    check_council(council)
    if kind is not None:
        check_kind(kind)
    if state is not None:
        check_name(state, "state")
    if after_case_id is not None:
        check_case_id(after_case_id, "after_case_id")
    check_limit(limit)


def check_deadline_query(
    start: dt.date | None,
    end: dt.date,
    clock_id: str | None,
    status: str,
    council: str | None,
    kind: str | None,
    limit: int,
) -> None:
    if start is not None:
        check_date(start, "start")
    check_date(end, "end")
    if clock_id is not None:
        check_name(clock_id, "clock_id")
    check_name(status, "status")
    if council is not None:
        check_council(council)
    if kind is not None:
        check_kind(kind)
    check_limit(limit)


def check_claim(now: dt.datetime, limit: int, lease: dt.timedelta, channel: str | None) -> None:
    check_utc(now, "now")
    check_limit(limit)
    check_timedelta(lease, "lease")
    if channel is not None:
        check_name(channel, "channel")


def check_lease(name: object, holder: object) -> None:
    check_name(name, "name")
    if type(holder) is not str or _KEY.fullmatch(holder) is None:
        raise _bad("holder", "must be 1-200 printable ASCII characters, no spaces", "lease")


def check_retention_query(council: str, kind: str, on_or_before: dt.date, limit: int) -> None:
    check_council(council)
    check_kind(kind)
    check_date(on_or_before, "on_or_before")
    check_limit(limit)
