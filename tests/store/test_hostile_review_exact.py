"""Hostile review of the store's exact-type checks, record-subclass rebuilding, the columns check
by exact type and the guard's no-parse answer for non-case texts (commit 7beac87), through the
public API on both backends.

Each attack that succeeds is an ``xfail(strict=True)`` naming what breaks and the fix; each that
fails (the guarantee held) is a plain regression test. Values rewritten in place on a frozen
object (``object.__setattr__``) are the documented in-process gap and are not attacked here:
the subclasses below keep their own state in their own slots, as a host's class may.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import Any

import attrs
import pytest
import sweep_support as sweep
from hostile_values import EqualsAnything

from sen_disagreement.errors import InvalidInputError, SenDisagreementError
from sen_disagreement.store import (
    AuditEntry,
    CaseRecord,
    DeadlineEntry,
    OutboxMessage,
    OutboxStatus,
    Settlement,
    Store,
)
from sen_disagreement.workflow import MediationCase, invariants, records

TOLD = dt.date(2025, 3, 10)
AT = dt.datetime(2025, 3, 11, 9, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def _record(case_id: str) -> CaseRecord:
    return records.to_record(sweep.agreed(case_id, TOLD))


def _write(store: Store, how: str, record: CaseRecord) -> None:
    if how == "save":
        store.save(record, 0, actor="officer-1")
    else:
        store.save_many([record], actor="import:1")


# --- a record that is no CaseRecord but says it is one ----------------------------------------


class _PosingRecord:
    """Not a CaseRecord: its ``__class__`` answers CaseRecord, so ``isinstance`` says yes."""

    def __init__(self, record: CaseRecord) -> None:
        self._record = record

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # the attack: isinstance consults it
        return CaseRecord

    def __getattr__(self, name: str) -> Any:
        return getattr(self._record, name)


# Found in review, now mended: the store rebuilds every record it is given as exactly its class
# from its own slots (store.contract.exact), and takes strings, integers, dates and datetimes as
# exactly str, int, date and datetime.
def test_a_record_posing_by_its_class_attribute_is_refused_typed_by_save(store: Store) -> None:
    record = _record("rev-pose-1")
    posing: Any = _PosingRecord(record)
    assert isinstance(posing, CaseRecord)
    with pytest.raises(InvalidInputError) as refused:
        store.save(posing, 0, actor="officer-1")
    assert refused.value.field == "record"
    assert store.find_cases(record.council) == []


# Found in review, now mended: the store rebuilds every record it is given as exactly its class
# from its own slots (store.contract.exact), and takes strings, integers, dates and datetimes as
# exactly str, int, date and datetime.
def test_a_record_posing_by_its_class_attribute_is_refused_typed_by_save_many(
    store: Store,
) -> None:
    record = _record("rev-pose-2")
    posing: Any = _PosingRecord(record)
    with pytest.raises(InvalidInputError) as refused:
        store.save_many([posing], actor="import:1")
    assert refused.value.field.startswith("records[0]")
    assert store.find_cases(record.council) == []


# --- CaseRecord subclasses: exact_record reads the real slots and checks them again ------------


class _Answering(CaseRecord):
    """A subclass whose __getattribute__ answers another council for every read."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        if name == "council":
            return "E08000099"
        return object.__getattribute__(self, name)


def test_a_subclass_answering_through_getattribute_is_stored_as_its_slots(store: Store) -> None:
    record = _record("rev-sub-1")
    mine = _Answering(**attrs.asdict(record, recurse=False))
    assert mine.council == "E08000099"
    saved = store.save(mine, 0, actor="officer-1")
    assert type(saved) is CaseRecord and saved.council == record.council
    assert [r.case_id for r in store.find_cases(record.council)] == [record.case_id]
    assert store.find_cases("E08000099") == []


class _SkipsChecks(CaseRecord):
    """A subclass whose constructor skips every validator, writing its slots directly."""

    __slots__ = ()

    def __init__(self, **values: Any) -> None:
        for name, value in values.items():
            CaseRecord.__dict__[name].__set__(self, value)


@pytest.mark.parametrize("how", ["save", "save_many"])
def test_a_subclass_that_skips_its_validators_is_checked_again(store: Store, how: str) -> None:
    record = _record("rev-sub-2")
    values = attrs.asdict(record, recurse=False)
    values["council"] = EqualsAnything("E08000099")
    lying = _SkipsChecks(**values)
    with pytest.raises(InvalidInputError) as refused:
        _write(store, how, lying)
    assert refused.value.field.endswith("council")
    assert store.find_cases("E08000099") == [] and store.find_cases(record.council) == []


