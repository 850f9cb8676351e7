"""Hostile review of the plugin package (ownership, isolation, faults) and of the reports (SEN2,
metrics, charts, timelines): each test is one attack that worked before its fix.

Plugins: a later plugin's ``trylast`` declaration listed as the council's profile; records
returned with their validators bypassed (``object.__setattr__``) or as subclasses that lie about
equality; the host holding the plugin's own objects after the answer was checked; plugin-chosen
type names in fault details; a second distribution squatting the owner's entry-point name.
Reports: a tampered stored clock id printed in the metrics and crashing the chart (mathtext).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner, Result
from plugins.conftest import SEFTON_SOURCE, FakeDistribution, FakeEntryPoint, _load

from sen_disagreement.actors import Actor, Role
from sen_disagreement.cli import main
from sen_disagreement.council import (
    CaseContext,
    Contact,
    ContactRole,
    CouncilProfile,
    Provider,
    route_provider,
)
from sen_disagreement.errors import PluginError
from sen_disagreement.parties import PartyKind
from sen_disagreement.plugins import FaultKind, Hooks, PluginFault, make_plugin_manager
from sen_disagreement.plugins.oruk import export_council
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.plugins.testing import RegisterPlugin
from sen_disagreement.reports.charts import metrics_chart
from sen_disagreement.reports.metrics import Metrics
from sen_disagreement.settings import Settings
from sen_disagreement.voluntary import Process

CANARY = "Jane Doe has autism"
ROOT = Path(__file__).resolve().parents[1]
ACTORS = ROOT / "docs" / "how-to" / "case-inputs" / "actors.json"
MED = "sefton-med-0001"


@pytest.fixture(scope="module")
def sefton() -> ModuleType:
    return _load(SEFTON_SOURCE, "_sen_test_sefton_plugin")


def _case(case_id: str = "H-1") -> CaseContext:
    return CaseContext(case_id=case_id, process=Process.DISAGREEMENT_RESOLUTION)


# --- plugins: who is listed ---------------------------------------------------------------------


class LateTrylastClaim:
    """Registered after Sefton; asks to be called last so that, were declarations judged in call
    order, its profile would be the one listed."""

    @hookimpl(trylast=True)
    def sen_register_councils(self) -> Sequence[CouncilProfile]:
        return (CouncilProfile(name="Sefton", legal_name="Rogue Borough", gss_code="E08000014",
                               la_number="343", slug="sefton", website="https://rogue.example"),)


def test_a_later_trylast_declaration_is_never_the_listed_profile(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton: ModuleType
) -> None:
    register_sen_plugin(sefton, name="sefton")
    register_sen_plugin(LateTrylastClaim(), name="late-claim")
    listed = sen_hooks.council("E08000014")
    assert listed.website is None and listed.legal_name == "Sefton Metropolitan Borough Council"
    (own,) = sen_hooks.ownership()
    assert own.owner is None and own.claimants == ("sefton", "late-claim")


class FlakyOwner:
    """Sefton's own plugin, whose declaration fails after its first answer (a directory it
    reads is down)."""

    def __init__(self, sefton: ModuleType) -> None:
        self.sefton = sefton
        self.calls = 0

    @hookimpl
    def sen_register_councils(self) -> Sequence[CouncilProfile]:
        self.calls += 1
        if self.calls > 1:
            raise ConnectionError("directory down")
        return (self.sefton.SEFTON,)

    @hookimpl
    def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
        return (self.sefton.GLOBAL_MEDIATION_DR,) if council.slug == "sefton" else ()


class ContestsSefton:
    @hookimpl
    def sen_register_councils(self) -> Sequence[CouncilProfile]:
        return (CouncilProfile(name="Sefton", gss_code="E08000014", la_number="343",
                               slug="sefton"),)

    @hookimpl
    def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
        return (Provider(provider_id="rogue-dr", name="Rogue Resolutions",
                         kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER),)


class DeclaresNothing:
    @hookimpl
    def sen_register_councils(self) -> Sequence[CouncilProfile]:
        return ()


def test_the_owners_outage_never_makes_a_contesting_plugin_the_owner(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton: ModuleType
) -> None:
    register_sen_plugin(FlakyOwner(sefton), name="sefton")
    register_sen_plugin(ContestsSefton(), name="contester")
    assert sen_hooks.ownership()[0].owner is None  # contested
    # Any change of plugins asks again, while Sefton's declaration is failing.
    register_sen_plugin(DeclaresNothing(), name="bystander")
    faults: list[PluginFault] = []
    (own,) = sen_hooks.ownership()
    assert own.owner is None and set(own.claimants) == {"sefton", "contester"}
    providers = sen_hooks.providers(sen_hooks.council("sefton"), faults=faults)
    assert "rogue-dr" not in [p.provider_id for p in providers]


# --- plugins: records the host keeps ------------------------------------------------------------


def _bypassed(record: object, **fields: object) -> object:
    for name, value in fields.items():
        object.__setattr__(record, name, value)
    return record


class ForgedContact:
    """Sefton's delegate, returning a contact whose validators were bypassed after it was
    built: markup in the email, the canary in the name."""

    @hookimpl
    def sen_register_contacts(self, council: CouncilProfile) -> Sequence[Contact]:
        good = Contact(role=ContactRole.SENDIASS, name="Desk", email="desk@example.org")
        return (_bypassed(good, email="<script>alert(1)</script>", name=CANARY * 50),)  # type: ignore[return-value]


def test_a_record_with_bypassed_validators_is_malformed_not_exported(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton: ModuleType
) -> None:
    register_sen_plugin(sefton, name="sefton")
    register_sen_plugin(ForgedContact(), name="forged")
    sen_hooks.delegate("sefton", "forged")
    profile = sen_hooks.council("sefton")
    faults: list[PluginFault] = []
    contacts = sen_hooks.contacts(profile, faults=faults)
    assert [c.name for c in contacts] == ["SEN Casework Team"]
    assert [(f.plugin, f.kind) for f in faults] == [("forged", FaultKind.MALFORMED)]
    assert CANARY not in faults[0].detail and "<script>" not in faults[0].detail
    assert "<script>" not in json.dumps(export_council(sen_hooks, profile))


class KeepsItsProviders:
    """Sefton's delegate: keeps the provider it declared and the one it chose, and rewrites
    both afterwards."""

    def __init__(self) -> None:
        self.declared = Provider(provider_id="kept-dr", name="Kept Resolutions",
                                 kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER)
        self.chosen: list[Provider] = []

    @hookimpl
    def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
        return (self.declared,)

    @hookimpl(tryfirst=True)
    def sen_choose_provider(self, candidates: Sequence[Provider]) -> Provider | None:
        pick = next(p for p in candidates if p.provider_id == "kept-dr")
        self.chosen.append(pick)
        return pick


def test_the_host_never_holds_a_plugins_own_record(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton: ModuleType
) -> None:
    register_sen_plugin(sefton, name="sefton")
    plugin = KeepsItsProviders()
    register_sen_plugin(plugin, name="keeper")
    sen_hooks.delegate("sefton", "keeper")
    routing = route_provider(sen_hooks, "sefton", _case())
    assert routing.provider.provider_id == "kept-dr"
    kept = [p for p in sen_hooks.providers(sen_hooks.council("sefton"))
            if p.provider_id == "kept-dr"]
    # After the independence checks, the plugin rewrites what it declared and what it chose.
    for record in (plugin.declared, *plugin.chosen):
        _bypassed(record, name=CANARY)
    assert routing.provider.name == "Kept Resolutions"
    assert kept[0].name == "Kept Resolutions"


class AlwaysEqual(Provider):
    """A Provider that says it equals anything, to pass 'is it one of the candidates'."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = Provider.__hash__


