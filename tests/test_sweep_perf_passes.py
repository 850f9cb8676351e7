"""The sweep's passes (issue 14): the reminders of every shard a pass swept come from one
window query per deadline kind, read after the last of them was swept; the pass's leases are held
(and renewed together) until then, and only then released, each marked done unless one of its
cases failed. Real SQLite files, a real second connection watching the leases."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sweep_support as support

from sen_disagreement.store import Store, open_store
from sen_disagreement.sweeping import REMINDER_CHANNEL, shard_of, sweep_all

D = dt.date
TOLD = D(2025, 3, 12)  # the arrange clock runs to 2025-04-11
DAY = D(2025, 4, 12)   # the first day after it: every case has its event
SHARDS = 4


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cases.sqlite3'}"


def _import(url: str, ids: list[str]) -> None:
    with open_store(url) as store:
        support.import_cases(store, support.clones(support.route_chosen("tmpl", TOLD), ids))


def _count_window_queries(store: Store) -> list[str]:
    """Record each reminder-window query the sweep makes (the store's own method, called; the
    candidate query, from no start date, is not one)."""
    calls: list[str] = []
    real: Callable[..., Any] = store.deadlines_between

    def counted(*args: Any, **kwargs: Any) -> Any:
        if args and args[0] is not None:
            calls.append(str(kwargs.get("status")))
        return real(*args, **kwargs)

    store.deadlines_between = counted  # type: ignore[method-assign]
    return calls


def test_one_window_query_per_kind_whatever_the_shards_and_each_reminder_once(url: str) -> None:
    ids = [f"pp-{k:03d}" for k in range(60)]
    _import(url, ids)
    svc = support.service(url)
    with svc.store as store:
        calls = _count_window_queries(store)
        report = sweep_all(svc, DAY, shards=16)
        assert report.complete and report.events == 60 and report.done_shards == 0
        # 16 shards, one pass: one query for running duties and one for appeal deadlines.
        assert sorted(calls) == ["appeal", "running"]
        # Each case's new deemed-certificate clock (3 working days) is in the 5-day window.
        items = store.claim_outbox(now=support.NOW + dt.timedelta(days=3650), limit=10_000)
        reminded = sorted(i.message.case_id for i in items
                          if i.message.channel == REMINDER_CHANNEL)
        assert reminded == ids and report.reminders == 60
        for k in range(16):
            lease = store.lease(f"sweep.16.{k}")
            assert lease is not None and lease.holder is None and lease.done_through == DAY
        # Run again: every shard done, nothing read, nothing queued twice.
        calls.clear()
        again = sweep_all(svc, DAY, shards=16)
        assert again.done_shards == 16 and again.events == 0 and calls == []


def test_the_pass_holds_and_renews_every_lease_it_claimed_until_its_reminders_are_queued(
    url: str,
) -> None:
    ids = [f"ll-{k:03d}" for k in range(24)]
    _import(url, ids)
    ttl = dt.timedelta(seconds=1)
    holder = "sweep-under-test"
    path = url.removeprefix("sqlite:///")
    seen: list[tuple[int, int, int]] = []  # (held by us and unexpired, done, claimed so far)
    started = time.monotonic()

    def watch(_n: int) -> None:
        time.sleep(0.1)  # 24 cases: about 2.4 s, more than twice the lease
        c = sqlite3.connect(path)
        try:
            rows = c.execute("SELECT holder, expires_at, done_through FROM leases").fetchall()
        finally:
            c.close()
        now_us = int(dt.datetime.now(dt.UTC).timestamp() * 1_000_000)
        ours = sum(1 for h, exp, _d in rows if h == holder and exp > now_us)
        done = sum(1 for _h, _e, d in rows if d is not None)
        seen.append((ours, done, len(rows)))

    svc = support.service(url)
    with svc.store as store:
        report = sweep_all(svc, DAY, shards=SHARDS, lease_ttl=ttl, holder=holder,
                           progress=watch)
        assert report.complete and report.events == 24 and report.swept_shards == SHARDS
        assert time.monotonic() - started > 2 * ttl.total_seconds()
        # Every lease claimed so far stayed ours and unexpired, long after the first claim's
        # lease would have run out unrenewed; none was marked done during the pass.
        assert seen and all(ours == claimed and done == 0 for ours, done, claimed in seen)
        assert seen[-1][2] == SHARDS
        # Another sweep asking for an early shard in the middle would have been told "held":
        # after the pass, each is free again and done for the day.
        for k in range(SHARDS):
            lease = store.lease(f"sweep.{SHARDS}.{k}")
            assert lease is not None and lease.holder is None and lease.done_through == DAY
            assert store.claim_lease(f"sweep.{SHARDS}.{k}", "another",
                                     now=dt.datetime.now(dt.UTC), ttl=ttl, day=DAY) == "done"


def test_a_shard_with_a_failed_case_is_not_marked_done_and_the_others_are(url: str) -> None:
    ids = [f"ff-{k:03d}" for k in range(40)]
    _import(url, ids)
    broken = ids[7]
    c = sqlite3.connect(url.removeprefix("sqlite:///"))
    with c:
        c.execute("UPDATE cases SET document = '{\"not\": \"a case\"' WHERE case_id = ?",
                  (broken,))
    c.close()
    svc = support.service(url)
    with svc.store as store:
        report = sweep_all(svc, DAY, shards=SHARDS)
        assert report.failed == (broken,) and not report.complete
        assert report.events == 39
        bad = shard_of(broken, SHARDS)
        for k in range(SHARDS):
            lease = store.lease(f"sweep.{SHARDS}.{k}")
            assert lease is not None and lease.holder is None
            assert lease.done_through == (None if k == bad else DAY)
        # The failed case's shard is swept again by the next run (its other cases are done).
        again = sweep_all(svc, DAY, shards=SHARDS)
        assert again.done_shards == SHARDS - 1 and again.failed == (broken,)
        assert again.events == 0
