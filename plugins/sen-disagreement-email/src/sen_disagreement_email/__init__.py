"""An SMTP email channel for sen-disagreement: stdlib ``smtplib`` and ``email``, STARTTLS,
authentication, a deterministic ``Message-ID`` per idempotency key, plain-text bodies from
per-kind templates that may use only the message's allow-listed fields."""

from __future__ import annotations

from .channel import SmtpChannel, message_id_for, render
from .config import EmailTemplate, SmtpConfig, SmtpConfigError

__all__ = [
    "EmailTemplate",
    "SmtpChannel",
    "SmtpConfig",
    "SmtpConfigError",
    "__version__",
    "message_id_for",
    "render",
]

__version__ = "0.1.0"
