"""Property tests of the classifier over random described disagreements.

Issue 2, acceptance: "Hypothesis property tests: the classifier never answers type 4 when a parent
or young person is a party; never answers type 3 outside the stages where it applies; a clinical
commissioning group dated on or after 1 July 2022 is refused with a message that names integrated
care boards." Sources: CFA 2014 s.57 and Explanatory Notes para 273; SEND Code of Practice 11.8
(the four types); Health and Care Act 2022 / SI 2022/634 (CCGs abolished, ICBs from 1 July 2022).

Random :class:`Disagreement` objects are drawn over every party kind, EHC stage, provision, duty
and dates 2014-2035; those the library itself refuses (``InvalidInputError``) are discarded, so
each property speaks about the documents the classifier actually answers.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from sen_disagreement.classifier import (
    MAX_PARTIES,
    Disagreement,
    Eligible,
    NotEligible,
    classify,
    validate,
)
from sen_disagreement.ehc import Duty, EhcStage, Provision
from sen_disagreement.errors import DocumentError, InvalidInputError, LegacyBodyError
from sen_disagreement.parties import (
    EDUCATION_PROVIDERS,
    FAMILY,
    HEALTH_COMMISSIONING_BODIES,
    INDEPENDENT_ROLES,
    PEOPLE,
    Employer,
    Identifiers,
    Party,
    PartyKind,
)
from sen_disagreement.render import classification_json, classification_text
from sen_disagreement.schema import classify_input_schema
from sen_disagreement.serialization import dumps, loads, unstructure

ICB_START = dt.date(2022, 7, 1)
FIRST_DAY = dt.date(2014, 9, 1)  # CFA 2014 Part 3 in force
LAST_DAY = dt.date(2035, 12, 31)
EHC_PROCESS_STAGES = frozenset(
    {
        EhcStage.NEEDS_ASSESSMENT,
        EhcStage.DRAWING_UP,
        EhcStage.ANNUAL_REVIEW,
        EhcStage.AMENDMENT,  # amendments follow a review (SEND Regs reg 22)
        EhcStage.REASSESSMENT,
    }
)
"""Written out here, not imported: needs assessment, drawing up a plan, annual review and
re-assessment (SEND CoP 11.8, types 3 and 4)."""
TYPE_3_STAGES = EHC_PROCESS_STAGES
TYPE_3_SEP_EXTRA_STAGE = EhcStage.AWAITING_TRIBUNAL_APPEAL
"""...and, for special educational provision with the local authority, awaiting a Tribunal
appeal."""

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(SETTINGS, max_examples=200)
VALIDATOR = Draft202012Validator(classify_input_schema())

# --- Strategies ------------------------------------------------------------------------------

IDENTIFIER_KINDS: dict[str, frozenset[PartyKind]] = {
    "gss_code": frozenset({PartyKind.LOCAL_AUTHORITY}),
    "la_number": frozenset({PartyKind.LOCAL_AUTHORITY}),
    "urn": EDUCATION_PROVIDERS,
    "ukprn": EDUCATION_PROVIDERS,
    "ods_code": HEALTH_COMMISSIONING_BODIES,
}
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def identifier_values(n: int) -> dict[str, str]:
    """Well-shaped (ASCII) values of every identifier, derived from one number."""
    return {
        "gss_code": f"E{6 + n % 5:02d}{n % 10**6:06d}",
        "la_number": f"{n % 1000:03d}",
        "urn": f"{n % 10**6:06d}",
        "ukprn": f"1{n % 10**7:07d}",
        "ods_code": "".join(_BASE36[(n // 36**i) % 36] for i in range(3)),
    }


def make_identifiers(kind: PartyKind, n: int | None, misplaced: str | None = None) -> Identifiers:
    if n is None:
        return Identifiers()
    values = identifier_values(n)
    fitting = {k: v for k, v in values.items() if kind in IDENTIFIER_KINDS[k]}
    if misplaced is not None:
        fitting[misplaced] = values[misplaced]
    return Identifiers(**fitting)


HEALTH_BODIES = sorted(HEALTH_COMMISSIONING_BODIES, key=lambda k: k.value)
SETTINGS_KINDS = sorted(EDUCATION_PROVIDERS, key=lambda k: k.value)
FAMILY_KINDS = [PartyKind.PARENT, PartyKind.YOUNG_PERSON]
BODY_KINDS = [PartyKind.LOCAL_AUTHORITY, *HEALTH_BODIES, *SETTINGS_KINDS]


@attrs.frozen
class PartySpec:
    """Everything random about a party except its kind; a party is built from it on a date."""

    fault: str | None
    name: str | None
    age_days: int
    flags: int
    """Bit 0: a parent or child records a date of birth; bit 1: a parent acts for a young person
    lacking capacity; bit 2: an independent role records its employer."""
    identifier: int | None
    """Seed of the party's (and its employer's) identifiers; None: no identifiers."""


FAULT_NAMES = ["name", "date_of_birth", "identifier:gss_code", "identifier:urn",
               "identifier:ods_code", "identifier:la_number", "identifier:ukprn", "capacity"]
FAULTS = st.sampled_from([None] * 192 + FAULT_NAMES)
"""About one party in 25 carries one fault the library must refuse (and the strategy then
discards): a bad name, a date of birth on a body, a misplaced identifier, a non-parent acting for a
young person lacking capacity."""

PARTY_SPECS = st.builds(
    PartySpec,
    fault=FAULTS,
    name=st.sampled_from([None, None, "Sefton Council", "Zoë O'Brien", "NHS C&M ICB", " x ", "é"]),
    # For a young person: aged about 16 to 25 and a half, mostly young people, some just outside
    # either end. For anyone else with a date of birth: three times that.
    age_days=st.integers(16 * 365, 25 * 365 + 180),
    flags=st.integers(0, 7),
    identifier=st.none() | st.integers(0, 10**9),
)


def build_party(kind: PartyKind, spec: PartySpec, on: dt.date) -> Party:
    """Raises InvalidInputError when the spec's fault (or chance) makes the party invalid."""
    fault = spec.fault or ""
    dob: dt.date | None = None
    if kind is PartyKind.YOUNG_PERSON or fault == "date_of_birth":
        dob = on - dt.timedelta(days=spec.age_days)
    elif kind in PEOPLE and spec.flags & 1:
        dob = on - dt.timedelta(days=spec.age_days * 3)
    employer = None
    if kind in INDEPENDENT_ROLES and spec.flags & 4:
        employer_kind = BODY_KINDS[spec.age_days % len(BODY_KINDS)]
        employer = Employer(
            kind=employer_kind, identifiers=make_identifiers(employer_kind, spec.identifier)
        )
    misplaced = fault.removeprefix("identifier:") if fault.startswith("identifier:") else None
    return Party(
        kind=kind,
        name="x" * 201 if fault == "name" else spec.name,
        date_of_birth=dob,
        identifiers=make_identifiers(
            kind, spec.identifier if misplaced is None else spec.age_days, misplaced
        ),
        employer=employer,
        acting_for_young_person_lacking_capacity=(
            fault == "capacity" or (kind is PartyKind.PARENT and bool(spec.flags & 2))
        ),
    )


