"""Collects the code blocks of README.md and docs/ as tests: see docs/_ext/doc_examples.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "docs" / "_ext"))

from doc_examples import pytest_collect_file  # found through the path above

__all__ = ["pytest_collect_file"]
