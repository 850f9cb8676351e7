"""A complete Sefton case, start to finish, persisted to a fresh SQLite file.

1. A parent and Sefton Council disagree about how the council is keeping the special educational
   provision in a child's EHC plan under review (a type 1 disagreement, CFA s.57). Everyone agrees
   to disagreement resolution with an independent provider; the meeting ends in **partial
   agreement**, which narrows what remains in dispute.
2. The council then decides not to amend section F of the plan (an appealable decision,
   s.51(2)(e)). The parent contacts the mediation adviser, wants mediation, and the council's 30
   days pass with no mediation: the library notices, the adviser is told, and a certificate is
   issued within 3 working days. The walkthrough ends with the appeal deadline.
3. The statutory messages the law attached to those steps (the adviser told, the certificate
   sent to the parent) were queued in the outbox in the same transactions as the steps. Before
   the certificate, the parent changed their email address (a step of its own, audited by the
   names of the parts changed only), so the certificate goes to the new one. The dispatcher
   sends them through the real GOV.UK Notify channel (``sen-disagreement-notify``) to a local
   Notify API on 127.0.0.1 (an ephemeral port, a development key made for the run), and each
   delivery's status is read back from that server. Without the Notify package the walkthrough
   says so and sends through the development log channel instead.

Run it with ``sen-disagreement demo`` or ``python examples/sefton_walkthrough.py``.

Every change goes through :class:`~sen_disagreement.service.CaseService` as an authenticated user:
the officer, the parent, the provider and the adviser are development users of a
:class:`~sen_disagreement.actors.StaticActorDirectory`, standing in for the council's directory.
Nobody types a role: the directory says who each user is, and the service refuses a step that
role may not take. Names are invented. The disagreement-resolution provider comes from the Sefton
plugin (Global Mediation, as Sefton's page says); Sefton's pages read for this project name no
mediation adviser, so the adviser here is an invented example.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sen_disagreement import (
    AccessDeniedError,
    Actor,
    AppealableDecision,
    CaseGrant,
    CaseParty,
    CaseService,
    Contact,
    ContactRole,
    CouncilProfile,
    DecisionNotice,
    DisagreementResolutionCase,
    Disclosure,
    Duty,
    Identifiers,
    Issue,
    IssueOutcome,
    ItemKind,
    MediationCase,
    OpenDisagreementResolution,
    OpenMediation,
    Party,
    PartyContact,
    PartyKind,
    PlanSection,
    Reg32Item,
    Role,
    StaticActorDirectory,
    hookimpl,
)
from sen_disagreement import steps as st
from sen_disagreement._demo_delivery import (
    INSTALL_NOTIFY,
    LocalNotify,
    deliver,
    local_notify,
    notify_templates,
)

if TYPE_CHECKING:
    from sen_disagreement_notify.testing import FakeNotify

__all__ = [
    "INSTALL_NOTIFY",
    "LocalNotify",
    "local_notify",
    "notify_templates",
    "run",
]

UTC = dt.UTC
COUNCIL = "E08000014"  # Sefton's GSS code
DR_CASE = "sefton-dr-0001"
MED_CASE = "sefton-med-0001"

OFFICER = "sen-casework-1"
PARENT = "sam.parent"
PROVIDER = "gm-practitioner-1"
ADVISER = "adviser-1"
CLERK = "tribunal-clerk-1"


class ExampleAdviserContact:
    """A development plugin standing in for the mediation adviser's published contact (Sefton's
    pages read for this project name none): where the adviser is told the 30 days passed."""

    @hookimpl
    def sen_register_contacts(self, council: CouncilProfile) -> Sequence[Contact]:
        if council.gss_code != COUNCIL:
            return ()
        return (Contact(role=ContactRole.MEDIATION_ADVISER, name="Example mediation adviser",
                        email="adviser@example.org"),)


NEW_PARENT_EMAIL = "sam.parent@new-address.example.org"
"""The parent's email after they change their contact details (never printed)."""


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), UTC)


def directory() -> StaticActorDirectory:
    """The development users: what a council's directory would say about each one."""
    return StaticActorDirectory([
        Actor(actor_id=OFFICER, role=Role.LA_OFFICER, council=COUNCIL),
        Actor(actor_id=PARENT, role=Role.FAMILY,
              grants={CaseGrant(case_id=DR_CASE, party_id="parent"),
                      CaseGrant(case_id=MED_CASE, party_id="parent")}),
        Actor(actor_id=PROVIDER, role=Role.PROVIDER, organisation="global-mediation"),
        Actor(actor_id=ADVISER, role=Role.MEDIATION_ADVISER, organisation="adviser"),
        Actor(actor_id=CLERK, role=Role.TRIBUNAL_EXPORTER, council=COUNCIL),
    ])


