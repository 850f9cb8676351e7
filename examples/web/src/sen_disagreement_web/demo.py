"""Demo data: the library's Sefton walkthrough (a finished disagreement resolution and a mediation
case to its certificate) plus two cases still running, in a fresh SQLite file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sen_disagreement import walkthrough
from sen_disagreement.actors import ActorDirectory
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.disclosure import Disclosure, ItemKind
from sen_disagreement.ehc import Duty, PlanSection
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.service import CaseService, OpenDisagreementResolution, OpenMediation
from sen_disagreement.workflow import CaseParty, PartyContact
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.issues import Issue
from sen_disagreement.workflow.mediation import DecisionNotice, Reg32Item

__all__ = ["months_back", "seed"]

OFFICER = "sen-casework-1"


def months_back(day: dt.date, months: int) -> dt.date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def seed(db_path: Path, directory: ActorDirectory) -> list[str]:
    """Write the demo cases into the new SQLite file ``db_path``; the walkthrough's narrative."""
    lines = walkthrough.run(db_path)
    sefton = CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton Council",
                                       identifiers=Identifiers(gss_code=walkthrough.COUNCIL,
                                                               la_number="343")))
    service = CaseService.open(f"sqlite:///{db_path.resolve()}", directory=directory)
    today = service.clock().date()
    with service.store:
        # A mediation case whose two months to contact the adviser end about now: it shows in
        # the deadlines due this week.
        sent = months_back(today, 2)
        notice = DecisionNotice(sent_on=sent, decisions=[AppealableDecision.NOT_TO_REASSESS],
                                contents=set(Reg32Item))
        sam = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"),
                        PartyContact(email="sam.parent@example.org"))
        service.open_case(OFFICER, OpenMediation(case_id="demo-med-0002",
                                                 council=walkthrough.COUNCIL,
                                                 parties=[sam, sefton], notice=notice))
        # Another family's disagreement resolution, with a without-prejudice offer that only
        # the parties and the provider read.
        alex = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Alex Parent"),
                         PartyContact(email="alex.parent@example.org"))
        service.open_case(OFFICER, OpenDisagreementResolution(
            case_id="demo-dr-0002", council=walkthrough.COUNCIL, parties=[alex, sefton],
            issues=[Issue(issue_id="placement", section=PlanSection.I),
                    Issue(issue_id="assess", duty=Duty.ASSESS)]))
        service.apply("demo-dr-0002", OFFICER, st.SeekAgreement())
        service.apply("demo-dr-0002", OFFICER, st.RecordItem(
            item_id="note-1", kind=ItemKind.NOTE, disclosure=Disclosure.PARTIES,
            text="Referral received by telephone; the family asked for a meeting after school."))
    return lines
