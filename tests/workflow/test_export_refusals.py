"""Every refused or invalid export call is audited, and no refusal leaks case content.

Issue 9, item 9:

* each of the five refused or invalid export calls (Tribunal bundle: wrong role, not attached;
  subject-access export: wrong subject, unknown redaction, release not permitted) appends exactly
  one audit entry (``refused``, or ``invalid`` for bad input) before raising, and neither that
  entry nor the message carries an item's text or the subject's name, date of birth or age;
* the refusal of a party declared as a young person who is not one on the date names the rule
  that failed, never a value derived from the date of birth.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest

from sen_disagreement.actors import Actor, CaseGrant, Role
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.disclosure import Disclosure, ItemKind, RecordedItem
from sen_disagreement.ehc import PlanSection
from sen_disagreement.errors import (
    AccessDeniedError,
    InvalidInputError,
    SenDisagreementError,
)
from sen_disagreement.parties import (
    Party,
    PartyKind,
    age_on,
    end_of_compulsory_school_age,
)
from sen_disagreement.store.contract import AuditEntry
from sen_disagreement.workflow import CaseParty
from sen_disagreement.workflow.audit import AuditLog
from sen_disagreement.workflow.exports import Redaction, subject_access_export, tribunal_bundle
from sen_disagreement.workflow.issues import Issue
from sen_disagreement.workflow.mediation import DecisionNotice, MediationCase, Reg32Item

UTC = dt.UTC
T0 = dt.datetime(2025, 3, 3, 9, tzinfo=UTC)

ITEM_CANARY = "ITEMCANARYq7"
NAME_CANARY = "NAMECANARYz4"
SUBJECT_NAME = f"{NAME_CANARY} Young"
DOB = dt.date(2003, 11, 27)  # 21 on every date used here; a young person since June 2020


def t(days: int, hour: int = 10) -> dt.datetime:
    return T0 + dt.timedelta(days=days, hours=hour - 9)


AT = t(12)
AGE = age_on(DOB, AT.date())
YP = CaseParty("yp", Party(kind=PartyKind.YOUNG_PERSON, name=SUBJECT_NAME, date_of_birth=DOB))
LA = CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY))


def held_mediation(case_id: str) -> MediationCase:
    """A mediation with a named young person, held, with one item of each disclosure class whose
    text carries :data:`ITEM_CANARY`."""
    notice = DecisionNotice(sent_on=T0.date(), contents=set(Reg32Item),
                            decisions=[AppealableDecision.PLAN_NEEDS])
    case = MediationCase.notify_decision(case_id=case_id, council="sefton", parties=[YP, LA],
                                         notice=notice, at=t(0), actor="officer")
    case = case.contact_adviser("adv", Party(kind=PartyKind.MEDIATION_ADVISER), on=t(1).date(),
                                at=t(1), actor="adv")
    case = case.give_information(on=t(1).date(), at=t(1, 11), actor="adv")
    case = case.want_mediation("yp", told_la_on=t(2).date(), at=t(2), actor="officer")
    case = case.record_issue(Issue(issue_id="b", section=PlanSection.B), at=t(2), actor="o")
    case = case.confirm_issues(at=t(2), actor="officer").choose_route(at=t(2), actor="officer")
    case = case.arrange_meeting("med", Party(kind=PartyKind.MEDIATOR),
                                meeting_date=t(9).date(), at=t(2), actor="officer")
    case = case.hold_meeting(on=t(9).date(), at=t(9, 15), actor="med")
    for n, disclosure in enumerate(Disclosure):
        text = f"{disclosure.value} {ITEM_CANARY} about {SUBJECT_NAME} born {DOB.isoformat()}"
        if disclosure is Disclosure.WITHOUT_PREJUDICE:
            item = RecordedItem.meeting_record(item_id=f"i{n}", kind=ItemKind.OFFER,
                                               recorded_at=t(9, 16), recorded_by="la", text=text)
        else:
            item = RecordedItem(item_id=f"i{n}", kind=ItemKind.NOTE, disclosure=disclosure,
                                recorded_at=t(9, 16), recorded_by="la", in_meeting=False,
                                text=text)
        case = case.record_item(item, at=t(9, 16), actor="med")
    return case.issue_certificate(on=t(10).date(), at=t(10), actor="adv")


CASE = held_mediation("yp-case")
WP_ITEM = next(i.item_id for i in CASE.items if i.disclosure is Disclosure.WITHOUT_PREJUDICE)
OFFICER = Actor(actor_id="officer", role=Role.LA_OFFICER, council="sefton")
CLERK = Actor(actor_id="clerk", role=Role.TRIBUNAL_EXPORTER, council="sefton")
SUBJECT = Actor(actor_id="yp", role=Role.FAMILY,
                grants={CaseGrant(case_id=CASE.case_id, party_id="yp")})


def entry_text(entry: AuditEntry) -> str:
    """Everything an audit entry says besides its time."""
    return " ".join((entry.actor, entry.action, entry.case_id or "", entry.outcome,
                     *entry.fields))


def assert_no_canary(text: str) -> None:
    assert ITEM_CANARY not in text
    assert NAME_CANARY not in text
    assert DOB.isoformat() not in text and str(DOB.year) not in text
    assert re.search(rf"\b{AGE}\b", text) is None, text


def one_refusal(
    call: Callable[[AuditLog], object], error: type[SenDisagreementError], outcome: str
) -> tuple[SenDisagreementError, AuditEntry]:
    """Run ``call`` against a sink that already holds an entry; it must raise ``error`` after
    appending exactly one entry with ``outcome``. Returns the error and the entry."""
    sink = AuditLog()
    subject_access_export(CASE, subject_id="yp", requester=SUBJECT, at=t(11), sink=sink)
    before = sink.entries
    with pytest.raises(error) as err:
        call(sink)
    assert sink.entries[: len(before)] == before
    new = sink.entries[len(before):]
    assert len(new) == 1, new
    (entry,) = new
    assert entry.outcome == outcome
    assert entry.at == AT and entry.case_id == CASE.case_id
    assert_no_canary(str(err.value))
    assert_no_canary(entry_text(entry))
    return err.value, entry


def test_export_canaries_are_where_a_leak_would_put_them() -> None:
    # The canaries are real: an allowed export does carry them, so their absence below means
    # something.
    assert AGE == 21
    export = subject_access_export(CASE, subject_id="yp", requester=SUBJECT, at=AT,
                                   sink=AuditLog(), redactions={WP_ITEM: Redaction.RELEASE})
    out = export.to_json()
    assert ITEM_CANARY in out and NAME_CANARY in out and DOB.isoformat() in out


def test_export_audit_every_refusal_tribunal_bundle_wrong_role() -> None:
    exc, entry = one_refusal(
        lambda sink: tribunal_bundle(CASE, exporter=OFFICER, at=AT, sink=sink),
        AccessDeniedError, "refused",
    )
    assert (entry.actor, entry.action) == ("officer", "export.tribunal_bundle")
    assert "only a Tribunal-bundle exporter" in str(exc)


def test_export_audit_every_refusal_tribunal_bundle_not_attached() -> None:
    # A Tribunal-bundle exporter is attached to the cases of its own council only.
    stranger = Actor(actor_id="clerk", role=Role.TRIBUNAL_EXPORTER, council="wirral")
    exc, entry = one_refusal(
        lambda sink: tribunal_bundle(CASE, exporter=stranger, at=AT, sink=sink),
        AccessDeniedError, "refused",
    )
    assert (entry.actor, entry.action) == ("clerk", "export.tribunal_bundle")
    assert "has no part in this case as a tribunal_exporter" in str(exc)


def test_export_audit_every_refusal_wrong_subject() -> None:
    # "la" is a party of the case, but not its parent or young person.
    exc, entry = one_refusal(
        lambda sink: subject_access_export(CASE, subject_id="la", requester=OFFICER, at=AT,
                                           sink=sink),
        InvalidInputError, "invalid",
    )
    assert isinstance(exc, InvalidInputError)
    assert exc.field == "subject_id" and exc.rule_id == "ukgdpr.art15.subject_access"
    assert (entry.actor, entry.action, entry.fields) == (
        "officer", "export.subject_access", ("subject_id",)
    )


@pytest.mark.parametrize("subject_id", [SUBJECT_NAME, DOB.isoformat() + " x", "YP", ""],
                         ids=["name", "date-of-birth", "upper-case", "empty"])
def test_export_audit_every_refusal_wrong_subject_not_an_id_is_never_echoed(
    subject_id: str,
) -> None:
    exc, entry = one_refusal(
        lambda sink: subject_access_export(CASE, subject_id=subject_id, requester=OFFICER,
                                           at=AT, sink=sink),
        InvalidInputError, "invalid",
    )
    assert isinstance(exc, InvalidInputError)
    assert (exc.field, exc.rule_id) == ("subject_id", "input.id")
    assert entry.fields == ("subject_id",)
    if subject_id:
        assert subject_id not in str(exc) and subject_id not in entry_text(entry)


def test_export_audit_every_refusal_unknown_redaction() -> None:
    exc, entry = one_refusal(
        lambda sink: subject_access_export(CASE, subject_id="yp", requester=SUBJECT, at=AT,
                                           sink=sink,
                                           redactions={WP_ITEM: Redaction.RELEASE,
                                                       "nope": Redaction.RELEASE}),
        InvalidInputError, "invalid",
    )
    assert isinstance(exc, InvalidInputError)
    assert exc.field == "redactions.nope" and exc.rule_id == "ukgdpr.art15.subject_access"
    assert (entry.actor, entry.action, entry.fields) == (
        "yp", "export.subject_access", ("redactions.nope",)
    )


def test_export_audit_every_refusal_unknown_redaction_key_not_an_id_is_never_echoed() -> None:
    key = f"{ITEM_CANARY} about {SUBJECT_NAME}"
    exc, entry = one_refusal(
        lambda sink: subject_access_export(CASE, subject_id="yp", requester=SUBJECT, at=AT,
                                           sink=sink, redactions={key: Redaction.RELEASE}),
        InvalidInputError, "invalid",
    )
    assert isinstance(exc, InvalidInputError)
    assert (exc.field, exc.rule_id) == ("redactions", "input.id")
    assert entry.fields == ("redactions",)


def test_export_audit_every_refusal_release_not_permitted() -> None:
    exc, entry = one_refusal(
        lambda sink: subject_access_export(CASE, subject_id="yp", requester=OFFICER, at=AT,
                                           sink=sink, redactions={WP_ITEM: Redaction.RELEASE}),
        AccessDeniedError, "refused",
    )
    assert (entry.actor, entry.action, entry.fields) == (
        "officer", "item.read", (f"items.{WP_ITEM}",)
    )
    assert WP_ITEM in str(exc) and "without_prejudice" in str(exc)


@pytest.mark.parametrize(
    "requester",
    [CLERK, Actor(actor_id="officer", role=Role.LA_OFFICER, council="wirral"),
     Actor(actor_id="yp", role=Role.FAMILY,
           grants={CaseGrant(case_id="another-case", party_id="yp")}),
     Actor(actor_id="med-user", role=Role.MEDIATOR, organisation="med")],
    ids=["tribunal-exporter", "other-council", "family-of-another-case", "mediator"],
)
def test_export_audit_every_refusal_subject_access_wrong_role_or_not_attached(
    requester: Actor,
) -> None:
    # Refused before the input is looked at: one "refused" entry, even with bad input as well.
    _, entry = one_refusal(
        lambda sink: subject_access_export(CASE, subject_id=SUBJECT_NAME, requester=requester,
                                           at=AT, sink=sink,
                                           redactions={ITEM_CANARY: Redaction.RELEASE}),
        AccessDeniedError, "refused",
    )
    assert (entry.action, entry.fields) == ("export.subject_access", ("items",))


# --- young person: no value derived from the date of birth in any message ----------------------


def derived_values(born: dt.date) -> list[str]:
    """Date of birth, birth year, birthday, end of compulsory school age and its year."""
    ends = end_of_compulsory_school_age(born)
    return [born.isoformat(), str(born.year), f"{born.month:02d}-{born.day:02d}",
            ends.isoformat(), str(ends.year)]


@pytest.mark.parametrize(
    ("born", "failed"),
    [(dt.date(1988, 11, 27), "under 25"),  # 36 on the date
     (dt.date(2000, 3, 3), "under 25"),  # 25 that very day
     (dt.date(2011, 11, 27), "compulsory school age"),  # 13
     (dt.date(2009, 9, 1), "compulsory school age")],  # 15, turns 16 this school year
    ids=["aged-36", "aged-exactly-25", "aged-13", "turns-16-this-school-year"],
)
def test_young_person_refusal_names_no_derived_age_or_date(born: dt.date, failed: str) -> None:
    day = dt.date(2025, 3, 3)
    party = Party(kind=PartyKind.YOUNG_PERSON, name=SUBJECT_NAME, date_of_birth=born)
    with pytest.raises(InvalidInputError) as err:
        party.check_on(day)
    msg = str(err.value)
    assert err.value.field == "date_of_birth" and err.value.rule_id == "young_person.definition"
    assert "is not a young person on this date" in msg and failed in msg
    age = age_on(born, day)
    if age != 25:  # 25 is the rule itself, not a value derived from this date of birth
        assert re.search(rf"\b{age}\b", msg) is None, msg
    for value in derived_values(born):
        assert value not in msg, (value, msg)
    assert NAME_CANARY not in msg


def test_young_person_refusal_names_no_derived_age_or_date_when_a_case_starts() -> None:
    born = dt.date(1988, 11, 27)
    party = CaseParty("yp", Party(kind=PartyKind.YOUNG_PERSON, name=SUBJECT_NAME,
                                  date_of_birth=born))
    notice = DecisionNotice(sent_on=T0.date(), contents=set(Reg32Item),
                            decisions=[AppealableDecision.PLAN_NEEDS])
    with pytest.raises(InvalidInputError) as err:
        MediationCase.notify_decision(case_id="too-old", council="sefton", parties=[party, LA],
                                      notice=notice, at=t(0), actor="officer")
    msg = str(err.value)
    assert err.value.rule_id == "young_person.definition"
    assert re.search(r"\b36\b", msg) is None, msg
    for value in derived_values(born):
        assert value not in msg, (value, msg)
    assert NAME_CANARY not in msg
