"""The messages the law attaches to steps: kinds, allow-lists, the outbox in the same
transaction, contact details as confidential personal data, and a canary over every payload."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from pathlib import Path
from typing import Any

import notify_support as ns
import pytest

from sen_disagreement import messages
from sen_disagreement.actors import Actor, Role
from sen_disagreement.channels import OutgoingMessage
from sen_disagreement.clocks import CLOCKS
from sen_disagreement.disclosure import Disclosure, ItemKind
from sen_disagreement.dispatch import NO_WAIT, dispatch_all
from sen_disagreement.errors import InvalidInputError, SenDisagreementError
from sen_disagreement.messages import KINDS, MessageError
from sen_disagreement.parties import Party, PartyKind
from sen_disagreement.provenance import registered
from sen_disagreement.service import CaseService
from sen_disagreement.store import DeadlineHit
from sen_disagreement.store.core import SqlStore
from sen_disagreement.sweeping import sweep_all
from sen_disagreement.workflow import CaseParty, PartyContact
from sen_disagreement.workflow import steps as st


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cases.sqlite3"


def _url(db: Path) -> str:
    return f"sqlite:///{db}"


# --- the kinds ---------------------------------------------------------------------------------


def test_every_kind_rests_on_a_registered_rule_or_clock_and_an_allow_list() -> None:
    assert {"health_issues_to_commissioning_body", "adviser_told_not_arranged",
            "certificate_issued", "mediation_date_notice", "reg42_duty_due",
            "deadline_reminder", "appeal_deadline_reminder", "delivery_failed"} <= set(KINDS)
    for kind in KINDS.values():
        assert registered(kind.rule_id) is not None or kind.rule_id in CLOCKS
        assert kind.cite() and kind.recipient and kind.media
        assert kind.fields <= set(messages.FIELD_SHAPES)
        assert "case_reference" in kind.fields
    # Never anything recorded in the process, a health detail or a person's name.
    universe = set(messages.FIELD_SHAPES)
    for banned in ("text", "item", "name", "child_name", "parent_name", "health", "issues",
                   "outcome", "notes"):
        assert banned not in universe
    icb = KINDS["health_issues_to_commissioning_body"]
    assert icb.rule_id == "icb_notification_of_health_issues"
    assert KINDS["mediation_date_notice"].rule_id == "mediation.date_notice"
    assert KINDS["reg42_duty_due"].rule_id == "reg42.follow_up"


def test_a_field_outside_the_allow_list_is_a_typed_error_naming_the_field_not_the_value(
) -> None:
    kind = KINDS["certificate_issued"]
    with pytest.raises(MessageError) as err:
        kind.check_fields({"case_reference": "m-1", "child_name": "Zebedee"})
    assert err.value.rule_id == "notify.allow_list" and "child_name" in err.value.field
    assert "Zebedee" not in str(err.value)
    with pytest.raises(MessageError) as err:
        kind.check_fields({"case_reference": "m-1", "issued_on": "Zebedee said no"})
    assert "Zebedee" not in str(err.value)
    assert kind.check_fields({"case_reference": "m-1", "issued_on": "2025-04-01"})


def test_notify_deadline_reminder_and_notify_appeal_deadline_reminder_go_to_the_casework_team(
) -> None:
    hit = DeadlineHit(case_id="m-1", council=ns.GSS, kind="mediation", state="route_chosen",
                      clock_id="arrange_mediation_mixed", due=dt.date(2025, 4, 11),
                      status="running")
    duty = messages.reminder(hit)
    appeal = messages.reminder(hit._replace(clock_id="tribunal_appeal", status="appeal"))
    assert duty.template == "deadline_reminder" == KINDS["deadline_reminder"].name
    assert KINDS["deadline_reminder"].rule_id == "notify.deadline_reminder"
    assert appeal.template == "appeal_deadline_reminder"
    assert KINDS["appeal_deadline_reminder"].rule_id == "notify.appeal_deadline_reminder"
    for m in (duty, appeal):
        assert m.payload_ref.endswith("#contact:sen_casework_team")
        assert m.payload_ref.startswith("deadline/m-1/")
    assert messages.reminder(hit) == duty  # deterministic: queued once


def test_notify_dead_letter_alert_names_the_failed_kind_and_outbox_number_only() -> None:
    m = messages.alert("m-1", 42, "certificate_issued")
    assert m.template == "delivery_failed" and m.channel == messages.ALERT_CHANNEL
    assert KINDS["delivery_failed"].rule_id == "notify.dead_letter_alert"
    assert m.payload_ref == "failed/m-1/42/certificate_issued#contact:sen_casework_team"
    with pytest.raises(MessageError):
        messages.alert("m-1", 42, "not_a_kind")


# --- the outbox in the same transaction ----------------------------------------------------------


def test_each_step_queues_its_messages_in_the_same_transaction(db: Path) -> None:
    svc = ns.service(_url(db), case_ids=["m-1"])
    ns.open_to_route(svc, "m-1")
    rows = ns.outbox_rows(db)
    assert [(r[1], r[2].rpartition("#")[2]) for r in rows] == [
        ("health_issues_to_commissioning_body", "party:icb")]
    ns.to_agreement(svc, "m-1")
    kinds = [(r[1], r[2].rpartition("#")[2]) for r in ns.outbox_rows(db)]
    assert kinds == [
        ("health_issues_to_commissioning_body", "party:icb"),
        ("mediation_date_notice", "party:parent"),
        ("certificate_issued", "party:parent"),
        ("reg42_duty_due", "contact:sen_casework_team"),
        ("reg42_duty_due", "contact:sen_casework_team"),
    ]
    # One recipient per message, deterministic keys, nothing personal in the row.
    for case_id, _t, ref, key, status in ns.outbox_rows(db):
        assert case_id == "m-1" and status == "pending" and key.startswith("msg.")
        for canary in (*ns.CANARIES, ns.PARENT_EMAIL, "Pat Parent"):
            assert canary not in ref and canary not in key


def test_a_failed_save_queues_nothing_and_changes_nothing(db: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    svc = ns.service(_url(db), case_ids=["m-1"])
    ns.open_to_route(svc, "m-1")
    before = svc.store.load("m-1").version
    rows = ns.outbox_rows(db)
    real = SqlStore._insert_messages

    def killed(self: Any, tx: Any, msgs: Any) -> list[int]:
        real(self, tx, msgs)  # the rows are written in the transaction... then it dies
        raise RuntimeError("killed mid-save")

    monkeypatch.setattr(SqlStore, "_insert_messages", killed)
    step = st.ArrangeMeeting(meeting_date=ns.MEETING, mediator_id="mediator",
                             mediator=Party(kind=PartyKind.MEDIATOR))
    with pytest.raises(RuntimeError):
        svc.apply("m-1", ns.OFFICER.actor_id, step, at=ns.at(ns.TOLD, 14))
    assert svc.store.load("m-1").version == before  # neither the case...
    assert ns.outbox_rows(db) == rows  # ...nor its messages
    monkeypatch.setattr(SqlStore, "_insert_messages", real)
    svc.apply("m-1", ns.OFFICER.actor_id, step, at=ns.at(ns.TOLD, 14))  # both
    assert svc.store.load("m-1").version == before + 1
    assert [r[1] for r in ns.outbox_rows(db)][-1] == "mediation_date_notice"


def test_a_retried_step_or_sweep_never_queues_twice(db: Path) -> None:
    svc = ns.service(_url(db), case_ids=["m-1"])
    ns.open_to_route(svc, "m-1")
    from sen_disagreement.workflow import records

    history = svc.store.history("m-1")
    at = next(i for i, r in enumerate(history)
              if any(d.clock_id == "icb_notification_of_health_issues" for d in r.deadlines))
    old, case = records.from_record(history[at - 1]), records.from_record(history[at])
    first = messages.for_change(old, case)
    again = messages.for_change(old, case)
    assert first == again and first
    ids = svc.store.enqueue(first)
    assert svc.store.enqueue(again) == ids  # the store keeps each key once
    assert len(ns.outbox_rows(db)) == 1
    # The sweep: the 30 days pass (adviser told), reminders; a second sweep adds nothing.
    sweep_all(svc, dt.date(2025, 4, 15), reminder_days=5)
    after = ns.outbox_rows(db)
    assert "adviser_told_not_arranged" in [r[1] for r in after]
    sweep_all(svc, dt.date(2025, 4, 15), reminder_days=5)
    assert ns.outbox_rows(db) == after


def test_the_walkthrough_queues_its_statutory_messages(tmp_path: Path) -> None:
    from sen_disagreement import walkthrough

    db = tmp_path / "walk.sqlite3"
    lines = walkthrough.run(db)
    rows = ns.outbox_rows(db)
    assert [(r[0], r[1], r[2].rpartition("#")[2], r[4]) for r in rows] == [
        (walkthrough.MED_CASE, "adviser_told_not_arranged", "contact:mediation_adviser", "sent"),
        (walkthrough.MED_CASE, "certificate_issued", "party:parent", "sent"),
    ]
    text = "\n".join(lines)
    # Through the Notify channel to the local Notify API (tests/test_demo_notify.py checks what
    # that server received).
    assert "rule mediation.not_arranged_in_time: sent via the notify channel" in text
    assert "rule certificate.content: sent via the notify channel" in text


# --- contact details: confidential personal data ------------------------------------------------


def test_contact_details_are_validated_without_echoing_them() -> None:
    cases: list[tuple[dict[str, Any], str]] = [({"email": "zebedee-not-an-email"}, "contact.email"),
                          ({"phone": "Zebedee 123"}, "contact.phone"),
                          ({"postal": ["Zebedee house", "no postcode"]}, "contact.postal"),
                          ({"postal": ["1 Road", "Town", "Zebedee"]}, "contact.postal"),
                          ({}, "contact.contact")]
    for kwargs, field in cases:
        with pytest.raises(InvalidInputError) as err:
            PartyContact(**kwargs)
        assert err.value.field == field and err.value.rule_id.startswith("contact.")
        assert "Zebedee" not in str(err.value) and "zebedee" not in str(err.value)
    with pytest.raises(InvalidInputError) as err:
        CaseParty("p", Party(kind=PartyKind.PARENT), "sam@example.org")  # type: ignore[arg-type]
    assert err.value.rule_id == "contact.type" and "sam@" not in str(err.value)
    c = PartyContact(email=ns.PARENT_EMAIL, phone="+44 7700 900123")
    assert ns.PARENT_EMAIL not in repr(c) and "7700" not in str(c)
    party = CaseParty("p", Party(kind=PartyKind.PARENT), c)
    assert ns.PARENT_EMAIL not in repr(party)


def test_contact_details_reach_only_the_subjects_own_export(db: Path,
                                                           caplog: pytest.LogCaptureFixture
                                                           ) -> None:
    caplog.set_level(logging.DEBUG)
    svc = ns.service(_url(db), case_ids=["m-1"])
    clerk = Actor(actor_id="clerk-1", role=Role.TRIBUNAL_EXPORTER, council=ns.GSS)
    from sen_disagreement.actors import StaticActorDirectory

    svc.directory = StaticActorDirectory([ns.OFFICER, ns.ADVISER, ns.MEDIATOR, clerk,
                                          ns.family("m-1")])
    ns.open_to_route(svc, "m-1", second_parent=True)
    bundle = svc.tribunal_bundle("m-1", clerk)
    assert ns.PARENT_EMAIL not in bundle.to_json() + bundle.to_text()
    mine = svc.subject_access_export("m-1", ns.family("m-1").actor_id, subject_id="parent")
    assert mine.subject["contact"]["email"] == ns.PARENT_EMAIL
    # Another party's export never carries this one's contact details (nor the ICB's).
    other = svc.subject_access_export("m-1", ns.OFFICER.actor_id, subject_id="parent2")
    assert other.subject["contact"]["email"] == "lee.other@example.org"
    assert ns.PARENT_EMAIL not in other.to_json() + other.to_text()
    assert "lee.other" not in mine.to_json() and "icb.example.org" not in mine.to_json()
    # Audit rows and log records hold no contact detail.
    trail = svc.store.audit_trail("m-1")
    blob = json.dumps([[e.actor, e.action, e.outcome, list(e.fields)] for e in trail])
    for leak in (ns.PARENT_EMAIL, "07700", "Canary Row", "icb.example.org"):
        assert leak not in blob
        assert not [r for r in caplog.records if leak in r.getMessage()]


# --- the canary over every kind and every payload a channel receives -----------------------------


def test_canary_no_case_content_reaches_any_channel_audit_row_log_or_error(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    channel = ns.RecordingChannel("canary")
    svc = ns.service(_url(db), channel, case_ids=["m-1", "m-2", "m-3"])
    errors = _every_kind(svc)
    report = dispatch_all(svc.store, svc.hooks, policy=NO_WAIT)
    errors += [d.reason or "" for d in report.deliveries]
    sent_kinds = {m.kind for m in channel.delivered}
    assert sent_kinds == set(KINDS), set(KINDS) - sent_kinds  # every kind was exercised
    assert report.dead == 1  # m-3's certificate: no contact details -> alerted
    payloads = [_everything(m) for m in channel.delivered]
    audit = [json.dumps([e.actor, e.action, e.outcome, list(e.fields)])
             for cid in ("m-1", "m-2", "m-3") for e in svc.store.audit_trail(cid)]
    logs = [r.getMessage() for r in caplog.records]
    haystacks = payloads + audit + logs + errors + [json.dumps(report.as_json())]
    hits = [(c, h[:80]) for c in ns.CANARIES for h in haystacks if c.lower() in h.lower()]
    assert hits == []
    # The address a channel receives is the one recipient's only.
    for m in channel.delivered:
        if m.kind in ("certificate_issued", "mediation_date_notice"):
            assert m.address.email == ns.PARENT_EMAIL
        else:
            assert m.address.email != ns.PARENT_EMAIL
    assert not [h for h in audit + logs + errors if ns.PARENT_EMAIL in h]


def test_canary_every_kind_on_the_wire_to_the_local_notify_api(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The same cases through the real GOV.UK Notify channel: every request body the local
    Notify API received (every kind, every medium it was sent by) carries only its kind's
    allow-listed personalisation, and no canary."""
    notify = pytest.importorskip("sen_disagreement_notify")
    from sen_disagreement_notify.testing import FakeNotify

    caplog.set_level(logging.DEBUG)
    templates = {(k.name, medium): str(uuid.uuid4()) for k in KINDS.values()
                 for medium in k.media}
    kind_of_template = {t: kind for (kind, _), t in templates.items()}
    with FakeNotify() as server:
        channel = notify.NotifyChannel(api_key=server.add_key("canary"), templates=templates,
                                       base_url=server.url)
        svc = ns.service(_url(db), channel, case_ids=["m-1", "m-2", "m-3"])
        errors = _every_kind(svc)
        report = dispatch_all(svc.store, svc.hooks, policy=NO_WAIT)
        requests = list(server.requests)
    assert report.dead == 1 and server.rejected_tokens == 0
    posts = [r for r in requests if r.method == "POST"]
    assert {kind_of_template[r.body["template_id"]] for r in posts if r.body} == set(KINDS)
    for r in posts:
        assert r.body is not None
        kind = KINDS[kind_of_template[r.body["template_id"]]]
        assert set(r.body["personalisation"]) <= kind.fields, kind.name
    wire = [json.dumps([r.path, r.query, r.body]) for r in requests]
    logs = [rec.getMessage() for rec in caplog.records]
    haystacks = wire + logs + errors + [json.dumps(report.as_json())]
    assert [(c, h[:80]) for c in ns.CANARIES for h in haystacks if c.lower() in h.lower()] == []
    # The parent's address goes only in the parent's own messages.
    for r in posts:
        assert r.body is not None
        if ns.PARENT_EMAIL in json.dumps(r.body):
            assert kind_of_template[r.body["template_id"]] in (
                "certificate_issued", "mediation_date_notice")


