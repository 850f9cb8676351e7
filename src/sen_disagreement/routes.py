"""Other routes of redress, offered when disagreement resolution does not fit or alongside it."""

from __future__ import annotations

from attrs import frozen

from sen_disagreement._enum import Enum
from sen_disagreement.provenance import P, Provenance, S, U, cite

__all__ = [
    "ROUTES",
    "Route",
    "RouteId",
]


@frozen
class Route:
    """A route of redress other than disagreement resolution: who hears it, its time limit in
    words, and the sources."""

    route_id: str
    name: str
    body: str
    time_limit: str
    provenance: Provenance


class RouteId(Enum):
    """The other routes of redress the classifier may suggest (complaints, the Ombudsman, a Tribunal
    appeal, a disability discrimination claim, judicial review): the keys of :data:`ROUTES`."""

    SETTING_COMPLAINT = "setting_complaint"
    LOCAL_AUTHORITY_COMPLAINT = "local_authority_complaint"
    OMBUDSMAN = "local_government_and_social_care_ombudsman"
    NHS_COMPLAINT = "nhs_complaint"
    CHILDRENS_SOCIAL_CARE_COMPLAINT = "childrens_social_care_complaint"
    TRIBUNAL_APPEAL = "tribunal_appeal"
    DISABILITY_DISCRIMINATION_CLAIM = "disability_discrimination_claim"
    JUDICIAL_REVIEW = "judicial_review"


ROUTES: dict[RouteId, Route] = {
    RouteId.SETTING_COMPLAINT: Route(
        "setting_complaint",
        "Complaint to the school, early years setting or college",
        "the setting's own complaints procedure (governing body or academy trust); then the DfE "
        "for academies",
        "schools must have a procedure",
        Provenance([cite("Education Act 2002 s.29", S)]),
    ),
    RouteId.LOCAL_AUTHORITY_COMPLAINT: Route(
        "local_authority_complaint",
        "Complaint to the local authority",
        "the council's corporate complaints procedure",
        "as the council's procedure sets",
        Provenance([cite("Leeds SENDIASS, making a complaint", S)]),
    ),
    RouteId.OMBUDSMAN: Route(
        "local_government_and_social_care_ombudsman",
        "Local Government and Social Care Ombudsman",
        "LGSCO, after the council's own procedure",
        "normally within 12 months of becoming aware of the problem; not where a Tribunal "
        "appeal is available or was reasonable",
        Provenance(
            [
                cite("Local Government Act 1974 ss.26B, 34D, 26(6)(a)", S),
                cite("Milburn [2023] EWCA Civ 207", S),
            ]
        ),
    ),
    RouteId.NHS_COMPLAINT: Route(
        "nhs_complaint",
        "NHS complaint",
        "the provider or commissioner (ICB) under the 2009 complaints regulations; then the "
        "Parliamentary and Health Service Ombudsman",
        "within 12 months of the matter or of becoming aware of it (may be extended)",
        Provenance(
            [
                cite("Local Authority Social Services and NHS Complaints (England) "
                     "Regulations 2009, SI 2009/309", S),
                cite("the PHSO step", U),
            ]
        ),
    ),
    RouteId.CHILDRENS_SOCIAL_CARE_COMPLAINT: Route(
        "childrens_social_care_complaint",
        "Children's social care complaint",
        "the statutory three-stage Children Act 1989 procedure",
        "stage 1 within 10 working days (up to 20); complaints over a year old are late",
        Provenance([cite("Children Act 1989 representations procedure", S)]),
    ),
    RouteId.TRIBUNAL_APPEAL: Route(
        "tribunal_appeal",
        "Appeal to the First-tier Tribunal (SEND)",
        "First-tier Tribunal (Health, Education and Social Care Chamber)",
        "2 months from the decision notice or 1 month from the mediation certificate, whichever "
        "is later; a certificate from a mediation adviser is normally needed first",
        Provenance(
            [cite("CFA 2014 ss.51, 55", P), cite("HESC Rules 2008 r.20(1)(c)", P)]
        ),
    ),
    RouteId.DISABILITY_DISCRIMINATION_CLAIM: Route(
        "disability_discrimination_claim",
        "Disability discrimination claim",
        "First-tier Tribunal (SEND) for schools; the County Court for LAs, colleges and "
        "private nurseries",
        "6 months from the act complained of (schools); no mediation or certificate",
        Provenance([cite("Equality Act 2010 Sch 17 para 4", S)]),
    ),
    RouteId.JUDICIAL_REVIEW: Route(
        "judicial_review",
        "Judicial review",
        "High Court (Administrative Court)",
        "promptly and within 3 months of the grounds arising",
        Provenance([cite("CPR 54.5 (not read)", S)]),
    ),
}
"""Every other route of redress by id: who hears it, its time limit and the sources."""
