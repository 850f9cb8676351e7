"""The mediation state machine: its states, events and transitions, and the ids of the clocks
the case runs."""

from __future__ import annotations

from sen_disagreement._enum import Enum
from sen_disagreement.workflow.machine import StateMachine, Transition
from sen_disagreement.workflow.mediation.notice import MEDIATION_PROCESS

__all__ = [
    "ADVISER_CLOCK",
    "ARRANGE_CLOCKS",
    "ICB_CLOCK",
    "MEDIATION_MACHINE",
    "NON_APPEALABLE_CLOCK",
    "NOTIFY_LA_CLOCK",
    "MediationEvent",
    "MediationState",
]


class MediationState(Enum):
    """Where a mediation case stands, from the decision notice through the adviser, the mediation
    and the certificate to a recorded agreement, lapse or close."""

    DECISION_NOTIFIED = "decision_notified"
    ADVISER_CONTACTED = "adviser_contacted"
    INFORMATION_GIVEN = "information_given"
    DECLINED = "declined"
    MEDIATION_WANTED = "mediation_wanted"
    ISSUES_RECORDED = "issues_recorded"
    ROUTE_CHOSEN = "route_chosen"
    ARRANGED = "arranged"
    NOT_ARRANGED = "not_arranged"
    HELD = "held"
    CERTIFICATE_ISSUED = "certificate_issued"
    AGREEMENT_RECORDED = "agreement_recorded"
    LAPSED = "lapsed"
    CLOSED = "closed"


class MediationEvent(Enum):
    """The actions and sweep events that move a mediation case on (:data:`MEDIATION_MACHINE` says
    which are allowed in each :class:`MediationState`)."""

    CONTACT_ADVISER = "contact_adviser"
    GIVE_INFORMATION = "give_information"
    DECLINE_MEDIATION = "decline_mediation"
    WANT_MEDIATION = "want_mediation"
    RECORD_ISSUE = "record_issue"
    CONFIRM_ISSUES = "confirm_issues"
    NOTIFY_COMMISSIONING_BODY = "notify_commissioning_body"
    CHOOSE_ROUTE = "choose_route"
    ARRANGE_MEETING = "arrange_meeting"
    NOT_ARRANGED_IN_TIME = "not_arranged_in_time"
    HOLD_MEETING = "hold_meeting"
    WITHDRAW = "withdraw"
    RECORD_ITEM = "record_item"
    ISSUE_CERTIFICATE = "issue_certificate"
    RECORD_AGREEMENT = "record_agreement"
    DUTY_MET = "duty_met"
    CLOCK_MISSED = "clock_missed"
    LAPSE = "lapse"
    CLOSE = "close"


_S, _E = MediationState, MediationEvent

_LIVE = (
    _S.DECISION_NOTIFIED, _S.ADVISER_CONTACTED, _S.INFORMATION_GIVEN, _S.DECLINED,
    _S.MEDIATION_WANTED, _S.ISSUES_RECORDED, _S.ROUTE_CHOSEN, _S.ARRANGED, _S.NOT_ARRANGED,
    _S.HELD, _S.CERTIFICATE_ISSUED, _S.AGREEMENT_RECORDED,
)
_WANTED = (_S.MEDIATION_WANTED, _S.ISSUES_RECORDED, _S.ROUTE_CHOSEN, _S.ARRANGED)


