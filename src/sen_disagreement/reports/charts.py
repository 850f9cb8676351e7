"""The metrics as charts (SVG or PNG), drawn with matplotlib.

One figure, one panel per measure: caseload by state, mediations arranged within 30 days,
certificates by kind, meeting outcomes, issue outcomes, deadlines by clock and status, and days
per stage (median bar, 90th percentile marker). Every bar is labelled with its number, every
status has its own fill pattern, and the SVG's ``<desc>`` gives every figure in words: nothing
depends on colour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sen_disagreement.reports import _draw as draw
from sen_disagreement.reports.metrics import Metrics

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["metrics_chart"]

_HATCH = {"met": "", "within_30_days": "", "missed": "xx", "late": "xx", "running": ".",
          "overdue": "\\\\", "stopped": "--"}


def _bars(ax: Axes, title: str, values: dict[str, int], *, hatches: bool = False) -> None:
    labels = list(values) or ["(none)"]
    numbers = [values.get(k, 0) for k in labels]
    ys = range(len(labels))
    for y, label, n in zip(ys, labels, numbers, strict=True):
        ax.barh(y, n, height=0.6, facecolor="#d9d9d9", edgecolor="black", linewidth=0.6,
                hatch=_HATCH.get(label.rsplit(": ", 1)[-1], "") if hatches else "")
        ax.text(n, y, f" {n}", va="center", ha="left")
    ax.set_yticks(list(ys), [label.replace("_", " ") for label in labels])
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(0, max([*numbers, 1]) * 1.25)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts are whole numbers
    ax.set_title(title, loc="left")


def _flat(nested: dict[str, dict[str, int]]) -> dict[str, int]:
    return {f"{group}: {k}": v for group, counts in nested.items() for k, v in counts.items()}


def _panels(m: Metrics) -> list[tuple[str, dict[str, int], bool]]:
    return [
        ("Caseload by type", m.caseload["type"], False),
        ("Caseload by route", m.caseload["route"], False),
        ("Caseload by state", m.caseload["state"], False),
        ("Mediations arranged within 30 days", m.arranged_within_30_days, True),
        ("Certificates by kind", m.certificates, False),
        ("Meeting outcomes", _flat(m.outcome_levels), False),
        ("Issue outcomes (by what the issue concerns)", _flat(m.issue_outcomes), False),
        ("Deadlines by clock and status", _flat(m.deadlines), True),
    ]


def _stages(ax: Axes, m: Metrics) -> None:
    names = list(m.stage_days)
    for y, name in enumerate(names):
        stats = m.stage_days[name]
        median, p90 = stats["median"], stats["p90"]
        if median is not None:
            ax.barh(y, median, height=0.6, facecolor="#d9d9d9", edgecolor="black",
                    linewidth=0.6)
        if p90 is not None:
            ax.plot([p90], [y], marker="D", markersize=5, color="black")
        words = ("no cases" if median is None else
                 f" median {median}, 90th percentile {p90} ({stats['cases']} cases)")
        ax.text(max(median or 0, p90 or 0), y, f"  {words}", va="center", ha="left")
    ax.set_yticks(range(len(names)), [n.replace("_", " ") for n in names])
    ax.set_ylim(len(names) - 0.5, -0.5)
    top = max([*(s["p90"] or 0 for s in m.stage_days.values()), 1])
    ax.set_xlim(0, top * 2.2)
    ax.set_title("Days per stage (bar: median; diamond: 90th percentile)", loc="left")


def _words(m: Metrics) -> str:
    parts = [f"Metrics for council {m.council}: {m.cases} cases opened "
             f"{m.start or 'any time'} to {m.end or 'any time'}, deadlines as of {m.on}."]
    for title, values, _ in _panels(m):
        body = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in values.items()) or "none"
        parts.append(f"{title}: {body}.")
    parts.append("Days per stage: " + "; ".join(
        f"{k.replace('_', ' ')} median {v['median']} 90th percentile {v['p90']} "
        f"({v['cases']} cases)" for k, v in m.stage_days.items()) + ".")
    return " ".join(parts)


def metrics_chart(m: Metrics, *, format: str = "svg") -> str | bytes:
    """The metrics ``m`` as an accessible SVG document (``str``) or a PNG (``bytes``)."""
    panels = _panels(m)
    sizes = [max(1, len(v)) for _, v, _ in panels] + [len(m.stage_days)]
    height = 0.6 + sum(0.22 * s + 0.55 for s in sizes)
    with draw.figure(10.0, height) as fig:
        grid = fig.add_gridspec(len(sizes), 1, height_ratios=sizes, left=0.42, right=0.95,
                                top=1 - 0.35 / height, bottom=0.25 / height, hspace=0.9)
        for i, (title, values, hatches) in enumerate(panels):
            _bars(fig.add_subplot(grid[i]), title, values, hatches=hatches)
        _stages(fig.add_subplot(grid[len(panels)]), m)
        title = f"Case metrics for council {m.council}"
        return draw.render(fig, format, title=title, desc=_words(m))
