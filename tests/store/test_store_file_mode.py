"""A new SQLite store is private to its owner (children's data, without-prejudice text)."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest

from sen_disagreement.errors import StoreError
from sen_disagreement.store import CaseRecord, open_store

T0 = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_sqlite_file_and_its_wal_are_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "cases.sqlite3"
    with open_store(str(db)) as store:
        record = CaseRecord(case_id="c-1", council="sefton", kind="mediation", state="open",
                            version=0, document="{}", created_at=T0, updated_at=T0)
        store.save(record, 0, actor="officer")
        assert _mode(db) == 0o600
        wal = db.with_name(db.name + "-wal")
        assert wal.exists()
        assert _mode(wal) == 0o600


def test_missing_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"does not exist: .*nowhere"):
        open_store(str(tmp_path / "nowhere" / "cases.sqlite3"))
