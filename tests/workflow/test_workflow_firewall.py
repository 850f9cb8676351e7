"""The without-prejudice firewall and the access policy.

* Canary test (reliability guide T7): unique marker strings in every without-prejudice and
  confidential item of 1,000 generated cases never appear in a Tribunal bundle (JSON or text),
  a log record, an exception message, an audit entry or the case event handed to plugins.
* Access matrix (T8): role x disclosure class x own / other case; every cross-case read refused
  and audited, every refusal audited, every confidential read audited.
* Facilitators' records (issue 9): what the provider, mediation adviser or mediator records is
  read by the facilitators of the case only, can never be marked ``parties`` or ``public`` (the
  written mediation agreement apart) and never reaches a Tribunal bundle.

Readers are :class:`~sen_disagreement.actors.Actor` values as a council's directory describes
them: a family member or body officer is attached to a case by a grant naming one of its parties,
an LA officer or Tribunal-bundle exporter by the case's council, a facilitator by its organisation
id being the case's provider, adviser or mediator.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sen_disagreement.actors import FACILITATOR_ROLES, SYSTEM, Actor, CaseGrant, Role
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.disclosure import Disclosure, ItemKind, RecordedItem
from sen_disagreement.ehc import PlanSection
from sen_disagreement.errors import AccessDeniedError, InvalidInputError, SenDisagreementError
from sen_disagreement.parties import Party, PartyKind
from sen_disagreement.workflow import Case, CaseParty
from sen_disagreement.workflow.access import POLICY, acting_party, read_item, readable_items
from sen_disagreement.workflow.audit import AuditLog
from sen_disagreement.workflow.disagreement_resolution import DisagreementResolutionCase
from sen_disagreement.workflow.exports import (
    Redaction,
    subject_access_export,
    tribunal_bundle,
)
from sen_disagreement.workflow.issues import Issue
from sen_disagreement.workflow.mediation import DecisionNotice, MediationCase, Reg32Item

UTC = dt.UTC
T0 = dt.datetime(2025, 3, 3, 9, tzinfo=UTC)


def t(days: int, hour: int = 10) -> dt.datetime:
    return T0 + dt.timedelta(days=days, hours=hour - 9)


FAMILY = CaseParty("mum", Party(kind=PartyKind.PARENT))
LA = CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY))
SCHOOL = CaseParty("school", Party(kind=PartyKind.SCHOOL, name="Seaside"))

ELSEWHERE = "another-case"
ORGANISATION = {Role.PROVIDER: "prov", Role.MEDIATION_ADVISER: "adv", Role.MEDIATOR: "med"}
"""The organisation id each facilitator is assigned to the cases below under."""


def family(case_id: str, party_id: str = "mum", actor_id: str = "mum") -> Actor:
    """A parent whose directory grant names ``party_id`` of ``case_id``."""
    return Actor(actor_id=actor_id, role=Role.FAMILY,
                 grants={CaseGrant(case_id=case_id, party_id=party_id)})


def officer(council: str = "sefton", actor_id: str = "officer") -> Actor:
    return Actor(actor_id=actor_id, role=Role.LA_OFFICER, council=council)


def clerk(council: str = "sefton") -> Actor:
    return Actor(actor_id="clerk", role=Role.TRIBUNAL_EXPORTER, council=council)


def reader(role: Role, case_id: str, own: bool) -> Actor:
    """An actor of ``role`` attached to ``case_id`` (``own``) or to some other case only."""
    if role is Role.SYSTEM:
        return SYSTEM
    on = case_id if own else ELSEWHERE
    if role is Role.FAMILY:
        return family(on)
    if role is Role.BODY_OFFICER:
        return Actor(actor_id="head-teacher", role=role,
                     grants={CaseGrant(case_id=on, party_id="school")})
    if role is Role.LA_OFFICER:
        return officer("sefton" if own else "wirral")
    if role is Role.TRIBUNAL_EXPORTER:
        return clerk("sefton" if own else "wirral")
    organisation = ORGANISATION[role] if own else f"{ORGANISATION[role]}-elsewhere"
    return Actor(actor_id=f"{ORGANISATION[role]}-user", role=role, organisation=organisation)


def attached(role: Role, kind: str, own: bool) -> bool:
    """Whether :func:`reader` has a part in a case of ``kind``."""
    if role is Role.SYSTEM:
        return True  # the library's own clock actor; it reads nothing (POLICY[SYSTEM] is empty)
    if not own:
        return False
    # The provider belongs to disagreement resolution; the adviser and mediator to mediation.
    if role is Role.PROVIDER:
        return kind == "disagreement_resolution"
    if role in (Role.MEDIATION_ADVISER, Role.MEDIATOR):
        return kind == "mediation"
    return True


def held_mediation(
    case_id: str, texts: dict[str, str], *, bodies: tuple[CaseParty, ...] = (),
    facilitator_records: bool = False,
) -> MediationCase:
    """A mediation that took place, with one item of each disclosure class (texts by class),
    recorded by the LA; with ``facilitator_records``, also the adviser's confidential note
    ``fa-conf``, the mediator's confidential note ``fm-conf`` and its without-prejudice offer
    ``fm-wp``."""
    notice = DecisionNotice(sent_on=T0.date(), contents=set(Reg32Item),
                            decisions=[AppealableDecision.PLAN_NEEDS])
    case = MediationCase.notify_decision(case_id=case_id, council="sefton",
                                         parties=[FAMILY, LA, *bodies], notice=notice, at=t(0),
                                         actor="officer")
    case = case.contact_adviser("adv", Party(kind=PartyKind.MEDIATION_ADVISER), on=t(1).date(),
                                at=t(1), actor="adv")
    case = case.give_information(on=t(1).date(), at=t(1, 11), actor="adv")
    case = case.want_mediation("mum", told_la_on=t(2).date(), at=t(2), actor="officer")
    case = case.record_issue(Issue(issue_id="b", section=PlanSection.B), at=t(2), actor="o")
    case = case.confirm_issues(at=t(2), actor="officer").choose_route(at=t(2), actor="officer")
    case = case.arrange_meeting("med", Party(kind=PartyKind.MEDIATOR),  # 5 working days' notice
                                meeting_date=t(9).date(), at=t(2), actor="officer")
    case = case.hold_meeting(on=t(9).date(), at=t(9, 15), actor="med")
    for n, (cls, text) in enumerate(texts.items()):
        disclosure = Disclosure(cls)
        if disclosure is Disclosure.WITHOUT_PREJUDICE:
            item = RecordedItem.meeting_record(item_id=f"i{n}", kind=ItemKind.OFFER,
                                               recorded_at=t(9, 16), recorded_by="la", text=text)
        else:
            item = RecordedItem(item_id=f"i{n}", kind=ItemKind.NOTE, disclosure=disclosure,
                                recorded_at=t(9, 16), recorded_by="la", in_meeting=False,
                                text=text)
        case = case.record_item(item, at=t(9, 16), actor="med")
    if facilitator_records:
        for item in (
            RecordedItem(item_id="fa-conf", kind=ItemKind.NOTE,
                         disclosure=Disclosure.CONFIDENTIAL, recorded_at=t(9, 16),
                         recorded_by="adv", in_meeting=False, text="FACILITATOR adviser note"),
            RecordedItem(item_id="fm-conf", kind=ItemKind.DOCUMENT,
                         disclosure=Disclosure.CONFIDENTIAL, recorded_at=t(9, 16),
                         recorded_by="med", in_meeting=False, text="FACILITATOR mediator note"),
            RecordedItem.meeting_record(item_id="fm-wp", kind=ItemKind.OFFER,
                                        recorded_at=t(9, 16), recorded_by="med",
                                        text="FACILITATOR mediator summary of an offer"),
        ):
            case = case.record_item(item, at=t(9, 16), actor="med")
    return case.issue_certificate(on=t(10).date(), at=t(10), actor="adv")


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
# Any text a record may hold (control characters and direction marks are refused when recorded).
@given(n=st.integers(0, 10**9), noise=st.text(
    st.characters(exclude_categories=("Cc", "Cf", "Zl", "Zp", "Cs")), min_size=0, max_size=30))
def test_s57_without_prejudice_canaries_never_leave_the_process(
    caplog: pytest.LogCaptureFixture, n: int, noise: str
) -> None:
    wp = f"WPCANARY{n:010d}"
    conf = f"CONFCANARY{n:010d}"
    texts = {"without_prejudice": f"{noise}{wp}{noise}", "confidential": f"{conf} {noise}",
             "parties": "an open document"}
    sink = AuditLog()
    outputs: list[str] = []
    with caplog.at_level(logging.DEBUG, logger="sen_disagreement"):
        case = held_mediation(f"c{n}", texts)
        bundle = tribunal_bundle(case, exporter=clerk(), at=t(11), sink=sink)
        outputs += [bundle.to_json(), bundle.to_text(), repr(bundle)]
        outputs.append(repr(case.last_event()))
        outputs.append(repr(case))
        stranger = family("elsewhere", actor_id="other-mum")
        for who, item_id in itertools.product((stranger, officer()), ("i0", "i1")):
            try:
                read_item(case, item_id, who=who, at=t(11), sink=sink)
            except SenDisagreementError as exc:
                outputs.append(str(exc))
        try:
            case.hold_meeting(on=t(12).date(), at=t(12), actor="med")
        except SenDisagreementError as exc:
            outputs.append(str(exc))
        outputs += [repr(e) for e in case.audit.entries + sink.entries]
    outputs += [r.getMessage() for r in caplog.records]
    for out in outputs:
        assert wp not in out
        assert conf not in out
    assert any(i.text == "an open document" for i in bundle.items)


def test_ukgdpr_art15_subject_access_withholds_wp_unless_a_redaction_releases_it() -> None:
    case = held_mediation("sar-1", {"without_prejudice": "WP-SAR-MARK",
                                    "confidential": "CONF-SAR-MARK"})
    sink = AuditLog()
    subject = family("sar-1")
    export = subject_access_export(case, subject_id="mum", requester=subject, at=t(12),
                                   sink=sink)
    assert "WP-SAR-MARK" not in export.to_json() and "CONF-SAR-MARK" not in export.to_text()
    released = subject_access_export(case, subject_id="mum", requester=subject, at=t(12),
                                     sink=sink, redactions={"i0": Redaction.RELEASE})
    assert "WP-SAR-MARK" in released.to_json() and "CONF-SAR-MARK" not in released.to_json()
    assert [e.outcome for e in sink.entries if e.action == "item.read"] == ["released"]


def test_subject_access_export_an_officer_can_never_release_without_prejudice_text() -> None:
    case = held_mediation("sar-2", {"without_prejudice": "WP-SAR-MARK"})
    sink = AuditLog()
    casework = officer(case.council, actor_id="la-casework")
    export = subject_access_export(case, subject_id="mum", requester=casework, at=t(12),
                                   sink=sink)
    assert "WP-SAR-MARK" not in export.to_json()
    with pytest.raises(AccessDeniedError) as err:
        subject_access_export(case, subject_id="mum", requester=casework, at=t(12), sink=sink,
                              redactions={"i0": Redaction.RELEASE})
    assert "WP-SAR-MARK" not in str(err.value)
    assert [e.outcome for e in sink.entries if e.action == "item.read"] == ["refused"]


@pytest.mark.parametrize(
    "requester",
    [
        family("other", actor_id="stranger"),
        officer("wirral", actor_id="la-x"),
        family("sar-3", party_id="dad", actor_id="dad"),
        family("sar-3", party_id="la", actor_id="la-impostor"),
        clerk(),
        Actor(actor_id="adv-user", role=Role.MEDIATION_ADVISER, organisation="adv"),
        Actor(actor_id="med-user", role=Role.MEDIATOR, organisation="med"),
    ],
    ids=["other-case", "other-council", "not-a-party", "family-grant-names-the-la",
         "tribunal-exporter", "mediation-adviser", "mediator"],
)
def test_subject_access_export_refused_and_audited_for_anyone_else(requester: Actor) -> None:
    case = held_mediation("sar-3", {"without_prejudice": "WP-SAR-MARK"})
    sink = AuditLog()
    with pytest.raises(AccessDeniedError):
        subject_access_export(case, subject_id="mum", requester=requester, at=t(12), sink=sink,
                              redactions={"i0": Redaction.RELEASE})
    assert [(e.action, e.outcome) for e in sink.entries] == [
        ("export.subject_access", "refused")
    ]


def test_subject_access_export_a_family_member_only_for_the_party_their_grant_names() -> None:
    # A young person and a parent acting for them: each is a family party of the case, but a
    # family member's export is only ever of the party the directory grant names.
    yp = CaseParty("yp", Party(kind=PartyKind.YOUNG_PERSON, date_of_birth=dt.date(2006, 5, 1)))
    rep = CaseParty("mum", Party(kind=PartyKind.PARENT,
                                 acting_for_young_person_lacking_capacity=True))
    case = DisagreementResolutionCase.refer(case_id="sar-5", council="sefton",
                                            parties=[yp, rep, LA], at=t(0), actor="o")
    assert set(case.family_ids) == {"yp", "mum"}
    sink = AuditLog()
    for party_id in ("yp", "mum"):
        own = subject_access_export(case, subject_id=party_id, at=t(12), sink=sink,
                                    requester=family("sar-5", party_id, actor_id=party_id))
        assert own.subject_id == party_id
    assert [(e.actor, e.outcome) for e in sink.entries] == [("yp", "ok"), ("mum", "ok")]
    for party_id, subject in (("mum", "yp"), ("yp", "mum")):
        with pytest.raises(AccessDeniedError) as err:
            subject_access_export(case, subject_id=subject, at=t(12), sink=sink,
                                  requester=family("sar-5", party_id, actor_id=party_id))
        assert "only ask for their own data" in str(err.value)
    assert [(e.actor, e.action, e.outcome) for e in sink.entries[2:]] == [
        ("mum", "export.subject_access", "refused"), ("yp", "export.subject_access", "refused"),
    ]


# --- access matrix -----------------------------------------------------------------------------


def dr_with_items(case_id: str = "dr-own", *, facilitator_records: bool = False
                  ) -> DisagreementResolutionCase:
    """A held disagreement resolution with one item of each disclosure class recorded by the LA;
    with ``facilitator_records``, also the provider's confidential note ``fp-conf`` and its
    without-prejudice comment ``fp-wp``."""
    case = DisagreementResolutionCase.refer(case_id=case_id, council="sefton",
                                            parties=[FAMILY, LA, SCHOOL], at=t(0), actor="o")
    case = case.seek_agreement(at=t(1), actor="o")
    for p in ("mum", "la", "school"):
        case = case.agree(p, at=t(1), actor="o")
    case = case.assign_provider("prov", Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER),
                                at=t(2), actor="o")
    case = case.arrange_meeting(meeting_date=t(5).date(), at=t(2), actor="prov")
    case = case.hold_meeting(on=t(5).date(), at=t(5, 15), actor="prov")
    for n, disclosure in enumerate(Disclosure):
        if disclosure is Disclosure.WITHOUT_PREJUDICE:
            item = RecordedItem.meeting_record(item_id=f"i{n}", kind=ItemKind.COMMENT,
                                               recorded_at=t(5, 16), recorded_by="la", text="x")
        else:
            item = RecordedItem(item_id=f"i{n}", kind=ItemKind.NOTE, disclosure=disclosure,
                                recorded_at=t(5, 16), recorded_by="la", in_meeting=False,
                                text="x")
        case = case.record_item(item, at=t(5, 16), actor="prov")
    if facilitator_records:
        for item in (
            RecordedItem(item_id="fp-conf", kind=ItemKind.NOTE,
                         disclosure=Disclosure.CONFIDENTIAL, recorded_at=t(5, 16),
                         recorded_by="prov", in_meeting=False, text="FACILITATOR provider note"),
            RecordedItem.meeting_record(item_id="fp-wp", kind=ItemKind.COMMENT,
                                        recorded_at=t(5, 16), recorded_by="prov",
                                        text="FACILITATOR provider comment"),
        ):
            case = case.record_item(item, at=t(5, 16), actor="prov")
    return case


def provider_assigned(case_id: str) -> DisagreementResolutionCase:
    case = DisagreementResolutionCase.refer(case_id=case_id, council="sefton",
                                            parties=[FAMILY, LA], at=t(0), actor="o")
    case = case.seek_agreement(at=t(1), actor="o")
    for p in ("mum", "la"):
        case = case.agree(p, at=t(1), actor="o")
    return case.assign_provider("prov", Party(kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER),
                                at=t(2), actor="o")


@pytest.mark.parametrize("kind", [ItemKind.NOTE, ItemKind.DOCUMENT, ItemKind.OUTCOME])
@pytest.mark.parametrize("disclosure", [Disclosure.PUBLIC, Disclosure.PARTIES])
def test_s57_confidential_facilitator_notes_cannot_be_marked_open(
    disclosure: Disclosure, kind: ItemKind,
) -> None:
    # (Comments and offers are without prejudice from construction; notes, documents and even
    # an outcome recorded as an item are checked here: only the written mediation agreement,
    # recorded through record_agreement, may be open.)
    case = provider_assigned("dr-note")
    summary = RecordedItem(item_id="n1", kind=kind, disclosure=disclosure, recorded_at=t(3),
                           recorded_by="prov", in_meeting=False,
                           text="CANARY provider summary of the offer")
    with pytest.raises(InvalidInputError) as err:
        case.record_item(summary, at=t(3), actor="prov")
    assert err.value.rule_id == "s57.confidential"
    assert err.value.field == "item.disclosure"
    assert "CANARY" not in str(err.value)
    confidential = attrs.evolve(summary, disclosure=Disclosure.CONFIDENTIAL)
    assert case.record_item(confidential, at=t(3), actor="prov").items == (
        attrs.evolve(confidential, by_facilitator=True),)


@pytest.mark.parametrize("facilitator", ["adv", "med"])
@pytest.mark.parametrize("kind", [ItemKind.NOTE, ItemKind.DOCUMENT, ItemKind.OUTCOME])
@pytest.mark.parametrize("disclosure", [Disclosure.PUBLIC, Disclosure.PARTIES])
def test_s57_confidential_adviser_and_mediator_records_cannot_be_marked_open(
    disclosure: Disclosure, kind: ItemKind, facilitator: str,
) -> None:
    case = held_mediation("med-note", {})
    note = RecordedItem(item_id="n1", kind=kind, disclosure=disclosure, recorded_at=t(11),
                        recorded_by=facilitator, in_meeting=False,
                        text="CANARY mediator summary of the offer")
    with pytest.raises(InvalidInputError) as err:
        case.record_item(note, at=t(11), actor=facilitator)
    assert (err.value.rule_id, err.value.field) == ("s57.confidential", "item.disclosure")
    assert "CANARY" not in str(err.value)
    confidential = attrs.evolve(note, disclosure=Disclosure.CONFIDENTIAL)
    assert case.record_item(confidential, at=t(11), actor=facilitator).items == (
        attrs.evolve(confidential, by_facilitator=True),)


def test_s57_a_provider_recording_an_open_note_through_the_step_engine_is_refused() -> None:
    # Through the step engine the provider never names who recorded it: recorded_by is the
    # provider's own id, so the note is the provider's record, and it cannot be open.
    from sen_disagreement.workflow.steps import RecordItem, apply_step

    case = provider_assigned("dr-step")
    provider = Actor(actor_id="prov-user", role=Role.PROVIDER, organisation="prov")
    step = RecordItem(item_id="n1", kind=ItemKind.NOTE, disclosure=Disclosure.PARTIES,
                      text="CANARY provider summary of the offer")
    with pytest.raises(InvalidInputError) as err:
        apply_step(case, provider, step, at=t(3))
    assert err.value.rule_id == "s57.confidential"
    assert "CANARY" not in str(err.value)
    kept = apply_step(case, provider, attrs.evolve(step, disclosure=Disclosure.CONFIDENTIAL),
                      at=t(3))
    (item,) = kept.items
    assert (item.recorded_by, item.disclosure) == ("prov", Disclosure.CONFIDENTIAL)


DR = dr_with_items()
MED = held_mediation("med-own", {c.value: "x" for c in Disclosure}, bodies=(SCHOOL,))


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("disclosure", list(Disclosure))
@pytest.mark.parametrize("own", [True, False])
@pytest.mark.parametrize("kind", ["disagreement_resolution", "mediation"])
def test_access_policy_matrix_role_disclosure_own_and_other_case(
    role: Role, disclosure: Disclosure, own: bool, kind: str
) -> None:
    case = DR if kind == "disagreement_resolution" else MED
    item_id = next(i.item_id for i in case.items if i.disclosure is disclosure)
    who = reader(role, case.case_id, own)
    is_attached = attached(role, kind, own)
    assert (acting_party(case, who) is not None) == is_attached
    allowed = is_attached and disclosure in POLICY[role]
    sink = AuditLog()
    if allowed:
        assert read_item(case, item_id, who=who, at=t(20), sink=sink).item_id == item_id
        sensitive = disclosure in (Disclosure.CONFIDENTIAL, Disclosure.WITHOUT_PREJUDICE)
        assert [e.outcome for e in sink.entries] == (["ok"] if sensitive else [])
    else:
        with pytest.raises(AccessDeniedError) as err:
            read_item(case, item_id, who=who, at=t(20), sink=sink)
        assert item_id in str(err.value) and disclosure.value in str(err.value)
        (entry,) = sink.entries
        assert (entry.outcome, entry.actor, entry.case_id) == (
            "refused", who.actor_id, case.case_id
        )
        assert entry.fields == (f"items.{item_id}",)


DR_FAC = dr_with_items("dr-fac", facilitator_records=True)
MED_FAC = held_mediation("med-fac", {c.value: "x" for c in Disclosure}, bodies=(SCHOOL,),
                         facilitator_records=True)
FACILITATOR_ITEMS = [("disagreement_resolution", i) for i in ("fp-conf", "fp-wp")] + [
    ("mediation", i) for i in ("fa-conf", "fm-conf", "fm-wp")
]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("own", [True, False])
@pytest.mark.parametrize(("kind", "item_id"), FACILITATOR_ITEMS)
def test_access_facilitator_records_are_read_by_the_case_facilitators_only(
    role: Role, own: bool, kind: str, item_id: str
) -> None:
    case = DR_FAC if kind == "disagreement_resolution" else MED_FAC
    item = next(i for i in case.items if i.item_id == item_id)
    assert item.recorded_by in case.facilitator_ids
    assert item.disclosure in (Disclosure.CONFIDENTIAL, Disclosure.WITHOUT_PREJUDICE)
    who = reader(role, case.case_id, own)
    is_attached = attached(role, kind, own)
    allowed = is_attached and role in FACILITATOR_ROLES
    sink = AuditLog()
    if allowed:
        assert read_item(case, item_id, who=who, at=t(20), sink=sink) == item
        assert [(e.outcome, e.actor) for e in sink.entries] == [("ok", who.actor_id)]
    else:
        with pytest.raises(AccessDeniedError) as err:
            read_item(case, item_id, who=who, at=t(20), sink=sink)
        assert item_id in str(err.value) and item.disclosure.value in str(err.value)
        assert "FACILITATOR" not in str(err.value)
        if is_attached:
            # Parties (the family included, who may read without-prejudice material) are
            # refused a facilitator's own record because it is the facilitator's.
            assert "a facilitator's own record is for the facilitators" in str(err.value)
        (entry,) = sink.entries
        assert (entry.outcome, entry.actor, entry.case_id, entry.fields) == (
            "refused", who.actor_id, case.case_id, (f"items.{item_id}",)
        )


def test_access_readable_items_withholds_facilitator_records_from_the_parties() -> None:
    fac_dr = {"fp-conf", "fp-wp"}
    fac_med = {"fa-conf", "fm-conf", "fm-wp"}
    cases = ((DR_FAC, fac_dr, Role.PROVIDER), (MED_FAC, fac_med, Role.MEDIATOR),
             (MED_FAC, fac_med, Role.MEDIATION_ADVISER))
    for case, facilitators, role in cases:
        every = {i.item_id for i in case.items}
        la_records = every - facilitators
        for who, expect in (
            (family(case.case_id), la_records),
            (reader(Role.BODY_OFFICER, case.case_id, True),
             {i.item_id for i in case.items if i.item_id in la_records
              and i.disclosure is not Disclosure.WITHOUT_PREJUDICE}),
            (officer(), {i.item_id for i in case.items if i.item_id in la_records
                         and i.disclosure is not Disclosure.WITHOUT_PREJUDICE}),
            (reader(role, case.case_id, True), every),
        ):
            sink = AuditLog()
            got = {i.item_id for i in readable_items(case, who=who, at=t(20), sink=sink)}
            assert got == expect, (case.case_id, who.role)
            refused = {e.fields[0].removeprefix("items.") for e in sink.entries
                       if e.outcome == "refused"}
            assert refused == every - expect


def test_access_attachment_needs_the_right_role_for_the_party_or_organisation() -> None:
    # A grant or an organisation id attaches an actor only in the role that fits it.
    not_attached: list[tuple[Case, Actor]] = [
        (DR, family(DR.case_id, "la")),  # a family grant naming the LA party
        (DR, family(DR.case_id, "school")),  # ... or a body
        (DR, family(DR.case_id, "nobody")),  # ... or no party of the case
        (DR, Actor(actor_id="head-teacher", role=Role.BODY_OFFICER,
                   grants={CaseGrant(case_id=DR.case_id, party_id="mum")})),
        (DR, Actor(actor_id="head-teacher", role=Role.BODY_OFFICER,
                   grants={CaseGrant(case_id=DR.case_id, party_id="la")})),
        (MED, Actor(actor_id="x", role=Role.MEDIATOR, organisation="adv")),
        (MED, Actor(actor_id="x", role=Role.MEDIATION_ADVISER, organisation="med")),
        (MED, Actor(actor_id="x", role=Role.PROVIDER, organisation="med")),
        (DR, Actor(actor_id="x", role=Role.MEDIATOR, organisation="prov")),
        (DR, Actor(actor_id="prov", role=Role.LA_OFFICER, council="wirral")),
        (DR, Actor(actor_id="x", role=Role.PROVIDER, organisation="prov-elsewhere")),
    ]
    for case, who in not_attached:
        assert acting_party(case, who) is None, who
        sink = AuditLog()
        assert readable_items(case, who=who, at=t(20), sink=sink) == ()
        assert {e.outcome for e in sink.entries} == {"refused"}
        assert len(sink.entries) == len(case.items)
    assert acting_party(DR, family(DR.case_id)) == "mum"
    assert acting_party(DR, reader(Role.BODY_OFFICER, DR.case_id, True)) == "school"
    assert acting_party(DR, officer()) == "la"
    assert acting_party(DR, reader(Role.PROVIDER, DR.case_id, True)) == "prov"
    assert acting_party(MED, reader(Role.MEDIATION_ADVISER, MED.case_id, True)) == "adv"
    assert acting_party(MED, reader(Role.MEDIATOR, MED.case_id, True)) == "med"


def test_access_la_officer_never_reads_without_prejudice_and_exporter_only_open() -> None:
    assert Disclosure.WITHOUT_PREJUDICE not in POLICY[Role.LA_OFFICER]
    assert Disclosure.WITHOUT_PREJUDICE not in POLICY[Role.BODY_OFFICER]
    assert POLICY[Role.TRIBUNAL_EXPORTER] == {Disclosure.PUBLIC, Disclosure.PARTIES}
    assert POLICY[Role.SYSTEM] == frozenset()
    sink = AuditLog()
    got = readable_items(DR, who=officer(), at=t(20), sink=sink)
    assert {i.disclosure for i in got} == {Disclosure.PUBLIC, Disclosure.PARTIES,
                                           Disclosure.CONFIDENTIAL}
    assert [e.outcome for e in sink.entries].count("refused") == 1


def test_tribunal_bundle_refused_to_other_roles_and_other_cases_and_audited() -> None:
    sink = AuditLog()
    for who in (officer(), clerk("wirral")):
        with pytest.raises(AccessDeniedError):
            tribunal_bundle(MED, exporter=who, at=t(20), sink=sink)
    assert [e.outcome for e in sink.entries] == ["refused", "refused"]


def test_tribunal_bundle_never_takes_a_facilitator_record_but_takes_the_written_agreement(
) -> None:
    from sen_disagreement.workflow.mediation import ActionKind, AgreedAction

    agreement = RecordedItem(item_id="agreement", kind=ItemKind.OUTCOME,
                             disclosure=Disclosure.PARTIES, recorded_at=t(11),
                             recorded_by="med", in_meeting=False, text="the written agreement")
    case = MED_FAC.record_agreement(
        agreement, agreed_on=t(10).date(), at=t(11), actor="med",
        actions=[AgreedAction(action_id="a1", kind=ActionKind.NON_APPEALABLE,
                              by=PartyKind.LOCAL_AUTHORITY)],
    )
    # A facilitator's open record can no longer be made (see above); one in a case document
    # written before that rule still never reaches a bundle, nor is it read by a party.
    smuggled = RecordedItem(item_id="old-note", kind=ItemKind.DOCUMENT,
                            disclosure=Disclosure.PARTIES, recorded_at=t(11), recorded_by="med",
                            in_meeting=False, text="FACILITATOR mediator summary")
    case = attrs.evolve(case, items=(*case.items, smuggled))
    sink = AuditLog()
    bundle = tribunal_bundle(case, exporter=clerk(), at=t(20), sink=sink)
    ids = {i.item_id for i in bundle.items}
    assert ids == {"i0", "i1", "agreement"}  # the LA's public and parties items, the agreement
    assert "FACILITATOR" not in bundle.to_json() + bundle.to_text()
    assert bundle.certificates[0]["issued_by"] == "med"  # after mediation: the mediator
    dr_bundle = tribunal_bundle(DR_FAC, exporter=clerk(), at=t(20), sink=sink)
    assert {i.item_id for i in dr_bundle.items} == {"i0", "i1"}
    with pytest.raises(AccessDeniedError):
        read_item(case, "old-note", who=family(case.case_id), at=t(20), sink=sink)


def test_from_record_refuses_a_tampered_document_without_echoing_it() -> None:
    from sen_disagreement.workflow.records import from_record, to_record

    record = to_record(held_mediation("rec-1", {"without_prejudice": "WP-REC-MARK"}))
    broken = attrs.evolve(
        record, document=record.document.replace('"recorded_at": "', '"recorded_at": "WP-REC-MARK')
    )
    renamed = attrs.evolve(record, document=record.document.replace('"i0"', '"WP-REC-MARK x"'))
    for bad in (broken, renamed, attrs.evolve(record, document="[1, 2")):
        with pytest.raises(InvalidInputError) as err:
            from_record(bad)
        assert err.value.rule_id == "store.case_document"
        assert "WP-REC-MARK" not in str(err.value)
        assert err.value.__cause__ is None


def test_subject_access_export_says_where_the_case_stands() -> None:
    case = held_mediation("sar-4", {"parties": "an open letter"})
    export = subject_access_export(case, subject_id="mum", requester=family("sar-4"), at=t(12),
                                   sink=AuditLog())
    process = export.as_dict()["process"]
    assert process["state"] == "certificate_issued"
    assert process["decision_notice"]["decisions"] == ["s51(2)(c)(i)"]
    assert {f["role"] for f in process["facilitators"]} == {"mediation_adviser", "mediator"}
    assert {d["clock_id"] for d in process["deadlines"]} >= {
        "mediation_adviser_contact", "certificate_after_mediation"
    }
    assert "## Where the case stands" in export.to_text()