def test_a_subclass_missing_a_slot_is_refused_typed(store: Store) -> None:
    record = _record("rev-sub-3")
    values = attrs.asdict(record, recurse=False)
    del values["closed_on"]
    partial = _SkipsChecks(**values)
    with pytest.raises(InvalidInputError) as refused:
        store.save(partial, 0, actor="officer-1")
    assert refused.value.field == "record"
    with pytest.raises(InvalidInputError):
        store.save_many([partial], actor="import:1")
    assert store.find_cases(record.council) == []


class _LyingEntry(DeadlineEntry):
    """A clock row whose ``due`` answers another date after it was checked."""

    __slots__ = ("_reads",)

    @property
    def due(self) -> dt.date:
        reads = object.__getattribute__(self, "_reads") + 1
        object.__setattr__(self, "_reads", reads)
        real: dt.date = DeadlineEntry.__dict__["due"].__get__(self, DeadlineEntry)
        return real if reads <= 1 else dt.date(2099, 1, 1)

    @due.setter
    def due(self, value: dt.date) -> None:
        object.__setattr__(self, "_reads", 0)
        DeadlineEntry.__dict__["due"].__set__(self, value)


@pytest.mark.parametrize("how", ["save", "save_many"])
def test_a_clock_row_of_a_subclass_is_refused_by_the_columns_check(
    store: Store, how: str
) -> None:
    record = _record("rev-clock-1")
    first = record.deadlines[0]
    # Refused where the record is built (a clock row is exactly a DeadlineEntry), or by the
    # store: never stored.
    with pytest.raises(InvalidInputError) as refused:
        _write(store, how, attrs.evolve(record, deadlines=(
            _LyingEntry(clock_id=first.clock_id, due=first.due, status=first.status),
            *record.deadlines[1:])))
    assert "deadlines" in refused.value.field
    assert store.deadlines_between(dt.date(2099, 1, 1), dt.date(2099, 1, 1)) == []
    assert store.find_cases(record.council) == []


@pytest.mark.parametrize("name", ["created_at", "updated_at"])
def test_a_time_of_another_zone_at_offset_zero_is_the_same_instant(
    store: Store, name: str
) -> None:
    # Exact datetime, an offset-0 zone that is not dt.UTC: equal to the case's time, so the
    # check passes, and what is stored is the same instant (nothing the document contradicts).
    record = _record("rev-time-1")
    zone = dt.timezone(dt.timedelta(0), "GMT")
    changes: dict[str, Any] = {name: getattr(record, name).astimezone(zone)}
    store.save(attrs.evolve(record, **changes), 0, actor="officer-1")
    assert getattr(store.load(record.case_id), name) == getattr(record, name)


# --- outbox messages and audit entries given by the caller ------------------------------------


class _ShiftingMessage(OutboxMessage):
    """An outbox message whose ``case_id`` answers its own case for the check, another after."""

    __slots__ = ("_other", "_reads")

    @property
    def case_id(self) -> str:
        reads = object.__getattribute__(self, "_reads") + 1
        object.__setattr__(self, "_reads", reads)
        real: str = OutboxMessage.__dict__["case_id"].__get__(self, OutboxMessage)
        return real if reads <= 2 else object.__getattribute__(self, "_other")

    @case_id.setter
    def case_id(self, value: str) -> None:
        object.__setattr__(self, "_reads", 0)
        object.__setattr__(self, "_other", "rev-out-victim")
        OutboxMessage.__dict__["case_id"].__set__(self, value)


# Found in review, now mended: the store rebuilds every record it is given as exactly its class
# from its own slots (store.contract.exact), and takes strings, integers, dates and datetimes as
# exactly str, int, date and datetime.
def test_an_outbox_message_subclass_cannot_queue_for_another_case(store: Store) -> None:
    store.save(_record("rev-out-victim"), 0, actor="officer-1")
    record = _record("rev-out-1")
    message = _ShiftingMessage(case_id=record.case_id, channel="email", template="notice",
                               idempotency_key="rev-out-key-1", payload_ref="ref-1")
    store.save(record, 0, actor="officer-1", outbox=[message])
    claimed = store.claim_outbox(now=NOW)
    assert [item.message.case_id for item in claimed] == [record.case_id]


