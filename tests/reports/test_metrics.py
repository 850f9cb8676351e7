"""Local metrics over the generated population, against counts from the events the cases were
built from; the period filter; percentiles; the charts."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from reports.population import OFFICER, Plan
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.reports.charts import metrics_chart
from sen_disagreement.reports.metrics import metrics_report, percentile
from sen_disagreement.service import CaseService


def test_metrics_match_counts_from_the_events(population: tuple[str, list[Plan]],
                                              population_service: CaseService) -> None:
    _, plans = population
    m = metrics_report(population_service, OFFICER.actor_id, on=dt.date(2026, 1, 1))
    assert m.cases == len(plans) and m.unreadable == 0
    kinds = Counter(p.kind for p in plans)
    assert m.caseload["type"] == dict(sorted(kinds.items()))
    certs = Counter("declined" if p.path == "declined" else "after_mediation"
                    for p in plans if p.certificate_on is not None)
    assert m.certificates == dict(sorted(certs.items()))
    held = [p for p in plans if p.held_on is not None]
    assert m.stage_days["mediation_wanted_to_held"] == {"cases": len(held), "median": 12,
                                                        "p90": 12}
    assert m.stage_days["referral_to_meeting_held"] == {"cases": kinds["disagreement_resolution"],
                                                        "median": 14, "p90": 14}
    # Every held mediation was arranged on the day it was wanted: within the 30 days.
    assert m.arranged_within_30_days["within_30_days"] == len(held)
    wanted_only = [p for p in plans if p.path == "wanted"]
    assert (m.arranged_within_30_days["overdue"] + m.arranged_within_30_days["running"]
            == len(wanted_only))
    assert m.outcome_levels == {"disagreement_resolution": {
        "partial_agreement": kinds["disagreement_resolution"]}}
    assert m.issue_outcomes["duty: keep provision under review"] == {
        "agreed": kinds["disagreement_resolution"]}
    routes = m.caseload["route"]
    assert routes["local_authority"] == sum(p.told_on is not None for p in plans)
    assert sum(m.caseload["state"].values()) == len(plans)


def test_metrics_period_is_the_day_a_case_opened(population_service: CaseService) -> None:
    start, end = dt.date(2025, 1, 1), dt.date(2025, 3, 31)
    m = metrics_report(population_service, OFFICER.actor_id, start=start, end=end)
    everything = metrics_report(population_service, OFFICER.actor_id, on=end)
    assert 0 < m.cases < everything.cases
    assert m.on == end and m.start == start
    doc = json.loads(m.to_json())
    assert doc["from"] == "2025-01-01" and doc["to"] == "2025-03-31"
    table = m.to_table()
    assert table.startswith("Metrics for E08000014, cases opened 2025-01-01 to 2025-03-31")
    assert m.to_csv().splitlines()[0] == "section,group,measure,value"


def test_metrics_range_is_checked(population_service: CaseService) -> None:
    with pytest.raises(InvalidInputError) as err:
        metrics_report(population_service, OFFICER.actor_id, start=dt.date(2025, 2, 1),
                       end=dt.date(2025, 1, 1))
    assert (err.value.field, err.value.rule_id) == ("to", "input.date_range")


@pytest.mark.parametrize(("values", "p", "want"), [
    ([], 50, None), ([7], 90, 7), ([1, 2, 3, 4], 50, 2), ([1, 2, 3, 4, 5], 50, 3),
    (list(range(1, 11)), 90, 9), (list(range(1, 12)), 90, 10), ([5, 1, 3], 100, 5),
])
def test_percentile_is_nearest_rank(values: list[int], p: float, want: int | None) -> None:
    assert percentile(values, p) == want


def test_metrics_chart_svg_is_accessible_and_stable(population_service: CaseService) -> None:
    m = metrics_report(population_service, OFFICER.actor_id, on=dt.date(2026, 1, 1))
    svg = metrics_chart(m)
    assert isinstance(svg, str) and metrics_chart(m) == svg
    root = ET.fromstring(svg.encode("utf-8"))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img" and root[0].tag == f"{ns}title"
    desc = root[1].text or ""
    assert f"Certificates by kind: after mediation {m.certificates['after_mediation']}" in desc
    png = metrics_chart(m, format="png")
    assert isinstance(png, bytes) and png[:8] == b"\x89PNG\r\n\x1a\n"
