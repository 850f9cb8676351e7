"""A hostile review of ``sen-disagreement case|due|sweep|rules`` and the council door.

Each ``test_problem_*`` test names a problem this review found: it FAILS until the problem is
fixed (nothing here is skipped or marked xfail on purpose). Each ``test_refused_*`` /
``test_holds_*`` test pins an attack that is correctly refused today, so it stays refused.

The store is the how-to's walkthrough (docs/how-to/run-a-case-from-the-command-line.md), built
once from copies of docs/how-to/case-inputs/ and copied for every test that writes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sen_disagreement.cli import main
from sen_disagreement.council import canonical_council
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.plugins import Hooks, make_plugin_manager

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ROOT / "docs" / "how-to" / "case-inputs"
EXE = str(Path(sys.executable).with_name("sen-disagreement"))

OFFICER, PARENT, PROVIDER = "sen-casework-1", "sam.parent", "gm-practitioner-1"
ADVISER, CLERK = "adviser-1", "tribunal-clerk-1"
DR, MED = "sefton-dr-0001", "sefton-med-0001"
CANARY = "CANARY-WP-7c1e speech therapy offer for Jamie"

EXTRA_USERS: list[dict[str, Any]] = [
    {"id": "other-la", "role": "la_officer", "council": "E09000033"},
    {"id": "slug-la", "role": "la_officer", "council": "sefton"},
    {"id": "num-la", "role": "la_officer", "council": "343"},
    {"id": "upper-la", "role": "la_officer", "council": "SEFTON"},
    {"id": "name-la", "role": "la_officer", "council": "Sefton"},
    {"id": "stranger", "role": "family", "grants": []},
    {"id": "forged-parent", "role": "family",
     "grants": [{"case_id": DR, "party_id": "sefton"}]},
]


class Cli:
    """``sen-disagreement ...`` in-process, on one store and one actor file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.inputs = root / "in"
        self.db = root / "cases.sqlite3"
        self.env: dict[str, str | None] = {
            "SEN_DISAGREEMENT_DB": f"sqlite:///{self.db}",
            "SEN_DISAGREEMENT_ACTORS": str(self.inputs / "actors.json"),
            "SEN_DISAGREEMENT_USER": None,
        }

    def run(self, *args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), env=self.env, input=stdin)

    def case(self, *args: str, code: int | None = 0, stdin: str | None = None) -> Result:
        result = self.run("case", *args, stdin=stdin)
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit), (args, result.output, result.exception)
        assert "Traceback" not in result.output
        if code is not None:
            assert result.exit_code == code, (args, result.exit_code, result.output)
        return result

    def doc(self, name: str, content: object) -> str:
        path = self.root / name
        path.write_text(json.dumps(content), encoding="utf-8")
        return str(path)

    def audit(self, case_id: str = DR) -> list[dict[str, Any]]:
        out = self.case("audit", case_id, "--user", OFFICER, "--format", "json").stdout
        entries: list[dict[str, Any]] = json.loads(out)["entries"]
        return entries


