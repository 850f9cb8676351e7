"""The store takes its record's strings and integers as exactly ``str`` and ``int``, compares
the columns a record carries with its case document by exact type, rebuilds a host's record
subclass from its own slots, and learns that a text is no case document without parsing it only
when that answer is certain (issue 14's review, on both backends).

A subclass of ``str``, ``int``, ``date`` or ``datetime`` can say it equals anything: found in
review, a record whose council (or a clock's due date, or its creation time) was such a value
passed the check that the record's columns are what its document says, and the store kept the
lie in its query columns (another council's list, another week's deadlines).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
import pytest
import sweep_support as sweep
from hostile_values import EqualsAnything, PlainStr
from hypothesis import given, settings
from hypothesis import strategies as st

from sen_disagreement.errors import InvalidInputError
from sen_disagreement.store import CaseRecord, Store
from sen_disagreement.store.contract import exact_record
from sen_disagreement.workflow import invariants, records

TOLD = dt.date(2025, 3, 10)
OTHER_COUNCIL = "E08000099"


class LyingDate(dt.date):
    """A date that says it equals every other value."""

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = dt.date.__hash__


class LyingTime(dt.datetime):
    """A datetime that says it equals every other value."""

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = dt.datetime.__hash__


class LyingInt(int):
    """An int that says it equals every other value."""

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = int.__hash__


def _record(case_id: str) -> CaseRecord:
    return records.to_record(sweep.agreed(case_id, TOLD))


@pytest.mark.parametrize("name", ["case_id", "council", "kind", "state", "document"])
@pytest.mark.parametrize("cls", [EqualsAnything, PlainStr])
def test_a_record_refuses_a_string_of_another_class_for_each_string_field(
    name: str, cls: type[str]
) -> None:
    record = _record("exact-1")
    with pytest.raises(InvalidInputError) as refused:
        attrs.evolve(record, **{name: cls(getattr(record, name))})  # type: ignore[arg-type]
    assert refused.value.field == name
    assert (refused.value.rule_id or "").startswith("store.")


def test_a_record_refuses_an_int_of_another_class_for_its_version() -> None:
    with pytest.raises(InvalidInputError) as refused:
        attrs.evolve(_record("exact-2"), version=LyingInt(0))
    assert refused.value.field == "version"


def test_a_save_refuses_an_expected_version_of_another_int_class(store: Store) -> None:
    record = _record("exact-3")
    with pytest.raises(InvalidInputError):
        store.save(record, LyingInt(0), actor="officer-1")
    assert [r.case_id for r in store.find_cases(record.council)] == []


def test_a_clock_due_date_that_says_it_equals_anything_is_refused_and_nothing_written(
    store: Store,
) -> None:
    record = _record("exact-4")
    assert record.deadlines
    first = record.deadlines[0]
    with pytest.raises(InvalidInputError) as refused:  # a clock row's due is exactly a date
        attrs.evolve(first, due=LyingDate(2099, 1, 1))
    assert (refused.value.field, refused.value.rule_id) == ("due", "store.date")
    # Written into a row in place, it is still not stored: the columns check compares by type.
    lying_entry = attrs.evolve(first)
    object.__setattr__(lying_entry, "due", LyingDate(2099, 1, 1))
    lying = attrs.evolve(record, deadlines=(lying_entry, *record.deadlines[1:]))
    with pytest.raises(InvalidInputError) as refused_save:
        store.save(lying, 0, actor="officer-1")
    assert refused_save.value.field == "deadlines"
    assert refused_save.value.rule_id == "store.record_matches_document"
    assert store.find_cases(record.council) == []
    assert store.deadlines_between(dt.date(2099, 1, 1), dt.date(2099, 1, 1)) == []


@pytest.mark.parametrize("name", ["created_at", "updated_at"])
def test_a_time_that_says_it_equals_anything_is_refused_and_nothing_written(
    store: Store, name: str
) -> None:
    record = _record("exact-5")
    year = 2020 if name == "created_at" else 2099  # kept in order: only the lie is tested
    changes: dict[str, Any] = {name: LyingTime(year, 1, 1, tzinfo=dt.UTC)}
    with pytest.raises(InvalidInputError) as refused:  # exactly a datetime
        store.save(attrs.evolve(record, **changes), 0, actor="officer-1")
    assert (refused.value.field, refused.value.rule_id) == (name, "store.datetime")
    assert store.find_cases(record.council) == []


def test_a_date_column_that_says_it_equals_anything_is_refused(store: Store) -> None:
    record = _record("exact-6")
    with pytest.raises(InvalidInputError) as refused:
        attrs.evolve(record, closed_on=LyingDate(2020, 1, 1))
    assert refused.value.field == "closed_on"
    lying = attrs.evolve(record)
    object.__setattr__(lying, "closed_on", LyingDate(2020, 1, 1))  # written in place
    with pytest.raises(InvalidInputError):
        store.save(lying, 0, actor="officer-1")
    with pytest.raises(InvalidInputError):
        store.save_many([lying], actor="import:1")
    assert store.find_cases(record.council) == []


def test_a_date_subclass_that_tells_the_truth_is_still_compared_exactly(store: Store) -> None:
    # A subclass with no lie of its own (as a date library's are) is not the case's own value:
    # the record is refused rather than guessed at, and the same record of plain dates saves.
    class Plain(dt.date):
        pass

    record = _record("exact-7")
    first = record.deadlines[0]
    d = first.due
    with pytest.raises(InvalidInputError):
        attrs.evolve(first, due=Plain(d.year, d.month, d.day))
    odd_entry = attrs.evolve(first)
    object.__setattr__(odd_entry, "due", Plain(d.year, d.month, d.day))
    odd = attrs.evolve(record, deadlines=(odd_entry, *record.deadlines[1:]))
    with pytest.raises(InvalidInputError):
        store.save(odd, 0, actor="officer-1")
    assert store.save(record, 0, actor="officer-1").version == 1


@attrs.frozen(kw_only=True)
class _HostRecord(CaseRecord):
    """A host's own record class (a helper method): stored as a CaseRecord."""

    def label(self) -> str:
        return f"{self.kind}:{self.case_id}"