class _ShiftingEntry(AuditEntry):
    """An audit entry whose ``fields`` answer field names to the check, a value after it."""

    __slots__ = ("_reads",)

    @property
    def fields(self) -> tuple[str, ...]:
        reads = object.__getattribute__(self, "_reads") + 1
        object.__setattr__(self, "_reads", reads)
        real: tuple[str, ...] = AuditEntry.__dict__["fields"].__get__(self, AuditEntry)
        return real if reads <= 2 else ("Jane Doe, 12 Acacia Road",)

    @fields.setter
    def fields(self, value: tuple[str, ...]) -> None:
        object.__setattr__(self, "_reads", 0)
        AuditEntry.__dict__["fields"].__set__(self, value)


# Found in review, now mended: the store rebuilds every record it is given as exactly its class
# from its own slots (store.contract.exact), and takes strings, integers, dates and datetimes as
# exactly str, int, date and datetime.
def test_an_audit_entry_subclass_cannot_write_a_value_into_the_trail(store: Store) -> None:
    store.save(_record("rev-audit-1"), 0, actor="officer-1")
    entry = _ShiftingEntry(actor="officer-1", action="case.viewed", at=AT,
                           case_id="rev-audit-1", fields=("state",))
    with contextlib.suppress(SenDisagreementError):  # a typed refusal is the fix
        store.append_audit(entry)
    text = json.dumps([list(e.fields) for e in store.audit_trail("rev-audit-1")])
    assert "Acacia" not in text


def test_an_exact_audit_entry_with_a_lying_field_name_is_refused(store: Store) -> None:
    with pytest.raises(InvalidInputError):
        AuditEntry(actor="officer-1", action="case.viewed", at=AT, case_id="rev-audit-2",
                   fields=(EqualsAnything("state"),))


def test_an_idempotency_key_that_equals_anything_is_refused() -> None:
    with pytest.raises(InvalidInputError) as refused:
        OutboxMessage(case_id="rev-out-2", channel="email", template="notice",
                      idempotency_key=EqualsAnything("k"), payload_ref="ref")
    assert refused.value.field == "idempotency_key"


# --- the guard's no-parse answer ---------------------------------------------------------------


_CRAFTED = [
    '\ufeff{"document_version": 1, "case": {}}',  # a BOM: json.loads refuses it outright
    '{"document_version" : 1, "case": {}}',
    '{"case": {}, "document_version": 1, "document_version": 2}',
    '{"\\u0064ocument_version": 1, "case": {}}',  # escaped: the shortcut must not answer
    '{"DOCUMENT_VERSION": 1, "case": {}}',
    '{"document_versio\u006e": 1, "case": {}}',
    ' \n\t{"document_version":1,"case":{}} ',
    '[{"document_version": 1, "case": {}}]',
    '{"document_\ud800version": 1, "case": {}}',  # a lone surrogate, literally in the key
    '{"document_version\x00": 1, "case": {}}',  # NUL: the record refuses it before the guard
    '{"document_version\u200b": 1, "case": {}}',  # a zero-width space: another key
    '{\n"document_version"\n:\n1,\n"case"\n:\n{}\n}',
]


@pytest.mark.parametrize("text", _CRAFTED)
def test_the_no_parse_answer_is_the_parse_answer_for_crafted_texts(text: str) -> None:
    skipped = invariants._MARK not in text and "\\" not in text
    try:
        payload = json.loads(text)
        parsed = isinstance(payload, dict) and "document_version" in payload and "case" in payload
    except ValueError:
        parsed = False
    assert not (skipped and parsed)


def test_a_stored_case_is_never_overwritten_by_a_text_with_an_escaped_mark(
    store: Store,
) -> None:
    record = _record("rev-guard-1")
    store.save(record, 0, actor="officer-1")
    for text in ('{"note": "x"}', '{"document\\u005fversion": 1, "note": "x"}',
                 '"document_version"', "\ufeff" + record.document):
        with pytest.raises(InvalidInputError):
            store.save(attrs.evolve(record, version=1, document=text), 1, actor="officer-1")
    assert store.load(record.case_id).document == record.document


class _ShiftingCase(AuditEntry):
    """An audit entry whose ``case_id`` answers its own case for three reads (the entry's and
    the settlement's checks, the claim's WHERE), another case after."""

    __slots__ = ("_reads",)

    @property
    def case_id(self) -> str | None:
        reads = object.__getattribute__(self, "_reads") + 1
        object.__setattr__(self, "_reads", reads)
        real: str | None = AuditEntry.__dict__["case_id"].__get__(self, AuditEntry)
        return real if reads <= 3 else "rev-settle-victim"

    @case_id.setter
    def case_id(self, value: str | None) -> None:
        object.__setattr__(self, "_reads", 0)
        AuditEntry.__dict__["case_id"].__set__(self, value)


