"""``sen-disagreement case``: the whole Sefton walkthrough from the shell (SQLite and
PostgreSQL), hostile input to every subcommand (no traceback, the documented exit code, the store
unchanged but for the audit entries of refusals), the without-prejudice canary, and every command
of docs/how-to/run-a-case-from-the-command-line.md run in order."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from store.conftest import PgCluster

from sen_disagreement.cli import main
from sen_disagreement.service import CaseService
from sen_disagreement.walkthrough import DR_CASE, MED_CASE, directory, run
from sen_disagreement.workflow import MediationCase

ROOT = Path(__file__).resolve().parents[1]
HOWTO = ROOT / "docs" / "how-to" / "run-a-case-from-the-command-line.md"
INPUTS = ROOT / "docs" / "how-to" / "case-inputs"
ACTORS = INPUTS / "actors.json"

OFFICER, PARENT, PROVIDER = "sen-casework-1", "sam.parent", "gm-practitioner-1"
ADVISER, CLERK = "adviser-1", "tribunal-clerk-1"


class Cli:
    """``sen-disagreement case ...`` through click's runner, on one store and actor file."""

    def __init__(self, db: str, inputs: Path = INPUTS, actors: Path = ACTORS) -> None:
        self.db = db
        self.inputs = inputs
        self.env = {"SEN_DISAGREEMENT_DB": db, "SEN_DISAGREEMENT_ACTORS": str(actors),
                    "SEN_DISAGREEMENT_USER": None}

    def __call__(self, *args: str, stdin: str | None = None, code: int = 0) -> Result:
        result = CliRunner().invoke(main, ["case", *args], env=self.env, input=stdin)
        assert not isinstance(result.exception, Exception), result.output  # never a traceback
        assert "Traceback" not in result.output
        assert result.exit_code == code, (args, result.output)
        return result

    def step(self, case_id: str, step: str, user: str, at: str, doc: str | None = None,
             code: int = 0) -> Result:
        extra = ["--input", str(self.inputs / doc)] if doc else []
        return self("step", case_id, step, *extra, "--user", user, "--at", at,
                    code=code)


def walkthrough(cli: Cli) -> None:
    """The steps of sen_disagreement.walkthrough.run, through the command line alone."""
    cli("open", "--user", OFFICER, "--input", str(cli.inputs / "dr-open.json"),
        "--at", "2025-01-13T10:00:00Z")
    dr = DR_CASE
    cli.step(dr, "seek_agreement", OFFICER, "2025-01-13T11:00:00Z")
    cli.step(dr, "agree", PARENT, "2025-01-15T10:00:00Z", "agree-parent.json")
    # The officer cannot agree on the parent's behalf: refused (and audited).
    refused = cli.step(dr, "agree", OFFICER, "2025-01-15T11:00:00Z", "agree-parent.json", code=2)
    assert "who.agree.disagreement_resolution" in refused.output
    cli.step(dr, "agree", OFFICER, "2025-01-16T10:00:00Z", "agree-sefton.json")
    cli.step(dr, "AssignProvider", OFFICER, "2025-01-16T12:00:00Z")  # a class name works too
    cli.step(dr, "arrange_meeting", PROVIDER, "2025-01-17T10:00:00Z", "dr-arrange.json")
    cli.step(dr, "hold_meeting", PROVIDER, "2025-01-30T15:00:00Z", "dr-hold.json")
    cli.step(dr, "record_item", OFFICER, "2025-01-30T15:00:00Z", "dr-offer.json")
    cli.step(dr, "record_outcome", PROVIDER, "2025-01-30T16:00:00Z", "dr-outcome.json")
    cli.step(dr, "close", OFFICER, "2025-01-31T10:00:00Z")

    cli("open", "--user", OFFICER, "--input", str(cli.inputs / "med-open.json"),
        "--at", "2025-03-03T10:00:00Z")
    med = MED_CASE
    cli.step(med, "contact_adviser", PARENT, "2025-03-10T10:00:00Z", "med-contact-adviser.json")
    cli.step(med, "give_information", ADVISER, "2025-03-10T11:00:00Z",
             "med-give-information.json")
    cli.step(med, "agree", PARENT, "2025-03-12T10:00:00Z", "med-want-mediation.json")
    cli("step", med, "record_issue", "--input", "-", "--user", PARENT,
        "--at", "2025-03-12T10:00:00Z", stdin=(cli.inputs / "med-issue.json").read_text())
    cli.step(med, "confirm_issues", OFFICER, "2025-03-12T11:00:00Z")
    cli.step(med, "choose_route", OFFICER, "2025-03-12T12:00:00Z")
    cli.step(med, "record_item", OFFICER, "2025-03-12T12:00:00Z", "med-letter.json")
    # The daily sweep each morning: nothing happens until the council's 30 days have passed.
    day = dt.date(2025, 3, 13)
    while True:
        out = json.loads(cli("sweep", med, "--user", OFFICER, "--at", f"{day}T07:00:00Z",
                             "--format", "json").stdout)
        if out["state"] != "route_chosen":
            break
        day += dt.timedelta(days=1)
    assert day == dt.date(2025, 4, 12) and out["state"] == "not_arranged"
    assert out["next_deadline"] == {"clock": "deemed_certificate", "due": "2025-04-16"}
    cli.step(med, "issue_certificate", ADVISER, "2025-04-14T10:00:00Z", "med-certificate.json")


