"""CFA 2014 s.51(2) appealable decisions, s.55 certificates and the mediation routes."""

from __future__ import annotations

import itertools

import pytest

from sen_disagreement.appeals import (
    HEALTH_SOCIAL_CARE_NOT_APPEALABLE,
    SECTION_I_ONLY,
    MediationRoute,
    certificate_requirement,
    disability_discrimination_claim,
    mediation_route,
)
from sen_disagreement.appeals import (
    AppealableDecision as D,
)
from sen_disagreement.ehc import EhcStage, PlanSection, Provision
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.parties import PartyKind
from sen_disagreement.provenance import Grade

LIMBS = {
    "s51(2)(a)": D.NOT_TO_ASSESS,
    "s51(2)(b)": D.NO_PLAN_AFTER_ASSESSMENT,
    "s51(2)(c)(i)": D.PLAN_NEEDS,
    "s51(2)(c)(ii)": D.PLAN_SPECIAL_EDUCATIONAL_PROVISION,
    "s51(2)(c)(iii)": D.PLAN_PLACEMENT_NAMED,
    "s51(2)(c)(iv)": D.PLAN_NO_PLACEMENT_NAMED,
    "s51(2)(d)": D.NOT_TO_REASSESS,
    "s51(2)(e)": D.NOT_TO_AMEND_OR_REPLACE,
    "s51(2)(f)": D.CEASE_TO_MAINTAIN,
}


def test_s51_2_has_exactly_nine_limbs() -> None:
    assert {d.value: d for d in D} == LIMBS


@pytest.mark.parametrize("limb", list(LIMBS))
def test_s51_2_each_limb_is_primary_law_with_description_and_stage(limb: str) -> None:
    decision = LIMBS[limb]
    assert decision.provenance.grade is Grade.PRIMARY
    assert decision.description
    assert decision.arises_at


@pytest.mark.parametrize(
    "decision", [d for d in D if d not in SECTION_I_ONLY], ids=lambda d: d.value
)
def test_s55_certificate_required_for_each_non_placement_limb(decision: D) -> None:
    req = certificate_requirement([decision])
    assert req.required
    assert req.rule.rule_id == "s55.certificate_required"


@pytest.mark.parametrize("decisions", [[D.PLAN_PLACEMENT_NAMED], [D.PLAN_NO_PLACEMENT_NAMED],
                                       [D.PLAN_PLACEMENT_NAMED, D.PLAN_NO_PLACEMENT_NAMED]])
def test_s55_section_i_exception_only_placement_appeal_needs_no_certificate_but_may_mediate(
    decisions: list[D],
) -> None:
    req = certificate_requirement(decisions)
    assert not req.required
    assert req.mediation_available
    assert req.rule.rule_id == "s55.section_i_exception"


def test_s55_section_i_with_any_other_limb_needs_a_certificate() -> None:
    for other in set(D) - SECTION_I_ONLY:
        assert certificate_requirement([D.PLAN_PLACEMENT_NAMED, other]).required


def test_s55_an_appeal_names_at_least_one_decision() -> None:
    with pytest.raises(InvalidInputError) as err:
        certificate_requirement([])
    assert err.value.field == "decisions"


def test_eqa_disability_discrimination_no_mediation_nor_certificate() -> None:
    req = disability_discrimination_claim()
    assert (req.required, req.mediation_available) == (False, False)
    assert req.rule.rule_id == "eqa.disability_discrimination_no_mediation"


def test_s51_health_social_care_not_appealable_no_limb_is_about_sections_g_or_h() -> None:
    sections = {d.plan_section for d in D} - {None}
    assert sections == {PlanSection.B, PlanSection.F, PlanSection.I}
    assert not sections & {PlanSection.G, PlanSection.H1, PlanSection.H2}
    rule = HEALTH_SOCIAL_CARE_NOT_APPEALABLE
    assert rule.rule_id == "s51.health_social_care_not_appealable"
    assert rule.cite().startswith("CFA 2014 s.51(2)")


def test_s51_2_c_limbs_map_to_plan_sections() -> None:
    assert D.PLAN_NEEDS.plan_section is PlanSection.B
    assert D.PLAN_SPECIAL_EDUCATIONAL_PROVISION.plan_section is PlanSection.F
    assert D.PLAN_PLACEMENT_NAMED.plan_section is PlanSection.I
    assert D.NOT_TO_ASSESS.plan_section is None
    assert D.NOT_TO_ASSESS.arises_at == {EhcStage.ASSESSMENT_REQUESTED}
    assert D.CEASE_TO_MAINTAIN.arises_at == {EhcStage.CEASING}


@pytest.mark.parametrize(
    ("issues", "route", "by", "clock"),
    [
        ({Provision.SPECIAL_EDUCATIONAL}, MediationRoute.LOCAL_AUTHORITY,
         PartyKind.LOCAL_AUTHORITY, "arrange_mediation_education_social_care"),
        ({Provision.SOCIAL_CARE}, MediationRoute.LOCAL_AUTHORITY,
         PartyKind.LOCAL_AUTHORITY, "arrange_mediation_education_social_care"),
        ({Provision.SPECIAL_EDUCATIONAL, Provision.SOCIAL_CARE}, MediationRoute.LOCAL_AUTHORITY,
         PartyKind.LOCAL_AUTHORITY, "arrange_mediation_education_social_care"),
        ({Provision.HEALTH_CARE}, MediationRoute.COMMISSIONING_BODY,
         PartyKind.INTEGRATED_CARE_BOARD, "arrange_mediation_health_only"),
        ({Provision.HEALTH_CARE, Provision.SOCIAL_CARE}, MediationRoute.JOINT,
         PartyKind.LOCAL_AUTHORITY, "arrange_mediation_mixed"),
        ({Provision.HEALTH_CARE, Provision.SPECIAL_EDUCATIONAL}, MediationRoute.JOINT,
         PartyKind.LOCAL_AUTHORITY, "arrange_mediation_mixed"),
    ],
)
def test_mediation_route_who_arranges(
    issues: set[Provision], route: MediationRoute, by: PartyKind, clock: str
) -> None:
    arrangement = mediation_route(issues)
    assert arrangement.route is route
    assert arrangement.arranged_by is by
    assert arrangement.arrange_clock_id == clock
    assert arrangement.notify_commissioning_bodies is (Provision.HEALTH_CARE in issues)
    # The regulation numbers were not read: the rule must say so.
    assert arrangement.rule.grade is Grade.UNCONFIRMED


def test_mediation_route_joint_is_one_mediation_with_every_party() -> None:
    arrangement = mediation_route([Provision.HEALTH_CARE, Provision.SPECIAL_EDUCATIONAL])
    assert set(arrangement.parties) == {
        PartyKind.PARENT, PartyKind.LOCAL_AUTHORITY, PartyKind.INTEGRATED_CARE_BOARD
    }


def test_mediation_route_needs_issues() -> None:
    with pytest.raises(InvalidInputError):
        mediation_route([])


def test_mediation_routes_cover_every_combination() -> None:
    for n in range(1, 4):
        for combo in itertools.combinations(Provision, n):
            assert mediation_route(combo).route in MediationRoute
