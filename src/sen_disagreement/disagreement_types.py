"""The four types of disagreement that a local authority's disagreement-resolution arrangements
must cover (CFA 2014 s.57; SEND Code of Practice 11.8).

Each type is data: who is on each side, what the disagreement is about, and at which EHC stages
it applies. :mod:`sen_disagreement.classifier` applies these definitions to a described
disagreement.
"""

from __future__ import annotations

from attrs import frozen

from sen_disagreement.ehc import Duty, EhcStage, Provision
from sen_disagreement.parties import HEALTH_COMMISSIONING_BODIES, PartyKind
from sen_disagreement.provenance import SEND_REGS_START, P, Provenance, S, cite

__all__ = [
    "ALL_TYPES",
    "ANY_STAGE",
    "BODY_DUTIES",
    "EHC_PROCESS_STAGES",
    "LA_DUTIES",
    "TYPE3_SEP_STAGES",
    "TYPE_1",
    "TYPE_2",
    "TYPE_3",
    "TYPE_4",
    "DisagreementType",
    "Limb",
]

_K = PartyKind

_SOURCES = (
    cite("CFA 2014 Explanatory Notes para 273 (s.57)", P,
         "https://www.legislation.gov.uk/ukpga/2014/6/notes/division/4/3/12/7"),
    cite("SEND Code of Practice 0-25 (2015) para 11.8, as reproduced by Leicester, Southend "
         "and Cambridgeshire Local Offers and the Sefton Disagreement Resolution page", S),
)

ANY_STAGE: frozenset[EhcStage] = frozenset(EhcStage)
"""Every EHC stage (``no_plan`` too): types 1 and 2 apply at any time, with or without a plan."""
EHC_PROCESS_STAGES: frozenset[EhcStage] = frozenset(
    {
        EhcStage.NEEDS_ASSESSMENT,
        EhcStage.DRAWING_UP,
        EhcStage.ANNUAL_REVIEW,
        # Amending a plan follows a review (SEND Regs reg 22, "following a review"): still "at
        # review" for types 3 and 4.
        EhcStage.AMENDMENT,
        EhcStage.REASSESSMENT,
    }
)
"""During an EHC needs assessment, while a plan is drawn up, at review (including the amendments
that follow it) and at re-assessment."""

TYPE3_SEP_STAGES: frozenset[EhcStage] = EHC_PROCESS_STAGES | {EhcStage.AWAITING_TRIBUNAL_APPEAL}
"""Type 3 also covers special educational provision while waiting for a Tribunal appeal."""

LA_DUTIES = frozenset({Duty.KEEP_PROVISION_UNDER_REVIEW, Duty.ASSESS, Duty.DRAW_UP_PLAN})
"""The local authority duties type 1 names: keeping provision under review, assessing and
drawing up plans."""
BODY_DUTIES = frozenset({Duty.BEST_ENDEAVOURS})
"""The duty of governing bodies and proprietors type 1 names: their best endeavours."""


@frozen
class Limb:
    """One way a type can apply: the other side's kinds, the subject, the stages."""

    other_side: frozenset[PartyKind]
    provision: frozenset[Provision]
    """At least one of these must be in dispute (empty: provision is not the test)."""
    duties: frozenset[Duty]
    """The duty in question must be one of these (empty: the duty is not the test)."""
    stages: frozenset[EhcStage]
    description: str
    label: str
    """A short name used when a type has several limbs and the reasons must say which failed."""


@frozen
class DisagreementType:
    """One of the four types of disagreement that disagreement resolution covers (CFA 2014 s.57;
    SEND Code of Practice 11.8): who is on each side, about what and when (its limbs), and the
    sources. Its ``rule_id`` is ``s57.type<number>``."""

    number: int
    title: str
    family_party: bool
    """True: a parent or young person is one side. False: no parent or young person may be in it."""
    limbs: tuple[Limb, ...]
    provenance: Provenance

    @property
    def rule_id(self) -> str:
        return f"s57.type{self.number}"

    @property
    def other_side(self) -> frozenset[PartyKind]:
        return frozenset().union(*(limb.other_side for limb in self.limbs))