# --- the stores -----------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def case_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store: a SQLite file, or a PostgreSQL schema as the application role."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cases.sqlite3'}"
        return
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    schema = cluster.app_schema()
    yield schema.app_url
    cluster.drop_schema(schema.name)


def test_the_sefton_walkthrough_runs_from_the_command_line(case_db: str, tmp_path: Path) -> None:
    cli = Cli(case_db)
    walkthrough(cli)

    # The same appeal deadline as the library's own walkthrough.
    reference = CaseService.open(f"sqlite:///{tmp_path / 'ref.sqlite3'}", directory=directory(),
                                 timeout=None)
    with reference.store:
        run(tmp_path / "ref.sqlite3")
        med_case, _ = reference.load(MED_CASE)
    assert isinstance(med_case, MediationCase)
    expected = med_case.appeal_deadline.isoformat()
    assert expected == "2025-05-14"

    shown = json.loads(cli("show", MED_CASE, "--user", PARENT, "--format", "json").stdout)
    assert shown["state"] == "certificate_issued"

    # The timeline from the command line is the library's timeline of the stored case as its
    # reader may see it (CaseService.timeline_for).
    drawn = cli("timeline", MED_CASE, "--user", PARENT, "--on", "2025-05-01").stdout
    stored = CaseService.open(case_db, directory=directory(), timeout=None)
    with stored.store:
        mine = stored.timeline_for(MED_CASE, PARENT, on=dt.date(2025, 5, 1))
        # The without-prejudice offer's step: the parent's to see, never the officer's or the
        # Tribunal clerk's (not a row, not a line: the case as if it had not been recorded).
        for who, sees in ((PARENT, True), (PROVIDER, True), (OFFICER, False), (CLERK, False)):
            text = cli("timeline", DR_CASE, "--user", who, "--on", "2025-05-01").stdout
            assert text == stored.timeline_for(DR_CASE, who, on=dt.date(2025, 5, 1)).text()
            assert ("2025-01-30  record item -> meeting held" in text) is sees, who
            png = cli("timeline", DR_CASE, "--user", who, "--on", "2025-05-01", "--format",
                      "png").stdout_bytes
            assert png == stored.timeline_for(DR_CASE, who, on=dt.date(2025, 5, 1)).render("png")
    assert drawn == mine.render("text")
    assert "[missed] arrange mediation education social care" in drawn
    assert "state: certificate issued" in drawn
    assert shown["certificates"][0]["kind"] == "not_arranged_in_time"
    assert {d["key"]: d["status"] for d in shown["deadlines"]} == {
        "mediation_adviser_contact": "met",
        "arrange_mediation_education_social_care": "missed",
        "deemed_certificate": "met",
    }
    dr = json.loads(cli("show", DR_CASE, "--user", PROVIDER, "--format", "json").stdout)
    assert dr["agreement_level"] == "partial_agreement"
    assert {i["issue_id"]: (i["outcome"], i["unresolved"]) for i in dr["issues"]} == {
        "review": ("agreed", False), "speech": ("not_agreed", True)}
    assert dr["provider"]["name"] == "Global Mediation"

    listed = json.loads(cli("list", "--user", OFFICER, "--format", "json").stdout)
    assert [c["case_id"] for c in listed["cases"]] == [DR_CASE, MED_CASE]
    assert [c["case_id"] for c in json.loads(
        cli("list", "--user", ADVISER, "--format", "json").stdout)["cases"]] == [MED_CASE]
    bundle = json.loads(cli("export", MED_CASE, "--kind", "tribunal", "--user", CLERK,
                            "--format", "json").stdout)
    assert bundle["appeal_deadline"] == expected
    assert [i["item_id"] for i in bundle["items"]] == ["letter-1"]
    trail = json.loads(cli("audit", DR_CASE, "--user", OFFICER, "--format", "json").stdout)
    assert [e["outcome"] for e in trail["entries"]].count("refused_unauthorised") == 1
    sar = json.loads(cli("export", MED_CASE, "--kind", "subject-access", "--subject", "parent",
                         "--user", PARENT, "--format", "json").stdout)
    assert sar["subject_id"] == "parent"

    # The walkthrough ends with the appeal deadline where an officer looks for what is due:
    # `due` over the week that holds it, and the iCalendar feed.
    week = ["due", "--from", "2025-05-08", "--within", "7d", "--council", "sefton",
            "--db", case_db]
    due = CliRunner().invoke(main, [*week, "--format", "json"])
    assert due.exit_code == 0, due.output
    rows = json.loads(due.output)["deadlines"]
    assert any(r["case_id"] == MED_CASE and r["due"] == expected for r in rows), rows
    feed = CliRunner().invoke(main, [*week, "--format", "ics"])
    assert feed.exit_code == 0, feed.output
    assert f"DTSTART;VALUE=DATE:{expected.replace('-', '')}" in feed.output
    assert MED_CASE in feed.output

    # It ends with the appeal deadline, as case show prints it.
    final = cli("show", MED_CASE, "--user", PARENT).stdout
    assert final.rstrip().splitlines()[-3] == f"Appeal deadline: {expected}"


