"""The daily sweep of every stored case: what the passing of the days makes happen, and the
reminders of what falls due soon.

:func:`sweep_all` runs each case's clocks as at ``today`` through
:meth:`sen_disagreement.service.CaseService.sweep` (the system actor, the one command path): the
2-month adviser-contact period lapsing, the 30 days passing without a mediation (the adviser is
told and the deemed-certificate clock starts), any other running duty passing (recorded as
missed, the reg 42 follow-up duties among them). It then queues a reminder in the outbox for every
running duty and every appeal deadline due within its council's reminder period (the
``reminder_days`` council setting, :attr:`sen_disagreement.settings.Settings.reminder_days`;
``reminder_days=N`` overrides it for every council for one sweep).

Which cases: only those with a running clock due before ``today`` (the store's indexed
:meth:`~sen_disagreement.store.Store.overdue` query), so a day's sweep costs what that day
brings, not the size of the store; the reminders come from one indexed query per deadline kind
over the reminder window, whatever the number of shards.

The guarantees:

* **Dated when it fell due.** A clock passes once its due day is over, so its event is dated
  the day after the due date (00:00 UTC, which is that day in London too; never before the case's
  last change), whatever day the sweep runs: a sweep that skipped days (a weekend, a holiday, an
  outage) catches up one event at a time, in order, each with its own date. A 30-day miss is
  recorded on the first day after the period ends, never before.
* **Idempotent.** A case's sweep acts only on clocks still running, so a second sweep of the same
  day finds nothing left to do; reminders carry an idempotency key (case, clock, due date), so
  they are queued once.
* **One transaction per event.** Each event is saved with its audit entry in its own
  transaction, refused if the case moved on meanwhile (the case is then read again). A sweep
  killed at any point leaves every case as it was or one event further on; a rerun picks up
  where it stopped.
* **Safe when two run at once.** The cases are split into ``shards`` by a hash of the case id;
  a sweep claims a shard through a lease in the store (a row with an expiry: ``SKIP LOCKED`` on
  PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), renews it while it works, and once it has swept
  every shard it could claim and queued their reminders, marks them done for the day (and lets
  them go). Another sweep skips the shards that are held or done and waits for the held ones to
  finish (or their lease to expire: the lease of a killed sweep lapses after ``lease_ttl``).
  Were a lease ever to lapse under a live sweep, the optimistic version check still refuses the
  second write of the same event.

The reminder period is the council's: for each deadline in the window, the sweep uses the
``reminder_days`` of the settings the case's council supplies today (``sen_council_settings``;
the service's own settings for a council whose plugin supplies none), so a council that changes
its period changes it for its open cases at once (the period is a judgement about officers'
work, not a reading of the law that must stay as it was when the case opened). The window read
is the longest period of the councils installed, so it still costs one indexed query per
deadline kind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import socket
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from attrs import frozen

from sen_disagreement.errors import InvalidInputError, SenDisagreementError, StaleWriteError
from sen_disagreement.settings import DEFAULT_SETTINGS, MAX_REMINDER_DAYS
from sen_disagreement.store.contract import (
    APPEAL_STATUS,
    CaseRecord,
    DeadlineHit,
    OutboxMessage,
    Store,
)

if TYPE_CHECKING:
    from sen_disagreement.service import CaseService

__all__ = [
    "DEFAULT_LEASE_TTL",
    "DEFAULT_REMINDER_DAYS",
    "DEFAULT_SHARDS",
    "REMINDER_CHANNEL",
    "SweepReport",
    "event_time",
    "london_today",
    "reminder_message",
    "shard_of",
    "sweep_all",
]

DEFAULT_REMINDER_DAYS = DEFAULT_SETTINGS.reminder_days
"""Working days before a deadline its reminder is queued when the council sets no other period
(the default of the ``reminder_days`` council setting)."""
DEFAULT_SHARDS = 16
"""How many shards the sweep splits the cases into (by a hash of the case id)."""
DEFAULT_LEASE_TTL = dt.timedelta(seconds=60)
"""How long a sweep's hold on a shard lasts: a killed sweep's shards are free again after it."""
REMINDER_CHANNEL = "reminder"  # = sen_disagreement.messages.REMINDER_CHANNEL
"""The outbox ``channel`` of a reminder (the same as
:data:`sen_disagreement.messages.REMINDER_CHANNEL`)."""
DUTY_TEMPLATE = "deadline_reminder"
APPEAL_TEMPLATE = "appeal_deadline_reminder"
_RUNNING = "running"
_QUERY_LIMIT = 1_000_000
_STALE_RETRIES = 5


def london_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in England (the statutory day), from ``now`` (UTC; default: the clock).
    Without the time-zone database, the UTC date, which is never ahead of London's."""
    when = now or dt.datetime.now(dt.UTC)
    try:
        from zoneinfo import ZoneInfo

        return when.astimezone(ZoneInfo("Europe/London")).date()
    except (ImportError, LookupError, ValueError, OSError):
        return when.astimezone(dt.UTC).date()


