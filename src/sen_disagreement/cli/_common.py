"""What every ``sen-disagreement`` command shares: one table of exit codes, one shape of error
output (text on stderr, or JSON on stdout under ``--format json``), ``-`` for stdin.

Exit codes (the same for every command):

====  ==========================================================================================
0     answered (the command did what was asked; a yes where it asks a question)
1     answered "no" (not eligible; a check that found a break; nothing due)
2     bad input or a refused request: a typed error naming the field and the rule, nothing
      written
3     a fault outside the request: the store cannot be opened or read, a plugin failed
====  ==========================================================================================
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar

import click

from sen_disagreement._files import NotARegularFileError, read_regular_file
from sen_disagreement.errors import (
    DocumentError,
    InvalidInputError,
    PluginError,
    RuleViolationError,
    SenDisagreementError,
    StoreError,
)

MAX_INPUT_BYTES = 1_000_000
"""Largest document any command reads from a file or stdin."""


class ExitCode(enum.IntEnum):
    """The exit codes every command uses."""

    ANSWERED = 0
    ANSWERED_NO = 1
    BAD_INPUT = 2
    FAULT = 3


F = TypeVar("F", bound=Callable[..., Any])


def format_option(func: F) -> F:
    """``--format text|json``: how the answer (and any error) is written."""
    option = click.option(
        "--format", "fmt", type=click.Choice(["text", "json"]), default="text",
        show_default=True, help="text for people, json for programs (errors too).",
    )
    return option(func)


def exit_code_for(err: BaseException) -> ExitCode:
    """The documented exit code of an error: store and plugin faults are 3, the rest 2."""
    if isinstance(err, StoreError | PluginError):
        return ExitCode.FAULT
    return ExitCode.BAD_INPUT


def _problems(err: SenDisagreementError) -> list[dict[str, str | None]]:
    if isinstance(err, DocumentError):
        found: Sequence[InvalidInputError] = err.problems
    elif isinstance(err, InvalidInputError):
        found = [err]
    else:
        found = []
    return [{"field": p.field, "message": p.message, "rule_id": p.rule_id,
             "citation": p.citation} for p in found]


def error_document(err: SenDisagreementError) -> dict[str, Any]:
    """The JSON shape of an error: its class, its message, the rule and the fields at fault.

    Messages of the library's errors name fields and rules, never confidential values."""
    out: dict[str, Any] = {"error": type(err).__name__, "message": str(err),
                           "exit_code": int(exit_code_for(err))}
    if isinstance(err, RuleViolationError | InvalidInputError):
        out["rule_id"] = err.rule_id
        out["citation"] = err.citation
    problems = _problems(err)
    if problems:
        out["problems"] = problems
    return out


def fail(err: SenDisagreementError, fmt: str = "text") -> NoReturn:
    """Report ``err`` the documented way and exit with its code."""
    if fmt == "json":
        click.echo(json.dumps(error_document(err), indent=2))
    else:
        if isinstance(err, DocumentError):
            click.echo("Invalid input:", err=True)
            for p in err.problems:
                click.echo(f"  {p}", err=True)
        else:
            click.echo(f"error: {err}", err=True)
    sys.exit(int(exit_code_for(err)))


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_date(value: object, field: str) -> dt.date:
    """A date written YYYY-MM-DD, nothing else: ``date.fromisoformat`` alone also reads week
    dates (``2025-W10-1``), ``20250310`` and non-ASCII digits."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInputError("must be a date written YYYY-MM-DD", field=field,
                            rule_id="input.date")


def require_existing_store(url: str | None, why: str) -> None:
    """Refuse to create a SQLite file where a command only reads (a mistyped ``--db`` would
    otherwise answer "nothing" from a new, empty store)."""
    from pathlib import Path

    from sen_disagreement.store import sqlite_path

    path = sqlite_path(url)
    if path is not None and not Path(path).is_file():
        raise StoreError(f"there is no store at that path (nothing is created: {why})")


def read_source(source: str, *, field: str = "$") -> bytes:
    """The bytes of a file, or of stdin when ``source`` is ``-``, refusing documents over
    :data:`MAX_INPUT_BYTES` and files that cannot be read (a typed error naming ``field``)."""
    try:
        if source == "-":
            raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            # A FIFO would block, a device never end: '-' is the way to pipe a document.
            raw = read_regular_file(source, MAX_INPUT_BYTES + 1)
    except NotARegularFileError:
        raise InvalidInputError("is not a regular file (use - for stdin)", field=field,
                                rule_id="input.file") from None
    except OSError as exc:
        raise InvalidInputError(f"cannot be read ({exc.strerror or type(exc).__name__})",
                                field=field, rule_id="input.file") from None
    if len(raw) > MAX_INPUT_BYTES:
        raise InvalidInputError(f"document is larger than {MAX_INPUT_BYTES} bytes", field=field,
                                rule_id="input.document_size")
    return raw


def stdin_once(**sources: str | None) -> None:
    """Refuse a command line that reads stdin (``-``) for more than one option (the second
    would read nothing): ``sources`` maps each option's name to its value."""
    dashes = [name for name, value in sources.items() if value == "-"]
    if len(dashes) > 1:
        raise InvalidInputError(f"only one of {', '.join(dashes)} can be - (stdin)",
                                field=dashes[-1], rule_id="input.file")


def read_actor_directory(source: str, *, field: str) -> Any:
    """The JSON actor directory (``{"users": [...]}``, the form
    :meth:`~sen_disagreement.actors.StaticActorDirectory.from_json` reads) in a file, or on
    stdin when ``source`` is ``-``; a file that cannot be read is refused naming ``field``."""
    from sen_disagreement.actors import StaticActorDirectory

    if source == "-":
        try:
            data = read_json("-", field=field)
        except DocumentError:
            # Refused as the same text in a file is: naming the option, never the document.
            raise InvalidInputError("is not a readable JSON file of users", field=field,
                                    rule_id="actor.file") from None
        if not isinstance(data, dict):
            raise InvalidInputError("must be an object", field=field, rule_id="actor.file")
        return StaticActorDirectory.from_mapping(data)
    try:
        return StaticActorDirectory.from_json(source)
    except InvalidInputError as exc:
        if exc.field != "path":
            raise
        raise InvalidInputError(exc.message, field=field, rule_id=exc.rule_id) from None


def read_json(source: str, *, field: str = "$") -> object:
    """A JSON document from a file or stdin (``-``): UTF-8, duplicate keys refused, no depth
    or number beyond what :func:`sen_disagreement.serialization.parse_json` accepts."""
    from sen_disagreement.serialization import parse_json

    raw = read_source(source, field=field)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError("is not UTF-8 text", field=field,
                                rule_id="input.encoding") from None
    return parse_json(text)
