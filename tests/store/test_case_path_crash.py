"""Issue 9: a case and all its new audit entries, clock rows and outbox messages are one
transaction, on the command path (real cases through :class:`CaseService` and
:func:`sen_disagreement.workflow.records.save`), through kill -9 and PostgreSQL immediate shutdown.

After every crash: each acknowledged save is there (the stored version is at least the one
acknowledged, and that version carries the acknowledged number of audit entries); the store's
``ok`` audit rows of every case are exactly the entries of its stored document's audit trail (same
actors, actions, event times and field names, in order; only ``refused_stale`` rows besides: no
orphan audit row either way); and every version in the history is whole (it reads back as a case
whose columns and clock rows are those the case itself gives).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import attrs
import pytest

from sen_disagreement.council import StoreAttentionQueue
from sen_disagreement.disclosure import Disclosure, ItemKind
from sen_disagreement.ehc import PlanSection
from sen_disagreement.errors import InvalidInputError, StaleWriteError
from sen_disagreement.plugins import Hooks, make_plugin_manager
from sen_disagreement.service import CaseService
from sen_disagreement.store import AuditEntry, Store, open_store
from sen_disagreement.workflow import records
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.audit import AuditTrail
from sen_disagreement.workflow.invariants import HISTORY_RULE
from sen_disagreement.workflow.issues import Issue
from store.case_path_workers import COUNCIL, OFFICER, PARENT, directory, opening
from store.conftest import Clock, PgCluster

WORKERS = Path(__file__).with_name("case_path_workers.py")
TESTS = Path(__file__).resolve().parents[1]

SQLITE_TRIALS = 100
SQLITE_FILES = 10  # trials alternate between two files at a time; each file sees 10 crashes
PG_TRIALS = 20

Acks = dict[str, dict[int, int]]
"""case id -> {acknowledged version: audit entries in that version's document}."""


def _spawn(*args: str) -> subprocess.Popen[str]:
    """Start ``case_path_workers.py <args>`` in a fresh interpreter (``tests`` on the path, as
    the worker reuses ``store.store_workers``)."""
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": str(TESTS) + (os.pathsep + path if path else "")}
    return subprocess.Popen(
        [sys.executable, str(WORKERS), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _start_workers(url: str, tag: str, n: int) -> list[subprocess.Popen[str]]:
    """``n`` workers on two shared cases (a disagreement-resolution and a mediation case) and
    one case of their own each."""
    shared = [f"{tag}-dr-0", f"{tag}-med-0"]
    return [_spawn("crash", url, f"w{k}", *shared, f"{tag}-dr-w{k}") for k in range(n)]


def _wait_ready(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line == "ready\n", proc.stderr.read() if proc.stderr else line


def _parse(outputs: list[str], acks: Acks) -> int:
    """Add the acknowledged saves (complete lines only) to ``acks``; return the stale refusals
    the workers met."""
    stale = 0
    for out in outputs:
        for line in out.splitlines(keepends=True):
            if not line.endswith("\n"):
                break
            parts = line.split()
            if parts[0] == "A":
                acks.setdefault(parts[1], {})[int(parts[2])] = int(parts[3])
            elif parts[0] == "S":
                stale += 1
    return stale


def _doc_entries(document: str) -> list[tuple[str, str, dt.datetime, tuple[str, ...]]]:
    entries = json.loads(document)["case"]["audit"]["entries"]
    return [
        (e["actor"], e["action"], dt.datetime.fromisoformat(e["at"]), tuple(e["fields"]))
        for e in entries
    ]


def _row(a: AuditEntry) -> tuple[str, str, dt.datetime, tuple[str, ...]]:
    return (a.actor, a.action, a.at, a.fields)


@attrs.define
class Seen:
    """What the crash trials exercised, so a run that never raced or batched cannot pass."""

    acked: int = 0
    worker_stale: int = 0
    batches: int = 0
    clock_rows: int = 0


def check_store(store: Store, acks: Acks, full: str, seen: Seen) -> int:
    """The rules of issue 9 over every case in the store; the cases whose id starts with
    ``full`` also have their whole history read back version by version. Returns how many
    ``refused_stale`` rows the store holds."""
    cases = {r.case_id: r for r in store.find_cases(COUNCIL, limit=1_000_000)}
    by_case: dict[str | None, list[AuditEntry]] = defaultdict(list)
    for a in store.audit_trail(None, limit=1_000_000):
        by_case[a.case_id].append(a)
    assert set(by_case) <= set(cases), "audit rows of a case that was never stored"
    stale_rows = 0
    for case_id, record in cases.items():
        trail = by_case[case_id]
        ok = [a for a in trail if a.outcome == "ok"]
        others = {a.outcome for a in trail} - {"ok"}
        assert others <= {"refused_stale"}, (case_id, others)
        stale_rows += len(trail) - len(ok)
        # 0 orphan audit rows: exactly the entries of the stored document, in order
        assert [_row(a) for a in ok] == _doc_entries(record.document), case_id
        assert all(a.committed_at is not None for a in ok), case_id
    for case_id, versions in acks.items():
        assert case_id in cases, f"acknowledged case {case_id} lost"
        record = cases[case_id]
        assert record.version >= max(versions), case_id
    for case_id in (c for c in cases if c.startswith(full)):
        history = store.history(case_id)
        assert [h.version for h in history] == list(range(1, cases[case_id].version + 1))
        counts = []
        for h in history:
            case = records.from_record(h)  # the document is a whole case
            assert records.to_record(case, version=h.version) == h, (case_id, h.version)
            counts.append(len(case.audit.entries))
            seen.clock_rows += len(h.deadlines)
        assert all(b > a for a, b in itertools.pairwise(counts)), case_id
        seen.batches += sum(b - a > 1 for a, b in itertools.pairwise(counts))
        for version, n in acks.get(case_id, {}).items():
            assert counts[version - 1] == n, (case_id, version)
    return stale_rows


def _sqlite_ok(path: Path) -> None:
    c = sqlite3.connect(path)
    try:
        assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert c.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        c.close()


def _kill(procs: list[subprocess.Popen[str]], rng: random.Random) -> list[str]:
    """SIGKILL the workers one by one, in random order, a few milliseconds apart."""
    for proc in rng.sample(procs, len(procs)):
        proc.send_signal(signal.SIGKILL)
        time.sleep(rng.uniform(0.0, 0.004))
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, err
        outs.append(out)
    return outs


@pytest.mark.slow
def test_case_and_audit_one_transaction_sqlite_kill9(tmp_path: Path) -> None:
    """100 trials of 2-3 workers on real cases, killed with SIGKILL at random moments (the
    first trial on each file also during start-up and schema creation)."""
    rng = random.Random(20250109)
    per_file = SQLITE_TRIALS // SQLITE_FILES

    def db_of(trial: int) -> Path:
        # trials alternate between two files, so the next trial's workers start up while this
        # trial is checked; each file takes ten trials in turn
        return tmp_path / f"cases-{trial // (2 * per_file)}-{trial % 2}.sqlite3"

    def start(trial: int) -> tuple[list[subprocess.Popen[str]], float]:
        n = 3 if trial % 3 == 0 else 2
        return _start_workers(f"sqlite:///{db_of(trial)}", f"t{trial}", n), time.monotonic()

    acks: dict[Path, Acks] = defaultdict(dict)
    stale_rows: dict[Path, int] = {}
    seen = Seen()
    pending = start(0)
    for trial in range(SQLITE_TRIALS):
        procs, started = pending
        db = db_of(trial)
        if (trial // 2) % per_file == 0:
            time.sleep(max(0.0, started + rng.uniform(0.0, 0.5) - time.monotonic()))
        else:
            _wait_ready(procs)
            time.sleep(rng.uniform(0.0, 0.12))
        outs = _kill(procs, rng)
        if trial + 1 < SQLITE_TRIALS:
            pending = start(trial + 1)
        seen.worker_stale += _parse(outs, acks[db])
        if not db.exists():
            assert not acks[db]
            continue
        _sqlite_ok(db)
        with open_store(f"sqlite:///{db}") as store:
            stale_rows[db] = check_store(store, acks[db], f"t{trial}-", seen)
        _sqlite_ok(db)
    seen.acked = sum(len(v) for a in acks.values() for v in a.values())
    assert seen.acked > 10 * SQLITE_TRIALS, seen  # the kills really landed among writes
    # the writers really raced, and were refused (by the service or inside the store's save)
    assert seen.worker_stale > 0 and sum(stale_rows.values()) > 0, seen
    assert seen.batches > 0, seen  # saves of several new entries at once were crashed too
    assert seen.clock_rows > 0, seen


@pytest.mark.postgres
@pytest.mark.slow
def test_case_and_audit_one_transaction_postgres_immediate_shutdown(
    new_pg_cluster: type[PgCluster],
) -> None:
    """20 immediate shutdowns of the server under 3 concurrent workers, then a restart."""
    cluster = new_pg_cluster()
    rng = random.Random(9)
    acks: Acks = {}
    seen = Seen()
    stale_rows = 0
    try:
        cluster.init()
        cluster.start()
        url = cluster.url()
        open_store(url).close()
        for trial in range(PG_TRIALS):
            procs = _start_workers(url, f"pg{trial}", 3)
            _wait_ready(procs)
            time.sleep(rng.uniform(0.05, 0.3))
            cluster.stop("immediate")
            outs = []
            for proc in procs:
                out, _err = proc.communicate(timeout=60)
                assert proc.returncode != 0  # the worker lost its server mid-write
                outs.append(out)
            seen.worker_stale += _parse(outs, acks)
            cluster.start()
            with open_store(url) as store:
                stale_rows = check_store(store, acks, f"pg{trial}-", seen)
        seen.acked = sum(len(v) for v in acks.values())
        assert seen.acked > 5 * PG_TRIALS, seen
        assert seen.worker_stale > 0 and stale_rows > 0, seen
        assert seen.batches > 0 and seen.clock_rows > 0, seen
    finally:
        cluster.destroy()


# --- the same rules, step by step -------------------------------------------------------------

EVENT = dt.datetime(2025, 1, 13, 10, tzinfo=dt.UTC)
"""When things happen in the case; the store's clock (``clock``, from T0) runs weeks apart."""
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def service(store: Store) -> CaseService:
    pm = make_plugin_manager(load_entry_points=True)
    hooks = Hooks(pm, timeout=None, attention=StoreAttentionQueue(store))
    return CaseService(store, hooks, directory(["dr-9"]))


def _ok_rows(store: Store, case_id: str) -> list[AuditEntry]:
    return [a for a in store.audit_trail(case_id) if a.outcome == "ok"]


def _assert_rows_are_the_document(store: Store, case_id: str) -> list[AuditEntry]:
    ok = _ok_rows(store, case_id)
    case = records.from_record(store.load(case_id))
    assert [_row(a) for a in ok] == [_row(e) for e in case.audit.entries]
    return ok


def test_refused_saves_write_no_ok_audit_row_and_keep_event_time(
    store: Store, service: CaseService, clock: Clock
) -> None:
    case_id = "dr-9"
    committed: list[dt.datetime] = []

    def tick() -> None:
        clock.advance(dt.timedelta(minutes=7))
        committed.append(clock.now())

    tick()
    service.open_case(OFFICER, opening(case_id), at=EVENT)
    tick()
    service.apply(case_id, OFFICER, st.SeekAgreement(), at=EVENT + HOUR)
    case, version = service.load(case_id)
    parent, officer = service.actor(PARENT), service.actor(OFFICER)

    # two successors of version 2: the first is saved, the second is refused as stale
    first = st.apply_step(case, parent, st.AcceptDecision(party_id="parent"), at=EVENT + 2 * HOUR)
    late = st.apply_step(case, officer, st.AcceptDecision(party_id="sefton"), at=EVENT + 3 * HOUR)
    tick()
    assert records.save(store, first, expected_version=version).version == 3
    tick()
    with pytest.raises(StaleWriteError):
        records.save(store, late, expected_version=version)
    ok = _assert_rows_are_the_document(store, case_id)
    assert len(ok) == 3 and EVENT + 3 * HOUR not in {a.at for a in ok}
    refused = [a for a in store.audit_trail(case_id) if a.outcome == "refused_stale"]
    assert len(refused) == 1 and refused[0].committed_at == clock.now()
    # the service refuses a stale expected version before the store is asked at all
    before = len(store.audit_trail(case_id))
    with pytest.raises(StaleWriteError):
        service.apply(case_id, OFFICER, st.AcceptDecision(party_id="sefton"),
                      at=EVENT + 3 * HOUR, expected_version=version)
    assert len(store.audit_trail(case_id)) == before

    # a hand-edited case that drops a stored entry (and adds one, so the count looks right)
    case, version = service.load(case_id)
    entries = case.audit.entries
    edited = attrs.evolve(case, audit=AuditTrail(case_id, (*entries[:1], *entries[2:])))
    edited = st.apply_step(edited, officer, st.AcceptDecision(party_id="sefton"),
                           at=EVENT + 4 * HOUR)
    assert len(edited.audit.entries) == len(entries)
    tick()
    with pytest.raises(InvalidInputError) as refusal:
        records.save(store, edited, expected_version=version)
    assert refusal.value.rule_id == HISTORY_RULE.rule_id
    assert store.load(case_id).version == version
    assert _assert_rows_are_the_document(store, case_id) == ok
    invariant = [a for a in store.audit_trail(case_id) if a.outcome == "refused_invariant"]
    assert len(invariant) == 1
    assert invariant[0].actor == OFFICER and invariant[0].committed_at == clock.now()

    # a batch of three steps saved at once: three ok rows, one commit time
    new = case
    for k, (user, step) in enumerate([
        (officer, st.AcceptDecision(party_id="sefton")),
        (parent, st.RecordIssue(issue=Issue(issue_id="speech", section=PlanSection.F))),
        (officer, st.RecordItem(item_id="letter-1", kind=ItemKind.DOCUMENT,
                                disclosure=Disclosure.PARTIES, text="Letter confirming it")),
    ]):
        new = st.apply_step(new, user, step, at=EVENT + (5 + k) * HOUR)
    tick()
    assert records.save(store, new, expected_version=version).version == version + 1
    ok = _assert_rows_are_the_document(store, case_id)
    assert len(ok) == 6

    # every stored entry keeps the case's own event time; committed_at is the store's clock
    case = records.from_record(store.load(case_id))
    assert [a.at for a in ok] == [e.at for e in case.audit.entries]
    assert [a.at for a in ok] == [EVENT + k * HOUR for k in (0, 1, 2, 5, 6, 7)]
    assert [a.committed_at for a in ok] == [*committed[:3], *[committed[-1]] * 3]
    assert all(e.committed_at is None for e in case.audit.entries)  # the document has no commit

