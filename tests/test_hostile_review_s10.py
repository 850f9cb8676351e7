"""Hostile review of the s10 changes (commits after 0c4d549): typed enum collections and Party
fields, reminder_days from settings and plugins, JSON usage errors, '-' for --actors/--users and
the dated HESC r.12(3) rule for disability discrimination claims. The six breaks it found are
mended; their tests now pass."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from typing import Any

import pytest
import sweep_support as support
from click.testing import CliRunner

from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.cli import main
from sen_disagreement.clocks.compute import dd_claim_rule_12_3
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.parties import Party, PartyKind
from sen_disagreement.settings import Settings, TribunalNonWorkingDays
from sen_disagreement.workflow import CaseParty
from sen_disagreement.workflow._typed import enum_tuple

D = dt.date
MEMBER = next(iter(AppealableDecision))


def _cli(args: list[str], stdin: str | bytes | None = None) -> tuple[int, dict[str, Any]]:
    res = CliRunner().invoke(main, args, input=stdin, env={})
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, json.loads(res.output)


# --- typed enum collections ------------------------------------------------------------------


class _Str(str):
    pass


@pytest.mark.parametrize("bad", [_Str("s51(2)(a)"), b"x", bytearray(b"x"), MEMBER,
                                 [MEMBER.value], [MEMBER, None], 5])
def test_enum_tuple_refuses_str_subclass_bytes_member_and_non_members(bad: object) -> None:
    with pytest.raises(InvalidInputError) as err:
        enum_tuple(bad, AppealableDecision, field="decisions")
    assert err.value.field == "decisions"
    assert err.value.rule_id == "input.type"


def test_enum_tuple_takes_a_generator_and_an_iterator_once() -> None:
    assert enum_tuple((m for m in [MEMBER]), AppealableDecision, field="f") == (MEMBER,)
    assert enum_tuple(iter([MEMBER, MEMBER]), AppealableDecision, field="f") == (MEMBER, MEMBER)


def test_enum_tuple_refuses_a_mapping() -> None:
    with pytest.raises(InvalidInputError):
        enum_tuple({MEMBER: "ignored"}, AppealableDecision, field="decisions")


# --- Party-typed fields -----------------------------------------------------------------------


def test_case_party_refuses_a_string_and_a_dict_for_party() -> None:
    for bad in ("Jane Smith", {"kind": "parent"}):
        with pytest.raises(InvalidInputError) as err:
            CaseParty(party_id="parent", party=bad)  # type: ignore[arg-type]
        assert err.value.field == "party"
        assert err.value.rule_id == "input.type"
        assert "Jane" not in str(err.value)


class _Liar:
    """Claims to be a Party through __class__ (what isinstance reads)."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return Party


def test_case_party_refuses_an_object_lying_about_its_class() -> None:
    with pytest.raises(InvalidInputError):
        CaseParty(party_id="parent", party=_Liar())  # type: ignore[arg-type]


def test_party_subclass_with_lying_eq_is_kept_as_given() -> None:
    class Sneaky(Party):
        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = Party.__hash__

    p = Sneaky(kind=PartyKind.PARENT)
    assert CaseParty(party_id="parent", party=p).party is p


# --- reminder_days -----------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [-1, 61, True, False, 5.0, "5", None, 10**30])
def test_reminder_days_refused_outside_0_to_60_or_not_an_int(bad: object) -> None:
    with pytest.raises(InvalidInputError) as err:
        Settings(reminder_days=bad)  # type: ignore[arg-type]
    assert err.value.field == "reminder_days"
    assert err.value.rule_id == "input.range"


