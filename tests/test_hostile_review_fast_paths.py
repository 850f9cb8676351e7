"""Hostile review (issue 14) of this session's fast paths: classify's memo, routing's kept
appointee and its one check per provider, the transitions' audit and consent fast builds.

Each test compares a fast path with the general path it stands in for, on input a hostile
caller or plugin can make (subclasses whose attributes answer differently per read, frozen
values rewritten with ``object.__setattr__`` by plugin code that runs between a check and its
use). A strict xfail marks a break found; the reason says where and the fix proposed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest
from host_hooks import HostHooks
from hostile_values import EqualsAnything

from sen_disagreement import classifier, independence
from sen_disagreement.classifier import Disagreement, classify
from sen_disagreement.council import (
    CaseContext,
    CouncilProfile,
    FaultKind,
    PluginFault,
    Provider,
    route_provider,
)
from sen_disagreement.ehc import EhcStage, Provision
from sen_disagreement.errors import (
    AccessDeniedError,
    IndependenceError,
    InvalidInputError,
    SenDisagreementError,
    StoredDocumentError,
)
from sen_disagreement.independence import check_independence
from sen_disagreement.parties import Employer, Identifiers, Party, PartyKind
from sen_disagreement.plugins import Hooks
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.plugins.testing import RegisterPlugin
from sen_disagreement.settings import DEFAULT_SETTINGS, Settings
from sen_disagreement.store import open_store
from sen_disagreement.voluntary import Process
from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase, invariants, records
from sen_disagreement.workflow.audit import AuditTrail, append_entry, make_entry
from sen_disagreement.workflow.issues import Issue

DAY = dt.date(2025, 1, 6)
PARENT = Party(kind=PartyKind.PARENT, name="Sam Parent")
LA = Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton Council",
           identifiers=Identifiers(gss_code="E08000014"))
SCHOOL = Party(kind=PartyKind.SCHOOL, name="Example Academy", identifiers=Identifiers(urn="123456"))
SEFTON = CouncilProfile(name="Sefton", gss_code="E08000014", la_number="343", slug="sefton")


# --- classify's memo ---------------------------------------------------------------------------


class _TwoFacedParty(Party):
    """A party that is a local authority to classify's memo key and a school to every other
    reader (validate and the general path): the key and the answer kept under it disagree."""

    __slots__ = ()

    @property
    def kind(self) -> PartyKind:
        if sys._getframe(1).f_code.co_name == "_memo_key":
            return PartyKind.LOCAL_AUTHORITY
        return PartyKind.SCHOOL


def _two_faced() -> Party:
    # Built slot by slot (its ``kind`` is a read-only property); every other field is a
    # plain party's.
    party: Party = object.__new__(_TwoFacedParty)
    for name, value in (("name", "Two Faced"), ("date_of_birth", None),
                        ("identifiers", Identifiers()), ("employer", None),
                        ("acting_for_young_person_lacking_capacity", False)):
        object.__setattr__(party, name, value)
    return party


# Found in review, now mended: a Party subclass whose kind lied to the cache key planted classify's
# answer for honest callers; only an exact Party is keyed.
def test_a_two_faced_party_cannot_plant_an_answer_for_honest_callers() -> None:
    classifier._MEMO.clear()
    stage = EhcStage.NO_PLAN
    provision = (Provision.SPECIAL_EDUCATIONAL,)
    planted = Disagreement(date=DAY, parties=(PARENT, _two_faced()), stage=stage,
                           provision=provision)
    classify(planted)
    honest = Disagreement(date=DAY, parties=(PARENT, LA), stage=stage, provision=provision)
    try:
        assert classify(honest) == classifier._classify(honest)
    finally:
        classifier._MEMO.clear()


def test_a_party_subclass_that_answers_one_kind_is_classified_as_a_plain_party() -> None:
    class Plain(Party):
        __slots__ = ()

    classifier._MEMO.clear()
    for kind in (PartyKind.LOCAL_AUTHORITY, PartyKind.SCHOOL, PartyKind.INTEGRATED_CARE_BOARD):
        sub = Disagreement(date=DAY, parties=(PARENT, Plain(kind=kind, name="Body")),
                           stage=EhcStage.ANNUAL_REVIEW, provision=(Provision.HEALTH_CARE,))
        plain = Disagreement(date=DAY, parties=(PARENT, Party(kind=kind, name="Body")),
                             stage=EhcStage.ANNUAL_REVIEW, provision=(Provision.HEALTH_CARE,))
        assert classify(sub) == classifier._classify(plain)
        assert classify(plain) == classifier._classify(plain)


def test_a_party_rewritten_after_it_was_classified_is_answered_as_it_now_is() -> None:
    classifier._MEMO.clear()
    body = Party(kind=PartyKind.LOCAL_AUTHORITY, name="Body")
    d = Disagreement(date=DAY, parties=(PARENT, body), stage=EhcStage.DRAWING_UP,
                     provision=(Provision.SPECIAL_EDUCATIONAL,))
    first = classify(d)
    object.__setattr__(body, "kind", PartyKind.SCHOOL)
    second = classify(d)
    assert second == classifier._classify(d)
    assert second != first


# --- routing: the kept appointee and one check per provider ---------------------------------------


def _provider() -> Provider:
    return Provider(provider_id="global-mediation", name="Global Mediation",
                    kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER)


def _context() -> CaseContext:
    return CaseContext(case_id="C-1", process=Process.DISAGREEMENT_RESOLUTION, bodies=(LA, SCHOOL))


def test_an_employer_rewritten_in_place_after_routing_is_refused_on_the_next_routing() -> None:
    employer = Employer(kind=PartyKind.EARLY_YEARS_PROVIDER, name="Little Acorns")
    p = Provider(provider_id="global-mediation", name="Global Mediation",
                 kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER, employer=employer)
    hooks = HostHooks(SEFTON, [p])
    route_provider(hooks, SEFTON, _context())  # the appointee is now kept
    # The very employer object the kept party holds, rewritten: the local authority in dispute.
    object.__setattr__(employer, "kind", PartyKind.LOCAL_AUTHORITY)
    with pytest.raises(IndependenceError) as kept:
        route_provider(hooks, SEFTON, _context())
    with pytest.raises(IndependenceError) as general:
        check_independence(p.as_party(), case_parties=(LA, SCHOOL),
                           health_in_issue=False)
    assert kept.value.rule_id == general.value.rule_id


# Found in review, now mended: a host chooser rewrote its pick after the check; the choice is
# checked again as it is.
def test_a_chooser_that_rewrites_its_pick_cannot_route_a_non_independent_provider() -> None:
    def rewrite_then_pick(candidates: Sequence[Provider]) -> Provider:
        pick = candidates[0]
        object.__setattr__(pick, "employer", Employer(kind=PartyKind.LOCAL_AUTHORITY,
                                                      name="Sefton Council"))
        return pick

    hooks = HostHooks(SEFTON, [_provider()], choose=rewrite_then_pick)
    try:
        routing = route_provider(hooks, SEFTON, _context())
    except IndependenceError:
        return  # refused: what the general path (a check of what was chosen) does
    # Routed: then what it routed must be independent as it now is.
    assert routing.provider.employer is None, "routed a provider employed by the LA"


TESTSHIRE = CouncilProfile(name="Testshire", gss_code="E06000904", la_number="904",
                           slug="testshire")


def test_a_plugin_that_rewrites_its_pick_cannot_route_a_non_independent_provider(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    class Council:
        @hookimpl
        def sen_register_councils(self) -> Sequence[CouncilProfile]:
            return (TESTSHIRE,)

        @hookimpl
        def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
            return (_provider(),) if council == TESTSHIRE else ()

    class Rewriter:
        @hookimpl(tryfirst=True)
        def sen_choose_provider(self, candidates: Sequence[Provider]) -> Provider:
            pick = candidates[0]
            object.__setattr__(pick, "employer", Employer(kind=PartyKind.LOCAL_AUTHORITY,
                                                          name="Testshire Council"))
            return pick

    register_sen_plugin(Council(), name="testshire")
    register_sen_plugin(Rewriter(), name="rewriter")
    context = CaseContext(case_id="T-1", process=Process.DISAGREEMENT_RESOLUTION)
    for _ in range(2):  # and again, after its rewrite of what it was handed
        # The facade hands a plugin copies: its rewritten pick equals no candidate, is a
        # malformed answer, and the host's own (independent) candidate is routed.
        routing = route_provider(sen_hooks, TESTSHIRE, context)
        assert routing.provider == _provider() and routing.provider.employer is None
        assert [(f.plugin, f.kind) for f in routing.faults] == [
            ("rewriter", FaultKind.MALFORMED)]


def test_a_chooser_that_answers_another_object_has_it_checked() -> None:
    def other(candidates: Sequence[Provider]) -> Provider:
        return Provider(provider_id="global-mediation", name="Global Mediation",
                        kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER,
                        employer=Employer(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton Council"))

    with pytest.raises(IndependenceError):
        route_provider(HostHooks(SEFTON, [_provider()], choose=other), SEFTON, _context())


def test_a_provider_answered_anew_each_call_is_checked_each_time() -> None:
    class Fresh(HostHooks):
        """A plugin that answers a new (equal) provider object on every call, the second one
        rewritten to a non-independent employer after construction."""

        calls = 0

        def providers(self, council: CouncilProfile, *, case_id: str | None = None,
                      faults: list[PluginFault] | None = None) -> list[Provider]:
            Fresh.calls += 1
            p = _provider()
            if Fresh.calls > 1:
                object.__setattr__(p, "employer", Employer(kind=PartyKind.LOCAL_AUTHORITY))
            return [p]

    hooks = Fresh(SEFTON, [])
    route_provider(hooks, SEFTON, _context())
    with pytest.raises(IndependenceError):
        route_provider(hooks, SEFTON, _context())


class _LooksLikeMediator:
    """Not a PartyKind: equal to (and hashed as) PartyKind.MEDIATOR, and to itself only."""

    label = "mediator"

    def __eq__(self, other: object) -> bool:
        return other is PartyKind.MEDIATOR or other is self

    def __hash__(self) -> int:
        return hash(PartyKind.MEDIATOR)


def _icb_mediator_verdict(settings: Settings) -> str:
    employed = Party(kind=PartyKind.MEDIATOR, name="Mediator",
                     employer=Employer(kind=PartyKind.INTEGRATED_CARE_BOARD, name="The ICB"))
    try:
        check_independence(employed, case_parties=(), health_in_issue=True, settings=settings)
    except IndependenceError as refused:
        return refused.rule_id
    return "independent"


# Found in review, now mended: a role posing as PartyKind.MEDIATOR planted its rules under the
# mediator's key; only the library's own members are keyed.
def test_an_impostor_role_cannot_plant_rules_for_real_mediators() -> None:
    settings = attrs.evolve(DEFAULT_SETTINGS, s57_health_body_independence=False)
    independence._rules_applied.cache_clear()
    try:
        expected = _icb_mediator_verdict(settings)  # the general answer, from empty memos
        independence._rules_applied.cache_clear()
        planted = Party(kind=PartyKind.MEDIATOR, name="Plant")
        object.__setattr__(planted, "kind", _LooksLikeMediator())
        with contextlib.suppress(InvalidInputError):  # refusing the impostor is the fix
            check_independence(planted, case_parties=(), health_in_issue=True,
                               settings=settings)
        assert expected == "s53.mediator_independence.health_body"
        assert _icb_mediator_verdict(settings) == expected
    finally:
        independence._rules_applied.cache_clear()


# --- the audit fast build ------------------------------------------------------------------------


def _outcome(call: Any) -> object:
    try:
        value = call()
    except Exception as exc:  # compared, whatever it is
        return ("error", type(exc), getattr(exc, "field", None), getattr(exc, "rule_id", None),
                str(exc))
    return ("value", value, [type(e.actor) for e in value.entries])


T0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)


@pytest.mark.parametrize("names", [
    ("state",) * 9,  # more names than are ever kept: the general path
    ("state", "x" * 128),  # the longest name the store takes
    ("state", "x" * 129),  # one longer: refused, naming its index
    ("state", "$bad name"),
    ("state", "issues[0]"),
])
def test_append_entry_answers_field_names_as_the_general_path(names: tuple[str, ...]) -> None:
    trail = AuditTrail("dr-1").append(make_entry(actor="officer-1", action="dr.referred",
                                                 at=T0, case_id="dr-1"))
    fast = _outcome(lambda: append_entry(trail, actor="officer-1", action="dr.step", at=T0,
                                         case_id="dr-1", fields=names))
    general = _outcome(lambda: trail.append(make_entry(actor="officer-1", action="dr.step",
                                                       at=T0, case_id="dr-1", fields=names)))
    assert fast == general


def test_a_refused_value_is_never_remembered_as_good() -> None:
    trail = AuditTrail("dr-1")
    for _ in range(2):  # the second call must refuse again, not answer from a memo
        with pytest.raises(InvalidInputError) as refused:
            append_entry(trail, actor="officer 1", action="dr.step", at=T0, case_id="dr-1")
        assert refused.value.field == "actor"


# --- the store's check: a case standing for its text ------------------------------------------


class _CaseSubclass(DisagreementResolutionCase):
    """Nothing but another class: its text takes the general path (read back and checked)."""

    __slots__ = ()


def _dr_case(case_id: str) -> DisagreementResolutionCase:
    from sen_disagreement.ehc import Duty

    return DisagreementResolutionCase.refer(
        case_id=case_id, council="E08000014", at=T0, actor="officer-1",
        parties=[CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent")),
                 CaseParty("sefton", LA)],
        issues=[Issue(issue_id="assess", duty=Duty.ASSESS)])


# Each rewrites, in place and with a value of exactly the field's type, something the stored
# document's reader refuses.
_UNREADABLE: dict[str, Callable[[DisagreementResolutionCase], None]] = {
    "bidi_override_in_a_name": lambda c: object.__setattr__(
        c.parties[0].party, "name", "Sam\u202eParent"),
    "blank_name": lambda c: object.__setattr__(c.parties[0].party, "name", "   "),
    "issue_id_not_an_id": lambda c: object.__setattr__(c.issues.issues[0], "issue_id", "BAD ID!"),
    "naive_committed_at": lambda c: object.__setattr__(
        c.audit.entries[0], "committed_at", dt.datetime(2025, 3, 3)),
}


@pytest.mark.parametrize("rewrite", sorted(_UNREADABLE))
def test_a_case_the_reader_refuses_is_refused_by_the_general_path(tmp_path: Path,
                                                                   rewrite: str) -> None:
    case = _dr_case("dr-unreadable-1")
    _UNREADABLE[rewrite](case)
    object.__setattr__(case, "__class__", _CaseSubclass)
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        with pytest.raises(InvalidInputError) as refused:
            records.save(store, case, expected_version=0)
        assert refused.value.rule_id == "store.case_document"


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "workflow/records.py _document answers 'exact' (the case stands for its text) for any case "
    "of the library's class whose values are exactly their declared types, and to_record "
    "remembers it (invariants.remember): the store's check then judges the case, never the "
    "text, so a value rewritten in place that the reader refuses (a bidi override or a blank "
    "name, an issue id that is no id, a naive committed_at) is saved, read back warm from the "
    "memo, and every load in another process (or after the memo turns over) is a "
    "StoredDocumentError: the case is unreadable for good, where the general path (any other "
    "class) refuses the save with store.case_document. Fix: let a case stand for its text only "
    "once its text has been read back and checked (remember the text a load or a checked save "
    "read, keyed by the text), or have the compiled encoder run the reader's own value checks "
    "(text, id and UTC validators) on what it writes and answer None on any refusal."))
@pytest.mark.parametrize("rewrite", sorted(_UNREADABLE))
def test_a_case_the_reader_refuses_is_never_stored(tmp_path: Path, rewrite: str) -> None:
    case = _dr_case("dr-unreadable-2")
    _UNREADABLE[rewrite](case)
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        refused: str | None = None
        try:
            records.save(store, case, expected_version=0)
        except InvalidInputError as exc:
            refused = exc.rule_id
        if refused is not None:  # what the general path does
            assert refused == "store.case_document"
            return
        invariants._CASES.clear()  # as another process (or a turned-over memo) reads it
        stored = store.load("dr-unreadable-2")
        try:
            records.from_record(stored)
        except StoredDocumentError:
            raise AssertionError("saved a document no later load can read") from None


# --- consent: decided by the party itself ------------------------------------------------------


# Found in review, now mended: a str-subclass party id claiming equality let a parent record the
# council's agreement; ids are plain str only (_checks.check_id / check_shape).
def test_a_parent_cannot_record_the_councils_agreement_with_a_posing_id() -> None:
    from sen_disagreement.actors import Actor, CaseGrant, Role
    from sen_disagreement.workflow import steps as st

    officer = Actor(actor_id="officer-1", role=Role.LA_OFFICER, council="E08000014")
    parent = Actor(actor_id="sam", role=Role.FAMILY,
                   grants={CaseGrant(case_id="dr-consent-1", party_id="parent")})
    case = st.apply_step(_dr_case("dr-consent-1"), officer, st.SeekAgreement(),
                         at=T0 + dt.timedelta(hours=1))
    # The plain id is refused, as the general rule says.
    with pytest.raises(AccessDeniedError):
        st.apply_step(case, parent, st.AcceptDecision(party_id="sefton"),
                      at=T0 + dt.timedelta(hours=2))
    refused: str | None = None
    try:
        posing = st.AcceptDecision(party_id=EqualsAnything("sefton"))
        after = st.apply_step(case, parent, posing, at=T0 + dt.timedelta(hours=2))
    except SenDisagreementError as exc:  # any typed refusal is the fix
        refused = getattr(exc, "rule_id", type(exc).__name__)
    if refused is not None:
        return
    recorded = {str.__str__(e.party_id) for e in after.ledger.entries}
    assert "sefton" not in recorded, "the parent recorded the council's agreement"


# Found in review, now mended: the same posing id let a parent change every party's contact
# details.
def test_a_parent_cannot_redirect_the_councils_messages_with_a_posing_id() -> None:
    from sen_disagreement.actors import Actor, CaseGrant, Role
    from sen_disagreement.workflow import steps as st
    from sen_disagreement.workflow._case import PartyContact

    parent = Actor(actor_id="sam", role=Role.FAMILY,
                   grants={CaseGrant(case_id="dr-contact-1", party_id="parent")})
    case = _dr_case("dr-contact-1")
    mine = PartyContact(email="sam@example.org")
    refused: str | None = None
    try:
        after = st.apply_step(case, parent, st.ChangeContact(
            party_id=EqualsAnything("sefton"), contact=mine), at=T0 + dt.timedelta(hours=1))
    except SenDisagreementError as exc:  # any typed refusal is the fix
        refused = getattr(exc, "rule_id", type(exc).__name__)
    if refused is not None:
        return
    council = next(p for p in after.parties if str.__str__(p.party_id) == "sefton")
    assert council.contact != mine, "the council's contact details are now the parent's"


# --- _step's generated evolver -------------------------------------------------------------------


# Found in review, now mended: a change named state or audit replaced the machine's target or
# dropped the step's audit entry; the generated evolver refuses a field changed twice (TypeError).
@pytest.mark.parametrize("change", ["state", "audit"])
def test_a_step_cannot_override_its_target_or_its_audit_entry(change: str) -> None:
    from sen_disagreement.workflow.disagreement_resolution import DrEvent, DrState

    case = _dr_case("dr-step-1")
    changes: dict[str, Any] = {change: {"state": DrState.CLOSED, "audit": case.audit}[change]}
    try:
        after = case._step(DrEvent.SEEK_AGREEMENT, at=T0, actor="officer-1", **changes)
    except TypeError:
        return  # what the general path (evolve_case with a repeated keyword) does
    assert after.state is DrState.SEEKING_AGREEMENT and len(after.audit) == 2, (
        "the step took another state or lost its audit entry")


# Found in review, now mended: refer(settings=None) built a case whose first save was a raw
# AttributeError; settings are checked (input.type).
def test_refer_refuses_settings_that_are_not_settings() -> None:
    refused = False
    try:
        case = DisagreementResolutionCase.refer(
            case_id="dr-settings-1", council="E08000014", at=T0, actor="officer-1",
            parties=[CaseParty("parent", PARENT), CaseParty("sefton", LA)],
            settings=None)  # type: ignore[arg-type]
    except InvalidInputError:
        refused = True
    if refused:
        return
    try:
        records.to_record(case)
    except InvalidInputError:
        return
    except AttributeError:
        raise AssertionError("a raw AttributeError, not a typed error") from None
