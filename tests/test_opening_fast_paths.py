"""The opening's fast paths give exactly the general path's answer (issue 14).

* :func:`~sen_disagreement.classifier.classify` keeps the immutable parts of an answer (numbers,
  text, the module's own provenance and route constants) under the values it is a function of,
  for disagreements whose values are exactly the library's types; every answer is still made of
  new records. Anything else takes the general path (``_classify``).
* The converter's ``X | None`` hook looks the hook of ``X`` up once instead of on every value;
  cattrs's own optional hook is the reference.

Each property is checked against the general path itself, on ordinary and hostile inputs: str
subclasses, values with a lying ``__eq__``/``__hash__``, frozen records rewritten with
``object.__setattr__``, dates in and out of force, huge and deeply nested documents.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import attrs
import pytest
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sen_disagreement import classifier
from sen_disagreement.classifier import Disagreement, Eligible, classify, validate
from sen_disagreement.disagreement_types import ALL_TYPES
from sen_disagreement.ehc import Duty, EhcStage, Provision
from sen_disagreement.errors import DocumentError, InvalidInputError
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.serialization import (
    _is_optional,
    _walk,
    loads,
    make_converter,
    structure,
)

DAY = dt.date(2025, 3, 3)
SIDES = [
    Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton Council",
          identifiers=Identifiers(gss_code="E08000014", la_number="343")),
    Party(kind=PartyKind.SCHOOL, name="A School"),
    Party(kind=PartyKind.INTEGRATED_CARE_BOARD, name="An ICB"),
    Party(kind=PartyKind.NHS_ENGLAND),
    Party(kind=PartyKind.ACADEMY_PROPRIETOR),
    Party(kind=PartyKind.EARLY_YEARS_PROVIDER),
]
FAMILIES = [Party(kind=PartyKind.PARENT, name="Sam"),
            Party(kind=PartyKind.YOUNG_PERSON, date_of_birth=dt.date(2005, 1, 1))]


def outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    """What a call gives: its value, or the type, text, field and rule of what it raised."""
    try:
        return ("value", fn(*args))
    except Exception as exc:  # the comparison is of whatever either path does
        return ("raised", (type(exc), str(exc), getattr(exc, "field", None),
                           getattr(exc, "rule_id", None)))


def general(d: Disagreement) -> Any:
    validate(d)
    return classifier._classify(d)


def same(d: Disagreement) -> None:
    # Twice: the first call may fill the memo, the second reads it.
    first, second, reference = outcome(classify, d), outcome(classify, d), outcome(general, d)
    assert first == reference
    assert second == reference


def disagreements() -> list[Disagreement]:
    out = []
    for fam, sides, stage, provision, duty in itertools.product(
        [[], FAMILIES[:1], FAMILIES],
        [SIDES[:1], SIDES[1:3], SIDES[2:4], [SIDES[0], SIDES[2]], SIDES[3:]],
        [EhcStage.NO_PLAN, EhcStage.ASSESSMENT_REQUESTED, EhcStage.NEEDS_ASSESSMENT,
         EhcStage.AWAITING_TRIBUNAL_APPEAL],
        [(), (Provision.HEALTH_CARE,), (Provision.SPECIAL_EDUCATIONAL, Provision.SOCIAL_CARE)],
        [None, Duty.ASSESS, Duty.BEST_ENDEAVOURS],
    ):
        parties = [*fam, *sides]
        if len(parties) < 2:
            continue
        out.append(Disagreement(date=DAY, parties=parties, stage=stage, provision=provision,
                                duty=duty))
    return out


def test_the_memo_answers_as_the_general_path_over_a_grid_of_disagreements() -> None:
    cases = disagreements()
    assert len(cases) > 300
    kinds = {type(classify(d)) for d in cases}
    assert kinds == {Eligible, classifier.NotEligible}  # both answers are exercised
    for d in cases:
        same(d)


@pytest.mark.parametrize("day", [dt.date(2014, 8, 31), dt.date(2014, 9, 1), dt.date(2022, 6, 30),
                                 dt.date(2022, 7, 1), dt.date(2000, 1, 1)])
def test_types_not_in_force_are_answered_with_the_date_they_were_asked_about(day: dt.date) -> None:
    parties = [FAMILIES[0], SIDES[0]]
    d = Disagreement(date=day, parties=parties, stage=EhcStage.NEEDS_ASSESSMENT,
                     duty=Duty.ASSESS)
    same(d)
    # Another date out of force gives its own date in the reason, never the first one's.
    other = attrs.evolve(d, date=day - dt.timedelta(days=400))
    same(other)


def test_every_answer_is_new_records_so_rewriting_one_changes_no_other() -> None:
    d = Disagreement(date=DAY, parties=[FAMILIES[0], SIDES[0]],
                     stage=EhcStage.ASSESSMENT_REQUESTED, duty=Duty.ASSESS)
    first = classify(d)
    assert isinstance(first, Eligible)
    object.__setattr__(first.matches[0], "title", "rewritten")
    object.__setattr__(first, "also_available", ())
    object.__setattr__(first.matches[0], "type_number", 99)
    second = classify(d)
    assert second == general(d)
    assert isinstance(second, Eligible)
    assert second.matches[0] is not first.matches[0]
    assert second.matches[0].title != "rewritten" and second.also_available


class Lying(str):
    """A str subclass equal to (and hashing like) every stage value."""

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return hash(EhcStage.NEEDS_ASSESSMENT)


class AnyKind:
    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return hash(PartyKind.LOCAL_AUTHORITY)

    label = "anything"


@pytest.mark.parametrize(("field", "value"), [
    ("stage", Lying("needs_assessment")),
    ("stage", "needs_assessment"),
    ("duty", Lying("assess")),
    ("duty", AnyKind()),
    ("provision", [Provision.HEALTH_CARE]),
    ("provision", (Lying("health_care"),)),
    ("parties", [FAMILIES[0], SIDES[0]]),
    ("date", dt.datetime(2025, 3, 3, 12, 0)),
    ("schema_version", 2),
])
def test_a_rewritten_disagreement_takes_the_general_path(field: str, value: object) -> None:
    d = Disagreement(date=DAY, parties=[FAMILIES[0], SIDES[0]],
                     stage=EhcStage.NEEDS_ASSESSMENT, duty=Duty.ASSESS)
    object.__setattr__(d, field, value)
    assert classifier._memo_key(d) is None or field == "schema_version"
    same(d)


def test_a_rewritten_party_kind_takes_the_general_path() -> None:
    for value in (AnyKind(), "local_authority", Lying("parent")):
        party = Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton Council")
        object.__setattr__(party, "kind", value)
        d = Disagreement(date=DAY, parties=[FAMILIES[0], party],
                         stage=EhcStage.NEEDS_ASSESSMENT, duty=Duty.ASSESS)
        assert classifier._memo_key(d) is None
        same(d)


def test_a_subclass_of_disagreement_takes_the_general_path() -> None:
    @attrs.frozen(kw_only=True)
    class Other(Disagreement):
        pass

    d = Other(date=DAY, parties=[FAMILIES[0], SIDES[0]], stage=EhcStage.NEEDS_ASSESSMENT)
    assert classifier._memo_key(d) is None
    same(d)


def test_refusals_are_the_validators_own_whatever_the_memo_holds() -> None:
    good = Disagreement(date=DAY, parties=[FAMILIES[0], SIDES[0]],
                        stage=EhcStage.NEEDS_ASSESSMENT, duty=Duty.ASSESS)
    classify(good)
    child = Party(kind=PartyKind.CHILD)
    bad = Disagreement(date=DAY, parties=[child, SIDES[0]], stage=EhcStage.NEEDS_ASSESSMENT,
                       duty=Duty.ASSESS)
    with pytest.raises(InvalidInputError) as raised:
        classify(bad)
    assert (raised.value.field, raised.value.rule_id) == ("$.parties[0].kind",
                                                          "parent.definition")
    same(bad)


def test_the_memo_is_bounded() -> None:
    for n in range(classifier._MEMO_LIMIT + 50):
        day = dt.date(2000, 1, 1) + dt.timedelta(days=n)  # every type out of force: keyed by day
        classify(Disagreement(date=day, parties=[FAMILIES[0], SIDES[0]],
                              stage=EhcStage.NO_PLAN))
        assert len(classifier._MEMO) <= classifier._MEMO_LIMIT


party_kinds = st.sampled_from(list(PartyKind))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    kinds=st.lists(party_kinds, min_size=2, max_size=5),
    stage=st.sampled_from(list(EhcStage)),
    provision=st.lists(st.sampled_from(list(Provision)), max_size=3),
    duty=st.none() | st.sampled_from(list(Duty)),
    day=st.dates(dt.date(2013, 1, 1), dt.date(2030, 12, 31)),
)
def test_random_disagreements_are_answered_as_the_general_path(
    kinds: list[PartyKind], stage: EhcStage, provision: list[Provision], duty: Duty | None,
    day: dt.date,
) -> None:
    parties = []
    for kind in kinds:
        born = dt.date(2006, 1, 1) if kind is PartyKind.YOUNG_PERSON else None
        try:
            parties.append(Party(kind=kind, date_of_birth=born))
        except InvalidInputError:
            return
    d = Disagreement(date=day, parties=parties, stage=stage, provision=provision, duty=duty)
    same(d)


# --- the optional hook ---------------------------------------------------------------------------


def reference_converter() -> Any:
    """The library's converter with cattrs's own optional hook put back in front."""
    converter = make_converter()
    converter.register_structure_hook_func(_is_optional, converter._structure_optional)
    return converter


def problems(converter: Any, data: Any, cls: type) -> Any:
    """The value built, or every fault with its path, rule and message (as ``structure``
    reports them)."""
    try:
        return ("value", converter.structure(data, cls))
    except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError) as exc:
        found: list[InvalidInputError] = []
        _walk(exc, "$", found)
        return ("raised", [(p.field, p.rule_id, str(p)) for p in found])


DOCUMENTS: list[Any] = [
    {"schema_version": 1, "date": "2025-03-03", "stage": "no_plan",
     "parties": [{"kind": "parent", "name": "Sam"}, {"kind": "school", "name": None}]},
    {"schema_version": 1, "date": "2025-03-03", "stage": "no_plan", "duty": None,
     "parties": [{"kind": "parent", "name": 5, "date_of_birth": "2025-13-01"},
                 {"kind": "local_authority", "identifiers": {"gss_code": ["E"], "urn": None}}]},
    {"schema_version": 1, "date": "2025-03-03", "stage": "no_plan", "duty": "nope",
     "parties": [{"kind": "parent", "date_of_birth": None, "employer": None},
                 {"kind": "local_authority", "employer": {"kind": "school", "name": 3}}]},
    {"schema_version": 1, "date": "2025-03-03", "stage": "no_plan", "duty": 7,
     "parties": [{"kind": "parent", "name": "x" * 10_001}, {"kind": "school", "name": "  "}]},
    {"schema_version": 1, "date": "2025-03-03", "stage": "no_plan",
     "parties": [{"kind": "parent", "name": Lying("Sam")},
                 {"kind": "local_authority", "identifiers": {"gss_code": Lying("E08000014")}}]},
]


@pytest.mark.parametrize("data", DOCUMENTS)
def test_the_optional_hook_answers_as_cattrs_own(data: Any) -> None:
    ours, ref = make_converter(), reference_converter()
    assert ours.get_structure_hook(str | None) is not ref.get_structure_hook(str | None)
    mine, theirs = problems(ours, data, Disagreement), problems(ref, data, Disagreement)
    assert mine == theirs
    assert mine[0] == "value" or mine[1]  # a refusal names its faults
    if mine[0] == "value":  # a str subclass is kept as it was given, on both paths
        assert [type(p.name) for p in mine[1].parties] == [
            type(p.name) for p in theirs[1].parties]
    # Through the public door too: the same faults, fields and rules.
    got: tuple[str, Any]
    try:
        got = ("value", structure(data, Disagreement))
    except DocumentError as exc:
        got = ("raised", [(p.field, p.rule_id, str(p)) for p in exc.problems])
    try:
        want = ("value", ref.structure(data, Disagreement))
    except Exception:
        want = None  # the reference raises cattrs's own grouping; compared above
    if got[0] == "value":
        assert got == want


def test_a_hook_registered_later_for_the_inner_type_is_used() -> None:
    converter = make_converter()
    optional: Any = str | None
    assert converter.structure("abc", optional) == "abc"
    converter.register_structure_hook(str, lambda v, _: f"<{v}>")
    assert converter.structure("abc", optional) == "<abc>"
    assert converter.structure(None, optional) is None


def test_huge_and_deeply_nested_documents_are_refused_alike() -> None:
    deep: Any = "x"
    for _ in range(2000):
        deep = [deep]
    huge = {"schema_version": 1, "date": "2025-03-03", "stage": "no_plan",
            "parties": [{"kind": "parent", "name": None, "date_of_birth": None}] * 1001}
    nested = {"schema_version": 1, "date": "2025-03-03", "stage": "no_plan", "duty": deep,
              "parties": [{"kind": "parent", "name": deep}, {"kind": "school"}]}
    for data in (huge, nested):
        assert problems(make_converter(), data, Disagreement) == problems(
            reference_converter(), data, Disagreement)
    with pytest.raises(DocumentError) as raised:
        loads(json.dumps(huge), Disagreement)
    assert [p.rule_id for p in raised.value.problems] == ["input.array_length"]


def test_the_in_force_table_is_bounded() -> None:
    for n in range(classifier._MEMO_LIMIT + 50):
        day = dt.date(2030, 1, 1) + dt.timedelta(days=n)
        classify(Disagreement(date=day, parties=[FAMILIES[0], SIDES[0]],
                              stage=EhcStage.NEEDS_ASSESSMENT, duty=Duty.ASSESS))
        assert len(classifier._IN_FORCE) <= classifier._MEMO_LIMIT
        assert classifier._IN_FORCE[day] == tuple(
            t.provenance.applies_on(day) for t in ALL_TYPES)


# --- identifiers: nothing given, nothing to check ------------------------------------------------


def test_identifiers_without_a_value_pass_and_one_given_is_still_checked() -> None:
    for kind in PartyKind:
        Identifiers().check(kind)
    with pytest.raises(InvalidInputError) as raised:
        Identifiers(urn="123456").check(PartyKind.PARENT)
    assert raised.value.field == "identifiers.urn"
    assert raised.value.rule_id.endswith("urn.kind")
    # Rewritten in place after it was built: checked as it now is, whichever field it was.
    for name, bad in (("gss_code", "E99"), ("la_number", "3433"), ("ods_code", "q")):
        ids = Identifiers()
        object.__setattr__(ids, name, bad)
        kind = PartyKind.NHS_ENGLAND if name == "ods_code" else PartyKind.LOCAL_AUTHORITY
        with pytest.raises(InvalidInputError) as raised:
            ids.check(kind)
        assert raised.value.field == f"identifiers.{name}"
        assert raised.value.rule_id.endswith(f"{name}.shape")
        with pytest.raises(InvalidInputError):
            Party(kind=kind, identifiers=ids)


@attrs.frozen
class Node:
    name: str
    child: Node | None = None


def test_a_class_holding_an_optional_of_itself_is_structured_as_before() -> None:
    data = {"name": "a", "child": {"name": "b", "child": {"name": "c"}}}
    ours, ref = make_converter(), reference_converter()
    assert problems(ours, data, Node) == problems(ref, data, Node)
    assert ours.structure(data, Node) == Node("a", Node("b", Node("c")))
    bad = {"name": "a", "child": {"name": 1, "child": {"name": "c", "extra": 1}}}
    assert problems(ours, bad, Node) == problems(ref, bad, Node)
