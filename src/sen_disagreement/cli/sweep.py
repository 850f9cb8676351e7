"""``sen-disagreement sweep``: the daily sweep of every stored case (see
:mod:`sen_disagreement.sweeping`).

Run it once a day (docs/how-to/schedule-the-daily-sweep.md). It records what the passing of the
days made happen (the 30 days passing without a mediation and the deemed-certificate clock, the
adviser-contact period lapsing, duties missed), each event dated the day it fell due however many
days the sweep missed, and queues a reminder for every duty and appeal deadline due within its
council's reminder period (the ``reminder_days`` council setting; ``--remind-days N`` overrides it
for every council for this run). Running it twice, or two at once, does each thing once.

Exit codes: 0 swept (or nothing was due); 2 bad input (nothing written); 3 a store fault, a case
that could not be swept (named by id), or shards another sweep still held under ``--no-wait``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

import click

from sen_disagreement.cli._common import ExitCode, fail, format_option, iso_date
from sen_disagreement.cli._usage import Command
from sen_disagreement.errors import InvalidInputError, SenDisagreementError


@click.command(cls=Command)
@click.option("--db", "url", default=None, metavar="URL",
              help="The store (default: $SEN_DISAGREEMENT_DB, then ./sen-disagreement.sqlite3).")
@click.option("--as-at", "as_at", default=None, metavar="YYYY-MM-DD",
              help="Sweep as at this day (default: today in London). Not after today.")
@click.option("--remind-days", default=None, type=int, metavar="N",
              help="Queue a reminder N working days before each deadline (0-60), for every "
                   "council, overriding each council's reminder_days setting (default: 5 "
                   "where the council sets none).")
@click.option("--lease-seconds", default=60, show_default=True, type=int, metavar="S",
              help="How long a shard's lease lasts unrenewed (a killed sweep's shards are "
                   "taken over after this).")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Wait for shards another sweep holds to finish.")
@format_option
def sweep(url: str | None, as_at: str | None, remind_days: int | None, lease_seconds: int,
          wait: bool, fmt: str) -> None:
    """Run every open case's clocks as at today and queue the reminders of what falls due.

    Prints one summary line (a progress bar too, on a terminal). Exit 0 when swept; 2 bad
    input; 3 a store fault or a case that could not be swept."""
    from sen_disagreement.sweeping import sweep_all

    try:
        today = None if as_at is None else iso_date(as_at, "--as-at")
        if not 1 <= lease_seconds <= 3600:
            raise InvalidInputError("must be 1-3600", field="--lease-seconds",
                                    rule_id="input.range")
        if remind_days is not None and not 0 <= remind_days <= 60:
            raise InvalidInputError("must be 0-60", field="--remind-days", rule_id="input.range")
    except InvalidInputError as err:
        fail(err, fmt)
    from sen_disagreement.actors import StaticActorDirectory
    from sen_disagreement.service import CaseService

    try:
        # The sweep acts only as the system actor: no user is resolved.
        service = CaseService.open(url, directory=StaticActorDirectory([]))
    except SenDisagreementError as err:
        fail(err, fmt)
    bar: Any = None
    try:
        with service.store:
            if today is not None and today > _today(service):
                raise InvalidInputError("is after today", field="--as-at",
                                        rule_id="input.date_not_future")
            tty = fmt == "text" and sys.stdout.isatty()

            def start(total: int) -> None:
                nonlocal bar
                if tty and total:
                    bar = click.progressbar(length=total, label="sweeping", file=sys.stderr)
                    bar.__enter__()

            def step(n: int) -> None:
                if bar is not None:
                    bar.update(n)

            report = sweep_all(service, today, reminder_days=remind_days,
                               lease_ttl=dt.timedelta(seconds=lease_seconds), wait=wait,
                               progress=step, on_candidates=start)
    except SenDisagreementError as err:
        fail(err, fmt)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if fmt == "json":
        click.echo(json.dumps(report.as_json(), indent=2))
    else:
        click.echo(report.summary())
        if report.failed:
            click.echo("failed: " + ", ".join(report.failed), err=True)
    if not report.complete:
        sys.exit(int(ExitCode.FAULT))


def _today(service: Any) -> dt.date:
    from sen_disagreement.sweeping import london_today

    return london_today(service.clock())


__all__ = ["sweep"]
