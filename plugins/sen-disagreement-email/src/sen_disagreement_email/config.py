"""The SMTP channel's settings: the server and the password from the environment or a secrets
file, the sender and the templates from a TOML file (or a council plugin's own values).

Environment:

``SEN_SMTP_HOST``, ``SEN_SMTP_PORT`` (587), ``SEN_SMTP_TIMEOUT`` (seconds, 10)
    The submission server.
``SEN_SMTP_USERNAME`` and ``SEN_SMTP_PASSWORD`` or ``SEN_SMTP_PASSWORD_FILE``
    The login (``PASSWORD_FILE``: a file holding the password, a container or systemd secret).
    Never in code, a repository or the store.
``SEN_SMTP_STARTTLS``
    ``true`` (the default) or ``false``; without STARTTLS no password is ever sent.
``SEN_SMTP_CA_FILE``
    A CA bundle to verify the server with, instead of the system's.
``SEN_SMTP_CONFIG``
    A TOML file::

        from = "Sefton SEN Casework <sen.casework@sefton.gov.uk>"
        reply_to = "sen.casework@sefton.gov.uk"     # optional
        message_id_domain = "sefton.gov.uk"         # optional: the From domain by default
        councils = ["sefton"]                       # the councils the entry point serves

        [templates.certificate_issued]
        subject = "Your mediation certificate for case ((case_reference))"
        body = \"\"\"
        ...((council_contact))...
        \"\"\"
"""

from __future__ import annotations

import os
import re
import ssl
import tomllib
from collections.abc import Mapping
from email.utils import parseaddr
from pathlib import Path

from attrs import field, frozen

__all__ = ["EmailTemplate", "SmtpConfig", "SmtpConfigError"]

_KIND = re.compile(r"^[a-z][a-z0-9_]*$")


class SmtpConfigError(ValueError):
    """The SMTP channel is misconfigured. The message never contains the password."""


@frozen
class EmailTemplate:
    """One message kind's email: a subject line and a plain-text body with ``((field))``
    placeholders."""

    subject: str
    body: str


def _templates(value: Mapping[str, EmailTemplate]) -> Mapping[str, EmailTemplate]:
    return dict(value)


def _domain(from_address: str) -> str:
    addr = parseaddr(from_address)[1]
    return addr.rpartition("@")[2] or "localhost"


@frozen
class SmtpConfig:
    host: str
    from_address: str
    templates: Mapping[str, EmailTemplate] = field(converter=_templates)
    port: int = 587
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    timeout: float = 10.0
    reply_to: str | None = None
    message_id_domain: str = ""
    ca_file: str | None = None
    councils: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        if not self.message_id_domain:
            object.__setattr__(self, "message_id_domain", _domain(self.from_address))
        if self.username and not self.starttls:
            raise SmtpConfigError("refusing to send a password without STARTTLS")
        for addr in (self.from_address, self.reply_to):
            if addr is not None and "@" not in parseaddr(addr)[1]:
                raise SmtpConfigError("the From and Reply-To addresses must be email addresses")

    def ssl_context(self) -> ssl.SSLContext:
        """A verifying TLS context (the system's CAs, or ``ca_file``)."""
        return ssl.create_default_context(cafile=self.ca_file)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpConfig | None:
        """The configuration from the environment and ``SEN_SMTP_CONFIG``, or ``None`` when
        ``SEN_SMTP_HOST`` or ``SEN_SMTP_CONFIG`` is not set."""
        env = os.environ if environ is None else environ
        host, path = env.get("SEN_SMTP_HOST"), env.get("SEN_SMTP_CONFIG")
        if not host or not path:
            return None
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SmtpConfigError(f"cannot read SEN_SMTP_CONFIG: {exc}") from None
        password = env.get("SEN_SMTP_PASSWORD")
        password_file = env.get("SEN_SMTP_PASSWORD_FILE")
        if password and password_file:
            raise SmtpConfigError("set SEN_SMTP_PASSWORD or SEN_SMTP_PASSWORD_FILE, not both")
        if password_file:
            try:
                password = Path(password_file).read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise SmtpConfigError(
                    f"cannot read SEN_SMTP_PASSWORD_FILE ({type(exc).__name__})") from None
        templates: dict[str, EmailTemplate] = {}
        for kind, spec in (raw.get("templates") or {}).items():
            if not _KIND.match(kind) or not isinstance(spec, Mapping) or not isinstance(
                    spec.get("subject"), str) or not isinstance(spec.get("body"), str):
                raise SmtpConfigError(
                    f"templates.{kind}: needs a message kind with a subject and a body")
            templates[kind] = EmailTemplate(subject=spec["subject"], body=spec["body"])
        try:
            port = int(env.get("SEN_SMTP_PORT", "587"))
            timeout = float(env.get("SEN_SMTP_TIMEOUT", "10"))
        except ValueError:
            raise SmtpConfigError("SEN_SMTP_PORT and SEN_SMTP_TIMEOUT must be numbers") from None
        starttls = env.get("SEN_SMTP_STARTTLS", "true").strip().lower() not in {
            "0", "false", "no", "off"}
        from_address = raw.get("from")
        if not isinstance(from_address, str):
            raise SmtpConfigError("SEN_SMTP_CONFIG needs a 'from' address")
        return cls(
            host=host, port=port, timeout=timeout, starttls=starttls,
            username=env.get("SEN_SMTP_USERNAME") or None, password=password,
            from_address=from_address, reply_to=raw.get("reply_to"),
            message_id_domain=str(raw.get("message_id_domain") or ""),
            ca_file=env.get("SEN_SMTP_CA_FILE") or None, templates=templates,
            councils=tuple(str(c) for c in raw.get("councils") or ()),
        )


