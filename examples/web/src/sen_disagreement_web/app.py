"""The web application: sign-in, the case list, a case's page and the forms of its steps.

Everything a page shows or changes goes through :class:`~sen_disagreement.service.CaseService` as
the signed-in user: ``cases_for`` lists the cases they have a part in, ``case_for`` refuses a case
they have none in (audited), ``readable_items`` is the only source of item text on a page (so a
without-prejudice offer or a facilitator's confidential note reaches only those the library lets
read it), ``may_read_audit_trail`` / ``audit_trail`` decide who reads the trail,
``steps_open_to`` which step forms a page offers, ``timeline_for`` what of the case's records its
timeline shows, ``deadlines_for`` the week's deadlines, and
``apply`` / ``open_case`` decide every step by the permission table: a forged post for a step the
role may not take is refused by the library, not by the page.

Identity: the session holds an authenticated user id and nothing else about the user. Which
role, council and case grants that id has is asked of the council's actor directory on every
request (``CaseService.actor``). The development sign-in here picks a user from a JSON file of the
library's actor-directory form; a council replaces :func:`dev_sign_in` with its identity provider's
callback, which calls :func:`sen_disagreement_web.security.new_session` with the user id it
authenticated, and binds its directory through the ``sen_resolve_actor`` plugin hook (or passes a
``directory`` to the service). See the README's "Plugging in your identity provider".

Library calls run on the event loop's thread: the embedded SQLite store is one connection, and
a case step is milliseconds. A deployment serving many users runs several worker processes, each
with its own service and store connection (PostgreSQL for more than one server).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sen_disagreement.actors import Actor
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.ehc import Duty, PlanSection
from sen_disagreement.errors import (
    AccessDeniedError,
    DocumentError,
    InvalidInputError,
    NotFoundError,
    RuleViolationError,
    SenDisagreementError,
    StaleWriteError,
)
from sen_disagreement.serialization import structure
from sen_disagreement.service import CaseService, OpenDisagreementResolution, OpenMediation
from sen_disagreement.workflow import Case, DisagreementResolutionCase, MediationCase
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.access import acting_party
from sen_disagreement.workflow.disagreement_resolution import DrState
from sen_disagreement.workflow.mediation import MediationState, Reg32Item
from sen_disagreement_web import forms
from sen_disagreement_web.security import (
    IMAGE_CSP,
    BodyLimit,
    CsrfError,
    EndedSessions,
    SecurityHeaders,
    check_csrf,
    csrf_token,
    new_session,
    session_key,
    svg_without_styles,
)

__all__ = ["create_app", "dev_sign_in", "session_cookie_name"]

_LOG = logging.getLogger("sen_disagreement_web")
_DRAWING = threading.Lock()
_ENGLAND = ZoneInfo("Europe/London")
_HERE = Path(__file__).parent
_KINDS = {DisagreementResolutionCase.KIND: "Disagreement resolution",
          MediationCase.KIND: "Mediation"}
_STATES = sorted({s.value for s in DrState} | {s.value for s in MediationState})
SESSION_MAX_AGE = 8 * 3600
"""A session's cookie lasts a working day from the last page seen."""

class SignInRequired(Exception):
    pass


def _week(today: dt.date) -> tuple[dt.date, dt.date]:
    monday = today - dt.timedelta(days=today.weekday())
    return monday, monday + dt.timedelta(days=6)


def _label(value: str) -> str:
    return value.replace("_", " ")