def run(db_path: Path, *, notify_server: FakeNotify | None = None) -> list[str]:
    """Run the walkthrough against a new SQLite file at ``db_path``; return the narrative.
    The messages go to a local Notify API (``notify_server``, or one started here) when the
    Notify package is installed, else to the development log channel."""
    with local_notify(notify_server) as notify:
        return _run(db_path, notify)


def _run(db_path: Path, notify: LocalNotify | None) -> list[str]:
    out: list[str] = []
    say = out.append
    # The parent's contact details are confidential personal data kept with the case: used to
    # address the messages the law sends them, never shown to anyone else.
    parent = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"),
                       PartyContact(email="sam.parent@example.org"))
    sefton = CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton Council",
                                       identifiers=Identifiers(gss_code=COUNCIL,
                                                               la_number="343")))
    service = CaseService.open(f"sqlite:///{db_path.resolve()}", timeout=None,
                               directory=directory())
    service.hooks.plugin_manager.register(ExampleAdviserContact(), name="walkthrough.adviser")
    # Sefton's plugin owns Sefton; the host lets this development plugin speak for it.
    service.hooks.delegate(COUNCIL, "walkthrough.adviser")
    with service.store as store:
        # --- 1. disagreement resolution --------------------------------------------------------
        day = dt.date(2025, 1, 13)
        service.open_case(OFFICER, OpenDisagreementResolution(
            case_id=DR_CASE, council=COUNCIL, parties=[parent, sefton],
            issues=[Issue(issue_id="review", duty=Duty.KEEP_PROVISION_UNDER_REVIEW),
                    Issue(issue_id="speech", section=PlanSection.F)],
        ), at=at(day))

        def dr(user: str, step: st.Step, when: dt.datetime) -> None:
            service.apply(DR_CASE, user, step, at=when)

        dr(OFFICER, st.SeekAgreement(), at(day, 11))
        dr(PARENT, st.AcceptDecision(party_id="parent"), at(day + dt.timedelta(2)))
        try:  # the officer cannot agree on the parent's behalf: refused and audited
            dr(OFFICER, st.AcceptDecision(party_id="parent"), at(day + dt.timedelta(2), 11))
        except AccessDeniedError:
            say("An officer trying to record the parent's agreement was refused (audited).")
        dr(OFFICER, st.AcceptDecision(party_id="sefton"), at(day + dt.timedelta(3)))
        # Sefton's provider comes from its council plugin (plugins/sen-disagreement-sefton).
        dr(OFFICER, st.AssignProvider(), at(day + dt.timedelta(3), 12))
        case, _ = service.load(DR_CASE)
        assert isinstance(case, DisagreementResolutionCase) and case.provider is not None
        say(f"Routed by the Sefton plugin to {case.provider.party.name}.")
        say(f"Disagreement resolution {DR_CASE}: everyone agreed; provider checked for "
            f"independence ({', '.join(case.independence_rules)}).")
        meeting = day + dt.timedelta(17)
        dr(PROVIDER, st.ArrangeMeeting(meeting_date=meeting), at(day + dt.timedelta(4)))
        dr(PROVIDER, st.HoldMeeting(on=meeting), at(meeting, 15))
        dr(OFFICER, st.RecordItem(item_id="offer-1", kind=ItemKind.OFFER,
                                  disclosure=Disclosure.WITHOUT_PREJUDICE, in_meeting=True,
                                  text="Without prejudice: termly review meetings offered"),
           at(meeting, 15))
        dr(PROVIDER, st.RecordOutcome(outcomes={"review": IssueOutcome.AGREED,
                                                "speech": IssueOutcome.NOT_AGREED}),
           at(meeting, 16))
        dr(OFFICER, st.Close(), at(meeting + dt.timedelta(1)))
        case, _ = service.load(DR_CASE)
        level = case.issues.level
        assert level is not None
        say(f"Meeting held {meeting}: {level.value.replace('_', ' ')}. Still in dispute: "
            + ", ".join(i.concerns for i in case.issues.unresolved()) + ".")

        # --- 2. mediation after an appealable decision -----------------------------------------
        sent = dt.date(2025, 3, 3)
        notice = DecisionNotice(
            sent_on=sent, decisions=[AppealableDecision.NOT_TO_AMEND_OR_REPLACE],
            contents=set(Reg32Item),
        )
        service.open_case(OFFICER, OpenMediation(
            case_id=MED_CASE, council=COUNCIL, parties=[parent, sefton], notice=notice,
        ), at=at(sent))

        def med(user: str, step: st.Step, when: dt.datetime) -> MediationCase:
            service.apply(MED_CASE, user, step, at=when)
            loaded, _ = service.load(MED_CASE)
            assert isinstance(loaded, MediationCase)
            return loaded

        m, _ = service.load(MED_CASE)
        assert isinstance(m, MediationCase)
        contact = m.deadline("mediation_adviser_contact")
        assert contact is not None
        say(f"Decision notice sent {sent}; contact the mediation adviser by {contact.due} "
            "(SEND Regs reg 33).")
        adviser = Party(kind=PartyKind.MEDIATION_ADVISER, name="Example mediation adviser")
        mar10 = dt.date(2025, 3, 10)
        med(PARENT, st.ContactAdviser(adviser_id="adviser", adviser=adviser, on=mar10), at(mar10))
        med(ADVISER, st.GiveInformation(on=mar10), at(mar10, 11))
        told = dt.date(2025, 3, 12)
        med(PARENT, st.AcceptDecision(party_id="parent", told_la_on=told), at(told))
        med(PARENT, st.RecordIssue(issue=Issue(issue_id="speech", section=PlanSection.F)),
            at(told))
        med(OFFICER, st.ConfirmIssues(), at(told, 11))
        med(OFFICER, st.ChooseRoute(), at(told, 12))
        m = med(OFFICER, st.RecordItem(item_id="letter-1", kind=ItemKind.DOCUMENT,
                                       disclosure=Disclosure.PARTIES,
                                       text="Letter confirming the request for mediation"),
                at(told, 12))
        arrange = m.arrange_clock
        assert arrange is not None
        say(f"Mediation wanted {told}; Sefton must arrange it by {arrange.due} "
            f"({arrange.clock_id}).")
        # The daily sweep runs each morning; nothing happens until the 30 days have passed.
        day = told
        while m.state.value == "route_chosen":
            day += dt.timedelta(days=1)
            service.sweep(MED_CASE, day, at=at(day, 7))
            m, _ = service.load(MED_CASE)
            assert isinstance(m, MediationCase)
        deemed = m.deadline("deemed_certificate")
        assert deemed is not None
        say(f"{day}: the 30 days passed without a mediation; the adviser was told and must "
            f"issue a certificate by {deemed.due}.")
        issued = day + dt.timedelta(2)  # the Monday after
        # The parent has moved email provider: they change their own contact details (an
        # officer could too). The audit trail names the part changed, never the value.
        med(PARENT, st.ChangeContact(party_id="parent",
                                     contact=PartyContact(email=NEW_PARENT_EMAIL)),
            at(issued, 9))
        changed = service.store.audit_trail(MED_CASE)[-1]
        say(f"The parent changed their own contact details ({', '.join(changed.fields)}; "
            "the audit trail names the part, never the value); messages sent from now on go "
            "to the new address.")
        m = med(ADVISER, st.IssueCertificate(on=issued), at(issued))
        cert = m.certificates[-1]
        say(f"Certificate ({cert.kind.value.replace('_', ' ')}) issued {cert.issued_on} by "
            f"{cert.adviser_name}.")
        say(f"Appeal deadline: {cert.appeal_deadline} (the later of the decision notice + 2 "
            "months and the certificate + 1 month, HESC Rules r.20(1)(c)).")

        # --- the Tribunal bundle, exported by the council's clerk ------------------------------
        bundle = service.tribunal_bundle(MED_CASE, CLERK, at=at(issued, 15))
        dr_bundle = service.tribunal_bundle(DR_CASE, CLERK, at=at(issued, 15))
        say(f"Tribunal bundle: {len(bundle.items)} document(s); the disagreement-resolution "
            f"bundle has {len(dr_bundle.items)} (the offer made in the meeting is without "
            "prejudice and never included).")

        # --- 3. the statutory messages, queued with the steps and dispatched -------------------
        out.extend(deliver(store, service.hooks, notify))
        say(f"Stored: {len(store.audit_trail(DR_CASE))} + "
            f"{len(store.audit_trail(MED_CASE))} audit entries in {db_path.name}.")
    return out
