"""The voluntary, confidential and without-prejudice principles as enforceable rules."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from sen_disagreement.disclosure import (
    Disclosure,
    ItemKind,
    RecordedItem,
    check_tribunal_bound,
)
from sen_disagreement.errors import ConsentRequiredError, InvalidInputError, WithoutPrejudiceError
from sen_disagreement.parties import Party
from sen_disagreement.parties import PartyKind as K
from sen_disagreement.voluntary import (
    ConsentDecision as C,
)
from sen_disagreement.voluntary import (
    ConsentEntry,
    ConsentLedger,
    Process,
    effect_on_appeal_rights,
)

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
CANARY = "CANARY-offer-of-two-days-a-week-7f3a"

PARTIES = {
    "parent": Party(kind=K.PARENT),
    "la": Party(kind=K.LOCAL_AUTHORITY),
    "school": Party(kind=K.ACADEMY_PROPRIETOR),
}


def entry(pid: str, decision: C, minutes: int, by: str | None = None, **kw: bool) -> ConsentEntry:
    return ConsentEntry(
        party_id=pid,
        decision=decision,
        at=T0 + dt.timedelta(minutes=minutes),
        recorded_by=by or pid,
        **kw,
    )


def ledger_of(*entries: ConsentEntry, process: Process = Process.DISAGREEMENT_RESOLUTION,
              parties: dict[str, Party] = PARTIES) -> ConsentLedger:
    ledger = ConsentLedger(process)
    for e in entries:
        ledger = ledger.record(e, parties)
    return ledger


def test_s57_voluntary_nothing_proceeds_without_every_party() -> None:
    ledger = ledger_of(entry("parent", C.AGREED, 1), entry("la", C.AGREED, 2))
    with pytest.raises(ConsentRequiredError) as err:
        ledger.require_all_agreed(PARTIES)
    assert err.value.rule_id == "s57.voluntary"
    assert "school" in str(err.value)
    ledger = ledger.record(entry("school", C.AGREED, 3), PARTIES)
    ledger.require_all_agreed(PARTIES)


def test_s57_withdraw_any_time_stops_the_process() -> None:
    ledger = ledger_of(*(entry(p, C.AGREED, i) for i, p in enumerate(PARTIES)))
    ledger.require_all_agreed(PARTIES)
    ledger = ledger.record(entry("la", C.WITHDRAWN, 10), PARTIES)
    assert ledger.stopped(PARTIES)
    with pytest.raises(ConsentRequiredError):
        ledger.require_all_agreed(PARTIES)
    # Append-only: the earlier agreement is still on the ledger.
    assert [e.decision for e in ledger.entries].count(C.AGREED) == 3


def test_s57_declining_no_effect_on_appeal() -> None:
    text = effect_on_appeal_rights(C.DECLINED)
    assert "no effect" in text


def test_consent_ledger_is_append_only_in_time() -> None:
    ledger = ledger_of(entry("parent", C.AGREED, 5))
    with pytest.raises(InvalidInputError) as err:
        ledger.record(entry("la", C.AGREED, 1), PARTIES)
    assert err.value.rule_id == "consent.append_only"


def test_mediation_bodies_must_take_part_only_family_consent_needed() -> None:
    ledger = ledger_of(entry("parent", C.AGREED, 1), process=Process.MEDIATION)
    ledger.require_all_agreed(PARTIES)
    assert ledger.required_parties(PARTIES) == ["parent"]


def test_young_person_decides_parent_cannot_consent_for_them() -> None:
    parties = {
        "yp": Party(kind=K.YOUNG_PERSON, date_of_birth=dt.date(2006, 1, 1)),
        "parent": Party(kind=K.PARENT),
        "la": Party(kind=K.LOCAL_AUTHORITY),
    }
    with pytest.raises(ConsentRequiredError) as err:
        ledger_of(entry("yp", C.AGREED, 1, by="parent"), parties=parties)
    assert err.value.rule_id == "young_person.decides"
    ledger = ledger_of(entry("yp", C.AGREED, 1), entry("la", C.AGREED, 2), parties=parties)
    ledger.require_all_agreed(parties)  # the parent's agreement is not needed


def test_young_person_decides_representative_for_lack_of_capacity() -> None:
    parties = {
        "yp": Party(kind=K.YOUNG_PERSON, date_of_birth=dt.date(2006, 1, 1)),
        "deputy": Party(kind=K.PARENT, acting_for_young_person_lacking_capacity=True),
        "la": Party(kind=K.LOCAL_AUTHORITY),
    }
    ledger = ledger_of(
        entry("yp", C.AGREED, 1, by="deputy", on_behalf_lacking_capacity=True),
        entry("la", C.AGREED, 2),
        parties=parties,
    )
    ledger.require_all_agreed(parties)
    assert ledger.entries[0].recorded_by == "deputy"


def offer(disclosure: Disclosure = Disclosure.WITHOUT_PREJUDICE) -> RecordedItem:
    return RecordedItem(
        item_id="item-1",
        kind=ItemKind.OFFER,
        disclosure=disclosure,
        recorded_at=T0,
        recorded_by="la-officer",
        in_meeting=True,
        text=CANARY,
    )


def test_s57_without_prejudice_offers_are_marked_when_recorded() -> None:
    with pytest.raises(InvalidInputError) as err:
        offer(Disclosure.PARTIES)
    assert err.value.rule_id == "s57.without_prejudice"
    made = RecordedItem.meeting_record(
        item_id="c1", kind=ItemKind.COMMENT, recorded_at=T0, recorded_by="x", text=CANARY
    )
    assert made.disclosure is Disclosure.WITHOUT_PREJUDICE


def test_s57_without_prejudice_never_bound_for_the_tribunal_and_never_echoed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    item = offer()
    with caplog.at_level(logging.DEBUG), pytest.raises(WithoutPrejudiceError) as err:
        check_tribunal_bound(item)
    logging.getLogger("test").info("refused %r / %s", item, item)
    assert CANARY not in str(err.value)
    assert CANARY not in repr(item) and CANARY not in str(item)
    assert CANARY not in caplog.text
    assert "item-1" in str(err.value)


def test_s57_confidential_material_not_bound_for_the_tribunal() -> None:
    note = RecordedItem(
        item_id="n1", kind=ItemKind.NOTE, disclosure=Disclosure.CONFIDENTIAL,
        recorded_at=T0, recorded_by="x", in_meeting=False, text=CANARY,
    )
    with pytest.raises(WithoutPrejudiceError) as err:
        check_tribunal_bound(note)
    assert err.value.rule_id == "s57.confidential"


@pytest.mark.parametrize("disclosure", [Disclosure.PUBLIC, Disclosure.PARTIES])
def test_tribunal_allow_list_public_and_parties(disclosure: Disclosure) -> None:
    notice = RecordedItem(
        item_id="d1", kind=ItemKind.DECISION_NOTICE, disclosure=disclosure,
        recorded_at=T0, recorded_by="x", in_meeting=False, text="decision notice",
    )
    check_tribunal_bound(notice)
