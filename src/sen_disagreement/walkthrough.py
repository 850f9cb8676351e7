"""A complete Sefton case, start to finish, persisted to a fresh SQLite file.

1. A parent and Sefton Council disagree about how the council is keeping the special educational
   provision in a child's EHC plan under review (a type 1 disagreement, CFA s.57). Everyone agrees
   to disagreement resolution with an independent provider; the meeting ends in **partial
   agreement**, which narrows what remains in dispute.
2. The council then decides not to amend section F of the plan (an appealable decision,
   s.51(2)(e)). The parent contacts the mediation adviser, wants mediation, and the council's 30
   days pass with no mediation: the library notices, the adviser is told, and a certificate is
   issued within 3 working days. The walkthrough ends with the appeal deadline.

Run it with ``sen-disagreement demo`` or ``python examples/sefton_walkthrough.py``.

Names are invented. The disagreement-resolution provider comes from the Sefton plugin (Global
Mediation, as Sefton's page says); Sefton's pages read for this project name no mediation adviser,
so the adviser here is an invented example.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.disclosure import Disclosure, ItemKind, RecordedItem
from sen_disagreement.ehc import Duty, PlanSection
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.service import CaseService
from sen_disagreement.workflow import CaseParty
from sen_disagreement.workflow.access import Principal, Role
from sen_disagreement.workflow.audit import AuditLog
from sen_disagreement.workflow.disagreement_resolution import DisagreementResolutionCase
from sen_disagreement.workflow.exports import tribunal_bundle
from sen_disagreement.workflow.issues import Issue, IssueOutcome
from sen_disagreement.workflow.mediation import DecisionNotice, MediationCase, Reg32Item
from sen_disagreement.workflow.records import from_record

UTC = dt.UTC
COUNCIL = "E08000014"  # Sefton's GSS code


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), UTC)


def run(db_path: Path) -> list[str]:
    """Run the walkthrough against a new SQLite file at ``db_path``; return the narrative."""
    out: list[str] = []
    say = out.append
    parent = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"))
    sefton = CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton Council",
                                       identifiers=Identifiers(gss_code=COUNCIL,
                                                               la_number="343")))
    officer = "sen-casework-1"

    service = CaseService.open(f"sqlite:///{db_path.resolve()}", timeout=None)
    with service.store as store:
        # --- 1. disagreement resolution --------------------------------------------------------
        day = dt.date(2025, 1, 13)
        dr = DisagreementResolutionCase.refer(
            case_id="sefton-dr-0001", council=COUNCIL, parties=[parent, sefton], at=at(day),
            actor=officer,
            issues=[Issue(issue_id="review", duty=Duty.KEEP_PROVISION_UNDER_REVIEW),
                    Issue(issue_id="speech", section=PlanSection.F)],
        )
        record = service.save(dr, expected_version=0)
        written = len(dr.audit)
        dr = dr.seek_agreement(at=at(day, 11), actor=officer)
        dr = dr.agree("parent", at=at(day + dt.timedelta(2)), actor="parent")
        dr = dr.agree("sefton", at=at(day + dt.timedelta(3)), actor=officer)
        # Sefton's provider comes from its council plugin (plugins/sen-disagreement-sefton).
        dr, routing = service.assign_routed_provider(dr, at=at(day + dt.timedelta(3), 12),
                                                     actor=officer)
        say(f"Routed by the {routing.council.name} plugin to {routing.provider.name}.")
        say(f"Disagreement resolution {dr.case_id}: everyone agreed; provider checked for "
            f"independence ({', '.join(dr.independence_rules)}).")
        meeting = day + dt.timedelta(17)
        dr = dr.arrange_meeting(meeting, at=at(day + dt.timedelta(4)), actor="global-mediation")
        dr = dr.hold_meeting(meeting, at=at(meeting, 15), actor="global-mediation")
        dr = dr.record_item(
            RecordedItem.meeting_record(item_id="offer-1", kind=ItemKind.OFFER,
                                        recorded_at=at(meeting, 15), recorded_by="sefton",
                                        text="Without prejudice: termly review meetings offered"),
            at=at(meeting, 15), actor="global-mediation",
        )
        dr = dr.record_outcome({"review": IssueOutcome.AGREED,
                                "speech": IssueOutcome.NOT_AGREED},
                               at=at(meeting, 16), actor="global-mediation")
        dr = dr.close(at=at(meeting + dt.timedelta(1)), actor=officer)
        record = service.save(dr, expected_version=record.version, written=written)
        level = dr.issues.level
        assert level is not None
        say(f"Meeting held {meeting}: {level.value.replace('_', ' ')}. Still in dispute: "
            + ", ".join(i.concerns for i in dr.issues.unresolved()) + ".")

        # --- 2. mediation after an appealable decision -----------------------------------------
        sent = dt.date(2025, 3, 3)
        notice = DecisionNotice(
            sent_on=sent, decisions=[AppealableDecision.NOT_TO_AMEND_OR_REPLACE],
            contents=set(Reg32Item),
        )
        med = MediationCase.notify_decision(
            case_id="sefton-med-0001", council=COUNCIL, parties=[parent, sefton], notice=notice,
            at=at(sent), actor=officer,
        )
        mrec = service.save(med, expected_version=0)
        written = len(med.audit)
        contact = med.deadline("mediation_adviser_contact")
        assert contact is not None
        say(f"Decision notice sent {sent}; contact the mediation adviser by {contact.due} "
            "(SEND Regs reg 33).")
        adviser = Party(kind=PartyKind.MEDIATION_ADVISER, name="Example mediation adviser")
        med = med.contact_adviser("adviser", adviser, on=dt.date(2025, 3, 10),
                                  at=at(dt.date(2025, 3, 10)), actor="parent")
        med = med.give_information(on=dt.date(2025, 3, 10), at=at(dt.date(2025, 3, 10), 11),
                                   actor="adviser")
        told = dt.date(2025, 3, 12)
        med = med.want_mediation("parent", told_la_on=told, at=at(told), actor=officer)
        med = med.record_issue(Issue(issue_id="speech", section=PlanSection.F), at=at(told),
                               actor=officer)
        med = med.confirm_issues(at=at(told, 11), actor=officer)
        med = med.choose_route(at=at(told, 12), actor=officer)
        med = med.record_item(
            RecordedItem(item_id="letter-1", kind=ItemKind.DOCUMENT,
                         disclosure=Disclosure.PARTIES, recorded_at=at(told, 12),
                         recorded_by="sefton", in_meeting=False,
                         text="Letter confirming the request for mediation"),
            at=at(told, 12), actor=officer,
        )
        arrange = med.arrange_clock
        assert arrange is not None
        say(f"Mediation wanted {told}; Sefton must arrange it by {arrange.due} "
            f"({arrange.clock_id}).")
        # The daily check runs each morning; nothing happens until the 30 days have passed.
        day = told
        while med.state.value == "route_chosen":
            day += dt.timedelta(days=1)
            med = med.tick(day, at=at(day, 7))
        deemed = med.deadline("deemed_certificate")
        assert deemed is not None
        say(f"{day}: the 30 days passed without a mediation; the adviser was told and must "
            f"issue a certificate by {deemed.due}.")
        issued = day + dt.timedelta(2)  # the Monday after
        med = med.issue_certificate(on=issued, at=at(issued), actor="adviser")
        mrec = service.save(med, expected_version=mrec.version, written=written)
        cert = med.certificates[-1]
        say(f"Certificate ({cert.kind.value.replace('_', ' ')}) issued {cert.issued_on} by "
            f"{cert.adviser_name}.")
        say(f"Appeal deadline: {cert.appeal_deadline} (the later of the decision notice + 2 "
            "months and the certificate + 1 month, HESC Rules r.20(1)(c)).")

        # --- what the store holds, and the Tribunal bundle -------------------------------------
        reloaded = from_record(store.load(med.case_id))
        assert reloaded == med
        clerk = Principal(actor="tribunal-clerk", role=Role.TRIBUNAL_EXPORTER,
                          cases={med.case_id, dr.case_id})
        sink = AuditLog()
        bundle = tribunal_bundle(reloaded, exporter=clerk, at=at(issued, 15),
                                 sink=sink)
        dr_bundle = tribunal_bundle(dr, exporter=clerk, at=at(issued, 15), sink=sink)
        say(f"Tribunal bundle: {len(bundle.items)} document(s); the disagreement-resolution "
            f"bundle has {len(dr_bundle.items)} (the offer made in the meeting is without "
            "prejudice and never included).")
        say(f"Stored: {len(store.audit_trail(dr.case_id))} + "
            f"{len(store.audit_trail(med.case_id))} audit entries in {db_path.name}.")
    return out


