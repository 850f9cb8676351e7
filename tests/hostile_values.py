"""Values a hostile caller builds to pass for the library's own: shared by the tests of the
fast paths, which must answer them exactly as the general paths do."""

from __future__ import annotations

import datetime as dt


class EqualsAnything(str):
    """A str that says it equals (and differs from nothing) whatever it is compared with, and
    hashes as the text it holds."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = str.__hash__


class PlainStr(str):
    """A str subclass that changes nothing: a fast path for exact types must still refuse it or
    answer as the general path does."""

    __slots__ = ()


class NeverEarlier(dt.datetime):
    """A datetime that says it is never earlier than anything."""

    def __lt__(self, other: object) -> bool:
        return False
