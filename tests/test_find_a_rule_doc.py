"""What docs/how-to/find-a-rule.md says the commands answer is what they answer (its blocks
themselves run through conftest.py)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from sen_disagreement.cli import main


def test_rules_cite_reg_34_1_names_the_clock_its_code_and_test() -> None:
    out = CliRunner().invoke(main, ["rules", "--cite", "reg 34(1)", "--format", "json"]).output
    found = {r["rule_id"]: r for r in json.loads(out)}
    clock = found["certificate_after_declining"]
    assert clock["code"].startswith("sen_disagreement/clocks/table.py:")
    assert any("test_reg34" in t for t in clock["tests"])
    assert "certificate_after_declining" in found["reg34.certificate_after_declining"]["clocks"]


def test_rules_with_nothing_matching_answers_no() -> None:
    result = CliRunner().invoke(main, ["rules", "--cite", "reg 999"])
    assert result.exit_code == 1


def test_rules_with_a_citation_naming_no_provision_is_bad_input_in_json() -> None:
    result = CliRunner().invoke(main, ["rules", "--cite", "nothing at all", "--format", "json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["problems"][0]["field"] == "--cite"
