"""Changing a party's contact details after the case is opened (``change_contact``): through the
command path as an authenticated actor, the party itself or a council officer only (refusals
audited), audited by the names of the parts changed, never their values (not in the audit trail,
a log line, an error, the Tribunal bundle or the command line's output); messages sent after the
change go to the new address, whether they were queued before it or after."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import notify_support as ns
import pytest
from click.testing import CliRunner

from sen_disagreement.actors import Actor, Role, StaticActorDirectory
from sen_disagreement.cli import main
from sen_disagreement.dispatch import NO_WAIT, dispatch_all
from sen_disagreement.errors import AccessDeniedError, InvalidInputError, SenDisagreementError
from sen_disagreement.rules import name_key
from sen_disagreement.service import CaseService
from sen_disagreement.workflow import PartyContact
from sen_disagreement.workflow import steps as st

ROOT = Path(__file__).resolve().parents[2]
INPUTS = ROOT / "docs" / "how-to" / "case-inputs"
NEW_EMAIL = "canary.moved.9931@example.org"
NEW_PHONE = "07700 900456"
RULE = "who.change_contact.disagreement_resolution_mediation"
CID = "cc-1"


def _svc(tmp_path: Path, channel: ns.RecordingChannel | None = None,
         case_ids: tuple[str, ...] = (CID,)) -> CaseService:
    return ns.service(f"sqlite:///{tmp_path / 'db.sqlite3'}",
                      *((channel,) if channel else ()), case_ids=case_ids)


def _trail_text(tmp_path: Path) -> str:
    with sqlite3.connect(tmp_path / "db.sqlite3") as c:
        return json.dumps([list(r) for r in c.execute("SELECT * FROM audit")])


def test_the_rule_is_registered_under_the_name_tests_are_named_after() -> None:
    row = st.permission("change_contact", "mediation")
    assert row is not None and row.rule.rule_id == RULE
    assert st.permission("change_contact", "disagreement_resolution") is row
    assert name_key(RULE) == "who_change_contact_disagreement_resolution_mediation"


def test_who_change_contact_disagreement_resolution_mediation_the_party_or_an_officer_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    svc = _svc(tmp_path, case_ids=(CID, "other"))
    ns.open_to_route(svc, CID)
    ns.open_to_route(svc, "other")
    new = PartyContact(email=NEW_EMAIL)
    caplog.set_level(logging.DEBUG)
    # Facilitators, another family's member and the system never change them: refused, audited.
    for who in (ns.ADVISER.actor_id, ns.family("other").actor_id):
        with pytest.raises(AccessDeniedError) as refused:
            svc.apply(CID, who, st.ChangeContact(party_id="parent", contact=new),
                      at=ns.at(ns.TOLD, 15))
        assert refused.value.rule_id == RULE
        assert NEW_EMAIL not in str(refused.value)
    trail = svc.store.audit_trail(CID)
    assert [e.outcome for e in trail[-2:]] == ["refused_unauthorised"] * 2
    # The parent changes their own; the council's officer may change any party's (here the
    # commissioning body's, whose address the council keeps).
    svc.apply(CID, ns.family(CID).actor_id, st.ChangeContact(party_id="parent", contact=new),
              at=ns.at(ns.TOLD, 16))
    svc.apply(CID, ns.OFFICER.actor_id,
              st.ChangeContact(party_id="icb", contact=PartyContact(email="new@icb.example.org")),
              at=ns.at(ns.TOLD, 17))
    case, _ = svc.load(CID)
    contacts = {p.party_id: p.contact for p in case.parties}
    assert contacts["parent"] == new and contacts["icb"] == PartyContact(
        email="new@icb.example.org")
    assert case.state.value == "route_chosen"  # not a step of the process: nothing else moved
    entries = svc.store.audit_trail(CID)[-2:]
    assert [(e.actor, e.action, e.fields, e.outcome) for e in entries] == [
        (ns.family(CID).actor_id, "mediation.change_contact",
         ("parties.parent.contact.email", "parties.parent.contact.phone",
          "parties.parent.contact.postal"), "ok"),
        (ns.OFFICER.actor_id, "mediation.change_contact", ("parties.icb.contact.email",), "ok"),
    ]
    text = _trail_text(tmp_path) + caplog.text
    for secret in (NEW_EMAIL, "new@icb.example.org", ns.PARENT_EMAIL, "Canary Row"):
        assert secret not in text


def test_who_change_contact_disagreement_resolution_mediation_a_parent_not_for_another_parent(
    tmp_path: Path,
) -> None:
    svc = _svc(tmp_path)
    ns.open_to_route(svc, CID, second_parent=True)
    with pytest.raises(AccessDeniedError) as refused:
        svc.apply(CID, ns.family(CID).actor_id,
                  st.ChangeContact(party_id="parent2", contact=PartyContact(email=NEW_EMAIL)),
                  at=ns.at(ns.TOLD, 15))
    assert "only the party itself or a council officer" in str(refused.value)
    with pytest.raises(InvalidInputError) as unknown:
        svc.apply(CID, ns.OFFICER.actor_id,
                  st.ChangeContact(party_id="nobody", contact=PartyContact(email=NEW_EMAIL)),
                  at=ns.at(ns.TOLD, 15))
    assert (unknown.value.field, unknown.value.rule_id) == ("party_id", RULE)


def test_messages_sent_after_the_change_go_to_the_new_address(tmp_path: Path) -> None:
    channel = ns.RecordingChannel("after-change")
    svc = _svc(tmp_path, channel)
    ns.open_to_route(svc, CID)
    # A message for the parent queued before the change (the mediation date), one after (the
    # certificate): both are sent after it, so both go to the new address.
    ns.to_agreement(svc, CID)
    svc.apply(CID, ns.family(CID).actor_id,
              st.ChangeContact(party_id="parent",
                               contact=PartyContact(email=NEW_EMAIL, phone=NEW_PHONE)),
              at=ns.at(ns.MEETING, 18))
    dispatch_all(svc.store, svc.hooks, policy=NO_WAIT)
    to_parent = [m for m in channel.delivered
                 if m.kind in ("certificate_issued", "mediation_date_notice")]
    assert {m.kind for m in to_parent} == {"certificate_issued", "mediation_date_notice"}
    assert {(m.address.email, m.address.phone, m.address.postal) for m in to_parent} == {
        (NEW_EMAIL, NEW_PHONE, ())}
    for m in channel.delivered:
        assert ns.PARENT_EMAIL not in repr(m) + json.dumps(m.fields)


def test_contact_details_never_reach_the_tribunal_bundle_only_the_subjects_own_export(
    tmp_path: Path,
) -> None:
    svc = _svc(tmp_path)
    ns.open_to_route(svc, CID)
    svc.apply(CID, ns.OFFICER.actor_id,
              st.ChangeContact(party_id="parent", contact=PartyContact(email=NEW_EMAIL)),
              at=ns.at(ns.TOLD, 15))
    clerk = Actor(actor_id="clerk-1", role=Role.TRIBUNAL_EXPORTER, council=ns.GSS)
    svc.directory = StaticActorDirectory([ns.OFFICER, ns.ADVISER, ns.family(CID), clerk])
    bundle = svc.tribunal_bundle(CID, clerk)
    assert NEW_EMAIL not in bundle.to_json() + bundle.to_text()
    own = svc.subject_access_export(CID, ns.family(CID).actor_id, subject_id="parent")
    assert own.subject["contact"]["email"] == NEW_EMAIL


@pytest.mark.parametrize(("contact", "field"), [
    ({"email": "zebedee-not-an-email"}, "contact.email"),
    ({"phone": "zebedee 123"}, "contact.phone"),
    ({"postal": ["1 Zebedee Road", "Nowhere"]}, "contact.postal"),
    ({}, "contact.contact"),
])
def test_a_bad_new_contact_is_a_typed_error_that_never_echoes_it(
    contact: dict[str, object], field: str
) -> None:
    with pytest.raises(SenDisagreementError) as caught:
        st.ChangeContact(party_id="parent", contact=PartyContact(**contact))  # type: ignore[arg-type]
    assert getattr(caught.value, "field", None) == field
    assert "ebedee" not in str(caught.value)
    step = st.ChangeContact(party_id="parent", contact=PartyContact(email=NEW_EMAIL))
    assert NEW_EMAIL not in repr(step) + str(step)


# --- the command line ----------------------------------------------------------------------------


def _cli(db: Path, *args: str, code: int = 0) -> str:
    env = {"SEN_DISAGREEMENT_DB": f"sqlite:///{db}",
           "SEN_DISAGREEMENT_ACTORS": str(INPUTS / "actors.json"), "SEN_DISAGREEMENT_USER": None}
    result = CliRunner().invoke(main, ["case", *args], env=env)
    assert not isinstance(result.exception, Exception), result.output
    assert result.exit_code == code, (args, result.output)
    assert "Traceback" not in result.output
    return result.output


def test_who_change_contact_disagreement_resolution_mediation_from_the_command_line(
    tmp_path: Path,
) -> None:
    db = tmp_path / "cli.sqlite3"
    _cli(db, "open", "--user", "sen-casework-1", "--input", str(INPUTS / "med-open.json"),
         "--at", "2025-03-03T10:00:00Z")
    doc = tmp_path / "contact.json"
    doc.write_text(json.dumps({"party_id": "parent", "contact": {
        "email": NEW_EMAIL, "postal": ["1 New Road", "Bootle", "L20 3AB"]}}))
    out = _cli(db, "step", "sefton-med-0001", "change_contact", "--input", str(doc),
               "--user", "sam.parent", "--at", "2025-03-04T10:00:00Z")
    assert "sefton-med-0001" in out and NEW_EMAIL not in out
    refused = _cli(db, "step", "sefton-med-0001", "ChangeContact", "--input", str(doc),
                   "--user", "adviser-1", "--at", "2025-03-04T11:00:00Z", code=2)
    assert RULE in refused and NEW_EMAIL not in refused
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"party_id": "parent", "contact": {"email": "zebedee-at-home"}}))
    wrong = _cli(db, "step", "sefton-med-0001", "change_contact", "--input", str(bad),
                 "--user", "sam.parent", "--at", "2025-03-04T12:00:00Z", code=2)
    assert "contact.email" in wrong and "zebedee" not in wrong
    trail = _cli(db, "audit", "sefton-med-0001", "--user", "sen-casework-1", "--format", "json")
    entries = json.loads(trail)["entries"]
    changed = [e for e in entries if e["action"] == "mediation.change_contact"]
    assert [(e["outcome"], e["fields"]) for e in changed] == [
        ("ok", ["parties.parent.contact.email", "parties.parent.contact.postal"])]
    assert NEW_EMAIL not in trail and "New Road" not in trail
    shown = _cli(db, "show", "sefton-med-0001", "--user", "sen-casework-1", "--format", "json")
    assert NEW_EMAIL not in shown and "New Road" not in shown


def test_who_change_contact_disagreement_resolution_mediation_in_a_closed_dr_case(
    tmp_path: Path,
) -> None:
    from sen_disagreement import walkthrough

    db = tmp_path / "walk.sqlite3"
    walkthrough.run(db)
    svc = CaseService.open(f"sqlite:///{db}", directory=walkthrough.directory(), timeout=None)
    with svc.store:
        before, _ = svc.load(walkthrough.DR_CASE)
        assert before.state.value == "closed"  # contact details stay correctable after closing
        svc.apply(walkthrough.DR_CASE, walkthrough.OFFICER,
                  st.ChangeContact(party_id="parent", contact=PartyContact(phone=NEW_PHONE)),
                  at=ns.at(ns.MEETING.replace(year=2025, month=5), 9))
        after, _ = svc.load(walkthrough.DR_CASE)
        entry = svc.store.audit_trail(walkthrough.DR_CASE)[-1]
        with pytest.raises(AccessDeniedError):
            svc.apply(walkthrough.DR_CASE, walkthrough.PROVIDER,
                      st.ChangeContact(party_id="parent", contact=PartyContact(phone=NEW_PHONE)),
                      at=ns.at(ns.MEETING.replace(year=2025, month=5), 10))
    assert after.state.value == "closed"
    assert {p.party_id: p.contact for p in after.parties}["parent"] == PartyContact(
        phone=NEW_PHONE)
    assert (entry.action, entry.fields) == (
        "dr.change_contact", ("parties.parent.contact.email", "parties.parent.contact.phone"))


@pytest.mark.parametrize("doc", [
    {"party_id": "parent", "contact": "zeb@zebedee.example"},
    {"party_id": "parent", "contact": {"email": 5}},
    {"party_id": "parent", "contact": {"postal": "zebedee street"}},
    {"party_id": "parent", "contact": {"email": "zeb@zebedee.example", "fax": "zebfax"}},
    {"party_id": "Zebedee Parent", "contact": {"email": "zeb@zebedee.example"}},
    {"contact": {"email": "zeb@zebedee.example"}},
    {"party_id": "parent", "contact": {"phone": "07700 900123" * 50}},
    {"party_id": "parent", "contact": {"postal": ["Zebedee House", "x", "NOT A POSTCODE"]}},
])
def test_a_hostile_change_contact_document_is_a_typed_error_that_echoes_no_value(
    tmp_path: Path, doc: dict[str, object],
) -> None:
    db = tmp_path / "cli.sqlite3"
    _cli(db, "open", "--user", "sen-casework-1", "--input", str(INPUTS / "med-open.json"),
         "--at", "2025-03-03T10:00:00Z")
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc))
    out = _cli(db, "step", "sefton-med-0001", "change_contact", "--input", str(path),
               "--user", "sam.parent", "--at", "2025-03-04T10:00:00Z", "--format", "json",
               code=2)
    assert "ebedee" not in out and "900123" not in out
    assert json.loads(out)["error"]
