"""The cheaper disagreement-resolution transitions answer exactly as the general path does.

Each fast path is compared with the general code it stands in for, on good and hostile input
(subclasses of str and datetime, objects whose ``__eq__`` lies, frozen values rewritten with
``object.__setattr__``, naive and non-UTC times, times earlier than the last entry):

* ``append_entry`` gives what ``trail.append(make_entry(...))`` gives: the same trail, or the
  same error (type, field, rule id, message);
* the generated ``evolver`` is ``attrs.evolve`` that converts and validates only what changes,
  in the order given;
* ``consent_entry`` is ``ConsentEntry(...)``; ``issue_list_of`` is ``IssueList().add(...)`` in
  turn; ``IssueList.add`` / ``with_outcomes`` build what the constructor builds;
  ``ConsentLedger.missing_among`` is ``missing``;
* a whole transition (every action of the case) equals the same change made with
  ``attrs.evolve`` and the general audit entry, and refuses what that refuses;
* ``apply_step`` and ``authorise`` still refuse a step subclass, a non-step and a non-actor.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs
import pytest
from hostile_values import EqualsAnything, NeverEarlier, PlainStr

from sen_disagreement.actors import Actor, CaseGrant, Role
from sen_disagreement.ehc import Duty, PlanSection
from sen_disagreement.errors import AccessDeniedError, ConsentRequiredError, InvalidInputError
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.store.contract import AuditEntry
from sen_disagreement.voluntary import (
    ConsentDecision,
    ConsentEntry,
    ConsentLedger,
    Process,
    consent_entry,
)
from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow._case import evolver
from sen_disagreement.workflow.audit import AuditTrail, append_entry, make_entry
from sen_disagreement.workflow.disagreement_resolution import DR_MACHINE, DrEvent, DrState
from sen_disagreement.workflow.issues import Issue, IssueList, IssueOutcome, issue_list_of

T0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
COUNCIL = "E08000014"
CASE = "dr-fast-1"
OFFICER = Actor(actor_id="officer-1", role=Role.LA_OFFICER, council=COUNCIL)
PARENT_USER = Actor(actor_id="sam", role=Role.FAMILY,
                    grants={CaseGrant(case_id=CASE, party_id="parent")})
PROVIDER_USER = Actor(actor_id="gm-1", role=Role.PROVIDER, organisation="global-mediation")
PROVIDER = Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER, name="Global Mediation")
PROVIDER_ID = "global-mediation"  # the provider actor's organisation


_GMT = dt.timezone(dt.timedelta(0), "GMT")
_PLUS_ONE = dt.timezone(dt.timedelta(hours=1))


def _outcome(call: Callable[[], Any]) -> object:
    """What ``call`` gives: its value, or its error's type, field, rule id and message."""
    try:
        return ("value", call())
    except Exception as exc:  # compared, whatever it is
        return ("error", type(exc), getattr(exc, "field", None), getattr(exc, "rule_id", None),
                str(exc))


def _same(got: object, expected: object) -> None:
    assert got == expected
    if got[0] == "value":  # type: ignore[index]
        value, other = got[1], expected[1]  # type: ignore[index]
        assert type(value) is type(other)
        if isinstance(value, AuditTrail):
            assert type(value.case_id) is type(other.case_id)
            for mine, theirs in zip(value.entries, other.entries, strict=True):
                for f in attrs.fields(AuditEntry):
                    assert type(getattr(mine, f.name)) is type(getattr(theirs, f.name)), f.name


def _parties() -> list[CaseParty]:
    return [CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent")),
            CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                      identifiers=Identifiers(gss_code=COUNCIL)))]


def _referred() -> DisagreementResolutionCase:
    return DisagreementResolutionCase.refer(
        case_id=CASE, council=COUNCIL, parties=_parties(), at=T0, actor="officer-1",
        issues=[Issue(issue_id="assess", duty=Duty.ASSESS),
                Issue(issue_id="speech", section=PlanSection.F)])


def _at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def _forced(value: Any, **changes: Any) -> Any:
    """A copy of a frozen value with ``changes`` written past its checks."""
    new = attrs.evolve(value)
    for name, changed in changes.items():
        object.__setattr__(new, name, changed)
    return new


