"""The faster transitions of issue 14 still check everything they checked.

Each fast path here is compared with the slow one it replaces, through the public API and with
hostile input:

* ``evolve_case`` (every transition) converts and validates each changed field as the class's
  own ``__init__`` does: a bad value for any field of either case type is refused with the same
  typed error as ``attrs.evolve``;
* ``make_entry`` checks each distinct string once with the store's own validators and builds the
  entry without running them again: what it builds equals ``AuditEntry(...)``, and every value
  the constructor refuses it refuses with the same error, including objects that only compare
  (and hash) equal to a value it has already accepted;
* ``AuditTrail.append`` and ``ConsentLedger.record`` build their successor without a converter
  pass, and refuse what is not an entry;
* the consent ledger reads each party's live decision once; the answers equal the reading party
  by party;
* ``check_utc`` and the typed-field check take the exact-type path first; a subclass that lies
  about its offset, a bool for an int, a datetime for a date are still refused;
* the library's enums hash by identity;
* ``apply_step`` dispatches by the step's exact class and ``acting_party`` matches an officer's
  council without building a set: a forged actor, a renamed step subclass, a step by the wrong
  role, an officer of another council and council keys given as one string are all refused.
"""

from __future__ import annotations

import datetime as dt
import gc
import pickle
import sys
from typing import Any

import attrs
import pytest

from sen_disagreement import _checks
from sen_disagreement.actors import Actor, CaseGrant, Role
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.disclosure import Disclosure, ItemKind
from sen_disagreement.ehc import Duty, PlanSection, Provision
from sen_disagreement.errors import (
    AccessDeniedError,
    ConsentRequiredError,
    InvalidInputError,
    SenDisagreementError,
)
from sen_disagreement.parties import _LABELS, Identifiers, Party, PartyKind
from sen_disagreement.store.contract import AuditEntry
from sen_disagreement.voluntary import (
    ConsentDecision,
    ConsentEntry,
    ConsentLedger,
    Process,
)
from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow._case import DeadlineStatus, evolve_case
from sen_disagreement.workflow.access import acting_party
from sen_disagreement.workflow.audit import AuditTrail, make_entry
from sen_disagreement.workflow.disagreement_resolution import Closure, DrEvent, DrState
from sen_disagreement.workflow.issues import AgreementLevel, Issue, IssueOutcome
from sen_disagreement.workflow.mediation import DecisionNotice, MediationCase
from sen_disagreement.workflow.mediation.notice import Reg32Item

T0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
COUNCIL = "E08000014"
OFFICER = Actor(actor_id="officer-1", role=Role.LA_OFFICER, council=COUNCIL)
PARENT_USER = Actor(actor_id="sam", role=Role.FAMILY,
                    grants={CaseGrant(case_id="dr-perf-1", party_id="parent")})
PROVIDER_USER = Actor(actor_id="gm-1", role=Role.PROVIDER, organisation="global-mediation")


def _parties() -> list[CaseParty]:
    return [CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent")),
            CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                      identifiers=Identifiers(gss_code=COUNCIL)))]


def _dr(case_id: str = "dr-perf-1") -> DisagreementResolutionCase:
    return DisagreementResolutionCase.refer(
        case_id=case_id, council=COUNCIL, parties=_parties(), at=T0, actor="officer-1",
        issues=[Issue(issue_id="assess", duty=Duty.ASSESS)],
    )


def _med() -> MediationCase:
    notice = DecisionNotice(sent_on=T0.date(),
                            decisions=[AppealableDecision.PLAN_SPECIAL_EDUCATIONAL_PROVISION],
                            contents=set(Reg32Item))
    return MediationCase.notify_decision(case_id="med-perf-1", council=COUNCIL,
                                         parties=_parties(), notice=notice, at=T0,
                                         actor="officer-1")


def _refusal(call: Any) -> tuple[type, str | None, str | None]:
    with pytest.raises(SenDisagreementError) as exc:
        call()
    return (type(exc.value), getattr(exc.value, "field", None),
            getattr(exc.value, "rule_id", None))


def _outcome(call: Any) -> object:
    """What ``call`` gives: its value, or its error's type, field and rule id."""
    try:
        return call()
    except Exception as exc:  # compared, whatever it is
        return type(exc), getattr(exc, "field", None), getattr(exc, "rule_id", None)


