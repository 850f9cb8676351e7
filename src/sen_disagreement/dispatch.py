"""The dispatcher: sends the outbox's messages through the council's channels.

:func:`dispatch` claims up to ``limit`` due messages with a lease (so several dispatchers can
run at once: ``SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite; a killed
dispatcher's claims lapse after ``lease`` and are claimed again), and for each one:

1. resolves it (:func:`sen_disagreement.messages.resolve`): the stored case and the council
   plugin's contacts give the recipient's address and the kind's allow-listed fields;
2. chooses the channel: the first of the council's
   :class:`~sen_disagreement.channels.MessageChannel` s (in the order its plugins registered
   them) that delivers a medium the kind prefers and the recipient has an address for, and
   accepts the kind (optional ``accepts``); the development ``log`` channel only when the
   council has no other;
3. sends it, retrying a retryable :class:`~sen_disagreement.channels.ChannelError` with
   ``stamina`` (exponential backoff with jitter, bounded attempts and time); ``reference`` is
   the idempotency key on every attempt, so a channel that dedupes (Notify's ``reference``, an
   SMTP ``Message-ID``) recognises a message it already took;
4. settles it: marks it sent, or failed for a later claim (backing off), or dead: a message
   that is not retryable (no address, a field outside its allow-list, a refusal) or has been
   tried ``max_attempts`` times is dead-lettered, and the council's SEN casework team is
   alerted (a ``delivery_failed`` message, queued once per dead message);
5. and, in the same transaction (:meth:`~sen_disagreement.store.Store.settle_outbox`), records
   the delivery status in the audit trail: the outbox id, the channel and the channel's message
   id only. The mark is checked against the claim: a dispatcher whose lease lapsed and whose
   message another dispatcher claimed since writes nothing (that claim records its own).

``settle_every`` (default 1: one commit per message) lets up to that many settlements share
one commit; a group is written once full, once its oldest has waited :data:`SETTLE_WITHIN`
seconds or a quarter of the lease (checked between sends, so one slow send can hold it longer;
a late mark is still checked against the claim), before a batch ends, and on the way out of an
exception.
The price: a dispatcher killed with a group unwritten sends that group again after the lease
(each flagged ``may_already_have_been_sent``), where one commit per message resends at most
one.

``stamina``'s retry instrumentation is replaced, process-wide, by one that logs the attempt
number, the wait and the exception's type only (its default logs the exception's repr, which a
channel plugin could have filled with an address).

Delivery is at least once: a dispatcher killed between a send and its mark leaves the message
claimed; it is sent again after the lease, with the same reference. A mark never commits
without its audit entry, nor an entry without its mark. Nothing personal is logged
or raised: log lines and errors name outbox ids, kinds, channels and rule ids.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import stamina
from attrs import field, frozen

from sen_disagreement.channels import ChannelError, MessageChannel, OutgoingMessage, Receipt
from sen_disagreement.council import (
    Contact,
    CouncilProfile,
    LoggingChannel,
    PluginFault,
    canonical_council,
)
from sen_disagreement.errors import InvalidInputError, NotFoundError, SenDisagreementError
from sen_disagreement.messages import (
    DELIVERY_FAILED,
    MessageError,
    Resolved,
    alert,
    kind_of,
    resolve,
)
from sen_disagreement.plugins import Hooks
from sen_disagreement.store.contract import (
    AuditEntry,
    OutboxItem,
    OutboxMessage,
    OutboxStatus,
    Settlement,
    Store,
)
from sen_disagreement.workflow import Case, records

__all__ = ["ACTOR", "SETTLE_WITHIN", "ChannelChoice", "Delivery", "DispatchReport",
           "RetryPolicy", "dispatch", "dispatch_all"]

log = logging.getLogger("sen_disagreement.dispatch")

ACTOR = "system.dispatcher"
"""The actor of the dispatcher's audit entries."""
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")

ChannelChoice = Callable[[CouncilProfile], Sequence[MessageChannel]]
"""A council's channels chosen by the caller instead of its plugins (``channels=``): a demo or
a test that must send to a local server only, whatever the environment configures."""


