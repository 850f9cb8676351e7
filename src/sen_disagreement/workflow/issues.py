"""The issues in dispute, what each concerns, and the outcome reached on each.

Each :class:`Issue` is tagged with what it concerns: an EHC plan section (B, F, G, H1, H2, I) or
a duty (:class:`~sen_disagreement.ehc.Duty`). The outcome is recorded per issue
(:class:`IssueOutcome`); the overall outcome (:class:`AgreementLevel`) follows from them. The
issues left unresolved (partly or not agreed) are what a later appeal can focus on
(:meth:`IssueList.unresolved`): a partial agreement narrows the dispute (rule
:data:`PARTIAL_AGREEMENT_NARROWS`).

Issues hold no free text: a description, where one is kept, is a recorded item with its own
disclosure class.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import cast

import attrs
from attrs import field, frozen

from sen_disagreement._checks import check_id, id_validator, typed_fields
from sen_disagreement._enum import Enum
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.ehc import Duty, PlanSection, Provision
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.provenance import Provenance, Rule, S, cite

__all__ = [
    "PARTIAL_AGREEMENT_NARROWS",
    "AgreementLevel",
    "Issue",
    "IssueList",
    "IssueOutcome",
    "check_id",
]

PARTIAL_AGREEMENT_NARROWS = Rule(
    "s57.partial_agreement_narrows",
    "A partial agreement reached through disagreement resolution or mediation narrows what "
    "remains in dispute for a later Tribunal appeal.",
    Provenance(
        [
            cite("KIDS: disagreement resolution; Sheffield Local Offer; Sefton seed page", S),
        ]
    ),
)
"""A partial agreement narrows what remains in dispute for a later Tribunal appeal."""

class IssueOutcome(Enum):
    """How one issue ended: agreed, partly agreed or not agreed."""

    AGREED = "agreed"
    PARTLY_AGREED = "partly_agreed"
    NOT_AGREED = "not_agreed"


class AgreementLevel(Enum):
    """The overall outcome of a meeting."""

    FULL = "full_agreement"
    PARTIAL = "partial_agreement"
    NONE = "no_agreement"


_SECTION_LIMBS = {
    PlanSection.B: (AppealableDecision.PLAN_NEEDS,),
    PlanSection.F: (AppealableDecision.PLAN_SPECIAL_EDUCATIONAL_PROVISION,),
    PlanSection.I: (
        AppealableDecision.PLAN_PLACEMENT_NAMED,
        AppealableDecision.PLAN_NO_PLACEMENT_NAMED,
    ),
}
_DUTY_LIMBS = {
    Duty.ASSESS: (AppealableDecision.NOT_TO_ASSESS, AppealableDecision.NOT_TO_REASSESS),
    Duty.DRAW_UP_PLAN: (AppealableDecision.NO_PLAN_AFTER_ASSESSMENT,),
}


# Each section's provision as PlanSection.provision answers it (a pure function of the member),
# read once: B and I, which it leaves open, are about special educational provision.
_SECTION_PROVISION = {
    s: Provision.SPECIAL_EDUCATIONAL if s.provision is None else s.provision for s in PlanSection
}


@frozen(kw_only=True, field_transformer=typed_fields)
class Issue:
    """One issue in dispute: exactly one of ``section`` and ``duty``."""

    issue_id: str = field(validator=id_validator)
    section: PlanSection | None = None
    duty: Duty | None = None

    def __attrs_post_init__(self) -> None:
        if (self.section is None) == (self.duty is None):
            raise InvalidInputError(
                "an issue concerns exactly one EHC plan section (B, F, G, H1, H2, I) or one duty",
                field="section",
                rule_id="issue.concerns",
            )

    @property
    def concerns(self) -> str:
        """``"section B"`` ... ``"section I"`` or ``"duty: assess"``."""
        if self.section is not None:
            return f"section {self.section.value}"
        assert self.duty is not None
        return f"duty: {self.duty.label}"

    @property
    def provision(self) -> Provision:
        """The kind of provision the issue is about (decides the mediation route). Sections B and
        I, and every duty, are about special educational provision."""
        if self.section is None:
            return Provision.SPECIAL_EDUCATIONAL
        return _SECTION_PROVISION[self.section]

    @property
    def appealable_limbs(self) -> tuple[AppealableDecision, ...]:
        """The s.51(2) limbs a later appeal on this issue could rest on; empty for sections G, H1
        and H2 (rule ``s51.health_social_care_not_appealable``) and duties with no limb."""
        if self.section is not None:
            return _SECTION_LIMBS.get(self.section, ())
        assert self.duty is not None
        return _DUTY_LIMBS.get(self.duty, ())


def _issues(value: Iterable[Issue]) -> tuple[Issue, ...]:
    return tuple(value)


def _outcomes(
    value: Iterable[tuple[str, IssueOutcome]] | Mapping[str, IssueOutcome],
) -> tuple[tuple[str, IssueOutcome], ...]:
    # A dict is a Mapping and a tuple is not: the exact types answer without the ABC check.
    kind = type(value)
    mapping = kind is dict or (kind is not tuple and isinstance(value, Mapping))
    items = cast("Mapping[str, IssueOutcome]", value).items() if mapping else cast(
        "Iterable[tuple[str, IssueOutcome]]", value)
    return tuple((k, v) for k, v in items)


@frozen(field_transformer=typed_fields)
class IssueList:
    """The issues of a case and the outcome recorded on each (in the order recorded)."""

    issues: tuple[Issue, ...] = field(default=(), converter=_issues)
    outcomes: tuple[tuple[str, IssueOutcome], ...] = field(default=(), converter=_outcomes)

    def ids(self) -> tuple[str, ...]:
        return tuple(i.issue_id for i in self.issues)

    def get(self, issue_id: str) -> Issue:
        for issue in self.issues:
            if issue.issue_id == issue_id:
                return issue
        raise InvalidInputError("is not an issue of this case", field="issue_id",
                                rule_id="issue.unknown")

    def add(self, issue: Issue) -> IssueList:
        if issue.issue_id in self.ids():
            raise InvalidInputError(
                "is already an issue of this case", field="issue_id", rule_id="issue.unique"
            )
        issues = self.issues
        outcomes = self.outcomes
        if type(issues) is tuple and type(outcomes) is tuple and not outcomes:
            # What the constructor makes of these: ``issues`` converted is itself, and no
            # outcomes convert to no outcomes (neither field has a validator).
            return _issue_list((*issues, issue), ())
        return IssueList((*issues, issue), outcomes)

    def with_outcomes(self, outcomes: Mapping[str, IssueOutcome]) -> IssueList:
        """Record an outcome for every issue (all at once, after the meeting)."""
        if not self.issues:
            raise InvalidInputError(
                "no issues were recorded, so there is nothing to record an outcome on",
                field="issues",
                rule_id="issue.outcome_per_issue",
            )
        if self.outcomes:
            raise InvalidInputError(
                "outcomes were already recorded", field="outcomes", rule_id="issue.outcome_once"
            )
        for issue_id, outcome in outcomes.items():
            self.get(issue_id)
            if not isinstance(outcome, IssueOutcome):
                raise InvalidInputError(
                    "must be agreed, partly_agreed or not_agreed",
                    field=f"outcomes.{issue_id}",
                    rule_id="issue.outcome_per_issue",
                )
        ids = self.ids()  # read once for both uses: the issues do not change in between
        missing = [i for i in ids if i not in outcomes]
        if missing:
            raise InvalidInputError(
                "every issue needs an outcome; missing: " + ", ".join(missing),
                field="outcomes",
                rule_id="issue.outcome_per_issue",
            )
        pairs = tuple([(i, outcomes[i]) for i in ids])
        if type(self.issues) is tuple:
            # The constructor would convert ``issues`` to itself and rebuild ``pairs`` pair by
            # pair into the same values.
            return _issue_list(self.issues, pairs)
        return IssueList(self.issues, pairs)

    def outcome(self, issue_id: str) -> IssueOutcome | None:
        return dict(self.outcomes).get(issue_id)

    @property
    def level(self) -> AgreementLevel | None:
        """The overall outcome, once outcomes are recorded."""
        if not self.outcomes:
            return None
        values = {o for _, o in self.outcomes}
        if values == {IssueOutcome.AGREED}:
            return AgreementLevel.FULL
        if values == {IssueOutcome.NOT_AGREED}:
            return AgreementLevel.NONE
        return AgreementLevel.PARTIAL

    def unresolved(self) -> tuple[Issue, ...]:
        """Issues without full agreement: what a later appeal can focus on (rule
        ``s57.partial_agreement_narrows``). Before outcomes are recorded, every issue."""
        done = {i for i, o in self.outcomes if o is IssueOutcome.AGREED}
        return tuple(i for i in self.issues if i.issue_id not in done)

    def appeal_focus(self) -> tuple[tuple[Issue, tuple[AppealableDecision, ...]], ...]:
        """Each unresolved issue with the s.51(2) limbs an appeal on it could rest on."""
        return tuple((i, i.appealable_limbs) for i in self.unresolved())

    def provisions(self) -> frozenset[Provision]:
        return frozenset(i.provision for i in self.issues)


_new = object.__new__
_bind = object.__setattr__.__get__
# The fast build sets exactly these fields.
_FAST_LIST = tuple(f.name for f in attrs.fields(IssueList)) == ("issues", "outcomes") and all(
    f.validator is None for f in attrs.fields(IssueList))


def issue_list_of(issues: Iterable[Issue]) -> IssueList:
    """``IssueList()`` with each of ``issues`` added in turn (:meth:`IssueList.add`: the same
    list, or the same error for an id given twice), without a list built per issue."""
    chosen: list[Issue] = []
    ids: list[str] = []  # the ids so far, in order, as ``add`` reads them from its list
    for issue in issues:
        issue_id = issue.issue_id
        if issue_id in ids:
            raise InvalidInputError(
                "is already an issue of this case", field="issue_id", rule_id="issue.unique"
            )
        chosen.append(issue)
        ids.append(issue_id)
    return _issue_list(tuple(chosen), ())


def _issue_list(issues: tuple[Issue, ...], outcomes: tuple[tuple[str, IssueOutcome], ...]
                ) -> IssueList:
    """``IssueList(issues, outcomes)`` for values its converters give back as they are."""
    if not _FAST_LIST:  # pragma: no cover - a field or validator added to IssueList
        return IssueList(issues, outcomes)
    new: IssueList = _new(IssueList)
    set_ = _bind(new)
    set_("issues", issues)
    set_("outcomes", outcomes)
    return new
