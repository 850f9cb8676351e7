"""The README's setup commands and the example files agree with the scripts and the packaged seed
examples. (Every code block of README.md and docs/ runs through conftest.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_has_exactly_two_setup_commands() -> None:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Two commands", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^bash (\S+)", section, flags=re.M)
    assert commands == ["scripts/demo.sh", "scripts/test.sh"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci


def test_example_files_match_packaged_seed_examples() -> None:
    packaged = json.loads(
        (ROOT / "src/sen_disagreement/data/seed_examples.json").read_text()
    )
    files = sorted((ROOT / "examples").glob("*.json"))
    documents = [json.loads(f.read_text()) for f in files]
    assert sorted(map(json.dumps, documents)) == sorted(
        json.dumps(e["document"]) for e in packaged
    )