# --- hostile input --------------------------------------------------------------------------


def _dump(path: Path) -> tuple[dict[str, list[str]], list[tuple[Any, ...]]]:
    """Every table but the audit trail (and its chain heads), and the audit rows."""
    with closing(sqlite3.connect(path)) as c:
        names = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        tables = {n: sorted(repr(r) for r in c.execute(f"SELECT * FROM {n}"))
                  for n in names if n not in ("audit", "audit_chain", "sqlite_sequence")}
        audit = list(c.execute("SELECT seq, action, outcome FROM audit ORDER BY seq"))
    return tables, audit


def _hostile_cases(tmp: Path) -> list[tuple[list[str], str | None, int]]:
    def doc(name: str, text: str) -> str:
        path = tmp / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    bad_json = doc("bad.json", '{"kind": "mediation", ')
    array = doc("array.json", "[1, 2]")
    nested = doc("nested.json", "[" * 100_000 + "]" * 100_000)
    missing = doc("missing.json", '{"kind": "disagreement_resolution"}')
    wrong = doc("wrong.json", json.dumps({
        "kind": "disagreement_resolution", "case_id": 7, "council": ["E08000014"],
        "parties": "everyone", "issues": {"a": 1}}))
    dr_open = json.loads((INPUTS / "dr-open.json").read_text())
    unknown_council = doc("council.json", json.dumps(
        {**dr_open, "case_id": "sefton-dr-0099", "council": "E09000001"}))
    existing = doc("existing.json", json.dumps(dr_open))
    duplicate = doc("dup.json", '{"party_id": "parent", "party_id": "sefton"}')
    not_utf8 = tmp / "latin1.json"
    not_utf8.write_bytes(b'{"party_id": "caf\xe9"}')
    big = doc("big.json", '{"party_id": "' + "x" * 1_100_000 + '"}')
    outcome = str(INPUTS / "dr-outcome.json")
    certificate = str(INPUTS / "med-certificate.json")
    agree_parent = str(INPUTS / "agree-parent.json")
    wrong_types = doc("types.json", '{"outcomes": {"review": 1, "speech": null}}')
    bad_date = doc("date.json", '{"on": "2025-02-30"}')
    cases: list[tuple[list[str], str | None, int]] = [
        (["open", "--input", bad_json, "--user", OFFICER], None, 2),
        (["open", "--input", "-", "--user", OFFICER], "{{{", 2),
        (["open", "--input", array, "--user", OFFICER], None, 2),
        (["open", "--input", nested, "--user", OFFICER], None, 2),
        (["open", "--input", missing, "--user", OFFICER], None, 2),
        (["open", "--input", wrong, "--user", OFFICER], None, 2),
        (["open", "--input", unknown_council, "--user", OFFICER], None, 2),
        (["open", "--input", existing, "--user", OFFICER], None, 2),
        (["open", "--input", str(tmp / "absent.json"), "--user", OFFICER], None, 2),
        (["open", "--input", existing, "--user", PARENT], None, 2),
        (["open", "--input", existing, "--user", "nobody"], None, 2),
        (["open", "--input", existing, "--user", "system"], None, 2),
        (["open", "--input", existing], None, 2),
        (["open", "--input", existing, "--user", OFFICER, "--at", "2999-01-01T00:00:00Z"],
         None, 2),
        (["step", DR_CASE, "agree", "--input", duplicate, "--user", PARENT], None, 2),
        (["step", DR_CASE, "agree", "--input", str(not_utf8), "--user", PARENT], None, 2),
        (["step", DR_CASE, "agree", "--input", big, "--user", PARENT], None, 2),
        (["step", DR_CASE, "no_such_step", "--user", OFFICER], None, 2),
        (["step", DR_CASE, "open", "--user", OFFICER], None, 2),
        (["step", DR_CASE, "record_outcome", "--input", wrong_types, "--user", PROVIDER],
         None, 2),
        (["step", MED_CASE, "issue_certificate", "--input", bad_date, "--user", ADVISER],
         None, 2),
        # A role forging another's step: each refused by the permission table (audited).
        (["step", DR_CASE, "record_outcome", "--input", outcome, "--user", PARENT], None, 2),
        (["step", DR_CASE, "record_outcome", "--input", outcome, "--user", OFFICER], None, 2),
        (["step", MED_CASE, "agree", "--input", agree_parent, "--user", OFFICER], None, 2),
        (["step", MED_CASE, "issue_certificate", "--input", certificate, "--user", OFFICER],
         None, 2),
        (["step", MED_CASE, "issue_certificate", "--input", certificate, "--user", PROVIDER],
         None, 2),
        (["step", MED_CASE, "sweep", "--input", "-", "--user", OFFICER],
         '{"today": "2025-12-31"}', 2),
        (["step", "no-such-case", "close", "--user", OFFICER], None, 2),
        (["step", "bad case id!", "close", "--user", OFFICER], None, 2),
        (["step", MED_CASE, "close", "--user", OFFICER, "--expected-version", "1"], None, 2),
        (["step", MED_CASE, "close", "--user", OFFICER, "--at", "yesterday"], None, 2),
        (["step", MED_CASE, "close", "--user", OFFICER, "--at", "2025-05-01T10:00:00"], None, 2),
        (["step", MED_CASE, "close", "--user", OFFICER, "--at", "2025-05-01T10:00:00+01:00"],
         None, 2),
        (["step", MED_CASE, "close", "--user", OFFICER, "--at", "2020-01-01T10:00:00Z"], None, 2),
        (["step", MED_CASE, "close", "--user", OFFICER, "--expected-version", "x"], None, 2),
        (["sweep", MED_CASE, "--user", PROVIDER], None, 2),
        (["sweep", MED_CASE, "--user", "nobody"], None, 2),
        (["list", "--user", "nobody"], None, 2),
        (["list", "--user", OFFICER, "--actors", bad_json], None, 2),
        (["list", "--user", OFFICER, "--actors", str(tmp / "absent.json")], None, 2),
        (["list", "--user", OFFICER, "--kind", "neither"], None, 2),
        (["show", DR_CASE, "--user", ADVISER], None, 2),
        (["show", "no-such-case", "--user", OFFICER], None, 2),
        (["export", DR_CASE, "--kind", "tribunal", "--user", OFFICER], None, 2),
        (["export", DR_CASE, "--kind", "tribunal", "--user", PARENT], None, 2),
        (["export", DR_CASE, "--kind", "subject-access", "--user", OFFICER], None, 2),
        (["export", DR_CASE, "--kind", "subject-access", "--subject", "sefton",
          "--user", OFFICER], None, 2),
        (["export", DR_CASE, "--kind", "subject-access", "--subject", "parent",
          "--release", "offer-1", "--user", OFFICER], None, 2),
        (["export", DR_CASE, "--kind", "everything", "--user", CLERK], None, 2),
        (["audit", DR_CASE, "--user", PARENT], None, 2),
        (["audit", DR_CASE, "--user", CLERK], None, 2),
        (["audit", DR_CASE, "--user", PROVIDER], None, 2),
    ]
    # An unreachable server and a missing directory, for every subcommand: exit 3.
    for url in ("postgresql://127.0.0.1:1/x", f"sqlite:///{tmp / 'nowhere' / 'x.sqlite3'}"):
        for args in (["open", "--input", existing], ["step", DR_CASE, "close"],
                     ["sweep", MED_CASE], ["list"], ["show", DR_CASE],
                     ["export", DR_CASE, "--kind", "tribunal"], ["audit", DR_CASE]):
            cases.append(([*args, "--user", OFFICER, "--db", url], None, 3))
    return cases


