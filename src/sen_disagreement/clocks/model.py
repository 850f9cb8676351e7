"""The types of the statutory clocks: what a clock is, what starts it, who must act, and what a
computed deadline and a clock's status look like."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs
from attrs import field, frozen

from sen_disagreement._enum import Enum
from sen_disagreement.provenance import SEND_REGS_START, Grade, Provenance, Rule, S, cite
from sen_disagreement.settings import Settings

__all__ = [
    "ORDER_CONDITIONS",
    "ORDER_LIMBS",
    "ORDER_LIMBS_RULE_ID",
    "Actor",
    "AppealDeadline",
    "AppliedException",
    "Circumstances",
    "ClockDefinition",
    "ClockException",
    "ClockKind",
    "ClockState",
    "Condition",
    "Counting",
    "Deadline",
    "ExceptionEffect",
    "ExceptionKind",
    "ExceptionPeriod",
    "FixedDateDeadline",
    "MediationIssues",
    "OrderKind",
    "Roll",
    "Status",
    "TransferKind",
    "Unit",
]


class Unit(Enum):
    """Unit of a clock's length. Weeks and months are calendar weeks and months."""

    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"
    WEEKS = "weeks"
    MONTHS = "months"


class Actor(Enum):
    """Who must act before a clock runs out (the ``who_must_act`` values of the reference)."""

    PARENT_OR_YOUNG_PERSON = "parent_or_young_person"
    MEDIATION_ADVISER = "mediation_adviser"
    LOCAL_AUTHORITY = "local_authority"
    RESPONSIBLE_COMMISSIONING_BODY = "responsible_commissioning_body"
    ARRANGING_BODY = "arranging_body"
    LOCAL_AUTHORITY_OR_RESPONSIBLE_COMMISSIONING_BODY = (
        "local_authority_or_responsible_commissioning_body"
    )
    LOCAL_AUTHORITY_OR_ICB = "local_authority_or_icb"
    ADVICE_GIVERS = "advice_givers"
    PERSON_ARRANGING_REVIEW = "person_arranging_review"
    COMPLAINANT = "complainant"
    CLAIMANT = "claimant"

    @property
    def label(self) -> str:
        """Readable form for tables: ``local authority or ICB``."""
        return self.value.replace("_", " ").replace("icb", "ICB")


class Counting(Enum):
    """How the words of a provision count a period from its trigger day (law.md, "Corrections").

    Each value names the statutory words; the arithmetic is in
    :func:`sen_disagreement.clocks.period_end`."""

    WITHIN_AFTER = "within N after"
    """"within 2 months after" / "within 3 working days of": the trigger day is day 0, so N
    months after 15 April ends on 15 June (the corresponding date)."""
    NOT_LATER_THAN = "not later than N after"
    """"not later than N after": the same arithmetic as ``WITHIN_AFTER``."""
    STARTING_WITH = "starting with / beginning with"
    """"the period of N ... starting with (beginning with) the day ...": the trigger day is day 1.
    N days/weeks end N days/weeks later less one day; N months end on the day before the
    corresponding date N months later, or on the last day of that month when it has no
    corresponding date (12 months starting with 15 Apr 2025 end on 14 Apr 2026; 6 months
    starting with 31 Aug 2025 end on 28 Feb 2026; 12 months starting with 29 Feb 2024 end on
    28 Feb 2025)."""
    BEFORE = "before"
    """"at least N before" / "N before the transfer": counted backwards from the trigger day
    (the named day is day 0)."""


class ClockKind(Enum):
    """Whether the end of the period is a deadline to act, or the end of a minimum period the
    other side must allow before it proceeds (reg 13(1)(a), reg 22(2)(c))."""

    DEADLINE = "deadline"
    MINIMUM_PERIOD = "minimum_period"


