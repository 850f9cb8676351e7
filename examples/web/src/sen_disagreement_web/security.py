"""What a council's assurance team checks on every response and every form post.

* Security headers on every response (:class:`SecurityHeaders`): a Content-Security-Policy with no
  ``unsafe-inline`` (the pages load only the app's own CSS and JS files), framing refused twice
  over (``frame-ancestors`` and ``X-Frame-Options``), no MIME sniffing, no referrer sent off the
  site, and no caching of case pages.
* CSRF: one random token per session (:func:`csrf_token`), put in every form and compared in
  constant time on every POST (:func:`check_csrf`); the sign-in rotates the session and the token.
* The session cookie is Starlette's signed cookie, HttpOnly and SameSite=strict, Secure unless the
  app is explicitly run for local development over plain http. It holds the user id, the CSRF
  token, a random session id and the sign-in time, nothing from a case. Its key comes from
  ``SEN_WEB_SESSION_KEY`` or is generated at start (sessions then end when the process
  restarts): never a key in the repository.
* Signing out ends the session, not only the browser's copy (:class:`EndedSessions`).
* The timeline image is served with a policy allowing nothing (:func:`svg_without_styles`).
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from collections.abc import Callable, MutableMapping
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSP", "MAX_BODY_BYTES", "SESSION_KEY_ENV", "BodyLimit", "CsrfError", "EndedSessions",
           "SecurityHeaders", "check_csrf", "csrf_token", "new_session", "session_key",
           "svg_without_styles"]

SESSION_KEY_ENV = "SEN_WEB_SESSION_KEY"
CSRF_FIELD = "csrf_token"
SESSION_ID = "sid"
SESSION_SINCE = "since"

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
"""The pages' policy: only this site's own files; no inline script or style anywhere."""

IMAGE_CSP = "default-src 'none'; sandbox"
"""For an SVG served as an image (the timeline): nothing it could load or run, not even an
inline style (:func:`svg_without_styles` turns the drawing's styles into attributes first); an
``<img>`` never runs a script, and the sandbox would stop one if the file were opened on its own."""

_START_TAG = re.compile(r"<([A-Za-z][\w:.-]*)(\s[^<>]*?)?(/?)>")
_ATTRIBUTE = re.compile(r'\s([\w:.-]+)="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"<style[^<>]*>(.*?)</style>", re.S)
_DECLARATION = re.compile(r"^\s*([a-z-]+)\s*:\s*([^;]*?)\s*$")
_PLAIN_VALUE = re.compile(r"url\(#[\w-]+\)|[\w#.,%' -]+")
"""A colour, length, list of lengths, keyword, quoted font name, or a pattern in the file."""
SVG_PRESENTATION = frozenset({
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap",
    "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset",
    "stroke-opacity", "opacity", "font-family", "font-size", "font-style", "font-weight",
    "text-anchor", "clip-rule",
})
"""The CSS properties the drawing's styles set that SVG also has as attributes."""


def _declarations(css: str) -> dict[str, str]:
    out = {}
    for part in css.split(";"):
        found = _DECLARATION.match(part)
        if not part.strip():
            continue
        if (found is None or found.group(1) not in SVG_PRESENTATION
                or not _PLAIN_VALUE.fullmatch(found.group(2))):
            # Not a plain property of the drawing (a url() off the file, an escape, markup):
            # refused, never passed through.
            raise ValueError("unexpected style in the drawing")
        out[found.group(1)] = found.group(2)
    return out


def svg_without_styles(svg: str) -> str:
    """``svg`` (matplotlib's drawing) with its ``style`` attributes and its one ``<style>``
    element of ``*`` defaults turned into SVG presentation attributes, so the image needs no
    ``style-src`` at all. Raises ``ValueError`` for a style that is not a plain property (the
    caller serves no picture rather than an unchecked one)."""
    defaults: dict[str, str] = {}
    for block in _STYLE_ELEMENT.findall(svg):
        rule = re.fullmatch(r"\s*\*\s*\{([^{}]*)\}\s*", block)
        if rule is None:
            raise ValueError("unexpected style sheet in the drawing")
        defaults.update(_declarations(rule.group(1)))
    svg = _STYLE_ELEMENT.sub("", svg)

    def rewrite(tag: re.Match[str]) -> str:
        name, rest, close = tag.group(1), tag.group(2) or "", tag.group(3)
        attributes = dict(_ATTRIBUTE.findall(rest))
        if _ATTRIBUTE.sub("", rest).strip():
            raise ValueError("unexpected attribute syntax in the drawing")
        # A style attribute wins over the "*" rule, which wins over a presentation attribute
        # (CSS's order): applied in the reverse order, each overwrites the one before.
        merged = {k: v for k, v in attributes.items() if k != "style"}
        if ":" not in name:  # the drawing's own elements, not its RDF metadata
            merged.update(defaults)
        merged.update(_declarations(attributes.get("style", "")))
        body = "".join(f' {k}="{v}"' for k, v in merged.items())
        return f"<{name}{body}{close}>"

    out = _START_TAG.sub(rewrite, svg)
    if re.search(r"\sstyle\s*=|<style", out, re.I):
        # A tag the pattern above did not take apart (markup in an attribute): no picture.
        raise ValueError("unexpected markup in the drawing")
    return out

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    # Case pages hold personal data: no copies in shared or browser caches.
    "Cache-Control": "no-store",
}


