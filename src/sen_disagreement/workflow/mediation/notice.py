"""The decision notice that starts a mediation case (SEND Regs 2014 regs 32-33)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from attrs import field, frozen

from sen_disagreement._checks import typed_fields
from sen_disagreement._enum import Enum
from sen_disagreement.appeals import (
    CERTIFICATE_REQUIRED,
    AppealableDecision,
    certificate_requirement,
)
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.provenance import P, Provenance, Rule, cite
from sen_disagreement.workflow._typed import enum_frozenset, enum_tuple

__all__ = ["MEDIATION_PROCESS", "REG_32", "REG_33", "DecisionNotice", "Reg32Item"]

_MEDIATION_REGS = "https://www.legislation.gov.uk/uksi/2014/1530/part/2/crossheading/mediation/made"

MEDIATION_PROCESS = Rule(
    "mediation.process",
    "After an appealable decision the parent or young person may mediate; a certificate from a "
    "mediation adviser is normally needed before appealing.",
    Provenance(
        [
            cite("CFA 2014 ss.51-56", P),
            cite("SEND Regs 2014 regs 32-42", P, _MEDIATION_REGS),
        ]
    ),
)
"""Mediation (CFA 2014 ss.51-56; SEND Regs 2014 regs 32-42): open after an appealable decision;
a certificate is normally needed before appealing."""
REG_32 = Rule(
    "reg32.notice_contents",
    "The notice of an appealable decision states: (a) the right to mediation; (b) the need for a "
    "certificate before appealing; (c) the mediation adviser's contact details; (d) the "
    "timescales for requesting mediation; (e) that the parent or young person must tell the LA "
    "whether they want mediation, the issues and any health care provision sought; (f) the LA "
    "contact for pursuing mediation.",
    Provenance([cite("SEND Regs 2014 reg 32", P, _MEDIATION_REGS)]),
)
"""What the notice of an appealable decision must state (SEND Regs 2014 reg 32(a)-(f))."""
REG_33 = Rule(
    "reg33.adviser_contact",
    "A parent or young person who needs a certificate contacts the mediation adviser within 2 "
    "months of the decision notice being sent.",
    Provenance([cite("SEND Regs 2014 reg 33", P, _MEDIATION_REGS)]),
)
"""The parent or young person contacts the mediation adviser within 2 months of the decision
notice being sent (SEND Regs 2014 reg 33)."""


class Reg32Item(Enum):
    """The things reg 32 says a decision notice must contain, (a) to (f)."""

    RIGHT_TO_MEDIATION = "a"
    CERTIFICATE_NEEDED = "b"
    ADVISER_CONTACT_DETAILS = "c"
    TIMESCALES = "d"
    TELL_LA_WISHES_AND_ISSUES = "e"
    LA_CONTACT_DETAILS = "f"


def _decisions(value: Iterable[AppealableDecision]) -> tuple[AppealableDecision, ...]:
    # A plain string is refused, never split into characters; so is any non-member.
    return enum_tuple(value, AppealableDecision, field="notice.decisions")


def _reg32(value: Iterable[Reg32Item]) -> frozenset[Reg32Item]:
    return enum_frozenset(value, Reg32Item, field="notice.contents")


@frozen(kw_only=True, field_transformer=typed_fields)
class DecisionNotice:
    """The local authority's notice of an appealable decision."""

    sent_on: dt.date
    decisions: tuple[AppealableDecision, ...] = field(converter=_decisions)
    contents: frozenset[Reg32Item] = field(converter=_reg32)

    def __attrs_post_init__(self) -> None:
        if not self.decisions:
            raise InvalidInputError(
                "name at least one appealable decision (CFA s.51(2))",
                field="notice.decisions", rule_id=CERTIFICATE_REQUIRED,
            )
        missing = sorted(i.value for i in Reg32Item if i not in self.contents)
        if missing:
            raise InvalidInputError(
                "the decision notice must carry every item reg 32 lists; missing: "
                + ", ".join(f"reg 32({m})" for m in missing),
                field="notice.contents", rule_id=REG_32.rule_id, citation=REG_32.cite(),
            )

    @property
    def certificate_required(self) -> bool:
        return certificate_requirement(self.decisions).required
