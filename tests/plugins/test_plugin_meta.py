"""Meta-tests keeping the plugin surface honest: every hook is in the facade, documented in
docs/reference/hooks.md with its exact arguments, and has a ``test_hook_<name>`` test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from sen_disagreement.plugins import HOOK_NAMES, make_plugin_manager
from sen_disagreement.plugins import spec as hookspecs

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs/reference/hooks.md"
SPECS = {
    name: function
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("sen_")
}


def test_facade_knows_every_hook() -> None:
    assert set(HOOK_NAMES) == set(SPECS)
    pm = make_plugin_manager(load_entry_points=False, environ={})
    assert {c.name for c in pm.hook.__dict__.values() if hasattr(c, "get_hookimpls")} >= set(SPECS)


def test_only_the_facade_calls_pm_hook() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "src").rglob("*.py")
        if re.search(r"\.hook\.sen_", path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_hook_is_documented_with_its_exact_arguments(name: str) -> None:
    args = ", ".join(inspect.signature(SPECS[name]).parameters)
    headings = re.findall(r"^## `(sen_\w+)\(([^)]*)\)`", REFERENCE.read_text(), flags=re.M)
    assert (name, args) in headings, f"docs/reference/hooks.md needs: ## `{name}({args})`"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_hook_has_a_test(name: str) -> None:
    here = Path(__file__).parent
    found = [
        p.name
        for p in here.glob("test_*.py")
        if re.search(rf"def test_hook_{name}\b", p.read_text())
    ]
    assert found, f"write a test named test_hook_{name}"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_hook_docstring_says_when_args_return_and_firstresult(name: str) -> None:
    doc = inspect.getdoc(SPECS[name]) or ""
    for part in ("**When it fires:**", "**Arguments:**", "**Returns:**", "**First result wins:**"):
        assert part in doc
    firstresult = getattr(SPECS[name], f"{hookspecs.PROJECT}_spec")["firstresult"]
    assert ("**First result wins:** yes" in doc) == firstresult
