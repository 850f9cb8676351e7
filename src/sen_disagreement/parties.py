"""The parties to a disagreement, and the people and bodies around it.

A party is described by its :class:`PartyKind`. Whether a person is a *child* or a *young person*
is never typed in by hand alone: it is derived from the date of birth on the date that matters
(:func:`is_young_person`, :func:`age_status`), because the rights pass from the parent to the young
person at the end of compulsory school age (:func:`who_decides`).

A child or young person whose date of birth is not known is described with
``date_of_birth=None`` (:data:`DATE_OF_BIRTH_UNKNOWN`). Nothing is guessed from the kind alone:
every rule that depends on age answers that it needs the date of birth, either as an answer
(:class:`AgeAnswer`, :class:`WhoDecidesAnswer` with ``needs == "date_of_birth"``) or as an
:class:`~sen_disagreement.errors.InvalidInputError` whose ``field`` is ``date_of_birth`` and whose
``rule_id`` names the rule (:meth:`Party.check_on`, :func:`end_of_compulsory_school_age`,
:func:`is_young_person`, :func:`is_child`, :func:`age_on`).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import attrs
from attrs import field, frozen

from sen_disagreement._checks import check_text, typed_fields
from sen_disagreement._enum import Enum
from sen_disagreement.checks import IDENTIFIERS, INPUT, PARTY
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.provenance import ICB_START, P, Provenance, Rule, S, U, cite

__all__ = [
    "CCG_ABOLISHED",
    "DATE_OF_BIRTH_FIELD",
    "DATE_OF_BIRTH_UNKNOWN",
    "EDUCATION_PROVIDERS",
    "END_OF_COMPULSORY_SCHOOL_AGE",
    "FAMILY",
    "HEALTH_COMMISSIONING_BODIES",
    "ICB_ESTABLISHED",
    "IDENTIFIER_SHAPES",
    "INDEPENDENT_ROLES",
    "MAX_NAME_LENGTH",
    "PARENT_DEFINITION",
    "PEOPLE",
    "YOUNG_PERSON_DEFINITION",
    "AgeAnswer",
    "AgeStatus",
    "Employer",
    "Identifiers",
    "Party",
    "PartyKind",
    "WhoDecidesAnswer",
    "age_on",
    "age_status",
    "check_kind_in_force",
    "detached",
    "end_of_compulsory_school_age",
    "is_child",
    "is_young_person",
    "who_decides",
]


class PartyKind(Enum):
    """Every kind of party, body or independent role the process knows."""

    PARENT = "parent"
    CHILD = "child"
    YOUNG_PERSON = "young_person"
    LOCAL_AUTHORITY = "local_authority"
    MAINTAINED_SCHOOL_GOVERNING_BODY = "maintained_school_governing_body"
    MAINTAINED_NURSERY_SCHOOL_GOVERNING_BODY = "maintained_nursery_school_governing_body"
    EARLY_YEARS_PROVIDER = "early_years_provider"
    FURTHER_EDUCATION_INSTITUTION = "further_education_institution"
    ACADEMY_PROPRIETOR = "academy_proprietor"
    POST_16_INSTITUTION = "post_16_institution"
    SCHOOL = "school"
    INTEGRATED_CARE_BOARD = "integrated_care_board"
    NHS_ENGLAND = "nhs_england"
    CLINICAL_COMMISSIONING_GROUP = "clinical_commissioning_group"
    MEDIATION_ADVISER = "mediation_adviser"
    MEDIATOR = "mediator"
    DISAGREEMENT_RESOLUTION_PROVIDER = "disagreement_resolution_provider"

    @property
    def label(self) -> str:
        return _LABEL_OF[self]


_LABELS = {
    PartyKind.LOCAL_AUTHORITY: "local authority",
    PartyKind.NHS_ENGLAND: "NHS England",
    PartyKind.POST_16_INSTITUTION: "post-16 institution",
    PartyKind.INTEGRATED_CARE_BOARD: "integrated care board (ICB)",
    PartyKind.CLINICAL_COMMISSIONING_GROUP: "clinical commissioning group (CCG)",
}
# Every kind's label, worked out once (a label is asked for on every party a check names).
_LABEL_OF = {k: _LABELS.get(k, k.value.replace("_", " ")) for k in PartyKind}

FAMILY = frozenset({PartyKind.PARENT, PartyKind.YOUNG_PERSON})
"""Those who bring a disagreement on the family's side: a parent, or the young person."""

