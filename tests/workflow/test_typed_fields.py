"""Validation at construction (issue 9): a public value type of the workflow and parties modules
refuses a plain string where it declares an enum member, a collection of enum members or one of
the parties module's value classes. Each refusal is an InvalidInputError naming the field, rule
``input.type``. Named after the rule it protects."""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import pkgutil
import types
import typing
from collections.abc import Callable
from typing import Any

import attrs
import pytest

import sen_disagreement.parties as parties_module
import sen_disagreement.workflow as workflow_package
from sen_disagreement.actors import Role
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.disclosure import Disclosure, ItemKind
from sen_disagreement.ehc import PlanSection
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.parties import Employer, Identifiers, Party, PartyKind
from sen_disagreement.settings import DEFAULT_SETTINGS
from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow._case import start_deadline
from sen_disagreement.workflow.certificates import (
    CERTIFICATE_CLOCKS,
    CertificateKind,
    issue_certificate,
)
from sen_disagreement.workflow.issues import Issue
from sen_disagreement.workflow.mediation import (
    ActionKind,
    AgreedAction,
    DecisionNotice,
    MediationCase,
    Reg32Item,
)

T0 = dt.datetime(2025, 3, 3, 9, tzinfo=dt.UTC)
DAY = T0.date()
DECISION = AppealableDecision.NOT_TO_AMEND_OR_REPLACE
PARTIES = [CaseParty("parent", Party(kind=PartyKind.PARENT)),
           CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY))]


def _notice() -> DecisionNotice:
    return DecisionNotice(sent_on=DAY, decisions=[DECISION], contents=set(Reg32Item))


# --- the two the audit found ------------------------------------------------------------------


def test_typed_fields_decision_notice_decisions_a_string_is_never_split_into_characters() -> None:
    with pytest.raises(InvalidInputError) as err:
        DecisionNotice(sent_on=DAY, decisions=DECISION.value,  # type: ignore[arg-type]
                       contents=set(Reg32Item))
    assert (err.value.field, err.value.rule_id) == ("notice.decisions", "input.type")


def test_typed_fields_decision_notice_decisions_are_appealable_decisions_only() -> None:
    with pytest.raises(InvalidInputError) as err:
        DecisionNotice(sent_on=DAY, decisions=["bogus"],  # type: ignore[list-item]
                       contents=set(Reg32Item))
    assert (err.value.field, err.value.rule_id) == ("notice.decisions", "input.type")
    with pytest.raises(InvalidInputError) as err:
        DecisionNotice(sent_on=DAY, decisions=[DECISION, DECISION.value],  # type: ignore[list-item]
                       contents=set(Reg32Item))
    assert err.value.field == "notice.decisions"
    with pytest.raises(InvalidInputError) as err:
        DecisionNotice(sent_on=DAY, decisions=[DECISION],
                       contents={*Reg32Item, "a"})  # type: ignore[arg-type]
    assert err.value.field == "notice.contents"
    # Any iterable of members is still accepted, kept as a tuple in the order given.
    kept = DecisionNotice(sent_on=DAY, decisions=iter([DECISION]), contents=list(Reg32Item))
    assert kept.decisions == (DECISION,)
    assert kept.contents == frozenset(Reg32Item)


def test_typed_fields_case_party_party_is_a_party_not_a_string() -> None:
    with pytest.raises(InvalidInputError) as err:
        CaseParty("p", "parent")  # type: ignore[arg-type]
    assert (err.value.field, err.value.rule_id) == ("party", "input.type")
    with pytest.raises(InvalidInputError) as err:
        CaseParty("p", PartyKind.PARENT)  # type: ignore[arg-type]
    assert err.value.field == "party"


# --- every such field of every public value class ---------------------------------------------

_PARTY_VALUES = (Party, Employer, Identifiers)
"""The parties module's value classes: a field typed as one of them takes no plain string."""


