"""The Sefton walkthrough in ``examples/`` runs end to end against a fresh SQLite file."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from types import ModuleType

from sen_disagreement import clocks
from sen_disagreement.store.sqlite import SQLiteStore
from sen_disagreement.workflow import DisagreementResolutionCase, MediationCase
from sen_disagreement.workflow.certificates import CertificateKind
from sen_disagreement.workflow.records import from_record

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sefton_walkthrough.py"
DR_CASE = "sefton-dr-0001"
MED_CASE = "sefton-med-0001"
OFFICER = "sen-casework-1"
PARENT = "sam.parent"
CLERK = "tribunal-clerk-1"


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
    assert "Routed by the Sefton plugin to Global Mediation." in lines
    assert "partial agreement" in text and "Still in dispute: section F" in text
    assert "the 30 days passed without a mediation" in text
    assert "An officer trying to record the parent's agreement was refused (audited)." in lines
    expected = clocks.appeal_deadline(dt.date(2025, 3, 3), dt.date(2025, 4, 14)).due
    assert expected == dt.date(2025, 5, 14)
    assert f"Appeal deadline: {expected}" in text
    assert any(line.startswith("Certificate (not arranged in time) issued 2025-04-14 by ")
               for line in lines)
    assert any(line.startswith("Tribunal bundle: 1 document(s); the disagreement-resolution "
                               "bundle has 0 ") for line in lines)
    assert "termly review" not in text
    with SQLiteStore(db) as store:
        med = from_record(store.load(MED_CASE))
        assert isinstance(med, MediationCase)
        assert med.state.value == "certificate_issued"
        assert [d.status.value for d in med.deadlines] == ["met", "missed", "met"]
        (cert,) = med.certificates
        assert cert.kind is CertificateKind.NOT_ARRANGED_IN_TIME
        assert cert.issued_on == dt.date(2025, 4, 14)
        assert cert.issued_by == "adviser"  # not after mediation: the adviser issues it
        assert cert.appeal_deadline == expected
        assert med.appeal_deadline == expected
        dr = from_record(store.load(DR_CASE))
        assert isinstance(dr, DisagreementResolutionCase)
        assert dr.state.value == "closed"
        assert dr.provider is not None and dr.provider.party.name == "Global Mediation"
        assert dr.issues.level is not None and dr.issues.level.value == "partial_agreement"
        # The parent's agreement was recorded by the parent, once; the officer's attempt to
        # agree for them changed nothing.
        agreed = [e for e in dr.ledger.entries if e.party_id == "parent"]
        assert [(e.decision.value, e.recorded_by) for e in agreed] == [("agreed", "parent")]

        # The store holds every entry of each case (committed with it, keeping its event time),
        # plus what happened around the case: the refused attempt and the bundle export.
        for case in (dr, med):
            trail = store.audit_trail(case.case_id)
            changes = [e for e in trail
                       if not e.action.startswith(("step.", "export.", "message."))]
            assert [(e.actor, e.action, e.at, e.outcome, e.fields) for e in changes] == [
                (e.actor, e.action, e.at, e.outcome, e.fields) for e in case.audit.entries
            ]
            assert all(e.committed_at is not None for e in trail)
            exports = [(e.actor, e.action) for e in trail if e.action.startswith("export.")]
            assert exports == [(CLERK, "export.tribunal_bundle")]
        dr_trail = store.audit_trail(DR_CASE)
        refused = [(e.actor, e.action, e.outcome) for e in dr_trail
                   if e.action.startswith("step.")]
        assert refused == [(OFFICER, "step.agree", "refused_unauthorised")]
        assert not [e for e in store.audit_trail(MED_CASE) if e.action.startswith("step.")]
        assert len(dr_trail) == len(dr.audit) + 2
        sent = [e for e in store.audit_trail(MED_CASE) if e.action.startswith("message.")]
        # The statutory messages' delivery status: outbox ids and channels only.
        assert [(e.action, e.outcome) for e in sent] == [("message.sent", "sent")] * 2
        assert all(f.startswith(("outbox.", "channel.", "receipt.")) for e in sent
                   for f in e.fields)
        assert len(store.audit_trail(MED_CASE)) == len(med.audit) + 1 + len(sent)
        assert (f"Stored: {len(dr_trail)} + {len(store.audit_trail(MED_CASE))} audit entries "
                f"in {db.name}.") in lines


def test_sefton_walkthrough_script_refuses_an_existing_file(tmp_path: Path) -> None:
    existing = tmp_path / "x.sqlite3"
    existing.write_bytes(b"")
    assert _load().main(["prog", str(existing)]) == 1
