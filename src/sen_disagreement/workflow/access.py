"""Who may read which recorded items of a case.

A reader is an :class:`~sen_disagreement.actors.Actor` as the council's directory describes it.
A read is allowed only when the actor has a part in *this* case (:func:`acting_party`: a parent
or young person, or a body officer, granted a party of the case; an officer of the council that
owns it; the case's own provider, mediation adviser or mediator; a Tribunal-bundle exporter of
the case's council) and its role may see the item's disclosure class (:data:`POLICY`):

============================  ======  =======  ============  =================
role                          public  parties  confidential  without prejudice
============================  ======  =======  ============  =================
parent / young person          yes     yes      yes           yes
local-authority officer        yes     yes      yes           no
officer of another body        yes     yes      yes           no
disagreement-res. provider     yes     yes      yes           yes
mediation adviser / mediator   yes     yes      yes           yes
Tribunal-bundle exporter       yes     yes      no            no
============================  ======  =======  ============  =================

A facilitator's own records (anything the provider, adviser or mediator recorded) are read by
the facilitators of the case only: they are the independent process's notes, not the parties'.
The local-authority officer is refused without-prejudice material: the council's casework staff
prepare its Tribunal response, so keeping offers and comments from the meeting away from them is
the firewall. Every read of confidential or without-prejudice material, and every refused read
(cross-case reads included), is audited to an
:class:`~sen_disagreement.workflow.audit.AuditSink`. Refusals raise
:class:`~sen_disagreement.errors.AccessDeniedError` naming the item id, role and class, never
the content.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Protocol, cast

from attrs import frozen

from sen_disagreement.actors import FACILITATOR_ROLES, Actor, Role
from sen_disagreement.disclosure import (
    CONFIDENTIAL,
    WITHOUT_PREJUDICE,
    Disclosure,
    ItemKind,
    RecordedItem,
)
from sen_disagreement.errors import AccessDeniedError, InvalidInputError
from sen_disagreement.parties import FAMILY, Party, PartyKind
from sen_disagreement.provenance import Provenance, Rule, S, U, cite
from sen_disagreement.workflow import Case, CaseParty
from sen_disagreement.workflow._case import SharedViews
from sen_disagreement.workflow.audit import AuditSink, make_entry
from sen_disagreement.workflow.disagreement_resolution import DisagreementResolutionCase
from sen_disagreement.workflow.mediation import MediationCase

__all__ = [
    "ACCESS_RULE",
    "FACILITATOR_RECORDS_READ",
    "POLICY",
    "SENSITIVE",
    "AccessDecision",
    "CaseLike",
    "Role",
    "acting_party",
    "decide",
    "facilitator_record",
    "read_item",
    "readable_items",
]

ACCESS_RULE = Rule(
    "access.policy",
    "Each role reads only the disclosure classes its part in the case needs, and only for cases "
    "it is attached to; confidential and without-prejudice material stays within the process.",
    Provenance(
        [
            cite("SEND Code of Practice ch.11 via council pages: meetings confidential and "
                 "without prejudice", S),
            cite("UK GDPR Art. 5(1)(f), 25 (integrity and confidentiality; data protection by "
                 "design)", S),
            cite("OWASP ASVS 5.0 V8 (authorisation)", S),
        ]
    ),
)


FACILITATOR_RECORDS_READ = Rule(
    "access.facilitator_records",
    "What the provider, mediation adviser or mediator records about the process is read by the "
    "facilitators of the case only.",
    Provenance([
        cite("SEND Code of Practice ch.11 via council pages: the process is confidential", S),
        cite("that the parties may not read the facilitator's own notes", U),
    ]),
)

SENSITIVE = frozenset({Disclosure.CONFIDENTIAL, Disclosure.WITHOUT_PREJUDICE})
_ALL = frozenset(Disclosure)
_OFFICER = frozenset({Disclosure.PUBLIC, Disclosure.PARTIES, Disclosure.CONFIDENTIAL})

POLICY: Mapping[Role, frozenset[Disclosure]] = {
    Role.FAMILY: _ALL,
    Role.LA_OFFICER: _OFFICER,
    Role.BODY_OFFICER: _OFFICER,
    Role.PROVIDER: _ALL,
    Role.MEDIATION_ADVISER: _ALL,
    Role.MEDIATOR: _ALL,
    Role.TRIBUNAL_EXPORTER: frozenset({Disclosure.PUBLIC, Disclosure.PARTIES}),
    Role.SYSTEM: frozenset(),
}


class CaseLike(Protocol):
    """What access control and exports need of a case (both case types provide it)."""

    @property
    def case_id(self) -> str: ...
    @property
    def council(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def items(self) -> tuple[RecordedItem, ...]: ...
    @property
    def family_ids(self) -> tuple[str, ...]: ...
    @property
    def facilitator_ids(self) -> tuple[str, ...]: ...


def _la_party(case: Case) -> str | None:
    for p in case.parties:
        if p.party.kind is PartyKind.LOCAL_AUTHORITY:
            return p.party_id
    return None


_PARTY_MAP = SharedViews.party_map
_CASE_PARTY = CaseParty


def _party_of(case: Case, party_id: str) -> Party | None:
    """``case.party_map.get(party_id)`` without the map built: for an exact-str id and the
    library's own ``party_map`` over a tuple of exact :class:`CaseParty` with exact-str ids the
    map's answer is the party of the last of them whose id equals ``party_id``; anything else
    asks the map."""
    parties = case.parties
    if (type(party_id) is str and type(parties) is tuple
            and type(case).party_map is _PARTY_MAP):
        found = None
        for p in parties:
            if type(p) is not _CASE_PARTY or type(p.party_id) is not str:
                break
            if p.party_id == party_id:
                found = p.party
        else:
            return found
    return case.party_map.get(party_id)


def _facilitator_of(case: Case, role: Role) -> str | None:
    if role is Role.PROVIDER and isinstance(case, DisagreementResolutionCase):
        return case.provider.party_id if case.provider else None
    if isinstance(case, MediationCase):
        who = {Role.MEDIATION_ADVISER: case.adviser, Role.MEDIATOR: case.mediator}.get(role)
        return who.party_id if who else None
    return None


def acting_party(case: Case, actor: Actor, *, councils: Iterable[str] = ()) -> str | None:
    """The id ``actor`` acts as in ``case`` (a party id, or the facilitator's id), or ``None``
    when it has no part in the case. ``councils`` are other keys of the case's council (its slug
    and GSS code) that an officer's council may be given as."""
    role = actor.role
    if role is Role.SYSTEM:
        return actor.actor_id
    if role is Role.LA_OFFICER or role is Role.TRIBUNAL_EXPORTER:
        council = actor.council
        # Membership by hash, as a set has it: a str subclass that lies in __eq__ matches no
        # other council. Two exact strs are equal exactly when the set would find one, so the
        # officer of the case's own council needs no set built.
        ours = (type(council) is str and type(case.council) is str
                and council == case.council) or council in {case.council, *councils}
        return _la_party(case) if ours else None
    if role in (Role.FAMILY, Role.BODY_OFFICER):
        party_id = actor.party_in(case.case_id)
        party = _party_of(case, party_id) if party_id else None
        if party is None or party.kind is PartyKind.LOCAL_AUTHORITY:
            return None
        return party_id if (role is Role.FAMILY) == (party.kind in FAMILY) else None
    facilitator = _facilitator_of(case, role)
    return facilitator if facilitator is not None and facilitator == actor.organisation else None


