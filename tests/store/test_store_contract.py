"""The store contract, written once and run against SQLite and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import attrs
import pytest

from sen_disagreement.errors import (
    InvalidInputError,
    LegalHoldError,
    NotFoundError,
    SenDisagreementError,
    StaleWriteError,
)
from sen_disagreement.store import (
    AuditEntry,
    CaseRecord,
    DeadlineEntry,
    OutboxMessage,
    OutboxStatus,
    RetentionTrigger,
    Store,
)

from .conftest import Clock

T0 = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
Factory = Callable[..., CaseRecord]
RawSQL = Callable[[str], list[tuple[object, ...]]]


def _dl(clock: str, due: dt.date, status: str = "running") -> DeadlineEntry:
    return DeadlineEntry(clock_id=clock, due=due, status=status)


def _msg(case_id: str, key: str, template: str = "mediation_arranged") -> OutboxMessage:
    return OutboxMessage(
        case_id=case_id,
        channel="email",
        template=template,
        idempotency_key=key,
        payload_ref=f"personalisation/{key}",
    )


def test_schema_is_migrated_on_open(store: Store) -> None:
    # PostgreSQL's migration 5 adds the purge function of the application role; SQLite 5 and
    # PostgreSQL 6 the sweep's leases.
    assert store.schema_version() == {"SQLiteStore": 5, "PostgresStore": 6}[type(store).__name__]
    assert isinstance(store, Store)


def test_save_then_load_round_trips_every_field(store: Store, case_factory: Factory) -> None:
    record = case_factory(
        deadlines=(
            _dl("arrange_mediation", dt.date(2025, 2, 5)),
            _dl("certificate", dt.date(2025, 2, 10), "met"),
        ),
        closed_on=dt.date(2025, 3, 1),
        document='{"parties":["a","b"],"é":"ünïcode ✓"}',
    )
    saved = store.save(record, 0, actor="officer:17")
    assert saved.version == 1
    store.set_legal_hold(record.case_id, True, actor="dpo:1")
    loaded = store.load(record.case_id)
    assert loaded == attrs.evolve(record, version=1, legal_hold=True)
    assert loaded.document == record.document


def test_updates_keep_full_history(store: Store, case_factory: Factory) -> None:
    v1 = store.save(case_factory(), 0, actor="officer:1")
    v2 = store.save(
        attrs.evolve(
            v1,
            state="mediation_arranged",
            document='{"n":2}',
            deadlines=(_dl("hold_mediation", dt.date(2025, 3, 1)),),
            updated_at=T0 + dt.timedelta(days=1),
        ),
        1,
        actor="officer:1",
    )
    v3 = store.save(
        attrs.evolve(v2, version=3, state="closed", document='{"n":3}', deadlines=()),
        2,
        actor="officer:2",
    )
    history = store.history(v1.case_id)
    assert [h.version for h in history] == [1, 2, 3]
    assert history == [v1, v2, v3]
    assert history[0].deadlines == v1.deadlines
    assert store.load(v1.case_id) == v3


def test_stale_write_is_refused_and_nothing_changes(store: Store, case_factory: Factory) -> None:
    v1 = store.save(case_factory(), 0, actor="officer:1")
    v2 = store.save(attrs.evolve(v1, document='{"n":2}'), 1, actor="officer:1")
    with pytest.raises(StaleWriteError) as err:
        store.save(
            attrs.evolve(v1, document='{"lost":true}'),
            1,
            actor="officer:2",
            outbox=[_msg(v1.case_id, "k-stale")],
        )
    assert (err.value.case_id, err.value.expected, err.value.found) == (v1.case_id, 1, 2)
    assert store.load(v1.case_id) == v2
    assert len(store.history(v1.case_id)) == 2
    assert store.claim_outbox(now=T0 + dt.timedelta(days=400)) == []
    trail = store.audit_trail(v1.case_id)
    assert [(a.actor, a.outcome) for a in trail] == [
        ("officer:1", "ok"),
        ("officer:1", "ok"),
        ("officer:2", "refused_stale"),
    ]


def test_creating_an_existing_case_or_updating_a_missing_one_is_stale(
    store: Store, case_factory: Factory
) -> None:
    store.save(case_factory(), 0, actor="officer:1")
    with pytest.raises(StaleWriteError) as err:
        store.save(case_factory(), 0, actor="officer:1")
    assert err.value.found == 1
    with pytest.raises(StaleWriteError) as err2:
        store.save(case_factory("OTHER-1", version=3), 3, actor="officer:1")
    assert err2.value.found is None
    with pytest.raises(NotFoundError):
        store.load("OTHER-1")


@pytest.mark.parametrize(
    ("version", "expected", "field"),
    [(5, 1, "version"), (0, -1, "expected_version"), (1, True, "expected_version")],
)
def test_bad_version_arguments_name_the_field_and_write_nothing(
    store: Store, case_factory: Factory, version: int, expected: Any, field: str
) -> None:
    with pytest.raises(InvalidInputError) as err:
        store.save(case_factory(version=version), expected, actor="officer:1")
    assert err.value.field == field
    with pytest.raises(NotFoundError):
        store.load(case_factory().case_id)
    assert store.audit_trail() == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"actor": "Jane Smith"}, "actor"),
        ({"actor": "officer:1", "action": "Saved!"}, "action"),
        ({"actor": "officer:1", "fields": ["parent.name", "lives at 1 High St"]}, "fields[1]"),
        ({"actor": "officer:1", "outbox": ["not a message"]}, "outbox[0]"),
        ({"actor": "officer:1", "outbox": [_msg("SOMEONE-ELSE", "k1")]}, "outbox[0].case_id"),
    ],
)
def test_bad_save_arguments_name_the_field_and_write_nothing(
    store: Store, case_factory: Factory, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError) as err:
        store.save(case_factory(), 0, **kwargs)
    assert err.value.field == field
    assert store.audit_trail() == []


def test_a_failure_inside_the_transaction_rolls_everything_back(
    store: Store, case_factory: Factory
) -> None:
    other = store.save(case_factory("OTHER-1"), 0, actor="officer:1", outbox=[_msg("OTHER-1", "k")])
    v1 = store.save(case_factory(), 0, actor="officer:1")
    trail_before = store.audit_trail()
    # The same idempotency key for a different message is only detected mid-transaction,
    # after the case row, history and deadlines were written.
    with pytest.raises(InvalidInputError) as err:
        store.save(
            attrs.evolve(v1, document='{"half":true}', deadlines=()),
            1,
            actor="officer:1",
            outbox=[_msg(v1.case_id, "k")],
        )
    assert err.value.field == "outbox[0].idempotency_key"
    assert store.load(v1.case_id) == v1
    assert store.history(v1.case_id) == [v1]
    assert store.audit_trail() == trail_before
    assert store.load(other.case_id) == other


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"case_id": ""}, "case_id"),
        ({"case_id": "a b"}, "case_id"),
        ({"council": None}, "council"),
        ({"kind": "tribunal"}, "kind"),
        ({"state": "Has Spaces"}, "state"),
        ({"version": -1}, "version"),
        ({"document": b"{}"}, "document"),
        ({"document": ""}, "document"),
        ({"created_at": dt.datetime(2025, 1, 1)}, "created_at"),
        ({"updated_at": T0 - dt.timedelta(days=1)}, "updated_at"),
        ({"subject_date_of_birth": T0}, "subject_date_of_birth"),
        ({"legal_hold": "yes"}, "legal_hold"),
        ({"deadlines": ["2025-01-01"]}, "deadlines[0]"),
        (
            {"deadlines": (_dl("a", dt.date(2025, 1, 1)), _dl("a", dt.date(2025, 1, 2)))},
            "deadlines[1].clock_id",
        ),
    ],
)
def test_invalid_records_cannot_be_built(
    case_factory: Factory, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError) as err:
        attrs.evolve(case_factory(), **changes)
    assert err.value.field == field
    assert isinstance(err.value, SenDisagreementError)


def test_load_and_history_of_unknown_case(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.load("NOPE-1")
    with pytest.raises(NotFoundError):
        store.history("NOPE-1")
    with pytest.raises(InvalidInputError):
        store.load("not an id")


def test_find_cases_by_council_kind_and_state(store: Store, case_factory: Factory) -> None:
    specs = [
        ("A-1", "E08000014", "mediation", "received"),
        ("A-2", "E08000014", "mediation", "closed"),
        ("A-3", "E08000014", "disagreement_resolution", "received"),
        ("B-1", "E09000033", "mediation", "received"),
        ("A-4", "E08000014", "mediation", "received"),
    ]
    for cid, council, kind, state in specs:
        store.save(case_factory(cid, council=council, kind=kind, state=state), 0, actor="o:1")

    def ids(rs: list[CaseRecord]) -> list[str]:
        return [r.case_id for r in rs]

    assert ids(store.find_cases("E08000014")) == ["A-1", "A-2", "A-3", "A-4"]
    assert ids(store.find_cases("E08000014", kind="mediation")) == ["A-1", "A-2", "A-4"]
    assert ids(store.find_cases("E08000014", state="received")) == ["A-1", "A-3", "A-4"]
    assert ids(store.find_cases("E08000014", kind="mediation", state="received")) == [
        "A-1",
        "A-4",
    ]
    page1 = store.find_cases("E08000014", limit=2)
    page2 = store.find_cases("E08000014", limit=2, after_case_id=page1[-1].case_id)
    assert ids(page1) + ids(page2) == ["A-1", "A-2", "A-3", "A-4"]
    assert page1[0].deadlines == case_factory().deadlines
    with pytest.raises(InvalidInputError) as err:
        store.find_cases("E08000014", kind="appeal")
    assert err.value.field == "kind"


def test_deadline_window_and_overdue_queries(store: Store, case_factory: Factory) -> None:
    today = dt.date(2025, 2, 3)
    rows = [
        ("M-1", "mediation", "E08000014", [("arrange_mediation", 5, "running")]),
        ("M-2", "mediation", "E08000014", [("arrange_mediation", 9, "running")]),
        ("M-3", "mediation", "E08000014", [("arrange_mediation", 2, "met")]),
        ("M-4", "mediation", "E09000033", [("arrange_mediation", 1, "running")]),
        ("D-1", "disagreement_resolution", "E08000014", [("follow_up", -3, "running")]),
        ("M-5", "mediation", "E08000014", [("arrange_mediation", -1, "running"),
                                           ("follow_up", 3, "running")]),
    ]  # fmt: skip
    for cid, kind, council, clocks in rows:
        dls = tuple(_dl(c, today + dt.timedelta(days=d), s) for c, d, s in clocks)
        store.save(case_factory(cid, kind=kind, council=council, deadlines=dls), 0, actor="o:1")
    window = store.deadlines_between(
        today, today + dt.timedelta(days=7), clock_id="arrange_mediation", kind="mediation"
    )
    assert [(h.case_id, h.due) for h in window] == [
        ("M-4", today + dt.timedelta(days=1)),
        ("M-1", today + dt.timedelta(days=5)),
    ]
    assert window[0].council == "E09000033"
    assert window[0].state == "received"
    assert [h.case_id for h in store.deadlines_between(
        today, today + dt.timedelta(days=7), council="E08000014")] == ["M-5", "M-1"]  # fmt: skip
    met = store.deadlines_between(None, today + dt.timedelta(days=30), status="met")
    assert [h.case_id for h in met] == ["M-3"]
    overdue = store.overdue(today)
    assert [(h.case_id, h.clock_id) for h in overdue] == [
        ("D-1", "follow_up"),
        ("M-5", "arrange_mediation"),
    ]
    assert [h.case_id for h in store.overdue(today, clock_id="follow_up")] == ["D-1"]
    assert store.overdue(today, kind="mediation", council="E09000033") == []
    # A save replaces a case's clocks: the met clock leaves the running queries.
    m5 = store.load("M-5")
    store.save(
        attrs.evolve(m5, deadlines=(_dl("arrange_mediation", today, "met"),)), 1, actor="o:1"
    )
    assert [h.case_id for h in store.overdue(today)] == ["D-1"]
    with pytest.raises(InvalidInputError) as err:
        store.deadlines_between(today, dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert err.value.field == "end"


def test_save_many_is_all_or_nothing(store: Store, case_factory: Factory) -> None:
    batch = [case_factory(f"IMP-{i:03d}") for i in range(50)]
    assert store.save_many(batch, actor="import:1") == 50
    assert store.load("IMP-049") == attrs.evolve(batch[49], version=1)
    assert len(store.deadlines_between(None, dt.date(2030, 1, 1))) == 50
    assert len(store.audit_trail()) == 50
    with pytest.raises(StaleWriteError) as err:
        store.save_many([case_factory("NEW-1"), case_factory("IMP-007")], actor="import:1")
    assert (err.value.case_id, err.value.found) == ("IMP-007", 1)
    with pytest.raises(NotFoundError):
        store.load("NEW-1")
    with pytest.raises(InvalidInputError) as err2:
        store.save_many([case_factory("NEW-2"), case_factory("NEW-2")], actor="import:1")
    assert err2.value.field == "records[1].case_id"
    # Nothing of either import was written; the stale one is audited on the case it named.
    assert len(store.audit_trail()) == 51
    assert [e.outcome for e in store.audit_trail("IMP-007")] == ["ok", "refused_stale"]
    assert store.audit_trail("NEW-1") == [] and store.audit_trail("NEW-2") == []
    assert store.save_many([], actor="import:1") == 0


def test_audit_trail_is_ordered_names_fields_only_and_append_only(
    store: Store, case_factory: Factory, raw_sql: RawSQL
) -> None:
    v1 = store.save(
        case_factory(), 0, actor="officer:1", action="case.created", fields=["parties[0].name"]
    )
    entry = store.append_audit(
        AuditEntry(
            actor="parent:9",
            action="case.viewed",
            at=T0,
            case_id=v1.case_id,
            outcome="denied",
            fields=("wp_notes",),
        )
    )
    assert entry.seq > 0
    trail = store.audit_trail(v1.case_id)
    assert [(a.action, a.fields, a.outcome) for a in trail] == [
        ("case.created", ("parties[0].name",), "ok"),
        ("case.viewed", ("wp_notes",), "denied"),
    ]
    assert trail[0].seq < trail[1].seq
    assert trail[1].at == T0
    assert all(a.at.utcoffset() == dt.timedelta(0) for a in trail)
    assert store.audit_trail(after_seq=trail[0].seq) == [trail[1]]
    with pytest.raises(InvalidInputError) as err:
        AuditEntry(actor="o:1", action="case.viewed", at=T0, fields=("name\r\nInjected",))
    assert err.value.field == "fields[0]"
    with pytest.raises(Exception, match="append-only"):
        raw_sql("UPDATE audit SET outcome = 'ok'")
    with pytest.raises(Exception, match="append-only"):
        raw_sql("DELETE FROM audit")
    store.save(attrs.evolve(v1, state="closed"), 1, actor="officer:1", fields=["state"])
    with pytest.raises(Exception, match="append-only"):
        raw_sql("UPDATE case_history SET state = 'x'")
    with pytest.raises(Exception, match="append-only"):
        raw_sql("DELETE FROM case_history")
    assert len(store.audit_trail()) == 3
    assert len(store.history(v1.case_id)) == 2


def test_outbox_enqueue_claim_retry_and_send(store: Store, case_factory: Factory) -> None:
    case = store.save(
        case_factory(), 0, actor="o:1", outbox=[_msg("ENG-E08000014-2025-000001", "k1")]
    )
    [id2] = store.enqueue([_msg(case.case_id, "k2", template="certificate_issued")])
    assert store.enqueue([_msg(case.case_id, "k2", template="certificate_issued")]) == [id2]
    with pytest.raises(InvalidInputError) as err:
        store.enqueue([_msg(case.case_id, "k3"), _msg(case.case_id, "k2", template="other")])
    assert err.value.field == "outbox[1].idempotency_key"
    with pytest.raises(NotFoundError):
        store.enqueue([_msg("NO-SUCH-CASE", "k4")])
    now = T0 + dt.timedelta(days=1)
    claimed = store.claim_outbox(now=now, lease=dt.timedelta(minutes=5))
    assert [c.message.idempotency_key for c in claimed] == ["k1", "k2"]  # k3 was rolled back
    assert all(c.status is OutboxStatus.CLAIMED and c.attempts == 1 for c in claimed)
    assert store.claim_outbox(now=now + dt.timedelta(minutes=1)) == []  # leased
    store.mark_sent(claimed[0].id)
    store.mark_failed(claimed[1].id, retry_at=now + dt.timedelta(minutes=2))
    with pytest.raises(NotFoundError):
        store.mark_sent(claimed[0].id)  # already sent, not claimed
    again = store.claim_outbox(now=now + dt.timedelta(minutes=3))
    assert [(c.id, c.attempts) for c in again] == [(claimed[1].id, 2)]
    # The relay died without reporting: after the lease the message is claimable again.
    later = store.claim_outbox(now=now + dt.timedelta(minutes=9), channel="email")
    assert [(c.id, c.attempts) for c in later] == [(claimed[1].id, 3)]
    store.mark_failed(later[0].id, retry_at=None)  # dead-lettered
    assert store.claim_outbox(now=now + dt.timedelta(days=30)) == []


def test_retention_candidates_and_legal_hold(store: Store, case_factory: Factory) -> None:
    store.save(case_factory("OLD-1", dob=dt.date(1990, 1, 1)), 0, actor="o:1")
    store.save(case_factory("OLD-HELD", dob=dt.date(1990, 1, 1)), 0, actor="o:1")
    store.set_legal_hold("OLD-HELD", True, actor="dpo:1")
    store.save(case_factory("YOUNG-1", dob=dt.date(2015, 1, 1)), 0, actor="o:1")
    store.save(case_factory("NO-DOB", dob=None, closed_on=dt.date(2000, 1, 1)), 0, actor="o:1")
    store.save(
        case_factory("OTHER-COUNCIL", council="E09000033", dob=dt.date(1990, 1, 1)), 0, actor="o:1"
    )
    by_dob = store.retention_candidates(
        council="E08000014",
        kind="mediation",
        trigger=RetentionTrigger.DATE_OF_BIRTH,
        on_or_before=dt.date(1994, 1, 1),
    )
    assert by_dob == ["OLD-1"]
    by_closure = store.retention_candidates(
        council="E08000014",
        kind="mediation",
        trigger=RetentionTrigger.CASE_CLOSED,
        on_or_before=dt.date(2001, 1, 1),
    )
    assert by_closure == ["NO-DOB"]
    with pytest.raises(LegalHoldError):
        store.purge(["OLD-1", "OLD-HELD"], actor="dpo:1")
    assert store.load("OLD-1").version == 1  # nothing erased
    held = store.load("OLD-HELD")
    # A save never changes a hold, whatever the record says; only the audited release does.
    store.save(attrs.evolve(held, legal_hold=False), 1, actor="dpo:1", fields=["legal_hold"])
    assert store.load("OLD-HELD").legal_hold
    store.set_legal_hold("OLD-HELD", False, actor="dpo:1")
    assert [e.action for e in store.audit_trail("OLD-HELD")][-2:] == [
        "case.saved", "case.legal_hold_released"]
    assert "OLD-HELD" in store.retention_candidates(
        council="E08000014",
        kind="mediation",
        trigger=RetentionTrigger.DATE_OF_BIRTH,
        on_or_before=dt.date(1994, 1, 1),
    )


def test_purge_erases_the_case_and_leaves_one_id_only_audit_entry(
    store: Store, case_factory: Factory
) -> None:
    v1 = store.save(
        case_factory(), 0, actor="parent:77", outbox=[_msg(case_factory().case_id, "p")]
    )
    store.save(attrs.evolve(v1, document='{"n":2}'), 1, actor="officer:1", fields=["n"])
    keep = store.save(case_factory("KEEP-1"), 0, actor="officer:1")
    report = store.purge([v1.case_id], actor="dpo:1")
    assert report.purged == (v1.case_id,)
    with pytest.raises(NotFoundError):
        store.load(v1.case_id)
    with pytest.raises(NotFoundError):
        store.history(v1.case_id)
    [entry] = store.audit_trail(v1.case_id)
    assert (entry.action, entry.actor, entry.fields, entry.case_id) == (
        "case.purged",
        "dpo:1",
        (),
        v1.case_id,
    )
    assert store.overdue(dt.date(2030, 1, 1)) == store.overdue(
        dt.date(2030, 1, 1), council=keep.council
    )
    assert [h.case_id for h in store.overdue(dt.date(2030, 1, 1))] == ["KEEP-1"]
    assert store.claim_outbox(now=T0 + dt.timedelta(days=9)) == []
    assert store.load("KEEP-1") == keep
    with pytest.raises(NotFoundError):
        store.purge([v1.case_id], actor="dpo:1")
    # the audit trail's numbering never goes back, even after rows were erased
    later = store.append_audit(AuditEntry(actor="dpo:1", action="report.viewed", at=T0))
    assert later.seq > entry.seq


def test_append_audit_returns_the_commit_time_it_stored_never_backwards(
    store: Store, case_factory: Factory, clock: Clock
) -> None:
    # The store stamps each row with its clock, never earlier than the chain's last commit. The
    # entry append_audit returns is the row as stored: after the clock goes back it carries the
    # clamped time the store kept, not the clock's.
    v1 = store.save(case_factory(), 0, actor="officer:1", action="case.created")
    for case_id in (v1.case_id, None):
        clock.value = T0 + dt.timedelta(hours=2)
        first = store.append_audit(
            AuditEntry(actor="officer:1", action="case.viewed", at=T0, case_id=case_id)
        )
        assert first == store.audit_trail()[-1]
        assert first.committed_at == T0 + dt.timedelta(hours=2)
        clock.value = T0 + dt.timedelta(hours=1)  # the clock goes back an hour
        back = store.append_audit(
            AuditEntry(actor="officer:1", action="case.viewed", at=T0, case_id=case_id)
        )
        assert back == store.audit_trail()[-1]
        assert back.committed_at == first.committed_at  # clamped, and returned as clamped
        clock.value = T0 + dt.timedelta(hours=3)
        on = store.append_audit(
            AuditEntry(actor="officer:1", action="case.viewed", at=T0, case_id=case_id)
        )
        assert on == store.audit_trail()[-1]
        assert on.committed_at == T0 + dt.timedelta(hours=3)
        chain = [e.committed_at for e in store.audit_trail(case_id) if e.case_id == case_id]
        assert all(a is not None and b is not None and a <= b
                   for a, b in itertools.pairwise(chain))
    assert store.verify().ok
