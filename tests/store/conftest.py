"""Fixtures for the store tests: a throwaway PostgreSQL cluster and a store per backend.

The PostgreSQL fixture runs ``initdb`` and ``pg_ctl`` from the local binaries on a free loopback
port (127.0.0.1 only, trust authentication inside a private temporary directory). PostgreSQL
refuses to run as root, so under root (CI) the binaries run as the ``postgres`` user. If the
binaries are missing the fixture fails: CI installs them, and a skipped backend would hide a
broken contract.

The cluster has the two roles of docs/how-to/storage.md: :data:`OWNER_ROLE` (the migration role:
owns the schema and tables, runs the migrations) and :data:`APP_ROLE` (the application role,
granted by ``grant_application_role``). The ``store`` and ``store_url`` fixtures run as the
application role on a schema the owner migrated; ``owner_url`` (the owner, stopped only by the
triggers) and ``admin_url`` (the superuser, which can disable every trigger) are for tests that
tamper with the rows directly. ``pg_url`` is an empty schema opened by the owner (it migrates).
"""

from __future__ import annotations

import datetime as dt
import glob
import importlib.util
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from sen_disagreement.store import CaseRecord, DeadlineEntry, Store, open_store
from sen_disagreement.store.postgres import grant_application_role, migrate

WORKERS = Path(__file__).with_name("store_workers.py")
T0 = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
SUPERUSER = "postgres"
OWNER_ROLE = "sen_owner"
"""The migration role: owns the schemas and tables, runs the migrations."""
APP_ROLE = "sen_app"
"""The application role: what the library needs, nothing more (no DDL, no trigger changes)."""