HEALTH_COMMISSIONING_BODIES = frozenset(
    {
        PartyKind.INTEGRATED_CARE_BOARD,
        PartyKind.NHS_ENGLAND,
        PartyKind.CLINICAL_COMMISSIONING_GROUP,
    }
)
"""The party kinds that are health commissioning bodies (each valid on its own dates)."""

EDUCATION_PROVIDERS = frozenset(
    {
        PartyKind.MAINTAINED_SCHOOL_GOVERNING_BODY,
        PartyKind.MAINTAINED_NURSERY_SCHOOL_GOVERNING_BODY,
        PartyKind.EARLY_YEARS_PROVIDER,
        PartyKind.FURTHER_EDUCATION_INSTITUTION,
        PartyKind.ACADEMY_PROPRIETOR,
        PartyKind.POST_16_INSTITUTION,
        PartyKind.SCHOOL,
    }
)
"""Bodies that make education provision; 'the education provider in dispute' is one of these."""

INDEPENDENT_ROLES = frozenset(
    {
        PartyKind.MEDIATION_ADVISER,
        PartyKind.MEDIATOR,
        PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER,
    }
)
"""Roles the law requires to be independent; they facilitate and are never a side."""

PEOPLE = frozenset({PartyKind.PARENT, PartyKind.CHILD, PartyKind.YOUNG_PERSON})
"""The party kinds that are people: a parent, a child, a young person."""

# --- Rules about who is who -------------------------------------------------------------------

PARENT_DEFINITION = Rule(
    "parent.definition",
    "A parent includes anyone with parental responsibility for the child or who has care of them.",
    Provenance(
        [
            cite("Education Act 1996 s.576", S),
            cite("application to CFA 2014 Part 3 via s.83", U),
        ]
    ),
)
"""Who is a parent: anyone with parental responsibility or who has care of the child (Education
Act 1996 s.576; its application to CFA 2014 Part 3 is unconfirmed)."""

YOUNG_PERSON_DEFINITION = Rule(
    "young_person.definition",
    "A young person is over compulsory school age and under 25; compulsory school age ends on the "
    "last Friday in June of the school year in which the person turns 16. The rights then belong "
    "to the young person.",
    Provenance(
        [
            cite("CFA 2014 s.83(2) (text not read)", U),
            cite("IPSEA: young person; end of compulsory school age", S,
                 "https://www.ipsea.org.uk/faqs/young-person"),
        ]
    ),
)
"""A young person is over compulsory school age and under 25 (CFA 2014 s.83(2), not read)."""

CCG_ABOLISHED = Rule(
    "ccg.abolished",
    "Clinical commissioning groups were abolished on 1 July 2022; integrated care boards took over "
    "their functions and the NHS Commissioning Board became NHS England.",
    Provenance(
        [
            cite("Health and Care Act 2022; SI 2022/634 (in force 1 July 2022)", P),
            cite("CFA 2014 s.56(3) as amended names integrated care boards and NHS England", P),
        ],
        valid_to=ICB_START,
    ),
)
"""Clinical commissioning groups were abolished on 1 July 2022 (Health and Care Act 2022)."""

ICB_ESTABLISHED = Rule(
    "icb.established",
    "Integrated care boards exist from 1 July 2022.",
    Provenance([cite("Health and Care Act 2022; SI 2022/634", P)], valid_from=ICB_START),
)
"""Integrated care boards exist from 1 July 2022."""

_DATED_KINDS = {
    PartyKind.CLINICAL_COMMISSIONING_GROUP: CCG_ABOLISHED,
    PartyKind.INTEGRATED_CARE_BOARD: ICB_ESTABLISHED,
}


