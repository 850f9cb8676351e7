"""Parties: young person derived from date of birth, dated health bodies, identifiers."""

from __future__ import annotations

import datetime as dt

import pytest

from sen_disagreement.errors import InvalidInputError, LegacyBodyError
from sen_disagreement.parties import (
    Employer,
    Identifiers,
    Party,
    age_on,
    check_kind_in_force,
    end_of_compulsory_school_age,
    is_child,
    is_young_person,
)
from sen_disagreement.parties import (
    PartyKind as K,
)


@pytest.mark.parametrize(
    ("born", "ends"),
    [
        # Turns 16 on 1 Sept 2024: school year 2024/25, so last Friday of June 2025.
        (dt.date(2008, 9, 1), dt.date(2025, 6, 27)),
        # Turns 16 on 31 Aug 2024: school year 2023/24, last Friday of June 2024 (28th).
        (dt.date(2008, 8, 31), dt.date(2024, 6, 28)),
        (dt.date(2009, 1, 15), dt.date(2025, 6, 27)),
        # 29 February birthday: turns 16 in Feb 2024, school year ends June 2024.
        (dt.date(2008, 2, 29), dt.date(2024, 6, 28)),
    ],
)
def test_young_person_definition_end_of_compulsory_school_age(
    born: dt.date, ends: dt.date
) -> None:
    assert end_of_compulsory_school_age(born) == ends
    assert ends.weekday() == 4 and ends.month == 6 and ends.day > 23
    assert is_child(born, ends)
    assert is_young_person(born, ends + dt.timedelta(days=1))


def test_young_person_definition_under_25() -> None:
    born = dt.date(2000, 5, 10)
    assert is_young_person(born, dt.date(2025, 5, 9))
    assert not is_young_person(born, dt.date(2025, 5, 10))
    assert age_on(born, dt.date(2025, 5, 10)) == 25


def test_young_person_definition_aged_30_is_refused_naming_the_field() -> None:
    p = Party(kind=K.YOUNG_PERSON, date_of_birth=dt.date(1995, 1, 1))
    with pytest.raises(InvalidInputError) as err:
        p.check_on(dt.date(2025, 3, 3))
    assert err.value.field == "date_of_birth"
    assert err.value.rule_id == "young_person.definition"
    assert "30" not in str(err.value) and "under 25" in str(err.value)


def test_young_person_definition_needs_a_date_of_birth() -> None:
    # A young person may be described without one, but is never confirmed as one without it.
    person = Party(kind=K.YOUNG_PERSON)
    with pytest.raises(InvalidInputError) as err:
        person.check_on(dt.date(2025, 3, 3))
    assert err.value.field == "date_of_birth"
    assert err.value.rule_id == "young_person.definition"


def test_ccg_abolished_on_1_july_2022_names_integrated_care_boards() -> None:
    check_kind_in_force(K.CLINICAL_COMMISSIONING_GROUP, dt.date(2022, 6, 30))
    with pytest.raises(LegacyBodyError) as err:
        check_kind_in_force(K.CLINICAL_COMMISSIONING_GROUP, dt.date(2022, 7, 1))
    assert "integrated care board" in str(err.value)
    assert err.value.rule_id == "ccg.abolished"


def test_icb_established_1_july_2022() -> None:
    check_kind_in_force(K.INTEGRATED_CARE_BOARD, dt.date(2022, 7, 1))
    with pytest.raises(LegacyBodyError):
        check_kind_in_force(K.INTEGRATED_CARE_BOARD, dt.date(2022, 6, 30))


@pytest.mark.parametrize(
    ("kind", "ids"),
    [
        (K.LOCAL_AUTHORITY, Identifiers(gss_code="E08000014", la_number="343")),
        (K.ACADEMY_PROPRIETOR, Identifiers(urn="143210", ukprn="10012345")),
        (K.INTEGRATED_CARE_BOARD, Identifiers(ods_code="QYG")),
    ],
)
def test_identifiers_of_the_right_shape_are_accepted(kind: K, ids: Identifiers) -> None:
    assert Party(kind=kind, identifiers=ids).identifiers == ids


@pytest.mark.parametrize(
    ("kind", "ids", "field", "rule"),
    [
        (K.LOCAL_AUTHORITY, Identifiers(gss_code="W06000001"), "identifiers.gss_code", "shape"),
        (K.LOCAL_AUTHORITY, Identifiers(la_number="34"), "identifiers.la_number", "shape"),
        (K.SCHOOL, Identifiers(urn="12345"), "identifiers.urn", "shape"),
        (K.SCHOOL, Identifiers(ukprn="20012345"), "identifiers.ukprn", "shape"),
        (K.INTEGRATED_CARE_BOARD, Identifiers(ods_code="qyg"), "identifiers.ods_code", "shape"),
        (K.SCHOOL, Identifiers(gss_code="E08000014"), "identifiers.gss_code", "kind"),
        (K.PARENT, Identifiers(urn="143210"), "identifiers.urn", "kind"),
    ],
)
def test_identifiers_wrong_shape_or_kind_name_the_field(
    kind: K, ids: Identifiers, field: str, rule: str
) -> None:
    with pytest.raises(InvalidInputError) as err:
        Party(kind=kind, identifiers=ids)
    assert err.value.field == field
    assert err.value.rule_id.endswith(rule)


def test_parent_definition_only_people_have_dates_of_birth() -> None:
    with pytest.raises(InvalidInputError):
        Party(kind=K.LOCAL_AUTHORITY, date_of_birth=dt.date(2000, 1, 1))


def test_employer_only_for_independent_roles() -> None:
    with pytest.raises(InvalidInputError) as err:
        Party(kind=K.PARENT, employer=Employer(kind=K.LOCAL_AUTHORITY))
    assert err.value.field == "employer"
