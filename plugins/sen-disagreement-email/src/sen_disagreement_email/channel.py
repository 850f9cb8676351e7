"""The SMTP email channel: stdlib ``smtplib`` and ``email``, STARTTLS, authentication."""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from collections.abc import Callable, Mapping
from email.headerregistry import Address as EmailAddress
from email.message import EmailMessage
from email.utils import formatdate

from sen_disagreement.channels import ChannelError, Medium, OutgoingMessage, Receipt

from .config import EmailTemplate, SmtpConfig

__all__ = ["PLACEHOLDER", "SmtpChannel", "message_id_for", "render"]

PLACEHOLDER = re.compile(r"\(\(\s*([A-Za-z0-9_]+)\s*\)\)")
"""A template placeholder: ``((field))``, as in GOV.UK Notify templates."""

REFERENCE_HEADER = "X-SEN-Disagreement-Reference"
ATTEMPT_HEADER = "X-SEN-Disagreement-Attempt"
POSSIBLE_DUPLICATE_HEADER = "X-SEN-Disagreement-Possible-Duplicate"
"""Set (``yes``) on a retry after an attempt whose outcome is unknown: SMTP cannot ask the
server whether it took the first one, so the copy says it may be a duplicate (its Message-ID is
the same as the first's, which mail clients and the casework team's filters can dedupe on)."""


def message_id_for(reference: str, domain: str) -> str:
    """The ``Message-ID`` for a message's idempotency key: the same key always gives the same
    id, so a message delivered twice (a retry after a lost answer) is recognisable as one."""
    digest = hashlib.sha256(reference.encode("utf-8")).hexdigest()[:40]
    return f"<sen.{digest}@{domain}>"


def render(template: str, fields: Mapping[str, str], *, kind: str, channel: str) -> str:
    """Fill ``((field))`` placeholders from ``fields`` only. A placeholder naming a field the
    message does not carry is a permanent :class:`ChannelError` (the template asks for more
    than the kind's allow-list gives); the error names the field, never a value."""
    missing = sorted({m.group(1) for m in PLACEHOLDER.finditer(template)} - set(fields))
    if missing:
        raise ChannelError(
            f"the {kind!r} template names field(s) the message does not carry: "
            f"{', '.join(missing)}", channel=channel, retryable=False)
    return PLACEHOLDER.sub(lambda m: fields[m.group(1)], template)


