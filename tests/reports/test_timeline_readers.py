"""A case's timeline shows each reader only the records it may read (CaseService.timeline_for).

The walkthrough's two cases, run again with a without-prejudice, a confidential and a
facilitator-only record beside an open one (a canary in every record's text), each in a real
SQLite file. For every role with a part in the case and every format (SVG, PNG, text), the
reader's timeline is byte for byte the timeline of the same case stored without the records that
reader may not read: neither the record nor the fact or day it was made shows, nor a count.
Which records each role reads is written out here from the access table (workflow/access.py),
not computed with the library's own rule."""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from reports.population import CANARY
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.disclosure import Disclosure, ItemKind
from sen_disagreement.ehc import Duty, PlanSection
from sen_disagreement.errors import AccessDeniedError, InvalidInputError
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.reports.timeline import build, render_timeline
from sen_disagreement.service import CaseService, OpenDisagreementResolution, OpenMediation
from sen_disagreement.walkthrough import (
    ADVISER,
    CLERK,
    COUNCIL,
    DR_CASE,
    MED_CASE,
    OFFICER,
    PARENT,
    PROVIDER,
    directory,
)
from sen_disagreement.workflow import CaseParty, PartyContact
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.issues import Issue, IssueOutcome
from sen_disagreement.workflow.mediation import DecisionNotice, Reg32Item

ON = dt.date(2025, 5, 1)
WP, CONF, PARTIES = Disclosure.WITHOUT_PREJUDICE, Disclosure.CONFIDENTIAL, Disclosure.PARTIES

# Each case's records: id -> (who records it, its kind, class, in the meeting).
RECORDS: dict[str, dict[str, tuple[str, ItemKind, Disclosure, bool]]] = {
    DR_CASE: {
        "offer-1": (OFFICER, ItemKind.OFFER, WP, True),  # the walkthrough's offer
        "parent-note": (PARENT, ItemKind.NOTE, CONF, False),
        "provider-note": (PROVIDER, ItemKind.NOTE, CONF, False),  # a facilitator's own
        "open-doc": (PARENT, ItemKind.DOCUMENT, PARTIES, False),
    },
    MED_CASE: {
        "letter-1": (OFFICER, ItemKind.DOCUMENT, PARTIES, False),  # the walkthrough's letter
        "parent-offer": (PARENT, ItemKind.OFFER, WP, False),
        "officer-note": (OFFICER, ItemKind.NOTE, CONF, False),
        "adviser-note": (ADVISER, ItemKind.NOTE, CONF, False),  # a facilitator's own
    },
}
# What each reader with a part in the case may read: the officer and the Tribunal clerk never
# without-prejudice material, the clerk nothing confidential either, and only the case's
# facilitator its own notes.
READS: dict[str, dict[str, set[str]]] = {
    DR_CASE: {
        OFFICER: {"parent-note", "open-doc"},
        PARENT: {"offer-1", "parent-note", "open-doc"},
        PROVIDER: {"offer-1", "parent-note", "provider-note", "open-doc"},
        CLERK: {"open-doc"},
    },
    MED_CASE: {
        OFFICER: {"letter-1", "officer-note"},
        PARENT: {"letter-1", "parent-offer", "officer-note"},
        ADVISER: {"letter-1", "parent-offer", "officer-note", "adviser-note"},
        CLERK: {"letter-1"},
    },
}
READERS = [(case_id, who) for case_id, readers in READS.items() for who in readers]


def _utc(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


def _parties() -> list[CaseParty]:
    return [
        CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"),
                  PartyContact(email="sam.parent@example.org")),
        CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton Council",
                                  identifiers=Identifiers(gss_code=COUNCIL, la_number="343"))),
    ]


def _record(service: CaseService, case_id: str, item_id: str, when: dt.datetime) -> None:
    who, kind, disclosure, in_meeting = RECORDS[case_id][item_id]
    service.apply(case_id, who, st.RecordItem(
        item_id=item_id, kind=kind, disclosure=disclosure, in_meeting=in_meeting,
        text=f"{CANARY} {item_id}: without prejudice, an offer of termly reviews"), at=when)