class _Pages:
    """The request handlers, over one service."""

    def __init__(self, service: CaseService, dev_users: Iterable[Actor] | None,
                 templates: Environment, ended: EndedSessions) -> None:
        self.service = service
        self.dev_users = dev_users
        self.templates = templates
        self.ended = ended

    # --- helpers ----------------------------------------------------------------------------

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        actor = context.pop("actor", None)
        body = self.templates.get_template(name).render(
            request=request, csrf=csrf_token(request.session), actor=actor,
            label=_label, kinds=_KINDS, **context)
        return HTMLResponse(body, status_code=status)

    def signed_in(self, request: Request) -> Actor:
        """The signed-in user as the directory says today (a user removed from the directory
        since signing in is signed out)."""
        uid = request.session.get("user")
        if not isinstance(uid, str) or not uid:
            raise SignInRequired
        if not self.ended.live(request.session):
            # A copy of a cookie whose session was signed out (or replaced) since.
            request.session.clear()
            raise SignInRequired
        try:
            return self.service.actor(uid)
        except (NotFoundError, AccessDeniedError, InvalidInputError):
            request.session.clear()
            raise SignInRequired from None

    def today(self) -> dt.date:
        """Today in England, where the councils' deadlines fall (not the UTC date, which is
        yesterday's for the first hour of a summer day)."""
        return self.service.clock().astimezone(_ENGLAND).date()

    # --- sign-in -------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        return RedirectResponse("/cases" if request.session.get("user") else "/sign-in", 303)

    async def sign_in_page(self, request: Request) -> Response:
        return self.render(request, "sign_in.html", users=self._dev_users(), errors={})

    def _dev_users(self) -> list[Actor]:
        return [] if self.dev_users is None else sorted(self.dev_users,
                                                         key=lambda a: a.actor_id)

    async def sign_in(self, request: Request) -> Response:
        fields = await check_csrf(request)
        uid = fields.get("user", "")
        known = {a.actor_id for a in self._dev_users()}
        if uid not in known:
            errors = {"user": "Select the user to sign in as"}
            return self.render(request, "sign_in.html", 400, users=self._dev_users(),
                               errors=errors)
        dev_sign_in(request, self.service, uid)
        return RedirectResponse("/cases", 303)

    async def sign_out(self, request: Request) -> Response:
        await check_csrf(request)
        self.ended.end(request.session)
        request.session.clear()
        return RedirectResponse("/sign-in", 303)

    # --- the case list -------------------------------------------------------------------------

    async def case_list(self, request: Request) -> Response:
        actor = self.signed_in(request)
        kind = request.query_params.get("kind") or None
        state = request.query_params.get("state") or None
        errors = {}
        if kind is not None and kind not in _KINDS:
            errors["kind"] = "Select a kind of case from the list"
            kind = None
        if state is not None and state not in _STATES:
            errors["state"] = "Select a state from the list"
            state = None
        records = self.service.cases_for(actor, kind=kind, state=state)
        monday, sunday = _week(self.today())
        # The week's deadlines are all the user's, whatever the list is filtered by: the
        # library's own query over the cases the user has a part in (running duties and
        # appeal deadlines).
        due = [(d.due, d.case_id, d.clock_id)
               for d in self.service.deadlines_for(actor, monday, sunday)]
        opens = st.permission("open", DisagreementResolutionCase.KIND)
        can_open = opens is not None and actor.role in opens.roles
        return self.render(request, "cases.html", actor=actor, records=records, due=due,
                           monday=monday, sunday=sunday, kind=kind or "", state=state or "",
                           states=_STATES, errors=errors, can_open=can_open)

    # --- a case --------------------------------------------------------------------------------

    def _steps_offered(self, actor: Actor, case: Case) -> tuple[list[tuple[str, str]], set[str]]:
        """The steps the library says this user may take in this case now (who they are and
        the state of the case: ``CaseService.steps_open_to``), and those of them this example
        has no form for (a step added to the library with a field of a type the form builder
        does not know is sent to the command line, not a broken page)."""
        out, no_form = [], set(forms.NOT_OFFERED)
        for name in self.service.steps_open_to(case.case_id, actor):
            if name in forms.STEP_CLASSES:
                out.append((name, forms.step_title(name)))
                if name not in no_form:
                    try:
                        forms.fields_for(name, case, None)
                    except TypeError:
                        no_form.add(name)
        return out, no_form

    def _acting(self, case: Case, actor: Actor) -> str | None:
        return acting_party(case, actor, councils=self._councils(case))

    def _councils(self, case: Case) -> tuple[str, ...]:
        try:
            return self.service.council_of(case).aliases
        except SenDisagreementError:
            return (case.council,)

    async def case_page(self, request: Request) -> Response:
        actor = self.signed_in(request)
        case_id = request.path_params["case_id"]
        case, version = self.service.case_for(case_id, actor)
        items = self.service.readable_items(case_id, actor)
        # Asked first (not audited), so other roles' page views do not fill the trail with
        # refusals.
        audit = (self.service.audit_trail(case_id, actor)
                 if self.service.may_read_audit_trail(case_id, actor) else None)
        offered, no_form = self._steps_offered(actor, case)
        # The picture is an <img> of its own URL; its text form, the same facts, is on the page
        # for screen readers and for copying. The library decides what of the case's records
        # the user's timeline shows (CaseService.timeline_for), not this page.
        timeline_text = self.service.timeline_for(case_id, actor, on=self.today()).text()
        return self.render(
            request, "case.html", actor=actor, case=case, version=version, items=items,
            audit=audit, offered=offered, not_offered=no_form,
            timeline_text=timeline_text, today=self.today(),
            is_mediation=isinstance(case, MediationCase),
        )

    async def timeline(self, request: Request) -> Response:
        actor = self.signed_in(request)
        # Read here, on the event loop's thread (the store and the directory): the user's
        # timeline as the library lets them see it. Drawing it needs neither.
        timeline = self.service.timeline_for(request.path_params["case_id"], actor,
                                             on=self.today())
        # Drawing takes ~0.1 s (matplotlib): off the event loop, one at a time (matplotlib's
        # state is not for concurrent use), so other users' pages are not held up.

        def draw() -> str | bytes:
            with _DRAWING:
                drawn = timeline.render("svg")
            # Its styles as attributes: the image's policy allows no inline style at all.
            return svg_without_styles(str(drawn))

        svg = await run_in_threadpool(draw)
        return Response(svg, media_type="image/svg+xml",
                        headers={"Content-Security-Policy": IMAGE_CSP})

    # --- steps ---------------------------------------------------------------------------------

    def _step_context(self, request: Request) -> tuple[Actor, Case, int, str, list[forms.Field]]:
        actor = self.signed_in(request)
        name = request.path_params["step"]
        if name not in forms.STEP_CLASSES or name in forms.NOT_OFFERED:
            raise HTTPException(404)
        case, version = self.service.case_for(request.path_params["case_id"], actor)
        try:
            form = forms.fields_for(name, case, self._acting(case, actor))
        except TypeError:  # no form for this step (see _steps_offered)
            raise HTTPException(404) from None
        return actor, case, version, name, form

    async def step_page(self, request: Request) -> Response:
        actor, case, version, name, form = self._step_context(request)
        return self.render(request, "step.html", actor=actor, case=case, version=version,
                           step=name, title=forms.step_title(name), form=form, values={},
                           errors={})

    async def step_post(self, request: Request) -> Response:
        fields = await check_csrf(request)
        actor, case, version, name, form = self._step_context(request)
        errors: dict[str, str]
        expected = forms.version_value(fields.get("expected_version", ""))
        try:
            if expected is None:  # a hand-made post
                raise forms.FieldErrors({"": "The form was incomplete: go back to the case and "
                                             "try again"})
            step = forms.build_step(name, fields, form)
            self.service.apply(case.case_id, actor, step, expected_version=expected)
        except forms.FieldErrors as exc:
            errors = exc.errors
        except (InvalidInputError, DocumentError) as exc:
            errors = forms.errors_of(exc, form).errors
        except StaleWriteError:
            errors = {"": "The case changed while you were filling in this form: go back to the "
                          "case, check what changed, and try again"}
        except AccessDeniedError:
            raise
        except RuleViolationError as exc:
            errors = {"": str(exc)}
        else:
            return RedirectResponse(f"/cases/{quote(case.case_id, safe='')}", 303)
        return self.render(request, "step.html", 400, actor=actor, case=case, version=version,
                           step=name, title=forms.step_title(name), form=form, values=fields,
                           errors=errors)

    # --- opening a case ------------------------------------------------------------------------

    def _open_form(self) -> list[forms.Field]:
        sections = tuple((s.value, f"Section {s.value}") for s in PlanSection)
        duties = tuple((d.value, d.label) for d in Duty)
        decisions = tuple((d.value, f"{d.value}: {_label(d.name.lower())}")
                          for d in AppealableDecision)
        return [
            forms.Field("case_id", "Case reference", "text", True),
            forms.Field("kind", "Kind of case", "select", True, tuple(_KINDS.items())),
            forms.Field("parent_name", "Parent's name", "text", True),
            forms.Field("parent_email", "Parent's email address", "text", False),
            forms.Field("issue_id", "First issue reference (disagreement resolution)", "text",
                        False),
            forms.Field("section", "EHC plan section in dispute", "select", False, sections),
            forms.Field("duty", "Or the duty in dispute", "select", False, duties),
            forms.Field("sent_on", "Decision notice sent (mediation)", "date", False),
            forms.Field("decision", "Appealable decision (mediation)", "select", False,
                        decisions),
        ]

    _OPEN_PATHS: Mapping[str, str] = {
        "$.case_id": "case_id", "$.parties[0].party.name": "parent_name",
        "$.parties[0].contact.email": "parent_email", "$.parties[0].contact": "parent_email",
        "$.issues[0].issue_id": "issue_id", "$.issues[0].section": "section",
        "$.issues[0].duty": "duty", "$.issues[0]": "section", "$.notice.sent_on": "sent_on",
        "$.notice": "sent_on", "$.notice.decisions[0]": "decision",
        "$.notice.decisions": "decision", "case_id": "case_id",
    }

    def _require_opener(self, request: Request) -> Actor:
        actor = self.signed_in(request)
        row = st.permission("open", DisagreementResolutionCase.KIND)
        if row is None or actor.role not in row.roles or actor.council is None:
            raise AccessDeniedError(f"{actor.role.value} {actor.actor_id} may not open cases",
                                    rule_id=row.rule.rule_id if row else "who.unknown_step")
        return actor

    async def open_page(self, request: Request) -> Response:
        actor = self._require_opener(request)
        return self.render(request, "open.html", actor=actor, form=self._open_form(),
                           values={}, errors={})

    async def open_post(self, request: Request) -> Response:
        fields = await check_csrf(request)
        actor = self._require_opener(request)
        form = self._open_form()
        errors: dict[str, str] = {}
        try:
            hidden = forms.plain_text_errors(fields, form)
            if hidden:
                raise FieldErrorsOpen(hidden)
            opening = self._opening(actor, fields)
            record = self.service.open_case(actor, opening)
        except FieldErrorsOpen as exc:
            errors = exc.errors
        except (InvalidInputError, DocumentError) as exc:
            problems = exc.problems if isinstance(exc, DocumentError) else [exc]
            for p in problems:
                errors.setdefault(self._OPEN_PATHS.get(p.field, ""),
                                  f"{p.message} (rule {p.rule_id})")
        except AccessDeniedError:
            raise
        except RuleViolationError as exc:
            errors = {"": str(exc)}
        else:
            return RedirectResponse(f"/cases/{quote(record.case_id, safe='')}", 303)
        return self.render(request, "open.html", 400, actor=actor, form=form, values=fields,
                           errors=errors)

    def _opening(self, actor: Actor, fields: Mapping[str, str]
                 ) -> OpenDisagreementResolution | OpenMediation:
        profile = self.service.council(actor.council or "")
        kind = fields.get("kind", "")
        if kind not in _KINDS:
            raise FieldErrorsOpen({"kind": "Select the kind of case"})
        parent: dict[str, Any] = {"party_id": "parent",
                                  "party": {"kind": "parent",
                                            "name": fields.get("parent_name", "").strip()}}
        if fields.get("parent_email", "").strip():
            parent["contact"] = {"email": fields["parent_email"].strip()}
        council = {"party_id": profile.slug,
                   "party": {"kind": "local_authority", "name": profile.name,
                             "identifiers": {"gss_code": profile.gss_code,
                                             "la_number": profile.la_number}}}
        case_id = fields.get("case_id", "").strip()
        if "/" in case_id:
            # The library allows it; this app's URLs hold a case id as one path segment.
            raise FieldErrorsOpen({"case_id": "must not contain \"/\" in this web app: a page "
                                              "addresses its case by the id (rule input.case_id)"})
        doc: dict[str, Any] = {"case_id": case_id,
                               "council": profile.gss_code, "parties": [parent, council]}
        if kind == DisagreementResolutionCase.KIND:
            issue_id = fields.get("issue_id", "").strip()
            if issue_id:
                issue = {"issue_id": issue_id}
                for key in ("section", "duty"):
                    if fields.get(key):
                        issue[key] = fields[key]
                doc["issues"] = [issue]
            return structure(doc, OpenDisagreementResolution)
        sent = forms.date_value(fields, "sent_on")
        if sent is None:
            raise FieldErrorsOpen({"sent_on": "Enter the date the decision notice was sent"})
        if not fields.get("decision"):
            raise FieldErrorsOpen({"decision": "Select the appealable decision"})
        doc["notice"] = {"sent_on": sent, "decisions": [fields["decision"]],
                         # The form stands for a notice that says everything reg 32 requires.
                         "contents": [c.value for c in Reg32Item]}
        return structure(doc, OpenMediation)