def pg_bin_dir() -> Path:
    dirs = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name or 0)
    )
    for d in reversed(dirs):
        if Path(d, "initdb").exists():
            return Path(d)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    # A machine with only Python: the tests dependency group installs the pgserver wheel, which
    # carries PostgreSQL's binaries. Located without importing it (its import has side effects).
    spec = importlib.util.find_spec("pgserver")
    for location in (spec.submodule_search_locations or []) if spec else []:
        bundled = Path(location, "pginstall", "bin")
        if (bundled / "initdb").exists():
            return bundled
    pytest.fail(
        "PostgreSQL binaries (initdb, pg_ctl) not found: install the postgresql package, "
        "or the tests dependency group (it brings the pgserver wheel)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    """A throwaway PostgreSQL cluster in a temporary directory."""

    def __init__(self) -> None:
        self.bin = pg_bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="sen-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        os.chmod(self.root, 0o700)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if check and proc.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            pytest.fail(f"{args[0]} failed: {proc.stdout}\n{proc.stderr}\n{log[-2000:]}")
        return proc

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--no-locale", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.root}"
            " -c max_connections=60 -c shared_buffers=32MB"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "-o", opts, "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def url(self, schema: str | None = None, *, user: str = SUPERUSER) -> str:
        base = f"postgresql://{user}@127.0.0.1:{self.port}/postgres"
        return base if schema is None else f"{base}?options=-csearch_path%3D{schema}"

    def create_roles(self) -> None:
        """The migration and application roles (login roles, no other attribute), once."""
        with psycopg.connect(self.url(), autocommit=True) as c:
            for role in (OWNER_ROLE, APP_ROLE):
                if c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                    continue
                c.execute(f"CREATE ROLE {role} LOGIN")

    def new_schema(self, owner: str = OWNER_ROLE) -> str:
        name = "t_" + secrets.token_hex(6)
        with psycopg.connect(self.url(), autocommit=True) as c:
            c.execute(f"CREATE SCHEMA {name} AUTHORIZATION {owner}")
        return name

    def app_schema(self) -> PgSchema:
        """A new schema the migration role migrated and granted to the application role."""
        name = self.new_schema()
        schema = PgSchema(
            name,
            app_url=self.url(name, user=APP_ROLE),
            owner_url=self.url(name, user=OWNER_ROLE),
            admin_url=self.url(name),
        )
        migrate(schema.owner_url)
        grant_application_role(schema.owner_url, APP_ROLE)
        return schema

    def drop_schema(self, name: str) -> None:
        with psycopg.connect(self.url(), autocommit=True) as c:
            c.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass(frozen=True)
class PgSchema:
    """One test's schema, and a URL on it for each role."""

    name: str
    app_url: str
    """The application role: what the store runs as."""
    owner_url: str
    """The migration role, owner of the tables: DDL, and direct writes the triggers allow."""
    admin_url: str
    """The superuser: can disable the constraint triggers too (tamper tests)."""


@pytest.fixture
def new_pg_cluster() -> type[PgCluster]:
    """Build a separate cluster (for tests that crash their server)."""
    return PgCluster


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> Iterator[str]:
    """An empty schema of the migration role, as that role (a store opened on it migrates)."""
    schema = pg_cluster.new_schema()
    yield pg_cluster.url(schema, user=OWNER_ROLE)
    pg_cluster.drop_schema(schema)



@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL the store runs on: a SQLite file, or PostgreSQL as the application role."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cases.sqlite3'}"
    schema: PgSchema = request.getfixturevalue("pg_schema")
    return schema.app_url


@pytest.fixture
def owner_url(request: pytest.FixtureRequest, store_url: str) -> str:
    """``store_url``'s database as the owner of its tables (the same file on SQLite)."""
    if store_url.startswith("sqlite"):
        return store_url
    schema: PgSchema = request.getfixturevalue("pg_schema")
    return schema.owner_url


@pytest.fixture
def admin_url(request: pytest.FixtureRequest, store_url: str) -> str:
    """``store_url``'s database as the superuser, who can disable every trigger (the same file
    on SQLite)."""
    if store_url.startswith("sqlite"):
        return store_url
    schema: PgSchema = request.getfixturevalue("pg_schema")
    return schema.admin_url


class Clock:
    """A settable UTC clock for the store's audit and outbox timestamps."""

    def __init__(self, start: dt.datetime = T0) -> None:
        self.value = start

    def now(self) -> dt.datetime:
        return self.value

    def advance(self, delta: dt.timedelta) -> None:
        self.value += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(store_url: str, clock: Clock) -> Iterator[Store]:
    s = open_store(store_url, now=clock.now)
    yield s
    s.close()


@pytest.fixture
def raw_sql(owner_url: str) -> Iterator[Callable[[str], list[tuple[object, ...]]]]:
    """Run one SQL statement directly on the backend as the owner of the tables (to prove what
    the triggers stop even there; the application role is refused by its privileges first)."""
    import sqlite3

    conns: list[sqlite3.Connection | psycopg.Connection[tuple[object, ...]]] = []

    def run(sql: str) -> list[tuple[object, ...]]:
        if owner_url.startswith("sqlite"):
            c = sqlite3.connect(owner_url.removeprefix("sqlite:///"), isolation_level=None)
            conns.append(c)
            return list(c.execute(sql).fetchall())
        pc = psycopg.connect(owner_url, autocommit=True)
        conns.append(pc)
        cur = pc.execute(sql)
        return list(cur.fetchall()) if cur.description else []

    yield run
    for c in conns:
        c.close()


def make_case(
    case_id: str = "ENG-E08000014-2025-000001",
    *,
    council: str = "E08000014",
    kind: str = "mediation",
    state: str = "received",
    version: int = 0,
    document: str | None = None,
    deadlines: tuple[DeadlineEntry, ...] | None = None,
    dob: dt.date | None = dt.date(2012, 5, 17),
    closed_on: dt.date | None = None,
    legal_hold: bool = False,
    at: dt.datetime = T0,
) -> CaseRecord:
    if deadlines is None:
        deadlines = (
            DeadlineEntry(clock_id="arrange_mediation", due=dt.date(2025, 2, 5), status="running"),
        )
    return CaseRecord(
        case_id=case_id,
        council=council,
        kind=kind,
        state=state,
        version=version,
        document=document if document is not None else f'{{"case_id":"{case_id}","n":0}}',
        created_at=at,
        updated_at=at,
        deadlines=deadlines,
        subject_date_of_birth=dob,
        closed_on=closed_on,
        legal_hold=legal_hold,
    )


@pytest.fixture
def case_factory() -> Callable[..., CaseRecord]:
    return make_case


@pytest.fixture
def run_worker() -> Callable[..., subprocess.Popen[str]]:
    """Start ``store_workers.py <mode> <args>`` in a fresh interpreter."""

    def start(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(WORKERS), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    return start
