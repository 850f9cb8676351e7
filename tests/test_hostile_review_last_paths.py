"""Hostile review of the session's last fast paths (apply_step's disagreement-resolution path,
refer's build, the acting party without the party map, resolve's remembered ids, the save path).

Found in review and mended: a step class was found in the step tables (``_STEP_NAMES``,
``_DR_FAST``, ``_DR_ACTIONS``) by dict lookup, so a class whose metaclass hashes as one of the
library's step classes and says it equals every class was taken for that class: authorise then
checked the posed class's row and skipped the isinstance checks of the class the object really
is, and a mediation case dispatched by isinstance on the real class (a family user lapsed a
mediation case). Step classes are now found by identity. The other tests are guarantees that
held.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import attrs
import pytest
import sweep_support as sweep
from hostile_values import EqualsAnything, PlainStr

from sen_disagreement import actors
from sen_disagreement.actors import Actor, CaseGrant, Role
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.errors import (
    AccessDeniedError,
    ConsentRequiredError,
    InvalidInputError,
    NotFoundError,
)
from sen_disagreement.parties import Party, PartyKind
from sen_disagreement.service import CaseService
from sen_disagreement.settings import DEFAULT_SETTINGS, Settings
from sen_disagreement.store import open_store
from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase, records
from sen_disagreement.workflow import disagreement_resolution as dr
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.access import acting_party
from sen_disagreement.workflow.mediation import DecisionNotice, MediationCase, Reg32Item

T0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
AT = dt.datetime(2025, 3, 10, 16, tzinfo=dt.UTC)
COUNCIL = "E08000014"
CASE = "x3-last-1"


def _poser(base: type, target: type, **values: Any) -> Any:
    """An instance of a subclass of ``base`` whose class hashes as ``target`` and says it
    equals every class: a dict keyed by class finds it as ``target``."""

    class LyingMeta(type(base)):  # type: ignore[misc]
        def __eq__(cls, other: object) -> bool:
            return True

        def __ne__(cls, other: object) -> bool:
            return False

        def __hash__(cls) -> int:
            return hash(target)

    posing = LyingMeta("Posing", (base,), {"__slots__": ()})
    return posing(**values)


def _parties() -> list[CaseParty]:
    return [CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent")),
            CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton"))]


def _dr_all_agreed() -> DisagreementResolutionCase:
    case = DisagreementResolutionCase.refer(case_id=CASE, council=COUNCIL, parties=_parties(),
                                            at=T0, actor="officer-1")
    at = T0 + dt.timedelta(hours=1)
    case = case.seek_agreement(at=at, actor="officer-1")
    case = case.agree("parent", at=at, actor="sam")
    return case.agree("sefton", at=at, actor="officer-1")


class _Actor(Actor):
    __slots__ = ()


def _parent(cls: type[Actor] = Actor, case_id: str = CASE, party_id: str = "parent") -> Actor:
    return cls(actor_id="sam", role=Role.FAMILY,
               grants={CaseGrant(case_id=case_id, party_id=party_id)})


def _mediation() -> MediationCase:
    notice = DecisionNotice(sent_on=T0.date(), contents=set(Reg32Item),
                            decisions=[AppealableDecision.PLAN_NEEDS])
    yp = CaseParty("yp", Party(kind=PartyKind.YOUNG_PERSON, name="Jo Young",
                               date_of_birth=dt.date(2003, 11, 27)))
    la = CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY))
    return MediationCase.notify_decision(case_id="x3-med-1", council="sefton",
                                         parties=[yp, la], notice=notice, at=T0, actor="officer")


def _refused_before_the_case(exc: Exception) -> bool:
    """The step refused by its authorisation (the withdraw row) or as no step of the library's
    (once classes are looked up by id), not left to the case's own checks."""
    if type(exc) is AccessDeniedError:
        return exc.rule_id == "who.withdraw.disagreement_resolution"
    return (type(exc) is InvalidInputError and exc.field == "step"
            and exc.rule_id == "input.type")


# --- a step class posing as another through its metaclass -----------------------------------


def test_honest_sweep_by_a_family_user_is_refused() -> None:
    case = _mediation()
    yp = Actor(actor_id="alex", role=Role.FAMILY,
               grants={CaseGrant(case_id=case.case_id, party_id="yp")})
    with pytest.raises(AccessDeniedError) as caught:
        st.apply_step(case, yp, st.Sweep(today=dt.date(2026, 6, 1)), at=T0)
    assert caught.value.rule_id.startswith("who.sweep.")