# --- append_entry ----------------------------------------------------------------------------

_GOOD: dict[str, Any] = {"actor": "officer-1", "action": "dr.seek_agreement", "at": _at(1),
                         "case_id": CASE, "fields": ("ledger", "closure"), "outcome": "ok"}

_HOSTILE_ENTRY: list[tuple[str, object]] = [
    ("actor", EqualsAnything("officer-1")), ("actor", PlainStr("officer-1")),
    ("actor", "bad actor"),
    ("actor", "x" * 500), ("actor", 7), ("actor", None),
    ("action", EqualsAnything("dr.seek_agreement")), ("action", PlainStr("dr.seek_agreement")),
    ("action", "Not A Slug"),
    ("case_id", EqualsAnything(CASE)), ("case_id", PlainStr(CASE)), ("case_id", "other-case"),
    ("case_id", "bad id!"), ("case_id", None),
    ("outcome", EqualsAnything("ok")), ("outcome", "NOT OK"),
    ("fields", ("ledger", EqualsAnything("closure"))), ("fields", ("ledger", PlainStr("closure"))),
    ("fields", ["ledger", "closure"]), ("fields", ("a value, not a name",)),
    ("fields", tuple(f"f{i}" for i in range(20))), ("fields", "ledger"), ("fields", 5),
    ("at", dt.datetime(2025, 3, 3, 10)), ("at", dt.datetime(2025, 3, 3, 10, tzinfo=_GMT)),
    ("at", dt.datetime(2025, 3, 3, 11, tzinfo=_PLUS_ONE)),
    ("at", NeverEarlier(2025, 3, 3, 10, tzinfo=dt.UTC)), ("at", T0 - dt.timedelta(hours=1)),
    ("at", T0), ("at", dt.date(2025, 3, 3)), ("at", "2025-03-03T10:00:00Z"),
]


def _trails() -> Iterator[tuple[str, AuditTrail]]:
    base = AuditTrail(CASE).append(make_entry(actor="officer-1", action="dr.referred", at=T0,
                                              case_id=CASE))
    yield "one entry", base
    yield "empty", AuditTrail(CASE)
    yield "case id rewritten", _forced(base, case_id="other-case")
    yield "case id rewritten to a liar", _forced(base, case_id=EqualsAnything("other-case"))
    yield "entries rewritten to a list", _forced(base, entries=list(base.entries))
    yield "last entry later", base.append(make_entry(actor="officer-1", action="dr.note",
                                                     at=_at(5), case_id=CASE))


class _Trail(AuditTrail):
    def append(self, entry: AuditEntry) -> AuditTrail:
        raise AssertionError("the subclass's own append must be the one called")


@pytest.mark.parametrize(("trail_name", "trail"), list(_trails()), ids=[n for n, _ in _trails()])
@pytest.mark.parametrize(("name", "value"), [("good", None), *_HOSTILE_ENTRY],
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate([("good", 0),
                                                                     *_HOSTILE_ENTRY])])
def test_append_entry_is_trail_append_of_make_entry(trail_name: str, trail: AuditTrail,
                                                    name: str, value: object) -> None:
    given = dict(_GOOD) if name == "good" else {**_GOOD, name: value}
    make_entry(**_GOOD)  # every good value is now known good: a lookalike must not borrow it
    expected = _outcome(lambda: trail.append(make_entry(**given)))
    got = _outcome(lambda: append_entry(trail, **given))
    _same(got, expected)


def test_append_entry_calls_a_trail_subclass_own_append() -> None:
    trail = _Trail(CASE)
    with pytest.raises(AssertionError, match="subclass's own append"):
        append_entry(trail, **_GOOD)


def test_append_entry_leaves_the_trail_it_extends_alone() -> None:
    trail = AuditTrail(CASE)
    first = append_entry(trail, **_GOOD)
    assert trail.entries == () and len(first.entries) == 1
    second = append_entry(first, **{**_GOOD, "at": _at(2)})
    assert first.entries == second.entries[:1] and second.extends(first)


# --- evolver ---------------------------------------------------------------------------------


