"""Answers, not only exceptions (issue 11): independence answers, age answers for an unknown date
of birth, the mediation route in full words, and refusals that cite a registered rule."""

from __future__ import annotations

import datetime as dt
import inspect
from types import ModuleType

import pytest

from sen_disagreement import appeals, independence, parties, voluntary
from sen_disagreement.appeals import (
    ClockStart,
    MediationParticipant,
    MediationRoute,
    certificate_requirement,
    mediation_route,
)
from sen_disagreement.clocks import CLOCKS
from sen_disagreement.ehc import Provision
from sen_disagreement.errors import IndependenceError, InvalidInputError, LegacyBodyError
from sen_disagreement.independence import (
    IndependenceAnswer,
    assess_independence,
    check_independence,
)
from sen_disagreement.parties import (
    DATE_OF_BIRTH_UNKNOWN,
    AgeStatus,
    Employer,
    Identifiers,
    Party,
    age_on,
    age_status,
    end_of_compulsory_school_age,
    is_child,
    is_young_person,
    who_decides,
)
from sen_disagreement.parties import PartyKind as K
from sen_disagreement.provenance import Grade, Rule
from sen_disagreement.settings import Settings

ON = dt.date(2025, 3, 3)
BEFORE_ICB = dt.date(2021, 3, 3)
SCHOOL = Party(
    kind=K.ACADEMY_PROPRIETOR, name="Oak Academy Trust", identifiers=Identifiers(urn="143210")
)
CASE = [Party(kind=K.PARENT), SCHOOL]
INSTRUMENTS = (
    "CFA 2014", "SEND Regs 2014", "SEND Code of Practice", "Health and Care Act 2022",
    "Education Act 1996",
)


def _rules(*modules: ModuleType) -> dict[str, Rule]:
    found: dict[str, Rule] = {}
    for module in modules:
        for _, value in inspect.getmembers(module):
            if isinstance(value, Rule):
                found[value.rule_id] = value
            elif isinstance(value, dict):
                found.update({r.rule_id: r for r in value.values() if isinstance(r, Rule)})
    return found


RULES = _rules(appeals, independence, parties, voluntary)


def _cites_a_registered_rule(err: InvalidInputError | IndependenceError) -> Rule:
    """The error names a module-level Rule and carries exactly that rule's citation."""
    rule = RULES[err.rule_id]
    assert err.citation == rule.cite()
    return rule


def appointee(role: K, employer: K | None, **kw: object) -> Party:
    emp = Employer(kind=employer, **kw) if employer else None  # type: ignore[arg-type]
    return Party(kind=role, employer=emp, name="A Person")


# --- 1. Independence answers -----------------------------------------------------------------


def test_s56_adviser_independence_answer_says_no_with_the_rule_reason_and_date() -> None:
    answer = assess_independence(
        appointee(K.MEDIATION_ADVISER, K.LOCAL_AUTHORITY, name="Sefton Council"),
        case_parties=CASE, health_in_issue=False, on=ON,
    )
    assert isinstance(answer, IndependenceAnswer)
    assert answer.independent is False
    assert answer.rule is independence.ADVISER_INDEPENDENT
    assert answer.rule.rule_id == "s56.adviser_independence"
    assert answer.judged_on == ON
    assert "local authority" in answer.reason and "not independent" in answer.reason
    # Names kinds of body, never the people or bodies themselves.
    assert "Sefton" not in answer.reason and "A Person" not in answer.reason


def test_s56_adviser_independence_answer_yes_names_the_role_rule() -> None:
    answer = assess_independence(
        Party(kind=K.MEDIATION_ADVISER, name="Global Mediation"),
        case_parties=CASE, health_in_issue=True, on=ON,
    )
    assert answer.independent is True
    assert answer.rule.rule_id == "s56.adviser_independence"
    assert answer.rule.grade is Grade.PRIMARY
    assert answer.reason.startswith("independent")
    assert "no employer recorded" in answer.reason
    assert {r.rule_id for r in answer.rules_applied} == {
        "s56.adviser_independence", "independence.education_provider"
    }