def _rows() -> list[Transition[MediationState, MediationEvent]]:
    rows = [
        Transition(_S.DECISION_NOTIFIED, _E.CONTACT_ADVISER, _S.ADVISER_CONTACTED),
        Transition(_S.DECISION_NOTIFIED, _E.LAPSE, _S.LAPSED),
        Transition(_S.ADVISER_CONTACTED, _E.GIVE_INFORMATION, _S.INFORMATION_GIVEN),
        Transition(_S.INFORMATION_GIVEN, _E.DECLINE_MEDIATION, _S.DECLINED),
        Transition(_S.INFORMATION_GIVEN, _E.WANT_MEDIATION, _S.MEDIATION_WANTED),
        Transition(_S.MEDIATION_WANTED, _E.RECORD_ISSUE, _S.MEDIATION_WANTED),
        Transition(_S.MEDIATION_WANTED, _E.CONFIRM_ISSUES, _S.ISSUES_RECORDED),
        Transition(_S.ISSUES_RECORDED, _E.NOTIFY_COMMISSIONING_BODY, _S.ISSUES_RECORDED),
        Transition(_S.ISSUES_RECORDED, _E.CHOOSE_ROUTE, _S.ROUTE_CHOSEN),
        Transition(_S.ROUTE_CHOSEN, _E.NOTIFY_COMMISSIONING_BODY, _S.ROUTE_CHOSEN),
        Transition(_S.ROUTE_CHOSEN, _E.ARRANGE_MEETING, _S.ARRANGED),
        Transition(_S.ROUTE_CHOSEN, _E.NOT_ARRANGED_IN_TIME, _S.NOT_ARRANGED),
        Transition(_S.ARRANGED, _E.NOT_ARRANGED_IN_TIME, _S.NOT_ARRANGED),
        Transition(_S.ARRANGED, _E.HOLD_MEETING, _S.HELD),
        # Rule mediation.later_after_not_arranged: the parent may still mediate after the 30
        # days pass, before or after the certificate is issued.
        Transition(_S.NOT_ARRANGED, _E.ARRANGE_MEETING, _S.ARRANGED),
        Transition(_S.NOT_ARRANGED, _E.HOLD_MEETING, _S.HELD),
        Transition(_S.CERTIFICATE_ISSUED, _E.ARRANGE_MEETING, _S.ARRANGED),
        Transition(_S.CERTIFICATE_ISSUED, _E.HOLD_MEETING, _S.HELD),
        Transition(_S.DECLINED, _E.ISSUE_CERTIFICATE, _S.CERTIFICATE_ISSUED),
        Transition(_S.NOT_ARRANGED, _E.ISSUE_CERTIFICATE, _S.CERTIFICATE_ISSUED),
        Transition(_S.HELD, _E.ISSUE_CERTIFICATE, _S.CERTIFICATE_ISSUED),
        Transition(_S.CERTIFICATE_ISSUED, _E.RECORD_AGREEMENT, _S.AGREEMENT_RECORDED),
        Transition(_S.AGREEMENT_RECORDED, _E.DUTY_MET, _S.AGREEMENT_RECORDED),
        Transition(_S.CERTIFICATE_ISSUED, _E.CLOSE, _S.CLOSED),
        Transition(_S.AGREEMENT_RECORDED, _E.CLOSE, _S.CLOSED),
    ]
    rows += [Transition(s, _E.WITHDRAW, _S.DECLINED) for s in _WANTED]
    rows += [Transition(s, _E.RECORD_ITEM, s) for s in _LIVE]
    rows += [Transition(s, _E.CLOCK_MISSED, s) for s in _LIVE]
    return rows


MEDIATION_MACHINE: StateMachine[MediationState, MediationEvent] = StateMachine(
    name="mediation",
    states=MediationState,
    events=MediationEvent,
    initial=MediationState.DECISION_NOTIFIED,
    final=frozenset({MediationState.CLOSED, MediationState.LAPSED}),
    transitions=_rows(),
    rule_id="workflow.mediation",
    citation=MEDIATION_PROCESS.cite(),
)
"""The mediation state machine: which :class:`MediationEvent` is allowed in which
:class:`MediationState`, and where it leads."""

ADVISER_CLOCK = "mediation_adviser_contact"
"""The clock of the parent's or young person's contact with the mediation adviser (SEND Regs
2014 reg 33: 2 months)."""
ICB_CLOCK = "icb_notification_of_health_issues"
"""The clock of the local authority telling each commissioning body the health issues."""
NOTIFY_LA_CLOCK = "agreement_notify_la"
"""The clock of the commissioning body telling the local authority of an agreement it was not
a party to (reg 42(4): 1 week)."""
NON_APPEALABLE_CLOCK = "agreement_non_appealable_action"
"""The clock of an agreed action that is not appealable (reg 42(3): 2 weeks)."""
ARRANGE_CLOCKS = (
    "arrange_mediation_education_social_care",
    "arrange_mediation_health_only",
    "arrange_mediation_mixed",
)
"""The 30-day clocks to arrange mediation, one per route (education and social care, health
only, mixed)."""
