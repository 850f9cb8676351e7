"""Retention: how long each kind of case record is kept, as council policy data, not code.

No statute fixes a retention period for SEN disagreement-resolution or mediation records. The
figure councils and schools usually quote, *date of birth + 31 years* for SEN files and EHC plans
(an EHC plan can run to age 25; six further years cover limitation periods), is attributed to the
IRMS toolkit but was confirmed here only through secondary sources, and no schedule entry for
mediation files was found at all. So the library ships it as a **named, graded default** that a
council must confirm (or replace) before anything is purged::

    policy = RetentionPolicy(council="E08000014", rules=common_practice_rules(), confirmed=True)
    run = purge_expired(store, policy, today=date.today(), actor="dpo:1", dry_run=False)

The period counts from the child's or young person's date of birth only, never a parent's. A case
that records no such date falls back to its **closure date plus a configured period**
(:class:`ClosureFallback`; the default :data:`CLOSED_NO_DOB_PLUS_31`, graded UNCONFIRMED): 31
years, because a child is born before the case closes, so closure + 31 is never earlier than the
date of birth + 31 years the common practice asks for. With the age unknown, no shorter period
keeps that promise (closure + 6, the limitation part alone, would erase a young child's records
decades early); the cost is that such records may be kept up to 25 years longer. A case with
neither date is never due, and cases under legal hold are never candidates
(:meth:`Store.purge` refuses them).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import attrs
from attrs import field, frozen

from sen_disagreement.errors import InvalidInputError
from sen_disagreement.provenance import Provenance, S, U, cite
from sen_disagreement.store.contract import (
    CASE_KINDS,
    PurgeReport,
    RetentionTrigger,
    Store,
    check_actor,
    check_date,
)

__all__ = [
    "CLOSED_NO_DOB_PLUS_31",
    "MEDIATION_DOB_PLUS_31",
    "SEN_FILE_DOB_PLUS_31",
    "ClosureFallback",
    "RetentionPolicy",
    "RetentionRule",
    "RetentionRun",
    "add_years",
    "common_practice_rules",
    "expires_on",
    "purge_expired",
    "retention_cutoff",
]

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _bad(name: str, message: str, rule: str) -> InvalidInputError:
    return InvalidInputError(message, field=name, rule_id=f"store.retention.{rule}")


def _rule_name(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or _NAME.fullmatch(value) is None:
        raise _bad(attribute.name, "must be a lower-case snake_case name", "name")


def _rule_kind(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in CASE_KINDS:
        raise _bad(attribute.name, f"must be one of {', '.join(CASE_KINDS)}", "kind")


def _years(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 150:
        raise _bad(attribute.name, "must be a whole number of years in 1..150", "years")


def _trigger(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, RetentionTrigger):
        raise _bad(attribute.name, "must be a RetentionTrigger", "trigger")
    if value is RetentionTrigger.CLOSED_WITHOUT_DATE_OF_BIRTH:
        raise _bad(
            attribute.name,
            "counts only cases without a date of birth: give a DATE_OF_BIRTH rule a "
            "no_date_of_birth ClosureFallback instead",
            "trigger",
        )


def _provenance(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Provenance):
        raise _bad(attribute.name, "must be a Provenance", "provenance")


@frozen(kw_only=True)
class ClosureFallback:
    """Where a case records no date of birth of the child or young person: keep it ``years``
    after the case closed. A named setting of a date-of-birth :class:`RetentionRule`, with its own
    grade; a case with neither date is never due (it waits for one of them to be recorded)."""

    name: str = field(validator=_rule_name)
    years: int = field(validator=_years)
    summary: str
    provenance: Provenance = field(validator=_provenance)


def _fallback(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, ClosureFallback):
        raise _bad(attribute.name, "must be a ClosureFallback or None", "fallback")


@frozen(kw_only=True)
class RetentionRule:
    """Keep records of ``kind`` for ``years`` after the ``trigger`` date; for a date-of-birth
    rule, cases without one are kept as ``no_date_of_birth`` says."""

    name: str = field(validator=_rule_name)
    kind: str = field(validator=_rule_kind)
    trigger: RetentionTrigger = field(validator=_trigger)
    years: int = field(validator=_years)
    summary: str
    provenance: Provenance
    no_date_of_birth: ClosureFallback | None = field(default=None, validator=_fallback)
    """For a case with no date of birth: count from its closure instead (``None``: such a case is
    never due under this rule). Only a ``DATE_OF_BIRTH`` rule has one: a closure rule already
    counts every closed case."""

    def __attrs_post_init__(self) -> None:
        if self.no_date_of_birth is not None and self.trigger is not RetentionTrigger.DATE_OF_BIRTH:
            raise _bad(
                "no_date_of_birth",
                "is the fallback of a DATE_OF_BIRTH rule; a closure rule counts every closed case",
                "fallback",
            )

    @property
    def no_date_of_birth_years_after_closure(self) -> int | None:
        """The fallback period in years, or ``None`` if cases without a date of birth are never
        due under this rule."""
        return None if self.no_date_of_birth is None else self.no_date_of_birth.years


_IRMS_SECONDARY = cite(
    "IRMS Information Management Toolkit for Schools: SEN files / EHC plans kept to date of "
    "birth + 31 years, as reported by SENCO-forum replies and a SEND data-retention consultancy",
    S,
    "https://www.sencosolutions.co.uk/data-retention/",
)
_IRMS_PRIMARY_UNREAD = cite("the IRMS toolkit table itself was not read", U)

CLOSED_NO_DOB_PLUS_31 = ClosureFallback(
    name="closed_no_dob_plus_31",
    years=31,
    summary="A case recording no date of birth of the child or young person: case closure + 31 "
    "years. Birth precedes closure, so this is never shorter than date of birth + 31 would "
    "have been; with the age unknown no shorter period is (such records may be kept up to 25 "
    "years longer). Derived here, not law or a published schedule.",
    provenance=Provenance(
        [
            _IRMS_SECONDARY,
            cite("no retention schedule entry for SEN records without a date of birth found", U),
            cite(
                "closure + 31 derived here from the date of birth + 31 practice (an EHC plan can "
                "run to 25; six further years cover limitation periods)",
                U,
            ),
        ]
    ),
)

SEN_FILE_DOB_PLUS_31 = RetentionRule(
    name="sen_file_dob_plus_31",
    kind="disagreement_resolution",
    trigger=RetentionTrigger.DATE_OF_BIRTH,
    years=31,
    summary="Disagreement-resolution records kept as SEN files: date of birth + 31 years "
    "(common practice, not law; some councils keep longer, e.g. to age 45).",
    provenance=Provenance([_IRMS_SECONDARY, _IRMS_PRIMARY_UNREAD]),
    no_date_of_birth=CLOSED_NO_DOB_PLUS_31,
)
MEDIATION_DOB_PLUS_31 = RetentionRule(
    name="mediation_dob_plus_31",
    kind="mediation",
    trigger=RetentionTrigger.DATE_OF_BIRTH,
    years=31,
    summary="Mediation records: the SEN-file period applied by analogy (no retention schedule "
    "entry for SEND mediation files was found).",
    provenance=Provenance(
        [
            _IRMS_SECONDARY,
            _IRMS_PRIMARY_UNREAD,
            cite("no IRMS or council schedule entry for SEND mediation records found", U),
        ]
    ),
    no_date_of_birth=CLOSED_NO_DOB_PLUS_31,
)


def common_practice_rules() -> tuple[RetentionRule, ...]:
    """The unconfirmed common-practice defaults, one per record kind. A council reviews them and
    either confirms them (``RetentionPolicy(confirmed=True)``) or supplies its own rules."""
    return (SEN_FILE_DOB_PLUS_31, MEDIATION_DOB_PLUS_31)


def _rules(inst: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    kinds: set[str] = set()
    for i, rule in enumerate(value):
        if not isinstance(rule, RetentionRule):
            raise _bad(f"{attribute.name}[{i}]", "must be a RetentionRule", "rule")
        if rule.kind in kinds:
            raise _bad(f"{attribute.name}[{i}].kind", "has a second rule for this kind", "unique")
        kinds.add(rule.kind)


def _rule_tuple(value: Iterable[RetentionRule]) -> tuple[RetentionRule, ...]:
    return tuple(value)


def _council(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", value) is None:
        raise _bad(attribute.name, "must be a GSS code or slug", "council")


@frozen(kw_only=True)
class RetentionPolicy:
    """A council's retention rules. ``confirmed`` records that the council reviewed them: until
    then :func:`purge_expired` only reports (dry run)."""

    council: str = field(validator=_council)
    rules: tuple[RetentionRule, ...] = field(converter=_rule_tuple, validator=_rules)
    confirmed: bool = False


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved ``years`` years on; 29 February becomes 1 March in a common year (so a
    record is kept a day longer, never shorter)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def retention_cutoff(today: dt.date, years: int) -> dt.date:
    """The latest trigger date whose retention (``years``) has run out by ``today``: a record
    with trigger date ``t`` may be purged on ``today`` exactly when ``t <= retention_cutoff``
    (equivalently ``add_years(t, years) <= today``)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # today is 29 February and the earlier year is common
        return dt.date(today.year - years, 2, 28)