def check_kind_in_force(kind: PartyKind, on: dt.date, *, field: str = "kind") -> None:
    """Refuse a body that did not exist on ``on`` (a CCG from 1 July 2022; an ICB before it)."""
    rule = _DATED_KINDS.get(kind)
    if rule is None or rule.provenance.applies_on(on):
        return
    from sen_disagreement.errors import LegacyBodyError

    if kind is PartyKind.CLINICAL_COMMISSIONING_GROUP:
        msg = (
            f"clinical commissioning groups were abolished on 1 July 2022 (date given: {on}); "
            "use 'integrated_care_board' (integrated care boards took over their functions) "
            "or 'nhs_england'"
        )
    else:
        msg = (
            f"integrated care boards exist only from 1 July 2022 (date given: {on}); "
            "before then the body was a 'clinical_commissioning_group'"
        )
    raise LegacyBodyError(msg, field=field, rule_id=rule.rule_id, citation=rule.cite())


# --- Age --------------------------------------------------------------------------------------

_IPSEA_YOUNG_PERSON = "https://www.ipsea.org.uk/faqs/young-person"

END_OF_COMPULSORY_SCHOOL_AGE = Rule(
    "compulsory_school_age.end",
    "Compulsory school age ends on the last Friday in June of the school year (1 September to "
    "31 August) in which the person turns 16.",
    Provenance(
        [
            cite("CFA 2014 s.83(2) per IPSEA 'young person' (end of compulsory school age)", S,
                 _IPSEA_YOUNG_PERSON),
            cite("Education Act 1996 s.8(3) (school leaving date) as quoted by edyourself "
                 "'compulsory school age'", S,
                 "https://edyourself.wordpress.com/2015/03/05/compulsory-school-age/"),
        ]
    ),
)
"""Compulsory school age ends on the last Friday in June of the school year in which the person
turns 16."""

DATE_OF_BIRTH_UNKNOWN: None = None
"""What ``date_of_birth`` is for a child or young person whose date of birth is not known."""

DATE_OF_BIRTH_FIELD = "date_of_birth"
"""The field every age-dependent rule names when it needs the date of birth."""


def _needs_date_of_birth(rule: Rule, question: str) -> InvalidInputError:
    return InvalidInputError(
        f"unknown: {question} needs the date of birth, which is not given",
        field=DATE_OF_BIRTH_FIELD,
        rule_id=rule.rule_id,
        citation=rule.cite(),
    )


def _known(date_of_birth: dt.date | None, rule: Rule, question: str) -> dt.date:
    if date_of_birth is None:
        raise _needs_date_of_birth(rule, question)
    return date_of_birth


def end_of_compulsory_school_age(date_of_birth: dt.date | None) -> dt.date:
    """The last Friday in June of the school year (1 Sept-31 Aug) in which the person turns 16
    (rule ``compulsory_school_age.end``). An unknown date of birth is an
    :class:`InvalidInputError` naming ``date_of_birth`` and the rule."""
    born = _known(date_of_birth, END_OF_COMPULSORY_SCHOOL_AGE, "the end of compulsory school age")
    sixteenth_year = born.year + 16
    # A birthday from September onwards falls in the school year that ends the next summer.
    june_year = sixteenth_year + 1 if born.month >= 9 else sixteenth_year
    last = dt.date(june_year, 6, 30)
    return last - dt.timedelta(days=(last.weekday() - 4) % 7)


def age_on(date_of_birth: dt.date | None, day: dt.date) -> int:
    """Whole years of age on ``day`` (someone born on 29 February turns a year older on 1 March
    in common years). An unknown date of birth is an :class:`InvalidInputError` naming
    ``date_of_birth`` and rule ``young_person.definition`` (the under-25 limit)."""
    born = _known(date_of_birth, YOUNG_PERSON_DEFINITION, "the person's age")
    years = day.year - born.year
    if (day.month, day.day) < (born.month, born.day):
        years -= 1
    return years


