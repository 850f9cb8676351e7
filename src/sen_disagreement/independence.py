"""The independence principle: who may not act as disagreement-resolution provider, mediator or
mediation adviser.

* Disagreement-resolution provider: not employed by a local authority, a clinical commissioning
  group or NHS England (the NHS Commissioning Board, renamed), whatever the issues; not by an ICB
  either, taken as the CCGs' successor (setting ``s57_health_body_independence``); not by the
  education provider in dispute.
* Mediator: not employed by a local authority; not by an ICB or NHS England where health is in
  issue; not by the education provider in dispute.
* Mediation adviser: not employed by an English local authority, an ICB or NHS England, whatever
  the issues (CFA s.56(3)); not by the education provider in dispute.
"""

from __future__ import annotations

from collections.abc import Iterable

from attrs import frozen

from sen_disagreement.errors import IndependenceError, InvalidInputError
from sen_disagreement.parties import (
    EDUCATION_PROVIDERS,
    HEALTH_COMMISSIONING_BODIES,
    INDEPENDENT_ROLES,
    Employer,
    Party,
    PartyKind,
)
from sen_disagreement.provenance import ICB_START, P, Provenance, Rule, S, U, cite
from sen_disagreement.settings import DEFAULT_SETTINGS, Settings

DR_NOT_LA = Rule(
    "s57.independence.local_authority",
    "The disagreement-resolution facilitator must be independent of the local authority: nobody "
    "employed by a local authority may provide it.",
    Provenance(
        [
            cite("CFA 2014 Explanatory Notes para 275", P),
            cite("SEND Code of Practice 11.6", S),
        ]
    ),
)
DR_NOT_HEALTH = Rule(
    "s57.independence.health_body",
    "Employees of a clinical commissioning group or of the NHS Commissioning Board (renamed NHS "
    "England) are not independent for disagreement resolution, whatever the issues.",
    Provenance(
        [
            cite("CFA 2014 Explanatory Notes para 275 (CCGs, NHS Commissioning Board)", P),
            cite("Health and Care Act 2022: NHS Commissioning Board renamed NHS England", P),
        ]
    ),
)
DR_NOT_ICB = Rule(
    "s57.independence.integrated_care_board",
    "Employees of an integrated care board are not independent for disagreement resolution, "
    "taking ICBs as the successors of the CCGs that s.57 names.",
    Provenance(
        [
            cite("CFA 2014 Explanatory Notes para 275 (CCGs)", P),
            cite("ICB substitution in s.57", U),
        ],
        valid_from=ICB_START,
    ),
)
NOT_EDUCATION_PROVIDER = Rule(
    "independence.education_provider",
    "The service must be independent of the education provider in dispute.",
    Provenance([cite("Sefton Disagreement Resolution page; SEND Code of Practice 11.6", S)]),
)
MEDIATOR_NOT_LA = Rule(
    "s52.mediator_independence.local_authority",
    "The mediator must be independent: not employed by a local authority.",
    Provenance([cite("CFA 2014 Explanatory Notes para 265 (s.52)", P)]),
)
MEDIATOR_NOT_HEALTH = Rule(
    "s53.mediator_independence.health_body",
    "Where health care is in issue the mediator must not be employed by an ICB or NHS England "
    "(formerly a CCG or the NHS Commissioning Board).",
    Provenance(
        [
            cite("CFA 2014 Explanatory Notes para 265", P),
            cite("senexpertsolicitors: health and/or social care mediation", S),
        ]
    ),
)
ADVISER_INDEPENDENT = Rule(
    "s56.adviser_independence",
    "A mediation adviser must be independent: a person employed by a local authority in England, "
    "an integrated care board or NHS England is not.",
    Provenance([cite("CFA 2014 s.56(2)-(3) as amended", P)]),
)


@frozen
class IndependenceCheck:
    """The outcome of a successful check: the rules that were applied."""

    role: PartyKind
    rules_applied: tuple[Rule, ...]


def _excluded(
    role: PartyKind, health_in_issue: bool, settings: Settings
) -> list[tuple[frozenset[PartyKind], Rule]]:
    la = frozenset({PartyKind.LOCAL_AUTHORITY})
    if role is PartyKind.MEDIATION_ADVISER:
        return [(la | HEALTH_COMMISSIONING_BODIES, ADVISER_INDEPENDENT)]
    if role is PartyKind.MEDIATOR:
        rules = [(la, MEDIATOR_NOT_LA)]
        if health_in_issue:
            rules.append((HEALTH_COMMISSIONING_BODIES, MEDIATOR_NOT_HEALTH))
        return rules
    rules = [
        (la, DR_NOT_LA),
        (frozenset({PartyKind.CLINICAL_COMMISSIONING_GROUP, PartyKind.NHS_ENGLAND}), DR_NOT_HEALTH),
    ]
    if settings.s57_health_body_independence:
        rules.append((frozenset({PartyKind.INTEGRATED_CARE_BOARD}), DR_NOT_ICB))
    return rules


def check_independence(
    appointee: Party,
    *,
    case_parties: Iterable[Party],
    health_in_issue: bool,
    settings: Settings = DEFAULT_SETTINGS,
) -> IndependenceCheck:
    """Refuse an appointee whose employer the law excludes; otherwise say which rules passed.

    ``appointee.employer`` is the body employing the person (or, for a provider organisation,
    the body it belongs to); ``None`` means an independent organisation.
    """
    role = appointee.kind
    if role not in INDEPENDENT_ROLES:
        raise InvalidInputError(
            "only a mediation adviser, mediator or disagreement-resolution provider is checked "
            "for independence",
            field="kind",
            rule_id="independence.role",
        )
    rules = _excluded(role, health_in_issue, settings)
    applied = [rule for _, rule in rules] + [NOT_EDUCATION_PROVIDER]
    employer: Employer | None = appointee.employer
    if employer is None:
        return IndependenceCheck(role, tuple(applied))
    for kinds, rule in rules:
        if employer.kind in kinds:
            raise IndependenceError(
                f"a {role.label} employed by a {employer.kind.label} is not independent",
                rule_id=rule.rule_id,
                citation=rule.cite(),
            )
    if employer.kind in EDUCATION_PROVIDERS:
        for party in case_parties:
            if party.kind in EDUCATION_PROVIDERS and party.same_body(employer):
                raise IndependenceError(
                    f"a {role.label} employed by the {employer.kind.label} in dispute is not "
                    "independent",
                    rule_id=NOT_EDUCATION_PROVIDER.rule_id,
                    citation=NOT_EDUCATION_PROVIDER.cite(),
                )
    return IndependenceCheck(role, tuple(applied))
