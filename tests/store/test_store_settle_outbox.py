"""``Store.settle_outbox``: a claimed message's mark and its audit entry (and a dead letter's
alert) in one transaction, checked against the claim, on SQLite and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable

import psycopg
import pytest

from sen_disagreement.errors import InvalidInputError
from sen_disagreement.store import (
    AuditEntry,
    CaseRecord,
    OutboxItem,
    OutboxMessage,
    OutboxStatus,
    Settlement,
    Store,
)

T0 = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(days=1)
LEASE = dt.timedelta(minutes=5)
CASE = "ENG-E08000014-2025-000001"
Factory = Callable[..., CaseRecord]
RawSQL = Callable[[str], list[tuple[object, ...]]]
# A fault the database itself raises inside the transaction, after the marks were written.
DB_FAULT = (sqlite3.DatabaseError, psycopg.Error)


def _msg(key: str, case_id: str = CASE) -> OutboxMessage:
    return OutboxMessage(case_id=case_id, channel="email", template="mediation_arranged",
                         idempotency_key=key, payload_ref=f"personalisation/{key}")


def _queue(store: Store, case_factory: Factory, n: int) -> list[OutboxItem]:
    store.save(case_factory(), 0, actor="o:1", outbox=[_msg(f"k{i}") for i in range(n)])
    return store.claim_outbox(now=NOW, lease=LEASE)


def _settle(item: OutboxItem, status: OutboxStatus = OutboxStatus.SENT, *,
            claim: int | None = None, retry_at: dt.datetime | None = None,
            alert: OutboxMessage | None = None, case_id: str | None = None) -> Settlement:
    action = {OutboxStatus.SENT: "message.sent", OutboxStatus.PENDING: "message.failed",
              OutboxStatus.DEAD: "message.dead"}.get(status, "message.sent")
    entry = AuditEntry(actor="system.dispatcher", action=action, at=NOW,
                       case_id=case_id or item.message.case_id, outcome=status.value,
                       fields=(f"outbox.{item.id}", "channel.test"))
    return Settlement(outbox_id=item.id, claim=item.attempts if claim is None else claim,
                      status=status, entry=entry, retry_at=retry_at, alert=alert)


def _rows(raw_sql: RawSQL) -> dict[int, tuple[str, int]]:
    return {int(i): (str(s), int(a)) for i, s, a in raw_sql(  # type: ignore[call-overload]
        "SELECT id, status, attempts FROM outbox ORDER BY id")}


def _message_entries(store: Store) -> list[tuple[str, tuple[str, ...]]]:
    return [(e.action, e.fields) for e in store.audit_trail(CASE)
            if e.action.startswith("message.")]


def test_settle_outbox_writes_each_mark_with_its_audit_entry_in_the_chain(
    store: Store, case_factory: Factory, raw_sql: RawSQL
) -> None:
    sent, retry, dead = _queue(store, case_factory, 3)
    alert = _msg("alert-1")
    assert store.settle_outbox([
        _settle(sent), _settle(retry, OutboxStatus.PENDING, retry_at=NOW + LEASE * 4),
        _settle(dead, OutboxStatus.DEAD, alert=alert),
    ]) == [True, True, True]
    assert _rows(raw_sql) == {sent.id: ("sent", 1), retry.id: ("pending", 1),
                              dead.id: ("dead", 1), dead.id + 1: ("pending", 0)}
    assert _message_entries(store) == [
        ("message.sent", (f"outbox.{sent.id}", "channel.test")),
        ("message.failed", (f"outbox.{retry.id}", "channel.test")),
        ("message.dead", (f"outbox.{dead.id}", "channel.test")),
    ]
    report = store.verify(CASE)
    assert report.first_break is None and report.rows == 4  # the save and the three
    # The retry is due again at its time; the alert at once; nothing else.
    assert [c.message.idempotency_key for c in store.claim_outbox(
        now=NOW, lease=dt.timedelta(days=1))] == ["alert-1"]
    assert [c.id for c in store.claim_outbox(now=NOW + LEASE * 4)] == [retry.id]
    assert store.settle_outbox([]) == []


def test_settle_outbox_a_fault_between_the_mark_and_its_audit_entry_rolls_back_both(
    store: Store, case_factory: Factory, raw_sql: RawSQL, store_url: str
) -> None:
    first, second = _queue(store, case_factory, 2)
    # The database refuses the second message's audit row: by then the transaction has
    # written both marks (and the first entry's row is in the same INSERT batch).
    condition = f"NEW.fields LIKE 'outbox.{second.id},%'"
    if store_url.startswith("sqlite"):
        raw_sql(f"CREATE TRIGGER fault BEFORE INSERT ON audit WHEN {condition}"
                " BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
    else:
        raw_sql("CREATE FUNCTION fault() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$")
        raw_sql(f"CREATE TRIGGER fault BEFORE INSERT ON audit FOR EACH ROW WHEN ({condition})"
                " EXECUTE FUNCTION fault()")
    with pytest.raises(DB_FAULT, match="injected fault"):
        store.settle_outbox([_settle(first), _settle(second, OutboxStatus.DEAD,
                                                     alert=_msg("alert-2"))])
    # Neither mark, neither entry, no alert: both messages are still claimed by this claim.
    assert _rows(raw_sql) == {first.id: ("claimed", 1), second.id: ("claimed", 1)}
    assert _message_entries(store) == []
    assert store.verify(CASE).first_break is None
    with pytest.raises(DB_FAULT, match="injected fault"):
        store.settle_outbox([_settle(second)])  # alone: the same
    assert _rows(raw_sql)[second.id] == ("claimed", 1)
    raw_sql("DROP TRIGGER fault" if store_url.startswith("sqlite") else
            "DROP TRIGGER fault ON audit")
    assert store.settle_outbox([_settle(first), _settle(second)]) == [True, True]
    assert _rows(raw_sql) == {first.id: ("sent", 1), second.id: ("sent", 1)}
    assert [a for a, _ in _message_entries(store)] == ["message.sent", "message.sent"]
    assert store.verify(CASE).first_break is None


def test_settle_outbox_a_stale_claimant_is_refused_and_nothing_is_written(
    store: Store, case_factory: Factory, raw_sql: RawSQL
) -> None:
    old, other = _queue(store, case_factory, 2)
    # The first claim's lease lapses; another dispatcher claims both again.
    again = {c.id: c for c in store.claim_outbox(now=NOW + LEASE * 2, lease=LEASE)}
    assert {i: c.attempts for i, c in again.items()} == {old.id: 2, other.id: 2}
    before = store.verify(CASE).heads
    # The stale claim settles: refused, for every status, and nothing of it is written, even
    # beside a current claim's settlement in the same batch (which is written).
    assert store.settle_outbox([
        _settle(old), _settle(other, OutboxStatus.DEAD, alert=_msg("alert-x")),
        _settle(old, OutboxStatus.PENDING, retry_at=NOW),
    ]) == [False, False, False]
    assert store.verify(CASE).heads == before
    assert _rows(raw_sql) == {old.id: ("claimed", 2), other.id: ("claimed", 2)}
    assert _message_entries(store) == []
    assert store.settle_outbox([_settle(old), _settle(again[other.id])]) == [False, True]
    assert _message_entries(store) == [("message.sent", (f"outbox.{other.id}", "channel.test"))]
    # The current claim settles; once settled, no claim can settle it again.
    assert store.settle_outbox([_settle(again[old.id])]) == [True]
    assert store.settle_outbox([_settle(again[old.id], OutboxStatus.DEAD)]) == [False]
    # An entry about another case never settles a message.
    store.save(case_factory("ENG-E08000014-2025-000002"), 0, actor="o:1",
               outbox=[_msg("k-other", "ENG-E08000014-2025-000002")])
    [third] = store.claim_outbox(now=NOW)
    assert store.settle_outbox([_settle(third, case_id=CASE)]) == [False]
    assert _rows(raw_sql)[third.id] == ("claimed", 1)
    assert _rows(raw_sql)[old.id] == ("sent", 2) and _rows(raw_sql)[other.id] == ("sent", 2)
    assert len(_message_entries(store)) == 2
    assert store.verify().first_break is None


def test_settle_outbox_bad_settlements_are_typed_errors_naming_the_field(
    store: Store, case_factory: Factory, raw_sql: RawSQL
) -> None:
    [item] = _queue(store, case_factory, 1)
    good = _settle(item)
    cases: list[tuple[Callable[[], object], str, str]] = [
        (lambda: _settle(item, OutboxStatus.CLAIMED), "status", "store.status"),
        (lambda: _settle(item, OutboxStatus.PENDING), "retry_at", "store.datetime"),
        (lambda: _settle(item, retry_at=NOW), "retry_at", "store.datetime"),
        (lambda: _settle(item, alert=_msg("a")), "alert", "store.outbox_message"),
        (lambda: _settle(item, OutboxStatus.DEAD, alert=_msg("a", "ENG-E08000014-2025-000009")),
         "alert.case_id", "store.outbox_case"),
        (lambda: _settle(item, claim=0), "claim", "store.integer"),
        (lambda: Settlement(outbox_id=True, claim=1, status=OutboxStatus.SENT,
                            entry=good.entry), "outbox_id", "store.integer"),
        (lambda: Settlement(outbox_id=1, claim=1, status=OutboxStatus.SENT,
                            entry="sent"),  # type: ignore[arg-type]
         "entry", "store.outbox_message"),
        (lambda: Settlement(outbox_id=1, claim=1, status=OutboxStatus.SENT,
                            entry=AuditEntry(actor="o:1", action="message.sent", at=NOW)),
         "entry.case_id", "store.outbox_case"),
        (lambda: store.settle_outbox([good, "sent"]),  # type: ignore[list-item]
         "settlements[1]", "store.outbox_message"),
        (lambda: store.settle_outbox([Settlement(
            outbox_id=item.id, claim=1, status=OutboxStatus.SENT,
            entry=AuditEntry(actor="o:1", action="message.sent", case_id=CASE,
                             at=dt.datetime(1971, 1, 1, tzinfo=dt.UTC)))]),
         "at", "store.event_time"),
    ]
    for make, field, rule_id in cases:
        with pytest.raises(InvalidInputError) as err:
            make()
        assert (err.value.field, err.value.rule_id) == (field, rule_id)
    assert _rows(raw_sql) == {item.id: ("claimed", 1)}  # nothing was written
    assert _message_entries(store) == []
    assert store.settle_outbox([good]) == [True]
