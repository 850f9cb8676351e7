"""``sen-disagreement store verify``: check the tamper-evident audit trail of a store."""

from __future__ import annotations

import json

import click

from sen_disagreement.cli._common import ExitCode, fail, format_option
from sen_disagreement.cli._usage import Command, Group
from sen_disagreement.errors import SenDisagreementError

__all__ = ["store"]


@click.group(cls=Group)
def store() -> None:
    """Look after a case store."""


@store.command(cls=Command)
@click.option("--db", "url", default=None, metavar="URL",
              help="The store (default: $SEN_DISAGREEMENT_DB, then ./sen-disagreement.sqlite3).")
@click.option("--case", "case_id", default=None, metavar="ID", help="Check one case only.")
@format_option
def verify(url: str | None, case_id: str | None, fmt: str) -> None:
    """Walk the audit hash chains and check every stored case document against them.

    Exit 0 when every link holds, 1 at the first broken link (named: the case, the audit row
    and what is wrong), 2 for a malformed case id, 3 when the store cannot be opened or read."""
    from sen_disagreement.store import open_store

    try:
        with open_store(url) as opened:
            report = opened.verify(case_id)
    except SenDisagreementError as exc:
        fail(exc, fmt)
    if fmt == "json":
        click.echo(json.dumps({
            "ok": report.ok, "chains": report.chains, "rows": report.rows,
            "documents": report.documents, "unchained": report.unchained,
            "first_break": None if report.first_break is None else {
                "chain": report.first_break.chain, "seq": report.first_break.seq,
                "problem": report.first_break.problem},
            "heads": [list(h) for h in report.heads],
        }, indent=2))
    else:
        click.echo(f"{report.chains} chain(s), {report.rows} audit row(s), "
                   f"{report.documents} document version(s) checked"
                   + (f"; {report.unchained} row(s) from before the chain" if report.unchained
                      else ""))
        click.echo("ok: every link holds" if report.ok else f"BROKEN: {report.first_break}")
    if not report.ok:
        raise SystemExit(int(ExitCode.ANSWERED_NO))
