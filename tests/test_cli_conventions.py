"""One set of conventions for every command: ``--format text|json`` (errors as JSON under json),
``-h`` and ``--help``, ``-`` for stdin wherever a file is read, the exit-code table of
``cli._common`` and no traceback anywhere; then a fuzz of the document-reading commands."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sen_disagreement.cli import COMMANDS, main
from sen_disagreement.cli._common import ExitCode
from sen_disagreement.plugins import BLOCK_ENV_VAR

ROOT = Path(__file__).resolve().parents[1]
EXIT_CODES = {int(code) for code in ExitCode}
# Every command, as it is typed: each subcommand of a group (case, notify, report, store).
COMMAND_LINES = [["classify"], ["schema"], ["settings"], ["deadlines"], ["demo"],
                 ["council"], ["plugins"], ["store", "verify"], ["rules"], ["due"], ["sweep"],
                 ["notify", "run"], ["report", "sen2"], ["report", "metrics"],
                 *(["case", sub] for sub in ("open", "step", "sweep", "list", "show", "export",
                                             "audit", "timeline"))]
GROUPS = [["case"], ["notify"], ["report"], ["store"]]
# The SEN2 return's text form is the CSV the DfE collection takes.
TEXT_FORMAT: dict[tuple[str, ...], str] = {("report", "sen2"): "csv",
                                          ("report", "metrics"): "table"}
# Draws a picture of the case (text, SVG or PNG): no JSON form, so its errors are text (a
# command line it cannot parse under --format json is still answered in JSON).
NO_JSON: set[tuple[str, ...]] = {("case", "timeline")}


def invoke(args: list[str], stdin: str | bytes | None = None) -> Result:
    return CliRunner().invoke(main, args, input=stdin)


def assert_clean(result: Result) -> None:
    """Ended by the CLI's own exit, with a code from the table, and no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception)
    assert result.exit_code in EXIT_CODES, (result.exit_code, result.output[-2000:])
    assert "Traceback" not in result.output


def assert_json_error(result: Result, code: int) -> dict[str, Any]:
    assert_clean(result)
    assert result.exit_code == code, result.output[-2000:]
    report: dict[str, Any] = json.loads(result.stdout)
    assert isinstance(report["error"], str) and report["message"]
    assert report["exit_code"] == code
    for problem in report.get("problems", []):
        assert set(problem) == {"field", "message", "rule_id", "citation"}
    return report


@pytest.fixture(autouse=True)
def _no_blocked_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BLOCK_ENV_VAR, raising=False)


def _command(line: list[str]) -> click.Command:
    command = main.get_command(click.Context(main), line[0])
    assert command is not None
    if len(line) == 2:
        assert isinstance(command, click.Group)
        command = command.get_command(click.Context(command), line[1])
        assert command is not None
    return command


def test_the_list_covers_every_command() -> None:
    assert {line[0] for line in COMMAND_LINES} == set(COMMANDS)
    # ... and every subcommand of every group.
    for group in GROUPS:
        command = _command(group)
        assert isinstance(command, click.Group)
        assert {line[1] for line in COMMAND_LINES if line[0] == group[0]} == set(
            command.list_commands(click.Context(command)))


@pytest.mark.parametrize("line", COMMAND_LINES, ids=" ".join)
def test_every_command_has_format_text_and_json(line: list[str]) -> None:
    option = next(p for p in _command(line).params if p.name == "fmt")
    assert isinstance(option, click.Option) and "--format" in option.opts
    assert isinstance(option.type, click.Choice)
    text = TEXT_FORMAT.get(tuple(line), "text")
    wanted = {text} if tuple(line) in NO_JSON else {text, "json"}
    assert wanted <= set(option.type.choices)
    assert option.default == text


@pytest.mark.parametrize("line", [*COMMAND_LINES, *GROUPS, []], ids=" ".join)
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_every_command_has_short_and_long_help(line: list[str], flag: str) -> None:
    result = invoke([*line, flag])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage:")


def test_stdin_is_dash_wherever_a_file_is_read() -> None:
    doc = (ROOT / "examples/type3_health_during_drawing_up.json").read_text()
    for args in (["classify", "-"], ["classify"]):
        assert invoke([*args, "--format", "json"], doc).exit_code == 0
    request = json.dumps({"events": {"decision_notice_sent": "2025-01-10"}})
    result = invoke(["deadlines", "--input", "-", "--format", "json"], request)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)


