"""The second round of cheaper transitions answers exactly as the general path does.

* ``DisagreementResolutionCase.refer`` builds the referred case without its ``__init__`` only
  for the library's own class and exact strs and datetime: compared with the general path (the
  fast build switched off) on good and hostile input, value by value and type by type;
* ``_case.builder`` is the class's constructor for values it keeps as given, and refuses a
  class or default it cannot stand in for;
* the officer's and the family's acting party is what the party map gives, for rewritten and
  subclassed parties too;
* a mediation step's audit entry is ``trail.append(make_entry(...))``.
"""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import textwrap
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import attrs
import pytest
from hostile_values import EqualsAnything, NeverEarlier, PlainStr

from sen_disagreement import actors
from sen_disagreement.actors import Actor, CaseGrant, Role
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.disclosure import Disclosure, ItemKind
from sen_disagreement.ehc import Duty, PlanSection
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.parties import FAMILY, Identifiers, Party, PartyKind
from sen_disagreement.settings import DEFAULT_SETTINGS
from sen_disagreement.voluntary import ConsentLedger, Process
from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase, _case
from sen_disagreement.workflow import disagreement_resolution as dr
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.access import acting_party
from sen_disagreement.workflow.audit import AuditTrail, make_entry
from sen_disagreement.workflow.issues import Issue, IssueOutcome
from sen_disagreement.workflow.mediation import DecisionNotice, MediationCase, Reg32Item
from sen_disagreement.workflow.mediation import case as mediation_case

T0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
COUNCIL = "E08000014"
CASE = "dr-fast-2"


_OTHER_SETTINGS = attrs.evolve(DEFAULT_SETTINGS)  # equal to the default, not it
_GMT = dt.timezone(dt.timedelta(0), "GMT")
_PLUS_ONE = dt.timezone(dt.timedelta(hours=1))


def _outcome(call: Callable[[], Any]) -> tuple[Any, ...]:
    """What ``call`` gives: its value, or its error's type, field, rule id and message."""
    try:
        return ("value", call())
    except Exception as exc:  # compared, whatever it is
        return ("error", type(exc), getattr(exc, "field", None), getattr(exc, "rule_id", None),
                str(exc))


def _same_case(got: Any, expected: Any) -> None:
    """Every field the same value of the same type (the settings, kept by identity, too)."""
    assert type(got) is type(expected)
    for f in attrs.fields(type(expected)):
        mine, theirs = getattr(got, f.name), getattr(expected, f.name)
        assert mine == theirs, f.name
        assert type(mine) is type(theirs), f.name
    assert got.settings is expected.settings
    assert got.parties is not None and type(got.ledger.entries) is tuple
    for mine, theirs in zip(got.audit.entries, expected.audit.entries, strict=True):
        for f in attrs.fields(type(theirs)):
            assert getattr(mine, f.name) == getattr(theirs, f.name)
            assert type(getattr(mine, f.name)) is type(getattr(theirs, f.name))


def _parties() -> list[CaseParty]:
    return [CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent")),
            CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                      identifiers=Identifiers(gss_code=COUNCIL)))]


def _issues() -> list[Issue]:
    return [Issue(issue_id="assess", duty=Duty.ASSESS),
            Issue(issue_id="speech", section=PlanSection.F)]