class FieldErrorsOpen(forms.FieldErrors):
    pass


def session_cookie_name(secure: bool) -> str:
    """The session cookie's name. Over https it has the ``__Host-`` prefix: browsers then take
    it only from this host, Secure and for the whole site, so a page on a sibling subdomain
    (another council service) cannot plant its own signed-in cookie in the user's browser."""
    return "__Host-sen_web_session" if secure else "sen_web_session"


def dev_sign_in(request: Request, service: CaseService, user_id: str) -> Actor:
    """Sign ``user_id`` in. The seam for a council's identity provider: its login callback calls
    this (or :func:`~sen_disagreement_web.security.new_session`) with the id it authenticated;
    the directory, never the identity provider's claims, then says who the user is."""
    actor = service.actor(user_id)  # refuses an id the directory does not know
    # The session this one replaces (another user's, on a shared computer) is ended too; a
    # callback mounted outside this app (without its list) still starts a session with an id.
    new_session(request.session, user_id,
                getattr(request.app.state, "ended_sessions", None))
    return actor


def _templates() -> Environment:
    env = Environment(loader=FileSystemLoader(_HERE / "templates"),
                      autoescape=select_autoescape(["html"]), auto_reload=False)
    # Markup.join escapes each line itself: the text is never trusted as HTML.
    # A case id in a URL is one path segment: its "/" and ".." (a library case id may hold
    # them) never make a link that a browser resolves to another case's page.
    env.filters["seg"] = lambda text: quote(str(text), safe="")
    env.globals["nl2br"] = lambda text: Markup("<br>").join(text.splitlines())
    return env