@pytest.mark.parametrize("args", [
    ["classify", "/nonexistent/dispute.json"],
    ["deadlines", "--input", "/nonexistent/request.json"],
    ["deadlines", "--event", "decision_notice_sent=2025-W10-1"],
    ["deadlines", "--as-of", "2025-3-1"],
    ["settings", "--council", "nowhere-at-all"],
    ["council", "nowhere-at-all"],
    ["store", "verify", "--db", "sqlite:///x.sqlite3", "--case", "bad id!"],
], ids=lambda a: " ".join(a))
def test_bad_input_is_exit_2_with_a_json_error(args: list[str], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    report = assert_json_error(invoke([*args, "--format", "json"]), 2)
    assert report["problems"]
    text = invoke(args)
    assert_clean(text)
    assert text.exit_code == 2 and text.stdout == ""
    assert text.stderr.startswith(("Invalid input:", "error:"))


@pytest.mark.parametrize("line", COMMAND_LINES, ids=" ".join)
def test_a_command_line_the_parser_refuses_is_a_json_error_under_json(line: list[str]) -> None:
    report = assert_json_error(invoke([*line, "--no-such-option", "--format", "json"]), 2)
    assert report["error"] == "UsageError" and "--no-such-option" in report["message"]
    text = invoke([*line, "--no-such-option"])
    assert text.exit_code == 2 and "Traceback" not in text.output


@pytest.mark.parametrize("line", GROUPS, ids=" ".join)
def test_an_unknown_subcommand_is_a_json_error_under_json(line: list[str]) -> None:
    report = assert_json_error(invoke([*line, "no-such-command", "--format", "json"]), 2)
    assert report["error"] == "UsageError" and "no-such-command" in report["message"]
    text = invoke([*line, "no-such-command"])
    assert text.exit_code == 2 and "Traceback" not in text.output and text.stdout == ""


@pytest.mark.parametrize("args", [
    ["case", "show"], ["case", "step"], ["case", "open"], ["report", "sen2"],
    ["sweep", "--remind-days", "many"], ["notify", "run", "--limit", "lots"],
    ["due", "--format", "json", "--within"], ["case", "list", "--format", "json", "--user"],
], ids=" ".join)
def test_a_missing_or_malformed_argument_is_a_json_error_under_json(args: list[str]) -> None:
    line = args if "--format" in args else [*args, "--format", "json"]
    report = assert_json_error(invoke(line), 2)
    assert report["error"] == "UsageError"


def test_store_verify_that_cannot_open_its_store_is_exit_3(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'nowhere' / 'x.sqlite3'}"
    report = assert_json_error(invoke(["store", "verify", "--db", db, "--format", "json"]), 3)
    assert report["error"] == "StoreError"
    text = invoke(["store", "verify", "--db", db])
    assert text.exit_code == 3 and text.stderr.startswith("error: ")


def test_a_postgres_connection_error_names_host_port_and_cause_never_the_password() -> None:
    pytest.importorskip("psycopg")
    secret = "S3cret-Pw-never-shown"
    for url, where in ((f"postgresql://sen_app:{secret}@127.0.0.1:1/sen", "127.0.0.1:1"),
                       (f"postgresql://sen_app:{secret}@[::1", "5432")):
        result = invoke(["store", "verify", "--db", url, "--format", "json"])
        report = assert_json_error(result, 3)
        assert report["message"].startswith("cannot connect to PostgreSQL at ")
        assert where in report["message"]
        assert secret not in result.output
    refused = invoke(["store", "verify", "--db", f"postgresql://sen_app:{secret}@127.0.0.1:1/x"])
    assert "Connection refused" in refused.stderr and secret not in refused.output


def test_demo_refuses_a_missing_directory_and_a_postgres_url(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "demo.sqlite3"
    report = assert_json_error(invoke(["demo", "--db", str(missing), "--format", "json"]), 2)
    assert report["problems"][0]["field"] == "--db"
    text = invoke(["demo", "--db", str(missing)])
    assert text.exit_code == 2 and "does not exist" in text.stderr
    for url in ("postgresql://sen@db.example.org/sen", "postgres://x", "mysql://y"):
        report = assert_json_error(invoke(["demo", "--db", url, "--format", "json"]), 2)
        assert report["rule_id"] == "cli.demo.sqlite_only"
        assert "SQLite" in report["message"]
    assert not missing.parent.exists()


class _BrokenEntryPoint:
    name = "broken"
    group = "sen_disagreement"

    def load(self) -> object:
        raise ImportError("boom")


class _BrokenDistribution:
    def __init__(self) -> None:
        self.metadata = {"name": "sen-disagreement-broken"}
        self.version = "1"
        self.entry_points = [_BrokenEntryPoint()]


def test_a_broken_plugin_during_demo_is_exit_3_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: [_BrokenDistribution()])
    db = tmp_path / "demo.sqlite3"
    report = assert_json_error(invoke(["demo", "--db", str(db), "--format", "json"]), 3)
    assert report["error"] == "PluginError" and "'broken'" in report["message"]
    text = invoke(["demo", "--db", str(tmp_path / "demo2.sqlite3")])
    assert text.exit_code == 3 and "plugin 'broken'" in text.stderr
    assert_clean(invoke(["plugins", "--format", "json"]))


def test_demo_without_sefton_is_a_typed_error(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.metadata, "distributions", list)
    report = assert_json_error(
        invoke(["demo", "--db", str(tmp_path / "d.sqlite3"), "--format", "json"]), 2)
    assert "Install Sefton's council plugin" in report["message"]


def test_demo_json(tmp_path: Path) -> None:
    result = invoke(["demo", "--db", str(tmp_path / "d.sqlite3"), "--format", "json"])
    if result.exit_code == 2:
        pytest.skip("the Sefton plugin is not installed in this environment")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["classification"]) >= 5 and data["walkthrough"]


