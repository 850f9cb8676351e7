"""``Routing.appointee``: the provider as the party its independence was checked against, the
one a case is then assigned (built once by routing, not again by whoever assigns it); and
:func:`~sen_disagreement.parties.detached`, which makes what is checked what is stored."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from host_hooks import HostHooks

from sen_disagreement.council import CaseContext, CouncilProfile, Provider, route_provider
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.parties import Employer, Identifiers, Party, PartyKind, detached
from sen_disagreement.voluntary import Process

NORTH = CouncilProfile(name="Northshire", gss_code="E06000901", la_number="901",
                       slug="northshire")
LA = Party(kind=PartyKind.LOCAL_AUTHORITY, name="Northshire Council")
CASE = CaseContext(case_id="dr-appointee-1", process=Process.DISAGREEMENT_RESOLUTION,
                   health_in_issue=False, bodies=[LA])
PROVIDER = Provider(provider_id="north-dr", name="North DR",
                    kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER,
                    employer=Employer(kind=PartyKind.SCHOOL, name="North Academy"))


def test_the_appointee_is_the_provider_as_the_party_it_was_checked_as() -> None:
    routing = route_provider(HostHooks(NORTH, [PROVIDER]), NORTH, CASE)
    assert routing.provider is PROVIDER
    assert routing.appointee == PROVIDER.as_party()
    assert type(routing.appointee) is Party
    assert routing.independence.role is routing.appointee.kind


def test_a_pick_rewritten_after_routing_leaves_the_appointee_as_checked() -> None:
    # A host that keeps its pick and rewrites it in place once routing has answered: the
    # routing's appointee is still the party that passed the checks.
    pick = Provider(provider_id="north-dr-2", name="North DR Two",
                    kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER)
    routing = route_provider(HostHooks(NORTH, [pick]), NORTH, CASE)
    object.__setattr__(pick, "name", "Northshire Council")
    assert routing.appointee.name == "North DR Two"
    assert routing.appointee == Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER,
                                      name="North DR Two")


def test_the_service_assigns_the_routed_appointee(tmp_path: Path) -> None:
    from sen_disagreement.actors import Actor, CaseGrant, Role, StaticActorDirectory
    from sen_disagreement.ehc import Duty
    from sen_disagreement.parties import Identifiers
    from sen_disagreement.service import CaseService, OpenDisagreementResolution
    from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase
    from sen_disagreement.workflow import steps as st
    from sen_disagreement.workflow.issues import Issue

    t0 = dt.datetime(2025, 1, 13, 10, tzinfo=dt.UTC)
    directory = StaticActorDirectory([
        Actor(actor_id="officer", role=Role.LA_OFFICER, council="E08000014"),
        Actor(actor_id="parent-user", role=Role.FAMILY,
              grants={CaseGrant(case_id="svc-appointee", party_id="parent")}),
    ])
    service = CaseService.open(str(tmp_path / "s.sqlite3"), directory=directory, timeout=None)
    with service.store:
        la = Party(kind=PartyKind.LOCAL_AUTHORITY, identifiers=Identifiers(gss_code="E08000014"))
        service.open_case("officer", OpenDisagreementResolution(
            case_id="svc-appointee", council="E08000014",
            parties=[CaseParty("parent", Party(kind=PartyKind.PARENT)), CaseParty("la", la)],
            issues=[Issue(issue_id="review", duty=Duty.KEEP_PROVISION_UNDER_REVIEW)]), at=t0)
        hour = dt.timedelta(hours=1)
        service.apply("svc-appointee", "officer", st.SeekAgreement(), at=t0 + hour)
        service.apply("svc-appointee", "parent-user", st.AcceptDecision(party_id="parent"),
                      at=t0 + 2 * hour)
        service.apply("svc-appointee", "officer", st.AcceptDecision(party_id="la"),
                      at=t0 + 3 * hour)
        agreed, _ = service.load("svc-appointee")
        routing = service.route(agreed)
        service.apply("svc-appointee", "officer", st.AssignProvider(), at=t0 + 4 * hour)
        case, _ = service.load("svc-appointee")
        assert isinstance(case, DisagreementResolutionCase)
        assert case.provider is not None
        assert case.provider.party_id == routing.provider.provider_id
        assert case.provider.party == routing.appointee


def test_detached_leaves_a_plain_party_and_copies_an_employer_and_identifiers() -> None:
    plain = Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER, name="North DR")
    assert detached(plain) is plain  # nothing a host could hold: no employer, no identifiers
    school = Employer(kind=PartyKind.SCHOOL, name="North Academy",
                      identifiers=Identifiers(urn="123456"))
    employed = Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER, name="North DR",
                     employer=school)
    copy = detached(employed)
    assert copy == employed
    assert copy.employer is not school and copy.employer is not None
    assert copy.employer.identifiers is not school.identifiers
    object.__setattr__(school, "kind", PartyKind.LOCAL_AUTHORITY)  # the host's object, later
    assert copy.employer.kind is PartyKind.SCHOOL


def test_detached_refuses_what_is_not_a_party_naming_the_field() -> None:
    with pytest.raises(InvalidInputError) as refused:
        detached("a provider", field="provider")  # type: ignore[arg-type]
    assert (refused.value.field, refused.value.rule_id) == ("provider", "input.type")
