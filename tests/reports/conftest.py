"""Stores the reports' tests read: a generated population of 1,200 cases and the walkthrough's
two cases, each in a real SQLite file made once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reports.population import Plan, directory, generate, hostile_case, hostile_dr, store_population
from sen_disagreement.service import CaseService
from sen_disagreement.walkthrough import run

POPULATION = 1200


@pytest.fixture(scope="session")
def population(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[Plan]]:
    """The URL of a SQLite store holding the generated population, and its plans."""
    db = tmp_path_factory.mktemp("population") / "cases.sqlite3"
    cases, plans = generate(POPULATION)
    service = CaseService.open(f"sqlite:///{db}", directory=directory(), timeout=None)
    with service.store as store:
        store_population(store, cases, plans)
    return f"sqlite:///{db}", plans


@pytest.fixture
def population_service(population: tuple[str, list[Plan]]) -> Iterator[CaseService]:
    service = CaseService.open(population[0], directory=directory(), timeout=None)
    with service.store:
        yield service


@pytest.fixture(scope="session")
def walkthrough_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("walkthrough") / "sefton.sqlite3"
    run(db)
    return db


@pytest.fixture
def hostile_service(tmp_path: Path) -> Iterator[CaseService]:
    """A store holding the hostile mediation and disagreement-resolution cases (the canary in
    every free-text field), the mediation's Tribunal bundle exported."""
    med, med_plan = hostile_case()
    dr, dr_plan = hostile_dr()
    service = CaseService.open(f"sqlite:///{tmp_path / 'hostile.sqlite3'}",
                               directory=directory([med.case_id, dr.case_id]), timeout=None)
    with service.store as store:
        store_population(store, [med, dr], [med_plan, dr_plan])
        yield service
