"""Benchmark: dispatch throughput of the GOV.UK Notify channel's ``send()`` against raw
``NotificationsAPIClient.send_email_notification`` calls, to the same local Notify server
(:class:`sen_disagreement_notify.testing.FakeNotify` on 127.0.0.1, checking every token), in one
run.

Issue 13 asks for the comparison, with no goal: the channel adds the template lookup, the
address and allow-list handling, the error mapping and (in ``lookup="always"`` mode) a lookup by
reference before each send (without it, only when a message
``may_already_have_been_sent``). Both sides sign a token per request and use one keep-alive
``requests`` session, so the ratio shows the channel's own cost on top of the HTTP round trip.

Method: interleaved rounds (rotated order), each timing a batch of sends per candidate; the
report gives min and median per message, messages per second at the median, and the median of
the per-round ratios against the raw client.

Run: ``.venv/bin/python bench/bench_notify.py [rounds] [batch]``. It writes
``bench/results/notify.md``.
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from importlib.metadata import version
from itertools import count
from pathlib import Path
from typing import Any

from notifications_python_client.notifications import NotificationsAPIClient
from sen_disagreement_notify import NotifyChannel
from sen_disagreement_notify.testing import FakeNotify

from sen_disagreement.channels import Address, Medium, OutgoingMessage

TEMPLATE = str(uuid.uuid4())
FIELDS = {"case_reference": "SEF-2026-0001", "certificate_kind": "mediation_not_pursued",
          "council_name": "Sefton"}
ADDRESS = Address(email="parent@example.test")
OUT = Path(__file__).parent / "results" / "notify.md"


def main(rounds: int = 11, batch: int = 200) -> int:
    serial = count()
    with FakeNotify() as notify:
        notify.record_requests = False
        key = notify.add_key("bench")
        factory: Callable[..., Any] = NotificationsAPIClient  # the client is untyped
        raw_client = factory(key, base_url=notify.url)
        channel = NotifyChannel(api_key=key, templates={("certificate_issued", Medium.EMAIL):
                                                        TEMPLATE}, base_url=notify.url)
        always = NotifyChannel(api_key=key, templates={("certificate_issued", Medium.EMAIL):
                                                       TEMPLATE}, base_url=notify.url,
                               lookup="always")

        def raw() -> None:
            raw_client.send_email_notification(
                email_address=ADDRESS.email, template_id=TEMPLATE, personalisation=FIELDS,
                reference=f"raw-{next(serial)}")

        def through(ch: NotifyChannel) -> Callable[[], None]:
            def send() -> None:
                ch.send(OutgoingMessage(
                    kind="certificate_issued", medium=Medium.EMAIL, council="E08000014",
                    case_reference="SEF-2026-0001", address=ADDRESS, personalisation=FIELDS,
                    reference=f"msg-{next(serial)}"))
            return send

        candidates: dict[str, Callable[[], None]] = {
            "raw NotificationsAPIClient.send_email_notification": raw,
            "NotifyChannel.send (default: lookup only after an uncertain attempt)":
                through(channel),
            "NotifyChannel.send (lookup=\"always\": a lookup by reference first)":
                through(always),
        }
        for fn in candidates.values():  # warm up connections and code paths
            for _ in range(20):
                fn()
        per_msg: dict[str, list[float]] = {name: [] for name in candidates}
        names = list(candidates)
        for r in range(rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                fn = candidates[name]
                start = time.perf_counter()
                for _ in range(batch):
                    fn()
                per_msg[name].append((time.perf_counter() - start) / batch)
        rejected = notify.rejected_tokens
        stored = len(notify.notifications)

    raw_name = names[0]
    lines = [
        "# GOV.UK Notify channel: dispatch throughput vs raw client calls",
        "",
        f"Python {platform.python_version()} on {platform.machine()}; notifications-python-client "
        f"{version('notifications-python-client')}; local Notify API (FakeNotify, token checked "
        f"on every request) on 127.0.0.1; {rounds} interleaved rounds x {batch} email sends per "
        "candidate, one thread, one keep-alive session each.",
        "",
        "| send path | min per message | median per message | messages/s (median) | "
        "ratio to raw (median of per-round) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name in names:
        times = per_msg[name]
        med = statistics.median(times)
        ratio = statistics.median(t / b for t, b in zip(times, per_msg[raw_name], strict=True))
        lines.append(f"| {name} | {min(times) * 1e6:.0f} µs | {med * 1e6:.0f} µs | "
                     f"{1 / med:,.0f} | {ratio:.2f}x |")
    lines += [
        "",
        f"The server stored {stored} notifications and refused {rejected} tokens.",
        "",
        "Reading: the HTTP round trip (token signing, JSON, the local server) dominates; the "
        "channel's own work is the difference between the first two rows. `lookup=\"always\"` "
        "doubles the requests per message; the default looks up only when the message says it "
        "may already have been sent (the dispatcher's retry after an unknown outcome, or a later "
        "claim, in any process) or after an uncertain attempt this channel saw (a timeout, a "
        "dropped connection, a 5xx), so `always` is only for callers other than the library's "
        "dispatcher.",
        "",
        "Run: `.venv/bin/python bench/bench_notify.py [rounds] [batch]`.",
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0 if rejected == 0 else 1


if __name__ == "__main__":
    sys.exit(main(*(int(a) for a in sys.argv[1:3])))
