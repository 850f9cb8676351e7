"""CFA 2014 s.57 / SEND Code of Practice 11.8: every row of the four-types table."""

from __future__ import annotations

import pytest
from lawbuild import described, types_of

from sen_disagreement.classifier import Eligible, NotEligible, classify
from sen_disagreement.disagreement_types import ALL_TYPES, EHC_PROCESS_STAGES, TYPE3_SEP_STAGES
from sen_disagreement.ehc import Duty, EhcStage, Provision
from sen_disagreement.parties import PartyKind as K
from sen_disagreement.provenance import Grade

TYPE1_BODIES = [
    K.LOCAL_AUTHORITY,
    K.MAINTAINED_SCHOOL_GOVERNING_BODY,
    K.MAINTAINED_NURSERY_SCHOOL_GOVERNING_BODY,
    K.EARLY_YEARS_PROVIDER,
    K.FURTHER_EDUCATION_INSTITUTION,
    K.ACADEMY_PROPRIETOR,
]


@pytest.mark.parametrize("family", [K.PARENT])
@pytest.mark.parametrize("duty", [Duty.KEEP_PROVISION_UNDER_REVIEW, Duty.ASSESS, Duty.DRAW_UP_PLAN])
@pytest.mark.parametrize("stage", list(EhcStage))
def test_s57_type1_local_authority_duties_at_any_stage(
    family: K, duty: Duty, stage: EhcStage
) -> None:
    assert 1 in types_of(described(family, K.LOCAL_AUTHORITY, stage=stage, duty=duty))


@pytest.mark.parametrize("body", TYPE1_BODIES[1:])
def test_s57_type1_best_endeavours_of_governing_bodies_and_proprietors(body: K) -> None:
    assert 1 in types_of(described(K.PARENT, body, duty=Duty.BEST_ENDEAVOURS))


def test_s57_type1_duty_must_belong_to_the_body() -> None:
    # A school has no duty to carry out an EHC needs assessment: that is the LA's.
    answer = classify(described(K.PARENT, K.ACADEMY_PROPRIETOR, duty=Duty.ASSESS))
    assert isinstance(answer, NotEligible)
    assert any("Type 1" in r and "assess" in r for r in answer.reasons)


def test_s57_type1_needs_a_duty_in_question() -> None:
    assert 1 not in types_of(described(K.PARENT, K.LOCAL_AUTHORITY))


@pytest.mark.parametrize(
    "setting",
    [
        K.EARLY_YEARS_PROVIDER,
        K.SCHOOL,
        K.MAINTAINED_SCHOOL_GOVERNING_BODY,
        K.MAINTAINED_NURSERY_SCHOOL_GOVERNING_BODY,
        K.ACADEMY_PROPRIETOR,
        K.POST_16_INSTITUTION,
        K.FURTHER_EDUCATION_INSTITUTION,
    ],
)
@pytest.mark.parametrize("stage", [EhcStage.NO_PLAN, EhcStage.PLAN_MAINTAINED])
def test_s57_type2_special_educational_provision_of_a_setting_with_or_without_plan(
    setting: K, stage: EhcStage
) -> None:
    d = described(K.PARENT, setting, stage=stage, provision=(Provision.SPECIAL_EDUCATIONAL,))
    assert 2 in types_of(d)


def test_s57_type2_is_about_special_educational_provision_only() -> None:
    d = described(K.PARENT, K.SCHOOL, provision=(Provision.HEALTH_CARE,))
    assert types_of(d) == ()


@pytest.mark.parametrize("body", [K.INTEGRATED_CARE_BOARD, K.LOCAL_AUTHORITY])
@pytest.mark.parametrize("provision", [Provision.HEALTH_CARE, Provision.SOCIAL_CARE])
@pytest.mark.parametrize("stage", sorted(EHC_PROCESS_STAGES, key=str))
def test_s57_type3_health_or_social_care_during_ehc_process(
    body: K, provision: Provision, stage: EhcStage
) -> None:
    assert 3 in types_of(described(K.PARENT, body, stage=stage, provision=(provision,)))