def test_s52_mediator_independence_answer_yes_for_icb_employee_when_health_not_in_issue() -> None:
    answer = assess_independence(
        appointee(K.MEDIATOR, K.INTEGRATED_CARE_BOARD),
        case_parties=CASE, health_in_issue=False, on=ON,
    )
    assert answer.independent is True
    assert answer.rule is independence.MEDIATOR_INDEPENDENT
    assert answer.rule.rule_id == "s52.mediator_independence"
    assert "employed by an integrated care board" in answer.reason


def test_s53_mediator_independence_health_body_answer_no_where_health_in_issue() -> None:
    answer = assess_independence(
        appointee(K.MEDIATOR, K.NHS_ENGLAND), case_parties=CASE, health_in_issue=True, on=ON
    )
    assert (answer.independent, answer.rule.rule_id) == (
        False, "s53.mediator_independence.health_body"
    )


def test_s57_independence_answer_yes_for_an_independent_provider() -> None:
    answer = assess_independence(
        Party(kind=K.DISAGREEMENT_RESOLUTION_PROVIDER, name="Global Mediation"),
        case_parties=CASE, health_in_issue=False, on=ON,
    )
    assert answer.independent
    assert answer.rule.rule_id == "s57.independence"
    assert "s57.independence.integrated_care_board" in {r.rule_id for r in answer.rules_applied}


def test_s57_independence_integrated_care_board_applies_only_from_1_july_2022() -> None:
    # Before ICBs existed the ICB bar is not in force, and an ICB employer is a mistake.
    answer = assess_independence(
        Party(kind=K.DISAGREEMENT_RESOLUTION_PROVIDER),
        case_parties=CASE, health_in_issue=False, on=BEFORE_ICB,
    )
    assert "s57.independence.integrated_care_board" not in {
        r.rule_id for r in answer.rules_applied
    }
    with pytest.raises(LegacyBodyError) as err:
        assess_independence(
            appointee(K.DISAGREEMENT_RESOLUTION_PROVIDER, K.INTEGRATED_CARE_BOARD),
            case_parties=CASE, health_in_issue=False, on=BEFORE_ICB,
        )
    assert err.value.field == "employer.kind"
    assert err.value.rule_id == "icb.established"
    on_icb_day = assess_independence(
        appointee(K.DISAGREEMENT_RESOLUTION_PROVIDER, K.INTEGRATED_CARE_BOARD),
        case_parties=CASE, health_in_issue=False, on=dt.date(2022, 7, 1),
    )
    assert on_icb_day.rule.rule_id == "s57.independence.integrated_care_board"
    assert not on_icb_day.independent


def test_s57_independence_health_body_ccg_employer_after_abolition_is_refused_as_input() -> None:
    with pytest.raises(LegacyBodyError) as err:
        assess_independence(
            appointee(K.DISAGREEMENT_RESOLUTION_PROVIDER, K.CLINICAL_COMMISSIONING_GROUP),
            case_parties=CASE, health_in_issue=False, on=ON,
        )
    assert err.value.rule_id == "ccg.abolished"
    before = assess_independence(
        appointee(K.DISAGREEMENT_RESOLUTION_PROVIDER, K.CLINICAL_COMMISSIONING_GROUP),
        case_parties=CASE, health_in_issue=False, on=BEFORE_ICB,
    )
    assert (before.independent, before.rule.rule_id) == (False, "s57.independence.health_body")


def test_independence_education_provider_answer_no_for_the_provider_in_dispute() -> None:
    answer = assess_independence(
        appointee(K.MEDIATOR, K.ACADEMY_PROPRIETOR, identifiers=Identifiers(urn="143210")),
        case_parties=CASE, health_in_issue=False, on=ON,
    )
    assert (answer.independent, answer.rule.rule_id) == (False, "independence.education_provider")
    assert "in dispute" in answer.reason and "Oak" not in answer.reason