# Found in review, now mended: records are rebuilt as exactly their class (store.contract.exact), a
# record's clock rows, a settlement's entry and alert are exactly their classes, and dates and
# datetimes exactly datetime.date and datetime.datetime: the hostile value is refused where it is
# built.
def test_a_settlement_entry_subclass_cannot_write_into_another_case_trail(store: Store) -> None:
    store.save(_record("rev-settle-victim"), 0, actor="officer-1")
    record = _record("rev-settle-1")
    message = OutboxMessage(case_id=record.case_id, channel="email", template="notice",
                            idempotency_key="rev-settle-key", payload_ref="ref-1")
    store.save(record, 0, actor="officer-1", outbox=[message])
    [item] = store.claim_outbox(now=NOW)
    before = len(store.audit_trail("rev-settle-victim"))
    with contextlib.suppress(SenDisagreementError):  # a typed refusal is the fix
        entry = _ShiftingCase(actor="dispatcher", action="outbox.sent", at=AT,
                              case_id=record.case_id)
        settlement = Settlement(outbox_id=item.id, claim=item.attempts,
                                status=OutboxStatus.SENT, entry=entry)
        store.settle_outbox([settlement])
    assert len(store.audit_trail("rev-settle-victim")) == before


# Found in review, now mended: the store rebuilds every record it is given as exactly its class
# from its own slots (store.contract.exact), and takes strings, integers, dates and datetimes as
# exactly str, int, date and datetime.
def test_a_holder_that_equals_anything_cannot_take_a_held_lease(store: Store) -> None:
    day = dt.date(2030, 1, 1)
    assert store.claim_lease("nightly", "worker-a", now=NOW, ttl=dt.timedelta(hours=1),
                             day=day) == "claimed"
    with contextlib.suppress(InvalidInputError):  # a typed refusal is the fix
        got = store.claim_lease("nightly", EqualsAnything("worker-b"), now=NOW,
                                ttl=dt.timedelta(hours=1), day=day)
        assert got == "held"
    lease = store.lease("nightly")
    assert lease is not None and lease.holder == "worker-a" and type(lease.holder) is str


# Found in review, now mended: the store rebuilds every record it is given as exactly its class
# from its own slots (store.contract.exact), and takes strings, integers, dates and datetimes as
# exactly str, int, date and datetime.
def test_a_holder_that_equals_anything_cannot_release_another_lease(store: Store) -> None:
    day = dt.date(2030, 1, 1)
    assert store.claim_lease("weekly", "worker-a", now=NOW, ttl=dt.timedelta(hours=1),
                             day=day) == "claimed"
    with contextlib.suppress(InvalidInputError):  # a typed refusal is the fix
        assert store.release_lease("weekly", EqualsAnything("worker-b"), done=day) is False
    lease = store.lease("weekly")
    assert lease is not None and lease.holder == "worker-a" and lease.done_through is None


class _NeverAfter(dt.date):
    """A day that says no day is on or after it."""

    def __le__(self, other: object) -> bool:
        return False

    def __ge__(self, other: object) -> bool:
        return False

    __hash__ = dt.date.__hash__


# Found in review, now mended: the store rebuilds every record it is given as exactly its class
# from its own slots (store.contract.exact), and takes strings, integers, dates and datetimes as
# exactly str, int, date and datetime.
def test_a_day_that_lies_about_its_order_cannot_reclaim_done_work(store: Store) -> None:
    day = dt.date(2030, 1, 1)
    assert store.claim_lease("daily", "worker-a", now=NOW, ttl=dt.timedelta(hours=1),
                             day=day) == "claimed"
    assert store.release_lease("daily", "worker-a", done=day) is True
    with contextlib.suppress(InvalidInputError):  # a typed refusal is the fix
        assert store.claim_lease("daily", "worker-b", now=NOW, ttl=dt.timedelta(hours=1),
                                 day=_NeverAfter(2030, 1, 1)) == "done"
    lease = store.lease("daily")
    assert lease is not None and lease.holder is None