def _build(root: Path) -> None:
    shutil.copytree(INPUTS, root / "in")
    actors = json.loads((root / "in" / "actors.json").read_text(encoding="utf-8"))
    actors["users"].extend(EXTRA_USERS)
    (root / "in" / "actors.json").write_text(json.dumps(actors), encoding="utf-8")
    cli = Cli(root)
    i = cli.inputs

    def step(case_id: str, name: str, user: str, at: str, doc: str | None = None) -> None:
        extra = ["--input", str(i / doc)] if doc else []
        cli.case("step", case_id, name, *extra, "--user", user, "--at", at)

    cli.case("open", "--user", OFFICER, "--input", str(i / "dr-open.json"),
             "--at", "2025-01-13T10:00:00Z")
    step(DR, "seek_agreement", OFFICER, "2025-01-13T11:00:00Z")
    step(DR, "agree", PARENT, "2025-01-15T10:00:00Z", "agree-parent.json")
    step(DR, "agree", OFFICER, "2025-01-16T10:00:00Z", "agree-sefton.json")
    step(DR, "assign_provider", OFFICER, "2025-01-16T12:00:00Z")
    step(DR, "arrange_meeting", PROVIDER, "2025-01-17T10:00:00Z", "dr-arrange.json")
    step(DR, "hold_meeting", PROVIDER, "2025-01-30T15:00:00Z", "dr-hold.json")
    canary = cli.doc("canary-offer.json", {
        "item_id": "offer-9", "kind": "offer", "disclosure": "without_prejudice",
        "in_meeting": True, "text": CANARY})
    cli.case("step", DR, "record_item", "--input", canary, "--user", OFFICER,
             "--at", "2025-01-30T15:00:00Z")
    cli.case("open", "--user", OFFICER, "--input", str(i / "med-open.json"),
             "--at", "2025-03-03T10:00:00Z")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile-base")
    _build(root)
    return root


@pytest.fixture
def cli(base: Path, tmp_path: Path) -> Cli:
    """A private copy of the walkthrough store (and its inputs) for one test."""
    root = tmp_path / "w"
    shutil.copytree(base, root)
    return Cli(root)


def _subprocess(args: list[str], env: dict[str, str | None], timeout: float,
                shell_prefix: str = "") -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in env}
    full.update({k: v for k, v in env.items() if v is not None})
    if shell_prefix:
        quoted = " ".join("'" + a.replace("'", "'\\''") + "'" for a in args)
        return subprocess.run(["bash", "-c", f"{shell_prefix}; exec {quoted}"], env=full,
                              capture_output=True, text=True, timeout=timeout, check=False)
    return subprocess.run(args, env=full, capture_output=True, text=True, timeout=timeout,
                          check=False)


# ================================================================================================
# PROBLEMS (each fails until fixed)
# ================================================================================================


def test_problem_step_refusal_not_audited_when_at_is_before_2014(cli: Cli) -> None:
    """An officer giving the parent's agreement is refused and the refusal audited, except when
    the caller adds ``--at 2000-01-01T00:00:00Z``: then the store's event-time check fires first,
    the error names ``store.event_time`` instead of the access rule, and no audit entry is
    written. Refusals can be kept out of the audit trail at will."""
    before = len(cli.audit())
    result = cli.case("step", DR, "agree", "--input", str(cli.inputs / "agree-parent.json"),
                      "--user", OFFICER, "--at", "2000-01-01T00:00:00Z", code=2)
    after = cli.audit()
    assert len(after) == before + 1, result.output
    assert after[-1]["action"] == "step.agree"
    assert after[-1]["outcome"] == "refused_unauthorised"


def test_problem_case_sweep_read_refusal_not_audited_when_at_is_before_2014(cli: Cli) -> None:
    """``case sweep`` by a user with no part in the case is a refused read (audited), unless
    the caller dates it before 2014-09-01: the audit append then fails and nothing is kept."""
    before = len(cli.audit())
    cli.case("sweep", DR, "--user", "stranger", "--at", "2000-01-01T00:00:00Z", code=2)
    after = cli.audit()
    assert len(after) == before + 1
    assert after[-1]["actor"] == "stranger" and after[-1]["outcome"] == "refused"


def test_problem_case_sweep_refusal_audit_entry_dated_in_year_9999(cli: Cli) -> None:
    """``case sweep --at 9999-12-31T23:59:59Z`` by a stranger: service.case_for records the
    refusal at the caller's time without the future check that every step gets, so the audit
    trail gains an entry dated in 9999."""
    cli.case("sweep", DR, "--user", "stranger", "--at", "9999-12-31T23:59:59Z", code=2)
    latest = max(dt.datetime.fromisoformat(e["at"]) for e in cli.audit())
    assert latest <= dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5), latest


