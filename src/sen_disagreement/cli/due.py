"""``sen-disagreement due``: the stored deadlines that fall due within a window.

Every running duty of every stored case (the statutory clocks, the reg 42 follow-up duties of a
mediation agreement among them) and every known SEN appeal deadline (HESC Rules r.20(1)(c):
stored once a certificate is issued, or with the decision when no certificate is needed), due
from ``--from`` (default: today in London) to ``--within`` later (``7d``, ``2w``; both ends
included), optionally for one council or for the cases one user works on (``--officer``).

Output: a table, JSON, or an iCalendar file (``--format ics``) with one all-day event per
deadline, built by the ``deadlines`` command's :func:`~sen_disagreement.cli.deadlines.to_ics`.

**iCalendar UIDs.** Each event's UID is the case id, the clock's key in the case and the day the
clock started (``<case>-<clock>-<started>@sen-disagreement``; for the appeal deadline, the day the
decision notice was sent). It is the same on every run, and it does *not* contain the due date:
when a deadline moves (the appeal deadline after a later certificate, a period the parties
agreed in writing instead) a calendar that imports the file again updates the one event instead
of keeping the old date beside the new. A clock started again from a new event is a new deadline
with a new UID.

Reads only: the command writes nothing (a SQLite file that does not exist is not created).
Exit codes: 0 deadlines listed; 1 nothing due ("answered no"); 2 bad input; 3 a store fault.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import click

from sen_disagreement.cli._common import (
    ExitCode,
    fail,
    iso_date,
    read_actor_directory,
    require_existing_store,
)
from sen_disagreement.cli._usage import Command
from sen_disagreement.errors import (
    AccessDeniedError,
    InvalidInputError,
    SenDisagreementError,
    StoreError,
)
from sen_disagreement.store.contract import APPEAL_CLOCK_ID, APPEAL_STATUS, DeadlineHit

__all__ = ["due"]

if TYPE_CHECKING:
    from sen_disagreement.clocks import Deadline
    from sen_disagreement.service import CaseService

_WITHIN = re.compile(r"([1-9][0-9]{0,3})([dw])")
MAX_DAYS = 3660
_LIMIT = 1_000_000
_RUNNING = "running"


def parse_within(value: str) -> int:
    """``7d`` or ``2w`` as a number of days (1 to 3660)."""
    found = _WITHIN.fullmatch(value.strip().lower())
    days = 0 if found is None else int(found.group(1)) * (7 if found.group(2) == "w" else 1)
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInputError(f"must be a number of days or weeks such as 7d or 2w (at most "
                                f"{MAX_DAYS} days)", field="--within", rule_id="input.range")
    return days


def _clock_of(key: str) -> str:
    """The clock definition a deadline row's key names (``clock`` or ``clock.action``)."""
    return key.split(".", 1)[0]


def _who(hit: DeadlineHit) -> str:
    from sen_disagreement.clocks import CLOCKS

    if hit.status == APPEAL_STATUS:
        return "parent or young person (appeal)"
    definition = CLOCKS.get(_clock_of(hit.clock_id))
    return definition.who_must_act.label if definition is not None else "-"


def _council_keys(service: CaseService, council: str) -> tuple[str, ...]:
    from sen_disagreement.council import UnknownCouncilError

    try:
        return tuple(service.council(council).aliases)
    except UnknownCouncilError:
        return (council,)  # a council with no plugin installed: its cases' own key


def _hits(service: CaseService, start: dt.date, end: dt.date,
          councils: Iterable[str] | None) -> list[DeadlineHit]:
    store = service.store
    out: list[DeadlineHit] = []
    for status in (_RUNNING, APPEAL_STATUS):
        if councils is None:
            out += store.deadlines_between(start, end, status=status, limit=_LIMIT)
        else:
            for key in councils:
                out += store.deadlines_between(start, end, status=status, council=key,
                                               limit=_LIMIT)
    unique = {(h.case_id, h.clock_id): h for h in out}
    return sorted(unique.values(), key=lambda h: (h.due, h.case_id, h.clock_id))


