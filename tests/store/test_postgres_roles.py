"""Least privilege on PostgreSQL (issue 10): a migration role owns the tables and runs the DDL;
the application role reads and writes what the store needs and nothing more. It cannot change
the schema or a trigger, cannot edit or delete the audit trail or the case history, and writes
no purge permit: it purges only through ``sen_purge_case``, a SECURITY DEFINER function of the
migration role. Each test builds its own roles from the SQL in docs/how-to/storage.md."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import attrs
import psycopg
import pytest
from psycopg import errors

from sen_disagreement.errors import LegalHoldError, NotFoundError, StaleWriteError, StoreError
from sen_disagreement.store import (
    AuditEntry,
    OutboxMessage,
    RetentionTrigger,
    open_store,
)
from sen_disagreement.store import postgres as pg_module
from sen_disagreement.store.postgres import (
    PostgresStore,
    application_role_grants,
    grant_application_role,
    migrate,
)
from store.conftest import T0, PgCluster, make_case

pytestmark = pytest.mark.postgres

DOC = Path(__file__).resolve().parents[2] / "docs" / "how-to" / "storage.md"


def _doc_sql(name: str) -> str:
    """The SQL block after ``<!-- sql: name -->`` in the storage how-to."""
    found = re.search(rf"<!-- sql: {name} -->\n *```sql\n(.*?)```", DOC.read_text(), flags=re.S)
    assert found is not None, name
    return found.group(1)


@dataclass(frozen=True)
class Roles:
    owner: str
    app: str
    schema: str
    owner_url: str
    app_url: str
    admin_url: str


@pytest.fixture
def roles(pg_cluster: PgCluster) -> Iterator[Roles]:
    """The documented setup, run by the superuser under fresh names: the two roles and the
    migration role's schema (nothing migrated yet)."""
    tag = secrets.token_hex(4)
    owner, app, schema = f"mig_{tag}", f"app_{tag}", f"sen_{tag}"
    names = {"sen_owner": owner, "sen_app": app, "sen": schema}
    setup = re.sub(r"\b(sen_owner|sen_app|sen)\b", lambda m: names[m.group(1)],
                   _doc_sql("roles"))
    with psycopg.connect(pg_cluster.url(), autocommit=True) as c:
        c.execute(setup.encode())
    yield Roles(owner, app, schema, pg_cluster.url(schema, user=owner),
                pg_cluster.url(schema, user=app), pg_cluster.url(schema))
    with psycopg.connect(pg_cluster.url(), autocommit=True) as c:
        c.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        for role in (app, owner):
            c.execute(f"DROP OWNED BY {role}")
            c.execute(f"DROP ROLE {role}")


@pytest.fixture
def granted(roles: Roles) -> Roles:
    """Migrated and granted, as the how-to says."""
    assert migrate(roles.owner_url) == pg_module.LATEST_VERSION == 6
    grant_application_role(roles.owner_url, roles.app)
    return roles


