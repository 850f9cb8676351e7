"""Dispatch throughput (messages per second) through an in-process channel, against
hand-written floors doing the same claims and settlements, and through GOV.UK Notify against raw
client calls to the same local server; all in one run.

Issue 13: :func:`sen_disagreement.dispatch.dispatch` claims a batch of outbox messages under a
lease, and for each one reads the case (once per batch) and the council's contacts and
channels, resolves the recipient's address and the kind's allow-listed fields, chooses the
channel, sends (through ``stamina``), and settles it: the mark and its audit entry in one
transaction (``Store.settle_outbox``), one commit per message by default or ``settle_every``
messages per commit. This measures that per message on the default SQLite store (WAL,
``synchronous=FULL``), against floors making the same store calls (``claim_outbox`` per batch,
``settle_outbox`` per message) or the calls before issue 14's follow-up (``mark_sent`` and
``append_audit``: two commits per message), handing the channel a message built before the
clock starts: the difference is the dispatcher's own work (resolution, allow-list checks,
channel choice, retry wrapper).

All run on copies of one database holding N reminder messages over 5 cases, in the same run,
with the same channel (one that accepts everything) and the same batch size.

The second part is the issue's comparison: the whole dispatcher sending through the GOV.UK
Notify channel (``sen-disagreement-notify``, the official client) to a local Notify API on
127.0.0.1 (:class:`sen_disagreement_notify.testing.FakeNotify`, checking every token), one
commit per message and ``--group`` per commit, against raw
``NotificationsAPIClient.send_email_notification`` calls for the same number of messages to
the same server, in the same run (the raw calls do no store work at all: the difference is the
whole library, outbox included).

Run:  .venv/bin/python bench/bench_dispatch.py [--messages 5000] [--limit 200] [--notify 2000]
      [--group 25]   (writes bench/results/dispatch.md; about two minutes)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import notify_support as ns  # noqa: E402

from sen_disagreement import messages  # noqa: E402
from sen_disagreement.channels import Medium, OutgoingMessage, Receipt  # noqa: E402
from sen_disagreement.dispatch import ACTOR, NO_WAIT, dispatch_all  # noqa: E402
from sen_disagreement.store import (  # noqa: E402
    AuditEntry,
    DeadlineHit,
    OutboxStatus,
    Settlement,
    open_store,
)


class Accepting:
    """Takes every message (the cost of a channel is not what is measured)."""

    def __init__(self) -> None:
        self.count = 0

    @property
    def name(self) -> str:
        return "bench"

    @property
    def media(self) -> frozenset[Medium]:
        return frozenset(Medium)

    def send(self, message: OutgoingMessage) -> Receipt:
        self.count += 1
        return Receipt(message_id=f"bench-{self.count}")


def _seed(db: Path, n: int, prefix: str = "b") -> None:
    svc = ns.service(f"sqlite:///{db}", case_ids=[f"{prefix}-{i}" for i in range(5)])
    for i in range(5):
        ns.open_to_route(svc, f"{prefix}-{i}")
    msgs = [messages.reminder(DeadlineHit(f"{prefix}-{i % 5}", ns.GSS, "mediation",
                                          "route_chosen", f"clock_{i}", dt.date(2025, 4, 1),
                                          "running"))
            for i in range(n)]
    for start in range(0, n, 2000):
        svc.store.enqueue(msgs[start:start + 2000])
    svc.store.close()


def _library(db: Path, limit: int, settle_every: int) -> tuple[float, int]:
    channel = Accepting()
    hooks = ns.hooks(channel)
    with open_store(f"sqlite:///{db}") as store:
        start = time.perf_counter()
        report = dispatch_all(store, hooks, limit=limit, policy=NO_WAIT,
                              settle_every=settle_every)
        return time.perf_counter() - start, report.sent


def _floor(db: Path, limit: int, *, two_commits: bool = False) -> tuple[float, int]:
    """The store calls alone: ``settle_outbox`` per message (one commit), or
    (``two_commits``) ``mark_sent`` then ``append_audit`` as the dispatcher did before."""
    channel = Accepting()
    message = OutgoingMessage(kind="deadline_reminder", medium=Medium.EMAIL, council=ns.GSS,
                              case_reference="b-0", address=ns.CASEWORK_ADDRESS,
                              personalisation={"case_reference": "b-0"}, reference="r")
    sent = 0
    with open_store(f"sqlite:///{db}") as store:
        start = time.perf_counter()
        while True:
            now = dt.datetime.now(dt.UTC)
            items = store.claim_outbox(now=now, limit=limit, lease=dt.timedelta(minutes=5))
            if not items:
                break
            for item in items:
                receipt = channel.send(message)
                entry = AuditEntry(
                    actor=ACTOR, action="message.sent", at=now, case_id=item.message.case_id,
                    outcome="sent", fields=(f"outbox.{item.id}", "channel.bench",
                                            f"receipt.{receipt.message_id}"))
                if two_commits:
                    store.mark_sent(item.id)
                    store.append_audit(entry)
                else:
                    [ok] = store.settle_outbox([Settlement(
                        outbox_id=item.id, claim=item.attempts, status=OutboxStatus.SENT,
                        entry=entry)])
                    assert ok
                sent += 1
        return time.perf_counter() - start, sent


NOTIFY_KINDS = ("deadline_reminder", "health_issues_to_commissioning_body")


def _notify(dbs: tuple[Path, Path], limit: int, total: int, group: int
            ) -> tuple[float, int, float, int, float, int, int]:
    """(dispatcher seconds, sent; the same with ``group`` settlements per commit; raw-client
    seconds, raw sent; tokens refused), all to one local Notify API."""
    import uuid

    from notifications_python_client.notifications import NotificationsAPIClient
    from sen_disagreement_notify import NotifyChannel
    from sen_disagreement_notify.testing import FakeNotify

    templates = {(kind, Medium.EMAIL): str(uuid.uuid4()) for kind in NOTIFY_KINDS}
    with FakeNotify() as server:
        server.record_requests = False
        key = server.add_key("bench")
        channel = NotifyChannel(api_key=key, templates=templates, base_url=server.url)
        factory: Any = NotificationsAPIClient  # the client is untyped
        raw = factory(key, base_url=server.url)
        template = templates[("deadline_reminder", Medium.EMAIL)]
        fields = {"case_reference": "b-0", "deadline": "clock_0", "due_date": "2025-04-01"}
        for i in range(20):  # warm both connections and code paths
            raw.send_email_notification(email_address=ns.CASEWORK.email, template_id=template,
                                        personalisation=fields, reference=f"warm-{i}")
        hooks = ns.hooks(channel)
        timed: list[tuple[float, int]] = []
        for db, every in zip(dbs, (1, group), strict=True):
            with open_store(f"sqlite:///{db}") as store:
                start = time.perf_counter()
                report = dispatch_all(store, hooks, limit=limit, policy=NO_WAIT,
                                      settle_every=every)
                timed.append((time.perf_counter() - start, report.sent))
        start = time.perf_counter()
        for i in range(total):
            raw.send_email_notification(email_address=ns.CASEWORK.email, template_id=template,
                                        personalisation=fields, reference=f"raw-{i}")
        raw_s = time.perf_counter() - start
        return (*timed[0], *timed[1], raw_s, total, server.rejected_tokens)


def _row(path: str, n: int, seconds: float) -> str:
    return f"| {path} | {n} | {seconds:.2f} | {n / seconds:,.0f} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--notify", type=int, default=2000,
                        help="messages for the Notify comparison (0: skip it)")
    parser.add_argument("--group", type=int, default=25,
                        help="settle_every of the grouped rows")
    args = parser.parse_args()
    load = os.getloadavg()[0]  # a shared machine: the numbers are read against it
    total = args.messages + 5  # and each case's ICB message
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.sqlite3"
        _seed(seed, args.messages)
        copies = [Path(tmp) / f"{name}.sqlite3" for name in ("f1", "f2", "l1", "lg")]
        for copy in copies:
            shutil.copy(seed, copy)
        floor = _floor(copies[0], args.limit)
        floor2 = _floor(copies[1], args.limit, two_commits=True)
        lib = _library(copies[2], args.limit, 1)
        grouped = _library(copies[3], args.limit, args.group)
        for seconds_sent in (floor, floor2, lib, grouped):
            assert seconds_sent[1] == total, (seconds_sent, total)
        notify_rows: list[str] = []
        if args.notify:
            dbs = (Path(tmp) / "notify1.sqlite3", Path(tmp) / "notify2.sqlite3")
            _seed(dbs[0], args.notify, "n")
            _seed(dbs[1], args.notify, "g")  # other cases: other references, no dedupe
            n_s, n_sent, g_s, g_sent, raw_s, raw_n, refused = _notify(
                dbs, args.limit, args.notify + 5, args.group)
            assert n_sent == g_sent == raw_n == args.notify + 5 and refused == 0, (
                n_sent, g_sent, raw_n)
            raw_rate = raw_n / raw_s
            notify_rows = [
                "",
                "## Through GOV.UK Notify, against raw client calls (same local server, same run)",
                "",
                "| path | messages | seconds | messages/s |",
                "|---|---:|---:|---:|",
                _row("`dispatch_all` -> `NotifyChannel` -> local Notify API (one commit per "
                     "message)", n_sent, n_s),
                _row(f"the same, `settle_every={args.group}`", g_sent, g_s),
                _row("raw `NotificationsAPIClient.send_email_notification` -> the same server",
                     raw_n, raw_s),
                "",
                f"Through Notify the dispatcher delivers at {n_sent / n_s / raw_rate:.0%} of the "
                f"raw client's rate with one commit per message ({n_s / raw_s:.2f}x the time), "
                f"{g_sent / g_s / raw_rate:.0%} with {args.group} per commit "
                f"({g_s / raw_s:.2f}x). The server refused 0 tokens.",
            ]
    rate = {name: n / sec for name, (sec, n) in
            {"lib": lib, "grouped": grouped, "floor": floor, "floor2": floor2}.items()}
    lines = [
        "# Dispatch throughput",
        "",
        f"`bench/bench_dispatch.py --messages {args.messages} --limit {args.limit} "
        f"--notify {args.notify} --group {args.group}`, one run, "
        f"{platform.python_implementation()} {platform.python_version()} on "
        f"{platform.system()} {platform.machine()} ({os.cpu_count()} CPUs, load average {load:.1f} "
        "at the start); SQLite store (WAL, synchronous=FULL).",
        "",
        "| path | messages | seconds | messages/s |",
        "|---|---:|---:|---:|",
        _row("`dispatch_all` (resolve, allow-list, choose, stamina, settle: mark + audit in one "
             "commit per message)", lib[1], lib[0]),
        _row(f"the same, `settle_every={args.group}` ({args.group} messages' marks and entries "
             "per commit)", grouped[1], grouped[0]),
        _row("floor: `claim_outbox` per batch, `settle_outbox` per message (one commit)",
             floor[1], floor[0]),
        _row("floor before: `claim_outbox`, `mark_sent`, `append_audit` (two commits per "
             "message)", floor2[1], floor2[0]),
        "",
        f"One commit per message: the dispatcher runs at {rate['lib'] / rate['floor']:.0%} of "
        f"its floor's rate; that floor is {rate['floor'] / rate['floor2']:.2f}x the two-commit "
        f"floor's. With {args.group} settlements per commit the dispatcher runs at "
        f"{rate['grouped'] / rate['floor']:.0%} of the one-commit floor "
        f"({rate['grouped'] / rate['lib']:.2f}x its own one-commit rate).",
        *notify_rows,
        "",
    ]
    out = ROOT / "bench/results/dispatch.md"
    out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
