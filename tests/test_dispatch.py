"""The dispatcher: leases, retries with stamina, dead letters and alerts, at-least-once under
flaky channels and kill -9, several workers at once (SQLite files; PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import notify_support as ns
import pytest
from click.testing import CliRunner

from sen_disagreement import messages
from sen_disagreement.channels import ChannelError, Medium, OutgoingMessage, Receipt
from sen_disagreement.cli import main
from sen_disagreement.council import LoggingChannel, Notification, send_notification
from sen_disagreement.dispatch import (
    NO_WAIT,
    DispatchReport,
    RetryPolicy,
    dispatch,
    dispatch_all,
)
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.service import CaseService
from sen_disagreement.store import DeadlineHit, Store, open_store

WORKER = Path(__file__).with_name("dispatch_worker.py")
FAR = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _queue(svc: CaseService, n: int, *, cases: int = 5, prefix: str = "c") -> list[str]:
    """``n`` reminders over ``cases`` new cases; their idempotency keys."""
    ids = [f"{prefix}-{i}" for i in range(cases)]
    for cid in ids:
        ns.open_to_route(svc, cid)
    msgs = [messages.reminder(DeadlineHit(ids[i % cases], ns.GSS, "mediation", "route_chosen",
                                          f"clock_{i}", dt.date(2025, 4, 1), "running"))
            for i in range(n)]
    for start in range(0, n, 2000):
        svc.store.enqueue(msgs[start:start + 2000])
    return [m.idempotency_key for m in msgs]


def _statuses(store: Store, db: Path) -> dict[str, str]:
    import sqlite3

    with sqlite3.connect(db) as c:
        return dict(c.execute("SELECT idempotency_key, status FROM outbox"))


def _settled_with_their_entries(db: Path) -> int:
    """Check that every settled outbox row has exactly one audit entry of its status, and that
    no entry names a row not in that status (the mark and its entry commit together); the
    number of settled rows."""
    import sqlite3

    action = {"sent": "message.sent", "dead": "message.dead"}
    with sqlite3.connect(db) as c:
        status = dict(c.execute("SELECT id, status FROM outbox"))
        entries: dict[tuple[int, str], int] = defaultdict(int)
        for act, fields in c.execute("SELECT action, fields FROM audit"
                                     " WHERE action IN ('message.sent', 'message.dead')"):
            entries[(int(fields.split(",")[0].removeprefix("outbox.")), act)] += 1
    settled = {i: action[s] for i, s in status.items() if s in action}
    assert {k: n for k, n in entries.items() if n != 1} == {}  # none twice
    assert set(entries) == set(settled.items())  # none without the other
    return len(settled)


# --- one message, end to end ---------------------------------------------------------------------


def test_a_message_is_sent_through_the_councils_channel_and_audited_by_id(
    tmp_path: Path,
) -> None:
    channel = ns.RecordingChannel("notify")
    svc = ns.service(_url(tmp_path / "db.sqlite3"), channel, case_ids=["m-1"])
    ns.open_to_route(svc, "m-1")
    report = dispatch(svc.store, svc.hooks, policy=NO_WAIT)
    assert (report.claimed, report.sent) == (1, 1)
    [sent] = channel.delivered
    assert sent.kind == "health_issues_to_commissioning_body" and sent.medium is Medium.EMAIL
    assert sent.address.email == "send@icb.example.org" and sent.council == ns.GSS
    assert sent.reference.startswith("msg.")
    [d] = report.deliveries
    assert (d.status, d.channel, d.recipient, d.rule_id) == (
        "sent", "notify", "party:icb", "icb_notification_of_health_issues")
    [entry] = [e for e in svc.store.audit_trail("m-1") if e.action.startswith("message.")]
    assert entry.action == "message.sent" and entry.outcome == "sent"
    assert entry.fields == (f"outbox.{d.outbox_id}", "channel.notify", "receipt.notify-1")
    assert dispatch(svc.store, svc.hooks).claimed == 0  # sent once


def test_bad_arguments_are_typed_errors_and_claim_nothing(tmp_path: Path) -> None:
    svc = ns.service(_url(tmp_path / "db.sqlite3"), case_ids=["m-1"])
    ns.open_to_route(svc, "m-1")
    for kwargs, field in [({"limit": 0}, "limit"), ({"lease": dt.timedelta(0)}, "lease"),
                          ({"max_attempts": 0}, "max_attempts"),
                          ({"now": dt.datetime(2025, 1, 1)}, "now")]:
        with pytest.raises(InvalidInputError) as err:
            dispatch(svc.store, svc.hooks, **kwargs)  # type: ignore[arg-type]
        assert err.value.field == field
    with pytest.raises(InvalidInputError) as err:
        dispatch(svc.store, svc.hooks, policy="fast")  # type: ignore[arg-type]
    assert err.value.field == "policy"
    for bad in ({"attempts": 0}, {"timeout": -1.0}, {"backoff": dt.timedelta(days=30)},
                {"attempts": True}):
        with pytest.raises(InvalidInputError):
            RetryPolicy(**bad)
    with pytest.raises(InvalidInputError):
        dispatch_all(svc.store, svc.hooks, max_batches=0)
    for bad_every in (0, 1001, 2.0, True):
        with pytest.raises(InvalidInputError) as err:
            dispatch_all(svc.store, svc.hooks, settle_every=bad_every)  # type: ignore[arg-type]
        assert err.value.field == "settle_every"
    assert dispatch(svc.store, svc.hooks, policy=NO_WAIT).claimed == 1


# --- dead letters and alerts ---------------------------------------------------------------------


def test_a_refused_message_is_dead_lettered_and_the_casework_team_alerted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    class Leaky(ns.RecordingChannel):
        def send(self, message: OutgoingMessage) -> Receipt:
            if message.kind == "delivery_failed":
                return super().send(message)
            # A badly written plugin quoting the address in its error: never logged or kept.
            raise ChannelError(f"400 bad address {message.address.email}", channel="leaky",
                               retryable=False)

    channel = Leaky("leaky")
    db = tmp_path / "db.sqlite3"
    svc = ns.service(_url(db), channel, case_ids=["m-1"])
    ns.open_to_route(svc, "m-1")
    report = dispatch_all(svc.store, svc.hooks, policy=NO_WAIT)
    assert [(d.kind, d.status, d.reason) for d in report.deliveries] == [
        ("health_issues_to_commissioning_body", "dead", "channel_error.refused"),
        ("delivery_failed", "sent", None),
    ]
    [alert] = channel.delivered
    assert alert.address.email == ns.CASEWORK.email
    assert alert.fields == {"case_reference": "m-1", "failed_kind":
                            "health_issues_to_commissioning_body",
                            "message_number": str(report.deliveries[0].outbox_id)}
    trail = [(e.action, e.outcome) for e in svc.store.audit_trail("m-1")
             if e.action.startswith("message.")]
    assert trail == [("message.dead", "dead"), ("message.sent", "sent")]
    everything = [r.getMessage() + json.dumps(getattr(r, "stamina.caused_by", ""))
                  for r in caplog.records] + [json.dumps(report.as_json())]
    assert not [h for h in everything if "icb.example.org" in h]
    assert dispatch_all(svc.store, svc.hooks).claimed == 0  # alerted once


def test_a_message_failing_max_attempts_times_is_dead_lettered(tmp_path: Path) -> None:
    channel = ns.RecordingChannel("flaky", fail=1.0)
    svc = ns.service(_url(tmp_path / "db.sqlite3"), channel, case_ids=["m-1"])
    ns.open_to_route(svc, "m-1")
    report = dispatch_all(svc.store, svc.hooks, policy=NO_WAIT, max_attempts=3)
    first = [d for d in report.deliveries if d.kind != "delivery_failed"]
    assert [d.status for d in first] == ["retry", "retry", "dead"]
    assert first[-1].reason == "max_attempts.channel_error.retryable"
    assert channel.attempts >= 3 * NO_WAIT.attempts  # stamina retried within each claim


def test_no_address_or_no_channel_for_the_medium_is_a_dead_letter(tmp_path: Path) -> None:
    sms_only = ns.RecordingChannel("sms", media=frozenset({Medium.SMS}))
    svc = ns.service(_url(tmp_path / "db.sqlite3"), sms_only, case_ids=["m-1"])
    ns.open_to_route(svc, "m-1")  # the ICB has an email address only
    report = dispatch_all(svc.store, svc.hooks, policy=NO_WAIT)
    assert next((d.kind, d.status, d.reason) for d in report.deliveries) == (
        "health_issues_to_commissioning_body", "dead", "notify.channel")


# --- choosing the channel ------------------------------------------------------------------------


class _Letters(ns.RecordingChannel):
    def accepts(self, kind: str, medium: Medium) -> bool:
        return kind == "certificate_issued"


class _Legacy:
    name = "legacy"

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        self.sent.append(notification)


def test_the_plugin_chooses_the_channel_per_kind_and_the_log_channel_only_stands_in(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sen_disagreement.notifications")
    letters = _Letters("letters")
    general = ns.RecordingChannel("general")
    legacy = _Legacy()
    svc = ns.service(_url(tmp_path / "db.sqlite3"), legacy, letters, general, case_ids=["m-1"])
    ns.open_to_route(svc, "m-1")
    ns.to_agreement(svc, "m-1")
    dispatch_all(svc.store, svc.hooks, policy=NO_WAIT)
    assert [m.kind for m in letters.delivered] == ["certificate_issued"]
    assert "certificate_issued" not in [m.kind for m in general.delivered]
    assert len(general.delivered) == 4 and legacy.sent == []
    assert not [r for r in caplog.records if r.getMessage().startswith("message ")]
    # With no message channel of its own the council's messages go to the development log,
    # which logs ids and kinds only.
    dev = ns.service(_url(tmp_path / "dev.sqlite3"), legacy, case_ids=["m-2"])
    ns.open_to_route(dev, "m-2")
    report = dispatch_all(dev.store, dev.hooks, policy=NO_WAIT)
    assert [d.channel for d in report.deliveries] == ["log"]
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("message ")]
    assert len(lines) == 1
    line = lines[0]
    assert "icb.example.org" not in line and "kind=health_issues_to_commissioning_body" in line
    # The legacy path still works for one release.
    assert send_notification(dev.hooks, ns.COUNCIL, Notification(
        case_id="m-2", council=ns.GSS, template="t", recipient_role="parent")) == [
        "legacy", "log"]
    assert len(legacy.sent) == 1
    assert isinstance(LoggingChannel().send(Notification(
        case_id="m-2", council=ns.GSS, template="t", recipient_role="parent")), type(None))


def test_a_channel_plugin_fault_is_retried_later_not_sent_to_the_log(tmp_path: Path) -> None:
    class Broken:
        @hookimpl
        def sen_register_channels(self) -> Sequence[object]:
            raise RuntimeError("plugin bug")

    svc = ns.service(_url(tmp_path / "db.sqlite3"), case_ids=["m-1"])
    svc.hooks.plugin_manager.register(Broken(), name="broken")
    ns.open_to_route(svc, "m-1")
    report = dispatch(svc.store, svc.hooks, policy=NO_WAIT)
    assert [(d.status, d.reason, d.channel) for d in report.deliveries] == [
        ("retry", "plugin_fault", None)]


# --- at least once: flaky channels, 10,000 messages each -----------------------------------------


@pytest.mark.parametrize(("fail", "timeout"),
                         [(0.1, 0.0), (0.5, 0.0), (0.9, 0.0), (0.0, 0.3)],
                         ids=["fail10", "fail50", "fail90", "timeout_after_accept"])
def test_ten_thousand_messages_through_a_flaky_channel_lose_none(
    tmp_path: Path, fail: float, timeout: float
) -> None:
    channel = ns.RecordingChannel("flaky", fail=fail, accept_then_timeout=timeout, seed=7)
    db = tmp_path / "db.sqlite3"
    svc = ns.service(_url(db), channel, case_ids=[f"c-{i}" for i in range(5)])
    keys = _queue(svc, 10_000)
    # More attempts per claim where the channel fails most, so the test stays quick; the
    # number of claims is bounded all the same.
    policy = RetryPolicy(attempts=10 if fail > 0.5 else 3, wait_initial=0.0, wait_max=0.0,
                         wait_jitter=0.0, backoff=dt.timedelta(0), backoff_max=dt.timedelta(0))
    report = dispatch_all(svc.store, svc.hooks, policy=policy, limit=500, max_attempts=200)
    statuses = _statuses(svc.store, db)
    assert len(statuses) == 10_005  # and the 5 ICB messages of the cases
    assert [k for k, s in statuses.items() if s != "sent"] == []  # 0 lost, 0 dead
    assert report.dead == 0
    by_message: dict[tuple[str, str], set[str]] = defaultdict(set)
    for m in channel.delivered:
        by_message[(m.case_reference, m.fields.get("deadline", m.kind))].add(m.reference)
    assert all(len(refs) == 1 for refs in by_message.values())  # duplicates: same reference
    delivered = {r for refs in by_message.values() for r in refs}
    assert set(keys) <= delivered
    # Each later delivery of a message says an earlier attempt may already have reached the
    # recipient (so a channel that cannot dedupe by reference can decide).
    first: set[str] = set()
    for m in channel.delivered:
        if m.reference in first:
            assert m.may_already_have_been_sent and m.attempt > 1, m.reference
        first.add(m.reference)
    if timeout:
        assert len(channel.delivered) > len(delivered)  # there were duplicates


# --- kill -9 mid-batch ---------------------------------------------------------------------------


def _killed_after_first_claim(first_line: str, rest: str) -> bool:
    """Whether a killed worker had claimed messages (its "claimed" line came before the kill:
    it was written, so it was printed before the process died) and had not drained the queue."""
    return first_line == "claimed" and "drained" not in rest


def test_fifty_kill_9_trials_of_the_dispatcher_lose_no_message(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    deliveries = tmp_path / "deliveries.txt"
    svc = ns.service(_url(db), case_ids=[f"k-{i}" for i in range(5)])
    # Enough that 50 dispatchers killed at random cannot drain it (a drained queue leaves
    # nothing to kill mid-batch): about a third of it goes in the trials.
    keys = _queue(svc, 8_000, prefix="k")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    rng = random.Random(3)
    started = time.monotonic()
    mid_batch = trial = 0
    # Trials until 50 dispatchers were killed mid-batch: after their first claim committed
    # (the worker's "claimed" line, written before the kill), before they drained the queue
    # (one that drained it first waits to be killed, and does not count).
    while mid_batch < 50 and trial < 100:
        # Every other trial settles three messages per commit.
        proc = subprocess.Popen([sys.executable, str(WORKER), str(db), str(deliveries),
                                 str(trial)], stdout=subprocess.PIPE, text=True,
                                env={**env, "SETTLE_EVERY": "3" if trial % 2 else "1"})
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        seen = proc.stdout.readline().strip()
        time.sleep(rng.uniform(0.0, 0.1))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        rest = proc.stdout.read()
        proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        mid_batch += _killed_after_first_claim(seen, rest)
        trial += 1
    assert mid_batch >= 50, (mid_batch, trial)
    assert time.monotonic() - started < 60
    # A dispatcher after the leases lapse takes over what the killed ones claimed.
    recovery = ns.hooks(ns.RecordingChannel("after"))
    with open_store(_url(db)) as store:
        dispatch_all(store, recovery, now=lambda: FAR, policy=NO_WAIT, max_attempts=1000)
        statuses = _statuses(store, db)
    assert [k for k in keys if statuses[k] != "sent"] == []
    sent_by_workers = set(deliveries.read_text().split())
    assert sent_by_workers <= set(statuses)  # every delivery carries a queued reference
    assert len(sent_by_workers) > 0
    # However each dispatcher died, no mark committed without its audit entry, nor an entry
    # without its mark.
    assert _settled_with_their_entries(db) == len(statuses)


# --- several workers at once ---------------------------------------------------------------------


def _workers(url: str, n_workers: int, n: int, tmp: Path, settle_every: int = 1) -> None:
    channel = ns.RecordingChannel("shared", fail=0.1)
    svc = ns.service(url, channel, case_ids=[f"w-{i}" for i in range(5)])
    keys = _queue(svc, n, prefix="w")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with open_store(url) as store:
                dispatch_all(store, ns.hooks(channel), policy=NO_WAIT, limit=50,
                             max_attempts=1000, settle_every=settle_every)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(n_workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    svc.store.close()
    assert errors == []
    refs = [m.reference for m in channel.delivered]
    assert set(keys) <= set(refs)
    # Leases never lapsed here, so no message was sent twice.
    assert len(refs) == len(set(refs)) == n + 5


def test_four_workers_at_once_on_sqlite_send_each_message_once(tmp_path: Path) -> None:
    _workers(_url(tmp_path / "db.sqlite3"), 4, 2_000, tmp_path)


@pytest.mark.postgres
def test_four_workers_at_once_on_postgresql_skip_locked_send_each_message_once(
    pg_schema: object, tmp_path: Path
) -> None:
    _workers(pg_schema.app_url, 4, 2_000, tmp_path)  # type: ignore[attr-defined]


@pytest.mark.postgres
def test_four_workers_at_once_on_postgresql_settling_25_per_commit_send_each_message_once(
    pg_schema: object, tmp_path: Path
) -> None:
    # Each commit locks several cases' chain heads: no deadlock between the workers.
    _workers(pg_schema.app_url, 4, 2_000, tmp_path, settle_every=25)  # type: ignore[attr-defined]


# --- settling: the mark and its audit entry together, checked against the claim ----------------


class _Overtaken(ns.RecordingChannel):
    """A slow channel: before it answers its first message, the dispatcher's lease lapses and
    another dispatcher (its own store connection, its own channel) claims the batch again and
    sends it."""

    def __init__(self, url: str, later: dt.datetime) -> None:
        super().__init__("slow")
        self.url, self.later = url, later
        self.fast = ns.RecordingChannel("fast")
        self.other: DispatchReport | None = None

    def send(self, message: OutgoingMessage) -> Receipt:
        if self.other is None:
            with open_store(self.url) as store:
                self.other = dispatch(store, ns.hooks(self.fast), now=self.later,
                                      policy=NO_WAIT)
        return super().send(message)


def test_a_dispatcher_whose_claim_was_taken_over_records_nothing_of_it(tmp_path: Path) -> None:
    url = _url(tmp_path / "db.sqlite3")
    channel = _Overtaken(url, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
    svc = ns.service(url, channel, case_ids=["a-1"])
    _one_reminder(svc)
    report = dispatch(svc.store, svc.hooks, lease=dt.timedelta(seconds=1), limit=1,
                      policy=NO_WAIT)
    [mine] = report.deliveries
    # It sent the message, but the later claim owns it: its mark and entry were refused.
    assert (mine.status, mine.channel, mine.reason) == ("sent", "slow", "claim_superseded")
    assert channel.other is not None and channel.other.sent == 2
    [first] = channel.delivered
    [again] = [m for m in channel.fast.delivered if m.reference == first.reference]
    assert (again.attempt, again.may_already_have_been_sent) == (2, True)
    entries = [e for e in svc.store.audit_trail("a-1") if e.action.startswith("message.")]
    assert sorted(e.fields for e in entries) == sorted(
        (f"outbox.{d.outbox_id}", "channel.fast", f"receipt.{d.message_id}")
        for d in channel.other.deliveries)
    assert _settled_with_their_entries(tmp_path / "db.sqlite3") == 2
    assert svc.store.verify().first_break is None


@pytest.mark.parametrize("backend",
                         ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_settling_several_messages_per_commit_keeps_each_mark_with_its_entry(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    url = (_url(tmp_path / "db.sqlite3") if backend == "sqlite"
           else request.getfixturevalue("pg_schema").app_url)
    channel = ns.RecordingChannel("grouped", fail=0.3, seed=11)
    svc = ns.service(url, channel, case_ids=[f"g-{i}" for i in range(5)])
    keys = _queue(svc, 300, prefix="g")
    report = dispatch_all(svc.store, svc.hooks, policy=NO_WAIT, limit=100, max_attempts=3,
                          settle_every=25)
    assert report.claimed == len(report.deliveries) > 305  # retries: claimed again
    assert report.sent + report.dead >= 305 and {d.reason for d in report.deliveries} >= {
        "channel_error.retryable", None}
    entries = [e for e in svc.store.audit_trail(limit=100_000)
               if e.action.startswith("message.")]
    # One entry per settlement, each beside its mark; the group shared commits.
    assert len(entries) == len(report.deliveries)
    assert len({e.committed_at for e in entries}) < len(entries) / 5
    settled = {(e.fields[0], e.action) for e in entries}
    for d in report.deliveries:
        action = {"sent": "message.sent", "dead": "message.dead", "retry": "message.failed"}
        assert (f"outbox.{d.outbox_id}", action[d.status]) in settled
    if backend == "sqlite":
        assert _settled_with_their_entries(tmp_path / "db.sqlite3") >= 305
        statuses = _statuses(svc.store, tmp_path / "db.sqlite3")
        assert {statuses[k] for k in keys} <= {"sent", "dead"}
    assert svc.store.verify().first_break is None
    svc.store.close()


# --- the command line ----------------------------------------------------------------------------


def test_cli_notify_run_sends_and_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "db.sqlite3"
    svc = ns.service(_url(db), case_ids=["m-1"])
    ns.open_to_route(svc, "m-1")
    ns.to_agreement(svc, "m-1")
    pm = ns.hooks(ns.RecordingChannel("cli")).plugin_manager
    import sen_disagreement.plugins as plugins

    monkeypatch.setattr(plugins, "make_plugin_manager", lambda **_: pm)
    runner = CliRunner()
    once = runner.invoke(main, ["notify", "run", "--db", _url(db), "--once", "--limit", "2",
                                "--format", "json"])
    assert once.exit_code == 0, once.output
    doc = json.loads(once.output)
    assert (doc["claimed"], doc["sent"]) == (2, 2)
    assert {d["status"] for d in doc["deliveries"]} == {"sent"}
    rest = runner.invoke(main, ["notify", "run", "--db", _url(db), "--settle-every", "2"])
    assert rest.exit_code == 0 and rest.output.startswith("claimed 3 message(s): 3 sent")
    # Settled in groups of two, each mark still has its audit entry.
    sent = [e for e in svc.store.audit_trail("m-1") if e.action == "message.sent"]
    assert len(sent) == 5
    for args in (["--limit", "0"], ["--settle-every", "0"], ["--settle-every", "1001"]):
        bad = runner.invoke(main, ["notify", "run", "--db", _url(db), *args])
        assert bad.exit_code == 2 and "Traceback" not in bad.output


# --- attempt numbers and "may already have been sent" ------------------------------------------


class _Scripted:
    """A channel that answers each send from a script: ``ok``, ``fail`` (a 503 before
    accepting) or ``lost`` (accepted, then the answer lost); records what it was handed."""

    def __init__(self, script: Sequence[str]) -> None:
        self.script = list(script)
        self.seen: list[OutgoingMessage] = []

    @property
    def name(self) -> str:
        return "scripted"

    @property
    def media(self) -> frozenset[Medium]:
        return frozenset(Medium)

    def send(self, message: OutgoingMessage) -> Receipt:
        self.seen.append(message)
        step = self.script.pop(0) if self.script else "ok"
        if step == "fail":
            raise ChannelError("503", channel="scripted", retryable=True)
        if step == "lost":
            raise ChannelError("timed out", channel="scripted", retryable=True,
                               outcome_unknown=True)
        return Receipt(message_id=f"s-{len(self.seen)}")


def _one_reminder(svc: CaseService) -> str:
    ns.open_to_route(svc, "a-1")
    svc.store.enqueue([messages.reminder(DeadlineHit("a-1", ns.GSS, "mediation", "route_chosen",
                                                     "clock_x", dt.date(2025, 4, 1),
                                                     "running"))])
    return "a-1"


def test_each_attempt_is_numbered_and_a_retry_after_an_unknown_outcome_says_so(
    tmp_path: Path,
) -> None:
    channel = _Scripted(["fail", "lost", "fail", "ok"])
    svc = ns.service(_url(tmp_path / "db.sqlite3"), channel, case_ids=["a-1"])
    _one_reminder(svc)
    report = dispatch_all(svc.store, svc.hooks, policy=RetryPolicy(
        attempts=5, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0))
    assert report.sent == 2 and report.dead == 0
    by_ref: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for m in channel.seen:
        by_ref[m.reference].append((m.attempt, m.may_already_have_been_sent))
    # The case's ICB message is first in the outbox and takes the script: a definite failure,
    # a lost answer (from then on it may already have been sent), a failure, then delivered.
    # The reminder after it is delivered at its first try.
    assert sorted(by_ref.values(), key=len) == [
        [(1, False)],
        [(1, False), (2, False), (3, True), (4, True)],
    ]


def test_a_message_claimed_again_may_already_have_been_sent(tmp_path: Path) -> None:
    channel = ns.RecordingChannel("again", fail=1.0)
    svc = ns.service(_url(tmp_path / "db.sqlite3"), channel, case_ids=["a-1"])
    _one_reminder(svc)
    dispatch_all(svc.store, svc.hooks, policy=NO_WAIT, max_batches=1)
    first = {(m.attempt, m.may_already_have_been_sent) for m in channel.seen}
    assert first == {(1, False), (2, False), (3, False)}  # 503s: definite failures
    channel.fail = 0.0
    dispatch_all(svc.store, svc.hooks, policy=NO_WAIT, now=lambda: FAR)
    # The second claim cannot know how the first ended (the store keeps only the count): it
    # says the message may already have been sent, and counts the earlier claim once.
    assert {(m.attempt, m.may_already_have_been_sent) for m in channel.delivered} == {(2, True)}


# --- through GOV.UK Notify: timeouts after accepting, kill -9 -------------------------------------


notify_testing = pytest.importorskip("sen_disagreement_notify.testing")


def _notify_channel(server: object, key: str, *, timeout: float = 5.0) -> object:
    from sen_disagreement_notify import NotifyChannel

    templates = {(kind, Medium.EMAIL): str(uuid.uuid5(uuid.NAMESPACE_URL, kind))
                 for kind in ("deadline_reminder", "health_issues_to_commissioning_body")}
    return NotifyChannel(api_key=key, templates=templates,
                         base_url=server.url, timeout=timeout)  # type: ignore[attr-defined]


def test_through_notify_a_timeout_after_accepting_never_sends_a_message_twice(
    tmp_path: Path,
) -> None:
    with notify_testing.FakeNotify() as server:
        key = server.add_key("dispatch-test")
        channel = _notify_channel(server, key, timeout=0.2)
        svc = ns.service(_url(tmp_path / "db.sqlite3"), channel,
                         case_ids=[f"c-{i}" for i in range(5)])
        keys = _queue(svc, 200)
        server.stall_after_accept(0.6, times=8)  # stored, then answered after the timeout
        report = dispatch_all(svc.store, svc.hooks, limit=50, policy=NO_WAIT)
        statuses = _statuses(svc.store, tmp_path / "db.sqlite3")
        assert [k for k, s in statuses.items() if s != "sent"] == [] and report.dead == 0
        refs = [n.reference for n in server.notifications.values()]
        assert sorted(refs) == sorted(statuses) and len(refs) == len(set(refs)) == 205
        assert set(keys) <= set(refs)
        lookups = [r for r in server.requests if r.method == "GET"]
        assert len(lookups) >= 8  # each lost answer was followed by a lookup, not a resend


def test_through_notify_kill_9_trials_lose_nothing_and_send_nothing_twice(
    tmp_path: Path,
) -> None:
    db = tmp_path / "db.sqlite3"
    svc = ns.service(_url(db), case_ids=[f"n-{i}" for i in range(5)])
    keys = _queue(svc, 3_000, prefix="n")  # more than the trials can drain
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    rng = random.Random(5)
    with notify_testing.FakeNotify() as server:
        key = server.add_key("kill-9")
        mid_batch = trial = 0
        while mid_batch < 10 and trial < 30:
            # Every other trial settles three messages per commit: a group killed unwritten is
            # sent again after the lease, and Notify is asked first, so nothing goes twice.
            proc = subprocess.Popen([sys.executable, str(WORKER), str(db), "-", str(trial),
                                     server.url, key], stdout=subprocess.PIPE, text=True,
                                    env={**env, "SETTLE_EVERY": "3" if trial % 2 else "1"})
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
            seen = proc.stdout.readline().strip()
            time.sleep(rng.uniform(0.0, 0.3))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            rest = proc.stdout.read()
            proc.stdout.close()
            mid_batch += _killed_after_first_claim(seen, rest)
            trial += 1
        assert mid_batch >= 10, (mid_batch, trial)
        # A fresh dispatcher (nothing remembered) takes over after the leases lapse: each
        # message claimed before says it may already have been sent, so Notify is asked first.
        recovery = ns.hooks(_notify_channel(server, key))
        with open_store(_url(db)) as store:
            dispatch_all(store, recovery, now=lambda: FAR, policy=NO_WAIT, max_attempts=1000)
            statuses = _statuses(store, db)
        assert [k for k in keys if statuses[k] != "sent"] == []
        refs = [n.reference for n in server.notifications.values()]
        assert len(refs) == len(set(refs)) == len(statuses)  # 0 lost, 0 sent twice
        assert server.rejected_tokens == 0
        assert _settled_with_their_entries(db) == len(statuses)


# --- the retry waits (stamina's backoff, on a fake clock) -----------------------------------------


class _FakeTime:
    """Stands for the ``time`` module inside tenacity (which stamina retries through): its
    clock moves only when something sleeps on it, and it records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> _FakeTime:
    import stamina
    import tenacity
    import tenacity.nap

    assert stamina.is_active() and not stamina.is_testing()  # real backoffs, not test mode
    clock = _FakeTime()
    monkeypatch.setattr(tenacity, "time", clock)       # the retry state's clock
    monkeypatch.setattr(tenacity.nap, "time", clock)   # the default sleep
    return clock


