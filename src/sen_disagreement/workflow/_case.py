"""Pieces both workflows share: the parties of a case, tracked deadlines, recorded items."""

from __future__ import annotations

import datetime as dt
import re
import types
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

import attrs
from attrs import frozen

from sen_disagreement._checks import (
    ACTOR,
    ACTOR_SHAPE,
    CASE_ID,
    CASE_ID_SHAPE,
    COUNCIL,
    COUNCIL_SHAPE,
    check_id,
    check_shape,
    typed_fields,
)
from sen_disagreement._enum import Enum
from sen_disagreement.disclosure import CONFIDENTIAL, TRIBUNAL_ALLOWED, ItemKind, RecordedItem
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.parties import FAMILY, INDEPENDENT_ROLES, Party, PartyKind
from sen_disagreement.settings import Settings
from sen_disagreement.store.contract import DeadlineEntry
from sen_disagreement.workflow import _clocks
from sen_disagreement.workflow.audit import DeadlineView

__all__ = ["CaseParty", "DeadlineStatus", "PartyContact", "TrackedDeadline"]

def check_actor(actor: object) -> str:
    return check_shape(actor, ACTOR, field="actor", rule_id="input.actor", shape=ACTOR_SHAPE)


def check_case_ref(case_id: object, council: object) -> None:
    check_shape(case_id, CASE_ID, field="case_id", rule_id="input.case_id", shape=CASE_ID_SHAPE)
    check_shape(council, COUNCIL, field="council", rule_id="input.council", shape=COUNCIL_SHAPE)


_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+")
# UK numbers: 10-11 digits starting 0, or +44; single spaces allowed between digits.
_PHONE = re.compile(r"(?:0|\+44 ?)[0-9](?: ?[0-9]){8,9}")
_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}")
_LINE = re.compile(r"[^\x00-\x1f\x7f]{1,100}")


def _contact_bad(name: str, message: str, rule: str) -> InvalidInputError:
    # Never quotes the value: contact details are personal data.
    return InvalidInputError(message, field=f"contact.{name}", rule_id=f"contact.{rule}")


def _contact_email(_inst: object, _attr: object, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > 254
                              or _EMAIL.fullmatch(value) is None):
        raise _contact_bad("email", "must be an email address, or absent", "email")


def _contact_phone(_inst: object, _attr: object, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or _PHONE.fullmatch(value) is None):
        raise _contact_bad("phone", "must be a UK telephone number (0... or +44...), or absent",
                           "phone")


