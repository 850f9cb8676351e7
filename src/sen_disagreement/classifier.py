"""Which of the four types of disagreement a described disagreement is, and why.

:func:`classify` returns an :class:`Eligible` answer listing every type that applies, each with
its reasons and citations, or a :class:`NotEligible` answer saying why no type applies and which
other routes are open. Bad input raises :class:`~sen_disagreement.errors.InvalidInputError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

from attrs import field, frozen

from sen_disagreement.disagreement_types import ALL_TYPES, DisagreementType, Limb
from sen_disagreement.ehc import Duty, EhcStage, Provision
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.parties import (
    EDUCATION_PROVIDERS,
    FAMILY,
    HEALTH_COMMISSIONING_BODIES,
    INDEPENDENT_ROLES,
    PARENT_DEFINITION,
    Party,
    PartyKind,
)
from sen_disagreement.provenance import Provenance
from sen_disagreement.routes import ROUTES, Route, RouteId

__all__ = [
    "MAX_PARTIES",
    "SCHEMA_VERSION",
    "Classification",
    "Disagreement",
    "Eligible",
    "NotEligible",
    "RouteSuggestion",
    "TypeMatch",
    "classify",
    "validate",
]

SCHEMA_VERSION = 1
"""The ``classify-input`` version this library reads."""
MAX_PARTIES = 20
"""Most parties a described disagreement may have (at least 2)."""


def _parties(value: Iterable[Party]) -> tuple[Party, ...]:
    return tuple(value)


def _provisions(value: Iterable[Provision]) -> tuple[Provision, ...]:
    return tuple(value)


def _check_schema_version(instance: object, attribute: object, value: int) -> None:
    if value != SCHEMA_VERSION:
        raise InvalidInputError(
            f"this library reads classify-input version {SCHEMA_VERSION}",
            field="schema_version",
            rule_id="input.schema_version",
        )


def _check_parties(instance: object, attribute: object, value: tuple[Party, ...]) -> None:
    if not 2 <= len(value) <= MAX_PARTIES:
        raise InvalidInputError(
            f"a disagreement has between 2 and {MAX_PARTIES} parties",
            field="parties",
            rule_id="input.parties.count",
        )


@frozen(kw_only=True)
class Disagreement:
    """A described disagreement: the input of :func:`classify` (JSON: ``classify-input``)."""

    schema_version: int = field(default=SCHEMA_VERSION, validator=_check_schema_version)
    date: dt.date
    """The date on which the disagreement is considered (decides which bodies exist and whether
    a person is a young person)."""
    parties: tuple[Party, ...] = field(converter=_parties, validator=_check_parties)
    stage: EhcStage
    provision: tuple[Provision, ...] = field(default=(), converter=_provisions)
    """What provision is in dispute (empty when the dispute is about a duty)."""
    duty: Duty | None = None
    """The duty whose performance is in question, if any."""


@frozen
class TypeMatch:
    """One type that applies, with the reasons and the sources."""

    type_number: int
    title: str
    reasons: tuple[str, ...]
    provenance: Provenance

    @property
    def rule_id(self) -> str:
        return f"s57.type{self.type_number}"


@frozen
class RouteSuggestion:
    """Another route of redress worth offering (:class:`~sen_disagreement.routes.Route`), and why
    it fits this disagreement."""

    route: Route
    why: str


@frozen
class Eligible:
    """The answer of :func:`classify` when disagreement resolution (CFA 2014 s.57) applies: every
    type that matches, with its reasons and sources, and the other routes also open."""

    matches: tuple[TypeMatch, ...]
    also_available: tuple[RouteSuggestion, ...]
    eligible: Literal[True] = True

    @property
    def type_numbers(self) -> tuple[int, ...]:
        return tuple(m.type_number for m in self.matches)


@frozen
class NotEligible:
    """The answer of :func:`classify` when none of the four types of disagreement (CFA 2014 s.57)
    applies: why each does not, and which other routes are open."""

    reasons: tuple[str, ...]
    """Why each of the four types does not apply."""
    other_routes: tuple[RouteSuggestion, ...]
    eligible: Literal[False] = False

    @property
    def type_numbers(self) -> tuple[int, ...]:
        return ()


Classification = Eligible | NotEligible
"""What :func:`classify` answers: :class:`Eligible` or :class:`NotEligible`."""


def validate(disagreement: Disagreement) -> None:
    """Date-dependent checks on the parties; raise on the first fault, naming its path."""
    for i, party in enumerate(disagreement.parties):
        try:
            party.check_on(disagreement.date)
            if party.kind in INDEPENDENT_ROLES:
                raise InvalidInputError(
                    f"a {party.kind.label} facilitates and is never a side of the disagreement",
                    field="kind",
                    rule_id="party.independent_role_not_a_side",
                )
            if party.kind is PartyKind.CHILD:
                raise InvalidInputError(
                    "a child is not a party: the parent brings the disagreement (list the parent)",
                    field="kind",
                    rule_id=PARENT_DEFINITION.rule_id,
                    citation=PARENT_DEFINITION.cite(),
                )
        except InvalidInputError as exc:
            raise exc.at(f"$.parties[{i}]") from None
    others = [p for p in disagreement.parties if p.kind not in FAMILY]
    if not others:
        raise InvalidInputError(
            "a disagreement needs a body on the other side (a local authority, setting or health "
            "commissioning body)",
            field="$.parties",
            rule_id="input.parties.other_side",
        )


def _limb_failure(limb: Limb, d: Disagreement, kinds: frozenset[PartyKind]) -> str | None:
    if not kinds & limb.other_side:
        names = sorted(k.label for k in limb.other_side)
        if len(names) == 1:
            article = "an" if names[0][0] in "aeiou" else "a"
            return f"needs {article} {names[0]} on the other side"
        return "needs one of these on the other side: " + ", ".join(names)
    if limb.provision and not set(d.provision) & limb.provision:
        return "it is not about " + _either_p(limb.provision)
    if limb.duties and d.duty not in limb.duties:
        if d.duty is None:
            return "no duty is in question"
        return f"the duty '{d.duty.label}' is not {_either_d(limb.duties)}"
    if d.stage not in limb.stages:
        return f"it applies only {_stages(limb.stages)}, not at stage '{d.stage.label}'"
    return None


def _match(
    t: DisagreementType, d: Disagreement, family: bool, kinds: frozenset[PartyKind]
) -> tuple[TypeMatch | None, str]:
    """``family``: a parent or young person is a party; ``kinds``: the other parties' kinds."""
    head = f"Type {t.number}"
    if t.family_party and not family:
        return None, f"{head}: needs a parent or young person as a party"
    if not t.family_party:
        if family:
            return None, (
                f"{head}: is between a local authority and a health commissioning body and "
                "does not involve parents or young people, but one is a party here"
            )
        if PartyKind.LOCAL_AUTHORITY not in kinds or not kinds & HEALTH_COMMISSIONING_BODIES:
            return None, f"{head}: needs a local authority and a health commissioning body"
    failures = []
    for limb in t.limbs:
        failure = _limb_failure(limb, d, kinds)
        if failure is None:
            if t.family_party:
                who, against = "parent or young person", kinds & limb.other_side
            else:
                who = "local authority"
                against = kinds & limb.other_side - {PartyKind.LOCAL_AUTHORITY}
            reasons = (
                f"a {who} disagrees with " + _either(against),
                f"about {limb.description}",
                f"at stage '{d.stage.label}'",
            )
            return TypeMatch(t.number, t.title, reasons, t.provenance), ""
        failures.append(f"for {limb.label}, {failure}" if len(t.limbs) > 1 else failure)
    return None, f"{head}: " + "; ".join(failures)


