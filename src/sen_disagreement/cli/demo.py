"""``sen-disagreement demo``: the end-to-end demonstration (the README's first command)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import click

from sen_disagreement.classifier import Disagreement, classify
from sen_disagreement.errors import NoProviderError
from sen_disagreement.render import classification_text
from sen_disagreement.serialization import structure


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


def _fresh_db(db: Path | None) -> Path:
    if db is not None:
        if db.exists():
            raise click.UsageError(f"{db} already exists; the demo writes a fresh SQLite file")
        return db
    n = 1
    while (path := Path(f"sen-disagreement-demo-{n}.sqlite3")).exists():
        n += 1
    return path


@click.command()
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="New SQLite file for the walkthrough (default: sen-disagreement-demo-N.sqlite3 here).",
)
def demo(db: Path | None) -> None:
    """Run the worked examples end to end and print every answer with its citations."""
    from sen_disagreement.walkthrough import run

    path = _fresh_db(db)
    run_classification_demo()
    click.echo("")
    click.echo("== Part 2: a Sefton case from disagreement resolution to the appeal deadline")
    try:
        lines = run(path)
    except NoProviderError as exc:
        raise click.ClickException(
            f"{exc}. Install Sefton's council plugin first: "
            "pip install -e plugins/sen-disagreement-sefton"
        ) from None
    for line in lines:
        click.echo(f"  {line}")
    click.echo("")
    click.echo(f"Everything above is stored in {path} (SQLite: cases, history, audit trail).")
