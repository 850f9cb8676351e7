"""The append-only audit trail of a case, and where reads of confidential material are audited.

Every change to a case appends exactly one :class:`~sen_disagreement.store.contract.AuditEntry`
(the store's own record type: actor, action, UTC time, case id, outcome and the *names* of the
fields touched, never their values) to the case's :class:`AuditTrail`. Reads do not change a case,
so reads of confidential or without-prejudice material, and every refused read, go to an
:class:`AuditSink`: anything with an ``append_audit`` method, such as a
:class:`~sen_disagreement.store.contract.Store` or the in-memory :class:`AuditLog`.

:class:`CaseChange` is the minimised view of a change that may leave the case (to a plugin that
observes case events, or a log line): ids, state, action, time and deadlines, nothing else.
"""

from __future__ import annotations

import datetime as dt
import logging
import types
from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

import attrs
from attrs import field, frozen

from sen_disagreement import _checks
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.provenance import Provenance, Rule, S, U, cite
from sen_disagreement.store.contract import AuditEntry

__all__ = [
    "AUDIT_RULE",
    "SYSTEM_ACTOR",
    "AuditEntry",
    "AuditLog",
    "AuditSink",
    "AuditTrail",
    "CaseChange",
    "DeadlineView",
    "check_utc",
    "make_entry",
]

LOG = logging.getLogger("sen_disagreement.workflow")

SYSTEM_ACTOR = "system"
"""The actor of automatic changes (a clock running out detected by ``tick``)."""

AUDIT_RULE = Rule(
    "audit.every_change_and_sensitive_read",
    "Every change to a case and every read of confidential material records who, what, when "
    "(UTC), which case and the outcome; no sensitive value is written into the trail.",
    Provenance(
        [
            cite("OWASP ASVS 5.0 V16.2 (security logging: what each event records)", S),
            cite("UK GDPR Art. 5(2), 32 (accountability; security of processing)", S),
            cite("exact ASVS requirement numbering", U),
        ]
    ),
)
"""Every change to a case and every read of confidential material is audited: who, what, when
(UTC), which case, the outcome, and no sensitive value."""


def check_utc(at: object, *, name: str = "at") -> dt.datetime:
    """Refuse anything but a timezone-aware UTC time, naming the field."""
    return _checks.check_utc(at, field=name)


# The store's own record type validates each entry. Most entries a workflow writes repeat the
# same few values (its actors, the case's id, fixed action and field names), so each distinct
# string value is checked once, by the store's own field validator, and remembered as good: a
# str's validity is a pure function of its value. Only exact ``str`` values (and tuples of
# them) are looked up, so no object that merely compares (and hashes) equal to a valid string
# can borrow its answer; only values that passed, and only short ones, are kept, so nothing
# refused and nothing large outlives its call. Any value not known good is built by
# ``AuditEntry(...)`` itself, which raises the store's error naming the field, exactly as before.
_ENTRY_FIELDS = ("actor", "action", "at", "case_id", "outcome", "fields", "seq", "committed_at")
_ENTRY_ATTRS: dict[str, Any] = {f.name: f for f in attrs.fields(AuditEntry)}
_SEQ_DEFAULT = _ENTRY_ATTRS["seq"].default
_COMMITTED_DEFAULT = _ENTRY_ATTRS["committed_at"].default
# One set per field of the values known good (the names of ``fields`` each on its own: the
# store's check of a tuple of names is a check of each name).
_GOOD: dict[str, set[str]] = {"actor": set(), "action": set(), "case_id": set(),
                              "outcome": set(), "fields": set()}
_GOOD_ACTORS, _GOOD_ACTIONS = _GOOD["actor"], _GOOD["action"]
_GOOD_CASE_IDS, _GOOD_OUTCOMES, _GOOD_NAMES = _GOOD["case_id"], _GOOD["outcome"], _GOOD["fields"]
_KNOWN_GOOD_MAX = 4096
_MAX_KEPT_CHARS = 128  # the longest actor or case id the store accepts
_MAX_KEPT_NAMES = 8


def _passes(name: str, value: str) -> bool:
    """Whether the exact str ``value`` passes the store's validator of field ``name``, learnt
    once per value."""
    good = _GOOD[name]
    if value in good:
        return True
    if len(value) > _MAX_KEPT_CHARS:
        return False  # never kept: the constructor checks (and refuses) it itself
    attribute = _ENTRY_ATTRS[name]
    try:
        attribute.validator(None, attribute, (value,) if name == "fields" else value)
    except InvalidInputError:
        return False  # never kept: the constructor refuses it again, naming the field
    if len(good) >= _KNOWN_GOOD_MAX:
        good.clear()  # a bound, not a policy: the next entries check again
    good.add(value)
    return True


