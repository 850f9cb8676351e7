"""The ``sen-disagreement`` command line.

Subcommands live in their own modules and are imported only when run, so ``--help`` stays fast
and no command pays for another's imports (the working-day calendar, the store, the plugins).
"""

from __future__ import annotations

import importlib

import click

__all__ = ["COMMANDS", "main"]

# name -> "module:attribute" of a click.Command
COMMANDS: dict[str, str] = {
    "case": "sen_disagreement.cli.case:case",
    "classify": "sen_disagreement.cli.classify:classify",
    "council": "sen_disagreement.cli.plugins:council",
    "deadlines": "sen_disagreement.cli.deadlines:deadlines",
    "demo": "sen_disagreement.cli.demo:demo",
    "due": "sen_disagreement.cli.due:due",
    "notify": "sen_disagreement.cli.notify:notify",
    "plugins": "sen_disagreement.cli.plugins:plugins",
    "report": "sen_disagreement.cli.report:report",
    "rules": "sen_disagreement.cli.rules:rules_command",
    "schema": "sen_disagreement.cli.classify:schema",
    "settings": "sen_disagreement.cli.classify:settings_command",
    "store": "sen_disagreement.cli.store:store",
    "sweep": "sen_disagreement.cli.sweep:sweep",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sen-disagreement")
def main() -> None:
    """Statutory SEN disagreement resolution and mediation, as executable rules.

    Every answer names the provision it rests on and the grade of that source:
    [P] primary text, [S] secondary source, [UNCONFIRMED].
    """
