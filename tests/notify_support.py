"""A test council with contacts and in-test channels, and a mediation case driven through
:class:`CaseService` to every step the law attaches a message to (with canaries planted)."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from sen_disagreement.actors import Actor, CaseGrant, Role, StaticActorDirectory
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.channels import Address, ChannelError, Medium, OutgoingMessage, Receipt
from sen_disagreement.council import Contact, ContactRole, CouncilProfile
from sen_disagreement.disclosure import Disclosure, ItemKind
from sen_disagreement.ehc import PlanSection
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.plugins import Hooks, make_plugin_manager
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.service import CaseService, OpenMediation
from sen_disagreement.store import Store, open_store
from sen_disagreement.workflow import CaseParty, PartyContact
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.issues import Issue
from sen_disagreement.workflow.mediation import (
    ActionKind,
    AgreedAction,
    DecisionNotice,
    Reg32Item,
)

GSS = "E06000099"
COUNCIL = CouncilProfile(name="Testshire", gss_code=GSS, la_number="999", slug="testshire")
CASEWORK = Contact(role=ContactRole.SEN_CASEWORK_TEAM, name="SEN Casework Team",
                   email="casework@testshire.example.org", telephone="0151 934 2347")
ADVISER_CONTACT = Contact(role=ContactRole.MEDIATION_ADVISER, name="Adviser service",
                          email="adviser@testshire.example.org")

OFFICER = Actor(actor_id="officer-1", role=Role.LA_OFFICER, council=GSS)
ADVISER = Actor(actor_id="adviser-1", role=Role.MEDIATION_ADVISER, organisation="adviser")
MEDIATOR = Actor(actor_id="mediator-1", role=Role.MEDIATOR, organisation="mediator")
NOW = dt.datetime(2025, 9, 1, 12, tzinfo=dt.UTC)

# Canaries: none of them may reach a channel, an audit row, a log record or an error.
WP_CANARY = "CANARYWP7781 without prejudice offer of a weekly session"
HEALTH_CANARY = "CANARYHEALTH4412 diagnosed with epilepsy"
CHILD_CANARY = "Canarychild Zebedee"
PARENT_EMAIL = "canary.parent.4471@example.org"
CANARIES = ("CANARYWP7781", "CANARYHEALTH4412", "Canarychild", "Zebedee")


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


def family(case_id: str) -> Actor:
    return Actor(actor_id=f"fam-{case_id}"[:60], role=Role.FAMILY,
                 grants={CaseGrant(case_id=case_id, party_id="parent")})


class RecordingChannel:
    """An in-test channel: fails ``fail`` of the time (retryable), or with ``accept_then_timeout``
    delivers and then says it timed out; records every delivery (thread-safe)."""

    def __init__(self, name: str = "test", *, fail: float = 0.0, accept_then_timeout: float = 0.0,
                 refuse: bool = False, seed: int = 1,
                 media: frozenset[Medium] = frozenset(Medium)) -> None:
        self._name = name
        self._media = media
        self.fail = fail
        self.accept_then_timeout = accept_then_timeout
        self.refuse = refuse
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.delivered: list[OutgoingMessage] = []
        self.seen: list[OutgoingMessage] = []
        """Every message handed to ``send``, delivered or not (attempt numbers, flags)."""
        self.attempts = 0

    @property
    def name(self) -> str:
        return self._name

    @property
    def media(self) -> frozenset[Medium]:
        return self._media

    def send(self, message: OutgoingMessage) -> Receipt:
        with self.lock:
            self.attempts += 1
            self.seen.append(message)
            roll = self.rng.random()
            if self.refuse:
                raise ChannelError("refused (400)", channel=self._name, retryable=False)
            if roll < self.fail:
                raise ChannelError("temporarily unavailable (503)", channel=self._name,
                                   retryable=True)
            self.delivered.append(message)
            if self.rng.random() < self.accept_then_timeout:
                raise ChannelError("timed out after sending", channel=self._name,
                                   retryable=True, outcome_unknown=True)
        return Receipt(message_id=f"{self._name}-{len(self.delivered)}")


class TestCouncil:
    """The test council's plugin: profile, contacts and the channels given."""

    __test__ = False

    def __init__(self, channels: Sequence[object] = (), *,
                 contacts: Sequence[Contact] = (CASEWORK, ADVISER_CONTACT)) -> None:
        self.channels = tuple(channels)
        self.contacts = tuple(contacts)

    @hookimpl
    def sen_register_councils(self) -> Sequence[CouncilProfile]:
        return (COUNCIL,)

    @hookimpl
    def sen_register_contacts(self, council: CouncilProfile) -> Sequence[Contact]:
        return self.contacts if council.gss_code == GSS else ()

    @hookimpl
    def sen_register_channels(self, council: CouncilProfile) -> Sequence[object]:
        return self.channels if council.gss_code == GSS else ()


def hooks(*channels: object, contacts: Sequence[Contact] = (CASEWORK, ADVISER_CONTACT)) -> Hooks:
    pm = make_plugin_manager(load_entry_points=False, environ={})
    pm.register(TestCouncil(channels, contacts=contacts), name="testshire")
    return Hooks(pm, timeout=None)


