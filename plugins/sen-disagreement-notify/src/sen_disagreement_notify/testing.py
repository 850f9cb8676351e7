"""A local GOV.UK Notify API on 127.0.0.1, for tests, benchmarks and demos.

It implements the endpoints the official client uses to send and follow notifications
(``POST /v2/notifications/email|sms|letter``, ``GET /v2/notifications/{id}``,
``GET /v2/notifications?reference=...``), checks every request's token as Notify does (HS256,
signed with the secret of the key whose service id is ``iss``, ``iat`` within 30 seconds), and
answers errors on demand::

    with FakeNotify() as notify:
        key = notify.add_key()                    # a fresh test key for a fresh service
        channel = NotifyChannel(api_key=key, templates=..., base_url=notify.url)
        notify.fail_next(429)                     # the next send is rate-limited
        notify.stall_after_accept(2.0)            # the next send is stored, then answered late

Keys are generated here, never committed.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

__all__ = ["FakeNotify", "ReceivedRequest", "StoredNotification"]

TOKEN_BOUND_SECONDS = 30

_ERRORS = {
    400: "BadRequestError",
    403: "AuthError",
    429: "RateLimitError",
    500: "Exception",
    502: "BadGateway",
    503: "ServiceUnavailable",
}


@dataclass(frozen=True)
class ReceivedRequest:
    """One request the server received (after its token was checked)."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    body: Mapping[str, Any] | None
    service_id: str | None
    status: int


@dataclass
class StoredNotification:
    id: str
    type: str
    service_id: str
    template_id: str
    reference: str | None
    recipient: str | None
    personalisation: Mapping[str, str]
    status: str = "created"
    created_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S.000000Z",
                                                                   time.gmtime()))

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "reference": self.reference, "type": self.type,
            "status": self.status, "template": {"id": self.template_id, "version": 1,
                                                 "uri": f"/v2/template/{self.template_id}"},
            "created_at": self.created_at,
        }
        if self.type == "email":
            out["email_address"] = self.recipient
        elif self.type == "sms":
            out["phone_number"] = self.recipient
        return out


