"""Hostile review of the issue 14 fast paths (validate once, memoise, in-thread plugins, lazy
clocks, fewer store statements): each test is a careless or hostile caller, or a hostile
plugin, going through the public API.

A test marked ``xfail(strict=True)`` is a break found in review: it fails today and its reason
says what breaks; once the library is mended it passes, strict xfail fails the suite, and the
mark must go. Every other test is a guarantee that held under attack, kept as a regression
test.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import gc
import importlib
import pickle
import pkgutil
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import pluggy
import pytest

import sen_disagreement
from sen_disagreement.actors import Actor, CaseGrant, Role, StaticActorDirectory
from sen_disagreement.council import CaseContext, CouncilProfile, Provider, route_provider
from sen_disagreement.disclosure import Disclosure, ItemKind, RecordedItem
from sen_disagreement.ehc import Duty
from sen_disagreement.errors import (
    AccessDeniedError,
    IndependenceError,
    InvalidInputError,
    NotFoundError,
    StaleWriteError,
)
from sen_disagreement.independence import assess_independence
from sen_disagreement.parties import Employer, Identifiers, Party, PartyKind
from sen_disagreement.plugins import Hooks, inline, make_plugin_manager
from sen_disagreement.plugins.faults import FaultKind, PluginFault
from sen_disagreement.plugins.spec import INLINE_ATTRIBUTE, hookimpl
from sen_disagreement.plugins.testing import registered_plugin
from sen_disagreement.serialization import MAX_STRING
from sen_disagreement.service import CaseService, OpenDisagreementResolution
from sen_disagreement.store import open_store
from sen_disagreement.store.contract import AuditEntry, CaseRecord
from sen_disagreement.voluntary import Process
from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase, invariants, records
from sen_disagreement.workflow._case import evolve_case
from sen_disagreement.workflow.audit import AuditTrail, make_entry
from sen_disagreement.workflow.disagreement_resolution import DrState
from sen_disagreement.workflow.issues import Issue
from sen_disagreement.workflow.steps import (
    AcceptDecision,
    AssignProvider,
    SeekAgreement,
    authorise,
)

T0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
GSS = "E08000014"
DR = Process.DISAGREEMENT_RESOLUTION


# --- hostile values ---------------------------------------------------------------------------


class _ClaimsZero(dt.timedelta):
    """A real one-hour offset (datetime accepts a timedelta subclass from utcoffset) that
    claims to equal every value; ``!=`` is still timedelta's own, so it says "not zero"."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = dt.timedelta.__hash__


class _PlusOneClaimingZero(dt.tzinfo):
    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta:
        return _ClaimsZero(hours=1)

    def dst(self, when: dt.datetime | None) -> dt.timedelta | None:
        return None

    def tzname(self, when: dt.datetime | None) -> str:
        return "UTC"  # a name is no evidence either


PLUS_ONE = dt.datetime(2025, 3, 3, 12, tzinfo=_PlusOneClaimingZero())


class _PosesAs(str):
    """A string that compares and hashes as another (valid) string while holding bad text."""

    pose: str = "system"

    def __eq__(self, other: object) -> bool:
        return other == self.pose

    def __hash__(self) -> int:
        return hash(self.pose)


def _case(case_id: str = "dr-hostile-1") -> DisagreementResolutionCase:
    parent = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"))
    la = CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                   identifiers=Identifiers(gss_code=GSS)))
    return DisagreementResolutionCase.refer(
        case_id=case_id, council=GSS, parties=[parent, la], at=T0, actor="officer-1",
        issues=[Issue(issue_id="assess", duty=Duty.ASSESS)],
    )


def _outcome(call: Any) -> object:
    """What ``call()`` does: the entry it builds, or its typed error's (type, field, rule)."""
    try:
        return call()
    except InvalidInputError as exc:
        return (type(exc).__name__, exc.field, exc.rule_id)


# --- BREAKS found in review: xfail(strict) while open, a comment saying so once mended ------


# Found in review (mended in 0e05e37): _checks.check_utc tested utcoffset() == 0 (was != 0): an
# offset claiming equality passes, so make_entry's fast build stores a +01:00 time the store's
# AuditEntry refuses
def test_make_entry_refuses_a_time_the_store_record_refuses() -> None:
    store_says = _outcome(lambda: AuditEntry(actor="system", action="case.open", at=PLUS_ONE,
                                             case_id="case-1"))
    assert store_says == ("InvalidInputError", "at", "store.datetime_utc")
    fast_says = _outcome(lambda: make_entry(actor="system", action="case.open", at=PLUS_ONE,
                                            case_id="case-1"))
    assert isinstance(fast_says, tuple), f"accepted {fast_says!r}"


# Found in review (mended in 0e05e37): the workflow boundary (check_utc) accepts a +01:00 time
# whose offset claims to equal zero; before issue 14 it was refused as input.utc_time naming
# 'at'; it reached the audit trail
def test_a_transition_refuses_a_non_utc_time_at_the_boundary() -> None:
    case = _case("dr-hostile-utc")
    with pytest.raises(InvalidInputError) as refused:
        case.seek_agreement(at=PLUS_ONE, actor="officer-1")
    assert refused.value.field == "at"
    assert refused.value.rule_id == "input.utc_time"


