"""A command line the parser refuses (an unknown option, a bad choice, a missing argument) is
reported like every other error: under ``--format json`` as the JSON error document on stdout,
exit code 2 (bad input). Without it, click's own usage message on stderr, also exit 2."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

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
            click.echo(json.dumps(usage_document(err), indent=2))
            sys.exit(int(ExitCode.BAD_INPUT))
