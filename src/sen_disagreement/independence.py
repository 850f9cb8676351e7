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

:func:`assess_independence` answers (an :class:`IndependenceAnswer`: independent or not, the
:class:`~sen_disagreement.provenance.Rule` that decided it, the reason in words, the date judged
on); :func:`check_independence` is built on it and raises
:class:`~sen_disagreement.errors.IndependenceError` instead of answering "no".
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable

from attrs import frozen

from sen_disagreement.errors import IndependenceError, InvalidInputError
from sen_disagreement.parties import (
    EDUCATION_PROVIDERS,
    HEALTH_COMMISSIONING_BODIES,
    INDEPENDENT_ROLES,
    Employer,
    Party,
    PartyKind,
    check_kind_in_force,
)
from sen_disagreement.provenance import ICB_START, P, Provenance, Rule, S, U, cite
from sen_disagreement.settings import DEFAULT_SETTINGS, Settings

__all__ = [
    "ADVISER_INDEPENDENT",
    "DR_INDEPENDENT",
    "DR_NOT_HEALTH",
    "DR_NOT_ICB",
    "DR_NOT_LA",
    "INDEPENDENT_ROLE",
    "MEDIATOR_INDEPENDENT",
    "MEDIATOR_NOT_HEALTH",
    "MEDIATOR_NOT_LA",
    "NOT_EDUCATION_PROVIDER",
    "RULES",
    "IndependenceAnswer",
    "IndependenceCheck",
    "assess_independence",
    "check_independence",
]

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
"""Nobody employed by a local authority may provide disagreement resolution."""
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
"""Employees of a clinical commissioning group or the NHS Commissioning Board (NHS England) are
not independent for disagreement resolution (Explanatory Notes para 275)."""
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
"""Employees of an integrated care board are not independent for disagreement resolution (the
ICB substitution in s.57 is unconfirmed)."""
NOT_EDUCATION_PROVIDER = Rule(
    "independence.education_provider",
    "The service must be independent of the education provider in dispute.",
    Provenance([cite("Sefton Disagreement Resolution page; SEND Code of Practice 11.6", S)]),
)
"""The service is independent of the education provider in dispute."""
MEDIATOR_NOT_LA = Rule(
    "s52.mediator_independence.local_authority",
    "The mediator must be independent: not employed by a local authority.",
    Provenance([cite("CFA 2014 Explanatory Notes para 265 (s.52)", P)]),
)
"""The mediator is not employed by a local authority."""
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
"""Where health care is in issue the mediator is not employed by an integrated care board or
NHS England."""
ADVISER_INDEPENDENT = Rule(
    "s56.adviser_independence",
    "A mediation adviser must be independent: a person employed by a local authority in England, "
    "an integrated care board or NHS England is not.",
    Provenance([cite("CFA 2014 s.56(2)-(3) as amended", P)]),
)
"""A mediation adviser is not employed by a local authority in England, an integrated care
board or NHS England (CFA 2014 s.56(2)-(3) as amended)."""


MEDIATOR_INDEPENDENT = Rule(
    "s52.mediator_independence",
    "The mediator must be independent: not employed by a local authority, nor by the education "
    "provider in dispute; where health care is in issue, not by an ICB or NHS England either "
    "(rule s53.mediator_independence.health_body).",
    Provenance([cite("CFA 2014 Explanatory Notes para 265 (s.52: independent mediator)", P)]),
)
"""The mediator is independent (CFA 2014 s.52; Explanatory Notes para 265)."""
DR_INDEPENDENT = Rule(
    "s57.independence",
    "The disagreement-resolution facilitator must be independent: not employed by a local "
    "authority, a CCG, NHS England (the NHS Commissioning Board), an ICB (setting "
    "s57_health_body_independence) or the education provider in dispute.",
    Provenance(
        [
            cite("CFA 2014 Explanatory Notes para 275 (s.57: independent person)", P),
            cite("SEND Code of Practice para 11.6 (independent of the local authority)", S),
        ]
    ),
)
"""The disagreement-resolution facilitator is independent (CFA 2014 s.57; Explanatory Notes
para 275)."""
INDEPENDENT_ROLE = Rule(
    "independence.role",
    "Independence is required of, and checked for, three roles only: the mediation adviser "
    "(CFA s.56(2)-(3)), the mediator (s.52) and the disagreement-resolution facilitator (s.57).",
    Provenance(
        [
            cite("CFA 2014 s.56(2)-(3) as amended (mediation adviser)", P),
            cite("CFA 2014 Explanatory Notes paras 265, 275 (mediator; disagreement resolution)",
                 P),
        ]
    ),
)
"""Independence is checked for three roles only: the mediation adviser, the mediator and the
disagreement-resolution facilitator."""

_ROLE_RULES = {
    PartyKind.MEDIATION_ADVISER: ADVISER_INDEPENDENT,
    PartyKind.MEDIATOR: MEDIATOR_INDEPENDENT,
    PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER: DR_INDEPENDENT,
}
"""The rule that answers "independent" for each role when no exclusion applies."""

