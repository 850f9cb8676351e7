"""Hundreds of malformed or hostile JSON documents fed to ``sen-disagreement classify``.

Issue 2, acceptance: "200+ malformed or hostile JSON inputs to `classify` (wrong types, unknown
keys, huge strings, impossible dates, a young person aged 30): each gives a clear error that names
the field, a non-zero exit code and no traceback."

Every case is built from one valid document (:data:`BASE`) by a single mutation, so the mutation is
the only fault. Each case is run through the CLI twice (``--format json`` and text) and must give
exit code 2, name the JSON path of the fault, show no traceback, stay short (no echo of huge
input), and, where the rejected value is not something the user needs to see quoted back, never
echo it (a canary string is planted in it).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sen_disagreement.cli import main

CANARY = "CANARY-5ecret-7f3a9"
MAX_ERROR_OUTPUT = 10_000
"""No error report may be longer than this, however large the input (nothing huge is echoed)."""

BASE: dict[str, Any] = {
    "schema_version": 1,
    "date": "2025-03-03",
    "stage": "drawing_up",
    "provision": ["health_care", "special_educational"],
    "duty": "assess",
    "parties": [
        {"kind": "parent", "name": "A parent", "acting_for_young_person_lacking_capacity": False},
        {
            "kind": "local_authority",
            "name": "Sefton Council",
            "identifiers": {"gss_code": "E08000014", "la_number": "343"},
        },
        {"kind": "integrated_care_board", "identifiers": {"ods_code": "QYG"}},
        {"kind": "young_person", "date_of_birth": "2007-11-20"},
        {"kind": "school", "identifiers": {"urn": "123456", "ukprn": "10005999"}},
    ],
}
"""A valid document touching every field but ``employer`` (only independent roles, which are never
a side, may record one; see :data:`EMPLOYER`)."""

EMPLOYER: dict[str, Any] = {
    "kind": "local_authority",
    "name": "Sefton Council",
    "identifiers": {"gss_code": "E08000014"},
}

Steps = tuple[str | int, ...]


@dataclass(frozen=True)
class Case:
    id: str
    data: bytes
    field: str
    """The JSON path that the error must name."""
    rule: str | None = None
    """The rule id expected on the problem at ``field``, when the case is about one rule."""
    message: str | None = None
    """A fragment the message at ``field`` must contain."""
    canary: bool = False
    """The rejected value contains :data:`CANARY`; the output must not."""


def encode(doc: Any) -> bytes:
    return json.dumps(doc, allow_nan=True).encode("utf-8")


def _walk_to(doc: Any, path: Steps) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def mutated(path: Steps, value: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    doc = copy.deepcopy(BASE if base is None else base)
    _walk_to(doc, path[:-1])[path[-1]] = copy.deepcopy(value)
    return doc


def without(path: Steps, base: dict[str, Any] | None = None) -> dict[str, Any]:
    doc = copy.deepcopy(BASE if base is None else base)
    del _walk_to(doc, path[:-1])[path[-1]]
    return doc


def json_path(path: Steps) -> str:
    out = "$"
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else f".{step}"
    return out


def with_employer() -> dict[str, Any]:
    """BASE with an (otherwise well-formed) employer on the parent: structural faults inside the
    employer are reported before the party-level rule 'only independent roles have one'."""
    return mutated(("parties", 0, "employer"), EMPLOYER)


def two_party(kind: str, date: str = "2025-03-03", **extra: Any) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "date": date,
        "stage": "drawing_up",
        "provision": ["health_care"],
        "parties": [{"kind": "parent"}, {"kind": kind, **extra}],
    }


# --- 1. Wrong types at every field ----------------------------------------------------------

NOT_A_STRING: list[tuple[str, Any]] = [
    ("int", 1),
    ("negative", -7),
    ("float", 1.5),
    ("true", True),
    ("false", False),
    ("array", [CANARY]),
    ("object", {CANARY: CANARY}),
]
NOT_NULL: list[tuple[str, Any]] = [("null", None)]

STRING_VALUED: dict[Steps, bool] = {
    # path -> may it be null?
    ("date",): False,
    ("stage",): False,
    ("duty",): True,
    ("parties", 0, "kind"): False,
    ("parties", 0, "name"): True,
    ("parties", 3, "date_of_birth"): True,  # null then fails the young-person rule: see below
    ("parties", 1, "identifiers", "gss_code"): True,
    ("parties", 1, "identifiers", "la_number"): True,
    ("parties", 2, "identifiers", "ods_code"): True,
    ("parties", 4, "identifiers", "urn"): True,
    ("parties", 4, "identifiers", "ukprn"): True,
}
EMPLOYER_STRING_VALUED: dict[Steps, bool] = {
    ("parties", 0, "employer", "kind"): False,
    ("parties", 0, "employer", "name"): True,
    ("parties", 0, "employer", "identifiers", "gss_code"): True,
}


def wrong_type_cases() -> Iterator[Case]:
    for path, nullable in STRING_VALUED.items():
        for label, value in NOT_A_STRING + ([] if nullable else NOT_NULL):
            yield Case(
                f"wrong-type:{json_path(path)}={label}",
                encode(mutated(path, value)),
                json_path(path),
                rule="input.type",
                canary=True,
            )
    for path, nullable in EMPLOYER_STRING_VALUED.items():
        for label, value in NOT_A_STRING + ([] if nullable else NOT_NULL):
            yield Case(
                f"wrong-type:{json_path(path)}={label}",
                encode(mutated(path, value, with_employer())),
                json_path(path),
                rule="input.type",
                canary=True,
            )
    not_an_int = [
        ("string", "1"),
        ("float-one", 1.0),
        ("float", 1.5),
        ("true", True),
        ("false", False),
        ("array", [1]),
        ("object", {"v": 1}),
        ("null", None),
    ]
    for label, value in not_an_int:
        yield Case(
            f"wrong-type:$.schema_version={label}",
            encode(mutated(("schema_version",), value)),
            "$.schema_version",
            rule="input.type",
        )
    not_a_bool = [
        ("one", 1),
        ("zero", 0),
        ("string-true", "true"),
        ("string-false", "false"),
        ("null", None),
        ("array", [True]),
        ("object", {"v": True}),
    ]
    path = ("parties", 0, "acting_for_young_person_lacking_capacity")
    for label, value in not_a_bool:
        yield Case(
            f"wrong-type:{json_path(path)}={label}",
            encode(mutated(path, value)),
            json_path(path),
            rule="input.type",
        )
    not_an_array = [
        ("string", CANARY),
        ("int", 2),
        ("true", True),
        ("object", {"0": {"kind": "parent"}}),
        ("null", None),
    ]
    for name in ("provision", "parties"):
        for label, value in not_an_array:
            yield Case(
                f"wrong-type:$.{name}={label}",
                encode(mutated((name,), value)),
                f"$.{name}",
                rule="input.type",
                canary=True,
            )
    not_an_object = [
        ("string", CANARY),
        ("int", 3),
        ("true", True),
        ("array", [{"gss_code": "E08000014"}]),
    ]
    objects: list[tuple[Steps, bool, dict[str, Any] | None]] = [
        (("parties", 1, "identifiers"), False, None),
        (("parties", 0, "employer"), True, None),
        (("parties", 0, "employer", "identifiers"), False, with_employer()),
    ]
    for path, nullable, base in objects:
        for label, value in not_an_object + ([] if nullable else NOT_NULL):
            yield Case(
                f"wrong-type:{json_path(path)}={label}",
                encode(mutated(path, value, base)),
                json_path(path),
                rule="input.type",
                canary=True,
            )
    for label, value in NOT_A_STRING + NOT_NULL:
        yield Case(
            f"wrong-type:$.provision[1]={label}",
            encode(mutated(("provision", 1), value)),
            "$.provision[1]",
            rule="input.type",
            canary=True,
        )
    for label, value in [
        ("string", "local_authority"),
        ("int", 1),
        ("null", None),
        ("array", [{"kind": "local_authority"}]),
        ("true", True),
    ]:
        yield Case(
            f"wrong-type:$.parties[1]={label}",
            encode(mutated(("parties", 1), value)),
            "$.parties[1]",
            rule="input.type",
        )


# --- 2. Unknown keys at every level ---------------------------------------------------------

UNKNOWN_KEYS = ["surprise", "Kind", "kind ", "__proto__", "", "ñame", "$ref"]
CONTAINERS: list[tuple[Steps, Callable[[], dict[str, Any]]]] = [
    ((), lambda: copy.deepcopy(BASE)),
    (("parties", 0), lambda: copy.deepcopy(BASE)),
    (("parties", 1, "identifiers"), lambda: copy.deepcopy(BASE)),
    (("parties", 0, "employer"), with_employer),
    (("parties", 0, "employer", "identifiers"), with_employer),
]


def unknown_key_cases() -> Iterator[Case]:
    for path, make in CONTAINERS:
        for key in UNKNOWN_KEYS:
            doc = make()
            _walk_to(doc, path)[key] = {"secret": CANARY, "list": [CANARY]}
            yield Case(
                f"unknown-key:{json_path(path)}[{key!r}]",
                encode(doc),
                json_path(path),
                rule="input.unknown_key",
                message=f"unknown key {key!r}",
                canary=True,
            )


# --- 3. Missing required keys ---------------------------------------------------------------


def missing_cases() -> Iterator[Case]:
    for path in [("date",), ("parties",), ("stage",), ("parties", 0, "kind")]:
        yield Case(
            f"missing:{json_path(path)}",
            encode(without(path)),
            json_path(path),
            rule="input.required",
        )
    yield Case(
        "missing:$.parties[0].employer.kind",
        encode(without(("parties", 0, "employer", "kind"), with_employer())),
        "$.parties[0].employer.kind",
        rule="input.required",
    )
    yield Case(
        "missing:young-person-date-of-birth",
        encode(without(("parties", 3, "date_of_birth"))),
        "$.parties[3].date_of_birth",
        rule="young_person.definition",
    )
    yield Case(
        "null:young-person-date-of-birth",
        encode(mutated(("parties", 3, "date_of_birth"), None)),
        "$.parties[3].date_of_birth",
        rule="young_person.definition",
    )
    yield Case("missing:everything", b"{}", "$.parties", rule="input.required")


# --- 4. Huge strings, huge arrays, deep nesting --------------------------------------------


def huge_cases() -> Iterator[Case]:
    name = ("parties", 0, "name")
    yield Case(
        "huge:1MB-name",
        encode(mutated(name, CANARY + "a" * 1_000_000)),
        "$",
        rule="input.document_size",
        canary=True,
    )
    yield Case(
        "huge:1MB-whitespace-after-document",
        encode(BASE) + b" " * 1_000_000,
        "$",
        rule="input.document_size",
    )
    yield Case(
        "huge:900KB-name",
        encode(mutated(name, CANARY + "a" * 900_000)),
        "$.parties[0].name",
        rule="input.string_length",
        canary=True,
    )
    yield Case(
        "huge:20k-name",
        encode(mutated(name, CANARY + "b" * 20_000)),
        "$.parties[0].name",
        rule="input.string_length",
        canary=True,
    )
    yield Case(
        "huge:201-char-name",
        encode(mutated(name, CANARY + "c" * (201 - len(CANARY)))),
        "$.parties[0].name",
        rule="input.name_length",
        canary=True,
    )
    for label, blank in [("empty", ""), ("spaces", "   "), ("tab-newline", "\t\n")]:
        yield Case(
            f"blank-name:{label}",
            encode(mutated(name, blank)),
            "$.parties[0].name",
            rule="input.name_length",
        )
    yield Case(
        "huge:employer-name",
        encode(mutated(("parties", 0, "employer", "name"), CANARY + "d" * 300, with_employer())),
        "$.parties[0].employer.name",
        rule="input.name_length",
        canary=True,
    )
    yield Case(
        "huge:500k-kind",
        encode(mutated(("parties", 0, "kind"), "k" * 500_000)),
        "$.parties[0].kind",
    )
    yield Case(
        "huge:900k-duty",
        encode(mutated(("duty",), "d" * 900_000)),
        "$.duty",
    )
    yield Case(
        "huge:100k-date",
        encode(mutated(("date",), CANARY + "9" * 100_000)),
        "$.date",
        canary=True,
    )
    yield Case(
        "huge:5k-gss-code",
        encode(mutated(("parties", 1, "identifiers", "gss_code"), CANARY + "E" * 5_000)),
        "$.parties[1].identifiers.gss_code",
        rule="identifier.gss_code.shape",
        canary=True,
    )
    long_key = "k" * 100_000
    doc = copy.deepcopy(BASE)
    doc[long_key] = CANARY
    yield Case("huge:100k-unknown-key", encode(doc), "$", rule="input.unknown_key", canary=True)
    yield Case(
        "huge:1001-provisions",
        encode(mutated(("provision",), ["health_care"] * 1001)),
        "$.provision",
        rule="input.array_length",
    )
    yield Case(
        "huge:1001-parties",
        encode(mutated(("parties",), [{"kind": "parent"}] * 1001)),
        "$.parties",
        rule="input.array_length",
    )
    yield Case(
        "huge:21-parties",
        encode(mutated(("parties",), [{"kind": "parent"}] + [{"kind": "local_authority"}] * 20)),
        "$.parties",
        rule="input.parties.count",
    )


def deep_cases() -> Iterator[Case]:
    deep_arrays = b"[" * 10_000 + b"]" * 10_000
    deep_objects = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
    yield Case("deep:10000-arrays-top", deep_arrays, "$", rule="input.json")
    yield Case("deep:10000-objects-top", deep_objects, "$", rule="input.json")
    yield Case(
        "deep:10000-arrays-in-parties",
        b'{"date": "2025-03-03", "stage": "drawing_up", "parties": ' + deep_arrays + b"}",
        "$",
        rule="input.json",
    )
    yield Case(
        "deep:10000-objects-in-name",
        b'{"date": "2025-03-03", "stage": "drawing_up", "parties": [{"kind": "parent", '
        b'"name": ' + deep_objects + b"}]}",
        "$",
        rule="input.json",
    )
    shallow = [[[[[[[[[[CANARY]]]]]]]]]]
    for path in [
        ("parties", 1),
        ("provision", 0),
        ("parties", 0, "name"),
        ("parties", 1, "identifiers"),
        ("date",),
        ("parties", 0, "employer"),
    ]:
        yield Case(
            f"deep:10-arrays-at-{json_path(path)}",
            encode(mutated(path, shallow)),
            json_path(path),
            rule="input.type",
            canary=True,
        )


# --- 5. Not UTF-8, not JSON, not an object -------------------------------------------------


def encoding_cases() -> Iterator[Case]:
    good = encode(BASE)
    bad_bytes = {
        "ff": b"\xff",
        "lone-continuation": b"\x80",
        "overlong-slash": b"\xc0\xaf",
        "utf16-surrogate-in-utf8": b"\xed\xa0\x80",
        "truncated-euro": b"\xe2\x82",
        "five-byte": b"\xf8\x88\x80\x80\x80",
        "beyond-10ffff": b"\xf4\x90\x80\x80",
    }
    for label, raw in bad_bytes.items():
        yield Case(f"utf8:{label}-alone", raw, "$", rule="input.encoding")
        yield Case(
            f"utf8:{label}-in-name",
            good.replace(b"A parent", b"A " + raw + b" parent"),
            "$",
            rule="input.encoding",
        )
    yield Case("utf8:latin-1-document", good.replace(b"A parent", "Zoë".encode("latin-1")),
               "$", rule="input.encoding")
    yield Case("utf8:utf-16-document", json.dumps(BASE).encode("utf-16"), "$",
               rule="input.encoding")
    yield Case("utf8:utf-32-document", json.dumps(BASE).encode("utf-32"), "$",
               rule="input.encoding")


NOT_JSON = {
    "empty": b"",
    "space": b" ",
    "newline": b"\n",
    "nul": b"\x00",
    "open-brace": b"{",
    "close-brace": b"}",
    "two-objects": b"{}{}",
    "trailing-garbage": encode(BASE) + b" x",
    "single-quotes": b"{'date': '2025-03-03'}",
    "trailing-comma": b'{"date": "2025-03-03",}',
    "comment": b"// a comment\n{}",
    "unterminated-string": b'{"date": "2025-03-03',
    "bare-word": b"yesterday",
    "python-none": b"None",
    "huge-int": b'{"schema_version": ' + b"9" * 5_000 + b"}",
    "html": b"<html><body>classify me</body></html>",
}
NOT_AN_OBJECT = {
    "null": b"null",
    "array": b"[]",
    "array-of-document": b"[" + encode(BASE) + b"]",
    "string": b'"' + CANARY.encode() + b'"',
    "int": b"1",
    "negative-zero": b"-0",
    "float": b"1.5",
    "true": b"true",
    "false": b"false",
    "nan": b"NaN",
    "infinity": b"Infinity",
}


def top_level_cases() -> Iterator[Case]:
    for label, raw in NOT_JSON.items():
        yield Case(f"not-json:{label}", raw, "$", rule="input.json")
    for label, raw in NOT_AN_OBJECT.items():
        yield Case(f"not-object:{label}", raw, "$", rule="input.type", canary=True)


# --- 6. Impossible or malformed dates -------------------------------------------------------

BAD_DATES = {
    "feb-30": "2025-02-30",
    "month-13": "2025-13-01",
    "month-00": "2025-00-10",
    "day-00": "2025-01-00",
    "apr-31": "2025-04-31",
    "feb-29-common-year": "2023-02-29",
    "year-0": "0000-01-01",
    "yesterday": "yesterday",
    "today": "today",
    "empty": "",
    "no-padding": "2025-3-3",
    "slashes": "2025/03/03",
    "uk-order": "03/03/2025",
    "dmy-dashes": "03-03-2025",
    "datetime": "2025-03-03T00:00:00",
    "datetime-z": "2025-03-03T00:00:00Z",
    "trailing-space": "2025-03-03 ",
    "trailing-newline": "2025-03-03\n",
    "basic-format": "20250303",
    "five-digit-year": "10000-01-01",
    "fullwidth-digits": "２０２５-０３-０３",
    "canary": CANARY,
}


def date_cases() -> Iterator[Case]:
    for path in [("date",), ("parties", 3, "date_of_birth")]:
        for label, value in BAD_DATES.items():
            yield Case(
                f"bad-date:{json_path(path)}={label}",
                encode(mutated(path, value)),
                json_path(path),
                rule="input.date",
                canary=True,
            )


# --- 7. Well-formed JSON that breaks a rule of the law or of the document -------------------


def law_cases() -> Iterator[Case]:
    dob = ("parties", 3, "date_of_birth")
    yield Case("young-person:aged-30", encode(mutated(dob, "1995-01-01")),
               json_path(dob), rule="young_person.definition", message="aged 25 or over")
    yield Case("young-person:aged-exactly-25", encode(mutated(dob, "2000-03-03")),
               json_path(dob), rule="young_person.definition", message="under 25")
    yield Case("young-person:aged-80", encode(mutated(dob, "1945-03-03")),
               json_path(dob), rule="young_person.definition")
    yield Case("young-person:compulsory-school-age-aged-12", encode(mutated(dob, "2012-05-01")),
               json_path(dob), rule="young_person.definition", message="compulsory school age")
    yield Case("young-person:turned-16-this-school-year", encode(mutated(dob, "2009-09-01")),
               json_path(dob), rule="young_person.definition", message="compulsory school age")
    yield Case("young-person:newborn", encode(mutated(dob, "2025-03-03")),
               json_path(dob), rule="young_person.definition")
    yield Case("young-person:born-after-the-date", encode(mutated(dob, "2026-01-01")),
               json_path(dob), rule="party.date_of_birth.future")
    yield Case("parent:born-after-the-date",
               encode(mutated(("parties", 0, "date_of_birth"), "2030-01-01")),
               "$.parties[0].date_of_birth", rule="party.date_of_birth.future")
    for index in (0, 4):
        yield Case(f"child-as-party:at-{index}",
                   encode(mutated(("parties", index), {"kind": "child"})),
                   f"$.parties[{index}].kind", rule="parent.definition")
    yield Case("child-as-party:with-date-of-birth",
               encode(mutated(("parties", 0), {"kind": "child", "date_of_birth": "2015-01-01"})),
               "$.parties[0].kind", rule="parent.definition")
    for role in ("mediator", "mediation_adviser", "disagreement_resolution_provider"):
        for index in (0, 4):
            yield Case(f"independent-role-as-side:{role}-at-{index}",
                       encode(mutated(("parties", index), {"kind": role})),
                       f"$.parties[{index}].kind", rule="party.independent_role_not_a_side")
        yield Case(f"independent-role-as-side:{role}-with-employer",
                   encode(mutated(("parties", 0), {"kind": role, "employer": EMPLOYER})),
                   "$.parties[0].kind", rule="party.independent_role_not_a_side")
    for date in ("2022-07-01", "2022-07-02", "2025-03-03", "2035-12-31"):
        yield Case(f"ccg-after-abolition:{date}",
                   encode(two_party("clinical_commissioning_group", date)),
                   "$.parties[1].kind", rule="ccg.abolished",
                   message="integrated care boards")
    yield Case("ccg-after-abolition:in-base-document",
               encode(mutated(("parties", 2, "kind"), "clinical_commissioning_group")),
               "$.parties[2].kind", rule="ccg.abolished", message="integrated care boards")
    for date in ("2022-06-30", "2014-09-01", "2019-01-01"):
        yield Case(f"icb-before-it-existed:{date}",
                   encode(two_party("integrated_care_board", date)),
                   "$.parties[1].kind", rule="icb.established")
    yield from identifier_cases()
    for kind, index in [("local_authority", 1), ("integrated_care_board", 2), ("school", 4)]:
        yield Case(f"date-of-birth-on-a-body:{kind}",
                   encode(mutated(("parties", index, "date_of_birth"), "1990-01-01")),
                   f"$.parties[{index}].date_of_birth", rule="party.date_of_birth.kind")
    for index in (0, 1, 3):
        yield Case(f"employer-on-a-side:{index}",
                   encode(mutated(("parties", index, "employer"), EMPLOYER)),
                   f"$.parties[{index}].employer", rule="party.employer.kind")
    for index in (1, 3):
        yield Case(f"acting-for-young-person-not-a-parent:{index}",
                   encode(mutated(
                       ("parties", index, "acting_for_young_person_lacking_capacity"), True)),
                   f"$.parties[{index}].acting_for_young_person_lacking_capacity",
                   rule="party.representative.kind")
    for count in (0, 1):
        yield Case(f"too-few-parties:{count}",
                   encode(mutated(("parties",), BASE["parties"][:count])),
                   "$.parties", rule="input.parties.count")
    for label, parties in [
        ("two-parents", [{"kind": "parent"}, {"kind": "parent"}]),
        ("parent-and-young-person",
         [{"kind": "parent"}, {"kind": "young_person", "date_of_birth": "2007-11-20"}]),
    ]:
        yield Case(f"no-body-on-other-side:{label}", encode(mutated(("parties",), parties)),
                   "$.parties", rule="input.parties.other_side")


BAD_IDENTIFIERS: list[tuple[int, str, str]] = [
    (1, "gss_code", "E01000001"),
    (1, "gss_code", "e08000014"),
    (1, "gss_code", "E0800001"),
    (1, "gss_code", "E080000145"),
    (1, "gss_code", " E08000014"),
    (1, "gss_code", "E08000014\n"),
    (1, "gss_code", "W06000001"),
    (1, "gss_code", ""),
    (1, "la_number", "34"),
    (1, "la_number", "3433"),
    (1, "la_number", "abc"),
    (1, "la_number", "-43"),
    (4, "urn", "12345"),
    (4, "urn", "1234567"),
    (4, "urn", "12345a"),
    (4, "ukprn", "20005999"),
    (4, "ukprn", "1000599"),
    (4, "ukprn", "100059990"),
    (2, "ods_code", "qyg"),
    (2, "ods_code", "QY"),
    (2, "ods_code", "QYGG"),
    (2, "ods_code", "Q G"),
    (2, "ods_code", CANARY),
]
MISPLACED_IDENTIFIERS: list[tuple[int, str, str]] = [
    (1, "urn", "123456"),
    (1, "ods_code", "QYG"),
    (2, "gss_code", "E08000014"),
    (2, "ukprn", "10005999"),
    (4, "ods_code", "QYG"),
    (4, "gss_code", "E08000014"),
    (0, "la_number", "343"),
    (3, "ukprn", "10005999"),
]


def identifier_cases() -> Iterator[Case]:
    for index, name, value in BAD_IDENTIFIERS:
        path = ("parties", index, "identifiers", name)
        yield Case(f"identifier-shape:{name}={value[:20]!r}", encode(mutated(path, value)),
                   json_path(path), rule=f"identifier.{name}.shape", canary=True)
    for index, name, value in MISPLACED_IDENTIFIERS:
        doc = copy.deepcopy(BASE)
        doc["parties"][index]["identifiers"] = {name: value}
        yield Case(f"identifier-on-wrong-kind:{name}-on-party-{index}", encode(doc),
                   f"$.parties[{index}].identifiers.{name}", rule=f"identifier.{name}.kind")
    mediator = {"kind": "mediator", "employer": {"kind": "local_authority",
                                                 "identifiers": {"urn": "123456"}}}
    yield Case("identifier-on-wrong-kind:employer-urn-on-local-authority",
               encode(mutated(("parties", 0), mediator)),
               "$.parties[0].employer.identifiers.urn", rule="identifier.urn.kind")


# --- 8. Versions, enums, NaN and friends ----------------------------------------------------


def value_cases() -> Iterator[Case]:
    for label, version in [("2", 2), ("0", 0), ("minus-1", -1), ("huge", 10**20)]:
        yield Case(f"schema-version:{label}", encode(mutated(("schema_version",), version)),
                   "$.schema_version", rule="input.schema_version")
    for path in [("schema_version",), ("date",), ("parties", 0, "kind"), ("parties", 0, "name"),
                 ("provision", 0), ("parties", 0, "acting_for_young_person_lacking_capacity")]:
        for label, number in [("NaN", float("nan")), ("Infinity", float("inf")),
                              ("-Infinity", float("-inf"))]:
            yield Case(f"non-finite:{json_path(path)}={label}", encode(mutated(path, number)),
                       json_path(path), rule="input.type")
    bad_enums: list[tuple[Steps, str]] = [
        (("stage",), ""),
        (("stage",), "Drawing_Up"),
        (("stage",), "drawing up"),
        (("stage",), "DRAWING_UP"),
        (("duty",), ""),
        (("duty",), "be_nice"),
        (("provision", 0), "education"),
        (("provision", 0), "health_care "),
        (("parties", 0, "kind"), "Parent"),
        (("parties", 0, "kind"), " parent"),
        (("parties", 0, "kind"), "ccg"),
        (("parties", 0, "kind"), "parent\u0000"),
        (("parties", 0, "kind"), "\u202eparent"),
        (("parties", 0, "employer", "kind"), "employer"),
    ]
    for path, value in bad_enums:
        base = with_employer() if "employer" in path else None
        yield Case(f"bad-enum:{json_path(path)}={value!r}", encode(mutated(path, value, base)),
                   json_path(path), rule="input.enum")
    # A lone surrogate is refused as text before any field reads it (no store or channel can
    # hold it), wherever it is.
    lone = (("parties", 0, "kind"), "\ud800")
    yield Case(f"lone-surrogate:{json_path(lone[0])}", encode(mutated(*lone)), json_path(lone[0]),
               rule="input.encoding")


def all_cases() -> list[Case]:
    return [
        *wrong_type_cases(),
        *unknown_key_cases(),
        *missing_cases(),
        *huge_cases(),
        *deep_cases(),
        *encoding_cases(),
        *top_level_cases(),
        *date_cases(),
        *law_cases(),
        *value_cases(),
    ]


CASES = all_cases()
RUNNER = CliRunner()


def run(data: bytes, *args: str) -> Result:
    return RUNNER.invoke(main, ["classify", "-", *args], input=data)


def assert_clean_failure(result: Result) -> None:
    # Only the CLI's own sys.exit(2) may end the command: no other exception escaped.
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, result.output[:2000]
    assert "Traceback" not in result.output
    assert len(result.output) < MAX_ERROR_OUTPUT, result.output[:2000]


# --- The tests ------------------------------------------------------------------------------


def test_there_are_more_than_200_distinct_hostile_inputs() -> None:
    assert len(CASES) >= 200
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
    assert len({c.data for c in CASES}) == len(CASES), "every case must be a different input"


def test_the_base_documents_are_valid() -> None:
    """Each case is one mutation away from a valid document, so the mutation is the fault."""
    for doc in (BASE, two_party("integrated_care_board")):
        result = run(encode(doc), "--format", "json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["eligible"] is True
    # The employer variant is faulty only because a parent has no employer.
    result = run(encode(with_employer()), "--format", "json")
    assert result.exit_code == 2
    fields = [p["field"] for p in json.loads(result.stdout)["problems"]]
    assert fields == ["$.parties[0].employer"]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_json_format(case: Case) -> None:
    result = run(case.data, "--format", "json")
    assert_clean_failure(result)
    report = json.loads(result.stdout)
    assert (report["error"], report["exit_code"]) == ("DocumentError", 2)
    problems = report["problems"]
    assert problems, "at least one problem is reported"
    for p in problems:
        assert set(p) == {"field", "message", "rule_id", "citation"}
        assert p["field"].startswith("$")
        assert p["message"]
        assert p["rule_id"]
    at_field = [p for p in problems if p["field"] == case.field]
    assert at_field, f"expected a problem at {case.field}, got {[p['field'] for p in problems]}"
    if case.rule is not None:
        assert case.rule in {p["rule_id"] for p in at_field}, at_field
    if case.message is not None:
        assert any(case.message in p["message"] for p in at_field), at_field
    if case.canary:
        assert CANARY not in result.output


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_text_format(case: Case) -> None:
    result = run(case.data)
    assert_clean_failure(result)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "Invalid input:"
    assert any(line.startswith(f"  {case.field}: ") for line in lines[1:]), result.stderr[:2000]
    if case.rule is not None:
        assert f"(rule {case.rule}" in result.stderr
    if case.canary:
        assert CANARY not in result.output


# --- The same through a real process --------------------------------------------------------

CONSOLE_SCRIPT = Path(sys.executable).with_name("sen-disagreement")
SUBPROCESS_CASES = [
    "utf8:ff-in-name",
    "huge:1MB-name",
    "deep:10000-arrays-top",
    "deep:10000-objects-in-name",
    "young-person:aged-30",
    "ccg-after-abolition:2025-03-03",
    "unknown-key:$.parties[0]['surprise']",
    "not-json:empty",
]
BY_ID = {c.id: c for c in CASES}


def test_console_script_exists() -> None:
    assert CONSOLE_SCRIPT.is_file(), CONSOLE_SCRIPT
    assert set(SUBPROCESS_CASES) <= set(BY_ID)


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_hostile_input_through_a_real_process(case_id: str) -> None:
    case = BY_ID[case_id]
    proc = subprocess.run(
        [str(CONSOLE_SCRIPT), "classify", "-", "--format", "json"],
        input=case.data,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert b"Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr == b""
    problems = json.loads(proc.stdout)["problems"]
    assert case.field in [p["field"] for p in problems]
    if case.canary:
        assert CANARY.encode() not in proc.stdout


def test_hostile_file_argument_through_a_real_process(tmp_path: Path) -> None:
    source = tmp_path / "dispute.json"
    source.write_bytes(BY_ID["young-person:aged-30"].data)
    proc = subprocess.run(
        [str(CONSOLE_SCRIPT), "classify", str(source)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert b"Traceback" not in proc.stderr
    assert b"$.parties[3].date_of_birth: is not a young person on this date" in proc.stderr


def test_missing_file_is_a_usage_error_without_traceback(tmp_path: Path) -> None:
    result = RUNNER.invoke(main, ["classify", str(tmp_path / "absent.json")])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "absent.json" in result.stderr
