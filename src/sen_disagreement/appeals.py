"""Appealable decisions (CFA 2014 s.51(2)), when a mediation certificate is needed before an
appeal (s.55), and who arranges mediation (the mediation route).

:func:`mediation_route` names who takes part in words, not stand-ins: *the parent or young
person*, the local authority and *each commissioning body* (:class:`MediationParticipant`); the
responsible commissioning bodies themselves (an ICB or NHS England from 1 July 2022, a CCG or
NHS England before); and the event that starts each clock (:class:`ClockStart`, from
:data:`sen_disagreement.clocks.CLOCKS`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from attrs import frozen

from sen_disagreement._enum import Enum
from sen_disagreement.ehc import EhcStage, PlanSection, Provision
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.parties import (
    FAMILY,
    HEALTH_COMMISSIONING_BODIES,
    PartyKind,
    check_kind_in_force,
)
from sen_disagreement.provenance import ICB_START, P, Provenance, Rule, S, U, cite

__all__ = [
    "CERTIFICATE_REQUIRED",
    "DISABILITY_DISCRIMINATION_NO_MEDIATION",
    "HEALTH_SOCIAL_CARE_NOT_APPEALABLE",
    "MEDIATION_ISSUES_NAMED",
    "MEDIATION_ROUTES",
    "RESPONSIBLE_COMMISSIONING_BODY",
    "RESPONSIBLE_COMMISSIONING_BODY_BEFORE_ICB",
    "SECTION_I_EXCEPTION",
    "SECTION_I_ONLY",
    "AppealableDecision",
    "CertificateRequirement",
    "ClockStart",
    "MediationArrangement",
    "MediationParticipant",
    "MediationRoute",
    "certificate_requirement",
    "disability_discrimination_claim",
    "mediation_route",
]

_S51 = cite(
    "CFA 2014 s.51(2)",
    P,
    "https://www.legislation.gov.uk/ukpga/2014/6/part/3/crossheading/appeals-mediation-and-dispute-resolution",
)


class AppealableDecision(Enum):
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
"""The decisions an appeal may be limited to and need no certificate: s.51(2)(c)(iii) and (iv)."""

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
"""An appeal under CFA 2014 s.51 normally needs a mediation adviser's certificate first
(s.55(4),(5); SEND Regs 2014 reg 32(b))."""

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
"""No certificate is needed for an appeal only about the placement named (or none named),
s.51(2)(c)(iii)/(iv); the right to mediate remains."""

DISABILITY_DISCRIMINATION_NO_MEDIATION = Rule(
    "eqa.disability_discrimination_no_mediation",
    "Disability discrimination claims need no mediation certificate and carry no right to "
    "mediation.",
    Provenance([cite("IPSEA: mediation, what you need to do", S,
                     "https://www.ipsea.org.uk/mediation-what-you-need-to-do")]),
)
"""A disability discrimination claim needs no certificate and has no right to mediation."""

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
"""The health and social care sections of a plan cannot be appealed on their own (CFA 2014
s.51(2) is exhaustive)."""


@frozen
class CertificateRequirement:
    """Whether an appeal needs a mediation certificate first (CFA 2014 s.55), whether mediation
    is open at all, and the rule that decides both."""

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


class MediationRoute(Enum):
    """Who arranges a mediation, decided by its mediation issues (the regulation numbers, believed
    SEND Regs 2014 regs 35-37, are unconfirmed)."""

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


_MEDIATION_REGS = "https://www.legislation.gov.uk/uksi/2014/1530/part/2/crossheading/mediation/made"
_S56 = "https://legislation.gov.uk/id/ukpga/2014/6/section/56?timeline=false&view=extent"


class MediationParticipant(Enum):
    """Who takes part in (or arranges) a mediation, named as the law names them."""

    PARENT_OR_YOUNG_PERSON = "parent_or_young_person"
    """The parent, or the young person once over compulsory school age (never both)."""
    LOCAL_AUTHORITY = "local_authority"
    EACH_COMMISSIONING_BODY = "each_commissioning_body"
    """Each responsible commissioning body (see :attr:`MediationArrangement.responsible_bodies`):
    there may be more than one."""

    @property
    def label(self) -> str:
        return _PARTICIPANT_LABELS[self]

    @property
    def kinds(self) -> frozenset[PartyKind]:
        """The party kinds that can fill this place (on any date)."""
        return _PARTICIPANT_KINDS[self]


_PARTICIPANT_LABELS = {
    MediationParticipant.PARENT_OR_YOUNG_PERSON: "the parent or young person",
    MediationParticipant.LOCAL_AUTHORITY: "the local authority",
    MediationParticipant.EACH_COMMISSIONING_BODY: "each commissioning body",
}
_PARTICIPANT_KINDS = {
    MediationParticipant.PARENT_OR_YOUNG_PERSON: FAMILY,
    MediationParticipant.LOCAL_AUTHORITY: frozenset({PartyKind.LOCAL_AUTHORITY}),
    MediationParticipant.EACH_COMMISSIONING_BODY: HEALTH_COMMISSIONING_BODIES,
}

MEDIATION_ISSUES_NAMED = Rule(
    "mediation.route",
    "Who arranges mediation follows from the mediation issues, which the parent or young person "
    "tells the local authority: special educational, health care and/or social care provision.",
    Provenance(
        [
            cite("SEND Regs 2014 reg 32(e) (tell the LA the mediation issues)", P,
                 _MEDIATION_REGS),
            cite("SEND Regs 2014 (regulation numbers not read) per IPSEA 'the mediation process'",
                 S, "https://www.ipsea.org.uk/the-mediation-process"),
        ]
    ),
)
"""Who arranges mediation follows from the mediation issues the parent or young person names
(SEND Regs 2014 reg 32(e))."""

RESPONSIBLE_COMMISSIONING_BODY = Rule(
    "mediation.responsible_commissioning_body",
    "Where the mediation issues include health care, each responsible commissioning body takes "
    "part (and, for health care only, arranges it): from 1 July 2022 an integrated care board or "
    "NHS England, whichever commissions the health care provision in issue.",
    Provenance(
        [
            cite("CFA 2014 s.56(3) as amended from 1 July 2022 (integrated care board; NHS "
                 "England)", P, _S56),
            cite("CFA 2014 s.56(4): a commissioning body is a body under a duty to arrange "
                 "health care provision of any kind (read with s.56(3); not recorded in law.md)",
                 S, _S56),
            cite("Health and Care Act 2022; SI 2022/634 (in force 1 July 2022)", P),
            cite("SEND Regs 2014 (regulation numbers not read) per IPSEA 'the mediation process'",
                 S, "https://www.ipsea.org.uk/the-mediation-process"),
        ],
        valid_from=ICB_START,
    ),
)
"""Each responsible commissioning body takes part where health care is in issue: an integrated
care board or NHS England from 1 July 2022 (CFA 2014 s.56(3) as amended)."""

RESPONSIBLE_COMMISSIONING_BODY_BEFORE_ICB = Rule(
    "mediation.responsible_commissioning_body.before_icb",
    "Before 1 July 2022 the responsible commissioning body was a clinical commissioning group or "
    "the NHS Commissioning Board (NHS England), whichever commissioned the health care provision.",
    Provenance(
        [
            cite("CFA 2014 s.56(4): a commissioning body is a body under a duty to arrange "
                 "health care provision of any kind (not recorded in law.md)", S, _S56),
            cite("Health and Care Act 2022; SI 2022/634 (CCGs abolished 1 July 2022)", P),
            cite("SEND Regs 2014 (regulation numbers not read) per IPSEA 'the mediation process'",
                 S, "https://www.ipsea.org.uk/the-mediation-process"),
        ],
        valid_to=ICB_START,
    ),
)
"""Before 1 July 2022 the responsible commissioning body was a clinical commissioning group or
the NHS Commissioning Board."""


@frozen
class ClockStart:
    """A clock of :data:`sen_disagreement.clocks.CLOCKS` and the event that starts it."""

    clock_id: str
    event: str
    """The trigger event name (``la_told_wish_to_mediate``, ``commissioning_body_notified``...)."""
    starts_from: str
    """The same event in words."""

    @classmethod
    def of(cls, clock_id: str) -> ClockStart:
        # The table loads here, on first use, not when the workflows import this module.
        from sen_disagreement.clocks.table import CLOCKS

        clock = CLOCKS[clock_id]
        return cls(clock_id, clock.trigger, clock.starts_from)


@frozen
class MediationArrangement:
    """Who arranges a mediation, who takes part, and the clocks that run.

    The first six attributes are kept from earlier versions. ``parties`` and ``arranged_by`` are
    party kinds: in ``parties`` :attr:`PartyKind.PARENT` stands for the parent *or young person*
    and each responsible body appears once; prefer ``participants``, ``arranger`` and
    ``responsible_bodies``, which say it in full.
    """

    route: MediationRoute
    arranged_by: PartyKind
    """The local authority, or (health care only) the first responsible commissioning body."""
    parties: tuple[PartyKind, ...]
    arrange_clock_id: str
    """The id of the 30-day clock in :mod:`sen_disagreement.clocks`."""
    notify_commissioning_bodies: bool
    """Whether the LA must tell each commissioning body the issues within 3 working days."""
    rule: Rule
    participants: tuple[MediationParticipant, ...]
    """Who takes part: the parent or young person, the LA and/or each commissioning body."""
    arranger: MediationParticipant
    """Who arranges: the local authority, or each commissioning body (health care only)."""
    responsible_bodies: tuple[PartyKind, ...]
    """The responsible commissioning bodies (ICB and/or NHS England; CCG before 1 July 2022);
    empty when health care is not in issue."""
    responsible_bodies_assumed: bool
    """True when the caller did not name the bodies and the ICB (CCG before 1 July 2022) is
    shown as the usual one: check whether NHS England commissions the provision instead."""
    responsible_body_rule: Rule | None
    """The rule naming the responsible bodies for the date judged on (``None`` without health)."""
    arrange_clock: ClockStart
    """The 30-day clock and the event that starts it."""
    notification_clock: ClockStart | None
    """The LA's 3-working-day clock to tell each commissioning body the issues, and its event;
    ``None`` when health care is not in issue."""
    judged_on: dt.date | None
    """The date the bodies were judged for; ``None`` when no date was given."""

    @property
    def summary(self) -> str:
        """The arrangement in words, e.g. "the local authority arranges one mediation with the
        parent or young person and each commissioning body (integrated care board (ICB))..."."""
        others = [p.label for p in self.participants if p is not self.arranger]
        text = f"{self.arranger.label} arranges "
        text += "one mediation with " if self.route is MediationRoute.JOINT else "mediation with "
        text += " and ".join(others)
        if self.responsible_bodies:
            text += " (" + ", ".join(k.label for k in self.responsible_bodies) + ")"
        text += f", within 30 days of: {self.arrange_clock.starts_from}"
        if self.notification_clock is not None:
            text += (
                "; the local authority first tells each commissioning body the issues within 3 "
                f"working days of: {self.notification_clock.starts_from}"
            )
        return text


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
"""The rule behind each :class:`MediationRoute`."""