def _every_kind(svc: CaseService) -> list[str]:
    """Cases that queue every message kind (m-3 has no contact details: a dead letter and its
    alert); the texts of the errors met on the way."""
    errors: list[str] = []
    ns.open_to_route(svc, "m-1")
    ns.to_agreement(svc, "m-1")  # ICB, date notice, certificate, reg 42
    ns.open_to_route(svc, "m-2")  # the 30 days pass: the adviser told; reminders
    ns.open_to_route(svc, "m-3", parent_contact=False)  # no address: dead letter + alert
    sweep_all(svc, dt.date(2025, 4, 14), reminder_days=60)
    svc.apply("m-3", ns.ADVISER.actor_id, st.IssueCertificate(on=dt.date(2025, 4, 14)),
              at=ns.at(dt.date(2025, 4, 14)))
    try:  # a refused step's error, for the census
        svc.apply("m-1", ns.OFFICER.actor_id, st.RecordItem(
            item_id="wp-1", kind=ItemKind.OFFER, disclosure=Disclosure.WITHOUT_PREJUDICE,
            text=ns.WP_CANARY), at=ns.at(dt.date(2025, 4, 15)))
    except SenDisagreementError as exc:
        errors.append(str(exc))
    return errors


def _everything(m: OutgoingMessage) -> str:
    return json.dumps([m.kind, m.medium.value, m.council, m.case_reference, m.reference,
                       list(m.personalisation), repr(m)])


def test_a_field_outside_the_allow_list_at_send_time_is_dead_lettered_never_sent(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = ns.RecordingChannel("strict")
    svc = ns.service(_url(db), channel, case_ids=["m-1"])
    ns.open_to_route(svc, "m-1")
    real = messages._event_fields

    def leaky(kind: messages.MessageKind, case: Any, event: str) -> dict[str, str]:
        out = real(kind, case, event)
        if kind.name != "delivery_failed":
            out["child_name"] = ns.CHILD_CANARY  # a bug that would leak the child's name
        return out

    monkeypatch.setattr(messages, "_event_fields", leaky)
    report = dispatch_all(svc.store, svc.hooks, policy=NO_WAIT)
    assert [(d.kind, d.status, d.reason) for d in report.deliveries] == [
        ("health_issues_to_commissioning_body", "dead", "notify.allow_list"),
        ("delivery_failed", "sent", None),
    ]
    assert [m.kind for m in channel.delivered] == ["delivery_failed"]
    assert ns.CHILD_CANARY not in json.dumps(report.as_json())