def _defaults_pass() -> bool:
    """Whether the defaults the fast build sets are values the store's record accepts."""
    try:
        AuditEntry(actor="system", action="audit.probe", at=dt.datetime.now(dt.UTC),
                   seq=_SEQ_DEFAULT, committed_at=_COMMITTED_DEFAULT)
    except InvalidInputError:
        return False
    return True


# The fast build sets exactly these fields; an AuditEntry with other fields (or other defaults)
# is always built by its own constructor.
_FAST_ENTRY = tuple(_ENTRY_ATTRS) == _ENTRY_FIELDS and all(
    _ENTRY_ATTRS[n].converter is None for n in _ENTRY_FIELDS if n != "fields"
) and _defaults_pass()
_to_names = _ENTRY_ATTRS["fields"].converter or tuple
_PROBE_NAMES = ("state",)
# append_entry takes an exact tuple of names as the store's converter would give it back.
_NAMES_KEPT = _to_names(_PROBE_NAMES) is _PROBE_NAMES
_DATETIME = dt.datetime
_UTC = dt.UTC
_new = object.__new__
_bind = object.__setattr__.__get__


def _known_good(actor: object, action: object, case_id: object, outcome: object,
                names: tuple[Any, ...]) -> bool:
    # Exact strs only: a subclass could hash and compare equal to a remembered value.
    if not (type(actor) is str and type(action) is str and type(case_id) is str
            and type(outcome) is str and len(names) <= _MAX_KEPT_NAMES):
        return False
    for name in names:
        if type(name) is not str or (name not in _GOOD_NAMES and not _passes("fields", name)):
            return False
    return ((actor in _GOOD_ACTORS or _passes("actor", actor))
            and (action in _GOOD_ACTIONS or _passes("action", action))
            and (case_id in _GOOD_CASE_IDS or _passes("case_id", case_id))
            and (outcome in _GOOD_OUTCOMES or _passes("outcome", outcome)))


def make_entry(
    *,
    actor: str,
    action: str,
    at: dt.datetime,
    case_id: str,
    outcome: str = "ok",
    fields: Iterable[str] = (),
) -> AuditEntry:
    """An audit entry (validated by the store's record type: slugs and field *names* only)."""
    if type(at) is not dt.datetime and issubclass(type(at), dt.datetime):
        # A subclass: the record takes exactly a datetime, so let it say so.
        return AuditEntry(actor=actor, action=action, at=at, case_id=case_id, outcome=outcome,
                          fields=fields)
    at = _checks.check_utc(at, field="at")
    try:
        names = fields if type(fields) is tuple else tuple(fields)
    except TypeError:  # not iterable: the store's record refuses it, naming the field
        return AuditEntry(actor=actor, action=action, at=at, case_id=case_id, outcome=outcome,
                          fields=fields)
    stored = _to_names(names)  # the store's own converter, as its constructor would run it
    if not (_FAST_ENTRY and type(stored) is tuple
            and _known_good(actor, action, case_id, outcome, stored)):
        return AuditEntry(actor=actor, action=action, at=at, case_id=case_id, outcome=outcome,
                          fields=names)
    # Every value passed the store's own validators (above); ``at`` passed check_utc, which
    # refuses what the store's UTC check refuses.
    entry: AuditEntry = _new(AuditEntry)
    set_ = _bind(entry)
    set_("actor", actor)
    set_("action", action)
    set_("at", at)
    set_("case_id", case_id)
    set_("outcome", outcome)
    set_("fields", stored)
    set_("seq", _SEQ_DEFAULT)
    set_("committed_at", _COMMITTED_DEFAULT)
    return entry


def append_entry(
    trail: AuditTrail,
    *,
    actor: str,
    action: str,
    at: dt.datetime,
    case_id: str,
    fields: tuple[str, ...] = (),
    outcome: str = "ok",
) -> AuditTrail:
    """``trail.append(make_entry(...))``: the same trail, or the same error, in one step.

    Where every value is one the fast build of :func:`make_entry` takes (exact types, each
    string known to pass the store's validators, ``at`` on the UTC singleton) the entry is
    built and appended here, with :meth:`AuditTrail.append`'s own checks made on the very
    objects it would compare; anything else goes through ``make_entry`` and ``append``."""
    if (_FAST_APPEND and type(trail) is AuditTrail and type(at) is _DATETIME
            and at.tzinfo is _UTC and type(fields) is tuple
            and _known_good(actor, action, case_id, outcome, fields)):
        # make_entry would build this entry without raising; append's checks follow.
        entry: AuditEntry = _new(AuditEntry)
        # Each field's slot written as object.__setattr__ writes it (see _slot_setters).
        _s_actor(entry, actor)
        _s_action(entry, action)
        _s_at(entry, at)
        _s_case_id(entry, case_id)
        _s_outcome(entry, outcome)
        _s_fields(entry, fields)
        _s_seq(entry, _SEQ_DEFAULT)
        _s_committed_at(entry, _COMMITTED_DEFAULT)
        return _extended(trail, entry)
    return trail.append(make_entry(actor=actor, action=action, at=at, case_id=case_id,
                                   outcome=outcome, fields=fields))