# --- evolve_case --------------------------------------------------------------------------------


class _Hostile:
    """Compares equal to everything and hashes like the valid string ``like``."""

    def __init__(self, like: object = "ok") -> None:
        self.like = like

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return hash(self.like)


_BAD_VALUES = (object(), "not-a-valid-value\x00", 7, True, None, _Hostile(), [("a", 1)])


@pytest.mark.parametrize("make", [_dr, _med], ids=["disagreement_resolution", "mediation"])
def test_evolve_case_refuses_every_bad_changed_field_as_the_constructor_does(make: Any) -> None:
    case = make()
    checked = 0
    for f in attrs.fields(type(case)):
        if f.validator is None and f.converter is None:
            continue
        for bad in _BAD_VALUES:
            slow = _outcome(lambda: attrs.evolve(case, **{f.name: bad}))  # noqa: B023
            fast = _outcome(lambda: evolve_case(case, **{f.name: bad}))  # noqa: B023
            # The same case, or the same refusal (type, field, rule id), as the constructor.
            assert fast == slow, (f.name, bad, fast, slow)
            if isinstance(slow, tuple) and issubclass(slow[0], SenDisagreementError):
                checked += 1
    assert checked >= 10  # the typed fields of each case type really were refused


def test_evolve_case_copies_unchanged_fields_and_converts_changed_ones() -> None:
    case = _dr()
    fast = evolve_case(case, state=DrState.SEEKING_AGREEMENT, parties=list(case.parties),
                       closure=Closure.OUTCOME)
    slow = attrs.evolve(case, state=DrState.SEEKING_AGREEMENT, parties=list(case.parties),
                        closure=Closure.OUTCOME)
    assert fast == slow and type(fast.parties) is tuple
    for f in attrs.fields(DisagreementResolutionCase):
        if f.name not in ("state", "parties", "closure"):
            assert getattr(fast, f.name) is getattr(case, f.name), f.name
    with pytest.raises(TypeError):
        evolve_case(case, state=DrState.CLOSED, not_a_field=1)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast.state = DrState.CLOSED  # type: ignore[misc]


def test_evolve_case_a_bad_state_through_a_public_transition_changes_nothing() -> None:
    case = _dr()
    with pytest.raises(InvalidInputError) as exc:
        evolve_case(case, state="seeking_agreement")
    assert (exc.value.field, exc.value.rule_id) == ("state", "input.type")
    assert case.state is DrState.REFERRED and len(case.audit) == 1


# --- make_entry ---------------------------------------------------------------------------------


GOOD: dict[str, Any] = {
    "actor": "officer-1", "action": "dr.seek_agreement", "at": T0, "case_id": "dr-perf-1",
    "outcome": "ok", "fields": ("ledger", "parties.parent.contact.email"),
}


def test_make_entry_builds_what_the_store_record_builds() -> None:
    fast = make_entry(**GOOD)
    slow = AuditEntry(**GOOD)
    assert type(fast) is AuditEntry
    assert fast == slow and repr(fast) == repr(slow)
    assert attrs.asdict(fast) == attrs.asdict(slow)
    assert make_entry(**{**GOOD, "fields": ["ledger"]}).fields == ("ledger",)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast.actor = "someone-else"  # type: ignore[misc]


class _Str(str):
    __slots__ = ()


@pytest.mark.parametrize("name", ["actor", "action", "case_id", "outcome"])
@pytest.mark.parametrize("bad", ["", " spaced out", "UPPER.Case!", "x" * 300, "a\nb", 5, None,
                                 b"bytes", _Hostile()])
def test_make_entry_refuses_what_the_store_record_refuses(name: str, bad: object) -> None:
    make_entry(**GOOD)  # the good values are known good (remembered) first
    try:
        AuditEntry(**{**GOOD, name: bad})
    except InvalidInputError:
        assert _refusal(lambda: make_entry(**{**GOOD, name: bad})) == _refusal(
            lambda: AuditEntry(**{**GOOD, name: bad}))
    else:  # e.g. case_id None is allowed by the record: then both build the same entry
        assert make_entry(**{**GOOD, name: bad}) == AuditEntry(**{**GOOD, name: bad})