class FakeNotify:
    """The local Notify server. Thread-safe; use as a context manager or call
    :meth:`start` / :meth:`stop`."""

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}  # service id -> secret
        self._lock = threading.Lock()
        self._failures: list[int] = []
        self._stalls: list[float] = []
        self.requests: list[ReceivedRequest] = []
        self.notifications: dict[str, StoredNotification] = {}
        self.rejected_tokens = 0
        self.record_requests = True
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None

    # -- set-up ----------------------------------------------------------------------------

    def add_key(self, name: str = "test") -> str:
        """A new API key (``<name>-<service id>-<secret>``) the server accepts."""
        service_id, secret = str(uuid.uuid4()), str(uuid.UUID(bytes=secrets.token_bytes(16)))
        with self._lock:
            self._keys[service_id] = secret
        return f"{name}-{service_id}-{secret}"

    def fail_next(self, *statuses: int) -> None:
        """Answer the next sends (POSTs) with these statuses, one each, in order."""
        with self._lock:
            self._failures.extend(statuses)

    def stall_after_accept(self, seconds: float, times: int = 1) -> None:
        """Store the next ``times`` notifications, then wait ``seconds`` before answering."""
        with self._lock:
            self._stalls.extend([seconds] * times)

    @property
    def url(self) -> str:
        assert self._url is not None, "the server is not started"
        return self._url

    def start(self) -> FakeNotify:
        handler = type("_Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self._url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeNotify:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what happened ---------------------------------------------------------------------

    def sends(self) -> Iterator[ReceivedRequest]:
        return (r for r in list(self.requests) if r.method == "POST")

    def by_reference(self, reference: str) -> list[StoredNotification]:
        with self._lock:
            return [n for n in self.notifications.values() if n.reference == reference]

    # -- used by the handler ---------------------------------------------------------------

    def _check_token(self, header: str | None) -> tuple[str | None, str | None]:
        """``(service id, None)`` for a valid token, else ``(None, why)``."""
        if not header or not header.startswith("Bearer "):
            return None, "Unauthorized, authentication token must be provided"
        token = header[len("Bearer "):]
        try:
            head = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None, "Invalid token: signature"
        if head.get("alg") != "HS256" or head.get("typ") != "JWT":
            return None, "Invalid token: algorithm used is not HS256"
        issuer = unverified.get("iss")
        with self._lock:
            secret = self._keys.get(issuer) if isinstance(issuer, str) else None
        if secret is None:
            return None, "Invalid token: service not found"
        try:
            claims = jwt.decode(token, key=secret, algorithms=["HS256"],
                                options={"verify_iat": False})
        except jwt.PyJWTError:
            return None, "Invalid token: signature, api token not found"
        iat = claims.get("iat")
        if not isinstance(iat, int):
            return None, "Invalid token: iat field not provided"
        if abs(int(time.time()) - iat) > TOKEN_BOUND_SECONDS:
            return None, "Error: Your system clock must be accurate to within 30 seconds"
        return issuer, None

    def _next_failure(self) -> int | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _next_stall(self) -> float:
        with self._lock:
            return self._stalls.pop(0) if self._stalls else 0.0

    def _record(self, request: ReceivedRequest) -> None:
        if self.record_requests:
            with self._lock:
                self.requests.append(request)

    def _store(self, notification: StoredNotification) -> None:
        with self._lock:
            self.notifications[notification.id] = notification


class _Handler(BaseHTTPRequestHandler):
    fake: FakeNotify
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are written separately: no 40 ms stalls

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the test output is the assertion, not an access log

    def _answer(self, status: int, body: Mapping[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (a timeout test); nothing to tell it

    def _error(self, status: int, message: str) -> None:
        self._answer(status, {"status_code": status, "errors": [
            {"error": _ERRORS.get(status, "Exception"), "message": message}]})

    def _authorised(self, body: Mapping[str, Any] | None) -> str | None:
        split = urlsplit(self.path)
        service_id, why = self.fake._check_token(self.headers.get("Authorization"))
        if service_id is None:
            with self.fake._lock:
                self.fake.rejected_tokens += 1
            self.fake._record(ReceivedRequest(self.command, split.path, parse_qs(split.query),
                                              body, None, 403))
            self._error(403, why or "Invalid token")
        return service_id

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        query = parse_qs(split.query)
        service_id = self._authorised(None)
        if service_id is None:
            return
        self.fake._record(ReceivedRequest("GET", split.path, query, None, service_id, 200))
        if split.path == "/v2/notifications":
            references = query.get("reference")
            reference = references[0] if references else None
            with self.fake._lock:
                found = [n.as_json() for n in self.fake.notifications.values()
                         if n.service_id == service_id
                         and (reference is None or n.reference == reference)]
            found.reverse()  # newest first, as Notify lists them
            self._answer(200, {"notifications": found, "links": {
                "current": f"{self.fake.url}/v2/notifications"}})
            return
        prefix = "/v2/notifications/"
        if split.path.startswith(prefix):
            with self.fake._lock:
                stored = self.fake.notifications.get(split.path[len(prefix):])
            if stored is None or stored.service_id != service_id:
                self._error(404, "No result found")
            else:
                self._answer(200, stored.as_json())
            return
        self._error(404, "Not found")

    def do_POST(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        service_id = self._authorised(body)
        if service_id is None:
            return
        kind = split.path.removeprefix("/v2/notifications/")
        if kind not in {"email", "sms", "letter"} or not isinstance(body, Mapping):
            self.fake._record(ReceivedRequest("POST", split.path, {}, body, service_id, 400))
            self._error(400, "Bad request")
            return
        failure = self.fake._next_failure()
        if failure is not None:
            self.fake._record(ReceivedRequest("POST", split.path, {}, body, service_id,
                                              failure))
            self._error(failure, f"failure on demand ({failure})")
            return
        missing = [k for k in ("template_id", *{"email": ["email_address"], "sms": [
            "phone_number"], "letter": []}[kind]) if not body.get(k)]
        personalisation = body.get("personalisation") or {}
        if kind == "letter":
            lines = [k for k in personalisation if k.startswith("address_line_")]
            if len(lines) < 3:
                missing.append("address_line_1..3")
        if missing:
            self.fake._record(ReceivedRequest("POST", split.path, {}, body, service_id, 400))
            self._error(400, f"{missing[0]} is a required property")
            return
        recipient = body.get("email_address") or body.get("phone_number")
        notification = StoredNotification(
            id=str(uuid.uuid4()), type=kind, service_id=service_id,
            template_id=str(body["template_id"]), reference=body.get("reference"),
            recipient=recipient, personalisation=dict(personalisation))
        self.fake._store(notification)
        self.fake._record(ReceivedRequest("POST", split.path, {}, body, service_id, 201))
        stall = self.fake._next_stall()
        if stall:
            time.sleep(stall)
        self._answer(HTTPStatus.CREATED, {
            "id": notification.id, "reference": notification.reference,
            "content": {"subject": "", "body": "", "from_email": "x@notifications.example"},
            "uri": f"{self.fake.url}/v2/notifications/{notification.id}",
            "template": {"id": notification.template_id, "version": 1,
                         "uri": f"/v2/template/{notification.template_id}"},
        })
