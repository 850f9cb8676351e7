"""Case persistence: one contract (:class:`Store`), an embedded SQLite file by default and
PostgreSQL for multi-server deployments. :func:`open_store` is the one place a URL picks the
adapter::

    store = open_store()                                   # ./sen-disagreement.sqlite3
    store = open_store("sqlite:///var/lib/sen/cases.sqlite3")
    store = open_store("postgresql://sen@db.example.org/sen")  # needs the [postgres] extra

Without a URL the environment variable ``SEN_DISAGREEMENT_DB`` is used, then the default file.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from sen_disagreement.errors import StoreError
from sen_disagreement.store.contract import (
    CASE_KINDS,
    AuditEntry,
    CaseRecord,
    DeadlineEntry,
    DeadlineHit,
    OutboxItem,
    OutboxMessage,
    OutboxStatus,
    PurgeReport,
    RetentionTrigger,
    Settlement,
    Store,
)

__all__ = [
    "CASE_KINDS",
    "DEFAULT_PATH",
    "ENV_VAR",
    "AuditEntry",
    "CaseRecord",
    "DeadlineEntry",
    "DeadlineHit",
    "OutboxItem",
    "OutboxMessage",
    "OutboxStatus",
    "PurgeReport",
    "RetentionTrigger",
    "Settlement",
    "Store",
    "open_store",
    "resolve_url",
]

ENV_VAR = "SEN_DISAGREEMENT_DB"
DEFAULT_PATH = "sen-disagreement.sqlite3"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def resolve_url(url: str | None = None) -> str:
    """The URL :func:`open_store` would use: ``url``, else ``$SEN_DISAGREEMENT_DB``, else
    ``sqlite:///./sen-disagreement.sqlite3``. A bare file path is taken as a SQLite file."""
    chosen = url or os.environ.get(ENV_VAR) or f"sqlite:///{DEFAULT_PATH}"
    if "://" not in chosen:
        chosen = f"sqlite:///{chosen}"
    return chosen


def sqlite_path(url: str | None = None) -> str | None:
    """The SQLite file a store URL names (after :func:`resolve_url`), or ``None`` for another
    kind of store. A SQLite URL with a host, or with no file (``:memory:`` is not durable), is a
    :class:`StoreError`."""
    chosen = resolve_url(url)
    if chosen.split("://", 1)[0].lower() != "sqlite":
        return None
    parts = urlsplit(chosen)
    if parts.netloc not in ("", "localhost"):
        msg = "a sqlite URL has no host: use sqlite:///relative or sqlite:////absolute"
        raise StoreError(msg)
    path = unquote(parts.path)
    path = path[1:] if path.startswith("/") else path
    if not path or path == ":memory:":
        msg = "a sqlite URL needs a file path (an in-memory database is not durable)"
        raise StoreError(msg)
    return path


def open_store(url: str | None = None, *, now: Callable[[], dt.datetime] | None = None) -> Store:
    """Open (creating and migrating as needed) the store a URL names.

    * ``sqlite:///relative/path.sqlite3`` or ``sqlite:////absolute/path.sqlite3``;
    * ``postgresql://user@host:5432/dbname`` (any libpq URL; the password is best given by
      ``PGPASSWORD`` or ``~/.pgpass``, not in the URL).

    ``now`` replaces the clock that stamps audit entries (tests)."""
    chosen = resolve_url(url)
    scheme = chosen.split("://", 1)[0].lower()
    clock = now or _utcnow
    path = sqlite_path(chosen)
    if path is not None:
        from sen_disagreement.store.sqlite import SQLiteStore

        return SQLiteStore(path, now=clock)
    if scheme in ("postgresql", "postgres"):
        from sen_disagreement.store.postgres import PostgresStore

        return PostgresStore(chosen, now=clock)
    msg = f"unsupported store URL scheme {scheme!r} (use sqlite:/// or postgresql://)"
    raise StoreError(msg)