def test_a_plugin_answering_a_forged_reminder_days_is_a_fault_and_the_default_stands() -> None:
    from sen_disagreement.council import CouncilProfile, StoreAttentionQueue
    from sen_disagreement.plugins import Hooks, make_plugin_manager
    from sen_disagreement.plugins.spec import hookimpl
    from sen_disagreement.service import CaseService
    from sen_disagreement.store import open_store
    from sen_disagreement.sweeping import sweep_all
    from sen_disagreement.workflow import records

    class Forger:
        def __init__(self, value: object) -> None:
            self.value = value

        @hookimpl
        def sen_register_councils(self) -> tuple[CouncilProfile, ...]:
            return (CouncilProfile(name="Sefton", gss_code="E08000014", la_number="343",
                                   slug="sefton"),)

        @hookimpl
        def sen_council_settings(self, council: CouncilProfile) -> Settings:
            s = Settings()
            object.__setattr__(s, "reminder_days", self.value)  # past the validator
            return s

    for value in (-3, True, 10**5, 2.5, "5"):
        url = f"sqlite:///{tempfile.mkdtemp()}/s.sqlite3"
        pm = make_plugin_manager(load_entry_points=False, environ={})
        pm.register(Forger(value))
        store = open_store(url)
        svc = CaseService(store, Hooks(pm, timeout=None, attention=StoreAttentionQueue(store)),
                          support.directory(), clock=lambda: support.NOW)
        with svc.store as st:
            records.save(st, support.route_chosen("s-1", D(2025, 3, 12), council="E08000014"),
                         expected_version=0)
            assert sweep_all(svc, D(2025, 4, 7)).reminders == 1  # by the default 5


def test_sweep_remind_days_out_of_range_is_json_naming_the_option() -> None:
    for bad in ("61", "-1", "99999999999999999999999"):
        code, doc = _cli(["sweep", "--format", "json", "--remind-days", bad])
        assert code == 2
        assert doc["problems"][0]["field"] == "--remind-days"
        assert doc["rule_id"] == "input.range"


# --- usage errors under --format json ---------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["case", "bogus", "--format", "json"],
    ["notify", "nosuch", "--format", "json"],
    ["report", "nosuch", "--format", "json"],
    ["rules", "--format", "json", "--nope"],
    ["case", "show", "--format", "json"],
    ["due", "--format", "json", "--bogus=x"],
])
def test_usage_errors_are_json_exit_2_no_traceback(args: list[str]) -> None:
    code, doc = _cli(args)
    assert code == 2
    assert doc["error"] == "UsageError"


def test_usage_error_does_not_echo_a_confidential_value() -> None:
    for args in (["case", "show", "C1", "Jane Smith SECRET", "--format", "json"],
                 ["sweep", "--format", "json", "--remind-days", "Jane Smith SECRET"]):
        code, doc = _cli(args)
        assert code == 2
        assert "SECRET" not in json.dumps(doc)


def test_usage_error_names_a_field_and_a_rule_id() -> None:
    code, doc = _cli(["sweep", "--format", "json", "--remind-days", "x"])
    assert code == 2
    assert doc.get("rule_id")
    assert doc["problems"][0]["field"] == "--remind-days"


def test_library_refusal_does_not_echo_the_value() -> None:
    code, doc = _cli(["due", "--format", "json", "--within", "Jane SECRET"])
    assert code == 2
    assert "SECRET" not in json.dumps(doc)


# --- '-' for --actors and --users ---------------------------------------------------------------


def test_input_and_actors_both_stdin_is_refused_naming_actors() -> None:
    code, doc = _cli(["case", "open", "--input", "-", "--actors", "-", "--user", "u",
                      "--format", "json"], "{}")
    assert code == 2
    assert doc["problems"][0]["field"] == "--actors"
    assert doc["rule_id"] == "input.file"


@pytest.mark.parametrize(("stdin", "rule"), [
    (b"\xff\xfe{", "input.encoding"),
    (" " * 1_000_001, "input.document_size"),
])
def test_actors_stdin_non_utf8_and_huge_are_refused_naming_actors(stdin: str | bytes,
                                                                  rule: str) -> None:
    code, doc = _cli(["case", "show", "C1", "--actors", "-", "--user", "u",
                      "--format", "json"], stdin)
    assert code == 2
    assert doc["problems"][0]["field"] == "--actors"
    assert doc["problems"][0]["rule_id"] == rule