def facilitator_record(case: Case, item: RecordedItem) -> bool:
    """Whether ``item`` is a facilitator's own record (made by the case's provider, adviser or
    mediator). The written mediation agreement is not: it is the parties' outcome (reg 42)."""
    if item.by_facilitator:
        return True  # marked when recorded; nothing later (an agreement's id) undoes it
    if item.recorded_by not in case.facilitator_ids:
        return False
    agreement = getattr(case, "agreement", None)
    return not (item.kind is ItemKind.OUTCOME and agreement is not None
                and agreement.document_item_id == item.item_id)


def attached_reason(case: Case, who: Actor, *, councils: Iterable[str] = ()) -> str | None:
    """Why ``who`` has no part in ``case``, or None when it has one."""
    if not isinstance(cast(object, who), Actor):  # callers outside mypy pass anything
        return "not an actor from the council's directory"
    if acting_party(case, who, councils=councils) is None:
        return f"has no part in this case as a {who.role.value}"
    return None


@frozen
class AccessDecision:
    """Whether a read is allowed, and why (the reason in words, never case content)."""

    allowed: bool
    reason: str


def decide(
    case: Case, who: Actor, item: RecordedItem, *, councils: Iterable[str] = ()
) -> AccessDecision:
    """Whether ``who`` may read ``item`` of ``case`` (no audit; see :func:`read_item`)."""
    not_attached = attached_reason(case, who, councils=councils)
    if not_attached:
        return AccessDecision(False, not_attached)
    if facilitator_record(case, item) and who.role not in FACILITATOR_ROLES:
        return AccessDecision(False, "a facilitator's own record is for the facilitators")
    if item.disclosure not in POLICY[who.role]:
        return AccessDecision(
            False, f"a {who.role.value} may not read {item.disclosure.value} material"
        )
    return AccessDecision(True, "allowed")


