"""Routing's fast paths give exactly the general path's answer (issue 14).

* :func:`~sen_disagreement.council.route_provider` builds each provider's appointee party
  (:meth:`Provider.as_party`) once per provider object and keeps it privately while the provider
  still holds the very kind, name and employer it was built from.
* :func:`~sen_disagreement.independence.check_independence` does not work out the reason an
  independent appointee's answer gives (nobody reads it there) when every value is exactly the
  library's; otherwise it does, as before, so whatever that raised it still raises.

Checked against the general paths themselves (``as_party()`` and
``_assess(...).raise_if_not_independent()``), on ordinary and hostile inputs: providers rewritten
with ``object.__setattr__``, subclasses, values with a lying ``__eq__``/``__hash__``, dates that
are subclasses.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from host_hooks import HostHooks

from sen_disagreement import council as council_module
from sen_disagreement import independence
from sen_disagreement.council import (
    CaseContext,
    CouncilProfile,
    Provider,
    route_provider,
)
from sen_disagreement.errors import IndependenceError, InvalidInputError
from sen_disagreement.independence import check_independence
from sen_disagreement.parties import Employer, Identifiers, Party, PartyKind
from sen_disagreement.settings import DEFAULT_SETTINGS, Settings
from sen_disagreement.voluntary import Process

SEFTON = CouncilProfile(name="Sefton", gss_code="E08000014", la_number="343", slug="sefton")
SCHOOL = Party(kind=PartyKind.SCHOOL, name="Example Academy", identifiers=Identifiers(urn="123456"))
LA = Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton Council",
           identifiers=Identifiers(gss_code="E08000014"))


def outcome(fn: Any, *args: Any, **kwargs: Any) -> tuple[str, Any]:
    try:
        return ("value", fn(*args, **kwargs))
    except Exception as exc:  # the comparison is of whatever either path does
        return ("raised", (type(exc), str(exc), getattr(exc, "field", None),
                           getattr(exc, "rule_id", None), getattr(exc, "citation", None)))


def provider(**changes: Any) -> Provider:
    fields: dict[str, Any] = {"provider_id": "global-mediation", "name": "Global Mediation",
                              "kind": PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER}
    fields.update(changes)
    return Provider(**fields)


def case(**changes: Any) -> CaseContext:
    fields: dict[str, Any] = {"case_id": "C-1", "process": Process.DISAGREEMENT_RESOLUTION,
                              "bodies": (LA, SCHOOL)}
    fields.update(changes)
    return CaseContext(**fields)


def general_route(hooks: HostHooks, context: CaseContext) -> Any:
    """What routing answered before the appointee was kept: the same steps, ``as_party()``."""
    routing = route_provider(hooks, SEFTON, context)
    party = routing.provider.as_party()
    check = check_independence(party, case_parties=context.bodies,
                               health_in_issue=context.health_in_issue)
    return routing.provider, check


# --- the appointee kept per provider --------------------------------------------------------


def test_the_kept_appointee_is_the_party_as_party_builds() -> None:
    for p in (provider(), provider(employer=Employer(kind=PartyKind.SCHOOL, name="Other")),
              provider(kind=PartyKind.MEDIATOR, name="M")):
        assert council_module._appointee(p) == p.as_party()
        assert council_module._appointee(p) is council_module._appointee(p)  # kept


@pytest.mark.parametrize(("field", "value"), [
    ("name", "Renamed Mediation"),
    ("name", "Hidden\u200emark"),  # a Party refuses it: refused again, never kept
    ("name", "x" * 201),
    ("kind", PartyKind.MEDIATOR),
    ("kind", PartyKind.SCHOOL),
    ("employer", Employer(kind=PartyKind.LOCAL_AUTHORITY)),
    ("employer", "not an employer"),
])
def test_a_provider_rewritten_in_place_is_built_again(field: str, value: object) -> None:
    p = provider()
    council_module._appointee(p)
    object.__setattr__(p, field, value)
    assert outcome(council_module._appointee, p) == outcome(p.as_party)
    assert outcome(council_module._appointee, p) == outcome(p.as_party)


def test_a_rewritten_routing_provider_is_checked_as_it_now_is() -> None:
    p = provider()
    hooks = HostHooks(SEFTON, [p])
    routing = route_provider(hooks, SEFTON, case())
    assert routing.provider is p
    # The host rewrites its own provider: employed by the local authority now, refused.
    object.__setattr__(p, "employer", Employer(kind=PartyKind.LOCAL_AUTHORITY))
    with pytest.raises(IndependenceError) as raised:
        route_provider(hooks, SEFTON, case())
    assert raised.value.rule_id == "s57.independence.local_authority"
    # Employed by the school in dispute, by the very employer object rewritten afterwards.
    employer = Employer(kind=PartyKind.SCHOOL, name="Somewhere Else")
    object.__setattr__(p, "employer", employer)
    assert route_provider(hooks, SEFTON, case()).provider is p
    object.__setattr__(employer, "identifiers", Identifiers(urn="123456"))
    with pytest.raises(IndependenceError) as raised:
        route_provider(hooks, SEFTON, case())
    assert raised.value.rule_id == "independence.education_provider"


class LyingName(str):
    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return 0

    def strip(self, chars: str | None = None) -> str:
        return ""  # blank once asked again


class OwnParty(Provider):
    def as_party(self) -> Party:
        return Party(kind=PartyKind.MEDIATOR, employer=Employer(kind=PartyKind.LOCAL_AUTHORITY))


def test_subclasses_and_str_subclasses_are_never_kept() -> None:
    p = provider()
    object.__setattr__(p, "name", LyingName("Global Mediation"))
    assert outcome(council_module._appointee, p) == outcome(p.as_party)
    assert id(p) not in council_module._APPOINTEES
    own = OwnParty(provider_id="own", name="Own", kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER)
    assert council_module._appointee(own) == own.as_party()
    assert id(own) not in council_module._APPOINTEES
    with pytest.raises(IndependenceError):
        route_provider(HostHooks(SEFTON, [own]), SEFTON, case())


def test_routing_answers_as_the_general_path() -> None:
    employers = [None, Employer(kind=PartyKind.SCHOOL, name="Example Academy"),
                 Employer(kind=PartyKind.SCHOOL, name="Another"),
                 Employer(kind=PartyKind.NHS_ENGLAND),
                 Employer(kind=PartyKind.INTEGRATED_CARE_BOARD)]
    for employer, health in itertools.product(employers, (False, True)):
        hooks = HostHooks(SEFTON, [provider(employer=employer),
                                   provider(provider_id="b", name="B")])
        context = case(health_in_issue=health)
        got = outcome(route_provider, hooks, SEFTON, context)
        want = outcome(general_route, hooks, context)
        if got[0] == "value":
            assert want[0] == "value"
            assert (got[1].provider, got[1].independence) == want[1]
        else:
            assert got == want


def test_the_kept_appointees_are_bounded() -> None:
    for n in range(1100):
        council_module._appointee(provider(name=f"Provider {n}"))
        assert len(council_module._APPOINTEES) <= 1024


# --- check_independence without the reason --------------------------------------------------------


def general_check(appointee: Party, **kwargs: Any) -> Any:
    return independence._assess(appointee, kwargs["case_parties"], kwargs["health_in_issue"],
                                kwargs.get("on"), kwargs.get("settings", DEFAULT_SETTINGS)
                                ).raise_if_not_independent()


class LaterDate(dt.date):
    """A date subclass that claims to be before every other date."""

    def __lt__(self, other: object) -> bool:
        return True


ROLES = [PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER, PartyKind.MEDIATOR,
         PartyKind.MEDIATION_ADVISER]
EMPLOYERS = [None, *(Employer(kind=k) for k in (
    PartyKind.LOCAL_AUTHORITY, PartyKind.NHS_ENGLAND, PartyKind.INTEGRATED_CARE_BOARD,
    PartyKind.CLINICAL_COMMISSIONING_GROUP, PartyKind.SCHOOL)),
    Employer(kind=PartyKind.SCHOOL, name="Example Academy")]
DATES = [None, dt.date(2022, 6, 30), dt.date(2022, 7, 1), LaterDate(2025, 1, 1)]


def test_check_independence_answers_as_the_answer_it_was_built_on() -> None:
    for role, employer, health, on, icb in itertools.product(
        ROLES, EMPLOYERS, (False, True), DATES, (False, True)
    ):
        appointee = Party(kind=role, employer=employer)
        kwargs = {"case_parties": (LA, SCHOOL), "health_in_issue": health, "on": on,
                  "settings": Settings(s57_health_body_independence=icb)}
        assert outcome(check_independence, appointee, **kwargs) == outcome(
            general_check, appointee, **kwargs)


class AnyRole:
    """Equal to, and hashing like, a disagreement-resolution provider; it is not one."""

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return hash(PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER)


@pytest.mark.parametrize("rewrite", [
    ("kind", AnyRole()),
    ("kind", "disagreement_resolution_provider"),
    ("employer", Employer(kind=PartyKind.SCHOOL)),
    ("employer", "an employer"),
])
def test_a_rewritten_appointee_is_answered_as_the_general_path(rewrite: tuple[str, Any]) -> None:
    appointee = Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER)
    object.__setattr__(appointee, *rewrite)
    for on in (None, dt.date(2025, 1, 1)):
        kwargs = {"case_parties": (SCHOOL,), "health_in_issue": False, "on": on}
        assert outcome(check_independence, appointee, **kwargs) == outcome(
            general_check, appointee, **kwargs)


def test_an_employer_whose_kind_was_rewritten_is_answered_as_the_general_path() -> None:
    for value in ("school", AnyRole(), PartyKind.MEDIATOR):
        employer = Employer(kind=PartyKind.SCHOOL)
        object.__setattr__(employer, "kind", value)
        appointee = Party(kind=PartyKind.MEDIATOR, employer=employer)
        for on in (None, dt.date(2025, 1, 1)):
            kwargs = {"case_parties": (SCHOOL,), "health_in_issue": True, "on": on}
            got = outcome(check_independence, appointee, **kwargs)
            assert got == outcome(general_check, appointee, **kwargs)


def test_a_refusal_is_raised_with_its_rule_and_citation() -> None:
    appointee = Party(kind=PartyKind.MEDIATOR, employer=Employer(kind=PartyKind.LOCAL_AUTHORITY))
    with pytest.raises(IndependenceError) as raised:
        check_independence(appointee, case_parties=(), health_in_issue=False)
    assert raised.value.rule_id == "s52.mediator_independence.local_authority"
    assert raised.value.citation == independence.MEDIATOR_NOT_LA.cite()
    with pytest.raises(InvalidInputError) as refused:
        check_independence(Party(kind=PartyKind.SCHOOL), case_parties=(), health_in_issue=False)
    assert (refused.value.field, refused.value.rule_id) == ("kind", "independence.role")