class ChoosesAnOutsider:
    @hookimpl(tryfirst=True)
    def sen_choose_provider(self, candidates: Sequence[Provider]) -> Provider | None:
        return AlwaysEqual(provider_id="outsider", name="Outsider",
                           kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER)


def test_a_provider_subclass_that_equals_anything_is_not_chosen(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton: ModuleType
) -> None:
    register_sen_plugin(sefton, name="sefton")
    register_sen_plugin(ChoosesAnOutsider(), name="outsider")
    sen_hooks.delegate("sefton", "outsider")
    routing = route_provider(sen_hooks, "sefton", _case())
    assert routing.provider.provider_id == "global-mediation"
    assert type(routing.provider) is Provider
    assert [(f.plugin, f.kind) for f in routing.faults] == [("outsider", FaultKind.MALFORMED)]


class ShiftySettings(Settings):
    """Settings whose answer may change after the host checked it."""


class AnswersShiftySettings:
    @hookimpl
    def sen_council_settings(self, council: CouncilProfile) -> Settings | None:
        return ShiftySettings()

    @hookimpl
    def sen_resolve_actor(self, user_id: str) -> Actor | None:
        class Shifty(Actor):
            pass

        return Shifty(actor_id=user_id, role=Role.LA_OFFICER, council="E08000014")


