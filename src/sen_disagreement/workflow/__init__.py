"""Case workflows: disagreement resolution and mediation, from referral to outcome.

* :mod:`.machine` - the checked state-machine definition both workflows use;
* :mod:`.disagreement_resolution` and :mod:`.mediation` - the two case types;
* :mod:`.issues`, :mod:`.certificates` - issues and outcomes, mediation certificates;
* :mod:`.audit`, :mod:`.access`, :mod:`.exports` - the audit trail, who may read what, and the
  Tribunal bundle and subject-access exports.
"""

from __future__ import annotations

from sen_disagreement.workflow._case import CaseParty, DeadlineStatus, PartyContact, TrackedDeadline
from sen_disagreement.workflow.disagreement_resolution import DisagreementResolutionCase
from sen_disagreement.workflow.mediation import MediationCase

Case = DisagreementResolutionCase | MediationCase
"""Either kind of case."""

__all__ = [
    "Case",
    "CaseParty",
    "DeadlineStatus",
    "DisagreementResolutionCase",
    "MediationCase",
    "PartyContact",
    "TrackedDeadline",
]