def test_query_and_purge_arguments_that_equal_anything_are_refused(store: Store) -> None:
    record = _record("rev-query-1")
    store.save(record, 0, actor="officer-1")
    with pytest.raises(InvalidInputError):
        store.find_cases(EqualsAnything(record.council))
    with pytest.raises(InvalidInputError):
        store.set_legal_hold(EqualsAnything(record.case_id), True, actor="officer-1")
    with pytest.raises(InvalidInputError):
        store.purge([EqualsAnything(record.case_id)], actor="officer-1")
    with pytest.raises(InvalidInputError):
        store.load(EqualsAnything(record.case_id))
    assert store.load(record.case_id).document == record.document


class _ShiftingDue(DeadlineEntry):
    """A clock row whose ``due`` is a date for its check and a datetime of another year after."""

    __slots__ = ("_reads",)

    @property
    def due(self) -> dt.date:
        reads = object.__getattribute__(self, "_reads") + 1
        object.__setattr__(self, "_reads", reads)
        real: dt.date = DeadlineEntry.__dict__["due"].__get__(self, DeadlineEntry)
        return real if reads <= 1 else dt.datetime(2099, 1, 1, 5, tzinfo=dt.UTC)

    @due.setter
    def due(self, value: dt.date) -> None:
        object.__setattr__(self, "_reads", 0)
        DeadlineEntry.__dict__["due"].__set__(self, value)


# Found in review, now mended: records are rebuilt as exactly their class (store.contract.exact), a
# record's clock rows, a settlement's entry and alert are exactly their classes, and dates and
# datetimes exactly datetime.date and datetime.datetime: the hostile value is refused where it is
# built.
def test_a_clock_row_subclass_of_an_opaque_record_stores_only_what_was_checked(
    store: Store,
) -> None:
    base = _record("rev-opaque-1")
    with contextlib.suppress(InvalidInputError):  # a typed refusal is the fix
        opaque = attrs.evolve(base, document='{"note": "no case here"}', deadlines=(
            _ShiftingDue(clock_id="arrange_mediation", due=TOLD, status="running"),))
        store.save(opaque, 0, actor="officer-1")
    assert store.deadlines_between(dt.date(2099, 1, 1), dt.date(2099, 1, 1)) == []


class _TruthfulTime(dt.datetime):
    """A datetime subclass with no lie of its own (as a date library's are)."""


class _TruthfulDate(dt.date):
    """A date subclass with no lie of its own."""


@pytest.mark.parametrize("how", ["save", "save_many"])
def test_a_truthful_subclass_in_a_case_is_refused_typed_never_untyped(
    store: Store, how: str
) -> None:
    # Refusing is the intended answer (the columns are compared by exact type); what must
    # never happen is an untyped error, or the record being stored with its odd column.
    case = sweep.agreed("rev-true-1", TOLD)
    c = case.created_at
    odd_time = _TruthfulTime(c.year, c.month, c.day, c.hour, c.minute, tzinfo=dt.UTC)
    record = records.to_record(case)
    with pytest.raises(SenDisagreementError):
        records.to_record(attrs.evolve(case, created_at=odd_time))
    with pytest.raises(InvalidInputError) as refused:
        _write(store, how, attrs.evolve(record, created_at=odd_time))
    assert refused.value.field.endswith("created_at")
    first = record.deadlines[0]
    d = first.due
    with pytest.raises(InvalidInputError):
        attrs.evolve(first, due=_TruthfulDate(d.year, d.month, d.day))
    assert store.find_cases(record.council) == []
    _write(store, how, records.to_record(case))  # the same case of plain values saves
    assert [r.case_id for r in store.find_cases(record.council)] == ["rev-true-1"]


class _PosingMessage:
    """Not an OutboxMessage: its ``__class__`` answers OutboxMessage, so ``isinstance`` says yes;
    its fields are whatever it likes, never validated."""

    def __init__(self, **values: Any) -> None:
        self._values = values

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # the attack: isinstance consults it
        return OutboxMessage

    def __getattr__(self, name: str) -> Any:
        return self._values[name]


# Found in review, now mended: the store rebuilds every record it is given as exactly its class
# from its own slots (store.contract.exact), and takes strings, integers, dates and datetimes as
# exactly str, int, date and datetime.
def test_a_message_posing_by_its_class_attribute_is_refused(store: Store) -> None:
    store.save(_record("rev-pose-out-1"), 0, actor="officer-1")
    posing: Any = _PosingMessage(case_id="rev-pose-out-1", channel="email", template="notice",
                                 idempotency_key="rev-pose-key", not_before=None,
                                 payload_ref="Jane Doe, 12 Acacia Road")
    assert isinstance(posing, OutboxMessage)
    with contextlib.suppress(SenDisagreementError):  # a typed refusal is the fix
        store.enqueue([posing])
    assert store.claim_outbox(now=NOW) == []


