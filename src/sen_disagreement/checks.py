"""The library's own checks: every ``rule_id`` an error can carry that is not a rule of law.

Rules of law (:class:`~sen_disagreement.provenance.Rule`) live beside the code that applies them
and carry citations. The checks below are the library's design (the shape of an input, of a
stored row, of an actor; the order of a workflow), so they carry no citation; they are
registered here, in one table, so that ``sen-disagreement rules --all`` can say what any
``rule_id`` in an error means and the test suite can prove that every id raised is one of them or
a rule of law.
"""

from __future__ import annotations

from collections.abc import Iterable

from sen_disagreement.provenance import Check

__all__ = [
    "ACTOR",
    "CALENDAR",
    "CASE",
    "CLI",
    "CLOCKS",
    "CONTACT",
    "COUNCIL",
    "IDENTIFIERS",
    "INPUT",
    "NOTIFY",
    "PARTY",
    "RETENTION",
    "STORE",
    "WHO",
]


def _family(prefix: str, summary: str, names: Iterable[str]) -> dict[str, Check]:
    return {n: Check(f"{prefix}.{n}", f"{summary} ({n})") for n in names}


# Inputs at the door -----------------------------------------------------------------------------
INPUT = _family("input", "An input value has the type and shape its field declares", [
    "type", "required", "unknown_key", "duplicate_key", "json", "encoding", "document_size",
    "file", "id", "case_id", "council", "actor", "item", "name_length", "text_length",
    "schema_version", "date_not_future", "parties.count", "parties.other_side", "party_unique",
    "citation", "step", "utc_time", "date", "datetime", "date_range", "enum", "range",
    "string_length", "array_length", "user", "usage",
])
"""Checks at the door: each input value's type, shape, size and encoding (`input.*`)."""
IDENTIFIERS = {
    **_family("identifier", "An identifier is one this kind of party has", [
        f"{n}.kind" for n in ("gss_code", "la_number", "urn", "ukprn", "ods_code")]),
    **_family("identifier", "An identifier has its published shape", [
        f"{n}.shape" for n in ("gss_code", "la_number", "urn", "ukprn", "ods_code")]),
}
"""A party's identifiers (GSS code, LA number, URN, UKPRN, ODS code): one its kind has, in
its published shape."""
PARTY = _family("party", "A party is described consistently", [
    "date_of_birth.kind", "date_of_birth.future", "employer.kind", "representative.kind",
    "independent_role_not_a_side",
])
"""A party described consistently: date of birth, employer and representative for its kind."""

# Who acts ---------------------------------------------------------------------------------------
ACTOR = _family("actor", "An actor from the council's directory is well formed", [
    "user_id", "role", "council", "organisation", "grant", "file",
])
"""An actor from the council's directory: user id, role, council, organisation and grants well
formed."""
WHO = _family("who", "A step is taken only by a resolved actor", [
    "directory", "system", "unknown_step",
])
"""Who acts: a step is taken only by an actor the directory resolved, never a caller's say-so."""

# Case records -----------------------------------------------------------------------------------
CASE = {
    **_family("issue", "Issues are recorded once and each gets one outcome", [
        "unknown", "unique", "concerns", "outcome_once", "outcome_per_issue"]),
    **_family("item", "Recorded items are unique within a case", ["unique"]),
    **_family("consent", "The consent ledger names parties of the case and only grows", [
        "party", "append_only"]),
    **_family("workflow", "A workflow step happens in an order the process allows", [
        "disagreement_resolution", "dr.meeting_date", "dr.meeting_record", "mediation",
        "mediation.dates", "mediation.meeting_record"]),
}
"""A case's own records: issues, items, the consent ledger and the order of workflow steps."""

# The store --------------------------------------------------------------------------------------
STORE = _family("store", "A stored row holds only what the library writes", [
    "action", "actor", "after_case_id", "bool", "case_id", "case_kind", "channel", "clock_id",
    "council", "date", "datetime", "datetime_utc", "deadline_entry", "deadline_status",
    "deadline_unique", "document", "end", "expected_version", "field_name", "idempotency_key",
    "integer", "lease", "limit", "mediation", "non_negative_int", "now", "on_or_before",
    "outbox_case", "outbox_message", "outcome", "payload_ref", "slug", "start", "state",
    "status", "template", "timedelta", "timestamps_order", "unique", "case_document",
    "event_time", "idempotency_key_reused", "version_matches", "audit_entry", "record",
    "version", "retention_trigger",
])
"""A stored row holds only values the library writes (a tampered row is refused, not used)."""
RETENTION = _family("store.retention", "A retention rule is well formed", [
    "council", "fallback", "name", "policy", "provenance", "rule", "trigger", "unique", "years",
    "kind", "unconfirmed",
])
"""A retention rule (how long a closed case is kept) is well formed."""

# Council plugins --------------------------------------------------------------------------------
COUNCIL = _family("council", "A council plugin's declaration is well formed", [
    "address", "case_context", "contact_role", "employer", "process", "reachable", "text", "utc",
    "installed", "key", "ambiguous", "gss_code", "la_number", "slug", "telephone", "website",
    "provider_kind", "case_context_minimised", "case_id", "council", "email", "name",
    "postcode", "provider_id", "recipient_role", "template", "url", "delegates",
])
"""A council plugin's declarations (profile, providers, contacts, templates, delegates) are well
formed."""

# A party's contact details and the messages sent to them ---------------------------------------
CONTACT = _family("contact", "A party's contact details have their published shape", [
    "type", "email", "phone", "postal", "reachable",
])
"""A party's contact details (email, phone, postal address) have their published shape."""
NOTIFY = _family("notify", "A queued message names a known kind, recipient and fields", [
    "kind", "recipient", "payload_ref", "allow_list", "address", "channel", "case",
])
"""A queued message names a known kind and recipient and carries only its allow-listed fields."""

# Clocks and the calendar ------------------------------------------------------------------------
CLOCKS = _family("clocks", "A clock question names known clocks, events and dates", [
    "known_clock", "known_event", "event_date", "exception_period",
])
"""A clock question names known clocks and events, with dates in range."""
CALENDAR = _family("calendar", "A date is inside the working-day calendar's range", ["range"])
"""A date is inside the range the working-day calendar knows."""
CLI = _family("cli", "A command-line input has the documented shape", [
    "deadlines.input", "demo.db_path", "demo.fresh_file", "demo.sqlite_only",
])
"""A command-line input has the documented shape."""
