"""Every statutory clock of the project's statutory reference, keyed by the reference's ids.

Forty clocks and two fixed-date deadlines. Each keeps the id the reference uses, so councils,
docs and other modules can name them. Grades follow the reference: ``P`` where the primary text
was read, ``S`` where only a secondary source states it. Points the reference flags UNCONFIRMED are
not hidden in these tables: they are :class:`~sen_disagreement.settings.Settings` fields, named
in each clock's ``settings``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sen_disagreement.clocks._order import ORDER_CLOCK_IDS as _ORDER_CLOCK_IDS
from sen_disagreement.clocks.model import (
    ORDER_CONDITIONS,
    Actor,
    ClockDefinition,
    ClockException,
    ClockKind,
    Condition,
    Counting,
    ExceptionEffect,
    ExceptionKind,
    FixedDateDeadline,
    OrderKind,
    Roll,
    Unit,
)
from sen_disagreement.provenance import (
    SEND_REGS_START,
    Citation,
    P,
    Provenance,
    Rule,
    S,
    U,
    cite,
)
from sen_disagreement.settings import CoronavirusMediation

__all__ = [
    "CLOCKS",
    "CORONAVIRUS_EXCEPTION",
    "CORONAVIRUS_EXCEPTION_END",
    "CORONAVIRUS_EXCEPTION_START",
    "EVENTS",
    "FIXED_DATE_DEADLINES",
    "ORDER_KIND_CLOCKS",
    "REG_42_2_EXCEPTIONS",
    "REG_44_3_ABSENCE",
    "REG_44_3_EARLY_YEARS_CLOSURE",
    "REG_44_3_INSTITUTION_CLOSURE",
    "REG_44_3_PERSONAL",
    "TRIBUNAL_RECOMMENDATIONS_START",
]

_REGS = "https://www.legislation.gov.uk/uksi/2014/1530"
_MEDIATION_REGS = f"{_REGS}/part/2/crossheading/mediation/made"
_REG_5 = f"{_REGS}/regulation/5/data.htm"
_IPSEA_PROCESS = "https://www.ipsea.org.uk/the-mediation-process"
_SEFTON_ARRANGING = (
    "http://www.seftondirectory.com/kb5/sefton/directory/site.page?id=05SE0eCpP_s&localofferchannel=1"
)
_HESC_R12 = "https://www.mentalhealthlaw.co.uk/Text:Tribunal_rule_12"
_HESC_R20 = "https://www.legislation.gov.uk/uksi/2008/2699/article/20/data.html"
_REG_42 = "https://legislation.gov.uk/uksi/2014/1530/regulation/42/2014-09-01/data.htm?view=plain"
_REG_44 = "https://sendfamilymagic.mykajabi.com/blog/appeal-guidance"
_REG_27 = "http://www.legislation.gov.uk/uksi/2014/1530/regulation/27/made?view=plain"
_IPSEA_LETTER_10 = (
    "https://www.ipsea.org.uk/complaining-when-a-local-authority-does-not-send-a-draft-or-final-"
    "education-health-and-care-plan-on-time-model-letter-10"
)
_REG_18 = "https://legislation.gov.uk/uksi/2014/1530/part/2/crossheading/reviews-and-reassessments"
_REG_22 = "https://legislation.gov.uk/cy/uksi/2014/1530/regulation/22/2020-05-01?view=plain+extent"

_DFE_CORONAVIRUS = (
    "https://gov.uk/government/publications/changes-to-the-law-on-education-health-and-care-needs-"
    "assessments-and-plans-due-to-coronavirus/education-health-and-care-needs-assessments-and-"
    "plans-guidance-on-temporary-legislative-changes-relating-to-coronavirus-covid-19"
)
_DFE_CORONAVIRUS_ANNEX_A = (
    "https://gov.uk/government/publications/changes-to-the-law-on-education-health-and-care-needs-"
    "assessments-and-plans-due-to-coronavirus/annex-a-details-of-the-amendments-to-the-existing-"
    "regulations"
)

CORONAVIRUS_EXCEPTION_START = dt.date(2020, 5, 1)
"""First day of the SI 2020/471 coronavirus exception."""
CORONAVIRUS_EXCEPTION_END = dt.date(2020, 9, 26)
"""The day the SI 2020/471 coronavirus exception ended (exclusive, as ``Provenance.valid_to``):
the last day it was available is 25 September 2020."""

_REG_44_3_ABSENCE_CITE = cite(
    "SEND Regs 2014 reg 44(3): the LA need not meet the reg 44(2) limits where impractical "
    "because the child, parent or young person is absent from its area for a continuous "
    "period of 2 weeks or more (HMCTS SEND18 guidance)",
    S,
)
_REG_44_3_UNCONFIRMED = "(limb not confirmed; the reg 44(3) wording was not read)"

REG_44_3_ABSENCE = Rule(
    "reg44_3.absence_from_area",
    "The LA need not meet the time limits of reg 44(2) (Tribunal orders; mediation agreements "
    "through reg 42(2)) where it is impractical because the child, parent or young person is "
    "absent from its area for a continuous period of 2 weeks or more.",
    Provenance([_REG_44_3_ABSENCE_CITE], valid_from=SEND_REGS_START),
)
"""SEND Regs 2014 reg 44(3): the reg 44(2) limits need not be met where impractical because the
child, parent or young person is absent from the area."""
REG_44_3_PERSONAL = Rule(
    "reg44_3.exceptional_personal_circumstances",
    "UNCONFIRMED reg 44(3) limb (setting reg_44_3_unconfirmed_limbs): exceptional personal "
    "circumstances of the child, parent or young person.",
    Provenance(
        [cite(f"SEND Regs 2014 reg 44(3): exceptional personal circumstances "
              f"{_REG_44_3_UNCONFIRMED}", U)],
        valid_from=SEND_REGS_START,
    ),
)
"""An unconfirmed reg 44(3) limb: exceptional personal circumstances of the child, parent or
young person (setting ``reg_44_3_unconfirmed_limbs``)."""
REG_44_3_INSTITUTION_CLOSURE = Rule(
    "reg44_3.institution_closure",
    "UNCONFIRMED reg 44(3) limb (setting reg_44_3_unconfirmed_limbs): the school or post-16 "
    "institution closure window, worded as reg 10(4)(a).",
    Provenance(
        [cite(f"SEND Regs 2014 reg 44(3): school/post-16 closure window "
              f"{_REG_44_3_UNCONFIRMED}", U)],
        valid_from=SEND_REGS_START,
    ),
)
"""An unconfirmed reg 44(3) limb, worded as reg 10(4)(a): the school or post-16 institution
closure window (setting ``reg_44_3_unconfirmed_limbs``)."""
REG_44_3_EARLY_YEARS_CLOSURE = Rule(
    "reg44_3.early_years_closure",
    "UNCONFIRMED reg 44(3) limb (setting reg_44_3_unconfirmed_limbs): the early years provider "
    "closure window, worded as reg 10(4)(b).",
    Provenance(
        [cite(f"SEND Regs 2014 reg 44(3): early years provider closure window "
              f"{_REG_44_3_UNCONFIRMED}", U)],
        valid_from=SEND_REGS_START,
    ),
)
"""An unconfirmed reg 44(3) limb, worded as reg 10(4)(b): the early years provider closure
window (setting ``reg_44_3_unconfirmed_limbs``)."""
CORONAVIRUS_EXCEPTION = Rule(
    "si2020_471.coronavirus_exception",
    "From 1 May to 25 September 2020 inclusive, a time limit of the SEND Regs timescales SI "
    "2020/471 listed need not be met where that was impractical for a reason relating to the "
    "incidence or transmission of coronavirus. The Tribunal appeal limits were not changed.",
    Provenance(
        [
            cite(
                "SI 2020/471 reg 2A (inserted into SEND Regs 2014 from 1 May to 25 September "
                "2020): coronavirus reason added to the 'impractical' exceptions of the listed "
                "timescales; Tribunal appeal limits unchanged (DfE guidance)",
                S,
                _DFE_CORONAVIRUS,
            )
        ],
        valid_from=CORONAVIRUS_EXCEPTION_START,
        valid_to=CORONAVIRUS_EXCEPTION_END,
    ),
)
"""SI 2020/471: from 1 May to 25 September 2020, a coronavirus reason was added to the
'impractical' exceptions of the listed SEND Regs timescales (never the Tribunal appeal limits)."""

DD_CLAIMS_OUTSIDE_R12_3_FROM = dt.date(2020, 7, 21)
"""The day disability discrimination claims were taken out of HESC Rules r.12(3), the
Christmas/August rule [S]: a claim whose time ends before it may move, one whose time ends on or
after it does not."""
_HESC_R12_3_HISTORY = (
    "HESC Rules 2008 r.12(3)(a) (verbatim reproduction with revision history): 'a special "
    "educational needs case or a disability discrimination in schools case' until 20 July 2020;"
    " disability discrimination claims taken out of r.12(3) from 21 July 2020"
)
HESC_R12_3_DD_BEFORE_2020 = Rule(
    "hesc_r12_3.dd_claims_before_21_july_2020",
    "Until 20 July 2020 HESC r.12(3)(a) applied to disability discrimination claims as to SEN "
    "appeals: a claim whose time ended from 25 December to 1 January inclusive, or on any day "
    "in August, was in time on the first working day after 1 January or 31 August. The day the "
    "time ends decides (the rule in force then; no transitional provision was read).",
    Provenance([cite(_HESC_R12_3_HISTORY, S, _HESC_R12)], valid_to=DD_CLAIMS_OUTSIDE_R12_3_FROM),
)
"""HESC Rules r.12(3)(a) for disability discrimination claims whose time ended before 21 July
2020: the Christmas/August rule moved them as it moves SEN appeals."""
HESC_R12_3_DD_FROM_2020 = Rule(
    "hesc_r12_3.dd_claims_outside_from_21_july_2020",
    "From 21 July 2020 disability discrimination claims are outside HESC r.12(3): a claim whose "
    "time ends from 25 December to 1 January or in August is not moved. (r.12(2), the next "
    "working day, is not applied to these claims either, before or after.)",
    Provenance([cite(_HESC_R12_3_HISTORY, S, _HESC_R12)],
               valid_from=DD_CLAIMS_OUTSIDE_R12_3_FROM),
)
"""From 21 July 2020 HESC Rules r.12(3) does not apply to disability discrimination claims."""

TRIBUNAL_RECOMMENDATIONS_START = dt.date(2018, 4, 3)
"""The Tribunal's health and social care recommendation power began (national trial under
SI 2017/1306, confirmed as continuing in July 2021) [S]."""


def _prov(
    citations: Iterable[Citation], valid_from: dt.date | None = SEND_REGS_START
) -> Provenance:
    return Provenance(tuple(citations), valid_from=valid_from)


# Lawful exceptions ------------------------------------------------------------------------------


def _reg_10_4_exceptions(provision: str) -> tuple[ClockException, ...]:
    """The four exceptions of SEND Regs reg 10(4)(a)-(d), as applied by ``provision``."""
    return (
        ClockException(
            ExceptionKind.INSTITUTION_CLOSURE,
            _prov([cite(
                    f"SEND Regs 2014 {provision}: reg 10(4)(a) school/post-16 closure window",
                    P,
                    _REG_27,
                )]),
        ),
        ClockException(
            ExceptionKind.EARLY_YEARS_CLOSURE,
            _prov([cite(
                    f"SEND Regs 2014 {provision}: reg 10(4)(b) early years provider closure",
                    P,
                    _REG_27,
                )]),
        ),
        ClockException(
            ExceptionKind.EXCEPTIONAL_PERSONAL_CIRCUMSTANCES,
            _prov([cite(
                    f"SEND Regs 2014 {provision}: reg 10(4)(c) exceptional personal "
                    "circumstances",
                    P,
                )]),
        ),
        ClockException(
            ExceptionKind.ABSENCE_FROM_AREA,
            _prov(
                [
                    cite(
                        f"SEND Regs 2014 {provision}: reg 10(4)(d) absence from the LA's area "
                        "for 4+ weeks",
                        S,
                        _IPSEA_LETTER_10,
                    )
                ]
            ),
        ),
    )


_REG_5_4 = (
    ClockException(
        ExceptionKind.INSTITUTION_CLOSURE,
        _prov([cite("SEND Regs 2014 reg 5(4)(a) school/post-16 closure window", P, _REG_5)]),
    ),
    *(
        ClockException(
            kind,
            _prov(
                [
                    cite(
                        f"SEND Regs 2014 reg 5(4) (per IPSEA): {kind.value.replace('_', ' ')}",
                        S,
                        "https://www.ipsea.org.uk/letter-when-the-la-does-not-respond-to-a-request-"
                        "for-assessment-within-the-time-limit",
                    )
                ]
            ),
        )
        for kind in (
            ExceptionKind.EARLY_YEARS_CLOSURE,
            ExceptionKind.EXCEPTIONAL_PERSONAL_CIRCUMSTANCES,
            ExceptionKind.ABSENCE_FROM_AREA,
        )
    ),
)

_REG_42_5 = ClockException(
    ExceptionKind.WRITTEN_ALTERNATIVE_TIMESCALE,
    _prov([cite(
            "SEND Regs 2014 reg 42(5): parties agree another timescale in writing", P, _REG_42
        )]),
    ExceptionEffect.DISAPPLY,
)

_REG_8 = tuple(
    ClockException(
        kind,
        _prov(
            [
                cite(
                    "SEND Regs 2014 reg 8 exceptions (detail unconfirmed)",
                    S,
                    "https://edyourself.org/send-regulations/",
                )
            ]
        ),
    )
    for kind in (ExceptionKind.MISSED_APPOINTMENT, ExceptionKind.EXCEPTIONAL_PERSONAL_CIRCUMSTANCES)
)

_EXCEPTION_SETTING = ("lawful_exception_effect",)


def _reg_44_3_exceptions(applied_by: str | None = None) -> tuple[ClockException, ...]:
    """The reg 44(3) exceptions to the reg 44(2) limits: the LA need not meet them where it is
    impractical because of the listed circumstances. The 2-week absence limb is [S] (HMCTS
    SEND18 guidance); the other limbs' wording was not read, so they are UNCONFIRMED and
    recognised only with setting ``reg_44_3_unconfirmed_limbs``. ``applied_by`` names the
    provision that applies them elsewhere (reg 42(2): mediation agreements)."""
    def provenance(rule: Rule) -> Provenance:
        if applied_by is None:
            return rule.provenance
        return _prov(
            cite(c.text.replace("reg 44(3)", f"{applied_by} applying reg 44(3)", 1), c.grade,
                 c.url)
            for c in rule.provenance.citations
        )

    return (
        ClockException(
            ExceptionKind.ABSENCE_FROM_AREA,
            provenance(REG_44_3_ABSENCE),
            rule_id=REG_44_3_ABSENCE.rule_id,
            min_days=14,
        ),
        *(
            ClockException(
                kind,
                provenance(rule),
                rule_id=rule.rule_id,
                setting="reg_44_3_unconfirmed_limbs",
            )
            for kind, rule in (
                (ExceptionKind.EXCEPTIONAL_PERSONAL_CIRCUMSTANCES, REG_44_3_PERSONAL),
                (ExceptionKind.INSTITUTION_CLOSURE, REG_44_3_INSTITUTION_CLOSURE),
                (ExceptionKind.EARLY_YEARS_CLOSURE, REG_44_3_EARLY_YEARS_CLOSURE),
            )
        ),
    )


def _coronavirus(
    provision: str,
    *,
    named: str | None = None,
    named_url: str = _DFE_CORONAVIRUS_ANNEX_A,
    setting: str | None = None,
    setting_values: tuple[object, ...] = (True,),
) -> ClockException:
    """The SI 2020/471 coronavirus exception to ``provision``, 1 May-25 September 2020.

    ``named``: the DfE guidance names this timescale (its words, graded [S]); otherwise whether
    reg 2A lists it is UNCONFIRMED and ``setting`` decides."""
    general = cite(
        f"SI 2020/471 reg 2A (SEND Regs 2014, 1 May-25 Sep 2020): {provision} need not be met "
        "where impractical for a reason relating to the incidence or transmission of "
        "coronavirus (DfE guidance)",
        S,
        _DFE_CORONAVIRUS,
    )
    citations = [general]
    if named is not None:
        citations.append(cite(f"SI 2020/471 reg 2A: {named} (DfE guidance)", S, named_url))
    else:
        citations.append(cite(f"SI 2020/471 reg 2A: {provision} on its list not confirmed", U))
    return ClockException(
        ExceptionKind.CORONAVIRUS,
        Provenance(
            tuple(citations),
            valid_from=CORONAVIRUS_EXCEPTION_START,
            valid_to=CORONAVIRUS_EXCEPTION_END,
        ),
        rule_id=CORONAVIRUS_EXCEPTION.rule_id,
        setting=setting,
        setting_values=setting_values,
    )


def _coronavirus_send_regs(provision: str) -> ClockException:
    return _coronavirus(provision, setting="coronavirus_other_send_regs_clocks")


_MEDIATION_BODIES = (CoronavirusMediation.BODIES, CoronavirusMediation.ALL)


def _coronavirus_mediation(
    provision: str, values: tuple[object, ...] = _MEDIATION_BODIES
) -> tuple[ClockException, ...]:
    return (
        _coronavirus(provision, setting="coronavirus_mediation_clocks", setting_values=values),
    )


_MEDIATION_CORONAVIRUS_SETTING = ("coronavirus_mediation_clocks", "lawful_exception_effect")
_REG_44_SETTINGS = (
    "lawful_exception_effect",
    "reg_44_3_unconfirmed_limbs",
    "coronavirus_other_send_regs_clocks",
)
_EHC_CORONAVIRUS_SETTINGS = ("lawful_exception_effect", "coronavirus_other_send_regs_clocks")
_REG_44_EXCEPTIONS = (*_reg_44_3_exceptions(), _coronavirus_send_regs("reg 44(2)"))

# The clocks ------------------------------------------------------------------------------------

_ARRANGE_SETTINGS = ("arrange_mediation_unit", "arrange_mediation_deadline")

_DEFINITIONS: tuple[ClockDefinition, ...] = (
    # Mediation advice and certificates (law.md 2.5-2.6) ---------------------------------------
    ClockDefinition(
        id="mediation_adviser_contact",
        description="Parent/young person who needs a certificate contacts the mediation adviser, "
        "says they intend to appeal and whether they want mediation",
        length=2,
        unit=Unit.MONTHS,
        triggers=("decision_notice_sent",),
        starts_from="written notice of the LA decision was sent",
        who_must_act=Actor.PARENT_OR_YOUNG_PERSON,
        provenance=_prov([cite("SEND Regs 2014 reg 33", P, _MEDIATION_REGS)]),
        conditions=(Condition.CERTIFICATE_REQUIRED,),
        completed_by=("adviser_contacted",),
        exceptions=_coronavirus_mediation("reg 33", (CoronavirusMediation.ALL,)),
        settings=_MEDIATION_CORONAVIRUS_SETTING,
    ),
    ClockDefinition(
        id="certificate_after_declining",
        description="Mediation adviser issues the certificate once told the parent/young person "
        "does not want mediation",
        length=3,
        unit=Unit.WORKING_DAYS,
        triggers=("adviser_told_no_mediation",),
        starts_from="the adviser is told mediation is not wanted",
        who_must_act=Actor.MEDIATION_ADVISER,
        provenance=_prov(
            [
                cite(
                    "SEND Regs reg 34(1)",
                    S,
                    "https://sendadvicesurrey.org.uk/information-advice-and-support/mediation/",
                )
            ]
        ),
        completed_by=("certificate_issued",),
        exceptions=_coronavirus_mediation("reg 34(1)"),
        settings=("working_days", *_MEDIATION_CORONAVIRUS_SETTING),
    ),
    ClockDefinition(
        id="icb_notification_of_health_issues",
        description="LA tells each relevant ICB (a CCG before 1 July 2022) the mediation issues "
        "and any health care provision sought, where the issues include health care",
        length=3,
        unit=Unit.WORKING_DAYS,
        triggers=("la_told_mediation_issues",),
        starts_from="the LA is told the mediation issues",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov(
            [cite("SEND Regs (regulation number not confirmed; believed 35/36)", S, _IPSEA_PROCESS)]
        ),
        conditions=(Condition.HEALTH_ISSUES,),
        exceptions=_coronavirus_mediation("the ICB notification"),
        settings=("working_days", *_MEDIATION_CORONAVIRUS_SETTING),
    ),
    # Arranging mediation (law.md 2.7) ----------------------------------------------------------
    ClockDefinition(
        id="arrange_mediation_education_social_care",
        description="LA arranges mediation about education and/or social care issues only",
        length=30,
        unit=Unit.CALENDAR_DAYS,
        triggers=("la_told_wish_to_mediate",),
        starts_from="the parent/young person tells the LA they want mediation",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov([cite("SEND Regs (regulation number not confirmed)", S, _IPSEA_PROCESS)]),
        conditions=(Condition.EDUCATION_SOCIAL_CARE_ONLY,),
        exceptions=_coronavirus_mediation("the 30-day arranging duty"),
        settings=(*_ARRANGE_SETTINGS, *_MEDIATION_CORONAVIRUS_SETTING),
    ),
    ClockDefinition(
        id="arrange_mediation_health_only",
        description="The responsible commissioning body(ies) arrange mediation about health care "
        "issues only",
        length=30,
        unit=Unit.CALENDAR_DAYS,
        triggers=("commissioning_body_notified",),
        starts_from="the LA notifies the commissioning body of the issues",
        who_must_act=Actor.RESPONSIBLE_COMMISSIONING_BODY,
        provenance=_prov([cite("SEND Regs (regulation number not confirmed)", S, _IPSEA_PROCESS)]),
        conditions=(Condition.HEALTH_ONLY,),
        exceptions=_coronavirus_mediation("the 30-day arranging duty"),
        settings=(*_ARRANGE_SETTINGS, *_MEDIATION_CORONAVIRUS_SETTING),
    ),
    ClockDefinition(
        id="arrange_mediation_mixed",
        description="LA arranges one mediation, with each commissioning body, about health care "
        "plus education and/or social care issues",
        length=30,
        unit=Unit.CALENDAR_DAYS,
        triggers=("la_told_wish_to_mediate",),
        starts_from="the parent/young person tells the LA they want mediation",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov([cite("SEND Regs (regulation number not confirmed)", S, _IPSEA_PROCESS)]),
        conditions=(Condition.MIXED_ISSUES,),
        exceptions=_coronavirus_mediation("the 30-day arranging duty"),
        settings=(*_ARRANGE_SETTINGS, *_MEDIATION_CORONAVIRUS_SETTING),
    ),
    ClockDefinition(
        id="deemed_certificate",
        description="Mediation adviser issues the certificate when the arranging body says it "
        "cannot arrange mediation within 30 days",
        length=3,
        unit=Unit.WORKING_DAYS,
        triggers=("adviser_told_mediation_not_arranged",),
        starts_from="the arranging body tells the adviser mediation cannot be arranged in time",
        who_must_act=Actor.MEDIATION_ADVISER,
        provenance=_prov(
            [cite("SEND Regs (regulation number not confirmed; believed 37)", S, _IPSEA_PROCESS)]
        ),
        completed_by=("certificate_issued",),
        exceptions=_coronavirus_mediation("the deemed certificate duty"),
        settings=("working_days", "deemed_certificate_unit", *_MEDIATION_CORONAVIRUS_SETTING),
    ),
    ClockDefinition(
        id="certificate_after_mediation",
        description="Mediation adviser issues the certificate after the mediation has concluded",
        length=3,
        unit=Unit.WORKING_DAYS,
        triggers=("mediation_concluded",),
        starts_from="the mediation concluded",
        who_must_act=Actor.MEDIATION_ADVISER,
        provenance=_prov(
            [
                cite(
                    "SEND Regs reg 39 (number not confirmed); Sefton 'Arranging Mediation'",
                    S,
                    _SEFTON_ARRANGING,
                )
            ]
        ),
        completed_by=("certificate_issued",),
        exceptions=_coronavirus_mediation("the certificate after mediation"),
        settings=("working_days", *_MEDIATION_CORONAVIRUS_SETTING),
    ),
    ClockDefinition(
        id="mediation_date_notice",
        description="Arranging body tells the parent/young person the date and place of the "
        "mediation beforehand (less notice only if they agree)",
        length=5,
        unit=Unit.WORKING_DAYS,
        triggers=("mediation_date",),
        starts_from="the mediation date (counted backwards)",
        who_must_act=Actor.ARRANGING_BODY,
        provenance=_prov(
            [
                cite(
                    "SEND Code of Practice ch.11, quoted in R (Kumar) v LB Hillingdon "
                    "[2020] EWHC 3326 (Admin)",
                    P,
                    "https://beta.bailii.org/ew/cases/EWHC/Admin/2020/3326.html",
                )
            ]
        ),
        counting=Counting.BEFORE,
        conditions=(Condition.MEDIATION_DATE_NOTICE,),
        settings=("working_days", "mediation_date_notice"),
    ),
    # After a mediation agreement (law.md 2.10) -------------------------------------------------
    ClockDefinition(
        id="agreement_appealable_matters",
        description="LA carries out agreed appealable matters within the reg 44 time limits, as if "
        "the agreement were a Tribunal order (no single length: see the order_* clocks)",
        length=None,
        unit=Unit.WEEKS,
        triggers=("mediation_agreement",),
        starts_from="date of the mediation agreement (treated as the date of an order)",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov([cite("SEND Regs reg 42(2)", P, _REG_42)]),
        delegates_to=_ORDER_CLOCK_IDS,
        exceptions=(
            _REG_42_5,
            *_reg_44_3_exceptions("reg 42(2)"),
            *_coronavirus_mediation("reg 42(2)"),
        ),
        settings=(
            "lawful_exception_effect",
            "reg_44_3_unconfirmed_limbs",
            "coronavirus_mediation_clocks",
        ),
    ),
    ClockDefinition(
        id="agreement_non_appealable_action",
        description="LA or commissioning body does the agreed thing that is not appealable",
        length=2,
        unit=Unit.WEEKS,
        triggers=("mediation_agreement",),
        starts_from="date of the mediation agreement",
        who_must_act=Actor.LOCAL_AUTHORITY_OR_RESPONSIBLE_COMMISSIONING_BODY,
        provenance=_prov([cite("SEND Regs reg 42(3)", P, _REG_42)]),
        exceptions=(_REG_42_5, *_coronavirus_mediation("reg 42(3)")),
        settings=_MEDIATION_CORONAVIRUS_SETTING,
    ),
    ClockDefinition(
        id="agreement_notify_la",
        description="Commissioning body tells the LA of a mediation agreement the LA was not "
        "party to",
        length=1,
        unit=Unit.WEEKS,
        triggers=("mediation_agreement",),
        starts_from="date of the mediation agreement",
        who_must_act=Actor.RESPONSIBLE_COMMISSIONING_BODY,
        provenance=_prov([cite("SEND Regs reg 42(4)", P, _REG_42)]),
        conditions=(Condition.LA_NOT_PARTY,),
        exceptions=_coronavirus_mediation("reg 42(4)"),
        settings=_MEDIATION_CORONAVIRUS_SETTING,
    ),
    # Tribunal (law.md 3) ----------------------------------------------------------------------
    ClockDefinition(
        id="tribunal_appeal_from_decision",
        description="Tribunal receives the appeal (SEN case): 2 months after the decision notice",
        length=2,
        unit=Unit.MONTHS,
        triggers=("decision_notice_sent",),
        starts_from="written notice of the decision was sent",
        who_must_act=Actor.PARENT_OR_YOUNG_PERSON,
        provenance=_prov(
            [
                cite("HESC Rules 2008 r.20(1)(c)(i)", P, _HESC_R20),
                # The r.12 text was read only as a secondary verbatim reproduction, so the
                # clock carries that grade too.
                cite(
                    "HESC Rules r.12(2), r.12(3)(a): end in 25 Dec-1 Jan or August -> first "
                    "working day after 1 Jan / 31 Aug; other non-working day -> next working day "
                    "(verbatim reproduction)",
                    S,
                    _HESC_R12,
                ),
            ]
        ),
        roll=Roll.TRIBUNAL,
        completed_by=("appeal_received",),
        settings=("tribunal_non_working_days",),
    ),
    ClockDefinition(
        id="tribunal_appeal_from_certificate",
        description="Alternative appeal deadline, 1 month after the mediation certificate, where "
        "that is later than the 2-month date",
        length=1,
        unit=Unit.MONTHS,
        triggers=("certificate_issued",),
        starts_from="the mediation certificate was issued",
        who_must_act=Actor.PARENT_OR_YOUNG_PERSON,
        provenance=_prov(
            [
                cite("HESC Rules r.20(1)(c)(ii)", P, _HESC_R20),
                cite(
                    "HESC Rules r.12(2), r.12(3)(a): end in 25 Dec-1 Jan or August -> first "
                    "working day after 1 Jan / 31 Aug; other non-working day -> next working day "
                    "(verbatim reproduction)",
                    S,
                    _HESC_R12,
                ),
            ]
        ),
        roll=Roll.TRIBUNAL,
        completed_by=("appeal_received",),
        settings=("tribunal_non_working_days",),
    ),
    ClockDefinition(
        id="tribunal_recommendation_response",
        description="LA (social care) or ICB (health) responds to a Tribunal health/social care "
        "recommendation",
        length=5,
        unit=Unit.WEEKS,
        triggers=("tribunal_recommendation_issued",),
        starts_from="the Tribunal decision containing the recommendation was issued",
        who_must_act=Actor.LOCAL_AUTHORITY_OR_ICB,
        provenance=_prov(
            [
                cite(
                    "SI 2017/1306 (regulation number not confirmed)",
                    S,
                    "https://medway.gov.uk/info/200307/local_offer/1305/single_route_of_redress/2",
                )
            ],
            valid_from=TRIBUNAL_RECOMMENDATIONS_START,
        ),
    ),
    # EHC needs assessment and plan (law.md 5) ---------------------------------------------------
    ClockDefinition(
        id="decide_whether_to_assess",
        description="LA notifies its decision whether to secure an EHC needs assessment",
        length=6,
        unit=Unit.WEEKS,
        triggers=("assessment_request_received", "la_became_responsible"),
        starts_from="receipt of the request (or the LA becoming responsible under s.24)",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov([cite("SEND Regs reg 5(1); exceptions reg 5(4)", P, _REG_5)]),
        exceptions=(*_REG_5_4, _coronavirus_send_regs("reg 5(1)")),
        settings=_EHC_CORONAVIRUS_SETTINGS,
    ),
    ClockDefinition(
        id="determination_no_provision_needed",
        description="LA notifies its determination that provision through an EHC plan is not "
        "necessary (s.36(5))",
        length=6,
        unit=Unit.WEEKS,
        triggers=("assessment_request_received", "la_became_responsible"),
        starts_from="receipt of the request (or the LA becoming responsible)",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov([cite("SEND Regs reg 4(1)", P, f"{_REGS}/regulation/4/data.html")]),
        exceptions=(_coronavirus_send_regs("reg 4(1)"),),
        settings=_EHC_CORONAVIRUS_SETTINGS,
    ),
    ClockDefinition(
        id="advice_for_assessment",
        description="People asked for advice or information for an assessment respond",
        length=6,
        unit=Unit.WEEKS,
        triggers=("advice_requested",),
        starts_from="the LA's request for advice",
        who_must_act=Actor.ADVICE_GIVERS,
        provenance=_prov([cite("SEND Regs reg 8 (detail not confirmed)", S, "https://edyourself.org/send-regulations/")]),
        exceptions=(
            *_REG_8,
            _coronavirus(
                "reg 8(1)",
                named="reg 8(1): bodies asked for advice respond in a timely manner instead",
            ),
        ),
        settings=_EXCEPTION_SETTING,
    ),
    ClockDefinition(
        id="decide_not_to_issue_plan",
        description="LA notifies a decision, after assessment, not to issue an EHC plan",
        length=16,
        unit=Unit.WEEKS,
        triggers=("assessment_request_received", "la_became_responsible"),
        starts_from="receipt of the assessment request (or the LA becoming responsible)",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov(
            [
                cite(
                    "SEND Regs reg 10(1); exceptions reg 10(4)(a)-(d)",
                    P,
                    "http://www.legislation.gov.uk/uksi/2014/1530/regulation/10/made/data.xht?view=snippet&wrap=true",
                )
            ]
        ),
        exceptions=(*_reg_10_4_exceptions("reg 10(4)"), _coronavirus_send_regs("reg 10(1)")),
        settings=_EHC_CORONAVIRUS_SETTINGS,
    ),
    ClockDefinition(
        id="draft_plan_representations",
        description="Minimum period for the parent/young person to make representations on the "
        "draft plan, ask for a school or institution and ask for a meeting",
        length=15,
        unit=Unit.CALENDAR_DAYS,
        triggers=("draft_plan_served",),
        starts_from="the day the draft plan is served (that day counts as day 1)",
        who_must_act=Actor.PARENT_OR_YOUNG_PERSON,
        provenance=_prov(
            [
                cite(
                    "SEND Regs reg 13(1)(a)",
                    P,
                    "http://www.legislation.gov.uk/uksi/2014/1530/regulation/13/made/data.xht?view=snippet&wrap=true",
                )
            ]
        ),
        counting=Counting.STARTING_WITH,
        kind=ClockKind.MINIMUM_PERIOD,
    ),
    ClockDefinition(
        id="final_plan",
        description="Final EHC plan sent to the parent/young person, the named institution and the "
        "responsible commissioning body",
        length=20,
        unit=Unit.WEEKS,
        triggers=("assessment_request_received", "la_became_responsible"),
        starts_from="receipt of the assessment request (or the LA becoming responsible)",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov([cite("SEND Regs reg 13(2); exceptions reg 13(3)", P)]),
        exceptions=(
            *_reg_10_4_exceptions("reg 13(3)"),
            _coronavirus(
                "reg 13(2)",
                named="reg 13(2): the 20-week limit for the final plan (DfE's example)",
                named_url=_DFE_CORONAVIRUS,
            ),
        ),
        settings=_EXCEPTION_SETTING,
    ),
    ClockDefinition(
        id="annual_review",
        description="LA reviews the EHC plan",
        length=12,
        unit=Unit.MONTHS,
        triggers=("plan_made", "review_meeting"),
        starts_from="the plan was first made, then the last review",
        who_must_act=Actor.LOCAL_AUTHORITY,
        # s.44(1): "in the period of 12 months starting with the date on which the plan was first
        # made" (then with the date of the previous review): plan made 15 Apr 2025 -> 14 Apr 2026.
        provenance=_prov(
            [cite("CFA 2014 s.44(1)", P, "http://www.legislation.gov.uk/ukpga/2014/6/notes/division/4/3/11/8")]
        ),
        counting=Counting.STARTING_WITH,
    ),
    ClockDefinition(
        id="review_meeting_notice",
        description="Notice of the review meeting given, and advice circulated, beforehand",
        length=2,
        unit=Unit.WEEKS,
        triggers=("review_meeting",),
        starts_from="the review meeting (counted backwards)",
        who_must_act=Actor.PERSON_ARRANGING_REVIEW,
        provenance=_prov([cite("SEND Regs reg 20(3), (4)", P)]),
        counting=Counting.BEFORE,
    ),
    ClockDefinition(
        id="review_report",
        description="Review report circulated",
        length=2,
        unit=Unit.WEEKS,
        triggers=("review_meeting",),
        starts_from="the review meeting",
        who_must_act=Actor.PERSON_ARRANGING_REVIEW,
        provenance=_prov(
            [
                cite(
                    "SEND Regs reg 20 (paragraph not confirmed)",
                    S,
                    "https://localofferbirmingham.co.uk/education-health-and-care-plan/annual-ehcp-reviews",
                )
            ]
        ),
    ),
    ClockDefinition(
        id="review_decision",
        description="LA notifies whether it will keep, amend or cease the plan (with proposed "
        "amendments if amending)",
        length=4,
        unit=Unit.WEEKS,
        triggers=("review_meeting",),
        starts_from="the review meeting",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov(
            [
                cite(
                    "SEND Regs reg 20 (paragraph not confirmed); R (L) v Devon CC [2022] EWHC 493 "
                    "(Admin)",
                    S,
                    "https://www.ipsea.org.uk/r-l-m-and-p-v-devon-county-council-2022-ewhc-493-admin",
                )
            ]
        ),
    ),
    ClockDefinition(
        id="amendment_representations",
        description="Minimum period for representations on proposed amendments",
        length=15,
        unit=Unit.CALENDAR_DAYS,
        triggers=("proposed_amendments_served",),
        # reg 22(2)(c): "at least 15 days, beginning with the day on which [it] was served".
        starts_from="the day the proposed amendments are served (that day counts as day 1)",
        who_must_act=Actor.PARENT_OR_YOUNG_PERSON,
        provenance=_prov([cite("SEND Regs reg 22(2)(c)", P, _REG_22)]),
        counting=Counting.STARTING_WITH,
        kind=ClockKind.MINIMUM_PERIOD,
    ),
    ClockDefinition(
        id="final_amended_plan",
        description="Final amended plan after a review (at most 12 weeks after the review meeting, "
        "per Devon)",
        length=8,
        unit=Unit.WEEKS,
        triggers=("proposed_amendments_sent",),
        starts_from="the LA sent the proposed amendments",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov(
            [
                cite(
                    "SEND Regs reg 22(3)",
                    P,
                    _REG_22,
                )
            ]
        ),
    ),
    ClockDefinition(
        id="post16_transfer_review",
        description="Plan reviewed and amended before a post-16 to post-16 transfer at another "
        "time of year",
        length=5,
        unit=Unit.MONTHS,
        triggers=("transfer_date",),
        starts_from="the transfer date (counted backwards)",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov([cite("SEND Regs reg 18(2)", P, _REG_18)]),
        counting=Counting.BEFORE,
        conditions=(Condition.TRANSFER_POST16_OTHER_TIME,),
    ),
    ClockDefinition(
        id="reassessment_decision",
        description="LA notifies its decision on a request to re-assess",
        length=15,
        unit=Unit.CALENDAR_DAYS,
        triggers=("reassessment_request_received",),
        starts_from="receipt of the re-assessment request",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov(
            [
                cite(
                    "SEND Regs reg 25(1) (not confirmed from the primary text)",
                    S,
                    "https://www.sen-help.org.uk/types-of-appeal/appeal-against-refusal-to-re-assess/",
                )
            ]
        ),
    ),
    ClockDefinition(
        id="plan_after_reassessment",
        description="Final amended or replacement plan after a re-assessment",
        length=14,
        unit=Unit.WEEKS,
        triggers=("reassessment_notice_sent", "decision_to_reassess"),
        starts_from="the reg 25(1) notice, or the decision to re-assess under s.44(3)",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov([cite("SEND Regs reg 27(2); exceptions reg 27(3)", P, _REG_27)]),
        exceptions=(*_reg_10_4_exceptions("reg 27(3)"), _coronavirus_send_regs("reg 27(2)")),
        settings=_EHC_CORONAVIRUS_SETTINGS,
    ),
    # Complying with Tribunal orders (law.md 3.5) ------------------------------------------------
    ClockDefinition(
        id="order_assess_notify",
        description="After an order (or agreement) to assess or re-assess, LA notifies that it "
        "will",
        length=2,
        unit=Unit.WEEKS,
        triggers=("tribunal_order",),
        starts_from="date of the order",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov([cite("SEND Regs reg 44(2)(b)", S, _REG_44)]),
        conditions=(Condition.ORDER_ASSESS,),
        exceptions=_REG_44_EXCEPTIONS,
        settings=_REG_44_SETTINGS,
    ),
    ClockDefinition(
        id="order_assess_no_plan",
        description="After an assessment is ordered, LA notifies a decision not to issue a plan",
        length=10,
        unit=Unit.WEEKS,
        triggers=("tribunal_order",),
        starts_from="date of the order",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov([cite("SEND Regs reg 44(2)(b)(i)", S, _REG_44)]),
        conditions=(Condition.ORDER_ASSESS,),
        exceptions=_REG_44_EXCEPTIONS,
        settings=_REG_44_SETTINGS,
    ),
    ClockDefinition(
        id="order_assess_final_plan",
        description="After an assessment is ordered, LA issues the final plan",
        length=14,
        unit=Unit.WEEKS,
        triggers=("tribunal_order",),
        starts_from="date of the order",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov([cite("SEND Regs reg 44(2)(b)(ii)", S, _REG_44)]),
        conditions=(Condition.ORDER_ASSESS,),
        exceptions=_REG_44_EXCEPTIONS,
        settings=_REG_44_SETTINGS,
    ),
    ClockDefinition(
        id="order_make_plan_draft",
        description="After an order to make and maintain a plan, LA issues the draft",
        length=5,
        unit=Unit.WEEKS,
        triggers=("tribunal_order",),
        starts_from="date of the order",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov([cite("SEND Regs reg 44(2)(c)(i)", S, _REG_44)]),
        conditions=(Condition.ORDER_MAKE_PLAN,),
        exceptions=_REG_44_EXCEPTIONS,
        settings=_REG_44_SETTINGS,
    ),
    ClockDefinition(
        id="order_make_plan_final",
        description="After an order to make and maintain a plan, LA issues the final plan",
        length=11,
        unit=Unit.WEEKS,
        triggers=("tribunal_order",),
        starts_from="date of the order",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov([cite("SEND Regs reg 44(2)(c)(ii)", S, _REG_44)]),
        conditions=(Condition.ORDER_MAKE_PLAN,),
        exceptions=_REG_44_EXCEPTIONS,
        settings=_REG_44_SETTINGS,
    ),
    ClockDefinition(
        id="order_cease_upheld",
        description="Appeal against ceasing to maintain dismissed: LA ceases to maintain at once",
        length=0,
        unit=Unit.CALENDAR_DAYS,
        triggers=("tribunal_order",),
        starts_from="date of the order (immediately)",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov([cite("SEND Regs reg 44(2)(a)", S, _REG_44)]),
        conditions=(Condition.ORDER_CEASE_UPHELD,),
        exceptions=_REG_44_EXCEPTIONS,
        settings=_REG_44_SETTINGS,
    ),
    # The other reg 44 limbs: the statutory reference could not confirm them ("commonly cited as
    # 2 weeks / 5 weeks / 2 weeks / immediately; verify"), so each is its own clock graded
    # UNCONFIRMED, beyond the reference's list. They let an agreed appealable matter (reg 42(2))
    # such as amending section F run on a clock instead of being mislabelled.
    ClockDefinition(
        id="order_reconsider",
        description="After an order (or agreement) to reconsider, LA reconsiders and notifies",
        length=2,
        unit=Unit.WEEKS,
        triggers=("tribunal_order",),
        starts_from="date of the order",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov([cite("SEND Regs reg 44 (limb and period not confirmed)", U, _REG_44)]),
        conditions=(Condition.ORDER_RECONSIDER,),
        exceptions=_REG_44_EXCEPTIONS,
        settings=_REG_44_SETTINGS,
    ),
    ClockDefinition(
        id="order_amend_plan",
        description="After an order (or agreement) to amend the needs or provision in the plan, "
        "LA issues the amended plan",
        length=5,
        unit=Unit.WEEKS,
        triggers=("tribunal_order",),
        starts_from="date of the order",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov(
            [
                cite("SEND Regs 2014 reg 44(2): a statement or EHC plan is changed within 5 weeks "
                     "of the order (HMCTS SEND18 guidance; sub-paragraph not read)", S),
                cite(
                    "SEND Regs reg 45(4) as substituted by SI 2015/359: 5 weeks for unopposed "
                    "s.51(2)(c)(i)/(ii) and (e) appeals",
                    P,
                    "https://legislation.gov.uk/id/uksi/2015/359/regulation/8/b?timeline=false",
                ),
            ]
        ),
        conditions=(Condition.ORDER_AMEND_PLAN,),
        exceptions=_REG_44_EXCEPTIONS,
        settings=_REG_44_SETTINGS,
    ),
    ClockDefinition(
        id="order_amend_placement",
        description="After an order (or agreement) to amend the school or institution named, LA "
        "issues the amended plan",
        length=2,
        unit=Unit.WEEKS,
        triggers=("tribunal_order",),
        starts_from="date of the order",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov([cite("SEND Regs 2014 reg 44(2): the name of the school or institution "
                               "is changed within 2 weeks of the order (HMCTS SEND18 guidance; "
                               "sub-paragraph not read)", S)]),
        conditions=(Condition.ORDER_AMEND_PLACEMENT,),
        exceptions=_REG_44_EXCEPTIONS,
        settings=_REG_44_SETTINGS,
    ),
    ClockDefinition(
        id="order_continue_to_maintain",
        description="After an order (or agreement) to continue to maintain the plan, LA continues "
        "at once",
        length=0,
        unit=Unit.CALENDAR_DAYS,
        triggers=("tribunal_order",),
        starts_from="date of the order (immediately)",
        who_must_act=Actor.LOCAL_AUTHORITY,
        provenance=_prov([cite("SEND Regs 2014 reg 44(2): the plan continues to be maintained "
                               "with immediate effect (HMCTS SEND18 guidance; sub-paragraph not "
                               "read)", S)]),
        conditions=(Condition.ORDER_CONTINUE,),
        exceptions=_REG_44_EXCEPTIONS,
        settings=_REG_44_SETTINGS,
    ),
    # Other routes of redress (law.md 6) ---------------------------------------------------------
    ClockDefinition(
        id="lgsco_complaint",
        description="Complaint to the Local Government and Social Care Ombudsman (later only with "
        "good reason)",
        length=12,
        unit=Unit.MONTHS,
        triggers=("complainant_aware_of_problem",),
        starts_from="the complainant became aware of the problem",
        who_must_act=Actor.COMPLAINANT,
        provenance=_prov(
            [
                cite(
                    "Local Government Act 1974 s.26B(2): 'the period of 12 months beginning with "
                    "the day on which the person affected first had notice of the matters'",
                    P,
                    "https://www.legislation.gov.uk/ukpga/1974/7/section/26B",
                ),
                cite(
                    "Local Government Act 1974 ss.26B, 34D",
                    S,
                    "https://lgo.org.uk/decisions/education/special-educational-needs/24-001-429",
                ),
            ],
            valid_from=None,
        ),
        counting=Counting.STARTING_WITH,
    ),
    ClockDefinition(
        id="nhs_social_care_complaint",
        description="NHS or adult social care complaint (time can be extended)",
        length=12,
        unit=Unit.MONTHS,
        triggers=("matter_occurred", "matter_came_to_notice"),
        starts_from="the matter occurred, or (if later) came to the complainant's notice",
        who_must_act=Actor.COMPLAINANT,
        provenance=_prov(
            [
                cite(
                    "SI 2009/309 (regulation number not confirmed)",
                    S,
                    "https://www.gateshead.gov.uk/article/34781/11-Time-limits-for-making-a-complaint",
                )
            ],
            valid_from=None,
        ),
    ),
    ClockDefinition(
        id="judicial_review",
        description="Claim for judicial review",
        length=3,
        unit=Unit.MONTHS,
        triggers=("grounds_arose",),
        starts_from="the grounds first arose",
        who_must_act=Actor.CLAIMANT,
        provenance=_prov(
            [
                cite(
                    "Leeds SENDIASS (CPR 54.5 not read)",
                    S,
                    "https://sendiass.leeds.gov.uk/parents-and-carers/support-for-my-child-at-school/making-a-complaint",
                )
            ],
            valid_from=None,
        ),
    ),
    ClockDefinition(
        id="dd_claim_school",
        description="Disability discrimination claim against a school to the SEND Tribunal (the "
        "Christmas/August roll-forward only for a time ending before 21 July 2020)",
        length=6,
        unit=Unit.MONTHS,
        triggers=("act_complained_of",),
        starts_from="the act complained of (or the last act of a continuing series)",
        who_must_act=Actor.PARENT_OR_YOUNG_PERSON,
        provenance=_prov(
            [
                cite(
                    "Equality Act 2010 Sch 17 para 4(1): 'the period of 6 months starting with "
                    "the date when the conduct complained of occurred' (the para 4(2)-(3) early "
                    "conciliation extension is not modelled here)",
                    P,
                    "https://www.legislation.gov.uk/ukpga/2010/15/schedule/17",
                ),
                cite(
                    "Equality Act 2010 Sch 17 para 4",
                    S,
                    "https://www.ipsea.org.uk/procedure-for-disability-discrimination-claims",
                ),
                cite(
                    "HESC Rules r.12(3)(a): disability discrimination claims inside the "
                    "Christmas/August rule for a time ending before 21 July 2020, outside it "
                    "from 21 July 2020 (verbatim reproduction with revision history)",
                    S,
                    _HESC_R12,
                ),
            ],
            valid_from=None,
        ),
        counting=Counting.STARTING_WITH,
        roll=Roll.WINDOW_BEFORE_2020_07_21,
    ),
)

CLOCKS: dict[str, ClockDefinition] = {c.id: c for c in _DEFINITIONS}
"""Every clock by id, in the reference's order."""

