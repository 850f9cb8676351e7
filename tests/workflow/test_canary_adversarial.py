"""Canaries against adversarial callers (issue 9).

Every without-prejudice and confidential item of a disagreement-resolution case and of a
mediation case (the offers and comments made in the meeting, the facilitators' confidential
notes, a confidential LA note) carries a unique canary string. Then a hostile caller tries forged
labels, relabelled or truncated versions saved straight to the store, wrong and forged actors;
and no canary may appear in any Tribunal bundle (JSON and text), any error raised, any log line
(DEBUG, every ``sen_disagreement`` logger), any stored audit entry, any case event an observing
plugin is given, or the CLI demo's output. Tests are named after the rule they protect.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

from sen_disagreement.actors import Actor, CaseGrant, Role, StaticActorDirectory
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.council import CaseEvent, CouncilProfile, StoreAttentionQueue
from sen_disagreement.disclosure import MEETING_KINDS, Disclosure, ItemKind, RecordedItem
from sen_disagreement.ehc import PlanSection
from sen_disagreement.errors import AccessDeniedError, InvalidInputError, StaleWriteError
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.plugins import Hooks, make_plugin_manager
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.service import CaseService, OpenDisagreementResolution, OpenMediation
from sen_disagreement.store import open_store
from sen_disagreement.workflow import CaseParty
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.exports import Redaction
from sen_disagreement.workflow.issues import Issue, IssueOutcome
from sen_disagreement.workflow.mediation import (
    ActionKind,
    AgreedAction,
    DecisionNotice,
    Reg32Item,
)
from sen_disagreement.workflow.records import from_record, save

UTC = dt.UTC
COUNCIL = "E08000014"
DR, MED = "canary-dr-1", "canary-med-1"
CANARY = {name: f"CANARY-{name}-a41f9c" for name in (
    "dr-offer", "dr-comment", "dr-provider-note", "dr-la-note",
    "med-offer", "med-comment", "med-mediator-note", "med-adviser-note", "med-la-note")}
FACILITATOR_NOTES = {"dr-provider-note", "med-mediator-note", "med-adviser-note"}
WP_ITEMS = {"dr-offer", "dr-comment", "med-offer", "med-comment"}
DEMO_OFFER = "Without prejudice: termly review meetings offered"

_G = CaseGrant
ACTORS = [
    Actor(actor_id="officer", role=Role.LA_OFFICER, council=COUNCIL),
    Actor(actor_id="officer-wirral", role=Role.LA_OFFICER, council="E08000015"),
    Actor(actor_id="sam", role=Role.FAMILY,
          grants={_G(case_id=DR, party_id="parent"), _G(case_id=MED, party_id="parent")}),
    Actor(actor_id="pat", role=Role.FAMILY, grants={_G(case_id="elsewhere-1", party_id="parent")}),
    Actor(actor_id="head", role=Role.BODY_OFFICER, grants={_G(case_id=DR, party_id="school")}),
    Actor(actor_id="gm", role=Role.PROVIDER, organisation="global-mediation"),
    Actor(actor_id="gm-other", role=Role.PROVIDER, organisation="other-provider"),
    Actor(actor_id="adv", role=Role.MEDIATION_ADVISER, organisation="adviser-org"),
    Actor(actor_id="adv-other", role=Role.MEDIATION_ADVISER, organisation="other-adviser"),
    Actor(actor_id="med", role=Role.MEDIATOR, organisation="mediator-org"),
    Actor(actor_id="med-other", role=Role.MEDIATOR, organisation="other-mediator"),
    Actor(actor_id="clerk", role=Role.TRIBUNAL_EXPORTER, council=COUNCIL),
    Actor(actor_id="clerk-wirral", role=Role.TRIBUNAL_EXPORTER, council="E08000015"),
]
USERS = [a.actor_id for a in ACTORS]
OUTSIDERS = ["officer-wirral", "pat", "gm-other", "adv-other", "med-other", "clerk-wirral"]


def hits(text: str) -> list[str]:
    return [name for name, canary in CANARY.items() if canary in text]


def describe(exc: BaseException) -> str:
    """Everything an error carries: message, repr, args, structured fields, its causes."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), repr(current.args), repr(vars(current))]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


