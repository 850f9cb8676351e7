"""``sen-disagreement demo``: the end-to-end demonstration (the README's first command)."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import click

from sen_disagreement.classifier import Disagreement, classify
from sen_disagreement.cli._common import fail, format_option
from sen_disagreement.cli._usage import Command
from sen_disagreement.council import UnknownCouncilError
from sen_disagreement.errors import (
    InvalidInputError,
    NoProviderError,
    SenDisagreementError,
    StoreError,
)
from sen_disagreement.render import classification_json, classification_text
from sen_disagreement.serialization import structure

__all__ = ["demo"]

INSTALL_SEFTON = "pip install -e plugins/sen-disagreement-sefton"


def seed_examples() -> list[tuple[str, Disagreement]]:
    """The four kinds of disagreement on Sefton's page (and one that is not eligible)."""
    raw = resources.files("sen_disagreement").joinpath("data/seed_examples.json").read_text()
    return [(e["title"], structure(e["document"], Disagreement)) for e in json.loads(raw)]


def run_classification_demo() -> None:
    click.echo("== Part 1: the four kinds of disagreement on Sefton's Disagreement Resolution page")
    for title, disagreement in seed_examples():
        click.echo("")
        click.echo(f"-- {title}")
        click.echo(classification_text(classify(disagreement)))


def _demo_path(db: str) -> Path:
    """The SQLite file ``--db`` names: a path, or a ``sqlite:///`` URL. Any other store URL is
    refused: the demo writes a fresh SQLite file and nothing else."""
    if "://" in db:
        scheme = db.split("://", 1)[0].lower()
        if scheme != "sqlite":
            raise InvalidInputError(
                f"the demo writes a fresh SQLite file only, not a {scheme!r} store (give a file "
                "path or a sqlite:/// URL)",
                field="--db", rule_id="cli.demo.sqlite_only",
            )
        parts = urlsplit(db)
        if parts.netloc not in ("", "localhost"):
            raise InvalidInputError("a sqlite URL has no host: use sqlite:///relative or "
                                    "sqlite:////absolute", field="--db",
                                    rule_id="cli.demo.sqlite_only")
        path = unquote(parts.path)
        db = path[1:] if path.startswith("/") else path
    if not db or db == ":memory:":
        raise InvalidInputError("needs a file path", field="--db", rule_id="cli.demo.db_path")
    return Path(db)


def _fresh_db(db: str | None) -> Path:
    if db is not None:
        path = _demo_path(db)
        if path.exists():
            raise InvalidInputError(
                f"{path} already exists; the demo writes a fresh SQLite file",
                field="--db", rule_id="cli.demo.fresh_file",
            )
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise InvalidInputError(
                f"the directory {parent} does not exist", field="--db",
                rule_id="cli.demo.db_path",
            )
        if not os.access(parent, os.W_OK):
            raise InvalidInputError(
                f"the directory {parent} is not writable", field="--db",
                rule_id="cli.demo.db_path",
            )
        return path
    n = 1
    while (path := Path(f"sen-disagreement-demo-{n}.sqlite3")).exists():
        n += 1
    return path


def _no_sefton(err: SenDisagreementError) -> NoProviderError:
    return NoProviderError(f"{err}. Install Sefton's council plugin first: {INSTALL_SEFTON}")


@click.command(cls=Command)
@click.option(
    "--db",
    default=None,
    metavar="PATH",
    help="New SQLite file (a path or sqlite:/// URL) for the walkthrough "
    "(default: sen-disagreement-demo-N.sqlite3 here).",
)
@format_option
def demo(db: str | None, fmt: str) -> None:
    """Run the worked examples end to end and print every answer with its citations.

    The walkthrough's statutory messages are delivered through the GOV.UK Notify channel to a
    local Notify API on 127.0.0.1 when sen-disagreement-notify is installed (each with its
    Notify id and the status read back); otherwise the demo says so and uses the log channel.

    Exit code 0: done; 2: a --db that is not a new SQLite file in an existing directory, or
    Sefton's plugin not installed; 3: a plugin failed or the store could not be written.
    """
    from sen_disagreement.walkthrough import run

    try:
        path = _fresh_db(db)
    except SenDisagreementError as err:
        fail(err, fmt)
    if fmt == "text":
        run_classification_demo()
        click.echo("")
        click.echo("== Part 2: a Sefton case from disagreement resolution to the appeal deadline")
    try:
        try:
            lines = run(path)
        except UnknownCouncilError as exc:  # Sefton's plugin is not installed (or blocked)
            raise _no_sefton(exc) from None
        except OSError as exc:  # the file system refused what the checks above allowed
            raise StoreError(f"cannot write {path} ({exc.strerror or type(exc).__name__})"
                             ) from None
    except SenDisagreementError as err:
        fail(err, fmt)
    if fmt == "json":
        classified: list[dict[str, Any]] = [
            {"title": title, "answer": classification_json(classify(disagreement))}
            for title, disagreement in seed_examples()
        ]
        click.echo(json.dumps({"classification": classified, "walkthrough": lines,
                               "db": str(path)}, indent=2))
        return
    for line in lines:
        click.echo(f"  {line}")
    click.echo("")
    click.echo(f"Everything above is stored in {path} (SQLite: cases, history, audit trail).")