def create_app(
    service: CaseService, *, dev_users: Iterable[Actor] | None = None,
    secure_cookies: bool = True, key: str | None = None,
    allowed_hosts: Sequence[str] | None = None,
) -> Starlette:
    """The ASGI app over ``service`` (the caller owns it and closes its store).

    ``dev_users``: the development users offered at sign-in (``None``: no development sign-in;
    a council's identity provider signs users in). ``secure_cookies=False`` only for local
    development over plain http. ``key`` signs the session cookie (default:
    :func:`~sen_disagreement_web.security.session_key`). ``allowed_hosts``: the ``Host`` names
    served (any other is refused, 400: a web page whose name an attacker points at 127.0.0.1,
    DNS rebinding, then reads nothing); ``None`` leaves that to the proxy in front."""
    templates = _templates()
    ended = EndedSessions(max_age=SESSION_MAX_AGE)
    pages = _Pages(service, dev_users, templates, ended)

    async def signed_out(request: Request, exc: Exception) -> Response:
        if request.method == "GET":
            return RedirectResponse("/sign-in", 303)
        return pages.render(request, "error.html", 401, title="Sign in first",
                            message="Your session has ended. Sign in again.")

    async def csrf_refused(request: Request, exc: Exception) -> Response:
        return pages.render(request, "error.html", 403, title="This form has expired",
                            message="The form was not sent from this service's own page, or "
                                    "your session has ended. Go back, reload the page and try "
                                    "again.")

    async def refused(request: Request, exc: Exception) -> Response:
        actor = _quiet_actor(pages, request)
        return pages.render(request, "error.html", 403, actor=actor,
                            title="You cannot do that", message=str(exc))

    async def not_found(request: Request, exc: Exception) -> Response:
        actor = _quiet_actor(pages, request)
        return pages.render(request, "error.html", 404, actor=actor, title="Page not found",
                            message="There is no such page.")

    async def library_error(request: Request, exc: Exception) -> Response:
        actor = _quiet_actor(pages, request)
        # The library's messages name fields and rules, never case content.
        return pages.render(request, "error.html", 400, actor=actor,
                            title="The request could not be done", message=str(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 404:
            return await not_found(request, exc)
        return pages.render(request, "error.html", status, title="Something went wrong",
                            message="The request could not be done.")

    static = StaticFiles(directory=_HERE / "static", check_dir=False)
    routes = [
        Route("/", pages.home),
        Route("/sign-in", pages.sign_in_page, methods=["GET"]),
        Route("/sign-in", pages.sign_in, methods=["POST"]),
        Route("/sign-out", pages.sign_out, methods=["POST"]),
        Route("/cases", pages.case_list, methods=["GET"]),
        Route("/cases/new", pages.open_page, methods=["GET"]),
        Route("/cases/new", pages.open_post, methods=["POST"]),
        Route("/cases/{case_id}", pages.case_page, methods=["GET"]),
        Route("/cases/{case_id}/timeline.svg", pages.timeline, methods=["GET"]),
        Route("/cases/{case_id}/steps/{step}", pages.step_page, methods=["GET"]),
        Route("/cases/{case_id}/steps/{step}", pages.step_post, methods=["POST"]),
        Mount("/static", app=static, name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders, hsts=secure_cookies),
        Middleware(_FaultBarrier, page=templates.get_template("error.html").render(
            csrf="", actor=None, title="Sorry, there is a problem",
            message="Something went wrong and nothing was changed. Try again later.")),
        Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts or ["*"]),
                   www_redirect=False),
        # Inside the fault barrier: outside it, its signal would be taken for a fault.
        Middleware(BodyLimit),
        Middleware(SessionMiddleware, secret_key=key or session_key(),
                   session_cookie=session_cookie_name(secure_cookies), max_age=SESSION_MAX_AGE,
                   same_site="strict",
                   https_only=secure_cookies),
    ]
    handlers: dict[Any, Callable[[Request, Exception], Any]] = {
        SignInRequired: signed_out,
        CsrfError: csrf_refused,
        AccessDeniedError: refused,
        NotFoundError: not_found,
        SenDisagreementError: library_error,
        HTTPException: http_error,
    }
    app = Starlette(debug=False, routes=routes, middleware=middleware,
                    exception_handlers=handlers)
    app.state.ended_sessions = ended
    return app


class _FaultBarrier:
    """Anything the library did not type becomes a plain 500 page inside the security headers
    (Starlette's own last-resort handler sits outside every middleware). Never a traceback:
    only the exception's class goes to the log, as its text may quote stored values."""

    def __init__(self, app: ASGIApp, page: str) -> None:
        self.app = app
        self.page = page.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            # The path as the client sent it, still percent-encoded (raw_path): a decoded one
            # could put a terminal escape or a fake line into the log.
            raw = scope.get("raw_path") or str(scope.get("path", "")).encode()
            path = raw.decode("ascii", "backslashreplace")
            _LOG.error("unexpected %s on %s %s", type(exc).__name__, scope.get("method"),
                       "".join(c if c.isprintable() and c.isascii() else "?" for c in path))
            if started:
                raise
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                    (b"content-length", str(len(self.page)).encode())]})
            await send({"type": "http.response.body", "body": self.page})


def _quiet_actor(pages: _Pages, request: Request) -> Actor | None:
    try:
        return pages.signed_in(request)
    except SignInRequired:
        return None
