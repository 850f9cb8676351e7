"""EHC (education, health and care) stages, the kinds of provision, the duties in question and
the sections of an EHC plan."""

from __future__ import annotations

from sen_disagreement._enum import Enum

__all__ = [
    "Duty",
    "EhcStage",
    "PlanSection",
    "Provision",
]


class EhcStage(Enum):
    """Where the child or young person is in the EHC process when the disagreement arises.

    Each stage's timescales are in :mod:`sen_disagreement.clocks`; which disagreement types apply
    at which stage is in :mod:`sen_disagreement.disagreement_types`.
    """

    NO_PLAN = "no_plan"
    """SEN support: no EHC plan and no EHC process under way."""
    ASSESSMENT_REQUESTED = "assessment_requested"
    """An EHC needs assessment was requested; the LA has not yet decided whether to assess
    (6 weeks, SEND Regs reg 5(1))."""
    NEEDS_ASSESSMENT = "needs_assessment"
    """The EHC needs assessment is being carried out."""
    DRAWING_UP = "drawing_up"
    """The LA decided to issue a plan; the draft is being drawn up (reg 13)."""
    PLAN_MAINTAINED = "plan_maintained"
    """A final plan is maintained; no review or re-assessment is under way."""
    ANNUAL_REVIEW = "annual_review"
    """The plan is being reviewed (CFA s.44(1); SEND Regs reg 20)."""
    REASSESSMENT = "reassessment"
    """The child or young person is being re-assessed (SEND Regs regs 24-27)."""
    AMENDMENT = "amendment"
    """Amendments to the plan have been proposed after a review (reg 22)."""
    CEASING = "ceasing"
    """The LA is considering or has decided to cease to maintain the plan (CFA s.45; regs 29-31)."""
    AWAITING_TRIBUNAL_APPEAL = "awaiting_tribunal_appeal"
    """An appeal to the First-tier Tribunal (SEND) has been lodged and not yet decided."""

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Provision(Enum):
    """What is in dispute (CFA 2014 s.21)."""

    SPECIAL_EDUCATIONAL = "special_educational"
    """Special educational provision (s.21(1),(2),(5)): health or social care that educates or
    trains counts as special educational provision."""
    HEALTH_CARE = "health_care"
    """Health care provision (s.21(3)): NHS services under NHS Act 2006 s.1(1)."""
    SOCIAL_CARE = "social_care"
    """Social care provision (s.21(4)): made by an LA exercising social services functions."""

    @property
    def label(self) -> str:
        return self.value.replace("_", " ") + " provision"


class Duty(Enum):
    """The duty whose performance is in question (disagreement type 1)."""

    KEEP_PROVISION_UNDER_REVIEW = "keep_provision_under_review"
    """The LA's duty to keep its education and care provision under review."""
    ASSESS = "assess"
    """The LA's duty to carry out an EHC needs assessment."""
    DRAW_UP_PLAN = "draw_up_plan"
    """The LA's duty to draw up (and maintain) an EHC plan."""
    BEST_ENDEAVOURS = "best_endeavours"
    """The duty of governing bodies and proprietors to use their best endeavours to meet SEN."""

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class PlanSection(Enum):
    """Sections of an EHC plan that issues in dispute are tagged with (SEND Regs reg 12)."""

    B = "B"
    """Special educational needs."""
    F = "F"
    """Special educational provision."""
    G = "G"
    """Health care provision reasonably required."""
    H1 = "H1"
    """Social care provision under s.2 Chronically Sick and Disabled Persons Act 1970."""
    H2 = "H2"
    """Other social care provision."""
    I = "I"  # noqa: E741 - the plan's own name for the placement section
    """The school or other institution named, or its type."""

    @property
    def provision(self) -> Provision | None:
        return {
            PlanSection.F: Provision.SPECIAL_EDUCATIONAL,
            PlanSection.G: Provision.HEALTH_CARE,
            PlanSection.H1: Provision.SOCIAL_CARE,
            PlanSection.H2: Provision.SOCIAL_CARE,
        }.get(self)