def event_time(day: dt.date, last_change: dt.datetime, now: dt.datetime) -> dt.datetime:
    """When the event of a clock passing on ``day`` is dated: 00:00 UTC that day (the same
    date in London), but never before the case's last change, nor after ``now``."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    return max(min(start, now), last_change)


def shard_of(case_id: str, shards: int) -> int:
    """The shard a case is swept in (stable across runs and processes)."""
    digest = hashlib.blake2b(case_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def reminder_message(hit: DeadlineHit, reminder_days: int = DEFAULT_REMINDER_DAYS
                     ) -> OutboxMessage:
    """The outbox message reminding the casework team of ``hit``
    (:func:`sen_disagreement.messages.reminder`: kind ``deadline_reminder`` or
    ``appeal_deadline_reminder``): no case content, only what names the deadline and the
    recipient (the dispatcher looks the rest up); the idempotency key is the case, the kind,
    the recipient and the deadline (clock and due date), so a deadline that moves is reminded of
    again, and one that does not, once. ``reminder_days`` is kept for callers of 0.x."""
    from sen_disagreement.messages import reminder

    del reminder_days
    return reminder(hit)


@frozen(kw_only=True)
class SweepReport:
    """What a sweep did (case ids only where named: never case content)."""

    today: dt.date
    candidates: int
    """Cases of this sweep's shards with a running clock due before ``today``."""
    changed: int
    """Cases at least one event was recorded in."""
    events: int
    """Events recorded (one saved version each)."""
    outcomes: tuple[tuple[str, int], ...]
    """Events by what happened: ``not_arranged`` (the deemed-certificate clock started),
    ``lapsed``, ``missed`` (a duty passed undone)."""
    reminders: int
    """Reminder messages queued (or found queued already: the outbox keeps each once)."""
    shards: int
    swept_shards: int
    done_shards: int
    """Shards another sweep (or an earlier run) finished for ``today``."""
    held_shards: int
    """Shards still held by another sweep when this one stopped waiting (0 when it waited)."""
    failed: tuple[str, ...] = ()
    """Cases whose sweep failed (a stored-data fault); their shard is not marked done."""

    @property
    def complete(self) -> bool:
        return not self.failed and self.held_shards == 0

    def summary(self) -> str:
        """One line for a log or a terminal."""
        parts = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in self.outcomes)
        line = (f"swept {self.today.isoformat()}: {self.candidates} case(s) with a passed clock, "
                f"{self.events} event(s) in {self.changed} case(s)"
                + (f" ({parts})" if parts else "")
                + f", {self.reminders} reminder(s) queued; "
                f"{self.swept_shards}/{self.shards} shard(s) swept here, {self.done_shards} done "
                "already")
        if self.held_shards:
            line += f", {self.held_shards} still held by another sweep"
        if self.failed:
            line += f"; {len(self.failed)} case(s) FAILED"
        return line

    def as_json(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(), "candidates": self.candidates,
            "changed": self.changed, "events": self.events, "outcomes": dict(self.outcomes),
            "reminders": self.reminders, "shards": self.shards,
            "swept_shards": self.swept_shards, "done_shards": self.done_shards,
            "held_shards": self.held_shards, "failed": list(self.failed),
            "complete": self.complete,
        }