REG_42_2_EXCEPTIONS: tuple[ClockException, ...] = tuple(
    e
    for e in CLOCKS["agreement_appealable_matters"].exceptions
    if e.effect is not ExceptionEffect.DISAPPLY
)
"""The lawful exceptions an agreed appealable matter's reg 44 clocks recognise: reg 42(2)
applies the reg 44 limits, so with them the reg 44(3) exceptions (the 2-week absence from the
LA's area [S]; the other limbs only with setting ``reg_44_3_unconfirmed_limbs``) and, for an
agreement whose clocks ran from 1 May to 25 September 2020, the SI 2020/471 coronavirus
exception when setting ``coronavirus_mediation_clocks`` covers reg 42. Built with the table
(from clock ``agreement_appealable_matters``), so the mediation workflow's
:data:`~sen_disagreement.workflow.mediation.agreement.REG_42_2_EXCEPTIONS`, this tuple, loads
with it on first use rather than at import."""

ORDER_KIND_CLOCKS: dict[OrderKind, tuple[str, ...]] = {
    kind: tuple(i for i in _ORDER_CLOCK_IDS if ORDER_CONDITIONS[kind] in CLOCKS[i].conditions)
    for kind in OrderKind
}
"""The reg 44(2) clocks each kind of order (limb) starts, in the reference's order."""

