"""A load (and a history) reads one snapshot: the case row, its deadlines and its history rows are
always of the same version, however many saves run meanwhile (issue 10).

Writer threads keep saving new versions of a few cases; every version ``v`` has its own document
(``{"v": v}``), state (``v<v>``), update time, number of clocks (``1 + v % 3``), and each clock's
due date and status. Reader threads load the cases and read a history while the writers run, and
check that every record they get is one whole version.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sen_disagreement.store import CaseRecord, DeadlineEntry, Store, open_store

from .conftest import APP_ROLE, PgSchema

T0 = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
BASE = dt.date(2030, 1, 1)
COUNCIL = "E08000014"
LOADED = tuple(f"ENG-E08000014-2025-{i:06d}" for i in range(1, 5))
HISTORY = "ENG-E08000014-2025-000099"
"""Saved more slowly, so reading its whole history stays cheap while it grows."""


def version_record(case_id: str, version: int) -> CaseRecord:
    """Version ``version`` of a case, every column and clock saying which version it is."""
    clocks = tuple(
        DeadlineEntry(clock_id=f"clock_{i}", due=BASE + dt.timedelta(days=version),
                      status=f"v{version}")
        for i in range(1 + version % 3)
    )
    return CaseRecord(
        case_id=case_id, council=COUNCIL, kind="mediation", state=f"v{version}",
        version=version, document=json.dumps({"v": version}), created_at=T0,
        updated_at=T0 + dt.timedelta(seconds=version), deadlines=clocks,
    )


def torn(record: CaseRecord) -> bool:
    """Whether a record mixes versions (its row, document and clocks disagree)."""
    return record != version_record(record.case_id, record.version)


class Race:
    """Writers and readers on one store until ``loads`` loads are done while at least
    ``min_saves`` saves changed what they read (or ``budget`` s pass): a count of loads alone
    ends the race too early once loads get faster than saves."""

    def __init__(self, store: Store, loads: int, budget: float, min_saves: int) -> None:
        self.store = store
        self.loads_wanted = loads
        self.min_saves = min_saves
        self.deadline = time.monotonic() + budget
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.loads = self.histories = self.history_rows = self.saves = self.changed = 0
        self.torn: list[str] = []
        self.errors: list[BaseException] = []

    def _guard(self, body: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                body()
            except BaseException as exc:
                with self.lock:
                    self.errors.append(exc)
                self.stop.set()

        return run

    def _writer(self, case_id: str, pause: float) -> None:
        version = 1
        while not self.stop.is_set():
            version += 1
            self.store.save(version_record(case_id, version), version - 1, actor="writer-1")
            with self.lock:
                self.saves += 1
            if pause:
                time.sleep(pause)

    def _reader(self, seed: int) -> None:
        rng = random.Random(seed)
        last: dict[str, int] = {}
        n = 0
        while not self.stop.is_set():
            n += 1
            case_id = rng.choice(LOADED)
            record = self.store.load(case_id)
            bad = [f"load {case_id} v{record.version}"] if torn(record) else []
            moved = last.get(case_id, record.version) != record.version
            last[case_id] = record.version
            rows = 0
            if n % 40 == 0:
                history = self.store.history(HISTORY)
                rows = len(history)
                if [h.version for h in history] != list(range(1, len(history) + 1)):
                    bad.append(f"history of {HISTORY}: versions out of step")
                bad += [f"history {HISTORY} v{h.version}" for h in history if torn(h)]
            with self.lock:
                self.loads += 1
                self.changed += moved
                self.histories += rows > 0
                self.history_rows += rows
                self.torn += bad
                done = (self.loads >= self.loads_wanted and self.saves >= self.min_saves
                        and self.changed >= self.min_saves)
                if done or time.monotonic() > self.deadline:
                    self.stop.set()

    def run(self, readers: int, *, pause: float = 0.0) -> None:
        """``pause``: how long each load writer waits between saves (SQLite's one write lock
        would otherwise starve the slower history writer)."""
        for case_id in (*LOADED, HISTORY):
            self.store.save(version_record(case_id, 1), 0, actor="writer-1")
        bodies = [functools.partial(self._writer, c, pause) for c in LOADED]
        bodies.append(functools.partial(self._writer, HISTORY, 0.01))
        bodies += [functools.partial(self._reader, seed) for seed in range(readers)]
        threads = [threading.Thread(target=self._guard(body)) for body in bodies]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads)

    def check(self, name: str) -> None:
        min_saves = self.min_saves
        print(f"{name}: {self.loads} loads and {self.histories} histories ({self.history_rows} "
              f"rows) during {self.saves} saves; {self.changed} loads saw a newer version than "
              f"the reader's last; {len(self.torn)} torn")
        assert not self.errors, self.errors[:3]
        assert self.torn == [], self.torn[:10]
        assert self.loads >= self.loads_wanted, "the time budget ran out first"
        # the readers really raced the writers
        assert self.saves >= min_saves and self.changed >= min_saves
        assert self.history_rows >= 3 * self.histories  # and the history grew meanwhile


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_load_and_history_never_mix_versions_under_concurrent_saves(
    pg_schema: PgSchema,
) -> None:
    # As the application role (least privilege: what the store runs as in production), on a
    # schema the migration role migrated and granted.
    with open_store(pg_schema.app_url) as store:
        assert store._plain().one("SELECT current_user") == (APP_ROLE,)  # type: ignore[attr-defined]
        race = Race(store, loads=20_000, budget=40.0, min_saves=500)
        race.run(readers=4)
        race.check("postgres")


@pytest.mark.slow
def test_sqlite_load_and_history_never_mix_versions_under_concurrent_saves(
    tmp_path: Path,
) -> None:
    with open_store(f"sqlite:///{tmp_path / 'race.sqlite3'}") as store:
        race = Race(store, loads=20_000, budget=20.0, min_saves=100)
        race.run(readers=3, pause=0.002)
        race.check("sqlite")
