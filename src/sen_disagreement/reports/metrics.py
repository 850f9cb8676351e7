"""Local management metrics over a council's cases: what the national return lacks.

Over the cases opened from ``start`` to ``end`` (inclusive; either open-ended):

* caseload by type (case kind), route (the mediation route, or disagreement resolution) and
  state;
* mediations arranged within 30 days: the arranging clock of every mediation case that reached
  one, met / missed / running / overdue / stopped;
* certificates by kind (declined, after mediation, not arranged in time);
* outcomes: each meeting's overall level (full / partial / none), and issue by issue, by what
  the issue concerns (plan section or duty) and its outcome;
* days per stage: median and 90th percentile (nearest rank) of the calendar days between two
  recorded dates of a case;
* deadlines by clock: met, missed, running (not yet due on ``on``), overdue (running and past
  due on ``on``) and stopped.

Counts only: no case is named, no recorded item, party or contact detail is read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from attrs import frozen

from sen_disagreement.errors import InvalidInputError
from sen_disagreement.reports._read import Unreadable, england_date, reader_for
from sen_disagreement.workflow import (
    Case,
    DeadlineStatus,
    DisagreementResolutionCase,
    MediationCase,
)

if TYPE_CHECKING:
    from sen_disagreement.actors import Actor
    from sen_disagreement.service import CaseService

__all__ = ["STAGES", "Metrics", "Stage", "compute", "metrics_report", "percentile"]

DateOf = Callable[[Case], dt.date | None]


@frozen
class Stage:
    """A stage measured in calendar days from one recorded date of a case to another."""

    name: str
    kind: str
    start: DateOf
    end: DateOf


def _med(get: Callable[[MediationCase], dt.date | None]) -> DateOf:
    return lambda c: get(c) if isinstance(c, MediationCase) else None


def _dr(get: Callable[[DisagreementResolutionCase], dt.date | None]) -> DateOf:
    return lambda c: get(c) if isinstance(c, DisagreementResolutionCase) else None


def _first_cert(c: MediationCase) -> dt.date | None:
    return c.certificates[0].issued_on if c.certificates else None


STAGES: tuple[Stage, ...] = (
    Stage("notice_to_adviser_contact", "mediation", _med(lambda c: c.notice.sent_on),
          _med(lambda c: c.adviser_contacted_on)),
    Stage("mediation_wanted_to_arranged", "mediation", _med(lambda c: c.told_la_on),
          _med(lambda c: c.arranged_on)),
    Stage("mediation_wanted_to_held", "mediation", _med(lambda c: c.told_la_on),
          _med(lambda c: c.held_on)),
    Stage("notice_to_first_certificate", "mediation", _med(lambda c: c.notice.sent_on),
          _med(_first_cert)),
    Stage("referral_to_meeting_held", "disagreement_resolution",
          _dr(lambda c: england_date(c.created_at)), _dr(lambda c: c.held_on)),
    Stage("referral_to_closed", "disagreement_resolution",
          _dr(lambda c: england_date(c.created_at)),
          _dr(lambda c: c.closed_on)),
)
"""The stages measured."""


def percentile(values: Iterable[int], p: float) -> int | None:
    """The nearest-rank ``p``-th percentile (the smallest value with at least ``p`` per cent of
    the values at or below it); ``None`` for no values. The median is ``percentile(v, 50)``."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _route(case: Case) -> str:
    if isinstance(case, DisagreementResolutionCase):
        return "disagreement_resolution"
    route: str = case.route.value if case.route is not None else "not_yet_chosen"
    return route


def _deadline_state(status: DeadlineStatus, due: dt.date, on: dt.date) -> str:
    if status is DeadlineStatus.RUNNING:
        return "overdue" if due < on else "running"
    return str(status.value)


