"""``sen-disagreement notify run``: send the statutory messages waiting in the outbox (see
:mod:`sen_disagreement.dispatch`).

Run it every minute or so (or keep several running: each claims its own messages under a
lease). Without ``--once`` it sends batch after batch until nothing is due, then exits; with
``--once`` it sends one batch. Prints one summary line, or under ``--format json`` each
delivery's outbox id, case id, kind, recipient reference, rule and status (ids only).

Exit codes: 0 sent (or nothing was due; messages to retry later are not a failure); 2 bad input
(nothing claimed); 3 a store or plugin fault, or a message dead-lettered in this run (its
council's casework team has been alerted).
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from sen_disagreement.cli._common import ExitCode, fail, format_option
from sen_disagreement.cli._usage import Group
from sen_disagreement.errors import InvalidInputError, SenDisagreementError


@click.group(cls=Group)
def notify() -> None:
    """Statutory messages: send what the outbox holds through the council's channels."""


@notify.command("run")
@click.option("--db", "url", default=None, metavar="URL",
              help="The store (default: $SEN_DISAGREEMENT_DB, then ./sen-disagreement.sqlite3).")
@click.option("--once", is_flag=True, default=False,
              help="Send one batch and exit (default: batches until nothing is due).")
@click.option("--limit", default=100, show_default=True, type=int, metavar="N",
              help="Messages claimed per batch (1-10000).")
@click.option("--lease-seconds", default=300, show_default=True, type=int, metavar="S",
              help="How long a claim lasts (a killed dispatcher's messages are sent again "
                   "after this, with the same reference).")
@click.option("--max-attempts", default=10, show_default=True, type=int, metavar="N",
              help="Claims after which a message still failing is dead-lettered (1-1000).")
@click.option("--settle-every", default=1, show_default=True, type=int, metavar="N",
              help="Messages settled (marked and audited) per commit (1-1000); above 1, a "
                   "killed dispatcher's unwritten group is sent again, flagged as possibly "
                   "sent already.")
@format_option
def run(url: str | None, once: bool, limit: int, lease_seconds: int, max_attempts: int,
        settle_every: int, fmt: str) -> None:
    """Send the due messages of the outbox through the council plugins' channels.

    Exit 0 when sent (or nothing was due); 2 bad input; 3 a store fault or a message
    dead-lettered."""
    try:
        if not 1 <= lease_seconds <= 86_400:
            raise InvalidInputError("must be 1-86400", field="--lease-seconds",
                                    rule_id="input.range")
        if not 1 <= limit <= 10_000:
            raise InvalidInputError("must be 1-10000", field="--limit", rule_id="input.range")
        if not 1 <= max_attempts <= 1000:
            raise InvalidInputError("must be 1-1000", field="--max-attempts",
                                    rule_id="input.range")
        if not 1 <= settle_every <= 1000:
            raise InvalidInputError("must be 1-1000", field="--settle-every",
                                    rule_id="input.range")
    except InvalidInputError as err:
        fail(err, fmt)
    from sen_disagreement.council import StoreAttentionQueue
    from sen_disagreement.dispatch import dispatch_all
    from sen_disagreement.plugins import Hooks, make_plugin_manager
    from sen_disagreement.store import open_store

    try:
        store = open_store(url)
    except SenDisagreementError as err:
        fail(err, fmt)
    try:
        with store:
            hooks = Hooks(make_plugin_manager(), attention=StoreAttentionQueue(store))
            report = dispatch_all(store, hooks, limit=limit,
                                  lease=dt.timedelta(seconds=lease_seconds),
                                  max_attempts=max_attempts, max_batches=1 if once else None,
                                  settle_every=settle_every)
    except SenDisagreementError as err:
        fail(err, fmt)
    if fmt == "json":
        click.echo(json.dumps(report.as_json(), indent=2))
    else:
        click.echo(report.summary())
    if report.dead:
        sys.exit(int(ExitCode.FAULT))


__all__ = ["notify"]
