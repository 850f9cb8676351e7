"""The entry point ``notify``: registers a :class:`NotifyChannel` for each council named in the
``SEN_NOTIFY_TEMPLATES`` file that has an API key in the environment. Without that
configuration it registers nothing, so installing the package changes nothing by itself.

A council plugin that builds its own Notify channel (as Sefton's does from its declaration)
should not also be listed in ``SEN_NOTIFY_TEMPLATES``: two channels named ``notify`` for one
council are a conflict fault.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

from sen_disagreement.council import CouncilProfile
from sen_disagreement.plugins.spec import hookimpl

from .channel import NotifyChannel
from .config import NotifyConfig, load_templates

__all__ = ["channels_for", "sen_register_channels"]

_cache: dict[tuple[object, ...], NotifyChannel] = {}
_lock = threading.Lock()


def channels_for(council: CouncilProfile, environ: dict[str, str] | None = None
                 ) -> tuple[NotifyChannel, ...]:
    """The Notify channel configured for ``council``, as a 0- or 1-tuple. The channel object is
    kept for the process so that what it remembers about uncertain attempts survives between
    dispatches."""
    env = dict(os.environ) if environ is None else environ
    path = env.get("SEN_NOTIFY_TEMPLATES")
    if not path:
        return ()
    templates = load_templates(path).get(council.slug)
    if not templates:
        return ()
    config = NotifyConfig.from_env(council.slug, templates, env)
    if config is None:
        return ()
    key = (council.slug, config.api_key, config.base_url, config.timeout,
           tuple(sorted((k, m.value, t) for (k, m), t in config.templates.items())))
    with _lock:
        channel = _cache.get(key)
        if channel is None:
            channel = _cache[key] = NotifyChannel.from_config(config)
    return (channel,)


@hookimpl
def sen_register_channels(council: CouncilProfile) -> Sequence[NotifyChannel]:
    return channels_for(council)
