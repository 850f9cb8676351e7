"""The voluntary principle, as a consent ledger that nothing can proceed without.

Disagreement resolution needs the agreement of every party, and any party may withdraw at any
time; declining or withdrawing has no effect on a right of appeal. Mediation is voluntary for the
parent or young person only: once they choose it, the local authority (and any commissioning
body) must take part.

The :class:`ConsentLedger` is append-only: entries are never changed or removed; the live
position of a party is its latest entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import attrs
from attrs import field, frozen

from sen_disagreement._checks import check_utc, typed_fields
from sen_disagreement._enum import Enum
from sen_disagreement.errors import ConsentRequiredError, InvalidInputError
from sen_disagreement.parties import FAMILY, Party, PartyKind
from sen_disagreement.provenance import P, Provenance, Rule, S, cite

__all__ = [
    "DECLINING_NO_EFFECT",
    "MEDIATION_BODIES_MUST_TAKE_PART",
    "VOLUNTARY",
    "WITHDRAW_ANY_TIME",
    "YOUNG_PERSON_DECIDES",
    "ConsentDecision",
    "ConsentEntry",
    "ConsentLedger",
    "Process",
    "effect_on_appeal_rights",
]

VOLUNTARY = Rule(
    "s57.voluntary",
    "Use of disagreement resolution is voluntary and needs the agreement of all parties; "
    "nobody is obliged to take part.",
    Provenance(
        [
            cite("SEND Code of Practice 11.6", S),
            cite("CFA 2014 Explanatory Notes para 274", P),
        ]
    ),
)
"""Disagreement resolution needs the agreement of every party (CFA 2014 Explanatory Notes para
274; SEND Code of Practice 11.6)."""
WITHDRAW_ANY_TIME = Rule(
    "s57.withdraw_any_time",
    "Any party may withdraw its agreement at any time; the process then stops.",
    Provenance([cite("SEND Code of Practice 11.6 (voluntary participation)", S)]),
)
"""Any party may withdraw its agreement at any time, and the process stops."""
DECLINING_NO_EFFECT = Rule(
    "s57.declining_no_effect_on_appeal",
    "Declining or leaving disagreement resolution has no effect on any right of appeal and is "
    "not a precondition for other routes; the Tribunal draws no inference from it.",
    Provenance(
        [
            cite("Leicester Local Offer: disagreement resolution", S),
            cite("KIDS: disagreement resolution", S),
        ]
    ),
)
"""Declining or leaving disagreement resolution has no effect on any right of appeal."""
YOUNG_PERSON_DECIDES = Rule(
    "young_person.decides",
    "A young person makes the decisions for themselves; a parent's agreement stands in only "
    "where the parent acts for a young person who lacks capacity.",
    Provenance(
        [
            cite("IPSEA: young person", S, "https://www.ipsea.org.uk/faqs/young-person"),
            cite("Mental Capacity Act 2005 via CFA s.80 (representatives)", S),
        ]
    ),
)
"""A young person decides for themselves; a parent stands in only for one who lacks capacity."""
MEDIATION_BODIES_MUST_TAKE_PART = Rule(
    "mediation.bodies_must_take_part",
    "When a parent or young person chooses mediation, the local authority (and any "
    "commissioning body) must arrange it and take part; it cannot insist on another meeting first.",
    Provenance(
        [
            cite("R (Kumar) v LB Hillingdon [2020] EWHC 3326 (Admin)", P),
            cite("IPSEA 'the mediation process'", S),
        ]
    ),
)
"""Once the parent or young person chooses mediation, the local authority (and any
commissioning body) must arrange it and take part (R (Kumar) v LB Hillingdon [2020] EWHC 3326
(Admin))."""


class Process(Enum):
    """Which voluntary process a :class:`ConsentLedger` is for: disagreement resolution (every
    party must agree, :data:`VOLUNTARY`) or mediation (voluntary for the parent or young person
    only, :data:`MEDIATION_BODIES_MUST_TAKE_PART`)."""

    DISAGREEMENT_RESOLUTION = "disagreement_resolution"
    MEDIATION = "mediation"


class ConsentDecision(Enum):
    """What a party decided: agreed, declined, or withdrew an agreement it gave (any party may
    withdraw at any time, :data:`WITHDRAW_ANY_TIME`)."""

    AGREED = "agreed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


@frozen(kw_only=True, field_transformer=typed_fields)
class ConsentEntry:
    """One party's decision at one moment. ``recorded_by`` differs from ``party_id`` when a
    representative acts for a young person who lacks capacity."""

    party_id: str
    decision: ConsentDecision
    at: dt.datetime
    recorded_by: str
    on_behalf_lacking_capacity: bool = False

    def __attrs_post_init__(self) -> None:
        check_utc(self.at, field="at")


_ENTRY_NAMES = ("party_id", "decision", "at", "recorded_by", "on_behalf_lacking_capacity")
_DATETIME = dt.datetime
_UTC = dt.UTC


def consent_entry(party_id: str, decision: ConsentDecision, at: dt.datetime, recorded_by: str,
                  on_behalf_lacking_capacity: bool) -> ConsentEntry:
    """``ConsentEntry(...)``: where every value is of exactly its field's type (``at`` on the UTC
    singleton) each of the constructor's checks passes it as given, so the entry is built
    without them; anything else goes through the constructor and its errors."""
    if (_FAST_CONSENT_ENTRY and type(party_id) is str and type(decision) is ConsentDecision
            and type(at) is _DATETIME and at.tzinfo is _UTC and type(recorded_by) is str
            and type(on_behalf_lacking_capacity) is bool):
        entry: ConsentEntry = _new(ConsentEntry)
        set_ = _bind(entry)
        set_("party_id", party_id)
        set_("decision", decision)
        set_("at", at)
        set_("recorded_by", recorded_by)
        set_("on_behalf_lacking_capacity", on_behalf_lacking_capacity)
        return entry
    return ConsentEntry(party_id=party_id, decision=decision, at=at, recorded_by=recorded_by,
                        on_behalf_lacking_capacity=on_behalf_lacking_capacity)


def _entries(value: Iterable[ConsentEntry]) -> tuple[ConsentEntry, ...]:
    return tuple(value)


@frozen(field_transformer=typed_fields)
class ConsentLedger:
    """Who agreed to what and when; append-only."""

    process: Process
    entries: tuple[ConsentEntry, ...] = field(default=(), converter=_entries)

    def record(self, entry: ConsentEntry, parties: Mapping[str, Party]) -> ConsentLedger:
        """A new ledger with ``entry`` appended, after checking who may decide for whom."""
        if not isinstance(entry, ConsentEntry):
            raise InvalidInputError("must be a ConsentEntry", field="entry",
                                    rule_id="input.type")
        party = parties.get(entry.party_id)
        if party is None:
            raise InvalidInputError(
                "is not a party to this case", field="party_id", rule_id="consent.party"
            )
        if entry.recorded_by != entry.party_id:
            representative = parties.get(entry.recorded_by)
            allowed = (
                party.kind is PartyKind.YOUNG_PERSON
                and entry.on_behalf_lacking_capacity
                and representative is not None
                and representative.acting_for_young_person_lacking_capacity
            )
            if not allowed:
                raise ConsentRequiredError(
                    "only the party itself decides, unless a recorded representative acts for a "
                    "young person who lacks capacity",
                    rule_id=YOUNG_PERSON_DECIDES.rule_id,
                    citation=YOUNG_PERSON_DECIDES.cite(),
                )
        if self.entries and entry.at < self.entries[-1].at:
            raise InvalidInputError(
                "is earlier than the last ledger entry; the ledger is append-only",
                field="at",
                rule_id="consent.append_only",
            )
        # The process and the entries so far were checked when this ledger was built, the new
        # entry by its own constructor and above: no converter pass over the whole tuple again.
        ledger: ConsentLedger = _new(ConsentLedger)
        set_ = _bind(ledger)
        set_("process", self.process)
        set_("entries", (*self.entries, entry))
        return ledger

    def position(self, party_id: str) -> ConsentDecision | None:
        """The party's live decision (its latest entry), or None if it has not decided."""
        for entry in reversed(self.entries):
            if entry.party_id == party_id:
                return entry.decision
        return None

    def required_parties(self, parties: Mapping[str, Party]) -> list[str]:
        """Whose agreement the process needs.

        Disagreement resolution: every party. Mediation: only the parent or young person, since
        the bodies must take part (rule ``mediation.bodies_must_take_part``). Where a young
        person is a party, the young person decides, not the parent (rule
        ``young_person.decides``).
        """
        has_young_person = False
        for p in parties.values():
            if p.kind is PartyKind.YOUNG_PERSON:
                has_young_person = True
                break
        mediation = self.process is Process.MEDIATION
        needed = []
        for pid, party in parties.items():
            kind = party.kind
            if has_young_person and kind is PartyKind.PARENT:
                continue
            if mediation and kind not in FAMILY:
                continue
            needed.append(pid)
        return needed

    def required_positions(
        self, parties: Mapping[str, Party]
    ) -> list[tuple[str, ConsentDecision | None]]:
        """Each required party (:meth:`required_parties`, in that order) with its live decision
        (:meth:`position`), reading the ledger once."""
        latest: dict[str, ConsentDecision] = {}
        for entry in self.entries:  # oldest first: the last one kept is the live one
            latest[entry.party_id] = entry.decision
        return [(pid, latest.get(pid)) for pid in self.required_parties(parties)]

    def missing_among(self, required: Iterable[str]) -> list[str]:
        """Those of ``required`` (:meth:`required_parties`, worked out by the caller for these
        parties) without a live agreement: :meth:`missing` from one reading of the ledger."""
        latest: dict[str, ConsentDecision] = {}
        for entry in self.entries:
            latest[entry.party_id] = entry.decision
        return [pid for pid in required if latest.get(pid) is not ConsentDecision.AGREED]

    def missing(self, parties: Mapping[str, Party]) -> list[str]:
        """The required parties without a live agreement."""
        return [pid for pid, decision in self.required_positions(parties)
                if decision is not ConsentDecision.AGREED]

    def require_all_agreed(self, parties: Mapping[str, Party]) -> None:
        """Raise unless every required party has a live agreement (rule ``s57.voluntary``)."""
        _require_agreed(self.required_positions(parties))

    def stopped(self, parties: Mapping[str, Party]) -> bool:
        """True once a required party has declined or withdrawn (rule ``s57.withdraw_any_time``)."""
        return any(
            decision is ConsentDecision.DECLINED or decision is ConsentDecision.WITHDRAWN
            for _, decision in self.required_positions(parties)
        )


def _require_agreed(positions: Iterable[tuple[str, ConsentDecision | None]]) -> None:
    """Raise unless every one of ``positions`` (:meth:`ConsentLedger.required_positions`) is a
    live agreement (rule ``s57.voluntary``)."""
    missing = [pid for pid, decision in positions if decision is not ConsentDecision.AGREED]
    if missing:
        rule = VOLUNTARY
        raise ConsentRequiredError(
            "cannot proceed without the live agreement of: " + ", ".join(missing),
            rule_id=rule.rule_id,
            citation=rule.cite(),
        )


_new = object.__new__
_bind = object.__setattr__.__get__
# The fast build sets exactly these fields, none converted.
_FAST_CONSENT_ENTRY = tuple(f.name for f in attrs.fields(ConsentEntry)) == _ENTRY_NAMES and all(
    f.converter is None for f in attrs.fields(ConsentEntry))


def effect_on_appeal_rights(decision: ConsentDecision) -> str:
    """What declining or withdrawing does to appeal rights: nothing (rule
    ``s57.declining_no_effect_on_appeal``). The appeal-deadline functions take no consent input,
    so no decision recorded here can change them."""
    del decision
    return DECLINING_NO_EFFECT.summary
