"""Council ownership: a plugin speaks only for the councils it declares, or those whose owner
names it a delegate. Hostile plugins registered later, with the real Sefton plugin installed."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from types import ModuleType

import attrs
import pytest
from click.testing import CliRunner

from sen_disagreement.cli import main
from sen_disagreement.council import (
    CaseContext,
    Contact,
    ContactRole,
    CouncilProfile,
    Provider,
    UnknownCouncilError,
    route_provider,
)
from sen_disagreement.errors import InvalidInputError, NoProviderError, PluginError
from sen_disagreement.parties import PartyKind
from sen_disagreement.plugins import BLOCK_ENV_VAR, FaultKind, Hooks, PluginFault, check_plugins
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.plugins.testing import RegisterPlugin
from sen_disagreement.settings import MeetingDeadline, Settings
from sen_disagreement.voluntary import Process

DR = Process.DISAGREEMENT_RESOLUTION
ROGUE = Provider(provider_id="rogue-dr", name="Rogue Resolutions",
                 kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER)
ROGUE_SETTINGS = Settings(arrange_mediation_deadline=MeetingDeadline.ARRANGED)


class EveryCouncil:
    """Registered after Sefton: answers every owned hook for every council it is asked about,
    and tries to be asked first."""

    @hookimpl(tryfirst=True)
    def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
        return (ROGUE,)

    @hookimpl(tryfirst=True)
    def sen_register_contacts(self, council: CouncilProfile) -> Sequence[Contact]:
        return (Contact(role=ContactRole.SEN_CASEWORK_TEAM, name="Rogue desk",
                        email="desk@rogue.example"),)

    @hookimpl(tryfirst=True)
    def sen_choose_provider(self, candidates: Sequence[Provider]) -> Provider | None:
        return candidates[-1]

    @hookimpl(tryfirst=True)
    def sen_council_settings(self, council: CouncilProfile) -> Settings | None:
        return ROGUE_SETTINGS


def _sefton_case(case_id: str = "S-own-1") -> CaseContext:
    return CaseContext(case_id=case_id, process=DR)


def test_a_late_plugin_answering_for_every_council_cannot_route_seftons_cases(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton_module: ModuleType
) -> None:
    register_sen_plugin(sefton_module, name="sefton")
    register_sen_plugin(EveryCouncil(), name="every-council")
    sefton = sen_hooks.council("sefton")
    routing = route_provider(sen_hooks, "sefton", _sefton_case())
    assert routing.provider.provider_id == "global-mediation"
    # Ignored, and said so: a fault naming the plugin for each answer it gave (so the case is
    # parked for a person to look at), never a silent takeover.
    assert {(f.plugin, f.hook, f.kind) for f in routing.faults} == {
        ("every-council", "sen_register_providers", FaultKind.CONFLICT),
        ("every-council", "sen_choose_provider", FaultKind.CONFLICT),
    }
    assert {i.case_id for i in sen_hooks.attention.parked()} == {"S-own-1"}
    assert [c.name for c in sen_hooks.contacts(sefton)] == ["SEN Casework Team"]
    assert sen_hooks.council_settings(sefton) is None  # Sefton supplies none: not the rogue's
    assert [p.provider_id for p in sen_hooks.providers(sefton)] == ["global-mediation"]


def test_a_late_plugin_choosing_for_every_council_is_not_asked_to_choose_seftons(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton_module: ModuleType
) -> None:
    second = Provider(provider_id="second-dr", name="Second",
                      kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER)

    class Chooser:
        @hookimpl(tryfirst=True)
        def sen_choose_provider(self, candidates: Sequence[Provider]) -> Provider | None:
            return candidates[-1]

    register_sen_plugin(sefton_module, name="sefton")
    register_sen_plugin(Chooser(), name="chooser")
    sefton = sen_hooks.council("sefton")
    faults: list[PluginFault] = []
    pool = (sefton_module.GLOBAL_MEDIATION_DR, second)
    assert sen_hooks.choose_provider(sefton, _sefton_case(), pool, faults=faults) == pool[0]
    assert [(f.plugin, f.hook, f.kind) for f in faults] == [
        ("chooser", "sen_choose_provider", FaultKind.CONFLICT)]


def test_a_late_plugin_declaring_sefton_too_contests_it_and_takes_nothing(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton_module: ModuleType
) -> None:
    class Impostor(EveryCouncil):
        @hookimpl
        def sen_register_councils(self) -> Sequence[CouncilProfile]:
            # Sefton's own keys, naming itself a delegate: its say-so counts for nothing.
            return (attrs.evolve(sefton_module.SEFTON, delegates=("impostor",)),)

    register_sen_plugin(sefton_module, name="sefton")
    register_sen_plugin(Impostor(), name="impostor")
    faults: list[PluginFault] = []
    [sefton] = sen_hooks.councils(faults=faults)
    # The earliest declaration is listed, without the impostor's delegates; nobody owns it.
    assert sefton.delegates == ()
    assert sorted(f.plugin for f in faults) == ["impostor", "sefton"]
    [ownership] = sen_hooks.ownership()
    assert (ownership.owner, ownership.claimants) == (None, ("sefton", "impostor"))
    with pytest.raises(NoProviderError, match="no provider configured for Sefton"):
        route_provider(sen_hooks, "sefton", _sefton_case())
    assert sen_hooks.council_settings(sefton) is None


def test_a_plugin_cannot_make_itself_a_delegate_through_its_copy_of_the_profile(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton_module: ModuleType
) -> None:
    class Writer:
        @hookimpl(tryfirst=True)
        def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
            object.__setattr__(council, "delegates", ("writer",))
            return (ROGUE,)

    register_sen_plugin(sefton_module, name="sefton")
    register_sen_plugin(Writer(), name="writer")
    sefton = sen_hooks.council("sefton")
    for _ in range(2):  # the second time it is handed its own written copy: still not heard
        faults: list[PluginFault] = []
        assert [p.provider_id for p in sen_hooks.providers(sefton, faults=faults)] == [
            "global-mediation"]
        assert [f.plugin for f in faults] == ["writer"]
    assert sen_hooks.council("sefton").delegates == ()
    assert sen_hooks.ownership()[0].delegates == ()


def test_a_plugin_declaring_its_own_council_gains_nothing_over_another(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton_module: ModuleType
) -> None:
    class OwnCouncil(EveryCouncil):
        @hookimpl
        def sen_register_councils(self) -> Sequence[CouncilProfile]:
            return (CouncilProfile(name="Elsewhere", gss_code="E06000998", la_number="998",
                                   slug="elsewhere", delegates=("own-council",)),)

    register_sen_plugin(sefton_module, name="sefton")
    register_sen_plugin(OwnCouncil(), name="own-council")
    routing = route_provider(sen_hooks, "sefton", _sefton_case())
    assert routing.provider.provider_id == "global-mediation"
    # For its own council it is heard.
    assert [p.provider_id for p in sen_hooks.providers(sen_hooks.council("elsewhere"))] == [
        "rogue-dr"]


def test_a_council_delegates_to_a_regional_provider_by_name(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    mediator = Provider(provider_id="regional-med", name="Regional Mediation",
                        kind=PartyKind.MEDIATOR)

    class Council:
        @hookimpl
        def sen_register_councils(self) -> Sequence[CouncilProfile]:
            return (CouncilProfile(name="Delegating", gss_code="E06000997", la_number="997",
                                   slug="delegating", delegates=("regional",)),)

    class Regional:
        @hookimpl
        def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
            return (mediator,)

    register_sen_plugin(Council(), name="delegating")
    register_sen_plugin(Regional(), name="regional")
    case = CaseContext(case_id="D-1", process=Process.MEDIATION)
    routing = route_provider(sen_hooks, "delegating", case)
    assert (routing.provider, routing.faults) == (mediator, ())
    check_plugins(sen_hooks.plugin_manager, hooks=sen_hooks)  # raises on an ownership fault


def test_the_host_grants_a_development_plugin_a_council_and_nothing_else(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton_module: ModuleType
) -> None:
    adviser = Contact(role=ContactRole.MEDIATION_ADVISER, name="Example adviser",
                      email="adviser@example.org")

    class Adviser:
        @hookimpl
        def sen_register_contacts(self, council: CouncilProfile) -> Sequence[Contact]:
            return (adviser,)

    register_sen_plugin(sefton_module, name="sefton")
    register_sen_plugin(Adviser(), name="dev.adviser")
    sefton = sen_hooks.council("sefton")
    assert adviser not in sen_hooks.contacts(sefton)
    with pytest.raises(PluginError, match=r"dev\.adviser"):
        check_plugins(sen_hooks.plugin_manager, hooks=sen_hooks)
    sen_hooks.delegate("sefton", "dev.adviser")
    assert adviser in sen_hooks.contacts(sefton)
    assert sen_hooks.ownership()[0].delegates == ("dev.adviser",)
    check_plugins(sen_hooks.plugin_manager, hooks=sen_hooks)
    with pytest.raises(UnknownCouncilError):
        sen_hooks.delegate("nowhere", "dev.adviser")
    with pytest.raises(ValueError, match="registered plugin's name"):
        sen_hooks.delegate("sefton", " ")


def test_answers_for_a_council_nobody_declares_are_not_heard(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    register_sen_plugin(EveryCouncil(), name="every-council")
    nowhere = CouncilProfile(name="Nowhere", gss_code="E06000996", la_number="996", slug="nowhere")
    faults: list[PluginFault] = []
    assert sen_hooks.providers(nowhere, faults=faults) == []
    assert [f.kind for f in faults] == [FaultKind.CONFLICT]


def test_council_delegates_validation_names_the_field() -> None:
    def profile(delegates: object) -> CouncilProfile:
        return CouncilProfile(name="X", gss_code="E06000995", la_number="995", slug="x",
                              delegates=delegates)  # type: ignore[arg-type]

    assert profile("one").delegates == ("one",)
    for bad, where in (((" ",), "delegates[0]"), (("a", "a"), "delegates[1]"),
                       ((1,), "delegates[0]"), (tuple(str(i) for i in range(33)), "delegates")):
        with pytest.raises(InvalidInputError) as caught:
            profile(bad)
        assert (caught.value.field, caught.value.rule_id) == (where, "council.delegates")


InstallFakes = Callable[..., None]


def test_the_plugins_command_shows_owners_delegates_and_ownership_faults(
    fake_distributions: InstallFakes, sefton_module: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(BLOCK_ENV_VAR, raising=False)
    fake_distributions(
        ("sen-disagreement-sefton", "0.1.0", {"sefton": sefton_module}),
        ("rogue", "6.6.6", {"every-council": EveryCouncil()}),
    )
    runner = CliRunner()
    result = runner.invoke(main, ["plugins"])
    assert result.exit_code == 0, result.output
    assert "    owns: sefton" in result.output
    assert "Plugin faults:" in result.output
    assert "every-council sen_register_providers council sefton (conflict)" in result.output
    data = json.loads(runner.invoke(main, ["plugins", "--format", "json"]).output)
    by_name = {p["name"]: p for p in data}
    assert by_name["sefton"]["owns"] == ["sefton"]
    assert by_name["sefton"]["faults"] == []
    assert {f["hook"] for f in by_name["every-council"]["faults"]} == {
        "sen_register_providers", "sen_register_contacts", "sen_council_settings",
        "sen_choose_provider"}


def test_declarations_key_changes_only_when_the_councils_declarations_do(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton_module: ModuleType
) -> None:
    register_sen_plugin(sefton_module, name="sefton")
    first = sen_hooks.declarations_key()
    assert sen_hooks.declarations_key() is first  # unchanged: the same object
    register_sen_plugin(EveryCouncil(), name="every-council")  # declares no council
    assert sen_hooks.declarations_key() is first

    class Second:
        @hookimpl
        def sen_register_councils(self) -> Sequence[CouncilProfile]:
            return (CouncilProfile(name="Wirral", gss_code="E08000015", la_number="344",
                                   slug="wirral"),)

    register_sen_plugin(Second(), name="wirral")
    assert sen_hooks.declarations_key() is not first


def test_has_implementations_answers_for_hooks_of_the_specification_only(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    assert sen_hooks.has_implementations("sen_after_case_event") is False

    class Observer:
        @hookimpl
        def sen_after_case_event(self, council: CouncilProfile, event: object) -> None:
            return None

    register_sen_plugin(Observer(), name="observer")
    assert sen_hooks.has_implementations("sen_after_case_event") is True
    with pytest.raises(InvalidInputError) as err:
        sen_hooks.has_implementations("sen_not_a_hook")
    assert (err.value.field, err.value.rule_id) == ("hook", "input.enum")
