"""The mediation workflow (CFA 2014 ss.51-56; SEND Regs 2014 regs 32-42), from the decision
notice to the last follow-up duty.

Appealable decision notified (the notice carries what reg 32 lists); mediation adviser contacted
(within 2 months, reg 33); information given; then either declined (certificate within 3 working
days) or mediation wanted; the mediation issues recorded; where they include health care, each
commissioning body told within 3 working days; the route chosen (local authority, commissioning
body or joint); mediation arranged within 30 days, or not (the adviser is told and issues a
certificate within 3 working days: :meth:`MediationCase.tick` detects the 30 days passing without
a mediation); mediation held; certificate within 3 working days; written agreement; the reg 42
follow-up duties tracked until each is met or missed, unless the parties agreed other periods in
writing (reg 42(5)).

Every running deadline comes from the statutory clocks (:mod:`sen_disagreement.clocks`). A case is
immutable: each action returns a new case with one audit entry per transition, or raises a typed
error and changes nothing.

The package is split by statutory stage:

* :mod:`.notice` - the decision notice and what reg 32 requires it to carry;
* :mod:`.machine` - the states, events and transitions, and the ids of the clocks the case runs;
* :mod:`.agreement` - the written agreement and its reg 42 follow-up duties;
* :mod:`.case` - :class:`MediationCase`, built from one mixin per stage: :mod:`.adviser`
  (regs 33-34), :mod:`.arranging` (issues, route, meeting), :mod:`.outcome` (certificates,
  agreement, closing) and :mod:`.sweep` (the daily :meth:`MediationCase.tick`).
"""

from __future__ import annotations

from sen_disagreement.workflow.mediation.agreement import (
    ORDER_CLOCK_IDS,
    REG_42,
    REG_42_5,
    ActionKind,
    AgreedAction,
    MediationAgreement,
)
from sen_disagreement.workflow.mediation.arranging import MEDIATE_LATER, MEDIATION_DATE_NOTICE
from sen_disagreement.workflow.mediation.case import MediationCase
from sen_disagreement.workflow.mediation.machine import (
    ADVISER_CLOCK,
    ARRANGE_CLOCKS,
    ICB_CLOCK,
    MEDIATION_MACHINE,
    NON_APPEALABLE_CLOCK,
    NOTIFY_LA_CLOCK,
    MediationEvent,
    MediationState,
)
from sen_disagreement.workflow.mediation.notice import (
    MEDIATION_PROCESS,
    REG_32,
    REG_33,
    DecisionNotice,
    Reg32Item,
)
from sen_disagreement.workflow.mediation.sweep import NOT_ARRANGED_DETECTION

__all__ = [
    "ADVISER_CLOCK",
    "ARRANGE_CLOCKS",
    "ICB_CLOCK",
    "MEDIATE_LATER",
    "MEDIATION_DATE_NOTICE",
    "MEDIATION_MACHINE",
    "MEDIATION_PROCESS",
    "NON_APPEALABLE_CLOCK",
    "NOTIFY_LA_CLOCK",
    "NOT_ARRANGED_DETECTION",
    "ORDER_CLOCK_IDS",
    "REG_32",
    "REG_33",
    "REG_42",
    "REG_42_5",
    "RULES",
    "ActionKind",
    "AgreedAction",
    "DecisionNotice",
    "MediationAgreement",
    "MediationCase",
    "MediationEvent",
    "MediationState",
    "Reg32Item",
]

RULES = (
    MEDIATION_PROCESS, REG_32, REG_33, REG_42, REG_42_5, NOT_ARRANGED_DETECTION,
    MEDIATE_LATER, MEDIATION_DATE_NOTICE,
)
"""The rules the mediation workflow applies."""
