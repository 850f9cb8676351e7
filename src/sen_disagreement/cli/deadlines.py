"""``sen-disagreement deadlines``: every statutory deadline that a case's events start.

Input: trigger events as ``--event NAME=YYYY-MM-DD`` flags and/or a JSON document (``--input
FILE``, ``-`` for stdin) of this shape (every key optional)::

    {"events": {"decision_notice_sent": "2025-01-10"},
     "certificate_required": true,
     "mediation_issues": "education_social_care" | "health_only" | "mixed",
     "la_party_to_agreement": true,
     "order_kind": "assess" | "make_plan" | "cease_upheld" | [several limbs, e.g.
                   "continue_to_maintain", "amend_plan"],
     "transfer_kind": "general" | "secondary_to_post16" | "post16_other_time",
     "exceptions": [{"kind": "absence_from_area", "start": "2025-02-01", "end": "2025-02-28"}],
     "completed": {"review_report": "2025-06-27"},
     "as_of": "2025-03-01",
     "settings": {"tribunal_non_working_days": "none"}}

Flags override the document. Output: a table (``--format text``, the default; ``table`` is the
same), JSON, or an iCalendar file with one all-day event per deadline. Dates are written
YYYY-MM-DD only. Invalid input: a message naming the field, exit code 2 (JSON under ``--format
json``); the exit codes are those of every command (:mod:`sen_disagreement.cli._common`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from collections.abc import Mapping
from typing import Any, NoReturn, TextIO

import attrs
import click

from sen_disagreement._checks import CASE_ID, CASE_ID_SHAPE, check_shape
from sen_disagreement.cli._common import ExitCode, fail, iso_date, read_json
from sen_disagreement.cli._usage import Command
from sen_disagreement.clocks import (
    EVENTS,
    Circumstances,
    ClockState,
    Deadline,
    ExceptionKind,
    ExceptionPeriod,
    MediationIssues,
    OrderKind,
    TransferKind,
    clock_statuses,
    compute_deadlines,
)
from sen_disagreement.errors import DocumentError, InvalidInputError, SenDisagreementError
from sen_disagreement.settings import Settings

__all__ = ["deadlines"]

EXIT_BAD_INPUT = int(ExitCode.BAD_INPUT)
MAX_INPUT_BYTES = 1_000_000
_RULE = "cli.deadlines.input"


def _bad(message: str, field: str, rule_id: str = _RULE) -> InvalidInputError:
    return InvalidInputError(message, field=field, rule_id=rule_id)


def _date(value: object, field: str) -> dt.date:
    try:
        return iso_date(value, field)
    except InvalidInputError:
        raise _bad("must be a date written YYYY-MM-DD", field) from None


def _choice(enum_type: Any, value: object, field: str) -> Any:
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_type)
        raise _bad(f"must be one of: {allowed}", field) from None


def _bool(value: object, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false", "yes", "no"}:
        return value.lower() in {"true", "yes"}
    raise _bad("must be true or false", field)


def _mapping(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _bad("must be a JSON object", field)
    return value


def _settings(overrides: Mapping[str, object], path: str) -> Settings:
    known = {a.name for a in attrs.fields(Settings)}
    values: dict[str, Any] = {}
    default = Settings()
    for name, raw in overrides.items():
        field = f"{path}.{name}"
        if name not in known:
            raise _bad("unknown setting (see `sen-disagreement settings`)", field)
        current = getattr(default, name)
        values[name] = _bool(raw, field) if isinstance(current, bool) else _choice(
            type(current), raw, field
        )
    return Settings(**values)


def _exception(raw: object, field: str) -> ExceptionPeriod:
    item = _mapping(raw, field)
    for key in item:
        if key not in {"kind", "start", "end", "clock_ids", "evidence"}:
            raise _bad("unknown key", f"{field}.{key}")
    if "kind" not in item or "start" not in item:
        raise _bad("needs 'kind' and 'start'", field)
    ids = item.get("clock_ids", [])
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise _bad("must be a list of clock ids", f"{field}.clock_ids")
    end = item.get("end")
    try:
        return ExceptionPeriod(
            _choice(ExceptionKind, item["kind"], f"{field}.kind"),
            _date(item["start"], f"{field}.start"),
            None if end is None else _date(end, f"{field}.end"),
            ids,
            item.get("evidence"),
        )
    except InvalidInputError as err:
        if err.field.startswith(field):
            raise
        raise _bad(err.message, f"{field}.{err.field.rpartition('.')[2]}", err.rule_id) from None


_TOP_KEYS = {
    "events",
    "certificate_required",
    "mediation_issues",
    "la_party_to_agreement",
    "order_kind",
    "transfer_kind",
    "exceptions",
    "completed",
    "as_of",
    "settings",
}


_FACT_KEYS = (
    "certificate_required",
    "mediation_issues",
    "la_party_to_agreement",
    "order_kind",
    "order_kinds",
    "transfer_kind",
)


@attrs.frozen
class Request:
    """A parsed ``deadlines`` request."""

    events: dict[str, dt.date]
    circumstances: Circumstances
    settings: Settings
    as_of: dt.date | None
    completed: dict[str, dt.date]


def parse_document(doc: object) -> dict[str, Any]:
    """Check a JSON request document and return its parts as Python values."""
    top = _mapping(doc, "$")
    for key in top:
        if key not in _TOP_KEYS:
            raise _bad("unknown key", f"$.{key}")
    out: dict[str, Any] = {}
    events = _mapping(top.get("events", {}), "$.events")
    out["events"] = {k: _date(v, f"$.events.{k}") for k, v in events.items()}
    if isinstance(top.get("order_kind"), list):
        # An order with several limbs (continue to maintain and amend): every limb's clock runs.
        out["order_kinds"] = tuple(
            _choice(OrderKind, k, f"$.order_kind[{i}]") for i, k in enumerate(top["order_kind"])
        )
    for key, enum_type in (
        ("mediation_issues", MediationIssues),
        ("order_kind", OrderKind),
        ("transfer_kind", TransferKind),
    ):
        if top.get(key) is not None and key not in out and f"{key}s" not in out:
            out[key] = _choice(enum_type, top[key], f"$.{key}")
    for key in ("certificate_required", "la_party_to_agreement"):
        if top.get(key) is not None:
            out[key] = _bool(top[key], f"$.{key}")
    raw_exc = top.get("exceptions", [])
    if not isinstance(raw_exc, list):
        raise _bad("must be a JSON list", "$.exceptions")
    out["exceptions"] = [_exception(e, f"$.exceptions[{i}]") for i, e in enumerate(raw_exc)]
    completed = _mapping(top.get("completed", {}), "$.completed")
    out["completed"] = {k: _date(v, f"$.completed.{k}") for k, v in completed.items()}
    if top.get("as_of") is not None:
        out["as_of"] = _date(top["as_of"], "$.as_of")
    out["settings"] = dict(_mapping(top.get("settings", {}), "$.settings"))
    return out


def _pairs(values: tuple[str, ...], option: str) -> list[tuple[str, str]]:
    pairs = []
    for raw in values:
        name, sep, value = raw.partition("=")
        if not sep or not name.strip():
            raise _bad("must be written NAME=VALUE", option)
        pairs.append((name.strip(), value.strip()))
    return pairs


def _exception_flag(raw: str) -> ExceptionPeriod:
    kind, sep, span = raw.partition("=")
    if not sep:
        raise _bad("must be written KIND=START or KIND=START..END", "--exception")
    start, _, end = span.partition("..")
    return _exception(
        {"kind": kind.strip(), "start": start.strip(), **({"end": end.strip()} if end else {})},
        "--exception",
    )


def build_request(
    doc: Mapping[str, Any],
    *,
    events: tuple[str, ...] = (),
    settings: tuple[str, ...] = (),
    exceptions: tuple[str, ...] = (),
    overrides: Mapping[str, Any] | None = None,
) -> Request:
    """Merge a parsed document with command-line flags (flags win)."""
    ev = dict(doc.get("events", {}))
    for name, value in _pairs(events, "--event"):
        ev[name] = _date(value, f"--event {name}")
    for name in ev:
        if name not in EVENTS:
            raise _bad("unknown event name (see --list-events)", name, "clocks.known_event")
    setting_values = dict(doc.get("settings", {}))
    setting_values.update(dict(_pairs(settings, "--setting")))
    facts = {k: doc[k] for k in _FACT_KEYS if k in doc}
    facts.update({k: v for k, v in (overrides or {}).items() if v is not None and k in _FACT_KEYS})
    periods = list(doc.get("exceptions", [])) + [_exception_flag(e) for e in exceptions]
    as_of = (overrides or {}).get("as_of") or doc.get("as_of")
    return Request(
        events=ev,
        circumstances=Circumstances(exceptions=periods, **facts),
        settings=_settings(setting_values, "settings"),
        as_of=as_of,
        completed=dict(doc.get("completed", {})),
    )


# Output ---------------------------------------------------------------------------------------


def _deadline_dict(d: Deadline, state: ClockState | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "clock_id": d.clock_id,
        "description": d.description,
        "due": d.due.isoformat() if d.due else None,
        "who_must_act": d.who_must_act.value,
        "trigger": d.trigger,
        "trigger_date": d.trigger_date.isoformat(),
        "kind": d.kind.value,
        "grade": d.grade.value,
        "citations": [
            {"text": c.text, "grade": c.grade.value, "url": c.url} for c in d.provenance.citations
        ],
        "conditions": [c.value for c in d.conditions],
        "via": d.via,
        "provisional": d.provisional,
        "disapplied": d.disapplied,
        "note": d.note,
    }
    if state is not None:
        out["status"] = state.status.value
        out["working_days_left"] = state.working_days_left
        out["completed_on"] = state.completed_on.isoformat() if state.completed_on else None
    return out


def _table(rows: list[tuple[Deadline, ClockState | None]], out: TextIO) -> None:
    with_status = any(s is not None for _, s in rows)
    head = f"{'DUE':<11} {'CLOCK':<40} {'WHO MUST ACT':<26} {'STARTED BY':<40} GRADE"
    out.write(head + ("  STATUS" if with_status else "") + "\n")
    for d, state in rows:
        due = d.due.isoformat() if d.due else ("disapplied" if d.disapplied else "paused")
        name = d.clock_id if d.via is None else f"{d.clock_id} (via {d.via})"
        started = f"{d.trigger} {d.trigger_date.isoformat()}"
        line = f"{due:<11} {name:<40} {d.who_must_act.label:<26} {started:<40} {d.grade.label}"
        if state is not None:
            line += f"  {state.status.value}"
        out.write(line.rstrip() + "\n")
        out.write(f"{'':<12}{d.cite()}\n")
        for cond in d.conditions:
            out.write(f"{'':<12}applies only if {cond.value}\n")
        if d.note:
            out.write(f"{'':<12}{d.note}\n")
    if not rows:
        out.write("(no deadlines: no event given starts a clock)\n")


def to_ics(
    deadlines: list[Deadline],
    stamp: dt.datetime,
    *,
    scope: str,
    case_ref: str | None = None,
) -> bytes:
    """An iCalendar file with one all-day VEVENT per deadline that has a due date.

    ``scope`` keeps UIDs of different cases apart (a calendar overwrites an event whose UID it
    already has): the council's case reference, or a digest of the trigger events."""
    from icalendar import Calendar, Event  # deferred: only the ics format needs it

    cal = Calendar()
    cal.add("prodid", "-//sen-disagreement//statutory deadlines//EN")
    cal.add("version", "2.0")
    for d in deadlines:
        if d.due is None:
            continue
        ev = Event()
        via = f"-via-{d.via}" if d.via else ""
        ev.add("uid", f"{scope}-{d.clock_id}{via}-{d.trigger_date.isoformat()}@sen-disagreement")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", d.due)
        ev.add("dtend", d.due + dt.timedelta(days=1))
        prefix = f"[{case_ref}] " if case_ref else ""
        ev.add("summary", f"{prefix}{d.clock_id}: {d.who_must_act.label} must act")
        lines = [
            d.description,
            f"Started by {d.trigger} on {d.trigger_date.isoformat()}.",
            f"Source: {d.cite()}",
            *(f"Applies only if {c.value}." for c in d.conditions),
            *([d.note] if d.note else []),
        ]
        ev.add("description", "\n".join(lines))
        ev.add("categories", ["SEND statutory deadline"])
        cal.add_component(ev)
    result: bytes = cal.to_ical()
    return result