@frozen
class Metrics:
    """A council's management metrics over the cases opened from ``start`` to ``end`` (either
    ``None``: open-ended), as of ``on`` (see the module): case counts, caseload, mediations
    arranged within 30 days, certificates, outcomes, days per stage and deadlines by clock.
    Counts only; ``unreadable`` counts the stored cases that could not be read."""

    council: str
    start: dt.date | None
    end: dt.date | None
    on: dt.date
    cases: int
    unreadable: int
    caseload: dict[str, dict[str, int]]
    arranged_within_30_days: dict[str, int]
    certificates: dict[str, int]
    outcome_levels: dict[str, dict[str, int]]
    issue_outcomes: dict[str, dict[str, int]]
    stage_days: dict[str, dict[str, int | None]]
    deadlines: dict[str, dict[str, int]]

    def as_json(self) -> dict[str, Any]:
        return {
            "council": self.council,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "on": self.on.isoformat(),
            "cases": self.cases,
            "unreadable": self.unreadable,
            "caseload": self.caseload,
            "arranged_within_30_days": self.arranged_within_30_days,
            "certificates": self.certificates,
            "outcome_levels": self.outcome_levels,
            "issue_outcomes": self.issue_outcomes,
            "stage_days": self.stage_days,
            "deadlines": self.deadlines,
        }

    def to_json(self) -> str:
        return json.dumps(self.as_json(), indent=2)

    def rows(self) -> list[tuple[str, str, str, str]]:
        """Every figure as (section, group, measure, value): the CSV and the table."""
        out: list[tuple[str, str, str, str]] = [
            ("cases", "all", "count", str(self.cases)),
            ("cases", "unreadable", "count", str(self.unreadable)),
        ]
        for by, counts in self.caseload.items():
            out += [("caseload", by, k, str(v)) for k, v in counts.items()]
        out += [("arranged_within_30_days", "arrange_clock", k, str(v))
                for k, v in self.arranged_within_30_days.items()]
        out += [("certificates", "kind", k, str(v)) for k, v in self.certificates.items()]
        for kind, counts in self.outcome_levels.items():
            out += [("outcome_levels", kind, k, str(v)) for k, v in counts.items()]
        for concern, counts in self.issue_outcomes.items():
            out += [("issue_outcomes", concern, k, str(v)) for k, v in counts.items()]
        for stage, stats in self.stage_days.items():
            out += [("stage_days", stage, k, "" if v is None else str(v))
                    for k, v in stats.items()]
        for clock, counts in self.deadlines.items():
            out += [("deadlines", clock, k, str(v)) for k, v in counts.items()]
        return out

    def to_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(("section", "group", "measure", "value"))
        writer.writerows(self.rows())
        return buf.getvalue()

    def to_table(self) -> str:
        rows = [("section", "group", "measure", "value"), *self.rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = [f"Metrics for {self.council}, cases opened "
                 f"{self.start or 'any time'} to {self.end or 'any time'} (deadlines as of "
                 f"{self.on})"]
        for n, r in enumerate(rows):
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines) + "\n"


def _sorted(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items()))


def compute(cases: Iterable[Case | Unreadable], *, council: str, start: dt.date | None,
            end: dt.date | None, on: dt.date) -> Metrics:
    """The metrics of ``cases`` opened from ``start`` to ``end``."""
    n = unreadable = 0
    by_kind: Counter[str] = Counter()
    by_route: Counter[str] = Counter()
    by_state: Counter[str] = Counter()
    arranged: Counter[str] = Counter()
    certs: Counter[str] = Counter()
    levels: dict[str, Counter[str]] = {}
    issues: dict[str, Counter[str]] = {}
    days: dict[str, list[int]] = {s.name: [] for s in STAGES}
    deadlines: dict[str, Counter[str]] = {}
    for case in cases:
        if isinstance(case, Unreadable):
            unreadable += 1
            continue
        opened = england_date(case.created_at)
        if (start is not None and opened < start) or (end is not None and opened > end):
            continue
        n += 1
        by_kind[case.kind] += 1
        by_route[_route(case)] += 1
        by_state[f"{case.kind}:{case.state.value}"] += 1
        if isinstance(case, MediationCase):
            clock = case.arrange_clock
            if clock is not None:
                arranged[_deadline_state(clock.status, clock.due, on)] += 1
            for cert in case.certificates:
                certs[cert.kind.value] += 1
            tracked = case.deadlines
        else:
            tracked = ()
        level = case.issues.level
        if level is not None:
            levels.setdefault(case.kind, Counter())[level.value] += 1
        for issue in case.issues.issues:
            outcome = case.issues.outcome(issue.issue_id)
            if outcome is not None:
                issues.setdefault(issue.concerns, Counter())[outcome.value] += 1
        for stage in STAGES:
            a, b = stage.start(case), stage.end(case)
            if a is not None and b is not None:
                days[stage.name].append((b - a).days)
        for d in tracked:
            deadlines.setdefault(d.clock_id, Counter())[_deadline_state(d.status, d.due, on)] += 1
    return Metrics(
        council=council, start=start, end=end, on=on, cases=n, unreadable=unreadable,
        caseload={"type": _sorted(by_kind), "route": _sorted(by_route),
                  "state": _sorted(by_state)},
        arranged_within_30_days={
            "within_30_days": arranged["met"],
            "late": arranged["missed"],
            "overdue": arranged["overdue"],
            "running": arranged["running"],
            "stopped": arranged["stopped"],
        },
        certificates=_sorted(certs),
        outcome_levels={k: _sorted(v) for k, v in sorted(levels.items())},
        issue_outcomes={k: _sorted(v) for k, v in sorted(issues.items())},
        stage_days={name: {"cases": len(v), "median": percentile(v, 50),
                           "p90": percentile(v, 90)} for name, v in days.items()},
        deadlines={k: _sorted(v) for k, v in sorted(deadlines.items())},
    )


def check_range(start: dt.date | None, end: dt.date | None) -> None:
    if start is not None and end is not None and end < start:
        raise InvalidInputError("must not be before --from", field="to",
                                rule_id="input.date_range")


def metrics_report(
    service: CaseService, user: str | Actor, *, start: dt.date | None = None,
    end: dt.date | None = None, council: str | None = None, on: dt.date | None = None,
) -> Metrics:
    """The metrics of ``council``'s cases (default: the officer's own) opened from ``start``
    to ``end``, read as ``user`` (an officer of that council). ``on``: the day running
    deadlines are judged on (default ``end``, else today)."""
    check_range(start, end)
    reader = reader_for(service, user, council)
    day = on or end or england_date(dt.datetime.now(dt.UTC))
    return compute((c for _, c in reader.records()), council=reader.council.gss_code,
                   start=start, end=end, on=day)
