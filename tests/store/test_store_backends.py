"""Backend-specific promises: SQLite settings, query plans, byte-level purge, migrations, URLs,
and the PostgreSQL durability guard."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import psycopg
import pytest

from sen_disagreement.errors import StoreError, UnsafeStoreSettingsError
from sen_disagreement.store import (
    DEFAULT_PATH,
    ENV_VAR,
    DeadlineEntry,
    OutboxMessage,
    RetentionTrigger,
    open_store,
    resolve_url,
)
from sen_disagreement.store import postgres as pg_module
from sen_disagreement.store import sqlite as sqlite_module
from sen_disagreement.store.sqlite import SQLiteStore

T0 = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
Factory = Callable[..., Any]


def test_sqlite_file_uses_wal_full_sync_16k_pages_and_foreign_keys(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite3")
    c = store._conn()
    assert c.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert c.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    assert c.execute("PRAGMA page_size").fetchone() == (16384,)
    assert c.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert c.execute("PRAGMA secure_delete").fetchone() == (1,)
    assert c.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    store.close()
    with pytest.raises(StoreError):
        store.load("X-1")


def test_every_sqlite_query_uses_an_index(tmp_path: Path, case_factory: Factory) -> None:
    store = SQLiteStore(tmp_path / "plans.sqlite3")
    store.save_many([case_factory(f"Q-{i}") for i in range(30)], actor="import:1")
    store.enqueue(
        [
            OutboxMessage(
                case_id="Q-1", channel="email", template="t", idempotency_key="k", payload_ref="p"
            )
        ]
    )
    conn = store._conn()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    store.load("Q-1")
    store.history("Q-1")
    store.find_cases("E08000014", state="received")
    store.find_cases("E08000014", kind="mediation", after_case_id="Q-1")
    store.deadlines_between(dt.date(2025, 1, 1), dt.date(2025, 3, 1), clock_id="arrange_mediation")
    store.deadlines_between(dt.date(2025, 1, 1), dt.date(2025, 3, 1), council="E08000014")
    store.overdue(dt.date(2025, 6, 1), kind="mediation")
    store.audit_trail("Q-1")
    store.audit_trail()
    for trigger in RetentionTrigger:
        store.retention_candidates(
            council="E08000014", kind="mediation", trigger=trigger, on_or_before=dt.date(2000, 1, 1)
        )
    store.claim_outbox(now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    conn.set_trace_callback(None)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) >= 14
    for sql in selects:
        plan = [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
        scans = [p for p in plan if p.startswith("SCAN")]
        assert not scans, (sql, plan)
        assert "json_extract" not in sql
    store.close()


def _canary(n: int) -> str:
    return f"canary{n}zq{n * 7919:06d}"


def test_purge_leaves_no_canary_bytes_in_the_database_or_wal(tmp_path: Path, clock: Any) -> None:
    db = tmp_path / "purge.sqlite3"
    store = SQLiteStore(db, now=clock.now)
    doomed, kept = "ENG-PURGE-1", "ENG-KEEP-1"
    for case_id, base in ((doomed, 0), (kept, 100)):
        record = attrs.evolve(
            _case(case_id),
            document=f'{{"child":"{_canary(base + 1)}","pad":"{"y" * 3000}"}}',
            deadlines=(DeadlineEntry(clock_id=_canary(base + 2), due=T0.date(), status="running"),),
        )
        message = OutboxMessage(
            case_id=case_id,
            channel="email",
            template="received",
            idempotency_key=_canary(base + 3),
            payload_ref=_canary(base + 4),
        )
        v1 = store.save(record, 0, actor=f"parent:{_canary(base + 5)}", outbox=[message])
        for k in range(6, 9):  # several superseded versions in the history
            v1 = store.save(
                attrs.evolve(v1, document=f'{{"note":"{_canary(base + k)}"}}'),
                v1.version,
                actor="officer:1",
                fields=[_canary(base + 9)],
            )
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("purge"))
    for n in range(1, 10):  # before the purge every marker is on disk
        assert _canary(n).encode() in raw, _canary(n)
    report = store.purge([doomed], actor="dpo:1")
    assert report.vacuumed
    assert report.wal_truncated
    files = [p for p in tmp_path.iterdir() if p.name.startswith("purge.sqlite3")]
    blob = b"".join(p.read_bytes() for p in files)
    for n in range(1, 10):
        assert _canary(n).encode() not in blob, _canary(n)
    assert _canary(101).encode() in blob or _canary(106).encode() in blob  # the scan can see
    assert store.load(kept).version == 4
    store.close()
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("purge"))
    for n in range(1, 10):
        assert _canary(n).encode() not in blob


def _case(case_id: str) -> Any:
    from sen_disagreement.store import CaseRecord

    return CaseRecord(
        case_id=case_id,
        council="E08000014",
        kind="mediation",
        state="received",
        version=0,
        document="{}",
        created_at=T0,
        updated_at=T0,
        deadlines=(),
        subject_date_of_birth=dt.date(2012, 5, 17),
    )


def _v1_sqlite_file(path: Path) -> None:
    """A database as version 1 of the schema left it (before the outbox existed)."""
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA page_size=16384")
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("BEGIN")
    c.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    for statement in dict(sqlite_module.MIGRATIONS)[1]:
        c.execute(statement)
    c.execute("INSERT INTO schema_version VALUES (1, 1717200000000000)")
    c.execute(
        "INSERT INTO cases(id, case_id, council, kind, state, version, created_at, updated_at,"
        " subject_dob, closed_on, legal_hold, document) VALUES (1, 'OLD-1', 'E08000014',"
        " 'mediation', 'received', 1, 1717200000000000, 1717200000000000, '2012-05-17', NULL,"
        " 0, '{\"old\":true}')"
    )
    c.execute("INSERT INTO deadlines VALUES (1, 'arrange_mediation', '2024-07-01', 'running')")
    c.execute("COMMIT")
    c.close()


def test_an_older_sqlite_schema_is_migrated_on_open(tmp_path: Path) -> None:
    db = tmp_path / "v1.sqlite3"
    _v1_sqlite_file(db)
    with open_store(f"sqlite:///{db}") as store:
        assert store.schema_version() == 5
        old = store.load("OLD-1")
        assert old.document == '{"old":true}'
        assert old.deadlines[0].due == dt.date(2024, 7, 1)
        store.save(
            attrs.evolve(old, state="closed"),
            1,
            actor="officer:1",
            outbox=[
                OutboxMessage(
                    case_id="OLD-1",
                    channel="email",
                    template="closed",
                    idempotency_key="OLD-1/closed",
                    payload_ref="p/1",
                )
            ],
        )
        assert len(store.history("OLD-1")) == 2
    c = sqlite3.connect(db)
    assert c.execute("SELECT version FROM schema_version ORDER BY version").fetchall() == [
        (1,),
        (2,),
        (3,),
        (4,),
        (5,),
    ]
    assert c.execute("SELECT count(*) FROM outbox").fetchone() == (1,)
    c.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "future.sqlite3"
    open_store(f"sqlite:///{db}").close()
    c = sqlite3.connect(db)
    c.execute("INSERT INTO schema_version VALUES (99, 1893456000000000)")
    c.commit()
    c.close()
    with pytest.raises(StoreError, match="newer"):
        open_store(f"sqlite:///{db}")


@pytest.mark.postgres
def test_an_older_postgres_schema_is_migrated_on_open(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as c, c.transaction():
        c.execute(
            "CREATE TABLE schema_version (version integer PRIMARY KEY,"
            " applied_at timestamptz NOT NULL)"
        )
        for statement in dict(pg_module.MIGRATIONS)[1]:
            c.execute(statement)
        c.execute("INSERT INTO schema_version VALUES (1, now())")
        c.execute(
            "INSERT INTO cases(case_id, council, kind, state, version, created_at, updated_at,"
            " document) VALUES ('OLD-1', 'E08000014', 'mediation', 'received', 1, now(), now(),"
            " '{}')"
        )
    with open_store(pg_url) as store:
        assert store.schema_version() == 6
        assert store.load("OLD-1").version == 1
        ids = store.enqueue(
            [
                OutboxMessage(
                    case_id="OLD-1",
                    channel="email",
                    template="t",
                    idempotency_key="k",
                    payload_ref="p",
                )
            ]
        )
        assert len(ids) == 1


@pytest.mark.postgres
def test_postgres_with_unsafe_durability_is_refused(pg_cluster: Any) -> None:
    url = pg_cluster.url() + "?options=-csynchronous_commit%3Doff"
    with pytest.raises(UnsafeStoreSettingsError) as err:
        open_store(url)
    assert err.value.setting == "synchronous_commit"


@pytest.mark.postgres
def test_postgres_connection_errors_do_not_echo_the_url(pg_cluster: Any) -> None:
    with pytest.raises(StoreError) as err:
        open_store("postgresql://sen:s3cretPW@127.0.0.1:1/sen?connect_timeout=2")
    assert "s3cretPW" not in str(err.value)
    assert err.value.__cause__ is None


def test_store_url_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_url() == f"sqlite:///{DEFAULT_PATH}"
    with open_store() as store:
        assert isinstance(store, SQLiteStore)
    assert (tmp_path / DEFAULT_PATH).exists()
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{tmp_path / 'env.sqlite3'}")
    open_store().close()
    assert (tmp_path / "env.sqlite3").exists()
    open_store("bare.sqlite3").close()
    assert (tmp_path / "bare.sqlite3").exists()
    sub = tmp_path / "abs"
    sub.mkdir()
    open_store(f"sqlite:///{sub / 'a.sqlite3'}").close()
    assert (sub / "a.sqlite3").exists()
    for bad in ("mysql://x/y", "sqlite://host/x.sqlite3", "sqlite:///:memory:", "sqlite:///"):
        with pytest.raises(StoreError):
            open_store(bad)
    with pytest.raises(StoreError, match="directory"):
        open_store(f"sqlite:///{tmp_path / 'missing' / 'x.sqlite3'}")


def _open_many(paths: list[str], start: float) -> int:
    import time as _time

    from sen_disagreement.store import open_store as _open

    for i, p in enumerate(paths):
        while _time.time() < start + i * 0.04:  # every process opens each file together
            _time.sleep(0.0002)
        with _open(f"sqlite:///{p}") as s:
            s.schema_version()
    return len(paths)


def test_sqlite_new_file_opened_by_several_processes_at_once(tmp_path: Path) -> None:
    # SQLite does not apply busy_timeout to the switch into WAL mode: without a retry, 14 of
    # 300 simultaneous opens of new files failed with 'database is locked'.
    import multiprocessing
    import time as _time

    paths = [str(tmp_path / f"race-{i}.sqlite3") for i in range(40)]
    ctx = multiprocessing.get_context("spawn")
    start = _time.time() + 1.5
    with ctx.Pool(4) as pool:
        results = [pool.apply_async(_open_many, (paths, start)) for _ in range(4)]
        assert [r.get(timeout=60) for r in results] == [40] * 4