@pytest.mark.parametrize(
    "stage", sorted(set(EhcStage) - EHC_PROCESS_STAGES, key=str)
)
def test_s57_type3_health_care_not_outside_ehc_process(stage: EhcStage) -> None:
    d = described(
        K.PARENT, K.INTEGRATED_CARE_BOARD, stage=stage, provision=(Provision.HEALTH_CARE,)
    )
    assert 3 not in types_of(d)


@pytest.mark.parametrize("stage", sorted(TYPE3_SEP_STAGES, key=str))
def test_s57_type3_special_educational_provision_incl_awaiting_tribunal(stage: EhcStage) -> None:
    d = described(
        K.PARENT, K.LOCAL_AUTHORITY, stage=stage, provision=(Provision.SPECIAL_EDUCATIONAL,)
    )
    assert 3 in types_of(d)


def test_s57_type3_clinical_commissioning_group_before_1_july_2022() -> None:
    import datetime as dt

    d = described(
        K.PARENT,
        K.CLINICAL_COMMISSIONING_GROUP,
        stage=EhcStage.NEEDS_ASSESSMENT,
        provision=(Provision.HEALTH_CARE,),
        on=dt.date(2021, 5, 4),
    )
    assert types_of(d) == (3,)


@pytest.mark.parametrize("health", [K.INTEGRATED_CARE_BOARD, K.NHS_ENGLAND])
@pytest.mark.parametrize("stage", sorted(EHC_PROCESS_STAGES, key=str))
def test_s57_type4_local_authority_and_health_commissioning_body(
    health: K, stage: EhcStage
) -> None:
    assert types_of(described(K.LOCAL_AUTHORITY, health, stage=stage)) == (4,)


def test_s57_type4_not_when_a_parent_is_a_party() -> None:
    d = described(
        K.PARENT, K.LOCAL_AUTHORITY, K.INTEGRATED_CARE_BOARD, stage=EhcStage.PLAN_MAINTAINED
    )
    answer = classify(d)
    assert isinstance(answer, NotEligible)
    assert any("Type 4" in r and "does not involve parents" in r for r in answer.reasons)


def test_s57_type4_not_outside_ehc_process() -> None:
    assert types_of(described(K.LOCAL_AUTHORITY, K.INTEGRATED_CARE_BOARD)) == ()


def test_s57_several_types_can_apply_at_once() -> None:
    # Parent v LA about SEP while the plan is drawn up, with the duty to draw up a plan in question.
    d = described(
        K.PARENT,
        K.LOCAL_AUTHORITY,
        stage=EhcStage.DRAWING_UP,
        provision=(Provision.SPECIAL_EDUCATIONAL,),
        duty=Duty.DRAW_UP_PLAN,
    )
    answer = classify(d)
    assert isinstance(answer, Eligible)
    assert answer.type_numbers == (1, 3)
    assert all(m.reasons for m in answer.matches)


def test_s57_every_type_cites_primary_and_secondary_sources() -> None:
    assert [t.number for t in ALL_TYPES] == [1, 2, 3, 4]
    for t in ALL_TYPES:
        grades = {c.grade for c in t.provenance.citations}
        assert grades == {Grade.PRIMARY, Grade.SECONDARY}
        assert t.provenance.grade is Grade.SECONDARY
        assert t.rule_id == f"s57.type{t.number}"


def test_s57_in_force_from_1_september_2014() -> None:
    import datetime as dt

    before = described(
        K.PARENT, K.LOCAL_AUTHORITY, duty=Duty.ASSESS, on=dt.date(2014, 8, 31)
    )
    answer = classify(before)
    assert isinstance(answer, NotEligible)
    assert all("not in force on 2014-08-31" in r for r in answer.reasons)
    on_day = described(K.PARENT, K.LOCAL_AUTHORITY, duty=Duty.ASSESS, on=dt.date(2014, 9, 1))
    assert types_of(on_day) == (1,)