def _count(_inst: object, attribute: Any, value: Any) -> None:
    if type(value) is not int or not 1 <= value <= 100:
        raise InvalidInputError("must be an integer in 1..100", field=attribute.name,
                                rule_id="input.range")


def _seconds(_inst: object, attribute: Any, value: Any) -> None:
    if type(value) not in (int, float) or not 0 <= value <= 3600:
        raise InvalidInputError("must be 0-3600 seconds", field=attribute.name,
                                rule_id="input.range")


def _span(_inst: object, attribute: Any, value: Any) -> None:
    if not isinstance(value, dt.timedelta) or not (
        dt.timedelta(0) <= value <= dt.timedelta(days=7)
    ):
        raise InvalidInputError("must be a duration of 0 to 7 days", field=attribute.name,
                                rule_id="input.range")


@frozen(kw_only=True)
class RetryPolicy:
    """How hard one claim of a message tries (``stamina``), and how long a message that still
    failed waits before it is claimed again. Every value is bounded (attempts 1-100, seconds
    0-3600, backoffs 0-7 days); anything else is an :class:`InvalidInputError`."""

    attempts: int = field(default=3, validator=_count)
    """Attempts within one claim (``stamina`` ``attempts``)."""
    timeout: float = field(default=30.0, validator=_seconds)
    """Seconds all attempts of one claim may take together (``stamina`` ``timeout``)."""
    wait_initial: float = field(default=0.2, validator=_seconds)
    wait_max: float = field(default=5.0, validator=_seconds)
    wait_jitter: float = field(default=0.5, validator=_seconds)
    backoff: dt.timedelta = field(default=dt.timedelta(minutes=1), validator=_span)
    """The wait before the first re-claim; doubled for each attempt, with jitter."""
    backoff_max: dt.timedelta = field(default=dt.timedelta(hours=6), validator=_span)

    def retry_at(self, now: dt.datetime, attempts: int, rng: random.Random) -> dt.datetime:
        base = min(self.backoff * (1 << max(0, min(attempts - 1, 30))), self.backoff_max)
        return now + base * (0.5 + rng.random() / 2)


SETTLE_WITHIN = 0.5
"""Seconds the oldest of a group of settlements (``settle_every`` > 1) may wait to be written;
never more than a quarter of the lease."""

NO_WAIT = RetryPolicy(wait_initial=0.0, wait_max=0.0, wait_jitter=0.0,
                      backoff=dt.timedelta(0), backoff_max=dt.timedelta(0))
"""For tests and benchmarks: retries without waiting."""


@frozen(kw_only=True)
class Delivery:
    """What happened to one claimed message: ids, kinds and statuses only."""

    outbox_id: int
    case_id: str
    kind: str
    recipient: str
    """``party:<id>`` or ``contact:<role>``."""
    rule_id: str
    status: str
    """``sent``, ``retry`` (failed; claimed again later) or ``dead``."""
    attempts: int
    channel: str | None = None
    message_id: str | None = None
    reason: str | None = None
    """Why it failed: a rule id or the channel's error class, never a value."""


@frozen(kw_only=True)
class DispatchReport:
    """What a ``dispatch`` (or ``dispatch_all``) run did: how many messages it claimed and a
    ``Delivery`` for each, with counts of those sent, to retry and dead-lettered."""

    claimed: int
    deliveries: tuple[Delivery, ...] = field(default=())

    def _count(self, status: str) -> int:
        return sum(1 for d in self.deliveries if d.status == status)

    @property
    def sent(self) -> int:
        return self._count("sent")

    @property
    def retried(self) -> int:
        return self._count("retry")

    @property
    def dead(self) -> int:
        return self._count("dead")

    def summary(self) -> str:
        return (f"claimed {self.claimed} message(s): {self.sent} sent, {self.retried} to retry, "
                f"{self.dead} dead-lettered")

    def as_json(self) -> dict[str, Any]:
        return {
            "claimed": self.claimed, "sent": self.sent, "retried": self.retried,
            "dead": self.dead,
            "deliveries": [
                {"outbox_id": d.outbox_id, "case_id": d.case_id, "kind": d.kind,
                 "recipient": d.recipient, "rule_id": d.rule_id, "status": d.status,
                 "attempts": d.attempts, "channel": d.channel, "message_id": d.message_id,
                 "reason": d.reason}
                for d in self.deliveries
            ],
        }