def _rule_for(item: RecordedItem) -> Rule:
    if item.disclosure is Disclosure.WITHOUT_PREJUDICE:
        return WITHOUT_PREJUDICE
    if item.disclosure is Disclosure.CONFIDENTIAL:
        return CONFIDENTIAL
    return ACCESS_RULE


def _audit_read(
    sink: AuditSink, case: CaseLike, who: Actor, item_id: str, at: dt.datetime, outcome: str
) -> None:
    sink.append_audit(
        make_entry(actor=who.actor_id, action="item.read", at=at, case_id=case.case_id,
                   outcome=outcome, fields=(f"items.{item_id}",))
    )


def read_item(
    case: Case, item_id: str, *, who: Actor, at: dt.datetime, sink: AuditSink,
    councils: Iterable[str] = (),
) -> RecordedItem:
    """Read one item. A refused read is audited and raises :class:`AccessDeniedError`; an
    allowed read of confidential or without-prejudice material is audited."""
    item = next((i for i in case.items if i.item_id == item_id), None)
    if item is None:
        _audit_read(sink, case, who, "unknown", at, "not_found")
        raise InvalidInputError("is not an item of this case", field="item_id",
                                rule_id=ACCESS_RULE.rule_id)
    decision = decide(case, who, item, councils=councils)
    if not decision.allowed:
        _audit_read(sink, case, who, item.item_id, at, "refused")
        rule = _rule_for(item)
        raise AccessDeniedError(
            f"{who.role.value} {who.actor_id} may not read item {item.item_id} "
            f"[{item.disclosure.value}] of case {case.case_id}: {decision.reason}",
            rule_id=ACCESS_RULE.rule_id,
            citation=rule.cite(),
        )
    if item.disclosure in SENSITIVE:
        _audit_read(sink, case, who, item.item_id, at, "ok")
    return item


def readable_items(
    case: Case, *, who: Actor, at: dt.datetime, sink: AuditSink, councils: Iterable[str] = ()
) -> tuple[RecordedItem, ...]:
    """Every item ``who`` may read. Each item withheld is audited as a refused read; each
    confidential or without-prejudice item returned is audited as a read."""
    out: list[RecordedItem] = []
    keys = tuple(councils)  # used once per item
    for item in case.items:
        decision = decide(case, who, item, councils=keys)
        if not decision.allowed:
            _audit_read(sink, case, who, item.item_id, at, "refused")
            continue
        if item.disclosure in SENSITIVE:
            _audit_read(sink, case, who, item.item_id, at, "ok")
        out.append(item)
    return tuple(out)