def health_body_on(on: dt.date) -> PartyKind:
    if on >= ICB_START:
        return PartyKind.INTEGRATED_CARE_BOARD
    return PartyKind.CLINICAL_COMMISSIONING_GROUP


@st.composite
def party_kinds(draw: st.DrawFn, on: dt.date) -> list[PartyKind]:
    """Who is in the disagreement. Shapes near the type boundaries are drawn on purpose: the local
    authority and a health body with and without a parent or young person (type 4), a family
    member and bodies (types 1-3), and anything at all (children and independent roles included,
    which the library refuses and the strategy discards)."""
    shape = draw(st.sampled_from(["la_and_health", "la_health_and_family", "family"] * 3 + ["any"]))
    health = draw(st.sampled_from([health_body_on(on)] * 4 + HEALTH_BODIES))
    bodies = draw(st.lists(st.sampled_from(BODY_KINDS), max_size=2))
    family = draw(st.lists(st.sampled_from(FAMILY_KINDS), min_size=1, max_size=2))
    if shape == "la_and_health":
        return [PartyKind.LOCAL_AUTHORITY, health, *bodies]
    if shape == "la_health_and_family":
        return [PartyKind.LOCAL_AUTHORITY, health, *family, *bodies]
    if shape == "family":
        return [*family, draw(st.sampled_from(BODY_KINDS)), *bodies]
    return draw(st.lists(st.sampled_from(PartyKind), min_size=2, max_size=5))


