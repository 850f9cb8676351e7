"""``Routing.appointee``: the provider as the party its independence was checked against, the
one a case is then assigned (built once by routing, not again by whoever assigns it); and
:func:`~sen_disagreement.parties.detached`, which makes what is checked what is stored. (That the
service assigns the appointee: ``tests/test_hostile_review_s8.py``.)"""

from __future__ import annotations

import pytest
from host_hooks import LA, NORTH, HostHooks

from sen_disagreement.council import CaseContext, Provider, route_provider
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.parties import Employer, Identifiers, Party, PartyKind, detached
from sen_disagreement.voluntary import Process

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