def _checked_type(hint: object) -> str | None:
    """What kind of field ``hint`` declares, if one whose values a plain string must never be:
    an enum, a tuple or frozenset of enum members, or a parties value class (each maybe
    optional)."""
    args = typing.get_args(hint)
    if args and typing.get_origin(hint) in (types.UnionType, typing.Union):
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            return None
        hint, args = rest[0], typing.get_args(rest[0])
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return "enum"
    if isinstance(hint, type) and issubclass(hint, _PARTY_VALUES):
        return hint.__name__
    origin = typing.get_origin(hint)
    if origin in (tuple, frozenset) and args and isinstance(args[0], type) and issubclass(
            args[0], enum.Enum) and (origin is frozenset or args[1:] in ((), (Ellipsis,))):
        return f"{origin.__name__} of enum"
    return None


def _modules() -> list[types.ModuleType]:
    found = [parties_module, workflow_package]
    for info in pkgutil.walk_packages(workflow_package.__path__, "sen_disagreement.workflow."):
        found.append(importlib.import_module(info.name))
    return found


def _public_value_classes() -> dict[str, type]:
    out: dict[str, type] = {}
    for module in _modules():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if (isinstance(obj, type) and attrs.has(obj) and not name.startswith("_")
                    and (obj.__module__ == "sen_disagreement.parties"
                         or obj.__module__.startswith("sen_disagreement.workflow"))):
                out[obj.__qualname__] = obj
    return out


def _fields_to_check() -> list[tuple[str, str]]:
    pairs = []
    for qualname, cls in sorted(_public_value_classes().items()):
        hints = typing.get_type_hints(cls)
        for f in attrs.fields(cls):
            if f.init and _checked_type(hints.get(f.name)) is not None:
                pairs.append((qualname, f.name))
    return pairs


def _dr_case() -> DisagreementResolutionCase:
    return DisagreementResolutionCase.refer(case_id="dr-typed-1", council="E08000014",
                                            parties=PARTIES, at=T0, actor="officer-1")


def _mediation_case() -> MediationCase:
    return MediationCase.notify_decision(case_id="med-typed-1", council="E08000014",
                                         parties=PARTIES, notice=_notice(), at=T0,
                                         actor="officer-1")


def _certificate() -> Any:
    return issue_certificate(kind=CertificateKind.AFTER_MEDIATION, issued_on=DAY,
                             issued_by="med-1", adviser_name=None, decisions=[DECISION],
                             decision_notice_sent=DAY, clock_started=DAY,
                             settings=DEFAULT_SETTINGS)


SAMPLES: dict[str, Callable[[], Any]] = {
    "Party": lambda: Party(kind=PartyKind.MEDIATOR,
                           employer=Employer(kind=PartyKind.LOCAL_AUTHORITY)),
    "Employer": lambda: Employer(kind=PartyKind.LOCAL_AUTHORITY),
    "CaseParty": lambda: PARTIES[0],
    "DecisionNotice": _notice,
    "Certificate": _certificate,
    "TrackedDeadline": lambda: start_deadline(
        CERTIFICATE_CLOCKS[CertificateKind.AFTER_MEDIATION], DAY, DEFAULT_SETTINGS),
    "Issue": lambda: Issue(issue_id="speech", section=PlanSection.F),
    "AgreedAction": lambda: AgreedAction(action_id="amend-f", kind=ActionKind.NON_APPEALABLE,
                                         by=PartyKind.LOCAL_AUTHORITY),
    "ArrangeMeeting": lambda: st.ArrangeMeeting(meeting_date=DAY, mediator_id="mediator",
                                                mediator=Party(kind=PartyKind.MEDIATOR)),
    "ContactAdviser": lambda: st.ContactAdviser(adviser_id="adviser", on=DAY,
                                                adviser=Party(kind=PartyKind.MEDIATION_ADVISER)),
    "RecordItem": lambda: st.RecordItem(item_id="note", kind=ItemKind.NOTE,
                                        disclosure=Disclosure.PARTIES, text="x"),
    "Permission": lambda: st.PERMISSIONS[0],
    "DisagreementResolutionCase": _dr_case,
    "MediationCase": _mediation_case,
}
"""A valid instance of each class with such a field; each test changes one field of it."""