class Roll(Enum):
    """What happens when the end of the period is not a working day."""

    NONE = "none"
    """Nothing: the date stands (EHC and mediation clocks; no rule moves them)."""
    TRIBUNAL = "tribunal"
    """HESC Rules r.12 (rule ``calendar.tribunal_roll_forward``, :func:`calendar.hesc_rule_12`):
    the first working day after 1 January / 31 August if the period ends in 25 Dec-1 Jan or
    August, else the next working day if it ends on a non-working day."""
    WINDOW_BEFORE_2020_07_21 = "r12_3a_before_2020_07_21"
    """HESC Rules r.12(3)(a) alone, as it applied to disability discrimination claims until
    20 July 2020 (rule ``hesc_r12_3.dd_claims_before_21_july_2020``): a time that ends from 25
    December to 1 January inclusive, or in August, on a day before 21 July 2020, is in time on
    the first working day after 1 January / 31 August. A time ending on or after 21 July 2020
    stands (rule ``hesc_r12_3.dd_claims_outside_from_21_july_2020``), and no time is moved to
    the next working day: r.12(2) is not applied to these claims
    (:func:`sen_disagreement.clocks.compute.dd_claim_rule_12_3`)."""


class Condition(Enum):
    """A fact of the case that decides whether a clock applies at all.

    An unknown fact (``None`` in :class:`Circumstances`) never hides a clock: the deadline is
    reported with the condition spelt out so the reader can judge."""

    CERTIFICATE_REQUIRED = "a mediation certificate is needed to appeal (not section I only)"
    HEALTH_ISSUES = "the mediation issues include health care provision"
    EDUCATION_SOCIAL_CARE_ONLY = "the mediation issues are education and/or social care only"
    HEALTH_ONLY = "the mediation issues are health care only"
    MIXED_ISSUES = "the mediation issues are health care plus education and/or social care"
    LA_NOT_PARTY = "the LA was not a party to the mediation agreement"
    ORDER_ASSESS = "the order (or agreement) is to assess or re-assess"
    ORDER_MAKE_PLAN = "the order (or agreement) is to make and maintain a plan"
    ORDER_CEASE_UPHELD = "an appeal against ceasing to maintain the plan was dismissed"
    ORDER_RECONSIDER = "the order (or agreement) is to reconsider a decision"
    ORDER_AMEND_PLAN = "the order (or agreement) is to amend the needs or provision in the plan"
    ORDER_AMEND_PLACEMENT = "the order (or agreement) is to amend the school or institution named"
    ORDER_CONTINUE = "the order (or agreement) is to continue to maintain the plan"
    TRANSFER_GENERAL = "a phase transfer other than secondary school to post-16"
    TRANSFER_SECONDARY_TO_POST16 = "a transfer from secondary school to a post-16 institution"
    TRANSFER_POST16_OTHER_TIME = "a post-16 to post-16 transfer at another time of year"
    MEDIATION_DATE_NOTICE = "setting mediation_date_notice is on"


class MediationIssues(Enum):
    """What the mediation is about (decides who arranges it and which 30-day clock runs)."""

    EDUCATION_SOCIAL_CARE = "education_social_care"
    HEALTH_ONLY = "health_only"
    MIXED = "mixed"


class OrderKind(Enum):
    """The kind of Tribunal order, or of appealable matter agreed at mediation (reg 44(2)).

    An order can have several limbs (continue to maintain the plan *and* amend it): give them
    all in :attr:`Circumstances.order_kinds` and every limb's clock runs."""

    ASSESS = "assess"
    MAKE_PLAN = "make_plan"
    CEASE_UPHELD = "cease_upheld"
    # The limbs below have no confirmed reg 44 text: their clocks are graded UNCONFIRMED.
    RECONSIDER = "reconsider"
    AMEND_PLAN = "amend_plan"
    AMEND_PLACEMENT = "amend_placement"
    CONTINUE_TO_MAINTAIN = "continue_to_maintain"


