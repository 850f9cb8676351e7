"""The SMTP channel against a real aiosmtpd server on 127.0.0.1 with STARTTLS (a certificate
from a CA made in the test by trustme) and AUTH: the headers, the deterministic Message-ID, the
body from the allow-listed fields only, and the 4xx / 5xx mapping."""

from __future__ import annotations

import asyncio
import email
import email.policy
import secrets
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import attrs
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sen_disagreement_email import EmailTemplate, SmtpChannel, SmtpConfig, message_id_for
from sen_disagreement_email import plugin as smtp_plugin
from sen_disagreement_email.channel import ATTEMPT_HEADER, POSSIBLE_DUPLICATE_HEADER

from sen_disagreement.channels import (
    Address,
    ChannelError,
    Medium,
    MessageChannel,
    OutgoingMessage,
)
from sen_disagreement.council import CouncilProfile

USER = "sen-dispatch"
PASSWORD = secrets.token_urlsafe(16)  # generated per run, never committed
RECIPIENT = "parent-41aa@example.test"
FIELDS = {"case_reference": "SEF-2026-0002", "certificate_kind": "mediation_not_pursued",
          "council_contact": "SEN Casework Team, 0151 934 2347"}
TEMPLATES = {
    "certificate_issued": EmailTemplate(
        subject="Mediation certificate for case ((case_reference))",
        body="Your certificate (((certificate_kind))) for case ((case_reference)) is attached "
             "to your case record.\n\nQuestions: ((council_contact))\n"),
    "greedy": EmailTemplate(subject="Case ((case_reference))",
                            body="Dear ((parent_name)), about ((health_detail))"),
}