# Found in review (mended in 0e05e37): workflow/audit.py _passes is an lru_cache(4096) keyed by
# the raw value: every refused string, however large, is kept alive by the cache (4096 x 10 MB =
# 40 GB a hostile caller can pin)
def test_make_entry_keeps_nothing_of_a_refused_huge_value() -> None:
    # Distinct, large, invalid values: none may outlive the refusal.
    for i in range(3):
        huge = f"bad actor {i}" + "x" * 2_000_000
        before = sys.getrefcount(huge)
        with pytest.raises(InvalidInputError) as refused:
            make_entry(actor=huge, action="case.open", at=T0, case_id="case-1")
        assert refused.value.field == "actor"
        del refused
        gc.collect()
        assert sys.getrefcount(huge) == before, "the refused value is still referenced"


# Found in review (mended in 0e05e37): workflow/audit.py _passes caches tuples of field names of
# any length: a valid 100,000-name tuple is pinned by the cache after the entry is gone
def test_make_entry_keeps_nothing_of_a_huge_field_list() -> None:
    names = tuple(f"field_{i}" for i in range(100_000))
    before = sys.getrefcount(names)
    entry = make_entry(actor="system", action="case.open", at=T0, case_id="case-1",
                       fields=names)
    assert len(entry.fields) == 100_000
    del entry
    gc.collect()
    assert sys.getrefcount(names) == before, "the field tuple is still referenced"


class _Sneaky(Provider):
    """A provider (subclass) that says it equals whatever it is compared with."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = Provider.__hash__


HOSTILESHIRE = CouncilProfile(name="Hostileshire", gss_code="E06000907", la_number="907",
                              slug="hostileshire")
GOOD_DR = Provider(provider_id="good-dr", name="Good DR",
                   kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER)
LA_EMPLOYED = Employer(kind=PartyKind.LOCAL_AUTHORITY, name="Hostileshire Council")


class _Owner:
    @hookimpl
    def sen_register_councils(self) -> Sequence[CouncilProfile]:
        return (HOSTILESHIRE,)

    @hookimpl
    def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
        return (GOOD_DR,) if council.slug == HOSTILESHIRE.slug else ()


class _ChoosesTheCouncilsOwnTeam(Hooks):
    """A host's HooksLike (route_provider takes any) whose choice is not a candidate."""

    def choose_provider(self, council: CouncilProfile, case: CaseContext,
                        candidates: Sequence[Provider], *,
                        faults: list[PluginFault] | None = None) -> Provider | None:
        return _Sneaky(provider_id="council-dr", name="Council DR",
                       kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER, employer=LA_EMPLOYED)


@pytest.fixture
def owner_pm() -> Iterator[pluggy.PluginManager]:
    pm = make_plugin_manager(load_entry_points=False, environ={})
    with registered_plugin(pm, _Owner(), "hostileshire-owner"):
        yield pm


# Found in review (mended by the lead): council.route_provider reused a candidate's check for any
# choice that == a candidate; a HooksLike returning a Provider subclass with __eq__ -> True routed
# a local-authority employee as independent. Now only the very candidate object keeps its check.
def test_route_provider_checks_a_choice_it_did_not_offer(owner_pm: pluggy.PluginManager) -> None:
    hooks = _ChoosesTheCouncilsOwnTeam(owner_pm, timeout=None)
    with pytest.raises(IndependenceError):
        route_provider(hooks, "hostileshire", CaseContext(case_id="H-1", process=DR))


class _EqualsFalseButTruthy:
    """Equal to (and hashed as) False, but true in an ``if``: health *is* in issue."""

    def __eq__(self, other: object) -> bool:
        return other is False

    def __hash__(self) -> int:
        return hash(False)

    def __bool__(self) -> bool:
        return True


ICB_MEDIATOR = Party(kind=PartyKind.MEDIATOR, name="Mo Mediator",
                     employer=Employer(kind=PartyKind.INTEGRATED_CARE_BOARD, name="An ICB"))


# Found in review (mended by the lead): independence._excluded was an lru_cache keyed by
# health_in_issue as given, so a value equal to False but truthy borrowed the cached "health not
# in issue" answer. Now the memo is keyed by bool(health_in_issue), the truth value the rules test.
def test_independence_memo_lends_no_answer_to_an_equal_looking_flag() -> None:
    on = dt.date(2025, 3, 3)
    assert assess_independence(ICB_MEDIATOR, case_parties=(), health_in_issue=True,
                               on=on).independent is False
    assert assess_independence(ICB_MEDIATOR, case_parties=(), health_in_issue=False,
                               on=on).independent is True  # now cached under key False
    try:
        answer = assess_independence(ICB_MEDIATOR, case_parties=(),
                                     health_in_issue=_EqualsFalseButTruthy(),  # type: ignore[arg-type]
                                     on=on)
    except InvalidInputError:
        return  # refusing a non-bool is fine too
    assert answer.independent is False  # what the truthy flag meant before the memo


# Found in review (mended by the lead): an unhashable health_in_issue was a raw TypeError from
# the lru_caches; the memo key is now its truth value, answered as before issue 14.
def test_independence_unhashable_flag_is_a_typed_error_not_a_traceback() -> None:
    on = dt.date(2025, 3, 3)
    try:
        answer = assess_independence(ICB_MEDIATOR, case_parties=(),
                                     health_in_issue=["yes"],  # type: ignore[arg-type]
                                     on=on)
    except InvalidInputError as exc:
        refused: InvalidInputError | None = exc
    else:
        refused = None
        assert answer.independent is False
    assert refused is None or refused.field == "health_in_issue"