def _holder() -> str:
    host = re.sub(r"[^\x21-\x7e]", "_", socket.gethostname())[:100] or "host"
    return f"{host}.{os.getpid()}.{secrets.token_hex(4)}"


def _next_day(record: CaseRecord) -> dt.date | None:
    """The day the earliest running clock of ``record`` passes (the day after it is due)."""
    running = [d.due for d in record.deadlines if d.status == _RUNNING]
    return min(running) + dt.timedelta(days=1) if running else None


def _outcomes(before: CaseRecord, after: CaseRecord, counts: Counter[str]) -> None:
    """Count what one saved sweep event did, from the rows before and after it."""
    was = {d.clock_id: d.status for d in before.deadlines}
    missed = sum(1 for d in after.deadlines
                 if d.status == "missed" and was.get(d.clock_id) == _RUNNING)
    if after.state != before.state and after.state in ("not_arranged", "lapsed"):
        counts[after.state] += 1
        missed -= 1  # the clock whose passing that was
    if missed > 0:
        counts["missed"] += missed


def _check(today: object, reminder_days: object, shards: object, lease_ttl: object) -> None:
    if not isinstance(today, dt.date) or isinstance(today, dt.datetime):
        raise InvalidInputError("must be a date", field="today", rule_id="input.date")
    if reminder_days is not None and (
            type(reminder_days) is not int or not 0 <= reminder_days <= MAX_REMINDER_DAYS):
        raise InvalidInputError(f"must be an integer in 0..{MAX_REMINDER_DAYS}",
                                field="reminder_days", rule_id="input.range")
    if type(shards) is not int or not 1 <= shards <= 1024:
        raise InvalidInputError("must be an integer in 1..1024", field="shards",
                                rule_id="input.range")
    if not isinstance(lease_ttl, dt.timedelta) or lease_ttl < dt.timedelta(seconds=1):
        raise InvalidInputError("must be at least one second", field="lease_ttl",
                                rule_id="input.range")


def _service(target: CaseService | Store) -> CaseService:
    from sen_disagreement.service import CaseService

    if isinstance(target, CaseService):
        return target
    if isinstance(target, Store):
        from sen_disagreement.council import StoreAttentionQueue
        from sen_disagreement.plugins import Hooks, make_plugin_manager

        hooks = Hooks(make_plugin_manager(load_entry_points=False),
                      attention=StoreAttentionQueue(target))
        return CaseService(target, hooks)
    raise InvalidInputError("must be a CaseService or a Store", field="service",
                            rule_id="input.type")


