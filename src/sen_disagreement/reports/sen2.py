"""The mediation and Tribunal flags of the DfE SEN2 person-level return, derived from case
events, and the aggregate counts DfE publishes from them.

The person-level return (DfE COLLECT, from the 2023 return) carries booleans only: module 2
(Requests) ``RequestMediation`` and ``RequestTribunal``; module 3 (Assessments)
``AssessmentMediation``, ``AssessmentTribunal``, ``OtherMediation`` and ``OtherTribunal``
(DfE, *SEN2 person level: guide and technical specification*, 2023 v1.1 / 2025 v1.4, module
field lists; the published EHC-plan statistics name the aggregates ``request_mediation`` ...
``total_tribunal_followed_mediation``). No dates and no outcomes are returned.

What the guide's field notes do not settle is a named setting (:class:`Sen2Settings`), graded
UNCONFIRMED, never a constant:

* which event sets a Mediation flag (:class:`MediationEvidence`: a mediation held, by default);
* which event sets a Tribunal flag (:class:`TribunalEvidence`): the case model records no
  Tribunal appeal, so by default an audited Tribunal-bundle export stands for one;
* which field group a refusal to re-assess belongs to (:class:`ReassessmentGroup`).

A row carries the case id (for the council to join to its own SEN2 person records), the module
and the six flags: never a name, a UPN, a date of birth or a recorded item. The validation pass
names every case it could not place and why.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import attrs
from attrs import field, frozen

from sen_disagreement._enum import Enum
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.provenance import Provenance, Rule, S, U, cite
from sen_disagreement.reports._read import CouncilReader, Unreadable, england_date, reader_for
from sen_disagreement.workflow import Case, MediationCase

if TYPE_CHECKING:
    from sen_disagreement.actors import Actor
    from sen_disagreement.service import CaseService
    from sen_disagreement.store.contract import AuditEntry

__all__ = [
    "FIELDS",
    "SEN2_FLAG_GROUPS",
    "SEN2_TRIBUNAL_EVIDENCE",
    "FlagGroup",
    "MediationEvidence",
    "Problem",
    "ReassessmentGroup",
    "Sen2Report",
    "Sen2Row",
    "Sen2Settings",
    "TribunalEvidence",
    "derive",
    "describe_settings",
    "sen2_report",
]

_GUIDE = ("DfE 'SEN2 person level: guide and technical specification' (2023 v1.1; 2025 v1.4), "
          "modules 2 Requests and 3 Assessments")
_STATS = ("DfE 'Education, health and care plans' statistics: sen2_mi.csv and the 2025 release "
          "files requests.csv / assessments.csv (data guidance)")

SEN2_FLAG_GROUPS = Rule(
    "sen2.flag_groups",
    "SEN2 returns, per person, whether mediation and whether a Tribunal appeal followed a "
    "refused request for an EHC needs assessment (Requests: RequestMediation, RequestTribunal), "
    "a decision after assessment not to issue a plan (Assessments: AssessmentMediation, "
    "AssessmentTribunal), or any other appealable decision (OtherMediation, OtherTribunal). A "
    "case whose decisions fall in more than one group is not placed.",
    Provenance([
        cite(_GUIDE, S),
        cite("field lists as mirrored in MastodonC/witan.sen2 person_level/blade/csv.clj", S),
        cite("s.51(2) limb -> field group; which event sets a flag", U),
    ]),
)
SEN2_TRIBUNAL_EVIDENCE = Rule(
    "sen2.tribunal_evidence",
    "The case model records no Tribunal appeal; a Tribunal flag is set from the evidence the "
    "council's setting names (an audited Tribunal-bundle export by default), or left unknown "
    "and the case named in the validation pass.",
    Provenance([cite(_GUIDE, S), cite("a bundle export as evidence of an appeal", U)]),
)


class FlagGroup(Enum):
    """The SEN2 field group a decision's mediation and Tribunal flags belong to."""

    REQUEST = "Request"
    ASSESSMENT = "Assessment"
    OTHER = "Other"

    @property
    def module(self) -> str:
        return "Requests" if self is FlagGroup.REQUEST else "Assessments"


