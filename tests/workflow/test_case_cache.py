"""The store check's cache of cases by their text (``invariants._CASES``): the last 256 held,
and any whose case is still alive held weakly, so an import's records (``to_record`` of many
cases, then one ``save_many``) are checked against their cases, never parsed again, and the
cache never keeps a case alive nor answers for a text with another's case."""

from __future__ import annotations

import datetime as dt
import gc
import weakref
from pathlib import Path

import pytest
import sweep_support as sweep

from sen_disagreement.store import open_store
from sen_disagreement.workflow import Case, invariants, records

TOLD = dt.date(2025, 3, 10)


def _cases(n: int) -> list[Case]:
    return list(sweep.copies("cache", n, TOLD))


def test_an_import_of_many_records_is_checked_against_its_cases_without_a_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invariants._CASES.clear()
    n = invariants._CACHE_SIZE * 4
    cases = _cases(n)
    recs = [records.to_record(c) for c in cases]
    parsed: list[str] = []
    real = invariants._read

    def counted(document: str, kind: str) -> invariants._Read:
        parsed.append(document)
        return real(document, kind)

    monkeypatch.setattr(invariants, "_read", counted)
    with open_store(f"sqlite:///{tmp_path / 'cases.sqlite3'}") as store:
        assert store.save_many(recs, actor="import:1") == n
        assert parsed == []
        assert store.verify().ok
    del cases


def test_a_case_no_longer_alive_leaves_the_cache_and_its_text_is_read_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    invariants._CASES.clear()
    cases = _cases(invariants._CACHE_SIZE + 20)
    texts = [(records.to_record(c).document, c.kind) for c in cases]
    first = texts[0]
    assert first not in invariants._CASES._items  # pushed out of the held part ...
    assert first in invariants._CASES._weak  # ... and kept weakly while its case lives
    found = invariants.read_stored(*first)[0]
    assert found is cases[0]
    del found, cases
    gc.collect()
    held = set(invariants._CASES._items)
    assert all(k in held for k in invariants._CASES._weak)  # only what the LRU holds remains
    reads: list[str] = []
    real = invariants._read

    def counted(document: str, kind: str) -> invariants._Read:
        reads.append(document)
        return real(document, kind)

    monkeypatch.setattr(invariants, "_read", counted)
    evicted = next(t for t in texts if t not in held)
    again = invariants.read_stored(*evicted)[0]
    assert reads == [evicted[0]]
    assert again is not None and records.to_record(again).document == evicted[0]


def test_a_text_put_again_keeps_its_new_case_when_the_old_one_goes() -> None:
    invariants._CASES.clear()
    old = _cases(1)[0]
    text = records.to_record(old).document
    new = invariants.read_stored(text, old.kind)[0]
    assert new is old  # read back warm: the remembered case
    other = _cases(1)[0]
    assert other is not old and other == old
    assert records.to_record(other).document == text  # the same text, remembered anew
    del old, new
    gc.collect()
    key = (text, other.kind)
    assert invariants._CASES._weak[key][0]() is other
    for k in range(invariants._CACHE_SIZE + 1):  # push it out of the held part
        invariants._CASES.put((f"{{\"x\": {k}}}", "mediation"), (None, False))
    assert invariants.read_stored(*key)[0] is other


def test_the_cache_keeps_no_case_alive() -> None:
    invariants._CASES.clear()
    cases = _cases(invariants._CACHE_SIZE + 5)
    for c in cases:
        records.to_record(c)
    early = [weakref.ref(c) for c in cases[:5]]
    del cases, c
    gc.collect()
    assert all(r() is None for r in early)