def _postal_lines(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(value)
    raise _contact_bad("postal", "must be a list of address lines", "postal")


def _contact_postal(_inst: object, _attr: object, value: tuple[Any, ...]) -> None:
    if not value:
        return
    if not 3 <= len(value) <= 7:
        raise _contact_bad("postal", "must be 3-7 address lines, the postcode last", "postal")
    for i, line in enumerate(value):
        if not isinstance(line, str) or _LINE.fullmatch(line) is None or not line.strip():
            raise _contact_bad(f"postal[{i}]", "must be 1-100 characters, no control characters",
                               "postal")
    last = value[-1]
    if not isinstance(last, str) or _POSTCODE.fullmatch(last.strip().upper()) is None:
        raise _contact_bad("postal", "must end with a UK postcode line", "postal")


@frozen(kw_only=True)
class PartyContact:
    """How a party of the case is reached (email, UK phone, postal address lines with the
    postcode last). Confidential personal data: kept with the case, used only to address the
    messages the law sends this party, released only in the party's own subject-access export;
    never in a Tribunal bundle, a log line, an error message or another party's view. Its repr
    names which parts are present, never the values."""

    email: str | None = attrs.field(default=None, validator=_contact_email)
    phone: str | None = attrs.field(default=None, validator=_contact_phone)
    postal: tuple[str, ...] = attrs.field(default=(), converter=_postal_lines,
                                          validator=_contact_postal)

    def __attrs_post_init__(self) -> None:
        if not (self.email or self.phone or self.postal):
            raise _contact_bad("contact", "needs an email, a phone number or a postal address",
                               "reachable")

    def __repr__(self) -> str:
        parts = [n for n in ("email", "phone") if getattr(self, n)] + (
            ["postal"] if self.postal else [])
        return f"PartyContact(<{', '.join(parts)}>)"

    __str__ = __repr__

    def as_json(self) -> dict[str, object]:
        """For the party's own subject-access export only."""
        return {"email": self.email, "phone": self.phone, "postal": list(self.postal)}


def _contact(_inst: object, _attr: object, value: Any) -> None:
    if value is not None and not isinstance(value, PartyContact):
        raise InvalidInputError("must be a PartyContact or absent", field="contact",
                                rule_id="contact.type")


@frozen(field_transformer=typed_fields)
class CaseParty:
    """A party of a case under its case-local id. ``contact``: how the party is reached by the
    messages the law sends it (confidential personal data; see :class:`PartyContact`)."""

    party_id: str = attrs.field(validator=lambda _i, _a, v: _party_id(v))
    party: Party
    contact: PartyContact | None = attrs.field(default=None, validator=_contact, repr=False)


class SharedViews:
    """Views both case types derive the same way from their ``parties`` and ``KIND``."""

    __slots__ = ()
    KIND: ClassVar[str]
    if TYPE_CHECKING:
        parties: tuple[CaseParty, ...]

    @property
    def kind(self) -> str:
        return self.KIND

    @property
    def party_map(self) -> dict[str, Party]:
        return parties_map(self.parties)

    @property
    def family_ids(self) -> tuple[str, ...]:
        return family_ids(self.parties)


def check_settings(_inst: object, _attr: object, value: object) -> None:
    """attrs validator: a case's settings are a :class:`Settings` (every deadline reads them)."""
    if not isinstance(value, Settings):
        raise InvalidInputError("must be a Settings", field="settings", rule_id="input.type")


def _party_id(value: object) -> None:
    check_id(value, "party_id")


def parties_map(parties: Iterable[CaseParty]) -> dict[str, Party]:
    return {p.party_id: p.party for p in parties}


def check_parties(parties: tuple[CaseParty, ...], on: dt.date) -> None:
    ids = [p.party_id for p in parties]
    if len(set(ids)) != len(ids):
        raise InvalidInputError("party ids must be unique", field="parties",
                                rule_id="input.party_unique")
    if len(parties) < 2:
        raise InvalidInputError("a case has at least two parties", field="parties",
                                rule_id="input.parties.count")
    for i, p in enumerate(parties):
        if p.party.kind in INDEPENDENT_ROLES:
            # The provider, mediator and adviser facilitate; they are assigned by their own step.
            raise InvalidInputError(
                f"a {p.party.kind.label} facilitates and is never a side of the disagreement",
                field=f"$.parties[{i}].kind", rule_id="party.independent_role_not_a_side",
            )
        try:
            p.party.check_on(on)
        except InvalidInputError as exc:
            raise exc.at(f"$.parties[{i}]") from None


def family_ids(parties: Iterable[CaseParty]) -> tuple[str, ...]:
    """The parent(s), young person and any representative of the case."""
    return tuple(p.party_id for p in parties if p.party.kind in FAMILY)


def kinds(parties: Iterable[CaseParty]) -> frozenset[PartyKind]:
    return frozenset(p.party.kind for p in parties)


class DeadlineStatus(Enum):
    """Where a tracked statutory deadline stands: running, met (the duty was done by the due
    date), missed (done late, or the due date passed first) or stopped."""

    RUNNING = "running"
    MET = "met"
    MISSED = "missed"
    STOPPED = "stopped"
    """The process stopped (e.g. the family withdrew), so the duty no longer runs."""


@frozen(kw_only=True, field_transformer=typed_fields)
class TrackedDeadline:
    """One running or settled statutory deadline of a case.

    ``due`` comes from the statutory clocks (``clock_id`` started on ``started``), except where
    the parties agreed another period in writing (SEND Regs reg 42(5)): then ``agreed_in_writing``
    is set and ``due`` is the agreed date."""

    key: str
    """Unique within the case (the store's clock id): the clock id, or ``clock.action``."""
    clock_id: str
    started: dt.date
    due: dt.date
    status: DeadlineStatus = DeadlineStatus.RUNNING
    settled_on: dt.date | None = None
    agreed_in_writing: bool = False

    def settle(self, on: dt.date) -> TrackedDeadline:
        """Met if done by the due date, otherwise missed (done late)."""
        status = DeadlineStatus.MET if on <= self.due else DeadlineStatus.MISSED
        return attrs.evolve(self, status=status, settled_on=on)

    def entry(self) -> DeadlineEntry:
        return DeadlineEntry(clock_id=self.key, due=self.due, status=self.status.value)

    def view(self) -> DeadlineView:
        return DeadlineView(self.key, self.due, self.status.value)


def start_deadline(
    clock_id: str, started: dt.date, settings: Settings, *, key: str | None = None
) -> TrackedDeadline:
    return TrackedDeadline(
        key=key or clock_id,
        clock_id=clock_id,
        started=started,
        due=_clocks.due(clock_id, started, settings),
    )


def replace_deadline(
    deadlines: tuple[TrackedDeadline, ...], new: TrackedDeadline
) -> tuple[TrackedDeadline, ...]:
    """``deadlines`` with the one keyed ``new.key`` replaced, or ``new`` appended."""
    if any(d.key == new.key for d in deadlines):
        return tuple(new if d.key == new.key else d for d in deadlines)
    return (*deadlines, new)


def find_deadline(deadlines: Iterable[TrackedDeadline], key: str) -> TrackedDeadline | None:
    return next((d for d in deadlines if d.key == key), None)


def stop_running(
    deadlines: tuple[TrackedDeadline, ...], on: dt.date
) -> tuple[TrackedDeadline, ...]:
    return tuple(
        attrs.evolve(d, status=DeadlineStatus.STOPPED, settled_on=on)
        if d.status is DeadlineStatus.RUNNING
        else d
        for d in deadlines
    )


def add_item(
    items: tuple[RecordedItem, ...],
    item: RecordedItem,
    *,
    facilitators: tuple[str, ...],
    outcome_document: bool = False,
) -> tuple[RecordedItem, ...]:
    """``items`` with ``item`` added. A record made by a facilitator (the provider, adviser or
    mediator) is confidential or without prejudice whatever its kind; ``outcome_document`` lets
    the written mediation agreement, the parties' outcome, be open."""
    if not isinstance(item, RecordedItem):
        raise InvalidInputError("must be a RecordedItem", field="item", rule_id="input.item")
    open_outcome = outcome_document and item.kind is ItemKind.OUTCOME
    if item.recorded_by in facilitators and item.disclosure in TRIBUNAL_ALLOWED and (
        not open_outcome
    ):
        # A provider's or mediator's own account of the process (say, a summary of what was
        # offered) must not reach a Tribunal bundle by being marked open, as a note or a
        # document alike.
        raise InvalidInputError(
            "a record made by the provider, mediator or adviser is confidential or without "
            "prejudice",
            field="item.disclosure",
            rule_id=CONFIDENTIAL.rule_id,
            citation=CONFIDENTIAL.cite(),
        )
    if any(i.item_id == item.item_id for i in items):
        raise InvalidInputError("is already recorded in this case", field="item.item_id",
                                rule_id="item.unique")
    if item.recorded_by in facilitators and not open_outcome and not item.by_facilitator:
        item = attrs.evolve(item, by_facilitator=True)
    return (*items, item)


def check_date_order(day: dt.date, after: dt.date | None, name: str, rule_id: str) -> None:
    if after is not None and day < after:
        raise InvalidInputError(
            f"cannot be before {after.isoformat()}", field=name, rule_id=rule_id
        )



_Plan = tuple[Any, dict[str, tuple[Any, Any, Any]]]
_PLANS: dict[type, _Plan] = {}


def _copier(cls: type, names: tuple[str, ...]) -> Any:
    """A function that copies every field of a ``cls`` instance into a new, uninitialised one,
    generated once per class (as attrs generates ``__init__``): one bound setter and one
    attribute read per field, without the per-field loop and name lookups of a generic copy."""
    for name in names:
        if not name.isidentifier():  # pragma: no cover - attrs field names are identifiers
            msg = f"{cls.__name__}.{name!r} is not an identifier"
            raise TypeError(msg)
    lines = ["def copy(case):", "    new = _new(cls)", "    _set = _bind(new)"]
    lines += [f"    _set({name!r}, case.{name})" for name in names]
    lines.append("    return new")
    scope: dict[str, Any] = {"_new": object.__new__, "_bind": object.__setattr__.__get__,
                             "cls": cls}
    # The source is built from the class's own field names only (checked above).
    exec(compile("\n".join(lines), f"<evolve_case copier {cls.__qualname__}>", "exec"),  # noqa: S102
         scope)
    return scope["copy"]


def _plan(cls: type) -> _Plan:
    """A copier for a case class, and each field's converter and validator (built once)."""
    plan = _PLANS.get(cls)
    if plan is None:
        fields = attrs.fields(cls)
        if getattr(cls, "__attrs_post_init__", None) is not None or any(
            not f.init for f in fields
        ):  # pragma: no cover - a case class that needs its whole __init__ on every change
            msg = f"{cls.__name__} cannot be evolved field by field"
            raise TypeError(msg)
        plan = (_copier(cls, tuple(f.name for f in fields)),
                {f.name: (f.converter, f.validator, f) for f in fields})
        _PLANS[cls] = plan
    return plan


C = TypeVar("C")


def _slot_setter(cls: type, name: str) -> Any:
    """The ``__set__`` of the slot ``object.__setattr__(obj, name, ...)`` writes for a ``cls``
    instance (the first class on the MRO that defines ``name``), or None where that is not a
    slot: calling it is what ``object.__setattr__`` does, without the attribute lookup."""
    for klass in cls.__mro__:
        if name in vars(klass):
            found = vars(klass)[name]
            return found.__set__ if type(found) is types.MemberDescriptorType else None
    return None

_EVOLVERS: dict[tuple[type, tuple[str, ...]], Any] = {}
_EVOLVERS_MAX = 1024
"""The library's transitions use a few dozen (class, names) pairs; the bound stops a caller's
classes and name orders from growing the table without end (each entry keeps its class)."""


def _evolver(cls: type, names: tuple[str, ...]) -> Any:
    """The function ``evolve(case, *values)`` that evolves a ``cls`` instance changing ``names``
    to ``values``, generated once per class and names: every field read from the case, the
    changed ones converted, every field set, then the changed ones validated (both in the
    class's field order, as ``__init__`` does), without loops or per-name lookups."""
    _, by_name = _plan(cls)
    if len(set(names)) != len(names):
        # What evolve_case(case, state=..., **changes) raises for a repeated keyword: a change
        # must never silently replace another (the machine's target, the step's audit entry).
        msg = f"{cls.__name__}: a field is changed twice in {names!r}"
        raise TypeError(msg)
    for name in names:
        if name not in by_name:
            msg = f"{cls.__name__} has no field {name!r}"
            raise TypeError(msg)
    fields = attrs.fields(cls)
    scope: dict[str, Any] = {"_new": object.__new__, "_bind": object.__setattr__.__get__,
                             "cls": cls}
    setters = [_slot_setter(cls, f.name) for f in fields]
    for f, setter in zip(fields, setters, strict=True):
        if setter is not None:
            scope[f"s_{f.name}"] = setter
    args = [f"v{i}" for i in range(len(names))]
    lines = [f"def evolve(case, {', '.join(args)}):"]
    # Every field is read from the case first, as the copier reads them.
    lines += [f"    o_{f.name} = case.{f.name}" for f in fields]
    changed = dict(zip(names, args, strict=True))
    # The changed fields converted, then validated, in the class's field order, as __init__
    # (and so attrs.evolve) converts and validates them.
    in_order = [(f.name, changed[f.name]) for f in fields if f.name in changed]
    for name, arg in in_order:
        converter = by_name[name][0]
        if converter is not None:
            scope[f"c_{arg}"] = converter
            lines.append(f"    {arg} = c_{arg}({arg})")
    lines += ["    new = _new(cls)", "    _set = _bind(new)"]
    lines += [f"    s_{f.name}(new, {changed.get(f.name, 'o_' + f.name)})" if setter is not None
              else f"    _set({f.name!r}, {changed.get(f.name, 'o_' + f.name)})"
              for f, setter in zip(fields, setters, strict=True)]
    for name, arg in in_order:
        _, validator, attribute = by_name[name]
        if validator is not None:
            scope[f"val_{arg}"], scope[f"a_{arg}"] = validator, attribute
            lines.append(f"    val_{arg}(new, a_{arg}, new.{name})")
    lines.append("    return new")
    # The source is built from the class's own field names only (identifiers, checked by
    # _copier when the plan was made) and the names given, each one of them.
    exec(compile("\n".join(lines), f"<evolve_case {cls.__qualname__} {names}>", "exec"),  # noqa: S102
         scope)
    return scope["evolve"]


def evolve_case(case: C, **changes: Any) -> C:
    """``attrs.evolve(case, **changes)`` that converts and validates the changed fields only.

    A case's fields are checked each on its own (a type, a tuple): none of a case class's
    validators reads another field, and no case class has an ``__attrs_post_init__``. So the
    fields carried over from ``case`` are exactly as valid as when ``case`` was built, and
    checking them again on each of a case's many changes is work without a check in it (it was
    a third of a transition). What changes is converted and validated as ``__init__`` would,
    after every field is set."""
    return cast(C, evolver(type(case), tuple(changes))(case, *changes.values()))


def evolver(cls: type, names: tuple[str, ...]) -> Any:
    """The function ``evolve(case, *values)`` that :func:`evolve_case` calls for a ``cls``
    instance changing ``names`` (in that order) to ``values``: built once per class and names."""
    evolve = _EVOLVERS.get((cls, names))
    if evolve is None:
        evolve = _evolver(cls, names)
        if len(_EVOLVERS) >= _EVOLVERS_MAX:
            _EVOLVERS.clear()  # a bound, not a policy: the next calls generate again
        _EVOLVERS[(cls, names)] = evolve
    return evolve


def builder(cls: type, names: tuple[str, ...]) -> Any:
    """The function ``build(*values)`` that makes a ``cls`` instance with ``names`` set to
    ``values`` (in that order) and every other field set to its default, setting each slot as
    ``__init__`` would and running no converter or validator.

    Only for a caller that has made sure each value is one ``__init__`` would keep as given
    (its converter returns that very object, its validator accepts it): then the result is
    ``cls(**dict(zip(names, values)))``. Each default left out is checked here, once, to be one
    ``__init__`` keeps as it is, else TypeError."""
    _plan(cls)  # refuses a class with an __attrs_post_init__ or a field not in __init__
    fields = attrs.fields(cls)
    by_name = {f.name: f for f in fields}
    for name in names:
        if name not in by_name:
            msg = f"{cls.__name__} has no field {name!r}"
            raise TypeError(msg)
    scope: dict[str, Any] = {"_new": object.__new__, "_bind": object.__setattr__.__get__,
                             "cls": cls}
    args = {name: f"v{i}" for i, name in enumerate(names)}
    lines = [f"def build({', '.join(args.values())}):", "    new = _new(cls)",
             "    _set = _bind(new)"]
    for f in fields:
        value = args.get(f.name)
        if value is None:
            default = f.default
            if default is attrs.NOTHING or isinstance(default, type(attrs.Factory(list))):
                msg = f"{cls.__name__}.{f.name} has no plain default"
                raise TypeError(msg)
            kept = f.converter(default) if f.converter is not None else default
            if kept is not default:
                msg = f"{cls.__name__}.{f.name}: its converter changes its default"
                raise TypeError(msg)
            if f.validator is not None:
                f.validator(None, f, default)  # raises for a default __init__ would refuse
            scope[f"d_{f.name}"] = default
            value = f"d_{f.name}"
        setter = _slot_setter(cls, f.name)
        if setter is not None:
            scope[f"s_{f.name}"] = setter
            lines.append(f"    s_{f.name}(new, {value})")
        else:  # pragma: no cover - attrs case classes are slotted
            lines.append(f"    _set({f.name!r}, {value})")
    lines.append("    return new")
    # Built from the class's own field names (identifiers, checked by _plan's copier).
    exec(compile("\n".join(lines), f"<builder {cls.__qualname__} {names}>", "exec"),  # noqa: S102
         scope)
    return scope["build"]