class SmtpChannel:
    """Delivers email :class:`OutgoingMessage` s over SMTP with STARTTLS and AUTH.

    Every message gets a deterministic ``Message-ID`` (:func:`message_id_for`) and carries its
    idempotency key in ``X-SEN-Disagreement-Reference``, so duplicates are recognisable; a
    retry carries its attempt number, and one sent after an attempt whose outcome is unknown
    says it may be a duplicate (``X-SEN-Disagreement-Possible-Duplicate: yes``). A timeout or a
    lost connection once the message is being sent is an error with ``outcome_unknown``. A
    4xx SMTP reply, a timeout or a dropped connection is retryable; a 5xx reply, a refused
    login, a server without STARTTLS or a certificate that does not verify is permanent.
    Error messages name the SMTP code and the stage, never the address or the body.
    """

    def __init__(
        self,
        config: SmtpConfig,
        *,
        name: str = "smtp",
        ssl_context: ssl.SSLContext | None = None,
        smtp_factory: Callable[..., smtplib.SMTP] = smtplib.SMTP,
    ) -> None:
        self._config = config
        self._name = name
        self._context = ssl_context or config.ssl_context()
        self._smtp_factory = smtp_factory

    def __repr__(self) -> str:
        return f"SmtpChannel(name={self._name!r}, host={self._config.host!r})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def media(self) -> frozenset[Medium]:
        return frozenset({Medium.EMAIL})

    def accepts(self, kind: str, medium: Medium) -> bool:
        """Whether this channel has an email template for ``kind``
        (:class:`~sen_disagreement.channels.KindAwareChannel`)."""
        return medium is Medium.EMAIL and kind in self._config.templates

    def build(self, message: OutgoingMessage) -> EmailMessage:
        """The email for ``message`` (not sent). Raises :class:`ChannelError` (permanent) for a
        message this channel can never send."""
        if message.medium is not Medium.EMAIL:
            raise self._error(f"cannot send by {message.medium.value}", retryable=False)
        if not message.address.email:
            raise self._error("the recipient has no email address", retryable=False)
        template: EmailTemplate | None = self._config.templates.get(message.kind)
        if template is None:
            raise self._error(f"no email template for {message.kind!r}", retryable=False)
        fields = message.fields
        subject = render(template.subject, fields, kind=message.kind, channel=self._name)
        body = render(template.body, fields, kind=message.kind, channel=self._name)
        if "\n" in subject or "\r" in subject:
            raise self._error(f"the {message.kind!r} subject spans lines", retryable=False)
        email = EmailMessage()
        email["From"] = self._config.from_address
        try:
            email["To"] = EmailAddress(addr_spec=message.address.email)
        except (ValueError, IndexError):
            raise self._error("the recipient's email address is not valid",
                              retryable=False) from None
        if self._config.reply_to:
            email["Reply-To"] = self._config.reply_to
        email["Subject"] = subject
        email["Date"] = formatdate(localtime=False, usegmt=True)
        email["Message-ID"] = message_id_for(message.reference, self._config.message_id_domain)
        email[REFERENCE_HEADER] = message.reference
        if message.attempt > 1:
            email[ATTEMPT_HEADER] = str(message.attempt)
        if message.may_already_have_been_sent:
            email[POSSIBLE_DUPLICATE_HEADER] = "yes"
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(body)
        return email

    def send(self, message: OutgoingMessage) -> Receipt:
        email = self.build(message)
        message_id = str(email["Message-ID"])
        config = self._config
        stage = "connect"
        try:
            with self._smtp_factory(config.host, config.port, timeout=config.timeout) as smtp:
                stage = "EHLO"
                smtp.ehlo()
                if config.starttls:
                    stage = "STARTTLS"
                    smtp.starttls(context=self._context)
                    smtp.ehlo()
                if config.username:
                    stage = "AUTH"
                    smtp.login(config.username, config.password or "")
                stage = "send"
                refused = smtp.send_message(email)
                if refused:  # only possible with several recipients; defensive
                    code = next(iter(refused.values()))[0]
                    raise self._by_code(code, "RCPT")
            return Receipt(message_id=message_id, status="accepted")
        except ChannelError:
            raise
        except smtplib.SMTPNotSupportedError:
            error = self._error(f"the server does not support {stage}", retryable=False)
        except smtplib.SMTPRecipientsRefused as exc:
            # exc.recipients maps the *address* to the reply: never put it in the message.
            code = next(iter(exc.recipients.values()))[0] if exc.recipients else 550
            error = self._by_code(code, "RCPT")
        except smtplib.SMTPResponseException as exc:
            error = self._by_code(exc.smtp_code, "AUTH" if isinstance(
                exc, smtplib.SMTPAuthenticationError) else _stage_of(exc, stage))
        except smtplib.SMTPServerDisconnected as exc:
            # smtplib reports a read timeout as a disconnection.
            what = "timed out" if "timed out" in str(exc) else "the server closed the connection"
            error = self._error(f"{what} during {stage}", retryable=True,
                                unknown=stage == "send")
        except ssl.SSLCertVerificationError:
            error = self._error("the server's certificate did not verify", retryable=False)
        except TimeoutError:
            error = self._error(f"timed out during {stage}", retryable=True,
                                unknown=stage == "send")
        except (OSError, smtplib.SMTPException) as exc:
            error = self._error(f"{type(exc).__name__} during {stage}", retryable=True,
                                unknown=stage == "send")
        raise error

    def _by_code(self, code: int, stage: str) -> ChannelError:
        retryable = not 500 <= code < 600
        return self._error(f"the server answered {code} to {stage}", retryable=retryable)

    def _error(self, why: str, *, retryable: bool, unknown: bool = False) -> ChannelError:
        # ``unknown``: the message went out (after MAIL FROM) and no final reply came back, so
        # the server may have queued it; a refusal it answered is never unknown.
        return ChannelError(why, channel=self._name, retryable=retryable,
                            outcome_unknown=unknown)


def _stage_of(exc: smtplib.SMTPResponseException, stage: str) -> str:
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return "MAIL FROM"
    if isinstance(exc, smtplib.SMTPDataError):
        return "DATA"
    return stage