RULES = (
    DR_NOT_LA,
    DR_NOT_HEALTH,
    DR_NOT_ICB,
    NOT_EDUCATION_PROVIDER,
    MEDIATOR_NOT_LA,
    MEDIATOR_NOT_HEALTH,
    ADVISER_INDEPENDENT,
    MEDIATOR_INDEPENDENT,
    DR_INDEPENDENT,
    INDEPENDENT_ROLE,
)
"""Every rule of this module (each error it raises names one of them)."""


@frozen
class IndependenceAnswer:
    """Whether an appointee is independent for their role, and why.

    ``rule`` is the rule that decided it: the exclusion that failed when ``independent`` is
    False; the role's own independence rule (``s56.adviser_independence``,
    ``s52.mediator_independence``, ``s57.independence``) when it is True. ``rules_applied`` lists
    every rule that was checked. ``judged_on`` is the date the question was asked about (rules
    in force on it are applied); ``None`` only for :func:`check_independence` called without a
    date, when every rule is applied whatever its dates. ``reason`` names kinds of body, never the
    appointee's or employer's name.
    """

    role: PartyKind
    independent: bool
    rule: Rule
    reason: str
    judged_on: dt.date | None
    rules_applied: tuple[Rule, ...]

    def raise_if_not_independent(self) -> IndependenceCheck:
        """The :class:`IndependenceCheck` when independent, else :class:`IndependenceError`
        citing :attr:`rule`."""
        if not self.independent:
            raise IndependenceError(
                self.reason, rule_id=self.rule.rule_id, citation=self.rule.cite()
            )
        return IndependenceCheck(self.role, self.rules_applied)


@frozen
class IndependenceCheck:
    """The outcome of a successful check: the rules that were applied."""

    role: PartyKind
    rules_applied: tuple[Rule, ...]


_LA = frozenset({PartyKind.LOCAL_AUTHORITY})
_DR_HEALTH = frozenset({PartyKind.CLINICAL_COMMISSIONING_GROUP, PartyKind.NHS_ENGLAND})
_ICB = frozenset({PartyKind.INTEGRATED_CARE_BOARD})


def _excluded(
    role: PartyKind, health_in_issue: bool, icb_excluded: bool, on: dt.date | None
) -> tuple[tuple[frozenset[PartyKind], Rule], ...]:
    """The exclusions for ``role``: (kinds of employer excluded, the rule excluding them).

    A pure function of its arguments over module constants: :func:`_rules_applied` keeps its
    answers, since routing asks for them for every provider of every case (issue 14)."""
    rules: list[tuple[frozenset[PartyKind], Rule]]
    if role is PartyKind.MEDIATION_ADVISER:
        rules = [(_LA | HEALTH_COMMISSIONING_BODIES, ADVISER_INDEPENDENT)]
    elif role is PartyKind.MEDIATOR:
        rules = [(_LA, MEDIATOR_NOT_LA)]
        if health_in_issue:
            rules.append((HEALTH_COMMISSIONING_BODIES, MEDIATOR_NOT_HEALTH))
    else:
        rules = [(_LA, DR_NOT_LA), (_DR_HEALTH, DR_NOT_HEALTH)]
        if icb_excluded:
            rules.append((_ICB, DR_NOT_ICB))
    if on is not None:
        rules = [(kinds, rule) for kinds, rule in rules if rule.provenance.applies_on(on)]
    return tuple(rules)


@functools.lru_cache(maxsize=512)
def _rules_applied(
    role: PartyKind, health_in_issue: bool, icb_excluded: bool, on: dt.date | None
) -> tuple[tuple[tuple[frozenset[PartyKind], Rule], ...], tuple[Rule, ...]]:
    """:func:`_excluded` and the rules an answer lists as applied (the exclusions, then the
    education provider's): cached alike, a pure function of the same arguments."""
    rules = _excluded(role, health_in_issue, icb_excluded, on)
    return rules, (*(rule for _, rule in rules), NOT_EDUCATION_PROVIDER)


@functools.lru_cache(maxsize=512)
def _independent_reason(
    role: PartyKind,
    employer_kind: PartyKind | None,
    health_in_issue: bool,
    icb_excluded: bool,
    on: dt.date | None,
) -> str:
    """Why an appointee is independent: kinds of body only, never a name (cached: a pure
    function of its arguments, keyed by them rather than by the rules, which hash slowly)."""
    rules = _excluded(role, health_in_issue, icb_excluded, on)
    excluded = sorted({k.label for kinds, _ in rules for k in kinds})
    bodies = ", ".join(excluded) + (", " if excluded else "") + "the education provider in dispute"
    whose = (
        "an independent organisation (no employer recorded)"
        if employer_kind is None
        else f"employed by {_article(employer_kind.label)} {employer_kind.label}"
    )
    return f"independent: a {role.label} {whose}, not employed by any of: {bodies}"


def _article(label: str) -> str:
    return "an" if label[0] in "aeiou" else "a"


