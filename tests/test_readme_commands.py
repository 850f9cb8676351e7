"""The README's command-line examples of operating a case run as written."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sen_disagreement.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Operating cases from the command line"):]
BLOCK = re.search(r"```bash\n(.*?)```", SECTION, re.S)


def test_the_readme_operating_block_runs_in_order(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    assert BLOCK is not None
    shutil.copytree(ROOT / "docs" / "how-to" / "case-inputs",
                    tmp_path / "docs" / "how-to" / "case-inputs")
    monkeypatch.chdir(tmp_path)
    ran = 0
    for raw in BLOCK.group(1).splitlines():
        line = raw.split("  #")[0].strip()
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            monkeypatch.setenv(name, value)
            continue
        words = shlex.split(line)
        assert words[0] == ".venv/bin/sen-disagreement", line
        out_file = None
        if ">" in words:
            out_file = words[words.index(">") + 1]
            words = words[: words.index(">")]
        result = CliRunner().invoke(main, words[1:])
        # due answers "no" (exit 1) when nothing falls due in the window: still an answer.
        assert result.exit_code in (0, 1) if words[1] == "due" else result.exit_code == 0, (
            line, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        if out_file:
            Path(out_file).write_text(result.output)
            assert result.output.startswith("BEGIN:VCALENDAR")
        ran += 1
    assert ran == 5
    assert (tmp_path / "cases.sqlite3").exists()
