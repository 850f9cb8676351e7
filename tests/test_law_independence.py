"""The independence principle: CFA s.56(3), s.57 (EN paras 265, 275), CoP 11.6."""

from __future__ import annotations

import pytest

from sen_disagreement.errors import IndependenceError, InvalidInputError
from sen_disagreement.independence import check_independence
from sen_disagreement.parties import Employer, Identifiers, Party
from sen_disagreement.parties import PartyKind as K
from sen_disagreement.settings import Settings

SCHOOL = Party(
    kind=K.ACADEMY_PROPRIETOR, name="Oak Academy Trust", identifiers=Identifiers(urn="143210")
)
PARENT = Party(kind=K.PARENT)
CASE = [PARENT, SCHOOL]


def appointee(role: K, employer: K | None, **kw: object) -> Party:
    emp = Employer(kind=employer, **kw) if employer else None  # type: ignore[arg-type]
    return Party(kind=role, employer=emp)


@pytest.mark.parametrize(
    ("role", "rule"),
    [
        (K.DISAGREEMENT_RESOLUTION_PROVIDER, "s57.independence.local_authority"),
        (K.MEDIATOR, "s52.mediator_independence.local_authority"),
        (K.MEDIATION_ADVISER, "s56.adviser_independence"),
    ],
)
def test_independence_local_authority_employee_rejected(role: K, rule: str) -> None:
    with pytest.raises(IndependenceError) as err:
        check_independence(
            appointee(role, K.LOCAL_AUTHORITY), case_parties=CASE, health_in_issue=False
        )
    assert err.value.rule_id == rule
    assert "CFA 2014" in err.value.citation


@pytest.mark.parametrize("health_body", [K.INTEGRATED_CARE_BOARD, K.NHS_ENGLAND])
@pytest.mark.parametrize(
    ("role", "rule"),
    [
        (K.MEDIATOR, "s53.mediator_independence.health_body"),
        (K.MEDIATION_ADVISER, "s56.adviser_independence"),
    ],
)
def test_independence_health_body_employee_rejected_where_health_in_issue(
    role: K, rule: str, health_body: K
) -> None:
    with pytest.raises(IndependenceError) as err:
        check_independence(appointee(role, health_body), case_parties=CASE, health_in_issue=True)
    assert err.value.rule_id == rule


def test_s53_mediator_from_icb_allowed_where_health_not_in_issue() -> None:
    check = check_independence(
        appointee(K.MEDIATOR, K.INTEGRATED_CARE_BOARD), case_parties=CASE, health_in_issue=False
    )
    assert check.role is K.MEDIATOR


@pytest.mark.parametrize("health_in_issue", [False, True])
@pytest.mark.parametrize(
    ("employer", "rule"),
    [
        (K.CLINICAL_COMMISSIONING_GROUP, "s57.independence.health_body"),
        (K.NHS_ENGLAND, "s57.independence.health_body"),
        (K.INTEGRATED_CARE_BOARD, "s57.independence.integrated_care_board"),
    ],
)
def test_s57_en_275_health_body_employee_never_independent_for_disagreement_resolution(
    employer: K, rule: str, health_in_issue: bool
) -> None:
    # EN para 275 is unconditional: CCG and NHS Commissioning Board (now NHS England) employees
    # are not independent, whatever the disagreement is about.
    with pytest.raises(IndependenceError) as err:
        check_independence(
            appointee(K.DISAGREEMENT_RESOLUTION_PROVIDER, employer),
            case_parties=CASE,
            health_in_issue=health_in_issue,
        )
    assert err.value.rule_id == rule


def test_s56_3_adviser_never_from_icb_even_without_health_issues() -> None:
    with pytest.raises(IndependenceError):
        check_independence(
            appointee(K.MEDIATION_ADVISER, K.INTEGRATED_CARE_BOARD),
            case_parties=CASE,
            health_in_issue=False,
        )


def test_s57_icb_substitution_is_a_setting() -> None:
    # UNCONFIRMED whether s.57 reaches ICBs: a council may switch that part off, never the [P]
    # bar on CCG and NHS England employees.
    lax = Settings(s57_health_body_independence=False)
    check_independence(
        appointee(K.DISAGREEMENT_RESOLUTION_PROVIDER, K.INTEGRATED_CARE_BOARD),
        case_parties=CASE,
        health_in_issue=True,
        settings=lax,
    )
    with pytest.raises(IndependenceError):
        check_independence(
            appointee(K.DISAGREEMENT_RESOLUTION_PROVIDER, K.NHS_ENGLAND),
            case_parties=CASE,
            health_in_issue=True,
            settings=lax,
        )


@pytest.mark.parametrize(
    "role", [K.DISAGREEMENT_RESOLUTION_PROVIDER, K.MEDIATOR, K.MEDIATION_ADVISER]
)
def test_independence_education_provider_in_dispute_rejected(role: K) -> None:
    with pytest.raises(IndependenceError) as err:
        check_independence(
            appointee(role, K.ACADEMY_PROPRIETOR, identifiers=Identifiers(urn="143210")),
            case_parties=CASE,
            health_in_issue=False,
        )
    assert err.value.rule_id == "independence.education_provider"


def test_independence_another_school_is_not_the_provider_in_dispute() -> None:
    check = check_independence(
        appointee(K.MEDIATOR, K.ACADEMY_PROPRIETOR, identifiers=Identifiers(urn="100001")),
        case_parties=CASE,
        health_in_issue=False,
    )
    assert check.rules_applied


def test_independence_independent_organisation_accepted_with_rules_listed() -> None:
    provider = Party(kind=K.DISAGREEMENT_RESOLUTION_PROVIDER, name="Global Mediation")
    check = check_independence(provider, case_parties=CASE, health_in_issue=True)
    assert {r.rule_id for r in check.rules_applied} == {
        "s57.independence.local_authority",
        "s57.independence.health_body",
        "s57.independence.integrated_care_board",
        "independence.education_provider",
    }


def test_independence_only_independent_roles_are_checked() -> None:
    with pytest.raises(InvalidInputError):
        check_independence(PARENT, case_parties=CASE, health_in_issue=False)
