"""Fixtures of the web app's tests: a fresh SQLite store per test, the development users, the app
over them, and a TestClient speaking https (so the Secure session cookie is sent back)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sen_disagreement_web import DEV_USERS, create_app
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sen_disagreement.actors import StaticActorDirectory
from sen_disagreement.service import CaseService

WEB_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def directory() -> StaticActorDirectory:
    return StaticActorDirectory.from_json(DEV_USERS)


@pytest.fixture
def service(tmp_path: Path, directory: StaticActorDirectory) -> Iterator[CaseService]:
    service = CaseService.open(f"sqlite:///{tmp_path / 'web.sqlite3'}", directory=directory,
                               timeout=None)
    with service.store:
        yield service


@pytest.fixture
def app(service: CaseService, directory: StaticActorDirectory) -> Starlette:
    return create_app(service, dev_users=directory, key="k" * 48)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False,
                    follow_redirects=False) as c:
        yield c
