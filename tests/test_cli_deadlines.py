"""``sen-disagreement deadlines``: flags and JSON in; table, JSON and iCalendar out."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner

from sen_disagreement.cli import main

IPSEA_CHRISTMAS = [
    "--event",
    "decision_notice_sent=2025-10-01",
    "--event",
    "certificate_issued=2025-11-29",
]


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["deadlines", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_table_shows_due_date_who_must_act_and_citation_with_grade() -> None:
    code, out, _ = run(*IPSEA_CHRISTMAS)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("DUE")
    row = next(ln for ln in lines if ln.startswith("2026-01-02  tribunal_appeal "))
    assert "parent or young person" in row
    assert "[S]" in row
    assert "HESC Rules 2008 r.20(1)(c)(i) [P]" in out
    assert "moved from 2025-12-29 (Tribunal non-working day)" in out
    assert "SEND Regs 2014 reg 33 [P]" in out


def test_json_output_lists_every_deadline_with_citations() -> None:
    code, out, _ = run(*IPSEA_CHRISTMAS, "--format", "json")
    assert code == 0
    rows = json.loads(out)
    by_id = {r["clock_id"]: r for r in rows}
    assert set(by_id) == {
        "mediation_adviser_contact",
        "tribunal_appeal_from_decision",
        "tribunal_appeal_from_certificate",
        "tribunal_appeal",
    }
    appeal = by_id["tribunal_appeal"]
    assert appeal["due"] == "2026-01-02"
    assert appeal["who_must_act"] == "parent_or_young_person"
    assert {c["grade"] for c in appeal["citations"]} == {"P", "S"}
    assert by_id["mediation_adviser_contact"]["due"] == "2025-12-01"


def test_json_request_on_stdin_with_exceptions_and_status() -> None:
    doc = {
        "events": {"assessment_request_received": "2025-01-06"},
        "exceptions": [{"kind": "absence_from_area", "start": "2025-02-01", "end": "2025-02-28"}],
        "as_of": "2025-02-10",
    }
    code, out, _ = run("--input", "-", "--format", "json", stdin=json.dumps(doc))
    assert code == 0
    by_id = {r["clock_id"]: r for r in json.loads(out)}
    assert by_id["decide_whether_to_assess"]["due"] == "2025-03-17"
    assert by_id["decide_whether_to_assess"]["status"] == "paused"
    assert by_id["determination_no_provision_needed"]["due"] == "2025-02-17"
    assert by_id["determination_no_provision_needed"]["status"] == "due_soon"


def test_json_file_and_flags_merge_flags_win(tmp_path: Path) -> None:
    src = tmp_path / "case.json"
    src.write_text(
        json.dumps(
            {
                "events": {"la_told_wish_to_mediate": "2025-02-03"},
                "mediation_issues": "mixed",
                "settings": {"arrange_mediation_unit": "working_days"},
            }
        )
    )
    code, out, _ = run(
        "--input", str(src), "--format", "json", "--mediation-issues", "education_social_care"
    )
    assert code == 0
    rows = json.loads(out)
    assert [(r["clock_id"], r["due"]) for r in rows] == [
        ("arrange_mediation_education_social_care", "2025-03-17")
    ]


def test_section_i_only_flag_drops_certificate_clocks() -> None:
    code, out, _ = run(
        "--event", "decision_notice_sent=2025-01-10", "--section-i-only", "--format", "json"
    )
    assert code == 0
    rows = json.loads(out)
    assert [r["clock_id"] for r in rows] == ["tribunal_appeal_from_decision", "tribunal_appeal"]
    assert rows[-1]["provisional"] is False


def test_setting_override_flag_tribunal_non_working_days_none() -> None:
    flags = ["--setting", "tribunal_non_working_days=none", "--format", "json"]
    code, out, _ = run(*IPSEA_CHRISTMAS, *flags)
    assert code == 0
    by_id = {r["clock_id"]: r for r in json.loads(out)}
    assert by_id["tribunal_appeal"]["due"] == "2025-12-29"


def test_exception_flag() -> None:
    code, out, _ = run(
        "--event",
        "assessment_request_received=2025-01-06",
        "--exception",
        "exceptional_personal_circumstances=2025-02-01..2025-02-14",
        "--format",
        "json",
    )
    assert code == 0
    by_id = {r["clock_id"]: r for r in json.loads(out)}
    assert by_id["final_plan"]["due"] == "2025-06-09"


def test_ics_parses_back_with_one_event_per_deadline(tmp_path: Path) -> None:
    target = tmp_path / "deadlines.ics"
    args = [*IPSEA_CHRISTMAS, "--event", "adviser_told_no_mediation=2025-11-26"]
    code, _, _ = run(*args, "--format", "ics", "--output", str(target))
    assert code == 0
    _, js, _ = run(*args, "--format", "json")
    expected = {(r["clock_id"], r["due"]) for r in json.loads(js)}
    cal = icalendar.Calendar.from_ical(target.read_bytes())
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(expected) == 5
    got = {
        (str(e["summary"]).split(":")[0], e.decoded("dtstart").isoformat()) for e in events
    }
    assert got == expected
    assert len({str(e["uid"]) for e in events}) == len(events)
    first = events[0]
    assert isinstance(first.decoded("dtstart"), dt.date)
    assert "[P]" in str(first["description"])


def _uids(out: str) -> set[str]:
    return {str(e["uid"]) for e in icalendar.Calendar.from_ical(out).walk("VEVENT")}


def test_ics_uids_differ_between_cases_with_the_same_decision_date() -> None:
    # Two cases with the same decision date but different certificates: a calendar app must not
    # overwrite one case's events with the other's.
    base = ("--event", "decision_notice_sent=2025-03-03", "--format", "ics")
    _, one, _ = run(*base, "--event", "certificate_issued=2025-04-14")
    _, two, _ = run(*base, "--event", "certificate_issued=2025-04-15")
    assert not _uids(one) & _uids(two)
    _, again, _ = run(*base, "--event", "certificate_issued=2025-04-14")
    assert _uids(again) == _uids(one)  # re-importing the same case updates, not duplicates


def test_ics_case_reference_goes_on_every_event() -> None:
    code, out, _ = run("--event", "mediation_concluded=2025-04-17", "--format", "ics",
                       "--case", "SEF-2025-0042")
    assert code == 0
    (event,) = icalendar.Calendar.from_ical(out).walk("VEVENT")
    assert str(event["summary"]).startswith("[SEF-2025-0042] ")
    assert str(event["uid"]).startswith("SEF-2025-0042-")
    code, _, err = run("--event", "mediation_concluded=2025-04-17", "--case", "Sam Smith")
    assert code == 2
    assert "--case" in err


def test_ics_to_stdout_parses() -> None:
    code, out, _ = run("--event", "mediation_concluded=2025-04-17", "--format", "ics")
    assert code == 0
    cal = icalendar.Calendar.from_ical(out)
    (event,) = cal.walk("VEVENT")
    assert event.decoded("dtstart") == dt.date(2025, 4, 24)


def test_as_of_adds_status_column_to_table() -> None:
    code, out, _ = run("--event", "adviser_told_no_mediation=2025-12-23", "--as-of", "2025-12-24")
    assert code == 0
    assert out.splitlines()[0].endswith("STATUS")
    assert "due_soon" in out


def test_no_events_says_so() -> None:
    code, out, _ = run()
    assert code == 0
    assert "no deadlines" in out


def test_list_events() -> None:
    code, out, _ = run("--list-events")
    assert code == 0
    assert "decision_notice_sent" in out


@pytest.mark.parametrize(
    ("args", "stdin", "field"),
    [
        (["--event", "decision_notice_sent=10/01/2025"], None, "--event decision_notice_sent"),
        (["--event", "decison_notice_sent=2025-01-10"], None, "decison_notice_sent"),
        (["--event", "decision_notice_sent"], None, "--event"),
        (["--setting", "no_such=1"], None, "settings.no_such"),
        (
            ["--setting", "tribunal_non_working_days=sometimes"],
            None,
            "settings.tribunal_non_working_days",
        ),
        (["--exception", "absence_from_area=2025-02-10..2025-02-01"], None, "--exception.end"),
        (["--exception", "holiday=2025-02-10"], None, "--exception.kind"),
        (["--as-of", "tomorrow"], None, "--as-of"),
        (["--input", "-"], "{not json", "$"),
        (
            ["--input", "-"],
            '{"events": {"decision_notice_sent": 5}}',
            "$.events.decision_notice_sent",
        ),
        (["--input", "-"], '{"evnts": {}}', "$.evnts"),
        (["--input", "-"], '{"exceptions": [{"kind": "absence_from_area"}]}', "$.exceptions[0]"),
        (["--input", "-"], '{"mediation_issues": "everything"}', "$.mediation_issues"),
        (["--input", "-"], '{"certificate_required": "maybe"}', "$.certificate_required"),
        (["--input", "-"], "[1, 2]", "$"),
        (["--event", "adviser_told_no_mediation=2046-06-01"], None, "adviser_told_no_mediation"),
    ],
)
def test_bad_input_names_the_field_and_exits_2_without_traceback(
    args: list[str], stdin: str | None, field: str
) -> None:
    code, out, err = run(*args, stdin=stdin)
    assert code == 2
    assert out == ""
    assert err.startswith("Invalid input:\n  ")
    assert f"{field}: " in err
    assert "Traceback" not in err