_NOTIFY_CLOCK = "icb_notification_of_health_issues"
_ARRANGE_CLOCK = {
    MediationRoute.LOCAL_AUTHORITY: "arrange_mediation_education_social_care",
    MediationRoute.COMMISSIONING_BODY: "arrange_mediation_health_only",
    MediationRoute.JOINT: "arrange_mediation_mixed",
}


def _responsible_bodies(
    health: bool,
    commissioning_bodies: Iterable[PartyKind] | None,
    on: dt.date | None,
    route_rule: Rule,
) -> tuple[tuple[PartyKind, ...], bool, Rule | None]:
    before_icb = on is not None and on < ICB_START
    body_rule = RESPONSIBLE_COMMISSIONING_BODY_BEFORE_ICB if before_icb else (
        RESPONSIBLE_COMMISSIONING_BODY
    )
    if commissioning_bodies is None:
        if not health:
            return (), False, None
        usual = PartyKind.CLINICAL_COMMISSIONING_GROUP if before_icb else (
            PartyKind.INTEGRATED_CARE_BOARD
        )
        return (usual,), True, body_rule
    bodies = tuple(dict.fromkeys(commissioning_bodies))
    if not health:
        if bodies:
            raise InvalidInputError(
                "commissioning bodies take part only when the mediation issues include health "
                "care",
                field="commissioning_bodies",
                rule_id=route_rule.rule_id,
                citation=route_rule.cite(),
            )
        return (), False, None
    if not bodies:
        raise InvalidInputError(
            "name each responsible commissioning body: the mediation issues include health care",
            field="commissioning_bodies",
            rule_id=body_rule.rule_id,
            citation=body_rule.cite(),
        )
    for i, kind in enumerate(bodies):
        if kind not in HEALTH_COMMISSIONING_BODIES:
            raise InvalidInputError(
                "must be a health commissioning body (integrated care board or NHS England; a "
                "clinical commissioning group before 1 July 2022)",
                field=f"commissioning_bodies[{i}]",
                rule_id=body_rule.rule_id,
                citation=body_rule.cite(),
            )
        if on is not None:
            check_kind_in_force(kind, on, field=f"commissioning_bodies[{i}]")
    return bodies, False, body_rule


