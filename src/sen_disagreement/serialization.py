"""JSON in and out of the public models, through one cattrs converter factory.

* :func:`make_converter` builds a fresh converter (the global cattrs converter is never touched).
* Unknown keys are rejected; scalars are checked strictly (``"3"`` is not an integer, ``1`` is
  not a string); dates are ISO 8601 ``YYYY-MM-DD``.
* :func:`loads` turns every fault into an :class:`~sen_disagreement.errors.InvalidInputError`
  whose ``field`` is a JSON path (``$.parties[1].kind``) and whose ``rule_id`` names the rule,
  gathered into one :class:`~sen_disagreement.errors.DocumentError`.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import typing
from typing import Any, TypeVar

import cattrs
import cattrs.cols
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)

from sen_disagreement.errors import DocumentError, InvalidInputError

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "MAX_ITEMS",
    "MAX_STRING",
    "STORED_MAX_ITEMS",
    "configure_converter",
    "dumps",
    "loads",
    "make_converter",
    "parse_json",
    "structure",
    "unstructure",
]

T = TypeVar("T")

MAX_DOCUMENT_BYTES = 1_000_000
"""Largest JSON document :func:`parse_json` reads (1 MB); a larger one is refused unread."""
MAX_STRING = 10_000
"""Longest string a document may hold, in characters."""


class _TypeFault(Exception):
    """Raised by the strict scalar hooks; turned into an InvalidInputError with a path."""

    def __init__(self, message: str, rule_id: str = "input.type") -> None:
        self.message = message
        self.rule_id = rule_id
        super().__init__(message)


def _str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise _TypeFault(f"must be a string, not {_json_type(value)}")
    if len(value) > MAX_STRING:
        raise _TypeFault(f"is longer than {MAX_STRING} characters", "input.string_length")
    return value


def _int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _TypeFault(f"must be an integer, not {_json_type(value)}")
    return value


def _bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise _TypeFault(f"must be true or false, not {_json_type(value)}")
    return value


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(value: object, _: type) -> dt.date:
    if not isinstance(value, str):
        raise _TypeFault(f"must be a date string YYYY-MM-DD, not {_json_type(value)}")
    try:
        # fromisoformat alone also reads week dates (2025-W10-1) and non-ASCII digits.
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _TypeFault("must be a real calendar date written YYYY-MM-DD", "input.date") from None


def _datetime(value: object, _: type) -> dt.datetime:
    # Times in documents are UTC, written ISO 8601 with their offset.
    if not isinstance(value, str):
        raise _TypeFault(f"must be an ISO 8601 UTC time, not {_json_type(value)}")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _TypeFault("must be an ISO 8601 UTC time", "input.datetime") from None
    if parsed.utcoffset() != dt.timedelta(0):
        raise _TypeFault("must be a UTC time", "input.utc_time")
    return parsed


def _is_frozenset(t: Any) -> bool:
    return t is frozenset or typing.get_origin(t) is frozenset


def _enum(value: object, cls: type[enum.Enum]) -> enum.Enum:
    if isinstance(value, str):
        try:
            return cls(value)
        except ValueError:
            pass
    # The allowed values are listed only on the way out (this hook runs for every enum field
    # of every stored case). The value given is never quoted: text pasted into the wrong field
    # may be without-prejudice and would reach stderr and logs.
    allowed = [str(m.value) for m in cls]
    if not isinstance(value, str):
        raise _TypeFault(f"must be one of {allowed}, not {_json_type(value)}")
    raise _TypeFault(f"is not one of {allowed}", "input.enum")


def _enum_factory(cls: type[enum.Enum]) -> Any:
    """The structure hook of one enum: its members by their string values, looked up once per
    class rather than through the enum's call machinery for every field of every case. Anything
    else (an alias, a value the enum's ``_missing_`` maps, a refusal) goes the long way,
    :func:`_enum`, so the answers are the same."""
    members = {m.value: m for m in cls if isinstance(m.value, str)}
    get = members.get

    def structure_enum(value: object, _: type) -> enum.Enum:
        found = get(value) if type(value) is str else None
        return found if found is not None else _enum(value, cls)

    return structure_enum


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)


MAX_ITEMS = 1_000
"""Most items a JSON array in a document may hold."""


STORED_MAX_ITEMS = 100_000
"""Most items an array in a stored case document may hold: a long-running case's audit trail
grows past :data:`MAX_ITEMS` (what a person's input may hold) and must still read back."""


def _tuple_factory_for(max_items: int) -> Any:
    def factory(cl: Any, converter: cattrs.Converter) -> Any:
        inner = cattrs.cols.homogenous_tuple_structure_factory(cl, converter)

        def structure_array(value: object, t: Any) -> Any:
            # JSON arrays only: a string is iterable but is never a list of things.
            if not isinstance(value, list):
                raise _TypeFault(f"must be an array, not {_json_type(value)}")
            if len(value) > max_items:
                raise _TypeFault(f"has more than {max_items} items", "input.array_length")
            return inner(value, t)

        return structure_array

    return factory


def _is_homogenous_tuple(t: Any) -> bool:
    args = typing.get_args(t)
    return typing.get_origin(t) is tuple and len(args) == 2 and args[1] is Ellipsis


def configure_converter(converter: cattrs.Converter, *, max_items: int = MAX_ITEMS) -> None:
    """Install the library's strict hooks on ``converter``; arrays hold at most
    ``max_items``."""
    converter.register_structure_hook(str, _str)
    converter.register_structure_hook(int, _int)
    converter.register_structure_hook(bool, _bool)
    converter.register_structure_hook(dt.date, _date)
    converter.register_structure_hook(dt.datetime, _datetime)
    # Sets are written sorted, so the same value always gives the same document.
    converter.register_unstructure_hook_func(
        _is_frozenset, lambda v: sorted(converter.unstructure(x) for x in v)
    )
    converter.register_unstructure_hook(dt.date, dt.date.isoformat)
    converter.register_unstructure_hook(dt.datetime, dt.datetime.isoformat)
    converter.register_structure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), _enum_factory
    )
    converter.register_structure_hook_factory(_is_homogenous_tuple, _tuple_factory_for(max_items))