def test_make_entry_never_lends_a_remembered_answer_to_a_lookalike() -> None:
    make_entry(**GOOD)  # every good value is remembered as good
    for name in ("actor", "action", "case_id", "outcome"):
        hostile = _Hostile(GOOD[name])
        assert hostile == GOOD[name] and hash(hostile) == hash(GOOD[name])
        with pytest.raises(InvalidInputError) as exc:
            make_entry(**{**GOOD, name: hostile})
        assert exc.value.field == name
    for names in ((_Hostile("ledger"), "parties.parent.contact.email"),
                  _Hostile(GOOD["fields"])):
        with pytest.raises(InvalidInputError) as exc:
            make_entry(**{**GOOD, "fields": names})
        assert exc.value.rule_id == "store.field_name"
    # A str subclass is refused as the record refuses it (the store takes exactly str: a
    # subclass could say it equals any actor), never answered by identity with a remembered value.
    for value in (_Str("officer-1"), _Str("has space")):
        with pytest.raises(InvalidInputError) as exc:
            make_entry(**{**GOOD, "actor": value})
        assert exc.value.rule_id == "store.actor"
        with pytest.raises(InvalidInputError):
            AuditEntry(**{**GOOD, "actor": value})


@pytest.mark.parametrize("bad", [
    ("fields", ("ledger", "a value, not a name")), ("fields", ("ok", 3)), ("fields", "ok ok"),
    ("fields", [None]),
])
def test_make_entry_refuses_field_values_in_place_of_names(bad: tuple[str, Any]) -> None:
    name, value = bad
    with pytest.raises(InvalidInputError) as exc:
        make_entry(**{**GOOD, name: value})
    assert exc.value.rule_id == "store.field_name"


class _LyingUtc(dt.datetime):
    def utcoffset(self) -> dt.timedelta:
        return dt.timedelta(hours=1)