def _referrals() -> Iterator[tuple[str, dict[str, Any]]]:
    good: dict[str, Any] = {"case_id": CASE, "council": COUNCIL, "parties": _parties(),
                            "at": T0, "actor": "officer-1", "issues": _issues()}
    yield "good", good
    yield "parties as a generator", {**good, "parties": (p for p in _parties())}
    yield "parties as a tuple", {**good, "parties": tuple(_parties())}
    yield "no issues", {**good, "issues": ()}
    yield "str subclass case id", {**good, "case_id": PlainStr(CASE)}
    yield "lying case id", {**good, "case_id": EqualsAnything(CASE)}
    yield "str subclass council", {**good, "council": PlainStr(COUNCIL)}
    yield "lying council", {**good, "council": EqualsAnything(COUNCIL)}
    yield "bad case id", {**good, "case_id": "No Spaces Allowed"}
    yield "case id not a str", {**good, "case_id": 7}
    yield "datetime subclass", {**good, "at": NeverEarlier(2025, 3, 3, 9, tzinfo=dt.UTC)}
    yield "naive time", {**good, "at": dt.datetime(2025, 3, 3, 9)}
    yield "GMT time", {**good, "at": dt.datetime(2025, 3, 3, 9, tzinfo=_GMT)}
    yield "non-UTC time", {**good, "at": dt.datetime(2025, 3, 3, 9, tzinfo=_PLUS_ONE)}
    yield "a date", {**good, "at": dt.date(2025, 3, 3)}
    yield "bad actor", {**good, "actor": "Officer One"}
    yield "lying actor", {**good, "actor": EqualsAnything("officer-1")}
    yield "one party", {**good, "parties": _parties()[:1]}
    yield "repeated party", {**good, "parties": [*_parties(), _parties()[0]]}
    yield "not a party", {**good, "parties": [*_parties(), "sefton"]}
    yield "repeated issue", {**good, "issues": [*_issues(), _issues()[0]]}
    yield "not an issue", {**good, "issues": ["assess"]}
    yield "other settings", {**good, "settings": _OTHER_SETTINGS}
    yield "settings not Settings", {**good, "settings": "anything"}


def _general(monkeypatch: pytest.MonkeyPatch, cls: Any, kw: dict[str, Any]) -> tuple[Any, ...]:
    with monkeypatch.context() as m:
        m.setattr(dr, "_FAST_REFER", False)
        return _outcome(lambda: cls.refer(**kw))


@pytest.mark.parametrize(("name", "kw"), list(_referrals()), ids=[n for n, _ in _referrals()])
def test_refer_is_the_general_referral(monkeypatch: pytest.MonkeyPatch, name: str,
                                       kw: dict[str, Any]) -> None:
    # Each run reads its own parties (a generator is read once).
    fresh = dict(_referrals())[name]
    expected = _general(monkeypatch, DisagreementResolutionCase, fresh)
    got = _outcome(lambda: DisagreementResolutionCase.refer(**kw))
    assert got[0] == expected[0]
    if got[0] == "error":
        assert got == expected
    else:
        _same_case(got[1], expected[1])


class _Referred(DisagreementResolutionCase):
    __slots__ = ()


def test_refer_of_a_case_subclass_builds_that_subclass_by_its_constructor(
        monkeypatch: pytest.MonkeyPatch) -> None:
    kw = dict(_referrals())["good"]
    got = _Referred.refer(**kw)
    assert type(got) is _Referred
    _same_case(got, _general(monkeypatch, _Referred, dict(_referrals())["good"])[1])


