"""The fast paths of issue 14 check exactly what the slow ones did.

* ``to_record`` hands the store's check the case it has just written instead of the case read
  back from the text, only when the text reads back as that very case (the library's own class,
  every value of exactly its declared type, within the reader's own bounds); any other case is
  read from its text, and refused where that does not read.
* ``evolve_case`` converts and validates the fields a transition changes; what it builds equals
  what ``attrs.evolve`` builds, and a bad changed field is refused as before.
* The encoders built once write the bytes ``json.dumps`` wrote (the audit chain's canonical
  rows, the stored document).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import attrs
import pytest

from sen_disagreement.disclosure import Disclosure, ItemKind, RecordedItem
from sen_disagreement.ehc import Duty
from sen_disagreement.errors import InvalidInputError, NotFoundError
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.serialization import MAX_STRING
from sen_disagreement.store import open_store
from sen_disagreement.store.chain import link
from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase, invariants, records
from sen_disagreement.workflow._case import evolve_case
from sen_disagreement.workflow.disagreement_resolution import DrState
from sen_disagreement.workflow.issues import Issue

T0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
COUNCIL = "E08000014"


def _case(case_id: str = "dr-fast-1") -> DisagreementResolutionCase:
    parent = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"))
    la = CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY,
                                   identifiers=Identifiers(gss_code=COUNCIL)))
    case = DisagreementResolutionCase.refer(
        case_id=case_id, council=COUNCIL, parties=[parent, la], at=T0, actor="officer-1",
        issues=[Issue(issue_id="assess", duty=Duty.ASSESS)],
    )
    case = case.seek_agreement(at=T0 + dt.timedelta(hours=1), actor="officer-1")
    return case.agree("parent", at=T0 + dt.timedelta(hours=2), actor="sam")


def _note(text: str, item_id: str = "n1") -> RecordedItem:
    return RecordedItem(item_id=item_id, kind=ItemKind.NOTE, disclosure=Disclosure.CONFIDENTIAL,
                        recorded_at=T0 + dt.timedelta(hours=3), recorded_by="officer-1",
                        in_meeting=False, text=text)


def test_to_record_remembers_the_case_its_text_reads_back_as(tmp_path: Path) -> None:
    case = _case()
    record = records.to_record(case)
    assert invariants.read_case(record.document, case.kind) is case
    # The same text read from scratch is the same case: nothing is lost by not reading it.
    assert records.case_from_document(record.document, kind=case.kind) == case
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        saved = records.save(store, case, expected_version=0)
        assert records.from_record(store.load(case.case_id)) == case
        assert saved.version == 1 and store.verify().ok


def test_store_case_document_a_text_past_the_readers_bounds_is_read_and_refused(
    tmp_path: Path,
) -> None:
    # A hostile caller writes more into a built item than a stored string may hold (RecordedItem
    # itself refuses it); such a case is not remembered, so the store's check reads the text,
    # and refuses it, as before the fast path (a case that could not be read back is never
    # stored).
    note = _note("x")
    object.__setattr__(note, "text", "x" * (MAX_STRING + 1))
    long = _case("dr-fast-2").record_item(note, at=T0 + dt.timedelta(hours=3), actor="officer-1")
    record = records.to_record(long)
    invariants._CASES.clear()
    with pytest.raises(InvalidInputError) as refused:
        invariants.read_case(record.document, long.kind)
    assert refused.value.rule_id == "store.case_document"
    records.to_record(long)  # not remembered: the check below reads the text
    with open_store(f"sqlite:///{tmp_path / 's.sqlite3'}") as store:
        with pytest.raises(InvalidInputError) as exc:
            records.save(store, long, expected_version=0)
        assert exc.value.rule_id == "store.case_document"
        assert "x" * 50 not in str(exc.value)
        with pytest.raises(NotFoundError):
            store.load(long.case_id)


class _Posing(str):
    """A string of a class of its own (it could compare equal to any other)."""


@attrs.frozen(kw_only=True)
class _HostCase(DisagreementResolutionCase):
    """A caller's own case class."""


def _remembered(case: DisagreementResolutionCase) -> bool:
    record = records.to_record(case)
    return invariants._CASES.get((record.document, case.kind)) is not None


def test_store_case_document_only_a_case_of_exact_types_is_remembered() -> None:
    # Only a case the compiled encoder writes (the library's own class, every value of exactly
    # its declared type, within the reader's bounds) may stand for its text in the store's
    # check; any other is read back from its text.
    invariants._CASES.clear()
    assert _remembered(_case("dr-fast-3"))
    posing = _case("dr-fast-3b")
    object.__setattr__(posing, "council", _Posing(posing.council))
    # Its record is refused: the store's columns are exact strings (a subclass could say it
    # equals any council), so the case is neither remembered nor written.
    with pytest.raises(InvalidInputError) as refused:
        _remembered(posing)
    assert refused.value.field == "council" and refused.value.rule_id == "store.council"
    assert invariants._CASES.get((records._document(posing)[0], posing.kind)) is None
    mine = _case("dr-fast-3c")
    assert not _remembered(_HostCase(**{a.name: getattr(mine, a.name)
                                        for a in attrs.fields(DisagreementResolutionCase)}))


def test_evolve_case_equals_attrs_evolve_and_checks_what_changes() -> None:
    case = _case("dr-fast-4")
    fast = evolve_case(case, state=DrState.ALL_AGREED, items=[_note("a note")])
    slow = attrs.evolve(case, state=DrState.ALL_AGREED, items=[_note("a note")])
    assert fast == slow and type(fast.items) is tuple
    assert fast.settings is case.settings and fast.audit is case.audit
    with pytest.raises(InvalidInputError) as exc:
        evolve_case(case, state="all_agreed")  # a string is not a state
    assert exc.value.field == "state" and exc.value.rule_id == "input.type"
    with pytest.raises(TypeError):
        evolve_case(case, no_such_field=1)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast.state = DrState.CLOSED  # type: ignore[misc]


def test_the_encoders_built_once_write_what_json_dumps_wrote() -> None:
    case = _case("dr-fast-5")
    record = records.to_record(case)
    data = records._CONVERTER.unstructure(case)
    assert record.document == json.dumps(
        {"document_version": records.DOCUMENT_VERSION, "kind": case.kind, "case": data},
        ensure_ascii=False, sort_keys=True,
    )
    at = T0 + dt.timedelta(microseconds=7)
    us = (at - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
    row = ["0" * 64, us, "officer-1", "dr.referred", "dr-fast-5", "ok", "parties,issues", us, 1,
           "ab" * 32]
    expected = hashlib.sha256(json.dumps(row, separators=(",", ":"), ensure_ascii=True)
                              .encode("ascii")).hexdigest()
    assert link("0" * 64, at=at, actor="officer-1", action="dr.referred", case_id="dr-fast-5",
                outcome="ok", fields="parties,issues", committed_at=at, doc_version=1,
                doc_hash="ab" * 32) == expected
