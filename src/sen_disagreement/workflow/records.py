"""A case to and from the store's :class:`~sen_disagreement.store.contract.CaseRecord`.

The whole case (parties, consent ledger, issues, items, deadlines, certificates, audit trail) is
the record's JSON ``document``, written with the library's strict cattrs converter
(:func:`sen_disagreement.serialization.make_converter`). The columns the store queries travel
beside it: council, kind, state, the deadlines (clock id, due date, status), the subject's date
of birth and the closure date. The case's settings (the council's readings of unconfirmed law,
pinned when the case opened) are part of the document and come back with it; a document stored
before settings were pinned has none, and :func:`from_record` gives it the ``settings`` passed.

:func:`save` writes a case through a :class:`~sen_disagreement.store.contract.Store`; the store
writes the audit entries the version adds in the same transaction, so the store's audit trail
matches the case's.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import types
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from sen_disagreement.actors import SYSTEM_ID
from sen_disagreement.disclosure import RecordedItem
from sen_disagreement.errors import InvalidInputError, StoredDataError, StoredDocumentError
from sen_disagreement.parties import PartyKind
from sen_disagreement.serialization import (
    MAX_STRING,
    STORED_MAX_ITEMS,
    DocumentEncoder,
    make_converter,
)
from sen_disagreement.settings import DEFAULT_SETTINGS, Settings
from sen_disagreement.store.contract import (
    APPEAL_CLOCK_ID,
    APPEAL_STATUS,
    AuditEntry,
    CaseRecord,
    DeadlineEntry,
    OutboxMessage,
    Store,
)
from sen_disagreement.voluntary import ConsentEntry
from sen_disagreement.workflow import Case
from sen_disagreement.workflow.disagreement_resolution import DisagreementResolutionCase
from sen_disagreement.workflow.mediation import MediationCase

__all__ = [
    "DOCUMENT_VERSION",
    "appeal_entry",
    "case_from_document",
    "case_from_payload",
    "columns",
    "deadline_entries",
    "from_record",
    "save",
    "to_record",
]

DOCUMENT_VERSION = 1
"""The version of the stored case document this library writes."""

_KINDS: dict[str, type[DisagreementResolutionCase] | type[MediationCase]] = {
    DisagreementResolutionCase.KIND: DisagreementResolutionCase,
    MediationCase.KIND: MediationCase,
}


# Any fault in a stored document is one error (store.case_document), so the reader need not
# gather every fault with its path: the same checks, faster.
_CONVERTER = make_converter(detailed_validation=False, max_items=STORED_MAX_ITEMS)
_DOCUMENT = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
"""The stored document's encoder: ``json.dumps(document, ensure_ascii=False, sort_keys=True)``
byte for byte, built once (``json.dumps`` with options builds it anew on every call)."""
_ESCAPE = json.encoder.encode_basestring  # the string writer of the encoder above
_ENCODER = DocumentEncoder(
    _CONVERTER, max_string=MAX_STRING, max_items=STORED_MAX_ITEMS,
    # Built by the library's own steps and handed to no plugin: written once each. Settings:
    # one frozen object of enums and booleans pinned to every case a council opens.
    memo=(AuditEntry, ConsentEntry, RecordedItem, Settings),
)
_SUBJECTS = frozenset({PartyKind.CHILD, PartyKind.YOUNG_PERSON})


def _subject_dob(case: Case) -> dt.date | None:
    """The date of birth retention counts from: the child's or young person's, never a
    parent's (a parent's would make a case due decades early)."""
    dobs = [p.party.date_of_birth for p in case.parties
            if p.party.kind in _SUBJECTS and p.party.date_of_birth is not None]
    return min(dobs) if dobs else None


def columns(case: Case) -> dict[str, Any]:
    """The record columns a case gives (everything but its document, version and legal hold):
    what the store queries by, so it must always be what the document says."""
    return dict(_columns(case))


def _columns(case: Case) -> dict[str, Any]:
    """:func:`columns`, worked out from the case as it is now on every call (never remembered:
    the store's check of a record's columns must see the case it is given). :func:`to_record`
    writes the same values straight into the record."""
    return {
        "case_id": case.case_id,
        "council": case.council,
        "kind": case.kind,
        "state": case.state.value,
        "created_at": case.created_at,
        # A trail with no entry is refused by the store's guard, which needs the record first.
        "updated_at": case.audit.entries[-1].at if case.audit.entries else case.created_at,
        "deadlines": deadline_entries(case),
        "subject_date_of_birth": _subject_dob(case),
        "closed_on": case.closed_on,
    }


def appeal_entry(case: Case) -> DeadlineEntry | None:
    """The deadline row of the case's SEN appeal deadline (HESC Rules r.20(1)(c)), once it is
    known: from the latest mediation certificate (the date the certificate records), or, for a
    decision that needs no certificate (section I only), from the decision notice under the
    case's pinned settings. ``None`` while it is not known (a certificate is still needed) and
    for disagreement resolution, which has no appeal deadline of its own."""
    if not isinstance(case, MediationCase):
        return None
    if case.certificates:
        due = case.certificates[-1].appeal_deadline
    elif not case.notice.certificate_required:
        due = case.appeal_deadline
    else:
        return None
    return DeadlineEntry(clock_id=APPEAL_CLOCK_ID, due=due, status=APPEAL_STATUS)


def deadline_entries(case: Case) -> tuple[DeadlineEntry, ...]:
    """The deadline rows a save writes: every tracked clock (running and settled duties, the
    reg 42 follow-up duties among them) and, once known, the appeal deadline."""
    out = tuple(d.entry() for d in case.deadlines)
    appeal = appeal_entry(case)
    return out if appeal is None else (*out, appeal)


def to_record(case: Case, *, version: int = 0) -> CaseRecord:
    """The store record of ``case``; ``version`` is the version it was loaded as (0: new)."""
    document, exact = _document(case)
    kind = case.kind
    if exact:
        # This text reads back as ``case`` itself: the store's check of the save (and a load
        # right after it) use the case rather than structuring what was just unstructured.
        _invariants().remember(document, kind, case)
    # The columns as _columns gives them, passed straight to the record (no dict to unpack).
    entries = case.audit.entries
    created_at = case.created_at
    return CaseRecord(
        case_id=case.case_id, council=case.council, kind=kind, state=case.state.value,
        version=version, document=document, created_at=created_at,
        updated_at=entries[-1].at if entries else created_at,
        deadlines=deadline_entries(case), subject_date_of_birth=_subject_dob(case),
        closed_on=case.closed_on,
    )


@functools.cache
def _invariants() -> types.ModuleType:
    """:mod:`.invariants`, imported on the first save or load (it imports this module at its
    top) and kept: an import statement inside a function runs the import machinery on every
    call (about 7,600 CPU instructions here). Its functions are looked up on the module at
    each call, as an import statement would find them."""
    from sen_disagreement.workflow import invariants

    return invariants


def _document(case: Case) -> tuple[str, bool]:
    """The stored text of ``case`` (``{"case": ..., "document_version": ..., "kind": ...}`` as
    :data:`_DOCUMENT` writes the converter's data, byte for byte: the audit chain hashes it), and
    whether that text reads back as ``case`` itself. The compiled encoder writes it in one pass,
    and answers only for a case of the library's own class whose every value is of exactly its
    field's declared type and within the reader's bounds: only then is the case the text (no
    subclass with its own ``__eq__``, no string posing as another, nothing the reader refuses),
    so only then may the store's check judge the case in place of the text. Any other case
    takes the converter and the standard encoder, and its text is read back and checked as
    stored."""
    body = _ENCODER.encode(case) if type(case) in _CASE_CLASSES else None
    kind = case.kind
    if body is not None and type(kind) is str and len(kind) <= MAX_STRING:
        return (f'{{"case": {body}, "document_version": {DOCUMENT_VERSION!r}, '
                f'"kind": {_ESCAPE(kind)}}}'), True
    data: dict[str, Any] = _CONVERTER.unstructure(case)  # settings included: pinned to the case
    document = _DOCUMENT.encode(
        {"document_version": DOCUMENT_VERSION, "kind": case.kind, "case": data}
    )
    return document, False


_CASE_CLASSES = frozenset({DisagreementResolutionCase, MediationCase})
"""The case classes whose instances may stand for their text (:func:`_document`)."""


def from_record(
    record: CaseRecord, *, settings: Settings | Callable[[], Settings] = DEFAULT_SETTINGS
) -> Case:
    """The case a record holds, with the settings stored in it (``settings``: for a document
    stored before settings were pinned, which has none; or a function giving them, called
    only for such a document).

    The record came from a store, so what is wrong with it is a stored-data fault: a document
    that is not a valid case raises :class:`StoredDocumentError` (a :class:`StoredDataError`
    naming the case and the document field, and an :class:`InvalidInputError` with the rule, as
    :func:`case_from_document` raises it); query columns that are not what the document says (a
    state, a deadline, a date changed in the row alone) raise :class:`StoredDataError` naming
    the column. Neither quotes a stored value."""
    try:
        case = _stored_case(record, settings)
        given = _columns(case)
    except (InvalidInputError, LookupError) as exc:
        field, rule = ("document", "store.case_document")
        if isinstance(exc, InvalidInputError):
            field, rule = exc.field, exc.rule_id
        raise StoredDocumentError(field, case_id=record.case_id, rule_id=rule,
                                  problem=f"is not a valid case document (rule {rule})") from None
    _check_columns(given, record)
    return case


def _stored_case(record: CaseRecord, settings: Settings | Callable[[], Settings]) -> Case:
    # The store's history check parsed this exact text when it was saved (and keeps the case it
    # read, frozen, by the text): a load right after a save in the same process reuses it rather
    # than structuring the document again. The cached case was read with the default settings
    # for a document that has none, so it is used only where that is the answer anyway.
    found: tuple[Case | None, bool] = _invariants().read_stored(record.document, record.kind)
    cached, pinned = found
    if cached is not None and pinned:
        return cached  # the settings are the text's own: ``settings`` is not asked
    given = settings() if callable(settings) else settings
    if cached is not None and given == DEFAULT_SETTINGS:
        return cached
    return case_from_document(record.document, kind=record.kind, settings=given)


_COLUMN_NAMES = {"subject_date_of_birth": "subject_dob"}


def _check_columns(given: dict[str, Any], record: CaseRecord) -> None:
    """The record's query columns are the ones its document gives (as every save checked)."""
    for name, value in given.items():
        stored = getattr(record, name)
        if name == "deadlines":  # the store returns them ordered by clock id
            same = sorted(stored, key=_clock) == sorted(value, key=_clock)
            if not same and not any(e.clock_id == APPEAL_CLOCK_ID for e in stored):
                # Saved before the appeal deadline was a stored row (schema 5 on SQLite, 6 on
                # PostgreSQL backfill the certificate cases): the row comes with the next save.
                value = tuple(e for e in value if e.clock_id != APPEAL_CLOCK_ID)
                same = sorted(stored, key=_clock) == sorted(value, key=_clock)
        else:
            same = stored == value
        if not same:
            # A case id that differs could be either one's planted value: name neither.
            raise StoredDataError(f"cases.{_COLUMN_NAMES.get(name, name)}",
                                  case_id=None if name == "case_id" else record.case_id,
                                  problem="is not what the case document says")


def _clock(entry: DeadlineEntry) -> str:
    return entry.clock_id


def case_from_document(
    document: str, *, kind: str | None = None, settings: Settings = DEFAULT_SETTINGS
) -> Case:
    """The case a stored JSON document holds (``kind``: the record's kind, which must match),
    with its stored settings, or ``settings`` if it has none (an older document).
    A document that is not one raises :class:`InvalidInputError` naming the field and the rule
    (never a value); :func:`from_record` names the case as well."""
    try:
        payload = json.loads(document)
    except (ValueError, TypeError, RecursionError):
        raise _unreadable() from None
    return case_from_payload(payload, kind=kind, settings=settings)


def case_from_payload(
    payload: object, *, kind: str | None = None, settings: Settings = DEFAULT_SETTINGS
) -> Case:
    """:func:`case_from_document` for a document already parsed from JSON."""
    if not isinstance(payload, dict):
        raise _unreadable()
    version = payload.get("document_version")
    if type(version) is not int or version != DOCUMENT_VERSION:
        raise InvalidInputError(
            f"this library reads case documents of version {DOCUMENT_VERSION}",
            field="document.document_version", rule_id="input.schema_version",
        )
    stored_kind = payload.get("kind")
    # Only a string is looked up (str() of a deeply nested value raised RecursionError).
    cls = _KINDS.get(stored_kind) if isinstance(stored_kind, str) else None
    if cls is None or (kind is not None and stored_kind != kind):
        raise InvalidInputError("does not match the record", field="document.kind",
                                rule_id="store.case_kind")
    try:
        # Every record re-checks its fields as it is built (ids, UTC times), as when recorded.
        body = payload.get("case")
        case: Case = _CONVERTER.structure(body, cls)
    except (Exception, RecursionError):
        # cattrs' messages quote stored values, which may be without-prejudice text.
        raise _unreadable() from None
    if isinstance(body, dict) and "settings" in body:
        return case  # the settings pinned when the case opened
    return attrs.evolve(case, settings=settings)


def _unreadable() -> InvalidInputError:
    return InvalidInputError(
        "the stored case document is not a valid case", field="document",
        rule_id="store.case_document",
    )


def save(
    store: Store,
    case: Case,
    *,
    expected_version: int,
    outbox: Sequence[OutboxMessage] = (),
) -> CaseRecord:
    """Save ``case`` as version ``expected_version + 1``: the case, the audit entries it adds
    since the stored version, its clock rows and ``outbox`` in one transaction. The store works
    out the new entries itself (and refuses a version that rewrites history), so there is nothing
    for the caller to keep count of. A case with no audit entry is refused by the store (a
    case is created with its first entry; a stored trail only extends), audited as the system's
    refusal: no entry names who acted."""
    entries = case.audit.entries
    actor, action, fields = ((entries[-1].actor, entries[-1].action, entries[-1].fields)
                             if entries else (SYSTEM_ID, "case.saved", ()))
    return store.save(
        to_record(case, version=expected_version),
        expected_version,
        actor=actor,
        action=action,
        fields=fields,
        outbox=outbox,
    )