def test_refer_walks_on_as_the_general_referral(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = DisagreementResolutionCase.refer(**dict(_referrals())["good"])
    slow = _general(monkeypatch, DisagreementResolutionCase, dict(_referrals())["good"])[1]
    at = T0 + dt.timedelta(hours=1)
    _same_case(fast.seek_agreement(at=at, actor="officer-1"),
               slow.seek_agreement(at=at, actor="officer-1"))
    assert fast == slow and hash(fast.ledger) == hash(slow.ledger)


@attrs.frozen
class _Plain:
    a: str
    b: tuple[int, ...] = attrs.field(default=(), converter=tuple)
    c: int | None = attrs.field(default=None,
                                validator=attrs.validators.optional(attrs.validators.instance_of(int)))


def test_builder_is_the_constructor_for_values_it_keeps() -> None:
    build = _case.builder(_Plain, ("a",))
    got = build("x")
    assert got == _Plain("x") and type(got) is _Plain
    assert _case.builder(ConsentLedger, ("process",))(Process.MEDIATION) == ConsentLedger(
        Process.MEDIATION)


@attrs.frozen
class _Factory:
    a: list[int] = attrs.field(factory=list)


@attrs.frozen
class _Required:
    a: int


@attrs.frozen
class _Converted:
    a: tuple[int, ...] = attrs.field(default=[], converter=tuple)


@attrs.frozen
class _Refused:
    a: int | None = attrs.field(default=None, validator=attrs.validators.instance_of(int))


@attrs.frozen
class _PostInit:
    a: int = 0

    def __attrs_post_init__(self) -> None:
        pass


@pytest.mark.parametrize("cls", [_Factory, _Required, _Converted, _PostInit])
def test_builder_refuses_a_default_or_class_it_cannot_stand_in_for(cls: type) -> None:
    with pytest.raises(TypeError):
        _case.builder(cls, ())


def test_builder_refuses_a_default_the_validator_refuses_and_an_unknown_name() -> None:
    with pytest.raises(TypeError):
        _case.builder(_Refused, ())
    with pytest.raises(TypeError):
        _case.builder(_Plain, ("nope",))


# --- acting party -------------------------------------------------------------------------------

def _family(party_id: object) -> Actor:
    actor = Actor(actor_id="sam", role=Role.FAMILY,
                  grants={CaseGrant(case_id=CASE, party_id="parent")})
    grant = next(iter(actor.grants))
    object.__setattr__(grant, "party_id", party_id)
    return actor


class _CaseParty(CaseParty):
    __slots__ = ()


class _Mapped(DisagreementResolutionCase):
    """A case whose party map is its own."""

    __slots__ = ()

    @property
    def party_map(self) -> dict[str, Party]:
        return {}


def _acting_cases() -> Iterator[tuple[str, Any]]:
    good = DisagreementResolutionCase.refer(**dict(_referrals())["good"])
    yield "good", good
    parent, la = good.parties
    other = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Alex Parent"))
    yield "repeated id", attrs.evolve(good, parties=(parent, la, other))
    rewritten = attrs.evolve(good)
    object.__setattr__(rewritten, "parties", (parent, la, other))
    yield "rewritten with a repeated id", rewritten
    as_list = attrs.evolve(good)
    object.__setattr__(as_list, "parties", [parent, la])
    yield "parties a list", as_list
    sub = attrs.evolve(good, parties=(_CaseParty("parent", parent.party), la))
    yield "CaseParty subclass", sub
    lying = attrs.evolve(good)
    object.__setattr__(lying, "parties", (CaseParty("x", parent.party), la))
    object.__setattr__(lying.parties[0], "party_id", EqualsAnything("x"))
    yield "lying party id", lying
    plain = attrs.evolve(good)
    object.__setattr__(plain, "parties", (CaseParty("x", parent.party), la))
    object.__setattr__(plain.parties[0], "party_id", PlainStr("parent"))
    yield "str subclass party id", plain
    yield "own party map", _Mapped.refer(**dict(_referrals())["good"])
    family_la = attrs.evolve(good)
    object.__setattr__(family_la, "parties", (CaseParty("parent", la.party), la))
    yield "the family's party the LA", family_la


def _party_ids() -> Iterator[object]:
    yield from ("parent", "sefton", "nobody", PlainStr("parent"), EqualsAnything("nobody"))


@pytest.mark.parametrize(("name", "case"), list(_acting_cases()),
                         ids=[n for n, _ in _acting_cases()])
def test_the_familys_acting_party_is_the_party_maps_answer(name: str, case: Any) -> None:
    for party_id in _party_ids():
        family = _family(party_id)
        party = case.party_map.get(party_id) if party_id else None
        expected = (None if party is None or party.kind is PartyKind.LOCAL_AUTHORITY
                    else party_id if party.kind in FAMILY else None)
        assert _outcome(partial(acting_party, case, family)) == ("value", expected), party_id
        body = Actor(actor_id="icb-1", role=Role.BODY_OFFICER,
                     grants={CaseGrant(case_id=CASE, party_id="sefton")})
        object.__setattr__(next(iter(body.grants)), "party_id", party_id)
        expected_body = (None if party is None or party.kind is PartyKind.LOCAL_AUTHORITY
                         else None if party.kind in FAMILY else party_id)
        assert _outcome(partial(acting_party, case, body)) == ("value", expected_body)


@pytest.mark.parametrize(("name", "case"), list(_acting_cases()),
                         ids=[n for n, _ in _acting_cases()])
def test_the_officers_acting_party_is_the_first_local_authority(name: str, case: Any) -> None:
    officer = Actor(actor_id="officer-1", role=Role.LA_OFFICER, council=COUNCIL)
    expected = next((p.party_id for p in case.parties
                     if p.party.kind is PartyKind.LOCAL_AUTHORITY), None)
    assert acting_party(case, officer) == expected


# --- mediation's audit entry --------------------------------------------------------------------

def _mediation() -> MediationCase:
    notice = DecisionNotice(sent_on=T0.date(), contents=set(Reg32Item),
                            decisions=[AppealableDecision.PLAN_NEEDS])
    yp = CaseParty("yp", Party(kind=PartyKind.YOUNG_PERSON, name="Jo Young",
                               date_of_birth=dt.date(2003, 11, 27)))
    la = CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY))
    return MediationCase.notify_decision(case_id="med-fast-2", council="sefton",
                                         parties=[yp, la], notice=notice, at=T0, actor="officer")