class Observer:
    """A plugin that observes case events and keeps everything it is given."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def sen_after_case_event(self, council: CouncilProfile, event: CaseEvent) -> None:
        self.seen += [repr(event), repr(council),
                      *(str(getattr(event, f.name)) for f in attrs.fields(CaseEvent))]


@attrs.define
class World:
    service: CaseService
    observer: Observer
    errors: list[str] = attrs.field(factory=list)
    hour: int = 0

    def at(self) -> dt.datetime:
        self.hour += 1
        return dt.datetime(2025, 1, 13, 9, tzinfo=UTC) + dt.timedelta(hours=self.hour)

    def today(self) -> dt.date:
        return self.at().date()

    def do(self, case_id: str, user: str, step: st.Step) -> None:
        self.service.apply(case_id, user, step, at=self.at())

    def refused(self, error: type[Exception] | tuple[type[Exception], ...],
                call: Callable[..., object], *args: object, **kwargs: object) -> None:
        """``call(*args, **kwargs)`` must raise ``error``; what it raised is kept for the canary
        check."""
        raised: Exception | None = None
        try:
            call(*args, **kwargs)
        except Exception as exc:
            self.errors.append(describe(exc))
            raised = exc
        assert isinstance(raised, error), f"{call.__name__}{args}: {raised!r}"

    def item(self, case_id: str, user: str, item_id: str, kind: ItemKind,
             disclosure: Disclosure, text: str, in_meeting: bool = False) -> None:
        self.do(case_id, user, st.RecordItem(item_id=item_id, kind=kind, disclosure=disclosure,
                                             text=text, in_meeting=in_meeting))

    def assert_no_canary_anywhere(self, caplog: pytest.LogCaptureFixture) -> None:
        found: dict[str, list[str]] = {}
        for case_id in (DR, MED):
            bundle = self.service.tribunal_bundle(case_id, "clerk", at=self.at())
            assert bundle.items, "the bundle carries the open documents"
            found[f"bundle {case_id}"] = hits(bundle.to_json() + bundle.to_text())
        found["errors"] = hits("\n".join(self.errors))
        found["logs"] = hits(caplog.text + "\n".join(
            f"{r.getMessage()} {r.args!r} {r.exc_text} {r.stack_info}" for r in caplog.records))
        trail = self.service.store.audit_trail()
        found["audit"] = hits("\n".join(repr(e) + repr(attrs.asdict(e)) for e in trail))
        assert self.observer.seen, "the observing plugin was told of the changes"
        found["events"] = hits("\n".join(self.observer.seen))
        assert {where: names for where, names in found.items() if names} == {}


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ["sen_disagreement", *logging.root.manager.loggerDict]:
        if name.startswith("sen_disagreement"):
            caplog.set_level(logging.DEBUG, logger=name)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    store = open_store(f"sqlite:///{tmp_path / 'canary.sqlite3'}")
    pm = make_plugin_manager(load_entry_points=True)
    observer = Observer()
    pm.register(observer, name="canary-observer")
    hooks = Hooks(pm, timeout=None, attention=StoreAttentionQueue(store))
    with store:
        w = World(CaseService(store, hooks, StaticActorDirectory(ACTORS)), observer)
        _build(w)
        yield w


def _build(w: World) -> None:
    parent = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"))
    la = CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                   identifiers=Identifiers(gss_code=COUNCIL)))
    school = CaseParty("school", Party(kind=PartyKind.SCHOOL, name="St X"))
    svc = w.service
    svc.open_case("officer", OpenDisagreementResolution(
        case_id=DR, council=COUNCIL, parties=[parent, la, school],
        issues=[Issue(issue_id="speech", section=PlanSection.F)]), at=w.at())
    w.do(DR, "officer", st.SeekAgreement())
    for user, pid in (("sam", "parent"), ("officer", "sefton"), ("head", "school")):
        w.do(DR, user, st.AcceptDecision(party_id=pid))
    w.do(DR, "officer", st.AssignProvider())
    w.do(DR, "gm", st.ArrangeMeeting(meeting_date=w.today()))
    w.do(DR, "gm", st.HoldMeeting(on=w.today()))
    wp, conf = Disclosure.WITHOUT_PREJUDICE, Disclosure.CONFIDENTIAL
    w.item(DR, "officer", "dr-offer", ItemKind.OFFER, wp, CANARY["dr-offer"], True)
    w.item(DR, "sam", "dr-comment", ItemKind.COMMENT, wp, CANARY["dr-comment"], True)
    w.item(DR, "gm", "dr-provider-note", ItemKind.NOTE, conf, CANARY["dr-provider-note"])
    w.item(DR, "officer", "dr-la-note", ItemKind.NOTE, conf, CANARY["dr-la-note"])
    w.item(DR, "officer", "dr-letter", ItemKind.DOCUMENT, Disclosure.PARTIES, "Referral letter")

    notice = DecisionNotice(sent_on=w.today(), contents=set(Reg32Item),
                            decisions=[AppealableDecision.PLAN_SPECIAL_EDUCATIONAL_PROVISION])
    svc.open_case("officer", OpenMediation(case_id=MED, council=COUNCIL, parties=[parent, la],
                                           notice=notice), at=w.at())
    w.do(MED, "sam", st.ContactAdviser(adviser_id="adviser-org", on=w.today(),
                                       adviser=Party(kind=PartyKind.MEDIATION_ADVISER,
                                                     name="Adviser")))
    w.do(MED, "adv", st.GiveInformation(on=w.today()))
    w.do(MED, "sam", st.AcceptDecision(party_id="parent", told_la_on=w.today()))
    w.do(MED, "sam", st.RecordIssue(issue=Issue(issue_id="speech", section=PlanSection.F)))
    w.do(MED, "officer", st.ConfirmIssues())
    w.do(MED, "officer", st.ChooseRoute())
    w.do(MED, "officer", st.ArrangeMeeting(
        meeting_date=w.today() + dt.timedelta(days=14), mediator_id="mediator-org",
        mediator=Party(kind=PartyKind.MEDIATOR, name="Mediator")))
    w.do(MED, "med", st.HoldMeeting(on=w.today()))
    w.item(MED, "officer", "med-offer", ItemKind.OFFER, wp, CANARY["med-offer"], True)
    w.item(MED, "sam", "med-comment", ItemKind.COMMENT, wp, CANARY["med-comment"], True)
    w.item(MED, "med", "med-mediator-note", ItemKind.NOTE, conf, CANARY["med-mediator-note"])
    w.item(MED, "adv", "med-adviser-note", ItemKind.NOTE, conf, CANARY["med-adviser-note"])
    w.item(MED, "officer", "med-la-note", ItemKind.NOTE, conf, CANARY["med-la-note"])
    w.do(MED, "med", st.IssueCertificate(on=w.today()))
    w.do(MED, "med", st.RecordAgreement(
        document_id="agreement", text="Written agreement: therapy weekly", agreed_on=w.today(),
        actions=[AgreedAction(action_id="a1", kind=ActionKind.NON_APPEALABLE,
                              by=PartyKind.LOCAL_AUTHORITY)]))
    for case_id, prefix in ((DR, "dr-"), (MED, "med-")):  # the canaries really are stored
        document = svc.store.load(case_id).document
        assert all(CANARY[n] in document for n in CANARY if n.startswith(prefix))


# --- forged labels ------------------------------------------------------------------------------


def test_without_prejudice_canary_never_reaches_a_bundle_against_forged_labels(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    versions = {c: world.service.store.load(c).version for c in (DR, MED)}
    n = 0
    for case_id, user, note in ((DR, "gm", "dr-provider-note"), (MED, "med", "med-mediator-note"),
                                (MED, "adv", "med-adviser-note")):
        for kind in (ItemKind.NOTE, ItemKind.DOCUMENT, ItemKind.COMMENT, ItemKind.OUTCOME):
            for disclosure in (Disclosure.PARTIES, Disclosure.PUBLIC):
                n += 1  # a facilitator's summary of the meeting, labelled open
                world.refused(InvalidInputError, world.item, case_id, user, f"summary-{n}",
                              kind, disclosure, CANARY[note])
    for case_id, offer in ((DR, "dr-offer"), (MED, "med-offer")):
        for kind, disclosure, in_meeting in ((ItemKind.OFFER, Disclosure.PARTIES, True),
                                             (ItemKind.OFFER, Disclosure.PUBLIC, False),
                                             (ItemKind.COMMENT, Disclosure.PARTIES, False),
                                             (ItemKind.NOTE, Disclosure.PARTIES, True)):
            n += 1
            world.refused(InvalidInputError, world.item, case_id, "officer", f"again-{n}",
                          kind, disclosure, CANARY[offer], in_meeting)
        # The kind or class given as a string (kind='offer' once passed as text).
        world.refused(InvalidInputError, st.RecordItem, item_id="str-kind", kind="offer",
                      disclosure=Disclosure.PARTIES, text=CANARY[offer])
        world.refused(InvalidInputError, st.RecordItem, item_id="str-class", kind=ItemKind.NOTE,
                      disclosure="parties", text=CANARY[offer])
        world.refused(InvalidInputError, RecordedItem, item_id="raw", kind="offer",
                      disclosure="parties", recorded_at=world.at(), recorded_by="sefton",
                      in_meeting=False, text=CANARY[offer])
    assert {c: world.service.store.load(c).version for c in (DR, MED)} == versions
    world.do(DR, "gm", st.RecordOutcome(outcomes={"speech": IssueOutcome.PARTLY_AGREED}))
    world.do(DR, "officer", st.Close())
    world.assert_no_canary_anywhere(caplog)


# --- versions written straight to the store -------------------------------------------------------


def _opened(item: RecordedItem) -> RecordedItem:
    meeting = item.kind in MEETING_KINDS
    return attrs.evolve(item, disclosure=Disclosure.PARTIES, in_meeting=False,
                        kind=ItemKind.NOTE if meeting else item.kind)


def test_history_append_only_no_canary_reaches_a_bundle_from_versions_saved_to_the_store(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    store = world.service.store
    for case_id in (DR, MED):
        record = store.load(case_id)
        case = from_record(record)
        later = case.audit.append(attrs.evolve(case.audit.entries[-1], at=world.at()))
        sensitive = {i.item_id for i in case.items if hits(i.text)}
        relabelled = tuple(_opened(i) if i.item_id in sensitive else i for i in case.items)
        la_note_only = tuple(_opened(i) if i.item_id.endswith("la-note") else i
                             for i in case.items)
        truncated = tuple(i for i in case.items if i.item_id not in sensitive)
        for forged in (attrs.evolve(case, items=relabelled, audit=later),
                       attrs.evolve(case, items=relabelled),
                       attrs.evolve(case, items=la_note_only, audit=later),
                       attrs.evolve(case, items=truncated, audit=later),
                       attrs.evolve(case, audit=attrs.evolve(later, entries=later.entries[:3]))):
            world.refused(InvalidInputError, save, store, forged,
                          expected_version=record.version)
        payload = json.loads(record.document)
        for raw in payload["case"]["items"]:
            if hits(raw["text"]):
                raw.update(disclosure="parties", in_meeting=False, kind="note")
        payload["case"]["audit"]["entries"].append(
            dict(payload["case"]["audit"]["entries"][-1], at="2025-06-01T09:00:00+00:00"))
        for document in (json.dumps(payload), json.dumps({"opaque": list(CANARY.values())})):
            hand_edited = attrs.evolve(record, document=document)
            world.refused(InvalidInputError, store.save, hand_edited, record.version,
                          actor="officer")
        other_kind = attrs.evolve(record, kind="mediation" if case_id == DR
                                  else "disagreement_resolution")
        world.refused(InvalidInputError, store.save, other_kind, record.version, actor="officer")
        import_over = attrs.evolve(record, version=0, document=json.dumps(payload))
        world.refused((StaleWriteError, InvalidInputError), store.save_many, [import_over],
                      actor="officer")
        assert store.load(case_id) == record  # nothing was written
    world.assert_no_canary_anywhere(caplog)


def test_facilitator_records_no_store_version_lets_an_officer_read_a_facilitator_note(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # A version that drops or renames the provider, adviser or mediator would make their
    # confidential notes look like a party's own, readable by an LA officer.
    store = world.service.store
    leaks: dict[str, list[str]] = {}
    for case_id, changes in ((DR, {"provider": None}), (MED, {"adviser": None}),
                             (MED, {"mediator": None})):
        record = store.load(case_id)
        case = from_record(record)
        later = case.audit.append(attrs.evolve(case.audit.entries[-1], at=world.at()))
        forged = attrs.evolve(case, audit=later, **changes)  # type: ignore[arg-type]
        try:
            save(store, forged, expected_version=record.version)
        except InvalidInputError as exc:
            world.errors.append(describe(exc))
        texts = [i.text for i in world.service.readable_items(case_id, "officer", at=world.at())]
        leaked = [n for n in hits("\n".join(texts)) if n in FACILITATOR_NOTES]
        if leaked:
            leaks[f"{case_id} saved with {changes}"] = leaked
    world.assert_no_canary_anywhere(caplog)
    assert leaks == {}, "the LA officer reads a facilitator's confidential note"


# --- wrong and forged actors ------------------------------------------------------------------


def test_access_policy_wrong_and_forged_actors_never_get_a_canary(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    svc = world.service
    forged = [Actor(actor_id="clerk-wirral", role=Role.TRIBUNAL_EXPORTER, council=COUNCIL),
              Actor(actor_id="officer", role=Role.PROVIDER, organisation="global-mediation"),
              Actor(actor_id="pat", role=Role.FAMILY, grants={_G(case_id=DR, party_id="parent"),
                                                              _G(case_id=MED, party_id="parent")}),
              Actor(actor_id="clerk", role=Role.MEDIATOR, organisation="mediator-org")]
    unknown = Actor(actor_id="mallory", role=Role.TRIBUNAL_EXPORTER, council=COUNCIL)
    for case_id in (DR, MED):
        copy = st.RecordItem(item_id="copy", kind=ItemKind.NOTE, disclosure=Disclosure.PARTIES,
                             text="copy")
        for user in [u for u in USERS if u != "clerk"]:
            world.refused(AccessDeniedError, svc.tribunal_bundle, case_id, user)
        for actor in forged:
            world.refused(AccessDeniedError, svc.tribunal_bundle, case_id, actor)
            world.refused(AccessDeniedError, svc.readable_items, case_id, actor)
            world.refused(AccessDeniedError, svc.apply, case_id, actor, copy)
        world.refused(LookupError, svc.tribunal_bundle, case_id, unknown)
        case, _ = svc.load(case_id)
        for item in (i for i in case.items if hits(i.text)):
            name = hits(item.text)[0]
            readers = [*OUTSIDERS, "clerk"]
            if name in WP_ITEMS or name in FACILITATOR_NOTES:
                readers.append("officer")
            for user in readers:
                world.refused(AccessDeniedError, svc.read_item, case_id, item.item_id, user)
            for user in [*OUTSIDERS, "clerk"]:
                world.refused(AccessDeniedError, svc.subject_access_export, case_id, user,
                              subject_id="parent")
        for user in OUTSIDERS:
            assert svc.readable_items(case_id, user) == ()
        assert hits("\n".join(i.text for i in svc.readable_items(case_id, "clerk"))) == []
        officer_reads = hits("\n".join(i.text for i in svc.readable_items(case_id, "officer")))
        assert set(officer_reads) <= {"dr-la-note", "med-la-note"}
        sar = svc.subject_access_export(case_id, "officer", subject_id="parent")
        assert hits(sar.to_json() + sar.to_text()) == []  # sensitive text withheld by default
        for item_id in ("dr-offer", "med-offer", "dr-provider-note", "med-mediator-note"):
            if item_id.startswith(case_id.split("-")[1]):
                world.refused(AccessDeniedError, svc.subject_access_export, case_id, "officer",
                              subject_id="parent", redactions={item_id: Redaction.RELEASE})
    world.assert_no_canary_anywhere(caplog)


# --- the CLI ------------------------------------------------------------------------------------


def test_without_prejudice_demo_offer_never_printed_by_the_cli(tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("sen-disagreement")
    done = subprocess.run([str(cli), "demo", "--db", str(tmp_path / "demo.sqlite3")],
                          capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Tribunal bundle" in done.stdout
    output = done.stdout + done.stderr
    assert DEMO_OFFER not in output and "termly review" not in output
    with open_store(f"sqlite:///{tmp_path / 'demo.sqlite3'}") as store:
        assert DEMO_OFFER in store.load("sefton-dr-0001").document  # the offer was recorded
        assert not any(DEMO_OFFER in repr(e) for e in store.audit_trail())
