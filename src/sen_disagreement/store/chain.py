"""Tamper evidence for the audit trail and the stored case documents.

Every audit row carries ``hash = SHA-256(prev_hash, canonical row)``, chained per case (rows
without a case form the store's own chain, ``""``). The row a save writes last also carries the
version and the SHA-256 of the case document it stored, so the current case row and every
history row can be checked against the trail. Each chain's head (its last hash, its length and
its last commit time) is kept in ``audit_chain`` and moved in the same transaction as the rows.

:meth:`Store.verify` walks the chains and reports the first broken link: an edited, deleted,
inserted or reordered audit row, a document that is not the one its save recorded, a head that
does not match. Commit times are the store's own and never go backwards within a chain.

What it does not do: without a secret key, someone who can write the database *and* knows this
scheme can rewrite a chain consistently. Archive the heads (:attr:`VerifyReport.heads`) outside
the database, for example daily, to detect that too. A purge erases a whole case chain by law;
the ``case.purged`` entry that remains starts a new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from json.encoder import encode_basestring_ascii

from attrs import frozen

__all__ = ["GENESIS", "ChainBreak", "VerifyReport", "document_hash", "link", "link_us",
           "micros"]

GENESIS = "0" * 64
"""The ``prev_hash`` of the first row of a chain."""

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


_MICROSECOND = dt.timedelta(microseconds=1)


def micros(value: dt.datetime) -> int:
    """A UTC time as the chain hashes it: integer microseconds since 1970-01-01T00:00Z."""
    return (value - _EPOCH) // _MICROSECOND


_us = micros


def document_hash(document: str) -> str:
    """The SHA-256 hex digest of a stored case document (UTF-8, lone surrogates kept), which
    its audit entry records so a later check can tell the document was not changed."""
    return hashlib.sha256(document.encode("utf-8", "surrogatepass")).hexdigest()


def link(
    prev_hash: str,
    *,
    at: dt.datetime,
    actor: str,
    action: str,
    case_id: str | None,
    outcome: str,
    fields: str,
    committed_at: dt.datetime,
    doc_version: int | None,
    doc_hash: str | None,
) -> str:
    """The hash of one audit row chained to ``prev_hash`` (times as integer microseconds, so
    both backends hash the same content)."""
    return link_us(prev_hash, _us(at), actor, action, case_id, outcome, fields,
                   _us(committed_at), doc_version, doc_hash)


def link_us(
    prev_hash: str,
    at_us: int,
    actor: str,
    action: str,
    case_id: str | None,
    outcome: str,
    fields: str,
    committed_us: int,
    doc_version: int | None,
    doc_hash: str | None,
) -> str:
    """:func:`link` with both times already in microseconds since 1970 (the store's write
    loop has them as the SQLite column values)."""
    return hashlib.sha256(
        _canonical(prev_hash, at_us, actor, action, case_id, outcome, fields, committed_us,
                   doc_version, doc_hash).encode("ascii")
    ).hexdigest()


def _canonical(
    prev_hash: str,
    at_us: int,
    actor: str,
    action: str,
    case_id: str | None,
    outcome: str,
    fields: str,
    committed_us: int,
    doc_version: int | None,
    doc_hash: str | None,
) -> str:
    """``_CANONICAL.encode([...])`` byte for byte. Written out for the types the store passes
    (str, exact int, None: half the cost of building the C encoder on every call); any other
    value goes through the encoder itself, so the hash never depends on which path ran."""
    if (type(at_us) is int and type(committed_us) is int
            and (doc_version is None or type(doc_version) is int)
            and type(prev_hash) is str and type(actor) is str and type(action) is str
            and (case_id is None or type(case_id) is str) and type(outcome) is str
            and type(fields) is str and (doc_hash is None or type(doc_hash) is str)):
        return (
            f"[{_esc(prev_hash)},{at_us},{_esc(actor)},{_esc(action)},"
            f"{'null' if case_id is None else _esc(case_id)},{_esc(outcome)},{_esc(fields)},"
            f"{committed_us},{'null' if doc_version is None else doc_version},"
            f"{'null' if doc_hash is None else _esc(doc_hash)}]"
        )
    return _CANONICAL.encode(
        [prev_hash, at_us, actor, action, case_id, outcome, fields, committed_us, doc_version,
         doc_hash],
    )


_CANONICAL = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True)
"""The canonical row's encoder: ``json.dumps(row, separators=(",", ":"), ensure_ascii=True)``
byte for byte (``json.dumps`` with options builds this encoder anew on every call)."""
_esc = encode_basestring_ascii
"""How that encoder writes a string (ASCII only: the JSON escape of every other character)."""


@frozen
class ChainBreak:
    """The first broken link found: the chain (a case id, or ``""`` for the store's own), the
    audit row's sequence number where known, and what is wrong (never a stored value)."""

    chain: str
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"case {self.chain}" if self.chain else "the store's own chain"
        at = f", audit row {self.seq}" if self.seq is not None else ""
        return f"{where}{at}: {self.problem}"


@frozen
class VerifyReport:
    """What :meth:`Store.verify` checked. ``ok`` is False at the first broken link."""

    chains: int
    rows: int
    documents: int
    unchained: int
    """Rows written before the chain existed (schema version 3 or older): not checked."""
    first_break: ChainBreak | None
    heads: tuple[tuple[str, str, int], ...]
    """(chain, head hash, rows) of every chain checked: archive them to detect a rewrite."""

    @property
    def ok(self) -> bool:
        return self.first_break is None
