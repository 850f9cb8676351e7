"""The Notify channel against a local Notify API on 127.0.0.1 that checks the client's signed
token: every medium, every error mapping, dedupe by reference after a timeout, and that nothing
but the allow-listed personalisation (and the recipient's own address) leaves the process."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import jwt
import pytest
from notifications_python_client.notifications import NotificationsAPIClient
from sen_disagreement_notify import NotifyChannel, NotifyConfigError, parse_api_key
from sen_disagreement_notify.testing import FakeNotify

from sen_disagreement.channels import (
    Address,
    ChannelError,
    Medium,
    MessageChannel,
    OutgoingMessage,
    Receipt,
)

EMAIL_TEMPLATE, SMS_TEMPLATE, LETTER_TEMPLATE = (str(uuid.uuid4()) for _ in range(3))
TEMPLATES = {
    ("certificate_issued", Medium.EMAIL): EMAIL_TEMPLATE,
    ("certificate_issued", Medium.SMS): SMS_TEMPLATE,
    ("certificate_issued", Medium.LETTER): LETTER_TEMPLATE,
}
FIELDS = {"case_reference": "SEF-2026-0001", "certificate_kind": "mediation_not_pursued",
          "council_contact": "SEN Casework Team, 0151 934 2347"}
EMAIL = "parent-7c1e@example.test"
PHONE = "07700900123"
POSTAL = ("A Parent", "1 Any Street", "Southport", "PR8 1AA")
SECRETS = (EMAIL, PHONE, *POSTAL[:3])


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    with FakeNotify() as server:
        yield server


@pytest.fixture
def key(notify: FakeNotify) -> str:
    return notify.add_key("sefton-test")


def channel(notify: FakeNotify, key: str, *, timeout: float = 2.0, **kw: object) -> NotifyChannel:
    return NotifyChannel(api_key=key, templates=TEMPLATES, base_url=notify.url, timeout=timeout,
                         **kw)  # type: ignore[arg-type]


def message(medium: Medium = Medium.EMAIL, reference: str | None = None,
            kind: str = "certificate_issued") -> OutgoingMessage:
    return OutgoingMessage(
        kind=kind, medium=medium, council="E08000014", case_reference="SEF-2026-0001",
        address=Address(email=EMAIL, phone=PHONE, postal=POSTAL), personalisation=FIELDS,
        reference=reference or f"msg-{uuid.uuid4()}")


def test_is_a_message_channel(notify: FakeNotify, key: str) -> None:
    ch = channel(notify, key)
    assert isinstance(ch, MessageChannel)
    assert ch.name == "notify"
    assert ch.media == frozenset(Medium)
    assert key not in repr(ch)


@pytest.mark.parametrize(("medium", "path", "template"), [
    (Medium.EMAIL, "/v2/notifications/email", EMAIL_TEMPLATE),
    (Medium.SMS, "/v2/notifications/sms", SMS_TEMPLATE),
    (Medium.LETTER, "/v2/notifications/letter", LETTER_TEMPLATE),
])
def test_sends_each_medium_with_reference_and_template(
    notify: FakeNotify, key: str, medium: Medium, path: str, template: str
) -> None:
    msg = message(medium)
    receipt = channel(notify, key).send(msg)
    assert receipt.status == "accepted"
    stored = notify.notifications[receipt.message_id]
    assert (stored.type, stored.template_id, stored.reference) == (
        medium.value, template, msg.reference)
    (sent,) = notify.sends()
    assert sent.path == path and sent.status == 201
    assert sent.service_id == parse_api_key(key)[0]
    assert notify.rejected_tokens == 0


def test_request_bodies_carry_only_the_allow_listed_fields(notify: FakeNotify, key: str) -> None:
    ch = channel(notify, key)
    for medium in Medium:
        ch.send(message(medium))
    bodies = {r.path.rsplit("/", 1)[1]: r.body for r in notify.sends()}
    assert set(bodies) == {"email", "sms", "letter"}
    address_lines = {f"address_line_{i}": line for i, line in enumerate(POSTAL, start=1)}
    for kind, body in bodies.items():
        assert body is not None
        recipient = {"email": {"email_address": EMAIL}, "sms": {"phone_number": PHONE},
                     "letter": {}}[kind]
        assert set(body) == {"template_id", "personalisation", "reference", *recipient}
        assert {k: body[k] for k in recipient} == recipient
        expected = {**FIELDS, **(address_lines if kind == "letter" else {})}
        assert body["personalisation"] == expected
        # The other media's addresses never travel: an email carries no phone or postal address.
        text = repr(body)
        others = [s for s in SECRETS if s not in recipient.values()
                  and (kind != "letter" or s not in POSTAL)]
        assert not [s for s in others if s in text]


def test_the_token_is_checked_and_a_wrong_secret_is_refused(notify: FakeNotify, key: str) -> None:
    service_id, _secret = parse_api_key(key)
    forged = f"sefton-test-{service_id}-{uuid.uuid4()}"
    with pytest.raises(ChannelError) as caught:
        channel(notify, forged).send(message())
    assert not caught.value.retryable and "403" in str(caught.value)
    assert notify.rejected_tokens == 1 and notify.notifications == {}


def test_a_stale_token_is_refused(notify: FakeNotify, key: str) -> None:
    service_id, secret = parse_api_key(key)
    token = jwt.encode({"iss": service_id, "iat": int(time.time()) - 60}, secret,
                       algorithm="HS256", headers={"typ": "JWT"})
    assert notify._check_token(f"Bearer {token}") == (
        None, "Error: Your system clock must be accurate to within 30 seconds")
    fresh = jwt.encode({"iss": service_id, "iat": int(time.time())}, secret,
                       algorithm="HS256", headers={"typ": "JWT"})
    assert notify._check_token(f"Bearer {fresh}") == (service_id, None)


@pytest.mark.parametrize(("status", "retryable"), [
    (400, False), (403, False), (429, True), (500, True), (502, True), (503, True)])
def test_http_errors_map_to_retryable_or_not(
    notify: FakeNotify, key: str, status: int, retryable: bool
) -> None:
    notify.fail_next(status)
    with pytest.raises(ChannelError) as caught:
        channel(notify, key).send(message())
    error = caught.value
    assert error.retryable is retryable and error.channel == "notify"
    assert str(status) in str(error)
    text = str(error) + repr(error)
    assert not [s for s in (*SECRETS, *FIELDS.values()) if s in text]
    assert error.__cause__ is None and error.__suppress_context__ is False


def test_connection_refused_is_retryable(key: str) -> None:
    with FakeNotify() as gone:
        url = gone.url
    ch = NotifyChannel(api_key=key, templates=TEMPLATES, base_url=url, timeout=1.0)
    with pytest.raises(ChannelError) as caught:
        ch.send(message())
    assert caught.value.retryable


def test_a_timeout_after_accept_is_not_sent_twice(notify: FakeNotify, key: str) -> None:
    ch = channel(notify, key, timeout=0.3)
    msg = message()
    notify.stall_after_accept(1.0)
    with pytest.raises(ChannelError) as caught:
        ch.send(msg)
    assert caught.value.retryable and "timed out" in str(caught.value)
    assert len(notify.by_reference(msg.reference)) == 1  # Notify accepted it all the same
    receipt = ch.send(msg)  # the retry finds it by reference instead of sending again
    (stored,) = notify.by_reference(msg.reference)
    assert receipt.message_id == stored.id
    assert len(list(notify.sends())) == 1
    lookups = [r for r in notify.requests if r.method == "GET"]
    assert [r.query.get("reference") for r in lookups] == [[msg.reference]]
    # Once settled, a later send of a new message does not look anything up.
    ch.send(message())
    assert len([r for r in notify.requests if r.method == "GET"]) == 1


def test_a_5xx_after_which_nothing_was_stored_is_resent(notify: FakeNotify, key: str) -> None:
    ch = channel(notify, key)
    msg = message()
    notify.fail_next(500)
    with pytest.raises(ChannelError):
        ch.send(msg)
    receipt = ch.send(msg)  # looked up, not found, sent once
    assert [n.id for n in notify.by_reference(msg.reference)] == [receipt.message_id]
    assert [r.method for r in notify.requests] == ["POST", "GET", "POST"]


def test_lookup_always_dedupes_across_channel_objects(notify: FakeNotify, key: str) -> None:
    msg = message()
    first = channel(notify, key).send(msg)
    # Another worker (a restarted dispatcher) retries the same message.
    again = channel(notify, key, lookup="always").send(msg)
    assert again.message_id == first.message_id
    assert len(notify.by_reference(msg.reference)) == 1


def test_status_reads_the_notification(notify: FakeNotify, key: str) -> None:
    ch = channel(notify, key)
    receipt = ch.send(message())
    notify.notifications[receipt.message_id].status = "delivered"
    assert ch.status(receipt.message_id) == Receipt(receipt.message_id, "delivered")


def test_permanent_refusals_before_any_request(notify: FakeNotify, key: str) -> None:
    ch = channel(notify, key)
    cases = [
        message(kind="mediation_date_notice"),  # no template for the kind
        OutgoingMessage(kind="certificate_issued", medium=Medium.EMAIL, council="E08000014",
                        case_reference="X", address=Address(phone=PHONE),
                        personalisation=FIELDS, reference="r-no-email"),
        OutgoingMessage(kind="certificate_issued", medium=Medium.LETTER, council="E08000014",
                        case_reference="X", address=Address(postal=("1 Street", "PR8 1AA")),
                        personalisation=FIELDS, reference="r-short-letter"),
        OutgoingMessage(kind="certificate_issued", medium=Medium.LETTER, council="E08000014",
                        case_reference="X", address=Address(postal=POSTAL),
                        personalisation={"address_line_1": "spoof"}, reference="r-spoof"),
    ]
    for msg in cases:
        with pytest.raises(ChannelError) as caught:
            ch.send(msg)
        assert not caught.value.retryable
        assert not [s for s in SECRETS if s in str(caught.value)]
    assert notify.requests == []


def test_a_malformed_key_is_refused_without_echoing_it() -> None:
    bad = "not-a-notify-key-" + "x" * 60
    with pytest.raises(NotifyConfigError) as caught:
        NotifyChannel(api_key=bad, templates=TEMPLATES)
    assert bad not in str(caught.value)


def test_the_raw_client_is_accepted_by_the_same_server(notify: FakeNotify, key: str) -> None:
    factory: Callable[..., Any] = NotificationsAPIClient  # the client is untyped
    client = factory(key, base_url=notify.url)
    answer = client.send_email_notification(email_address=EMAIL, template_id=EMAIL_TEMPLATE,
                                            personalisation=FIELDS, reference="raw-1")
    listed = client.get_all_notifications(reference="raw-1")
    assert [n["id"] for n in listed["notifications"]] == [answer["id"]]


def test_an_error_says_whether_notify_may_hold_the_notification(
    notify: FakeNotify, key: str
) -> None:
    ch = channel(notify, key, timeout=0.3)
    notify.stall_after_accept(1.0)
    with pytest.raises(ChannelError) as timed_out:
        ch.send(message())
    notify.fail_next(503, 429, 400)
    outcomes = []
    for _ in range(3):
        with pytest.raises(ChannelError) as caught:
            ch.send(message())
        outcomes.append((caught.value.retryable, caught.value.outcome_unknown))
    assert timed_out.value.outcome_unknown
    # A 5xx may come after the notification was stored; 429 and 400 are answers to a request
    # Notify did not take.
    assert outcomes == [(True, True), (True, False), (False, False)]


def test_a_message_that_may_already_have_been_sent_is_looked_up_by_a_fresh_channel(
    notify: FakeNotify, key: str
) -> None:
    msg = message()
    first = channel(notify, key).send(msg)
    # A restarted dispatcher (a new channel object, nothing remembered) claims it again: the
    # message says an earlier attempt's outcome is unknown, so Notify is asked first.
    retry = attrs.evolve(msg, attempt=2, may_already_have_been_sent=True)
    again = channel(notify, key).send(retry)
    assert again.message_id == first.message_id
    assert len(notify.by_reference(msg.reference)) == 1
    assert [r.method for r in notify.requests] == ["POST", "GET"]
    # Not sent before after all: looked up, not found, sent once.
    fresh = attrs.evolve(message(), attempt=3, may_already_have_been_sent=True)
    channel(notify, key).send(fresh)
    assert len(notify.by_reference(fresh.reference)) == 1
    assert [r.method for r in notify.requests][2:] == ["GET", "POST"]