def test_deadline_query_and_hold_arguments_of_another_class_are_refused(store: Store) -> None:
    record = _record("rev-query-2")
    store.save(record, 0, actor="officer-1")
    day = dt.date(2025, 1, 1)
    with pytest.raises(InvalidInputError):
        store.deadlines_between(day, day, council=EqualsAnything(record.council))
    with pytest.raises(InvalidInputError):
        store.deadlines_between(day, day, clock_id=EqualsAnything("arrange_mediation"))
    with pytest.raises(InvalidInputError):
        store.set_legal_hold(record.case_id, 1, actor="officer-1")  # type: ignore[arg-type]
    assert store.load(record.case_id).legal_hold is False


class _Posing:
    """Not an instance of ``cls``, though its ``__class__`` answers ``cls``."""

    def __init__(self, cls: type, **values: Any) -> None:
        self._cls = cls
        self._values = values

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # the attack: isinstance consults it
        return object.__getattribute__(self, "_cls")  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        return self._values[name]


def test_an_audit_entry_posing_by_its_class_attribute_is_validated(store: Store) -> None:
    # append_audit runs attrs.validate, which takes the fields of entry.__class__ and checks the
    # values the object answers: the posing entry's value in `fields` is refused.
    store.save(_record("rev-pose-audit-1"), 0, actor="officer-1")
    posing: Any = _Posing(AuditEntry, actor="officer-1", action="case.viewed", at=AT,
                          case_id="rev-pose-audit-1", outcome="ok", seq=0,
                          committed_at=None, fields=("Jane Doe, 12 Acacia Road",))
    with pytest.raises(InvalidInputError):
        store.append_audit(posing)
    text = json.dumps([list(e.fields) for e in store.audit_trail("rev-pose-audit-1")])
    assert "Acacia" not in text


# Found in review, now mended: the store rebuilds every record it is given as exactly its class
# from its own slots (store.contract.exact), and takes strings, integers, dates and datetimes as
# exactly str, int, date and datetime.
def test_a_settlement_posing_by_its_class_attribute_is_refused(store: Store) -> None:
    record = _record("rev-pose-settle-1")
    message = OutboxMessage(case_id=record.case_id, channel="email", template="notice",
                            idempotency_key="rev-pose-settle-key", payload_ref="ref-1")
    store.save(record, 0, actor="officer-1", outbox=[message])
    [item] = store.claim_outbox(now=NOW)
    entry: Any = _Posing(AuditEntry, actor="dispatcher", action="outbox.sent", at=AT,
                         case_id=record.case_id, outcome="ok",
                         fields=("Jane Doe, 12 Acacia Road",))
    posing: Any = _Posing(Settlement, outbox_id=item.id, claim=item.attempts,
                          status=OutboxStatus.SENT, entry=entry, retry_at=None, alert=None)
    with contextlib.suppress(SenDisagreementError):  # a typed refusal is the fix
        store.settle_outbox([posing])
    text = json.dumps([list(e.fields) for e in store.audit_trail(record.case_id)])
    assert "Acacia" not in text


def test_a_stored_case_is_not_rewritten_under_another_kind(store: Store) -> None:
    # The stored version is read with the new record's kind: a record that claims the other
    # kind (its document's kind edited to match) must still be refused, never taken as opaque.
    record = _record("rev-kind-1")
    store.save(record, 0, actor="officer-1")
    payload = json.loads(record.document)
    payload["kind"] = "disagreement_resolution"
    text = json.dumps(payload)
    for document in (record.document, text):
        other = attrs.evolve(record, version=1, kind="disagreement_resolution",
                             document=document)
        with pytest.raises(InvalidInputError):
            store.save(other, 1, actor="officer-1")
    assert store.load(record.case_id).document == record.document
    assert store.load(record.case_id).kind == record.kind


def test_a_record_with_an_opaque_text_under_a_case_id_never_replaces_the_case_on_import(
    store: Store,
) -> None:
    record = _record("rev-import-1")
    store.save(record, 0, actor="officer-1")
    opaque = attrs.evolve(record, document='{"document_versio": 1, "case": {}}')
    with pytest.raises(SenDisagreementError):
        store.save_many([opaque], actor="import:1")
    assert store.load(record.case_id).document == record.document