def _general_append(trail: AuditTrail, **kw: Any) -> AuditTrail:
    return trail.append(make_entry(**kw))


@pytest.mark.parametrize("at", [
    T0 + dt.timedelta(hours=1), T0, T0 - dt.timedelta(hours=1),
    NeverEarlier(2025, 3, 3, 8, tzinfo=dt.UTC), dt.datetime(2025, 3, 3, 11),
    dt.datetime(2025, 3, 3, 11, tzinfo=_GMT), dt.datetime(2025, 3, 3, 11, tzinfo=_PLUS_ONE)],
    ids=["later", "same", "earlier", "claims-late", "naive", "gmt", "plus-one"])
@pytest.mark.parametrize("actor", ["adv", PlainStr("adv"), EqualsAnything("adv"), "Not An Id"])
def test_a_mediation_step_audits_as_trail_append_of_make_entry(
        monkeypatch: pytest.MonkeyPatch, at: dt.datetime, actor: str) -> None:
    case = _mediation()

    def step(c: MediationCase) -> Any:
        return c.contact_adviser("adv", Party(kind=PartyKind.MEDIATION_ADVISER),
                                 on=T0.date(), at=at, actor=actor)

    got = _outcome(lambda: step(case))
    with monkeypatch.context() as m:
        m.setattr(mediation_case, "append_entry", _general_append)
        expected = _outcome(lambda: step(case))
    assert got[0] == expected[0]
    if got[0] == "error":
        assert got == expected
    else:
        _same_case(got[1], expected[1])


# --- resolving a user id ------------------------------------------------------------------------

class _Directory:
    def __init__(self, *actors: Actor) -> None:
        self.actors = {a.actor_id: a for a in actors}
        self.asked: list[object] = []

    def resolve(self, user_id: str) -> Actor | None:
        self.asked.append(user_id)
        return self.actors.get(user_id)


@pytest.mark.parametrize("user_id", [
    "officer-1", PlainStr("officer-1"), EqualsAnything("officer-1"), "Officer One", "", 7, None,
    "officer-1\n", "x" * 200])
def test_resolve_answers_as_check_user_id_and_the_directory_whether_seen_or_not(
        user_id: object) -> None:
    officer = Actor(actor_id="officer-1", role=Role.LA_OFFICER, council=COUNCIL)

    def general() -> Any:
        uid = actors.check_user_id(user_id)
        return actors.resolve(_Directory(officer), uid)

    for _ in range(2):  # the first call may remember the id, the second reads it
        directory = _Directory(officer)
        got = _outcome(lambda d=directory: actors.resolve(d, user_id))  # type: ignore[misc]
        expected = _outcome(general)
        assert got == expected
        if got[0] == "value":
            assert got[1] is officer and directory.asked == [user_id]
            assert type(directory.asked[0]) is type(user_id)
    assert all(type(u) is str for u in actors._GOOD_USER_IDS)


# --- apply_step on a disagreement-resolution case -----------------------------------------------

_OFFICER = Actor(actor_id="officer-1", role=Role.LA_OFFICER, council=COUNCIL)
_PARENT = Actor(actor_id="sam", role=Role.FAMILY,
                grants={CaseGrant(case_id=CASE, party_id="parent")})
_PROVIDER_USER = Actor(actor_id="gm-1", role=Role.PROVIDER, organisation="global-mediation")
_ICB = Actor(actor_id="icb-1", role=Role.BODY_OFFICER,
             grants={CaseGrant(case_id=CASE, party_id="parent")})
_EXPORTER = Actor(actor_id="tx-1", role=Role.TRIBUNAL_EXPORTER, council=COUNCIL)
_MEDIATOR = Actor(actor_id="med-1", role=Role.MEDIATOR, organisation="global-mediation")
_OTHER_COUNCIL = Actor(actor_id="officer-2", role=Role.LA_OFFICER, council="E08000015")
_DR_PROVIDER = Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER, name="Global Mediation")


