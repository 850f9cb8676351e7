"""Hostile review S8 of 0aa83e7 (records keeps what it needs of ``invariants`` after first use;
invariants imports records at its top), b943587 (``workflow._clocks`` without an import per call)
and 6f240a4 (``Routing.appointee``, which ``CaseService`` assigns), as mended after this review
(records keeps the module, ``_clocks`` looks each function up on the clocks package, and every
party checked for independence is detached first).

Each attack that worked was mended before it landed (the comment above its test says how); each
that failed is kept as a regression test of the guarantee that held."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TypeVar

import attrs
import pytest

from sen_disagreement import clocks
from sen_disagreement.actors import Actor, CaseGrant, Role, StaticActorDirectory
from sen_disagreement.council import CaseContext, CouncilProfile, PluginFault, Provider, Routing
from sen_disagreement.ehc import Duty
from sen_disagreement.errors import IndependenceError, InvalidInputError
from sen_disagreement.independence import check_independence
from sen_disagreement.parties import Employer, Identifiers, Party, PartyKind
from sen_disagreement.plugins import make_plugin_manager
from sen_disagreement.plugins.facade import Hooks
from sen_disagreement.service import CaseService, OpenDisagreementResolution
from sen_disagreement.settings import DEFAULT_SETTINGS, DayUnit, Settings
from sen_disagreement.store import open_store
from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase, _clocks
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.disagreement_resolution import DR_PROCESS
from sen_disagreement.workflow.issues import Issue

TESTS = Path(__file__).parent
SRC = TESTS.parent / "src"


def _child(*parts: str, timeout: float = 90) -> object:
    """Run ``parts`` (each dedented on its own) in a fresh interpreter (the library and these
    tests' helpers importable); the code prints one JSON value as its last line, returned."""
    body = "\n".join(textwrap.dedent(p) for p in parts)
    prelude = (f"import sys\nsys.path[:0] = [{str(SRC)!r}, {str(TESTS)!r}]\n"
               "import faulthandler\nfaulthandler.dump_traceback_later("
               f"{timeout - 10}, exit=True)\n")
    out = subprocess.run([sys.executable, "-c", prelude + body],
                         capture_output=True, text=True, timeout=timeout, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


# A case built through the workflow's own steps, saved to a real SQLite file, loaded again in a
# fresh store (so the load reads the stored text), compared field by field with the case.
_ROUND_TRIP = """
    import datetime as dt, json
    import sweep_support as sweep
    from sen_disagreement.store import open_store
    from sen_disagreement.workflow import records

    def round_trip(case_id, path):
        case = sweep.agreed(case_id, dt.date(2025, 3, 10))
        store = open_store("sqlite:///" + path)
        with store:
            saved = records.save(store, case, expected_version=0)
            loaded = records.from_record(store.load(case_id))
        return saved.version == 1 and loaded == case and loaded.case_id == case_id
"""


# -- 0aa83e7: records keeps the two invariants functions -------------------------------------


@pytest.mark.parametrize("first", [
    "from sen_disagreement.workflow import invariants",
    "from sen_disagreement.workflow import records",
    "import sen_disagreement.store.contract",
    "import sen_disagreement.store",
    "import sen_disagreement.store.sqlite",
    "import sen_disagreement.cli",
    "import sen_disagreement.service",
    "import sen_disagreement.workflow.invariants as _i; import sen_disagreement.workflow.records",
])
def test_any_first_import_then_a_save_and_load_round_trips(first: str, tmp_path: Path) -> None:
    found = _child(first, _ROUND_TRIP, f"""
    ok = round_trip("order-1", {str(tmp_path / "a.sqlite3")!r})
    from sen_disagreement.workflow import invariants
    print(json.dumps([ok, records._invariants() is invariants, invariants.records is records]))
    """)
    assert found == [True, True, True]


def test_the_cli_entry_point_starts_in_a_fresh_interpreter() -> None:
    out = subprocess.run([sys.executable, "-c", "from sen_disagreement.cli import main; "
                          "import sys; sys.argv = ['sen-disagreement', '--help']; main()"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Usage" in out.stdout


def test_a_reloaded_invariants_is_the_live_cache_of_saves_and_loads(tmp_path: Path) -> None:
    # records kept the functions of invariants before the reload; a reload runs the module
    # again in the same namespace, so those functions see the new cache, never the old one.
    found = _child(_ROUND_TRIP, f"""
    import importlib, attrs
    from sen_disagreement.workflow import invariants
    first = round_trip("before-1", {str(tmp_path / "a.sqlite3")!r})
    old_cache = invariants._CASES
    importlib.reload(invariants)
    assert invariants._CASES is not old_cache
    case = sweep.agreed("after-1", dt.date(2025, 3, 10))
    record = records.to_record(case)
    key = (record.document, record.kind)
    in_new = invariants._CASES.get(key) is not None
    in_old = old_cache.get(key) is not None
    second = round_trip("after-2", {str(tmp_path / "b.sqlite3")!r})
    # The live cache answers the load of a text it was told of, with that text's case.
    back = records.from_record(record)
    print(json.dumps([first, second, in_new, in_old, back is case]))
    """)
    assert found == [True, True, True, False, True]


def test_a_reloaded_records_keeps_saves_and_loads_whole(tmp_path: Path) -> None:
    found = _child(_ROUND_TRIP, f"""
    import importlib
    from sen_disagreement.workflow import invariants
    first = round_trip("before-1", {str(tmp_path / "a.sqlite3")!r})
    importlib.reload(records)
    fresh = records._invariants.cache_info().currsize
    second = round_trip("after-1", {str(tmp_path / "b.sqlite3")!r})
    print(json.dumps([first, fresh, second, records._invariants() is invariants]))
    """)
    assert found == [True, 0, True, True]


def test_an_invariants_imported_anew_never_lends_one_texts_case_to_another(
    tmp_path: Path
) -> None:
    # The module dropped from sys.modules and imported again: records still holds the first
    # module's functions (and so its cache), the store's guard takes the new one. However the
    # two caches are split, a load answers each text with that text's own case.
    found = _child(_ROUND_TRIP, f"""
    import attrs
    from sen_disagreement.workflow import invariants as first_module
    ok1 = round_trip("split-1", {str(tmp_path / "a.sqlite3")!r})
    del sys.modules["sen_disagreement.workflow.invariants"]
    import sen_disagreement.workflow.invariants as second_module
    assert second_module is not first_module
    ok2 = round_trip("split-2", {str(tmp_path / "b.sqlite3")!r})
    a = sweep.agreed("split-a", dt.date(2025, 3, 10))
    b = sweep.agreed("split-b", dt.date(2025, 3, 11))
    ra, rb = records.to_record(a), records.to_record(b)
    # A record carrying b's text under a's columns: refused, never answered with a.
    forged = attrs.evolve(ra, document=rb.document)
    try:
        records.from_record(forged)
        refused = False
    except Exception as exc:
        refused = type(exc).__name__
    print(json.dumps([ok1, ok2, records.from_record(ra) == a, records.from_record(rb) == b,
                      refused]))
    """)
    assert found == [True, True, True, True, "StoredDataError"]


def test_the_first_save_and_load_from_many_threads_at_once(tmp_path: Path) -> None:
    found = _child(_ROUND_TRIP, f"""
    import threading
    import attrs
    base = sweep.agreed("thread-0", dt.date(2025, 3, 10))
    cases = []
    for k in range(12):
        cid = f"thread-{{k}}"
        audit = attrs.evolve(base.audit, case_id=cid, entries=tuple(
            attrs.evolve(e, case_id=cid) for e in base.audit.entries))
        cases.append(attrs.evolve(base, case_id=cid, audit=audit))
    cold = "sen_disagreement.workflow.invariants" not in sys.modules
    gate = threading.Barrier(len(cases))
    results = [None] * len(cases)

    def work(k):
        store = open_store("sqlite:///" + {str(tmp_path)!r} + f"/t{{k}}.sqlite3")
        gate.wait()
        try:
            with store:
                records.save(store, cases[k], expected_version=0)
                back = records.from_record(store.load(cases[k].case_id))
            results[k] = back == cases[k] and back.case_id == cases[k].case_id
        except BaseException as exc:
            results[k] = repr(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(cases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    from sen_disagreement.workflow import invariants
    print(json.dumps([cold, results, records._invariants() is invariants]))
    """)
    assert isinstance(found, list)
    assert found[0] is True  # the threads' saves were the first use of invariants
    assert found[1] == [True] * 12
    assert found[2] is True


# -- b943587: the workflow's clocks kept after first use ---------------------------------------


def test_importing_every_workflow_module_builds_no_clock() -> None:
    found = _child("""
    import json
    import sen_disagreement.service, sen_disagreement.workflow.records
    import sen_disagreement.workflow.invariants, sen_disagreement.workflow.steps
    import sen_disagreement.workflow.mediation, sen_disagreement.workflow.certificates
    import sen_disagreement.workflow.mediation.arranging
    from sen_disagreement.workflow import _clocks
    heavy = sorted(m for m in sys.modules if m in {
        "sen_disagreement.clocks.table", "sen_disagreement.clocks.compute",
        "sen_disagreement.clocks.model", "sen_disagreement.calendar"})
    print(json.dumps([heavy, _clocks.clocks is sys.modules["sen_disagreement.clocks"]]))
    """)
    assert found == [[], True]


def test_each_deadline_honours_the_settings_it_is_given_once_the_clocks_are_kept() -> None:
    _clocks.definition("deemed_certificate")  # the clock table is loaded
    friday = dt.date(2025, 1, 10)
    answers = {}
    for unit in DayUnit:
        settings = Settings(deemed_certificate_unit=unit)
        answers[unit] = _clocks.due("deemed_certificate", friday, settings)
        assert answers[unit] == clocks.due_date("deemed_certificate", friday, settings=settings)
    assert len(set(answers.values())) == len(DayUnit)  # the setting changed the answer
    # And back again: the first settings' answer, not the last one computed.
    first = next(iter(DayUnit))
    assert _clocks.due("deemed_certificate", friday,
                       Settings(deemed_certificate_unit=first)) == answers[first]


def test_the_appeal_deadline_is_the_clocks_own_for_each_call() -> None:
    sent, issued = dt.date(2025, 1, 31), dt.date(2025, 3, 28)
    for certificate, required in ((None, False), (issued, True), (sent, True)):
        got = _clocks.appeal_deadline(sent, certificate, certificate_required=required,
                                      settings=DEFAULT_SETTINGS)
        assert got == clocks.appeal_deadline(sent, certificate, certificate_required=required,
                                             settings=DEFAULT_SETTINGS).due


def test_an_entry_of_the_clock_table_swapped_after_first_use_is_honoured(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    friday = dt.date(2025, 1, 10)
    real = _clocks.definition("deemed_certificate")
    before = _clocks.due("deemed_certificate", friday, DEFAULT_SETTINGS)
    longer = attrs.evolve(real, length=(real.length or 0) + 7)
    monkeypatch.setitem(clocks.CLOCKS, "deemed_certificate", longer)
    assert _clocks.definition("deemed_certificate") is longer
    swapped = _clocks.due("deemed_certificate", friday, DEFAULT_SETTINGS)
    assert swapped == clocks.due_date("deemed_certificate", friday, settings=DEFAULT_SETTINGS)
    assert swapped > before
    monkeypatch.undo()
    assert _clocks.definition("deemed_certificate") is real
    assert _clocks.due("deemed_certificate", friday, DEFAULT_SETTINGS) == before


# Found in review (a regression of session 8, mended before it landed: _clocks keeps the clocks
# package and looks each function up on it per call, not the functions themselves).
def test_a_clock_function_wrapped_during_first_use_is_not_kept_after_it_is_unwrapped() -> None:
    found = _child("""
    import datetime as dt, json
    from sen_disagreement import clocks
    from sen_disagreement.settings import DEFAULT_SETTINGS
    from sen_disagreement.workflow import _clocks
    real = clocks.due_date
    clocks.due_date = lambda *a, **k: dt.date(2000, 1, 1)  # a host's wrapper, briefly
    _clocks.due("deemed_certificate", dt.date(2025, 1, 10), DEFAULT_SETTINGS)
    clocks.due_date = real  # unwrapped
    got = _clocks.due("deemed_certificate", dt.date(2025, 1, 10), DEFAULT_SETTINGS)
    want = real("deemed_certificate", dt.date(2025, 1, 10), settings=DEFAULT_SETTINGS)
    print(json.dumps([got.isoformat(), want.isoformat()]))
    """)
    assert isinstance(found, list)
    assert found[0] == found[1]


def test_the_first_deadline_from_many_threads_at_once_is_the_tables_own() -> None:
    found = _child("""
    import datetime as dt, json, threading
    from sen_disagreement.settings import DayUnit, Settings
    from sen_disagreement.workflow import _clocks
    units = list(DayUnit)
    gate = threading.Barrier(12)
    results = [None] * 12

    def work(k):
        settings = Settings(deemed_certificate_unit=units[k % len(units)])
        gate.wait()
        try:
            results[k] = (_clocks.due("deemed_certificate", dt.date(2025, 1, 10), settings),
                          _clocks.definition("deemed_certificate"))
        except BaseException as exc:
            results[k] = repr(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    from sen_disagreement import clocks
    ok = []
    for k, r in enumerate(results):
        settings = Settings(deemed_certificate_unit=units[k % len(units)])
        want = clocks.due_date("deemed_certificate", dt.date(2025, 1, 10), settings=settings)
        ok.append(isinstance(r, tuple) and r[0] == want
                  and r[1] is clocks.CLOCKS["deemed_certificate"])
    print(json.dumps([ok, _clocks.clocks is clocks]))
    """)
    assert found == [[True] * 12, True]


# -- 6f240a4: Routing.appointee, the party CaseService assigns ---------------------------------

COUNCIL = "E08000014"  # Sefton: the built-in plugin declares its providers
T0 = dt.datetime(2025, 1, 13, 10, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
LA_PARTY = Party(kind=PartyKind.LOCAL_AUTHORITY, identifiers=Identifiers(gss_code=COUNCIL))
LA_EMPLOYER = Employer(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton Council")


def _own_copy(candidate: Provider, employer: Employer | None) -> Provider:
    """A host's own object for its pick (never the facade's kept copy, which other tests
    share)."""
    return Provider(provider_id=candidate.provider_id, name=candidate.name, kind=candidate.kind,
                    employer=employer)


def _agreed(service: CaseService, case_id: str) -> None:
    """A disagreement-resolution case both sides have agreed to: next, its provider."""
    service.open_case("officer", OpenDisagreementResolution(
        case_id=case_id, council=COUNCIL,
        parties=[CaseParty("parent", Party(kind=PartyKind.PARENT)), CaseParty("la", LA_PARTY)],
        issues=[Issue(issue_id="review", duty=Duty.KEEP_PROVISION_UNDER_REVIEW)]), at=T0)
    service.apply(case_id, "officer", st.SeekAgreement(), at=T0 + HOUR)
    service.apply(case_id, "parent-user", st.AcceptDecision(party_id="parent"), at=T0 + 2 * HOUR)
    service.apply(case_id, "officer", st.AcceptDecision(party_id="la"), at=T0 + 3 * HOUR)


def _directory(case_id: str) -> StaticActorDirectory:
    return StaticActorDirectory([
        Actor(actor_id="officer", role=Role.LA_OFFICER, council=COUNCIL),
        Actor(actor_id="parent-user", role=Role.FAMILY,
              grants={CaseGrant(case_id=case_id, party_id="parent")}),
    ])


def _service(tmp_path: Path, hooks: Hooks, case_id: str,
             cls: type[CaseService] = CaseService) -> CaseService:
    return cls(open_store(f"sqlite:///{tmp_path / 'cases.sqlite3'}"), hooks, _directory(case_id))


def _dr(service: CaseService, case_id: str) -> tuple[DisagreementResolutionCase, int]:
    case, version = service.load(case_id)
    assert isinstance(case, DisagreementResolutionCase)
    return case, version


def _la_rule() -> str:
    """The rule the general path refuses a provider employed by the local authority under."""
    with pytest.raises(IndependenceError) as refused:
        check_independence(Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER, name="X",
                                 employer=LA_EMPLOYER),
                           case_parties=(LA_PARTY,), health_in_issue=False)
    return refused.value.rule_id


def _reading_for_independence() -> bool:
    """Whether the independence rules are reading (any frame of that module on the stack)."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__") == "sen_disagreement.independence":
            return True
        frame = frame.f_back
    return False


class _TwoFacedEmployer(Employer):
    """An employer (put in by a ``__class__`` swap) that is a school while the independence
    rules read it and the local authority to everyone else."""

    __slots__ = ()

    @property
    def kind(self) -> PartyKind:
        if _reading_for_independence():
            return PartyKind.SCHOOL
        return PartyKind.LOCAL_AUTHORITY

    @property
    def name(self) -> str:
        return "Litherland High" if _reading_for_independence() else "Sefton Council"


# Found in review (pre-existing; mended in session 8: routing and every assignment check and
# store a party detached into the library's own objects, parties.detached).
def test_a_two_faced_employer_never_reaches_a_stored_case_as_a_checked_provider(
    tmp_path: Path
) -> None:
    class TwoFacedHost(Hooks):
        def choose_provider(self, council: CouncilProfile, case: CaseContext,
                            candidates: Sequence[Provider], *,
                            faults: list[PluginFault] | None = None) -> Provider | None:
            employer = Employer(kind=PartyKind.SCHOOL, name="Litherland High")
            object.__setattr__(employer, "__class__", _TwoFacedEmployer)
            return _own_copy(candidates[0], employer)

    service = _service(tmp_path, TwoFacedHost(make_plugin_manager(), timeout=None), "dr-2f")
    with service.store:
        _agreed(service, "dr-2f")
        try:
            service.apply("dr-2f", "officer", st.AssignProvider(), at=T0 + 4 * HOUR)
        except IndependenceError:
            case, _ = _dr(service, "dr-2f")
            assert case.provider is None
            return
        from sen_disagreement.workflow import invariants

        invariants._CASES.clear()  # the case as its stored text reads
        case, _ = _dr(service, "dr-2f")
        assert case.provider is not None
        # What the case stores as its provider must pass the rules it was assigned under.
        check_independence(case.provider.party, case_parties=case.party_map.values(),
                           health_in_issue=case.health_in_issue, settings=case.settings)


# Found in review (a regression of session 8, mended before it landed: the appointee's employer
# is detached when the appointee is built).
def test_a_picks_employer_rewritten_after_routing_leaves_the_appointee_as_checked() -> None:
    from host_hooks import HostHooks

    from sen_disagreement.council import route_provider
    from sen_disagreement.voluntary import Process

    north = CouncilProfile(name="Northshire", gss_code="E06000901", la_number="901",
                           slug="northshire")
    school = Employer(kind=PartyKind.SCHOOL, name="North Academy")
    pick = Provider(provider_id="north-dr", name="North DR",
                    kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER, employer=school)
    la = Party(kind=PartyKind.LOCAL_AUTHORITY, name="Northshire Council")
    context = CaseContext(case_id="dr-emp-1", process=Process.DISAGREEMENT_RESOLUTION,
                          health_in_issue=False, bodies=[la])
    routing = route_provider(HostHooks(north, [pick]), north, context)
    object.__setattr__(school, "kind", PartyKind.LOCAL_AUTHORITY)
    object.__setattr__(school, "name", "Northshire Council")
    assert routing.appointee.employer == Employer(kind=PartyKind.SCHOOL, name="North Academy")


class _FlipsLater(Provider):
    """A pick (put in by a ``__class__`` swap) whose ``as_party`` answers the party it was
    built as on its first call (routing's final check: the host's own object was never a
    candidate) and one employed by the local authority after that (the service, before
    6f240a4, asked again)."""

    __slots__ = ()
    calls: dict[int, int] = {}  # noqa: RUF012 - per object, by id

    def as_party(self) -> Party:
        n = _FlipsLater.calls[id(self)] = _FlipsLater.calls.get(id(self), 0) + 1
        if n <= 1:
            return super().as_party()
        return Party(kind=self.kind, name=self.name, employer=LA_EMPLOYER)


def test_the_service_assigns_the_party_routing_checked_not_one_asked_for_again(
    tmp_path: Path
) -> None:
    picks: list[Provider] = []

    class FlippingHost(Hooks):
        def choose_provider(self, council: CouncilProfile, case: CaseContext,
                            candidates: Sequence[Provider], *,
                            faults: list[PluginFault] | None = None) -> Provider | None:
            mine = _own_copy(candidates[0], None)
            object.__setattr__(mine, "__class__", _FlipsLater)
            picks.append(mine)
            return mine

    service = _service(tmp_path, FlippingHost(make_plugin_manager(), timeout=None), "dr-flip")
    with service.store:
        _agreed(service, "dr-flip")
        service.apply("dr-flip", "officer", st.AssignProvider(), at=T0 + 4 * HOUR)
        case, version = _dr(service, "dr-flip")
    assert version == 5
    assert len(picks) == 1
    again = [picks[0].as_party() for _ in range(2)]
    assert again[-1].employer == LA_EMPLOYER  # asked again, it lies
    assert case.provider is not None
    assert case.provider.party.employer is None
    assert type(case.provider.party) is Party
    check_independence(case.provider.party, case_parties=case.party_map.values(),
                       health_in_issue=case.health_in_issue, settings=case.settings)


class _RewritesOnIdRead(Provider):
    """A pick (``__class__`` swap) that rewrites its own employer, in place, to the local
    authority when its id is read: which the service does after routing has checked it."""

    __slots__ = ()

    @property
    def provider_id(self) -> str:
        employer = self.employer
        if employer is not None:
            object.__setattr__(employer, "kind", PartyKind.LOCAL_AUTHORITY)
            object.__setattr__(employer, "name", "Sefton Council")
        value = Provider.__dict__["provider_id"].__get__(self)
        assert isinstance(value, str)
        return value


def test_an_employer_rewritten_between_routing_and_assignment_is_refused_by_the_case(
    tmp_path: Path
) -> None:
    class RewritingHost(Hooks):
        def choose_provider(self, council: CouncilProfile, case: CaseContext,
                            candidates: Sequence[Provider], *,
                            faults: list[PluginFault] | None = None) -> Provider | None:
            mine = _own_copy(candidates[0],
                             Employer(kind=PartyKind.SCHOOL, name="Litherland High"))
            object.__setattr__(mine, "__class__", _RewritesOnIdRead)
            return mine

    service = _service(tmp_path, RewritingHost(make_plugin_manager(), timeout=None), "dr-rw")
    from sen_disagreement.workflow import invariants

    with service.store:
        _agreed(service, "dr-rw")
        refused: IndependenceError | None = None
        try:
            service.apply("dr-rw", "officer", st.AssignProvider(), at=T0 + 4 * HOUR)
        except IndependenceError as exc:
            refused = exc
        if refused is not None:
            # Today: the appointee shares the rewritten employer, and the case's own check of
            # the party it was given refuses it (routing had passed it).
            assert refused.rule_id == _la_rule()
            assert refused.__traceback__ is not None
            names = [f.name for f in traceback.extract_tb(refused.__traceback__)]
            assert "assign_provider" in names
            case, version = _dr(service, "dr-rw")
            assert version == 4 and case.provider is None
            return
        invariants._CASES.clear()  # the case as its stored text reads
        case, version = _dr(service, "dr-rw")
    # Or (an appointee that is a snapshot of what was checked): the checked party is stored.
    assert version == 5 and case.provider is not None
    assert case.provider.party.employer == Employer(kind=PartyKind.SCHOOL, name="Litherland High")
    check_independence(case.provider.party, case_parties=case.party_map.values(),
                       health_in_issue=case.health_in_issue, settings=case.settings)


def _routing_with(appointee: Party) -> type[CaseService]:
    class Rerouted(CaseService):
        """A host's service whose routing hands another appointee than the one checked."""

        def route(self, case: object) -> Routing:
            assert isinstance(case, DisagreementResolutionCase)
            return attrs.evolve(super().route(case), appointee=appointee)

    return Rerouted


_Refusal = TypeVar("_Refusal", IndependenceError, InvalidInputError)


def _assigned_with(tmp_path: Path, case_id: str, appointee: Party, error: type[_Refusal]
                   ) -> tuple[_Refusal, DisagreementResolutionCase, int]:
    """``AssignProvider`` through a service whose routing hands ``appointee``: the refusal
    (of type ``error``), and the stored case and version afterwards."""
    service = _service(tmp_path, Hooks(make_plugin_manager(), timeout=None), case_id,
                       _routing_with(appointee))
    with service.store:
        _agreed(service, case_id)
        with pytest.raises(error) as refused:
            service.apply(case_id, "officer", st.AssignProvider(), at=T0 + 4 * HOUR)
        case, version = _dr(service, case_id)
    return refused.value, case, version


def test_a_routing_whose_appointee_fails_independence_is_refused_by_the_case(
    tmp_path: Path
) -> None:
    appointee = Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER, name="Global Mediation",
                      employer=LA_EMPLOYER)
    refused, case, version = _assigned_with(tmp_path, "dr-bad", appointee, IndependenceError)
    assert refused.rule_id == _la_rule()
    assert version == 4 and case.provider is None


def test_a_routing_whose_appointee_is_no_provider_is_refused_by_the_case(tmp_path: Path) -> None:
    appointee = Party(kind=PartyKind.MEDIATOR, name="Global Mediation")
    refused, case, version = _assigned_with(tmp_path, "dr-kind", appointee, InvalidInputError)
    assert refused.rule_id == DR_PROCESS.rule_id
    assert refused.field == "provider.kind"
    assert version == 4 and case.provider is None


def test_the_stored_provider_is_the_routed_id_and_appointee_read_back_from_the_text(
    tmp_path: Path
) -> None:
    from sen_disagreement.workflow import invariants

    service = _service(tmp_path, Hooks(make_plugin_manager(), timeout=None), "dr-ok")
    with service.store:
        _agreed(service, "dr-ok")
        agreed, _ = _dr(service, "dr-ok")
        routing = service.route(agreed)
        service.apply("dr-ok", "officer", st.AssignProvider(), at=T0 + 4 * HOUR)
        invariants._CASES.clear()  # read from the stored text, not the case remembered for it
        case, _ = _dr(service, "dr-ok")
    assert case.provider is not None
    assert case.provider.party_id == routing.provider.provider_id
    assert case.provider.party == routing.appointee == routing.provider.as_party()
    assert type(case.provider.party) is Party
    assert case.independence_rules == tuple(r.rule_id for r in routing.independence.rules_applied)