def _either(kinds: frozenset[PartyKind] | set[PartyKind]) -> str:
    names = sorted(k.label for k in kinds)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _either_p(items: frozenset[Provision]) -> str:
    return " or ".join(sorted(p.label for p in items))


def _either_d(items: frozenset[Duty]) -> str:
    return "one of: " + ", ".join(sorted(d.label for d in items))


def _stages(stages: frozenset[EhcStage]) -> str:
    if stages == frozenset(EhcStage):
        return "at any stage"
    return "at: " + ", ".join(s.label for s in EhcStage if s in stages)


def _routes(d: Disagreement) -> tuple[RouteSuggestion, ...]:
    kinds = {p.kind for p in d.parties}
    out: list[RouteSuggestion] = []

    def add(route: RouteId, why: str) -> None:
        out.append(RouteSuggestion(ROUTES[route], why))

    if kinds & HEALTH_COMMISSIONING_BODIES and Provision.HEALTH_CARE in d.provision:
        add(RouteId.NHS_COMPLAINT, "the disagreement is with a health commissioning body")
    if kinds & EDUCATION_PROVIDERS:
        add(RouteId.SETTING_COMPLAINT, "the disagreement is with an education setting")
    if PartyKind.LOCAL_AUTHORITY in kinds:
        if Provision.SOCIAL_CARE in d.provision:
            add(
                RouteId.CHILDRENS_SOCIAL_CARE_COMPLAINT,
                "the disagreement is about social care provision",
            )
        add(RouteId.LOCAL_AUTHORITY_COMPLAINT, "the disagreement is with the local authority")
        add(RouteId.OMBUDSMAN, "after the council's complaints procedure")
        if d.stage is not EhcStage.NO_PLAN:
            add(
                RouteId.TRIBUNAL_APPEAL,
                "if the local authority has made an appealable decision (CFA s.51(2))",
            )
    if kinds & FAMILY:
        add(
            RouteId.DISABILITY_DISCRIMINATION_CLAIM,
            "if the complaint is of disability discrimination",
        )
    return tuple(out)