def _lying_step() -> st.AcceptDecision:
    step = st.AcceptDecision(party_id="sefton")
    object.__setattr__(step, "party_id", EqualsAnything("sefton"))
    return step


def _plain_party_step() -> st.AcceptDecision:
    step = st.AcceptDecision(party_id="parent")
    object.__setattr__(step, "party_id", PlainStr("parent"))
    return step


def _steps() -> list[Any]:
    meeting = dt.date(2025, 3, 10)
    return [
        st.SeekAgreement(), st.AcceptDecision(party_id="parent"),
        st.AcceptDecision(party_id="sefton"),
        st.AcceptDecision(party_id="parent", on_behalf_lacking_capacity=True),
        st.Decline(party_id="parent"), st.Withdraw(party_id="sefton"), st.AssignProvider(),
        st.ArrangeMeeting(meeting_date=meeting), st.HoldMeeting(on=meeting),
        st.RecordOutcome(outcomes={"assess": IssueOutcome.AGREED,
                                   "speech": IssueOutcome.NOT_AGREED}),
        st.RecordIssue(issue=Issue(issue_id="third", section=PlanSection.B)),
        st.RecordItem(item_id="n1", kind=ItemKind.NOTE, disclosure=Disclosure.PARTIES,
                      text="a note"),
        st.Close(), st.Sweep(today=meeting), st.ConfirmIssues(), st.GiveInformation(on=meeting),
        st.IssueCertificate(on=meeting), _lying_step(), _plain_party_step(),
    ]


def _walked() -> Iterator[tuple[str, DisagreementResolutionCase]]:
    case = DisagreementResolutionCase.refer(**dict(_referrals())["good"])
    yield "referred", case
    at = T0 + dt.timedelta(hours=1)
    case = case.seek_agreement(at=at, actor="officer-1")
    yield "seeking", case
    case = case.agree("parent", at=at, actor="sam")
    yield "one agreed", case
    case = case.agree("sefton", at=at, actor="officer-1")
    yield "all agreed", case
    case = case.assign_provider("global-mediation", _DR_PROVIDER, at=at, actor="officer-1")
    yield "provider", case
    case = case.arrange_meeting(meeting_date=dt.date(2025, 3, 10), at=at, actor="gm-1")
    yield "arranged", case
    held = case.hold_meeting(on=dt.date(2025, 3, 10),
                             at=dt.datetime(2025, 3, 10, 15, tzinfo=dt.UTC), actor="gm-1")
    yield "held", held
    rewritten = attrs.evolve(case)
    object.__setattr__(rewritten, "case_id", EqualsAnything(CASE))
    yield "lying case id", rewritten


@pytest.mark.parametrize(("name", "case"), list(_walked()), ids=[n for n, _ in _walked()])
def test_apply_step_on_a_dr_case_is_authorise_then_the_action(
        monkeypatch: pytest.MonkeyPatch, name: str, case: DisagreementResolutionCase) -> None:
    actors_ = [_OFFICER, _PARENT, _PROVIDER_USER, _ICB, _EXPORTER, _MEDIATOR, _OTHER_COUNCIL]
    times = [dt.datetime(2025, 3, 10, 16, tzinfo=dt.UTC), T0 - dt.timedelta(hours=1),
             dt.datetime(2025, 3, 10, 16)]
    provider = ("global-mediation", _DR_PROVIDER)
    for step in _steps():
        for actor in actors_:
            for at in times:
                for routed in (provider, None):
                    def call(s: Any = step, a: Actor = actor, t: dt.datetime = at,
                             r: Any = routed) -> Any:
                        return st.apply_step(case, a, s, at=t, councils=("sefton",), provider=r)

                    got = _outcome(call)
                    with monkeypatch.context() as m:
                        m.setattr(st, "_DR_FAST", {})
                        expected = _outcome(call)
                    assert got[0] == expected[0], (step, actor.actor_id)
                    if got[0] == "error":
                        assert got == expected, (step, actor.actor_id)
                    else:
                        _same_case(got[1], expected[1])


