"""Sphinx configuration: the Markdown pages (MyST) plus an API reference from the docstrings and
type hints, a CLI reference from the click commands and tables generated from the code.

Build with ``bash scripts/docs.sh`` (warnings are errors)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

project = "sen-disagreement"
author = "sen-disagreement contributors"
copyright = "sen-disagreement contributors"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx_click",
    "sen_generated",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "conftest.py", "**/case-inputs/**"]
html_theme = "furo"
html_title = "sen-disagreement"

# Markdown stays Markdown: ```{directive} blocks, heading anchors for `page.md#section` links.
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
# Links to files outside the docs (the repository's examples, plugins, source) are fine as text.
myst_fence_as_directive: list[str] = []

autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_member_order = "bysource"
autodoc_class_signature = "separated"
autodoc_default_options = {"members": True, "undoc-members": False}
# Mermaid diagrams are shown as their source text; no diagram extension is needed to read them.
# Two classes share a short name (actors.Actor, the people acting; clocks.model.Actor, who must
# act on a clock): a docstring naming just `Actor` links to one of them.
suppress_warnings = ["misc.highlighting_failure", "ref.python"]