ORDER_CONDITIONS: dict[OrderKind, Condition] = {
    OrderKind.ASSESS: Condition.ORDER_ASSESS,
    OrderKind.MAKE_PLAN: Condition.ORDER_MAKE_PLAN,
    OrderKind.CEASE_UPHELD: Condition.ORDER_CEASE_UPHELD,
    OrderKind.RECONSIDER: Condition.ORDER_RECONSIDER,
    OrderKind.AMEND_PLAN: Condition.ORDER_AMEND_PLAN,
    OrderKind.AMEND_PLACEMENT: Condition.ORDER_AMEND_PLACEMENT,
    OrderKind.CONTINUE_TO_MAINTAIN: Condition.ORDER_CONTINUE,
}
"""The condition each kind of order (limb) satisfies: the reg 44 clocks it starts."""

ORDER_LIMBS = Rule(
    "reg44_2.order_limbs",
    "A Tribunal order (or a mediation agreement, reg 42(2)) can have several limbs, e.g. "
    "continue to maintain the plan and amend it: the LA meets each limb's reg 44(2) limit "
    "(continue at once, amend within 5 weeks). An order dismissing an appeal against ceasing "
    "to maintain has no other limb.",
    Provenance(
        [
            cite(
                "SEND Regs 2014 reg 44(2): a limit for each kind of order: change the plan "
                "within 5 weeks, change the school named within 2 weeks, continue to maintain "
                "with immediate effect (HMCTS SEND18 guidance)",
                S,
            )
        ],
        valid_from=SEND_REGS_START,
    ),
)
"""Each limb of a Tribunal order (or of a mediation agreement, reg 42(2)) has its own reg 44(2)
time limit, met separately."""
ORDER_LIMBS_RULE_ID = ORDER_LIMBS.rule_id
"""Rule id of the check on an order with several limbs (:attr:`Circumstances.order_kinds`)."""


class TransferKind(Enum):
    """The kind of transfer between phases of education (reg 18)."""

    GENERAL = "general"
    SECONDARY_TO_POST16 = "secondary_to_post16"
    POST16_OTHER_TIME = "post16_other_time"


class ExceptionKind(Enum):
    """A lawful exception that relieves a clock."""

    INSTITUTION_CLOSURE = "institution_closure"
    """Advice asked of a school or post-16 head/principal in the window from one week before a
    closure of at least 4 weeks to one week before it reopens."""
    EARLY_YEARS_CLOSURE = "early_years_closure"
    """The same window for a provider of relevant early years education."""
    EXCEPTIONAL_PERSONAL_CIRCUMSTANCES = "exceptional_personal_circumstances"
    """Exceptional personal circumstances of the child, parent or young person."""
    ABSENCE_FROM_AREA = "absence_from_area"
    """The child, parent or young person is away from the LA's area for a continuous period:
    at least 4 weeks for reg 5(4)/10(4)(d) [S], at least 2 weeks for the Tribunal-order limits
    of reg 44(3) [S] (a shorter recorded absence is refused for those clocks)."""
    MISSED_APPOINTMENT = "missed_appointment"
    """An examination or test appointment for the advice was missed."""
    WRITTEN_ALTERNATIVE_TIMESCALE = "written_alternative_timescale"
    """The parties to a mediation agreement agreed a different timescale in writing."""
    CORONAVIRUS = "coronavirus"
    """Meeting the limit was impractical for a reason relating to the incidence or
    transmission of coronavirus (SI 2020/471 reg 2A): available only from 1 May to 25 September
    2020 inclusive, on the SEND Regs timescales it covered, never on the Tribunal appeal
    limits."""


class ExceptionEffect(Enum):
    """How an exception acts on a clock."""

    BY_SETTING = "by_setting"
    """As setting ``lawful_exception_effect`` says (extend by its duration, or disapply)."""
    DISAPPLY = "disapply"
    """The period does not apply (reg 42(5))."""


def _has_setting(name: str) -> None:
    if name not in attrs.fields_dict(Settings):
        msg = f"unknown setting {name!r}"
        raise ValueError(msg)


def _check_setting(_inst: object, _attr: object, value: str | None) -> None:
    if value is not None:
        _has_setting(value)


