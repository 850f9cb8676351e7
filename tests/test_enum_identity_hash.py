"""Every enum the library defines derives from ``sen_disagreement._enum.Enum`` and hashes its
members by identity (issue 14: ``enum.Enum`` hashes a member's name in Python code, on every
lookup in a state machine, permission table or set of kinds). A new enum on plain ``enum.Enum``
fails here rather than quietly slowing every case."""

from __future__ import annotations

import enum
import importlib
import pickle
import pkgutil

import sen_disagreement
from sen_disagreement._enum import Enum


def _library_enums() -> list[type[enum.Enum]]:
    found: dict[str, type[enum.Enum]] = {}
    for info in pkgutil.walk_packages(sen_disagreement.__path__, "sen_disagreement."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, enum.Enum)
                    and value.__module__ == info.name and value is not Enum):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[k] for k in sorted(found)]


def test_every_library_enum_hashes_by_identity() -> None:
    enums = _library_enums()
    assert len(enums) > 50
    plain = [e.__qualname__ for e in enums
             if not issubclass(e, enum.IntEnum) and not issubclass(e, Enum)]
    assert plain == []
    for enum_type in enums:
        if issubclass(enum_type, enum.IntEnum):  # an int's own hash, already C-level
            continue
        for member in enum_type:
            assert hash(member) == object.__hash__(member)
            assert {member: 1}[member] == 1
            assert pickle.loads(pickle.dumps(member)) is member
            assert enum_type(member.value) is member


def test_identity_hash_keeps_equality_and_the_values() -> None:
    class Colour(Enum):
        RED = "red"
        BLUE = "blue"

    assert Colour("red") is Colour.RED and Colour["BLUE"] is Colour.BLUE
    assert Colour.RED != "red" and hash(Colour.RED) != hash(Colour.BLUE)  # type: ignore[comparison-overlap]
    assert list(Colour) == [Colour.RED, Colour.BLUE]
    assert {Colour.RED, Colour.RED} == {Colour.RED}