@pytest.mark.parametrize(
    ("role", "employer", "health"),
    [
        (K.MEDIATION_ADVISER, K.LOCAL_AUTHORITY, False),
        (K.MEDIATION_ADVISER, K.NHS_ENGLAND, False),
        (K.MEDIATOR, K.INTEGRATED_CARE_BOARD, True),
        (K.MEDIATOR, K.INTEGRATED_CARE_BOARD, False),
        (K.DISAGREEMENT_RESOLUTION_PROVIDER, K.NHS_ENGLAND, False),
        (K.DISAGREEMENT_RESOLUTION_PROVIDER, None, True),
    ],
)
def test_s56_adviser_independence_check_raises_exactly_when_the_answer_is_no(
    role: K, employer: K | None, health: bool
) -> None:
    # One place for the rule: check_independence raises the answer's rule and reason.
    who = appointee(role, employer)
    answer = assess_independence(who, case_parties=CASE, health_in_issue=health, on=ON)
    if answer.independent:
        check = check_independence(who, case_parties=CASE, health_in_issue=health, on=ON)
        assert check.rules_applied == answer.rules_applied
        return
    with pytest.raises(IndependenceError) as err:
        check_independence(who, case_parties=CASE, health_in_issue=health, on=ON)
    assert err.value.rule_id == answer.rule.rule_id
    assert err.value.citation == answer.rule.cite()
    assert answer.reason in str(err.value)


def test_s57_independence_integrated_care_board_setting_off_answers_yes() -> None:
    answer = assess_independence(
        appointee(K.DISAGREEMENT_RESOLUTION_PROVIDER, K.INTEGRATED_CARE_BOARD),
        case_parties=CASE, health_in_issue=True, on=ON,
        settings=Settings(s57_health_body_independence=False),
    )
    assert answer.independent and answer.rule.rule_id == "s57.independence"


def test_independence_role_refusal_cites_a_registered_rule() -> None:
    with pytest.raises(InvalidInputError) as err:
        assess_independence(Party(kind=K.PARENT), case_parties=CASE, health_in_issue=False, on=ON)
    assert err.value.field == "kind"
    assert err.value.rule_id == "independence.role"
    rule = _cites_a_registered_rule(err.value)
    assert rule.grade is Grade.PRIMARY
    with pytest.raises(InvalidInputError) as legacy:
        check_independence(Party(kind=K.SCHOOL), case_parties=CASE, health_in_issue=False)
    assert legacy.value.citation == rule.cite()


# --- 2. A young person or child whose date of birth is unknown --------------------------------


@pytest.mark.parametrize("kind", [K.YOUNG_PERSON, K.CHILD])
def test_young_person_definition_person_with_unknown_date_of_birth_can_be_described(
    kind: K,
) -> None:
    person = Party(kind=kind, date_of_birth=DATE_OF_BIRTH_UNKNOWN)
    assert person.date_of_birth is None
    answer = person.age_status(ON)
    assert answer.status is AgeStatus.DATE_OF_BIRTH_NEEDED
    assert answer.needs == "date_of_birth" and not answer.known
    assert answer.rule.rule_id == "young_person.definition"
    assert answer.judged_on == ON


def test_young_person_definition_unknown_date_of_birth_is_never_confirmed() -> None:
    with pytest.raises(InvalidInputError) as err:
        Party(kind=K.YOUNG_PERSON).check_on(ON)
    assert err.value.field == "date_of_birth"
    assert err.value.rule_id == "young_person.definition"
    _cites_a_registered_rule(err.value)
    assert "needs the date of birth" in str(err.value)
    # A child's unknown date of birth is not needed to bring a parent's disagreement.
    Party(kind=K.CHILD).check_on(ON)


@pytest.mark.parametrize(
    ("call", "rule_id"),
    [
        (lambda: end_of_compulsory_school_age(None), "compulsory_school_age.end"),
        (lambda: is_child(None, ON), "compulsory_school_age.end"),
        (lambda: is_young_person(None, ON), "young_person.definition"),
        (lambda: age_on(None, ON), "young_person.definition"),
    ],
    ids=["end_of_compulsory_school_age", "is_child", "is_young_person", "age_on"],
)
def test_compulsory_school_age_end_and_young_person_definition_need_the_date_of_birth(
    call: object, rule_id: str
) -> None:
    with pytest.raises(InvalidInputError) as err:
        call()  # type: ignore[operator]
    assert err.value.field == "date_of_birth"
    assert err.value.rule_id == rule_id
    _cites_a_registered_rule(err.value)


def test_compulsory_school_age_end_rule_is_secondary_and_cites_instruments() -> None:
    rule = parties.END_OF_COMPULSORY_SCHOOL_AGE
    assert rule.grade is Grade.SECONDARY
    assert all(c.text.startswith(INSTRUMENTS) for c in rule.provenance.citations)