_Verdict = tuple[PartyKind, tuple[Rule, ...], "tuple[str, Rule] | None", Callable[[], str]]


def _judge(
    appointee: Party,
    case_parties: Iterable[Party],
    health_in_issue: bool,
    on: dt.date | None,
    settings: Settings,
) -> _Verdict:
    """The one place the independence rules are applied: the role, the rules applied, the
    refusal (its reason and rule) or ``None``, and the reason an independent appointee is
    independent (asked only by those who show it)."""
    role = appointee.kind
    if role not in INDEPENDENT_ROLES:
        raise InvalidInputError(
            "only a mediation adviser, mediator or disagreement-resolution provider is checked "
            "for independence",
            field="kind",
            rule_id=INDEPENDENT_ROLE.rule_id,
            citation=INDEPENDENT_ROLE.cite(),
        )
    employer: Employer | None = appointee.employer
    if employer is not None and on is not None:
        # A CCG employer after 1 July 2022, or an ICB one before it, is a mistake in the input.
        check_kind_in_force(employer.kind, on, field="employer.kind")
    # The memos are keyed by exact values only: the flag as the truth value the rules test, the
    # date only when it is a plain date (a subclass could compare equal to another day), the
    # role and employer kind only when they are the library's own members (an object posing as
    # one, written in with object.__setattr__, would plant its answer under the member's key).
    health = bool(health_in_issue)
    icb_excluded = bool(settings.s57_health_body_independence)
    employer_kind = None if employer is None else employer.kind
    memo = ((on is None or type(on) is dt.date) and type(role) is PartyKind
            and (employer_kind is None or type(employer_kind) is PartyKind))
    rules, applied = (_rules_applied if memo else _rules_applied.__wrapped__)(
        role, health, icb_excluded, on)

    def why() -> str:
        return (_independent_reason if memo else _independent_reason.__wrapped__)(
            role, employer_kind, health, icb_excluded, on
        )

    if employer is not None:
        for kinds, rule in rules:
            if employer.kind in kinds:
                return role, applied, (
                    f"a {role.label} employed by {_article(employer.kind.label)} "
                    f"{employer.kind.label} is not independent",
                    rule,
                ), why
        if employer.kind in EDUCATION_PROVIDERS:
            for party in case_parties:
                if party.kind in EDUCATION_PROVIDERS and party.same_body(employer):
                    return role, applied, (
                        f"a {role.label} employed by the {employer.kind.label} in dispute is not "
                        "independent",
                        NOT_EDUCATION_PROVIDER,
                    ), why
    if not memo:
        # Only for exactly the library's values is the reason a pure function that cannot
        # raise; anything else is worked out now, as it always was, whoever asks for it.
        reason = why()

        def why() -> str:
            return reason

    return role, applied, None, why


def _assess(
    appointee: Party,
    case_parties: Iterable[Party],
    health_in_issue: bool,
    on: dt.date | None,
    settings: Settings,
) -> IndependenceAnswer:
    role, applied, refusal, why = _judge(appointee, case_parties, health_in_issue, on, settings)
    if refusal is not None:
        return IndependenceAnswer(role, False, refusal[1], refusal[0], on, applied)
    return IndependenceAnswer(role, True, _ROLE_RULES[role], why(), on, applied)


def assess_independence(
    appointee: Party,
    *,
    case_parties: Iterable[Party],
    health_in_issue: bool,
    on: dt.date,
    settings: Settings = DEFAULT_SETTINGS,
) -> IndependenceAnswer:
    """Whether ``appointee`` is independent for their role on ``on``: an answer, never an
    :class:`IndependenceError`.

    ``appointee.employer`` is the body employing the person (or, for a provider organisation,
    the body it belongs to); ``None`` means an independent organisation. Only rules in force on
    ``on`` apply (the ICB bar from 1 July 2022). Bad input is an :class:`InvalidInputError`: a
    role that is not an independent one (rule ``independence.role``), an employer of a kind that
    did not exist on ``on`` (rules ``ccg.abolished``, ``icb.established``).
    """
    return _assess(appointee, case_parties, health_in_issue, on, settings)


def check_independence(
    appointee: Party,
    *,
    case_parties: Iterable[Party],
    health_in_issue: bool,
    settings: Settings = DEFAULT_SETTINGS,
    on: dt.date | None = None,
) -> IndependenceCheck:
    """Refuse an appointee whose employer the law excludes; otherwise say which rules passed.

    The same rules as :func:`assess_independence`, with "not independent" raised as an
    :class:`IndependenceError` citing the rule. Without ``on`` every rule applies whatever its
    dates (the behaviour before dates were checked).
    """
    # As ``_assess(...).raise_if_not_independent()``, without the reason an independent
    # appointee's answer gives, which nobody here reads.
    role, applied, refusal, _ = _judge(appointee, case_parties, health_in_issue, on, settings)
    if refusal is not None:
        reason, rule = refusal
        raise IndependenceError(reason, rule_id=rule.rule_id, citation=rule.cite())
    return IndependenceCheck(role, applied)