@st.composite
def disagreements(
    draw: st.DrawFn, first: dt.date = FIRST_DAY, last: dt.date = LAST_DAY
) -> Disagreement:
    """A random disagreement that the library accepts (``validate`` passes); what it refuses
    (``InvalidInputError``) is discarded."""
    on = draw(st.dates(first, last))
    kinds = draw(st.permutations(draw(party_kinds(on))))
    specs = draw(st.lists(PARTY_SPECS, min_size=len(kinds), max_size=len(kinds)))
    try:
        disagreement = Disagreement(
            date=on,
            parties=[build_party(k, spec, on) for k, spec in zip(kinds, specs, strict=True)],
            stage=draw(st.sampled_from(EhcStage)),
            provision=draw(st.lists(st.sampled_from(Provision), max_size=3)),
            duty=draw(st.none() | st.sampled_from(Duty)),
        )
        validate(disagreement)
    except InvalidInputError as exc:
        event(f"discarded: {exc.rule_id}")
        reject()
    return disagreement


def kinds_of(d: Disagreement) -> set[PartyKind]:
    return {p.kind for p in d.parties}


# --- The properties the issue names ----------------------------------------------------------


def at_every_stage(d: Disagreement) -> list[Disagreement]:
    """The same disagreement at each of the ten EHC stages (the stage is what the type-3 and
    type-4 rules turn on, so every drawn example is tried at all of them)."""
    return [attrs.evolve(d, stage=stage) for stage in EhcStage]


def with_family_member(d: Disagreement, member: Party) -> Disagreement:
    return attrs.evolve(d, parties=(*d.parties, member))


def type_4_expected(d: Disagreement) -> bool:
    kinds = kinds_of(d)
    return (
        not kinds & FAMILY
        and PartyKind.LOCAL_AUTHORITY in kinds
        and bool(kinds & HEALTH_COMMISSIONING_BODIES)
        and d.stage in EHC_PROCESS_STAGES
    )


@SETTINGS
@given(disagreements(), st.sampled_from(FAMILY_KINDS))
def test_never_type_4_when_a_parent_or_young_person_is_a_party(
    d: Disagreement, family_kind: PartyKind
) -> None:
    """Type 4 is between an LA and a health commissioning body with no parent or young person
    (CFA 2014 s.57; SEND CoP 11.8)."""
    member = Party(kind=family_kind, date_of_birth=d.date - dt.timedelta(days=20 * 365))
    type_4_seen = False
    for case in at_every_stage(d):
        answer = classify(case)
        if kinds_of(case) & FAMILY:
            assert 4 not in answer.type_numbers
        # Exactly when type 4 applies, so the property is not vacuous.
        assert (4 in answer.type_numbers) is type_4_expected(case)
        type_4_seen = type_4_seen or 4 in answer.type_numbers
        # The same disagreement with a parent or young person joining is never type 4.
        if len(case.parties) < MAX_PARTIES:
            assert 4 not in classify(with_family_member(case, member)).type_numbers
    event(f"type 4 at some stage: {type_4_seen}")


def type_3_allowed(d: Disagreement) -> bool:
    if not kinds_of(d) & FAMILY:
        return False
    if d.stage is TYPE_3_SEP_EXTRA_STAGE:
        return (
            Provision.SPECIAL_EDUCATIONAL in d.provision
            and PartyKind.LOCAL_AUTHORITY in kinds_of(d)
        )
    return d.stage in TYPE_3_STAGES