# Found in review, now mended: a step class whose metaclass posed as one of the library's steps was
# found by the step tables' dict lookups; step classes are now found by identity (steps.step_name,
# apply_step).
def test_a_family_user_cannot_sweep_a_mediation_case_with_a_posing_step_class() -> None:
    case = _mediation()
    yp = Actor(actor_id="alex", role=Role.FAMILY,
               grants={CaseGrant(case_id=case.case_id, party_id="yp")})
    posing = _poser(st.Sweep, st.RecordItem, today=dt.date(2026, 6, 1))
    try:
        swept = st.apply_step(case, yp, posing, at=T0 + dt.timedelta(hours=1))
    except (AccessDeniedError, InvalidInputError):
        return
    pytest.fail(f"a family user swept the case to {swept.state.value}, audited as "
                f"{swept.audit.entries[-1].actor!r}")


def test_the_dr_fast_path_refuses_a_posing_withdraw_for_another_party() -> None:
    # The fast path (exact case, exact Actor) asks `cls in _CONSENT_STEP_CLASSES`, which the
    # lying metaclass answers True: the check for another party runs and refuses.
    posing = _poser(st.Withdraw, st.Withdraw, party_id="sefton")
    honest = st.Withdraw(party_id="sefton")
    with pytest.raises(AccessDeniedError) as caught:
        st.apply_step(_dr_all_agreed(), _parent(), honest, at=AT)
    assert caught.value.rule_id == "who.withdraw.disagreement_resolution"
    # Refused as the honest step is, or (once classes are looked up by id) as not a step.
    with pytest.raises((AccessDeniedError, InvalidInputError)) as posed:
        st.apply_step(_dr_all_agreed(), _parent(), posing, at=AT)
    assert _refused_before_the_case(posed.value)


# Found in review, now mended: a step class whose metaclass posed as one of the library's steps was
# found by the step tables' dict lookups; step classes are now found by identity (steps.step_name,
# apply_step).
def test_the_general_path_refuses_a_posing_withdraw_as_the_fast_path_does() -> None:

    class LyingMeta(type):
        def __eq__(cls, other: object) -> bool:
            return True

        def __ne__(cls, other: object) -> bool:
            return False

        def __hash__(cls) -> int:
            return hash(st.Withdraw)

    class Posing(st.Step, metaclass=LyingMeta):
        __slots__ = ("on_behalf_lacking_capacity", "party_id")

    step = Posing()
    object.__setattr__(step, "party_id", "sefton")
    object.__setattr__(step, "on_behalf_lacking_capacity", False)
    # Either refusal stops it; the fast path's is the authorisation's, and so must this one be.
    with pytest.raises((AccessDeniedError, ConsentRequiredError, InvalidInputError)) as caught:
        st.apply_step(_dr_all_agreed(), _parent(_Actor), step, at=AT)
    assert _refused_before_the_case(caught.value), type(caught.value).__name__


# Found in review, now mended: a step class whose metaclass posed as one of the library's steps was
# found by the step tables' dict lookups; step classes are now found by identity (steps.step_name,
# apply_step).
@pytest.mark.parametrize("actor_cls", [Actor, _Actor], ids=["exact actor", "actor subclass"])
def test_a_posing_step_class_gets_a_typed_refusal(actor_cls: type[Actor]) -> None:
    posing = _poser(st.Sweep, st.RecordItem, today=dt.date(2026, 6, 1))
    with pytest.raises((AccessDeniedError, InvalidInputError)):
        st.apply_step(_dr_all_agreed(), _parent(actor_cls), posing, at=AT)


# --- guarantees that held ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other case", "other party", "subclass"])
def test_a_family_user_acts_only_on_the_case_and_party_its_grant_covers(who: str) -> None:
    case = _dr_all_agreed()
    actor = {"other case": _parent(case_id="x3-other-1"),
             "other party": _parent(party_id="sefton"),
             "subclass": _parent(_Actor, case_id="x3-other-1")}[who]
    with pytest.raises(AccessDeniedError) as caught:
        st.apply_step(case, actor, st.Withdraw(party_id="parent"), at=AT)
    assert caught.value.rule_id == "who.withdraw.disagreement_resolution"


def test_the_acting_party_reads_a_rewritten_party_id_as_the_map_does() -> None:
    case = _dr_all_agreed()
    posing = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"))
    object.__setattr__(posing, "party_id", EqualsAnything("parent"))
    rewritten = DisagreementResolutionCase.refer(case_id=CASE, council=COUNCIL,
                                                 parties=_parties(), at=T0, actor="officer-1")
    object.__setattr__(rewritten, "parties", (posing, *rewritten.parties[1:]))
    for actor in (_parent(), _parent(party_id="sefton"),
                  Actor(actor_id="icb-1", role=Role.BODY_OFFICER,
                        grants={CaseGrant(case_id=CASE, party_id="parent")})):
        got = acting_party(rewritten, actor)
        party_id = actor.party_in(CASE)
        party = rewritten.party_map.get(party_id) if party_id else None
        expected = None if party is None or party.kind is PartyKind.LOCAL_AUTHORITY else (
            party_id if (actor.role is Role.FAMILY) else None)
        assert got == expected
    assert acting_party(case, _parent()) == "parent"