def _entries(value: Iterable[AuditEntry]) -> tuple[AuditEntry, ...]:
    return tuple(value)


@frozen
class AuditTrail:
    """The audit entries of one case, oldest first. Append-only: :meth:`append` returns a new
    trail that extends this one, and refuses an entry for another case or earlier than the last."""

    case_id: str
    entries: tuple[AuditEntry, ...] = field(default=(), converter=_entries)

    def __len__(self) -> int:
        return len(self.entries)

    def append(self, entry: AuditEntry) -> AuditTrail:
        if not isinstance(entry, AuditEntry):
            raise InvalidInputError("must be an AuditEntry", field="entry",
                                    rule_id="input.type")
        return _extended(self, entry)

    def extends(self, older: AuditTrail) -> bool:
        """Whether this trail is ``older`` with entries appended (nothing changed or removed)."""
        n = len(older.entries)
        return self.case_id == older.case_id and self.entries[:n] == older.entries


def _extended(trail: AuditTrail, entry: AuditEntry) -> AuditTrail:
    """``trail`` with ``entry`` appended, refusing an entry of another case or earlier than the
    last: :meth:`AuditTrail.append` and :func:`append_entry` both end here."""
    if entry.case_id != trail.case_id:
        raise InvalidInputError(
            "belongs to another case", field="case_id", rule_id=AUDIT_RULE.rule_id
        )
    entries = trail.entries
    if entries and entry.at < entries[-1].at:
        raise InvalidInputError(
            "is earlier than the last audit entry; the trail is append-only",
            field="at",
            rule_id=AUDIT_RULE.rule_id,
        )
    LOG.info("case %s: %s by %s -> %s", entry.case_id, entry.action, entry.actor, entry.outcome)
    # The trail's case id and entries were checked when it was built and the entry is checked
    # above: the new trail needs no converter run over the whole tuple again.
    new: AuditTrail = _new(AuditTrail)
    set_ = _bind(new)
    set_("case_id", trail.case_id)
    set_("entries", (*entries, entry))
    return new


def _slot_setters(cls: type, names: tuple[str, ...]) -> tuple[Any, ...] | None:
    """The ``__set__`` of each slot ``object.__setattr__`` writes for ``names`` of a ``cls``
    instance (the first class on the MRO defining the name), or None unless every one is a
    slot: calling it is what ``object.__setattr__`` does, without the attribute lookup."""
    out = []
    for name in names:
        owner = next((k for k in cls.__mro__ if name in vars(k)), None)
        found = vars(owner).get(name) if owner is not None else None
        if type(found) is not types.MemberDescriptorType:
            return None
        out.append(found.__set__)
    return tuple(out)


_ENTRY_SETTERS = _slot_setters(AuditEntry, _ENTRY_FIELDS)
_FAST_APPEND = _FAST_ENTRY and _NAMES_KEPT and _ENTRY_SETTERS is not None
(_s_actor, _s_action, _s_at, _s_case_id, _s_outcome, _s_fields, _s_seq,
 _s_committed_at) = _ENTRY_SETTERS or (None,) * 8


@runtime_checkable
class AuditSink(Protocol):
    """Where audit entries that are not part of a change go (sensitive and refused reads).
    :class:`~sen_disagreement.store.contract.Store` satisfies it."""

    def append_audit(self, entry: AuditEntry) -> AuditEntry: ...


class AuditLog:
    """An in-memory, append-only :class:`AuditSink` (tests, examples, single-process use)."""

    def __init__(self) -> None:
        self._entries: list[AuditEntry] = []

    def append_audit(self, entry: AuditEntry) -> AuditEntry:
        LOG.info(
            "case %s: %s by %s -> %s", entry.case_id, entry.action, entry.actor, entry.outcome
        )
        self._entries.append(entry)
        return entry

    @property
    def entries(self) -> tuple[AuditEntry, ...]:
        return tuple(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


@frozen
class DeadlineView:
    """A deadline as it may leave the case: clock id, due date, status."""

    clock_id: str
    due: dt.date | None
    status: str


@frozen(kw_only=True)
class CaseChange:
    """A minimised description of one change, for plugins that observe case events and for
    notifications: no party details, no recorded text, no issue descriptions."""

    case_id: str
    council: str
    kind: str
    action: str
    state: str
    at: dt.datetime
    actor: str
    deadlines: tuple[DeadlineView, ...] = ()
