"""Where each rule comes from, how sure we are of it, and when it applies.

Every statutory rule, timescale and exemption in this library carries a :class:`Provenance`:
the provisions it rests on (:class:`Citation`), each graded as the project's statutory
reference grades them, and the dates between which the rule applies.

Grades:

* ``P`` (:attr:`Grade.PRIMARY`): the primary text (legislation.gov.uk or a judgment) was read.
* ``S`` (:attr:`Grade.SECONDARY`): read only on a secondary source (IPSEA, IASS, a council page)
  that states or quotes it.
* ``UNCONFIRMED``: not confirmed from any page read. Such points are never encoded as settled law;
  they are settings (:class:`sen_disagreement.settings.Settings`) with a documented default.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from attrs import field, frozen

from sen_disagreement._enum import Enum

if TYPE_CHECKING:
    from sen_disagreement.citations import Instrument, ParsedCitation

__all__ = [
    "ICB_START",
    "SEND_REGS_START",
    "Check",
    "Citation",
    "Grade",
    "Provenance",
    "Rule",
    "cite",
    "registered",
    "registry",
]


class Grade(Enum):
    """How well a rule's source was confirmed."""

    PRIMARY = "P"
    SECONDARY = "S"
    UNCONFIRMED = "UNCONFIRMED"

    @property
    def label(self) -> str:
        """Bracketed label used in text output, e.g. ``[P]``."""
        return f"[{self.value}]"


def _weakest(grades: tuple[Grade, ...]) -> Grade:
    order = (Grade.UNCONFIRMED, Grade.SECONDARY, Grade.PRIMARY)
    return next(g for g in order if g in grades)


@frozen
class Citation:
    """One source for a rule: the provision, how it was read, and where."""

    text: str
    grade: Grade
    url: str | None = None

    def __str__(self) -> str:
        return f"{self.text} {self.grade.label}"

    @property
    def parsed(self) -> ParsedCitation:
        """The instrument and canonical provisions the text names
        (:func:`sen_disagreement.citations.parse`)."""
        from sen_disagreement.citations import parse

        return parse(self.text)

    @property
    def instrument(self) -> Instrument | None:
        """The Act, regulations, rules or guidance cited (``None`` for a secondary source)."""
        return self.parsed.instrument

    @property
    def provisions(self) -> tuple[str, ...]:
        """Canonical provisions cited: ``s.57(4)``, ``reg 34(1)``, ``r.12(3)(a)``..."""
        return self.parsed.provisions


def _citations(value: Iterable[Citation]) -> tuple[Citation, ...]:
    return tuple(value)


@frozen
class Provenance:
    """The citations behind a rule and the dates between which it applies.

    ``valid_to`` is exclusive: a rule with ``valid_to=2022-07-01`` applies up to 30 June 2022.
    """

    citations: tuple[Citation, ...] = field(converter=_citations)
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    def __attrs_post_init__(self) -> None:
        if not self.citations:
            msg = "a rule needs at least one citation"
            raise ValueError(msg)
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            msg = "valid_to must be after valid_from"
            raise ValueError(msg)

    @property
    def grade(self) -> Grade:
        """The weakest grade among the citations: a rule is only as sure as its least sure part."""
        return _weakest(tuple(c.grade for c in self.citations))

    def applies_on(self, day: dt.date) -> bool:
        """Whether the rule is in force on ``day``."""
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_to is not None and day >= self.valid_to)

    def cite(self) -> str:
        """All citations joined for display."""
        return "; ".join(str(c) for c in self.citations)


def _caller_location() -> str | None:
    # Rule() -> attrs __init__ -> __attrs_post_init__ -> _register -> here: the frame that
    # built the rule is four up. Recorded so `sen-disagreement rules` can say where it lives.
    frame = sys._getframe(4)
    module = frame.f_globals.get("__name__", "?")
    return f"{module}:{frame.f_lineno}"


_REGISTRY: dict[str, Rule | Check] = {}


def _register(rule: Rule | Check) -> None:
    if rule.location is None:
        object.__setattr__(rule, "location", _caller_location())
    existing = _REGISTRY.get(rule.rule_id)
    if existing is None or (isinstance(existing, Check) and isinstance(rule, Rule)):
        # A rule of law outranks the library check listed under the same id.
        _REGISTRY[rule.rule_id] = rule
    elif isinstance(existing, Rule) and isinstance(rule, Check):
        return
    elif existing != rule:
        msg = f"rule id {rule.rule_id!r} is already registered with other content"
        raise ValueError(msg)


def registered(rule_id: str) -> Rule | Check | None:
    """The rule or check registered under ``rule_id`` (``None`` if its module was never
    imported or no such rule exists; :func:`sen_disagreement.rules.get` imports them all)."""
    return _REGISTRY.get(rule_id)


def registry() -> dict[str, Rule | Check]:
    """Every rule and check registered so far, by id (a copy)."""
    return dict(_REGISTRY)


@frozen
class Rule:
    """A named, cited legal rule. ``rule_id`` is stable: tests, docs and errors refer to it.

    Every rule registers itself when built (an id may not be reused for other content), so
    :mod:`sen_disagreement.rules` can list each one with its citations, code and tests."""

    rule_id: str
    summary: str
    provenance: Provenance
    location: str | None = field(default=None, eq=False, kw_only=True)
    """``module:line`` where the rule is defined (filled in when built)."""

    def __attrs_post_init__(self) -> None:
        _register(self)

    @property
    def grade(self) -> Grade:
        return self.provenance.grade

    def cite(self) -> str:
        return self.provenance.cite()


@frozen
class Check:
    """One of the library's own checks (the shape of an input, a stored row, who may act): not
    a rule of law, so it has no citation. Registered beside the rules so every ``rule_id`` an
    error carries names something a reader can look up."""

    rule_id: str
    summary: str
    location: str | None = field(default=None, eq=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        _register(self)

    def cite(self) -> str:
        return "sen-disagreement check (not a rule of law)"


def cite(text: str, grade: Grade, url: str | None = None) -> Citation:
    """Short constructor used by the rule tables."""
    return Citation(text=text, grade=grade, url=url)


P = Grade.PRIMARY
S = Grade.SECONDARY
U = Grade.UNCONFIRMED

# Dates that change which rules apply.
ICB_START = dt.date(2022, 7, 1)
"""Clinical commissioning groups were abolished and integrated care boards took over on this day
(Health and Care Act 2022; SI 2022/634)."""

SEND_REGS_START = dt.date(2014, 9, 1)
"""Children and Families Act 2014 Part 3 and the SEND Regulations 2014 came into force."""