def test_the_evolver_is_attrs_evolve_for_any_order_of_changes() -> None:
    case = _referred()
    trail = case.audit.append(make_entry(actor="officer-1", action="dr.seek_agreement",
                                         at=_at(1), case_id=CASE))
    for names in (("state", "audit"), ("audit", "state"), ("state", "audit", "items"),
                  ("items", "closed_on", "state")):
        values: dict[str, Any] = {"state": DrState.SEEKING_AGREEMENT, "audit": trail, "items": [],
                  "closed_on": T0.date()}
        got = evolver(type(case), names)(case, *(values[n] for n in names))
        assert got == attrs.evolve(case, **{n: values[n] for n in names})
        assert type(got.items) is tuple  # converted as __init__ converts it


@pytest.mark.parametrize("names", [("state", "closed_on"), ("closed_on", "state")])
def test_the_evolver_refuses_in_the_order_of_the_changes_as_attrs_evolve(
        names: tuple[str, ...]) -> None:
    case = _referred()
    # A str for an enum, a datetime for a date.
    bad: dict[str, Any] = {"state": "seeking_agreement", "closed_on": T0}
    expected = _outcome(lambda: attrs.evolve(case, **{n: bad[n] for n in names}))
    got = _outcome(lambda: evolver(type(case), names)(case, *(bad[n] for n in names)))
    assert got == expected
    assert expected[0] == "error"  # type: ignore[index]


def test_the_evolver_names_an_unknown_field() -> None:
    with pytest.raises(TypeError, match="no field 'colour'"):
        evolver(DisagreementResolutionCase, ("state", "colour"))


def test_the_evolver_of_a_case_subclass_builds_that_subclass() -> None:
    @attrs.frozen(kw_only=True)
    class Sub(DisagreementResolutionCase):
        pass

    case = _referred()
    sub = Sub(**{f.name: getattr(case, f.name) for f in attrs.fields(DisagreementResolutionCase)})
    got = evolver(Sub, ("state",))(sub, DrState.SEEKING_AGREEMENT)
    assert type(got) is Sub and got == attrs.evolve(sub, state=DrState.SEEKING_AGREEMENT)


# --- consent entries, issue lists, the ledger ----------------------------------------------------

_CONSENT_GOOD: dict[str, Any] = {"party_id": "parent", "decision": ConsentDecision.AGREED,
                                 "at": _at(2), "recorded_by": "parent",
                                 "on_behalf_lacking_capacity": False}
_CONSENT_HOSTILE: list[tuple[str, object]] = [
    ("party_id", EqualsAnything("parent")), ("party_id", 7), ("decision", "agreed"),
    ("at", dt.datetime(2025, 3, 3, 10)), ("at", dt.datetime(2025, 3, 3, 10, tzinfo=_GMT)),
    ("at", dt.datetime(2025, 3, 3, 10, tzinfo=_PLUS_ONE)),
    ("at", NeverEarlier(2025, 3, 3, 10, tzinfo=dt.UTC)), ("at", dt.date(2025, 3, 3)),
    ("recorded_by", PlainStr("parent")), ("recorded_by", None),
    ("on_behalf_lacking_capacity", 1), ("on_behalf_lacking_capacity", None),
]


@pytest.mark.parametrize(("name", "value"), [("good", None), *_CONSENT_HOSTILE],
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate([("good", 0),
                                                                     *_CONSENT_HOSTILE])])
def test_consent_entry_is_the_constructor(name: str, value: object) -> None:
    given = dict(_CONSENT_GOOD) if name == "good" else {**_CONSENT_GOOD, name: value}
    expected = _outcome(lambda: ConsentEntry(**given))
    got = _outcome(lambda: consent_entry(**given))
    assert got == expected
    if got[0] == "value":  # type: ignore[index]
        for f in attrs.fields(ConsentEntry):
            assert type(getattr(got[1], f.name)) is type(getattr(expected[1], f.name))  # type: ignore[index]


def _added(issues: list[Any]) -> IssueList:
    out = IssueList()
    for issue in issues:
        out = out.add(issue)
    return out


