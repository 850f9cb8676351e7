"""Named settings for every point the statutory reference could not confirm.

Where the law is UNCONFIRMED (or sources conflict), the library never hides a constant in code:
it exposes a setting here, with a documented default, the alternatives, and the grade of the
source behind the default. A council overrides a setting by building its own :class:`Settings`::

    >>> from sen_disagreement.settings import Settings, MeetingDeadline
    >>> Settings(arrange_mediation_deadline=MeetingDeadline.ARRANGED).arrange_mediation_deadline
    <MeetingDeadline.ARRANGED: 'arranged'>

One setting is not a reading of the law but a council's judgement, graded as such:
``reminder_days``, how many working days before a deadline the daily sweep reminds the casework
team.

:func:`describe` lists every setting with its default and provenance (the CLI and docs use it).
"""

from __future__ import annotations

import enum
from typing import Any

import attrs
from attrs import field, frozen

from sen_disagreement._enum import Enum
from sen_disagreement.provenance import P, Provenance, S, U, cite

__all__ = [
    "DEFAULT_SETTINGS",
    "MAX_REMINDER_DAYS",
    "CoronavirusMediation",
    "DayUnit",
    "ExceptionEffect",
    "MeetingDeadline",
    "SettingInfo",
    "Settings",
    "TribunalNonWorkingDays",
    "WorkingDays",
    "describe",
]


class WorkingDays(Enum):
    """What a "working day" means for the SEND Regulations' 3-working-day clocks."""

    ENGLAND_WALES_BANK_HOLIDAYS = "england_wales_bank_holidays"
    """Monday to Friday, excluding England & Wales bank holidays, substitute days and one-off
    holidays (the usual statutory formula, e.g. FOIA s.10(6))."""


class TribunalNonWorkingDays(Enum):
    """How SEN appeal deadlines treat 25 December-1 January and August."""

    ROLL_FORWARD = "roll_forward"
    """A deadline that lands on 25 Dec-1 Jan or in August moves to the next working day after that
    period (IPSEA's description; the safer encoding)."""
    NONE = "none"
    """Only weekends and bank holidays roll a deadline forward."""


class DayUnit(Enum):
    """Whether a period set in days counts calendar days or working days (a setting where the
    sources disagree on the unit)."""

    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"


class ExceptionEffect(Enum):
    """What a lawful exception (e.g. SEND Regs reg 10(4)) does to an EHC time limit."""

    EXTEND = "extend"
    """The clock stops while the exception lasts: the deadline moves later by the number of days
    the exception period overlaps the running clock."""
    DISAPPLY = "disapply"
    """The time limit no longer applies at all (the LA must still act as soon as practicable)."""


class MeetingDeadline(Enum):
    """Whether the 30-day mediation duty is to *hold* the meeting or only to *arrange* it."""

    HELD = "held"
    """The meeting must take place within 30 days (Sefton, Essex SENDIASS; providers' practice)."""
    ARRANGED = "arranged"
    """A date must be fixed within 30 days; the meeting may be later (Hertfordshire, SOS!SEN)."""


class CoronavirusMediation(Enum):
    """Which mediation time limits (SEND Regs 2014 regs 33-42) the SI 2020/471 coronavirus
    exception relaxed from 1 May to 25 September 2020 (the list in reg 2A is UNCONFIRMED)."""

    NONE = "none"
    """None: every mediation time limit stood throughout 2020 (the cautious reading: no body is
    excused on an unconfirmed reading)."""
    BODIES = "bodies"
    """The duties of the bodies: the mediation adviser's certificates, the LA's notice to the
    ICB, arranging mediation within 30 days and the reg 42 follow-up duties (including the
    reg 44 limits that reg 42(2) applies). Not the parent's or young person's reg 33 contact."""
    ALL = "all"
    """As ``bodies``, and also the parent's or young person's 2-month reg 33 contact with the
    mediation adviser."""


def _setting(
    default: Any, summary: str, provenance: Provenance, alternatives: str,
    validator: Any = None,
) -> Any:
    return field(
        default=default,
        validator=validator,
        metadata={"summary": summary, "provenance": provenance, "alternatives": alternatives},
    )


MAX_REMINDER_DAYS = 60
"""The longest reminder period a council may set (working days)."""