TYPE_1 = DisagreementType(
    number=1,
    title="How an authority, governing body or proprietor is carrying out its education, "
    "health and care duties for children and young people with SEN (with or without a plan)",
    family_party=True,
    limbs=(
        Limb(
            other_side=frozenset({_K.LOCAL_AUTHORITY}),
            provision=frozenset(),
            duties=LA_DUTIES,
            stages=ANY_STAGE,
            label="the local authority's duties",
            description="the local authority's duties to keep education and care provision "
            "under review, to assess and to draw up EHC plans",
        ),
        Limb(
            other_side=frozenset(
                {
                    _K.MAINTAINED_SCHOOL_GOVERNING_BODY,
                    _K.MAINTAINED_NURSERY_SCHOOL_GOVERNING_BODY,
                    _K.EARLY_YEARS_PROVIDER,
                    _K.FURTHER_EDUCATION_INSTITUTION,
                    _K.ACADEMY_PROPRIETOR,
                }
            ),
            provision=frozenset(),
            duties=BODY_DUTIES,
            stages=ANY_STAGE,
            label="the best-endeavours duty",
            description="the duty on governing bodies and proprietors to use their best "
            "endeavours to meet the child's or young person's SEN",
        ),
    ),
    provenance=Provenance(_SOURCES, valid_from=SEND_REGS_START),
)
"""Type 1: how a local authority, governing body, early years provider, further education
institution or Academy proprietor carries out its duties for children and young people with SEN."""

TYPE_2 = DisagreementType(
    number=2,
    title="The special educational provision an early years provider, school or post-16 "
    "institution is making (with or without a plan)",
    family_party=True,
    limbs=(
        Limb(
            other_side=frozenset(
                {
                    _K.EARLY_YEARS_PROVIDER,
                    _K.SCHOOL,
                    _K.MAINTAINED_SCHOOL_GOVERNING_BODY,
                    _K.MAINTAINED_NURSERY_SCHOOL_GOVERNING_BODY,
                    _K.ACADEMY_PROPRIETOR,
                    _K.POST_16_INSTITUTION,
                    _K.FURTHER_EDUCATION_INSTITUTION,
                }
            ),
            provision=frozenset({Provision.SPECIAL_EDUCATIONAL}),
            duties=frozenset(),
            stages=ANY_STAGE,
            label="special educational provision",
            description="the special educational provision the setting makes",
        ),
    ),
    provenance=Provenance(_SOURCES, valid_from=SEND_REGS_START),
)
"""Type 2: the special educational provision an early years provider, school or post-16
institution is making."""

TYPE_3 = DisagreementType(
    number=3,
    title="Health or social care provision (and special educational provision) during EHC "
    "needs assessment, drawing up, review or re-assessment",
    family_party=True,
    limbs=(
        Limb(
            other_side=frozenset(
                {_K.INTEGRATED_CARE_BOARD, _K.CLINICAL_COMMISSIONING_GROUP, _K.LOCAL_AUTHORITY}
            ),
            provision=frozenset({Provision.HEALTH_CARE, Provision.SOCIAL_CARE}),
            duties=frozenset(),
            stages=EHC_PROCESS_STAGES,
            label="health or social care provision",
            description="health or social care provision during an EHC needs assessment, while "
            "a plan is drawn up, at review or at re-assessment",
        ),
        Limb(
            other_side=frozenset({_K.LOCAL_AUTHORITY}),
            provision=frozenset({Provision.SPECIAL_EDUCATIONAL}),
            duties=frozenset(),
            stages=TYPE3_SEP_STAGES,
            label="special educational provision",
            description="special educational provision during assessment, drawing up, while "
            "waiting for a Tribunal appeal, at review or at re-assessment",
        ),
    ),
    provenance=Provenance(_SOURCES, valid_from=SEND_REGS_START),
)
"""Type 3: health or social care provision (and special educational provision) at the EHC
stages, with a health commissioning body or the local authority."""

TYPE_4 = DisagreementType(
    number=4,
    title="Between a local authority and a health commissioning body during EHC needs "
    "assessment or re-assessment, drawing up, or review (no parent or young person involved)",
    family_party=False,
    limbs=(
        Limb(
            other_side=frozenset({_K.LOCAL_AUTHORITY}) | HEALTH_COMMISSIONING_BODIES,
            provision=frozenset(),
            duties=frozenset(),
            stages=EHC_PROCESS_STAGES,
            label="needs and provision",
            description="the description of needs and any education, health and care "
            "provision in the plan",
        ),
    ),
    provenance=Provenance(_SOURCES, valid_from=SEND_REGS_START),
)
"""Type 4: a local authority and a health commissioning body, with no parent or young person,
at the EHC stages."""

ALL_TYPES: tuple[DisagreementType, ...] = (TYPE_1, TYPE_2, TYPE_3, TYPE_4)
"""The four types, in order."""
