"""``sen-disagreement rules``: every rule, clock and check, found by citation or id, with its
code and its tests."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from sen_disagreement.cli._common import ExitCode, fail, format_option
from sen_disagreement.cli._usage import Command
from sen_disagreement.errors import InvalidInputError

__all__ = ["rules_command"]


def _entry_json(entry: Any, tests: list[Any]) -> dict[str, Any]:
    prov = entry.provenance
    return {
        "rule_id": entry.rule.rule_id,
        "kind": entry.kind,
        "summary": entry.rule.summary,
        "grade": None if prov is None else prov.grade.value,
        "valid_from": None if prov is None or prov.valid_from is None
        else prov.valid_from.isoformat(),
        "valid_to": None if prov is None or prov.valid_to is None else prov.valid_to.isoformat(),
        "citations": [] if prov is None else [
            {"text": c.text, "grade": c.grade.value, "url": c.url,
             "instrument": None if c.instrument is None else c.instrument.title,
             "provisions": list(c.provisions)}
            for c in prov.citations
        ],
        "clocks": list(entry.clocks),
        "code": entry.where,
        "tests": [str(t) for t in tests],
    }


def _entry_text(entry: Any, tests: list[Any]) -> list[str]:
    prov = entry.provenance
    grade = "" if prov is None else f" {prov.grade.label}"
    lines = [f"{entry.rule.rule_id} ({entry.kind}){grade}", f"  {entry.rule.summary}"]
    if prov is not None:
        if prov.valid_from or prov.valid_to:
            lines.append(f"  applies: {prov.valid_from or '...'} to "
                         f"{prov.valid_to or '...'} (exclusive)")
        lines.extend(f"  cites: {c}" + (f" <{c.url}>" if c.url else "")
                     for c in prov.citations)
    if entry.clocks:
        lines.append(f"  clocks: {', '.join(entry.clocks)}")
    lines.append(f"  code: {entry.where}")
    lines.extend(f"  test: {t}" for t in tests)
    return lines


@click.command("rules", cls=Command)
@click.option("--cite", metavar="CITATION",
              help='Rules resting on a provision, however spelled: "reg 34(1)", "CFA s.57", '
                   '"HESC Rules r.12(3)".')
@click.option("--id", "rule_id", metavar="PREFIX", help="Rules whose id starts with PREFIX.")
@click.option("--all", "include_checks", is_flag=True,
              help="Include the library's own checks (input shapes, stored rows), not only law.")
@click.option("--tests", "tests_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Where the tests are (default: tests/ of a source checkout).")
@format_option
def rules_command(cite: str | None, rule_id: str | None, include_checks: bool,
                  tests_dir: Path | None, fmt: str) -> None:
    """List each statutory rule and clock with its citations, the dates it applies between,
    the clocks resting on it, where it is coded and the tests named after it.

    Exit 0 when something matched, 1 when nothing did, 2 for a citation that names no
    provision."""
    from sen_disagreement import rules

    try:
        query = None if cite is None else rules.citation_query(cite)
    except InvalidInputError as exc:
        fail(exc, fmt)
    if query is not None and not query:
        fail(InvalidInputError("names no provision (try 'reg 34(1)' or 'CFA s.57')",
                               field="--cite", rule_id="input.citation"), fmt)
    kinds = ("rule", "clock", "check") if include_checks else ("rule", "clock")
    found = rules.find(cite=cite, rule_id=rule_id, kinds=kinds)
    root = tests_dir or rules.default_tests_dir()
    rows = [(e, rules.named_tests(e.rule.rule_id, root)) for e in found]
    if fmt == "json":
        click.echo(json.dumps([_entry_json(e, t) for e, t in rows], indent=2))
    else:
        for e, t in rows:
            click.echo("\n".join(_entry_text(e, t)))
        click.echo(f"{len(rows)} rule(s)")
    sys.exit(int(ExitCode.ANSWERED if rows else ExitCode.ANSWERED_NO))
