"""Issue 14's faster save path writes and checks exactly what the old one did.

* The stored document is byte for byte what ``json.dumps(converter.unstructure(case),
  ensure_ascii=False, sort_keys=True)`` wrote before (the audit chain hashes those bytes, so
  existing stores must still verify): every version of disagreement-resolution and mediation
  cases built through the workflow's steps, with and without clocks, certificates, written
  agreements, pinned settings and awkward text, is compared with that reference. A value the
  compiled encoder does not write exactly (a subclass, an outsized string) takes the old path.
* The answers kept by identity (the successor check, a case's columns, a document's case) are
  given only for the very objects they were worked out for; a refusal is raised every time.
* A loaded case asks for the settings of a document stored before settings were pinned only
  when the document has none.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import attrs
import pytest
import sweep_support as sweep
from reports import population

from sen_disagreement.actors import SYSTEM
from sen_disagreement.disclosure import Disclosure, ItemKind
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.parties import Party, PartyKind
from sen_disagreement.serialization import (
    MAX_STRING,
    STORED_MAX_ITEMS,
    DocumentEncoder,
    make_converter,
)
from sen_disagreement.settings import DEFAULT_SETTINGS, DayUnit, Settings
from sen_disagreement.store import open_store
from sen_disagreement.workflow import Case, invariants, records
from sen_disagreement.workflow import steps as st

_REFERENCE = make_converter(detailed_validation=False, max_items=STORED_MAX_ITEMS)
AWKWARD = 'quote " backslash \\ tab\t newline\n é ß 漢字 😀 \u00a0 </script> {x}'
"""Text a recorded item may hold that JSON escapes, or writes as is only without ensure_ascii."""
ODD = AWKWARD + "\u2028 \x00 \x7f \ud800"
"""Text no case may hold (a line separator, control characters, a lone surrogate): the encoder
still writes it as json does."""


def reference(case: Case) -> str:
    """The stored document as ``to_record`` wrote it before issue 14's encoder."""
    return json.dumps({"document_version": records.DOCUMENT_VERSION, "kind": case.kind,
                       "case": _REFERENCE.unstructure(case)}, ensure_ascii=False, sort_keys=True)


@pytest.fixture
def versions(monkeypatch: pytest.MonkeyPatch) -> list[Case]:
    """Every case version the workflow's steps build while the test runs."""
    built: list[Case] = []
    real = st.apply_step

    def recording(*args: Any, **kwargs: Any) -> Any:
        case = real(*args, **kwargs)
        built.append(case)
        return case

    monkeypatch.setattr(st, "apply_step", recording)
    return built


def _build_all(built: list[Case]) -> list[Case]:
    cases, _ = population.generate(60, seed=3)
    cases += [population.hostile_case()[0], population.hostile_dr()[0]]
    told = dt.date(2025, 3, 10)
    agreed = sweep.agreed("agreed-1", told)
    cases += [agreed, sweep.section_i_only("section-i-1", told),
              sweep.route_chosen("route-1", told)]
    # The daily sweep settles and lapses clocks: statuses, settled dates, the follow-ups.
    for day in (30, 90, 400):
        cases.append(st.apply_step(agreed, SYSTEM, st.Sweep(today=told + dt.timedelta(days=day)),
                                   at=sweep.at(told + dt.timedelta(days=day))))
    awkward = sweep.route_chosen("awkward-1", told)
    cases.append(st.apply_step(
        awkward, sweep.OFFICER,
        st.RecordItem(item_id="awkward-note", kind=ItemKind.NOTE,
                      disclosure=Disclosure.CONFIDENTIAL, text=AWKWARD),
        at=sweep.at(told, 12)))
    pinned = _pinned()
    cases.append(attrs.evolve(cases[0], settings=pinned))
    return [*built, *cases]


def _pinned() -> Settings:
    """Settings other than the defaults (a council's own reading, pinned to its cases)."""
    unit = next(u for u in DayUnit if u is not DEFAULT_SETTINGS.arrange_mediation_unit)
    return Settings(arrange_mediation_unit=unit)