class MediationEvidence(Enum):
    """Which event sets a Mediation flag for the year it falls in."""

    HELD = "held"
    """A mediation meeting took place (the date it was held)."""
    WANTED = "wanted"
    """The parent or young person told the council they want mediation (the date they did),
    whether or not it was then held."""


class TribunalEvidence(Enum):
    """Which event sets a Tribunal flag for the year it falls in."""

    BUNDLE_EXPORTED = "bundle_exported"
    """The council's Tribunal-bundle exporter exported the case's bundle (the first audited
    export): councils prepare a bundle once an appeal is registered."""
    NOT_RECORDED = "not_recorded"
    """No Tribunal flag is derived; every case with a certificate issued in the year is named
    in the validation pass (the council sets the flag from its Tribunal correspondence)."""


class ReassessmentGroup(Enum):
    """The field group of a refusal to re-assess (s.51(2)(d))."""

    OTHER = "Other"
    """Other: the Requests module counts initial requests for assessment."""
    REQUEST = "Request"
    """Request: a request for re-assessment returned as a request."""


def _setting(default: Any, summary: str, provenance: Provenance, alternatives: str) -> Any:
    return field(default=default, metadata={"summary": summary, "provenance": provenance,
                                            "alternatives": alternatives})


@frozen(kw_only=True)
class Sen2Settings:
    """The readings of the SEN2 guide a council may choose (each UNCONFIRMED)."""

    mediation_evidence: MediationEvidence = _setting(  # noqa: RUF009 (attrs field with metadata)
        MediationEvidence.HELD,
        "The event that sets a Mediation flag: a mediation held in the year.",
        Provenance([cite(_GUIDE, S), cite("'mediation' read as a mediation held", U)]),
        "wanted: the parent or young person told the council they want mediation",
    )
    tribunal_evidence: TribunalEvidence = _setting(  # noqa: RUF009 (attrs field with metadata)
        TribunalEvidence.BUNDLE_EXPORTED,
        "The event that sets a Tribunal flag: the first audited Tribunal-bundle export.",
        SEN2_TRIBUNAL_EVIDENCE.provenance,
        "not_recorded: no flag derived; cases with a certificate are named for the council",
    )
    reassessment_group: ReassessmentGroup = _setting(  # noqa: RUF009 (attrs field with metadata)
        ReassessmentGroup.OTHER,
        "The field group of a refusal to re-assess (s.51(2)(d)): Other.",
        Provenance([cite(_GUIDE, S), cite("re-assessment requests in the Requests module", U)]),
        "request: returned with the Requests module's flags",
    )


def describe_settings() -> list[dict[str, str]]:
    """Each SEN2 setting with its default, alternatives, grade and citations."""
    out = []
    for a in attrs.fields(Sen2Settings):
        prov: Provenance = a.metadata["provenance"]
        default = getattr(Sen2Settings(), a.name)
        out.append({"name": a.name, "default": default.value, "summary": a.metadata["summary"],
                    "alternatives": a.metadata["alternatives"], "grade": prov.grade.value,
                    "citation": prov.cite()})
    return out


FIELDS = ("CaseRef", "Module", "RequestMediation", "RequestTribunal", "AssessmentMediation",
          "AssessmentTribunal", "OtherMediation", "OtherTribunal")
"""The CSV columns: ``CaseRef`` (the case id, for the council's join; not a SEN2 field),
``Module`` and the six flags in the return's own field names."""


def _group(decision: AppealableDecision, settings: Sen2Settings) -> FlagGroup:
    if decision is AppealableDecision.NOT_TO_ASSESS:
        return FlagGroup.REQUEST
    if decision is AppealableDecision.NO_PLAN_AFTER_ASSESSMENT:
        return FlagGroup.ASSESSMENT
    if decision is AppealableDecision.NOT_TO_REASSESS:
        return FlagGroup(settings.reassessment_group.value)
    return FlagGroup.OTHER