class _Run:
    """One sweep in progress (its lease holder, counters, and the cases of each shard)."""

    def __init__(self, service: CaseService, today: dt.date, *, reminder_days: int | None,
                 shards: int, lease_ttl: dt.timedelta, holder: str,
                 progress: Callable[[int], None] | None) -> None:
        self.service = service
        self.store = service.store
        self.today = today
        self.reminder_days = reminder_days
        """The period for every council (``None``: each council's own)."""
        self._periods: dict[str, int] = {}
        self.shards = shards
        self.ttl = lease_ttl
        self.holder = holder
        self.progress = progress
        self.counts: Counter[str] = Counter()
        self.changed = 0
        self.events = 0
        self.reminders = 0
        self.candidates = 0
        self.failed: list[str] = []
        self._renewed = 0.0
        self.held: list[int] = []
        """The shards claimed in this pass over the pending ones, released by :meth:`finish`."""
        self.lost: set[int] = set()
        """Shards whose lease was found lost (never marked done by this sweep)."""
        self._ends: dict[int, dt.date] = {}
        self._window_end = self._reminder_end()

    def _now(self) -> dt.datetime:
        return self.service.clock()

    @staticmethod
    def lease_now() -> dt.datetime:
        """Leases run on the wall clock (they coordinate processes in real time), whatever
        clock the service dates events by."""
        return dt.datetime.now(dt.UTC)

    def _period(self, council: str) -> int:
        """The reminder period of ``council`` (the override, else the council's setting)."""
        if self.reminder_days is not None:
            return self.reminder_days
        period = self._periods.get(council)
        if period is None:
            try:
                period = self.service.settings_for(council).reminder_days
            except SenDisagreementError:
                # Not installed (now), or its plugin faulted: the service's own period, so a
                # deadline is still reminded of.
                period = self.service.settings.reminder_days
            self._periods[council] = period
        return period

    def _longest_period(self) -> int:
        """The longest period in play: the override, else the longest of the installed
        councils' and the service's own."""
        if self.reminder_days is not None:
            return self.reminder_days
        periods = [self.service.settings.reminder_days]
        try:
            councils = self.service.hooks.councils()
        except SenDisagreementError:
            councils = []
        periods += [self._period(c.gss_code) for c in councils]
        return max(periods)

    def _end(self, days: int) -> dt.date:
        from sen_disagreement.calendar import working_day_calendar

        if not days:
            return self.today
        return working_day_calendar(self.service.settings).add_working_days(self.today, days)

    def _reminder_end(self) -> dt.date:
        return self._end(self._longest_period())

    def _due_for_reminder(self, hit: DeadlineHit) -> bool:
        """Whether ``hit`` falls due within its council's period."""
        if self.reminder_days is not None:
            return True  # the window is the one period
        days = self._period(hit.council)
        ends = self._ends.get(days)
        if ends is None:
            ends = self._ends[days] = self._end(days)
        return hit.due <= ends

    def lease_name(self, shard: int) -> str:
        return f"sweep.{self.shards}.{shard}"

    def claimed(self, shard: int) -> None:
        """Note a shard claimed in this pass (held until :meth:`finish`)."""
        if not self.held:
            self._renewed = time.monotonic()  # the claim itself started the lease
        self.held.append(shard)

    def renew(self) -> None:
        """Renew every lease this pass holds once a third of a lease has run; one found lost
        (lapsed, and claimed by another sweep) is noted, and its shard is not marked done."""
        if time.monotonic() - self._renewed < self.ttl.total_seconds() / 3:
            return
        self._renewed = time.monotonic()
        for shard in self.held:
            if shard not in self.lost and not self.store.renew_lease(
                    self.lease_name(shard), self.holder, now=self.lease_now(), ttl=self.ttl):
                self.lost.add(shard)

    def sweep_shard(self, shard: int, case_ids: Sequence[str]) -> None:
        """Sweep the cases of one claimed shard (stopping if its lease was lost)."""
        for case_id in case_ids:
            self.renew()
            if shard in self.lost:
                return
            self.sweep_case(case_id)
            if self.progress is not None:
                self.progress(1)

    def finish(self, day: dt.date) -> None:
        """End a pass: queue the reminders of the shards still held, then release each lease,
        marking done for ``day`` the shards whose every case was swept.

        The reminders of all the pass's shards come from one window query per status, read
        after the last of them was swept (the same day's state per shard as one query each
        after its own sweep, which read the whole window every time: 16 times the rows for
        16 shards). A shard is marked done only after its reminders are queued, so a sweep
        killed before that leaves it to the next run."""
        self.renew()
        kept = {s for s in self.held if s not in self.lost}
        self.remind(kept)
        failed = {shard_of(c, self.shards) for c in self.failed}
        for shard in self.held:
            finished = shard in kept and shard not in failed
            self.store.release_lease(self.lease_name(shard), self.holder,
                                     done=day if finished else None)
        self.held = []

    def sweep_case(self, case_id: str) -> None:
        """Every event of one case up to ``today``, one saved version each, in order."""
        tries = 0
        changed = False
        try:
            record = self.store.load(case_id)
            while True:
                day = _next_day(record)
                if day is None or day > self.today:
                    break
                at = event_time(day, record.updated_at, self._now())
                try:
                    saved = self.service.sweep(case_id, day, at=at)
                except StaleWriteError:
                    tries += 1
                    if tries > _STALE_RETRIES:
                        raise
                    record = self.store.load(case_id)  # changed meanwhile: read it again
                    continue
                if saved is None:
                    break
                _outcomes(record, saved, self.counts)
                self.events += 1
                changed = True
                record = saved
        except SenDisagreementError:
            # A stored-data fault or a refused event: named by case id only, the rest goes on.
            self.failed.append(case_id)
        if changed:
            self.changed += 1

    def remind(self, shards: set[int]) -> None:
        if not shards:
            return
        every = len(shards) == self.shards  # no shard to leave out: no hash to work out
        messages = [
            reminder_message(hit)
            for status in (_RUNNING, APPEAL_STATUS)
            for hit in self.store.deadlines_between(self.today, self._window_end, status=status,
                                                    limit=_QUERY_LIMIT)
            if (every or shard_of(hit.case_id, self.shards) in shards)
            and self._due_for_reminder(hit)
        ]
        for start in range(0, len(messages), 500):
            self.reminders += len(self.store.enqueue(messages[start:start + 500]))


