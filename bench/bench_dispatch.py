"""Dispatch throughput (messages per second) through an in-process channel, against a
hand-written floor doing the same claims and marks.

Issue 13: :func:`sen_disagreement.dispatch.dispatch` claims a batch of outbox messages under a
lease, and for each one reads the case (once per batch) and the council's contacts and
channels, resolves the recipient's address and the kind's allow-listed fields, chooses the
channel, sends (through ``stamina``), marks it sent and appends an audit entry. This measures
that per message on the default SQLite store (WAL, ``synchronous=FULL``), against a floor that
makes the same store calls (``claim_outbox`` per batch, ``mark_sent`` and ``append_audit`` per
message) and hands the channel a message built before the clock starts: the difference is the
dispatcher's own work (resolution, allow-list checks, channel choice, retry wrapper).

Both run on copies of one database holding N reminder messages over 5 cases, in the same run,
with the same channel (one that accepts everything) and the same batch size.

The second part is the issue's comparison: the whole dispatcher sending through the GOV.UK
Notify channel (``sen-disagreement-notify``, the official client) to a local Notify API on
127.0.0.1 (:class:`sen_disagreement_notify.testing.FakeNotify`, checking every token), against
raw ``NotificationsAPIClient.send_email_notification`` calls for the same number of messages to
the same server, in the same run (the raw calls do no store work at all: the difference is the
whole library, outbox included).

Run:  .venv/bin/python bench/bench_dispatch.py [--messages 5000] [--limit 200] [--notify 2000]
      (writes bench/results/dispatch.md; about a minute)
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
from sen_disagreement.store import AuditEntry, DeadlineHit, open_store  # noqa: E402


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


def _seed(db: Path, n: int) -> None:
    svc = ns.service(f"sqlite:///{db}", case_ids=[f"b-{i}" for i in range(5)])
    for i in range(5):
        ns.open_to_route(svc, f"b-{i}")
    msgs = [messages.reminder(DeadlineHit(f"b-{i % 5}", ns.GSS, "mediation", "route_chosen",
                                          f"clock_{i}", dt.date(2025, 4, 1), "running"))
            for i in range(n)]
    for start in range(0, n, 2000):
        svc.store.enqueue(msgs[start:start + 2000])
    svc.store.close()


def _library(db: Path, limit: int) -> tuple[float, int]:
    channel = Accepting()
    hooks = ns.hooks(channel)
    with open_store(f"sqlite:///{db}") as store:
        start = time.perf_counter()
        report = dispatch_all(store, hooks, limit=limit, policy=NO_WAIT)
        return time.perf_counter() - start, report.sent


def _floor(db: Path, limit: int) -> tuple[float, int]:
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
                store.mark_sent(item.id)
                store.append_audit(AuditEntry(
                    actor=ACTOR, action="message.sent", at=now, case_id=item.message.case_id,
                    outcome="sent", fields=(f"outbox.{item.id}", "channel.bench",
                                            f"receipt.{receipt.message_id}")))
                sent += 1
        return time.perf_counter() - start, sent


NOTIFY_KINDS = ("deadline_reminder", "health_issues_to_commissioning_body")


def _notify(db: Path, limit: int, total: int) -> tuple[float, int, float, int, int]:
    """(dispatcher seconds, sent, raw-client seconds, raw sent, tokens refused), both to one
    local Notify API."""
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
        with open_store(f"sqlite:///{db}") as store:
            start = time.perf_counter()
            report = dispatch_all(store, hooks, limit=limit, policy=NO_WAIT)
            lib_s = time.perf_counter() - start
        start = time.perf_counter()
        for i in range(total):
            raw.send_email_notification(email_address=ns.CASEWORK.email, template_id=template,
                                        personalisation=fields, reference=f"raw-{i}")
        raw_s = time.perf_counter() - start
        return lib_s, report.sent, raw_s, total, server.rejected_tokens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--notify", type=int, default=2000,
                        help="messages for the Notify comparison (0: skip it)")
    args = parser.parse_args()
    load = os.getloadavg()[0]  # a shared machine: the numbers are read against it
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.sqlite3"
        _seed(seed, args.messages)
        lib_db, floor_db = Path(tmp) / "lib.sqlite3", Path(tmp) / "floor.sqlite3"
        shutil.copy(seed, lib_db)
        shutil.copy(seed, floor_db)
        floor_s, floor_n = _floor(floor_db, args.limit)
        lib_s, lib_n = _library(lib_db, args.limit)
        notify_row: list[str] = []
        if args.notify:
            notify_seed = Path(tmp) / "notify.sqlite3"
            _seed(notify_seed, args.notify)
            n_s, n_sent, raw_s, raw_n, refused = _notify(notify_seed, args.limit,
                                                         args.notify + 5)
            assert n_sent == raw_n == args.notify + 5 and refused == 0, (n_sent, raw_n)
            n_rate, raw_rate = n_sent / n_s, raw_n / raw_s
            notify_row = [
                "",
                "## Through GOV.UK Notify, against raw client calls (same local server, same run)",
                "",
                "| path | messages | seconds | messages/s |",
                "|---|---:|---:|---:|",
                f"| `dispatch_all` -> `NotifyChannel` -> local Notify API | {n_sent} | "
                f"{n_s:.2f} | {n_rate:,.0f} |",
                f"| raw `NotificationsAPIClient.send_email_notification` -> the same server | "
                f"{raw_n} | {raw_s:.2f} | {raw_rate:,.0f} |",
                "",
                f"The dispatcher delivers at {n_rate / raw_rate:.0%} of the raw client's rate "
                f"({n_s / raw_s:.2f}x the time): the HTTP round trip and the store's two commits "
                "per message (mark sent, audit) are the bulk of it. The server refused 0 tokens.",
            ]
    total = args.messages + 5  # and each case's ICB message
    assert lib_n == floor_n == total, (lib_n, floor_n, total)
    lib_rate, floor_rate = lib_n / lib_s, floor_n / floor_s
    lines = [
        "# Dispatch throughput",
        "",
        f"`bench/bench_dispatch.py --messages {args.messages} --limit {args.limit}`, one run, "
        f"{platform.python_implementation()} {platform.python_version()} on "
        f"{platform.system()} {platform.machine()} ({os.cpu_count()} CPUs, load average {load:.1f} "
        "at the start); SQLite store (WAL, synchronous=FULL).",
        "",
        "| path | messages | seconds | messages/s |",
        "|---|---:|---:|---:|",
        f"| `dispatch_all` (resolve, allow-list, choose, stamina, mark, audit) | {lib_n} | "
        f"{lib_s:.2f} | {lib_rate:,.0f} |",
        f"| floor: the same `claim_outbox`, `mark_sent`, `append_audit` calls | {floor_n} | "
        f"{floor_s:.2f} | {floor_rate:,.0f} |",
        "",
        f"The dispatcher runs at {lib_rate / floor_rate:.0%} of the floor's rate; the store's "
        "two commits per message (mark, audit) dominate both.",
        *notify_row,
        "",
    ]
    out = ROOT / "bench/results/dispatch.md"
    out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