@pytest.mark.parametrize(
    ("born", "status", "rule_id"),
    [
        (dt.date(2012, 5, 1), AgeStatus.CHILD, "compulsory_school_age.end"),
        (dt.date(2007, 11, 20), AgeStatus.YOUNG_PERSON, "young_person.definition"),
        (dt.date(1990, 1, 1), AgeStatus.AGED_25_OR_OVER, "young_person.definition"),
        (None, AgeStatus.DATE_OF_BIRTH_NEEDED, "young_person.definition"),
    ],
)
def test_young_person_definition_age_status_answers(
    born: dt.date | None, status: AgeStatus, rule_id: str
) -> None:
    answer = age_status(born, ON)
    assert answer.status is status
    assert answer.rule.rule_id == rule_id
    assert answer.known is (born is not None)
    if born is not None:
        # The reason never carries the person's age or dates.
        assert str(born.year) not in answer.reason
        assert str(age_on(born, ON)) not in answer.reason


def test_party_date_of_birth_future_refused_with_its_rule() -> None:
    with pytest.raises(InvalidInputError) as err:
        age_status(dt.date(2030, 1, 1), ON)
    assert (err.value.field, err.value.rule_id) == ("date_of_birth", "party.date_of_birth.future")
    # A library check, not a rule of law: registered, without a citation.
    assert err.value.rule is not None and err.value.citation is None
    with pytest.raises(InvalidInputError) as party_err:
        Party(kind=K.CHILD, date_of_birth=dt.date(2030, 1, 1)).check_on(ON)
    assert party_err.value.rule_id == "party.date_of_birth.future"


@pytest.mark.parametrize(
    ("born", "decides", "rule_id"),
    [
        (dt.date(2012, 5, 1), K.PARENT, "young_person.definition"),
        (dt.date(2007, 11, 20), K.YOUNG_PERSON, "young_person.decides"),
        (dt.date(1990, 1, 1), None, "young_person.definition"),
    ],
)
def test_young_person_decides_from_the_end_of_compulsory_school_age(
    born: dt.date, decides: K | None, rule_id: str
) -> None:
    answer = who_decides(born, ON)
    assert answer.decides is decides
    assert answer.rule.rule_id == rule_id
    assert answer.needs is None


def test_young_person_decides_unknown_without_a_date_of_birth() -> None:
    answer = who_decides(None, ON)
    assert answer.decides is None
    assert answer.needs == "date_of_birth"
    assert answer.age.status is AgeStatus.DATE_OF_BIRTH_NEEDED
    assert answer.rule.rule_id in RULES


# --- 3. The mediation route in full ----------------------------------------------------------


def test_mediation_route_names_the_parent_or_young_person_and_each_commissioning_body() -> None:
    arrangement = mediation_route([Provision.HEALTH_CARE, Provision.SOCIAL_CARE], on=ON)
    assert arrangement.participants == (
        MediationParticipant.PARENT_OR_YOUNG_PERSON,
        MediationParticipant.LOCAL_AUTHORITY,
        MediationParticipant.EACH_COMMISSIONING_BODY,
    )
    assert MediationParticipant.PARENT_OR_YOUNG_PERSON.label == "the parent or young person"
    assert MediationParticipant.PARENT_OR_YOUNG_PERSON.kinds == {K.PARENT, K.YOUNG_PERSON}
    assert MediationParticipant.EACH_COMMISSIONING_BODY.label == "each commissioning body"
    assert arrangement.arranger is MediationParticipant.LOCAL_AUTHORITY
    assert "the parent or young person and each commissioning body" in arrangement.summary
    # Old attributes keep working.
    assert arrangement.arranged_by is K.LOCAL_AUTHORITY
    assert set(arrangement.parties) == {K.PARENT, K.LOCAL_AUTHORITY, K.INTEGRATED_CARE_BOARD}