class _Shadowing(CaseRecord):
    """A subclass whose ``council`` answers the real value while the record is built, and
    another council's afterwards, keeping what it was given outside the slot."""

    __slots__ = ("_given", "_reads")

    @property
    def council(self) -> str:
        reads = object.__getattribute__(self, "_reads") + 1
        object.__setattr__(self, "_reads", reads)
        return object.__getattribute__(self, "_given") if reads <= 1 else OTHER_COUNCIL

    @council.setter
    def council(self, value: str) -> None:
        object.__setattr__(self, "_reads", 0)
        object.__setattr__(self, "_given", value)


def test_a_host_record_subclass_is_stored_as_the_values_its_slots_hold(store: Store) -> None:
    record = _record("exact-8")
    mine = _HostRecord(**attrs.asdict(record, recurse=False))
    saved = store.save(mine, 0, actor="officer-1")
    assert type(saved) is CaseRecord and saved.version == 1
    loaded = store.load(record.case_id)
    assert loaded.council == record.council and loaded.document == record.document


def test_a_subclass_whose_field_answers_from_elsewhere_is_refused_with_nothing_written(
    store: Store,
) -> None:
    record = _record("exact-9")
    shadow = _Shadowing(**attrs.asdict(record, recurse=False))
    with pytest.raises(InvalidInputError) as refused:
        store.save(shadow, 0, actor="officer-1")
    assert refused.value.field == "record"
    with pytest.raises(InvalidInputError) as refused_many:
        store.save_many([shadow], actor="import:1")
    assert refused_many.value.field.startswith("records[0]")
    assert store.find_cases(OTHER_COUNCIL) == [] and store.find_cases(record.council) == []


def test_exact_record_answers_an_exact_record_with_itself() -> None:
    record = _record("exact-10")
    assert exact_record(record) is record
    rebuilt = exact_record(_HostRecord(**attrs.asdict(record, recurse=False)))
    assert type(rebuilt) is CaseRecord and rebuilt == record


# --- the guard learns a text is no case document without parsing it only when it is sure ------


def _escaped_key(document: str) -> str:
    """The same document with its ``document_version`` key spelt with a JSON escape."""
    assert document.count('"document_version"') == 1
    return document.replace('"document_version"', '"document\\u005fversion"')


def test_a_case_document_whose_key_is_escaped_is_still_read_and_checked(store: Store) -> None:
    record = _record("exact-11")
    escaped = _escaped_key(record.document)
    assert json.loads(escaped) == json.loads(record.document)
    invariants._CASES.clear()
    # The escaped text is a case document: read, checked against its columns, and stored.
    saved = store.save(attrs.evolve(record, document=escaped), 0, actor="officer-1")
    assert saved.version == 1
    # Over it, a version that cuts the audit trail is refused, escaped key and all.
    case = records.case_from_document(escaped, kind=record.kind)
    cut = attrs.evolve(case, audit=attrs.evolve(case.audit, entries=case.audit.entries[:1]))
    cut_text = _escaped_key(records.to_record(cut).document)
    invariants._CASES.clear()
    with pytest.raises(InvalidInputError) as refused:
        store.save(attrs.evolve(records.to_record(cut, version=1), document=cut_text), 1,
                   actor="officer-1")
    assert refused.value.field.startswith("audit")
    assert store.load(record.case_id).version == 1


def test_an_opaque_text_is_never_written_over_a_stored_case(store: Store) -> None:
    record = _record("exact-12")
    store.save(record, 0, actor="officer-1")
    opaque = attrs.evolve(record, version=1, document='{"note": "no case here"}')
    with pytest.raises(InvalidInputError):
        store.save(opaque, 1, actor="officer-1")
    assert store.load(record.case_id).document == record.document


_KEYS = st.sampled_from(["document_version", "case", "kind", "x", "document_versio",
                         "Document_version", "document_version ", "doc\u00e9"])
_JSON: Any = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


def _parsed_answer(document: str) -> bool:
    """Whether a full parse finds a case document's two keys (the question the guard asks)."""
    try:
        payload = json.loads(document)
    except (ValueError, RecursionError):
        return False
    return isinstance(payload, dict) and "document_version" in payload and "case" in payload


@settings(max_examples=400, deadline=None)
@given(value=_JSON, ascii_only=st.booleans(), escape_keys=st.booleans())
def test_a_text_the_guard_does_not_parse_is_one_no_parse_would_call_a_case(
    value: Any, ascii_only: bool, escape_keys: bool
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    if escape_keys:
        text = text.replace("_", "\\u005f")
    skipped = invariants._MARK not in text and "\\" not in text
    if skipped:
        assert not _parsed_answer(text)
    if not _parsed_answer(text):
        assert invariants.read_stored(text, "mediation") == (None, False)


def test_a_document_that_utf8_cannot_hold_is_refused_typed_and_nothing_written(
    store: Store,
) -> None:
    record = _record("exact-13")
    with pytest.raises(InvalidInputError) as refused:
        attrs.evolve(record, document='{"note": "a lone surrogate \ud800"}')
    assert (refused.value.field, refused.value.rule_id) == ("document", "store.document")
    assert "\ud800" not in str(refused.value)
    assert store.find_cases(record.council) == []