@frozen
class ClockException:
    """A lawful exception recognised for one clock, with the provision that creates it.

    ``provenance`` dates it: an exception exists only on the days its provenance applies (the
    SI 2020/471 coronavirus exception: 1 May to 25 September 2020). ``setting`` names the
    :class:`~sen_disagreement.settings.Settings` field that decides an UNCONFIRMED exception;
    it is recognised only while that field has one of ``setting_values``. ``min_days`` is the
    continuous period the provision requires (reg 44(3): an absence of 2 weeks or more).
    ``rule_id`` names the rule in errors and tests.
    """

    kind: ExceptionKind
    provenance: Provenance
    effect: ExceptionEffect = ExceptionEffect.BY_SETTING
    rule_id: str | None = None
    setting: str | None = field(default=None, validator=_check_setting)
    setting_values: tuple[object, ...] = (True,)
    min_days: int | None = None

    @property
    def grade(self) -> Grade:
        return self.provenance.grade

    def cite(self) -> str:
        return self.provenance.cite()

    def enabled(self, settings: Settings) -> bool:
        """Whether ``settings`` recognise this exception (always, unless it has a setting)."""
        return self.setting is None or getattr(settings, self.setting) in self.setting_values

    def available_between(self, first: dt.date, last: dt.date) -> bool:
        """Whether the exception existed on some day from ``first`` to ``last`` inclusive."""
        p = self.provenance
        if p.valid_to is not None and first >= p.valid_to:
            return False
        return not (p.valid_from is not None and last < p.valid_from)


def _check_settings(_inst: object, _attr: object, value: tuple[str, ...]) -> None:
    for name in value:
        _has_setting(name)


@frozen
class ClockDefinition:
    """One statutory clock: a period of ``length`` ``unit`` that starts on a trigger event.

    ``triggers`` are event names; if several are given the latest one present starts the clock
    (e.g. "receipt of the request, or the LA becoming responsible"). ``settings`` names the
    :class:`~sen_disagreement.settings.Settings` fields whose (UNCONFIRMED) readings this clock
    uses; their provenance is part of the clock's story (see ``docs/explanation``).
    """

    id: str
    description: str
    length: int | None
    unit: Unit
    triggers: tuple[str, ...]
    starts_from: str
    who_must_act: Actor
    provenance: Provenance
    counting: Counting = Counting.WITHIN_AFTER
    kind: ClockKind = ClockKind.DEADLINE
    roll: Roll = Roll.NONE
    conditions: tuple[Condition, ...] = ()
    exceptions: tuple[ClockException, ...] = ()
    completed_by: tuple[str, ...] = ()
    delegates_to: tuple[str, ...] = ()
    settings: tuple[str, ...] = field(default=(), validator=_check_settings)

    def __attrs_post_init__(self) -> None:
        if not self.triggers:
            msg = f"{self.id}: a clock needs a trigger event"
            raise ValueError(msg)
        if (self.length is None) != bool(self.delegates_to):
            msg = f"{self.id}: only a clock that delegates to others has no length"
            raise ValueError(msg)

    @property
    def grade(self) -> Grade:
        return self.provenance.grade

    def cite(self) -> str:
        return self.provenance.cite()

    @property
    def counts_backwards(self) -> bool:
        """The period runs back from the trigger day (``counting`` is ``BEFORE``)."""
        return self.counting is Counting.BEFORE

    @property
    def counts_trigger_day(self) -> bool:
        """The trigger day is day 1 (``counting`` is ``STARTING_WITH``)."""
        return self.counting is Counting.STARTING_WITH

    @property
    def trigger(self) -> str:
        """The main trigger event name."""
        return self.triggers[0]