@attrs.frozen(kw_only=True)
class _HostCase(MediationCase):
    """A host's own case class (a helper method, nothing overridden)."""

    def label(self) -> str:
        return f"{self.kind}:{self.case_id}"


def test_a_well_behaved_host_case_subclass_still_saves_through_records_save(
    store: Store,
) -> None:
    # Regression check: the exact-type checks must not refuse a host's honest case subclass
    # (its document is written by the converter and read back; its columns are plain values).
    case = sweep.agreed("rev-host-1", TOLD)
    mine = _HostCase(**{a.name: getattr(case, a.name) for a in attrs.fields(MediationCase)})
    saved = records.save(store, mine, expected_version=0)
    assert type(saved) is CaseRecord and saved.version == 1
    assert store.load("rev-host-1").document == records.to_record(case).document


class _NeverBefore(dt.datetime):
    """A time that says no lease expires after it."""

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return False

    __hash__ = dt.datetime.__hash__


# Found in review, now mended: the store rebuilds every record it is given as exactly its class
# from its own slots (store.contract.exact), and takes strings, integers, dates and datetimes as
# exactly str, int, date and datetime.
def test_a_now_that_lies_about_its_order_cannot_take_a_held_lease(store: Store) -> None:
    day = dt.date(2030, 1, 1)
    assert store.claim_lease("hourly", "worker-a", now=NOW, ttl=dt.timedelta(hours=1),
                             day=day) == "claimed"
    lying = _NeverBefore(2030, 1, 1, tzinfo=dt.UTC)
    with contextlib.suppress(InvalidInputError):  # a typed refusal is the fix
        assert store.claim_lease("hourly", "worker-b", now=lying, ttl=dt.timedelta(hours=1),
                                 day=day) == "held"
    lease = store.lease("hourly")
    assert lease is not None and lease.holder == "worker-a"


# Found in review, now mended: records are rebuilt as exactly their class (store.contract.exact), a
# record's clock rows, a settlement's entry and alert are exactly their classes, and dates and
# datetimes exactly datetime.date and datetime.datetime: the hostile value is refused where it is
# built.
def test_an_event_time_that_lies_about_its_order_is_refused_by_settle(store: Store) -> None:
    record = _record("rev-early-1")
    message = OutboxMessage(case_id=record.case_id, channel="email", template="notice",
                            idempotency_key="rev-early-key", payload_ref="ref-1")
    store.save(record, 0, actor="officer-1", outbox=[message])
    [item] = store.claim_outbox(now=NOW)
    early = dt.datetime(1971, 1, 1, tzinfo=dt.UTC)
    plain = AuditEntry(actor="dispatcher", action="outbox.sent", at=early,
                       case_id=record.case_id)
    with pytest.raises(InvalidInputError):  # the rule itself, for a plain datetime
        store.settle_outbox([Settlement(outbox_id=item.id, claim=item.attempts,
                                        status=OutboxStatus.SENT, entry=plain)])
    with contextlib.suppress(InvalidInputError):  # a typed refusal is the fix
        lying = attrs.evolve(plain, at=_NeverBefore(1971, 1, 1, tzinfo=dt.UTC))
        store.settle_outbox([Settlement(outbox_id=item.id, claim=item.attempts,
                                        status=OutboxStatus.SENT, entry=lying)])
    assert all(e.at.year > 1971 for e in store.audit_trail(record.case_id))


