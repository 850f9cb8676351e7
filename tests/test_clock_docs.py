"""The committed clock reference page equals what scripts/gen_clock_docs.py generates."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from sen_disagreement.clocks import CLOCKS, FIXED_DATE_DEADLINES

ROOT = Path(__file__).resolve().parent.parent


def _script() -> ModuleType:
    path = ROOT / "scripts" / "gen_clock_docs.py"
    spec = importlib.util.spec_from_file_location("gen_clock_docs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_page_is_generated_from_clock_definitions() -> None:
    committed = (ROOT / "docs" / "reference" / "clocks.md").read_text(encoding="utf-8")
    assert committed == _script().render(), "rerun scripts/gen_clock_docs.py"


def test_reference_page_has_one_row_per_clock_with_grade() -> None:
    text = (ROOT / "docs" / "reference" / "clocks.md").read_text(encoding="utf-8")
    grades = {k: c.grade for k, c in CLOCKS.items()}
    grades.update({k: f.grade for k, f in FIXED_DATE_DEADLINES.items()})
    for clock_id, grade in grades.items():
        rows = [ln for ln in text.splitlines() if ln.startswith(f"| `{clock_id}` |")]
        assert len(rows) == 1, clock_id
        assert f"| {grade.label} |" in rows[0]
