"""The save path's written-out steps (issue 14): the stamped record, the chain hash of a plain
audit row, the encoder's in-place arrays of strings and its memo of a case's settings. Each must
give what the general path gives, and refuse what it refuses."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import attrs
import pytest
import sweep_support as sweep

from sen_disagreement.errors import InvalidInputError
from sen_disagreement.serialization import make_converter
from sen_disagreement.settings import DEFAULT_SETTINGS, DayUnit, Settings
from sen_disagreement.store import AuditEntry, CaseRecord, core, open_store
from sen_disagreement.store.chain import link_us
from sen_disagreement.workflow import records

T0 = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
CASE = "ENG-E08000014-2025-000001"


def _record() -> CaseRecord:
    return CaseRecord(case_id=CASE, council="E08000014", kind="mediation", state="received",
                      version=0, document="{}", created_at=T0, updated_at=T0)


def test_the_stamped_record_sets_every_field_of_the_record() -> None:
    assert tuple(a.name for a in attrs.fields(CaseRecord)) == core._STAMPED_FIELDS
    record = _record()
    stamped = core._stamped(record, 3, True)
    assert stamped == attrs.evolve(record, version=3, legal_hold=True)
    assert type(stamped) is CaseRecord


@pytest.mark.parametrize(("version", "held", "rule"), [
    (-1, False, "store.non_negative_int"), (True, False, "store.non_negative_int"),
    (1, 1, "store.bool"),
])
def test_the_stamped_record_still_checks_what_it_changes(version: int, held: bool,
                                                        rule: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        core._stamped(_record(), version, held)
    assert caught.value.rule_id == rule


def test_a_subclass_of_the_record_takes_the_general_path() -> None:
    @attrs.frozen(kw_only=True)
    class Mine(CaseRecord):
        pass

    record = Mine(**attrs.asdict(_record(), recurse=False))
    stamped = core._stamped(record, 2, False)
    assert type(stamped) is Mine and stamped.version == 2


def test_every_saved_row_hashes_as_the_chain_defines_it(tmp_path: Path) -> None:
    told = dt.date(2025, 3, 10)
    path = tmp_path / "cases.sqlite3"
    store = open_store(f"sqlite:///{path}")
    case = sweep.agreed("agreed-h", told)
    saved = records.save(store, case, expected_version=0)
    assert saved.version == 1
    assert store.verify().ok
    db = sqlite3.connect(path)
    rows = db.execute("SELECT at, actor, action, case_id, outcome, fields, committed_at,"
                      " prev_hash, hash, doc_version, doc_hash FROM audit ORDER BY seq").fetchall()
    db.close()
    assert len(rows) == len(case.audit.entries) > 2
    for at, actor, action, case_id, outcome, fields, committed, prev, digest, ver, dh in rows:
        assert digest == link_us(prev, at, actor, action, case_id, outcome, fields, committed,
                                 ver, dh)
    assert [r[9] for r in rows].count(None) == len(rows) - 1


def test_an_array_of_strings_is_written_as_the_converter_writes_it() -> None:
    entry = AuditEntry(actor="officer-1", action="case.saved", at=T0, case_id=CASE,
                       fields=("state", "items[0].text", "$ref"))
    expected = json.dumps(make_converter().unstructure(entry), ensure_ascii=False,
                          sort_keys=True)
    assert records._ENCODER.encode(entry) == expected
    empty = AuditEntry(actor="officer-1", action="case.saved", at=T0)
    assert records._ENCODER.encode(empty) == json.dumps(
        make_converter().unstructure(empty), ensure_ascii=False, sort_keys=True)


def test_an_array_holding_a_string_of_another_class_is_declined() -> None:
    class Posing(str):
        pass

    with pytest.raises(InvalidInputError):  # the record refuses it when it is built ...
        AuditEntry(actor="officer-1", action="case.saved", at=T0,
                   fields=("state", Posing("deadlines")))
    entry = AuditEntry(actor="officer-1", action="case.saved", at=T0, fields=("state",))
    object.__setattr__(entry, "fields", ("state", Posing("deadlines")))  # ... or in place
    assert records._ENCODER.encode(entry) is None


def test_the_settings_memo_answers_only_for_the_same_values() -> None:
    enc = records._ENCODER
    settings = Settings()
    first = enc.encode(settings)
    assert first is not None and enc.encode(settings) == first
    unit = next(u for u in DayUnit if u is not DEFAULT_SETTINGS.arrange_mediation_unit)
    object.__setattr__(settings, "arrange_mediation_unit", unit)  # rewritten in place
    again = enc.encode(settings)
    assert again != first
    assert again == json.dumps(make_converter().unstructure(settings), ensure_ascii=False,
                               sort_keys=True)


def test_an_object_whose_class_was_swapped_is_not_answered_from_the_memo() -> None:
    class Other(Settings):
        __slots__ = ()

    case = sweep.agreed("agreed-swap", dt.date(2025, 3, 10))
    case = attrs.evolve(case, settings=Settings())
    assert records._ENCODER.encode(case) is not None  # the settings' text is kept
    object.__setattr__(case.settings, "__class__", Other)
    assert records._ENCODER.encode(case) is None
    assert records.to_record(case).document == json.dumps(
        {"case": make_converter().unstructure(case), "document_version": 1, "kind": case.kind},
        ensure_ascii=False, sort_keys=True)