def test_every_version_is_written_byte_for_byte_as_before(versions: list[Case]) -> None:
    cases = _build_all(versions)
    kinds = {type(c).__name__ for c in cases}
    assert kinds == {"DisagreementResolutionCase", "MediationCase"}
    assert len(cases) > 400
    seen = {"certificates": 0, "agreement": 0, "deadlines": 0, "settled": 0, "awkward": 0}
    for case in cases:
        # The compiled encoder answers for every one of them (the comparison is of it).
        assert records._ENCODER.encode(case) is not None
        document = records.to_record(case).document
        assert document == reference(case), case.case_id
        seen["certificates"] += bool(getattr(case, "certificates", ()))
        seen["agreement"] += getattr(case, "agreement", None) is not None
        seen["deadlines"] += bool(case.deadlines)
        seen["settled"] += any(d.status.value != "running" for d in case.deadlines)
        if any(i.text == AWKWARD for i in case.items):
            seen["awkward"] += json.dumps(AWKWARD, ensure_ascii=False) in document
    assert all(seen.values()), seen


def test_a_store_written_by_the_new_path_verifies_and_reads_back(tmp_path: Path,
                                                                  versions: list[Case]) -> None:
    told = dt.date(2025, 3, 10)
    sweep.agreed("agreed-s", told)
    store = open_store(f"sqlite:///{tmp_path / 'cases.sqlite3'}")
    version = 0
    for case in versions:
        saved = records.save(store, case, expected_version=version)
        version = saved.version
        assert saved.document == reference(case)
    assert store.verify().ok
    invariants._CASES.clear()  # read from the stored text, not the cache
    for record in store.history("agreed-s"):
        assert reference(records.case_from_document(record.document)) == record.document


def test_the_memo_gives_one_text_per_object_and_stays_bounded() -> None:
    # The memo empties itself when full, so start it empty: otherwise whatever earlier
    # tests left in it decides whether it turns over between the two saves below.
    records._ENCODER._memo.clear()
    case = population.hostile_case()[0]
    first = records.to_record(case).document
    entry = case.audit.entries[0]
    twin = attrs.evolve(entry)  # equal, another object: written on its own
    assert twin is not entry
    other = attrs.evolve(case, audit=attrs.evolve(case.audit, entries=(twin,
                                                                       *case.audit.entries[1:])))
    assert records.to_record(other).document == first == reference(other)
    memo = records._ENCODER._memo
    assert memo[id(entry)][0] is entry and memo[id(twin)][0] is twin
    for k in range(DocumentEncoder._MEMO_LIMIT + 10):
        records._ENCODER.encode(attrs.evolve(entry, action=f"a.b{k}"))
    assert len(memo) <= DocumentEncoder._MEMO_LIMIT
    # A long text is written again each time rather than kept (the table stays small).
    long = attrs.evolve(entry, fields=tuple(f"f{k}" for k in range(400)))
    text = records._ENCODER.encode(long)
    assert text is not None and len(text) > DocumentEncoder._MEMO_TEXT
    assert id(long) not in memo


@attrs.frozen
class _Odd:
    """A record of its own kind of every field type the compiled encoder writes."""

    text: str
    flag: bool
    count: int
    day: dt.date
    when: dt.datetime
    kind: PartyKind
    maybe: str | None
    names: tuple[str, ...]
    pair: tuple[str, dt.date]
    kinds: frozenset[PartyKind]
    party: Party | None


class _Str(str):
    __slots__ = ()


def _odd(**changes: Any) -> _Odd:
    base = _Odd(text=ODD, flag=True, count=-7, day=dt.date(2025, 1, 2),
                when=dt.datetime(2025, 1, 2, 3, 4, 5, 6789, tzinfo=dt.UTC), kind=PartyKind.PARENT,
                maybe=None, names=("a", ODD, ""), pair=("p", dt.date(2025, 2, 1)),
                kinds=frozenset({PartyKind.PARENT, PartyKind.CHILD, PartyKind.MEDIATOR}),
                party=Party(kind=PartyKind.CHILD, name="Ana"))
    return attrs.evolve(base, **changes)


