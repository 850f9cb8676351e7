"""A command line the parser refuses (an unknown option, a bad choice, a missing argument, an
unknown subcommand) is reported like every other error: under ``--format json`` as the JSON error
document on stdout, exit code 2 (bad input). Without it, click's own usage message on stderr,
also exit 2. Every command is a :class:`Command`, every group of subcommands a :class:`Group`
(whose subcommands are :class:`Command` s)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from sen_disagreement.cli._common import ExitCode


def wants_json(args: Sequence[str]) -> bool:
    """Whether ``args`` ask for ``--format json`` (``--format json`` or ``--format=json``)."""
    for i, arg in enumerate(args):
        if arg == "--":
            return False
        if arg == "--format=json" or (arg == "--format" and args[i + 1 : i + 2] == ["json"]):
            return True
    return False


_RULE = "input.usage"
_NAME = re.compile(r"-{0,2}[a-z][a-z0-9_-]{0,39}")


def _named(text: str | None, other: str) -> str:
    # Only a name the command line could declare is repeated: a typed value may be personal data.
    return text if text and _NAME.fullmatch(text) else other


def _field_and_message(err: click.UsageError) -> tuple[str, str]:
    """What the parser refused, never the value the caller typed (click's own messages repeat
    extra arguments and invalid values, which may be a name or a confidential text)."""
    if isinstance(err, click.NoSuchOption):
        return _named(err.option_name, "option"), "is not an option of this command"
    if isinstance(err, click.BadOptionUsage):
        return _named(err.option_name, "option"), "is used wrongly (a value missing or repeated)"
    if isinstance(err, click.MissingParameter):
        return _param_field(err), "is required"
    if isinstance(err, click.BadParameter):
        return _param_field(err), "has an invalid value"
    text = err.format_message()
    if text.startswith("No such command"):
        typed = re.fullmatch(r"No such command '(.*)'\.", text)
        name = _named(typed.group(1) if typed else None, "")
        return "command", f"{name} is not a command here" if name else "is not a command here"
    if text.startswith("Got unexpected extra argument"):
        return "arguments", "has more arguments than the command takes"
    if text.startswith("Missing command"):
        return "command", "is required"
    return "command line", "is not a command line this command reads"


def _param_field(err: click.BadParameter) -> str:
    param = err.param
    if param is not None:
        names = [o for o in getattr(param, "opts", ()) if o.startswith("--")]
        return _named(names[0] if names else param.name, "argument")
    return "argument"


def usage_document(err: click.UsageError) -> dict[str, Any]:
    """The JSON error document for a command line the parser refused (rule ``input.usage``)."""
    field, message = _field_and_message(err)
    return {"error": "UsageError", "message": f"{field}: {message} (rule {_RULE})",
            "exit_code": int(ExitCode.BAD_INPUT), "rule_id": _RULE,
            "problems": [{"field": field, "message": message, "rule_id": _RULE,
                          "citation": None}]}


def _refuse(err: click.UsageError) -> NoReturn:
    click.echo(json.dumps(usage_document(err), indent=2))
    sys.exit(int(ExitCode.BAD_INPUT))


class _JsonUsageErrors(click.Command):
    """The parser's refusals of a command line, as JSON under ``--format json``: one definition
    for commands and groups (a group's ``super()`` is ``click.Group``'s, by the MRO)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        as_json = wants_json(args)
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as err:
            if not as_json:
                raise
            _refuse(err)


class Command(_JsonUsageErrors):
    """A click command whose usage errors are JSON under ``--format json``."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as err:  # raised by the command itself (ctx.fail, BadParameter)
            if ctx.params.get("fmt") != "json":
                raise
            _refuse(err)


class Group(_JsonUsageErrors, click.Group):
    """A click group whose usage errors (its own, and an unknown subcommand's) are JSON under
    ``--format json``; its subcommands are :class:`Command` s."""

    command_class = Command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as err:
            if not wants_json(args):
                raise
            _refuse(err)