class _AlwaysFailing:
    name = "down"
    media = frozenset(Medium)

    def __init__(self, clock: _FakeTime, takes: float = 0.0) -> None:
        self.clock = clock
        self.takes = takes
        self.calls = 0

    def send(self, message: OutgoingMessage) -> Receipt:
        self.calls += 1
        self.clock.now += self.takes
        raise ChannelError("unavailable (503)", channel=self.name, retryable=True)


def _message() -> OutgoingMessage:
    from sen_disagreement.channels import Address

    return OutgoingMessage(kind="deadline_reminder", medium=Medium.EMAIL, council=ns.GSS,
                           case_reference="c-1", address=Address(email="team@example.org"),
                           personalisation={}, reference="msg.retry-waits")


def _send_failing(policy: RetryPolicy, clock: _FakeTime, takes: float = 0.0) -> int:
    from sen_disagreement.dispatch import _send

    channel = _AlwaysFailing(clock, takes)
    with pytest.raises(ChannelError):
        _send(channel, _message(), policy)
    return channel.calls


def test_retry_waits_grow_exponentially_up_to_wait_max(fake_time: _FakeTime) -> None:
    policy = RetryPolicy(attempts=7, timeout=3600.0, wait_initial=0.5, wait_max=6.0,
                         wait_jitter=0.0)
    assert _send_failing(policy, fake_time) == 7
    assert fake_time.slept == [0.5, 1.0, 2.0, 4.0, 6.0, 6.0]  # doubling, then capped