def test_problem_refusal_audit_entry_backdated_before_case_was_opened(cli: Cli) -> None:
    """A refused step's audit entry takes the caller's ``--at``: a refusal made today can be
    recorded as of 2014, before the case was even opened (2025-01-13). A refusal happens when it
    is made; only events recorded after the fact may be dated back."""
    cli.case("step", DR, "agree", "--input", str(cli.inputs / "agree-parent.json"),
             "--user", OFFICER, "--at", "2014-09-02T00:00:00Z", code=2)
    entries = cli.audit()
    opened = dt.datetime.fromisoformat(entries[0]["at"])
    refused = [e for e in entries if e["outcome"] == "refused_unauthorised"]
    assert refused
    assert all(dt.datetime.fromisoformat(e["at"]) >= opened for e in refused), refused


def test_problem_lone_surrogate_in_item_text_is_a_fault_not_bad_input(cli: Cli) -> None:
    """``"text": "\\ud800"`` parses (JSON allows the escape), passes every validator, and
    reaches SQLite, which raises UnicodeEncodeError: exit 3 "unexpected UnicodeEncodeError"
    instead of exit 2 naming ``$.text``."""
    raw = ('{"item_id": "bad-1", "kind": "note", "disclosure": "parties", '
           '"text": "x \\ud800 y"}')
    path = cli.root / "surrogate.json"
    path.write_text(raw, encoding="utf-8")
    result = cli.case("step", DR, "record_item", "--input", str(path), "--user", OFFICER,
                      "--format", "json", code=None)
    assert result.exit_code == 2, result.output
    assert "text" in result.output


def test_problem_enum_error_echoes_document_value(cli: Cli) -> None:
    """The docs promise errors 'never [quote] a value from the document', but an enum fault
    quotes the value (40 characters of it): text pasted into the wrong field (here WP text in
    ``kind``) reaches stderr and any log that keeps it."""
    doc = cli.doc("misplaced.json", {"item_id": "offer-2", "kind": CANARY,
                                     "disclosure": "without_prejudice", "text": "x"})
    result = cli.case("step", DR, "record_item", "--input", doc, "--user", OFFICER, code=2)
    assert "CANARY" not in result.output


def test_problem_actors_file_read_without_size_limit(cli: Cli) -> None:
    """``--actors /dev/zero`` (or any huge file): StaticActorDirectory.from_json reads the whole
    file into memory. Under a 1.5 GB address-space limit the command dies with 'unexpected
    MemoryError' (exit 3); without a limit it takes the machine's memory. --input is bounded
    (1 MB); --actors should be too, and refused as bad input naming --actors."""
    proc = _subprocess([EXE, "case", "list", "--user", OFFICER, "--actors", "/dev/zero"],
                       cli.env, timeout=25, shell_prefix="ulimit -v 1500000")
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-300:])
    assert "--actors" in proc.stderr


def test_problem_due_users_dev_zero_traceback_and_wrong_exit_code(cli: Cli) -> None:
    """``due --users /dev/zero``: the same unbounded read; the MemoryError escapes ``due`` as a
    traceback with exit 1 ('answered no')."""
    proc = _subprocess([EXE, "due", "--officer", OFFICER, "--users", "/dev/zero"], cli.env,
                       timeout=25, shell_prefix="ulimit -v 1500000")
    assert "Traceback" not in proc.stderr, proc.stderr[-300:]
    assert proc.returncode == 2


def test_problem_due_from_near_max_date_overflows_with_traceback(cli: Cli) -> None:
    """``due --from 9999-12-30 --within 7d``: ``day + timedelta(days)`` overflows
    (OverflowError traceback) instead of a typed --from/--within error."""
    result = cli.run("due", "--from", "9999-12-30", "--within", "7d")
    assert not isinstance(result.exception, OverflowError), result.exception
    assert result.exit_code == 2


