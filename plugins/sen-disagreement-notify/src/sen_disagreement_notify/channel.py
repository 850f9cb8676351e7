"""The GOV.UK Notify channel: email, SMS and letters through the official client."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Literal, Protocol

import requests
from notifications_python_client.errors import APIError, HTTPError, InvalidResponse
from notifications_python_client.notifications import NotificationsAPIClient

from sen_disagreement.channels import ChannelError, Medium, OutgoingMessage, Receipt

from .config import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, NotifyConfig, TemplateMap, parse_api_key

__all__ = ["NotifyChannel", "NotifyClient"]

_UNCERTAIN_LIMIT = 100_000


class _Uncertain(ChannelError):
    """A retryable failure after which Notify may hold the notification all the same."""

    def __init__(self, message: str, *, channel: str, retryable: bool = True) -> None:
        super().__init__(message, channel=channel, retryable=retryable, outcome_unknown=True)


class NotifyClient(Protocol):
    """The part of :class:`NotificationsAPIClient` the channel calls."""

    def send_email_notification(self, *, email_address: str, template_id: str,
                                personalisation: dict[str, str], reference: str) -> Any: ...

    def send_sms_notification(self, *, phone_number: str, template_id: str,
                              personalisation: dict[str, str], reference: str) -> Any: ...

    def send_letter_notification(self, *, template_id: str, personalisation: dict[str, str],
                                 reference: str) -> Any: ...

    def get_notification_by_id(self, id: str) -> Any: ...

    def get_all_notifications(self, *, reference: str) -> Any: ...


ClientFactory = Callable[..., NotifyClient]


def _default_client(api_key: str, base_url: str, timeout: float) -> NotifyClient:
    factory: ClientFactory = NotificationsAPIClient
    return factory(api_key, base_url=base_url, timeout=timeout)


def _error_codes(exc: APIError) -> str:
    """The error class names Notify answered with (``BadRequestError``...), never its messages:
    a message can quote what was sent."""
    try:
        body = exc.response.json() if exc.response is not None else None
    except ValueError:
        body = None
    names: list[str] = []
    if isinstance(body, Mapping):
        for item in body.get("errors") or ():
            if isinstance(item, Mapping) and isinstance(item.get("error"), str):
                names.append(item["error"][:40])
    return ", ".join(sorted(set(names))) or "no error code"


class NotifyChannel:
    """Delivers :class:`OutgoingMessage` s through GOV.UK Notify.

    * The template is chosen by the message's kind and medium from ``templates``; a kind with no
      template for the medium is a permanent :class:`ChannelError`.
    * ``reference`` (the idempotency key) is sent as Notify's ``reference``. When an attempt may
      have been accepted although no answer arrived (a timeout, a dropped connection, an
      unreadable answer, a 5xx), the error says so (``outcome_unknown``) and the next attempt at
      the same reference first lists Notify's notifications with that reference and returns the
      one found instead of sending again. It looks first whenever the message says it
      :attr:`~sen_disagreement.channels.OutgoingMessage.may_already_have_been_sent` (the
      dispatcher sets it on a retry after an unknown outcome and on every later claim, so a
      retry in another process, after a kill, is deduped too), when this channel object
      remembers the reference as uncertain, and, with ``lookup="always"``, before every send.
    * 400 and 403 are permanent (``retryable=False``); 429, 5xx, timeouts and connection errors
      are retryable. Error messages name the status and Notify's error codes only: never the
      address or the personalisation.
    """

    def __init__(
        self,
        *,
        api_key: str,
        templates: TemplateMap,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = DEFAULT_TIMEOUT,
        name: str = "notify",
        lookup: Literal["after-uncertain", "always"] = "after-uncertain",
        client_factory: Callable[[str, str, float], NotifyClient] = _default_client,
    ) -> None:
        parse_api_key(api_key)  # refuse a malformed key now, not at the first send
        self._name = name
        self._templates = dict(templates)
        self._lookup = lookup
        self._client_factory = client_factory
        self._api_key = api_key
        self._base_url = base_url
        self._timeout = timeout
        # The client keeps a requests.Session and is not thread-safe: one per thread.
        self._local = threading.local()
        self._uncertain: OrderedDict[str, None] = OrderedDict()
        self._uncertain_lock = threading.Lock()

    @classmethod
    def from_config(cls, config: NotifyConfig, **kwargs: Any) -> NotifyChannel:
        return cls(api_key=config.api_key, templates=config.templates,
                   base_url=config.base_url, timeout=config.timeout, **kwargs)

    def __repr__(self) -> str:
        return f"NotifyChannel(name={self._name!r}, base_url={self._base_url!r})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def media(self) -> frozenset[Medium]:
        return frozenset(medium for _, medium in self._templates)

    def accepts(self, kind: str, medium: Medium) -> bool:
        """Whether a template is configured for ``kind`` by ``medium``
        (:class:`~sen_disagreement.channels.KindAwareChannel`)."""
        return (kind, medium) in self._templates

    @property
    def client(self) -> NotifyClient:
        client: NotifyClient | None = getattr(self._local, "client", None)
        if client is None:
            client = self._client_factory(self._api_key, self._base_url, self._timeout)
            self._local.client = client
        return client

    # -- sending ---------------------------------------------------------------------------

    def send(self, message: OutgoingMessage) -> Receipt:
        template_id = self._templates.get((message.kind, message.medium))
        if template_id is None:
            raise ChannelError(
                f"no Notify template for {message.kind!r} by {message.medium.value}",
                channel=self._name, retryable=False)
        if (self._lookup == "always" or message.may_already_have_been_sent
                or self._is_uncertain(message.reference)):
            found = self.find(message.reference)
            if found is not None:
                self._forget(message.reference)
                return found
        try:
            response = self._post(message, template_id)
        except ChannelError as exc:
            if isinstance(exc, _Uncertain):
                self._remember(message.reference)
            raise
        self._forget(message.reference)
        return Receipt(message_id=str(response["id"]), status="accepted")

    def _post(self, message: OutgoingMessage, template_id: str) -> Mapping[str, Any]:
        fields = message.fields
        address = message.address
        client = self.client
        if message.medium is Medium.EMAIL:
            if not address.email:
                raise self._refused("the recipient has no email address")
            call: Callable[[], Any] = lambda: client.send_email_notification(  # noqa: E731
                email_address=address.email or "", template_id=template_id,
                personalisation=fields, reference=message.reference)
        elif message.medium is Medium.SMS:
            if not address.phone:
                raise self._refused("the recipient has no phone number")
            call = lambda: client.send_sms_notification(  # noqa: E731
                phone_number=address.phone or "", template_id=template_id,
                personalisation=fields, reference=message.reference)
        else:
            lines = address.postal
            if not 3 <= len(lines) <= 7:
                raise self._refused(
                    f"a letter needs 3 to 7 address lines, the recipient has {len(lines)}")
            clashing = sorted(k for k in fields if k.startswith("address_line_"))
            if clashing:
                raise self._refused(f"personalisation may not set {clashing[0]}")
            personalisation = {**fields, **{
                f"address_line_{i}": line for i, line in enumerate(lines, start=1)}}
            call = lambda: client.send_letter_notification(  # noqa: E731
                template_id=template_id, personalisation=personalisation,
                reference=message.reference)
        response = self._call(call, "send")
        if not isinstance(response, Mapping) or not isinstance(response.get("id"), str):
            raise _Uncertain("Notify accepted the request but answered without an id",
                             channel=self._name, retryable=True)
        return response

    def _refused(self, why: str) -> ChannelError:
        return ChannelError(why, channel=self._name, retryable=False)

    def _call(self, call: Callable[[], Any], what: str) -> Any:
        error: ChannelError
        try:
            return call()
        except InvalidResponse:
            error = _Uncertain(f"Notify answered the {what} with something that is not JSON",
                               channel=self._name, retryable=True)
        except HTTPError as exc:
            error = self._map(exc, what)
        except requests.RequestException as exc:  # the client wraps these; defensive
            error = _Uncertain(f"{what} failed ({type(exc).__name__})",
                               channel=self._name, retryable=True)
        raise error

    def _map(self, exc: HTTPError, what: str) -> ChannelError:
        if exc.response is None:
            # No answer: a timeout or a connection error (the client reports it as 503). The
            # request may have reached Notify and been accepted.
            cause = exc.__cause__
            kind = "timed out" if isinstance(cause, requests.Timeout) else (
                f"failed ({type(cause).__name__})" if cause is not None else "failed")
            return _Uncertain(f"the {what} request {kind}", channel=self._name, retryable=True)
        status = exc.status_code
        codes = _error_codes(exc)
        if status == 429:
            return ChannelError(f"Notify answered 429 ({codes}): rate or daily limit reached",
                                channel=self._name, retryable=True)
        if status >= 500:
            # A server error may come after the notification was stored: look before resending.
            return _Uncertain(f"Notify answered {status} ({codes})", channel=self._name,
                                retryable=True)
        # 400 (a bad request: template, personalisation, address) and 403 (the key) never
        # change on a retry; nor does any other 4xx.
        return ChannelError(f"Notify answered {status} ({codes})", channel=self._name,
                            retryable=not 400 <= status < 500)

    # -- dedupe and status -----------------------------------------------------------------

    def _is_uncertain(self, reference: str) -> bool:
        with self._uncertain_lock:
            return reference in self._uncertain

    def _remember(self, reference: str) -> None:
        with self._uncertain_lock:
            self._uncertain[reference] = None
            self._uncertain.move_to_end(reference)
            while len(self._uncertain) > _UNCERTAIN_LIMIT:
                self._uncertain.popitem(last=False)

    def _forget(self, reference: str) -> None:
        with self._uncertain_lock:
            self._uncertain.pop(reference, None)

    def find(self, reference: str) -> Receipt | None:
        """The notification Notify holds for ``reference`` (its most recent), or ``None``."""
        answer = self._call(lambda: self.client.get_all_notifications(reference=reference),
                            "lookup by reference")
        items = answer.get("notifications") if isinstance(answer, Mapping) else None
        for item in items or ():
            if isinstance(item, Mapping) and item.get("reference") == reference:
                return Receipt(message_id=str(item["id"]), status=str(item.get("status", "")))
        return None

    def status(self, message_id: str) -> Receipt:
        """The delivery status Notify reports for one notification (ids and status only)."""
        answer = self._call(lambda: self.client.get_notification_by_id(message_id), "status")
        if not isinstance(answer, Mapping):
            raise ChannelError("Notify answered the status request without a notification",
                               channel=self._name, retryable=True)
        return Receipt(message_id=str(answer.get("id", message_id)),
                       status=str(answer.get("status", "unknown")))