@pytest.mark.parametrize("issues", [
    [], [Issue(issue_id="assess", duty=Duty.ASSESS)],
    [Issue(issue_id="assess", duty=Duty.ASSESS), Issue(issue_id="speech", section=PlanSection.F)],
    [Issue(issue_id="assess", duty=Duty.ASSESS), Issue(issue_id="assess", section=PlanSection.F)],
    [Issue(issue_id="assess", duty=Duty.ASSESS),
     _forced(Issue(issue_id="speech", section=PlanSection.F), issue_id=EqualsAnything("speech"))],
    [_forced(Issue(issue_id="speech", section=PlanSection.F), issue_id=EqualsAnything("speech")),
     Issue(issue_id="assess", duty=Duty.ASSESS)],
    [Issue(issue_id="assess", duty=Duty.ASSESS), "not an issue"],
], ids=["none", "one", "two", "repeated", "liar-second", "liar-first", "not-an-issue"])
def test_issue_list_of_is_add_in_turn(issues: list[Any]) -> None:
    assert _outcome(lambda: issue_list_of(iter(issues))) == _outcome(lambda: _added(issues))


def test_issue_list_add_and_outcomes_build_what_the_constructor_builds() -> None:
    one = Issue(issue_id="assess", duty=Duty.ASSESS)
    two = Issue(issue_id="speech", section=PlanSection.F)
    listed = IssueList().add(one).add(two)
    assert listed == IssueList((one, two), ())
    assert type(listed.issues) is tuple and type(listed.outcomes) is tuple
    done = listed.with_outcomes({"assess": IssueOutcome.AGREED, "speech": IssueOutcome.NOT_AGREED})
    assert done == IssueList((one, two), (("assess", IssueOutcome.AGREED),
                                          ("speech", IssueOutcome.NOT_AGREED)))
    # Rewritten past their checks: the constructor (which converts) is the one used.
    as_lists = _forced(listed, issues=[one, two])
    assert type(as_lists.with_outcomes(dict(done.outcomes)).issues) is tuple
    with_list_outcomes = _forced(IssueList((one,), ()), outcomes=[])
    added = with_list_outcomes.add(two)
    assert added.outcomes == () and type(added.outcomes) is tuple
    bad_outcomes = _forced(IssueList((one,), ()), outcomes=[("assess", IssueOutcome.AGREED, 3)])
    with pytest.raises(ValueError, match="too many values"):
        bad_outcomes.add(two)


class _Outcomes(Mapping[str, IssueOutcome]):
    def __init__(self, data: dict[str, IssueOutcome]) -> None:
        self.data = data

    def __getitem__(self, key: str) -> IssueOutcome:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


@pytest.mark.parametrize("given", [
    {"assess": IssueOutcome.AGREED}, _Outcomes({"assess": IssueOutcome.AGREED}),
    (("assess", IssueOutcome.AGREED),), [("assess", IssueOutcome.AGREED)],
    iter([("assess", IssueOutcome.AGREED)]),
], ids=["dict", "mapping", "tuple", "list", "iterator"])
def test_the_outcomes_converter_reads_a_mapping_or_pairs(given: object) -> None:
    one = Issue(issue_id="assess", duty=Duty.ASSESS)
    built = IssueList((one,), given)  # type: ignore[arg-type]
    assert built.outcomes == (("assess", IssueOutcome.AGREED),)


def test_missing_among_is_missing() -> None:
    parties = {"parent": Party(kind=PartyKind.PARENT, name="Sam"),
               "yp": Party(kind=PartyKind.YOUNG_PERSON, name="Alex",
                           date_of_birth=dt.date(2007, 1, 1)),
               "sefton": Party(kind=PartyKind.LOCAL_AUTHORITY,
                               identifiers=Identifiers(gss_code=COUNCIL))}
    ledger = ConsentLedger(Process.DISAGREEMENT_RESOLUTION)
    decisions = [("yp", ConsentDecision.AGREED), ("sefton", ConsentDecision.AGREED),
                 ("yp", ConsentDecision.WITHDRAWN), ("yp", ConsentDecision.AGREED)]
    for i, (pid, decision) in enumerate(decisions):
        ledger = ledger.record(ConsentEntry(party_id=pid, decision=decision, at=_at(i),
                                            recorded_by=pid), parties)
        required = ledger.required_parties(parties)
        assert ledger.missing_among(required) == ledger.missing(parties)


# --- whole transitions -------------------------------------------------------------------------