def test_problem_due_output_to_missing_directory_traceback(cli: Cli) -> None:
    """``due --output /nonexistent-dir/due.ics``: FileNotFoundError escapes _write."""
    result = cli.run("due", "--from", "2025-03-01", "--within", "10w",
                     "--output", str(cli.root / "no-such-dir" / "due.txt"))
    assert not isinstance(result.exception, OSError), result.exception
    assert result.exit_code in (2, 3)


def test_problem_due_users_error_names_path_not_the_option(cli: Cli) -> None:
    """``due --users /dev/null``: the error names the field ``path`` (from_json's own name);
    ``case --actors`` remaps it to ``--actors``, ``due`` does not say ``--users``."""
    result = cli.run("due", "--officer", OFFICER, "--users", "/dev/null", "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["problems"][0]["field"] == "--users"


def test_problem_rules_cite_chained_subparagraphs_quadratic_blowup(cli: Cli) -> None:
    """``rules --cite "s.1,(a)(b),(a)(b),..."`` (10 KB): each ``(a)(b)`` continues the previous
    provision, so provision strings grow linearly and matching them against the registry is
    quadratic: ~20 s of CPU for 10 KB, 80 s for 21 KB. There is no length limit on --cite."""
    cite = "s.1" + ",(a)(b)" * 1500 + "."
    started = time.monotonic()
    try:
        proc = _subprocess([EXE, "rules", "--cite", cite], cli.env, timeout=4)
    except subprocess.TimeoutExpired:
        pytest.fail(f"rules --cite took over 4 s for {len(cite)} characters")
    assert proc.returncode in (1, 2)
    assert time.monotonic() - started < 4


def test_problem_release_and_withhold_of_same_item_silently_withholds(cli: Cli) -> None:
    """``--release offer-9 --withhold offer-9``: two contradictory redaction decisions for one
    item; the later dict.update silently wins instead of a typed error."""
    result = cli.case("export", DR, "--kind", "subject-access", "--subject", "parent",
                      "--release", "offer-9", "--withhold", "offer-9", "--user", PARENT,
                      code=None)
    assert result.exit_code == 2, result.output


def test_problem_case_existence_oracle_for_users_with_no_part(cli: Cli) -> None:
    """A user with no part in any case learns which case ids exist: an existing id answers
    'may not see case', a missing one 'is not in the store' (and that probe is not audited).
    Case ids are free text chosen by councils (often a name or an EHCP reference)."""
    present = cli.case("show", DR, "--user", "stranger", "--format", "json", code=2)
    absent = cli.case("show", "sefton-dr-9999", "--user", "stranger", "--format", "json",
                      code=2)
    assert json.loads(present.stdout)["error"] == json.loads(absent.stdout)["error"]


def test_problem_read_commands_create_a_store_at_a_mistyped_path(cli: Cli) -> None:
    """``case list --db typo.sqlite3`` creates an empty store and answers 'no cases' (exit 0);
    ``due`` refuses to create one ('due only reads'), the case read commands do not."""
    typo = cli.root / "typo.sqlite3"
    cli.case("list", "--user", OFFICER, "--db", str(typo), code=None)
    assert not typo.exists()


def test_problem_sqlite_on_character_device_is_untyped_fault(cli: Cli) -> None:
    """``--db /dev/null``: a raw sqlite3.OperationalError escapes the store (reported as
    'unexpected OperationalError'), not the store's typed StoreError."""
    result = cli.case("list", "--user", OFFICER, "--db", "/dev/null", code=3)
    assert "unexpected" not in result.output


# ================================================================================================
# ATTACKS CORRECTLY REFUSED (these pass today and must keep passing)
# ================================================================================================


@pytest.mark.parametrize("user", [OFFICER, PARENT, PROVIDER, ADVISER])
def test_refused_sweep_step_with_caller_chosen_today(cli: Cli, user: str) -> None:
    """``case step ID sweep {"today": "2099-..."}``: the Sweep step is the system actor's."""
    doc = cli.doc("sweep.json", {"today": "2025-12-01"})
    result = cli.case("step", MED, "sweep", "--input", doc, "--user", user, code=2)
    assert "who.sweep" in result.output or "no part" in result.output
    assert cli.case("show", MED, "--user", OFFICER).stdout.count("decision_notified") == 1


@pytest.mark.parametrize("extra", [{"recorded_by": PARENT}, {"actor": PARENT},
                                   {"role": "family"}, {"user": PARENT}])
def test_refused_forged_actor_keys_in_step_document(cli: Cli, extra: dict[str, str]) -> None:
    doc = cli.doc("forged.json", {"party_id": "parent", **extra})
    result = cli.case("step", DR, "withdraw", "--input", doc, "--user", OFFICER, code=2)
    assert "input.unknown_key" in result.output


def test_refused_officer_withdraws_for_parent_claiming_lack_of_capacity(cli: Cli) -> None:
    doc = cli.doc("wd.json", {"party_id": "parent", "on_behalf_lacking_capacity": True})
    result = cli.case("step", DR, "withdraw", "--input", doc, "--user", OFFICER, code=2)
    assert "a party decides for itself" in result.output
    assert cli.audit()[-1]["outcome"] == "refused_unauthorised"


def test_refused_parent_acts_for_the_council_party(cli: Cli) -> None:
    doc = cli.doc("wd.json", {"party_id": "sefton"})
    cli.case("step", DR, "withdraw", "--input", doc, "--user", PARENT, code=2)
    cli.case("step", DR, "withdraw", "--input", doc, "--user", "forged-parent", code=2)


@pytest.mark.parametrize("user", ["other-la", "upper-la", "name-la", "stranger", "forged-parent"])
def test_refused_users_without_a_part_see_nothing(cli: Cli, user: str) -> None:
    assert cli.case("list", "--user", user).stdout.strip() == "no cases"
    cli.case("show", DR, "--user", user, code=2)
    cli.case("audit", DR, "--user", user, code=2)
    cli.case("export", DR, "--kind", "tribunal", "--user", user, code=2)
    for key in ("sefton", "E08000014", "e08000014", "343", "Sefton", " SEFTON "):
        assert cli.case("list", "--user", user, "--council", key).stdout.strip() == "no cases"


@pytest.mark.parametrize("user", ["slug-la", "num-la"])
def test_holds_officer_named_by_slug_or_la_number_is_sefton(cli: Cli, user: str) -> None:
    assert DR in cli.case("list", "--user", user).stdout
    cli.case("audit", DR, "--user", user)


def test_refused_council_key_with_space_in_actor_file(cli: Cli) -> None:
    actors = json.loads((cli.inputs / "actors.json").read_text(encoding="utf-8"))
    actors["users"].append({"id": "ws-la", "role": "la_officer", "council": " E08000014"})
    bad = cli.doc("actors-ws.json", actors)
    result = cli.case("list", "--user", "ws-la", "--actors", bad, code=2)
    assert "actor.council" in result.output


def test_holds_canary_never_reaches_officer_list_audit_export_or_errors(cli: Cli) -> None:
    outputs = [
        cli.case("show", DR, "--user", OFFICER).output,
        cli.case("show", DR, "--user", OFFICER, "--format", "json").output,
        cli.case("show", DR, "--user", CLERK).output,
        cli.case("list", "--user", OFFICER, "--format", "json").output,
        cli.case("audit", DR, "--user", OFFICER, "--format", "json").output,
        cli.case("export", DR, "--kind", "tribunal", "--user", CLERK).output,
        cli.case("export", DR, "--kind", "tribunal", "--user", CLERK, "--format", "json").output,
        cli.case("export", DR, "--kind", "subject-access", "--subject", "parent", "--user",
                 OFFICER).output,
        # a duplicate item id carrying the canary again: the error does not quote it
        cli.case("step", DR, "record_item", "--input", cli.doc("dup.json", {
            "item_id": "offer-9", "kind": "offer", "disclosure": "without_prejudice",
            "in_meeting": True, "text": CANARY}), "--user", OFFICER, code=2).output,
        cli.run("due", "--from", "2025-01-01", "--within", "520w", "--format", "ics").output,
        cli.run("due", "--from", "2025-01-01", "--within", "520w", "--officer", OFFICER,
                "--users", str(cli.inputs / "actors.json"), "--format", "json").output,
    ]
    for out in outputs:
        assert "CANARY" not in out
    # the parent, to whom it is addressed, does see it
    assert CANARY in cli.case("show", DR, "--user", PARENT).output


def test_refused_officer_releasing_wp_item_in_subject_access_export(cli: Cli) -> None:
    result = cli.case("export", DR, "--kind", "subject-access", "--subject", "parent",
                      "--release", "offer-9", "--user", OFFICER, code=2)
    assert "CANARY" not in result.output


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59Z", "2025-01-31T10:00:00",
                                "2025-01-31T10:00:00+01:00", "2025-W05-5", "yesterday",
                                "0001-01-01T00:00:00Z"])
