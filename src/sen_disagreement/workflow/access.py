"""Who may read which recorded items of a case.

A reader is a :class:`Principal`: an actor id, a :class:`Role`, and the cases it is attached to.
A read is allowed only when the principal is attached to *this* case in its role (a parent or
young person who is a party, an officer of the council that owns the case, the case's
disagreement-resolution provider, the case's mediator or mediation adviser, or a Tribunal-bundle
exporter for the case) and the role may see the item's disclosure class (:data:`POLICY`):

============================  ======  =======  ============  =================
role                          public  parties  confidential  without prejudice
============================  ======  =======  ============  =================
parent / young person          yes     yes      yes           yes
local-authority officer        yes     yes      yes           no
disagreement-res. provider     yes     yes      yes           yes
mediator / mediation adviser   yes     yes      yes           yes
Tribunal-bundle exporter       yes     yes      no            no
============================  ======  =======  ============  =================

The local-authority officer is refused without-prejudice material: the council's casework staff
prepare its Tribunal response, so keeping offers and comments from the meeting away from them is
the firewall (reliability guide section 4, T8). Every read of confidential or without-prejudice
material, and every refused read (cross-case reads included), is audited to an
:class:`~sen_disagreement.workflow.audit.AuditSink`. Refusals raise
:class:`~sen_disagreement.errors.AccessDeniedError` naming the item id, role and class, never
the content.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from typing import Protocol

from attrs import field, frozen

from sen_disagreement.disclosure import CONFIDENTIAL, WITHOUT_PREJUDICE, Disclosure, RecordedItem
from sen_disagreement.errors import AccessDeniedError, InvalidInputError
from sen_disagreement.provenance import Provenance, Rule, S, cite
from sen_disagreement.workflow._case import check_actor
from sen_disagreement.workflow.audit import AuditSink, make_entry

__all__ = [
    "ACCESS_RULE",
    "POLICY",
    "SENSITIVE",
    "AccessDecision",
    "CaseLike",
    "Principal",
    "Role",
    "decide",
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


class Role(enum.Enum):
    FAMILY = "family"
    """The parent or young person who is a party to this case (or a representative)."""
    LA_OFFICER = "la_officer"
    PROVIDER = "provider"
    """The disagreement-resolution provider assigned to this case."""
    MEDIATOR = "mediator"
    """The mediator or mediation adviser of this case."""
    TRIBUNAL_EXPORTER = "tribunal_exporter"


SENSITIVE = frozenset({Disclosure.CONFIDENTIAL, Disclosure.WITHOUT_PREJUDICE})
_ALL = frozenset(Disclosure)

POLICY: Mapping[Role, frozenset[Disclosure]] = {
    Role.FAMILY: _ALL,
    Role.LA_OFFICER: frozenset({Disclosure.PUBLIC, Disclosure.PARTIES, Disclosure.CONFIDENTIAL}),
    Role.PROVIDER: _ALL,
    Role.MEDIATOR: _ALL,
    Role.TRIBUNAL_EXPORTER: frozenset({Disclosure.PUBLIC, Disclosure.PARTIES}),
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


def _cases(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@frozen(kw_only=True)
class Principal:
    """Someone reading case material: who, in what role, for which cases."""

    actor: str = field(validator=lambda _i, _a, v: _actor(v))
    role: Role
    cases: frozenset[str] = field(converter=_cases)
    council: str | None = None
    """The council a local-authority officer works for."""


def _actor(value: object) -> None:
    check_actor(value)


@frozen
class AccessDecision:
    allowed: bool
    reason: str


def attached_reason(case: CaseLike, who: Principal) -> str | None:
    """Why ``who`` is not attached to ``case`` in its role, or None when it is."""
    if case.case_id not in who.cases:
        return "not attached to this case"
    if who.role is Role.FAMILY and who.actor not in case.family_ids:
        return "not the parent or young person of this case"
    if who.role is Role.LA_OFFICER and who.council != case.council:
        return "an officer of another council"
    if who.role is Role.PROVIDER and (
        case.kind != "disagreement_resolution" or who.actor not in case.facilitator_ids
    ):
        return "not the provider of this case"
    if who.role is Role.MEDIATOR and (
        case.kind != "mediation" or who.actor not in case.facilitator_ids
    ):
        return "not the mediator or mediation adviser of this case"
    return None


def decide(case: CaseLike, who: Principal, item: RecordedItem) -> AccessDecision:
    """Whether ``who`` may read ``item`` of ``case`` (no audit; see :func:`read_item`)."""
    not_attached = attached_reason(case, who)
    if not_attached:
        return AccessDecision(False, not_attached)
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
    sink: AuditSink, case: CaseLike, who: Principal, item_id: str, at: dt.datetime, outcome: str
) -> None:
    sink.append_audit(
        make_entry(actor=who.actor, action="item.read", at=at, case_id=case.case_id,
                   outcome=outcome, fields=(f"items.{item_id}",))
    )


def read_item(
    case: CaseLike, item_id: str, *, who: Principal, at: dt.datetime, sink: AuditSink
) -> RecordedItem:
    """Read one item. A refused read is audited and raises :class:`AccessDeniedError`; an
    allowed read of confidential or without-prejudice material is audited."""
    item = next((i for i in case.items if i.item_id == item_id), None)
    if item is None:
        _audit_read(sink, case, who, "unknown", at, "not_found")
        raise InvalidInputError("is not an item of this case", field="item_id",
                                rule_id=ACCESS_RULE.rule_id)
    decision = decide(case, who, item)
    if not decision.allowed:
        _audit_read(sink, case, who, item.item_id, at, "refused")
        rule = _rule_for(item)
        raise AccessDeniedError(
            f"{who.role.value} {who.actor} may not read item {item.item_id} "
            f"[{item.disclosure.value}] of case {case.case_id}: {decision.reason}",
            rule_id=ACCESS_RULE.rule_id,
            citation=rule.cite(),
        )
    if item.disclosure in SENSITIVE:
        _audit_read(sink, case, who, item.item_id, at, "ok")
    return item


def readable_items(
    case: CaseLike, *, who: Principal, at: dt.datetime, sink: AuditSink
) -> tuple[RecordedItem, ...]:
    """Every item ``who`` may read. Each item withheld is audited as a refused read; each
    confidential or without-prejudice item returned is audited as a read."""
    out: list[RecordedItem] = []
    for item in case.items:
        decision = decide(case, who, item)
        if not decision.allowed:
            _audit_read(sink, case, who, item.item_id, at, "refused")
            continue
        if item.disclosure in SENSITIVE:
            _audit_read(sink, case, who, item.item_id, at, "ok")
        out.append(item)
    return tuple(out)