@pytest.mark.parametrize("bad", [
    dt.datetime(2025, 3, 3, 9),  # naive on purpose
    dt.datetime(2025, 3, 3, 9, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    _LyingUtc(2025, 3, 3, 9, tzinfo=dt.UTC),
    dt.date(2025, 3, 3), "2025-03-03T09:00:00Z", None,
])
def test_make_entry_and_check_utc_refuse_anything_but_utc(bad: object) -> None:
    with pytest.raises(InvalidInputError) as exc:
        make_entry(**{**GOOD, "at": bad})
    # A datetime subclass is refused by the record itself, which takes exactly a datetime.
    rule = "store.datetime" if type(bad) is _LyingUtc else "input.utc_time"
    assert (exc.value.field, exc.value.rule_id) == ("at", rule)
    with pytest.raises(InvalidInputError):
        _checks.check_utc(bad, field="at")


def test_check_utc_accepts_utc_however_it_is_spelled() -> None:
    for ok in (T0, T0.astimezone(dt.timezone(dt.timedelta(0))),
               T0.replace(tzinfo=dt.timezone(dt.timedelta(0), "UTC"))):
        assert _checks.check_utc(ok, field="at") is ok


# --- the trail and the ledger --------------------------------------------------------------------


def test_audit_trail_append_refuses_a_non_entry_another_case_and_an_earlier_time() -> None:
    trail = _dr().audit
    entry = make_entry(**GOOD)
    grown = trail.append(entry)
    assert grown == AuditTrail(trail.case_id, (*trail.entries, entry)) and grown.extends(trail)
    assert type(grown.entries) is tuple and len(trail) == 1
    with pytest.raises(InvalidInputError) as exc:
        trail.append(attrs.asdict(entry))  # type: ignore[arg-type]
    assert exc.value.rule_id == "input.type"
    with pytest.raises(InvalidInputError) as exc:
        trail.append(make_entry(**{**GOOD, "case_id": "another-case"}))
    assert exc.value.field == "case_id"
    with pytest.raises(InvalidInputError) as exc:
        grown.append(make_entry(**{**GOOD, "at": T0 - dt.timedelta(seconds=1)}))
    assert exc.value.field == "at"


PARTIES = {"mum": Party(kind=PartyKind.PARENT), "yp": Party(
    kind=PartyKind.YOUNG_PERSON, date_of_birth=dt.date(2007, 1, 1)),
    "la": Party(kind=PartyKind.LOCAL_AUTHORITY)}


def _reference_position(ledger: ConsentLedger, pid: str) -> ConsentDecision | None:
    decision = None
    for entry in ledger.entries:
        if entry.party_id == pid:
            decision = entry.decision
    return decision


def test_consent_ledger_one_reading_answers_as_the_party_by_party_reading() -> None:
    decisions = list(ConsentDecision)
    for process in Process:
        for parties in (PARTIES, {k: v for k, v in PARTIES.items() if k != "yp"}):
            ledger = ConsentLedger(process)
            for i in range(12):
                pid = list(parties)[i % len(parties)]
                if pid == "mum" and "yp" in parties:
                    continue  # a parent does not decide for a young person with capacity
                entry = ConsentEntry(party_id=pid, decision=decisions[(i * 7) % 3],
                                     at=T0 + dt.timedelta(minutes=i), recorded_by=pid)
                ledger = ledger.record(entry, parties)
                assert ledger == ConsentLedger(process, ledger.entries)
                required = ledger.required_parties(parties)
                positions = dict(ledger.required_positions(parties))
                assert list(positions) == required
                assert positions == {p: _reference_position(ledger, p) for p in required}
                assert positions == {p: ledger.position(p) for p in required}
                assert ledger.missing(parties) == [
                    p for p in required if _reference_position(ledger, p)
                    is not ConsentDecision.AGREED]
                assert ledger.stopped(parties) == any(
                    _reference_position(ledger, p) in (ConsentDecision.DECLINED,
                                                       ConsentDecision.WITHDRAWN)
                    for p in required)


def test_consent_ledger_record_refuses_a_non_entry() -> None:
    with pytest.raises(InvalidInputError) as exc:
        ConsentLedger(Process.DISAGREEMENT_RESOLUTION).record(
            {"party_id": "mum"}, PARTIES)  # type: ignore[arg-type]
    assert (exc.value.field, exc.value.rule_id) == ("entry", "input.type")


def test_a_stopped_process_is_refused_before_a_missing_agreement() -> None:
    # A case past agreement whose ledger says otherwise (as a stored, tampered case might):
    # the steps that need every party's live agreement refuse, a stop before a gap.
    case = attrs.evolve(_dr(), state=DrState.PROVIDER_ASSIGNED)
    parties = case.party_map

    def ledger(*decisions: tuple[str, ConsentDecision]) -> ConsentLedger:
        out = ConsentLedger(Process.DISAGREEMENT_RESOLUTION)
        for i, (pid, decision) in enumerate(decisions):
            out = out.record(ConsentEntry(party_id=pid, decision=decision,
                                          at=T0 + dt.timedelta(minutes=i), recorded_by=pid),
                             parties)
        return out

    def refusal(led: ConsentLedger) -> str | None:
        with pytest.raises(ConsentRequiredError) as exc:
            attrs.evolve(case, ledger=led).arrange_meeting(
                meeting_date=T0.date(), at=T0 + dt.timedelta(hours=1), actor="officer-1")
        return exc.value.rule_id

    assert refusal(ledger(("parent", ConsentDecision.AGREED))) == "s57.voluntary"
    assert refusal(ledger(("parent", ConsentDecision.WITHDRAWN))) == "s57.withdraw_any_time"
    assert refusal(ledger(("parent", ConsentDecision.AGREED),
                          ("parent", ConsentDecision.DECLINED))) == "s57.withdraw_any_time"
    both = ledger(("parent", ConsentDecision.AGREED), ("sefton", ConsentDecision.AGREED))
    arranged = attrs.evolve(case, ledger=both).arrange_meeting(
        meeting_date=T0.date(), at=T0 + dt.timedelta(hours=1), actor="officer-1")
    assert arranged.state is DrState.MEETING_ARRANGED


# --- typed fields, enums, labels, provisions -----------------------------------------------------


def test_typed_fields_still_refuse_a_bool_for_an_int_and_a_datetime_for_a_date() -> None:
    with pytest.raises(InvalidInputError) as exc:
        st.HoldMeeting(on=T0)  # a datetime is a date to Python, not here
    assert (exc.value.field, exc.value.rule_id) == ("on", "input.type")
    with pytest.raises(InvalidInputError):
        st.AcceptDecision(party_id="mum", on_behalf_lacking_capacity=1)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        ConsentEntry(party_id="mum", decision="agreed", at=T0,  # type: ignore[arg-type]
                     recorded_by="mum")
    with pytest.raises(InvalidInputError):
        st.HoldMeeting(on=None)  # type: ignore[arg-type]
    assert st.HoldMeeting(on=T0.date()).on == T0.date()


def test_library_enums_hash_by_identity_and_behave_as_before() -> None:
    for enum_type in (DrState, DrEvent, Closure, Role, PartyKind, Process, ConsentDecision,
                      DeadlineStatus, IssueOutcome, AgreementLevel):
        members = list(enum_type)
        table = {m: m.value for m in members}
        for m in members:
            assert hash(m) == object.__hash__(m)
            assert table[m] == m.value and m in frozenset(members)
            assert pickle.loads(pickle.dumps(m)) is m
            assert enum_type(m.value) is m and enum_type[m.name] is m
        assert len(set(members)) == len(members) == len(enum_type.__members__)
        restored = pickle.loads(pickle.dumps(table))
        assert restored == table and all(restored[m] == m.value for m in members)


def test_party_kind_labels_are_what_they_were() -> None:
    for kind in PartyKind:
        assert kind.label == _LABELS.get(kind, kind.value.replace("_", " "))


def test_issue_provision_follows_the_plan_section() -> None:
    for section in PlanSection:
        issue = Issue(issue_id="i", section=section)
        assert issue.provision is (section.provision or Provision.SPECIAL_EDUCATIONAL)
    assert Issue(issue_id="d", duty=Duty.ASSESS).provision is Provision.SPECIAL_EDUCATIONAL


# --- apply_step: who may take which step ---------------------------------------------------------


def test_apply_step_refuses_a_forged_actor_and_a_renamed_step_subclass() -> None:
    case = _dr()
    forged = attrs.asdict(OFFICER, recurse=False)
    with pytest.raises(InvalidInputError) as exc:
        st.apply_step(case, forged, st.SeekAgreement(), at=T0)  # type: ignore[arg-type]
    assert (exc.value.field, exc.value.rule_id) == ("actor", "input.type")

    class Renamed(st.RecordOutcome):  # a step that claims another step's name
        NAME = "seek_agreement"

    with pytest.raises(InvalidInputError) as exc:
        st.apply_step(case, OFFICER, Renamed(outcomes={"assess": IssueOutcome.AGREED}), at=T0)
    assert (exc.value.field, exc.value.rule_id) == ("step", "input.type")
    with pytest.raises(InvalidInputError) as exc:
        st.apply_step(case, OFFICER, "seek_agreement", at=T0)  # type: ignore[arg-type]
    assert exc.value.rule_id == "input.type"
    assert len(case.audit) == 1


def test_apply_step_refuses_a_step_by_the_wrong_role() -> None:
    case = st.apply_step(_dr(), OFFICER, st.SeekAgreement(), at=T0)
    with pytest.raises(AccessDeniedError) as exc:
        st.apply_step(case, PARENT_USER, st.SeekAgreement(), at=T0)
    assert exc.value.rule_id == "who.seek_agreement.disagreement_resolution"
    with pytest.raises(AccessDeniedError) as exc:
        st.apply_step(case, OFFICER, st.HoldMeeting(on=T0.date()), at=T0)
    assert exc.value.rule_id == "who.hold_meeting.disagreement_resolution"
    with pytest.raises(AccessDeniedError) as exc:  # a provider not assigned to this case
        st.apply_step(case, PROVIDER_USER, st.HoldMeeting(on=T0.date()), at=T0)
    assert "has no part in this case" in str(exc.value)
    # The parent decides for itself only, never for the council's party.
    with pytest.raises(AccessDeniedError):
        st.apply_step(case, PARENT_USER, st.AcceptDecision(party_id="sefton"), at=T0)
    agreed = st.apply_step(case, PARENT_USER, st.AcceptDecision(party_id="parent"), at=T0)
    assert agreed.ledger.position("parent") is ConsentDecision.AGREED


def test_an_officer_is_matched_on_the_case_council_and_its_keys_only() -> None:
    case = _dr()
    other = Actor(actor_id="officer-2", role=Role.LA_OFFICER, council="knowsley")
    assert acting_party(case, OFFICER) == "sefton"
    assert acting_party(case, other) is None
    assert acting_party(case, other, councils=("sefton", "knowsley")) == "sefton"
    assert acting_party(case, other, councils=["knowsley"]) == "sefton"
    assert acting_party(case, other, councils=iter(["knowsley"])) == "sefton"
    # One string is read as the set of its characters, as before: never as a substring match.
    assert acting_party(case, other, councils="knowsley-and-sefton") is None
    single = Actor(actor_id="officer-3", role=Role.LA_OFFICER, council="k")
    assert acting_party(case, single, councils="knowsley") == "sefton"  # {'k', 'n', ...}
    with pytest.raises(AccessDeniedError):
        st.apply_step(case, other, st.SeekAgreement(), at=T0)
    assert st.apply_step(case, other, st.SeekAgreement(), at=T0,
                         councils=("knowsley",)).state is DrState.SEEKING_AGREEMENT


def test_a_disagreement_resolution_case_refuses_mediation_steps_and_a_mediator() -> None:
    case = _dr()
    with pytest.raises(AccessDeniedError):
        st.apply_step(case, OFFICER, st.ConfirmIssues(), at=T0)
    with pytest.raises(InvalidInputError) as exc:
        st.apply_step(case, OFFICER, st.AssignProvider(), at=T0)
    assert exc.value.field == "provider"
    with pytest.raises(InvalidInputError) as exc:
        st.apply_step(case, OFFICER, st.ArrangeMeeting(
            meeting_date=T0.date(), mediator_id="m", mediator=Party(kind=PartyKind.MEDIATOR)),
            at=T0)
    assert exc.value.field == "mediator"
    item = st.RecordItem(item_id="n1", kind=ItemKind.NOTE, disclosure=Disclosure.PARTIES,
                         text="a note")
    noted = st.apply_step(st.apply_step(case, OFFICER, st.SeekAgreement(), at=T0), OFFICER,
                          item, at=T0)
    assert noted.items[-1].recorded_by == "sefton" and noted.audit.entries[-1].action == (
        "dr.record_item")


# --- found in review: the fast paths keep the slow paths' answers exactly -------------------------


class _ClaimsZero(dt.timedelta):
    """A one-hour offset that claims to equal anything (``!=`` stays timedelta's own)."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = dt.timedelta.__hash__


class _PlusOne(dt.tzinfo):
    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta:
        return _ClaimsZero(hours=1)

    def dst(self, when: dt.datetime | None) -> dt.timedelta | None:
        return None

    def tzname(self, when: dt.datetime | None) -> str:
        return "UTC"  # a name is no evidence


def test_an_offset_claiming_to_equal_zero_is_refused_as_the_store_refuses_it() -> None:
    at = dt.datetime(2025, 3, 3, 12, tzinfo=_PlusOne())
    with pytest.raises(InvalidInputError) as exc:
        make_entry(**{**GOOD, "at": at})
    assert (exc.value.field, exc.value.rule_id) == ("at", "input.utc_time")
    with pytest.raises(InvalidInputError) as exc:
        _dr().seek_agreement(at=at, actor="officer-1")
    assert (exc.value.field, exc.value.rule_id) == ("at", "input.utc_time")


def test_make_entry_keeps_no_refused_and_no_large_value() -> None:
    huge = "bad actor " + "x" * 100_000
    before = sys.getrefcount(huge)
    with pytest.raises(InvalidInputError):
        make_entry(**{**GOOD, "actor": huge})
    gc.collect()
    assert sys.getrefcount(huge) == before
    names = tuple(f"field_{i}" for i in range(1000))
    before = sys.getrefcount(names)
    entry = make_entry(**{**GOOD, "fields": names})
    assert entry == AuditEntry(**{**GOOD, "fields": names})
    del entry
    gc.collect()
    assert sys.getrefcount(names) == before


class _EqualsAny(str):
    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


def test_an_officer_whose_council_lies_in_its_equality_is_refused() -> None:
    case = _dr()
    with pytest.raises(InvalidInputError):  # Actor takes plain str only
        Actor(actor_id="officer-w", role=Role.LA_OFFICER, council=_EqualsAny("E08000015"))
    liar = Actor(actor_id="officer-w", role=Role.LA_OFFICER, council="E08000015")
    object.__setattr__(liar, "council", _EqualsAny("E08000015"))  # built past the boundary
    assert acting_party(case, liar) is None
    assert acting_party(case, liar, councils=("sefton",)) is None
    with pytest.raises(AccessDeniedError):
        st.apply_step(case, liar, st.SeekAgreement(), at=T0, councils=(COUNCIL, "sefton"))
