"""What may never change between a stored version of a case and the next one.

The command path (:class:`sen_disagreement.service.CaseService`) checks these before it saves,
and the store checks them again inside the write transaction for every save, whoever calls it
(:func:`document_guard`), so a caller that builds a case by hand and saves it straight to the store
is refused too. Between a stored version and its successor:

* the case keeps its id, council, kind and creation time;
* every recorded item keeps its text, kind, author, time and meeting flag, and never moves to a
  more open disclosure class (without prejudice and confidential stay so);
* the audit trail only extends, by at least one entry, each for this case and not earlier than the
  last; consent entries and certificates are only ever added, never rewritten or removed;
* a facilitator's (provider's, adviser's, mediator's) record is never ``parties`` or ``public``
  (the written mediation agreement, the parties' own outcome document, excepted), and a case
  never loses its provider, adviser or mediator once assigned (the provider and the adviser never
  change).

Errors name the field and the rule, never the stored values.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections import OrderedDict

import attrs

from sen_disagreement.disclosure import TRIBUNAL_ALLOWED, Disclosure, ItemKind
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.provenance import Provenance, Rule, S, cite
from sen_disagreement.store.contract import AuditEntry, CaseRecord, DeadlineEntry
from sen_disagreement.workflow import Case, MediationCase, records
from sen_disagreement.workflow.access import facilitator_record

__all__ = [
    "COLUMNS_RULE",
    "HISTORY_RULE",
    "check_case",
    "check_columns",
    "check_successor",
    "document_guard",
]

HISTORY_RULE = Rule(
    "case.history_append_only",
    "A stored case only grows: recorded items keep their text and never lose without-prejudice "
    "or confidential status; the audit trail, the consent ledger and the certificates are only "
    "extended.",
    Provenance([
        cite("UK GDPR Art. 5(1)(d), (f), 5(2) (accuracy, integrity, accountability)", S),
        cite("SEND Code of Practice ch.11 via council pages (without prejudice)", S),
    ]),
)
"""A stored case only grows: items keep their text and their without-prejudice or confidential
status, and the audit trail is append-only."""
FACILITATOR_RECORDS = Rule(
    "s57.facilitator_records_confidential",
    "What the provider, mediation adviser or mediator records about the process is confidential "
    "or without prejudice, whatever its kind.",
    Provenance([cite("Sefton Disagreement Resolution page; KIDS (confidential process)", S)]),
)

COLUMNS_RULE = Rule(
    "store.record_matches_document",
    "A stored record's columns (case id, council, kind, state, times, clocks, date of birth, "
    "closure date) are derived from its case document, so what queries and retention see is "
    "what the case says.",
    Provenance([cite("UK GDPR Art. 5(1)(d) (accuracy), 5(1)(e) (storage limitation)", S)]),
)
"""A stored record's columns are derived from its case document, so queries see what the case
says."""

_OPENNESS = {d: i for i, d in enumerate(Disclosure)}  # PUBLIC < PARTIES < CONFIDENTIAL < WP


def _refuse(field: str, message: str, rule: Rule = HISTORY_RULE) -> InvalidInputError:
    return InvalidInputError(message, field=field, rule_id=rule.rule_id, citation=rule.cite())


def check_case(case: Case) -> None:
    """Rules every version must keep on its own (facilitators' records are never open)."""
    ids = [i.item_id for i in case.items]
    if len(set(ids)) != len(ids):
        # Reads take the first item of an id: a forged copy placed first would shadow the real one.
        raise _refuse("items", "item ids are unique within a case")
    agreement = getattr(case, "agreement", None)
    if agreement is not None:
        document = next((i for i in case.items if i.item_id == agreement.document_item_id), None)
        if document is None or document.kind is not ItemKind.OUTCOME or document.by_facilitator:
            raise _refuse("agreement.document_item_id",
                          "names the written agreement, an outcome document of this case")
    for i, item in enumerate(case.items):
        if item.disclosure not in TRIBUNAL_ALLOWED or not facilitator_record(case, item):
            continue
        raise _refuse(f"items[{i}].disclosure",
                      "a record made by the provider, adviser or mediator is confidential or "
                      "without prejudice", FACILITATOR_RECORDS)


def check_successor(old: Case | None, new: Case) -> tuple[AuditEntry, ...]:
    """Check ``new`` may follow ``old`` (``None``: ``new`` is the first version); return the audit
    entries ``new`` adds, which the store writes in the same transaction as the case.

    Worked out on every call, never answered from a memo: the store's guard is the check every
    save crosses, so it must judge the cases as they are now (a memo of an earlier pass could
    answer for a case rewritten since)."""
    return _check_successor(old, new)


def _check_successor(old: Case | None, new: Case) -> tuple[AuditEntry, ...]:
    check_case(new)
    entries = new.audit.entries
    if new.audit.case_id != new.case_id or any(e.case_id != new.case_id for e in entries):
        raise _refuse("audit.case_id", "every audit entry belongs to this case")
    if old is None:
        if not entries:
            raise _refuse("audit", "a case is created with its first audit entry")
        return entries
    for name in ("case_id", "council", "kind", "created_at"):
        if getattr(old, name) != getattr(new, name):
            raise _refuse(name, "never changes once the case is stored")
    for slot in ("provider", "adviser", "mediator"):
        # Once a case has its provider, adviser or mediator, it keeps one: dropping it would
        # turn the facilitator's confidential records into ones the parties' officers can read.
        if getattr(old, slot, None) is not None and getattr(new, slot, None) is None:
            raise _refuse(slot, "once assigned is never removed")
    if getattr(old, "provider", None) != getattr(new, "provider", None) and (
        getattr(old, "provider", None) is not None
    ):
        raise _refuse("provider", "the assigned provider never changes")
    if getattr(old, "adviser", None) != getattr(new, "adviser", None) and (
        getattr(old, "adviser", None) is not None
    ):
        raise _refuse("adviser", "the mediation adviser never changes")
    old_agreement = getattr(old, "agreement", None)
    if old_agreement is not None and getattr(new, "agreement", None) != old_agreement:
        raise _refuse("agreement", "the written agreement once recorded never changes")
    n = len(old.audit.entries)
    if new.audit.entries[:n] != old.audit.entries:
        raise _refuse("audit", "the audit trail only extends; stored entries never change")
    added = entries[n:]
    if not added:
        raise _refuse("audit", "every change to a case adds an audit entry")
    if old.audit.entries and added[0].at < old.audit.entries[-1].at:
        raise _refuse("audit.at", "a new entry is not earlier than the last stored one")
    old_ledger = old.ledger.entries
    if new.ledger.entries[: len(old_ledger)] != old_ledger:
        raise _refuse("ledger", "consent entries are never rewritten or removed")
    if isinstance(old, MediationCase):
        assert isinstance(new, MediationCase)
        if new.certificates[: len(old.certificates)] != old.certificates:
            raise _refuse("certificates", "a certificate once issued is never rewritten")
    new_items = {i.item_id: i for i in new.items}
    for k, item in enumerate(old.items):
        now = new_items.get(item.item_id)
        if now is None:
            raise _refuse(f"items[{k}]", "a recorded item is never removed")
        same = (now.text == item.text and now.kind is item.kind
                and now.recorded_by == item.recorded_by and now.recorded_at == item.recorded_at
                and now.in_meeting == item.in_meeting
                and now.by_facilitator == item.by_facilitator)
        if not same:
            raise _refuse(f"items[{k}]", "a recorded item keeps its text, kind, author and time")
        if _OPENNESS[now.disclosure] < _OPENNESS[item.disclosure]:
            raise _refuse(f"items[{k}].disclosure",
                          "an item never moves to a more open disclosure class")
    return added


def document_guard(
    previous: str | None, document: str, *, kind: str, record: CaseRecord | None = None
) -> tuple[AuditEntry, ...] | None:
    """The store's check of a new version (``document``) against the stored one
    (``previous``; ``None`` for a new case), and, given the ``record`` it travels in, that the
    record's columns are what the document says (a record carrying another case's document, or
    a council, closure date or date of birth of its own, is refused). Returns the audit entries
    the new version adds, or ``None`` when neither is a case document (the store's own tests keep
    opaque documents)."""
    old = read_case(previous, kind)
    new = read_case(document, kind)
    if new is None:
        if old is None:
            return None
        records.case_from_document(document, kind=kind)  # raises the error naming what is wrong
        raise _refuse("document", "must be a case document")
    if previous is not None and old is None:
        # The stored version is not a readable case (tampered, or an opaque record): a case
        # written over it would have no history to be checked against.
        raise _refuse("document", "the stored version is not a readable case document, so "
                      "no new case version is written over it")
    added = check_successor(old, new)
    if record is not None:
        check_columns(new, record)
    return added


def check_columns(case: Case, record: CaseRecord) -> None:
    """The record's query columns are the ones its case document gives."""
    for name, value in records._columns(case).items():
        if not _same(getattr(record, name), value):
            raise _refuse(name, "must be what the case document says", COLUMNS_RULE)


def _same(given: object, value: object) -> bool:
    """``given`` (a record's column) is ``value`` (what the case gives, every part of it of
    exactly its type): compared type first, so a subclass that says it equals anything (a date
    whose ``__eq__`` always answers yes) is never asked."""
    if type(given) is not type(value):
        return False
    if isinstance(value, tuple) and isinstance(given, tuple):
        return len(given) == len(value) and all(map(_same, given, value))
    if type(value) is DeadlineEntry:
        return all(_same(getattr(given, n), getattr(value, n)) for n in _DEADLINE_FIELDS)
    return given == value


_DEADLINE_FIELDS = tuple(a.name for a in attrs.fields(DeadlineEntry))


_CACHE_LIMIT = 256 * 1024
"""Documents up to this size are cached (a case is a few KB; at most :data:`_CACHE_SIZE` are
kept, so the cache stays within about 64 MB however large an odd case grows)."""
_CACHE_SIZE = 256


class _Cases:
    """The cases of recent documents, by their exact text and kind: the last
    :data:`_CACHE_SIZE` held (least recently used out), and beyond them any whose case is still
    alive elsewhere, held weakly.

    A case is put here by the code that read it from its text, or by
    :func:`~sen_disagreement.workflow.records.to_record` for the text it has just written from
    the case (a text the library's converter wrote from a validated case, whose strings and
    arrays were checked against the reader's bounds, reads back as that case). Cases are frozen,
    so one is shared by every reader of its text. The weak part keeps an import's records
    (``to_record`` of a thousand cases, then one ``save_many``) checked against their cases
    rather than parsed again, at no cost in memory beyond the texts of cases the caller holds."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[str, str], _Read] = OrderedDict()
        self._weak: dict[tuple[str, str], tuple[weakref.ref[Case], bool]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> _Read | None:
        dropped: list[object] = []  # let go after the lock (see _hold)
        with self._lock:
            try:
                self._items.move_to_end(key)
            except KeyError:
                held = self._weak.get(key)
                case = None if held is None else held[0]()
                if held is None or case is None:
                    return None
                found = (case, held[1])
                self._hold(key, found, dropped)
                return found
            return self._items[key]

    def put(self, key: tuple[str, str], case: _Read) -> None:
        if len(key[0]) > _CACHE_LIMIT:
            return
        dropped: list[object] = []
        with self._lock:
            self._hold(key, case, dropped)
            if case[0] is not None:
                weak = self._weak
                # The entry goes when its case does (never another entry put since: the
                # callback checks it is still its own; it takes no lock, as the collector may
                # run it while this thread holds one).
                ref = weakref.ref(case[0], lambda r: weak.pop(key, None)
                                  if weak.get(key, (None,))[0] is r else None)
                dropped.append(weak.get(key))
                weak[key] = (ref, case[1])

    def _hold(self, key: tuple[str, str], case: _Read, dropped: list[object]) -> None:
        # What the cache lets go of is handed to ``dropped``, freed only once the lock is
        # released: the last reference to a case may go with it, and a caller's weakref
        # callback or finaliser on that case may call the library, which takes this lock.
        dropped.append(self._items.get(key))
        self._items[key] = case
        self._items.move_to_end(key)
        while len(self._items) > _CACHE_SIZE:
            dropped.append(self._items.popitem(last=False))

    def clear(self) -> None:
        with self._lock:
            items, weak = self._items, self._weak
            self._items, self._weak = OrderedDict(), {}
        del items, weak  # freed after the lock (see _hold)


_MARK = '"document_version"'
"""The key every case document has, as JSON writes it when it needs no escape."""

_Read = tuple[Case | None, bool]
"""What a text reads as: its case (``None``: not a case document), and whether the text holds
the case's settings (one stored before settings were pinned reads with the defaults)."""

_CASES = _Cases()


def remember(document: str, kind: str, case: Case) -> None:
    """Record that ``document`` reads as ``case`` (``to_record`` has just written it from the
    case, settings and all): the store's check of that save and a load right after it use the
    case itself rather than structuring the text it was unstructured into a moment ago."""
    _CASES.put((document, kind), (case, True))


def read_case(document: str | None, kind: str) -> Case | None:
    """The case a stored document holds, or ``None`` when it is not a case document (not JSON,
    or none of a case document's keys). Each document is parsed once (the last
    :data:`_CACHE_SIZE` are kept by their text); a case document that does not read as a case
    raises."""
    return read_stored(document, kind)[0]


def read_stored(document: str | None, kind: str) -> tuple[Case | None, bool]:
    """:func:`read_case`, and whether the document holds the case's settings (``False``: one
    stored before settings were pinned, read with the default settings, or not a case)."""
    if document is None:
        return None, False
    if type(document) is str and _MARK not in document and "\\" not in document:
        # Without a backslash, JSON spells every key literally, so an object with this key
        # holds these exact characters: a text without them is no case document, the answer
        # a parse would give, learnt without one (an opaque record) and sooner than the cache.
        return None, False
    key = (document, kind)
    found = _CASES.get(key)
    if found is not None:
        return found
    found = _read(document, kind)
    _CASES.put(key, found)
    return found


def _read(document: str, kind: str) -> _Read:
    try:
        payload = json.loads(document)
    except (ValueError, TypeError, RecursionError):
        return None, False
    if not (isinstance(payload, dict) and "document_version" in payload and "case" in payload):
        return None, False
    body = payload["case"]
    return (records.case_from_payload(payload, kind=kind),
            isinstance(body, dict) and "settings" in body)
