"""One case on one time axis: its events, its clocks and their deadlines, and its state.

:func:`render_timeline` draws a stored case (as :meth:`CaseService.case_for
<sen_disagreement.service.CaseService.case_for>` returns it) as of a day:

* **state**: the bands of the states the case passed through, replayed from its audit trail
  through the workflow's state machine;
* **clocks**: one row per tracked deadline, from the day it started to its due day, with its
  status as of ``on``: *met* (done by the due day), *missed* (done late), *running* (not yet
  due), *overdue* (still running past its due day: being missed) or *stopped* (the process
  stopped, so the duty no longer runs). The case model keeps no paused clocks; a clock the
  EHC engine pauses is not a case deadline;
* **events**: one row per step recorded in the case's audit trail, with the state it led to.

**Who reads it.** A timeline is drawn for one reader. The step that recorded an item (a note,
document, offer or comment) is an event only when that item is among ``readable``, the items the
reader may read (:meth:`CaseService.timeline_for
<sen_disagreement.service.CaseService.timeline_for>` passes those the library's read rule,
:func:`~sen_disagreement.workflow.access.decide`, allows). For any other record the reader sees
nothing at all: no event row, no line in the text or the description, no count, and an axis
drawn as if the step had not happened, so the timeline is byte for byte the one of the same case
without that record (recording an item never changes a state or a clock). The default,
``readable=()``, shows no record.

Accessible: the SVG has a ``<title>`` and a ``<desc>`` (the whole timeline in words) and is
labelled by them; every status is carried by a word, a marker shape and a fill pattern, never
by colour alone. Output is byte-identical for the same case, day and matplotlib version.

Only what a case's timeline needs is read: dates, step names, clock ids, states. Never a
recorded item, a party's name, contact details or an actor id.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from attrs import frozen

from sen_disagreement._enum import Enum
from sen_disagreement.disclosure import RecordedItem
from sen_disagreement.errors import InvalidInputError, InvalidTransitionError
from sen_disagreement.reports._read import england_date
from sen_disagreement.workflow import Case, DeadlineStatus, MediationCase, TrackedDeadline
from sen_disagreement.workflow.disagreement_resolution import DR_MACHINE, DrEvent
from sen_disagreement.workflow.mediation import MEDIATION_MACHINE, MediationEvent

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["FORMATS", "Band", "ClockRow", "EventRow", "Timeline", "build", "render_timeline"]

FORMATS = ("svg", "png", "text")


class ClockStatus(Enum):
    MET = "met"
    MISSED = "missed"
    RUNNING = "running"
    OVERDUE = "overdue"
    STOPPED = "stopped"


# Status -> (marker at the settled/as-of end, fill pattern, words). Shape and pattern differ
# for every status so nothing depends on colour.
_STYLE: dict[ClockStatus, tuple[str, str, str]] = {
    ClockStatus.MET: ("o", "", "met"),
    ClockStatus.MISSED: ("X", "xx", "missed (not done by the due day)"),
    ClockStatus.RUNNING: (">", ".", "running"),
    ClockStatus.OVERDUE: ("P", "\\\\", "overdue (running past the due day)"),
    ClockStatus.STOPPED: ("s", "--", "stopped"),
}
_BAND_HATCHES = ("", "//", ".", "x", "\\\\", "+", "|", "-")


@frozen
class EventRow:
    """One step of the case's audit trail: its day, the step's name and the state it led to."""

    day: dt.date
    step: str
    state: str


@frozen
class ClockRow:
    """One tracked deadline as it stood on the timeline's day: when it started, when it is due,
    the day it was settled (if by then) and its status."""

    key: str
    started: dt.date
    due: dt.date
    settled_on: dt.date | None
    status: ClockStatus

    @property
    def label(self) -> str:
        return self.key.replace("_", " ")

    def words(self) -> str:
        base = f"{self.label}: started {self.started}, due {self.due}, {_STYLE[self.status][2]}"
        return base + (f" on {self.settled_on}" if self.settled_on else "")


@frozen
class Band:
    """A state the case was in, from ``start`` to ``end`` (the next state's first day, or the
    timeline's day for the last)."""

    state: str
    start: dt.date
    end: dt.date


@frozen
class Timeline:
    """One case's timeline as of ``on`` for one reader: its state bands, clock rows and event
    rows, and its current state; rendered as SVG, PNG or text (see the module)."""

    case_id: str
    kind: str
    council: str
    on: dt.date
    state: str
    events: tuple[EventRow, ...]
    clocks: tuple[ClockRow, ...]
    bands: tuple[Band, ...]

    @property
    def title(self) -> str:
        return f"Timeline of {self.kind.replace('_', ' ')} case {self.case_id} as of {self.on}"

    def description(self) -> str:
        parts = [f"{self.title}. Council {self.council}. State now: {_words(self.state)}."]
        parts.append("States: " + "; ".join(
            f"{_words(b.state)} from {b.start}" for b in self.bands) + ".")
        if self.clocks:
            parts.append("Deadlines: " + "; ".join(c.words() for c in self.clocks) + ".")
        else:
            parts.append("No statutory deadlines are tracked for this case.")
        parts.append("Events: " + "; ".join(
            f"{e.day} {_words(e.step)} (then {_words(e.state)})" for e in self.events) + ".")
        return " ".join(parts)

    def render(self, format: str = "svg") -> str | bytes:
        """This timeline as an accessible SVG document (``str``), a PNG (``bytes``) or plain
        text (``str``); :class:`InvalidInputError` (field ``format``) for another format. Pure:
        a host may draw it off its request thread."""
        if format not in FORMATS:
            raise InvalidInputError(f"must be one of {', '.join(FORMATS)}", field="format",
                                    rule_id="input.enum")
        return self.text() if format == "text" else _draw(self, format)

    def text(self) -> str:
        lines = [self.title, f"council: {self.council}", f"state: {_words(self.state)}", "",
                 "states:"]
        lines += [f"  {b.start} .. {b.end}  {_words(b.state)}" for b in self.bands]
        lines += ["", "deadlines:"]
        lines += [f"  [{c.status.value}] {c.words()}" for c in self.clocks] or ["  (none)"]
        lines += ["", "events:"]
        lines += [f"  {e.day}  {_words(e.step)} -> {_words(e.state)}" for e in self.events]
        return "\n".join(lines) + "\n"


def _words(slug: str) -> str:
    return slug.replace("_", " ")


def _recorded_by_steps(case: Case) -> list[RecordedItem]:
    """The items the case's record_item steps recorded, in the order of those steps: every item
    but the written mediation agreement (recorded by its own step). Items are only ever added,
    so the n-th record_item entry of the trail recorded the n-th of these."""
    agreement = getattr(case, "agreement", None)
    document = agreement.document_item_id if agreement is not None else None
    return [i for i in case.items if i.item_id != document]


def _replay(case: Case, readable: Iterable[RecordedItem]
            ) -> list[tuple[dt.date, str, str]]:
    """(day, step, state after) for each step in the case's own audit trail, leaving out the
    record_item steps of items not in ``readable``."""
    shown = set(readable)
    recorded = iter(_recorded_by_steps(case))
    out: list[tuple[dt.date, str, str]] = []
    if isinstance(case, MediationCase):
        machine: Any = MEDIATION_MACHINE
        events: Any = MediationEvent
    else:
        machine, events = DR_MACHINE, DrEvent
    state = machine.initial
    for n, entry in enumerate(case.audit.entries):
        step = entry.action.split(".", 1)[-1]
        # Every entry of the case's own trail is a step it took (its outcome says how, e.g.
        # "adviser_told"); only refusals are kept elsewhere, in the store's trail.
        if n > 0:
            # A step outside the machine (none today) leaves the state as it was.
            with contextlib.suppress(ValueError, InvalidTransitionError):
                state = machine.target(state, events(step))
        if step == "record_item":
            item = next(recorded, None)
            # Shown only for an item the reader may read, recorded at this step's time; an
            # entry that pairs with no item (a case built by hand) is hidden too. Recording an
            # item leaves the state as it was, so nothing else of the timeline moves.
            if item is None or item not in shown or item.recorded_at != entry.at:
                continue
        out.append((england_date(entry.at), step, state.value))
    return out


def _status(status: DeadlineStatus, due: dt.date, on: dt.date) -> ClockStatus:
    if status is DeadlineStatus.RUNNING:
        return ClockStatus.OVERDUE if due < on else ClockStatus.RUNNING
    return ClockStatus(status.value)


def _clock_as_of(d: TrackedDeadline, on: dt.date) -> ClockRow:
    """The clock as it stood on ``on``: settled after ``on`` means still running then; a clock
    the sweep found missed (no settling day) was running until its due day."""
    settled = d.settled_on if d.settled_on is not None and d.settled_on <= on else None
    later = d.settled_on > on if d.settled_on is not None else (
        d.status is DeadlineStatus.MISSED and on <= d.due)
    status = DeadlineStatus.RUNNING if later else d.status
    return ClockRow(d.key, d.started, d.due, settled, _status(status, d.due, on))


def build(case: Case, *, on: dt.date, readable: Iterable[RecordedItem] = ()) -> Timeline:
    """The timeline of ``case`` as of ``on`` for a reader who may read the items ``readable``
    (of this case): a record_item step of any other item is left out (see the module's "Who
    reads it")."""
    if isinstance(on, dt.datetime) or not isinstance(on, dt.date):
        raise InvalidInputError("must be a date", field="on", rule_id="input.date")
    replay = [r for r in _replay(case, readable) if r[0] <= on]
    events = tuple(EventRow(d, s, st) for d, s, st in replay)
    bands: list[Band] = []
    for day, _step, state in replay:
        if bands and bands[-1].state == state:
            continue
        if bands:
            bands[-1] = Band(bands[-1].state, bands[-1].start, day)
        bands.append(Band(state, day, on))
    clocks = tuple(_clock_as_of(d, on)
                   for d in (case.deadlines if isinstance(case, MediationCase) else ())
                   if d.started <= on)
    state = replay[-1][2] if replay else "not_yet_opened"
    return Timeline(case.case_id, case.kind, case.council, on, state, events, clocks,
                    tuple(bands))


def render_timeline(case: Case, *, on: dt.date, format: str = "svg",
                    readable: Iterable[RecordedItem] = ()) -> str | bytes:
    """``case`` as of ``on``, for a reader who may read the items ``readable``: an accessible
    SVG document (``str``), a PNG (``bytes``) or plain text (``str``). Raises
    :class:`InvalidInputError` (field ``format``) for another format. A host showing a user a
    case's timeline asks :meth:`CaseService.timeline_for
    <sen_disagreement.service.CaseService.timeline_for>`, which decides ``readable``."""
    if format not in FORMATS:
        raise InvalidInputError(f"must be one of {', '.join(FORMATS)}", field="format",
                                rule_id="input.enum")
    return build(case, on=on, readable=readable).render(format)


def _draw(t: Timeline, fmt: str) -> str | bytes:
    from sen_disagreement.reports import _draw as draw

    n_rows = 1 + len(t.clocks) + len(t.events)
    height = 1.3 + 0.26 * n_rows
    with draw.figure(11.0, height) as fig:
        ax = fig.add_axes((0.40, 0.9 / height, 0.57, 1 - 1.3 / height))
        _plot(ax, t, n_rows)
        return draw.render(fig, fmt, title=t.title, desc=t.description())


def _num(day: dt.date) -> float:
    return float(day.toordinal())


def _plot(ax: Axes, t: Timeline, n_rows: int) -> None:
    days = [t.on, *(e.day for e in t.events), *(c.due for c in t.clocks),
            *(c.started for c in t.clocks)]
    first, last = min(days), max(days)
    pad = max(2, (last - first).days // 30)
    span = max(1, (last - first).days)
    ax.set_xlim(_num(first) - pad, _num(last) + pad)
    ax.set_ylim(n_rows - 0.5, -0.5)
    labels: list[str] = []
    y = 0
    # State bands: a pattern per state, its name written in the band where it fits.
    for i, band in enumerate(t.bands):
        width = max(0.6, (band.end - band.start).days)
        ax.barh(y, width, left=_num(band.start), height=0.7, facecolor="white",
                edgecolor="black", hatch=_BAND_HATCHES[i % len(_BAND_HATCHES)], linewidth=0.6)
        if width >= span / 6:  # the name fits: written on a white box over the pattern
            ax.text(_num(band.start) + width / 2, y, _words(band.state), ha="center",
                    va="center", fontsize=7,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    labels.append(f"state now: {_words(t.state)}")
    y += 1
    for c in t.clocks:
        marker, hatch, _ = _STYLE[c.status]
        ax.barh(y, max(0.6, (c.due - c.started).days), left=_num(c.started), height=0.5,
                facecolor="#d9d9d9", edgecolor="black", hatch=hatch, linewidth=0.6)
        ax.plot([_num(c.due)], [y], marker="|", markersize=12, color="black")
        # Where the clock ended: the day it was settled; a clock found missed by the sweep at
        # its due day; a running one today.
        end = c.settled_on or (c.due if c.status is ClockStatus.MISSED else t.on)
        ax.plot([_num(end)], [y], marker=marker, markersize=7, color="black",
                markerfacecolor="white" if c.status is ClockStatus.RUNNING else "black")
        labels.append(f"{c.label}: {c.status.value}")
        y += 1
    for e in t.events:
        ax.plot([_num(e.day)], [y], marker="D", markersize=4, color="black")
        labels.append(f"{e.day} {_words(e.step)} -> {_words(e.state)}")
        y += 1
    ax.set_yticks(range(n_rows), labels)
    ax.axvline(_num(t.on), color="black", linestyle="--", linewidth=0.8)
    ax.text(_num(t.on), n_rows - 0.6, f"as of {t.on} ", va="bottom", ha="right")
    ticks = [d for d in _ticks(first, last) if _num(d) <= _num(last) + pad]
    ax.set_xticks([_num(d) for d in ticks], [d.isoformat() for d in ticks], rotation=30,
                  ha="right")
    ax.grid(axis="x", linestyle=":", linewidth=0.5, color="#808080")
    ax.set_title(t.title, loc="left")
    ax.set_xlabel("date (the dashed line is the day the timeline is drawn as of)")


def _ticks(first: dt.date, last: dt.date) -> list[dt.date]:
    """At most about ten date ticks on whole weeks, months or years: chosen here, not by a
    locator, so the axis is the same on every machine (and bounded for any span)."""
    span = max(1, (last - first).days)
    step = next((s for s in (7, 14, 28, 91, 182, 365) if span // s <= 10),
                365 * (span // 3650 + 1))
    out: list[dt.date] = []
    for k in range(0, span + step, step):
        if dt.date.max.toordinal() - first.toordinal() < k:
            break
        out.append(first + dt.timedelta(days=k))
    return out
