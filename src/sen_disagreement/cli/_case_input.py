"""The JSON documents of ``sen-disagreement case``: an opening (``case open``) and a step's fields
(``case step``), structured with the library's strict cattrs converter
(:func:`sen_disagreement.serialization.structure`), so every fault is a typed
:class:`~sen_disagreement.errors.DocumentError` naming its JSON path and rule.

A step's document holds the fields of its class in :mod:`sen_disagreement.workflow.steps` (dates
``YYYY-MM-DD``, enums by value). Where a step holds a mapping (``record_outcome``'s
``outcomes``, ``record_agreement``'s ``outcomes`` and ``other_periods_in_writing``) the document
gives a JSON object, ``{"issue-id": "agreed"}``. ``change_contact`` takes the party and its new
contact details, ``{"party_id": "parent", "contact": {"email": "...", "phone": "...",
"postal": ["line", "...", "postcode"]}}`` (any of the three; a fault names the field, never the
value). Who acts is never in a document: it is the user the council's directory resolves.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from attrs import field, frozen

from sen_disagreement.errors import DocumentError, InvalidInputError
from sen_disagreement.serialization import structure
from sen_disagreement.service import OpenDisagreementResolution, OpenMediation
from sen_disagreement.workflow import DisagreementResolutionCase, MediationCase
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.issues import IssueOutcome
from sen_disagreement.workflow.mediation import AgreedAction

S = TypeVar("S", bound=st.Step)

__all__ = ["OPENINGS", "STEPS", "opening_from", "step_class", "step_from"]

OPENINGS: dict[str, type[OpenDisagreementResolution] | type[OpenMediation]] = {
    DisagreementResolutionCase.KIND: OpenDisagreementResolution,
    MediationCase.KIND: OpenMediation,
}
"""``kind`` of an opening document -> what it opens."""

STEPS: dict[str, type[st.Step]] = {
    cls.NAME: cls
    for cls in vars(st).values()
    if isinstance(cls, type) and issubclass(cls, st.Step) and cls is not st.Step
    and cls.__module__ == st.__name__
}
"""Step name (as in :data:`~sen_disagreement.workflow.steps.PERMISSIONS`) -> its class."""


def _problem(message: str, field: str, rule_id: str) -> DocumentError:
    return DocumentError([InvalidInputError(message, field=field, rule_id=rule_id)])


def step_class(name: str) -> type[st.Step]:
    """The step called ``name``: its name in the permission table (``record_outcome``) or its
    class name (``RecordOutcome``)."""
    found = STEPS.get(name) or next(
        (cls for cls in STEPS.values() if cls.__name__ == name), None
    )
    if found is None:
        shown = name if len(name) <= 40 else name[:40] + "..."
        raise InvalidInputError(f"{shown!r} is not a step; one of {', '.join(sorted(STEPS))}",
                                field="STEP", rule_id="input.step")
    return found


@frozen(kw_only=True)
class _RecordOutcomeDocument:
    outcomes: dict[str, IssueOutcome]


@frozen(kw_only=True)
class _RecordAgreementDocument:
    document_id: str
    text: str
    agreed_on: dt.date
    actions: tuple[AgreedAction, ...]
    other_periods_in_writing: dict[str, dt.date] = field(factory=dict)
    outcomes: dict[str, IssueOutcome] = field(factory=dict)


def _build(cls: type[S], **values: Any) -> S:
    try:
        return cls(**values)
    except InvalidInputError as exc:
        raise DocumentError([exc.at("$")]) from None


def step_from(name: str, data: object) -> st.Step:
    """The step ``name`` built from its JSON document ``data`` (an object of its fields)."""
    cls = step_class(name)
    if cls is st.RecordOutcome:
        doc = structure(data, _RecordOutcomeDocument)
        return _build(st.RecordOutcome, outcomes=doc.outcomes)
    if cls is st.RecordAgreement:
        agreement = structure(data, _RecordAgreementDocument)
        return _build(st.RecordAgreement, document_id=agreement.document_id, text=agreement.text,
                      agreed_on=agreement.agreed_on, actions=agreement.actions,
                      other_periods_in_writing=agreement.other_periods_in_writing,
                      outcomes=agreement.outcomes)
    return structure(data, cls)


def opening_from(data: object) -> OpenDisagreementResolution | OpenMediation:
    """An opening from its JSON document: ``kind`` (``disagreement_resolution`` or
    ``mediation``) and the fields of :class:`OpenDisagreementResolution` or
    :class:`OpenMediation`."""
    if not isinstance(data, dict):
        raise _problem("must be a JSON object", "$", "input.type")
    kind = data.get("kind")
    if "kind" not in data:
        raise _problem("is required", "$.kind", "input.required")
    cls = OPENINGS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise _problem(f"must be one of {sorted(OPENINGS)}", "$.kind", "input.enum")
    return structure({k: v for k, v in data.items() if k != "kind"}, cls)
