"""Who acts: the authenticated :class:`Actor` every change and every sensitive read is made by.

The host application authenticates its users (single sign-on, a portal login); this library
never does. What the library receives from the host is a *user id*, and it asks the council's
:class:`ActorDirectory` who that user is: their :class:`Role`, the council or organisation they
work for, and the cases in which they act for a party. A role typed by the caller, a
``recorded_by`` or ``issued_by`` field, or an :class:`Actor` value built by hand is never
trusted: :class:`sen_disagreement.service.CaseService` accepts an actor only when it is exactly
what the directory says for that user id.

A council binds the directory to its own identity system through the ``sen_resolve_actor``
plugin hook; :class:`StaticActorDirectory` serves tests, examples and the demo.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol, cast, runtime_checkable

from attrs import field, frozen

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
from sen_disagreement._files import read_regular_file
from sen_disagreement.errors import AccessDeniedError, InvalidInputError, NotFoundError

__all__ = [
    "FACILITATOR_ROLES",
    "SYSTEM",
    "Actor",
    "ActorDirectory",
    "CaseGrant",
    "Role",
    "StaticActorDirectory",
    "check_user_id",
]


MAX_FILE_BYTES = 1_000_000
"""Largest actor directory file read (a council's directory proper is a plugin, not a file)."""

class Role(Enum):
    """What an actor is, as the council's directory says. One role per actor."""

    FAMILY = "family"
    """A parent or young person, or their representative, acting for a party of a case."""
    LA_OFFICER = "la_officer"
    """An officer of the council that owns the case; acts for its local-authority party."""
    BODY_OFFICER = "body_officer"
    """An officer of another body that is a party (a commissioning body, a school...)."""
    PROVIDER = "provider"
    """The independent disagreement-resolution provider assigned to a case."""
    MEDIATION_ADVISER = "mediation_adviser"
    """The independent mediation adviser of a case (CFA s.55, s.56(2))."""
    MEDIATOR = "mediator"
    """The independent mediator of a case."""
    TRIBUNAL_EXPORTER = "tribunal_exporter"
    """An officer of the council who prepares its Tribunal bundles; changes nothing."""
    SYSTEM = "system"
    """The library itself: clock events found by the daily sweep. Never a person."""


FACILITATOR_ROLES = frozenset({Role.PROVIDER, Role.MEDIATION_ADVISER, Role.MEDIATOR})
"""The independent roles: they run the process and keep its confidential records."""

_COUNCIL_ROLES = frozenset({Role.LA_OFFICER, Role.TRIBUNAL_EXPORTER})
_GRANT_ROLES = frozenset({Role.FAMILY, Role.BODY_OFFICER})


def check_user_id(value: object, field_name: str = "user") -> str:
    """A user id as the host passes it (the directory's key)."""
    return check_shape(value, ACTOR, field=field_name, rule_id="actor.user_id", shape=ACTOR_SHAPE)


def _check_case_id(_inst: object, _attr: object, value: Any) -> None:
    check_shape(value, CASE_ID, field="grants.case_id", rule_id="actor.grant",
                shape=CASE_ID_SHAPE)


def _check_party_id(_inst: object, _attr: object, value: Any) -> None:
    check_id(value, "grants.party_id")


@frozen(kw_only=True, field_transformer=typed_fields)
class CaseGrant:
    """In case ``case_id`` the actor acts for the party ``party_id`` (a case-local party id)."""

    case_id: str = field(validator=_check_case_id)
    party_id: str = field(validator=_check_party_id)


def _grants(value: object) -> frozenset[CaseGrant]:
    # A string is iterable: frozenset("a-7") would silently become {"a", "-", "7"}.
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidInputError("must be a set of CaseGrant", field="grants",
                                rule_id="actor.grant")
    out = frozenset(value)
    for g in out:
        if not isinstance(g, CaseGrant):
            raise InvalidInputError("must be a set of CaseGrant", field="grants",
                                    rule_id="actor.grant")
    return out


def _exact_text(value: object, name: str, rule_id: str) -> None:
    """Who acts is matched by these strings (sets, dict keys, ``==``): a ``str`` subclass could
    hash or compare as another user's, council's or organisation's, so only plain ``str``."""
    if type(value) is not str:
        raise InvalidInputError("must be plain text (a str)", field=name, rule_id=rule_id)


def _check_actor_id(_inst: object, _attr: object, value: Any) -> None:
    check_user_id(value, "actor_id")
    _exact_text(value, "actor_id", "actor.user_id")


def _check_role(_inst: object, _attr: object, value: Any) -> None:
    if not isinstance(value, Role):
        raise InvalidInputError("must be a Role", field="role", rule_id="actor.role")


def _check_council(_inst: object, _attr: object, value: Any) -> None:
    if value is not None:
        check_shape(value, COUNCIL, field="council", rule_id="actor.council",
                    shape=COUNCIL_SHAPE)
        _exact_text(value, "council", "actor.council")


def _check_organisation(_inst: object, _attr: object, value: Any) -> None:
    if value is not None:
        check_id(value, "organisation")
        _exact_text(value, "organisation", "input.id")


@frozen(kw_only=True, field_transformer=typed_fields)
class Actor:
    """An authenticated user as the council's directory describes them.

    * ``council``: the council an LA officer or Tribunal-bundle exporter works for (required for
      those roles; a slug or GSS code, matched against the case's council);
    * ``organisation``: for a provider, mediation adviser or mediator, the id under which the
      organisation is assigned to cases (the case's provider / adviser / mediator party id);
    * ``grants``: for a parent, young person, representative or body officer, the parties of
      which cases they act for.
    """

    actor_id: str = field(validator=_check_actor_id)
    role: Role = field(validator=_check_role)
    council: str | None = field(default=None, validator=_check_council)
    organisation: str | None = field(default=None, validator=_check_organisation)
    grants: frozenset[CaseGrant] = field(default=frozenset(), converter=_grants)

    def __attrs_post_init__(self) -> None:
        if self.role in _COUNCIL_ROLES and self.council is None:
            raise InvalidInputError(f"a {self.role.value} works for a council; name it",
                                    field="council", rule_id="actor.council")
        if self.role in FACILITATOR_ROLES and self.organisation is None:
            raise InvalidInputError(
                f"a {self.role.value} is assigned to cases under an organisation id; name it",
                field="organisation", rule_id="actor.organisation",
            )
        if self.role not in _GRANT_ROLES and self.grants:
            raise InvalidInputError(f"a {self.role.value} holds no per-case party grants",
                                    field="grants", rule_id="actor.grant")
        cases = [g.case_id for g in self.grants]
        if len(set(cases)) != len(cases):
            # One party per case: which party a step is taken for must never depend on set order.
            raise InvalidInputError("grant one party per case", field="grants",
                                    rule_id="actor.grant")
        if self.role is Role.SYSTEM and self.actor_id != SYSTEM_ID:
            raise InvalidInputError(f"the system actor is {SYSTEM_ID!r}", field="actor_id",
                                    rule_id="actor.role")

    def party_in(self, case_id: str) -> str | None:
        """The party this actor acts for in ``case_id`` by grant (family, body officer)."""
        for g in self.grants:
            if g.case_id == case_id:
                return g.party_id
        return None


SYSTEM_ID = "system"
SYSTEM = Actor(actor_id=SYSTEM_ID, role=Role.SYSTEM)
"""The actor of clock events (a deadline passing, found by the daily sweep)."""


@runtime_checkable
class ActorDirectory(Protocol):
    """Who a user id is. A council implements it over its own directory (through the
    ``sen_resolve_actor`` hook); the answer is the only source of roles and case grants."""

    def resolve(self, user_id: str) -> Actor | None: ...


class StaticActorDirectory:
    """A fixed set of actors: tests, examples, the demo, a council's development users.

    Build from :class:`Actor` values or load a JSON file (:meth:`from_json`) of the form
    ``{"users": [{"id": ..., "role": ..., "council": ..., "organisation": ...,
    "grants": [{"case_id": ..., "party_id": ...}]}]}``."""

    def __init__(self, actors: Iterable[Actor]) -> None:
        self._actors: dict[str, Actor] = {}
        for a in actors:
            if not isinstance(a, Actor):
                raise InvalidInputError("must be an Actor", field="actors", rule_id="actor.role")
            if a.actor_id in self._actors:
                raise InvalidInputError("is repeated", field="actors.actor_id",
                                        rule_id="actor.user_id")
            self._actors[a.actor_id] = a

    def resolve(self, user_id: str) -> Actor | None:
        return self._actors.get(user_id)

    def __iter__(self) -> Any:
        return iter(self._actors.values())

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> StaticActorDirectory:
        users = data.get("users")
        if not isinstance(users, list):
            raise InvalidInputError("must be a list", field="$.users", rule_id="actor.file")
        actors = []
        for i, u in enumerate(users):
            if not isinstance(u, dict):
                raise InvalidInputError("must be an object", field=f"$.users[{i}]",
                                        rule_id="actor.file")
            try:
                role = Role(u.get("role"))
            except ValueError:
                raise InvalidInputError(
                    "must be one of " + ", ".join(r.value for r in Role if r is not Role.SYSTEM),
                    field=f"$.users[{i}].role", rule_id="actor.role",
                ) from None
            raw = u.get("grants", [])
            if not isinstance(raw, list) or not all(isinstance(g, dict) for g in raw):
                raise InvalidInputError("must be a list of objects", field=f"$.users[{i}].grants",
                                        rule_id="actor.grant")
            try:
                actors.append(Actor(
                    actor_id=u.get("id", ""), role=role, council=u.get("council"),
                    organisation=u.get("organisation"),
                    grants=[CaseGrant(case_id=g.get("case_id"), party_id=g.get("party_id"))
                            for g in raw],
                ))
            except InvalidInputError as exc:
                raise exc.at(f"$.users[{i}]") from None
        return cls(actors)

    @classmethod
    def from_json(cls, path: str | Path) -> StaticActorDirectory:
        try:
            raw = read_regular_file(path, MAX_FILE_BYTES + 1)
            if len(raw) > MAX_FILE_BYTES:
                raise ValueError("too large")
            data = json.loads(raw.decode("utf-8"))
        except (OSError, ValueError, RecursionError):
            raise InvalidInputError("is not a readable JSON file of users", field="path",
                                    rule_id="actor.file") from None
        if not isinstance(data, dict):
            raise InvalidInputError("must be an object", field="$", rule_id="actor.file")
        return cls.from_mapping(data)


# User ids (exact strs) check_user_id has passed: its answer depends on the text alone.
_GOOD_USER_IDS: set[str] = set()
_GOOD_USER_IDS_MAX = 4096


def resolve(directory: ActorDirectory, user_id: object) -> Actor:
    """The directory's actor for ``user_id``. :class:`NotFoundError` when it knows no such user
    or answers with anything but an :class:`Actor` for that id (garbage from a directory is an
    unknown user); :class:`AccessDeniedError` for the system actor, which is the library's own."""
    if type(user_id) is str and user_id in _GOOD_USER_IDS:
        uid: str = user_id  # an exact str check_user_id has passed: it passes again
    else:
        uid = check_user_id(user_id)
        if type(uid) is str:  # only exact strs: a subclass could hash or compare as another
            if len(_GOOD_USER_IDS) >= _GOOD_USER_IDS_MAX:
                _GOOD_USER_IDS.clear()  # a bound, not a policy: later ids are checked again
            _GOOD_USER_IDS.add(uid)
    actor = directory.resolve(uid)
    if not isinstance(cast(object, actor), Actor) or actor is None or actor.actor_id != uid:
        msg = f"user {uid} is not known to the council's actor directory"
        raise NotFoundError(msg)
    if actor.role is Role.SYSTEM:
        raise AccessDeniedError(f"user {uid}: the system actor is the library's own",
                                rule_id="who.system", citation="sen-disagreement")
    return actor