def make_converter(
    *, detailed_validation: bool = True, max_items: int = MAX_ITEMS
) -> cattrs.Converter:
    """A fresh converter: unknown keys forbidden, strict scalars. ``detailed_validation`` (on
    by default) gathers every fault with its path, for input a person must correct; a reader
    that reports any fault as one error (the stored case document) turns it off, which checks
    exactly the same and structures faster."""
    converter = cattrs.Converter(forbid_extra_keys=True,
                                 detailed_validation=detailed_validation)
    configure_converter(converter, max_items=max_items)
    return converter


_CONVERTER = make_converter()


def _walk(exc: BaseException, path: str, out: list[InvalidInputError]) -> None:
    if isinstance(exc, ClassValidationError | IterableValidationError):
        for sub in exc.exceptions:
            sub_path = path
            for note in getattr(sub, "__notes__", []):
                if isinstance(note, AttributeValidationNote):
                    sub_path = f"{path}.{note.name}"
                elif isinstance(note, IterableValidationNote):
                    sub_path = f"{path}[{note.index!r}]"
            _walk(sub, sub_path, out)
        return
    if isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            shown = key if len(key) <= 40 else key[:40] + "..."
            out.append(
                InvalidInputError(
                    f"unknown key {shown!r}", field=path, rule_id="input.unknown_key"
                )
            )
        return
    if isinstance(exc, InvalidInputError):
        out.append(exc.at(path))
        return
    if isinstance(exc, _TypeFault):
        out.append(InvalidInputError(exc.message, field=path, rule_id=exc.rule_id))
        return
    if isinstance(exc, KeyError):
        out.append(InvalidInputError("is required", field=path, rule_id="input.required"))
        return
    if isinstance(exc, TypeError | ValueError | AttributeError):
        # cattrs raises these for shape errors (e.g. an object where an array was expected);
        # the original text may quote user data, so it is not echoed.
        out.append(
            InvalidInputError(
                "has the wrong shape for this field", field=path, rule_id="input.type"
            )
        )
        return
    raise exc


