"""The daily sweep (``sweeping.sweep_all`` and ``sen-disagreement sweep``): events dated the day
they fell due, catch-up after skipped days, the 30-day boundary, idempotence, two sweeps at once
(SQLite file and PostgreSQL), a sweep killed with SIGKILL and run again, catch-up (each of these
over 10,000 stored cases), the reminder period as a council setting, 10,000 stored cases;
and the appeal deadline and reg 42 duties as stored deadline rows."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import sweep_support as support
from click.testing import CliRunner

# The PostgreSQL cluster of the store tests (a session fixture; imported, not copied).
from sen_disagreement.cli import main
from sen_disagreement.council import CouncilProfile
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.service import CaseService
from sen_disagreement.settings import Settings
from sen_disagreement.store import Store, open_store
from sen_disagreement.store.contract import APPEAL_CLOCK_ID, APPEAL_STATUS
from sen_disagreement.sweeping import (
    REMINDER_CHANNEL,
    event_time,
    london_today,
    shard_of,
    sweep_all,
)
from sen_disagreement.workflow import records

D = dt.date
TOLD = D(2025, 3, 12)          # mediation wanted: the arrange clock runs to 2025-04-11
ARRANGE_DUE = D(2025, 4, 11)   # a Friday
WORKER = Path(__file__).with_name("sweep_worker.py")


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cases.sqlite3'}"


def _save(store: Store, *cases: object) -> None:
    for case in cases:
        records.save(store, case, expected_version=0)  # type: ignore[arg-type]


def _outbox(store: Store) -> list[str]:
    from datetime import timedelta

    items = store.claim_outbox(now=support.NOW + timedelta(days=3650), limit=1_000_000)
    return sorted(i.message.idempotency_key for i in items)


STORED = 10_000
"""Cases in the store of the concurrency and kill -9 tests (the issue's scale): most not yet
due, so a sweep must find the passed ones among them."""


def _import_at_scale(url: str, prefix: str, overdue: int, stored: int = STORED) -> list[str]:
    """``stored`` cases, of which the first ``overdue`` (ids ``prefix-00000``...) have the
    30 days passed by 30 April (missed on 12 April, then the deemed certificate on 17 April) and
    the rest run to 20 May; the overdue ids."""
    ids = [f"{prefix}-{k:05d}" for k in range(stored)]
    with open_store(url) as store:
        support.import_cases(store, support.clones(support.route_chosen("tmpl", TOLD),
                                                   ids[:overdue])
                             + support.clones(support.route_chosen("tmpl-w", D(2025, 4, 20)),
                                              ids[overdue:]))
    return ids[:overdue]


def _untouched(store: Store, prefix: str, overdue: int, stored: int = STORED) -> None:
    """Every 20th case not yet due is still at its first version."""
    for k in range(overdue, stored, 20):
        assert store.load(f"{prefix}-{k:05d}").version == 1


# --- the 30 days, and catch-up -------------------------------------------------------------------


def test_the_30_day_miss_is_recorded_the_first_day_after_and_never_before(url: str) -> None:
    svc = support.service(url)
    with svc.store as store:
        case = support.route_chosen("c-30", TOLD)
        assert case.arrange_clock is not None and case.arrange_clock.due == ARRANGE_DUE
        _save(store, case)
        for day in (ARRANGE_DUE - dt.timedelta(days=1), ARRANGE_DUE):
            report = sweep_all(svc, day, shards=1)
            assert report.events == 0 and support.actions(store, "c-30") == []
        report = sweep_all(svc, ARRANGE_DUE + dt.timedelta(days=1), shards=1)
        assert report.events == 1 and dict(report.outcomes) == {"not_arranged": 1}
        assert support.actions(store, "c-30") == [
            ("mediation.not_arranged_in_time", D(2025, 4, 12))]
        loaded, _ = svc.load("c-30")
        deemed = loaded.deadline("deemed_certificate")  # type: ignore[union-attr]
        assert deemed is not None and deemed.started == D(2025, 4, 12)
        assert loaded.state.value == "not_arranged"


def test_a_sweep_that_skipped_days_catches_up_each_event_dated_when_it_fell_due(
    url: str,
) -> None:
    svc = support.service(url)
    with svc.store as store:
        _save(store,
              support.route_chosen("late-1", TOLD),             # arrange due 04-11
              support.notified("lapse-1", D(2025, 3, 3)),        # adviser contact due 05-03
              support.agreed("duty-1", TOLD))                    # reg 42 duties due 04-05
        # Nothing swept since March: one run on 10 May does every day's work, in order.
        report = sweep_all(svc, D(2025, 5, 10))
        assert report.complete and report.changed == 3
        assert support.actions(store, "late-1") == [
            ("mediation.not_arranged_in_time", D(2025, 4, 12)),  # the day after the 30 days
            ("mediation.clock_missed", D(2025, 4, 17)),          # the deemed-certificate clock
        ]
        assert support.actions(store, "lapse-1") == [("mediation.lapse", D(2025, 5, 4))]
        assert support.actions(store, "duty-1") == [  # one entry per duty, in one save
            ("mediation.clock_missed", D(2025, 4, 6))] * 2
        counts = dict(report.outcomes)
        assert counts == {"not_arranged": 1, "lapsed": 1, "missed": 3}
        duties = {d.clock_id: d.status for d in store.load("duty-1").deadlines}
        assert duties["order_assess_notify.assess"] == "missed"
        assert duties["agreement_non_appealable_action.letter"] == "missed"
        # Swept again the same day, and the next: nothing more happens.
        versions = {c: store.load(c).version for c in ("late-1", "lapse-1", "duty-1")}
        for day in (D(2025, 5, 10), D(2025, 5, 11)):
            again = sweep_all(svc, day)
            assert again.events == 0
        assert {c: store.load(c).version for c in versions} == versions


def test_catching_up_over_ten_thousand_stored_cases_dates_each_event_when_it_fell_due(
    url: str,
) -> None:
    per_kind = 300
    ids = [f"cu-{k:05d}" for k in range(STORED)]
    late, lapse, duty = (ids[i * per_kind:(i + 1) * per_kind] for i in range(3))
    svc = support.service(url)
    with svc.store as store:
        support.import_cases(store, [
            *support.clones(support.route_chosen("tmpl-l", TOLD), late),
            *support.clones(support.notified("tmpl-p", D(2025, 3, 3)), lapse),
            *support.clones(support.agreed("tmpl-d", TOLD), duty),
            *support.clones(support.route_chosen("tmpl-w", D(2025, 4, 20)),
                            ids[3 * per_kind:])])
        report = sweep_all(svc, D(2025, 5, 10))  # nothing swept since March
        assert report.complete and report.candidates == report.changed == 3 * per_kind
        assert dict(report.outcomes) == {"not_arranged": per_kind, "lapsed": per_kind,
                                         "missed": 3 * per_kind}
        for case_id in late[::15]:
            assert support.actions(store, case_id) == [
                ("mediation.not_arranged_in_time", D(2025, 4, 12)),
                ("mediation.clock_missed", D(2025, 4, 17))]
        for case_id in lapse[::15]:
            assert support.actions(store, case_id) == [("mediation.lapse", D(2025, 5, 4))]
        for case_id in duty[::15]:
            assert support.actions(store, case_id) == [
                ("mediation.clock_missed", D(2025, 4, 6))] * 2
        _untouched(store, "cu", 3 * per_kind)
        assert sweep_all(svc, D(2025, 5, 11)).events == 0


def test_event_time_is_the_day_it_fell_due_never_before_the_last_change() -> None:
    last = dt.datetime(2025, 4, 12, 9, tzinfo=dt.UTC)
    now = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
    assert event_time(D(2025, 4, 20), last, now) == dt.datetime(2025, 4, 20, tzinfo=dt.UTC)
    assert event_time(D(2025, 4, 12), last, now) == last
    # London's day begins before UTC's in summer: never dated after now.
    early = dt.datetime(2025, 6, 30, 23, 30, tzinfo=dt.UTC)
    assert london_today(early) == D(2025, 7, 1)
    assert event_time(D(2025, 7, 1), last, early) == early


# --- stored clocks: the appeal deadline and the reg 42 duties -------------------------------------


def test_the_appeal_deadline_and_reg_42_duties_are_deadline_rows_saved_with_the_case(
    url: str,
) -> None:
    svc = support.service(url)
    with svc.store as store:
        agreed = support.agreed("agreed-1", TOLD)
        school = support.section_i_only("school-1", D(2025, 3, 3))
        waiting = support.route_chosen("waiting-1", TOLD)
        _save(store, agreed, school, waiting)
        appeals = store.deadlines_between(None, D(2030, 1, 1), status=APPEAL_STATUS)
        assert {(h.case_id, h.clock_id, h.due) for h in appeals} == {
            ("agreed-1", APPEAL_CLOCK_ID, agreed.certificates[-1].appeal_deadline),
            ("school-1", APPEAL_CLOCK_ID, school.appeal_deadline),
        }
        # The appeal deadline is the family's: never overdue, never marked missed.
        assert not [h for h in store.overdue(D(2030, 1, 1)) if h.clock_id == APPEAL_CLOCK_ID]
        duties = store.deadlines_between(None, D(2030, 1, 1), kind="mediation")
        assert {h.clock_id for h in duties if h.case_id == "agreed-1"} == {
            "order_assess_notify.assess", "agreement_non_appealable_action.letter"}
        # Loaded again, the rows are what the document says.
        assert records.from_record(store.load("agreed-1")) == agreed


def test_a_record_saved_before_the_appeal_row_existed_still_loads() -> None:
    import attrs

    from sen_disagreement.errors import StoredDataError

    case = support.agreed("old-1", TOLD)
    record = records.to_record(case)
    legacy = attrs.evolve(record, deadlines=tuple(
        d for d in record.deadlines if d.clock_id != APPEAL_CLOCK_ID))
    assert records.from_record(legacy) == case  # the row comes with its next save
    moved = attrs.evolve(record, deadlines=tuple(
        attrs.evolve(d, due=d.due + dt.timedelta(days=1)) if d.clock_id == APPEAL_CLOCK_ID
        else d for d in record.deadlines))
    with pytest.raises(StoredDataError, match="deadlines"):
        records.from_record(moved)


# --- reminders ------------------------------------------------------------------------------------


def test_reminders_are_queued_n_working_days_before_and_only_once(url: str) -> None:
    svc = support.service(url)
    with svc.store as store:
        _save(store, support.route_chosen("soon-1", TOLD), support.agreed("appeal-1", TOLD))
        # 7 April (Mon): the arrange clock (11 April) is 4 working days off; the agreement's
        # duties (5 April) are past and the appeal deadline (6 May) far.
        report = sweep_all(svc, D(2025, 4, 7), reminder_days=5)
        keys = _outbox(store)
        assert report.reminders == 1 and len(keys) == 1
        assert sweep_all(svc, D(2025, 4, 7), reminder_days=5, shards=3).reminders == 1
        assert _outbox(store) == []  # the same message is not queued again
        sweep_all(svc, D(2025, 4, 29), reminder_days=5)
        items = store.claim_outbox(now=support.NOW + dt.timedelta(days=3650))
        templates = {(i.message.case_id, i.message.template, i.message.channel) for i in items}
        assert ("appeal-1", "appeal_deadline_reminder", REMINDER_CHANNEL) in templates
        for item in items:  # no case content: the deadline's name only
            assert item.message.payload_ref.startswith(f"deadline/{item.message.case_id}/")


class _TwoCouncils:
    """Sefton reminds its officers 4 working days ahead, Knowsley 10."""

    SEFTON = "E08000014"
    KNOWSLEY = "E08000011"

    @hookimpl
    def sen_register_councils(self) -> tuple[CouncilProfile, ...]:
        return (CouncilProfile(name="Sefton", gss_code=self.SEFTON, la_number="343",
                               slug="sefton"),
                CouncilProfile(name="Knowsley", gss_code=self.KNOWSLEY, la_number="340",
                               slug="knowsley"))

    @hookimpl
    def sen_council_settings(self, council: CouncilProfile) -> Settings:
        return Settings(reminder_days=4 if council.gss_code == self.SEFTON else 10)


def _two_council_service(url: str) -> CaseService:
    from sen_disagreement.council import StoreAttentionQueue
    from sen_disagreement.plugins import Hooks, make_plugin_manager

    pm = make_plugin_manager(load_entry_points=False, environ={})
    pm.register(_TwoCouncils())
    store = open_store(url)
    return CaseService(store, Hooks(pm, timeout=None, attention=StoreAttentionQueue(store)),
                       support.directory(), clock=lambda: support.NOW)


def _reminded(store: Store) -> set[str]:
    items = store.claim_outbox(now=support.NOW + dt.timedelta(days=3650), limit=1_000_000)
    return {i.message.case_id for i in items}


def test_reminder_days_is_a_council_setting_each_council_reminded_by_its_own_period(
    url: str,
) -> None:
    svc = _two_council_service(url)
    with svc.store as store:
        sefton, knowsley = _TwoCouncils.SEFTON, _TwoCouncils.KNOWSLEY
        # From Monday 7 April: the arrange clock of "soon" ends Friday 11 April (4 working
        # days), that of "later" on 18 April (8 working days; Good Friday).
        _save(store,
              support.route_chosen("s-soon", TOLD, council=sefton),
              support.route_chosen("s-later", D(2025, 3, 19), council=sefton),
              support.route_chosen("k-soon", TOLD, council=knowsley),
              support.route_chosen("k-later", D(2025, 3, 19), council=knowsley))
        assert {svc.settings_for(c).reminder_days for c in (sefton, knowsley)} == {4, 10}
        report = sweep_all(svc, D(2025, 4, 7))
        assert report.reminders == 3
        assert _reminded(store) == {"s-soon", "k-soon", "k-later"}
        # These cases were stored with the default settings pinned (5): the sweep reminds by
        # the period each council sets today.
        loaded, _ = svc.load("k-later")
        assert loaded.settings.reminder_days == 5


def test_remind_days_overrides_every_councils_period_for_one_sweep(url: str) -> None:
    svc = _two_council_service(url)
    with svc.store as store:
        _save(store,
              support.route_chosen("s-soon", TOLD, council=_TwoCouncils.SEFTON),
              support.route_chosen("s-later", D(2025, 3, 19), council=_TwoCouncils.SEFTON),
              support.route_chosen("k-later", D(2025, 3, 19), council=_TwoCouncils.KNOWSLEY))
        assert sweep_all(svc, D(2025, 4, 7), reminder_days=0).reminders == 0
        assert sweep_all(svc, D(2025, 4, 7), reminder_days=9, shards=3).reminders == 3
        assert _reminded(store) == {"s-soon", "s-later", "k-later"}


def test_the_reminder_days_setting_is_refused_outside_0_to_60() -> None:
    for bad in (-1, 61, True, 2.0, "5"):
        with pytest.raises(InvalidInputError) as err:
            Settings(reminder_days=bad)  # type: ignore[arg-type]
        assert err.value.field == "reminder_days"
    assert Settings().reminder_days == 5


def test_a_case_document_pinned_before_reminder_days_existed_gets_the_default() -> None:
    import json

    import attrs

    record = records.to_record(support.route_chosen("old-settings", TOLD))
    doc = json.loads(record.document)
    assert doc["case"]["settings"].pop("reminder_days") == 5
    older = attrs.evolve(record, document=json.dumps(doc))
    assert records.from_record(older).settings.reminder_days == 5


# --- idempotence and bad input --------------------------------------------------------------------


def test_a_second_sweep_changes_nothing_even_without_the_done_marks(url: str) -> None:
    svc = support.service(url)
    with svc.store as store:
        _save(store, *[support.route_chosen(f"i-{k}", TOLD) for k in range(20)])
        first = sweep_all(svc, D(2025, 4, 14))
        assert first.changed == 20
        trail = len(store.audit_trail(limit=1_000_000))
        versions = [store.load(f"i-{k}").version for k in range(20)]
        # Other shard counts: other leases, so every case is read again, and nothing changes.
        for shards in (1, 5):
            again = sweep_all(svc, D(2025, 4, 14), shards=shards)
            assert again.events == 0 and again.swept_shards == shards
        assert len(store.audit_trail(limit=1_000_000)) == trail
        assert [store.load(f"i-{k}").version for k in range(20)] == versions


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"today": dt.datetime(2025, 4, 1, tzinfo=dt.UTC)}, "today"),
    ({"reminder_days": -1}, "reminder_days"),
    ({"reminder_days": True}, "reminder_days"),
    ({"shards": 0}, "shards"),
    ({"lease_ttl": dt.timedelta(0)}, "lease_ttl"),
])
def test_bad_arguments_are_refused_and_nothing_is_written(
    url: str, kwargs: dict[str, object], field: str,
) -> None:
    svc = support.service(url)
    with svc.store as store:
        _save(store, support.route_chosen("b-1", TOLD))
        args: dict[str, object] = {"today": D(2025, 5, 1), **kwargs}
        with pytest.raises(InvalidInputError) as err:
            sweep_all(svc, **args)  # type: ignore[arg-type]
        assert err.value.field == field
        assert store.load("b-1").version == 1
        assert store.lease("sweep.16.0") is None


# --- two at once ----------------------------------------------------------------------------------


def _concurrent(url: str, n: int, stored: int = STORED) -> None:
    late = _import_at_scale(url, "cc", n, stored)
    svcs = [support.service(url), support.service(url)]
    reports = []
    barrier = threading.Barrier(2)

    def run(svc: CaseService) -> None:
        barrier.wait()
        reports.append(sweep_all(svc, D(2025, 4, 30), lease_ttl=dt.timedelta(seconds=5),
                                 shards=8))

    threads = [threading.Thread(target=run, args=(s,)) for s in svcs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(240)
    assert len(reports) == 2 and all(r.complete for r in reports)
    # Each shard swept by exactly one of them; every event once; only the passed cases read.
    assert sum(r.swept_shards for r in reports) == 8
    assert sum(r.candidates for r in reports) == n
    assert sum(r.changed for r in reports) == n
    with open_store(url) as store:
        actions = Counter(e.action for e in store.audit_trail(limit=1_000_000)
                          if e.actor == "system" and e.action.startswith("mediation."))
        assert actions == {"mediation.not_arranged_in_time": n, "mediation.clock_missed": n}
        assert all(store.load(c).version == 3 for c in late)
        _untouched(store, "cc", n, stored)
    for s in svcs:
        s.store.close()


def test_two_sweeps_at_once_on_one_sqlite_file_do_each_thing_once(url: str) -> None:
    started = time.monotonic()
    _concurrent(url, 1_000)  # of 10,000 stored
    assert time.monotonic() - started < 90


@pytest.mark.postgres
def test_two_sweeps_at_once_on_postgresql_do_each_thing_once(pg_schema: object) -> None:
    _concurrent(pg_schema.app_url, 500)  # type: ignore[attr-defined]


# --- killed mid-sweep -----------------------------------------------------------------------------


def test_a_sweep_killed_with_sigkill_is_finished_by_the_next_run(url: str) -> None:
    n = 1_000  # passed, of 10,000 stored
    late = _import_at_scale(url, "k", n)
    env = {**os.environ, "PYTHONPATH": str(WORKER.parent)}
    proc = subprocess.Popen([sys.executable, str(WORKER), url, "2025-04-30", "2"],
                            stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    seen = 0
    while seen < 40:
        line = proc.stdout.readline()
        assert line, "the worker ended before it was killed"
        seen += line.startswith("case")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    with open_store(url) as store:
        swept = [c for c in late if store.load(c).version > 1]
        assert 0 < len(swept) < n
    svc = support.service(url)
    with svc.store as store:
        started = time.monotonic()
        report = sweep_all(svc, D(2025, 4, 30), lease_ttl=dt.timedelta(seconds=2))
        assert report.complete
        assert time.monotonic() - started < 60
        actions = Counter(e.action for e in store.audit_trail(limit=1_000_000)
                          if e.actor == "system" and e.action.startswith("mediation."))
        assert actions == {"mediation.not_arranged_in_time": n, "mediation.clock_missed": n}
        for case_id in late:
            assert support.actions(store, case_id) == [
                ("mediation.not_arranged_in_time", D(2025, 4, 12)),
                ("mediation.clock_missed", D(2025, 4, 17))]
        _untouched(store, "k", n)
        assert sweep_all(svc, D(2025, 4, 30)).events == 0


# --- 10,000 stored cases --------------------------------------------------------------------------


def test_ten_thousand_stored_cases_are_swept_by_what_the_day_brings(url: str) -> None:
    n, overdue = 10_000, 1_000
    ids = [f"big-{k:05d}" for k in range(n)]
    started = time.monotonic()
    svc = support.service(url)
    with svc.store as store:
        late = support.clones(support.route_chosen("tmpl-a", TOLD), ids[:overdue])
        # 600 cases whose 30 days end on 2 May (within 5 working days of 28 April), the rest
        # later in May.
        soon = support.clones(support.route_chosen("tmpl-b", D(2025, 4, 2)),
                              ids[overdue:overdue + 600])
        rest = support.clones(support.route_chosen("tmpl-c", D(2025, 4, 20)), ids[overdue + 600:])
        support.import_cases(store, late + soon + rest)
        report = sweep_all(svc, D(2025, 4, 28))
        assert report.complete and report.candidates == overdue and report.changed == overdue
        assert report.events == 2 * overdue and report.reminders == 600
        shards = Counter(shard_of(i, 16) for i in ids[:overdue])
        assert len(shards) == 16
        again = sweep_all(svc, D(2025, 4, 28))
        assert again.events == 0 and again.done_shards == 16
        assert sweep_all(svc, D(2025, 4, 28), shards=4).events == 0
    assert time.monotonic() - started < 60


# --- the command ----------------------------------------------------------------------------------


@pytest.fixture
def seeded(url: str) -> str:
    with open_store(url) as store:
        _save(store, support.route_chosen("cli-1", TOLD), support.agreed("cli-2", TOLD))
    return url


def test_cli_sweep_prints_one_summary_line_and_is_idempotent(seeded: str) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["sweep", "--db", seeded, "--as-at", "2025-04-30"])
    assert first.exit_code == 0, first.output
    lines = first.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("swept 2025-04-30:")
    assert "sweeping" not in first.output  # no progress bar off a terminal
    second = runner.invoke(main, ["sweep", "--db", seeded, "--as-at", "2025-04-30",
                                  "--format", "json"])
    assert second.exit_code == 0
    import json

    doc = json.loads(second.output)
    assert doc["events"] == 0 and doc["done_shards"] == 16 and doc["complete"] is True


@pytest.mark.parametrize(("args", "code", "field"), [
    (["--as-at", "2025-13-01"], 2, "--as-at"),
    (["--as-at", "20250401"], 2, "--as-at"),
    (["--as-at", "2999-01-01"], 2, "--as-at"),
    (["--remind-days", "99"], 2, "--remind-days"),
    (["--lease-seconds", "0"], 2, "--lease-seconds"),
])
def test_cli_sweep_bad_input_exits_2_and_writes_nothing(
    seeded: str, args: list[str], code: int, field: str,
) -> None:
    result = CliRunner().invoke(main, ["sweep", "--db", seeded, *args, "--format", "json"])
    assert result.exit_code == code, result.output
    assert field in result.output and "Traceback" not in result.output
    with open_store(seeded) as store:
        assert store.load("cli-1").version == 1
        assert store.lease("sweep.16.0") is None


def test_cli_sweep_store_fault_exits_3() -> None:
    result = CliRunner().invoke(main, ["sweep", "--db", "nosuch://x"])
    assert result.exit_code == 3 and "Traceback" not in result.output


def test_the_sqlite_migration_backfills_the_appeal_row_of_certificate_cases(
    url: str, tmp_path: Path,
) -> None:
    import sqlite3

    with open_store(url) as store:
        _save(store, support.agreed("legacy-1", TOLD), support.route_chosen("legacy-2", TOLD))
    # The file as schema 4 left it: no leases table, no appeal rows.
    c = sqlite3.connect(tmp_path / "cases.sqlite3", isolation_level=None)
    c.execute("DELETE FROM deadlines WHERE clock_id = 'tribunal_appeal'")
    c.execute("DROP TABLE leases")
    c.execute("DELETE FROM schema_version WHERE version = 5")
    c.close()
    with open_store(url) as store:
        assert store.schema_version() == 5
        hits = store.deadlines_between(None, D(2030, 1, 1), status=APPEAL_STATUS)
        case = records.from_record(store.load("legacy-1"))
        assert [(h.case_id, h.due) for h in hits] == [
            ("legacy-1", case.certificates[-1].appeal_deadline)]  # type: ignore[union-attr]
