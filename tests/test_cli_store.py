"""``sen-disagreement store verify``: exit 0 when every link holds, 1 at the first broken link,
3 when the store cannot be opened or read (a fault outside the request)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from sen_disagreement.cli import main
from sen_disagreement.walkthrough import run


def test_store_verify_cli_reports_ok_then_the_first_broken_link(tmp_path: Path) -> None:
    db = tmp_path / "w.sqlite3"
    run(db)
    runner = CliRunner()
    ok = runner.invoke(main, ["store", "verify", "--db", f"sqlite:///{db}"])
    assert ok.exit_code == 0, ok.output
    assert "ok: every link holds" in ok.output
    c = sqlite3.connect(db)
    c.execute("DROP TRIGGER audit_append_only_u")
    c.execute("UPDATE audit SET actor = 'someone-else' WHERE seq = 3")
    c.commit()
    c.close()
    broken = runner.invoke(main, ["store", "verify", "--db", f"sqlite:///{db}",
                                  "--format", "json"])
    assert broken.exit_code == 1, broken.output
    report = json.loads(broken.output)
    assert report["ok"] is False
    assert report["first_break"]["seq"] == 3
    assert "someone-else" not in broken.output  # the stored value is never echoed
    one = runner.invoke(main, ["store", "verify", "--db", f"sqlite:///{db}",
                               "--case", "sefton-med-0001"])
    assert one.exit_code == 0, one.output


def test_store_verify_cli_a_missing_directory_is_exit_3(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["store", "verify", "--db",
                                       f"sqlite:///{tmp_path / 'nowhere' / 'x.sqlite3'}"])
    assert result.exit_code == 3
    assert "Traceback" not in result.output
