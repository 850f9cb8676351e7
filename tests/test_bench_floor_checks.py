"""The pipeline benchmark's floor checks what the library checks: its hand-written patterns for a
party's name and a contact's email are the library's own (``bench/bench_pipeline.py``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from sen_disagreement import _checks
from sen_disagreement.workflow import _case

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_pipeline.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_pipeline_floor_checks", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_floor_refuses_the_names_and_emails_the_library_refuses() -> None:
    bench = _bench()
    assert bench._HIDDEN.pattern == _checks._HIDDEN_IN_LINE.pattern
    assert bench._EMAIL.pattern == _case._EMAIL.pattern
    for name in ("Ann\u202eSmith", "Ann\nSmith", "Ann\x00"):
        assert bench._HIDDEN.search(name) is not None
    assert bench._HIDDEN.search("Ann Smith") is None
    assert bench._EMAIL.fullmatch("parent1@example.org") is not None
    assert bench._EMAIL.fullmatch("parent1@example") is None