# --- guarantees that held (regression tests) --------------------------------------------------


def _reference_entry(**kw: Any) -> object:
    """make_entry as it was before issue 14: a strict UTC check, then the store's record."""
    at = kw["at"]
    if not isinstance(at, dt.datetime) or at.utcoffset() != dt.timedelta(0):
        return ("InvalidInputError", "at", "input.utc_time")
    fields = kw.pop("fields", ())
    return _outcome(lambda: AuditEntry(**kw, fields=tuple(fields)))


class _UtcSubclass(dt.datetime):
    pass


_GOOD: dict[str, Any] = {"actor": "system", "action": "case.open", "at": T0, "case_id": "case-1",
                         "outcome": "ok", "fields": ("state",)}
_HOSTILE: list[tuple[str, Any]] = [
    ("actor", _PosesAs("bad actor")),  # hashes and compares as the valid "system"
    ("actor", "system\n"),
    ("actor", "sys\x00tem"),
    ("actor", "a" * 129),
    ("actor", "a" * 128),
    ("actor", b"system"),
    ("actor", None),
    ("action", "Case.Open"),
    ("action", _PosesAs("Case Open")),
    ("action", "case.open\u200b"),
    ("case_id", "../etc/passwd"),
    ("case_id", "case-2"),
    ("case_id", None),
    ("case_id", 7),
    ("outcome", "OK"),
    ("outcome", ""),
    ("fields", ("state", _PosesAs("a value, not a name"))),
    ("fields", ("state", 3)),
    ("fields", iter(("state", "items"))),
    ("fields", ["state"]),
    ("fields", "state"),
    ("fields", ("ok",) * 5000),
    ("at", dt.datetime(2025, 3, 3, 9)),
    ("at", dt.datetime(2025, 3, 3, 9, tzinfo=dt.timezone(dt.timedelta(hours=1)))),
    ("at", dt.datetime(2025, 3, 3, 9, tzinfo=dt.timezone(dt.timedelta(0), "GMT"))),
    ("at", _UtcSubclass(2025, 3, 3, 9, tzinfo=dt.UTC)),
    ("at", dt.date(2025, 3, 3)),
    ("at", "2025-03-03T09:00:00Z"),
]


@pytest.mark.parametrize(("name", "value"), _HOSTILE, ids=[f"{n}-{i}" for i, (n, _) in
                                                           enumerate(_HOSTILE)])
def test_make_entry_answers_as_the_store_record_does_even_after_a_warm_memo(
    name: str, value: Any
) -> None:
    make_entry(**_GOOD)  # the memo now knows every valid value of _GOOD
    given = {**_GOOD, name: value}
    expected = _reference_entry(**{**given, "fields": tuple(value) if name == "fields"
                                   and not isinstance(value, str) else given["fields"]})
    if name == "fields" and not isinstance(value, tuple | list | str):
        given = {**given, "fields": iter(("state", "items"))}  # the one above was consumed
    got = _outcome(lambda: make_entry(**given))
    assert got == expected
    if isinstance(got, AuditEntry):
        # Exactly what the store's own constructor keeps, type for type.
        assert isinstance(expected, AuditEntry)
        for f in attrs.fields(AuditEntry):
            assert type(getattr(got, f.name)) is type(getattr(expected, f.name)), f.name
        assert hash(got) == hash(expected)


def test_audit_trail_append_refuses_what_it_refused_and_leaves_the_trail_alone() -> None:
    trail = AuditTrail("case-1").append(make_entry(**_GOOD))
    later = {**_GOOD, "at": T0 + dt.timedelta(minutes=1)}
    refusals: list[tuple[object, str]] = [
        (make_entry(**{**later, "case_id": "case-2"}), "case_id"),
        (make_entry(**{**_GOOD, "at": T0 - dt.timedelta(seconds=1)}), "at"),
        ({"actor": "system"}, "entry"),
        (None, "entry"),
    ]
    for bad, field in refusals:
        with pytest.raises(InvalidInputError) as refused:
            trail.append(bad)  # type: ignore[arg-type]
        assert refused.value.field == field
    assert len(trail) == 1
    grown = trail.append(make_entry(**later))
    built = AuditTrail("case-1", [*trail.entries, make_entry(**later)])
    assert grown == built and hash(grown) == hash(built) and type(grown.entries) is tuple
    assert grown.extends(trail) and not trail.extends(grown)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        grown.entries = ()  # type: ignore[misc]


def test_evolve_case_takes_no_list_the_caller_keeps_and_refuses_as_attrs_evolve_does() -> None:
    case = _case("dr-hostile-evolve")
    for f in attrs.fields(type(case)):
        value = getattr(case, f.name)
        if isinstance(value, tuple):
            mine = list(value)
            fast = _outcome(functools.partial(evolve_case, case, **{f.name: mine}))
            slow = _outcome(functools.partial(attrs.evolve, case, **{f.name: mine}))
            assert fast == slow, f.name
    items: list[Any] = []
    kept = evolve_case(case, items=items)
    items.append("smuggled")
    assert kept.items == () and type(kept.items) is tuple
    before = attrs.asdict(case, recurse=False)
    for bad in ({"state": "closed"}, {"meeting_date": "2025-04-01"}, {"closed_on": T0},
                {"state": DrState.CLOSED, "held_on": 3}):
        fast_err = _outcome(functools.partial(evolve_case, case, **bad))
        slow_err = _outcome(functools.partial(attrs.evolve, case, **bad))
        assert isinstance(fast_err, tuple) and fast_err == slow_err, bad
    assert attrs.asdict(case, recurse=False) == before


