"""Fixtures shared by every test folder: one throwaway PostgreSQL cluster for the whole run
(the cluster itself is :class:`store.conftest.PgCluster`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from store.conftest import PgCluster, PgSchema


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster()
    try:
        cluster.init()
        cluster.start()
        cluster.create_roles()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def pg_schema(pg_cluster: PgCluster) -> Iterator[PgSchema]:
    """A migrated schema granted to the application role."""
    schema = pg_cluster.app_schema()
    yield schema
    pg_cluster.drop_schema(schema.name)
