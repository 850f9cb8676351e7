"""What a council declares through its plugin, and the two things the host does with it: route a
case to an independent provider, and isolate a misbehaving plugin from the case.

Records (all ``@frozen``, validated when built):

* :class:`CouncilProfile`: name, GSS code, DfE local-authority number, slug.
* :class:`Provider`: a disagreement-resolution provider, mediator or mediation adviser, with what
  the independence rules need (its kind and, where relevant, its employer).
* :class:`Contact`: a published contact, by :class:`ContactRole`.
* :class:`CaseContext` and :class:`CaseEvent`: the minimised, read-only view of a case that
  plugins see. They hold ids, the process and the *bodies* involved; never a family's details.
* :class:`Notification` and the :class:`NotificationChannel` protocol, with
  :class:`LoggingChannel`, the development channel that writes ids and template names to the log.

The council key (:func:`canonical_council`): a council is known by its GSS code. Its slug, DfE
LA number and name are accepted where a council is named (opening a case, the command line,
store queries through the service) and turned into that profile; an unknown or uninstalled
council is refused with :class:`UnknownCouncilError` naming the installed ones.

Routing (:func:`route_provider`) checks every candidate against the independence rules *before*
a plugin chooses, and checks the choice again before it is returned.

Fault isolation: a plugin that raises, returns malformed data or hangs is reported as a
:class:`PluginFault`; if the call concerned a case, the case is parked in an
:class:`AttentionQueue` with an audit entry (:class:`StoreAttentionQueue` writes both through the
case store). The case itself is never changed by the fault.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, overload, runtime_checkable

from attrs import field, frozen

from sen_disagreement._checks import CASE_ID, COUNCIL
from sen_disagreement._enum import Enum
from sen_disagreement.channels import Medium, OutgoingMessage, Receipt
from sen_disagreement.errors import (
    IndependenceError,
    InvalidInputError,
    NoProviderError,
    NotFoundError,
)
from sen_disagreement.independence import IndependenceCheck, check_independence
from sen_disagreement.parties import (
    IDENTIFIER_SHAPES,
    INDEPENDENT_ROLES,
    PEOPLE,
    Employer,
    Identifiers,
    Party,
    PartyKind,
    detached,
)

# Defined in the plugin package's leaf module and re-exported here, where they have always been
# importable; importing it does not import the plugin manager or pluggy.
from sen_disagreement.plugins.faults import PARKED_ACTION as PARKED_ACTION
from sen_disagreement.plugins.faults import (
    AttentionItem,
    AttentionQueue,
    FaultKind,
    MemoryAttentionQueue,
    PluginFault,
    StoreAttentionQueue,
)
from sen_disagreement.settings import DEFAULT_SETTINGS, Settings
from sen_disagreement.voluntary import Process

__all__ = [
    "PROVIDER_KIND_FOR",
    "AttentionItem",
    "AttentionQueue",
    "CaseContext",
    "CaseEvent",
    "Contact",
    "ContactRole",
    "CouncilProfile",
    "FaultKind",
    "LoggingChannel",
    "MemoryAttentionQueue",
    "Notification",
    "NotificationChannel",
    "PluginFault",
    "Provider",
    "Routing",
    "StoreAttentionQueue",
    "UnknownCouncilError",
    "canonical_council",
    "no_provider_error",
    "route_provider",
    "send_notification",
]

log = logging.getLogger("sen_disagreement.council")

_SLUG = re.compile(r"[a-z][a-z0-9-]{0,63}")
_NAME_SLUG = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
# The case-id alphabet of the case store (sen_disagreement.store.contract).
_CASE_ID = CASE_ID
# UK numbers as published: digits and single spaces, 10-11 digits starting 0, or +44.
_PHONE = re.compile(r"(?:0|\+44 ?)[0-9](?: ?[0-9]){8,9}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_URL = re.compile(r"https://[^\s]{1,500}")
_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}")
MAX_TEXT = 200

_Check = Callable[[Any, Any, Any], None]


def _bad(field_name: str, message: str, rule: str) -> InvalidInputError:
    return InvalidInputError(message, field=field_name, rule_id=f"council.{rule}")


def _text(name: str) -> _Check:
    def check(_inst: object, _attr: object, value: Any) -> None:
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
            raise _bad(name, f"must be 1-{MAX_TEXT} characters of text", "text")

    return check


def _optional_text(name: str, limit: int = MAX_TEXT) -> _Check:
    def check(_inst: object, _attr: object, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise _bad(name, f"must be 1-{limit} characters of text, or absent", "text")

    return check


def _pattern(
    name: str, pattern: re.Pattern[str], shape: str, optional: bool = False
) -> _Check:
    def check(_inst: object, _attr: object, value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or pattern.fullmatch(value) is None:
            raise _bad(name, f"must be {shape}", name)

    return check


def _names(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):  # one name, not its characters
        return (value,)
    return tuple(value)


def _delegates(_inst: object, _attr: object, value: tuple[object, ...]) -> None:
    if len(value) > 32:
        raise _bad("delegates", "must name at most 32 plugins", "delegates")
    for i, name in enumerate(value):
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_TEXT:
            raise _bad(f"delegates[{i}]", f"must be a plugin name of 1-{MAX_TEXT} characters",
                       "delegates")
        if name in value[:i]:
            raise _bad(f"delegates[{i}]", "names a plugin already named", "delegates")


# --- The council -------------------------------------------------------------------------------


@frozen(kw_only=True)
class CouncilProfile:
    """One local authority, as its plugin declares it.

    ``name`` is the short name residents use ("Sefton"); ``legal_name`` the full one. ``slug`` is
    the stable key used on the command line, in case records and in Open Referral UK ids.
    """

    name: str = field(validator=_text("name"))
    gss_code: str = field(
        validator=_pattern(
            "gss_code", IDENTIFIER_SHAPES["gss_code"][0], IDENTIFIER_SHAPES["gss_code"][1]
        )
    )
    la_number: str = field(
        validator=_pattern(
            "la_number", IDENTIFIER_SHAPES["la_number"][0], IDENTIFIER_SHAPES["la_number"][1]
        )
    )
    slug: str = field(
        validator=_pattern("slug", _SLUG, "a lower-case slug such as 'sefton'")
    )
    legal_name: str | None = field(default=None, validator=_optional_text("legal_name"))
    website: str | None = field(
        default=None,
        validator=_pattern("website", _URL, "an https:// URL", optional=True),
    )
    delegates: tuple[str, ...] = field(default=(), converter=_names, validator=_delegates)
    """Names of other plugins (entry-point names, or names registered in code) that may answer
    this council's providers, contacts, settings and provider choice. Only the plugin that
    declares the council can name them: see :mod:`sen_disagreement.plugins` (ownership)."""

    def as_party(self) -> Party:
        """The council as a party (a local authority with its identifiers)."""
        return Party(
            kind=PartyKind.LOCAL_AUTHORITY,
            name=self.legal_name or self.name,
            identifiers=Identifiers(gss_code=self.gss_code, la_number=self.la_number),
        )

    @property
    def aliases(self) -> tuple[str, str, str]:
        """The keys a stored case or an actor may name this council by: its GSS code (the
        canonical key, first), slug and LA number."""
        return (self.gss_code, self.slug, self.la_number)

    def matches(self, key: str) -> bool:
        """Whether ``key`` names this council: its slug, GSS code, LA number or name. (To turn a
        key into an installed council, use :func:`canonical_council`.)"""
        folded = key.strip().casefold()
        return folded in {
            self.slug,
            self.gss_code.casefold(),
            self.la_number,
            self.name.casefold(),
            (self.legal_name or self.name).casefold(),
        }


# --- What this module asks of the hook facade ---------------------------------------------------


class HooksLike(Protocol):
    """The part of :class:`sen_disagreement.plugins.Hooks` that routing, the council key and
    notifications use. A protocol rather than an import, so this module (the records every
    plugin builds) never depends on the plugin manager: the facade depends on it, not the other
    way round."""

    def councils(self, *, faults: list[PluginFault] | None = ...) -> list[CouncilProfile]: ...

    def providers(
        self,
        council: CouncilProfile,
        *,
        case_id: str | None = ...,
        faults: list[PluginFault] | None = ...,
    ) -> list[Provider]: ...

    def choose_provider(
        self,
        council: CouncilProfile,
        case: CaseContext,
        candidates: Sequence[Provider],
        *,
        faults: list[PluginFault] | None = ...,
    ) -> Provider | None: ...

    def channels(
        self,
        council: CouncilProfile,
        *,
        case_id: str | None = ...,
        faults: list[PluginFault] | None = ...,
    ) -> Sequence[NotificationChannel]: ...

    def run_isolated(
        self,
        *,
        plugin: str,
        hook: str,
        call: Callable[[], object],
        council: CouncilProfile | None = ...,
        case_id: str | None = ...,
        faults: list[PluginFault] | None = ...,
    ) -> bool: ...


# --- The council key ---------------------------------------------------------------------------

MAX_COUNCIL_KEY = 200
"""Longest council key (slug, GSS code, LA number or name) accepted at the door."""


class UnknownCouncilError(InvalidInputError, NotFoundError):
    """A council key that names no installed council (or names two by their names).

    An :class:`InvalidInputError` (``field``, ``rule_id`` ``council.installed``) and a
    :class:`NotFoundError`. ``installed`` lists the installed councils; the message names each by
    slug and GSS code."""

    def __init__(
        self,
        key: str,
        installed: Sequence[CouncilProfile],
        *,
        field: str = "council",
        rule_id: str = "council.installed",
        problem: str = "is installed",
    ) -> None:
        self.key = key
        self.installed = tuple(installed)
        known = ", ".join(f"{c.slug} ({c.gss_code})" for c in sorted(
            self.installed, key=lambda c: c.slug)) or "none"
        shown = key if len(key) <= 64 else key[:61] + "..."
        message = f"no council {shown!r} {problem} (installed councils: {known})"
        InvalidInputError.__init__(self, message, field=field, rule_id=rule_id)
        self._problem = problem

    def at(self, path: str) -> UnknownCouncilError:
        moved = InvalidInputError.at(self, path)
        return UnknownCouncilError(self.key, self.installed, field=moved.field,
                                   rule_id=self.rule_id, problem=self._problem)

    def __reduce__(self) -> tuple[object, ...]:
        return (_unknown_council, (self.key, self.installed, self.field, self.rule_id,
                                   self._problem))


def _unknown_council(
    key: str, installed: tuple[CouncilProfile, ...], field: str, rule_id: str, problem: str
) -> UnknownCouncilError:
    return UnknownCouncilError(key, installed, field=field, rule_id=rule_id, problem=problem)


def canonical_council(
    hooks: HooksLike, value: str | CouncilProfile, *, field: str = "council"
) -> CouncilProfile:
    """The installed council ``value`` names: the one door through which a council key enters.

    ``value`` is a GSS code (``E08000014``, the canonical key), a slug (``sefton``), a DfE LA
    number (``343``) or a name (``Sefton``, ``Sefton Metropolitan Borough Council``), any case,
    spaces around ignored; or a :class:`CouncilProfile`, which must be installed. The kinds of
    key are tried in that order, so a council merely *named* like another's code or slug is
    never taken for it. Store a case under the answer's ``gss_code``.

    Raises :class:`UnknownCouncilError` (an :class:`InvalidInputError` naming ``field``) when no
    installed council has that key, or two have it as their names, and
    :class:`InvalidInputError` when ``value`` is not a short string."""
    councils = hooks.councils()
    if isinstance(value, CouncilProfile):
        found = next((c for c in councils if c.gss_code == value.gss_code), None)
        if found is None:
            raise UnknownCouncilError(value.gss_code, councils, field=field)
        return found
    given: object = value  # callers without type checking pass anything
    if not isinstance(given, str) or not given.strip() or len(given) > MAX_COUNCIL_KEY:
        raise InvalidInputError(
            f"must be a council's GSS code, slug, LA number or name (1-{MAX_COUNCIL_KEY} "
            "characters)", field=field, rule_id="council.key",
        )
    key = value.strip()
    folded = key.casefold()
    tiers: tuple[Callable[[CouncilProfile], bool], ...] = (
        lambda c: c.gss_code.casefold() == folded,
        lambda c: c.slug == folded,
        lambda c: c.la_number == key,
        lambda c: folded in {c.name.casefold(), (c.legal_name or c.name).casefold()},
    )
    for tier in tiers:
        hits = [c for c in councils if tier(c)]
        if len(hits) == 1:
            return hits[0]
        if hits:  # only names can repeat: the registry refuses a repeated code, slug or number
            raise UnknownCouncilError(key, councils, field=field, rule_id="council.ambiguous",
                                      problem="is one installed council (the name is shared)")
    raise UnknownCouncilError(key, councils, field=field)


# --- Providers ---------------------------------------------------------------------------------

PROVIDER_KIND_FOR: dict[Process, PartyKind] = {
    Process.DISAGREEMENT_RESOLUTION: PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER,
    Process.MEDIATION: PartyKind.MEDIATOR,
}
"""The kind of provider each process is routed to (mediation advisers are contacts of a
decision notice, not routed to a case)."""


def _independent_role(_inst: object, _attr: object, value: Any) -> None:
    if value not in INDEPENDENT_ROLES:
        raise _bad(
            "kind",
            "must be disagreement_resolution_provider, mediator or mediation_adviser",
            "provider_kind",
        )


def _employer(_inst: object, _attr: object, value: Any) -> None:
    if value is not None and not isinstance(value, Employer):
        raise _bad("employer", "must be an Employer or absent", "employer")


@frozen(kw_only=True)
class Provider:
    """An independent provider commissioned by a council.

    ``employer`` is the body employing the provider's people where that matters to the
    independence rules (``None``: an independent organisation). ``provider_id`` is a slug, unique
    within a council.
    """

    provider_id: str = field(
        validator=_pattern("provider_id", _SLUG, "a lower-case slug")
    )
    name: str = field(validator=_text("name"))
    kind: PartyKind = field(validator=_independent_role)
    employer: Employer | None = field(default=None, validator=_employer)
    telephone: str | None = field(
        default=None,
        validator=_pattern("telephone", _PHONE, "a UK telephone number", optional=True),
    )
    email: str | None = field(
        default=None,
        validator=_pattern("email", _EMAIL, "an email address", optional=True),
    )
    url: str | None = field(
        default=None,
        validator=_pattern("url", _URL, "an https:// URL", optional=True),
    )
    description: str | None = field(
        default=None, validator=_optional_text("description", 1000)
    )

    def as_party(self) -> Party:
        """The provider as the appointee :func:`check_independence` examines."""
        return Party(kind=self.kind, name=self.name, employer=self.employer)


# --- Contacts ----------------------------------------------------------------------------------


class ContactRole(Enum):
    """Why someone would contact this office."""

    SEN_CASEWORK_TEAM = "sen_casework_team"
    """The council's SEN casework team (arranges disagreement resolution in many councils)."""
    MEDIATION_ADVISER = "mediation_adviser"
    """The independent mediation adviser a decision notice must name (SEND Regs reg 32(c))."""
    SENDIASS = "sendiass"
    """The local SEND Information, Advice and Support Service."""
    PERSON_ACTING_FOR_LA_REG32F = "person_acting_for_la_reg32f"
    """The person acting for the local authority whom a parent or young person contacts to pursue
    mediation; decision notices must give their contact details (SEND Regs reg 32(f))."""
    DISAGREEMENT_RESOLUTION_SERVICE = "disagreement_resolution_service"
    """Whoever takes requests for disagreement resolution, where not the casework team."""
    MEDIATION_SERVICE = "mediation_service"
    """Whoever arranges mediation sessions, where not the casework team."""

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    ContactRole.SEN_CASEWORK_TEAM: "SEN casework team",
    ContactRole.MEDIATION_ADVISER: "mediation adviser",
    ContactRole.SENDIASS: "SEND information, advice and support service (SENDIASS)",
    ContactRole.PERSON_ACTING_FOR_LA_REG32F: "person acting for the local authority (reg 32(f))",
    ContactRole.DISAGREEMENT_RESOLUTION_SERVICE: "disagreement resolution requests",
    ContactRole.MEDIATION_SERVICE: "mediation arrangements",
}