def _store(db: Path, case_id: str, omit: frozenset[str]) -> None:
    """The walkthrough's case ``case_id`` with its records but those in ``omit``; every other
    step at the same time whatever is left out."""
    service = CaseService.open(f"sqlite:///{db}", directory=directory(), timeout=None)
    with service.store:
        records = [r for r in RECORDS[case_id] if r not in omit]
        if case_id == DR_CASE:
            day = dt.date(2025, 1, 13)
            service.open_case(OFFICER, OpenDisagreementResolution(
                case_id=DR_CASE, council=COUNCIL, parties=_parties(),
                issues=[Issue(issue_id="review", duty=Duty.KEEP_PROVISION_UNDER_REVIEW),
                        Issue(issue_id="speech", section=PlanSection.F)]), at=_utc(day, 10))
            steps: list[tuple[str, st.Step, dt.datetime]] = [
                (OFFICER, st.SeekAgreement(), _utc(day, 11)),
                (PARENT, st.AcceptDecision(party_id="parent"), _utc(day + dt.timedelta(2), 10)),
                (OFFICER, st.AcceptDecision(party_id="sefton"), _utc(day + dt.timedelta(3), 10)),
                (OFFICER, st.AssignProvider(), _utc(day + dt.timedelta(3), 12)),
            ]
            meeting = day + dt.timedelta(17)
            steps += [(PROVIDER, st.ArrangeMeeting(meeting_date=meeting),
                       _utc(day + dt.timedelta(4), 10)),
                      (PROVIDER, st.HoldMeeting(on=meeting), _utc(meeting, 15))]
            for user, step, when in steps:
                service.apply(DR_CASE, user, step, at=when)
            for n, item_id in enumerate(RECORDS[DR_CASE]):
                if item_id in records:
                    _record(service, DR_CASE, item_id, _utc(meeting, 15, 10 + n))
            service.apply(DR_CASE, PROVIDER, st.RecordOutcome(
                outcomes={"review": IssueOutcome.AGREED, "speech": IssueOutcome.NOT_AGREED}),
                at=_utc(meeting, 16))
            service.apply(DR_CASE, OFFICER, st.Close(), at=_utc(meeting + dt.timedelta(1), 10))
            return
        sent = dt.date(2025, 3, 3)
        service.open_case(OFFICER, OpenMediation(
            case_id=MED_CASE, council=COUNCIL, parties=_parties(), notice=DecisionNotice(
                sent_on=sent, decisions=[AppealableDecision.NOT_TO_AMEND_OR_REPLACE],
                contents=set(Reg32Item))), at=_utc(sent, 10))
        mar10, told = dt.date(2025, 3, 10), dt.date(2025, 3, 12)
        adviser = Party(kind=PartyKind.MEDIATION_ADVISER, name="Example mediation adviser")
        for user, step, when in [
            (PARENT, st.ContactAdviser(adviser_id="adviser", adviser=adviser, on=mar10),
             _utc(mar10, 10)),
            (ADVISER, st.GiveInformation(on=mar10), _utc(mar10, 11)),
            (PARENT, st.AcceptDecision(party_id="parent", told_la_on=told), _utc(told, 10)),
            (PARENT, st.RecordIssue(issue=Issue(issue_id="speech", section=PlanSection.F)),
             _utc(told, 10)),
            (OFFICER, st.ConfirmIssues(), _utc(told, 11)),
            (OFFICER, st.ChooseRoute(), _utc(told, 12)),
        ]:
            service.apply(MED_CASE, user, step, at=when)
        for n, item_id in enumerate(RECORDS[MED_CASE]):
            if item_id in records:
                _record(service, MED_CASE, item_id, _utc(told + dt.timedelta(n), 13))
        day = told
        while service.load(MED_CASE)[0].state.value == "route_chosen":
            day += dt.timedelta(days=1)
            service.sweep(MED_CASE, day, at=_utc(day, 7))
        issued = day + dt.timedelta(2)
        service.apply(MED_CASE, ADVISER, st.IssueCertificate(on=issued), at=_utc(issued, 10))


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, frozenset[str]],
                                                                     CaseService]]:
    """A service on each case stored with every record, and with those a reader may not read
    left out (one SQLite file each)."""
    out: dict[tuple[str, frozenset[str]], CaseService] = {}
    root = tmp_path_factory.mktemp("readers")
    for case_id, who in [(c, None) for c in RECORDS] + READERS:
        omit = frozenset() if who is None else frozenset(RECORDS[case_id]) - READS[case_id][who]
        if (case_id, omit) in out:
            continue
        db = root / f"{case_id}-{len(out)}.sqlite3"
        _store(db, case_id, omit)
        service = CaseService.open(f"sqlite:///{db}", directory=directory(), timeout=None)
        service.store.__enter__()
        out[case_id, omit] = service
    yield out
    for service in out.values():
        service.store.__exit__(None, None, None)


def _all(stored: dict[tuple[str, frozenset[str]], CaseService], case_id: str) -> CaseService:
    return stored[case_id, frozenset()]


def _png_text(png: bytes) -> bytes:
    """The PNG's chunks' contents, inflated where compressed (zTXt, iTXt, IDAT)."""
    out, pos = b"", 8
    while pos < len(png):
        length = int.from_bytes(png[pos:pos + 4], "big")
        kind, body = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
        out += kind + body
        if kind == b"zTXt":
            out += zlib.decompress(body.split(b"\0", 1)[1][1:])
        pos += 12 + length
    return out


def test_every_record_is_really_stored(stored: dict[tuple[str, frozenset[str]],
                                                    CaseService]) -> None:
    for case_id, records in RECORDS.items():
        case, _ = _all(stored, case_id).load(case_id)
        assert [i.item_id for i in case.items] == list(records)
        assert all(CANARY in i.text for i in case.items)
        # The facilitator's note is its own record; the open document everyone's.
        service = _all(stored, case_id)
        for who, ids in READS[case_id].items():
            assert {i.item_id for i in service.readable_items(case_id, who)} == ids, who