def _fail(err: SenDisagreementError, fmt: str = "text") -> NoReturn:
    """Report ``err`` the way every command does; input faults are listed under
    ``Invalid input:`` (or as JSON ``problems`` under ``--format json``)."""
    if isinstance(err, InvalidInputError) and not isinstance(err, DocumentError):
        err = DocumentError([err])
    fail(err, "json" if fmt == "json" else "text")


def _write(path: str, data: bytes, fmt: str) -> None:
    try:
        with open(path, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        _fail(_bad(f"cannot be written ({exc.strerror or type(exc).__name__})", "--output",
                   "input.file"), fmt)


@click.command(cls=Command)
@click.option(
    "--event",
    "events",
    multiple=True,
    metavar="NAME=YYYY-MM-DD",
    help="A trigger or completion event (repeatable), e.g. decision_notice_sent=2025-01-10.",
)
@click.option(
    "--input",
    "source",
    default=None,
    metavar="FILE",
    help="JSON request document ('-' for stdin).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "table", "json", "ics"]),
    default="text",
    show_default=True,
    help="text (a table; 'table' is the same) for people, json for programs (errors too), "
    "ics for a calendar.",
)
@click.option(
    "--section-i-only",
    is_flag=True,
    help="The appeal is only about section I (school/institution named): no certificate needed.",
)
@click.option("--mediation-issues", type=click.Choice([m.value for m in MediationIssues]))
@click.option("--order-kind", type=click.Choice([m.value for m in OrderKind]))
@click.option("--transfer-kind", type=click.Choice([m.value for m in TransferKind]))
@click.option(
    "--la-party/--la-not-party",
    "la_party",
    default=None,
    help="Whether the LA was a party to the mediation agreement.",
)
@click.option(
    "--exception",
    "exceptions",
    multiple=True,
    metavar="KIND=START[..END]",
    help="A lawful exception in force (repeatable), e.g. absence_from_area=2025-02-01..2025-02-28.",
)
@click.option("--as-of", metavar="YYYY-MM-DD", help="Also show each clock's status on this day.")
@click.option(
    "--setting",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a setting, e.g. tribunal_non_working_days=none.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file.")
@click.option("--list-events", is_flag=True, help="List the event names and exit.")
@click.option(
    "--case",
    "case_ref",
    metavar="REF",
    help="The council's case reference, put on iCalendar events (no names: it leaves the system).",
)
def deadlines(
    events: tuple[str, ...],
    source: str | None,
    fmt: str,
    section_i_only: bool,
    mediation_issues: str | None,
    order_kind: str | None,
    transfer_kind: str | None,
    la_party: bool | None,
    exceptions: tuple[str, ...],
    as_of: str | None,
    settings: tuple[str, ...],
    output: str | None,
    list_events: bool,
    case_ref: str | None,
) -> None:
    """Print every statutory deadline the given events start, who must act, and the source.

    Each deadline names its provision and grade: [P] primary text, [S] secondary source,
    [UNCONFIRMED]. Exit code 0: done; 2: invalid input (the message names the field).
    """
    if case_ref is not None:
        try:
            check_shape(case_ref, CASE_ID, field="--case", rule_id="input.case_id",
                        shape=CASE_ID_SHAPE)
        except InvalidInputError as err:
            _fail(err, fmt)
    if list_events:
        for name, meaning in EVENTS.items():
            click.echo(f"{name:<38} {meaning}")
        return
    try:
        doc: dict[str, Any] = {}
        if source is not None:
            # The one reader: size, UTF-8, repeated keys, depth and huge numbers refused.
            doc = parse_document(read_json(source, field="$" if source == "-" else "--input"))
        overrides: dict[str, Any] = {
            "mediation_issues": mediation_issues and MediationIssues(mediation_issues),
            "order_kind": order_kind and OrderKind(order_kind),
            "transfer_kind": transfer_kind and TransferKind(transfer_kind),
            "la_party_to_agreement": la_party,
            "certificate_required": False if section_i_only else None,
            "as_of": None if as_of is None else _date(as_of, "--as-of"),
        }
        request = build_request(
            doc, events=events, settings=settings, exceptions=exceptions, overrides=overrides
        )
        try:
            found = compute_deadlines(request.events, request.circumstances, request.settings)
            states: list[ClockState | None] = [None] * len(found)
            if request.as_of is not None:
                states = list(
                    clock_statuses(
                        request.events,
                        as_of=request.as_of,
                        completed=request.completed,
                        circumstances=request.circumstances,
                        settings=request.settings,
                    )
                )
        except (ValueError, OverflowError) as exc:
            if isinstance(exc, SenDisagreementError):
                raise
            # datetime's own range: a deadline would fall after 9999-12-31.
            raise _bad("a deadline would fall outside the calendar (after 9999-12-31)", "$",
                       "input.date_range") from None
    except SenDisagreementError as err:
        _fail(err, fmt)
    rows = list(zip(found, states, strict=True))
    if fmt == "ics":
        digest = hashlib.sha256(
            json.dumps(sorted((k, v.isoformat()) for k, v in request.events.items())).encode()
        ).hexdigest()[:12]
        data = to_ics(
            found,
            dt.datetime.now(dt.UTC).replace(microsecond=0),
            scope=case_ref or digest,
            case_ref=case_ref,
        )
        if output:
            _write(output, data, fmt)
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        return
    if fmt == "json":
        text = json.dumps([_deadline_dict(d, s) for d, s in rows], indent=2) + "\n"
    else:
        import io

        buf = io.StringIO()
        _table(rows, buf)
        text = buf.getvalue()
    if output:
        _write(output, text.encode("utf-8"), fmt)
    else:
        click.echo(text, nl=False)