def mediation_route(
    issues: Iterable[Provision],
    *,
    on: dt.date | None = None,
    commissioning_bodies: Iterable[PartyKind] | None = None,
) -> MediationArrangement:
    """Who arranges mediation, and who takes part, for mediation issues about ``issues``.

    ``commissioning_bodies`` names the responsible commissioning bodies (kinds) where health care
    is in issue: integrated care board and/or NHS England (a clinical commissioning group before
    1 July 2022). Without them the usual body is shown, an ICB (a CCG when ``on`` is before
    1 July 2022), with ``responsible_bodies_assumed`` set. With ``on``, a body that did not exist
    on that date is refused (rules ``ccg.abolished``, ``icb.established``).
    """
    kinds = frozenset(issues)
    if not kinds:
        raise InvalidInputError(
            "name what the mediation issues are about (special educational, health care or "
            "social care provision)",
            field="issues",
            rule_id=MEDIATION_ISSUES_NAMED.rule_id,
            citation=MEDIATION_ISSUES_NAMED.cite(),
        )
    health = Provision.HEALTH_CARE in kinds
    other = bool(kinds - {Provision.HEALTH_CARE})
    family = MediationParticipant.PARENT_OR_YOUNG_PERSON
    la = MediationParticipant.LOCAL_AUTHORITY
    each_body = MediationParticipant.EACH_COMMISSIONING_BODY
    participants: tuple[MediationParticipant, ...]
    if health and other:
        route, arranger, participants = MediationRoute.JOINT, la, (family, la, each_body)
    elif health:
        route, arranger = MediationRoute.COMMISSIONING_BODY, each_body
        participants = (family, each_body)
    else:
        route, arranger, participants = MediationRoute.LOCAL_AUTHORITY, la, (family, la)
    rule = MEDIATION_ROUTES[route]
    bodies, assumed, body_rule = _responsible_bodies(health, commissioning_bodies, on, rule)
    # Legacy view: PARENT for the parent or young person, then the LA, then each body.
    legacy_la = (PartyKind.LOCAL_AUTHORITY,) if la in participants else ()
    legacy_parties = (PartyKind.PARENT, *legacy_la, *bodies)
    arranged_by = bodies[0] if arranger is each_body else PartyKind.LOCAL_AUTHORITY
    clock_id = _ARRANGE_CLOCK[route]
    return MediationArrangement(
        route,
        arranged_by,
        legacy_parties,
        clock_id,
        health,
        rule,
        participants=participants,
        arranger=arranger,
        responsible_bodies=bodies,
        responsible_bodies_assumed=assumed,
        responsible_body_rule=body_rule,
        arrange_clock=ClockStart.of(clock_id),
        notification_clock=ClockStart.of(_NOTIFY_CLOCK) if health else None,
        judged_on=on,
    )