# Found in review, now mended: records are rebuilt as exactly their class (store.contract.exact), a
# record's clock rows, a settlement's entry and alert are exactly their classes, and dates and
# datetimes exactly datetime.date and datetime.datetime: the hostile value is refused where it is
# built.
def test_an_event_time_that_lies_about_its_order_is_refused_by_append_audit(
    store: Store,
) -> None:
    store.save(_record("rev-early-2"), 0, actor="officer-1")
    early = dt.datetime(1971, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(InvalidInputError):  # the rule itself, for a plain datetime
        store.append_audit(AuditEntry(actor="officer-1", action="case.viewed", at=early,
                                      case_id="rev-early-2"))
    with contextlib.suppress(InvalidInputError):  # a typed refusal is the fix
        lying = AuditEntry(actor="officer-1", action="case.viewed", case_id="rev-early-2",
                           at=_NeverBefore(1971, 1, 1, tzinfo=dt.UTC))
        store.append_audit(lying)
    assert all(e.at.year > 1971 for e in store.audit_trail("rev-early-2"))


# Found in review, now mended: records are rebuilt as exactly their class (store.contract.exact), a
# record's clock rows, a settlement's entry and alert are exactly their classes, and dates and
# datetimes exactly datetime.date and datetime.datetime: the hostile value is refused where it is
# built.
def test_an_opaque_record_updated_before_it_was_created_is_refused(store: Store) -> None:
    base = _record("rev-order-1")
    store.save(_record("rev-order-0"), 0, actor="officer-1")
    created = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
    with contextlib.suppress(InvalidInputError):  # a typed refusal is the fix
        opaque = attrs.evolve(base, document='{"note": "no case here"}', created_at=created,
                              updated_at=_NeverBefore(2025, 1, 1, tzinfo=dt.UTC), deadlines=())
        store.save(opaque, 0, actor="officer-1")
    assert "rev-order-0" in [r.case_id for r in store.find_cases(base.council)]


class _SpeaksAnotherDay(dt.date):
    """A date whose text (str, isoformat) is another day: it compares as 2020-01-01."""

    def __str__(self) -> str:
        return "2999-01-01"

    def isoformat(self) -> str:
        return "2999-01-01"

    __hash__ = dt.date.__hash__


def _closed_record(case_id: str, closed: dt.date) -> CaseRecord:
    return attrs.evolve(_record(case_id), document='{"note": "no case here"}', deadlines=(),
                        closed_on=closed)


def test_a_date_that_speaks_another_day_is_refused_for_a_query_or_a_column(
    store: Store,
) -> None:
    # The store takes dates as exactly datetime.date (since the review's mends), so a subclass
    # whose own text names another day is refused by name, for a query or a column.
    from sen_disagreement.store import RetentionTrigger

    council = _record("x").council
    store.save(_closed_record("rev-ret-1", dt.date(2025, 6, 1)), 0, actor="officer-1")
    with pytest.raises(InvalidInputError) as refused:
        store.retention_candidates(council=council, kind="mediation",
                                   trigger=RetentionTrigger.CASE_CLOSED,
                                   on_or_before=_SpeaksAnotherDay(2020, 1, 1))
    assert (refused.value.field, refused.value.rule_id) == ("on_or_before", "store.date")
    with pytest.raises(InvalidInputError) as refused_column:
        store.save(_closed_record("rev-ret-2", _SpeaksAnotherDay(2021, 1, 1)), 0,
                   actor="officer-1")
    assert refused_column.value.field == "closed_on"
    assert [r.case_id for r in store.find_cases(council)] == ["rev-ret-1"]


class _CouncilMixin:
    """A mixin put before CaseRecord: its ``council`` property writes the real slot and reads
    back another council."""

    __slots__ = ()

    @property
    def council(self) -> str:
        return "E08000099"

    @council.setter
    def council(self, value: str) -> None:
        CaseRecord.__dict__["council"].__set__(self, value)


class _Both(_CouncilMixin, CaseRecord):
    """A subclass of CaseRecord that is also a subclass of something else, which comes first."""

    __slots__ = ()


def test_a_record_subclass_with_a_mixin_first_is_stored_as_its_slots(store: Store) -> None:
    record = _record("rev-mixin-1")
    both = _Both(**attrs.asdict(record, recurse=False))
    assert both.council == "E08000099"
    saved = store.save(both, 0, actor="officer-1")
    assert saved.council == record.council
    assert store.find_cases("E08000099") == []
    assert [r.case_id for r in store.find_cases(record.council)] == [record.case_id]


class _Exploding:
    """Deadlines that raise when iterated (not TypeError, which the converter expects)."""

    def __iter__(self) -> Any:
        raise RuntimeError("boom")


# Found in review, now mended: the store rebuilds every record it is given as exactly its class
# from its own slots (store.contract.exact), and takes strings, integers, dates and datetimes as
# exactly str, int, date and datetime.
@pytest.mark.parametrize("how", ["save", "save_many"])
def test_a_subclass_whose_deadlines_explode_is_refused_typed(store: Store, how: str) -> None:
    record = _record("rev-boom-1")
    values = attrs.asdict(record, recurse=False)
    values["deadlines"] = _Exploding()
    odd = _SkipsChecks(**values)
    with pytest.raises(InvalidInputError):
        _write(store, how, odd)
    assert store.find_cases(record.council) == []