@pytest.mark.parametrize(
    ("issues", "clock", "event"),
    [
        ({Provision.SPECIAL_EDUCATIONAL}, "arrange_mediation_education_social_care",
         "la_told_wish_to_mediate"),
        ({Provision.HEALTH_CARE}, "arrange_mediation_health_only", "commissioning_body_notified"),
        ({Provision.HEALTH_CARE, Provision.SPECIAL_EDUCATIONAL}, "arrange_mediation_mixed",
         "la_told_wish_to_mediate"),
    ],
)
def test_mediation_route_says_which_event_starts_its_clock(
    issues: set[Provision], clock: str, event: str
) -> None:
    arrangement = mediation_route(issues)
    assert arrangement.arrange_clock == ClockStart(clock, event, CLOCKS[clock].starts_from)
    assert arrangement.arrange_clock_id == clock
    assert event in CLOCKS[clock].triggers
    if Provision.HEALTH_CARE in issues:
        notify = arrangement.notification_clock
        assert notify is not None
        assert notify.clock_id == "icb_notification_of_health_issues"
        assert notify.event == "la_told_mediation_issues"
        assert CLOCKS[notify.clock_id].length == 3
    else:
        assert arrangement.notification_clock is None
        assert arrangement.responsible_bodies == ()


def test_mediation_route_commissioning_body_nhs_england_arranges_when_it_is_responsible() -> None:
    arrangement = mediation_route(
        [Provision.HEALTH_CARE], on=ON, commissioning_bodies=[K.NHS_ENGLAND]
    )
    assert arrangement.route is MediationRoute.COMMISSIONING_BODY
    assert arrangement.arranger is MediationParticipant.EACH_COMMISSIONING_BODY
    assert arrangement.responsible_bodies == (K.NHS_ENGLAND,)
    assert arrangement.arranged_by is K.NHS_ENGLAND
    assert not arrangement.responsible_bodies_assumed
    assert arrangement.parties == (K.PARENT, K.NHS_ENGLAND)
    assert "NHS England" in arrangement.summary


def test_mediation_responsible_commissioning_body_every_body_named_once() -> None:
    arrangement = mediation_route(
        [Provision.HEALTH_CARE, Provision.SPECIAL_EDUCATIONAL], on=ON,
        commissioning_bodies=[K.INTEGRATED_CARE_BOARD, K.NHS_ENGLAND, K.INTEGRATED_CARE_BOARD],
    )
    assert arrangement.responsible_bodies == (K.INTEGRATED_CARE_BOARD, K.NHS_ENGLAND)
    rule = arrangement.responsible_body_rule
    assert rule is appeals.RESPONSIBLE_COMMISSIONING_BODY
    assert rule.rule_id == "mediation.responsible_commissioning_body"
    assert rule.grade is Grade.SECONDARY
    assert rule.cite().startswith("CFA 2014 s.56(3) as amended")
    assert all(c.text.startswith(INSTRUMENTS) for c in rule.provenance.citations)


def test_mediation_responsible_commissioning_body_defaults_to_the_icb_and_says_so() -> None:
    arrangement = mediation_route([Provision.HEALTH_CARE], on=ON)
    assert arrangement.responsible_bodies == (K.INTEGRATED_CARE_BOARD,)
    assert arrangement.responsible_bodies_assumed
    assert arrangement.judged_on == ON


def test_mediation_responsible_commissioning_body_before_icb_is_the_ccg() -> None:
    arrangement = mediation_route([Provision.HEALTH_CARE], on=BEFORE_ICB)
    assert arrangement.responsible_bodies == (K.CLINICAL_COMMISSIONING_GROUP,)
    rule = arrangement.responsible_body_rule
    assert rule is not None
    assert rule.rule_id == "mediation.responsible_commissioning_body.before_icb"
    assert rule.provenance.applies_on(BEFORE_ICB) and not rule.provenance.applies_on(ON)
    with pytest.raises(LegacyBodyError) as err:
        mediation_route([Provision.HEALTH_CARE], on=ON,
                        commissioning_bodies=[K.CLINICAL_COMMISSIONING_GROUP])
    assert err.value.rule_id == "ccg.abolished"
    assert err.value.field == "commissioning_bodies[0]"


