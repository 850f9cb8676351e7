"""What a notification channel receives and returns: the contract between the dispatcher and a
council's channel plugins (GOV.UK Notify, SMTP email, the development log).

A channel is handed one :class:`OutgoingMessage` at a time: the message kind (a statutory
communication or a reminder), the address of its one recipient, and the personalisation the
kind's allow-list permits (a case reference, dates, the council's contact, a certificate's
kind). Nothing recorded in disagreement resolution or mediation, and no health detail, ever
reaches a channel. The channel delivers it or raises :class:`ChannelError`, saying whether a
retry may succeed. ``reference`` is the message's idempotency key: a channel that can dedupe
(Notify's ``reference``, an SMTP ``Message-ID``) passes it on, so a retried message that was in
fact delivered is recognised. ``attempt`` and ``may_already_have_been_sent`` tell a channel that
cannot dedupe by reference that this is a retry after an attempt whose outcome nobody knows (a
timeout after the server may have accepted), so it can decide: look the reference up first, mark
the message as a possible duplicate, or send it all the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable

from attrs import field, frozen

from sen_disagreement._enum import Enum
from sen_disagreement.errors import InvalidInputError, SenDisagreementError

__all__ = [
    "Address",
    "ChannelError",
    "KindAwareChannel",
    "Medium",
    "MessageChannel",
    "OutgoingMessage",
    "Receipt",
]


class Medium(Enum):
    """How a message reaches its recipient."""

    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"


def _postal(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@frozen
class Address:
    """Where one recipient is reached. Personal data: never logged, never in an error."""

    email: str | None = None
    phone: str | None = None
    postal: tuple[str, ...] = field(default=(), converter=_postal)
    """Address lines, the postcode last (GOV.UK Notify letters need 3 to 7 lines)."""

    def __repr__(self) -> str:
        # A repr that could reach a log line or a traceback names which parts are present only.
        parts = [n for n in ("email", "phone") if getattr(self, n)] + (
            ["postal"] if self.postal else [])
        return f"Address(<{', '.join(parts) or 'empty'}>)"


def _personalisation(value: Mapping[str, str] | Iterable[tuple[str, str]]
                     ) -> tuple[tuple[str, str], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted((str(k), str(v)) for k, v in items))


def _attempt(_inst: object, _attr: object, value: object) -> None:
    if type(value) is not int or value < 1:
        raise InvalidInputError("must be a whole number from 1", field="attempt",
                                rule_id="input.range")


def _flag(_inst: object, _attr: object, value: object) -> None:
    if type(value) is not bool:
        raise InvalidInputError("must be true or false", field="may_already_have_been_sent",
                                rule_id="input.type")


@frozen
class OutgoingMessage:
    """One message to one recipient, as a channel receives it."""

    kind: str
    """The message kind (``certificate_issued``, ``deadline_reminder``...): a channel maps it to
    its own template."""
    medium: Medium
    council: str
    """The council's GSS code."""
    case_reference: str
    address: Address = field(repr=False)
    personalisation: tuple[tuple[str, str], ...] = field(converter=_personalisation)
    """Only the fields the kind's allow-list names, as text."""
    reference: str
    """The idempotency key: the same on every attempt at this message."""
    attempt: int = field(default=1, validator=_attempt)
    """Which try at this message this is, from 1. Tries within the dispatcher's current claim are
    counted exactly; each earlier claim counts once (a lower bound: it may have tried more)."""
    may_already_have_been_sent: bool = field(default=False, validator=_flag)
    """An earlier attempt's outcome is unknown (it timed out or lost its answer after the
    request went out, or a dispatcher holding it died): the recipient may already have it. A
    channel that dedupes by ``reference`` is safe either way; one that cannot should decide."""

    @property
    def fields(self) -> dict[str, str]:
        return dict(self.personalisation)


@frozen
class Receipt:
    """What a channel says about a delivered (or accepted) message: ids and status only."""

    message_id: str
    status: str = "accepted"


class ChannelError(SenDisagreementError):
    """A channel could not deliver a message. ``retryable``: a later attempt may succeed (a
    timeout, 429, 5xx); otherwise (400, 403, a refused address) it never will.
    ``outcome_unknown``: the request may have been accepted all the same (no answer, a lost
    connection, an unreadable answer); the next attempt is sent with
    :attr:`OutgoingMessage.may_already_have_been_sent`. The message names the channel and the
    cause, never the address or the personalisation."""

    def __init__(self, message: str, *, channel: str, retryable: bool,
                 outcome_unknown: bool = False) -> None:
        self.channel = channel
        self.retryable = retryable
        self.outcome_unknown = outcome_unknown
        super().__init__(f"channel {channel!r}: {message}")


@runtime_checkable
class MessageChannel(Protocol):
    """Something that delivers :class:`OutgoingMessage` s."""

    @property
    def name(self) -> str:
        """A lower-case slug, unique among a council's channels (``"notify"``, ``"smtp"``)."""
        ...

    @property
    def media(self) -> frozenset[Medium]:
        """The media this channel can deliver."""
        ...

    def send(self, message: OutgoingMessage) -> Receipt:
        """Deliver one message or raise :class:`ChannelError`."""
        ...


@runtime_checkable
class KindAwareChannel(MessageChannel, Protocol):
    """A :class:`MessageChannel` that also says which message kinds it takes (optional).

    The dispatcher sends a message through the first of the council's message channels, in the
    order its plugins registered them, whose ``media`` include the medium chosen for the
    recipient and which, if it has an ``accepts`` method, accepts the kind and medium. A plugin
    thereby chooses the channel per kind and recipient: register the channel for the kinds it
    serves first, and answer ``False`` from ``accepts`` for the others.

    .. versionadded:: 0.5.0
    """

    def accepts(self, kind: str, medium: Medium) -> bool:
        """Whether this channel delivers messages of ``kind`` by ``medium``."""
        ...
