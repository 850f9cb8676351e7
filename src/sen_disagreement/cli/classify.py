"""``sen-disagreement classify``, ``schema`` and ``settings``."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from sen_disagreement.cli._common import ExitCode, fail, format_option, read_source
from sen_disagreement.cli._usage import Command
from sen_disagreement.errors import (
    DocumentError,
    InvalidInputError,
    PluginError,
    SenDisagreementError,
)

__all__ = ["classify", "schema", "settings_command"]

EXIT_NOT_ELIGIBLE = int(ExitCode.ANSWERED_NO)
EXIT_BAD_INPUT = int(ExitCode.BAD_INPUT)

LATEST_YEAR = 9899
"""The latest year a classify document may name: the rules count up to 26 years on from a date
of birth (the end of compulsory school age, the young person's 25th birthday), and a date past
9999 does not exist."""


def _as_document_error(err: InvalidInputError) -> DocumentError:
    return err if isinstance(err, DocumentError) else DocumentError([err])


def _check_years(disagreement: Any) -> None:
    """Refuse dates so late that the rules would count past the year 9999 (a typed error, not
    the ``ValueError`` of ``datetime``)."""
    problems: list[InvalidInputError] = []

    def check(value: Any, path: str) -> None:
        if value is not None and value.year > LATEST_YEAR:
            problems.append(InvalidInputError(
                f"must be a date in or before {LATEST_YEAR} (the rules count years on from it)",
                field=path, rule_id="input.date_range",
            ))

    check(disagreement.date, "$.date")
    for i, party in enumerate(disagreement.parties):
        check(party.date_of_birth, f"$.parties[{i}].date_of_birth")
    if problems:
        raise DocumentError(problems)


@click.command(cls=Command)
@click.argument("source", default="-", metavar="SOURCE")
@format_option
def classify(source: str, fmt: str) -> None:
    """Classify a described disagreement (JSON from SOURCE, or stdin when SOURCE is - or absent).

    Prints every disagreement type that applies with reasons and citations, or why none does
    and which other routes are open. Exit code 0: eligible; 1: not eligible; 2: invalid input.
    The input shape is published by `sen-disagreement schema`.
    """
    from sen_disagreement.classifier import Disagreement
    from sen_disagreement.classifier import classify as classify_disagreement
    from sen_disagreement.render import classification_json, classification_text
    from sen_disagreement.serialization import loads

    field = "$" if source == "-" else source
    try:
        raw = read_source(source, field=field)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInputError("is not UTF-8 text", field="$",
                                    rule_id="input.encoding") from None
        disagreement = loads(text, Disagreement)
        _check_years(disagreement)
        try:
            answer = classify_disagreement(disagreement)
        except (ValueError, OverflowError) as exc:
            if isinstance(exc, SenDisagreementError):
                raise
            # datetime's own range: a date the rules cannot count on from.
            raise InvalidInputError("a date is outside the range the rules can count in",
                                    field="$", rule_id="input.date_range") from None
    except InvalidInputError as err:
        fail(_as_document_error(err), fmt)
    except DocumentError as err:
        fail(err, fmt)
    except SenDisagreementError as err:
        fail(err, fmt)
    if fmt == "json":
        click.echo(json.dumps(classification_json(answer), indent=2))
    else:
        click.echo(classification_text(answer))
    sys.exit(int(ExitCode.ANSWERED) if answer.eligible else EXIT_NOT_ELIGIBLE)


@click.command(cls=Command)
@format_option
def schema(fmt: str) -> None:
    """Print the JSON Schema of the classify input document (JSON under either format)."""
    from sen_disagreement.schema import classify_input_schema

    click.echo(json.dumps(classify_input_schema(), indent=2))


def _council_settings(name: str) -> tuple[str, Any]:
    """The slug and settings in force for council ``name`` (its plugin's, else the defaults)."""
    from sen_disagreement.council import canonical_council
    from sen_disagreement.plugins import Hooks, make_plugin_manager
    from sen_disagreement.settings import DEFAULT_SETTINGS

    hooks = Hooks(make_plugin_manager())
    profile = canonical_council(hooks, name, field="--council")
    faults: list[Any] = []
    supplied = hooks.council_settings(profile, faults=faults)
    if faults:
        raise faults[0].as_error()
    return profile.slug, DEFAULT_SETTINGS if supplied is None else supplied


@click.command("settings", cls=Command)
@click.option("--council", "council_name", default=None, metavar="NAME",
              help="Show the settings a council's plugin supplies (GSS code, slug, LA number "
                   "or name); new cases of that council open under them.")
@format_option
def settings_command(council_name: str | None, fmt: str) -> None:
    """List every configurable reading of an unconfirmed point of law, with its value.

    Without --council: the defaults. Exit code 0: listed; 2: unknown council; 3: a plugin
    could not be loaded or failed.
    """
    from sen_disagreement.settings import describe

    slug: str | None = None
    current = None
    if council_name is not None:
        try:
            slug, current = _council_settings(council_name)
        except (SenDisagreementError, PluginError) as err:
            fail(err, fmt)
    infos = describe(current)
    if fmt == "json":
        click.echo(json.dumps({
            "council": slug,
            "settings": [{
                "name": info.name, "value": info.default, "summary": info.summary,
                "grade": info.provenance.grade.value, "source": info.provenance.cite(),
                "alternatives": info.alternatives,
            } for info in infos],
        }, indent=2))
        return
    if slug is not None:
        click.echo(f"# settings of council {slug}")
    for info in infos:
        click.echo(f"{info.name} = {info.default}  [{info.provenance.grade.value}]")
        click.echo(f"    {info.summary}")
        click.echo(f"    source: {info.provenance.cite()}")
        click.echo(f"    alternatives: {info.alternatives}")