def _reminder_days(_inst: object, _attr: object, value: object) -> None:
    if type(value) is not int or not 0 <= value <= MAX_REMINDER_DAYS:
        from sen_disagreement.errors import InvalidInputError

        raise InvalidInputError(f"must be an integer in 0..{MAX_REMINDER_DAYS}",
                                field="reminder_days", rule_id="input.range")


_IPSEA = "https://www.ipsea.org.uk/the-mediation-process"
_DFE_CORONAVIRUS = (
    "https://gov.uk/government/publications/changes-to-the-law-on-education-health-and-care-needs-"
    "assessments-and-plans-due-to-coronavirus/annex-a-details-of-the-amendments-to-the-existing-"
    "regulations"
)


@frozen(kw_only=True)
class Settings:
    """Every configurable reading of an unconfirmed or conflicting point of law."""

    working_days: WorkingDays = _setting(
        WorkingDays.ENGLAND_WALES_BANK_HOLIDAYS,
        "Meaning of 'working day' in the SEND Regulations 2014 (not defined in reg 2(1)).",
        Provenance(
            [
                cite("SEND Regs 2014 reg 2(1): no definition of working day", P),
                cite("Mon-Fri excluding bank holidays: usual statutory formula (FOIA s.10(6))", U),
            ]
        ),
        "only one definition is implemented; a council needing another supplies a calendar",
    )
    tribunal_non_working_days: TribunalNonWorkingDays = _setting(
        TribunalNonWorkingDays.ROLL_FORWARD,
        "An SEN appeal time that ends on 25 Dec-1 Jan or in August is in time on the first working "
        "day after 1 January or 31 August (only when the time itself ends in the window; a time "
        "ending on a weekend just before it moves to the next working day only).",
        Provenance(
            [
                cite("HESC Rules 2008 r.12(2), r.12(3)(a) (verbatim reproduction)", S,
                     "https://www.mentalhealthlaw.co.uk/Text:Tribunal_rule_12"),
                cite("IPSEA: deadlines in August / Christmas move forward", S),
            ]
        ),
        "none: only weekends and bank holidays move a deadline",
    )
    arrange_mediation_unit: DayUnit = _setting(
        DayUnit.CALENDAR_DAYS,
        "Unit of the 30-day duty to arrange mediation.",
        Provenance([cite("IPSEA; Sefton '30 calendar days'", S, _IPSEA)]),
        "working_days (one parent-group page, health-only mediation; probably wrong)",
    )
    arrange_mediation_deadline: MeetingDeadline = _setting(
        MeetingDeadline.HELD,
        "Whether the 30-day duty requires the mediation to be held, or only arranged, in time.",
        Provenance(
            [
                cite("Sefton 'Arranging Mediation'; Essex SENDIASS: held within 30 days", S),
                cite("regulation wording (believed regs 35-37) not read", U),
            ]
        ),
        "arranged: a date fixed within 30 days is enough (Hertfordshire, SOS!SEN)",
    )
    deemed_certificate_unit: DayUnit = _setting(
        DayUnit.WORKING_DAYS,
        "Unit of the 3-day period for a certificate when mediation is not arranged in time.",
        Provenance(
            [
                cite("IPSEA: 3 working days", S, _IPSEA),
                cite("regulation number (believed reg 37) not read", U),
            ]
        ),
        "calendar_days (Sefton's page says 'within three days')",
    )
    s57_health_body_independence: bool = _setting(
        True,
        "Employees of an ICB or NHS England are not independent for disagreement resolution "
        "(CFA s.57 names CCGs and the NHS Commissioning Board; their successors are assumed).",
        Provenance(
            [
                cite("CFA 2014 Explanatory Notes para 275", P),
                cite("ICB / NHS England substitution in s.57", U),
            ]
        ),
        "False: only the LA and the education provider in dispute are excluded",
    )
    mediation_date_notice: bool = _setting(
        True,
        "The arranging body tells the parent/young person the mediation date and place at least "
        "5 working days beforehand unless they agree to less.",
        Provenance(
            [
                cite("SEND CoP ch.11 as quoted in Kumar [2020] EWHC 3326 (Admin)", P),
                cite("whether a regulation imposes it", U),
            ]
        ),
        "False: no notice period is checked",
    )
    lawful_exception_effect: ExceptionEffect = _setting(
        ExceptionEffect.EXTEND,
        "Effect of a lawful exception (SEND Regs reg 5(4), 10(4), 13(3), 27(3), 44(3); the SI "
        "2020/471 coronavirus exception) on the time limit it relieves: the clock is treated as "
        "stopped for the exception's duration.",
        Provenance(
            [
                cite("SEND Regs reg 10(4)(a)-(c), 27(3): limit need not be met if impractical", P),
                cite("extension by the exception's duration (tracking convention)", U),
            ]
        ),
        "disapply: the time limit is lifted entirely while any exception is recorded",
    )
    reg_44_3_unconfirmed_limbs: bool = _setting(
        False,
        "Whether the Tribunal-order clocks (SEND Regs 2014 reg 44(2), and mediation agreements "
        "through reg 42(2)) also recognise the reg 44(3) circumstances the reference could not "
        "confirm: exceptional personal circumstances, and the school/post-16 and early years "
        "closure windows (worded as reg 10(4)(a)-(c)). The 2-week absence from the LA's area "
        "[S] is always recognised.",
        Provenance(
            [
                cite("SEND Regs 2014 reg 44(3): exceptions for listed circumstances exist; "
                     "absence from the area for 2 weeks or more (HMCTS SEND18 guidance)", S),
                cite("SEND Regs 2014 reg 44(3): wording of the other limbs not read", U),
            ]
        ),
        "true: the unconfirmed limbs also relieve the reg 44(2) limits (graded UNCONFIRMED)",
    )
    coronavirus_other_send_regs_clocks: bool = _setting(
        True,
        "Whether the SI 2020/471 coronavirus exception (1 May-25 Sep 2020) also covers the "
        "SEND Regs timescales DfE guidance does not name one by one: reg 4(1), 5(1), 10(1), "
        "27(2) and the Tribunal-order limits of reg 44(2). The 20-week plan limit (reg 13(2)) "
        "and the advice duty (reg 8(1)) are named [S].",
        Provenance(
            [
                cite("SI 2020/471 reg 2A: 'principally for various processes relating to EHC "
                     "needs assessments and plans' (DfE guidance, Annex A)", S,
                     _DFE_CORONAVIRUS),
                cite("SI 2020/471 reg 2A: which of these regulations are listed", U),
            ]
        ),
        "false: only the named reg 8(1) and reg 13(2) clocks recognise the coronavirus exception",
    )
    coronavirus_mediation_clocks: CoronavirusMediation = _setting(
        CoronavirusMediation.NONE,
        "Which mediation time limits (regs 33-42, including the reg 44 limits reg 42(2) applies "
        "to agreements) the SI 2020/471 coronavirus exception covered, 1 May-25 Sep 2020. "
        "Default: none (the cautious reading). It never covered the Tribunal appeal limits.",
        Provenance(
            [
                cite("SI 2020/471 reg 2A: did not change the Tribunal appeal time limits "
                     "(DfE guidance)", S, _DFE_CORONAVIRUS),
                cite("SI 2020/471 reg 2A: which mediation regulations are listed", U),
            ]
        ),
        "bodies: the duties of the adviser, LA and commissioning bodies (regs 34-42); all: "
        "also the reg 33 contact by the parent or young person",
    )
    reminder_days: int = _setting(
        5,
        "How many working days before each running duty and each appeal deadline the daily "
        "sweep queues the casework team's reminder (0: on the day it falls due only). Not a "
        "point of law: when to remind officers is the council's judgement.",
        Provenance([cite("reminding officers a number of working days before a deadline "
                         "(a judgement of this library; 5 working days is its default)", U)]),
        f"any whole number of working days from 0 to {MAX_REMINDER_DAYS}; "
        "`sweep --remind-days N` overrides it for one run",
        validator=_reminder_days,
    )


@frozen
class SettingInfo:
    """One setting as :func:`describe` reports it: its name, what it decides, its current value,
    the alternatives, and the provenance of the default."""

    name: str
    summary: str
    default: str
    alternatives: str
    provenance: Provenance


def _plain(value: object) -> str:
    return str(value.value) if isinstance(value, enum.Enum) else str(value)


def describe(settings: Settings | None = None) -> list[SettingInfo]:
    """Every setting with its (current) value, alternatives and provenance."""
    current = settings or Settings()
    return [
        SettingInfo(
            name=a.name,
            summary=a.metadata["summary"],
            default=_plain(getattr(current, a.name)),
            alternatives=a.metadata["alternatives"],
            provenance=a.metadata["provenance"],
        )
        for a in attrs.fields(Settings)
    ]


DEFAULT_SETTINGS = Settings()
"""The settings with every documented default."""
