"""The purge's delete order is written once (``store.core.PURGE_DELETES``): the core's
``erase_case`` runs it on SQLite and PostgreSQL's ``sen_purge_case`` body is generated from it.
These tests read what each backend actually runs (the statements the core sends, the function
body the server stores), not the tuple back."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from sen_disagreement.store import Store
from sen_disagreement.store.core import PURGE_DELETES, PURGE_PERMIT_INSERT, Dialect, Tx
from sen_disagreement.store.postgres import MIGRATIONS

RawSQL = Callable[[str], list[tuple[object, ...]]]
Delete = tuple[str, str, object]
_DELETE = re.compile(r"DELETE FROM (\w+) WHERE (\w+) = (\?|\w+)")


class _Recording(Tx):
    """A transaction that runs nothing and records each statement with its arguments."""

    def __init__(self) -> None:
        super().__init__(None)
        self.ran: list[tuple[str, tuple[object, ...]]] = []

    def execute(self, sql: str, args: Sequence[object]) -> Any:
        raise AssertionError(sql)

    def run(self, sql: str, args: Sequence[object] = ()) -> int:
        self.ran.append((sql, tuple(args)))
        return 1

    def many(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        raise AssertionError(sql)

    def insert(self, sql: str, args: Sequence[object], key: str) -> int | None:
        raise AssertionError(sql)


def _expected(case_key: object, rowid_key: object) -> list[Delete]:
    return [(t, c, rowid_key if k == "rowid" else case_key) for t, c, k in PURGE_DELETES]


def _core_deletes(dialect: Dialect[Any] | None) -> list[Delete]:
    """The statements the core's erase_case runs for case "ENG-1", row 42: (table, column,
    the argument bound); the permit's insert first."""
    tx = _Recording()
    Dialect.erase_case(dialect, tx, "ENG-1", 42)  # type: ignore[arg-type]
    assert tx.ran[0] == (PURGE_PERMIT_INSERT, ("ENG-1",))
    out: list[Delete] = []
    for sql, args in tx.ran[1:]:
        m = _DELETE.fullmatch(sql)
        assert m is not None and m[3] == "?" and len(args) == 1, sql
        out.append((m[1], m[2], args[0]))
    return out


def _plpgsql_deletes(body: str) -> list[Delete]:
    return [(m[1], m[2], m[3]) for m in _DELETE.finditer(body)]


def test_purge_delete_order_is_one_source_for_both_backends(
    store: Store, raw_sql: RawSQL
) -> None:
    if type(store).__name__ == "SQLiteStore":
        dialect = store._d  # type: ignore[attr-defined]
        assert type(dialect).erase_case is Dialect.erase_case  # SQLite runs the core's
        assert _core_deletes(dialect) == _expected("ENG-1", 42)
        return
    # PostgreSQL: the function the server stored.
    ((body,),) = raw_sql(
        "SELECT prosrc FROM pg_proc WHERE oid = 'sen_purge_case(text)'::regprocedure"
    )
    assert isinstance(body, str)
    assert _plpgsql_deletes(body) == _expected("purged", "ref")
    assert body.index("INSERT INTO purge_permits(case_id) VALUES (purged)") < body.index("DELETE")


def test_purge_delete_order_core_and_plpgsql_are_identical() -> None:
    # Without a server: the core's statements and the migration's function, delete by delete.
    (function,) = [
        s for _, statements in MIGRATIONS for s in statements
        if s.startswith("CREATE FUNCTION sen_purge_case")
    ]
    core = [(t, c) for t, c, _ in _core_deletes(None)]
    plpgsql = [(t, c) for t, c, _ in _plpgsql_deletes(function)]
    assert core == plpgsql == [(t, c) for t, c, _ in PURGE_DELETES]
    # The permit window opens before the first delete and closes after the last.
    assert core[-1] == ("purge_permits", "case_id")
