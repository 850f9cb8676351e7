"""Where the Notify channel's settings come from: the key from the environment or a secrets file,
the template ids from a mapping (a TOML or JSON file, or a council plugin's declaration).

Environment (``COUNCIL`` is the council's slug in upper case, ``-`` as ``_``):

``SEN_NOTIFY_API_KEY_<COUNCIL>`` / ``SEN_NOTIFY_API_KEY``
    The GOV.UK Notify API key (the council-specific one wins: each council is its own Notify
    service). Never in code, a repository or the store.
``SEN_NOTIFY_API_KEY_FILE_<COUNCIL>`` / ``SEN_NOTIFY_API_KEY_FILE``
    Instead of the key itself: a file holding it (a container or systemd secret). Setting both
    the key and its file for the same scope is an error.
``SEN_NOTIFY_BASE_URL``
    The API's base URL; by default ``https://api.notifications.service.gov.uk``.
``SEN_NOTIFY_TIMEOUT``
    Seconds per request (default 10).
``SEN_NOTIFY_TEMPLATES``
    A TOML (``.toml``) or JSON file: ``council slug -> message kind -> medium -> template id``::

        [sefton.certificate_issued]
        email = "4f6c...-template-uuid"
        letter = "9a1d...-template-uuid"

    The channel plugin serves exactly the councils this file names.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
import uuid
from collections.abc import Mapping
from pathlib import Path

from attrs import field, frozen

from sen_disagreement.channels import Medium

__all__ = [
    "DEFAULT_BASE_URL",
    "NotifyConfig",
    "NotifyConfigError",
    "TemplateMap",
    "api_key_from_env",
    "load_templates",
    "parse_api_key",
]

DEFAULT_BASE_URL = "https://api.notifications.service.gov.uk"
DEFAULT_TIMEOUT = 10.0

TemplateMap = Mapping[tuple[str, Medium], str]
"""``(message kind, medium) -> Notify template id``."""

_KIND = re.compile(r"^[a-z][a-z0-9_]*$")


class NotifyConfigError(ValueError):
    """The Notify channel is misconfigured. The message never contains the key."""


def parse_api_key(api_key: str) -> tuple[str, str]:
    """``(service id, secret)`` from a Notify API key, read as the official client reads it: the
    last 73 characters are ``<service id>-<secret>``, both UUIDs; anything before them is the
    key's name. A malformed key is refused here rather than at the first send."""
    key = api_key.strip()
    service_id, secret = key[-73:-37], key[-36:]
    try:
        uuid.UUID(service_id)
        uuid.UUID(secret)
    except ValueError:
        raise NotifyConfigError(
            "the GOV.UK Notify API key is malformed: it must end with "
            "'<service id>-<secret key>', two UUIDs (copy it whole from Notify's API keys page)"
        ) from None
    if len(key) < 74 or key[-37] != "-":
        raise NotifyConfigError("the GOV.UK Notify API key is malformed: no key name before it")
    return service_id, secret


def _scope(slug: str | None) -> str:
    return "" if slug is None else "_" + re.sub(r"[^A-Za-z0-9]", "_", slug).upper()


def api_key_from_env(environ: Mapping[str, str], council_slug: str | None = None) -> str | None:
    """The API key for ``council_slug`` (or the installation's), or ``None`` if none is set."""
    scopes = [_scope(council_slug)] if council_slug is not None else []
    for scope in [*scopes, ""]:
        key = environ.get(f"SEN_NOTIFY_API_KEY{scope}")
        key_file = environ.get(f"SEN_NOTIFY_API_KEY_FILE{scope}")
        if key and key_file:
            raise NotifyConfigError(
                f"set SEN_NOTIFY_API_KEY{scope} or SEN_NOTIFY_API_KEY_FILE{scope}, not both")
        if key:
            return key.strip()
        if key_file:
            try:
                return Path(key_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise NotifyConfigError(
                    f"cannot read SEN_NOTIFY_API_KEY_FILE{scope} ({type(exc).__name__})"
                ) from None
    return None


def _templates(raw: object, where: str) -> dict[tuple[str, Medium], str]:
    if not isinstance(raw, Mapping):
        raise NotifyConfigError(f"{where}: expected a table of message kinds")
    out: dict[tuple[str, Medium], str] = {}
    for kind, by_medium in raw.items():
        if not isinstance(kind, str) or not _KIND.match(kind):
            raise NotifyConfigError(f"{where}: {kind!r} is not a message kind")
        if not isinstance(by_medium, Mapping):
            raise NotifyConfigError(f"{where}.{kind}: expected a table of media")
        for medium_name, template_id in by_medium.items():
            try:
                medium = Medium(medium_name)
            except ValueError:
                raise NotifyConfigError(
                    f"{where}.{kind}: {medium_name!r} is not email, sms or letter") from None
            try:
                uuid.UUID(str(template_id))
            except ValueError:
                raise NotifyConfigError(
                    f"{where}.{kind}.{medium_name}: not a Notify template id (a UUID)") from None
            out[(kind, medium)] = str(template_id)
    return out


def load_templates(path: str | os.PathLike[str]) -> dict[str, dict[tuple[str, Medium], str]]:
    """``council slug -> {(kind, medium): template id}`` from a TOML or JSON file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
        raw: object = tomllib.loads(text) if p.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise NotifyConfigError(f"cannot read the templates file {p.name}: {exc}") from None
    if not isinstance(raw, Mapping):
        raise NotifyConfigError(f"{p.name}: expected a table of councils")
    return {str(slug): _templates(kinds, f"{p.name}: {slug}") for slug, kinds in raw.items()}


def _check_key(instance: object, attribute: object, value: str) -> None:
    parse_api_key(value)


def _freeze_templates(value: TemplateMap) -> Mapping[tuple[str, Medium], str]:
    return dict(value)


@frozen
class NotifyConfig:
    """Everything a :class:`~sen_disagreement_notify.NotifyChannel` needs. The key is never in
    its repr."""

    api_key: str = field(repr=False, validator=_check_key)
    templates: Mapping[tuple[str, Medium], str] = field(converter=_freeze_templates)
    base_url: str = DEFAULT_BASE_URL
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_env(
        cls,
        council_slug: str,
        templates: TemplateMap | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> NotifyConfig | None:
        """The configuration for one council, or ``None`` when it has no key or no templates.
        ``templates`` (a council plugin's declaration) wins over ``SEN_NOTIFY_TEMPLATES``."""
        env = os.environ if environ is None else environ
        key = api_key_from_env(env, council_slug)
        if templates is None:
            path = env.get("SEN_NOTIFY_TEMPLATES")
            templates = load_templates(path).get(council_slug) if path else None
        if not key or not templates:
            return None
        try:
            timeout = float(env.get("SEN_NOTIFY_TIMEOUT", DEFAULT_TIMEOUT))
        except ValueError:
            raise NotifyConfigError("SEN_NOTIFY_TIMEOUT must be a number of seconds") from None
        return cls(
            api_key=key,
            templates=templates,
            base_url=env.get("SEN_NOTIFY_BASE_URL") or DEFAULT_BASE_URL,
            timeout=timeout,
        )
