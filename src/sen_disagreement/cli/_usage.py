"""A command line the parser refuses (an unknown option, a bad choice, a missing argument, an
unknown subcommand) is reported like every other error: under ``--format json`` as the JSON error
document on stdout, exit code 2 (bad input). Without it, click's own usage message on stderr,
also exit 2. Every command is a :class:`Command`, every group of subcommands a :class:`Group`
(whose subcommands are :class:`Command` s)."""

from __future__ import annotations

import json
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


def usage_document(err: click.UsageError) -> dict[str, Any]:
    return {"error": "UsageError", "message": err.format_message(),
            "exit_code": int(ExitCode.BAD_INPUT)}


def _refuse(err: click.UsageError) -> NoReturn:
    click.echo(json.dumps(usage_document(err), indent=2))
    sys.exit(int(ExitCode.BAD_INPUT))


class Command(click.Command):
    """A click command whose usage errors are JSON under ``--format json``."""

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

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as err:  # raised by the command itself (ctx.fail, BadParameter)
            if ctx.params.get("fmt") != "json":
                raise
            _refuse(err)


class Group(click.Group):
    """A click group whose usage errors (its own, and an unknown subcommand's) are JSON under
    ``--format json``; its subcommands are :class:`Command` s."""

    command_class = Command

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

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as err:
            if not wants_json(args):
                raise
            _refuse(err)