class CsrfError(Exception):
    """A POST without the session's CSRF token (or with another one)."""


def session_key() -> str:
    """The key that signs session cookies: ``$SEN_WEB_SESSION_KEY`` or a fresh random one."""
    configured = os.environ.get(SESSION_KEY_ENV, "")
    if configured:
        if len(configured) < 32:
            raise ValueError(f"{SESSION_KEY_ENV} must be at least 32 characters")
        return configured
    return secrets.token_urlsafe(48)


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token, made on first use."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def new_session(session: MutableMapping[str, Any], user_id: str,
                ended: EndedSessions | None = None) -> None:
    """Sign ``user_id`` in: a new session (nothing carried over from before sign-in, so a token
    planted before it is worthless) with a new CSRF token and a new session id. ``ended``: the
    app's :class:`EndedSessions`, told that the session this one replaces is over."""
    if ended is not None:
        ended.end(session)
    session.clear()
    session["user"] = user_id
    session[SESSION_ID] = secrets.token_urlsafe(32)
    session[SESSION_SINCE] = int((ended.clock if ended is not None else time.time)())
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


class EndedSessions:
    """The ids of sessions signed out (or replaced by a new sign-in) before their cookie expires.

    The session lives in a signed cookie, so clearing it at sign-out clears only the browser's
    copy: a copy taken earlier (a shared computer, a proxy log) would still be a valid cookie.
    Each session therefore carries a random id, and a signed-out id is refused until every
    cookie that could carry it has expired (``max_age`` after the sign-out: a cookie is re-signed
    on each response, never after its session ended). Kept in memory: one process. A deployment
    with several workers keeps this list where they all read it (its database or cache)."""

    def __init__(self, max_age: int, *, longest: int = 12 * 3600,
                 clock: Callable[[], float] = time.time) -> None:
        self.max_age = max_age
        self.longest = longest
        """However busy, a session ends this long after its sign-in (the cookie alone would
        be renewed by every page for ever)."""
        self.clock = clock
        self._ended: dict[str, float] = {}
        self._lock = threading.Lock()

    def end(self, session: MutableMapping[str, Any]) -> None:
        sid = session.get(SESSION_ID)
        if isinstance(sid, str) and sid:
            with self._lock:
                now = self.clock()
                self._ended[sid] = now
                # Forget ids whose last cookie has expired: the list stays bounded.
                for old in [k for k, t in self._ended.items() if now - t > self.max_age]:
                    del self._ended[old]

    def live(self, session: MutableMapping[str, Any]) -> bool:
        """Whether ``session`` is a signed-in session that has not ended (one without an id
        was not made by :func:`new_session`)."""
        sid, since = session.get(SESSION_ID), session.get(SESSION_SINCE)
        if not isinstance(sid, str) or not sid or not isinstance(since, int):
            return False
        if not 0 <= self.clock() - since <= self.longest:
            return False
        with self._lock:
            return sid not in self._ended


async def check_csrf(request: Request) -> dict[str, str]:
    """The posted form's fields, after checking its CSRF token against the session's. Raises
    :class:`CsrfError` when either is missing or they differ."""
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    sent = fields.pop(CSRF_FIELD, "")
    expected = request.session.get(CSRF_FIELD)
    if not isinstance(expected, str) or not expected or not sent or not secrets.compare_digest(
        sent.encode(), expected.encode()
    ):
        raise CsrfError
    return fields


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` (and, unless ``hsts=False``, an HSTS header) to
    every HTTP response (a response that set its own Content-Security-Policy keeps it)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = True) -> None:
        self.app = app
        self.headers = dict(HEADERS)
        if hsts:
            # Browsers ignore it over plain http; over https it keeps them on https.
            self.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = value
                if static and message.get("status") == 200:
                    # The design system's files hold no personal data: cached, not refetched
                    # with every page.
                    headers["Cache-Control"] = "public, max-age=86400"
            await send(message)

        await self.app(scope, receive, send_with_headers)


MAX_BODY_BYTES = 256 * 1024
"""The largest request body read: a form of this app is a few kilobytes, an item's text at most
tens; a bigger body is refused before it is parsed."""


class BodyLimit:
    """ASGI middleware refusing (413) a request body over ``limit`` bytes, whether it says its
    length up front or streams it."""

    def __init__(self, app: ASGIApp, *, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.limit:
            await _too_large(send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = b"Request too large"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