def classify(disagreement: Disagreement) -> Classification:
    """Every disagreement type that applies, or why none does and where to go instead."""
    validate(disagreement)
    key = _memo_key(disagreement)
    if key is None:
        return _classify(disagreement)
    parts = _MEMO.get(key)
    if parts is None:
        parts = _parts(_classify(disagreement))
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        _MEMO[key] = parts
    matches, failures, routes = parts
    suggestions = tuple([RouteSuggestion(route, why) for route, why in routes])
    if matches:
        return Eligible(tuple([TypeMatch(*m) for m in matches]), suggestions)
    return NotEligible(failures, suggestions)


# The answer is a pure function of what _classify reads from a disagreement: the kinds of its
# parties (as a set), its stage, its provision (as a set), its duty, and whether each type is in
# force on its date (the date itself only when one is not: the reason quotes it). For a
# disagreement whose values are exactly the library's types (no subclass can lie about equality
# or render differently) the answer's immutable parts (numbers, text, tuples of text, the
# module's own Provenance and Route constants) are kept under those values; every answer is
# still a set of new records, so no caller ever holds another's.
_Parts = tuple[
    tuple[tuple[int, str, tuple[str, ...], Provenance], ...],
    tuple[str, ...],
    tuple[tuple[Route, str], ...],
]
_MEMO: dict[tuple[object, ...], _Parts] = {}
_MEMO_LIMIT = 1024
_IN_FORCE: dict[dt.date, tuple[bool, ...]] = {}
"""Whether each of the four types is in force on a (plain) date."""


def _memo_key(d: Disagreement) -> tuple[object, ...] | None:
    if type(d) is not Disagreement:
        return None
    date, parties, stage, provision, duty = d.date, d.parties, d.stage, d.provision, d.duty
    if (
        type(date) is not dt.date
        or type(parties) is not tuple
        or type(stage) is not EhcStage
        or type(provision) is not tuple
        or not (duty is None or type(duty) is Duty)
    ):
        return None
    kinds = []
    for party in parties:
        # An exact Party: a subclass could answer its kind one way here and another way to
        # the rules, and plant its answer for honest callers.
        if type(party) is not Party:
            return None
        kind = party.kind
        if type(kind) is not PartyKind:
            return None
        kinds.append(kind)
    for item in provision:
        if type(item) is not Provision:
            return None
    in_force = _IN_FORCE.get(date)
    if in_force is None:
        in_force = tuple([t.provenance.applies_on(date) for t in ALL_TYPES])
        if len(_IN_FORCE) >= _MEMO_LIMIT:
            _IN_FORCE.clear()
        _IN_FORCE[date] = in_force
    return (frozenset(kinds), stage, frozenset(provision), duty, in_force,
            None if all(in_force) else date)


def _parts(answer: Classification) -> _Parts:
    routes = answer.also_available if isinstance(answer, Eligible) else answer.other_routes
    kept = tuple([(r.route, r.why) for r in routes])
    if isinstance(answer, Eligible):
        return (tuple([(m.type_number, m.title, m.reasons, m.provenance)
                       for m in answer.matches]), (), kept)
    return ((), answer.reasons, kept)


def _classify(disagreement: Disagreement) -> Classification:
    """:func:`classify` after :func:`validate`: the general path, for any disagreement."""
    matches: list[TypeMatch] = []
    failures: list[str] = []
    # Who is on each side, once for the four types.
    family = any(p.kind in FAMILY for p in disagreement.parties)
    kinds = frozenset(p.kind for p in disagreement.parties if p.kind not in FAMILY)
    for t in ALL_TYPES:
        if not t.provenance.applies_on(disagreement.date):
            failures.append(f"Type {t.number}: not in force on {disagreement.date}")
            continue
        match, why = _match(t, disagreement, family, kinds)
        if match is None:
            failures.append(why)
        else:
            matches.append(match)
    routes = _routes(disagreement)
    if matches:
        return Eligible(tuple(matches), routes)
    return NotEligible(tuple(failures), routes)
