"""``sen-disagreement due``: stored deadlines within a window (duties, reg 42 follow-up duties,
appeal deadlines), as a table, JSON or iCalendar with stable UIDs; exit 0 / 1 / 2 / 3; reads
only."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sweep_support as support
from click.testing import CliRunner
from icalendar import Calendar

from sen_disagreement.cli import main
from sen_disagreement.cli.due import parse_within
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.store import open_store
from sen_disagreement.workflow import records

D = dt.date
TOLD = D(2025, 3, 12)


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cases.sqlite3'}"
    with open_store(url) as store:
        # arrange clock due 2025-04-11; the agreement's duties due 2025-04-05 and its appeal
        # deadline 2025-05-06; a school-only decision's appeal deadline 2025-05-06.
        for case in (support.route_chosen("due-wait", TOLD), support.agreed("due-agreed", TOLD),
                     support.section_i_only("due-school", D(2025, 3, 3))):
            records.save(store, case, expected_version=0)
    return url


def _due(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["due", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _state(url: str) -> tuple[int, list[int]]:
    with open_store(url) as store:
        return (len(store.audit_trail(limit=1_000_000)),
                [store.load(c).version for c in ("due-wait", "due-agreed", "due-school")])


def test_window_lists_duties_and_appeal_deadlines_in_date_order(db: str) -> None:
    code, out = _due("--db", db, "--from", "2025-04-01", "--within", "6w", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["from"], doc["to"]) == ("2025-04-01", "2025-05-13")
    rows = [(r["due"], r["case_id"], r["clock_id"], r["deadline"]) for r in doc["deadlines"]]
    assert rows == [
        ("2025-04-05", "due-agreed", "agreement_non_appealable_action.letter", "duty"),
        ("2025-04-05", "due-agreed", "order_assess_notify.assess", "duty"),
        ("2025-04-11", "due-wait", "arrange_mediation_education_social_care", "duty"),
        ("2025-05-06", "due-agreed", "tribunal_appeal", "appeal"),
        ("2025-05-06", "due-school", "tribunal_appeal", "appeal"),
    ]
    assert doc["deadlines"][-1]["who_must_act"].startswith("parent or young person")
    code, out = _due("--db", db, "--from", "2025-04-07", "--within", "1w")
    assert code == 0
    assert "arrange_mediation_education_social_care" in out and "tribunal_appeal" not in out
    assert out.splitlines()[0].startswith("DUE")


def test_nothing_due_answers_no_with_exit_1(db: str) -> None:
    code, out = _due("--db", db, "--from", "2025-04-12", "--within", "2w")
    assert code == 1 and "nothing due from 2025-04-12 to 2025-04-26" in out
    code, out = _due("--db", db, "--from", "2025-04-12", "--within", "2w", "--format", "json")
    assert code == 1 and json.loads(out)["deadlines"] == []


def test_within_days_and_weeks() -> None:
    assert parse_within("7d") == 7
    assert parse_within("2w") == 14
    assert parse_within(" 3W ") == 21
    for bad in ("0d", "7", "d", "-1d", "1y", "9999w", "1.5w"):
        with pytest.raises(InvalidInputError) as err:
            parse_within(bad)
        assert err.value.field == "--within"


def test_council_and_officer_filters(db: str, tmp_path: Path) -> None:
    window = ("--db", db, "--from", "2025-04-01", "--within", "6w", "--format", "json")
    assert _due(*window, "--council", "sefton")[0] == 0  # the installed plugin's slug
    assert _due(*window, "--council", "E08000015")[0] == 1
    users = tmp_path / "users.json"
    users.write_text(json.dumps({"users": [
        {"id": "officer-1", "role": "la_officer", "council": "E08000014"},
        {"id": "officer-w", "role": "la_officer", "council": "E08000015"},
        {"id": "sam", "role": "family", "grants": [{"case_id": "due-school",
                                                     "party_id": "parent"}]},
    ]}), encoding="utf-8")
    code, out = _due(*window, "--users", str(users), "--officer", "officer-1")
    assert code == 0 and len(json.loads(out)["deadlines"]) == 5
    assert _due(*window, "--users", str(users), "--officer", "officer-w")[0] == 1
    code, out = _due(*window, "--users", str(users), "--officer", "sam")
    assert code == 0 and {r["case_id"] for r in json.loads(out)["deadlines"]} == {"due-school"}
    code, out = _due(*window, "--users", str(users), "--officer", "nobody")
    assert code == 2


def test_ics_one_event_per_deadline_with_uids_stable_across_runs(db: str) -> None:
    args = ("--db", db, "--from", "2025-04-01", "--within", "6w", "--format", "ics")
    runs = []
    for _ in range(2):
        code, out = _due(*args)
        assert code == 0
        cal = Calendar.from_ical(out)
        runs.append([(str(e["uid"]), e.decoded("dtstart")) for e in cal.walk("VEVENT")])
    assert runs[0] == runs[1] and len(runs[0]) == 5
    uids = [u for u, _ in runs[0]]
    assert len(set(uids)) == 5
    # The case, the clock and the day it started; the due date is not in it (a moved deadline
    # keeps its event).
    assert "due-school-tribunal_appeal-2025-03-03@sen-disagreement" in uids
    assert "due-wait-arrange_mediation_education_social_care-2025-03-12@sen-disagreement" in uids
    assert all("2025-04-11" not in u and "2025-05-06" not in u for u in uids)


@pytest.mark.parametrize(("args", "field"), [
    (["--within", "0d"], "--within"),
    (["--within", "soon"], "--within"),
    (["--from", "2025-02-30"], "--from"),
    (["--from", "2025-4-1"], "--from"),
    (["--officer", "has space"], "--officer"),
])
def test_bad_input_exits_2_naming_the_field_and_writes_nothing(
    db: str, args: list[str], field: str,
) -> None:
    before = _state(db)
    code, out = _due("--db", db, *args, "--format", "json")
    assert code == 2
    assert field in json.loads(out)["problems"][0]["field"]
    assert _state(db) == before


def test_store_faults_exit_3_and_no_file_is_created(tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite3"
    code, _ = _due("--db", f"sqlite:///{missing}")
    assert code == 3 and not missing.exists()
    assert _due("--db", "nosuch://x")[0] == 3


def test_listing_writes_nothing(db: str) -> None:
    before = _state(db)
    for fmt in ("text", "json", "ics"):
        _due("--db", db, "--from", "2025-04-01", "--within", "6w", "--format", fmt)
    assert _state(db) == before


def test_users_dash_reads_the_directory_from_stdin(db: str) -> None:
    users = json.dumps({"users": [
        {"id": "officer-1", "role": "la_officer", "council": "E08000014"}]})
    args = ["due", "--db", db, "--from", "2025-04-01", "--within", "6w", "--format", "json",
            "--users", "-", "--officer", "officer-1"]
    result = CliRunner().invoke(main, args, input=users)
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["deadlines"]) == 5
    # Not a JSON object on stdin: bad input, named.
    bad = CliRunner().invoke(main, args, input="[1, 2]")
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert json.loads(bad.stdout)["error"] == "InvalidInputError"
