"""Crash and concurrency tests: kill -9 mid-write, PostgreSQL immediate shutdown, racing writers."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sen_disagreement.store import Store, open_store

Spawn = Callable[..., subprocess.Popen[str]]

SQLITE_TRIALS = 100


def _acks(stdout: str) -> dict[str, int]:
    """Acknowledged writes: case id -> highest acknowledged version (complete lines only)."""
    acked: dict[str, int] = {}
    for line in stdout.splitlines(keepends=True):
        if not line.endswith("\n"):
            break
        parts = line.split()
        if len(parts) == 3 and parts[0] in ("C", "U"):
            acked[parts[1]] = max(acked.get(parts[1], 0), int(parts[2]))
    return acked


def _wait_ready(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line == "ready\n", proc.stderr.read() if proc.stderr else line
    return line


def _check_store(store: Store, acked: dict[str, int]) -> None:
    """Every acknowledged write is there, and every stored case is whole."""
    for case_id, version in acked.items():
        record = store.load(case_id)
        assert record.version >= version, case_id
        assert f'"v":{record.version}' in record.document
        history = store.history(case_id)
        assert [h.version for h in history] == list(range(1, record.version + 1))
        assert len(record.deadlines) == 2
        trail = store.audit_trail(case_id)
        assert [a.outcome for a in trail] == ["ok"] * record.version
    for record in store.find_cases("E08000014", limit=1_000_000):
        # no partial case: clocks, history, audit and outbox row all written with the case
        assert len(record.deadlines) == 2, record.case_id
        assert len(store.history(record.case_id)) == record.version
        assert len(store.audit_trail(record.case_id)) == record.version


def _integrity_ok(path: Path) -> None:
    c = sqlite3.connect(path)
    try:
        assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert c.execute("PRAGMA foreign_key_check").fetchall() == []
        orphans = c.execute(
            "SELECT count(*) FROM cases c WHERE NOT EXISTS"
            " (SELECT 1 FROM outbox o WHERE o.case_id = c.case_id)"
        ).fetchone()
        assert orphans == (0,)  # every case kept the outbox row written with it
    finally:
        c.close()


@pytest.mark.slow
def test_sigkill_during_sqlite_writes_loses_no_acknowledged_write(
    tmp_path: Path, run_worker: Spawn
) -> None:
    rng = random.Random(20250106)
    main_db = tmp_path / "crash.sqlite3"
    total_acked = 0
    for trial in range(SQLITE_TRIALS):
        fresh = trial % 10 == 9
        db = tmp_path / f"fresh-{trial}.sqlite3" if fresh else main_db
        url = f"sqlite:///{db}"
        proc = run_worker("crash", url, str(trial))
        if fresh:
            # kill anywhere from interpreter start-up through schema creation into the writes
            time.sleep(rng.uniform(0.0, 0.4))
        else:
            _wait_ready(proc)
            time.sleep(rng.uniform(0.0, 0.06))
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, err
        acked = _acks(out)
        total_acked += len(acked)
        if not db.exists():
            assert not acked
            continue
        with open_store(url) as store:
            _check_store(store, acked)
        _integrity_ok(db)
    assert total_acked > SQLITE_TRIALS  # the kills really landed among writes


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_immediate_shutdown_loses_no_acknowledged_write(
    run_worker: Spawn, new_pg_cluster: Callable[[], Any]
) -> None:
    cluster = new_pg_cluster()
    rng = random.Random(7)
    try:
        cluster.init()
        cluster.start()
        cluster.create_roles()
        url = cluster.app_schema().app_url  # the workers run as the application role
        open_store(url).close()
        total_acked = 0
        for trial in range(8):
            proc = run_worker("crash", url, f"pg{trial}")
            _wait_ready(proc)
            time.sleep(rng.uniform(0.05, 0.4))
            cluster.stop("immediate")
            out, _err = proc.communicate(timeout=60)
            assert proc.returncode != 0  # the worker lost its server mid-write
            acked = _acks(out)
            total_acked += len(acked)
            cluster.start()
            with open_store(url) as store:
                _check_store(store, acked)
        assert total_acked > 8
    finally:
        cluster.destroy()


def test_racing_processes_and_threads_never_lose_or_merge_a_write(
    store: Store, store_url: str, case_factory: Callable[..., object], run_worker: Spawn
) -> None:
    threads, n = 4, 12
    first = store.save(case_factory(), 0, actor="officer:1")  # type: ignore[arg-type]
    procs = [
        run_worker("contend", store_url, first.case_id, str(threads), str(n), tag)
        for tag in ("p1", "p2")
    ]
    oks: list[str] = []
    stale = 0
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "Traceback" not in err, err
        lines = out.splitlines()
        assert len(lines) == threads * n
        oks += [line.split()[1] for line in lines if line.startswith("OK ")]
        stale += sum(line == "STALE" for line in lines)
    assert len(oks) + stale == 2 * threads * n
    assert stale > 0  # the writers really raced, and conflicts were refused
    final = store.load(first.case_id)
    assert final.version == 1 + len(oks)
    history = store.history(first.case_id)
    tokens = [h.document.split('"')[3] for h in history[1:]]
    assert sorted(tokens) == sorted(oks)  # every successful write kept, none merged
    refused = [a for a in store.audit_trail(first.case_id) if a.outcome == "refused_stale"]
    assert len(refused) == stale