def test_an_officer_of_another_council_has_no_part_even_with_a_lying_council() -> None:
    case = _dr_all_agreed()
    for council in ("E08000015", PlainStr("E08000015"), EqualsAnything("E08000015")):
        other = Actor(actor_id="officer-2", role=Role.LA_OFFICER, council="E08000015")
        object.__setattr__(other, "council", council)  # past the constructor's exact-str check
        with pytest.raises(AccessDeniedError) as caught:
            st.apply_step(case, other, st.Close(), at=AT)
        assert caught.value.rule_id == "who.close.disagreement_resolution"


class _Directory:
    def __init__(self, *known: Actor) -> None:
        self.known = {a.actor_id: a for a in known}

    def resolve(self, user_id: str) -> Actor | None:
        return self.known.get(user_id)


def test_a_remembered_user_id_answers_only_what_the_directory_says_now() -> None:
    officer = Actor(actor_id="officer-9", role=Role.LA_OFFICER, council=COUNCIL)
    other = Actor(actor_id="officer-9", role=Role.LA_OFFICER, council="E08000015")
    first = _Directory(officer)
    assert actors.resolve(first, "officer-9") is officer  # now remembered
    assert actors.resolve(_Directory(other), "officer-9") is other
    first.known.clear()
    with pytest.raises(NotFoundError):
        actors.resolve(first, "officer-9")
    # A posing id is never remembered, nor answered from what an exact one left behind.
    with pytest.raises(InvalidInputError):
        actors.resolve(_Directory(officer), EqualsAnything("Officer Nine"))
    assert all(type(u) is str for u in actors._GOOD_USER_IDS)


class _Settings(Settings):
    __slots__ = ()


@pytest.mark.parametrize("settings", [DEFAULT_SETTINGS, _Settings()],
                         ids=["default", "subclass"])
def test_refer_and_the_stored_document_are_the_general_paths_for_settings(
        monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    def referred() -> DisagreementResolutionCase:
        return DisagreementResolutionCase.refer(case_id=CASE, council=COUNCIL,
                                                parties=_parties(), at=T0, actor="officer-1",
                                                settings=settings)

    fast = referred()
    with monkeypatch.context() as m:
        m.setattr(dr, "_FAST_REFER", False)
        general = referred()
    for f in attrs.fields(DisagreementResolutionCase):
        assert getattr(fast, f.name) == getattr(general, f.name), f.name
        assert type(getattr(fast, f.name)) is type(getattr(general, f.name)), f.name
    assert fast.settings is settings
    # The document twice (the second from the encoder's memo) and the general one agree.
    first, again = records.to_record(fast), records.to_record(fast)
    assert first.document == again.document == records.to_record(general).document
    assert first == again


# Found in review, now mended: a step class whose metaclass posed as one of the library's steps was
# found by the step tables' dict lookups; step classes are now found by identity (steps.step_name,
# apply_step).
def test_the_service_refuses_a_posing_sweep_of_a_family_user(tmp_path: Path) -> None:
    from sen_disagreement.council import StoreAttentionQueue
    from sen_disagreement.plugins import Hooks, make_plugin_manager

    store = open_store(str(tmp_path / "cases.sqlite3"))
    case = sweep.notified("x3-svc-1", dt.date(2025, 3, 3))
    sweep.import_cases(store, [records.to_record(case)])
    hooks = Hooks(make_plugin_manager(load_entry_points=False), timeout=None,
                  attention=StoreAttentionQueue(store))
    service = CaseService(store, hooks, sweep.directory("x3-svc-1"), clock=lambda: sweep.NOW)
    user = sweep.family("x3-svc-1").actor_id
    with pytest.raises(AccessDeniedError):
        service.apply("x3-svc-1", user, st.Sweep(today=sweep.NOW.date()))
    posing = _poser(st.Sweep, st.RecordItem, today=sweep.NOW.date())
    try:
        saved = service.apply("x3-svc-1", user, posing)
    except (AccessDeniedError, InvalidInputError):
        assert store.load("x3-svc-1").state == case.state.value
        return
    pytest.fail(f"the family user's posing sweep saved the case as {saved.state}")