def test_retry_waits_carry_jitter_within_wait_jitter(fake_time: _FakeTime) -> None:
    runs = []
    for _ in range(3):
        fake_time.slept.clear()
        policy = RetryPolicy(attempts=6, timeout=3600.0, wait_initial=1.0, wait_max=1000.0,
                             wait_jitter=0.5)
        _send_failing(policy, fake_time)
        bases = [2.0 ** k for k in range(5)]
        assert len(fake_time.slept) == 5
        for wait, base in zip(fake_time.slept, bases, strict=True):
            assert base <= wait <= base + 0.5
        assert fake_time.slept != bases  # the jitter is applied
        assert fake_time.slept == sorted(fake_time.slept)  # and the waits still grow
        runs.append(tuple(fake_time.slept))
    assert len(set(runs)) == 3  # each run's jitter is its own


def test_the_time_bound_ends_retrying_before_the_attempts_run_out(
    fake_time: _FakeTime,
) -> None:
    policy = RetryPolicy(attempts=100, timeout=10.0, wait_initial=1.0, wait_max=100.0,
                         wait_jitter=0.0)
    # Failures at t=0, 1, 3, 7 and 15: the fifth comes after the 10 s bound, so no more waits.
    assert _send_failing(policy, fake_time) == 5
    assert fake_time.slept == [1.0, 2.0, 4.0, 8.0]
    # Sends that take time count against the bound too: 4 s each.
    fake_time.slept.clear()
    assert _send_failing(policy, fake_time, takes=4.0) == 3  # t=4, 9 (+1 s wait), 16
    assert fake_time.slept == [1.0, 2.0]