@frozen
class Sen2Row:
    """One person-level row: the case, its field group and whether each flag is set."""

    case_ref: str
    group: FlagGroup
    mediation: bool
    tribunal: bool
    mediation_on: dt.date | None = field(default=None, eq=False)
    tribunal_on: dt.date | None = field(default=None, eq=False)

    def values(self) -> dict[str, str]:
        """The row in the return's field names: ``1``/``0`` for the row's own group's flags,
        empty for the other groups'."""
        out = {"CaseRef": self.case_ref, "Module": self.group.module}
        for g in FlagGroup:
            out[f"{g.value}Mediation"] = ("1" if self.mediation else "0") if g is self.group else ""
            out[f"{g.value}Tribunal"] = ("1" if self.tribunal else "0") if g is self.group else ""
        return {k: out[k] for k in FIELDS}


@frozen
class Problem:
    """A case the report could not place, the reason and the rule."""

    case_id: str
    reason: str
    rule_id: str

    def as_json(self) -> dict[str, str]:
        return {"case_id": self.case_id, "reason": self.reason, "rule_id": self.rule_id}


@frozen
class Sen2Report:
    """The SEN2 flags of a council's cases for calendar ``year``: the council's GSS code, the
    settings used, a row per person-level record, the cases that could not be placed and why
    (``problems``), and the counts of those left out (``excluded``); as JSON, CSV or the
    published aggregates."""

    year: int
    council: str
    settings: Sen2Settings
    rows: tuple[Sen2Row, ...]
    problems: tuple[Problem, ...]
    excluded: dict[str, int]
    """Cases read but outside the return, by reason (counts only)."""

    def aggregates(self) -> dict[str, dict[str, int | float | None]]:
        """The published aggregate counts, under the names DfE uses (sen2_mi.csv; the 2025
        release's requests.csv and assessments.csv, ``number_asssess_...`` sic)."""
        def count(group: FlagGroup | None, *, med: bool = False, trib: bool = False,
                  after: bool = False) -> int:
            n = 0
            for r in self.rows:
                if group is not None and r.group is not group:
                    continue
                if (med and not r.mediation) or (trib and not r.tribunal):
                    continue
                if after and not _followed(r):
                    continue
                n += 1
            return n

        req, ass, oth = FlagGroup.REQUEST, FlagGroup.ASSESSMENT, FlagGroup.OTHER
        total_mediation = count(None, med=True)
        followed = count(None, med=True, trib=True, after=True)
        mi: dict[str, int | float | None] = {
            "total_mediation": total_mediation,
            "total_tribunal_followed_mediation": followed,
            "total_tribunal_pc": (round(100 * followed / total_mediation, 1)
                                  if total_mediation else None),
            "request_mediation": count(req, med=True),
            "assessment_mediation": count(ass, med=True),
            "other_mediation": count(oth, med=True),
            "request_tribunal": count(req, trib=True),
            "assessment_tribunal": count(ass, trib=True),
            "other_tribunal": count(oth, trib=True),
            "total_tribunal": count(None, trib=True),
        }
        release: dict[str, int | float | None] = {
            "mediation_related_request": count(req, med=True),
            "tribunal_related_request": count(req, trib=True),
            "tribunal_after_mediation_request": count(req, med=True, trib=True, after=True),
            "number_assess_mediation": count(ass, med=True),
            "number_assess_tribunal": count(ass, trib=True),
            "number_asssess_mediation_tribunal": count(ass, med=True, trib=True),
            "number_other_mediation": count(oth, med=True),
            "number_other_tribunal": count(oth, trib=True),
            "number_other_mediation_tribunal": count(oth, med=True, trib=True),
        }
        return {"sen2_mi": mi, "release_2025": release}

    def as_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "council": self.council,
            "settings": {a.name: getattr(self.settings, a.name).value
                         for a in attrs.fields(Sen2Settings)},
            "fields": list(FIELDS),
            "rows": [r.values() for r in self.rows],
            "aggregates": self.aggregates(),
            "unplaced": [p.as_json() for p in self.problems],
            "excluded": dict(sorted(self.excluded.items())),
            "sources": [SEN2_FLAG_GROUPS.cite(), _STATS],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_json(), indent=2, sort_keys=False)

    def to_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(FIELDS), lineterminator="\n")
        writer.writeheader()
        for r in self.rows:
            writer.writerow(r.values())
        return buf.getvalue()


def _followed(row: Sen2Row) -> bool:
    return (row.mediation_on is not None and row.tribunal_on is not None
            and row.mediation_on <= row.tribunal_on)


