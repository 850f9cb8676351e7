"""The one place the workflows get deadlines from: the statutory clocks.

Every running deadline in a case is ``due(clock_id, trigger_date, settings)`` for a clock of
:mod:`sen_disagreement.clocks`, and the appeal deadline is the clocks' HESC r.20 computation. The
workflows do no date arithmetic of their own.
"""

from __future__ import annotations

import datetime as dt

# The clocks package loads its names on first use (PEP 562): importing it, and so a workflow,
# builds no clock (issue 14). Each call looks its function up on the package, so a host's
# wrapper of ``clocks.due_date`` is honoured from the moment it is put in until it is removed.
from sen_disagreement import clocks
from sen_disagreement.settings import Settings

# typing.TYPE_CHECKING without importing typing.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from sen_disagreement.clocks.model import ClockDefinition

__all__ = ["appeal_deadline", "definition", "due"]


def definition(clock_id: str) -> ClockDefinition:
    """The clock definition (for its citation and who must act)."""
    return clocks.CLOCKS[clock_id]


def due(clock_id: str, trigger_date: dt.date, settings: Settings) -> dt.date:
    """The last day in time for ``clock_id`` started on ``trigger_date``."""
    return clocks.due_date(clock_id, trigger_date, settings=settings)


def appeal_deadline(
    decision_notice_sent: dt.date,
    certificate_issued: dt.date | None,
    *,
    certificate_required: bool,
    settings: Settings,
) -> dt.date:
    """HESC Rules r.20(1)(c): the later of notice + 2 months and certificate + 1 month, on the
    Tribunal calendar."""
    return clocks.appeal_deadline(
        decision_notice_sent,
        certificate_issued,
        certificate_required=certificate_required,
        settings=settings,
    ).due
