"""Mediation certificates: declined, after mediation, and not arranged in time.

A certificate records its kind, the day it was issued, the mediation adviser who issued it, the
decision(s) under appeal with the date the decision notice was sent, the 3-working-day clock it
answered (and whether it was in time), and the appeal deadline computed from the notice and the
certificate by the statutory clocks (HESC Rules r.20(1)(c), on the Tribunal calendar).

No source read states a prescribed content list for a certificate (law.md 2.11, UNCONFIRMED):
these fields are what the library keeps, not a statutory form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from attrs import field, frozen

from sen_disagreement._checks import typed_fields
from sen_disagreement._enum import Enum
from sen_disagreement.appeals import AppealableDecision, certificate_requirement
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.provenance import P, Provenance, Rule, S, U, cite
from sen_disagreement.settings import Settings
from sen_disagreement.workflow import _clocks
from sen_disagreement.workflow._typed import enum_tuple

__all__ = [
    "CERTIFICATE_CLOCKS",
    "CERTIFICATE_CONTENT",
    "CERTIFICATE_RULES",
    "Certificate",
    "CertificateKind",
    "issue_certificate",
]


class CertificateKind(Enum):
    """Why a mediation adviser issued a certificate: the parent or young person declined mediation
    (CFA 2014 s.55(4)), took part in it (s.55(5)), or it was not arranged within 30 days."""

    DECLINED = "declined"
    """s.55(4): given information about mediation and chose not to mediate."""
    AFTER_MEDIATION = "after_mediation"
    """s.55(5): took part in mediation."""
    NOT_ARRANGED_IN_TIME = "not_arranged_in_time"
    """The arranging body could not arrange mediation within 30 days."""


_IPSEA = "https://www.ipsea.org.uk/the-mediation-process"

CERTIFICATE_RULES = {
    CertificateKind.DECLINED: Rule(
        "reg34.certificate_after_declining",
        "A parent or young person who tells the mediation adviser they do not want mediation "
        "gets a certificate within 3 working days (CFA s.55(4)).",
        Provenance(
            [
                cite("SEND Regs 2014 reg 34(1) (heading read; body via Surrey SENDIASS)", S,
                     "https://sendadvicesurrey.org.uk/information-advice-and-support/mediation/"),
                cite("exact wording of CFA s.55(4)", U),
            ]
        ),
    ),
    CertificateKind.AFTER_MEDIATION: Rule(
        "reg39.certificate_after_mediation",
        "The mediation adviser issues a certificate within 3 working days of the mediation "
        "concluding (CFA s.55(5)).",
        Provenance(
            [
                cite("Sefton 'Arranging Mediation'; Surrey and Southend SENDIASS", S),
                cite("regulation number (believed reg 39)", U),
            ]
        ),
    ),
    CertificateKind.NOT_ARRANGED_IN_TIME: Rule(
        "mediation.deemed_certificate",
        "If the arranging body cannot arrange mediation within 30 days it tells the mediation "
        "adviser, who issues a certificate within 3 working days of being told.",
        Provenance(
            [
                cite("IPSEA 'the mediation process'", S, _IPSEA),
                cite("regulation number (believed reg 37)", U),
            ]
        ),
    ),
}
"""The rule behind each :class:`CertificateKind`."""

CERTIFICATE_CONTENT = Rule(
    "certificate.content",
    "What a certificate records here (kind, issue date, adviser, decision under appeal); its "
    "statutory content, if any, was not found. It starts the 1-month appeal window.",
    Provenance(
        [
            cite("HESC Rules 2008 r.20(1)(c)(ii)", P,
                 "https://www.legislation.gov.uk/uksi/2008/2699/article/20/data.html"),
            cite("prescribed certificate contents", U),
        ]
    ),
)
"""What a certificate records here; no prescribed statutory content was found (unconfirmed)."""

CERTIFICATE_CLOCKS = {
    CertificateKind.DECLINED: "certificate_after_declining",
    CertificateKind.AFTER_MEDIATION: "certificate_after_mediation",
    CertificateKind.NOT_ARRANGED_IN_TIME: "deemed_certificate",
}
"""The 3-day clock each kind of certificate answers."""


def _decisions(value: Iterable[AppealableDecision]) -> tuple[AppealableDecision, ...]:
    return enum_tuple(value, AppealableDecision, field="decisions")


@frozen(kw_only=True, field_transformer=typed_fields)
class Certificate:
    """A mediation certificate as issued."""

    kind: CertificateKind
    issued_on: dt.date
    issued_by: str
    """Id of the issuer: the mediation adviser, or the mediator for a certificate after
    mediation (CFA s.55(5))."""
    adviser_name: str | None
    decisions: tuple[AppealableDecision, ...] = field(converter=_decisions)
    decision_notice_sent: dt.date
    clock_id: str
    clock_started: dt.date
    clock_due: dt.date
    appeal_deadline: dt.date
    certificate_required: bool
    """False for a section-I-only appeal: the certificate is then not needed to appeal."""

    @property
    def in_time(self) -> bool:
        return self.issued_on <= self.clock_due

    @property
    def rule(self) -> Rule:
        return CERTIFICATE_RULES[self.kind]


def issue_certificate(
    *,
    kind: CertificateKind,
    issued_on: dt.date,
    issued_by: str,
    adviser_name: str | None,
    decisions: Iterable[AppealableDecision],
    decision_notice_sent: dt.date,
    clock_started: dt.date,
    settings: Settings,
) -> Certificate:
    """Issue a certificate; its 3-day clock and the appeal deadline come from the clocks."""
    chosen = tuple(decisions)
    requirement = certificate_requirement(chosen)
    if issued_on < clock_started:
        raise InvalidInputError(
            "a certificate cannot be issued before the event that calls for it",
            field="issued_on",
            rule_id=CERTIFICATE_RULES[kind].rule_id,
            citation=CERTIFICATE_RULES[kind].cite(),
        )
    clock_id = CERTIFICATE_CLOCKS[kind]
    return Certificate(
        kind=kind,
        issued_on=issued_on,
        issued_by=issued_by,
        adviser_name=adviser_name,
        decisions=chosen,
        decision_notice_sent=decision_notice_sent,
        clock_id=clock_id,
        clock_started=clock_started,
        clock_due=_clocks.due(clock_id, clock_started, settings),
        appeal_deadline=_clocks.appeal_deadline(
            decision_notice_sent,
            issued_on,
            certificate_required=requirement.required,
            settings=settings,
        ),
        certificate_required=requirement.required,
    )
