"""``sen-disagreement classify``, ``schema`` and ``settings``."""

from __future__ import annotations

import json
import sys
from typing import BinaryIO

import click

from sen_disagreement.classifier import Disagreement
from sen_disagreement.classifier import classify as classify_disagreement
from sen_disagreement.errors import DocumentError, InvalidInputError
from sen_disagreement.render import classification_json, classification_text
from sen_disagreement.serialization import MAX_DOCUMENT_BYTES, loads

EXIT_NOT_ELIGIBLE = 1
EXIT_BAD_INPUT = 2


def _fail(problems: list[InvalidInputError], fmt: str) -> None:
    if fmt == "json":
        out = {
            "error": "invalid input",
            "problems": [
                {
                    "field": p.field,
                    "message": p.message,
                    "rule_id": p.rule_id,
                    "citation": p.citation,
                }
                for p in problems
            ],
        }
        click.echo(json.dumps(out, indent=2))
    else:
        click.echo("Invalid input:", err=True)
        for p in problems:
            click.echo(f"  {p}", err=True)
    sys.exit(EXIT_BAD_INPUT)


@click.command()
@click.argument("source", type=click.File("rb"), default="-")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def classify(source: BinaryIO, fmt: str) -> None:
    """Classify a described disagreement (JSON from SOURCE, or stdin).

    Prints every disagreement type that applies with reasons and citations, or why none does
    and which other routes are open. Exit code 0: eligible; 1: not eligible; 2: invalid input.
    The input shape is published by `sen-disagreement schema`.
    """
    raw = source.read(MAX_DOCUMENT_BYTES + 1)
    if len(raw) > MAX_DOCUMENT_BYTES:
        _fail(
            [
                InvalidInputError(
                    f"document is larger than {MAX_DOCUMENT_BYTES} bytes",
                    field="$",
                    rule_id="input.document_size",
                )
            ],
            fmt,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        _fail([InvalidInputError("is not UTF-8 text", field="$", rule_id="input.encoding")], fmt)
    try:
        answer = classify_disagreement(loads(text, Disagreement))
    except DocumentError as exc:
        _fail(exc.problems, fmt)
    except InvalidInputError as exc:
        _fail([exc], fmt)
    if fmt == "json":
        click.echo(json.dumps(classification_json(answer), indent=2))
    else:
        click.echo(classification_text(answer))
    sys.exit(0 if answer.eligible else EXIT_NOT_ELIGIBLE)


@click.command()
def schema() -> None:
    """Print the JSON Schema of the classify input document."""
    from sen_disagreement.schema import classify_input_schema

    click.echo(json.dumps(classify_input_schema(), indent=2))


@click.command("settings")
def settings_command() -> None:
    """List every configurable reading of an unconfirmed point of law, with its default."""
    from sen_disagreement.settings import describe

    for info in describe():
        click.echo(f"{info.name} = {info.default}  [{info.provenance.grade.value}]")
        click.echo(f"    {info.summary}")
        click.echo(f"    source: {info.provenance.cite()}")
        click.echo(f"    alternatives: {info.alternatives}")