def test_settings_and_actors_of_a_subclass_are_malformed(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton: ModuleType
) -> None:
    register_sen_plugin(sefton, name="sefton")
    register_sen_plugin(AnswersShiftySettings(), name="shifty")
    sen_hooks.delegate("sefton", "shifty")
    faults: list[PluginFault] = []
    assert sen_hooks.council_settings(sen_hooks.council("sefton"), faults=faults) is None
    assert sen_hooks.resolve_actor("officer-1", faults=faults) is None
    assert [(f.hook, f.kind) for f in faults] == [
        ("sen_council_settings", FaultKind.MALFORMED), ("sen_resolve_actor", FaultKind.MALFORMED)]


class LikeAMediator:
    """Hashes and compares like ``PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER`` (so it passes
    the kind's ``in`` check) and is something else."""

    def __hash__(self) -> int:
        return hash(PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER)

    def __eq__(self, other: object) -> bool:
        return True


class SlipsInAnObject:
    @hookimpl
    def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
        good = Provider(provider_id="slipped", name="Slipped",
                        kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER)
        return (_bypassed(good, kind=LikeAMediator()),)  # type: ignore[return-value]

    @hookimpl
    def sen_register_contacts(self, council: CouncilProfile) -> Sequence[Contact]:
        # Checked in the calling thread, outside the deadline: a huge answer is refused.
        return [Contact(role=ContactRole.SENDIASS, name="Desk", email="desk@example.org")] * 5000


def test_an_object_posing_as_an_enum_member_or_a_huge_answer_is_malformed(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton: ModuleType
) -> None:
    register_sen_plugin(sefton, name="sefton")
    register_sen_plugin(SlipsInAnObject(), name="slipper")
    sen_hooks.delegate("sefton", "slipper")
    profile = sen_hooks.council("sefton")
    faults: list[PluginFault] = []
    assert [p.provider_id for p in sen_hooks.providers(profile, faults=faults)] == [
        "global-mediation"]
    assert [c.name for c in sen_hooks.contacts(profile, faults=faults)] == ["SEN Casework Team"]
    assert [(f.hook, f.kind) for f in faults] == [
        ("sen_register_providers", FaultKind.MALFORMED),
        ("sen_register_contacts", FaultKind.MALFORMED)]


class MintsOfficers:
    """Registered after Sefton (so called first): says any user is an officer of Sefton."""

    @hookimpl
    def sen_resolve_actor(self, user_id: str) -> Actor | None:
        return Actor(actor_id=user_id, role=Role.LA_OFFICER, council="sefton")


def test_a_plugin_not_heard_for_a_council_cannot_mint_its_officers(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton: ModuleType
) -> None:
    register_sen_plugin(sefton, name="sefton")
    register_sen_plugin(MintsOfficers(), name="mint")
    faults: list[PluginFault] = []
    assert sen_hooks.resolve_actor("mallory", faults=faults) is None
    assert [(f.plugin, f.hook, f.kind, f.council) for f in faults] == [
        ("mint", "sen_resolve_actor", FaultKind.CONFLICT, "sefton")]
    # The host may bind Sefton's directory to that plugin: then it is heard.
    sen_hooks.delegate("sefton", "mint")
    officer = sen_hooks.resolve_actor("mallory")
    assert officer is not None and officer.role is Role.LA_OFFICER


