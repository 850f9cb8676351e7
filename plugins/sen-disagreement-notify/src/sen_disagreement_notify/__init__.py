"""A GOV.UK Notify channel for sen-disagreement: email, SMS and letters through the official
``notifications-python-client``.

Install it beside the library and a council plugin; configure it from the environment
(``SEN_NOTIFY_API_KEY`` or ``SEN_NOTIFY_API_KEY_FILE``, ``SEN_NOTIFY_TEMPLATES``; see
:mod:`sen_disagreement_notify.config`) or build :class:`NotifyChannel` in your council plugin's
``sen_register_channels``. ``docs/how-to/set-up-gov-uk-notify.md`` walks through it.
"""

from __future__ import annotations

from .channel import NotifyChannel, NotifyClient
from .config import NotifyConfig, NotifyConfigError, load_templates, parse_api_key

__all__ = [
    "NotifyChannel",
    "NotifyClient",
    "NotifyConfig",
    "NotifyConfigError",
    "__version__",
    "load_templates",
    "parse_api_key",
]

__version__ = "0.1.0"