class _Retry(Exception):
    """A failure a later claim may get past (a plugin fault, an unknown channel exception)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class _Dead(Exception):
    """A failure no later attempt gets past."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@frozen
class _CaseView:
    case: Case
    council: CouncilProfile
    contacts: tuple[Contact, ...]
    channels: tuple[MessageChannel, ...]


def _safe_id(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return _SAFE.sub("_", value)[:80]


class _Batch:
    def __init__(self, store: Store, hooks: Hooks, now: dt.datetime, policy: RetryPolicy,
                 max_attempts: int, rng: random.Random,
                 channels: ChannelChoice | None = None, *, settle_every: int = 1,
                 settle_within: float = 0.0) -> None:
        self.channels = channels
        self.store = store
        self.hooks = hooks
        self.now = now
        self.policy = policy
        self.max_attempts = max_attempts
        self.rng = rng
        self.views: dict[str, _CaseView | Exception] = {}
        self.settle_every = settle_every
        self.settle_within = settle_within
        self.deliveries: list[Delivery] = []
        self.pending: list[tuple[int, Settlement]] = []
        """Settlements not yet written, each with its delivery's index."""
        self.oldest = 0.0

    def settle(self, item: OutboxItem, delivery: Delivery, status: OutboxStatus, action: str,
               fields: tuple[str, ...], *, retry_at: dt.datetime | None = None,
               alert: OutboxMessage | None = None) -> None:
        """Record ``delivery`` and queue its settlement (the mark and its audit entry, written
        together by :meth:`Store.settle_outbox`); written now or with the next few."""
        entry = AuditEntry(actor=ACTOR, action=action, at=self.now,
                           case_id=item.message.case_id, outcome=delivery.status,
                           fields=(f"outbox.{item.id}", *fields))
        if not self.pending:
            self.oldest = time.monotonic()
        self.pending.append((len(self.deliveries), Settlement(
            outbox_id=item.id, claim=item.attempts, status=status, entry=entry,
            retry_at=retry_at, alert=alert)))
        self.deliveries.append(delivery)
        self.flush_due()

    def flush_due(self) -> None:
        """Write the pending settlements once there are ``settle_every`` of them, or the oldest
        has waited ``settle_within`` seconds (so a slow send never holds earlier marks)."""
        if self.pending and (len(self.pending) >= self.settle_every
                             or time.monotonic() - self.oldest >= self.settle_within):
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        if not pending:
            return
        written = self.store.settle_outbox([s for _, s in pending])
        for (index, s), ok in zip(pending, written, strict=True):
            if not ok:
                # Another claim of it (after our lease lapsed) owns it now, or settled it, or
                # its case was purged: nothing of ours is written; that claim records its own.
                log.info("outbox %s: claim %d is no longer current; its outcome was not "
                         "recorded", s.outbox_id, s.claim)
                self.deliveries[index] = attrs.evolve(self.deliveries[index],
                                                      reason="claim_superseded")

    def view(self, case_id: str) -> _CaseView:
        cached = self.views.get(case_id)
        if cached is None:
            try:
                cached = self._load(case_id)
            except (_Retry, _Dead) as exc:
                cached = exc
            self.views[case_id] = cached
        if isinstance(cached, Exception):
            raise cached
        return cached

    def _load(self, case_id: str) -> _CaseView:
        try:
            record = self.store.load(case_id)
        except NotFoundError:
            raise _Dead("notify.case") from None
        except SenDisagreementError as exc:  # a stored-data fault: named by type only
            raise _Dead(type(exc).__name__) from None
        try:
            council = canonical_council(self.hooks, record.council)
        except InvalidInputError:
            raise _Retry("council.installed") from None  # a plugin not installed (yet)
        try:
            case = records.from_record(record)
        except SenDisagreementError as exc:
            raise _Dead(type(exc).__name__) from None
        faults: list[PluginFault] = []
        contacts = tuple(self.hooks.contacts(council, faults=faults))
        registered: list[object] = (list(self.hooks.channels(council, faults=faults))
                                    if self.channels is None else [])
        if faults:
            raise _Retry("plugin_fault")
        if self.channels is not None:
            try:
                registered = list(self.channels(council))
            except Exception:  # the caller's own bug: never its text
                raise _Retry("channel_choice") from None
        message_channels = [c for c in registered if isinstance(c, MessageChannel)]
        own = [c for c in message_channels if not isinstance(c, LoggingChannel)]
        return _CaseView(case=case, council=council, contacts=contacts,
                         channels=tuple(own or message_channels))

    def choose(self, view: _CaseView, resolved: Resolved, reference: str, claim: int = 1
               ) -> tuple[MessageChannel, OutgoingMessage] | None:
        """The channel for ``resolved`` and the message it is handed. ``claim``: the outbox
        row's claim count; a message claimed before may already have been sent (the store does
        not say whether an earlier claim ended in a clean refusal, a send whose answer was lost,
        or a dispatcher killed after sending), so it says so."""
        for medium in resolved.kind.media:
            if not _has(resolved, medium):
                continue
            for channel in view.channels:
                try:
                    if medium not in channel.media:
                        continue
                    accepts = getattr(channel, "accepts", None)
                    if callable(accepts) and accepts(resolved.kind.name, medium) is not True:
                        continue
                except Exception:  # a plugin's bug: that channel is not chosen
                    log.warning("channel %s could not say what it accepts", channel.name)
                    continue
                return channel, OutgoingMessage(
                    kind=resolved.kind.name, medium=medium, council=view.council.gss_code,
                    case_reference=view.case.case_id, address=resolved.address,
                    personalisation=resolved.personalisation, reference=reference,
                    attempt=claim, may_already_have_been_sent=claim > 1,
                )
        return None


def _has(resolved: Resolved, medium: Any) -> bool:
    a = resolved.address
    return bool({"email": a.email, "sms": a.phone, "letter": a.postal}[medium.value])


def _log_retry(details: stamina.instrumentation.RetryDetails) -> None:
    # Only the attempt, the wait and the exception's type: never its repr, which a channel
    # plugin could have filled with an address or a field.
    log.info("channel send retry %d scheduled in %.2f s (%s)", details.retry_num,
             details.wait_for, type(details.caused_by).__name__)


def _safe_instrumentation() -> None:
    """Replace stamina's default retry instrumentation (its logging hook records the
    exception's repr at WARNING) with :func:`_log_retry`."""
    if tuple(stamina.instrumentation.get_on_retry_hooks()) != (_log_retry,):
        stamina.instrumentation.set_on_retry_hooks([_log_retry])


def _send(channel: MessageChannel, message: OutgoingMessage, policy: RetryPolicy) -> Receipt:
    """Send ``message`` (its ``attempt`` and ``may_already_have_been_sent`` as the claim
    starts), retrying with stamina; each retry counts up ``attempt`` and, after a failure whose
    outcome is unknown, says the message may already have been sent."""
    def retryable(exc: Exception) -> bool:
        return isinstance(exc, ChannelError) and exc.retryable

    current = message
    for attempt in stamina.retry_context(
        on=retryable, attempts=policy.attempts, timeout=policy.timeout,
        wait_initial=policy.wait_initial, wait_max=policy.wait_max,
        wait_jitter=policy.wait_jitter,
    ):
        with attempt:
            try:
                receipt = channel.send(current)
            except ChannelError as exc:
                current = attrs.evolve(
                    current, attempt=current.attempt + 1,
                    may_already_have_been_sent=(current.may_already_have_been_sent
                                                or exc.outcome_unknown is True))
                raise
            except Exception:
                # A plugin's own exception after the request may have gone out.
                current = attrs.evolve(current, attempt=current.attempt + 1,
                                       may_already_have_been_sent=True)
                raise
            if not isinstance(receipt, Receipt):
                raise ChannelError("returned no Receipt", channel=_safe_id(channel.name) or "?",
                                   retryable=True)
            return receipt
    raise AssertionError("unreachable")  # pragma: no cover


def _process(batch: _Batch, item: OutboxItem) -> None:
    m = item.message
    recipient = m.payload_ref.rpartition("#")[2] or "?"
    rule_id = "?"

    def report(status: str, *, channel: str | None = None, reason: str | None = None,
               message_id: str | None = None) -> Delivery:
        return Delivery(outbox_id=item.id, case_id=m.case_id, kind=m.template,
                        recipient=recipient, rule_id=rule_id, status=status,
                        attempts=item.attempts, channel=channel, message_id=message_id,
                        reason=reason)

    try:
        kind = kind_of(m.template)
    except MessageError as exc:
        _dead(batch, item, report("dead", reason=exc.rule_id))
        return
    rule_id = kind.rule_id
    channel_name: str | None = None
    try:
        view = batch.view(m.case_id)
        try:
            resolved = resolve(m.template, m.payload_ref, view.case, view.council,
                               view.contacts)
        except MessageError as exc:
            raise _Dead(exc.rule_id) from None
        chosen = batch.choose(view, resolved, m.idempotency_key, max(1, item.attempts))
        if chosen is None:
            raise _Dead("notify.channel")
        channel, outgoing = chosen
        channel_name = _safe_id(channel.name) or "?"
        try:
            receipt = _send(channel, outgoing, batch.policy)
        except ChannelError as exc:
            reason = f"channel_error.{'retryable' if exc.retryable else 'refused'}"
            if exc.retryable:
                raise _Retry(reason) from None
            raise _Dead(reason) from None
        except Exception as exc:  # a plugin's bug: never its text (it may hold the address)
            raise _Retry(f"channel_exception.{type(exc).__name__}") from None
    except _Dead as exc:
        _dead(batch, item, report("dead", channel=channel_name, reason=exc.reason))
        return
    except _Retry as exc:
        if item.attempts >= batch.max_attempts:
            _dead(batch, item, report("dead", channel=channel_name,
                                      reason=f"max_attempts.{exc.reason}"))
            return
        batch.settle(item, report("retry", channel=channel_name, reason=exc.reason),
                     OutboxStatus.PENDING, "message.failed",
                     (f"channel.{channel_name}",) if channel_name else (),
                     retry_at=batch.policy.retry_at(batch.now, item.attempts, batch.rng))
        return
    message_id = _safe_id(receipt.message_id)
    batch.settle(item, report("sent", channel=channel_name, message_id=message_id),
                 OutboxStatus.SENT, "message.sent",
                 (f"channel.{channel_name}", *((f"receipt.{message_id}",) if message_id else ())))


def _dead(batch: _Batch, item: OutboxItem, delivery: Delivery) -> None:
    """Dead-letter ``item`` and alert the casework team (once per message; never for an
    alert, so a council without a reachable casework contact cannot loop): the alert is queued
    in the dead mark's transaction."""
    queued: OutboxMessage | None = None
    if item.message.template != DELIVERY_FAILED.name:
        try:
            kind_of(item.message.template)
            queued = alert(item.message.case_id, item.id, item.message.template)
        except MessageError:
            pass  # an unknown kind: nothing to alert about
    batch.settle(item, delivery, OutboxStatus.DEAD, "message.dead",
                 (f"channel.{delivery.channel}",) if delivery.channel else (), alert=queued)
    log.warning("message dead-lettered: outbox=%s kind=%s reason=%s", item.id, delivery.kind,
                delivery.reason)


def _check(limit: object, lease: object, max_attempts: object, now: object,
           policy: object = None) -> None:
    if policy is not None and not isinstance(policy, RetryPolicy):
        raise InvalidInputError("must be a RetryPolicy", field="policy", rule_id="input.type")
    if type(limit) is not int or not 1 <= limit <= 10_000:
        raise InvalidInputError("must be an integer in 1..10000", field="limit",
                                rule_id="input.range")
    if not isinstance(lease, dt.timedelta) or lease < dt.timedelta(seconds=1):
        raise InvalidInputError("must be at least one second", field="lease",
                                rule_id="input.range")
    if type(max_attempts) is not int or not 1 <= max_attempts <= 1000:
        raise InvalidInputError("must be an integer in 1..1000", field="max_attempts",
                                rule_id="input.range")
    if now is not None and (not isinstance(now, dt.datetime)
                            or now.utcoffset() != dt.timedelta(0)):
        raise InvalidInputError("must be a timezone-aware UTC datetime", field="now",
                                rule_id="input.utc_time")


def dispatch(
    store: Store,
    hooks: Hooks,
    *,
    now: dt.datetime | None = None,
    limit: int = 100,
    lease: dt.timedelta = dt.timedelta(minutes=5),
    max_attempts: int = 10,
    policy: RetryPolicy | None = None,
    rng: random.Random | None = None,
    channels: ChannelChoice | None = None,
    settle_every: int = 1,
) -> DispatchReport:
    """Claim up to ``limit`` due messages and send each once (see the module); return what
    happened to each. ``max_attempts``: claims after which a still-failing message is
    dead-lettered. ``channels``: the council's channels, chosen by the caller instead of its
    plugins (contacts still come from the plugins). ``settle_every``: how many messages'
    settlements (each mark with its audit entry) share one transaction (1-1000; see the module:
    a group is written once full, or once its oldest has waited :data:`SETTLE_WITHIN` seconds
    or a quarter of the lease, and at the end of the batch). Raises :class:`InvalidInputError` for a
    bad argument (nothing claimed) and :class:`~sen_disagreement.errors.StoreError` when the
    store fails (claims then lapse after ``lease``)."""
    _check(limit, lease, max_attempts, now, policy)
    if type(settle_every) is not int or not 1 <= settle_every <= 1000:
        raise InvalidInputError("must be an integer in 1..1000", field="settle_every",
                                rule_id="input.range")
    _safe_instrumentation()
    when = now or dt.datetime.now(dt.UTC)
    items = store.claim_outbox(now=when, limit=limit, lease=lease)
    if channels is not None and not callable(channels):
        raise InvalidInputError("must be a function of the council, or None", field="channels",
                                rule_id="input.type")
    batch = _Batch(store, hooks, when, policy or RetryPolicy(), max_attempts,
                   rng or random.Random(),  # noqa: S311 - jitter, not secrets
                   channels, settle_every=settle_every,
                   settle_within=min(SETTLE_WITHIN, lease.total_seconds() / 4))
    try:
        for item in items:
            batch.flush_due()  # before the next send: a group never waits on a slow one
            _process(batch, item)
    finally:
        # Also on the way out of an exception: what was sent is recorded as sent.
        batch.flush()
    return DispatchReport(claimed=len(items), deliveries=tuple(batch.deliveries))


def dispatch_all(
    store: Store,
    hooks: Hooks,
    *,
    now: Callable[[], dt.datetime] | None = None,
    limit: int = 100,
    lease: dt.timedelta = dt.timedelta(minutes=5),
    max_attempts: int = 10,
    policy: RetryPolicy | None = None,
    max_batches: int | None = None,
    channels: ChannelChoice | None = None,
    settle_every: int = 1,
) -> DispatchReport:
    """:func:`dispatch` batch after batch until one claims nothing (or ``max_batches``); the
    deliveries of every batch."""
    if max_batches is not None and (type(max_batches) is not int or max_batches < 1):
        raise InvalidInputError("must be a positive integer or None", field="max_batches",
                                rule_id="input.range")
    clock = now or (lambda: dt.datetime.now(dt.UTC))
    deliveries: list[Delivery] = []
    claimed = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        report = dispatch(store, hooks, now=clock(), limit=limit, lease=lease,
                          max_attempts=max_attempts, policy=policy, channels=channels,
                          settle_every=settle_every)
        batches += 1
        claimed += report.claimed
        deliveries.extend(report.deliveries)
        if not report.claimed:
            break
    return DispatchReport(claimed=claimed, deliveries=tuple(deliveries))
