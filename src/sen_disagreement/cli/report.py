"""``sen-disagreement report``: the SEN2 mediation and Tribunal flags, and local metrics, over a
council's stored cases, for an officer of that council (``--user``, resolved by ``--actors`` or
the council plugins, as for ``case``).

Exit codes as every command (:class:`~sen_disagreement.cli._common.ExitCode`): 0 the report was
written (SEN2 cases it could not place are named on stderr, or under ``unplaced`` in JSON); 2 bad
input or a refused request; 3 the store or a plugin failed. Errors are text on stderr, or JSON
on stdout under ``--format json``.
"""

from __future__ import annotations

import click

from sen_disagreement.cli._common import iso_date
from sen_disagreement.cli._usage import Group
from sen_disagreement.cli.case import _reported, _service, _who, write_output
from sen_disagreement.errors import InvalidInputError

__all__ = ["report"]


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
def report() -> None:
    """Reports over a council's cases: SEN2 flags and local metrics (counts, never names)."""


def _year(value: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) != 4:
        raise InvalidInputError("must be a calendar year written YYYY", field="--year",
                                rule_id="input.range")
    return int(value)


@report.command("sen2")
@click.option("--year", "year", required=True, metavar="YYYY",
              help="The calendar year of the events counted.")
@click.option("--council", default=None, metavar="COUNCIL",
              help="The council (GSS code, slug, LA number or name; default: the user's own).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True, help="CSV rows in the return's field names, or JSON with the "
              "aggregates and the validation pass (errors as JSON too).")
@click.option("--output", "-o", "output", default=None, metavar="FILE",
              help="Write to this file (default: stdout).")
@click.option("--mediation-evidence", type=click.Choice(["held", "wanted"]), default="held",
              show_default=True, help="What sets a Mediation flag [UNCONFIRMED reading].")
@click.option("--tribunal-evidence", type=click.Choice(["bundle_exported", "not_recorded"]),
              default="bundle_exported", show_default=True,
              help="What sets a Tribunal flag [UNCONFIRMED reading].")
@click.option("--reassessment-group", type=click.Choice(["Other", "Request"]), default="Other",
              show_default=True,
              help="The field group of a refusal to re-assess [UNCONFIRMED reading].")
@_who
def sen2_command(year: str, council: str | None, fmt: str, output: str | None,
                 mediation_evidence: str, tribunal_evidence: str, reassessment_group: str,
                 user: str | None, actors: str | None, url: str | None) -> None:
    """The RequestMediation ... OtherTribunal flags of the SEN2 person-level return for YEAR,
    derived from case events (readings the DfE guide leaves open are settings, graded
    UNCONFIRMED; see docs/reference/reports.md). Cases that cannot be placed are named."""
    from sen_disagreement.reports.sen2 import (
        MediationEvidence,
        ReassessmentGroup,
        Sen2Settings,
        TribunalEvidence,
        check_year,
        sen2_report,
    )

    with _reported(fmt):
        chosen = check_year(_year(year))
        settings = Sen2Settings(mediation_evidence=MediationEvidence(mediation_evidence),
                                tribunal_evidence=TribunalEvidence(tribunal_evidence),
                                reassessment_group=ReassessmentGroup(reassessment_group))
        with _service(url, actors, user, reads=True) as (service, uid):
            found = sen2_report(service, uid, year=chosen, council=council, settings=settings)
        write_output(found.to_json() + "\n" if fmt == "json" else found.to_csv(), output)
        if fmt == "csv":
            for p in found.problems:
                click.echo(f"unplaced: {p.case_id}: {p.reason} (rule {p.rule_id})", err=True)


@report.command("metrics")
@click.option("--from", "start", default=None, metavar="YYYY-MM-DD",
              help="Cases opened on or after this day.")
@click.option("--to", "end", default=None, metavar="YYYY-MM-DD",
              help="Cases opened on or before this day (also the day running deadlines are "
                   "judged on; default today).")
@click.option("--council", default=None, metavar="COUNCIL",
              help="The council (GSS code, slug, LA number or name; default: the user's own).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "svg"]),
              default="table", show_default=True,
              help="A table for people, CSV or JSON for programs, or SVG charts.")
@click.option("--output", "-o", "output", default=None, metavar="FILE",
              help="Write to this file (default: stdout).")
@_who
def metrics_command(start: str | None, end: str | None, council: str | None, fmt: str,
                    output: str | None, user: str | None, actors: str | None,
                    url: str | None) -> None:
    """Caseload by type, route and state; mediations arranged within 30 days; certificates by
    kind; outcomes full/partial/none, issue by issue; median and 90th-percentile days per
    stage; deadlines met and missed."""
    from sen_disagreement.reports.metrics import check_range, metrics_report

    with _reported("json" if fmt == "json" else "text"):
        first = iso_date(start, "--from") if start is not None else None
        last = iso_date(end, "--to") if end is not None else None
        check_range(first, last)
        with _service(url, actors, user, reads=True) as (service, uid):
            found = metrics_report(service, uid, start=first, end=last, council=council)
        if fmt == "svg":
            from sen_disagreement.reports.charts import metrics_chart

            write_output(metrics_chart(found, format="svg"), output)
        elif fmt == "json":
            write_output(found.to_json() + "\n", output)
        elif fmt == "csv":
            write_output(found.to_csv(), output)
        else:
            write_output(found.to_table(), output)
