"""A refused import is audited on the case it names, as a refused save is, and nothing of the
import is written (both backends)."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
import sweep_support as sweep

from sen_disagreement.errors import InvalidInputError, StaleWriteError
from sen_disagreement.store import CaseRecord, Store
from sen_disagreement.workflow import records

TOLD = dt.date(2025, 3, 10)


def _record(case_id: str) -> CaseRecord:
    return records.to_record(sweep.agreed(case_id, TOLD))


def test_an_import_the_store_check_refuses_is_audited_and_imports_nothing(store: Store) -> None:
    good = _record("import-ok-1")
    bad = attrs.evolve(_record("import-bad-1"), state="closed")  # not what its document says
    with pytest.raises(InvalidInputError) as refused:
        store.save_many([good, bad], actor="import:1")
    assert refused.value.field == "records[1].state"
    assert store.find_cases(good.council) == []
    trail = store.audit_trail("import-bad-1")
    assert [(e.actor, e.action, e.outcome) for e in trail] == [
        ("import:1", "case.imported", "refused_invariant")]
    assert store.audit_trail("import-ok-1") == []
    assert store.verify().ok


def test_an_import_of_a_case_already_stored_is_audited_on_that_case(store: Store) -> None:
    first = _record("import-dup-1")
    assert store.save_many([first], actor="import:1") == 1
    again = [_record("import-new-2"), first]
    with pytest.raises(StaleWriteError):
        store.save_many(again, actor="import:2")
    assert [r.case_id for r in store.find_cases(first.council)] == ["import-dup-1"]
    assert [(e.actor, e.outcome) for e in store.audit_trail("import-dup-1")] == [
        ("import:1", "ok"), ("import:2", "refused_stale")]
    assert store.audit_trail("import-new-2") == []
    assert store.verify().ok


def test_an_import_refused_for_its_arguments_writes_nothing(store: Store) -> None:
    record = _record("import-arg-1")
    with pytest.raises(InvalidInputError):
        store.save_many([record, record], actor="import:1")  # repeated in the batch
    with pytest.raises(InvalidInputError):
        store.save_many([attrs.evolve(record, version=2)], actor="import:1")
    assert store.audit_trail() == []