def _library_enums() -> list[type[enum.Enum]]:
    found: list[type[enum.Enum]] = []
    for info in pkgutil.walk_packages(sen_disagreement.__path__, "sen_disagreement."):
        if ".cli" in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, enum.Enum)
                    and value.__module__ == info.name):
                found.append(value)
    return found


def test_enums_hashed_by_identity_are_equal_only_to_themselves() -> None:
    identity = [e for e in _library_enums() if e.__hash__ is object.__hash__]
    assert identity, "no enum hashes by identity: this test no longer guards anything"
    for cls in identity:
        # A mixin (str, int) or a Flag would make a member equal to something that is not
        # itself (its value, a composite), and an identity hash then breaks dict lookups.
        assert not issubclass(cls, enum.Flag | int | str), cls
        for member in cls:
            assert pickle.loads(pickle.dumps(member)) is member
            assert cls(member.value) is member and cls[member.name] is member
            assert member != member.value and {member: 1}.get(member.value) is None
            assert {member: 1}[cls(member.value)] == 1


class _MutatesItsCopies:
    """A hostile chooser: rewrites the candidates it is handed, then returns one."""

    def __init__(self, how: str) -> None:
        self.how = how

    @hookimpl
    @inline
    def sen_choose_provider(self, candidates: Sequence[Provider]) -> Provider | None:
        first = candidates[0]
        if self.how == "employer":
            object.__setattr__(first, "employer", LA_EMPLOYED)
            return first
        if self.how == "subclass":
            return _Sneaky(provider_id="council-dr", name="Council DR",
                           kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER, employer=LA_EMPLOYED)
        raise SystemExit(3)  # a plugin must not stop the host, inline or not


@pytest.mark.parametrize("how", ["employer", "subclass", "exit"])
def test_a_hostile_inline_chooser_never_routes_a_non_independent_provider(
    owner_pm: pluggy.PluginManager, how: str
) -> None:
    hooks = Hooks(owner_pm, timeout=1.0)
    with registered_plugin(owner_pm, _MutatesItsCopies(how), "hostile-chooser"):
        for _ in range(2):  # the second call sees its own (rewritten) copies again
            routing = route_provider(hooks, "hostileshire",
                                     CaseContext(case_id="H-2", process=DR))
            assert routing.provider == GOOD_DR and routing.provider.employer is None
            assert type(routing.provider) is Provider and GOOD_DR.employer is None
            assert [(f.plugin, f.kind) for f in routing.faults] == [
                ("hostile-chooser", FaultKind.RAISED if how == "exit" else FaultKind.MALFORMED)]
    assert hooks.providers(HOSTILESHIRE) == [GOOD_DR]


class _InlineProfileWriter:
    """An inline hook that writes into the council profile it is handed."""

    @hookimpl
    @inline
    def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
        object.__setattr__(council, "name", "Captured Council")
        object.__setattr__(council, "slug", "captured")
        return ()


def test_an_inline_hook_writing_into_its_profile_changes_nobody_elses(
    owner_pm: pluggy.PluginManager,
) -> None:
    hooks = Hooks(owner_pm, timeout=1.0)
    with registered_plugin(owner_pm, _InlineProfileWriter(), "writer"):
        assert hooks.providers(HOSTILESHIRE) == [GOOD_DR]
        assert hooks.providers(HOSTILESHIRE) == [GOOD_DR]
    assert HOSTILESHIRE.name == "Hostileshire" and HOSTILESHIRE.slug == "hostileshire"
    assert [c.slug for c in hooks.councils()] == ["hostileshire"]


def test_route_provider_rechecks_a_host_choice_it_did_not_offer(
    owner_pm: pluggy.PluginManager,
) -> None:
    # An exact Provider (no __eq__ games) that is not a candidate is checked again, as before.
    class ChoosesAnother(Hooks):
        def choose_provider(self, council: CouncilProfile, case: CaseContext,
                            candidates: Sequence[Provider], *,
                            faults: list[PluginFault] | None = None) -> Provider | None:
            return attrs.evolve(GOOD_DR, employer=LA_EMPLOYED)

    with pytest.raises(IndependenceError):
        route_provider(ChoosesAnother(owner_pm, timeout=None), "hostileshire",
                       CaseContext(case_id="H-3", process=DR))


def test_independence_memo_answers_each_flag_and_date_as_computed_fresh() -> None:
    # Interleaved so that every answer is asked after the memo holds the others.
    days = [dt.date(2022, 6, 30), dt.date(2022, 7, 1), dt.date(2025, 3, 3)]
    appointees = [ICB_MEDIATOR, Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER, name="P",
                                      employer=Employer(kind=PartyKind.INTEGRATED_CARE_BOARD))]
    seen: dict[tuple[int, bool, dt.date], bool | None] = {}
    for _ in range(2):
        for i, who in enumerate(appointees):
            for health in (True, False):
                for day in days:
                    ok: bool | None
                    try:
                        ok = assess_independence(who, case_parties=(), health_in_issue=health,
                                                 on=day).independent
                    except InvalidInputError:
                        ok = None  # an ICB before it existed
                    seen.setdefault((i, health, day), ok)
                    assert seen[(i, health, day)] == ok
    assert seen[(0, True, days[2])] is False and seen[(0, False, days[2])] is True
    assert seen[(1, False, days[2])] is False  # DR: an ICB is excluded whatever the issues


