"""The one place the workflows get deadlines from: the statutory clocks.

Every running deadline in a case is ``due(clock_id, trigger_date, settings)`` for a clock of
:mod:`sen_disagreement.clocks`, and the appeal deadline is the clocks' HESC r.20 computation. The
workflows do no date arithmetic of their own.
"""

from __future__ import annotations

import datetime as dt
import functools

from sen_disagreement.settings import Settings

# The clocks load on first use (importing a workflow builds no clock: issue 14), then are kept:
# an import statement inside each function would run the import machinery on every call.
# typing.TYPE_CHECKING without importing typing.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from sen_disagreement.clocks.model import AppealDeadline, ClockDefinition

__all__ = ["appeal_deadline", "definition", "due"]


@functools.cache
def _clocks() -> tuple[Mapping[str, ClockDefinition], Callable[..., dt.date],
                       Callable[..., AppealDeadline]]:
    """The clock table, ``clocks.due_date`` and ``clocks.appeal_deadline``, loaded once."""
    from sen_disagreement import clocks

    return clocks.CLOCKS, clocks.due_date, clocks.appeal_deadline


def definition(clock_id: str) -> ClockDefinition:
    """The clock definition (for its citation and who must act)."""
    return _clocks()[0][clock_id]


def due(clock_id: str, trigger_date: dt.date, settings: Settings) -> dt.date:
    """The last day in time for ``clock_id`` started on ``trigger_date``."""
    return _clocks()[1](clock_id, trigger_date, settings=settings)


def appeal_deadline(
    decision_notice_sent: dt.date,
    certificate_issued: dt.date | None,
    *,
    certificate_required: bool,
    settings: Settings,
) -> dt.date:
    """HESC Rules r.20(1)(c): the later of notice + 2 months and certificate + 1 month, on the
    Tribunal calendar."""
    return _clocks()[2](
        decision_notice_sent,
        certificate_issued,
        certificate_required=certificate_required,
        settings=settings,
    ).due
