"""``sen-disagreement classify`` and the demo, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from sen_disagreement.cli import main

TYPE3 = {
    "schema_version": 1,
    "date": "2025-01-10",
    "stage": "needs_assessment",
    "provision": ["health_care"],
    "parties": [{"kind": "parent"}, {"kind": "integrated_care_board"}],
}


def test_classify_text_from_file(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps(TYPE3))
    result = CliRunner().invoke(main, ["classify", str(path)])
    assert result.exit_code == 0
    assert "type 3" in result.output
    assert "CFA 2014 Explanatory Notes para 273 (s.57) [P]" in result.output


def test_classify_json_from_stdin() -> None:
    result = CliRunner().invoke(main, ["classify", "--format", "json"], input=json.dumps(TYPE3))
    assert result.exit_code == 0
    out = json.loads(result.output)
    assert out["eligible"] is True
    assert [t["type"] for t in out["types"]] == [3]
    assert {c["grade"] for c in out["types"][0]["citations"]} == {"P", "S"}


def test_classify_not_eligible_exit_code_1() -> None:
    doc = dict(TYPE3, stage="no_plan")
    result = CliRunner().invoke(main, ["classify", "--format", "json"], input=json.dumps(doc))
    assert result.exit_code == 1
    out = json.loads(result.output)
    assert out["eligible"] is False
    assert "nhs_complaint" in [r["route"] for r in out["other_routes"]]


def test_classify_ccg_after_july_2022_exit_code_2_names_icb() -> None:
    doc = dict(TYPE3, parties=[{"kind": "parent"}, {"kind": "clinical_commissioning_group"}])
    result = CliRunner().invoke(main, ["classify", "--format", "json"], input=json.dumps(doc))
    assert result.exit_code == 2
    problem = json.loads(result.output)["problems"][0]
    assert problem["field"] == "$.parties[1].kind"
    assert problem["rule_id"] == "ccg.abolished"
    assert "integrated care boards" in problem["message"]


def test_demo_classifies_the_seed_page_four_types_and_persists_the_walkthrough(
    tmp_path: Path,
) -> None:
    script = Path(sys.executable).with_name("sen-disagreement")
    db = tmp_path / "demo.sqlite3"
    run = subprocess.run(
        [str(script), "demo", "--db", str(db)], capture_output=True, text=True, check=True
    )
    for n in (1, 2, 3, 4):
        assert f"Disagreement resolution applies: type {n}" in run.stdout
    assert "Not eligible" in run.stdout
    # Decision notice 3 March 2025, certificate 14 April 2025: the certificate month is later.
    assert "Appeal deadline: 2025-05-14" in run.stdout
    assert db.stat().st_size > 0
    again = subprocess.run([str(script), "demo", "--db", str(db)], capture_output=True, text=True)
    assert again.returncode == 2
    assert "already exists" in again.stderr
