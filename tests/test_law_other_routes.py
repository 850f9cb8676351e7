"""Not eligible for disagreement resolution: why, and which other route applies (law section 6)."""

from __future__ import annotations

import pytest
from lawbuild import described

from sen_disagreement.classifier import NotEligible, classify
from sen_disagreement.ehc import Duty, EhcStage, Provision
from sen_disagreement.parties import PartyKind as K
from sen_disagreement.routes import ROUTES, RouteId


def _not_eligible(*kinds: K, **kw: object) -> NotEligible:
    answer = classify(described(*kinds, **kw))  # type: ignore[arg-type]
    assert isinstance(answer, NotEligible)
    assert len(answer.reasons) == 4
    return answer


def _route_ids(answer: NotEligible) -> list[str]:
    return [r.route.route_id for r in answer.other_routes]


def test_nhs_complaint_for_health_disagreement_with_icb_outside_ehc_process() -> None:
    answer = _not_eligible(
        K.PARENT,
        K.INTEGRATED_CARE_BOARD,
        stage=EhcStage.NO_PLAN,
        provision=(Provision.HEALTH_CARE,),
    )
    assert "nhs_complaint" in _route_ids(answer)
    assert any("Type 3" in r and "not at stage 'no plan'" in r for r in answer.reasons)


def test_type4_shaped_dispute_with_a_parent_is_not_type4() -> None:
    answer = _not_eligible(
        K.PARENT, K.LOCAL_AUTHORITY, K.INTEGRATED_CARE_BOARD, stage=EhcStage.CEASING
    )
    assert any("Type 4" in r and "parents or young people" in r for r in answer.reasons)


def test_childrens_social_care_complaint_for_social_care_outside_ehc_process() -> None:
    answer = _not_eligible(
        K.PARENT, K.LOCAL_AUTHORITY, stage=EhcStage.NO_PLAN, provision=(Provision.SOCIAL_CARE,)
    )
    ids = _route_ids(answer)
    assert "childrens_social_care_complaint" in ids
    assert "local_government_and_social_care_ombudsman" in ids


def test_setting_complaint_when_not_about_special_educational_provision() -> None:
    answer = _not_eligible(K.PARENT, K.SCHOOL, provision=(Provision.SOCIAL_CARE,))
    assert _route_ids(answer)[0] == "setting_complaint"


def test_tribunal_route_offered_once_an_ehc_process_is_under_way() -> None:
    answer = _not_eligible(
        K.PARENT, K.LOCAL_AUTHORITY, stage=EhcStage.CEASING, provision=(Provision.HEALTH_CARE,)
    )
    assert "tribunal_appeal" in _route_ids(answer)


def test_disability_discrimination_claim_is_offered_to_families() -> None:
    answer = _not_eligible(K.PARENT, K.ACADEMY_PROPRIETOR, duty=Duty.ASSESS)
    assert "disability_discrimination_claim" in _route_ids(answer)


@pytest.mark.parametrize("route", list(RouteId))
def test_every_other_route_cites_its_source(route: RouteId) -> None:
    r = ROUTES[route]
    assert r.route_id == route.value
    assert r.provenance.citations
    assert r.time_limit
