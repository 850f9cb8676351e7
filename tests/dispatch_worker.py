"""A dispatcher in its own process, for the kill -9 trials of tests/test_dispatch.py:
``python dispatch_worker.py DB DELIVERIES SEED [NOTIFY_URL KEY]``. It prints ``ready`` once set
up, then sends batch after batch through a channel that appends each delivery's reference to
DELIVERIES (O_APPEND: what was written survives a SIGKILL) and fails a fifth of the time, or,
given a local Notify API's URL and a key, through the GOV.UK Notify channel. It prints
``claimed`` once its first claim of messages has committed (a kill after that line lands after a
claim), and ``drained`` when the queue is empty. The environment variable ``SETTLE_EVERY`` is its
``settle_every`` (default 1)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Any

import notify_support as ns

from sen_disagreement.channels import ChannelError, Medium, OutgoingMessage, Receipt
from sen_disagreement.dispatch import NO_WAIT, dispatch_all
from sen_disagreement.store import open_store


class FileChannel:
    def __init__(self, path: str, seed: int) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        import random

        self.rng = random.Random(seed)

    @property
    def name(self) -> str:
        return "file"

    @property
    def media(self) -> frozenset[Medium]:
        return frozenset(Medium)

    def send(self, message: OutgoingMessage) -> Receipt:
        if self.rng.random() < 0.2:
            raise ChannelError("temporarily unavailable", channel="file", retryable=True)
        os.write(self.fd, f"{message.reference}\n".encode())
        return Receipt(message_id=message.reference[-12:])


def _notify(url: str, key: str) -> object:
    """The GOV.UK Notify channel against the test's local Notify API (``URL KEY``)."""
    import uuid

    from sen_disagreement_notify import NotifyChannel

    templates = {(kind, Medium.EMAIL): str(uuid.uuid5(uuid.NAMESPACE_URL, kind))
                 for kind in ("deadline_reminder", "health_issues_to_commissioning_body")}
    return NotifyChannel(api_key=key, templates=templates, base_url=url, timeout=5.0)


def main() -> None:
    db, deliveries, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = open_store(f"sqlite:///{db}")
    channel = (_notify(sys.argv[4], sys.argv[5]) if len(sys.argv) > 5
               else FileChannel(deliveries, seed))
    hooks = ns.hooks(channel)
    claim = store.claim_outbox
    first = True

    def claim_and_mark(*args: Any, **kwargs: Any) -> Any:
        nonlocal first
        items = claim(*args, **kwargs)
        if items and first:
            first = False
            print("claimed", flush=True)
        return items

    store.claim_outbox = claim_and_mark  # type: ignore[method-assign]
    print("ready", flush=True)
    # SETTLE_EVERY: the trials kill dispatchers settling one message per commit and several.
    dispatch_all(store, hooks, limit=25, lease=dt.timedelta(seconds=1), max_attempts=1000,
                 policy=NO_WAIT, settle_every=int(os.environ.get("SETTLE_EVERY", "1")))
    print("drained", flush=True)
    # Stay alive until killed, so every trial ends in a SIGKILL; the test counts as "mid-batch"
    # only the trials killed before this line.
    import time

    while True:
        time.sleep(60)


if __name__ == "__main__":
    main()