def is_young_person(date_of_birth: dt.date | None, day: dt.date) -> bool:
    """Over compulsory school age and under 25 on ``day`` (rule ``young_person.definition``).
    An unknown date of birth is an :class:`InvalidInputError`, never a guess."""
    born = _known(date_of_birth, YOUNG_PERSON_DEFINITION, "whether this is a young person")
    return day > end_of_compulsory_school_age(born) and age_on(born, day) < 25


def is_child(date_of_birth: dt.date | None, day: dt.date) -> bool:
    """Not over compulsory school age on ``day`` (and born by then). An unknown date of birth is
    an :class:`InvalidInputError` naming rule ``compulsory_school_age.end``."""
    born = _known(date_of_birth, END_OF_COMPULSORY_SCHOOL_AGE, "whether this is a child")
    return born <= day <= end_of_compulsory_school_age(born)


class AgeStatus(Enum):
    """What a person is on a given day, for CFA 2014 Part 3."""

    CHILD = "child"
    """Not over compulsory school age: the parent brings the disagreement and decides."""
    YOUNG_PERSON = "young_person"
    """Over compulsory school age and under 25: the rights are the young person's own."""
    AGED_25_OR_OVER = "aged_25_or_over"
    """Neither a child nor a young person."""
    DATE_OF_BIRTH_NEEDED = "date_of_birth_needed"
    """The date of birth is not known, so none of the above can be said."""


@frozen
class AgeAnswer:
    """Which :class:`AgeStatus` a person has on ``judged_on``, the rule that decided it and why.

    ``needs`` is ``"date_of_birth"`` when the answer is :attr:`AgeStatus.DATE_OF_BIRTH_NEEDED`,
    else ``None``. ``reason`` never states the date of birth, the age or the end of compulsory
    school age (the child's personal data): it names the rule only."""

    status: AgeStatus
    rule: Rule
    reason: str
    judged_on: dt.date
    needs: str | None = None

    @property
    def known(self) -> bool:
        return self.needs is None


def _check_not_future(date_of_birth: dt.date, day: dt.date) -> None:
    if date_of_birth > day:
        raise InvalidInputError(
            f"date of birth is after the date of the disagreement ({day})",
            field=DATE_OF_BIRTH_FIELD,
            rule_id=PARTY["date_of_birth.future"],
        )


def age_status(date_of_birth: dt.date | None, on: dt.date) -> AgeAnswer:
    """Child, young person, 25 or over, or "the date of birth is needed" on ``on``.

    Never raises for an unknown date of birth (that is the
    :attr:`AgeStatus.DATE_OF_BIRTH_NEEDED` answer); a date of birth after ``on`` is an
    :class:`InvalidInputError` (rule ``party.date_of_birth.future``)."""
    if date_of_birth is None:
        return AgeAnswer(
            AgeStatus.DATE_OF_BIRTH_NEEDED,
            YOUNG_PERSON_DEFINITION,
            "unknown: whether this is a child or a young person (over compulsory school age and "
            "under 25) needs the date of birth, which is not given",
            on,
            needs=DATE_OF_BIRTH_FIELD,
        )
    _check_not_future(date_of_birth, on)
    if on <= end_of_compulsory_school_age(date_of_birth):
        return AgeAnswer(
            AgeStatus.CHILD,
            END_OF_COMPULSORY_SCHOOL_AGE,
            "not over compulsory school age on this date: a child",
            on,
        )
    if age_on(date_of_birth, on) >= 25:
        return AgeAnswer(
            AgeStatus.AGED_25_OR_OVER,
            YOUNG_PERSON_DEFINITION,
            "aged 25 or over on this date; a young person is under 25",
            on,
        )
    return AgeAnswer(
        AgeStatus.YOUNG_PERSON,
        YOUNG_PERSON_DEFINITION,
        "over compulsory school age and under 25 on this date: a young person",
        on,
    )


