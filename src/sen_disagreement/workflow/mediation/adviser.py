"""Regs 33-34: the mediation adviser is contacted, gives information, and the parent or young
person declines mediation or wants it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sen_disagreement._checks import check_id
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.independence import ADVISER_INDEPENDENT, check_independence
from sen_disagreement.parties import Party, PartyKind, detached
from sen_disagreement.voluntary import ConsentDecision
from sen_disagreement.workflow._case import (
    CaseParty,
    check_date_order,
    replace_deadline,
    start_deadline,
)
from sen_disagreement.workflow.mediation._stage import CaseStage
from sen_disagreement.workflow.mediation.machine import ADVISER_CLOCK, MediationEvent
from sen_disagreement.workflow.mediation.notice import REG_33

if TYPE_CHECKING:
    from sen_disagreement.workflow.mediation.case import MediationCase

__all__ = ["AdviserStage"]


class AdviserStage(CaseStage):
    """The adviser stage of :class:`~.case.MediationCase` (regs 33-34)."""

    __slots__ = ()

    def contact_adviser(
        self, adviser_id: str, adviser: Party, *, on: dt.date, at: dt.datetime, actor: str
    ) -> MediationCase:
        """The parent or young person contacts the mediation adviser (reg 33); the adviser's
        independence is checked (CFA s.56(3))."""
        self._begin(MediationEvent.CONTACT_ADVISER, at, actor)
        check_id(adviser_id, "adviser_id")
        adviser = detached(adviser, field="adviser")  # what is checked is what is stored
        if adviser.kind is not PartyKind.MEDIATION_ADVISER:
            raise InvalidInputError("must be a mediation adviser", field="adviser.kind",
                                    rule_id=ADVISER_INDEPENDENT)
        if adviser_id in self.party_map:
            raise InvalidInputError("the adviser cannot be one of the sides",
                                    field="adviser_id", rule_id=ADVISER_INDEPENDENT)
        check_date_order(on, self.notice.sent_on, "on", REG_33.rule_id)
        self._not_future(on, at)
        check_independence(adviser, case_parties=self.party_map.values(),
                           health_in_issue=True, settings=self.settings)
        return self._step(
            MediationEvent.CONTACT_ADVISER, at=at, actor=actor, fields=("adviser",),
            adviser=CaseParty(adviser_id, adviser), adviser_contacted_on=on,
            deadlines=self._settle(ADVISER_CLOCK, on),
        )

    def give_information(self, *, on: dt.date, at: dt.datetime, actor: str) -> MediationCase:
        """The adviser gives information about mediation (without pressure to mediate)."""
        self._begin(MediationEvent.GIVE_INFORMATION, at, actor)
        check_date_order(on, self.adviser_contacted_on, "on", "workflow.mediation.dates")
        self._not_future(on, at)
        return self._step(MediationEvent.GIVE_INFORMATION, at=at, actor=actor,
                          information_given_on=on)

    def decline_mediation(
        self, party_id: str, *, on: dt.date, at: dt.datetime, actor: str,
        recorded_by: str | None = None, on_behalf_lacking_capacity: bool = False,
    ) -> MediationCase:
        """The parent or young person tells the adviser they do not want mediation: the
        certificate is due within 3 working days (reg 34(1))."""
        self._begin(MediationEvent.DECLINE_MEDIATION, at, actor)
        check_date_order(on, self.information_given_on, "on", "workflow.mediation.dates")
        self._not_future(on, at)
        ledger = self._consent(party_id, ConsentDecision.DECLINED, at, recorded_by,
                               on_behalf_lacking_capacity)
        clock = "certificate_after_declining"
        return self._step(
            MediationEvent.DECLINE_MEDIATION, at=at, actor=actor, fields=("ledger",),
            ledger=ledger, certificate_clock=clock,
            deadlines=replace_deadline(self.deadlines, start_deadline(clock, on, self.settings)),
        )

    def want_mediation(
        self, party_id: str, *, told_la_on: dt.date, at: dt.datetime, actor: str,
        recorded_by: str | None = None, on_behalf_lacking_capacity: bool = False,
    ) -> MediationCase:
        """The parent or young person tells the LA they want mediation (their agreement is
        recorded in the consent ledger)."""
        self._begin(MediationEvent.WANT_MEDIATION, at, actor)
        check_date_order(told_la_on, self.information_given_on, "told_la_on",
                         "workflow.mediation.dates")
        self._not_future(told_la_on, at)
        ledger = self._consent(party_id, ConsentDecision.AGREED, at, recorded_by,
                               on_behalf_lacking_capacity)
        return self._step(MediationEvent.WANT_MEDIATION, at=at, actor=actor,
                          fields=("ledger", "told_la_on"), ledger=ledger, told_la_on=told_la_on)
