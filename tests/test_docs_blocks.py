"""The documentation's code blocks are all run (docs/_ext/doc_examples.py): none is silently left
out, a block marked not-run says why and marks only the block right after it, and a failing
shell command fails its page."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from sybil import Document

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
RUN = {"python", "bash", "sh", "console", "json"}
# Shown, not run: configuration files, SQL run by a database administrator, sample output,
# diagrams. A new language must be added here or to RUN deliberately.
SHOWN = {"text", "toml", "ini", "cron", "sql", "mermaid", ""}
FENCE = re.compile(r"^[ \t]*```(?P<lang>[\w-]*)[^\n]*$", re.M)
MARKER = re.compile(r"^[ \t]*<!--\s*not-run:(?P<reason>.*?)-->[ \t]*\n(?P<next>[^\n]*)", re.M)


def _machinery() -> ModuleType:
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        return importlib.import_module("doc_examples")
    finally:
        sys.path.remove(str(ROOT / "docs" / "_ext"))


def _opening_fences(text: str) -> list[str]:
    """The language of each opening fence (fences alternate open, close)."""
    langs = [m["lang"] for m in FENCE.finditer(text)]
    return langs[0::2]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_fence_is_run_or_shown_on_purpose(page: Path) -> None:
    langs = _opening_fences(page.read_text(encoding="utf-8"))
    unknown = set(langs) - RUN - SHOWN
    assert not unknown, f"{page}: decide whether these blocks run: {unknown}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_not_run_marker_gives_a_reason_and_stands_right_before_a_run_block(page: Path) -> None:
    for m in MARKER.finditer(page.read_text(encoding="utf-8")):
        assert len(m["reason"].split()) >= 3, (page, m["reason"])
        fence = FENCE.match(m["next"])
        assert fence is not None and fence["lang"] in RUN, (page, m["next"])


def test_every_run_block_of_the_docs_is_collected() -> None:
    sybil = _machinery().SYBIL
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        expected = sum(1 for lang in _opening_fences(text) if lang in RUN)
        expected += len(MARKER.findall(text))
        document = Document.parse(str(page), *sybil.parsers)
        assert len(list(document)) == expected, page


def _run_page(tmp_path: Path, body: str) -> None:
    page = tmp_path / "page.md"
    page.write_text(body, encoding="utf-8")
    sybil = _machinery().SYBIL
    document = Document.parse(str(page), *sybil.parsers)
    try:
        for example in document:
            example.evaluate()
    finally:
        sybil.teardown(document.namespace)


def test_a_command_answering_no_passes_and_a_refused_one_fails(tmp_path: Path) -> None:
    _run_page(tmp_path, "```console\n$ sen-disagreement rules --cite 'reg 999'\n```\n")
    with pytest.raises(AssertionError, match="exited 2"):
        _run_page(tmp_path, "```console\n$ sen-disagreement rules --cite 'nothing at all'\n```\n")


def test_a_refusal_the_page_shows_with_echo_passes_only_with_the_right_code(
        tmp_path: Path) -> None:
    refused = "$ sen-disagreement rules --cite 'nothing at all'\nerror: ...\n$ echo $?\n"
    _run_page(tmp_path, f"```console\n{refused}2\n```\n")
    with pytest.raises(AssertionError, match="exited 2"):
        _run_page(tmp_path, f"```console\n{refused}3\n```\n")


def test_exports_carry_over_to_later_blocks_and_to_python(tmp_path: Path) -> None:
    _run_page(tmp_path, "```bash\nexport SEN_DISAGREEMENT_DB=sqlite:///here.sqlite3\n```\n\n"
                        "```python\nimport os\n"
                        "assert os.environ['SEN_DISAGREEMENT_DB'] == 'sqlite:///here.sqlite3'\n"
                        "```\n")


def test_a_not_run_marker_needs_a_reason(tmp_path: Path) -> None:
    _run_page(tmp_path, "<!-- not-run: it needs a server -->\n```bash\nexit 7\n```\n")
    with pytest.raises(AssertionError, match="needs a reason"):
        _run_page(tmp_path, "<!-- not-run: no -->\n```bash\nexit 7\n```\n")


def test_a_json_block_must_parse(tmp_path: Path) -> None:
    _run_page(tmp_path, '```json\n{"events": {}}\n```\n')
    with pytest.raises(ValueError, match="Expecting"):
        _run_page(tmp_path, '```json\n{"events": }\n```\n')