class _Fixed(random.Random):
    """A random source whose every draw is ``value`` (the top of retry_at's jitter range)."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def test_retry_at_doubles_per_claim_up_to_backoff_max_with_jitter() -> None:
    now = dt.datetime(2025, 4, 1, 9, tzinfo=dt.UTC)
    policy = RetryPolicy(backoff=dt.timedelta(minutes=1), backoff_max=dt.timedelta(minutes=20))
    top = [policy.retry_at(now, n, _Fixed(1.0)) - now for n in range(1, 8)]
    assert top == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 20, 20)]
    low = [policy.retry_at(now, n, _Fixed(0.0)) - now for n in range(1, 8)]
    assert low == [t / 2 for t in top]  # the jitter: between half and all of the backoff
    rng = random.Random(3)
    for n in range(1, 40):  # any attempt count, never beyond backoff_max
        wait = policy.retry_at(now, n, rng) - now
        assert top[min(n, 7) - 1] / 2 <= wait <= top[min(n, 7) - 1]


def test_a_failed_message_is_not_claimed_again_before_its_retry_at(tmp_path: Path) -> None:
    channel = ns.RecordingChannel("down", fail=1.0)
    svc = ns.service(_url(tmp_path / "db.sqlite3"), channel, case_ids=["r-1"])
    ns.open_to_route(svc, "r-1")
    policy = RetryPolicy(attempts=1, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0,
                         backoff=dt.timedelta(minutes=1), backoff_max=dt.timedelta(minutes=5))
    now = FAR
    for claim, minutes in enumerate((1, 2, 4, 5, 5), start=1):
        report = dispatch(svc.store, svc.hooks, now=now, policy=policy, rng=_Fixed(1.0))
        assert (report.claimed, report.retried) == (1, 1), claim
        wait = dt.timedelta(minutes=minutes)  # doubled per claim, capped at backoff_max
        early = now + wait - dt.timedelta(seconds=1)
        assert dispatch(svc.store, svc.hooks, now=early, policy=policy).claimed == 0, claim
        now += wait
    assert len(channel.seen) == 5
