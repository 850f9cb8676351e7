"""The import budget, guarded by structure rather than by a clock (issue 14).

What a module pulls in is checked in a fresh interpreter through ``sys.modules``: a timing
assertion would fail on a busy host and pass on a quiet one, while a module that comes back on
the command path is the regression itself. Each module kept out here costs milliseconds on
every start of a process that only runs cases:

* ``importlib.metadata`` (with ``email.*``, ~14 ms): only reading the plugins' entry points
  needs it (``make_plugin_manager``), not importing the service;
* ``sen_disagreement.workflow.exports`` (~2-7 ms): only the Tribunal bundle and the subject
  access export use it;
* the clock table, through :mod:`sen_disagreement.messages`: only a message kind citing a
  clock needs it (the workflows load it on first use too: tests/test_import_time.py).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "sen_disagreement"

PIPELINE = ("sen_disagreement.service", "sen_disagreement.classifier",
            "sen_disagreement.serialization", "sen_disagreement.workflow.steps",
            "sen_disagreement.workflow.records")
"""What bench/bench_pipeline.py imports to run a case from a form dict to its saved outcome."""

CLOCK_TABLE = ("sen_disagreement.clocks", "sen_disagreement.clocks.table",
               "sen_disagreement.clocks.compute")


def _loaded(*statements: str) -> set[str]:
    """The modules a fresh interpreter holds after ``statements``."""
    code = "; ".join([*statements, "import sys, json",
                      "print(json.dumps(sorted(sys.modules)))"])
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, timeout=120)
    return set(json.loads(out.stdout))


def test_the_pipeline_imports_no_entry_point_machinery_and_no_exports() -> None:
    loaded = _loaded(*(f"import {m}" for m in PIPELINE))
    assert set(PIPELINE) <= loaded  # the statement ran what it says
    assert "importlib.metadata" not in loaded
    assert not {m for m in loaded if m == "email" or m.startswith("email.")}
    assert "sen_disagreement.workflow.exports" not in loaded


def test_the_service_alone_imports_none_of_them() -> None:
    loaded = _loaded("import sen_disagreement.service")
    assert "sen_disagreement.service" in loaded
    assert not {"importlib.metadata", "sen_disagreement.workflow.exports"} & loaded


def test_making_a_plugin_manager_reads_entry_points() -> None:
    # The other side of the lazy import: the entry points are still read (and so the module is
    # imported) when a manager loads them.
    loaded = _loaded("from sen_disagreement.plugins import make_plugin_manager",
                     "make_plugin_manager()")
    assert "importlib.metadata" in loaded


def _top_level_imports(path: Path) -> set[str]:
    """The modules ``path`` imports when it is imported (not inside functions or
    ``if TYPE_CHECKING:``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


@pytest.mark.parametrize(("module", "kept_out"), [
    ("messages.py", CLOCK_TABLE),
    ("service.py", ("sen_disagreement.workflow.exports",)),
    ("plugins/manager.py", ("importlib.metadata",)),
])
def test_modules_on_the_command_path_do_not_import_these_at_top(
    module: str, kept_out: tuple[str, ...]
) -> None:
    imported = _top_level_imports(SRC / module)
    assert imported  # the file was parsed and has imports
    assert not imported & set(kept_out)


def test_import_sen_disagreement_stays_lazy() -> None:
    loaded = _loaded("import sen_disagreement")
    heavy = {"sen_disagreement.service", "sen_disagreement.plugins", "sen_disagreement.store",
             "sen_disagreement.clocks", "sen_disagreement.serialization",
             "sen_disagreement.workflow", "pluggy", "cattrs", "importlib.metadata"}
    assert "sen_disagreement" in loaded
    assert not heavy & loaded

