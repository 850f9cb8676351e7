"""Which channels and templates Sefton sends its messages through.

Sefton sends every message kind through GOV.UK Notify (the ``sen-disagreement-notify``
package), using one Notify template per kind and medium. The template ids are not secrets, but
they belong to Sefton's Notify service, not to this repository: each is read from the
environment variable named here (``SEN_SEFTON_NOTIFY_<KIND>_<MEDIUM>``), as is the API key
(``SEN_NOTIFY_API_KEY_SEFTON`` or ``SEN_NOTIFY_API_KEY``, or their ``_FILE`` variants).

The Notify package is imported only when a channel is built, so the plugin installs and loads
without it; with no key or no template ids set, Sefton registers no channel and the dispatcher
falls back to the development ``log`` channel.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from sen_disagreement.channels import Medium, MessageChannel

__all__ = ["CHANNELS", "NOTIFY_TEMPLATE_ENV", "notify_channel", "notify_templates"]

CHANNELS = ("notify",)
"""The channels Sefton uses, by name."""


def _env(kind: str, medium: Medium) -> str:
    return f"SEN_SEFTON_NOTIFY_{kind.upper()}_{medium.value.upper()}"


_KINDS: Mapping[str, tuple[Medium, ...]] = {
    # Statutory messages (sen_disagreement.messages): the media each kind may use.
    "health_issues_to_commissioning_body": (Medium.EMAIL, Medium.LETTER),
    "adviser_told_not_arranged": (Medium.EMAIL, Medium.LETTER),
    "certificate_issued": (Medium.EMAIL, Medium.LETTER),
    "mediation_date_notice": (Medium.EMAIL, Medium.SMS, Medium.LETTER),
    "reg42_duty_due": (Medium.EMAIL, Medium.LETTER),
    # Reminders and alerts to the SEN Casework Team.
    "deadline_reminder": (Medium.EMAIL, Medium.LETTER),
    "appeal_deadline_reminder": (Medium.EMAIL, Medium.LETTER),
    "delivery_failed": (Medium.EMAIL, Medium.LETTER),
}

NOTIFY_TEMPLATE_ENV: Mapping[tuple[str, Medium], str] = {
    (kind, medium): _env(kind, medium) for kind, media in _KINDS.items() for medium in media
}
"""``(message kind, medium) -> the environment variable holding Sefton's Notify template id``."""


def notify_templates(environ: Mapping[str, str] | None = None) -> dict[tuple[str, Medium], str]:
    """The template ids set in the environment (kinds without one are simply not sent by
    Notify)."""
    env = os.environ if environ is None else environ
    return {key: env[var] for key, var in NOTIFY_TEMPLATE_ENV.items() if env.get(var)}


def notify_channel(environ: Mapping[str, str] | None = None) -> MessageChannel | None:
    """Sefton's Notify channel, or ``None`` when the Notify package is not installed or no key
    or template id is configured."""
    env = os.environ if environ is None else environ
    templates = notify_templates(env)
    if not templates:
        return None
    try:
        from sen_disagreement_notify import NotifyChannel, NotifyConfig
    except ImportError:
        return None
    config = NotifyConfig.from_env("sefton", templates, env)
    return None if config is None else NotifyChannel.from_config(config)
