"""HTML forms for the library's step commands, built from the steps' own attrs fields.

A step's form is read off its class in :mod:`sen_disagreement.workflow.steps` (a date field is a
GOV.UK date input, an enum a select, a bool a checkbox, a nested value such as an issue or a party
a group of its simple fields), and the posted form becomes a JSON-like document that the library's
strict converter (:func:`sen_disagreement.serialization.structure`) turns into the step. So the
checks, and the error of each field, are the library's; this module only maps an error's JSON path
(``$.issue.section``) back to the form field it came from (``issue.section``).

Who acts is never a form field: it is the signed-in user.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
from attrs import frozen

from sen_disagreement.errors import DocumentError, InvalidInputError
from sen_disagreement.parties import Party
from sen_disagreement.serialization import structure
from sen_disagreement.workflow import Case
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.issues import IssueOutcome
from sen_disagreement.workflow.mediation import MediationCase

__all__ = ["NOT_OFFERED", "STEP_CLASSES", "Field", "FieldErrors", "build_step", "date_value",
           "errors_of", "fields_for", "plain_text_errors", "step_title",
           "version_value"]

STEP_CLASSES: dict[str, type[st.Step]] = {
    cls.NAME: cls
    for cls in vars(st).values()
    if isinstance(cls, type) and issubclass(cls, st.Step) and cls is not st.Step
    and cls.__module__ == st.__name__ and cls is not st.Sweep
}
"""The steps a person may take (the daily sweep is the library's own)."""

NOT_OFFERED = frozenset({"record_agreement"})
"""Steps this example has no form for: the written mediation agreement's list of reg 42 actions
is a document, taken with ``sen-disagreement case step --input`` instead."""

_TITLES = {
    "seek_agreement": "Ask the parties whether they agree",
    "record_issue": "Record an issue",
    "agree": "Record agreement",
    "decline": "Record a refusal",
    "withdraw": "Withdraw agreement",
    "assign_provider": "Assign the provider",
    "contact_adviser": "Record contact with the mediation adviser",
    "give_information": "Record information and advice given",
    "confirm_issues": "Confirm the mediation issues",
    "notify_commissioning_body": "Record telling a commissioning body",
    "choose_route": "Record who arranges the mediation",
    "arrange_meeting": "Arrange the meeting",
    "hold_meeting": "Record that the meeting took place",
    "record_item": "Record a note, document or offer",
    "record_outcome": "Record the outcome",
    "issue_certificate": "Issue the certificate",
    "record_agreement": "Record the written agreement",
    "duty_met": "Record that a duty was done",
    "close": "Close the case",
}

_DEFAULTS = {
    ("contact_adviser", "adviser.kind"): "mediation_adviser",
    ("arrange_meeting", "mediator.kind"): "mediator",
}

_LABELS = {
    "party_id": "Party", "told_la_on": "Date the local authority was told",
    "on": "Date", "meeting_date": "Meeting date", "item_id": "Reference",
    "text": "Text", "in_meeting": "Made in the meeting",
    "on_behalf_lacking_capacity": "For a young person who lacks capacity",
    "adviser_id": "Adviser reference", "adviser.kind": "Adviser type",
    "adviser.name": "Adviser name", "mediator_id": "Mediator reference",
    "mediator.kind": "Mediator type", "mediator.name": "Mediator name",
    "shorter_notice_agreed": "Everyone agreed to shorter notice",
    "issue.issue_id": "Issue reference", "issue.section": "EHC plan section",
    "issue.duty": "Duty", "body_id": "Commissioning body", "key": "Duty key",
    "kind": "Kind", "disclosure": "Who may read it",
}

_MEDIATION_ONLY = {("arrange_meeting", "mediator_id"), ("arrange_meeting", "mediator"),
                   ("arrange_meeting", "shorter_notice_agreed")}
"""Fields a disagreement-resolution case's form leaves out (its provider, not a mediator, runs
the meeting)."""

_DATE_PARTS = ("day", "month", "year")


def step_title(name: str) -> str:
    return _TITLES.get(name, name.replace("_", " ").capitalize())


@frozen
class Field:
    """One form field. ``kind``: text, textarea, date, checkbox or select."""

    name: str
    label: str
    kind: str
    required: bool
    choices: tuple[tuple[str, str], ...] = ()
    default: str = ""

    @property
    def html_id(self) -> str:
        return "f-" + re.sub(r"[^a-zA-Z0-9_-]", "-", self.name)

    @property
    def first_input_id(self) -> str:
        """Where the error summary's link lands (a date's first box)."""
        return f"{self.html_id}-day" if self.kind == "date" else self.html_id


def _unoptional(tp: Any) -> tuple[Any, bool]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _simple(name: str, label: str, tp: Any, required: bool, default: str) -> Field | None:
    if tp is str:
        kind = "textarea" if name.endswith("text") else "text"
        return Field(name, label, kind, required, default=default)
    if tp is bool:
        return Field(name, label, "checkbox", False)
    if tp is dt.date:
        return Field(name, label, "date", required)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        choices = tuple((m.value, str(getattr(m, "label", m.value)).replace("_", " "))
                        for m in tp)
        return Field(name, label, "select", required, choices, default)
    return None


_NESTED_FIELDS: dict[type[Any], tuple[str, ...]] = {Party: ("kind", "name")}
"""Of a nested value, the fields a step's form asks for (an adviser or mediator is named; a
date of birth or a capacity flag is a person's, not theirs)."""


def _attrs_fields(step: str, cls: type[Any], prefix: str, nested: bool) -> list[Field]:
    hints = typing.get_type_hints(cls)
    out: list[Field] = []
    wanted = _NESTED_FIELDS.get(cls) if nested else None
    for a in attrs.fields(cls):
        if wanted is not None and a.name not in wanted:
            continue
        name = f"{prefix}{a.name}"
        has_default = a.default is not attrs.NOTHING
        tp, optional = _unoptional(hints[a.name])
        required = not (optional or has_default)
        label = _LABELS.get(name, a.name.replace("_", " ").capitalize())
        simple = _simple(name, label, tp, required, _DEFAULTS.get((step, name), ""))
        if simple is not None:
            out.append(simple)
        elif attrs.has(tp) and not nested:
            out.extend(_attrs_fields(step, tp, f"{name}.", nested=True))
        elif not has_default:
            raise TypeError(f"{cls.__name__}.{a.name}: no form field for {tp!r}")
        # A nested value's own nested defaults (a party's identifiers) are left to the library.
    return out


def fields_for(name: str, case: Case, acting: str | None) -> list[Field]:
    """The fields of step ``name``'s form in ``case`` (``acting``: the party the user acts for,
    the party field's default)."""
    cls = STEP_CLASSES[name]
    if cls is st.RecordOutcome:
        choices = tuple((o.value, o.value.replace("_", " ")) for o in IssueOutcome)
        return [Field(f"outcomes.{i.issue_id}", f"Outcome: {i.issue_id} ({i.concerns})", "select",
                      True, choices) for i in case.issues.issues]
    out = []
    for f in _attrs_fields(name, cls, "", nested=False):
        if case.kind != MediationCase.KIND and (name, f.name.split(".")[0]) in _MEDIATION_ONLY:
            continue
        if f.name in ("party_id", "body_id"):
            parties = tuple((p.party_id, f"{p.party.name or p.party_id} ({p.party.kind.label})")
                            for p in case.parties)
            f = Field(f.name, f.label, "select", f.required, parties,
                      acting if f.name == "party_id" and acting else "")
        out.append(f)
    return out


@frozen(kw_only=True)
class _OutcomesDocument:
    outcomes: dict[str, IssueOutcome]


class FieldErrors(Exception):
    """The form's errors: form field name (or ``""`` for the form as a whole) -> message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = dict(errors)


def date_value(fields: Mapping[str, str], name: str) -> str | None:
    parts = [fields.get(f"{name}-{p}", "").strip() for p in _DATE_PARTS]
    if not any(parts):
        return None
    day, month, year = parts
    # ASCII digits only: str.isdigit() also says yes to "²", which int() refuses, and a
    # 5,000-digit day would be int()'s own ValueError.
    if not (_digits(day, 2) and _digits(month, 2) and _digits(year, 4) and len(year) == 4):
        return "!"  # the library's date check names the rule
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _digits(text: str, most: int) -> bool:
    return 0 < len(text) <= most and text.isascii() and text.isdigit()


def version_value(text: str) -> int | None:
    """A form's hidden ``expected_version`` as a number; ``None`` for anything a page of this
    app would not have sent (a hand-made post)."""
    return int(text) if _digits(text, 18) else None


def _document(fields: Mapping[str, str], form: Sequence[Field]) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    touched: set[str] = set()
    for f in form:
        if f.kind == "date":
            value: Any = date_value(fields, f.name)
        elif f.kind == "checkbox":
            value = True if fields.get(f.name) else None
        else:
            value = fields.get(f.name, "").strip() or None
        if value is None:
            continue  # left empty: the step's default, or the library says it is required
        head, _, tail = f.name.partition(".")
        if tail:
            doc.setdefault(head, {})[tail] = value
            if value != f.default:
                touched.add(head)
        else:
            doc[head] = value
    # A nested value of which only a preselected default is set was not given (an optional
    # mediator left blank is no mediator).
    return {k: v for k, v in doc.items()
            if not isinstance(v, dict) or k in touched}


def _form_field(path: str, form: Sequence[Field]) -> str:
    """The form field a library error's JSON path or attribute name points at."""
    name = path.removeprefix("$").removeprefix(".")
    names = {f.name for f in form}
    while name and name not in names:
        name = name.rpartition(".")[0]
    if not name:
        # An attribute of a nested value (an issue's "section" check): its group's first field.
        head = path.removeprefix("$").removeprefix(".").split(".")[0]
        name = next((f.name for f in form if f.name.startswith(head + ".")), "")
    return name


def errors_of(exc: InvalidInputError | DocumentError, form: Sequence[Field]) -> FieldErrors:
    """A library input error as form errors (its message and rule id, next to its field)."""
    problems = exc.problems if isinstance(exc, DocumentError) else [exc]
    out: dict[str, str] = {}
    for p in problems:
        out.setdefault(_form_field(p.field, form), f"{p.message} (rule {p.rule_id})")
    return FieldErrors(out)


_HIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f"
                     "\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Control characters (a terminal escape, a NUL) and text-direction overrides: nothing a
person types into a name or a note, and each can disguise what a page, a terminal or a letter
shows. A line break or tab is text in a text box; in a one-line field it is refused too."""
_ONE_LINE = re.compile("[\t\n\r]")


def plain_text_errors(fields: Mapping[str, str], form: Sequence[Field]) -> dict[str, str]:
    """The form's text fields holding a character :data:`_HIDDEN` (or, in a one-line field, a
    line break) as field errors. The library refuses them too in a party's name and an item's
    text (``input.encoding``); the form checks every text field at the door so that each error
    lands next to its own field before a step is built."""
    out = {}
    for f in form:
        names = [f"{f.name}-{p}" for p in _DATE_PARTS] if f.kind == "date" else [f.name]
        for key in names:
            value = fields.get(key, "")
            if _HIDDEN.search(value) or (f.kind != "textarea" and _ONE_LINE.search(value)):
                out[f.name] = ("must not contain control characters or text-direction "
                               "overrides (rule input.encoding)")
    return out


def build_step(name: str, fields: Mapping[str, str], form: Sequence[Field]) -> st.Step:
    """The step ``name`` from the posted ``fields``; :class:`FieldErrors` naming each bad field."""
    hidden = plain_text_errors(fields, form)
    if hidden:
        raise FieldErrors(hidden)
    doc = _document(fields, form)
    cls = STEP_CLASSES[name]
    try:
        if cls is st.RecordOutcome:
            # Its mapping of issue ids to outcomes is a converter, not a field cattrs builds.
            outcomes = structure(doc, _OutcomesDocument).outcomes
            return st.RecordOutcome(outcomes=outcomes)
        return structure(doc, cls)
    except (DocumentError, InvalidInputError) as exc:
        raise errors_of(exc, form) from None