def service(url: str, *channels: object, case_ids: Sequence[str] = (),
            store: Store | None = None) -> CaseService:
    directory = StaticActorDirectory([OFFICER, ADVISER, MEDIATOR,
                                      *(family(c) for c in case_ids)])
    return CaseService(store or open_store(url), hooks(*channels), directory, clock=lambda: NOW)


def parties(*, child_name: str | None = CHILD_CANARY, parent_contact: bool = True,
            second_parent: bool = False) -> list[CaseParty]:
    contact = PartyContact(email=PARENT_EMAIL, phone="07700 900123",
                           postal=["1 Canary Row", "Bootle", "L20 7AP"]) if parent_contact else None
    extra = [CaseParty("parent2", Party(kind=PartyKind.PARENT, name="Lee Parent"),
                       PartyContact(email="lee.other@example.org"))] if second_parent else []
    return [
        *extra,
        CaseParty("parent", Party(kind=PartyKind.PARENT, name="Pat Parent"), contact),
        CaseParty("child", Party(kind=PartyKind.CHILD, name=child_name,
                                 date_of_birth=dt.date(2015, 5, 1))),
        CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY, name="Testshire Council",
                              identifiers=Identifiers(gss_code=GSS))),
        CaseParty("icb", Party(kind=PartyKind.INTEGRATED_CARE_BOARD, name="Test ICB"),
                  PartyContact(email="send@icb.example.org")),
    ]


SENT = dt.date(2025, 3, 3)
TOLD = dt.date(2025, 3, 12)


def open_to_route(svc: CaseService, case_id: str, *, parent_contact: bool = True,
                  second_parent: bool = False) -> None:
    """Open a mediation case with a health issue, up to the route chosen (the ICB clock runs)."""
    notice = DecisionNotice(sent_on=SENT, decisions=[AppealableDecision.NOT_TO_AMEND_OR_REPLACE],
                            contents=set(Reg32Item))
    svc.open_case(OFFICER, OpenMediation(case_id=case_id, council=GSS,
                                         parties=parties(parent_contact=parent_contact,
                                                         second_parent=second_parent),
                                         notice=notice), at=at(SENT))
    fam = family(case_id)
    contact = dt.date(2025, 3, 10)
    for k, (who, step, day) in enumerate([
        (fam, st.ContactAdviser(adviser_id="adviser",
                                adviser=Party(kind=PartyKind.MEDIATION_ADVISER), on=contact),
         contact),
        (ADVISER, st.GiveInformation(on=contact), contact),
        (fam, st.AcceptDecision(party_id="parent", told_la_on=TOLD), TOLD),
        (fam, st.RecordIssue(issue=Issue(issue_id="speech", section=PlanSection.F)), TOLD),
        (fam, st.RecordIssue(issue=Issue(issue_id="health", section=PlanSection.G)), TOLD),
        (OFFICER, st.ConfirmIssues(), TOLD),
        (OFFICER, st.ChooseRoute(), TOLD),
        (OFFICER, st.RecordItem(item_id="health-note", kind=ItemKind.NOTE,
                                disclosure=Disclosure.CONFIDENTIAL, text=HEALTH_CANARY), TOLD),
    ]):
        svc.apply(case_id, fam.actor_id if who is fam else who.actor_id, step,
                  at=at(day, 10, k))


MEETING = dt.date(2025, 3, 31)


def to_agreement(svc: CaseService, case_id: str) -> None:
    """From the route chosen: mediation arranged, held, certificate, written agreement."""
    steps: list[tuple[Actor, st.Step, dt.datetime]] = [
        (OFFICER, st.ArrangeMeeting(meeting_date=MEETING, mediator_id="mediator",
                                    mediator=Party(kind=PartyKind.MEDIATOR)), at(TOLD, 14)),
        (MEDIATOR, st.HoldMeeting(on=MEETING), at(MEETING, 15)),
        (MEDIATOR, st.RecordItem(item_id="wp-1", kind=ItemKind.OFFER,
                                 disclosure=Disclosure.WITHOUT_PREJUDICE, in_meeting=True,
                                 text=WP_CANARY), at(MEETING, 15, 30)),
        (MEDIATOR, st.IssueCertificate(on=MEETING), at(MEETING, 16)),
        (MEDIATOR, st.RecordAgreement(
            document_id="agreement", text="Agreed: a review of section F", agreed_on=MEETING,
            actions=[AgreedAction(action_id="assess", kind=ActionKind.APPEALABLE,
                                  by=PartyKind.LOCAL_AUTHORITY,
                                  order_clock_ids=("order_assess_notify",)),
                     AgreedAction(action_id="letter", kind=ActionKind.NON_APPEALABLE,
                                  by=PartyKind.LOCAL_AUTHORITY)]), at(MEETING, 17)),
    ]
    for who, step, when in steps:
        svc.apply(case_id, who.actor_id, step, at=when)


def outbox_rows(db: Path) -> list[tuple[str, str, str, str, str]]:
    """(case id, template, payload ref, idempotency key, status) of every outbox row."""
    with sqlite3.connect(db) as c:
        return [tuple(r) for r in c.execute(
            "SELECT case_id, template, payload_ref, idempotency_key, status FROM outbox"
            " ORDER BY id")]


CASEWORK_ADDRESS = Address(email=CASEWORK.email)
"""The casework team's address, as the dispatcher resolves it (for the benchmark's floor)."""