@SETTINGS
@given(disagreements())
def test_never_type_3_outside_its_stages(d: Disagreement) -> None:
    """Type 3 applies during needs assessment, drawing up, annual review and re-assessment, and
    for special educational provision with the LA while awaiting a Tribunal appeal
    (SEND CoP 11.8)."""
    seen = []
    for case in at_every_stage(d):
        if 3 in classify(case).type_numbers:
            assert type_3_allowed(case), case.stage
            seen.append(case.stage.value)
    event(f"type 3 at {len(seen)} stage(s)")


TYPE_3_ALL_STAGES = sorted(TYPE_3_STAGES | {TYPE_3_SEP_EXTRA_STAGE}, key=lambda s: s.value)


@st.composite
def family_party(draw: st.DrawFn) -> tuple[dt.date, Party]:
    on = draw(st.dates(FIRST_DAY, LAST_DAY))
    try:
        party = build_party(draw(st.sampled_from(FAMILY_KINDS)), draw(PARTY_SPECS), on)
        party.check_on(on)
    except InvalidInputError:
        reject()
    return on, party


@settings(SETTINGS, max_examples=100)
@given(family_party(), st.sampled_from(TYPE_3_ALL_STAGES))
def test_type_3_does_apply_at_its_stages(case: tuple[dt.date, Party], stage: EhcStage) -> None:
    """The positive side of the stage rule: a parent or young person and the LA about special
    educational provision at any type-3 stage is type 3."""
    on, family = case
    local_authority = Party(kind=PartyKind.LOCAL_AUTHORITY)
    d = Disagreement(
        date=on,
        parties=(family, local_authority),
        stage=stage,
        provision=(Provision.SPECIAL_EDUCATIONAL,),
    )
    assert 3 in classify(d).type_numbers


@st.composite
def with_ccg(draw: st.DrawFn, first: dt.date, last: dt.date) -> tuple[Disagreement, int]:
    d = draw(disagreements(first, last))
    index = draw(st.integers(0, len(d.parties)))
    ccg = Party(
        kind=PartyKind.CLINICAL_COMMISSIONING_GROUP,
        name=draw(st.none() | st.just("NHS Sefton CCG")),
        identifiers=Identifiers(ods_code=draw(st.none() | st.just("01T"))),
    )
    parties = (*d.parties[:index], ccg, *d.parties[index:])
    assert len(parties) <= MAX_PARTIES
    return Disagreement(
        date=d.date, parties=parties, stage=d.stage, provision=d.provision, duty=d.duty
    ), index


@SETTINGS
@given(with_ccg(ICB_START, LAST_DAY))
def test_a_ccg_on_or_after_1_july_2022_is_refused_naming_integrated_care_boards(
    case: tuple[Disagreement, int],
) -> None:
    """CCGs were abolished on 1 July 2022; ICBs took over (Health and Care Act 2022; SI
    2022/634)."""
    d, index = case
    for candidate in (d, loads(dumps(d), Disagreement)):
        with pytest.raises(LegacyBodyError) as info:
            classify(candidate)
        error = info.value
        assert error.rule_id == "ccg.abolished"
        assert error.field == f"$.parties[{index}].kind"
        assert "integrated care board" in error.message
        assert "integrated_care_board" in error.message
        assert error.citation is not None
        assert "2022" in error.citation


@FEWER
@given(with_ccg(FIRST_DAY, ICB_START - dt.timedelta(days=1)))
def test_a_ccg_before_1_july_2022_is_accepted_and_an_icb_refused(
    case: tuple[Disagreement, int],
) -> None:
    d, index = case
    answer = classify(d)
    assert isinstance(answer, Eligible | NotEligible)
    # The same body as an integrated care board did not exist yet.
    icb = Party(kind=PartyKind.INTEGRATED_CARE_BOARD)
    as_icb = attrs.evolve(d, parties=(*d.parties[:index], icb, *d.parties[index + 1 :]))
    with pytest.raises(LegacyBodyError) as info:
        classify(as_icb)
    assert info.value.rule_id == "icb.established"
    assert info.value.field == f"$.parties[{index}].kind"


@FEWER
@given(disagreements())
def test_classify_is_deterministic(d: Disagreement) -> None:
    first = classify(d)
    assert classify(d) == first
    assert classification_json(classify(d)) == classification_json(first)
    assert classification_text(classify(d)) == classification_text(first)
    again = loads(dumps(d), Disagreement)
    assert again == d
    assert classify(again) == first