def sweep_all(
    service: CaseService | Store,
    today: dt.date | None = None,
    *,
    reminder_days: int | None = None,
    shards: int = DEFAULT_SHARDS,
    lease_ttl: dt.timedelta = DEFAULT_LEASE_TTL,
    wait: bool = True,
    poll: float | None = None,
    holder: str | None = None,
    progress: Callable[[int], None] | None = None,
    on_candidates: Callable[[int], None] | None = None,
) -> SweepReport:
    """Sweep every case with a passed clock as at ``today`` (default: today in London) and queue
    the reminders of what falls due within each council's reminder period (its
    ``reminder_days`` setting; ``reminder_days``, when given, for every council); see the module.

    ``service``: the :class:`~sen_disagreement.service.CaseService` to act through (a bare
    :class:`~sen_disagreement.store.Store` gets one without plugins). ``wait``: wait for shards
    another sweep holds to finish (``False``: report them as held). ``progress`` is called with
    1 after each case, ``on_candidates`` once with the number of cases to sweep. Raises
    :class:`InvalidInputError` for a bad argument (nothing written) and
    :class:`~sen_disagreement.errors.StoreError` when the store fails."""
    svc = _service(service)
    day = london_today(svc.clock()) if today is None else today
    _check(day, reminder_days, shards, lease_ttl)
    run = _Run(svc, day, reminder_days=reminder_days, shards=shards, lease_ttl=lease_ttl,
               holder=holder or _holder(), progress=progress)
    by_shard: dict[int, list[str]] = {}
    for case_id in sorted({h.case_id for h in svc.store.overdue(day, limit=_QUERY_LIMIT)}):
        by_shard.setdefault(shard_of(case_id, shards), []).append(case_id)
    if on_candidates is not None:
        on_candidates(sum(len(v) for v in by_shard.values()))
    pending = set(range(shards))
    swept = done = 0
    interval = poll if poll is not None else min(1.0, lease_ttl.total_seconds() / 4)
    while pending:
        held = []
        for shard in sorted(pending):
            name = run.lease_name(shard)
            answer = svc.store.claim_lease(name, run.holder, now=run.lease_now(),
                                           ttl=lease_ttl, day=day)
            if answer == "held":
                held.append(shard)
                continue
            pending.discard(shard)
            if answer == "done":
                done += 1
                continue
            run.claimed(shard)
            cases = by_shard.get(shard, [])
            run.candidates += len(cases)
            run.sweep_shard(shard, cases)
            swept += 1
        run.finish(day)  # before any wait: no lease is held while this sweep sleeps
        if not held or not wait:
            break
        time.sleep(interval)
    return SweepReport(
        today=day, candidates=run.candidates, changed=run.changed, events=run.events,
        outcomes=tuple(sorted(run.counts.items())), reminders=run.reminders, shards=shards,
        swept_shards=swept, done_shards=done, held_shards=len(pending),
        failed=tuple(run.failed),
    )