class _Object(dict[str, Any]):
    """A parsed JSON object that remembers keys given more than once."""

    duplicates: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        keys = [k for k, _ in pairs]
        obj.duplicates = tuple(sorted({k for k in keys if keys.count(k) > 1}))
    return obj


def _duplicate_keys(data: Any, path: str, out: list[InvalidInputError]) -> None:
    # JSON allows repeated keys and json.loads keeps the last; a document that says two things
    # about one field is refused instead.
    if isinstance(data, dict):
        for key in getattr(data, "duplicates", ()):
            shown = key if len(key) <= 40 else key[:40] + "..."
            out.append(
                InvalidInputError(
                    f"key {shown!r} is given more than once",
                    field=f"{path}.{shown}",
                    rule_id="input.duplicate_key",
                )
            )
        for key, value in data.items():
            _duplicate_keys(value, f"{path}.{key}", out)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _duplicate_keys(value, f"{path}[{i}]", out)
    elif isinstance(data, str) and not _encodable(data):
        # JSON can spell a lone surrogate ("\ud800") that no UTF-8 store or channel can hold.
        out.append(InvalidInputError("is not valid Unicode text (a lone surrogate)",
                                     field=path, rule_id="input.encoding"))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def structure(data: Any, cls: type[T]) -> T:
    """Build ``cls`` from JSON-shaped ``data``; raise :class:`DocumentError` listing every fault."""
    if not isinstance(data, dict):
        raise DocumentError(
            [InvalidInputError("must be a JSON object", field="$", rule_id="input.type")]
        )
    try:
        return _CONVERTER.structure(data, cls)
    except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError) as exc:
        problems: list[InvalidInputError] = []
        _walk(exc, "$", problems)
        raise DocumentError(problems) from None
    except InvalidInputError as exc:
        raise DocumentError([exc.at("$")]) from None


def unstructure(obj: object) -> Any:
    """``obj`` as plain JSON-ready data (dicts, lists, strings, numbers), through the library's
    converter: dates and datetimes as ISO 8601 strings, frozensets as sorted lists."""
    return _CONVERTER.unstructure(obj)


def parse_json(text: str | bytes) -> Any:
    """Parse a JSON document the way every reader of this library does: at most
    :data:`MAX_DOCUMENT_BYTES`, no repeated keys, no nesting or number the parser cannot hold.
    Raises :class:`DocumentError` listing the faults (never echoing the document)."""
    # Characters first (cheap, and bounds the encode), then bytes.
    if len(text) > MAX_DOCUMENT_BYTES or (
        isinstance(text, str) and len(text.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES
    ):
        raise DocumentError(
            [
                InvalidInputError(
                    f"document is larger than {MAX_DOCUMENT_BYTES} bytes",
                    field="$",
                    rule_id="input.document_size",
                )
            ]
        )
    try:
        data = json.loads(text, object_pairs_hook=_object_pairs)
    except (ValueError, RecursionError) as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(
            exc, json.JSONDecodeError
        ) else ""
        raise DocumentError(
            [InvalidInputError(f"is not valid JSON{where}", field="$", rule_id="input.json")]
        ) from None
    duplicates: list[InvalidInputError] = []
    try:
        _duplicate_keys(data, "$", duplicates)
    except RecursionError:
        raise DocumentError(
            [InvalidInputError("is nested too deeply", field="$", rule_id="input.json")]
        ) from None
    if duplicates:
        raise DocumentError(duplicates)
    return data


def loads(text: str | bytes, cls: type[T]) -> T:
    """Parse a JSON document into ``cls``."""
    return structure(parse_json(text), cls)


def dumps(obj: object) -> str:
    """``obj`` as an indented JSON document (non-ASCII text kept as is), which :func:`loads`
    reads back."""
    return json.dumps(unstructure(obj), indent=2, ensure_ascii=False)