@FEWER
@given(disagreements())
def test_every_answer_carries_citations_or_reasons(d: Disagreement) -> None:
    answer = classify(d)
    rendered = classification_json(answer)
    if isinstance(answer, Eligible):
        assert answer.matches
        for match in answer.matches:
            assert match.provenance.citations
            assert all(c.text for c in match.provenance.citations)
            assert match.reasons
        assert all(t["citations"] for t in rendered["types"])
        assert [t["type"] for t in rendered["types"]] == sorted(answer.type_numbers)
    else:
        # One reason per type: why each of the four does not apply.
        assert len(answer.reasons) == 4
        assert rendered["reasons"] == list(answer.reasons)
    for route in (*rendered.get("also_available", []), *rendered.get("other_routes", [])):
        assert route["citations"]


@FEWER
@given(disagreements())
def test_json_output_round_trips_through_json(d: Disagreement) -> None:
    rendered = classification_json(classify(d))
    text = json.dumps(rendered, allow_nan=False)
    assert json.loads(text) == rendered
    assert rendered["eligible"] is classify(d).eligible


# --- The published schema agrees with the loader --------------------------------------------


@SETTINGS
@given(disagreements())
def test_every_valid_document_validates_against_the_schema(d: Disagreement) -> None:
    document = unstructure(d)
    errors = [e.message for e in VALIDATOR.iter_errors(document)]
    assert errors == []
    assert loads(json.dumps(document), Disagreement) == d


JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
    | st.sampled_from(
        ["2025-02-30", "2025-03-03", "parent", "local_authority", "drawing_up", "assess", "E08"]
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=6,
)


def _locations(node: Any, here: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every key and index path inside a JSON document."""
    out: list[tuple[str | int, ...]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            out.append((*here, key))
            out.extend(_locations(value, (*here, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.append((*here, i))
            out.extend(_locations(value, (*here, i)))
    return out


def _containers(node: Any, here: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every object (dict) path inside a JSON document, the root included."""
    out: list[tuple[str | int, ...]] = []
    if isinstance(node, dict):
        out.append(here)
        for key, value in node.items():
            out.extend(_containers(value, (*here, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out.extend(_containers(value, (*here, i)))
    return out


def _at(node: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    document: dict[str, Any] = unstructure(draw(disagreements()))
    operation = draw(st.sampled_from(["replace", "delete", "add_key"]))
    if operation == "add_key":
        where = draw(st.sampled_from(_containers(document)))
        key = draw(st.text(max_size=8))
        _at(document, where)[key] = draw(JSON_VALUES)
        return f"add {key!r} at {where}", document
    path = draw(st.sampled_from(_locations(document)))
    parent = _at(document, path[:-1])
    if operation == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(JSON_VALUES)
    return f"{operation} {path}", document


def load_or_problems(text: str) -> Disagreement | list[InvalidInputError]:
    try:
        return loads(text, Disagreement)
    except DocumentError as exc:
        return exc.problems


def refusal(d: Disagreement) -> InvalidInputError | None:
    try:
        classify(d)
    except InvalidInputError as exc:
        return exc
    return None


@SETTINGS
@given(mutated_documents())
def test_what_the_schema_rejects_loads_rejects_too(case: tuple[str, dict[str, Any]]) -> None:
    label, document = case
    schema_ok = VALIDATOR.is_valid(document)
    event(f"schema {'accepts' if schema_ok else 'rejects'}: {label.split()[0]}")
    text = json.dumps(document)
    loaded = load_or_problems(text)
    if isinstance(loaded, list):
        # Refused, and every problem names a JSON path and a rule.
        assert loaded
        assert all(p.field.startswith("$") and p.rule_id for p in loaded)
        return
    assert schema_ok, f"{label}: the schema rejects a document that loads accepts: {text}"
    # Whatever loads accepts, classify answers or refuses with a typed error naming a party.
    error = refusal(loaded)
    assert error is None or error.field.startswith("$.parties"), error
