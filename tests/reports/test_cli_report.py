"""``sen-disagreement report sen2|metrics`` and ``case timeline`` on the walkthrough's store:
the answers, and bad input (a typed error naming the field, exit code 2, never a traceback)."""

from __future__ import annotations

import csv
import io
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sen_disagreement.cli import main

ROOT = Path(__file__).resolve().parents[2]
ACTORS = ROOT / "docs" / "how-to" / "case-inputs" / "actors.json"
OFFICER, PARENT, CLERK = "sen-casework-1", "sam.parent", "tribunal-clerk-1"


def run(db: Path, *args: str, code: int = 0, user: str | None = OFFICER) -> Result:
    env = {"SEN_DISAGREEMENT_DB": f"sqlite:///{db}", "SEN_DISAGREEMENT_ACTORS": str(ACTORS),
           "SEN_DISAGREEMENT_USER": user}
    result = CliRunner().invoke(main, list(args), env=env)
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code == code, (args, result.output)
    return result


def test_report_sen2_csv_and_json(walkthrough_db: Path) -> None:
    out = run(walkthrough_db, "report", "sen2", "--year", "2025")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows == [{"CaseRef": "sefton-med-0001", "Module": "Assessments",
                     "RequestMediation": "", "RequestTribunal": "", "AssessmentMediation": "",
                     "AssessmentTribunal": "", "OtherMediation": "0", "OtherTribunal": "1"}]
    doc = json.loads(run(walkthrough_db, "report", "sen2", "--year", "2025", "--council",
                         "sefton", "--format", "json").stdout)
    assert doc["aggregates"]["sen2_mi"]["other_tribunal"] == 1 and doc["unplaced"] == []
    unknown = run(walkthrough_db, "report", "sen2", "--year", "2025", "--tribunal-evidence",
                  "not_recorded", "--format", "json")
    named = json.loads(unknown.stdout)["unplaced"]
    assert [p["rule_id"] for p in named] == ["sen2.tribunal_evidence"]
    assert json.loads(unknown.stdout)["settings"]["tribunal_evidence"] == "not_recorded"
    empty = run(walkthrough_db, "report", "sen2", "--year", "2024")
    assert empty.stdout.splitlines() == [",".join(doc["fields"])]


def test_report_metrics_formats(walkthrough_db: Path, tmp_path: Path) -> None:
    table = run(walkthrough_db, "report", "metrics", "--to", "2025-05-01").stdout
    assert "certificates             kind" in table and "not_arranged_in_time" in table
    doc = json.loads(run(walkthrough_db, "report", "metrics", "--from", "2025-03-01",
                         "--format", "json").stdout)
    assert doc["cases"] == 1 and doc["caseload"]["type"] == {"mediation": 1}
    lines = run(walkthrough_db, "report", "metrics", "--format", "csv").stdout.splitlines()
    assert lines[0] == "section,group,measure,value" and "cases,all,count,2" in lines
    target = tmp_path / "metrics.svg"
    run(walkthrough_db, "report", "metrics", "--format", "svg", "--output", str(target))
    assert target.read_text(encoding="utf-8").count("<title id=\"sd-title\">") == 1


def test_case_timeline_formats(walkthrough_db: Path, tmp_path: Path) -> None:
    text = run(walkthrough_db, "case", "timeline", "sefton-med-0001", "--on", "2025-05-01",
               user=PARENT).stdout
    snapshot = Path(__file__).parent / "snapshots" / "sefton-med-0001.txt"
    assert text == snapshot.read_text(encoding="utf-8")
    svg = run(walkthrough_db, "case", "timeline", "sefton-dr-0001", "--format", "svg", "--on",
              "2025-05-01").stdout
    # The officer's view: without the step that recorded the without-prejudice offer.
    assert svg == (Path(__file__).parent / "snapshots" / "sefton-dr-0001.officer.svg"
                   ).read_text(encoding="utf-8")
    png = tmp_path / "t.png"
    run(walkthrough_db, "case", "timeline", "sefton-med-0001", "--format", "png", "--on",
        "2025-05-01", "-o", str(png))
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">I", data[16:20])[0] == 1100
    raw = run(walkthrough_db, "case", "timeline", "sefton-med-0001", "--format", "png", "--on",
              "2025-05-01")
    assert raw.stdout_bytes == data


@pytest.mark.parametrize(("args", "needle"), [
    (["report", "sen2", "--year", "abcd"], "--year"),
    (["report", "sen2", "--year", "25"], "--year"),
    (["report", "sen2", "--year", "２０２５"], "--year"),
    (["report", "sen2", "--year", "1999"], "year"),
    (["report", "sen2", "--year", "2025", "--council", "nowhere"], "council.installed"),
    (["report", "sen2", "--year", "2025", "--format", "xml"], "xml"),
    (["report", "sen2"], "--year"),
    (["report", "metrics", "--from", "2025-13-01"], "--from"),
    (["report", "metrics", "--to", "2025-W10-1"], "--to"),
    (["report", "metrics", "--from", "2025-03-01", "--to", "2025-02-01"], "input.date_range"),
    (["report", "metrics", "--format", "png"], "png"),
    (["report", "metrics", "--format", "json", "--from", "x"], '"rule_id": "input.date"'),
    (["case", "timeline", "sefton-med-0001", "--on", "yesterday"], "--on"),
    (["case", "timeline", "sefton-med-0001", "--format", "pdf"], "pdf"),
    (["case", "timeline", "no-such-case"], "access.policy"),
    (["case", "timeline", "sefton-med-0001", "-o", "/nonexistent/dir/t.svg", "--format", "svg",
      "--on", "2025-05-01"], "--output"),
])
def test_bad_input_is_a_typed_error_exit_2(walkthrough_db: Path, args: list[str],
                                           needle: str) -> None:
    result = run(walkthrough_db, *args, code=2)
    assert needle in result.output


@pytest.mark.parametrize("user", [PARENT, CLERK, None])
def test_only_the_councils_officers_run_reports(walkthrough_db: Path, user: str | None) -> None:
    for args in (["report", "sen2", "--year", "2025"], ["report", "metrics"]):
        result = run(walkthrough_db, *args, code=2, user=user)
        assert ("reports.council_officer" in result.output if user else
                "--user" in result.output)
        assert "Sam Parent" not in result.output


def test_a_store_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.sqlite3"
    result = run(missing, "report", "metrics", code=3)
    assert "there is no store" in result.output and not missing.exists()


@pytest.mark.parametrize("line", [["report"], ["report", "sen2"], ["report", "metrics"],
                                  ["case", "timeline"]])
def test_report_commands_have_help(line: list[str]) -> None:
    result = CliRunner().invoke(main, [*line, "-h"])
    assert result.exit_code == 0 and result.output.startswith("Usage: ")


def test_report_sen2_names_unplaced_cases_on_stderr(population: tuple[str, list[Any]],
                                                    tmp_path: Path) -> None:
    actors = tmp_path / "actors.json"
    actors.write_text(json.dumps({"users": [
        {"id": "officer-1", "role": "la_officer", "council": "E08000014"}]}))
    result = CliRunner().invoke(main, ["report", "sen2", "--year", "2025", "--db",
                                       population[0], "--actors", str(actors), "--user",
                                       "officer-1"])
    assert result.exit_code == 0, result.output
    unplaced = [line for line in result.stderr.splitlines() if line.startswith("unplaced: ")]
    assert unplaced and all("(rule sen2.flag_groups)" in line for line in unplaced)
    assert len(result.stdout.splitlines()) > 100
