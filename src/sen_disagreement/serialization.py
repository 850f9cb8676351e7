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
import threading
import types
import typing
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import attrs
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
    "DocumentEncoder",
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


def _is_optional(t: Any) -> bool:
    args = typing.get_args(t)
    return (typing.get_origin(t) in (typing.Union, types.UnionType) and len(args) == 2
            and _NONE in args)


def _optional_factory(t: Any, converter: cattrs.Converter) -> Any:
    """``X | None``: ``None``, else what the hook of ``X`` answers, as cattrs's own optional
    hook does, with the hook of ``X`` looked up once rather than dispatched on every value
    (every optional field of every party and stored case). Looked up at the first value, not
    here, so a class holding an optional of itself is built as before; registering a hook
    empties the converter's cache of hooks, so a later hook for ``X`` is found as before."""
    args = typing.get_args(t)
    inner_type = args[0] if args[1] is _NONE else args[1]
    found: list[Any] = []

    def structure_optional(value: object, _: type) -> Any:
        if value is None:
            return None
        if not found:
            found.append(converter.get_structure_hook(inner_type))
        return found[0](value, inner_type)

    return structure_optional


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
    converter.register_structure_hook_factory(_is_optional, _optional_factory)


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


class _Unhandled(Exception):
    """A compiled encoder met a value it does not write exactly as the general path does."""


_NONE = type(None)


def _refuse() -> NoReturn:
    """Raise :class:`_Unhandled` (from inside an expression of a compiled encoder)."""
    raise _Unhandled


