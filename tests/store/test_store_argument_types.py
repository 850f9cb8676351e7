"""The store's writes refuse a value of the wrong type with a registered rule naming the
argument (store.record, store.audit_entry), and write nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from sen_disagreement.errors import InvalidInputError
from sen_disagreement.store import open_store


def test_store_record_save_refuses_what_is_not_a_case_record(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        with pytest.raises(InvalidInputError) as err:
            store.save({"case_id": "x"}, 0, actor="officer-1")  # type: ignore[arg-type]
        assert (err.value.field, err.value.rule_id) == ("record", "store.record")
        with pytest.raises(InvalidInputError) as err:
            store.save_many([object()], actor="officer-1")  # type: ignore[list-item]
        assert (err.value.field, err.value.rule_id) == ("records[0]", "store.record")
        assert store.find_cases("E08000014") == []


def test_store_audit_entry_append_refuses_what_is_not_an_audit_entry(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        with pytest.raises(InvalidInputError) as err:
            store.append_audit("entry")  # type: ignore[arg-type]
        assert (err.value.field, err.value.rule_id) == ("entry", "store.audit_entry")