FIXED_DATE_DEADLINES: dict[str, FixedDateDeadline] = {
    f.id: f
    for f in (
        FixedDateDeadline(
            id="phase_transfer_general",
            description="Plan reviewed and amended, naming the next placement, for every phase "
            "transfer except secondary school to post-16 (finalised before 15 February of the "
            "calendar year of transfer)",
            month=2,
            day=15,
            before=True,
            trigger="transfer_date",
            who_must_act=Actor.LOCAL_AUTHORITY,
            provenance=_prov([cite("SEND Regs reg 18(1)(b)", P, _REG_18)]),
            conditions=(Condition.TRANSFER_GENERAL,),
        ),
        FixedDateDeadline(
            id="phase_transfer_post16",
            description="Plan reviewed and amended for a transfer from secondary school to a "
            "post-16 institution (before 31 March of the calendar year of transfer)",
            month=3,
            day=31,
            before=True,
            trigger="transfer_date",
            who_must_act=Actor.LOCAL_AUTHORITY,
            provenance=_prov([cite("SEND Regs reg 18(1)(a)", P, _REG_18)]),
            conditions=(Condition.TRANSFER_SECONDARY_TO_POST16,),
        ),
    )
}
"""The two fixed-date deadlines (reg 18(1)), due in the calendar year of the transfer."""