class Escapes:
    """A council whose name clears the terminal and a contact whose address line returns the
    cursor to overwrite what was printed, both passed to the validators as they are."""

    @hookimpl
    def sen_register_councils(self) -> Sequence[CouncilProfile]:
        return (CouncilProfile(name="Northshire\x1b[2J\x1b[31m", gss_code="E06000901",
                               la_number="901", slug="northshire"),
                CouncilProfile(name="Southshire\u202e", gss_code="E06000902", la_number="902",
                               slug="southshire"))

    @hookimpl
    def sen_register_contacts(self, council: CouncilProfile) -> Sequence[Contact]:
        return (Contact(role=ContactRole.SENDIASS, name="Desk", email="desk@example.org",
                        address_lines=("1 High Street\rFORGED",)),)


def test_plugin_text_with_control_characters_is_malformed(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    register_sen_plugin(sefton, name="sefton")
    register_sen_plugin(Escapes(), name="escapes")
    sen_hooks.delegate("sefton", "escapes")
    faults: list[PluginFault] = []
    assert [c.slug for c in sen_hooks.councils(faults=faults)] == ["sefton"]
    assert [c.name for c in sen_hooks.contacts(sen_hooks.council("sefton"), faults=faults)] == [
        "SEN Casework Team"]
    assert [(f.hook, f.kind) for f in faults] == [
        ("sen_register_councils", FaultKind.MALFORMED),
        ("sen_register_contacts", FaultKind.MALFORMED)]
    # And from the command line, installed as an entry point beside Sefton.
    dists = [FakeDistribution("sen-disagreement-sefton", "0.1.0",
                              [FakeEntryPoint("sefton", sefton)]),
             FakeDistribution("escapes", "1.0", [FakeEntryPoint("escapes", Escapes())])]
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: dists)
    for args in (["plugins"], ["plugins", "--format", "json"], ["council", "sefton"]):
        result = CliRunner().invoke(main, args, env={"SEN_DISAGREEMENT_BLOCK_PLUGINS": ""})
        assert "\x1b" not in result.output and "\r" not in result.output, args
        assert "\u202e" not in result.output and "FORGED" not in result.output, args


class EscapingChannel:
    name = "notify\x1b[2J"
    media: frozenset[object] = frozenset()

    def send(self, notification: object) -> None:
        return None


class RegistersEscapingChannel:
    @hookimpl
    def sen_register_channels(self, council: CouncilProfile) -> Sequence[object]:
        return (EscapingChannel(),)


def test_a_channel_named_with_a_terminal_escape_is_malformed(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton: ModuleType
) -> None:
    register_sen_plugin(sefton, name="sefton")
    register_sen_plugin(RegistersEscapingChannel(), name="escaping")
    faults: list[PluginFault] = []
    names = [c.name for c in sen_hooks.channels(sen_hooks.council("sefton"), faults=faults)]
    assert names == ["log"]
    assert [(f.plugin, f.kind) for f in faults] == [("escaping", FaultKind.MALFORMED)]


class NestsDeep:
    @hookimpl
    def sen_register_contacts(self, council: CouncilProfile) -> Sequence[Contact]:
        deep: tuple[object, ...] = ("1 High Street",)
        for _ in range(100_000):
            deep = (deep,)
        good = Contact(role=ContactRole.SENDIASS, name="Desk", email="desk@example.org")
        return (_bypassed(good, address_lines=deep),)  # type: ignore[return-value]


def test_a_record_nested_past_the_recursion_limit_is_malformed_not_a_crash(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton: ModuleType
) -> None:
    register_sen_plugin(sefton, name="sefton")
    register_sen_plugin(NestsDeep(), name="deep")
    sen_hooks.delegate("sefton", "deep")
    faults: list[PluginFault] = []
    contacts = sen_hooks.contacts(sen_hooks.council("sefton"), faults=faults)
    assert [c.name for c in contacts] == ["SEN Casework Team"]
    assert [(f.plugin, f.kind) for f in faults] == [("deep", FaultKind.MALFORMED)]


# --- plugins: what a fault says -----------------------------------------------------------------

_LOUD = f"{CANARY} <b>born 2015-03-01</b>\nplugin fault: plugin=sefton forged"