def _reference(case: DisagreementResolutionCase, event: DrEvent, at: object, actor: object,
               fields: tuple[str, ...], **changes: Any) -> DisagreementResolutionCase:
    """The general path of one transition: the checks _begin makes, then attrs.evolve with the
    general audit entry appended."""
    def run() -> DisagreementResolutionCase:
        DR_MACHINE.target(case.state, DrEvent(event) if event is not DrEvent.ALL_AGREED
                          else DrEvent.RECORD_AGREEMENT)
        from sen_disagreement.workflow._case import check_actor
        from sen_disagreement.workflow.audit import check_utc
        check_utc(at)
        check_actor(actor)
        if at < case.audit.entries[-1].at:  # type: ignore[operator]
            raise InvalidInputError("is earlier than the last change to the case", field="at",
                                    rule_id="audit.every_change_and_sensitive_read")
        entry = make_entry(actor=actor, action=f"dr.{event.value}", at=at,  # type: ignore[arg-type]
                           case_id=case.case_id, fields=fields)
        target = DR_MACHINE.target(case.state, event)
        new: DisagreementResolutionCase = _evolve_changed(
            case, state=target, audit=case.audit.append(entry), **changes)
        return new
    return run()


def _evolve_changed(case: Any, **changes: Any) -> Any:
    """The general evolve of a case that checks only what changes: a copy of every field as it
    is, the changed ones converted and validated in field order, as ``__init__`` does."""
    new = copy.copy(case)
    fields = attrs.fields(type(case))
    for f in fields:
        if f.name in changes:
            value = changes[f.name]
            object.__setattr__(new, f.name, f.converter(value) if f.converter else value)
    for f in fields:
        if f.name in changes and f.validator is not None:
            f.validator(new, f, getattr(new, f.name))
    return new


_WHEN: list[tuple[str, object]] = [
    ("utc", _at(1)), ("gmt", dt.datetime(2025, 3, 3, 10, tzinfo=_GMT)),
    ("subclass", NeverEarlier(2025, 3, 3, 10, tzinfo=dt.UTC)),
    ("naive", dt.datetime(2025, 3, 3, 10)),
    ("plus-one", dt.datetime(2025, 3, 3, 11, tzinfo=_PLUS_ONE)),
    ("earlier", T0 - dt.timedelta(minutes=1)), ("same", T0), ("date", dt.date(2025, 3, 3)),
]
_WHO: list[tuple[str, object]] = [
    ("officer", "officer-1"), ("plain-subclass", PlainStr("officer-1")),
    ("liar", EqualsAnything("officer-1")), ("spaces", "officer 1"), ("number", 7),
]


def _rewritten_cases() -> Iterator[tuple[str, DisagreementResolutionCase]]:
    case = _referred()
    yield "as-built", case
    yield "case-id-bad", _forced(case, case_id="bad id!")
    yield "case-id-other", _forced(case, case_id="other-case")
    yield "case-id-liar", _forced(case, case_id=EqualsAnything(CASE))
    yield "trail-other-case", _forced(case, audit=_forced(case.audit, case_id="other-case"))
    yield "parties-list", _forced(case, parties=list(case.parties))


@pytest.mark.parametrize(("case_name", "case"), list(_rewritten_cases()),
                         ids=[n for n, _ in _rewritten_cases()])
@pytest.mark.parametrize(("when_name", "when"), _WHEN, ids=[n for n, _ in _WHEN])
@pytest.mark.parametrize(("who_name", "who"), _WHO, ids=[n for n, _ in _WHO])
def test_seek_agreement_is_the_general_transition(case_name: str,
                                                  case: DisagreementResolutionCase,
                                                  when_name: str, when: object, who_name: str,
                                                  who: object) -> None:
    expected = _outcome(lambda: _reference(case, DrEvent.SEEK_AGREEMENT, when, who, ()))
    got = _outcome(lambda: case.seek_agreement(at=when, actor=who))  # type: ignore[arg-type]
    assert got == expected
    if got[0] == "value":  # type: ignore[index]
        mine, theirs = got[1].audit, expected[1].audit  # type: ignore[index]
        _same(("value", mine), ("value", theirs))