def _for_officer(service: CaseService, user: str, hits: list[DeadlineHit],
                 councils: tuple[str, ...] | None) -> list[DeadlineHit]:
    """The hits of the cases ``user`` works on, as the council's directory says: an officer's
    council, a family member's or body officer's granted cases, a facilitator's assigned ones."""
    from sen_disagreement.actors import FACILITATOR_ROLES, Role

    actor = service.actor(user)
    if actor.role in (Role.LA_OFFICER, Role.TRIBUNAL_EXPORTER):
        assert actor.council is not None
        mine = set(_council_keys(service, actor.council))
        if councils is not None:
            mine &= set(councils)
        return [h for h in hits if h.council in mine]
    if actor.role in FACILITATOR_ROLES:
        kept = []
        for h in hits:
            case, _ = service.load(h.case_id)
            ids = {getattr(getattr(case, slot, None), "party_id", None)
                   for slot in ("provider", "adviser", "mediator")}
            if actor.organisation in ids:
                kept.append(h)
        return kept
    if actor.role is Role.SYSTEM:
        raise AccessDeniedError("the system actor is the library's own", rule_id="who.system",
                                citation="sen-disagreement")
    granted = {g.case_id for g in actor.grants}
    return [h for h in hits if h.case_id in granted]


def _uid_parts(service: CaseService, hit: DeadlineHit) -> tuple[dt.date, str]:
    """The day a deadline's clock started, and what started it (from the stored case)."""
    from sen_disagreement.workflow import MediationCase

    case, _ = service.load(hit.case_id)
    if hit.clock_id == APPEAL_CLOCK_ID and isinstance(case, MediationCase):
        return case.notice.sent_on, "decision_notice_sent"
    tracked = next((d for d in case.deadlines if d.key == hit.clock_id), None)
    if tracked is None:  # the row and the document disagree: from_record would have said so
        raise StoreError(f"case {hit.case_id}: a deadline row has no clock in the document")
    return tracked.started, tracked.clock_id


def _deadline(hit: DeadlineHit, started: dt.date, trigger: str) -> Deadline:
    from sen_disagreement.clocks import CLOCKS, Deadline

    if hit.status == APPEAL_STATUS:
        definition = CLOCKS["tribunal_appeal_from_decision"]
        description = ("SEN appeal received by the Tribunal: the later of the two r.20(1)(c) "
                       "dates")
    else:
        definition = CLOCKS[_clock_of(hit.clock_id)]
        description = definition.description
    return Deadline(clock_id=hit.clock_id, description=description, due=hit.due,
                    who_must_act=definition.who_must_act, trigger=trigger, trigger_date=started,
                    provenance=definition.provenance)


def _ics(service: CaseService, hits: list[DeadlineHit]) -> tuple[bytes, dict[tuple[str, str],
                                                                            str]]:
    """One calendar of every hit (built case by case with ``to_ics``) and each hit's UID."""
    from icalendar import Calendar

    from sen_disagreement.cli.deadlines import to_ics

    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    by_case: dict[str, list[DeadlineHit]] = {}
    for h in hits:
        by_case.setdefault(h.case_id, []).append(h)
    cal = Calendar()
    cal.add("prodid", "-//sen-disagreement//deadlines due//EN")
    cal.add("version", "2.0")
    uids: dict[tuple[str, str], str] = {}
    for case_id, case_hits in by_case.items():
        deadlines = [_deadline(h, *_uid_parts(service, h)) for h in case_hits]
        one = Calendar.from_ical(to_ics(deadlines, stamp, scope=case_id, case_ref=case_id))
        for hit, event in zip(case_hits, one.walk("VEVENT"), strict=True):
            uids[(hit.case_id, hit.clock_id)] = str(event["uid"])
            cal.add_component(event)
    data: bytes = cal.to_ical()
    return data, uids


def _as_json(hit: DeadlineHit) -> dict[str, Any]:
    return {
        "due": hit.due.isoformat(), "case_id": hit.case_id, "council": hit.council,
        "kind": hit.kind, "state": hit.state, "clock_id": hit.clock_id,
        "clock": APPEAL_CLOCK_ID if hit.status == APPEAL_STATUS else _clock_of(hit.clock_id),
        "deadline": "appeal" if hit.status == APPEAL_STATUS else "duty",
        "who_must_act": _who(hit),
    }


