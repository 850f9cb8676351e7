"""The ids of the reg 44(2) clocks, kept apart from the clock table so that the mediation
workflow can name them at import without loading the table (issue 14: a process that computes
no clock does not pay for it). :mod:`.table` defines those clocks and delegates to this tuple."""

from __future__ import annotations

__all__ = ["ORDER_CLOCK_IDS"]

ORDER_CLOCK_IDS: tuple[str, ...] = (
    "order_assess_notify",
    "order_assess_no_plan",
    "order_assess_final_plan",
    "order_make_plan_draft",
    "order_make_plan_final",
    "order_cease_upheld",
    "order_reconsider",
    "order_amend_plan",
    "order_amend_placement",
    "order_continue_to_maintain",
)
"""The reg 44 clocks an agreed appealable matter runs on (reg 42(2)), in the reference's order:
the ``delegates_to`` of clock ``agreement_appealable_matters`` (the same tuple)."""