def _walk(case: DisagreementResolutionCase) -> list[tuple[DrEvent, Callable[[Any], Any],
                                                            tuple[str, ...], dict[str, Any]]]:
    """The happy path's steps after seek_agreement: (event, action, fields, changes)."""
    return [
        (DrEvent.RECORD_AGREEMENT,
         lambda c: c.agree("parent", at=_at(2), actor="sam"), ("ledger",), {}),
        (DrEvent.ALL_AGREED,
         lambda c: c.agree("sefton", at=_at(3), actor="officer-1"), ("ledger",), {}),
        (DrEvent.ASSIGN_PROVIDER,
         lambda c: c.assign_provider(PROVIDER_ID, PROVIDER, at=_at(4), actor="officer-1"),
         ("provider",), {}),
        (DrEvent.ARRANGE_MEETING,
         lambda c: c.arrange_meeting(meeting_date=dt.date(2025, 3, 10), at=_at(5),
                                     actor="gm-1"), ("meeting_date",),
         {"meeting_date": dt.date(2025, 3, 10), "arranged_on": T0.date()}),
        (DrEvent.HOLD_MEETING,
         lambda c: c.hold_meeting(on=dt.date(2025, 3, 10), at=dt.datetime(
             2025, 3, 10, 15, tzinfo=dt.UTC), actor="gm-1"), ("held_on",),
         {"held_on": dt.date(2025, 3, 10)}),
        (DrEvent.RECORD_OUTCOME,
         lambda c: c.record_outcome({"speech": IssueOutcome.NOT_AGREED,
                                     "assess": IssueOutcome.AGREED},
                                    at=dt.datetime(2025, 3, 10, 16, tzinfo=dt.UTC),
                                    actor="gm-1"), ("outcomes",), {}),
        (DrEvent.CLOSE,
         lambda c: c.close(at=dt.datetime(2025, 3, 10, 17, tzinfo=dt.UTC), actor="officer-1"),
         ("closure",), {}),
    ]


def test_every_action_equals_attrs_evolve_with_the_general_entry() -> None:
    case = _referred().seek_agreement(at=_at(1), actor="officer-1")
    for event, action, fields, _ in _walk(case):
        new = action(case)
        last = new.audit.entries[-1]
        assert new.audit.entries[:-1] == case.audit.entries
        assert last == make_entry(actor=last.actor, action=f"dr.{event.value}", at=last.at,
                                  case_id=CASE, fields=fields)
        # Every field but the state and the trail equals what attrs.evolve would carry or set.
        changed = {f.name: getattr(new, f.name) for f in attrs.fields(type(case))
                   if getattr(new, f.name) != getattr(case, f.name)}
        assert new == attrs.evolve(case, **changed)
        assert new.state is DR_MACHINE.target(case.state, event)
        case = new
    assert case.state is DrState.CLOSED


def test_agreement_with_a_subclassed_ledger_asks_it_as_before() -> None:
    class Ledger(ConsentLedger):
        def required_parties(self, parties: Mapping[str, Party]) -> list[str]:
            return []  # nobody's decision is needed: the subclass's own answer is the one asked

    case = _referred().seek_agreement(at=_at(1), actor="officer-1")
    sub = _forced(case, ledger=Ledger(Process.DISAGREEMENT_RESOLUTION))
    with pytest.raises(ConsentRequiredError) as refused:
        sub.agree("parent", at=_at(2), actor="sam")
    assert getattr(refused.value, "rule_id", None) == "young_person.decides"
    plain = case.agree("parent", at=_at(2), actor="sam").agree("sefton", at=_at(3),
                                                               actor="officer-1")
    assert plain.state is DrState.ALL_AGREED


def test_agreement_with_a_rewritten_ledger_reads_it_as_before() -> None:
    case = _referred().seek_agreement(at=_at(1), actor="officer-1")
    once = case.agree("parent", at=_at(2), actor="sam")
    # The entries rewritten to a list: read as they are, the successor a tuple.
    listed = _forced(once, ledger=_forced(once.ledger, entries=list(once.ledger.entries)))
    twice = listed.agree("sefton", at=_at(3), actor="officer-1")
    assert twice.state is DrState.ALL_AGREED and type(twice.ledger.entries) is tuple
    # The last decision rewritten to a withdrawal: the parent is missing again.
    withdrawn = _forced(once.ledger.entries[0], decision=ConsentDecision.WITHDRAWN)
    rewritten = _forced(once, ledger=_forced(once.ledger, entries=(withdrawn,)))
    assert rewritten.agree("sefton", at=_at(3), actor="officer-1").state is (
        DrState.SEEKING_AGREEMENT)