@frozen
class FixedDateDeadline:
    """A deadline on a fixed day of the year (reg 18(1)): it depends only on the year of the
    trigger event, not on how long ago it happened."""

    id: str
    description: str
    month: int
    day: int
    before: bool
    """True when the act must be done *before* the named day, so the last day in time is the day
    before it."""
    trigger: str
    who_must_act: Actor
    provenance: Provenance
    conditions: tuple[Condition, ...] = ()

    @property
    def grade(self) -> Grade:
        return self.provenance.grade

    def cite(self) -> str:
        return self.provenance.cite()

    def due_in(self, year: int) -> dt.date:
        named = dt.date(year, self.month, self.day)
        return named - dt.timedelta(days=1) if self.before else named


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _check_evidence(_inst: object, _attr: object, value: str | None) -> None:
    if value is not None:
        from sen_disagreement._checks import check_id

        check_id(value, "exceptions.evidence")


@frozen
class ExceptionPeriod:
    """An explicit input: a lawful exception in force from ``start`` to ``end`` inclusive
    (``end=None``: still in force). ``clock_ids`` limits it to some clocks (default: every clock
    that recognises this kind of exception). ``evidence`` is the id of the recorded item that
    shows the circumstance (never free text)."""

    kind: ExceptionKind
    start: dt.date
    end: dt.date | None = None
    clock_ids: tuple[str, ...] = field(default=(), converter=_strings)
    evidence: str | None = field(default=None, validator=_check_evidence)

    def __attrs_post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            from sen_disagreement.errors import InvalidInputError

            raise InvalidInputError(
                "an exception period cannot end before it starts",
                field="exceptions.end",
                rule_id="clocks.exception_period",
            )

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    @property
    def days(self) -> int | None:
        """Length in days, both ends counted (None while it has no end)."""
        return None if self.end is None else (self.end - self.start).days + 1


@frozen
class AppliedException:
    """A recorded exception period as one clock applied it, with the provision that allowed it.

    ``period`` is the period as applied: a dated exception is cut to the days it existed (the
    coronavirus exception ends on 25 September 2020 at the latest)."""

    period: ExceptionPeriod
    exception: ClockException

    @property
    def kind(self) -> ExceptionKind:
        return self.exception.kind


def _periods(value: Iterable[ExceptionPeriod]) -> tuple[ExceptionPeriod, ...]:
    return tuple(value)


def _order_kinds(value: OrderKind | Iterable[OrderKind]) -> tuple[OrderKind, ...]:
    from sen_disagreement.errors import InvalidInputError

    items = (value,) if isinstance(value, OrderKind) else tuple(value)
    if not all(isinstance(k, OrderKind) for k in items):
        raise InvalidInputError(
            "must be order kinds (OrderKind)", field="order_kinds", rule_id=ORDER_LIMBS_RULE_ID
        )
    return tuple(dict.fromkeys(items))


@frozen(kw_only=True)
class Circumstances:
    """Facts of the case that decide which clocks apply, and lawful exceptions in force.

    ``None`` means "not known": the clocks that depend on it are still reported, each with its
    condition spelt out."""

    certificate_required: bool = True
    """False for an appeal only about the school or institution named in section I (or that
    none is named): no mediation certificate is needed (CFA s.55 per IPSEA [S])."""
    mediation_issues: MediationIssues | None = None
    la_party_to_agreement: bool | None = None
    order_kind: OrderKind | None = None
    """The kind of order (or agreed appealable matter), when it has one limb."""
    transfer_kind: TransferKind | None = None
    exceptions: tuple[ExceptionPeriod, ...] = field(default=(), converter=_periods)
    order_kinds: tuple[OrderKind, ...] = field(default=(), converter=_order_kinds)
    """Every limb of an order with several (e.g. continue to maintain the plan and amend it):
    each limb's reg 44 clocks run. Combined with ``order_kind`` when both are given."""

    def __attrs_post_init__(self) -> None:
        single: object = self.order_kind
        if single is not None and not isinstance(single, OrderKind):
            from sen_disagreement.errors import InvalidInputError

            raise InvalidInputError(
                "must be an order kind (OrderKind)", field="order_kind",
                rule_id=ORDER_LIMBS_RULE_ID,
            )
        kinds = self.orders
        if OrderKind.CEASE_UPHELD in kinds and len(kinds) > 1:
            from sen_disagreement.errors import InvalidInputError

            raise InvalidInputError(
                "an order dismissing an appeal against ceasing to maintain the plan has no other "
                "limb (the plan ceases)",
                field="order_kinds",
                rule_id=ORDER_LIMBS_RULE_ID,
            )

    @property
    def orders(self) -> tuple[OrderKind, ...]:
        """Every limb of the order: ``order_kind`` then ``order_kinds``, without repeats."""
        first = () if self.order_kind is None else (self.order_kind,)
        return tuple(dict.fromkeys(first + self.order_kinds))


