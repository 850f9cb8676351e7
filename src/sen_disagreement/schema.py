"""JSON Schema of the input documents, generated from the attrs models so the two never drift.

The published copy is ``docs/reference/classify-input.schema.json``; a test checks that it equals
:func:`classify_input_schema`.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from typing import Any

import attrs

from sen_disagreement.classifier import MAX_PARTIES, SCHEMA_VERSION, Disagreement
from sen_disagreement.parties import MAX_NAME_LENGTH
from sen_disagreement.serialization import MAX_ITEMS, MAX_STRING

__all__ = [
    "SCHEMA_BASE",
    "classify_input_schema",
]

SCHEMA_BASE = "https://sen-disagreement.readthedocs.io/schemas"
"""The base of every JSON Schema ``$id`` this library publishes."""


def _schema_for(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        inner = _schema_for(non_none[0], defs) if len(non_none) == 1 else {}
        return {"anyOf": [inner, {"type": "null"}]}
    if origin is tuple:
        return {"type": "array", "items": _schema_for(args[0], defs), "maxItems": MAX_ITEMS}
    if tp is str:
        return {"type": "string", "maxLength": MAX_STRING}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is dt.date:
        return {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        defs.setdefault(tp.__name__, {"enum": [m.value for m in tp]})
        return {"$ref": f"#/$defs/{tp.__name__}"}
    if attrs.has(tp):
        if tp.__name__ not in defs:
            defs[tp.__name__] = {}  # placeholder: breaks recursion
            defs[tp.__name__] = _object(tp, defs)
        return {"$ref": f"#/$defs/{tp.__name__}"}
    msg = f"no JSON Schema mapping for {tp!r}"
    raise TypeError(msg)


def _object(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    props: dict[str, Any] = {}
    required: list[str] = []
    for a in attrs.fields(cls):
        prop = _schema_for(hints[a.name], defs)
        if a.name == "name":
            prop = {"anyOf": [{"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH},
                              {"type": "null"}]}
        if a.default is attrs.NOTHING:
            required.append(a.name)
        props[a.name] = prop
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def classify_input_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a ``classify`` input document."""
    defs: dict[str, Any] = {}
    root = _object(Disagreement, defs)
    root["properties"]["schema_version"] = {"const": SCHEMA_VERSION}
    root["properties"]["parties"].update(minItems=2, maxItems=MAX_PARTIES)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}/classify-input/v{SCHEMA_VERSION}.json",
        "title": "A described SEN disagreement (input of sen-disagreement classify)",
        **root,
        "$defs": dict(sorted(defs.items())),
    }