class NamesItsTypes:
    """Raises and returns values whose type names are case content, markup and a forged log
    line."""

    @hookimpl
    def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
        raise type(_LOUD, (RuntimeError,), {})()

    @hookimpl
    def sen_register_contacts(self, council: CouncilProfile) -> Sequence[Contact]:
        return type(_LOUD, (), {})()  # type: ignore[no-any-return]

    @hookimpl
    def sen_register_channels(self, council: CouncilProfile) -> Sequence[object]:
        return (type(_LOUD, (), {})(),)


def test_a_fault_never_repeats_a_plugin_chosen_type_name(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton: ModuleType,
    caplog: pytest.LogCaptureFixture,
) -> None:
    register_sen_plugin(sefton, name="sefton")
    register_sen_plugin(NamesItsTypes(), name="loud")
    sen_hooks.delegate("sefton", "loud")
    profile = sen_hooks.council("sefton")
    faults: list[PluginFault] = []
    sen_hooks.providers(profile, faults=faults)
    sen_hooks.contacts(profile, faults=faults)
    sen_hooks.channels(profile, faults=faults)
    assert [f.kind for f in faults] == [FaultKind.RAISED, FaultKind.MALFORMED,
                                        FaultKind.MALFORMED]
    for fault in faults:
        assert "Jane" not in fault.detail and "<b>" not in fault.detail
        assert "\n" not in fault.detail
    assert "Jane" not in caplog.text and "forged" not in caplog.text


# --- plugins: the owner's entry-point name ------------------------------------------------------


def test_a_second_distribution_publishing_the_owners_entry_point_name_is_refused(
    monkeypatch: pytest.MonkeyPatch, sefton: ModuleType
) -> None:
    squatter = ModuleType("squatter")
    dists = [
        FakeDistribution("sen-disagreement-squatter", "6.6.6",
                         [FakeEntryPoint("sefton", squatter)]),
        FakeDistribution("sen-disagreement-sefton", "0.1.0", [FakeEntryPoint("sefton", sefton)]),
    ]
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: dists)
    with pytest.raises(PluginError) as caught:
        make_plugin_manager(environ={})
    message = str(caught.value)
    assert "sen-disagreement-squatter" in message and "sen-disagreement-sefton" in message
    assert caught.value.plugin == "sefton"


def test_one_distribution_listed_twice_is_not_a_squatter(
    monkeypatch: pytest.MonkeyPatch, sefton: ModuleType
) -> None:
    # The same distribution seen twice on sys.path (an editable install beside a wheel).
    dists = [FakeDistribution("sen-disagreement-sefton", v, [FakeEntryPoint("sefton", sefton)])
             for v in ("0.1.0", "0.1.0")]
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: dists)
    pm = make_plugin_manager(environ={})
    assert pm.get_plugin("sefton") is sefton


def test_an_entry_point_named_like_the_defaults_is_refused(
    monkeypatch: pytest.MonkeyPatch, sefton: ModuleType
) -> None:
    # Registered under the defaults' name, a package would be heard for every council.
    impostor = ModuleType("impostor")
    dists = [FakeDistribution("sen-disagreement-sefton", "0.1.0",
                              [FakeEntryPoint("sefton", sefton)]),
             FakeDistribution("impostor", "1.0",
                              [FakeEntryPoint("sen_disagreement.defaults", impostor)])]
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: dists)
    with pytest.raises(PluginError) as caught:
        make_plugin_manager(environ={})
    assert caught.value.plugin == "sen_disagreement.defaults" and "impostor" in str(caught.value)


# --- reports: tampered stored documents ---------------------------------------------------------


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sen_disagreement.walkthrough import run

    db = tmp_path_factory.mktemp("hostile-walkthrough") / "sefton.sqlite3"
    run(db)
    return db


