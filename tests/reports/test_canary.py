"""No report, chart or timeline carries anything without prejudice or confidential: a hostile
mediation and a hostile disagreement resolution, with a canary in every free-text field (the
parent's, adviser's, mediator's and provider's names, the parent's email, a without-prejudice
offer), through every report, chart and timeline format, by the library and the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reports.population import CANARY, OFFICER, family
from sen_disagreement.cli import main
from sen_disagreement.reports.charts import metrics_chart
from sen_disagreement.reports.metrics import metrics_report
from sen_disagreement.reports.sen2 import sen2_report
from sen_disagreement.reports.timeline import render_timeline
from sen_disagreement.service import CaseService

ON = dt.date(2025, 6, 1)
MED, DR = "hostile-0001", "hostile-dr-0001"


def _clean(out: str | bytes) -> None:
    data = out.encode("utf-8") if isinstance(out, str) else out
    for needle in (CANARY, CANARY.lower(), CANARY.upper(), "example.org", "Without prejudice",
                   "an offer"):
        assert needle.encode("utf-8") not in data, needle


def test_the_canary_is_really_stored(hostile_service: CaseService) -> None:
    for case_id in (MED, DR):
        document = hostile_service.store.load(case_id).document
        assert CANARY in document and f"{CANARY.lower()}@example.org" in document
        assert "Without prejudice" in document


def test_no_report_chart_or_timeline_carries_the_canary(hostile_service: CaseService) -> None:
    outputs: list[str | bytes] = []
    for year in (2025,):
        report = sen2_report(hostile_service, OFFICER.actor_id, year=year)
        assert report.rows  # the hostile mediation is counted: held and exported in 2025
        outputs += [report.to_csv(), report.to_json()]
    m = metrics_report(hostile_service, OFFICER.actor_id, on=ON)
    assert m.cases == 2
    outputs += [m.to_table(), m.to_csv(), m.to_json(), metrics_chart(m),
                metrics_chart(m, format="png")]
    for case_id in (MED, DR):
        case, _ = hostile_service.case_for(case_id, OFFICER.actor_id)
        for fmt in ("svg", "png", "text"):
            # The whole case, every record's step on it, and the officer's and the family's
            # timelines: still nothing of the canary.
            outputs.append(render_timeline(case, on=ON, format=fmt, readable=case.items))
            for who in (OFFICER.actor_id, family(case_id).actor_id):
                outputs.append(hostile_service.timeline_for(case_id, who, on=ON).render(fmt))
    for out in outputs:
        _clean(out)


@pytest.fixture
def actors(tmp_path: Path) -> Path:
    path = tmp_path / "actors.json"
    path.write_text(json.dumps({"users": [
        {"id": OFFICER.actor_id, "role": "la_officer", "council": OFFICER.council}]}))
    return path


def test_no_command_output_carries_the_canary(hostile_service: CaseService, actors: Path,
                                              tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hostile.sqlite3'}"  # the file hostile_service stores in
    base = ["--user", OFFICER.actor_id, "--actors", str(actors), "--db", db]
    runs = [
        ["report", "sen2", "--year", "2025", "--format", "csv"],
        ["report", "sen2", "--year", "2025", "--format", "json"],
        *(["report", "metrics", "--format", f] for f in ("table", "csv", "json", "svg")),
        *(["case", "timeline", c, "--format", f, "--on", "2025-06-01"]
          for c in (MED, DR) for f in ("svg", "png", "text")),
    ]
    for args in runs:
        result = CliRunner().invoke(main, [*args, *base])
        assert result.exit_code == 0, (args, result.output)
        if args[:2] == ["report", "sen2"]:
            assert MED in result.output  # the hostile mediation is in the return
        _clean(result.stdout_bytes)
        _clean(result.stderr_bytes or b"")