def test_the_encoder_writes_each_field_type_as_the_converter_and_json_do() -> None:
    encoder = DocumentEncoder(_REFERENCE, max_string=MAX_STRING, max_items=3)

    def plain(value: object) -> str:
        return json.dumps(_REFERENCE.unstructure(value), ensure_ascii=False, sort_keys=True)

    for value in (_odd(), _odd(flag=False, maybe="x", party=None, kinds=frozenset()),
                  _odd(names=(), count=0)):
        assert encoder.encode(value) == plain(value)
    # Anything it would not write exactly is left to the converter and json (which write it,
    # or raise as they always did): never a guess.
    refused = [_odd(text=_Str("s")), _odd(flag=1), _odd(count=True), _odd(names=["a"]),
               _odd(day=dt.datetime(2025, 1, 2, tzinfo=dt.UTC)), _odd(pair=("p", None)),
               _odd(pair=("p", dt.date(2025, 2, 1), "extra")), _odd(kind="parent"),
               _odd(text="x" * (MAX_STRING + 1)), _odd(names=("a",) * 4)]
    for value in refused:
        assert encoder.encode(value) is None
    assert DocumentEncoder(_REFERENCE).encode(object()) is None


def test_a_case_the_encoder_declines_is_written_by_the_old_path() -> None:
    case = population.hostile_dr()[0]
    first = case.parties[0]
    named = attrs.evolve(first, party=attrs.evolve(first.party, name=_Str(first.party.name)))
    odd = attrs.evolve(case, parties=(named, *case.parties[1:]))
    assert records._ENCODER.encode(odd) is None
    assert records.to_record(odd).document == reference(odd) == records.to_record(case).document
    # A string of another class where the record takes a column is refused with the column's
    # name (a subclass could say it equals any case id): nothing is written from it.
    posing = attrs.evolve(case, case_id=_Str(case.case_id))
    assert records._ENCODER.encode(posing) is None
    with pytest.raises(InvalidInputError) as refused:
        records.to_record(posing)
    assert refused.value.field == "case_id" and refused.value.rule_id == "store.case_id"


def test_case_history_append_only_refusals_are_never_kept(
        versions: list[Case], monkeypatch: pytest.MonkeyPatch) -> None:
    told = dt.date(2025, 3, 10)
    sweep.route_chosen("history-1", told)
    old, new = versions[-2], versions[-1]
    calls: list[int] = []
    real = invariants.check_case

    def counted(case: Case) -> None:
        calls.append(1)
        real(case)

    monkeypatch.setattr(invariants, "check_case", counted)
    added = invariants.check_successor(old, new)
    # Every call judges the cases as they are (no memo: the store's guard must see a case
    # rewritten since an earlier pass).
    assert invariants.check_successor(old, new) == added and len(calls) == 2
    assert invariants.check_successor(old, attrs.evolve(new)) == added and len(calls) == 3
    # Rewriting history is refused each time it is asked.
    for _ in range(2):
        with pytest.raises(InvalidInputError) as refused:
            invariants.check_successor(new, old)
        assert refused.value.rule_id == invariants.HISTORY_RULE.rule_id
    assert len(calls) == 5


def test_columns_are_a_fresh_dict_for_each_caller() -> None:
    case = population.hostile_case()[0]
    given = records.columns(case)
    given["state"] = "planted"
    assert records.columns(case)["state"] == case.state.value
    assert records.to_record(case).state == case.state.value


def test_a_pinned_document_does_not_ask_for_the_settings_of_today(tmp_path: Path) -> None:
    case = population.hostile_dr()[0]
    pinned = _pinned()
    asked: list[int] = []

    def today() -> Settings:
        asked.append(1)
        return pinned

    record = records.to_record(case)
    assert records.from_record(record, settings=today) is case and not asked
    # A document stored before settings were pinned has none: it reads with today's.
    data = json.loads(record.document)
    del data["case"]["settings"]
    older = attrs.evolve(record, document=json.dumps(data, ensure_ascii=False, sort_keys=True))
    for _ in range(2):  # the second read comes from the kept case, and still asks
        loaded = records.from_record(older, settings=today)
        assert loaded.settings == pinned
    assert len(asked) == 2
    assert records.from_record(older).settings == DEFAULT_SETTINGS