def test_a_classify_document_dated_in_9998_is_a_typed_error() -> None:
    doc = {"schema_version": 1, "date": "9998-06-01", "stage": "drawing_up",
           "provision": ["health_care"],
           "parties": [{"kind": "young_person", "date_of_birth": "9998-01-01"},
                       {"kind": "integrated_care_board", "name": "NHS Cheshire and Merseyside"}]}
    report = assert_json_error(invoke(["classify", "--format", "json"], json.dumps(doc)), 2)
    fields = {p["field"] for p in report["problems"]}
    assert {"$.date", "$.parties[0].date_of_birth"} <= fields
    assert {p["rule_id"] for p in report["problems"]} == {"input.date_range"}


@pytest.mark.parametrize("fragment", ["[" * 100_000 + "]" * 100_000, "9" * 5000,
                                      '{"as_of": ' + "[" * 5000 + "]" * 5000 + "}",
                                      '{"events": {"decision_notice_sent": ' + "1" * 4301 + "}}"])
def test_deadlines_refuses_deep_documents_and_huge_integers(fragment: str) -> None:
    report = assert_json_error(invoke(["deadlines", "--input", "-", "--format", "json"],
                                      fragment), 2)
    assert report["problems"][0]["field"] == "$"


@pytest.mark.parametrize("value", ["2025-W10-1", "2025W101", "20250310", "2025-069",
                                   "2025-3-10", "\uff12\uff10\uff12\uff15-03-10",
                                   "2025-03-10T00:00", " 2025-03-10", "+2025-03-10"])
def test_deadlines_takes_yyyy_mm_dd_only(value: str) -> None:
    doc = json.dumps({"events": {"decision_notice_sent": value}})
    report = assert_json_error(invoke(["deadlines", "--input", "-", "--format", "json"], doc), 2)
    assert report["problems"][0]["field"] == "$.events.decision_notice_sent"
    if value == value.strip():  # a flag's NAME=VALUE may have spaces around the value
        flag = invoke(["deadlines", "--event", f"decision_notice_sent={value}"])
        assert flag.exit_code == 2
    good = json.dumps({"events": {"decision_notice_sent": "2025-03-10"}})
    assert invoke(["deadlines", "--input", "-"], good).exit_code == 0


# --- Fuzz: mutated documents -----------------------------------------------------------------

RAW = "@@raw@@"
RAW_FRAGMENTS = ["[" * 3000 + "]" * 3000, "1" * 4400, "-" + "9" * 4400, "1e999", "NaN",
                 '{"a": 1, "a": 2}', "[" * 50 + "]" * 50]
