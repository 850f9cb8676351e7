"""The committed who-may-do-what page equals what scripts/gen_permission_docs.py generates."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from sen_disagreement.workflow.steps import PERMISSIONS

ROOT = Path(__file__).resolve().parent.parent


def _script() -> ModuleType:
    path = ROOT / "scripts" / "gen_permission_docs.py"
    spec = importlib.util.spec_from_file_location("gen_permission_docs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_who_may_do_what_page_is_generated_from_the_table() -> None:
    committed = (ROOT / "docs" / "reference" / "who-may-do-what.md").read_text(encoding="utf-8")
    assert committed == _script().render(), "rerun scripts/gen_permission_docs.py"


def test_who_may_do_what_every_row_cites_a_source_with_a_grade() -> None:
    for p in PERMISSIONS:
        assert p.roles, p.step
        assert p.rule.provenance.citations, p.step
        assert p.rule.rule_id.startswith(f"who.{p.step}."), p.rule.rule_id


def test_who_may_do_what_one_row_per_step_and_kind() -> None:
    keys = [(p.step, k) for p in PERMISSIONS for k in p.kinds]
    assert len(keys) == len(set(keys))
