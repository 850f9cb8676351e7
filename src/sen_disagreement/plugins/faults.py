"""Plugin faults and the manual-attention queue.

* :class:`FaultKind` and :class:`PluginFault`: one misbehaviour of one plugin in one hook call.
  Details are written by the host and never quote what the plugin raised or returned.
* :class:`AttentionQueue`: where a case goes when a plugin fails while handling it;
  :class:`MemoryAttentionQueue` (development and tests) and :class:`StoreAttentionQueue` (the
  case store's append-only audit trail).

A leaf module (attrs and the errors only), so :mod:`sen_disagreement.council` can use the records
without importing the plugin manager or pluggy.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from typing import TYPE_CHECKING, Protocol

from attrs import frozen

from sen_disagreement._enum import Enum

if TYPE_CHECKING:
    from sen_disagreement.store import Store

__all__ = [
    "PARKED_ACTION",
    "AttentionItem",
    "AttentionQueue",
    "FaultKind",
    "MemoryAttentionQueue",
    "PluginFault",
    "StoreAttentionQueue",
]

class FaultKind(Enum):
    """How a plugin misbehaved."""

    RAISED = "raised"
    MALFORMED = "malformed"
    TIMEOUT = "timeout"
    CONFLICT = "conflict"
    """Its answer clashes with another plugin's (the same council or provider declared twice), or
    it answered for a council it neither owns nor is a delegate of (the answer is ignored)."""


@frozen(kw_only=True)
class PluginFault:
    """One fault of one plugin in one hook call. ``detail`` is written by the host and never
    contains the plugin's exception text or data (which could hold case content)."""

    plugin: str
    hook: str
    kind: FaultKind
    detail: str
    council: str | None = None
    case_id: str | None = None

    def as_error(self) -> Exception:
        from sen_disagreement.errors import PluginError

        return PluginError(self.detail, plugin=self.plugin, hook=self.hook)


@frozen(kw_only=True)
class AttentionItem:
    """A case waiting for a person because a plugin failed while handling it."""

    case_id: str
    council: str | None
    plugin: str
    hook: str
    kind: FaultKind
    at: dt.datetime


class AttentionQueue(Protocol):
    """Where a case goes when a plugin fails while handling it: parked for a person, with an audit
    entry. ``park`` must be durable when it returns (or raise)."""

    def park(self, fault: PluginFault, *, at: dt.datetime) -> None:
        """Park ``fault.case_id`` for manual attention and write the audit entry."""
        ...

    def parked(self) -> list[AttentionItem]:
        """Cases waiting, oldest first."""
        ...


class MemoryAttentionQueue:
    """An in-process queue for development and tests (not durable: use
    :class:`StoreAttentionQueue` in production). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[AttentionItem] = []
        self.audit: list[tuple[str, str, str, str]] = []
        """(case id, action, plugin, hook) per audit entry, in order."""

    def park(self, fault: PluginFault, *, at: dt.datetime) -> None:
        if fault.case_id is None:
            return
        item = AttentionItem(
            case_id=fault.case_id,
            council=fault.council,
            plugin=fault.plugin,
            hook=fault.hook,
            kind=fault.kind,
            at=at,
        )
        with self._lock:
            self._items.append(item)
            self.audit.append((fault.case_id, PARKED_ACTION, fault.plugin, fault.hook))

    def parked(self) -> list[AttentionItem]:
        with self._lock:
            return list(self._items)


_FAULT_KINDS = frozenset(k.value for k in FaultKind)

PARKED_ACTION = "case.parked_for_attention"
"""The audit action written when a case is parked because of a plugin fault."""

_ACTOR_CHARS = re.compile(r"[^A-Za-z0-9._:@-]")


class StoreAttentionQueue:
    """The manual-attention queue kept in the case store's append-only audit trail.

    Parking appends one audit entry: actor ``plugin:<name>``, action ``case.parked_for_attention``,
    the case id, outcome = the fault kind, and the hook name as the only field name. No case
    content and no plugin output is written. :meth:`parked` reads the entries back.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def park(self, fault: PluginFault, *, at: dt.datetime) -> None:
        if fault.case_id is None:
            return
        from sen_disagreement.store import AuditEntry

        actor = "plugin:" + _ACTOR_CHARS.sub("_", fault.plugin)[:100]
        self._store.append_audit(
            AuditEntry(
                actor=actor,
                action=PARKED_ACTION,
                at=at,
                case_id=fault.case_id,
                outcome=fault.kind.value,
                fields=(fault.hook,),
            )
        )

    def parked(self) -> list[AttentionItem]:
        items: list[AttentionItem] = []
        after = 0
        while True:
            page = self._store.audit_trail(None, after_seq=after, limit=10_000)
            for entry in page:
                # Only what park() writes: another caller's row with the same action (a refused
                # save or import keeps the action it was given) is not a parked fault.
                if (entry.action == PARKED_ACTION and entry.case_id is not None
                        and entry.actor.startswith("plugin:")
                        and entry.outcome in _FAULT_KINDS):
                    items.append(
                        AttentionItem(
                            case_id=entry.case_id,
                            council=None,
                            plugin=entry.actor.removeprefix("plugin:"),
                            hook=entry.fields[0] if entry.fields else "",
                            kind=FaultKind(entry.outcome),
                            at=entry.at,
                        )
                    )
            if len(page) < 10_000:
                return items
            after = page[-1].seq