@dataclass
class Recorder:
    received: list[tuple[EmailMessage, list[str], str, bool, bool]] = field(default_factory=list)
    rcpt_reply: str | None = None
    data_reply: str | None = None
    data_delay: float = 0.0
    """Seconds to wait after taking a message before answering (a reply lost to a timeout)."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append((parsed, list(envelope.rcpt_tos), envelope.mail_from,
                              session.ssl is not None, bool(session.authenticated)))
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        return "250 Message accepted for delivery"


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                  auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(), auth_data.password.decode()) == (USER, PASSWORD)
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@dataclass
class Server:
    port: int
    recorder: Recorder
    client_context: ssl.SSLContext


@pytest.fixture
def server(ca: trustme.CA) -> Iterator[Server]:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port,
                            tls_context=server_context, require_starttls=True,
                            auth_required=True, authenticator=authenticator)
    controller.start()
    try:
        yield Server(port, recorder, client_context)
    finally:
        controller.stop()


def config(port: int, **kw: Any) -> SmtpConfig:
    values: dict[str, Any] = {
        "host": "127.0.0.1", "port": port, "username": USER, "password": PASSWORD,
        "from_address": "Sefton SEN Casework <sen.casework@sefton.example>",
        "reply_to": "sen.replies@sefton.example", "templates": TEMPLATES, "timeout": 5.0}
    values.update(kw)
    return SmtpConfig(**values)


def channel(server: Server, **kw: Any) -> SmtpChannel:
    return SmtpChannel(config(server.port, **kw), ssl_context=server.client_context)


def message(kind: str = "certificate_issued", reference: str = "msg-0001",
            medium: Medium = Medium.EMAIL, to: str | None = RECIPIENT) -> OutgoingMessage:
    return OutgoingMessage(kind=kind, medium=medium, council="E08000014",
                           case_reference="SEF-2026-0002", address=Address(email=to),
                           personalisation=FIELDS, reference=reference)


def test_delivers_over_starttls_with_auth_and_the_right_headers(server: Server) -> None:
    ch = channel(server)
    assert isinstance(ch, MessageChannel)
    assert ch.media == frozenset({Medium.EMAIL})
    assert ch.accepts("certificate_issued", Medium.EMAIL)
    assert not ch.accepts("certificate_issued", Medium.SMS)
    receipt = ch.send(message())
    (got, rcpts, mail_from, tls, authed) = server.recorder.received[0]
    assert tls and authed
    assert rcpts == [RECIPIENT] and mail_from == "sen.casework@sefton.example"
    assert receipt.message_id == got["Message-ID"] == message_id_for("msg-0001",
                                                                     "sefton.example")
    assert got["From"] == "Sefton SEN Casework <sen.casework@sefton.example>"
    assert got["To"] == RECIPIENT
    assert got["Reply-To"] == "sen.replies@sefton.example"
    assert got["Subject"] == "Mediation certificate for case SEF-2026-0002"
    assert got["X-SEN-Disagreement-Reference"] == "msg-0001"
    assert got["Auto-Submitted"] == "auto-generated"
    assert got.get_content_type() == "text/plain"
    assert got.get_content().replace("\r\n", "\n") == (
        "Your certificate (mediation_not_pursued) for case SEF-2026-0002 is attached to your "
        "case record.\n\nQuestions: SEN Casework Team, 0151 934 2347\n")


def test_the_same_reference_gives_the_same_message_id(server: Server) -> None:
    ch = channel(server)
    ch.send(message(reference="again"))
    ch.send(message(reference="again"))
    ch.send(message(reference="other"))
    ids = [got["Message-ID"] for got, *_ in server.recorder.received]
    assert ids[0] == ids[1] != ids[2]


def test_a_template_asking_for_more_than_the_allow_list_is_refused(server: Server) -> None:
    with pytest.raises(ChannelError) as caught:
        channel(server).send(message(kind="greedy"))
    assert not caught.value.retryable
    assert "health_detail" in str(caught.value) and "parent_name" in str(caught.value)
    assert server.recorder.received == []


@pytest.mark.parametrize(("where", "reply", "retryable"), [
    ("rcpt_reply", "451 4.3.0 try again later", True),
    ("rcpt_reply", "550 5.1.1 no such user", False),
    ("data_reply", "452 4.3.1 insufficient storage", True),
    ("data_reply", "554 5.7.1 rejected as spam", False),
])
def test_smtp_replies_map_to_retryable_or_not(server: Server, where: str, reply: str,
                                              retryable: bool) -> None:
    setattr(server.recorder, where, reply)
    with pytest.raises(ChannelError) as caught:
        channel(server).send(message())
    error = caught.value
    assert error.retryable is retryable and error.channel == "smtp"
    assert reply[:3] in str(error)
    assert RECIPIENT not in str(error) and "SEF-2026" not in str(error)
    assert error.__cause__ is None


def test_a_wrong_password_is_permanent_and_not_echoed(server: Server) -> None:
    wrong = secrets.token_urlsafe(16)
    with pytest.raises(ChannelError) as caught:
        channel(server, password=wrong).send(message())
    assert not caught.value.retryable and "535" in str(caught.value)
    assert wrong not in str(caught.value) and PASSWORD not in str(caught.value)


def test_an_unverified_certificate_is_refused(server: Server) -> None:
    ch = SmtpChannel(config(server.port))  # the system's CAs do not know the test CA
    with pytest.raises(ChannelError) as caught:
        ch.send(message())
    assert not caught.value.retryable and "certificate" in str(caught.value)
    assert server.recorder.received == []


def test_a_server_without_starttls_is_refused() -> None:
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with pytest.raises(ChannelError) as caught:
            SmtpChannel(config(port)).send(message())
    finally:
        controller.stop()
    assert not caught.value.retryable and "STARTTLS" in str(caught.value)
    assert recorder.received == []


def test_a_silent_server_times_out_retryably() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = int(listener.getsockname()[1])
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True)
    thread.start()
    try:
        with pytest.raises(ChannelError) as caught:
            SmtpChannel(config(port, timeout=0.3)).send(message())
    finally:
        thread.join(timeout=2)
        for conn in accepted:
            conn.close()
        listener.close()
    assert caught.value.retryable and "timed out" in str(caught.value)


def test_connection_refused_is_retryable() -> None:
    with pytest.raises(ChannelError) as caught:
        SmtpChannel(config(free_port())).send(message())
    assert caught.value.retryable


def test_messages_it_can_never_send_are_permanent(server: Server) -> None:
    ch = channel(server)
    for msg in (message(medium=Medium.SMS), message(to=None), message(kind="unknown"),
                message(to="not an address")):
        with pytest.raises(ChannelError) as caught:
            ch.send(msg)
        assert not caught.value.retryable
    assert server.recorder.received == []


def test_no_password_without_starttls() -> None:
    with pytest.raises(ValueError, match="STARTTLS"):
        config(25, starttls=False)


def test_configuration_from_env_and_the_entry_point(tmp_path: Path, server: Server) -> None:
    toml = tmp_path / "smtp.toml"
    toml.write_text(
        'from = "Sefton SEN Casework <sen.casework@sefton.example>"\n'
        'councils = ["sefton"]\n'
        '[templates.certificate_issued]\n'
        'subject = "Certificate for ((case_reference))"\n'
        'body = "Case ((case_reference))."\n', encoding="utf-8")
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    env = {"SEN_SMTP_HOST": "127.0.0.1", "SEN_SMTP_PORT": str(server.port),
           "SEN_SMTP_USERNAME": USER, "SEN_SMTP_PASSWORD_FILE": str(secret),
           "SEN_SMTP_CONFIG": str(toml)}
    cfg = SmtpConfig.from_env(env)
    assert cfg is not None and cfg.password == PASSWORD and PASSWORD not in repr(cfg)
    sefton = CouncilProfile(name="Sefton", legal_name="Sefton Metropolitan Borough Council",
                            gss_code="E08000014", la_number="343", slug="sefton")
    other = CouncilProfile(name="Elsewhere", legal_name="Elsewhere Council",
                           gss_code="E08000099", la_number="999", slug="elsewhere")
    (ch,) = smtp_plugin.channels_for(sefton, env)
    assert smtp_plugin.channels_for(other, env) == ()
    assert smtp_plugin.channels_for(sefton, {}) == ()
    SmtpChannel(cfg, ssl_context=server.client_context).send(message())
    (got, *_rest) = server.recorder.received[0]
    assert got["Subject"] == "Certificate for SEF-2026-0002"
    assert ch.name == "smtp"


def test_a_timeout_after_the_server_took_the_message_is_an_unknown_outcome_and_the_retry_says_so(
    server: Server,
) -> None:
    server.recorder.data_delay = 1.5
    ch = channel(server, timeout=0.5)
    first = message(reference="msg-lost-answer")
    with pytest.raises(ChannelError) as caught:
        ch.send(first)
    assert caught.value.retryable and caught.value.outcome_unknown
    assert len(server.recorder.received) == 1  # the server has it all the same
    # The dispatcher's next attempt: SMTP cannot ask, so the copy says it may be a duplicate.
    server.recorder.data_delay = 0.0
    retry = attrs.evolve(first, attempt=2, may_already_have_been_sent=True)
    ch.send(retry)
    (one, _, _, _, _), (two, _, _, _, _) = server.recorder.received
    assert one["Message-ID"] == two["Message-ID"] == message_id_for("msg-lost-answer",
                                                                    "sefton.example")
    assert one[POSSIBLE_DUPLICATE_HEADER] is None and one[ATTEMPT_HEADER] is None
    assert (two[POSSIBLE_DUPLICATE_HEADER], two[ATTEMPT_HEADER]) == ("yes", "2")


def test_a_failure_before_the_message_went_out_is_not_an_unknown_outcome(server: Server) -> None:
    server.recorder.rcpt_reply = "451 4.3.0 try again later"
    with pytest.raises(ChannelError) as caught:
        channel(server).send(message())
    assert caught.value.retryable and not caught.value.outcome_unknown
    with pytest.raises(ChannelError) as refused:
        SmtpChannel(config(free_port())).send(message())
    assert not refused.value.outcome_unknown
