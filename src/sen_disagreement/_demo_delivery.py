"""The walkthrough's delivery of its statutory messages: a local GOV.UK Notify API on 127.0.0.1
and the real Notify channel configured against it (when ``sen-disagreement-notify`` is
installed), the dispatcher run over the outbox, and the narrative of what was delivered.

Private to the demo: a council configures its own channels through its plugin (see the Notify
how-to); none of this is needed to run a case."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

from attrs import frozen

from sen_disagreement.channels import Medium, MessageChannel
from sen_disagreement.dispatch import dispatch_all
from sen_disagreement.messages import KINDS, kind_of

if TYPE_CHECKING:
    from sen_disagreement_notify import NotifyChannel
    from sen_disagreement_notify.testing import FakeNotify

    from sen_disagreement.plugins.facade import Hooks
    from sen_disagreement.store import Store

__all__ = ["INSTALL_NOTIFY", "LocalNotify", "deliver", "local_notify", "notify_templates",
           "server_summary"]

INSTALL_NOTIFY = "pip install -e plugins/sen-disagreement-notify"
"""How to install the Notify channel from a clone, as the demo suggests when it is missing."""
_TEMPLATE_IDS = uuid.UUID("6f1d2c1e-9b9a-4d5e-8a57-3f0b7a2f5c10")


def notify_templates() -> dict[tuple[str, Medium], str]:
    """A development template id for every message kind and medium it may use (what a council
    copies from its Notify service's templates page; here derived from the kind's name)."""
    return {(kind.name, medium): str(uuid.uuid5(_TEMPLATE_IDS, f"{kind.name}/{medium.value}"))
            for kind in KINDS.values() for medium in kind.media}


@frozen
class LocalNotify:
    """The local Notify API and the real Notify channel configured against it."""

    server: FakeNotify
    channel: NotifyChannel


@contextlib.contextmanager
def local_notify(server: FakeNotify | None = None) -> Iterator[LocalNotify | None]:
    """A local GOV.UK Notify API on 127.0.0.1 (an ephemeral port; ``server``: one the caller
    started, e.g. a test that reads what it received) and a :class:`NotifyChannel` with a
    development key made for this run; ``None`` when ``sen-disagreement-notify`` is not
    installed (the core library never depends on it)."""
    try:
        from sen_disagreement_notify import NotifyChannel
        from sen_disagreement_notify.testing import FakeNotify
    except ImportError:
        yield None
        return
    fake = server if server is not None else FakeNotify().start()
    try:
        key = fake.add_key("walkthrough-dev")
        yield LocalNotify(fake, NotifyChannel(api_key=key, templates=notify_templates(),
                                              base_url=fake.url, timeout=5.0))
    finally:
        if server is None:
            fake.stop()


def server_summary(notify: LocalNotify) -> str:
    """What the local Notify server took, checked against each kind's allow-list (the
    personalisation of every request, by the template id it names)."""
    kinds = {template: kind for (kind, _), template in notify_templates().items()}
    sends = [r.body for r in notify.server.sends() if r.status == 201 and r.body is not None]
    outside = 0
    for body in sends:
        kind = KINDS.get(kinds.get(str(body.get("template_id")), ""))
        fields = set(body.get("personalisation") or {})
        outside += kind is None or not {f for f in fields
                                        if not f.startswith("address_line_")} <= kind.fields
    verdict = ("each carried only its kind's allow-listed personalisation" if not outside
               else f"{outside} carried personalisation outside their kind's allow-list")
    return f"The local Notify server took {len(sends)} notification(s); {verdict}."


def deliver(store: Store, hooks: Hooks, notify: LocalNotify | None) -> list[str]:
    """Dispatch the outbox (through ``notify``'s channel only, or the plugins' channels when the
    Notify package is not installed) and say what was delivered: kinds, recipients' kinds,
    Notify ids and statuses, never an address or a field's value."""
    out: list[str] = []
    say = out.append
    if notify is None:
        say("The GOV.UK Notify channel (sen-disagreement-notify) is not installed, so the "
            f"messages go to the development log channel ({INSTALL_NOTIFY} to see them "
            "delivered to a local Notify API).")
        report = dispatch_all(store, hooks)
    else:
        say(f"A local GOV.UK Notify API is listening on {notify.server.url} with a "
            "development key made for this run; the dispatcher sends through the real "
            "Notify channel (notifications-python-client).")
        ours: tuple[MessageChannel, ...] = (notify.channel,)
        # Only the local server: never a real Notify service the environment configures.
        report = dispatch_all(store, hooks, channels=lambda _council: ours)
    say(f"{report.claimed} statutory message(s) were queued in the outbox with the steps "
        "that caused them; the dispatcher sent them:")
    for d in report.deliveries:
        kind = kind_of(d.kind)
        status = ""
        if notify is not None and d.status == "sent" and d.message_id:
            status = (f", Notify notification {d.message_id}, status "
                      f"{notify.channel.status(d.message_id).status} (read back from the "
                      "server)")
        say(f"Message {d.kind} to {kind.recipient} ({d.recipient}), rule {d.rule_id}: "
            f"{d.status}" + (f" via the {d.channel} channel" if d.channel else "")
            + status + (f" ({d.reason})" if d.reason else "") + ".")
    if notify is not None:
        say(server_summary(notify))
    return out