NOT_INPUTS: dict[str, str] = {
    "AgeAnswer": "an answer age_status builds and returns; no caller hands one in",
    "WhoDecidesAnswer": "an answer who_decides builds and returns; no caller hands one in",
    "BundleItem": "a line of a Tribunal bundle the export builds from checked items",
    "SarItem": "a line of a subject-access export built from checked items",
}
"""Classes with such fields that are outputs only: the library builds them from values it has
already checked, so a wrong type there is the library's bug, not a caller's input."""


@pytest.mark.parametrize(("qualname", "name"), [
    p for p in _fields_to_check() if p[0] not in NOT_INPUTS])
def test_typed_fields_every_enum_or_party_field_refuses_a_plain_string(
    qualname: str, name: str
) -> None:
    sample = SAMPLES[qualname]()
    attrs.evolve(sample)  # the sample itself is valid
    with pytest.raises(InvalidInputError) as err:
        attrs.evolve(sample, **{name: "plain"})
    field = err.value.field
    assert field == name or field.endswith(f".{name}"), (qualname, name, field)
    assert err.value.rule_id == "input.type"


def test_typed_fields_the_walk_covers_every_public_value_class_with_such_a_field() -> None:
    pairs = _fields_to_check()
    classes = {q for q, _ in pairs}
    # Every class found is either tested above or named as an output with its reason; no stale
    # entries on either list, so a new class or field cannot slip past unnoticed.
    assert classes - SAMPLES.keys() - NOT_INPUTS.keys() == set()
    assert SAMPLES.keys() - classes == set()
    assert NOT_INPUTS.keys() - classes == set()
    # The walk finds the fields the audit named, so it is not vacuous.
    assert {("DecisionNotice", "decisions"), ("DecisionNotice", "contents"),
            ("CaseParty", "party"), ("ArrangeMeeting", "mediator"),
            ("Permission", "roles")} <= set(pairs)
    assert len(pairs) >= 20


def test_typed_fields_permission_roles_are_roles() -> None:
    row = st.PERMISSIONS[0]
    with pytest.raises(InvalidInputError) as err:
        st.Permission(row.step, row.kinds, frozenset({"la_officer"}),  # type: ignore[arg-type]
                      row.rule)
    assert err.value.field == "roles"
    assert st.Permission(row.step, row.kinds, [Role.LA_OFFICER], row.rule).roles == frozenset(
        {Role.LA_OFFICER})


# --- a case's own object fields (the library's attrs classes) ---------------------------------


@pytest.mark.parametrize(("build", "name"), [
    (_dr_case, "provider"), (_dr_case, "ledger"), (_dr_case, "audit"), (_dr_case, "issues"),
    (_mediation_case, "notice"), (_mediation_case, "adviser"), (_mediation_case, "mediator"),
    (_mediation_case, "ledger"), (_mediation_case, "audit"),
])
def test_typed_fields_a_case_object_field_refuses_a_string(
    build: Callable[[], Any], name: str
) -> None:
    case = build()
    with pytest.raises(InvalidInputError) as caught:
        attrs.evolve(case, **{name: "gm-1"})
    assert caught.value.field == name and caught.value.rule_id == "input.type"


class _Claims:
    """An object claiming to be a CaseParty through ``__class__``."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return CaseParty


def test_typed_fields_a_case_party_field_checks_the_real_type_not_a_claimed_class() -> None:
    assert isinstance(_Claims(), CaseParty)
    with pytest.raises(InvalidInputError) as caught:
        attrs.evolve(_dr_case(), provider=_Claims())  # type: ignore[arg-type]
    assert caught.value.field == "provider"