def test_hostile_input_to_every_subcommand(tmp_path: Path) -> None:
    db = tmp_path / "w.sqlite3"
    run(db)
    cli = Cli(f"sqlite:///{db}")
    before_tables, before_audit = _dump(db)
    for args, stdin, code in _hostile_cases(tmp_path):
        for fmt in ("text", "json"):
            result = cli(*args, "--format", fmt, stdin=stdin, code=code)
            if fmt == "json":  # click's usage errors (a bad choice or number) too
                error = json.loads(result.stdout)
                assert error["exit_code"] == code and error["error"], args
                assert "Usage:" not in result.output, args
            else:
                assert result.output.startswith(("error:", "Invalid input:", "Usage:")), args
    after_tables, after_audit = _dump(db)
    assert after_tables == before_tables  # no case, version, deadline or outbox row changed
    assert after_audit[: len(before_audit)] == before_audit
    added = after_audit[len(before_audit):]
    assert added and all(o.startswith("refused") or o == "invalid" for _, _, o in added), added


# --- the without-prejudice canary -----------------------------------------------------------

CANARY = "CANARY-7f3a wp offer: two extra speech therapy sessions a term"


def test_without_prejudice_text_never_reaches_a_role_that_may_not_read_it(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    shutil.copytree(INPUTS, inputs)
    offer = json.loads((inputs / "dr-offer.json").read_text())
    (inputs / "dr-offer.json").write_text(json.dumps({**offer, "text": CANARY}))
    cli = Cli(f"sqlite:///{tmp_path / 'c.sqlite3'}", inputs=inputs)
    walkthrough(cli)
    # The parent may read it: the canary is really there.
    assert CANARY in cli("show", DR_CASE, "--user", PARENT).stdout
    assert CANARY in cli("show", DR_CASE, "--user", PROVIDER, "--format", "json").stdout

    outputs: list[str] = []
    for fmt in ("text", "json"):
        f = ["--format", fmt]
        outputs += [
            cli("show", DR_CASE, "--user", OFFICER, *f).output,
            cli("show", DR_CASE, "--user", CLERK, *f).output,
            cli("export", DR_CASE, "--kind", "tribunal", "--user", CLERK, *f).output,
            cli("export", MED_CASE, "--kind", "tribunal", "--user", CLERK, *f).output,
            cli("export", DR_CASE, "--kind", "subject-access", "--subject", "parent",
                "--user", OFFICER, *f).output,
            cli("audit", DR_CASE, "--user", OFFICER, *f).output,
            cli("list", "--user", OFFICER, *f).output,
            # Errors: refused reads, refused exports, a rejected release, a repeated item.
            cli("show", DR_CASE, "--user", ADVISER, *f, code=2).output,
            cli("export", DR_CASE, "--kind", "tribunal", "--user", OFFICER, *f, code=2).output,
            cli("export", DR_CASE, "--kind", "subject-access", "--subject", "parent",
                "--release", "offer-1", "--user", OFFICER, *f, code=2).output,
            cli("audit", DR_CASE, "--user", CLERK, *f, code=2).output,
            cli("step", MED_CASE, "record_item", "--input", str(inputs / "dr-offer.json"),
                "--user", OFFICER, "--at", "2025-04-14T11:00:00Z", *f, code=2).output,
            cli("step", DR_CASE, "record_item", "--input", str(inputs / "dr-offer.json"),
                "--user", OFFICER, *f, code=2).output,
            cli("step", DR_CASE, "record_item", "--input", "-", "--user", OFFICER, *f,
                stdin='{"text": "' + CANARY + '", ', code=2).output,
            cli("step", DR_CASE, "record_outcome", "--input", "-", "--user", PROVIDER, *f,
                stdin=json.dumps({"outcomes": {"review": CANARY}}), code=2).output,
        ]
    for out in outputs:
        assert CANARY not in out
        assert "speech therapy" not in out


# --- the how-to, run command by command ----------------------------------------------------


def _console_commands(text: str) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) of every ```console block, in order."""
    out: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                out.append((line[2:], []))
            else:
                assert out, "a console block starts with a command"
                out[-1][1].append(line.rstrip())
    return out


def _matches(expected: list[str], actual: list[str]) -> bool:
    """``actual`` is ``expected`` line by line; a ``...`` line stands for any lines and a line
    ending in ``...`` for any line starting with what comes before it."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head == "...":
        return any(_matches(rest, actual[i:]) for i in range(len(actual) + 1))
    if not actual:
        return False
    line = actual[0]
    same = line.startswith(head[:-3]) if head.endswith("...") else line == head
    return same and _matches(rest, actual[1:])


def test_every_command_of_the_how_to_runs_as_shown(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    commands = _console_commands(HOWTO.read_text())
    assert len(commands) > 30
    monkeypatch.chdir(ROOT)  # the page's paths are relative to the root of a clone
    env: dict[str, str | None] = {"SEN_DISAGREEMENT_USER": None}
    last = 0
    ran: set[str] = set()
    for command, expected in commands:
        words = shlex.split(command)
        if words[0] == "export":
            name, value = words[1].split("=", 1)
            # The store is this test's own file; everything else as the page says.
            env[name] = (f"sqlite:///{tmp_path / 'cases.sqlite3'}"
                         if name == "SEN_DISAGREEMENT_DB" else value)
            continue
        if words == ["echo", "$?"]:
            assert expected == [str(last)], command
            continue
        assert words[0] == "sen-disagreement", command
        stdin = None
        if "<" in words:
            at = words.index("<")
            stdin = Path(words[at + 1]).read_text()
            words = words[:at] + words[at + 2:]
        result = CliRunner().invoke(main, words[1:], env=env, input=stdin)
        assert not isinstance(result.exception, Exception), (command, result.output)
        last = result.exit_code
        actual = [line.rstrip() for line in result.output.rstrip("\n").splitlines()]
        assert _matches(expected, actual), (command, "\n".join(actual))
        ran.add(words[2])
    assert ran == {"open", "step", "sweep", "list", "show", "export", "audit"}
    assert os.environ.get("SEN_DISAGREEMENT_DB") != env["SEN_DISAGREEMENT_DB"]


# --- withdrawal, decline and a held mediation, step by step ---------------------------------------

MEDIATOR = "mediator-1"


@pytest.fixture
def step_cli(tmp_path: Path) -> Cli:
    """A fresh SQLite store, and the how-to's actors with a mediator's user."""
    actors = json.loads(ACTORS.read_text())
    actors["users"].append({"id": MEDIATOR, "role": "mediator", "organisation": "mediator"})
    path = tmp_path / "actors.json"
    path.write_text(json.dumps(actors), encoding="utf-8")
    return Cli(f"sqlite:///{tmp_path / 'cases.sqlite3'}", actors=path)


def _step(cli: Cli, case_id: str, step: str, user: str, at: str,
          doc: dict[str, Any] | None = None, code: int = 0) -> Result:
    extra = ["--input", "-"] if doc is not None else []
    return cli("step", case_id, step, *extra, "--user", user, "--at", at, "--format", "json",
               stdin=None if doc is None else json.dumps(doc), code=code)


def _show(cli: Cli, case_id: str, user: str = OFFICER) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(cli("show", case_id, "--user", user, "--format",
                                         "json").stdout)
    return out


def _mediation_wanted(cli: Cli, *, want: bool) -> None:
    cli("open", "--user", OFFICER, "--input", str(INPUTS / "med-open.json"),
        "--at", "2025-03-03T10:00:00Z")
    _step(cli, MED_CASE, "contact_adviser", PARENT, "2025-03-10T10:00:00Z",
          json.loads((INPUTS / "med-contact-adviser.json").read_text()))
    _step(cli, MED_CASE, "give_information", ADVISER, "2025-03-10T11:00:00Z",
          {"on": "2025-03-10"})
    if want:
        _step(cli, MED_CASE, "agree", PARENT, "2025-03-12T10:00:00Z",
              {"party_id": "parent", "told_la_on": "2025-03-12"})
    else:
        _step(cli, MED_CASE, "decline", PARENT, "2025-03-12T10:00:00Z",
              {"party_id": "parent", "on": "2025-03-12"})


def test_a_party_withdraws_from_disagreement_resolution_through_case_step(
    step_cli: Cli,
) -> None:
    cli = step_cli
    cli("open", "--user", OFFICER, "--input", str(INPUTS / "dr-open.json"),
        "--at", "2025-01-13T10:00:00Z")
    _step(cli, DR_CASE, "seek_agreement", OFFICER, "2025-01-13T11:00:00Z")
    _step(cli, DR_CASE, "agree", PARENT, "2025-01-15T10:00:00Z", {"party_id": "parent"})
    # The officer cannot withdraw the parent: refused.
    _step(cli, DR_CASE, "withdraw", OFFICER, "2025-01-20T10:00:00Z",
          {"party_id": "parent", "on": "2025-01-20"}, code=2)
    done = json.loads(_step(cli, DR_CASE, "withdraw", PARENT, "2025-01-20T10:00:00Z",
                            {"party_id": "parent", "on": "2025-01-20"}).stdout)
    view = _show(cli, DR_CASE)
    assert view["state"] == done["state"] == "closed"
    assert (view["closure"], view["closed_on"]) == ("withdrawn", "2025-01-20")
    assert [(e["party_id"], e["decision"]) for e in view["consent"]] == [
        ("parent", "agreed"), ("parent", "withdrawn")]
    # The case is closed: nothing more can be done in it.
    _step(cli, DR_CASE, "agree", PARENT, "2025-01-21T10:00:00Z", {"party_id": "parent"},
          code=2)


def test_declining_mediation_through_case_step_gets_the_advisers_certificate(
    step_cli: Cli,
) -> None:
    cli = step_cli
    _mediation_wanted(cli, want=False)
    assert _show(cli, MED_CASE)["state"] == "declined"
    _step(cli, MED_CASE, "issue_certificate", ADVISER, "2025-03-13T10:00:00Z",
          {"on": "2025-03-13"})
    view = _show(cli, MED_CASE)
    [cert] = view["certificates"]
    assert (cert["kind"], cert["issued_by"]) == ("declined", "adviser")
    assert view["appeal_deadline"] == cert["appeal_deadline"]
    text = cli("show", MED_CASE, "--user", OFFICER).stdout
    assert "Certificate (declined) issued 2025-03-13 by Example mediation adviser" in text


def test_a_held_mediation_through_case_step_the_mediator_issues_the_certificate(
    step_cli: Cli,
) -> None:
    cli = step_cli
    _mediation_wanted(cli, want=True)
    _step(cli, MED_CASE, "record_issue", PARENT, "2025-03-12T10:00:00Z",
          json.loads((INPUTS / "med-issue.json").read_text()))
    _step(cli, MED_CASE, "confirm_issues", OFFICER, "2025-03-12T11:00:00Z")
    _step(cli, MED_CASE, "choose_route", OFFICER, "2025-03-12T12:00:00Z")
    _step(cli, MED_CASE, "arrange_meeting", OFFICER, "2025-03-14T10:00:00Z",
          {"meeting_date": "2025-03-31", "mediator_id": "mediator",
           "mediator": {"kind": "mediator", "name": "Example Mediation Ltd"}})
    _step(cli, MED_CASE, "hold_meeting", MEDIATOR, "2025-03-31T15:00:00Z", {"on": "2025-03-31"})
    assert _show(cli, MED_CASE)["state"] == "held"
    # The adviser does not issue the certificate after mediation: the mediator does.
    _step(cli, MED_CASE, "issue_certificate", ADVISER, "2025-03-31T16:00:00Z",
          {"on": "2025-03-31"}, code=2)
    _step(cli, MED_CASE, "issue_certificate", MEDIATOR, "2025-03-31T16:00:00Z",
          {"on": "2025-03-31"})
    _step(cli, MED_CASE, "record_agreement", MEDIATOR, "2025-03-31T17:00:00Z",
          {"document_id": "agreement", "text": "Agreed: a review of section F",
           "agreed_on": "2025-03-31",
           "actions": [{"action_id": "assess", "kind": "appealable", "by": "local_authority",
                        "order_clock_ids": ["order_assess_notify"]}]})
    view = _show(cli, MED_CASE)
    assert view["state"] == "agreement_recorded"
    assert view["meeting"]["held_on"] == "2025-03-31"
    [cert] = view["certificates"]
    assert (cert["kind"], cert["issued_by"], cert["issued_by_name"]) == (
        "after_mediation", "mediator", "Example Mediation Ltd")
    duties = {d["key"]: d["status"] for d in view["deadlines"]}
    assert duties["order_assess_notify.assess"] == "running"
    text = cli("show", MED_CASE, "--user", OFFICER).stdout
    assert "Certificate (after_mediation) issued 2025-03-31 by Example Mediation Ltd" in text
    assert "by Example mediation adviser" not in text


def test_actors_dash_reads_the_actor_directory_from_stdin(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cases.sqlite3'}"
    env = {"SEN_DISAGREEMENT_DB": db, "SEN_DISAGREEMENT_ACTORS": None,
           "SEN_DISAGREEMENT_USER": None}
    actors = ACTORS.read_text()
    opened = CliRunner().invoke(main, [
        "case", "open", "--actors", "-", "--user", OFFICER, "--format", "json",
        "--input", str(INPUTS / "dr-open.json"), "--at", "2025-01-13T10:00:00Z"],
        env=env, input=actors)
    assert opened.exit_code == 0, opened.output
    listed = CliRunner().invoke(main, ["case", "list", "--actors", "-", "--user", OFFICER,
                                       "--format", "json"], env=env, input=actors)
    assert listed.exit_code == 0, listed.output
    assert DR_CASE in listed.stdout
    # Through the environment too.
    shown = CliRunner().invoke(main, ["case", "show", DR_CASE, "--user", OFFICER],
                               env={**env, "SEN_DISAGREEMENT_ACTORS": "-"}, input=actors)
    assert shown.exit_code == 0, shown.output


def test_only_one_option_may_read_stdin() -> None:
    result = CliRunner().invoke(main, [
        "case", "open", "--actors", "-", "--input", "-", "--user", OFFICER, "--format", "json",
        "--db", "sqlite:///never.sqlite3"], input="{}")
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)
    assert error["problems"][0]["rule_id"] == "input.file"
    assert "stdin" in error["problems"][0]["message"]
    assert not Path("never.sqlite3").exists()


@pytest.mark.parametrize("sub", ["", "open", "step", "sweep", "list", "show", "export", "audit",
                                 "timeline"])
def test_every_subcommand_has_short_help(sub: str) -> None:
    result = CliRunner().invoke(main, ["case", *([sub] if sub else []), "-h"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    if sub:
        assert all(o in result.output for o in ("--user", "--actors", "--db", "--format"))