def test_actors_stdin_with_a_name_in_it_is_not_echoed() -> None:
    code, doc = _cli(["case", "show", "C1", "--actors", "-", "--user", "u", "--format", "json"],
                     '{"users": [{"id": "Jane SECRET", "role": "Jane SECRET"}]}')
    assert code == 2
    assert "SECRET" not in json.dumps(doc)


@pytest.mark.parametrize("cmd", [
    ["case", "show", "C1", "--actors", "-", "--user", "u", "--format", "json"],
    ["due", "--users", "-", "--officer", "x", "--format", "json"],
])
def test_empty_stdin_for_the_directory_names_the_option(cmd: list[str]) -> None:
    code, doc = _cli(cmd, "")
    assert code == 2
    assert doc["problems"][0]["field"] in {"--actors", "--users"}


# --- HESC r.12(3) for disability discrimination claims ----------------------------------------


@pytest.mark.parametrize(("end", "due"), [
    (D(2020, 7, 20), D(2020, 7, 20)),   # the last day before: not in the window, stands
    (D(2020, 7, 21), D(2020, 7, 21)),
    (D(2020, 8, 1), D(2020, 8, 1)),     # August, but from 21 July 2020: stands
    (D(2021, 8, 31), D(2021, 8, 31)),
    (D(2019, 12, 24), D(2019, 12, 24)),
    (D(2019, 12, 25), D(2020, 1, 2)),
    (D(2020, 1, 1), D(2020, 1, 2)),
    (D(2020, 1, 2), D(2020, 1, 2)),
    (D(2019, 8, 1), D(2019, 9, 2)),
    (D(2019, 8, 31), D(2019, 9, 2)),    # a Saturday: to Monday
    (D(2019, 7, 31), D(2019, 7, 31)),
    (D(2016, 8, 31), D(2016, 9, 1)),    # leap year
    (D(2015, 12, 31), D(2016, 1, 4)),
    (D(2020, 2, 29), D(2020, 2, 29)),   # a Saturday outside the window: r.12(2) not applied
])
def test_dd_claim_r12_3_edges(end: dt.date, due: dt.date) -> None:
    assert dd_claim_rule_12_3(end) == due
    off = Settings(tribunal_non_working_days=TribunalNonWorkingDays.NONE)
    assert dd_claim_rule_12_3(end, off) == end


@pytest.mark.parametrize("bad", ["2019-12-25", dt.datetime(2019, 12, 25, 1)])
def test_dd_claim_r12_3_refuses_a_non_date(bad: object) -> None:
    with pytest.raises(InvalidInputError):
        dd_claim_rule_12_3(bad)  # type: ignore[arg-type]


# --- the purge leaves nothing of the case but its purge entry (SQLite) ------------------------


def test_sqlite_purge_leaves_only_the_purge_entry_and_its_chain_head() -> None:
    import sqlite3

    from sen_disagreement.store import open_store
    from sen_disagreement.sweeping import sweep_all
    from sen_disagreement.workflow import records

    path = f"{tempfile.mkdtemp()}/s.sqlite3"
    with open_store(f"sqlite:///{path}") as st:
        for cid in ("p-1", "p-2"):
            records.save(st, support.route_chosen(cid, D(2025, 3, 12)), expected_version=0)
        sweep_all(st, D(2025, 4, 7))  # outbox rows and deadlines too
        assert st.purge(["p-1"], actor="officer-1").purged == ("p-1",)
        trail = st.audit_trail("p-1")
        assert len(trail) == 1
    con = sqlite3.connect(path)
    try:
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        hits = {}
        for t in tables:
            cols = [r[1] for r in con.execute(f"PRAGMA table_info({t})")]
            hits[t] = sum(con.execute(
                f"SELECT count(*) FROM {t} WHERE CAST({c} AS TEXT) LIKE '%p-1%'"
            ).fetchone()[0] for c in cols)
    finally:
        con.close()
    assert {t: n for t, n in hits.items() if n} == {"audit": 1, "audit_chain": 1}
