"""The Sefton walkthrough in ``examples/`` runs end to end against a fresh SQLite file."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from types import ModuleType

from sen_disagreement import clocks
from sen_disagreement.store.sqlite import SQLiteStore
from sen_disagreement.workflow.records import from_record

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sefton_walkthrough.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sefton_walkthrough_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sefton_walkthrough_partial_agreement_then_deemed_certificate(tmp_path: Path) -> None:
    db = tmp_path / "sefton.sqlite3"
    lines = _load().run(db)
    text = "\n".join(lines)
    assert "partial agreement" in text and "Still in dispute: section F" in text
    assert "the 30 days passed without a mediation" in text
    expected = clocks.appeal_deadline(dt.date(2025, 3, 3), dt.date(2025, 4, 14)).due
    assert f"Appeal deadline: {expected}" in text
    assert "termly review" not in text
    with SQLiteStore(db) as store:
        med = from_record(store.load("sefton-med-0001"))
        assert med.state.value == "certificate_issued"
        assert [d.status.value for d in med.deadlines] == ["met", "missed", "met"]
        dr = from_record(store.load("sefton-dr-0001"))
        assert dr.state.value == "closed"
        assert len(store.audit_trail("sefton-dr-0001")) == len(dr.audit)


def test_sefton_walkthrough_script_refuses_an_existing_file(tmp_path: Path) -> None:
    existing = tmp_path / "x.sqlite3"
    existing.write_bytes(b"")
    assert _load().main(["prog", str(existing)]) == 1
