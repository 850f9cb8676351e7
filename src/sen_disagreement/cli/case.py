"""``sen-disagreement case``: run a case from the shell, as an authenticated user.

Every subcommand acts as ``--user`` (default ``$SEN_DISAGREEMENT_USER``), resolved by the
council's actor directory: the JSON file ``--actors`` (default ``$SEN_DISAGREEMENT_ACTORS``; the
form :meth:`~sen_disagreement.actors.StaticActorDirectory.from_json` reads) or, without one, the
installed council plugins' ``sen_resolve_actor`` hook. A role is never typed on the command line.
Everything goes through :class:`~sen_disagreement.service.CaseService`: its permission table
decides each step, :meth:`~sen_disagreement.service.CaseService.readable_items` decides which
items are shown, and a refused or invalid request writes nothing but the audit entry of the
refusal. Errors go through :func:`sen_disagreement.cli._common.fail` (exit codes in
:class:`~sen_disagreement.cli._common.ExitCode`).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

from sen_disagreement.cli._common import (
    ExitCode,
    fail,
    format_option,
    read_actor_directory,
    read_json,
    require_existing_store,
    stdin_once,
)
from sen_disagreement.cli._usage import Group
from sen_disagreement.errors import InvalidInputError, SenDisagreementError

__all__ = ["case"]

if TYPE_CHECKING:
    from sen_disagreement.service import CaseService
    from sen_disagreement.store import CaseRecord

USER_ENV = "SEN_DISAGREEMENT_USER"
ACTORS_ENV = "SEN_DISAGREEMENT_ACTORS"

F = TypeVar("F", bound=Callable[..., Any])


def _who(func: F) -> F:
    """``--user``, ``--actors`` and ``--db``: who acts, and on which store (every ``case`` and
    ``report`` subcommand)."""
    for option in reversed((
        click.option("--user", "user", envvar=USER_ENV, metavar="ID",
                     help=f"Who acts: a user id of the council's directory [env: {USER_ENV}]."),
        click.option("--actors", "actors", envvar=ACTORS_ENV, metavar="FILE|-",
                     help="The actor directory as JSON ({\"users\": [...]}; - for stdin) [env: "
                          f"{ACTORS_ENV}]; without it the council plugins' sen_resolve_actor."),
        click.option("--db", "url", default=None, metavar="URL",
                     help="The store (default: $SEN_DISAGREEMENT_DB, then "
                          "./sen-disagreement.sqlite3)."),
    )):
        func = option(func)
    return func


def _options(func: F) -> F:
    """The options every ``case`` subcommand takes."""
    return format_option(_who(func))


def _when(value: str | None, name: str = "--at") -> dt.datetime | None:
    """``--at``: an ISO 8601 UTC time (``2025-01-13T10:00:00Z``); the service refuses a future
    one."""
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError("must be an ISO 8601 UTC time (2025-01-13T10:00:00Z)",
                                field=name, rule_id="input.datetime") from None
    if parsed.utcoffset() != dt.timedelta(0):
        raise InvalidInputError("must be a UTC time (end it with Z or +00:00)", field=name,
                                rule_id="input.utc_time")
    return parsed.astimezone(dt.UTC)


def _echo_json(doc: object) -> None:
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))


def _fault(exc: BaseException, fmt: str) -> None:
    """Anything the library did not type: exit 3, naming only the exception's class (its text
    may quote stored values)."""
    message = f"unexpected {type(exc).__name__}; nothing was written by this command"
    if fmt == "json":
        _echo_json({"error": "InternalError", "message": message,
                    "exit_code": int(ExitCode.FAULT)})
    else:
        click.echo(f"error: {message}", err=True)
    sys.exit(int(ExitCode.FAULT))


@contextmanager
def _reported(fmt: str) -> Iterator[None]:
    try:
        yield
    except SenDisagreementError as exc:
        fail(exc, fmt)
    except Exception as exc:  # no traceback ever: see _fault
        _fault(exc, fmt)


@contextmanager
def _service(url: str | None, actors: str | None, user: str | None, *, reads: bool = False
             ) -> Iterator[tuple[CaseService, str]]:
    """The service on the store ``url``, with the directory ``actors`` (or the plugins'), and
    the user id that acts. ``reads``: the command only reads, so a store that does not exist
    is refused rather than created."""
    from sen_disagreement.actors import StaticActorDirectory
    from sen_disagreement.service import CaseService

    if not user:
        raise InvalidInputError(f"is required (or set ${USER_ENV})", field="--user",
                                rule_id="input.user")
    directory: StaticActorDirectory | None = None
    if actors:
        directory = read_actor_directory(actors, field="--actors")
    if reads:
        require_existing_store(url, "this command only reads")
    service = CaseService.open(url, directory=directory)
    with service.store:
        service.actor(user)  # an unknown user is refused before anything else is done
        yield service, user


def _done(record: CaseRecord, fmt: str, what: str) -> None:
    from sen_disagreement.cli._case_views import record_line, record_view

    if fmt == "json":
        _echo_json(record_view(record))
    else:
        click.echo(f"{what}: {record_line(record)}")


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
def case() -> None:
    """Open, step, read and export cases as an authenticated user.

    Exit codes: 0 done; 2 bad input or a refused request (a typed error naming the field and the
    rule; nothing written but the refusal's audit entry); 3 the store or a plugin failed.
    """


@case.command("open")
@click.option("--input", "source", required=True, metavar="FILE|-",
              help="The opening as JSON: {\"kind\": \"disagreement_resolution\"|\"mediation\", "
                   "...}.")
@click.option("--at", "at", default=None, metavar="TIME",
              help="When it happened (ISO 8601 UTC; default now; never in the future).")
@_options
def open_command(source: str, at: str | None, user: str | None, actors: str | None,
                 url: str | None, fmt: str) -> None:
    """Open a case: a referral to disagreement resolution, or an appealable decision's notice
    (mediation). Only an officer of the case's council may."""
    from sen_disagreement.cli._case_input import opening_from

    with _reported(fmt):
        stdin_once(**{"--input": source, "--actors": actors})
        opening = opening_from(read_json(source, field="--input"))
        when = _when(at)
        with _service(url, actors, user) as (service, uid):
            record = service.open_case(uid, opening, at=when)
        _done(record, fmt, "opened")


@case.command("step")
@click.argument("case_id", metavar="ID")
@click.argument("step", metavar="STEP")
@click.option("--input", "source", default=None, metavar="FILE|-",
              help="The step's fields as JSON (default: none, {}).")
@click.option("--expected-version", "expected", type=int, default=None, metavar="N",
              help="Refuse (stale) unless the case is still at version N.")
@click.option("--at", "at", default=None, metavar="TIME",
              help="When it happened (ISO 8601 UTC; default now; never in the future, never "
                   "before the case's last change).")
@_options
def step_command(case_id: str, step: str, source: str | None, expected: int | None,
                 at: str | None, user: str | None, actors: str | None, url: str | None,
                 fmt: str) -> None:
    """Take STEP in case ID (a step of `docs/reference/who-may-do-what.md`, e.g. agree,
    record_outcome; or its class name, RecordOutcome). Whether the user may is the permission
    table's answer; a refusal is audited."""
    from sen_disagreement.cli._case_input import step_class, step_from

    with _reported(fmt):
        step_class(step)
        stdin_once(**{"--input": source, "--actors": actors})
        data = read_json(source, field="--input") if source is not None else {}
        typed = step_from(step, data)
        when = _when(at)
        with _service(url, actors, user) as (service, uid):
            record = service.apply(case_id, uid, typed, at=when, expected_version=expected)
        _done(record, fmt, typed.NAME)


@case.command("sweep")
@click.argument("case_id", metavar="ID")
@click.option("--at", "at", default=None, metavar="TIME",
              help="The moment the sweep runs (ISO 8601 UTC; default now); the day swept is "
                   "its date.")
@_options
def sweep_command(case_id: str, at: str | None, user: str | None, actors: str | None,
                  url: str | None, fmt: str) -> None:
    """Apply to case ID what the passing of the day makes happen (deadlines passing, the 30 days
    without a mediation), as the library's system actor. The user must have a part in the case.
    The daily sweep over every case is `sen-disagreement sweep`."""
    with _reported(fmt):
        when = _when(at)
        with _service(url, actors, user, reads=True) as (service, uid):
            service.case_for(case_id, uid, at=when)
            moment = when or service.clock()
            record = service.sweep(case_id, moment.date(), at=moment)
            if record is None:
                record = service.store.load(case_id)
                what = "nothing due"
            else:
                what = "swept"
        _done(record, fmt, what)


@case.command("list")
@click.option("--council", default=None, metavar="COUNCIL",
              help="Only this council's cases (slug or GSS code).")
@click.option("--state", default=None, metavar="STATE", help="Only cases in this state.")
@click.option("--kind", type=click.Choice(["disagreement_resolution", "mediation"]),
              default=None, help="Only cases of this kind.")
@_options
def list_command(council: str | None, state: str | None, kind: str | None, user: str | None,
                 actors: str | None, url: str | None, fmt: str) -> None:
    """List the cases the user has a part in: an officer's council's; the cases a family member
    or body officer holds a grant for; a facilitator's assigned cases."""
    from sen_disagreement.cli._case_views import record_line, record_view

    with _reported(fmt):
        with _service(url, actors, user, reads=True) as (service, uid):
            found = service.cases_for(uid, council=council, kind=kind, state=state)
        if fmt == "json":
            _echo_json({"cases": [record_view(r) for r in found]})
        else:
            for r in found:
                click.echo(record_line(r))
            if not found:
                click.echo("no cases")


@case.command("show")
@click.argument("case_id", metavar="ID")
@_options
def show_command(case_id: str, user: str | None, actors: str | None, url: str | None,
                 fmt: str) -> None:
    """Show case ID: parties, state, consent, issues and outcomes, deadlines (the appeal
    deadline of a mediation case), and only the items the user may read."""
    from sen_disagreement.cli._case_views import case_view, show_text

    with _reported(fmt):
        with _service(url, actors, user, reads=True) as (service, uid):
            found, version = service.case_for(case_id, uid)
            view = case_view(found, version, service.readable_items(case_id, uid))
        if fmt == "json":
            _echo_json(view)
        else:
            click.echo(show_text(view))


@case.command("export")
@click.argument("case_id", metavar="ID")
@click.option("--kind", "kind", type=click.Choice(["tribunal", "subject-access"]),
              required=True, help="The Tribunal bundle, or a subject-access export.")
@click.option("--subject", default=None, metavar="PARTY",
              help="subject-access: the party id of the data subject.")
@click.option("--release", multiple=True, metavar="ITEM",
              help="subject-access: release this confidential or without-prejudice item "
                   "(a recorded redaction decision; repeatable).")
@click.option("--withhold", multiple=True, metavar="ITEM",
              help="subject-access: withhold this item (repeatable).")
@_options
def export_command(case_id: str, kind: str, subject: str | None, release: tuple[str, ...],
                   withhold: tuple[str, ...], user: str | None, actors: str | None,
                   url: str | None, fmt: str) -> None:
    """Export case ID: the Tribunal bundle (a Tribunal-bundle exporter of the case's council;
    never without-prejudice or confidential material) or a subject-access export. Audited."""
    with _reported(fmt):
        if kind == "subject-access" and not subject:
            raise InvalidInputError("is required for a subject-access export",
                                    field="--subject", rule_id="input.required")
        with _service(url, actors, user, reads=True) as (service, uid):
            export: Any
            if kind == "tribunal":
                export = service.tribunal_bundle(case_id, uid)
            else:
                from sen_disagreement.workflow.exports import Redaction

                both = sorted(set(release) & set(withhold))
                if both:
                    raise InvalidInputError(
                        f"names item {both[0][:64]!r} that --release also names: one decision "
                        "per item", field="--withhold", rule_id="input.item")
                redactions = dict.fromkeys(release, Redaction.RELEASE)
                redactions.update(dict.fromkeys(withhold, Redaction.WITHHOLD))
                export = service.subject_access_export(case_id, uid, subject_id=subject or "",
                                                       redactions=redactions)
        click.echo(export.to_json() if fmt == "json" else export.to_text(), nl=False)
        if fmt == "json":
            click.echo()


@case.command("audit")
@click.argument("case_id", metavar="ID")
@_options
def audit_command(case_id: str, user: str | None, actors: str | None, url: str | None,
                  fmt: str) -> None:
    """Print the audit trail of case ID (officers of the case's council only: rule
    access.audit_trail). Entries name actors, actions and field names, never content."""
    from sen_disagreement.cli._case_views import audit_view

    with _reported(fmt):
        with _service(url, actors, user, reads=True) as (service, uid):
            entries = audit_view(service.audit_trail(case_id, uid))
        if fmt == "json":
            _echo_json({"case_id": case_id, "entries": entries})
        else:
            for e in entries:
                fields = f" [{', '.join(e['fields'])}]" if e["fields"] else ""
                click.echo(f"{e['seq']:>6}  {e['at']}  {e['actor']}  {e['action']}  "
                           f"{e['outcome']}{fields}")


def write_output(data: str | bytes, output: str | None) -> None:
    """``data`` to the file ``output`` (a typed error if it cannot be written), else stdout
    (bytes as bytes)."""
    if output:
        try:
            with open(output, "wb") as fh:
                fh.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        except OSError as exc:
            raise InvalidInputError(f"cannot be written ({exc.strerror or type(exc).__name__})",
                                    field="--output", rule_id="input.file") from None
        return
    if isinstance(data, bytes):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        click.echo(data, nl=False)


@case.command("timeline")
@click.argument("case_id", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["svg", "png", "text"]), default="text",
              show_default=True, help="An accessible SVG, a PNG image, or plain text.")
@click.option("--on", "on", default=None, metavar="YYYY-MM-DD",
              help="Draw the case as of this day (default: today in England).")
@click.option("--output", "-o", "output", default=None, metavar="FILE",
              help="Write to this file (default: stdout).")
@_who
def timeline_command(case_id: str, fmt: str, on: str | None, output: str | None,
                     user: str | None, actors: str | None, url: str | None) -> None:
    """Draw case ID on one time axis: its events, its clocks and deadlines (met, missed,
    running, overdue, stopped) and its state, for a user with a part in the case, as that user
    may see it (CaseService.timeline_for): the step that recorded an item the user may not read
    is not shown at all. Carries no recorded item, name or contact detail."""
    from sen_disagreement.cli._common import iso_date
    from sen_disagreement.sweeping import london_today

    with _reported("text"):
        day = iso_date(on, "--on") if on is not None else london_today()
        with _service(url, actors, user, reads=True) as (service, uid):
            timeline = service.timeline_for(case_id, uid, on=day)
        write_output(timeline.render(fmt), output)