def test_lazy_clock_names_resolve_to_the_same_objects_from_racing_threads() -> None:
    import sen_disagreement.clocks as clocks

    got: list[object] = []
    barrier = threading.Barrier(8)

    def first_use() -> None:
        barrier.wait()
        got.append(clocks.CLOCKS)

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    from sen_disagreement.clocks.table import CLOCKS

    assert len(got) == 8 and all(g is CLOCKS for g in got)
    with pytest.raises(AttributeError):
        getattr(clocks, "NO_SUCH_CLOCK")  # noqa: B009 - a name mypy rightly rejects
    assert "CLOCKS" in dir(clocks) and "NO_SUCH_CLOCK" not in dir(clocks)


# --- the store's fewer statements (SQLite, real files) ----------------------------------------


def _agreed(case_id: str) -> DisagreementResolutionCase:
    case = _case(case_id).seek_agreement(at=T0 + dt.timedelta(hours=1), actor="officer-1")
    return case.agree("parent", at=T0 + dt.timedelta(hours=2), actor="sam")


# Found in review (predates issue 14; mended by the lead): store/core.py append_audit wrote the
# entry without checking it, so a forged actor was stored and the trail was then unreadable.
# Every field is checked again before the write.
def test_append_audit_refuses_a_forged_entry_before_writing_it(tmp_path: Path) -> None:
    entry = AuditEntry(actor="system", action="case.read", at=T0, case_id="case-9")
    object.__setattr__(entry, "actor", "evil\nFORGED audit line")  # a frozen value rewritten
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        try:
            store.append_audit(entry)
        except InvalidInputError as exc:
            refused: InvalidInputError | None = exc
        else:
            refused = None
        trail = store.audit_trail("case-9")  # readable: nothing unreadable was written
        assert refused is not None and refused.field == "actor"
        assert trail == []


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A real SQLite file (the serialised dialect) or PostgreSQL as the application role."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'race.sqlite3'}"
    return str(request.getfixturevalue("pg_schema").app_url)