@pytest.mark.parametrize(("case_id", "who"), READERS)
def test_a_reader_sees_the_case_as_if_it_held_no_record_they_may_not_read(
        stored: dict[tuple[str, frozenset[str]], CaseService], case_id: str, who: str) -> None:
    hidden = frozenset(RECORDS[case_id]) - READS[case_id][who]
    full, without = _all(stored, case_id), stored[case_id, hidden]
    mine = full.timeline_for(case_id, who, on=ON)
    assert mine == without.timeline_for(case_id, who, on=ON)
    # One event for each record the reader may read, none for another; every other step shows.
    assert sum(e.step == "record_item" for e in mine.events) == len(READS[case_id][who])
    everything = build(full.load(case_id)[0], on=ON, readable=full.load(case_id)[0].items)
    assert len(everything.events) - len(mine.events) == len(hidden)
    for fmt in ("svg", "png", "text"):
        got = mine.render(fmt)
        assert got == without.timeline_for(case_id, who, on=ON).render(fmt), fmt
        data = _png_text(got) if isinstance(got, bytes) else got.encode("utf-8")
        for needle in (CANARY, CANARY.lower(), "without prejudice", "an offer", "termly",
                       *RECORDS[case_id]):
            assert needle.encode("utf-8") not in data, (fmt, needle)
    if hidden:  # the reader's timeline is not everyone's
        assert mine.text() != everything.text()


def test_a_user_with_no_part_gets_the_refusal_of_case_for_audited(
        stored: dict[tuple[str, frozenset[str]], CaseService]) -> None:
    service = _all(stored, MED_CASE)
    answers = []
    for case_id in (MED_CASE, "sefton-med-9999"):  # a stored case, and no case at all
        before = len(service.store.audit_trail(case_id))
        with pytest.raises(AccessDeniedError) as err:
            service.timeline_for(case_id, PROVIDER, on=ON)
        with pytest.raises(AccessDeniedError) as same:
            service.case_for(case_id, PROVIDER)
        assert str(err.value) == str(same.value)
        answers.append(str(err.value).replace(case_id, "ID"))
        trail = service.store.audit_trail(case_id)[before:]
        assert [(e.actor, e.action, e.outcome) for e in trail] == [
            (PROVIDER, "case.read", "refused")] * 2
    assert answers[0] == answers[1]  # one answer whether or not the case exists


def test_reading_a_timeline_audits_no_item_read(
        stored: dict[tuple[str, frozenset[str]], CaseService]) -> None:
    service = _all(stored, DR_CASE)
    before = len(service.store.audit_trail(DR_CASE))
    for who in READS[DR_CASE]:
        service.timeline_for(DR_CASE, who, on=ON)
    assert len(service.store.audit_trail(DR_CASE)) == before


@pytest.mark.parametrize("on", [dt.datetime(2025, 5, 1, tzinfo=dt.UTC), "2025-05-01"])
def test_a_bad_day_is_a_typed_error_before_the_case_is_read(
        stored: dict[tuple[str, frozenset[str]], CaseService], on: object) -> None:
    service = _all(stored, DR_CASE)
    before = len(service.store.audit_trail("sefton-dr-9999"))
    with pytest.raises(InvalidInputError) as err:
        service.timeline_for("sefton-dr-9999", PROVIDER, on=on)  # type: ignore[arg-type]
    assert (err.value.field, err.value.rule_id) == ("on", "input.date")
    assert len(service.store.audit_trail("sefton-dr-9999")) == before  # no refusal recorded


def test_the_day_defaults_to_today_in_england_by_the_services_clock(tmp_path: Path) -> None:
    db = tmp_path / "dr.sqlite3"
    _store(db, DR_CASE, frozenset())
    # 23:30 UTC on 31 March 2025 is 00:30 BST on 1 April in England.
    service = CaseService.open(f"sqlite:///{db}", directory=directory(), timeout=None)
    service.clock = lambda: dt.datetime(2025, 3, 31, 23, 30, tzinfo=dt.UTC)
    with service.store:
        assert service.timeline_for(DR_CASE, PARENT).on == dt.date(2025, 4, 1)


def test_render_timeline_shows_no_record_unless_told_the_reader_may_read_it(
        stored: dict[tuple[str, frozenset[str]], CaseService], tmp_path: Path) -> None:
    service = _all(stored, DR_CASE)
    case, _ = service.load(DR_CASE)
    none = render_timeline(case, on=ON, format="text")
    assert isinstance(none, str) and "record item" not in none  # the safe default
    _store(tmp_path / "bare.sqlite3", DR_CASE, frozenset(RECORDS[DR_CASE]))
    bare = CaseService.open(f"sqlite:///{tmp_path / 'bare.sqlite3'}", directory=directory(),
                            timeout=None)
    with bare.store:
        assert none == bare.timeline_for(DR_CASE, PROVIDER, on=ON).text()
    every = render_timeline(case, on=ON, format="text", readable=case.items)
    assert isinstance(every, str) and every.count("record item") == len(RECORDS[DR_CASE])
    # An item is the reader's only as the case holds it: one of the same id from another case
    # (another text) does not show this case's record.
    forged = [attrs.evolve(i, text="something else") for i in case.items]
    assert render_timeline(case, on=ON, format="text", readable=forged) == none
