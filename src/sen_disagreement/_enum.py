"""The base of the library's enums: members hash by identity.

:class:`enum.Enum` hashes a member by its name in Python code, which dominated the library's
hottest lookups (permission tables, state machines, frozensets of kinds: about 150 a case,
issue 14). An enum member is a singleton equal only to itself, so the identity hash that
``object`` computes in C is consistent with its equality; it is also what pickling and copying
keep (both return the member itself). Only the hash changes: values, names, iteration order,
``repr`` and the serialised forms are those of :class:`enum.Enum`.
"""

from __future__ import annotations

import enum

__all__ = ["Enum"]


class Enum(enum.Enum):
    """:class:`enum.Enum` whose members hash by identity (see the module docstring)."""

    __hash__ = object.__hash__