def test_apply_steps_dr_path_holds_only_steps_authorise_checks_no_further() -> None:
    # Every class of the fast table is one authorise returns early for, or a consent step
    # (whose one further check the fast path shares); ChangeContact and the classes with
    # checks of their own always go through authorise.
    assert set(st._DR_FAST) <= {*st._PLAIN_STEPS.values(), *st._CONSENT_STEP_CLASSES,
                                *st._DR_UNCHECKED}
    # authorise's checks of the others are each for a MediationCase only: every statement after
    # its early return that names one of them also asks whether the case is a MediationCase.
    tree = ast.parse(textwrap.dedent(inspect.getsource(st.authorise)))
    body = tree.body[0]
    assert isinstance(body, ast.FunctionDef)
    names = {cls.__name__ for cls in st._DR_UNCHECKED}
    found = set()
    for statement in body.body:
        text = ast.unparse(statement)
        for name in names:
            if f"isinstance(step, {name})" in text:
                found.add(name)
                # ``if isinstance(step, X) and isinstance(case, MediationCase) and ...:``
                assert isinstance(statement, ast.If), text
                test = statement.test
                assert isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And), text
                parts = [ast.unparse(v) for v in test.values]
                assert parts[0] == f"isinstance(step, {name})", text
                assert "isinstance(case, MediationCase)" in parts, text
            else:
                assert name not in text, text
    assert found == names
    assert st.ChangeContact not in st._DR_FAST
    for cls, (name, row, action) in st._DR_FAST.items():
        assert name == st._STEP_NAMES[cls]
        assert row is st.permission(name, DisagreementResolutionCase.KIND)
        assert action is st._DR_ACTIONS.get(cls)


class _Case(DisagreementResolutionCase):
    __slots__ = ()


class _Actor(Actor):
    __slots__ = ()


def test_apply_step_sends_a_case_or_actor_subclass_through_authorise() -> None:
    case = _Case.refer(**dict(_referrals())["good"])
    seeking = st.apply_step(case, _OFFICER, st.SeekAgreement(), at=T0)
    assert type(seeking) is _Case
    officer = _Actor(actor_id="officer-1", role=Role.LA_OFFICER, council=COUNCIL)
    plain = DisagreementResolutionCase.refer(**dict(_referrals())["good"])
    assert st.apply_step(plain, officer, st.SeekAgreement(), at=T0) == plain.seek_agreement(
        at=T0, actor="officer-1")


# --- a repeated change, and settings that are not Settings --------------------------------------

@pytest.mark.parametrize("names", [("state", "audit", "state"), ("audit", "audit")])
def test_the_evolver_refuses_a_field_changed_twice_as_evolve_case_does(
        names: tuple[str, ...]) -> None:
    case = DisagreementResolutionCase.refer(**dict(_referrals())["good"])
    with pytest.raises(TypeError):
        _case.evolver(DisagreementResolutionCase, names)
    with pytest.raises(TypeError):
        case._step(dr.DrEvent.SEEK_AGREEMENT, at=T0, actor="officer-1",
                   **{names[-1]: getattr(case, names[-1])})


@pytest.mark.parametrize("settings", [None, "anything", {}, DEFAULT_SETTINGS.__class__])
def test_a_case_refuses_settings_that_are_not_settings(monkeypatch: pytest.MonkeyPatch,
                                                       settings: object) -> None:
    kw = {**dict(_referrals())["good"], "settings": settings}
    got = _outcome(lambda: DisagreementResolutionCase.refer(**kw))
    assert got[:4] == ("error", InvalidInputError, "settings", "input.type")
    assert _general(monkeypatch, DisagreementResolutionCase,
                    {**dict(_referrals())["good"], "settings": settings}) == got
    good = DisagreementResolutionCase.refer(**dict(_referrals())["good"])
    with pytest.raises(InvalidInputError) as err:
        attrs.evolve(good, settings=settings)  # type: ignore[arg-type]
    assert (err.value.field, err.value.rule_id) == ("settings", "input.type")
    notice = DecisionNotice(sent_on=T0.date(), contents=set(Reg32Item),
                            decisions=[AppealableDecision.PLAN_NEEDS])
    with pytest.raises(InvalidInputError) as med:
        MediationCase.notify_decision(
            case_id="med-fast-3", council="sefton", notice=notice, at=T0, actor="officer",
            parties=[CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent")),
                     CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY))],
            settings=settings)  # type: ignore[arg-type]
    assert (med.value.field, med.value.rule_id) == ("settings", "input.type")