class Status(Enum):
    """Where a clock stands on a given day."""

    NOT_STARTED = "not_started"
    RUNNING = "running"
    DUE_SOON = "due_soon"
    MET = "met"
    MISSED = "missed"
    PAUSED = "paused"
    DISAPPLIED = "disapplied"


@frozen
class Deadline:
    """A computed deadline.

    ``due`` is the last day on which the act is in time (for a minimum period: the last day of
    the period). It is ``None`` when the clock is paused by an open-ended exception or disapplied
    (see ``note``). ``unadjusted`` is the date before any roll-forward or exception extension.
    ``via`` names the clock this one was reached through (``agreement_appealable_matters``).
    """

    clock_id: str
    description: str
    due: dt.date | None
    who_must_act: Actor
    trigger: str
    trigger_date: dt.date
    provenance: Provenance
    kind: ClockKind = ClockKind.DEADLINE
    unadjusted: dt.date | None = None
    via: str | None = None
    conditions: tuple[Condition, ...] = ()
    provisional: bool = False
    disapplied: bool = False
    note: str | None = None
    exceptions: tuple[AppliedException, ...] = ()
    """The recorded lawful exceptions this clock applied, each with its provision."""
    available_exceptions: tuple[ClockException, ...] = ()
    """The lawful exceptions the clock recognised on some day of its period (trigger day to
    unextended due date) under the settings used: a 2020 clock lists the coronavirus exception
    when its period overlapped 1 May-25 September 2020."""

    @property
    def grade(self) -> Grade:
        return self.provenance.grade

    def cite(self) -> str:
        return self.provenance.cite()

    def exception_available(self, kind: ExceptionKind) -> bool:
        """Whether an exception of ``kind`` was available to this clock."""
        return any(e.kind is kind for e in self.available_exceptions)


@frozen
class ClockState:
    """A clock's status on ``as_of``, with its deadline when it has one."""

    clock_id: str
    status: Status
    as_of: dt.date
    deadline: Deadline | None = None
    completed_on: dt.date | None = None
    working_days_left: int | None = None

    @property
    def exceptions(self) -> tuple[AppliedException, ...]:
        """The recorded exceptions the clock applied (see :attr:`Deadline.exceptions`)."""
        return () if self.deadline is None else self.deadline.exceptions

    @property
    def available_exceptions(self) -> tuple[ClockException, ...]:
        """The exceptions available to the clock (see :attr:`Deadline.available_exceptions`)."""
        return () if self.deadline is None else self.deadline.available_exceptions

    def exception_available(self, kind: ExceptionKind) -> bool:
        """Whether an exception of ``kind`` was available to this clock."""
        return any(e.kind is kind for e in self.available_exceptions)


@frozen
class AppealDeadline:
    """The SEN appeal deadline under HESC Rules r.20(1)(c).

    ``due`` is the later of ``from_decision`` (notice + 2 months) and ``from_certificate``
    (certificate + 1 month), moved by HESC Rules r.12 (``rolled_from`` is the unmoved date).
    ``provisional`` is True
    when a certificate is required but not yet issued: a later certificate can move ``due``.
    """

    due: dt.date
    from_decision: dt.date
    from_certificate: dt.date | None
    governing_clock_id: str
    certificate_required: bool
    provisional: bool
    rolled_from: dt.date
    provenance: Provenance
