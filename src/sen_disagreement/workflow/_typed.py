"""Construction checks for the workflow's value types that the shared ``typed_fields`` transformer
does not cover: a collection of enum members.

``typed_fields`` checks a field typed as one enum, one simple type or one of the library's attrs
classes (a field holding a :class:`~sen_disagreement.parties.Party` once kept a string). A field
typed as a tuple or set of enum members converts whatever iterable it is given, so a plain string
once became a tuple of its characters (``decisions="plan_..."``) and a list of strings
(``decisions=["bogus"]``) was kept as it was. Each is now an :class:`InvalidInputError` naming the
field, rule ``input.type``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import TypeVar

from sen_disagreement.checks import INPUT
from sen_disagreement.errors import InvalidInputError

__all__ = ["enum_frozenset", "enum_tuple"]

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
