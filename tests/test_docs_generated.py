"""The pages the docs build generates come from the code: the clock and who-may-do-what pages
are rendered afresh (and equal the committed Markdown), the rules page lists every registered
rule, clock and check, and the index leaves out only pages that do not exist."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

from sen_disagreement import rules

ROOT = Path(__file__).resolve().parents[1]


def _ext() -> ModuleType:
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        return importlib.import_module("sen_generated")
    finally:
        sys.path.remove(str(ROOT / "docs" / "_ext"))


def test_the_build_renders_the_clock_and_permission_pages_from_the_code() -> None:
    generated = _ext().GENERATED
    for docname in ("reference/clocks", "reference/who-may-do-what"):
        committed = (ROOT / "docs" / f"{docname}.md").read_text(encoding="utf-8")
        assert generated[docname]() == committed, f"rerun the generator of {docname}"


def test_the_rules_page_lists_every_registered_entry() -> None:
    table = _ext().rules_table()
    for entry in rules.entries():
        assert f"| `{entry.rule.rule_id}` |" in table, entry.rule.rule_id
    page = (ROOT / "docs" / "reference" / "rules.md").read_text(encoding="utf-8")
    assert _ext().RULES_MARKER in page


def test_the_index_drops_only_missing_pages(tmp_path: Path) -> None:
    (tmp_path / "here.md").write_text("# here\n", encoding="utf-8")
    index = "```{toctree}\n:maxdepth: 1\n\nhere\nnot-written-yet\n```\n\nnot-written-yet\n"
    out = _ext()._present_pages_only(tmp_path, index)
    assert out == "```{toctree}\n:maxdepth: 1\n\nhere\n```\n\nnot-written-yet\n"


def test_every_page_of_the_index_exists_or_is_being_written() -> None:
    """An entry naming no page is dropped from the build: only the pages other contributors are
    writing may be missing, so a typo in the index cannot hide a page."""
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    kept = _ext()._present_pages_only(ROOT / "docs", index)
    dropped = set(index.splitlines()) - set(kept.splitlines())
    assert dropped <= {"how-to/report-sen2-and-metrics", "reference/reports"}, dropped