@pytest.fixture
def tampered_clock(walkthrough: Path, tmp_path: Path) -> Path:
    """The walkthrough's store with the mediation's first deadline's clock id rewritten in the
    stored document (the key and the deadlines table untouched)."""
    db = tmp_path / "tampered.sqlite3"
    shutil.copy(walkthrough, db)
    con = sqlite3.connect(db)
    (text,) = con.execute("SELECT document FROM cases WHERE case_id = ?", (MED,)).fetchone()
    doc = json.loads(text)
    doc["case"]["deadlines"][0]["clock_id"] = f"{CANARY} <script>x</script> $\\frac{{$ $"
    con.execute("UPDATE cases SET document = ? WHERE case_id = ?", (json.dumps(doc), MED))
    con.commit()
    con.close()
    return db


def _run(db: Path, *args: str) -> Result:
    env = {"SEN_DISAGREEMENT_DB": f"sqlite:///{db}", "SEN_DISAGREEMENT_ACTORS": str(ACTORS),
           "SEN_DISAGREEMENT_USER": "sen-casework-1"}
    return CliRunner().invoke(main, list(args), env=env)


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "svg"])
def test_a_tampered_clock_id_is_an_unreadable_case_not_a_metric(tampered_clock: Path,
                                                                 fmt: str) -> None:
    result = _run(tampered_clock, "report", "metrics", "--format", fmt)
    assert result.exit_code == 0, result.output
    for needle in ("Jane", "script", "frac"):
        assert needle not in result.output
    if fmt == "json":
        found = json.loads(result.output)
        assert found["unreadable"] == 1 and found["cases"] == 1


def test_a_tampered_clock_id_is_named_in_the_sen2_problems(tampered_clock: Path) -> None:
    result = _run(tampered_clock, "report", "sen2", "--year", "2025", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "Jane" not in result.output
    assert [p["case_id"] for p in json.loads(result.output)["unplaced"]] == [MED]


def test_a_dollar_sign_in_a_chart_label_is_text_not_mathtext() -> None:
    # The chart must not parse what it is given as TeX: an odd label is drawn as written.
    m = Metrics(council="E08000014", start=None, end=dt.date(2025, 1, 1), on=dt.date(2025, 1, 1),
                cases=1, unreadable=0, caseload={"type": {"a$\\frac{$b": 1}, "route": {},
                                                 "state": {}},
                arranged_within_30_days={}, certificates={}, outcome_levels={},
                issue_outcomes={}, stage_days={"x": {"cases": 0, "median": None, "p90": None}},
                deadlines={})
    svg = metrics_chart(m)
    assert isinstance(svg, str) and "a$\\frac{$b" in svg


def test_reports_date_a_case_by_englands_day_not_utcs(tmp_path: Path) -> None:
    # 00:30 BST on 1 April 2025 is 23:30 UTC on 31 March: the council's April.
    from sen_disagreement.ehc import PlanSection
    from sen_disagreement.parties import Identifiers, Party
    from sen_disagreement.reports.metrics import metrics_report
    from sen_disagreement.reports.timeline import build
    from sen_disagreement.service import CaseService, OpenDisagreementResolution
    from sen_disagreement.walkthrough import COUNCIL, OFFICER, directory
    from sen_disagreement.workflow import CaseParty, PartyContact
    from sen_disagreement.workflow.issues import Issue

    service = CaseService.open(f"sqlite:///{tmp_path / 'bst.sqlite3'}", directory=directory(),
                               timeout=None)
    with service.store:
        service.open_case(OFFICER, OpenDisagreementResolution(
            case_id="sefton-dr-0001", council=COUNCIL,
            parties=[CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"),
                               PartyContact(email="sam.parent@example.org")),
                     CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                               name="Sefton Council",
                                               identifiers=Identifiers(gss_code=COUNCIL,
                                                                       la_number="343")))],
            issues=[Issue(issue_id="speech", section=PlanSection.F)],
        ), at=dt.datetime(2025, 3, 31, 23, 30, tzinfo=dt.UTC))
        april = metrics_report(service, OFFICER, start=dt.date(2025, 4, 1),
                               end=dt.date(2025, 4, 30))
        march = metrics_report(service, OFFICER, start=dt.date(2025, 3, 1),
                               end=dt.date(2025, 3, 31))
        case, _ = service.case_for("sefton-dr-0001", OFFICER)
    assert (april.cases, march.cases) == (1, 0)
    assert [e.day for e in build(case, on=dt.date(2025, 4, 2)).events] == [dt.date(2025, 4, 1)]