def _lines(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _address_lines(_inst: object, _attr: object, value: tuple[object, ...]) -> None:
    if len(value) > 6:
        raise _bad("address_lines", "must have at most 6 lines", "address")
    for i, line in enumerate(value):
        if not isinstance(line, str) or not line.strip() or len(line) > 100:
            raise _bad(f"address_lines[{i}]", "must be 1-100 characters", "address")


def _role(_inst: object, _attr: object, value: Any) -> None:
    if not isinstance(value, ContactRole):
        raise _bad("role", "must be a ContactRole", "contact_role")


@frozen(kw_only=True)
class Contact:
    """A published, office-level contact. At least one way to reach it is required."""

    role: ContactRole = field(validator=_role)
    name: str = field(validator=_text("name"))
    address_lines: tuple[str, ...] = field(default=(), converter=_lines, validator=_address_lines)
    town: str | None = field(default=None, validator=_optional_text("town", 100))
    postcode: str | None = field(
        default=None,
        validator=_pattern("postcode", _POSTCODE, "a UK postcode such as L20 7AP", optional=True),
    )
    telephone: str | None = field(
        default=None,
        validator=_pattern("telephone", _PHONE, "a UK telephone number", optional=True),
    )
    email: str | None = field(
        default=None,
        validator=_pattern("email", _EMAIL, "an email address", optional=True),
    )
    url: str | None = field(
        default=None,
        validator=_pattern("url", _URL, "an https:// URL", optional=True),
    )

    def __attrs_post_init__(self) -> None:
        if not (self.address_lines or self.telephone or self.email or self.url):
            raise _bad("contact", "needs an address, telephone, email or URL", "reachable")


# --- The minimised case view plugins see -------------------------------------------------------


def _bodies(value: Iterable[Party]) -> tuple[Party, ...]:
    return tuple(value)


def _only_bodies(_inst: object, _attr: object, value: tuple[object, ...]) -> None:
    for i, party in enumerate(value):
        if not isinstance(party, Party):
            raise _bad(f"bodies[{i}]", "must be a Party", "case_context")
        if party.kind in PEOPLE:
            raise _bad(
                f"bodies[{i}]",
                "a case context carries bodies only; the family's details stay in the case",
                "case_context_minimised",
            )


def _process(_inst: object, _attr: object, value: Any) -> None:
    if not isinstance(value, Process):
        raise _bad("process", "must be a Process", "process")


@frozen(kw_only=True)
class CaseContext:
    """What a plugin may know about a case in order to route it.

    ``bodies`` are the organisations involved (the local authority, the school or college in
    dispute, a health commissioning body); people are refused, so a plugin never receives a
    child's or parent's details.
    """

    case_id: str = field(
        validator=_pattern("case_id", _CASE_ID, "a case id (A-Z a-z 0-9 . _ : / -)")
    )
    process: Process = field(validator=_process)
    health_in_issue: bool = False
    bodies: tuple[Party, ...] = field(default=(), converter=_bodies, validator=_only_bodies)


def _utc(_inst: object, _attr: object, value: Any) -> None:
    if not isinstance(value, dt.datetime) or value.utcoffset() != dt.timedelta(0):
        raise _bad("at", "must be a timezone-aware UTC datetime", "utc")


@frozen(kw_only=True)
class CaseEvent:
    """Something that happened to a case, as observers see it: ids and names only."""

    case_id: str = field(
        validator=_pattern("case_id", _CASE_ID, "a case id")
    )
    name: str = field(
        validator=_pattern("name", _NAME_SLUG, "a lower-case dotted event name")
    )
    at: dt.datetime = field(validator=_utc)
    provider_id: str | None = field(
        default=None,
        validator=_pattern("provider_id", _SLUG, "a provider id", optional=True),
    )


# --- Notifications -----------------------------------------------------------------------------


@frozen(kw_only=True)
class Notification:
    """A notification to send: which case, which template, to whom (a role, not an address).

    A channel looks up the personalisation from ``case_id`` itself under its own access rules;
    nothing confidential travels in the notification.
    """

    case_id: str = field(
        validator=_pattern("case_id", _CASE_ID, "a case id")
    )
    council: str = field(
        validator=_pattern("council", COUNCIL, "a council slug or GSS code")
    )
    template: str = field(
        validator=_pattern("template", _NAME_SLUG, "a template name")
    )
    recipient_role: str = field(
        validator=_pattern("recipient_role", _NAME_SLUG, "a role name")
    )


@runtime_checkable
class NotificationChannel(Protocol):
    """Something that delivers notifications (email, SMS, letter, the development log)."""

    @property
    def name(self) -> str:
        """A lower-case slug, unique among a council's channels (``"log"``, ``"notify-email"``)."""
        ...

    def send(self, notification: Notification) -> None:
        """Deliver one notification or raise. Must be idempotent per (case, template)."""
        ...


class LoggingChannel:
    """The development channel. It is both a (legacy) :class:`NotificationChannel` and a
    :class:`~sen_disagreement.channels.MessageChannel` of every medium.

    A :class:`Notification` is logged as the case id, council, template and recipient role; an
    :class:`~sen_disagreement.channels.OutgoingMessage` as its kind, medium, case reference and
    reference (the idempotency key), never its address or personalisation, to the
    ``sen_disagreement.notifications`` logger at INFO. Nothing else is logged. The dispatcher
    uses it only for a council with no other message channel (development)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or logging.getLogger("sen_disagreement.notifications")

    @property
    def name(self) -> str:
        return "log"

    @property
    def media(self) -> frozenset[Medium]:
        return frozenset(Medium)

    @overload
    def send(self, notification: Notification) -> None: ...
    @overload
    def send(self, notification: OutgoingMessage) -> Receipt: ...

    def send(self, notification: Notification | OutgoingMessage) -> Receipt | None:
        if isinstance(notification, OutgoingMessage):
            self._log.info(
                "message kind=%s medium=%s case=%s council=%s reference=%s",
                notification.kind,
                notification.medium.value,
                notification.case_reference,
                notification.council,
                notification.reference,
            )
            return Receipt(message_id=f"log-{notification.reference}", status="logged")
        self._log.info(
            "notification case=%s council=%s template=%s to=%s",
            notification.case_id,
            notification.council,
            notification.template,
            notification.recipient_role,
        )
        return None


# --- Routing -----------------------------------------------------------------------------------


@frozen(kw_only=True)
class Routing:
    """The provider chosen for a case, the independence rules it passed, and any plugin faults
    met on the way. ``parked`` means a person must confirm the routing before it is acted on.
    ``appointee`` is the provider as a party (:meth:`Provider.as_party`), the very one those
    rules were checked against: the party a case is assigned."""

    case_id: str
    council: CouncilProfile
    provider: Provider
    appointee: Party
    independence: IndependenceCheck
    faults: tuple[PluginFault, ...] = ()

    @property
    def parked(self) -> bool:
        return bool(self.faults)


def _label(council: CouncilProfile | str) -> str:
    if isinstance(council, CouncilProfile):
        return council.name
    key = council.strip()
    if _SLUG.fullmatch(key):
        return key.replace("-", " ").title()
    return key


def no_provider_error(council: CouncilProfile | str, why: str) -> NoProviderError:
    """The error for a council without a usable provider; always starts
    ``no provider configured for <council>``."""
    return NoProviderError(f"no provider configured for {_label(council)}: {why}")


_APPOINTEES: dict[int, tuple[Provider, PartyKind, str, Employer | None, Party]] = {}
"""id(a provider) -> (the provider, its kind, name and employer, its :meth:`Provider.as_party`):
the party :func:`route_provider` checks for independence, built once per provider object (the
facade hands routing the same host copies on every call). Private: the party is never handed
out, so nobody can rewrite it."""


def _appointee(provider: Provider) -> Party:
    """``provider.as_party()``. The party is a function of the provider's kind, name and employer
    objects (its validators read the kind and name, never the employer's fields, which the
    independence check reads from the very employer object), so a kept one answers only while
    the provider still holds those very objects, of exactly the library's types: a provider
    rewritten in place (``object.__setattr__``) or a subclass is built again."""
    kind, name, employer = provider.kind, provider.name, provider.employer
    entry = _APPOINTEES.get(id(provider))
    if (entry is not None and entry[0] is provider and entry[1] is kind and entry[2] is name
            and entry[3] is employer):
        return entry[4]
    party = provider.as_party()
    if (type(provider) is Provider and type(kind) is PartyKind and type(name) is str
            and (employer is None or type(employer) is Employer)):
        if len(_APPOINTEES) >= 1024:  # providers are few; bound it anyway
            _APPOINTEES.clear()
        # Keeping the provider keeps its id from being reused while the entry lives.
        _APPOINTEES[id(provider)] = (provider, kind, name, employer, party)
    return party


def route_provider(
    hooks: HooksLike,
    council: CouncilProfile | str,
    case: CaseContext,
    *,
    settings: Settings = DEFAULT_SETTINGS,
) -> Routing:
    """Choose the provider for ``case`` of ``council`` and check its independence.

    1. The council's providers of the kind the process needs are collected from every plugin.
    2. Each is checked against the independence rules for this case (the bodies in dispute,
       whether health is in issue); those that fail are never offered.
    3. ``sen_choose_provider`` picks among the rest (first valid answer wins; the built-in
       default takes the first); the choice is checked again before it is returned.

    Plugin faults on the way are isolated: the case is parked for manual attention (through the
    facade's :class:`AttentionQueue`), the other plugins' answers are used, and the faults are on
    :attr:`Routing.faults`.

    Raises :class:`NoProviderError` ("no provider configured for Sefton: ...") when the council
    is not installed or declares no provider of the kind needed, and :class:`IndependenceError`
    when every declared provider fails the independence rules for this case.
    """
    if isinstance(council, CouncilProfile):
        profile = council
    else:
        try:
            profile = canonical_council(hooks, council)
        except InvalidInputError:
            raise no_provider_error(
                council, "no installed council plugin declares this council"
            ) from None
    faults: list[PluginFault] = []
    kind = PROVIDER_KIND_FOR[case.process]
    declared = [
        p for p in hooks.providers(profile, case_id=case.case_id, faults=faults) if p.kind is kind
    ]
    if not declared:
        raise no_provider_error(profile, f"no {kind.label} is declared by any installed plugin")
    eligible: list[Provider] = []
    refusals: list[IndependenceError] = []
    for provider in declared:
        try:
            check_independence(
                _appointee(provider),
                case_parties=case.bodies,
                health_in_issue=case.health_in_issue,
                settings=settings,
            )
        except IndependenceError as refused:
            refusals.append(refused)
        else:
            eligible.append(provider)
    if not eligible:
        first = refusals[0]
        raise IndependenceError(
            f"none of {profile.name}'s {len(declared)} {kind.label}(s) is independent for this "
            f"case; first refusal: {first.args[0]}",
            rule_id=first.rule_id,
            citation=first.citation,
        )
    chosen = hooks.choose_provider(profile, case, tuple(eligible), faults=faults)
    if chosen is None:  # only when the built-in default is blocked and no plugin answered
        chosen = eligible[0]
    # The choice is checked again as it is now (a host's own HooksLike is handed the candidates
    # themselves and could rewrite its pick in place before answering; the plugin facade hands
    # plugins copies), detached into the library's own objects: what the pick's objects answer
    # later, or to other readers, changes nothing checked.
    appointee = detached(chosen.as_party(), field="provider")
    check = check_independence(
        appointee,
        case_parties=case.bodies,
        health_in_issue=case.health_in_issue,
        settings=settings,
    )
    return Routing(
        case_id=case.case_id,
        council=profile,
        provider=chosen,
        appointee=appointee,
        independence=check,
        faults=tuple(faults),
    )


def send_notification(
    hooks: HooksLike, council: CouncilProfile, notification: Notification
) -> list[str]:
    """Send ``notification`` through every (legacy) notification channel of ``council``; return
    the names of the channels that accepted it. Deprecated: statutory messages go through the
    outbox and :func:`sen_disagreement.dispatch.dispatch`; channels that are
    :class:`~sen_disagreement.channels.MessageChannel` s (other than the log) are skipped
    here. A channel that raises or hangs is isolated like a hook: the case is parked and the
    other channels still send."""
    sent: list[str] = []
    channels = hooks.channels(council, case_id=notification.case_id)
    for channel in channels:
        if not isinstance(channel, LoggingChannel) and hasattr(channel, "media"):
            # A MessageChannel takes OutgoingMessages from the dispatcher, not Notifications.
            continue
        if hooks.run_isolated(
            plugin=f"channel:{channel.name}",
            hook="NotificationChannel.send",
            call=functools.partial(channel.send, notification),
            council=council,
            case_id=notification.case_id,
        ):
            sent.append(channel.name)
    return sent
