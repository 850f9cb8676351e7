"""Construction checks for the workflow's value types that the shared ``typed_fields`` transformer
does not cover: a collection of enum members, and a field holding one of the library's classes.

``typed_fields`` checks a field typed as one enum or one simple type. A field typed as a tuple or
set of enum members converts whatever iterable it is given, so a plain string once became a tuple
of its characters (``decisions="plan_..."``) and a list of strings (``decisions=["bogus"]``) was
kept as it was; a field typed as a :class:`~sen_disagreement.parties.Party` kept a string. Each is
now an :class:`InvalidInputError` naming the field, rule ``input.type``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from sen_disagreement.checks import INPUT
from sen_disagreement.errors import InvalidInputError

__all__ = ["enum_frozenset", "enum_tuple", "instance_of"]

E = TypeVar("E", bound=enum.Enum)

_TYPE = INPUT["type"]


def _members(value: object, kind: type[E], field: str) -> Iterable[E]:
    # A mapping iterates as its keys, silently dropping its values: refused like a string.
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise InvalidInputError(f"must be a collection of {kind.__name__} members, not a "
                                f"{type(value).__name__}", field=field, rule_id=_TYPE)
    out = tuple(value)
    for member in out:
        if not isinstance(member, kind):
            raise InvalidInputError(f"must hold only {kind.__name__} members", field=field,
                                    rule_id=_TYPE)
    return out


def enum_tuple(value: object, kind: type[E], *, field: str) -> tuple[E, ...]:
    """``value`` as a tuple of ``kind`` members; a string, a non-iterable or any other element
    is an error naming ``field``."""
    if type(value) is tuple and all(type(m) is kind for m in value):
        return value  # the common case: already exactly what is kept
    return tuple(_members(value, kind, field))


def enum_frozenset(value: object, kind: type[E], *, field: str) -> frozenset[E]:
    """``value`` as a frozenset of ``kind`` members (see :func:`enum_tuple`)."""
    return frozenset(_members(value, kind, field))


def instance_of(kind: type[Any], *, optional: bool = False) -> Any:
    """attrs validator: the value is a ``kind`` (or ``None`` where ``optional``)."""
    what = f"a {kind.__name__}" + (", or absent" if optional else "")

    def check(_inst: object, attribute: Any, value: object) -> None:
        # The value's real type, not isinstance: an object may claim a class through __class__.
        if issubclass(type(value), kind) or (optional and value is None):
            return
        raise InvalidInputError(f"must be {what}", field=attribute.name, rule_id=_TYPE)

    return check
