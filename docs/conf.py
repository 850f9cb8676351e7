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
    "sen_refs",
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
suppress_warnings = ["misc.highlighting_failure"]

# Every reference must land (sen_refs resolves short names and private-module spellings). Left
# unlinked on purpose, since there is no intersphinx (the CI has no network): the standard
# library and third-party types, type variables, and private names (not documented by design).
nitpicky = True
_STDLIB = ("datetime", "dt", "collections", "contextlib", "logging", "os", "pathlib", "random",
           "re", "sqlite3", "types", "typing")
# sen_disagreement_notify: the GOV.UK Notify plugin, a separate distribution
# (plugins/sen-disagreement-notify) whose types these docs do not document.
_THIRD_PARTY = ("attrs", "cattrs", "click", "psycopg", "pluggy", "_pytest", "pytest",
                "sen_disagreement_notify")
nitpick_ignore_regex = [
    (r"py:(class|exc|meth|func|data|attr|obj)", rf"({'|'.join(_STDLIB + _THIRD_PARTY)})\..+"),
    # Short names of the same types, as some docstrings write them.
    (r"py:class", r"Path|PluginManager|FakeNotify|NotifyChannel"),
    (r"py:meth", r"PluginManager\.\w+"),
    # Type variables of generic classes and functions.
    (r"py:class", r"(sen_disagreement\.[\w.]+\.)?(T|C|_F|StateT|EventT)"),
    # Private: a name or module starting with an underscore.
    (r"py:\w+", r"(.+\.)?_[A-Za-z]\w*(\..+)?"),
]
# References in files their owners were editing when the build became nitpicky, to targets with
# no docstring (so no entry): give the target a docstring, then drop its line. Exact targets
# only; this list only shrinks.
nitpick_ignore = [
    ("py:data", "POLICY"),  # workflow/access.py
    ("py:data", "CLOSED_NO_DOB_PLUS_31"),  # store/retention.py
    ("py:class", "JSONObject"),  # plugins/oruk.py: a type alias
]