EVENTS: dict[str, str] = {
    # Triggers
    "decision_notice_sent": "written notice of the LA's (appealable) decision was sent",
    "adviser_told_no_mediation": "the mediation adviser was told mediation is not wanted",
    "la_told_mediation_issues": "the LA was told the mediation issues",
    "la_told_wish_to_mediate": "the parent/young person told the LA they want mediation",
    "commissioning_body_notified": "the LA notified the commissioning body of health-only issues",
    "adviser_told_mediation_not_arranged": "the arranging body told the adviser mediation cannot "
    "be arranged within 30 days",
    "mediation_concluded": "the mediation concluded",
    "mediation_date": "the date fixed for the mediation meeting",
    "mediation_agreement": "date of the written mediation agreement",
    "certificate_issued": "the mediation certificate was issued",
    "tribunal_recommendation_issued": "the Tribunal decision with a health/social care "
    "recommendation was issued",
    "assessment_request_received": "the LA received the request for an EHC needs assessment",
    "la_became_responsible": "the LA became responsible for the child or young person (s.24)",
    "advice_requested": "the LA asked for advice or information for an assessment",
    "draft_plan_served": "the draft EHC plan was served",
    "plan_made": "the EHC plan was first made",
    "review_meeting": "the review meeting (past or planned)",
    "proposed_amendments_served": "the proposed amendments were served",
    "proposed_amendments_sent": "the LA sent the proposed amendments",
    "transfer_date": "the date of the transfer between phases or institutions",
    "reassessment_request_received": "the LA received a request to re-assess",
    "reassessment_notice_sent": "the LA sent its reg 25(1) notice of a decision to re-assess",
    "decision_to_reassess": "the LA decided to re-assess under s.44(3)",
    "tribunal_order": "date of the Tribunal order",
    "complainant_aware_of_problem": "the complainant became aware of the problem",
    "matter_occurred": "the matter complained of occurred",
    "matter_came_to_notice": "the matter came to the complainant's notice",
    "grounds_arose": "the grounds for judicial review first arose",
    "act_complained_of": "the act complained of (or the last of a series)",
    # Completions
    "adviser_contacted": "the parent/young person contacted the mediation adviser",
    "mediation_arranged": "a date for the mediation was fixed",
    "mediation_held": "the mediation meeting took place",
    "appeal_received": "the Tribunal received the appeal",
}
"""Every event name the clocks understand, with what it means."""
