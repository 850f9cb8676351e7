"""The entry point ``smtp``: registers an :class:`SmtpChannel` for the councils listed in the
``SEN_SMTP_CONFIG`` file when ``SEN_SMTP_HOST`` is set; otherwise nothing."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from sen_disagreement.council import CouncilProfile
from sen_disagreement.plugins.spec import hookimpl

from .channel import SmtpChannel
from .config import SmtpConfig

__all__ = ["channels_for", "sen_register_channels"]


def channels_for(council: CouncilProfile, environ: Mapping[str, str] | None = None
                 ) -> tuple[SmtpChannel, ...]:
    config = SmtpConfig.from_env(os.environ if environ is None else environ)
    if config is None or council.slug not in config.councils:
        return ()
    return (SmtpChannel(config),)


@hookimpl
def sen_register_channels(council: CouncilProfile) -> Sequence[SmtpChannel]:
    return channels_for(council)