@frozen
class WhoDecidesAnswer:
    """Who takes the decisions for the family side on ``judged_on``: the parent (for a child) or
    the young person. ``decides`` is ``None`` when the date of birth is needed (``needs`` is then
    ``"date_of_birth"``) or when the person is 25 or over (no CFA Part 3 rights remain)."""

    decides: PartyKind | None
    rule: Rule
    reason: str
    judged_on: dt.date
    age: AgeAnswer
    needs: str | None = None


def who_decides(date_of_birth: dt.date | None, on: dt.date) -> WhoDecidesAnswer:
    """Whether the parent or the young person decides, from the date of birth on ``on``.

    A young person who lacks capacity still holds the rights; a parent may act for them (rule
    ``young_person.decides``), which this answer does not decide. An unknown date of birth is
    answered, not guessed: ``decides`` is ``None`` and ``needs`` is ``"date_of_birth"``."""
    from sen_disagreement.voluntary import YOUNG_PERSON_DECIDES

    age = age_status(date_of_birth, on)
    if age.status is AgeStatus.DATE_OF_BIRTH_NEEDED:
        return WhoDecidesAnswer(
            None,
            YOUNG_PERSON_DEFINITION,
            "unknown: whether the parent or the young person decides needs the date of birth, "
            "which is not given",
            on,
            age,
            needs=DATE_OF_BIRTH_FIELD,
        )
    if age.status is AgeStatus.CHILD:
        return WhoDecidesAnswer(
            PartyKind.PARENT,
            YOUNG_PERSON_DEFINITION,
            "a child: the parent decides until compulsory school age ends",
            on,
            age,
        )
    if age.status is AgeStatus.YOUNG_PERSON:
        return WhoDecidesAnswer(
            PartyKind.YOUNG_PERSON,
            YOUNG_PERSON_DECIDES,
            "a young person decides for themselves (a parent acts only for a young person who "
            "lacks capacity)",
            on,
            age,
        )
    return WhoDecidesAnswer(
        None,
        YOUNG_PERSON_DEFINITION,
        "aged 25 or over: neither the parent nor the person has rights as a young person",
        on,
        age,
    )


# --- Identifiers ------------------------------------------------------------------------------

IDENTIFIER_SHAPES: dict[str, tuple[re.Pattern[str], str, frozenset[PartyKind]]] = {
    # ONS GSS codes for English unitary, district, metropolitan, London borough and county areas.
    "gss_code": (
        re.compile(r"E(06|07|08|09|10)[0-9]{6}"),
        "a GSS code such as E08000014 (E06-E10 followed by six digits)",
        frozenset({PartyKind.LOCAL_AUTHORITY}),
    ),
    # DfE three-digit local-authority number (Sefton is 343).
    "la_number": (
        re.compile(r"[0-9]{3}"),
        "a three-digit DfE local-authority number such as 343",
        frozenset({PartyKind.LOCAL_AUTHORITY}),
    ),
    # DfE Unique Reference Number of a school or setting: six digits.
    "urn": (
        re.compile(r"[0-9]{6}"),
        "a six-digit URN",
        EDUCATION_PROVIDERS,
    ),
    # UK Provider Reference Number: eight digits beginning with 1.
    "ukprn": (
        re.compile(r"1[0-9]{7}"),
        "an eight-digit UKPRN beginning with 1",
        EDUCATION_PROVIDERS,
    ),
    # NHS ODS organisation code: ICBs (and former CCGs' successors) are Q plus two characters;
    # CCGs had three-character codes such as 01T; NHS England's is X24.
    "ods_code": (
        re.compile(r"[A-Z0-9]{3}"),
        "a three-character NHS ODS code such as QYG",
        HEALTH_COMMISSIONING_BODIES,
    ),
}
"""Each kind of organisation identifier: its pattern, how it is described in an error, and the
party kinds that may carry it."""

MAX_NAME_LENGTH = 200
"""Longest party name, in characters."""


