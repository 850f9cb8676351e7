"""The same population gives the same SEN2 report and metrics from a SQLite file and from a
PostgreSQL schema (as the application role): reports read through the store's contract only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from store.conftest import PgCluster

from reports.population import OFFICER, directory, generate, store_population
from sen_disagreement.reports.metrics import metrics_report
from sen_disagreement.reports.sen2 import sen2_report
from sen_disagreement.service import CaseService


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> Iterator[str]:
    schema = pg_cluster.app_schema()
    yield schema.app_url
    pg_cluster.drop_schema(schema.name)


def _answers(url: str) -> tuple[str, str, str]:
    cases, plans = generate(150, seed=7)
    service = CaseService.open(url, directory=directory(), timeout=None)
    with service.store as store:
        store_population(store, cases, plans)
        sen2 = sen2_report(service, OFFICER.actor_id, year=2025)
        metrics = metrics_report(service, OFFICER.actor_id, on=dt.date(2026, 1, 1))
    assert sen2.rows and metrics.cases == 150
    return sen2.to_json(), sen2.to_csv(), metrics.to_json()


@pytest.mark.postgres
def test_sen2_flag_groups_and_metrics_are_the_same_on_postgres(pg_url: str,
                                                               tmp_path: Path) -> None:
    assert _answers(pg_url) == _answers(f"sqlite:///{tmp_path / 'cases.sqlite3'}")