def _bundle_exported(entries: Iterable[AuditEntry]) -> dt.date | None:
    return next((england_date(e.at) for e in entries
                 if e.action == "export.tribunal_bundle" and e.outcome == "ok"), None)


def _mediation_on(case: MediationCase, settings: Sen2Settings) -> dt.date | None:
    if settings.mediation_evidence is MediationEvidence.HELD:
        return case.held_on
    return case.told_la_on


def derive(
    case: Case | Unreadable, year: int, settings: Sen2Settings,
    audit: Iterable[AuditEntry] | None,
) -> tuple[Sen2Row | Problem | str, ...]:
    """One case's place in the return for ``year``: a row and/or a :class:`Problem` naming
    why it cannot be (fully) placed; a reason it is outside the return (a ``str``); or nothing
    when nothing of the year concerns it. ``audit``: the store's audit trail of the case (for
    the Tribunal evidence)."""
    if isinstance(case, Unreadable):
        return (Problem(case.case_id, "the stored case document is not a valid case",
                        case.rule_id),)
    if not isinstance(case, MediationCase):
        return ("disagreement resolution (not in SEN2)",)
    out: list[Sen2Row | Problem | str] = []
    groups = sorted({_group(d, settings) for d in case.notice.decisions}, key=lambda g: g.value)
    med_on = _mediation_on(case, settings)
    trib_on = (_bundle_exported(audit or ()) if settings.tribunal_evidence
               is TribunalEvidence.BUNDLE_EXPORTED else None)
    med = med_on is not None and med_on.year == year
    trib = trib_on is not None and trib_on.year == year
    if settings.tribunal_evidence is TribunalEvidence.NOT_RECORDED and any(
            c.issued_on.year == year for c in case.certificates):
        out.append(Problem(case.case_id, "a certificate was issued in the year and no Tribunal "
                           "appeal is recorded in the case: the Tribunal flag is unknown "
                           "(setting tribunal_evidence=not_recorded)",
                           SEN2_TRIBUNAL_EVIDENCE.rule_id))
    if not (med or trib):
        return tuple(out)
    if len(groups) != 1:
        out.append(Problem(case.case_id, "the decisions under mediation fall in more than one "
                           "SEN2 field group (" + ", ".join(g.value for g in groups) + ")",
                           SEN2_FLAG_GROUPS.rule_id))
        return tuple(out)
    out.insert(0, Sen2Row(case.case_id, groups[0], med, trib, med_on if med else None,
                          trib_on if trib else None))
    return tuple(out)


def check_year(year: object) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not 2014 <= year <= 9998:
        raise InvalidInputError("must be a calendar year from 2014 (CFA 2014 Part 3) to 9998",
                                field="year", rule_id="input.range")
    return year


def _collect(reader: CouncilReader, year: int, settings: Sen2Settings
             ) -> Iterator[Sen2Row | Problem | str]:
    wants_audit = settings.tribunal_evidence is TribunalEvidence.BUNDLE_EXPORTED
    for case_id, case in reader.records():
        audit = (reader.store_audit(case_id)
                 if wants_audit and isinstance(case, MediationCase) else None)
        yield from derive(case, year, settings, audit)


def sen2_report(
    service: CaseService, user: str | Actor, *, year: int, council: str | None = None,
    settings: Sen2Settings | None = None,
) -> Sen2Report:
    """The SEN2 mediation and Tribunal flags of ``council``'s cases (default: the officer's
    own) for calendar ``year``, read as ``user`` (an officer of that council)."""
    year = check_year(year)
    chosen = settings or Sen2Settings()
    reader = reader_for(service, user, council)
    rows: list[Sen2Row] = []
    problems: list[Problem] = []
    excluded: dict[str, int] = {}
    for placed in _collect(reader, year, chosen):
        if isinstance(placed, Sen2Row):
            rows.append(placed)
        elif isinstance(placed, Problem):
            problems.append(placed)
        elif isinstance(placed, str):
            excluded[placed] = excluded.get(placed, 0) + 1
    return Sen2Report(year, reader.council.gss_code, chosen, tuple(rows), tuple(problems),
                      excluded)