def _check_name(instance: object, attribute: object, value: str | None) -> None:
    if value is not None and (len(value) > MAX_NAME_LENGTH or not value.strip()):
        raise InvalidInputError(
            f"must be 1-{MAX_NAME_LENGTH} characters",
            field="name",
            rule_id=INPUT["name_length"],
        )
    if value is not None:
        check_text(value, field="name", multiline=False)


@frozen(kw_only=True, field_transformer=typed_fields)
class Identifiers:
    """Optional identifiers councils use; each is checked for shape and for the kind of party."""

    gss_code: str | None = None
    la_number: str | None = None
    urn: str | None = None
    ukprn: str | None = None
    ods_code: str | None = None

    def check(self, kind: PartyKind) -> None:
        if (self.gss_code is None and self.la_number is None and self.urn is None
                and self.ukprn is None and self.ods_code is None):
            return  # nothing to check: most parties (every person) carry no identifier
        for name, (pattern, shape, kinds) in IDENTIFIER_SHAPES.items():
            value = getattr(self, name)
            if value is None:
                continue
            if kind not in kinds:
                raise InvalidInputError(
                    f"a {kind.label} does not have a {name}",
                    field=f"identifiers.{name}",
                    rule_id=IDENTIFIERS[f"{name}.kind"],
                )
            if not pattern.fullmatch(value):
                raise InvalidInputError(
                    f"must be {shape}",
                    field=f"identifiers.{name}",
                    rule_id=IDENTIFIERS[f"{name}.shape"],
                )


def _identifiers(_inst: object, _attr: object, value: Any) -> None:
    if not isinstance(value, Identifiers):
        raise InvalidInputError("must be an Identifiers", field="identifiers",
                                rule_id=INPUT["type"])


def _employer(_inst: object, _attr: object, value: Any) -> None:
    if value is not None and not isinstance(value, Employer):
        raise InvalidInputError("must be an Employer, or absent", field="employer",
                                rule_id=INPUT["type"])


@frozen(kw_only=True, field_transformer=typed_fields)
class Employer:
    """Who employs an independent role-holder: what the independence rules need to know."""

    kind: PartyKind
    name: str | None = field(default=None, validator=_check_name)
    identifiers: Identifiers = field(default=Identifiers(), validator=_identifiers)

    def __attrs_post_init__(self) -> None:
        self.identifiers.check(self.kind)