ODD_STRINGS = ["2025-W10-1", "20250310", "2025-02-29", "9998-01-01", "9999-12-31",
               "0001-01-01", "\uff12\uff10\uff12\uff15-01-01", "", " ", "\x00", "\ud800",
               "x" * 20_000, "parent", "E08000014"]
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                         st.text(max_size=20), st.sampled_from(ODD_STRINGS))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
) | st.just(RAW)


def _paths(doc: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.extend(_paths(value, (*here, key)))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out.extend(_paths(value, (*here, i)))
    return out


def _mutate(doc: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    if not path:
        return value if action == "set" else doc
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if action == "set":
        parent[last] = value
    elif action == "delete":
        del parent[last]
    elif isinstance(parent, dict):
        parent[f"{last}-extra"] = value
    else:
        parent.append(value)
    return doc


@st.composite
def mutated(draw: st.DrawFn, bases: list[Any]) -> str:
    doc = json.loads(json.dumps(draw(st.sampled_from(bases))))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(doc)))
        action = draw(st.sampled_from(["set", "set", "delete", "add"]))
        doc = _mutate(doc, path, action, draw(json_values))
    text = json.dumps(doc)
    return text.replace(json.dumps(RAW), draw(st.sampled_from(RAW_FRAGMENTS)))


CLASSIFY_BASES = [json.loads(p.read_text()) for p in sorted((ROOT / "examples").glob("*.json"))]
DEADLINE_BASES: list[Any] = [
    {"events": {"decision_notice_sent": "2025-01-10", "certificate_issued": "2025-02-03"},
     "as_of": "2025-02-10", "mediation_issues": "mixed", "certificate_required": True},
    {"events": {"assessment_request_received": "2025-01-06"},
     "exceptions": [{"kind": "absence_from_area", "start": "2025-02-01", "end": "2025-02-28"}],
     "completed": {"decide_whether_to_assess": "2025-02-20"},
     "settings": {"tribunal_non_working_days": "none"}},
    {"events": {"la_told_wish_to_mediate": "2025-02-03"}, "la_party_to_agreement": False,
     "order_kind": "assess", "transfer_kind": "general"},
]
FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _check_fuzzed(result: Result, fmt: str) -> None:
    assert_clean(result)
    if result.exit_code in (0, 1):
        if fmt == "json":
            json.loads(result.stdout)
        return
    if fmt == "json":
        assert_json_error(result, result.exit_code)
    else:
        assert result.stdout == ""
        # A typed error, or click's usage message for a command line it cannot parse.
        assert result.stderr.startswith(("Invalid input:", "error:", "Usage:")), (
            result.stderr[:500])


@FUZZ
@given(document=mutated(CLASSIFY_BASES), fmt=st.sampled_from(["text", "json"]))
def test_fuzz_classify(document: str, fmt: str) -> None:
    _check_fuzzed(invoke(["classify", "-", "--format", fmt], document.encode("utf-8",
                                                                             "surrogatepass")),
                  fmt)


@FUZZ
@given(document=mutated(DEADLINE_BASES), fmt=st.sampled_from(["text", "json"]))
def test_fuzz_deadlines(document: str, fmt: str) -> None:
    _check_fuzzed(invoke(["deadlines", "--input", "-", "--format", fmt],
                         document.encode("utf-8", "surrogatepass")), fmt)


option_text = st.one_of(st.text(max_size=80), st.sampled_from(ODD_STRINGS))


@settings(max_examples=60, deadline=None)
@given(value=option_text, fmt=st.sampled_from(["text", "json"]))
def test_fuzz_council_and_settings_names(value: str, fmt: str) -> None:
    for args in (["council", value], ["settings", "--council", value],
                 ["council", value, "--route", "mediation"]):
        _check_fuzzed(invoke([*args, "--format", fmt]), fmt)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=option_text, fmt=st.sampled_from(["text", "json"]),
       when=st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)))
def test_fuzz_deadlines_flags(value: str, fmt: str, when: dt.date) -> None:
    for args in (["--event", f"decision_notice_sent={value}"], ["--as-of", value,
                                                                "--event",
                                                                "decision_notice_sent=2025-01-10"],
                 ["--event", f"decision_notice_sent={when.isoformat()}", "--as-of",
                  when.isoformat()],
                 ["--exception", f"absence_from_area={value}"], ["--setting", value]):
        _check_fuzzed(invoke(["deadlines", *args, "--format", fmt]), fmt)