class DocumentEncoder:
    """``json.dumps(converter.unstructure(value), ensure_ascii=False, sort_keys=True)``, byte
    for byte, for the attrs classes of a stored case, in one pass without the intermediate dicts.

    For each class a function is compiled once from its fields' declared types (strings,
    integers, booleans, dates, times, enums, optionals, tuples, frozensets of enums and nested
    attrs classes, each written as the converter's own hook for that type writes it). It writes
    only values of exactly the declared type, a string of at most ``max_string`` characters and
    an array of at most ``max_items``: anything else (a subclass, a value of another type, an
    outsized one) makes :meth:`encode` answer ``None``, and the caller takes the general path,
    so the text is never different from the converter's. An answer therefore also says the text
    is within the reader's bounds.

    ``memo``: frozen, slotted classes the library builds itself and hands to no plugin (audit
    entries, consent entries, recorded items), whose text is kept per object (by identity, the
    object held so its id is not reused; a bounded table of short texts). A case's next
    version shares all but its new entries with the last, so each is written once."""

    _MEMO_LIMIT = 1024
    _MEMO_TEXT = 1024
    """The table keeps at most this many texts, each at most this long (a long text is one C
    call to write anyway), so it holds about 1 MB at worst: enough for the cases being changed
    at once (a save re-writes the case it loaded moments before), small beside the store's own
    cache of recent cases."""

    def __init__(self, converter: cattrs.Converter, *, max_string: int = MAX_STRING,
                 max_items: int = MAX_ITEMS, memo: tuple[type, ...] = ()) -> None:
        self._converter = converter
        self._max_string = max_string
        self._max_items = max_items
        self._memo_classes = frozenset(c for c in memo if _frozen_slotted(c))
        self._memo: dict[int, tuple[object, str, tuple[object, ...]]] = {}
        self._globals: dict[str, Any] = {
            "_U": _Unhandled, "_esc": json.encoder.encode_basestring, "_D": dt.date,
            "_DT": dt.datetime, "_MS": max_string, "_MI": max_items, "_memo": self._memo,
            "_ML": self._MEMO_LIMIT, "_MT": self._MEMO_TEXT, "_refuse": _refuse,
        }
        self._names: dict[Any, str | None] = {}
        self._lock = threading.Lock()

    def encode(self, value: object) -> str | None:
        """``value`` as the stored text, or ``None`` when it is not one this encoder writes
        exactly (then write ``converter.unstructure(value)`` with the standard encoder)."""
        fn = self._function(type(value))
        if fn is None:
            return None
        try:
            text: str = fn(value)
        except Exception:  # _Unhandled, or whatever the general path will raise itself
            return None
        return text

    def _function(self, cls: type) -> Callable[[Any], str] | None:
        name = self._names.get(cls, "")
        if name == "":
            with self._lock:
                name = self._compile(cls)
        return None if name is None else self._globals[name]

    # -- compiling -------------------------------------------------------------------------------

    def _compile(self, t: Any) -> str | None:
        """The name of the compiled function writing type ``t`` (``None``: not handled)."""
        if t in self._names:
            return self._names[t]
        self._names[t] = None  # a class that contains itself is not handled
        try:
            name = self._build(t)
        except _Unhandled:
            name = None
        self._names[t] = name
        return name

    def _hook(self, t: Any) -> Any:
        return self._converter.get_unstructure_hook(t)

    def _build(self, t: Any) -> str:
        from cattrs.fns import identity

        n = len(self._names)
        name = f"_enc{n}"
        origin, args = typing.get_origin(t), typing.get_args(t)
        hook = self._hook(t)
        if t in (str, int, bool):
            if hook is not identity:
                raise _Unhandled
            body = [f"    {line}" for line in self._scalar(t, "v", "o")]
        elif t is dt.date or t is dt.datetime:
            if hook is not t.isoformat:
                raise _Unhandled
            body = [f"    {line}" for line in self._scalar(t, "v", "o")]
        elif isinstance(t, type) and issubclass(t, enum.Enum):
            return self._enum(t, name)
        elif origin in (typing.Union, types.UnionType) and len(args) == 2 and _NONE in args:
            if getattr(hook, "__name__", "") != "unstructure_optional":
                raise _Unhandled
            inner = args[0] if args[1] is _NONE else args[1]
            body = ["    if v is None:", "        o = 'null'", "    else:",
                    *(f"        {line}" for line in self._value(inner, "v", "o"))]
        elif origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            item = self._compile(args[0])
            if item is None:
                raise _Unhandled
            body = ["    if type(v) is not tuple or len(v) > _MI:", "        raise _U",
                    f"    o = '[' + ', '.join([{item}(x) for x in v]) + ']' if v else '[]'"]
        elif origin is tuple and args and Ellipsis not in args:
            parts = [self._compile(a) for a in args]
            if None in parts:
                raise _Unhandled
            joined = " + ', ' + ".join(f"{p}(v[{i}])" for i, p in enumerate(parts))
            body = [f"    if type(v) is not tuple or len(v) != {len(args)}:", "        raise _U",
                    f"    o = '[' + {joined} + ']'"]
        elif origin is frozenset and len(args) == 1 and _is_str_enum(args[0]):
            values = f"_values{n}"
            members = list(args[0])
            self._globals[values] = {id(m): self._converter.unstructure(m) for m in members}
            if sorted(self._globals[values].values()) != hook(frozenset(members)) or any(
                len(s) > self._max_string for s in self._globals[values].values()
            ):
                raise _Unhandled
            body = ["    if type(v) is not frozenset or len(v) > _MI:", "        raise _U",
                    f"    o = '[' + ', '.join([_esc(s) for s in sorted([{values}[id(m)] "
                    "for m in v])]) + ']'"]
        elif isinstance(t, type) and attrs.has(t):
            return self._class(t, name, hook)
        else:
            raise _Unhandled
        return self._define(name, [f"def {name}(v):", *body, "    return o"])

    def _define(self, name: str, lines: list[str]) -> str:
        exec(compile("\n".join(lines), f"<document encoder {name}>", "exec"),  # noqa: S102
             self._globals)
        return name

    def _scalar(self, t: Any, v: str, o: str) -> list[str]:
        """Lines writing the scalar ``v`` (of type ``t``) as JSON text into ``o``."""
        if t is str:
            return [f"if type({v}) is not str or len({v}) > _MS:", "    raise _U",
                    f"{o} = _esc({v})"]
        if t is bool:
            return [f"if {v} is True:", f"    {o} = 'true'", f"elif {v} is False:",
                    f"    {o} = 'false'", "else:", "    raise _U"]
        if t is int:
            return [f"if type({v}) is not int:", "    raise _U", f"{o} = repr({v})"]
        kind = "_DT" if t is dt.datetime else "_D"
        # ISO 8601 text is digits and - : . + T only: nothing to escape.
        return [f"if type({v}) is not {kind}:", "    raise _U",
                f"{o} = '\"' + {v}.isoformat() + '\"'"]

    def _value(self, t: Any, v: str, o: str) -> list[str]:
        """Lines writing ``v`` (declared ``t``) into ``o``: scalars inline, the rest by call."""
        if t in (str, int, bool, dt.date, dt.datetime):
            if self._compile(t) is None:  # the converter's hook for it is not the standard one
                raise _Unhandled
            return self._scalar(t, v, o)
        args = typing.get_args(t)
        if typing.get_origin(t) in (typing.Union, types.UnionType) and len(args) == 2 and (
            _NONE in args
        ):
            if self._compile(t) is None:  # the converter's hook for it is not the standard one
                raise _Unhandled
            inner = self._value(args[0] if args[1] is _NONE else args[1], v, o)
            return [f"if {v} is None:", f"    {o} = 'null'", "else:",
                    *(f"    {line}" for line in inner)]
        if isinstance(t, type) and issubclass(t, enum.Enum):
            table = self._compile(t)
            if table is None:
                raise _Unhandled
            return [f"{o} = {table}_t.get(id({v}))", f"if {o} is None:", "    raise _U"]
        fn = self._compile(t)
        if fn is None:
            raise _Unhandled
        if typing.get_origin(t) is tuple and args == (str, Ellipsis) and (
            self._compile(str) is not None
        ):
            # An array of strings (audit field names, rule ids) written in place: the lines of
            # its function and of the string's, without a call per array and per string.
            return [f"if type({v}) is not tuple or len({v}) > _MI:", "    raise _U",
                    f"{o} = '[' + ', '.join([_esc(s) if type(s) is str and len(s) <= _MS "
                    f"else _refuse() for s in {v}]) + ']' if {v} else '[]'"]
        return [f"{o} = {fn}({v})"]

    def _enum(self, t: type[enum.Enum], name: str) -> str:
        # Members live as long as their class, so an id found here is that member's.
        hook = self._hook(t)
        table: dict[int, str] = {}
        for m in t:
            value = hook(m)
            if isinstance(value, str) and len(value) > self._max_string:
                continue
            if not (value is None or isinstance(value, str | int | bool)):
                continue
            table[id(m)] = _PLAIN.encode(value)
        self._globals[f"{name}_t"] = table
        return self._define(name, [f"def {name}(v):", f"    o = {name}_t.get(id(v))",
                                   "    if o is None:", "        raise _U", "    return o"])

    def _class(self, cls: type, name: str, hook: Any) -> str:
        # Only the converter's own generated hook with no overrides writes {field: value}
        # for every init field, by its name.
        if getattr(hook, "__name__", "") != f"unstructure_{cls.__name__}" or getattr(
            hook, "overrides", None
        ) != {}:
            raise _Unhandled
        attrs.resolve_types(cls)
        fields = sorted((a for a in attrs.fields(cls) if a.init), key=lambda a: a.name)
        self._globals[f"{name}_cls"] = cls
        # The class first, memo or not: an object whose class was swapped since it was
        # written is not answered from its kept text.
        lines = [f"def {name}(v):", f"    if type(v) is not {name}_cls:", "        raise _U"]
        memo = cls in self._memo_classes
        if memo:
            # A kept text answers only while every field still holds the very object it was
            # written from: one rewritten in place (object.__setattr__) is written again.
            same = " and ".join(f"k[{i}] is v.{a.name}" for i, a in enumerate(fields))
            lines += ["    c = _memo.get(id(v))", "    if c is not None and c[0] is v:",
                      "        k = c[2]", f"        if {same or 'True'}:",
                      "            return c[1]"]
        pieces = []
        for i, a in enumerate(fields):
            if a.type is None:
                raise _Unhandled
            lines += [f"    x{i} = v.{a.name}"]
            lines += [f"    {line}" for line in self._value(a.type, f"x{i}", f"p{i}")]
            key = _PLAIN.encode(a.name) + ": "
            pieces.append(_braces((", " if i else "") + key) + f"{{p{i}}}")
        # One f-string: the object's text built in one piece, not by repeated concatenation.
        lines.append(f"    o = f{'{{' + ''.join(pieces) + '}}'!r}")
        if memo:
            held = "(" + "".join(f"x{i}, " for i in range(len(fields))) + ")"
            lines += ["    if len(o) <= _MT:", "        if len(_memo) >= _ML:",
                      "            _memo.clear()", f"        _memo[id(v)] = (v, o, {held})"]
        lines.append("    return o")
        return self._define(name, lines)


_PLAIN = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def _braces(text: str) -> str:
    """``text`` as literal text in an f-string."""
    return text.replace("{", "{{").replace("}", "}}")


def _is_str_enum(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, enum.Enum) and all(
        isinstance(m.value, str) for m in t)


def _frozen_slotted(cls: type) -> bool:
    """An attrs class whose instances refuse attribute assignment and have no ``__dict__``."""
    return attrs.has(cls) and "__slots__" in cls.__dict__ and getattr(
        cls.__setattr__, "__name__", "") == "_frozen_setattrs"
