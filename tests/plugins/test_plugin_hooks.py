"""One test (at least) per hook, through the typed facade: what each hook combines, in which order,
and how a bad answer is isolated."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

import attrs
import pytest

from sen_disagreement.council import (
    CaseContext,
    CaseEvent,
    Contact,
    ContactRole,
    CouncilProfile,
    FaultKind,
    Notification,
    NotificationChannel,
    PluginFault,
    Provider,
    send_notification,
)
from sen_disagreement.parties import PartyKind
from sen_disagreement.plugins import Hooks
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.plugins.testing import RegisterPlugin
from sen_disagreement.voluntary import Process

NORTH = CouncilProfile(name="Northshire", gss_code="E06000901", la_number="901", slug="northshire")
SOUTH = CouncilProfile(name="Southshire", gss_code="E06000902", la_number="902", slug="southshire")
DR = PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER


def provider(pid: str, kind: PartyKind = DR) -> Provider:
    return Provider(provider_id=pid, name=pid.title(), kind=kind)


class CouncilPlugin:
    """A council plugin serving exactly one council."""

    def __init__(self, council: CouncilProfile, providers: Sequence[Provider] = ()) -> None:
        self.council = council
        self.provided = tuple(providers)

    @hookimpl
    def sen_register_councils(self) -> Sequence[CouncilProfile]:
        return (self.council,)

    @hookimpl
    def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
        return self.provided if council.gss_code == self.council.gss_code else ()


def owned(
    register: RegisterPlugin, council: CouncilProfile, *delegates: str,
    providers: Sequence[Provider] = (),
) -> None:
    """Register ``council``'s own plugin, naming ``delegates`` as the plugins that may answer
    for it besides itself."""
    register(CouncilPlugin(attrs.evolve(council, delegates=delegates), providers),
             name=f"{council.slug}-council")


def test_hook_sen_register_councils(sen_hooks: Hooks, register_sen_plugin: RegisterPlugin) -> None:
    register_sen_plugin(CouncilPlugin(NORTH), name="north")
    register_sen_plugin(CouncilPlugin(SOUTH), name="south")
    assert sorted(c.slug for c in sen_hooks.councils()) == ["northshire", "southshire"]
    assert sen_hooks.council("E06000902") == SOUTH
    assert sen_hooks.council("901") == NORTH
    assert sen_hooks.find_council("Northshire") == NORTH
    assert sen_hooks.find_council("nowhere") is None


def test_hook_sen_register_councils_duplicate_is_a_conflict(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    register_sen_plugin(CouncilPlugin(NORTH, [provider("first-dr")]), name="first")
    register_sen_plugin(CouncilPlugin(NORTH, [provider("second-dr")]), name="second")
    faults: list[PluginFault] = []
    assert sen_hooks.councils(faults=faults) == [NORTH]
    # Both declarations are faults: neither plugin wins the council by registering first or last.
    assert sorted((f.plugin, f.kind, f.hook) for f in faults) == [
        ("first", FaultKind.CONFLICT, "sen_register_councils"),
        ("second", FaultKind.CONFLICT, "sen_register_councils"),
    ]
    [ownership] = sen_hooks.ownership()
    assert ownership.contested and ownership.claimants == ("first", "second")
    # A contested council has no owner, so nobody's providers are heard for it.
    faults = []
    assert sen_hooks.providers(NORTH, faults=faults) == []
    assert sorted(f.plugin for f in faults) == ["first", "second"]


class RegionalMediator:
    """One provider serving several councils from one process: it declares no council, and is
    heard for each council whose plugin names it as a delegate."""

    @hookimpl
    def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
        return (provider(f"regional-{council.slug}", PartyKind.MEDIATOR),)


def test_hook_sen_register_providers(sen_hooks: Hooks, register_sen_plugin: RegisterPlugin) -> None:
    owned(register_sen_plugin, NORTH, "regional", providers=[provider("north-dr")])
    owned(register_sen_plugin, SOUTH, "regional", providers=[provider("south-dr")])
    register_sen_plugin(RegionalMediator(), name="regional")
    assert [p.provider_id for p in sen_hooks.providers(NORTH)] == [
        "regional-northshire",
        "north-dr",
    ]
    assert [p.provider_id for p in sen_hooks.providers(SOUTH)] == [
        "regional-southshire",
        "south-dr",
    ]
    assert [(o.council.slug, o.owner, o.delegates) for o in sen_hooks.ownership()] == [
        ("northshire", "northshire-council", ("regional",)),
        ("southshire", "southshire-council", ("regional",)),
    ]


def test_hook_sen_register_providers_only_for_councils_that_delegate(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    # Northshire names the regional mediator; Southshire does not, so for Southshire its answer
    # is ignored and reported, and Southshire's own provider is the only one.
    owned(register_sen_plugin, NORTH, "regional", providers=[provider("north-dr")])
    owned(register_sen_plugin, SOUTH, providers=[provider("south-dr")])
    register_sen_plugin(RegionalMediator(), name="regional")
    assert [p.provider_id for p in sen_hooks.providers(NORTH)] == [
        "regional-northshire", "north-dr"]
    faults: list[PluginFault] = []
    assert [p.provider_id for p in sen_hooks.providers(SOUTH, faults=faults)] == ["south-dr"]
    assert [(f.plugin, f.hook, f.kind, f.council) for f in faults] == [
        ("regional", "sen_register_providers", FaultKind.CONFLICT, "southshire")
    ]
    assert "neither owns nor is a delegate of" in faults[0].detail


def test_hook_sen_register_providers_repeated_id_is_a_conflict(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    register_sen_plugin(CouncilPlugin(NORTH, [provider("dup"), provider("dup")]), name="north")
    faults: list[PluginFault] = []
    assert [p.provider_id for p in sen_hooks.providers(NORTH, faults=faults)] == ["dup"]
    assert faults[0].kind is FaultKind.CONFLICT
    assert "dup" in faults[0].detail


def test_hook_sen_register_contacts(sen_hooks: Hooks, register_sen_plugin: RegisterPlugin) -> None:
    team = Contact(role=ContactRole.SEN_CASEWORK_TEAM, name="SEN Team", telephone="0151 496 0100")
    iass = Contact(role=ContactRole.SENDIASS, name="IASS", email="iass@example.org")

    class Contacts:
        @hookimpl
        def sen_register_contacts(self, council: CouncilProfile) -> Sequence[Contact]:
            return (team, iass) if council == NORTH else ()

    owned(register_sen_plugin, NORTH, "contacts")
    register_sen_plugin(Contacts(), name="contacts")
    assert sen_hooks.contacts(NORTH) == [team, iass]
    assert sen_hooks.contacts(SOUTH) == []


class RecordingChannel:
    def __init__(self, name: str = "recording") -> None:
        self._name = name
        self.sent: list[Notification] = []

    @property
    def name(self) -> str:
        return self._name

    def send(self, notification: Notification) -> None:
        self.sent.append(notification)


def test_hook_sen_register_channels(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, caplog: pytest.LogCaptureFixture
) -> None:
    channel = RecordingChannel()

    class Channels:
        @hookimpl
        def sen_register_channels(self, council: CouncilProfile) -> Sequence[NotificationChannel]:
            return (channel,) if council == NORTH else ()

    register_sen_plugin(Channels(), name="channels")
    assert [c.name for c in sen_hooks.channels(NORTH)] == ["recording", "log"]
    assert [c.name for c in sen_hooks.channels(SOUTH)] == ["log"]
    note = Notification(
        case_id="N-1", council="northshire", template="mediation.arranged", recipient_role="parent"
    )
    with caplog.at_level(logging.INFO, logger="sen_disagreement.notifications"):
        assert send_notification(sen_hooks, NORTH, note) == ["recording", "log"]
    assert channel.sent == [note]
    assert "case=N-1" in caplog.text
    assert "template=mediation.arranged" in caplog.text


def test_hook_sen_register_channels_rejects_non_channels(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    class Broken:
        @hookimpl
        def sen_register_channels(self) -> object:
            return ("not a channel",)

    register_sen_plugin(Broken(), name="broken")
    faults: list[PluginFault] = []
    assert [c.name for c in sen_hooks.channels(NORTH, faults=faults)] == ["log"]
    assert faults[0].kind is FaultKind.MALFORMED
    assert faults[0].plugin == "broken"


def test_hook_sen_choose_provider(sen_hooks: Hooks, register_sen_plugin: RegisterPlugin) -> None:
    a, b = provider("a"), provider("b")
    calls: list[str] = []

    class Defers:
        @hookimpl(tryfirst=True)
        def sen_choose_provider(self) -> Provider | None:
            calls.append("defers")
            return None

    class PicksB:
        @hookimpl
        def sen_choose_provider(self, candidates: Sequence[Provider]) -> Provider | None:
            calls.append("picks-b")
            return candidates[1]

    class NeverAsked:
        @hookimpl(trylast=True)
        def sen_choose_provider(self) -> Provider | None:
            calls.append("never")
            return None

    owned(register_sen_plugin, NORTH, "never", "picks-b", "defers")
    register_sen_plugin(NeverAsked(), name="never")
    register_sen_plugin(PicksB(), name="picks-b")
    register_sen_plugin(Defers(), name="defers")
    case = CaseContext(case_id="C-1", process=Process.DISAGREEMENT_RESOLUTION)
    assert sen_hooks.choose_provider(NORTH, case, (a, b)) == b
    assert calls == ["defers", "picks-b"]


def test_hook_sen_choose_provider_default_takes_first_candidate(sen_hooks: Hooks) -> None:
    case = CaseContext(case_id="C-2", process=Process.MEDIATION)
    first = provider("first", PartyKind.MEDIATOR)
    assert sen_hooks.choose_provider(NORTH, case, (first, provider("x", PartyKind.MEDIATOR))) == (
        first
    )


def test_hook_sen_choose_provider_refuses_a_provider_not_offered(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    class Rogue:
        @hookimpl(tryfirst=True)
        def sen_choose_provider(self) -> Provider:
            return provider("not-offered")

    register_sen_plugin(Rogue(), name="rogue")
    case = CaseContext(case_id="C-3", process=Process.DISAGREEMENT_RESOLUTION)
    faults: list[PluginFault] = []
    offered = provider("offered")
    assert sen_hooks.choose_provider(NORTH, case, (offered,), faults=faults) == offered
    assert [(f.plugin, f.hook, f.kind) for f in faults] == [
        ("rogue", "sen_choose_provider", FaultKind.MALFORMED)
    ]
    assert "not one of the candidates" in faults[0].detail
    assert [item.case_id for item in sen_hooks.attention.parked()] == ["C-3"]


def test_hook_sen_after_case_event(sen_hooks: Hooks, register_sen_plugin: RegisterPlugin) -> None:
    seen: list[tuple[str, str, str]] = []

    class Observer:
        def __init__(self, label: str) -> None:
            self.label = label

        @hookimpl
        def sen_after_case_event(self, council: CouncilProfile, event: CaseEvent) -> None:
            seen.append((self.label, council.slug, event.name))

    class Failing:
        @hookimpl
        def sen_after_case_event(self) -> None:
            raise RuntimeError("observer broke")

    register_sen_plugin(Observer("one"), name="one")
    register_sen_plugin(Failing(), name="failing")
    register_sen_plugin(Observer("two"), name="two")
    event = CaseEvent(case_id="E-1", name="case.opened", at=dt.datetime(2025, 1, 6, tzinfo=dt.UTC))
    faults: list[PluginFault] = []
    sen_hooks.after_case_event(NORTH, event, faults=faults)
    assert sorted(seen) == [
        ("one", "northshire", "case.opened"),
        ("two", "northshire", "case.opened"),
    ]
    assert [(f.plugin, f.kind) for f in faults] == [("failing", FaultKind.RAISED)]
    assert [i.case_id for i in sen_hooks.attention.parked()] == ["E-1"]


def test_hook_sen_register_councils_answer_kept_until_the_plugins_change(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    calls: list[int] = []

    class Counting:
        @hookimpl
        def sen_register_councils(self) -> list[CouncilProfile]:
            calls.append(1)
            return [CouncilProfile(name="Sefton", gss_code="E08000014", la_number="343",
                                   slug="sefton")]

    register_sen_plugin(Counting(), name="counting")
    for _ in range(3):
        assert sen_hooks.find_council("sefton") is not None
    assert len(calls) == 1
    register_sen_plugin(Counting(), name="counting-2")  # a new plugin: asked again
    faults: list[PluginFault] = []
    sen_hooks.councils(faults=faults)
    assert len(calls) == 3
    assert sorted((f.plugin, f.kind) for f in faults) == [
        ("counting", FaultKind.CONFLICT), ("counting-2", FaultKind.CONFLICT)]
    # The conflict is static: kept with the answer, reported again without asking again.
    again: list[PluginFault] = []
    sen_hooks.councils(faults=again)
    assert len(calls) == 3
    assert again == faults


def test_hook_sen_resolve_actor(sen_hooks: Hooks, register_sen_plugin: RegisterPlugin) -> None:
    from sen_disagreement.actors import Actor, Role

    officer = Actor(actor_id="officer-1", role=Role.LA_OFFICER, council="E08000014")

    class Lies:
        @hookimpl(tryfirst=True)
        def sen_resolve_actor(self, user_id: str) -> Actor | None:
            # Answers for another user, or claims to be the library's own system actor.
            if user_id == "officer-1":
                return Actor(actor_id="someone-else", role=Role.LA_OFFICER, council="X1")
            return Actor(actor_id="system", role=Role.SYSTEM) if user_id == "system" else None

    class Directory:
        @hookimpl
        def sen_resolve_actor(self, user_id: str) -> Actor | None:
            return officer if user_id == "officer-1" else None

    register_sen_plugin(Directory(), name="directory")
    register_sen_plugin(Lies(), name="lies")
    faults: list[PluginFault] = []
    assert sen_hooks.resolve_actor("officer-1", faults=faults) == officer
    assert [f.plugin for f in faults] == ["lies"]
    assert sen_hooks.resolve_actor("system") is None
    assert sen_hooks.resolve_actor("nobody") is None


def test_hook_sen_council_settings(sen_hooks: Hooks, register_sen_plugin: RegisterPlugin) -> None:
    from sen_disagreement.settings import MeetingDeadline, Settings

    north_settings = Settings(arrange_mediation_deadline=MeetingDeadline.ARRANGED)

    class Malformed:
        @hookimpl(tryfirst=True)
        def sen_council_settings(self, council: CouncilProfile) -> object:
            return {"arrange_mediation_deadline": "arranged"} if council == NORTH else None

    class North(CouncilPlugin):
        @hookimpl
        def sen_council_settings(self, council: CouncilProfile) -> Settings | None:
            return north_settings if council == self.council else None

    register_sen_plugin(North(NORTH), name="north")
    register_sen_plugin(CouncilPlugin(SOUTH), name="south")
    assert sen_hooks.council_settings(NORTH) == north_settings
    assert sen_hooks.council_settings(SOUTH) is None  # no plugin answers: the host's settings
    register_sen_plugin(Malformed(), name="malformed")
    faults: list[PluginFault] = []
    # A malformed answer is a fault, and the next plugin is asked.
    assert sen_hooks.council_settings(NORTH, faults=faults) == north_settings
    assert [(f.plugin, f.hook, f.kind) for f in faults] == [
        ("malformed", "sen_council_settings", FaultKind.MALFORMED)
    ]