def expires_on(
    rule: RetentionRule, trigger_date: dt.date | None, *, closed_on: dt.date | None = None
) -> dt.date | None:
    """The first day a record may be purged, or ``None`` if it never falls due as it stands.

    ``trigger_date`` is the date the rule counts from. For a date-of-birth rule with a closure
    fallback, pass the case's ``closed_on`` too: it counts only when the date of birth is
    unknown."""
    if trigger_date is not None:
        return add_years(trigger_date, rule.years)
    fallback = rule.no_date_of_birth
    if fallback is None or closed_on is None:
        return None
    return add_years(closed_on, fallback.years)


@frozen(kw_only=True)
class RetentionRun:
    """The outcome of :func:`purge_expired`: the cases due under each rule, and what was purged
    (``None`` for a dry run)."""

    due: dict[str, tuple[str, ...]]
    """Per rule name: every case due under it (by date of birth, then by its closure fallback)."""
    purge: PurgeReport | None
    due_from_closure: dict[str, tuple[str, ...]] = field(factory=dict)
    """Per rule with a closure fallback: the cases of ``due`` that had no date of birth and fell
    due by closure date + the fallback period."""


def purge_expired(
    store: Store,
    policy: RetentionPolicy,
    *,
    today: dt.date,
    actor: str,
    dry_run: bool = True,
    limit: int = 10_000,
) -> RetentionRun:
    """List (and unless ``dry_run``, purge) the cases whose retention period has run out.

    A date-of-birth rule lists the cases whose child's or young person's date of birth is past
    its period and, with a :class:`ClosureFallback`, the closed cases that record no date of
    birth whose closure is past the fallback period. Cases under legal hold and cases with no
    date to count from are never listed. Purging needs a policy the council has confirmed.

    A run that purges (even nothing, when no case is due) also finishes any clean-up of the
    files an earlier purge could not: see :attr:`PurgeReport.pending`. A dry run changes
    nothing."""
    check_date(today, "today")
    check_actor(actor)
    if not isinstance(policy, RetentionPolicy):
        raise _bad("policy", "must be a RetentionPolicy", "policy")
    if not dry_run and not policy.confirmed:
        raise _bad(
            "policy.confirmed",
            "the council has not confirmed this retention policy; only a dry run is allowed",
            "unconfirmed",
        )

    def candidates(kind: str, trigger: RetentionTrigger, years: int) -> tuple[str, ...]:
        return tuple(
            store.retention_candidates(
                council=policy.council,
                kind=kind,
                trigger=trigger,
                on_or_before=retention_cutoff(today, years),
                limit=limit,
            )
        )

    due: dict[str, tuple[str, ...]] = {}
    from_closure: dict[str, tuple[str, ...]] = {}
    for rule in policy.rules:
        due[rule.name] = candidates(rule.kind, rule.trigger, rule.years)
        if rule.no_date_of_birth is not None:
            # The store picks only cases with no date of birth: one with a date of birth counts
            # from it alone, however long ago it closed.
            fallback = RetentionTrigger.CLOSED_WITHOUT_DATE_OF_BIRTH
            late = candidates(rule.kind, fallback, rule.no_date_of_birth.years)
            from_closure[rule.name] = late
            due[rule.name] += late
    if dry_run:
        return RetentionRun(due=due, purge=None, due_from_closure=from_closure)
    ids = [case_id for ids in due.values() for case_id in ids]
    return RetentionRun(
        due=due, purge=store.purge(ids, actor=actor), due_from_closure=from_closure
    )
