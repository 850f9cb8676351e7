"""Appealable decisions (CFA 2014 s.51(2)), when a mediation certificate is needed before an
appeal (s.55), and who arranges mediation (the mediation route).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from attrs import frozen

from sen_disagreement.ehc import EhcStage, PlanSection, Provision
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.parties import PartyKind
from sen_disagreement.provenance import P, Provenance, Rule, S, U, cite

_S51 = cite(
    "CFA 2014 s.51(2)",
    P,
    "https://www.legislation.gov.uk/ukpga/2014/6/part/3/crossheading/appeals-mediation-and-dispute-resolution",
)


class AppealableDecision(enum.Enum):
    """Each limb of CFA 2014 s.51(2). The value is the limb, as used in documents."""

    NOT_TO_ASSESS = "s51(2)(a)"
    NO_PLAN_AFTER_ASSESSMENT = "s51(2)(b)"
    PLAN_NEEDS = "s51(2)(c)(i)"
    PLAN_SPECIAL_EDUCATIONAL_PROVISION = "s51(2)(c)(ii)"
    PLAN_PLACEMENT_NAMED = "s51(2)(c)(iii)"
    PLAN_NO_PLACEMENT_NAMED = "s51(2)(c)(iv)"
    NOT_TO_REASSESS = "s51(2)(d)"
    NOT_TO_AMEND_OR_REPLACE = "s51(2)(e)"
    CEASE_TO_MAINTAIN = "s51(2)(f)"

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]

    @property
    def plan_section(self) -> PlanSection | None:
        """The plan section a s.51(2)(c) appeal is about."""
        return {
            AppealableDecision.PLAN_NEEDS: PlanSection.B,
            AppealableDecision.PLAN_SPECIAL_EDUCATIONAL_PROVISION: PlanSection.F,
            AppealableDecision.PLAN_PLACEMENT_NAMED: PlanSection.I,
            AppealableDecision.PLAN_NO_PLACEMENT_NAMED: PlanSection.I,
        }.get(self)

    @property
    def arises_at(self) -> frozenset[EhcStage]:
        """The EHC stages at which such a decision is made."""
        return _STAGES[self]

    @property
    def provenance(self) -> Provenance:
        return Provenance([_S51])


_DESCRIPTIONS = {
    AppealableDecision.NOT_TO_ASSESS: "a decision not to secure an EHC needs assessment",
    AppealableDecision.NO_PLAN_AFTER_ASSESSMENT: "a decision, after an assessment, that special "
    "educational provision need not be made through an EHC plan",
    AppealableDecision.PLAN_NEEDS: "the special educational needs specified in the plan",
    AppealableDecision.PLAN_SPECIAL_EDUCATIONAL_PROVISION: "the special educational provision "
    "specified in the plan",
    AppealableDecision.PLAN_PLACEMENT_NAMED: "the school or other institution named in the plan, "
    "or the type specified",
    AppealableDecision.PLAN_NO_PLACEMENT_NAMED: "the fact that no school or other institution is "
    "named in the plan",
    AppealableDecision.NOT_TO_REASSESS: "a decision not to re-assess under s.44 after a request",
    AppealableDecision.NOT_TO_AMEND_OR_REPLACE: "a decision not to amend or replace the plan after "
    "a review or re-assessment under s.44",
    AppealableDecision.CEASE_TO_MAINTAIN: "a decision under s.45 to cease to maintain the plan",
}
_PLAN = frozenset(
    {EhcStage.DRAWING_UP, EhcStage.PLAN_MAINTAINED, EhcStage.AMENDMENT, EhcStage.REASSESSMENT}
)
_STAGES = {
    AppealableDecision.NOT_TO_ASSESS: frozenset({EhcStage.ASSESSMENT_REQUESTED}),
    AppealableDecision.NO_PLAN_AFTER_ASSESSMENT: frozenset({EhcStage.NEEDS_ASSESSMENT}),
    AppealableDecision.PLAN_NEEDS: _PLAN,
    AppealableDecision.PLAN_SPECIAL_EDUCATIONAL_PROVISION: _PLAN,
    AppealableDecision.PLAN_PLACEMENT_NAMED: _PLAN,
    AppealableDecision.PLAN_NO_PLACEMENT_NAMED: _PLAN,
    AppealableDecision.NOT_TO_REASSESS: frozenset({EhcStage.REASSESSMENT}),
    AppealableDecision.NOT_TO_AMEND_OR_REPLACE: frozenset(
        {EhcStage.ANNUAL_REVIEW, EhcStage.REASSESSMENT}
    ),
    AppealableDecision.CEASE_TO_MAINTAIN: frozenset({EhcStage.CEASING}),
}

SECTION_I_ONLY = frozenset(
    {AppealableDecision.PLAN_PLACEMENT_NAMED, AppealableDecision.PLAN_NO_PLACEMENT_NAMED}
)

CERTIFICATE_REQUIRED = Rule(
    "s55.certificate_required",
    "Before appealing under s.51 a parent or young person must hold a certificate from a "
    "mediation adviser: that they were given information about mediation and chose not to "
    "mediate (s.55(4)), or that they took part in mediation (s.55(5)).",
    Provenance(
        [
            cite("SEND Regs 2014 reg 32(b) (cross-refers s.55(4),(5))", P),
            cite("CFA 2014 Explanatory Notes para 266", P),
            cite("exact wording of s.55(4),(5)", U),
        ]
    ),
)

SECTION_I_EXCEPTION = Rule(
    "s55.section_i_exception",
    "No certificate is needed when the appeal is only about the school or institution named "
    "(or type), or that none is named: s.51(2)(c)(iii)/(iv). The right to mediate remains.",
    Provenance(
        [
            cite("CFA 2014 s.55 per IPSEA 'mediation for placement appeals'", S,
                 "https://www.ipsea.org.uk/news/mediation-for-placement-appeals"),
            cite("SEND Code of Practice, as quoted by Surrey SENDIASS", S),
        ]
    ),
)

DISABILITY_DISCRIMINATION_NO_MEDIATION = Rule(
    "eqa.disability_discrimination_no_mediation",
    "Disability discrimination claims need no mediation certificate and carry no right to "
    "mediation.",
    Provenance([cite("IPSEA: mediation, what you need to do", S,
                     "https://www.ipsea.org.uk/mediation-what-you-need-to-do")]),
)

HEALTH_SOCIAL_CARE_NOT_APPEALABLE = Rule(
    "s51.health_social_care_not_appealable",
    "The health and social care sections of a plan cannot be appealed on their own; the Tribunal "
    "may only recommend on them alongside an education appeal under s.51(2)(b)-(f).",
    Provenance(
        [
            cite("CFA 2014 s.51(2) (exhaustive list)", P),
            cite("SI 2017/1306 explanatory note", P),
            cite("IPSEA: what you need to know about mediation", S),
        ]
    ),
)


@frozen
class CertificateRequirement:
    required: bool
    mediation_available: bool
    rule: Rule


def certificate_requirement(decisions: Iterable[AppealableDecision]) -> CertificateRequirement:
    """Whether an appeal against ``decisions`` needs a mediation certificate first."""
    chosen = frozenset(decisions)
    if not chosen:
        raise InvalidInputError(
            "name at least one appealable decision (CFA s.51(2))",
            field="decisions",
            rule_id=CERTIFICATE_REQUIRED.rule_id,
            citation=CERTIFICATE_REQUIRED.cite(),
        )
    if chosen <= SECTION_I_ONLY:
        return CertificateRequirement(False, True, SECTION_I_EXCEPTION)
    return CertificateRequirement(True, True, CERTIFICATE_REQUIRED)


def disability_discrimination_claim() -> CertificateRequirement:
    """A disability discrimination claim: neither certificate nor mediation."""
    return CertificateRequirement(False, False, DISABILITY_DISCRIMINATION_NO_MEDIATION)


# --- Mediation routes --------------------------------------------------------------------------


class MediationRoute(enum.Enum):
    LOCAL_AUTHORITY = "local_authority"
    """Education and/or social care issues only: the LA arranges; parent/YP and LA take part."""
    COMMISSIONING_BODY = "commissioning_body"
    """Health care issues only: the responsible commissioning body(ies) arrange."""
    JOINT = "joint"
    """Health plus education and/or social care: the LA arranges a single mediation with every
    commissioning body."""


_IPSEA_MEDIATION = cite(
    "IPSEA 'the mediation process'", S, "https://www.ipsea.org.uk/the-mediation-process"
)
_REG_NUMBERS = cite("SEND Regs 2014 regulation numbers (believed regs 35-37)", U)


@frozen
class MediationArrangement:
    route: MediationRoute
    arranged_by: PartyKind
    parties: tuple[PartyKind, ...]
    arrange_clock_id: str
    """The id of the 30-day clock in :mod:`sen_disagreement.clocks`."""
    notify_commissioning_bodies: bool
    """Whether the LA must tell each commissioning body the issues within 3 working days."""
    rule: Rule


MEDIATION_ROUTES = {
    MediationRoute.LOCAL_AUTHORITY: Rule(
        "mediation.route.local_authority",
        "Education and/or social care issues only: the local authority arranges mediation "
        "within 30 days of being told the parent or young person wants it.",
        Provenance([_IPSEA_MEDIATION, _REG_NUMBERS]),
    ),
    MediationRoute.COMMISSIONING_BODY: Rule(
        "mediation.route.commissioning_body",
        "Health care issues only: each responsible commissioning body arranges mediation within "
        "30 days of the local authority telling it of the issues.",
        Provenance([_IPSEA_MEDIATION, _REG_NUMBERS]),
    ),
    MediationRoute.JOINT: Rule(
        "mediation.route.joint",
        "Health care plus education and/or social care issues: the local authority arranges a "
        "single mediation with every commissioning body within 30 days.",
        Provenance([_IPSEA_MEDIATION, _REG_NUMBERS]),
    ),
}

_FAMILY = PartyKind.PARENT  # the family side, shown as 'parent or young person'


def mediation_route(issues: Iterable[Provision]) -> MediationArrangement:
    """Who arranges mediation, and who takes part, for mediation issues about ``issues``."""
    kinds = frozenset(issues)
    if not kinds:
        raise InvalidInputError(
            "name what the mediation issues are about (special educational, health care or "
            "social care provision)",
            field="issues",
            rule_id="mediation.route",
        )
    health = Provision.HEALTH_CARE in kinds
    parties: tuple[PartyKind, ...]
    other = bool(kinds - {Provision.HEALTH_CARE})
    if health and other:
        route, by = MediationRoute.JOINT, PartyKind.LOCAL_AUTHORITY
        parties = (_FAMILY, PartyKind.LOCAL_AUTHORITY, PartyKind.INTEGRATED_CARE_BOARD)
        clock = "arrange_mediation_mixed"
    elif health:
        route, by = MediationRoute.COMMISSIONING_BODY, PartyKind.INTEGRATED_CARE_BOARD
        parties = (_FAMILY, PartyKind.INTEGRATED_CARE_BOARD)
        clock = "arrange_mediation_health_only"
    else:
        route, by = MediationRoute.LOCAL_AUTHORITY, PartyKind.LOCAL_AUTHORITY
        parties = (_FAMILY, PartyKind.LOCAL_AUTHORITY)
        clock = "arrange_mediation_education_social_care"
    return MediationArrangement(route, by, parties, clock, health, MEDIATION_ROUTES[route])