def test_refused_bad_at_values_on_steps(cli: Cli, at: str) -> None:
    cli.case("step", DR, "record_outcome", "--input", str(cli.inputs / "dr-outcome.json"),
             "--user", PROVIDER, "--at", at, code=2)
    assert "meeting_held" in cli.case("show", DR, "--user", OFFICER).stdout


def test_refused_case_sweep_in_the_future_by_a_party(cli: Cli) -> None:
    """A party cannot fast-forward a case to the deemed certificate with ``case sweep``."""
    cli.case("sweep", MED, "--user", PARENT, "--at", "2099-01-01T00:00:00Z", code=2)
    assert "decision_notified" in cli.case("show", MED, "--user", OFFICER).stdout


@pytest.mark.parametrize("as_at", ["2099-01-01", "2025-02-30", "20250301", "2025-W10-1",
                                   "٢٠٢٥-٠٣-٠١"])
def test_refused_daily_sweep_as_at_future_or_malformed(cli: Cli, as_at: str) -> None:
    result = cli.run("sweep", "--as-at", as_at)
    assert result.exit_code == 2 and not isinstance(result.exception, OSError | ValueError)


@pytest.mark.parametrize("within", ["0d", "3661d", "524w", "-1d", "7", "٧d", "1e3d", ""])
def test_refused_due_within_extremes(cli: Cli, within: str) -> None:
    result = cli.run("due", "--within", within, "--format", "json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["rule_id"] == "input.range"


def test_holds_due_within_maximum_from_year_one(cli: Cli) -> None:
    result = cli.run("due", "--from", "0001-01-01", "--within", "3660d")
    assert result.exit_code == 1 and "nothing due" in result.output


@pytest.mark.parametrize("content", [
    "[" * 200_000 + "]" * 200_000,
    '{"a":' * 100_000 + "1" + "}" * 100_000,
    '{"party_id": ' + "9" * 100_000 + "}",
    '{"party_id": "parent", "party_id": "sefton"}',
    '{"party_id": "parent", "on": NaN}',
    "\ufeff{}",
    "",
])
def test_refused_json_bombs_and_oddities(cli: Cli, content: str) -> None:
    path = cli.root / "bomb.json"
    path.write_text(content, encoding="utf-8")
    cli.case("step", DR, "withdraw", "--input", str(path), "--user", PARENT, code=2)


def test_refused_input_paths_dev_zero_directory_missing(cli: Cli) -> None:
    for source in ("/dev/zero", str(cli.root), str(cli.root / "missing.json")):
        cli.case("step", DR, "withdraw", "--input", source, "--user", PARENT, code=2)
    for actors in (str(cli.root), str(cli.root / "missing.json"), "/dev/null"):
        result = cli.case("list", "--user", OFFICER, "--actors", actors, code=2)
        assert "--actors" in result.output


def test_refused_unknown_or_malformed_users(cli: Cli) -> None:
    for user in ("nobody", "x" * 10_000, "sen-casework-1\n", "../../etc/passwd", ""):
        cli.case("show", DR, "--user", user, code=2)
    env_user = dict(cli.env, SEN_DISAGREEMENT_USER="nobody")
    result = CliRunner().invoke(main, ["case", "show", DR], env=env_user)
    assert result.exit_code == 2


def test_refused_stale_expected_version_and_extreme_versions(cli: Cli) -> None:
    for version in ("7", "-1", "99999999999999999999999"):
        cli.case("step", DR, "record_outcome", "--input", str(cli.inputs / "dr-outcome.json"),
                 "--user", PROVIDER, "--expected-version", version, code=2)


def test_holds_concurrent_steps_one_winner(cli: Cli) -> None:
    docs = [cli.doc(f"n{i}.json", {"item_id": f"n-{i}", "kind": "note",
                                   "disclosure": "parties", "text": f"t{i}"})
            for i in range(4)]
    env = {k: v for k, v in os.environ.items() if k not in cli.env}
    env.update({k: v for k, v in cli.env.items() if v is not None})
    procs = [subprocess.Popen([EXE, "case", "step", DR, "record_item", "--input", d, "--user",
                               OFFICER, "--expected-version", "8", "--format", "json"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for d in docs]
    codes = []
    for p in procs:
        _out, err = p.communicate(timeout=20)
        assert "Traceback" not in err
        codes.append(p.returncode)
    assert sorted(codes) == [0, 2, 2, 2], codes
    view = json.loads(cli.case("show", DR, "--user", OFFICER, "--format", "json").stdout)
    assert view["version"] == 9


def test_holds_step_name_and_council_key_echo_is_bounded_and_escaped(cli: Cli) -> None:
    long = cli.case("step", DR, "A" * 100_000, "--user", OFFICER, code=2)
    assert len(long.output) < 2_000
    ansi = cli.run("council", "\x1b[2J\x1b[31mX")
    assert "\x1b" not in ansi.output and ansi.exit_code == 2


def _hooks() -> Hooks:
    return Hooks(make_plugin_manager())


@pytest.mark.parametrize("key", ["sefton", "SEFTON", " E08000014 ", "e08000014", "343",
                                 "Sefton", "ſefton"])
def test_holds_council_door_resolves_aliases_only_to_sefton(key: str) -> None:
    assert canonical_council(_hooks(), key).gss_code == "E08000014"


@pytest.mark.parametrize("key", ["sef ton", "sefton\u200b", "３４３", "E08000014;", "0343",
                                 "x" * 10_000, "", "   ", "E0800001４"])
def test_refused_council_door_odd_keys(key: str) -> None:
    with pytest.raises(InvalidInputError):
        canonical_council(_hooks(), key)


@pytest.mark.parametrize("cite", [
    "s.1" + "(1)" * 3000 + "x", "s.1" + ", (1)" * 3000 + "x", "reg 1" + " and 1" * 3000,
    "Sch 1 paras " + "1, " * 3000, ";" * 20_000, "[2020] " + "1 " * 5000, "s.1" + "(" * 10_000,
    "s." + "1" * 20_000 + "x", "s.１２３" * 1000, "CFA s.1" + ": " * 5000, "(a+)+$" * 1000,
    "reg 34(1)\x00", "\ud800",
])
def test_holds_rules_cite_pathological_strings_fast_and_typed(cli: Cli, cite: str) -> None:
    started = time.monotonic()
    result = cli.run("rules", "--cite", cite)
    assert time.monotonic() - started < 2.0
    assert result.exit_code in (0, 1, 2)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                      SystemExit)


def test_holds_stranger_read_refusal_audited(cli: Cli) -> None:
    before = len(cli.audit())
    cli.case("show", DR, "--user", "stranger", code=2)
    after = cli.audit()
    assert len(after) == before + 1 and after[-1]["actor"] == "stranger"