def test_racing_saves_of_one_version_one_wins_one_is_stale_and_audited(backend_url: str) -> None:
    url = backend_url
    for round_ in range(6):
        case_id = f"dr-race-{round_}"
        with open_store(url) as store:
            records.save(store, _case(case_id), expected_version=0)
            stored = records.from_record(store.load(case_id))
        assert isinstance(stored, DisagreementResolutionCase)
        successors = [stored.seek_agreement(at=T0 + dt.timedelta(hours=1), actor="officer-1"),
                      stored.seek_agreement(at=T0 + dt.timedelta(hours=1), actor="officer-2")]
        barrier = threading.Barrier(2)
        results: list[object] = [None, None]

        def save(i: int, url: str = url, cases: list[Any] = successors,
                 out: list[object] = results, gate: threading.Barrier = barrier) -> None:
            with open_store(url) as mine:
                gate.wait()
                try:
                    out[i] = records.save(mine, cases[i], expected_version=1).version
                except StaleWriteError as exc:
                    out[i] = exc

        threads = [threading.Thread(target=save, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(type(r).__name__ for r in results) == ["StaleWriteError", "int"], results
        winner = results.index(2)
        with open_store(url) as store:
            trail = store.audit_trail(case_id)
            assert [e.outcome for e in trail][-2:] in (["ok", "refused_stale"],
                                                       ["refused_stale", "ok"])
            loaded = records.from_record(store.load(case_id))
            assert loaded == successors[winner] and store.load(case_id).version == 2
            assert store.verify().ok


def test_racing_first_saves_of_one_new_case_one_wins_and_the_chain_holds(
    backend_url: str,
) -> None:
    # Neither save finds a case row or a chain head: on PostgreSQL both insert the head ON
    # CONFLICT, on SQLite the write lock orders them; the loser's refusal continues the chain.
    url = backend_url
    for round_ in range(6):
        case_id = f"dr-new-race-{round_}"
        firsts = [_case(case_id), _agreed(case_id)]
        barrier = threading.Barrier(2)
        results: list[object] = [None, None]

        def save(i: int, url: str = url, cases: list[Any] = firsts,
                 out: list[object] = results, gate: threading.Barrier = barrier) -> None:
            with open_store(url) as mine:
                gate.wait()
                try:
                    out[i] = records.save(mine, cases[i], expected_version=0).version
                except StaleWriteError as exc:
                    out[i] = exc

        threads = [threading.Thread(target=save, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(type(r).__name__ for r in results) == ["StaleWriteError", "int"], results
        winner = results.index(1)
        with open_store(url) as store:
            # The loser saw the winner's committed row: its refusal comes after, in one chain.
            expected = ["ok"] * len(firsts[winner].audit) + ["refused_stale"]
            assert [e.outcome for e in store.audit_trail(case_id)] == expected
            assert records.from_record(store.load(case_id)) == firsts[winner]
            report = store.verify(case_id)
            assert report.ok, report.first_break


def _rows(path: Path, case_id: str) -> tuple[tuple[object, ...], list[tuple[object, ...]]]:
    with sqlite3.connect(path) as db:
        case = db.execute("SELECT case_id, council, kind, state, version, created_at, "
                          "updated_at, subject_dob, closed_on, legal_hold, document FROM cases "
                          "WHERE case_id = ?", (case_id,)).fetchone()
        clocks = db.execute("SELECT d.clock_id, d.due, d.status FROM deadlines d JOIN cases c "
                            "ON c.id = d.case_ref WHERE c.case_id = ? ORDER BY d.clock_id",
                            (case_id,)).fetchall()
    return case, clocks


def test_an_import_stores_byte_for_byte_the_rows_a_save_stores(tmp_path: Path) -> None:
    case = _agreed("dr-bytes-1")
    record = records.to_record(case)
    held = attrs.evolve(record, legal_hold=True)  # an import never sets a hold either
    one, many = tmp_path / "one.sqlite3", tmp_path / "many.sqlite3"
    with open_store(f"sqlite:///{one}") as store:
        store.save(record, 0, actor="officer-1")
    with open_store(f"sqlite:///{many}") as store:
        assert store.save_many([held], actor="officer-1") == 1
        assert store.verify().ok
        assert records.from_record(store.load("dr-bytes-1")) == case
    assert _rows(one, "dr-bytes-1") == _rows(many, "dr-bytes-1")
    assert _rows(one, "dr-bytes-1")[0][9] == 0  # not held


def test_a_chain_started_before_its_case_continues_through_the_joined_read(
    tmp_path: Path,
) -> None:
    # append_audit starts the chain (a refused read, say) before the case row exists: the save's
    # one-statement read finds no case but a head, and must continue that chain.
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        store.append_audit(make_entry(actor="officer-9", action="case.read_refused", at=T0,
                                      case_id="dr-early-1", outcome="refused"))
        records.save(store, _case("dr-early-1"), expected_version=0)
        with pytest.raises(StaleWriteError):
            records.save(store, _agreed("dr-early-1"), expected_version=0)
        trail = store.audit_trail("dr-early-1")
        assert [e.outcome for e in trail] == ["refused", "ok", "refused_stale"]
        assert [e.seq for e in trail] == sorted(e.seq for e in trail)
        report = store.verify("dr-early-1")
        assert report.ok and report.rows == 3


# --- in the working tree, not yet committed when written: the records/invariants memos --------
# A frozen value rewritten with object.__setattr__ is the hostile caller tests/workflow/
# test_fast_paths.py already guards against; these memos answer for the value as it was.


# Found in review (mended by the lead): workflow/invariants.py check_successor kept passes by the
# cases' ids, so a case rewritten after one passing check was saved with its stored audit
# history rewritten. It no longer keeps any answer.
def test_the_store_check_is_not_answered_for_a_case_since_rewritten(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        records.save(store, _case("dr-memo-1"), expected_version=0)
        old = records.from_record(store.load("dr-memo-1"))
        assert isinstance(old, DisagreementResolutionCase)
        new = old.seek_agreement(at=T0 + dt.timedelta(hours=1), actor="officer-1")
        invariants.check_successor(old, new)  # the command path's check: passes
        forged = attrs.evolve(new.audit.entries[0], actor="someone-else")
        object.__setattr__(new, "audit", AuditTrail(new.case_id,
                                                    (forged, *new.audit.entries[1:])))
        with pytest.raises(InvalidInputError) as refused:
            records.save(store, new, expected_version=1)
        assert refused.value.rule_id == "case.history_append_only"


# Found in review (mended by the lead): workflow/records.py _columns kept a case's columns by its
# id, so a case rewritten after one to_record was stored with columns its document contradicted.
# The columns are worked out on every call.
def test_the_stored_columns_are_what_the_stored_document_says(tmp_path: Path) -> None:
    case = _case("dr-memo-2")
    records.to_record(case)
    object.__setattr__(case, "council", "E08000015")
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        try:
            records.save(store, case, expected_version=0)
        except InvalidInputError:
            return  # refusing it is as good as storing it consistently
        stored = store.load("dr-memo-2")
        read = records.case_from_document(stored.document, kind=stored.kind)
        assert stored.council == read.council


# Found in review (mended by the lead): the DocumentEncoder memo kept a recorded item's text by
# its id, so an item rewritten afterwards was written as it was. A kept text now answers only
# while every field still holds the very object it was written from.
def test_a_rewritten_item_is_written_as_it_is_now(tmp_path: Path) -> None:
    note = RecordedItem(item_id="n1", kind=ItemKind.NOTE, disclosure=Disclosure.CONFIDENTIAL,
                        recorded_at=T0 + dt.timedelta(hours=3), recorded_by="officer-1",
                        in_meeting=False, text="short")
    case = _agreed("dr-memo-3").record_item(note, at=T0 + dt.timedelta(hours=3),
                                             actor="officer-1")
    first = records.to_record(case).document
    object.__setattr__(case.items[0], "text", "x" * (MAX_STRING + 1))
    assert records.to_record(case).document != first
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        with pytest.raises(InvalidInputError) as refused:
            records.save(store, case, expected_version=0)
        assert refused.value.rule_id == "store.case_document"
        with pytest.raises(NotFoundError):
            store.load("dr-memo-3")


class _EqualsAnyCouncil(str):
    """A council key that says it equals every other (its hash is its own text's)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


# Found in review (mended in 0e05e37): workflow/access.py acting_party then matches an officer's
# council with == (was set membership, by hash): an Actor whose council is a str subclass with a
# lying __eq__ acts as another council's LA party
def test_an_officer_of_another_council_is_refused_whatever_its_council_string_claims() -> None:
    case = _case("dr-council-1")  # a Sefton (E08000014) case
    with pytest.raises(InvalidInputError) as refused:  # refused at the boundary since then
        Actor(actor_id="officer-w", role=Role.LA_OFFICER,
              council=_EqualsAnyCouncil("E08000015"))
    assert refused.value.field == "council"
    # ...and were one built past it, acting_party still refuses it.
    officer = Actor(actor_id="officer-w", role=Role.LA_OFFICER, council="E08000015")
    object.__setattr__(officer, "council", _EqualsAnyCouncil("E08000015"))  # Wirral's officer
    with pytest.raises(AccessDeniedError):
        authorise(case, officer, SeekAgreement())
    with pytest.raises(AccessDeniedError):
        authorise(case, officer, SeekAgreement(), councils=("E08000014", "sefton"))


class _PosesAsSefton(str):
    """A council key holding Wirral's code that hashes and compares as Sefton's."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return hash("E08000014")


# Found in review (predates issue 14; mended by the lead): Actor accepted a str subclass as its
# council, so one that hashed as the case's council and lied in __eq__ passed acting_party's set
# membership. Actor now takes plain str only for its id, council and organisation.
def test_an_officer_whose_council_hashes_as_another_is_refused() -> None:
    case = _case("dr-council-3")
    try:
        officer = Actor(actor_id="officer-w", role=Role.LA_OFFICER,
                        council=_PosesAsSefton("E08000015"))
    except InvalidInputError:
        return  # refusing the lookalike at the boundary is the mend
    with pytest.raises(AccessDeniedError):
        authorise(case, officer, SeekAgreement())


def test_an_officer_of_another_council_is_refused() -> None:
    case = _case("dr-council-2")
    for council in ("E08000015", "e08000014", "sefton"):
        officer = Actor(actor_id="officer-w", role=Role.LA_OFFICER, council=council)
        with pytest.raises(AccessDeniedError):
            authorise(case, officer, SeekAgreement())
    own = Actor(actor_id="officer-s", role=Role.LA_OFFICER, council="sefton")
    assert authorise(case, own, SeekAgreement(), councils=("E08000014", "sefton")) == "sefton"
    assert authorise(case, own, SeekAgreement(), councils=["E08000014", "sefton"]) == "sefton"
    with pytest.raises(AccessDeniedError):
        authorise(case, own, SeekAgreement(), councils="sefton")  # a string is its characters


class _Hangs:
    """Not inline: hangs (until released) on every call."""

    def __init__(self) -> None:
        self.release = threading.Event()

    @hookimpl
    def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
        self.release.wait(10)
        return ()


class _InlineOwner(_Owner):
    @hookimpl
    @inline
    def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
        return (GOOD_DR,) if council.slug == HOSTILESHIRE.slug else ()


def test_an_inline_neighbour_does_not_lift_the_timeout_of_a_plugin_that_is_not() -> None:
    pm = make_plugin_manager(load_entry_points=False, environ={})
    hangs = _Hangs()
    with (registered_plugin(pm, _InlineOwner(), "inline-owner"),
          registered_plugin(pm, hangs, "hangs")):
        hooks = Hooks(pm, timeout=0.3)
        faults: list[PluginFault] = []
        started = time.monotonic()
        try:
            got = hooks.providers(HOSTILESHIRE, case_id="H-9", faults=faults)
        finally:
            hangs.release.set()
        assert time.monotonic() - started < 5
    assert got == [GOOD_DR]
    assert [(f.plugin, f.kind) for f in faults] == [("hangs", FaultKind.TIMEOUT)]


@pytest.mark.xfail(strict=True, reason="predates issue 14 (bfa1bfa, c4756a3): the store's guard "
                   "and loads use the case remembered for a text (invariants.remember), sharing "
                   "its entries with every later version; an entry rewritten in place passes the "
                   "history check and is stored, and a load in the same process returns the "
                   "rewritten case (as on e549500)")
def test_an_entry_rewritten_in_place_never_reaches_the_history_or_a_load(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        records.save(store, _case("dr-shared-1"), expected_version=0)
        old = records.from_record(store.load("dr-shared-1"))
        assert isinstance(old, DisagreementResolutionCase)
        new = old.seek_agreement(at=T0 + dt.timedelta(hours=1), actor="officer-1")
        assert new.audit.entries[0] is old.audit.entries[0]  # shared, as every version's are
        object.__setattr__(new.audit.entries[0], "actor", "someone-else")
        refusal = _outcome(functools.partial(records.save, store, new, expected_version=1))
        assert not isinstance(refusal, tuple) or refusal[2] == "case.history_append_only"
        stored = store.load("dr-shared-1")
        fresh = records.case_from_document(stored.document, kind=stored.kind)
        assert fresh.audit.entries[0].actor == "officer-1"  # the stored history is untouched
        assert records.from_record(stored) == fresh  # and a load returns what is stored


class _RewritesTheBodies:
    """Not Sefton's owner (its answer is ignored), but it is still called, with the case."""

    @hookimpl
    def sen_choose_provider(self, case: CaseContext) -> Provider | None:
        for body in case.bodies:
            object.__setattr__(body, "identifiers", Identifiers(gss_code="E08000015"))
        return None


# Found in review (predates issue 14; mended by the lead): Hooks._call copied a hook's council
# and candidates but handed every plugin the host's own CaseContext, whose bodies are the case's
# Party objects, so a plugin writing into one rewrote the case the command path then stored.
# Each call now gets its own deep copy of the case context.
def test_a_plugin_writing_into_the_case_it_is_shown_changes_no_stored_case(
    tmp_path: Path,
) -> None:
    officer = Actor(actor_id="officer", role=Role.LA_OFFICER, council=GSS)
    parent = Actor(actor_id="parent-user", role=Role.FAMILY,
                   grants={CaseGrant(case_id="svc-h1", party_id="parent")})
    service = CaseService.open(str(tmp_path / "s.sqlite3"),
                               directory=StaticActorDirectory([officer, parent]), timeout=None)
    service.hooks.plugin_manager.register(_RewritesTheBodies(), name="rewriter")
    with service.store:
        service.open_case("officer", OpenDisagreementResolution(
            case_id="svc-h1", council=GSS,
            parties=[CaseParty("parent", Party(kind=PartyKind.PARENT)),
                     CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                           identifiers=Identifiers(gss_code=GSS)))],
            issues=[Issue(issue_id="review", duty=Duty.KEEP_PROVISION_UNDER_REVIEW)],
        ), at=T0)
        for i, (who, step) in enumerate([("officer", SeekAgreement()),
                                         ("parent-user", AcceptDecision(party_id="parent")),
                                         ("officer", AcceptDecision(party_id="la")),
                                         ("officer", AssignProvider())], start=1):
            service.apply("svc-h1", who, step, at=T0 + dt.timedelta(hours=i))
        stored = records.case_from_document(service.store.load("svc-h1").document,
                                            kind="disagreement_resolution")
        assert stored.party_map["la"].identifiers.gss_code == GSS


class _RecordsItsThread:
    def __init__(self) -> None:
        self.threads: list[str] = []

        def providers(council: CouncilProfile) -> Sequence[Provider]:
            self.threads.append(threading.current_thread().name)
            return (GOOD_DR,) if council.slug == HOSTILESHIRE.slug else ()

        self.sen_register_providers = hookimpl(inline(providers))

    @hookimpl
    def sen_register_councils(self) -> Sequence[CouncilProfile]:
        return (HOSTILESHIRE,)


# Found in review (mended by the lead): plugins/facade.py (12d0c90) kept whether an
# implementation is @inline per HookImpl from its first call, so a declaration withdrawn
# afterwards was not seen. The facade now reads it on every call.
def test_a_withdrawn_inline_declaration_takes_effect_on_the_next_call() -> None:
    pm = make_plugin_manager(load_entry_points=False, environ={})
    plugin = _RecordsItsThread()
    with registered_plugin(pm, plugin, "revocable"):
        hooks = Hooks(pm, timeout=1.0)
        assert hooks.providers(HOSTILESHIRE) == [GOOD_DR]
        setattr(plugin.sen_register_providers, INLINE_ATTRIBUTE, False)  # withdrawn
        assert hooks.providers(HOSTILESHIRE) == [GOOD_DR]
    here = threading.current_thread().name
    assert plugin.threads[0] == here
    assert plugin.threads[1] != here, "still called in the caller's thread"


@attrs.frozen(kw_only=True)
class _MyRecord(CaseRecord):
    """A host's own record type (a helper method, nothing else): a CaseRecord all the same."""

    def label(self) -> str:
        return f"{self.kind}:{self.case_id}"


class _MyEntry(AuditEntry):
    __slots__ = ()


# Found in review (mended by the lead): store/core.py _evolved (e8b2afe) looked its field table
# up by exact type, so a CaseRecord or AuditEntry subclass, which save and append_audit accept,
# raised KeyError after the write had committed. A subclass now takes attrs.evolve.
def test_a_record_subclass_is_saved_and_answered_or_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    record = _MyRecord(case_id="case-sub-1", council=GSS, kind="mediation", state="received",
                       version=0, document="{}", created_at=T0, updated_at=T0)
    entry = _MyEntry(actor="system", action="case.read", at=T0, case_id="case-sub-1")
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        saved = _outcome(functools.partial(store.save, record, 0, actor="officer-1"))
        stored = _outcome(functools.partial(store.load, "case-sub-1"))
        # Either refused (typed, nothing stored) or stored and answered as stored.
        assert (isinstance(saved, tuple) and isinstance(stored, tuple)) or (
            isinstance(saved, CaseRecord) and isinstance(stored, CaseRecord)
            and saved.version == stored.version == 1)
        before = len(store.audit_trail("case-sub-1"))
        appended = _outcome(functools.partial(store.append_audit, entry))
        after = len(store.audit_trail("case-sub-1"))
        assert (isinstance(appended, tuple) and after == before) or (
            isinstance(appended, AuditEntry) and appended.seq > 0 and after == before + 1)
