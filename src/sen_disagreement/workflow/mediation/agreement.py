"""The written mediation agreement and the reg 42 follow-up duties it names (SEND Regs 2014
reg 42)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from attrs import field, frozen

from sen_disagreement._checks import check_id, typed_fields
from sen_disagreement._enum import Enum
from sen_disagreement.clocks._order import ORDER_CLOCK_IDS as _ORDER_CLOCK_IDS
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.parties import HEALTH_COMMISSIONING_BODIES, PartyKind
from sen_disagreement.provenance import P, Provenance, Rule, cite

# The clock table loads on first use (issue 14): REG_42_2_EXCEPTIONS is a module attribute
# loaded on first access (PEP 562, at the end), order_clock_ids_for imports inside, so importing
# the workflow builds no clock. typing.TYPE_CHECKING without importing typing.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from sen_disagreement.clocks.model import ClockException, OrderKind

    REG_42_2_EXCEPTIONS: tuple[ClockException, ...]
    """The lawful exceptions an agreed appealable matter's reg 44 clocks recognise: reg 42(2)
    applies the reg 44 limits, so with them the reg 44(3) exceptions (the 2-week absence from
    the LA's area [S]; the other limbs only with setting ``reg_44_3_unconfirmed_limbs``) and, for
    an agreement whose clocks ran from 1 May to 25 September 2020, the SI 2020/471 coronavirus
    exception when setting ``coronavirus_mediation_clocks`` covers reg 42. Defined with the
    clocks (``agreement_appealable_matters``) and loaded with them, on first use."""

__all__ = [
    "ORDER_CLOCK_IDS",
    "REG_42",
    "REG_42_2_EXCEPTIONS",
    "REG_42_5",
    "ActionKind",
    "AgreedAction",
    "MediationAgreement",
    "order_clock_ids_for",
]

_REG_42_URL = "https://legislation.gov.uk/uksi/2014/1530/regulation/42/2014-09-01/data.htm?view=plain"

REG_42 = Rule(
    "reg42.follow_up",
    "After a written mediation agreement: appealable matters within the reg 44 limits as if it "
    "were a Tribunal order (42(2)); other agreed actions within 2 weeks (42(3)); a commissioning "
    "body tells the LA of an agreement it was not party to within 1 week (42(4)).",
    Provenance([cite("SEND Regs 2014 reg 42(2)-(4)", P, _REG_42_URL)]),
)
"""The follow-up duties of a written mediation agreement (SEND Regs 2014 reg 42(2)-(4))."""
REG_42_5 = Rule(
    "reg42_5.other_periods_in_writing",
    "The periods in reg 42(2) and (3) do not apply where the parties agree other periods in "
    "writing.",
    Provenance([cite("SEND Regs 2014 reg 42(5)", P, _REG_42_URL)]),
)
"""The parties may agree other periods in writing (SEND Regs 2014 reg 42(5))."""

ORDER_CLOCK_IDS: tuple[str, ...] = _ORDER_CLOCK_IDS
"""The reg 44 clocks an agreed appealable matter runs on (reg 42(2)); defined once, with the
clocks (the ``delegates_to`` of clock ``agreement_appealable_matters``, the same tuple)."""


def order_clock_ids_for(kinds: OrderKind | Iterable[OrderKind]) -> tuple[str, ...]:
    """The reg 44 clocks of an agreed appealable matter with these limbs, for
    :attr:`AgreedAction.order_clock_ids`: continue to maintain the plan *and* amend it gives
    ``("order_amend_plan", "order_continue_to_maintain")``, so both duties are tracked."""
    from sen_disagreement.clocks.compute import order_clock_ids

    return order_clock_ids(kinds)


class ActionKind(Enum):
    """Which reg 42 limb an action of a mediation agreement falls under (SEND Regs 2014 reg 42(2)
    appealable, or reg 42(3) not appealable), deciding its time limit."""

    APPEALABLE = "appealable"
    """Reg 42(2): on the reg 44 limits as if the agreement were a Tribunal order."""
    NON_APPEALABLE = "non_appealable"
    """Reg 42(3): within 2 weeks of the agreement."""


def _strs(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@frozen(kw_only=True, field_transformer=typed_fields)
class AgreedAction:
    """One thing the written agreement requires a body to do (no free text: the terms are in the
    agreement document)."""

    action_id: str = field(validator=lambda _i, _a, v: _check_action_id(v))
    kind: ActionKind
    by: PartyKind
    order_clock_ids: tuple[str, ...] = field(default=(), converter=_strs)
    """For an appealable matter: the reg 44 clocks that apply (e.g. ``order_assess_notify``)."""

    def __attrs_post_init__(self) -> None:
        if self.by is not PartyKind.LOCAL_AUTHORITY and self.by not in (
            HEALTH_COMMISSIONING_BODIES
        ):
            raise InvalidInputError(
                "an agreed action falls to the local authority or a commissioning body",
                field="actions.by", rule_id=REG_42.rule_id, citation=REG_42.cite(),
            )
        if self.kind is ActionKind.APPEALABLE:
            bad = [c for c in self.order_clock_ids if c not in ORDER_CLOCK_IDS]
            if not self.order_clock_ids or bad:
                raise InvalidInputError(
                    "an appealable matter names the reg 44 clocks that apply: "
                    + ", ".join(ORDER_CLOCK_IDS),
                    field="actions.order_clock_ids", rule_id=REG_42.rule_id,
                    citation=REG_42.cite(),
                )
            if self.by is not PartyKind.LOCAL_AUTHORITY:
                raise InvalidInputError(
                    "appealable matters fall to the local authority (reg 42(2))",
                    field="actions.by", rule_id=REG_42.rule_id, citation=REG_42.cite(),
                )
        elif self.order_clock_ids:
            raise InvalidInputError(
                "a non-appealable action runs on the 2-week clock, not reg 44",
                field="actions.order_clock_ids", rule_id=REG_42.rule_id, citation=REG_42.cite(),
            )


def _check_action_id(value: object) -> None:
    check_id(value, "actions.action_id")


def _actions(value: Iterable[AgreedAction]) -> tuple[AgreedAction, ...]:
    return tuple(value)


@frozen(kw_only=True, field_transformer=typed_fields)
class MediationAgreement:
    """The written mediation agreement: its date, the recorded document, the agreed actions, and
    the actions for which the parties agreed other periods in writing (reg 42(5))."""

    agreed_on: dt.date
    document_item_id: str
    actions: tuple[AgreedAction, ...] = field(converter=_actions)
    other_periods_in_writing: tuple[tuple[str, dt.date], ...] = ()
    la_party: bool = True


# Defined for run time only, so type checkers still reject a name this module does not have.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        """:data:`REG_42_2_EXCEPTIONS` on first use (PEP 562), the table's own tuple, kept; it is
        built with the clock table, which the import system loads once even when several threads
        ask at once."""
        if name == "REG_42_2_EXCEPTIONS":
            from sen_disagreement.clocks.table import REG_42_2_EXCEPTIONS

            globals()[name] = REG_42_2_EXCEPTIONS
            return REG_42_2_EXCEPTIONS
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
