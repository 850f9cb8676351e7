"""Shape checks shared by every layer: case ids, council keys, actor ids and UTC times.

One definition each, so the store, the workflows, the plugins and the command line accept the
same values. Each layer passes its own ``rule_id`` so errors still say which rule was broken.
Messages name the field and the expected shape, never the value (it may be personal data).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import sys
import types
import typing
from typing import Any

import attrs

from sen_disagreement.errors import InvalidInputError

CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}")
CASE_ID_SHAPE = "1-128 of A-Z a-z 0-9 . _ : / - (a case reference, never a name)"
COUNCIL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
COUNCIL_SHAPE = "a GSS code or slug (1-64 of A-Z a-z 0-9 _ -)"
ACTOR = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")
ACTOR_SHAPE = "an actor id (letters, digits, . _ : @ -; no spaces)"
LOCAL_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
"""An id inside a case (issue, item, party, action). Ids are echoed in audit entries and error
messages, so they are never free text."""


# C0 and C1 controls, and the marks that reorder or hide text when it is shown (bidi overrides,
# isolates, embeddings, line/paragraph separators): in a name or a record they can disguise what
# an officer reads or what a log line says. Item text keeps tab and line breaks.
# A lone surrogate (U+D800-U+DFFF) is no character at all: no UTF-8 text holds one, and the
# store could not write it (hostile review), so it is refused with the hidden characters.
_HIDDEN_IN_LINE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]"
)
_HIDDEN_IN_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
    "\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def check_text(value: str, *, field: str, multiline: bool) -> str:
    """``value`` unless it holds a control character or a text-direction mark (tab and line
    breaks are allowed where ``multiline``); the error never quotes the text."""
    pattern = _HIDDEN_IN_TEXT if multiline else _HIDDEN_IN_LINE
    if pattern.search(value) is not None:
        what = "control characters other than tab and line breaks" if multiline else (
            "control characters or line breaks")
        raise InvalidInputError(f"must not contain {what} or text-direction marks",
                                field=field, rule_id="input.encoding")
    return value


def text_validator(_inst: object, attribute: Any, value: Any) -> None:
    """attrs validator: a string of free text (tab and line breaks allowed) with no hidden
    characters. It replaces the field's type check, so it checks the type too."""
    if not isinstance(value, str):
        raise InvalidInputError("must be a str", field=attribute.name, rule_id="input.type")
    check_text(value, field=attribute.name, multiline=True)


def check_shape(
    value: object, pattern: re.Pattern[str], *, field: str, rule_id: str, shape: str
) -> str:
    """``value`` if it is a string matching ``pattern``, else an error naming ``field``. Only
    a plain ``str``: an identifier is compared and hashed wherever the library decides who is
    who, and a subclass could answer those as another identifier's."""
    if type(value) is not str or pattern.fullmatch(value) is None:
        raise InvalidInputError(f"must be {shape}", field=field, rule_id=rule_id)
    return value


_ZERO = dt.timedelta(0)
_UTC = dt.UTC


def check_utc(value: object, *, field: str, rule_id: str = "input.utc_time") -> dt.datetime:
    """``value`` if it is a timezone-aware UTC datetime (any other offset is refused)."""
    # The common case first: a plain datetime on the UTC singleton has offset zero by
    # definition (a subclass may override utcoffset, so it is asked).
    if type(value) is dt.datetime and value.tzinfo is _UTC:
        return value
    # Otherwise ``!=``, exactly the store's own test: an offset (a timedelta subclass) may claim
    # ``== 0`` while ``!=`` still says what it is.
    if not isinstance(value, dt.datetime) or value.utcoffset() != _ZERO:
        raise InvalidInputError("must be a timezone-aware UTC datetime", field=field,
                                rule_id=rule_id)
    return value


def check_id(value: object, name: str) -> str:
    """An id used inside a case (issue, item, party, action): 1-32 of a-z 0-9 _ -, a plain
    ``str`` (see :func:`check_shape`)."""
    if type(value) is not str or LOCAL_ID.fullmatch(value) is None:
        raise InvalidInputError(
            "must be 1-32 characters of a-z, 0-9, '_' or '-', starting with a letter or digit",
            field=name,
            rule_id="input.id",
        )
    return value


def id_validator(_inst: object, attribute: Any, value: Any) -> None:
    """attrs validator form of :func:`check_id`."""
    check_id(value, attribute.name)


def utc_validator(_inst: object, attribute: Any, value: Any) -> None:
    """attrs validator form of :func:`check_utc`."""
    check_utc(value, field=attribute.name)


def actor_validator(_inst: object, attribute: Any, value: Any) -> None:
    """attrs validator: an actor or party id."""
    check_shape(value, ACTOR, field=attribute.name, rule_id="input.actor", shape=ACTOR_SHAPE)


# --- typed fields ---------------------------------------------------------------------------------
# A public value type checks the type of each simply-typed field when it is built (an enum is an
# enum member, a date a date, a flag a bool), so a plain string such as kind='offer' is an
# InvalidInputError naming the field instead of a value that slips past the rules. Fields with
# their own validator or converter keep theirs. A field typed as one of the library's attrs classes
# (a case's provider, ledger, audit trail, notice) is checked the same way: a string there once
# slipped through to the rules.

_SIMPLE: tuple[type, ...] = (bool, int, str, dt.date, dt.datetime)


def _resolve(annotation: object, namespace: dict[str, Any]) -> tuple[type, bool] | None:
    """(type, optional) for ``X`` or ``X | None`` where X is an enum or a simple type."""
    if isinstance(annotation, str):
        try:
            annotation = eval(annotation, namespace)  # noqa: S307 - the class's own annotation
        except Exception:  # a forward reference: not a simple type
            return None
    optional = False
    args = typing.get_args(annotation)
    if args and typing.get_origin(annotation) in (types.UnionType, typing.Union):
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            return None
        optional, annotation = len(rest) < len(args), rest[0]
    if isinstance(annotation, type) and (
        issubclass(annotation, enum.Enum) or annotation in _SIMPLE or attrs.has(annotation)
    ):
        return annotation, optional
    return None


def _type_validator(kind: type, optional: bool) -> Any:
    what = f"a {kind.__name__} member" if issubclass(kind, enum.Enum) else f"a {kind.__name__}"
    # bool is an int and datetime is a date in Python; neither is meant here.
    excluded: type | None = bool if kind is int else dt.datetime if kind is dt.date else None

    def check(_inst: object, attribute: Any, value: Any) -> None:
        if type(value) is kind:
            return  # exactly the type: never a bool for int, never a datetime for date
        if value is None and optional:
            return
        # The value's real type, not isinstance: an object may claim a class through __class__.
        if issubclass(type(value), kind) and (excluded is None
                                              or not issubclass(type(value), excluded)):
            return
        raise InvalidInputError(f"must be {what}", field=attribute.name, rule_id="input.type")

    return check


def typed_fields(cls: type, fields: list[Any]) -> list[Any]:
    """attrs ``field_transformer``: add a type check to every simply-typed field that has no
    validator or converter of its own."""
    namespace = dict(vars(sys.modules[cls.__module__]))
    out = []
    for f in fields:
        resolved = None if (f.validator or f.converter) else _resolve(f.type, namespace)
        if resolved is not None:
            f = f.evolve(validator=_type_validator(*resolved))
        out.append(f)
    return out

