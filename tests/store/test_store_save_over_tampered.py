"""A save over a tampered stored row (issue 10): typed errors, nothing written, and no new case
version written over a stored document that no longer reads as a case (it would have no
history to be checked against)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from sen_disagreement.errors import InvalidInputError, StoredDataError
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.store import Store, open_store
from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase
from sen_disagreement.workflow.records import save

T0 = dt.datetime(2025, 1, 13, 9, tzinfo=dt.UTC)
Raw = Callable[[str], list[tuple[object, ...]]]


def _case() -> DisagreementResolutionCase:
    parent = CaseParty("parent", Party(kind=PartyKind.PARENT))
    la = CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY,
                               identifiers=Identifiers(gss_code="E08000014")))
    return DisagreementResolutionCase.refer(case_id="TAMPERED-1", council="E08000014",
                                            parties=[parent, la], at=T0, actor="officer-1")


def test_history_append_only_no_case_written_over_an_unreadable_stored_document(
    store: Store, raw_sql: Raw
) -> None:
    case = _case()
    save(store, case, expected_version=0)
    raw_sql("UPDATE cases SET document = '{\"not\": \"a case\"}' WHERE case_id = 'TAMPERED-1'")
    forged = case.seek_agreement(at=T0 + dt.timedelta(hours=1), actor="officer-1")
    with pytest.raises(InvalidInputError) as err:
        save(store, forged, expected_version=1)
    assert err.value.field == "document"
    assert [e.outcome for e in store.audit_trail("TAMPERED-1")] == ["ok", "refused_invariant"]


def test_stored_data_a_tampered_version_is_a_typed_error_on_save(tmp_path: Path) -> None:
    # SQLite only: PostgreSQL's column types cannot hold a text version at all.
    db = tmp_path / "t.sqlite3"
    with open_store(f"sqlite:///{db}") as store:
        case = _case()
        save(store, case, expected_version=0)
        c = sqlite3.connect(db)
        c.execute("UPDATE cases SET version = 'CANARY-v' WHERE case_id = 'TAMPERED-1'")
        c.commit()
        c.close()
        with pytest.raises(StoredDataError) as err:
            save(store, case.seek_agreement(at=T0 + dt.timedelta(hours=1), actor="officer-1"),
                 expected_version=1)
        assert err.value.field == "cases.version" and err.value.case_id == "TAMPERED-1"
        assert "CANARY" not in str(err.value)
        assert len(store.audit_trail("TAMPERED-1")) == 1
