"""Provider routing with independence checks, several councils in one installation, and the
records plugins exchange."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from types import ModuleType

import pytest

from sen_disagreement.council import (
    CaseContext,
    CaseEvent,
    Contact,
    ContactRole,
    CouncilProfile,
    LoggingChannel,
    Notification,
    Provider,
    route_provider,
)
from sen_disagreement.errors import IndependenceError, InvalidInputError, NoProviderError
from sen_disagreement.parties import Employer, Identifiers, Party, PartyKind
from sen_disagreement.plugins import Hooks
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.plugins.testing import RegisterPlugin
from sen_disagreement.voluntary import Process

DR = Process.DISAGREEMENT_RESOLUTION
SCHOOL = Party(kind=PartyKind.SCHOOL, name="Example Academy", identifiers=Identifiers(urn="123456"))


def test_a_sefton_case_is_routed_to_global_mediation(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton_module: ModuleType
) -> None:
    register_sen_plugin(sefton_module, name="sefton")
    for key in ("sefton", "E08000014", "343", "Sefton"):
        routing = route_provider(sen_hooks, key, CaseContext(case_id="S-1", process=DR))
        assert routing.provider.name == "Global Mediation"
        assert routing.council.slug == "sefton"
        assert not routing.parked
        assert "s57.independence.local_authority" in {
            r.rule_id for r in routing.independence.rules_applied
        }


def test_without_the_sefton_plugin_there_is_no_provider(sen_hooks: Hooks) -> None:
    with pytest.raises(NoProviderError, match=r"^no provider configured for Sefton"):
        route_provider(sen_hooks, "sefton", CaseContext(case_id="S-1", process=DR))


def test_sefton_declares_no_mediator(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton_module: ModuleType
) -> None:
    register_sen_plugin(sefton_module, name="sefton")
    case = CaseContext(case_id="S-2", process=Process.MEDIATION)
    with pytest.raises(NoProviderError, match="no provider configured for Sefton: no mediator"):
        route_provider(sen_hooks, "sefton", case)


def test_several_councils_share_one_installation(
    sen_hooks: Hooks,
    register_sen_plugin: RegisterPlugin,
    sefton_module: ModuleType,
    wirral_module: ModuleType,
) -> None:
    register_sen_plugin(sefton_module, name="sefton")
    register_sen_plugin(wirral_module, name="wirral")
    routed = {
        slug: route_provider(sen_hooks, slug, CaseContext(case_id=f"{slug}-1", process=DR))
        for slug in ("sefton", "wirral")
    }
    assert routed["sefton"].provider.provider_id == "global-mediation"
    assert routed["wirral"].provider.provider_id == "wired"
    # Wirral's chooser answers only for Wirral: a Sefton health case still goes to Sefton's own
    health = CaseContext(case_id="s-h", process=DR, health_in_issue=True)
    assert route_provider(sen_hooks, "sefton", health).provider.provider_id == "global-mediation"
    assert {c.role for c in sen_hooks.contacts(routed["sefton"].council)} == {
        ContactRole.SEN_CASEWORK_TEAM
    }
    assert [c.name for c in sen_hooks.channels(routed["sefton"].council)] == ["log"]
    assert [c.name for c in sen_hooks.channels(routed["wirral"].council)] == [
        "wirral-casework-inbox",
        "log",
    ]


COUNCIL = CouncilProfile(name="Testshire", gss_code="E06000904", la_number="904", slug="testshire")


def _council_with(*providers: Provider) -> object:
    class Plugin:
        @hookimpl
        def sen_register_councils(self) -> Sequence[CouncilProfile]:
            return (COUNCIL,)

        @hookimpl
        def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
            return providers if council == COUNCIL else ()

    return Plugin()


def test_a_provider_employed_by_a_local_authority_is_never_offered(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    in_house = Provider(
        provider_id="in-house",
        name="In-house team",
        kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER,
        employer=Employer(kind=PartyKind.LOCAL_AUTHORITY, name="Testshire Council"),
    )
    independent = Provider(
        provider_id="independent",
        name="Independent",
        kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER,
    )
    register_sen_plugin(_council_with(in_house, independent), name="testshire")
    offered: list[tuple[str, ...]] = []

    class Spy:
        @hookimpl(tryfirst=True)
        def sen_choose_provider(self, candidates: Sequence[Provider]) -> None:
            offered.append(tuple(p.provider_id for p in candidates))

    register_sen_plugin(Spy(), name="spy")
    routing = route_provider(sen_hooks, COUNCIL, CaseContext(case_id="T-1", process=DR))
    assert routing.provider == independent
    assert offered == [("independent",)]


def test_only_non_independent_providers_is_an_independence_error(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    school_staff = Provider(
        provider_id="school-staff",
        name="School staff mediator",
        kind=PartyKind.MEDIATOR,
        employer=Employer(kind=PartyKind.SCHOOL, identifiers=Identifiers(urn="123456")),
    )
    register_sen_plugin(_council_with(school_staff), name="testshire")
    case = CaseContext(case_id="T-2", process=Process.MEDIATION, bodies=(SCHOOL,))
    with pytest.raises(IndependenceError) as caught:
        route_provider(sen_hooks, COUNCIL, case)
    assert caught.value.rule_id == "independence.education_provider"
    # the same mediator is independent for a case about another school
    other = CaseContext(case_id="T-3", process=Process.MEDIATION)
    assert route_provider(sen_hooks, COUNCIL, other).provider == school_staff


def test_health_body_staff_are_refused_only_when_health_is_in_issue(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    icb = Provider(
        provider_id="icb-mediator",
        name="ICB mediator",
        kind=PartyKind.MEDIATOR,
        employer=Employer(kind=PartyKind.INTEGRATED_CARE_BOARD),
    )
    register_sen_plugin(_council_with(icb), name="testshire")
    plain = CaseContext(case_id="T-4", process=Process.MEDIATION)
    assert route_provider(sen_hooks, COUNCIL, plain).provider == icb
    health = CaseContext(case_id="T-5", process=Process.MEDIATION, health_in_issue=True)
    with pytest.raises(IndependenceError, match="s53"):
        route_provider(sen_hooks, COUNCIL, health)


# --- records -----------------------------------------------------------------------------------


def test_case_context_refuses_people() -> None:
    child = Party(kind=PartyKind.CHILD, name="A Child")
    with pytest.raises(InvalidInputError) as caught:
        CaseContext(case_id="X-1", process=DR, bodies=(child,))
    assert caught.value.rule_id == "council.case_context_minimised"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"gss_code": "W06000001"}, "gss_code"),
        ({"la_number": "34"}, "la_number"),
        ({"slug": "Sefton Council"}, "slug"),
        ({"website": "http://insecure.example.org"}, "website"),
    ],
)
def test_council_profile_is_validated(kwargs: dict[str, str], field: str) -> None:
    base = {"name": "Sefton", "gss_code": "E08000014", "la_number": "343", "slug": "sefton"}
    with pytest.raises(InvalidInputError) as caught:
        CouncilProfile(**{**base, **kwargs})
    assert caught.value.field == field


def test_provider_must_be_an_independent_role() -> None:
    with pytest.raises(InvalidInputError, match="kind"):
        Provider(provider_id="la", name="LA", kind=PartyKind.LOCAL_AUTHORITY)


def test_contact_must_be_reachable_and_well_formed() -> None:
    with pytest.raises(InvalidInputError, match="needs an address"):
        Contact(role=ContactRole.SENDIASS, name="IASS")
    with pytest.raises(InvalidInputError, match="telephone"):
        Contact(role=ContactRole.SENDIASS, name="IASS", telephone="call us")
    contact = Contact(
        role=ContactRole.SEN_CASEWORK_TEAM,
        name="Team",
        address_lines=["1 Example Street"],
        town="Bootle",
        postcode="L20 7AP",
    )
    assert contact.address_lines == ("1 Example Street",)


def test_logging_channel_writes_ids_and_template_only(caplog: pytest.LogCaptureFixture) -> None:
    note = Notification(
        case_id="L-1", council="sefton", template="decision.sent", recipient_role="parent"
    )
    with caplog.at_level(logging.INFO):
        LoggingChannel().send(note)
    (record,) = caplog.records
    assert record.getMessage() == (
        "notification case=L-1 council=sefton template=decision.sent to=parent"
    )


def test_case_event_is_utc_and_frozen() -> None:
    with pytest.raises(InvalidInputError):
        CaseEvent(case_id="E-1", name="case.opened", at=dt.datetime(2025, 1, 1))
    event = CaseEvent(case_id="E-1", name="case.opened", at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(AttributeError):
        event.case_id = "E-2"  # type: ignore[misc]