def _table(hits: list[DeadlineHit]) -> str:
    lines = [f"{'DUE':<11} {'CASE':<28} {'CLOCK':<44} {'WHO MUST ACT':<32} STATE"]
    for h in hits:
        lines.append(f"{h.due.isoformat():<11} {h.case_id:<28} {h.clock_id:<44} "
                     f"{_who(h):<32} {h.state}".rstrip())
    return "\n".join(lines) + "\n"


@click.command(cls=Command)
@click.option("--within", default="7d", show_default=True, metavar="Nd|Nw",
              help="How far ahead: days (7d) or weeks (2w).")
@click.option("--from", "start", default=None, metavar="YYYY-MM-DD",
              help="First day of the window (default: today in London).")
@click.option("--council", default=None, metavar="COUNCIL",
              help="Only this council's cases (GSS code, slug, LA number or name).")
@click.option("--officer", "officer", default=None, metavar="USER",
              help="Only the cases this user works on, as the council's directory says.")
@click.option("--users", "users", default=None, type=click.Path(dir_okay=False, allow_dash=True),
              metavar="FILE|-",
              help="A JSON directory of users for --officer (- for stdin; default: the "
                   "installed plugins').")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "ics"]), default="text",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file.")
@click.option("--db", "url", default=None, metavar="URL",
              help="The store (default: $SEN_DISAGREEMENT_DB, then ./sen-disagreement.sqlite3).")
def due(within: str, start: str | None, council: str | None, officer: str | None,
        users: str | None, fmt: str, output: str | None, url: str | None) -> None:
    """List the duties and appeal deadlines due within a window.

    Exit 0 when something is due, 1 when nothing is, 2 for bad input, 3 for a store fault."""
    err_fmt = "json" if fmt == "json" else "text"
    try:
        days = parse_within(within)
        first = None if start is None else iso_date(start, "--from")
        if first is not None and first > dt.date.max - dt.timedelta(days=days):
            raise InvalidInputError("with --within runs past the year 9999", field="--from",
                                    rule_id="input.date_range")
        directory = None
        if users is not None:
            directory = read_actor_directory(users, field="--users")
        if officer is not None:
            from sen_disagreement.actors import check_user_id

            check_user_id(officer, "--officer")
        require_existing_store(url, "due only reads")
    except SenDisagreementError as err:
        fail(err, err_fmt)
    from sen_disagreement.service import CaseService
    from sen_disagreement.sweeping import london_today

    try:
        service = CaseService.open(url, directory=directory)
    except SenDisagreementError as err:
        fail(err, err_fmt)
    try:
        with service.store:
            day = first or london_today(service.clock())
            end = day + dt.timedelta(days=days)
            councils = None if council is None else _council_keys(service, council)
            hits = _hits(service, day, end, councils)
            if officer is not None:
                hits = _for_officer(service, officer, hits, councils)
            ics = _ics(service, hits)[0] if fmt == "ics" else b""
    except SenDisagreementError as err:
        # An unknown user is bad input (2); a store that cannot be read, a fault (3).
        fail(err, err_fmt)
    if fmt == "ics":
        _write(ics, output, binary=True)
    elif fmt == "json":
        doc = {"from": day.isoformat(), "to": end.isoformat(),
               "deadlines": [_as_json(h) for h in hits]}
        _write(json.dumps(doc, indent=2) + "\n", output)
    else:
        _write(_table(hits) if hits else
               f"nothing due from {day.isoformat()} to {end.isoformat()}\n", output)
    sys.exit(int(ExitCode.ANSWERED if hits else ExitCode.ANSWERED_NO))


def _write(data: str | bytes, output: str | None, *, binary: bool = False) -> None:
    if output:
        try:
            with open(output, "wb") as fh:
                fh.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        except OSError as exc:
            fail(InvalidInputError(f"cannot be written ({exc.strerror or type(exc).__name__})",
                                   field="--output", rule_id="input.file"))
        return
    if binary and isinstance(data, bytes):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        click.echo(data if isinstance(data, str) else data.decode("utf-8"), nl=False)