def test_a_young_person_decides_and_a_declined_process_stops_as_before() -> None:
    parties = [CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent")),
               CaseParty("yp", Party(kind=PartyKind.YOUNG_PERSON, name="Alex",
                                     date_of_birth=dt.date(2007, 1, 1))),
               CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                         identifiers=Identifiers(gss_code=COUNCIL)))]
    case = DisagreementResolutionCase.refer(
        case_id=CASE, council=COUNCIL, parties=parties, at=T0, actor="officer-1",
    ).seek_agreement(at=_at(1), actor="officer-1")
    with pytest.raises(ConsentRequiredError) as refused:
        case.agree("parent", at=_at(2), actor="sam")
    assert getattr(refused.value, "rule_id", None) == "young_person.decides"
    with pytest.raises(InvalidInputError) as unknown:
        case.agree("nobody", at=_at(2), actor="sam")
    assert getattr(unknown.value, "rule_id", None) == "consent.party"
    agreed = case.agree("yp", at=_at(2), actor="alex").agree("sefton", at=_at(3),
                                                             actor="officer-1")
    assert agreed.state is DrState.ALL_AGREED
    declined = case.decline("sefton", at=_at(2), actor="officer-1")
    assert declined.state is DrState.CLOSED and declined.closed_on == _at(2).date()


# --- apply_step --------------------------------------------------------------------------------


class _Seek(st.SeekAgreement):
    pass


def test_apply_step_refuses_a_step_subclass_a_non_step_and_a_non_actor() -> None:
    case = _referred()
    with pytest.raises(InvalidInputError) as sub:
        st.apply_step(case, OFFICER, _Seek(), at=_at(1))
    assert (sub.value.field, sub.value.rule_id) == ("step", "input.type")
    with pytest.raises(InvalidInputError) as not_step:
        st.apply_step(case, OFFICER, object(), at=_at(1))  # type: ignore[arg-type]
    assert "must be a Step" in str(not_step.value)
    with pytest.raises(InvalidInputError) as not_actor:
        st.apply_step(case, "officer-1", st.SeekAgreement(), at=_at(1))  # type: ignore[arg-type]
    assert "must be an Actor" in str(not_actor.value)


def test_apply_step_walks_the_case_as_the_case_methods_do() -> None:
    by_steps = st.apply_step(_referred(), OFFICER, st.SeekAgreement(), at=_at(1))
    by_steps = st.apply_step(by_steps, PARENT_USER, st.AcceptDecision(party_id="parent"),
                             at=_at(2))
    by_steps = st.apply_step(by_steps, OFFICER, st.AcceptDecision(party_id="sefton"), at=_at(3))
    by_steps = st.apply_step(by_steps, OFFICER, st.AssignProvider(), at=_at(4),
                             provider=(PROVIDER_ID, PROVIDER))
    by_steps = st.apply_step(by_steps, PROVIDER_USER,
                             st.ArrangeMeeting(meeting_date=dt.date(2025, 3, 10)), at=_at(5))
    by_methods = (_referred().seek_agreement(at=_at(1), actor="officer-1")
                  .agree("parent", at=_at(2), actor="sam", recorded_by="parent")
                  .agree("sefton", at=_at(3), actor="officer-1", recorded_by="sefton")
                  .assign_provider(PROVIDER_ID, PROVIDER, at=_at(4), actor="officer-1")
                  .arrange_meeting(meeting_date=dt.date(2025, 3, 10), at=_at(5), actor="gm-1"))
    assert by_steps == by_methods
    # A parent deciding for the local authority is refused by authorise, as before.
    fresh = st.apply_step(_referred(), OFFICER, st.SeekAgreement(), at=_at(1))
    with pytest.raises(AccessDeniedError) as denied:
        st.apply_step(fresh, PARENT_USER, st.AcceptDecision(party_id="sefton"), at=_at(2))
    assert "decides for itself" in str(denied.value)