@frozen(kw_only=True, field_transformer=typed_fields)
class Party:
    """A person or body taking part in, or facilitating, a disagreement.

    ``date_of_birth`` decides whether a person is a child or a young person; ``None``
    (:data:`DATE_OF_BIRTH_UNKNOWN`) means it is not known. A young person may be described
    without one, but :meth:`check_on` then refuses to confirm them as a young person and every
    age rule answers that it needs the date of birth. ``employer`` is used for the independent
    roles.
    """

    kind: PartyKind
    name: str | None = field(default=None, validator=_check_name)
    date_of_birth: dt.date | None = None
    identifiers: Identifiers = field(default=Identifiers(), validator=_identifiers)
    employer: Employer | None = field(default=None, validator=_employer)
    acting_for_young_person_lacking_capacity: bool = False

    def __attrs_post_init__(self) -> None:
        self.identifiers.check(self.kind)
        if self.date_of_birth is not None and self.kind not in PEOPLE:
            raise InvalidInputError(
                f"a {self.kind.label} has no date of birth",
                field="date_of_birth",
                rule_id=PARTY["date_of_birth.kind"],
            )
        if self.employer is not None and self.kind not in INDEPENDENT_ROLES:
            raise InvalidInputError(
                "only a mediation adviser, mediator or disagreement-resolution provider "
                "records an employer",
                field="employer",
                rule_id=PARTY["employer.kind"],
            )
        if self.acting_for_young_person_lacking_capacity and self.kind is not PartyKind.PARENT:
            raise InvalidInputError(
                "only a parent (or other representative) can act for a young person who lacks "
                "capacity",
                field="acting_for_young_person_lacking_capacity",
                rule_id=PARTY["representative.kind"],
            )

    def same_body(self, other: Party | Employer) -> bool:
        """Whether ``other`` is this very body: same kind, and same identifier or name."""
        if other.kind is not self.kind:
            return False
        mine, theirs = self.identifiers, other.identifiers
        for name in IDENTIFIER_SHAPES:
            a, b = getattr(mine, name), getattr(theirs, name)
            if a is not None and b is not None:
                return bool(a == b)
        if self.name and other.name:
            return self.name.casefold().strip() == other.name.casefold().strip()
        # Nothing to tell them apart: treat as the same body, the cautious answer.
        return True

    def age_status(self, on: dt.date) -> AgeAnswer:
        """The person's :class:`AgeAnswer` on ``on`` (``DATE_OF_BIRTH_NEEDED`` when the date of
        birth is unknown). Only a parent, child or young person has one."""
        if self.kind not in PEOPLE:
            raise InvalidInputError(
                f"a {self.kind.label} has no age",
                field="kind",
                rule_id=PARTY["date_of_birth.kind"],
            )
        return age_status(self.date_of_birth, on)

    def check_on(self, day: dt.date) -> None:
        """Checks that depend on the date: dated body kinds and the young person's age.

        A young person whose date of birth is unknown cannot be confirmed as one: the check
        refuses, naming ``date_of_birth`` and rule ``young_person.definition`` (it never takes
        the kind on trust). A child's or parent's unknown date of birth is accepted."""
        check_kind_in_force(self.kind, day)
        if self.kind is PartyKind.YOUNG_PERSON and self.date_of_birth is None:
            raise _needs_date_of_birth(
                YOUNG_PERSON_DEFINITION, "whether this is a young person on this date"
            )
        if self.date_of_birth is None:
            return
        _check_not_future(self.date_of_birth, day)
        if self.kind is PartyKind.YOUNG_PERSON and not is_young_person(self.date_of_birth, day):
            # Name the rule that failed, never a value derived from the date of birth (age,
            # birthday, end of compulsory school age): those are the child's personal data.
            if age_on(self.date_of_birth, day) >= 25:
                failed = "aged 25 or over; a young person is under 25"
            else:
                failed = "still of compulsory school age; the parent is the party until it ends"
            raise InvalidInputError(
                "is not a young person on this date: over compulsory school age and under 25 "
                f"is required ({failed})",
                field="date_of_birth",
                rule_id=YOUNG_PERSON_DEFINITION.rule_id,
                citation=YOUNG_PERSON_DEFINITION.cite(),
            )


# --- A party as the library's own objects ------------------------------------------------------


def detached(party: Party, *, field: str = "party") -> Party:
    """``party`` as objects of exactly the library's classes, each field read once, sharing no
    employer or identifiers object with the one given: what an independence check judges is then
    what a case stores, whatever the given objects answer later (a subclass answering one way
    to the rules and another to the store, or an object a host holds and rewrites). A party of
    exactly the library's class with no employer and no identifiers (the class's own empty
    ones, shared by every such party) has nothing to detach and is returned as is."""
    if not isinstance(party, Party):
        raise InvalidInputError("must be a Party", field=field, rule_id="input.type")
    ids, employer = party.identifiers, party.employer
    if type(party) is Party and employer is None and ids is _NO_IDENTIFIERS:
        return party
    return Party(
        kind=party.kind,
        name=party.name,
        date_of_birth=party.date_of_birth,
        identifiers=_detached_ids(ids),
        employer=None if employer is None else Employer(
            kind=employer.kind, name=employer.name,
            identifiers=_detached_ids(employer.identifiers)),
        acting_for_young_person_lacking_capacity=party.acting_for_young_person_lacking_capacity,
    )


_NO_IDENTIFIERS = attrs.fields(Party).identifiers.default
"""The identifiers a party is built with when none are given: one instance, the class's own."""


def _detached_ids(ids: Identifiers) -> Identifiers:
    return Identifiers(gss_code=ids.gss_code, la_number=ids.la_number, urn=ids.urn,
                       ukprn=ids.ukprn, ods_code=ids.ods_code)