def test_mediation_responsible_commissioning_body_refuses_bodies_that_are_not_health_bodies(
) -> None:
    with pytest.raises(InvalidInputError) as err:
        mediation_route([Provision.HEALTH_CARE], commissioning_bodies=[K.LOCAL_AUTHORITY])
    assert err.value.field == "commissioning_bodies[0]"
    assert err.value.rule_id == "mediation.responsible_commissioning_body"
    _cites_a_registered_rule(err.value)
    with pytest.raises(InvalidInputError) as empty:
        mediation_route([Provision.HEALTH_CARE], commissioning_bodies=[])
    assert empty.value.field == "commissioning_bodies"
    _cites_a_registered_rule(empty.value)


def test_mediation_route_local_authority_takes_no_commissioning_bodies() -> None:
    with pytest.raises(InvalidInputError) as err:
        mediation_route([Provision.SOCIAL_CARE], commissioning_bodies=[K.INTEGRATED_CARE_BOARD])
    assert err.value.rule_id == "mediation.route.local_authority"
    _cites_a_registered_rule(err.value)


# --- 4. Refusals cite a registered rule --------------------------------------------------------


def test_mediation_route_refusal_without_issues_cites_reg_32() -> None:
    with pytest.raises(InvalidInputError) as err:
        mediation_route([])
    assert (err.value.field, err.value.rule_id) == ("issues", "mediation.route")
    rule = _cites_a_registered_rule(err.value)
    assert rule.cite().startswith("SEND Regs 2014 reg 32(e)")


def test_s55_certificate_required_refusal_cites_its_rule() -> None:
    with pytest.raises(InvalidInputError) as err:
        certificate_requirement([])
    assert _cites_a_registered_rule(err.value).rule_id == "s55.certificate_required"


@pytest.mark.parametrize(
    ("role", "employer", "health"),
    [
        (K.MEDIATOR, K.LOCAL_AUTHORITY, False),
        (K.MEDIATOR, K.INTEGRATED_CARE_BOARD, True),
        (K.MEDIATION_ADVISER, K.INTEGRATED_CARE_BOARD, False),
        (K.DISAGREEMENT_RESOLUTION_PROVIDER, K.LOCAL_AUTHORITY, False),
    ],
)
def test_s52_mediator_independence_s56_refusals_cite_registered_rules(
    role: K, employer: K, health: bool
) -> None:
    with pytest.raises(IndependenceError) as err:
        check_independence(appointee(role, employer), case_parties=CASE, health_in_issue=health)
    rule = _cites_a_registered_rule(err.value)
    assert rule.cite().startswith("CFA 2014")


def test_independence_role_every_new_citation_starts_with_an_instrument() -> None:
    new_rules = [
        independence.MEDIATOR_INDEPENDENT, independence.DR_INDEPENDENT,
        independence.INDEPENDENT_ROLE, appeals.MEDIATION_ISSUES_NAMED,
        appeals.RESPONSIBLE_COMMISSIONING_BODY, appeals.RESPONSIBLE_COMMISSIONING_BODY_BEFORE_ICB,
        parties.END_OF_COMPULSORY_SCHOOL_AGE,
    ]
    for rule in new_rules:
        assert RULES[rule.rule_id] is rule
        for citation in rule.provenance.citations:
            assert citation.text.startswith(INSTRUMENTS), citation.text
    assert {r.rule_id for r in independence.RULES} <= set(RULES)


def test_s52_mediator_independence_local_authority_employee_answer_no() -> None:
    answer = assess_independence(
        appointee(K.MEDIATOR, K.LOCAL_AUTHORITY), case_parties=CASE, health_in_issue=False, on=ON
    )
    assert (answer.independent, answer.rule.rule_id) == (
        False, "s52.mediator_independence.local_authority"
    )
    assert answer.rule.cite().startswith("CFA 2014 Explanatory Notes para 265")


def test_s57_independence_local_authority_employee_answer_no() -> None:
    answer = assess_independence(
        appointee(K.DISAGREEMENT_RESOLUTION_PROVIDER, K.LOCAL_AUTHORITY),
        case_parties=CASE, health_in_issue=False, on=ON,
    )
    assert (answer.independent, answer.rule.rule_id) == (
        False, "s57.independence.local_authority"
    )
    # EN para 275 on s.57 was read [P]; the Code of Practice only on a secondary source.
    assert answer.rule.grade is Grade.SECONDARY
    assert answer.rule.cite().startswith("CFA 2014 Explanatory Notes para 275")