def _sql(url: str) -> Callable[..., list[tuple[Any, ...]]]:
    def run(sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(url, autocommit=True) as c:
            cur = c.execute(sql, args or None)
            return list(cur.fetchall()) if cur.description else []

    return run


def _msg(case_id: str, key: str) -> OutboxMessage:
    return OutboxMessage(case_id=case_id, channel="email", template="t", idempotency_key=key,
                         payload_ref=f"p/{key}")


# --- the grants -------------------------------------------------------------------------------


def test_the_how_to_shows_the_grants_the_library_runs() -> None:
    shown = [s.strip() for s in _doc_sql("grants").split(";") if s.strip()]
    assert shown == list(application_role_grants("sen", "sen_app"))


_EXPECTED = {
    "cases": {"SELECT", "INSERT", "UPDATE"},
    "deadlines": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "outbox": {"SELECT", "INSERT", "UPDATE"},
    "audit": {"SELECT", "INSERT"},
    "case_history": {"SELECT", "INSERT"},
    "audit_chain": {"SELECT", "INSERT", "UPDATE"},
    "leases": {"SELECT", "INSERT", "UPDATE"},
    "schema_version": {"SELECT"},
    "purge_permits": set(),
}
_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def test_the_application_role_holds_exactly_the_rights_the_store_needs(granted: Roles) -> None:
    app = _sql(granted.app_url)
    held = {
        table: {p for p in _PRIVILEGES
                if app("SELECT has_table_privilege(%s, %s)", (table, p))[0][0]}
        for table in _EXPECTED
    }
    assert held == _EXPECTED
    [(tables,)] = app("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
    assert tables == len(_EXPECTED)  # no table left out of the list above
    [(usage, create)] = app("SELECT has_schema_privilege(current_schema(), 'USAGE'),"
                            " has_schema_privilege(current_schema(), 'CREATE')")
    assert (usage, create) == (True, False)
    [(execute, definer, config)] = app(
        "SELECT has_function_privilege('sen_purge_case(text)', 'EXECUTE'), p.prosecdef,"
        " p.proconfig FROM pg_proc p WHERE p.oid = 'sen_purge_case(text)'::regprocedure")
    assert execute and definer
    assert config == [f"search_path={granted.schema}, pg_temp"]  # pinned to the schema
    owners = {o for (o,) in app(
        "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class"
        " WHERE relnamespace = current_schema()::regnamespace"
        " UNION SELECT pg_get_userbyid(proowner) FROM pg_proc"
        " WHERE pronamespace = current_schema()::regnamespace")}
    assert owners == {granted.owner}
    [(sequences,)] = app(
        "SELECT bool_and(has_sequence_privilege(c.oid, 'USAGE')) FROM pg_class c"
        " WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace")
    assert sequences


def test_granting_is_refused_to_a_superuser_the_owner_or_no_role(granted: Roles) -> None:
    for role, problem in (("postgres", "superuser"), (granted.owner, "owner"),
                          ("nobody_" + secrets.token_hex(3), "no database role")):
        with pytest.raises(StoreError, match=problem):
            grant_application_role(granted.owner_url, role)
    grant_application_role(granted.owner_url, granted.app)  # granting again changes nothing
    with open_store(granted.app_url) as store:
        assert store.schema_version() == 6


# --- the application role works ---------------------------------------------------------------


def test_the_application_role_runs_the_whole_store_workflow(granted: Roles) -> None:
    owner = _sql(granted.owner_url)
    with open_store(granted.app_url, now=lambda: T0) as store:
        assert isinstance(store, PostgresStore) and store.schema_version() == 6
        first = store.save(make_case("ENG-ROLE-1"), 0, actor="officer:1",
                           outbox=[_msg("ENG-ROLE-1", "k1")])
        second = store.save(attrs.evolve(first, state="closed", closed_on=dt.date(2020, 1, 1)),
                            1, actor="officer:1", fields=["state"])
        with pytest.raises(StaleWriteError):
            store.save(first, 0, actor="officer:1")
        assert store.load("ENG-ROLE-1") == second
        assert [h.version for h in store.history("ENG-ROLE-1")] == [1, 2]
        assert [c.case_id for c in store.find_cases("E08000014")] == ["ENG-ROLE-1"]
        assert len(store.deadlines_between(None, dt.date(2030, 1, 1))) == 1
        assert store.save_many([make_case(f"ENG-ROLE-{n}", dob=dt.date(1990, 1, 1))
                                for n in (2, 3)], actor="import:1") == 2
        store.append_audit(AuditEntry(actor="officer:1", action="case.viewed", at=T0,
                                      case_id="ENG-ROLE-2"))
        store.enqueue([_msg("ENG-ROLE-2", "k2")])
        claimed = store.claim_outbox(now=T0 + dt.timedelta(days=1))
        assert {c.message.idempotency_key for c in claimed} == {"k1", "k2"}
        store.mark_sent(claimed[0].id)
        store.mark_failed(claimed[1].id, retry_at=T0 + dt.timedelta(days=2))
        store.set_legal_hold("ENG-ROLE-3", True, actor="dpo:1")
        due = store.retention_candidates(council="E08000014", kind="mediation",
                                         trigger=RetentionTrigger.DATE_OF_BIRTH,
                                         on_or_before=dt.date(2000, 1, 1))
        assert due == ["ENG-ROLE-2"]  # ENG-ROLE-3 is held
        assert store.verify().ok
        with pytest.raises(LegalHoldError):
            store.purge(["ENG-ROLE-3"], actor="dpo:1")
        with pytest.raises(NotFoundError):
            store.purge(["ENG-ROLE-404"], actor="dpo:1")
        report = store.purge(["ENG-ROLE-1", "ENG-ROLE-2"], actor="dpo:1")
        assert report.purged == ("ENG-ROLE-1", "ENG-ROLE-2")
        # PostgreSQL 15 lets only the tables' owner VACUUM them (17 would with MAINTAIN)
        assert not report.vacuumed and "VACUUM as the migration role" in report.message
        assert "does not zero freed space" in report.message
        for case_id in ("ENG-ROLE-1", "ENG-ROLE-2"):
            with pytest.raises(NotFoundError):
                store.load(case_id)
            [entry] = store.audit_trail(case_id)
            assert (entry.action, entry.fields) == ("case.purged", ())
        assert store.verify().ok
        store.set_legal_hold("ENG-ROLE-3", False, actor="dpo:1")
        assert store.purge(["ENG-ROLE-3"], actor="dpo:1").purged == ("ENG-ROLE-3",)
    # Nothing of the purged cases is left, and the permit window is closed.
    assert owner("SELECT count(*) FROM cases") == [(0,)]
    for table in ("case_history", "deadlines", "outbox", "purge_permits"):
        assert owner(f"SELECT count(*) FROM {table}") == [(0,)], table
    assert owner("SELECT count(*) FROM audit WHERE action <> 'case.purged'") == [(0,)]
    assert owner("SELECT count(*) FROM audit_chain WHERE n <> 1") == [(0,)]
    # The owner, who may VACUUM, still gets the vacuumed report.
    with open_store(granted.owner_url) as store:
        store.save(make_case("ENG-ROLE-9"), 0, actor="officer:1")
        assert store.purge(["ENG-ROLE-9"], actor="dpo:1").vacuumed


def test_the_purge_function_refuses_a_held_case_and_anyone_not_granted(
    granted: Roles, pg_cluster: PgCluster
) -> None:
    with open_store(granted.app_url) as store:
        store.save(make_case("ENG-HELD-1"), 0, actor="officer:1")
        store.set_legal_hold("ENG-HELD-1", True, actor="dpo:1")
    app = _sql(granted.app_url)
    with pytest.raises(errors.ObjectInUse):
        app("SELECT sen_purge_case('ENG-HELD-1')")
    with pytest.raises(errors.NoDataFound):
        app("SELECT sen_purge_case('ENG-NONE-1')")
    # EXECUTE was revoked from PUBLIC: a role with the schema but no grant may not call it.
    other = "other_" + secrets.token_hex(3)
    admin = _sql(granted.admin_url)
    admin(f"CREATE ROLE {other} LOGIN")
    try:
        admin(f"GRANT USAGE ON SCHEMA {granted.schema} TO {other}")
        with pytest.raises(errors.InsufficientPrivilege):
            _sql(pg_cluster.url(granted.schema, user=other))("SELECT sen_purge_case('ENG-HELD-1')")
    finally:
        admin(f"DROP OWNED BY {other}")
        admin(f"DROP ROLE {other}")
    assert app("SELECT count(*) FROM cases") == [(1,)]


# --- and cannot do the rest -------------------------------------------------------------------

REFUSED = (
    "CREATE TABLE sneak (i int)",
    "CREATE TABLE public.sneak (i int)",
    "CREATE FUNCTION sneak() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE INDEX sneak ON cases(document)",
    "ALTER TABLE audit DISABLE TRIGGER audit_append_only",
    "ALTER TABLE audit DISABLE TRIGGER ALL",
    "ALTER TABLE case_history DISABLE TRIGGER USER",
    "DROP TRIGGER audit_append_only ON audit",
    "DROP TRIGGER history_append_only ON case_history",
    "CREATE OR REPLACE FUNCTION sen_audit_append_only() RETURNS trigger LANGUAGE plpgsql"
    " AS 'BEGIN RETURN OLD; END'",
    "ALTER FUNCTION sen_purge_case(text) SECURITY INVOKER",
    "ALTER TABLE audit ADD COLUMN sneak text",
    "DROP TABLE audit",
    "UPDATE audit SET outcome = 'ok'",
    "DELETE FROM audit",
    "UPDATE case_history SET state = 'x'",
    "DELETE FROM case_history",
    "INSERT INTO purge_permits(case_id) VALUES ('ENG-ROLE-1')",
    "DELETE FROM purge_permits",
    "SELECT * FROM purge_permits",
    "TRUNCATE audit",
    "TRUNCATE case_history",
    "TRUNCATE cases CASCADE",
    "DELETE FROM cases",
    "DELETE FROM outbox",
    "DELETE FROM audit_chain",
    "INSERT INTO schema_version VALUES (99, now())",
    "GRANT SELECT ON purge_permits TO PUBLIC",
)


def _shape(owner: Callable[..., list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    """The rows of the append-only tables, the schema's triggers (enabled or not) and
    relations."""
    return owner(
        "SELECT (SELECT count(*) FROM audit), (SELECT count(*) FROM case_history),"
        " (SELECT string_agg(tgname || ':' || tgenabled::text, ',' ORDER BY tgname)"
        "  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
        "  AND c.relnamespace = current_schema()::regnamespace),"
        " (SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class"
        "  WHERE relnamespace = current_schema()::regnamespace)")


def test_postgres_refuses_the_application_role_ddl_and_tampering(granted: Roles) -> None:
    with open_store(granted.app_url) as store:
        v1 = store.save(make_case("ENG-ROLE-1"), 0, actor="officer:1")
        store.save(attrs.evolve(v1, state="closed"), 1, actor="officer:1")
    owner = _sql(granted.owner_url)
    before = _shape(owner)
    allowed: list[str] = []
    with psycopg.connect(granted.app_url, autocommit=True) as c:
        for sql in REFUSED:
            try:
                c.execute(sql.encode())
            except errors.InsufficientPrivilege:
                continue
            allowed.append(sql)
    assert allowed == []
    assert _shape(owner) == before
    with open_store(granted.app_url) as store:
        assert store.verify().ok
        assert len(store.history("ENG-ROLE-1")) == 2


# --- migrations belong to the migration role ----------------------------------------------------


def test_the_application_role_opens_a_current_schema_without_ddl(granted: Roles) -> None:
    """Opening only reads the schema version: no DDL, not even the migration lock (held here by
    the owner: an open that tried to migrate would wait for it, and give up after 2 s)."""
    with psycopg.connect(granted.owner_url, autocommit=True) as holder:
        holder.execute("BEGIN")
        holder.execute("SELECT pg_advisory_xact_lock(hashtext('sen_disagreement.' ||"
                       " current_schema()))")
        with PostgresStore(granted.app_url + "%20-clock_timeout%3D2000") as store:
            assert store.schema_version() == 6
            store.save(make_case("ENG-ROLE-1"), 0, actor="officer:1")
        holder.execute("ROLLBACK")


def _schema_at_version_4(roles: Roles) -> None:
    """The schema as the owner left it before this release, granted as the old how-to said."""
    with psycopg.connect(roles.owner_url, autocommit=True) as c, c.transaction():
        c.execute("CREATE TABLE schema_version (version integer PRIMARY KEY,"
                  " applied_at timestamptz NOT NULL)")
        for version, statements in pg_module.MIGRATIONS[:4]:
            for statement in statements:
                c.execute(statement.encode())
            c.execute("INSERT INTO schema_version VALUES (%s, now())", (version,))
        c.execute(f"GRANT USAGE ON SCHEMA {roles.schema} TO {roles.app}".encode())
        c.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {roles.schema}"
                  f" TO {roles.app}".encode())
        c.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {roles.schema} TO {roles.app}".encode())


def test_the_application_role_cannot_migrate_and_says_who_can(roles: Roles) -> None:
    _schema_at_version_4(roles)
    owner = _sql(roles.owner_url)
    with pytest.raises(StoreError) as err:
        open_store(roles.app_url)
    message = str(err.value)
    assert "schema version 4" in message and "needs 6" in message
    assert "run the migrations as the migration role" in message
    assert err.value.__cause__ is None and err.value.__suppress_context__
    assert owner("SELECT max(version) FROM schema_version") == [(4,)]
    assert owner("SELECT to_regprocedure('sen_purge_case(text)')") == [(None,)]
    # The migration role migrates (opening as it does too), then grants; the app opens.
    assert migrate(roles.owner_url) == 6
    grant_application_role(roles.owner_url, roles.app)
    with open_store(roles.app_url) as store:
        assert store.schema_version() == 6
        store.save(make_case("ENG-ROLE-1"), 0, actor="officer:1")
        assert store.purge(["ENG-ROLE-1"], actor="dpo:1").purged == ("ENG-ROLE-1",)
    app = _sql(roles.app_url)
    # The old grant's DELETE on audit went with the regrant.
    [(delete,)] = app("SELECT has_table_privilege('audit', 'DELETE')")
    assert not delete


def test_an_empty_schema_is_not_the_application_roles_to_create(roles: Roles) -> None:
    owner = _sql(roles.owner_url)
    with pytest.raises(StoreError, match="no existing schema"):
        open_store(roles.app_url)  # not even USAGE yet
    owner(f"GRANT USAGE ON SCHEMA {roles.schema} TO {roles.app}")
    with pytest.raises(StoreError, match=r"version 0 .* run the migrations as the migration role"):
        open_store(roles.app_url)
    assert owner("SELECT count(*) FROM pg_class"
                 " WHERE relnamespace = current_schema()::regnamespace") == [(0,)]


def test_a_newer_schema_is_refused_to_the_application_role_too(granted: Roles) -> None:
    _sql(granted.owner_url)("INSERT INTO schema_version VALUES (99, now())")
    with pytest.raises(StoreError, match="schema version 99, newer"):
        open_store(granted.app_url)


def test_a_role_that_cannot_read_the_tables_is_told_to_get_the_grants(roles: Roles) -> None:
    migrate(roles.owner_url)
    _sql(roles.owner_url)(f"GRANT USAGE ON SCHEMA {roles.schema} TO {roles.app}")
    with pytest.raises(StoreError, match="grant_application_role"):
        open_store(roles.app_url)
