"""HTTP-level tests of the web app (Starlette's TestClient over https): security headers, the
session cookie, CSRF, input errors next to their fields, error pages without tracebacks, and the
one command that starts the demo on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sen_disagreement_web import DEV_USERS, create_app, forms, security
from sen_disagreement_web.__main__ import main
from sen_disagreement_web.demo import months_back, seed
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sen_disagreement.actors import Actor, StaticActorDirectory
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.parties import Party, PartyKind
from sen_disagreement.service import CaseService, OpenDisagreementResolution, OpenMediation
from sen_disagreement.workflow import CaseParty
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.mediation import DecisionNotice, Reg32Item

OFFICER, PARENT, OTHER_PARENT, PROVIDER = ("sen-casework-1", "sam.parent", "alex.parent",
                                            "gm-practitioner-1")
CASE = "web-dr-0001"


# A fresh SQLite store per test, the development users, the app over them, and a TestClient
# speaking https (so the Secure session cookie is sent back).


@pytest.fixture
def directory() -> StaticActorDirectory:
    return StaticActorDirectory.from_json(DEV_USERS)


@pytest.fixture
def service(tmp_path: Path, directory: StaticActorDirectory) -> Iterator[CaseService]:
    service = CaseService.open(f"sqlite:///{tmp_path / 'web.sqlite3'}", directory=directory,
                               timeout=None)
    with service.store:
        yield service


@pytest.fixture
def app(service: CaseService, directory: StaticActorDirectory) -> Starlette:
    return create_app(service, dev_users=directory, key="k" * 48)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False,
                    follow_redirects=False) as c:
        yield c


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def _sign_in(client: TestClient, user: str) -> str:
    """Sign ``user`` in; the new session's CSRF token."""
    page = client.get("/sign-in")
    r = client.post("/sign-in", data={"csrf_token": _token(page.text), "user": user})
    assert r.status_code == 303 and r.headers["location"] == "/cases"
    return _token(client.get("/cases").text)


def _open(service: CaseService, case_id: str = CASE) -> None:
    parent = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"))
    council = CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton"))
    service.open_case(OFFICER, OpenDisagreementResolution(
        case_id=case_id, council="E08000014", parties=[parent, council]))


def _field_error(html: str, field_id: str) -> str:
    found = re.search(rf'<p id="{field_id}-error" class="govuk-error-message">(.*?)</p>', html,
                      re.S)
    assert found, f"no error next to {field_id}"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


# --- headers and the cookie -------------------------------------------------------------------


def test_security_headers_on_every_kind_of_response(client: TestClient) -> None:
    responses = [client.get("/sign-in"), client.get("/cases"), client.get("/no-such-page"),
                 client.get("/static/app.mjs"), client.post("/sign-in", data={})]
    assert [r.status_code for r in responses] == [200, 303, 404, 200, 403]
    for r in responses:
        csp = r.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "form-action 'self'" in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        static = r.url.path.startswith("/static/")
        assert r.headers["cache-control"] == ("public, max-age=86400" if static else "no-store")
        assert "server" not in r.headers or "uvicorn" not in r.headers["server"]
        assert r.headers["strict-transport-security"].startswith("max-age=31536000")


def test_no_inline_script_or_style_in_pages(client: TestClient) -> None:
    _sign_in(client, OFFICER)
    for path in ("/sign-in", "/cases", "/cases/new"):
        html = client.get(path).text
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        scripts = re.findall(r"<script[^>]*>", html)
        assert scripts == ['<script type="module" src="/static/app.mjs">']
        assert not re.search(r"<[^>]+\son[a-z]+=", html)  # no inline event handlers


def test_session_cookie_is_httponly_samesite_strict_and_secure(client: TestClient) -> None:
    cookie = client.get("/sign-in").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
    assert "path=/" in cookie


def test_cookie_not_secure_only_when_asked_for_local_http(service: CaseService,
                                                          directory: StaticActorDirectory) -> None:
    app = create_app(service, dev_users=directory, secure_cookies=False, key="k" * 48)
    with TestClient(app, base_url="http://testserver") as c:
        cookie = c.get("/sign-in").headers["set-cookie"].lower()
        hsts = c.get("/sign-in").headers.get("strict-transport-security")
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    assert hsts is None  # local http only: no promise of https


def test_a_request_body_over_the_limit_is_refused_before_it_is_read(
        client: TestClient, service: CaseService) -> None:
    _open(service)
    token = _sign_in(client, OFFICER)
    big = "x" * (security.MAX_BODY_BYTES + 1)
    r = client.post(f"/cases/{CASE}/steps/record_item",
                    data={"csrf_token": token, "expected_version": "1", "item_id": "n-1",
                          "kind": "note", "disclosure": "parties", "text": big})
    assert r.status_code == 413 and r.headers["x-frame-options"] == "DENY"

    def chunks() -> Iterator[bytes]:  # streamed, with no length said up front
        yield f"csrf_token={token}&expected_version=1&text=".encode()
        for _ in range(security.MAX_BODY_BYTES // 1024 + 1):
            yield b"y" * 1024

    r = client.post(f"/cases/{CASE}/steps/record_item", content=chunks(),
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    assert service.load(CASE)[1] == 1


def test_session_key_comes_from_the_environment_or_is_generated(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(security.SESSION_KEY_ENV, raising=False)
    generated = {security.session_key() for _ in range(3)}
    assert len(generated) == 3 and all(len(k) >= 48 for k in generated)
    monkeypatch.setenv(security.SESSION_KEY_ENV, "x" * 40)
    assert security.session_key() == "x" * 40
    monkeypatch.setenv(security.SESSION_KEY_ENV, "short")
    with pytest.raises(ValueError, match="at least 32"):
        security.session_key()


def test_no_session_key_in_the_repository() -> None:
    root = Path(__file__).resolve().parents[1]
    for path in (root / "src").rglob("*"):
        if path.is_file() and path.suffix in (".py", ".json", ".html", ".mjs"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"secret_key\s*=\s*['\"]", text), path
            assert "SEN_WEB_SESSION_KEY=" not in text, path


# --- CSRF -------------------------------------------------------------------------------------


def test_sign_in_rotates_the_session_and_its_csrf_token(client: TestClient) -> None:
    before = _token(client.get("/sign-in").text)
    after = _sign_in(client, OFFICER)
    assert before != after
    # The token of the signed-out session is worthless now.
    r = client.post("/sign-out", data={"csrf_token": before})
    assert r.status_code == 403
    assert client.post("/sign-out", data={"csrf_token": after}).status_code == 303
    assert client.get("/cases").headers["location"] == "/sign-in"


@pytest.mark.parametrize("token", [None, "", "not-the-token"])
def test_post_without_the_sessions_csrf_token_is_refused_and_writes_nothing(
        client: TestClient, service: CaseService, token: str | None) -> None:
    _open(service)
    _sign_in(client, OFFICER)
    _, version = service.load(CASE)
    data = {"expected_version": str(version)}
    if token is not None:
        data["csrf_token"] = token
    r = client.post(f"/cases/{CASE}/steps/seek_agreement", data=data)
    assert r.status_code == 403 and "This form has expired" in r.text
    assert service.load(CASE)[1] == version
    r = client.post("/sign-in", data={"user": OFFICER, **({"csrf_token": token} if token
                                                          else {})})
    assert r.status_code == 403


def test_csrf_token_of_another_session_is_refused(app: Starlette, service: CaseService) -> None:
    _open(service)
    with (TestClient(app, base_url="https://testserver", follow_redirects=False) as a,
          TestClient(app, base_url="https://testserver", follow_redirects=False) as b):
        _sign_in(a, OFFICER)
        other = _sign_in(b, OFFICER)
        r = a.post(f"/cases/{CASE}/steps/seek_agreement",
                   data={"csrf_token": other, "expected_version": "1"})
    assert r.status_code == 403
    assert service.load(CASE)[1] == 1


# --- the command path: who may do what --------------------------------------------------------


def test_forged_post_for_another_roles_step_is_refused_by_the_library(
        client: TestClient, service: CaseService) -> None:
    _open(service)
    token = _sign_in(client, PARENT)
    assert "step-seek_agreement" not in client.get(f"/cases/{CASE}").text
    r = client.post(f"/cases/{CASE}/steps/seek_agreement",
                    data={"csrf_token": token, "expected_version": "1"})
    assert r.status_code == 403
    assert "may not seek agreement" in r.text and "who.seek_agreement" in r.text
    assert service.load(CASE)[1] == 1
    refused = [e for e in service.store.audit_trail(CASE) if e.outcome == "refused_unauthorised"]
    assert [(e.actor, e.action) for e in refused] == [(PARENT, "step.seek_agreement")]


def test_a_family_opening_a_case_is_refused(client: TestClient, service: CaseService) -> None:
    token = _sign_in(client, PARENT)
    assert client.get("/cases/new").status_code == 403
    r = client.post("/cases/new", data={"csrf_token": token, "case_id": "web-dr-0009",
                                        "kind": "disagreement_resolution",
                                        "parent_name": "Sam Parent"})
    assert r.status_code == 403
    assert service.cases_for(OFFICER) == []


def test_a_case_without_a_part_in_it_and_an_unknown_case_are_the_same_refusal(
        client: TestClient, service: CaseService) -> None:
    _open(service)
    _sign_in(client, OTHER_PARENT)
    theirs, unknown = client.get(f"/cases/{CASE}"), client.get("/cases/web-dr-9999")
    assert theirs.status_code == unknown.status_code == 403
    assert "Sam Parent" not in theirs.text
    assert (theirs.text.replace(CASE, "ID") == unknown.text.replace("web-dr-9999", "ID"))
    assert client.get(f"/cases/{CASE}/timeline.svg").status_code == 403


def test_timeline_picture_is_served_as_an_image_to_those_with_a_part(
        client: TestClient, service: CaseService) -> None:
    _open(service)
    _sign_in(client, PARENT)
    r = client.get(f"/cases/{CASE}/timeline.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.headers["content-security-policy"] == security.IMAGE_CSP
    assert "<svg" in r.text and "<script" not in r.text


def test_every_step_has_a_form_or_is_sent_to_the_command_line(service: CaseService) -> None:
    """Each step of the library builds a form from its fields in both kinds of case, so a step
    the permission table offers is never a broken page (record_agreement's list of actions is a
    document for the command line)."""
    _open(service)
    case, _ = service.load(CASE)
    seen = set()
    for name in forms.STEP_CLASSES:
        if name in forms.NOT_OFFERED:
            continue
        fields = forms.fields_for(name, case, "parent")
        assert all(f.label and f.kind in ("text", "textarea", "date", "checkbox", "select")
                   for f in fields), name
        seen.add(name)
    assert {"agree", "hold_meeting", "record_item", "issue_certificate", "change_contact"} <= seen
    adviser = [f.name for f in forms.fields_for("contact_adviser", case, None)]
    assert adviser == ["adviser_id", "adviser.kind", "adviser.name", "on"]


def test_every_step_page_offered_to_an_officer_renders(client: TestClient,
                                                       service: CaseService) -> None:
    _open(service)
    _sign_in(client, OFFICER)
    page = client.get(f"/cases/{CASE}").text
    offered = re.findall(rf'href="/cases/{CASE}/steps/([a-z_]+)"', page)
    # What the library says the officer may do now (a referral: ask the parties, record an
    # issue), not every step the role's permission table names.
    assert offered == [n for n in service.steps_open_to(CASE, OFFICER)
                       if n not in forms.NOT_OFFERED]
    assert "seek_agreement" in offered
    assert "hold_meeting" not in offered  # the provider's step
    assert "close" not in offered and "assign_provider" not in offered  # not yet
    for name in offered:
        r = client.get(f"/cases/{CASE}/steps/{name}")
        assert r.status_code == 200 and 'name="expected_version" value="1"' in r.text, name


# --- input errors and error pages -------------------------------------------------------------


def test_input_errors_are_shown_next_to_the_field_with_the_rule(
        client: TestClient, service: CaseService) -> None:
    _open(service)
    token = _sign_in(client, OFFICER)
    r = client.post(f"/cases/{CASE}/steps/record_item",
                    data={"csrf_token": token, "expected_version": "1", "item_id": "Not An Id",
                          "kind": "note", "disclosure": "parties", "text": "a note"})
    assert r.status_code == 400
    assert "govuk-error-summary" in r.text and 'href="#f-item_id"' in r.text
    assert "input.id" in _field_error(r.text, "f-item_id")
    assert r.text.count("Not An Id") == 1  # kept in the field to correct, not echoed elsewhere
    r = client.post(f"/cases/{CASE}/steps/record_item",
                    data={"csrf_token": token, "expected_version": "1"})
    for name in ("f-item_id", "f-kind", "f-disclosure", "f-text"):
        assert "is required" in _field_error(r.text, name), name
    assert service.load(CASE)[1] == 1


def test_item_text_is_shown_escaped_once(client: TestClient, service: CaseService) -> None:
    _open(service)
    service.apply(CASE, OFFICER, st.SeekAgreement())
    token = _sign_in(client, OFFICER)
    text = "<script>alert(1)</script> & co\nsecond line"
    r = client.post(f"/cases/{CASE}/steps/record_item",
                    data={"csrf_token": token, "expected_version": "2", "item_id": "n-1",
                          "kind": "note", "disclosure": "parties", "text": text})
    assert r.status_code == 303
    page = client.get(f"/cases/{CASE}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co<br>second line" in page
    assert "<script>alert" not in page and "&amp;amp;" not in page


def test_a_date_error_is_shown_on_the_date_input(client: TestClient, service: CaseService,
                                                 directory: StaticActorDirectory) -> None:
    token = _sign_in(client, OFFICER)
    r = client.post("/cases/new", data={"csrf_token": token, "case_id": "web-med-0001",
                                        "kind": "mediation", "parent_name": "Sam Parent",
                                        "sent_on-day": "31", "sent_on-month": "2",
                                        "sent_on-year": "2026", "decision": "s51(2)(e)"})
    assert r.status_code == 400
    assert "real calendar date" in _field_error(r.text, "f-sent_on")
    assert 'href="#f-sent_on-day"' in r.text
    assert 'value="31"' in r.text


def test_a_step_the_case_is_not_ready_for_is_a_message_not_a_traceback(
        client: TestClient, service: CaseService) -> None:
    _open(service)
    token = _sign_in(client, OFFICER)
    r = client.post(f"/cases/{CASE}/steps/close", data={"csrf_token": token,
                                                        "expected_version": "1"})
    assert r.status_code == 400
    assert "There is a problem" in r.text and "rule " in r.text
    assert "Traceback" not in r.text and 'File "' not in r.text


def test_a_stale_form_is_refused_with_a_message(client: TestClient,
                                                service: CaseService) -> None:
    _open(service)
    token = _sign_in(client, OFFICER)
    r = client.post(f"/cases/{CASE}/steps/seek_agreement",
                    data={"csrf_token": token, "expected_version": "0"})
    assert r.status_code == 400 and "The case changed" in r.text
    assert service.load(CASE)[1] == 1


def test_an_unexpected_fault_is_a_plain_page_without_its_text(
        tmp_path: Path, directory: StaticActorDirectory) -> None:
    class Broken:
        def resolve(self, user_id: str) -> Actor | None:
            raise RuntimeError("CANARY-FAULT-TEXT /etc/secret")

    service = CaseService.open(f"sqlite:///{tmp_path / 'b.sqlite3'}", directory=Broken(),
                               timeout=None)
    app = create_app(service, dev_users=directory, key="k" * 48)
    with service.store, TestClient(app, base_url="https://testserver",
                                   follow_redirects=False) as c:
        page = c.get("/sign-in")
        r = c.post("/sign-in", data={"csrf_token": _token(page.text), "user": OFFICER})
    assert r.status_code == 500 and "Sorry, there is a problem" in r.text
    assert "CANARY-FAULT-TEXT" not in r.text and "Traceback" not in r.text
    assert r.headers["x-frame-options"] == "DENY"


def test_an_unknown_step_or_user_is_refused(client: TestClient, service: CaseService) -> None:
    _open(service)
    page = client.get("/sign-in")
    r = client.post("/sign-in", data={"csrf_token": _token(page.text), "user": "nobody"})
    assert r.status_code == 400 and "Select the user" in _field_error(r.text, "user")
    _sign_in(client, OFFICER)
    assert client.get(f"/cases/{CASE}/steps/sweep").status_code == 404
    assert client.get(f"/cases/{CASE}/steps/no_such_step").status_code == 404


def test_case_list_filters_and_an_unknown_filter_value(client: TestClient,
                                                       service: CaseService) -> None:
    _open(service)
    _sign_in(client, OFFICER)
    assert CASE in client.get("/cases?kind=disagreement_resolution").text
    assert CASE not in client.get("/cases?kind=mediation").text
    assert CASE in client.get("/cases?state=referred").text
    r = client.get("/cases?state=nonsense")
    assert r.status_code == 200 and "Select a state" in _field_error(r.text, "state")


def test_deadlines_due_this_week_whatever_the_list_is_filtered_by(
        client: TestClient, service: CaseService) -> None:
    """Mediation cases whose two months to contact the adviser end about now: the week's table
    lists those due this week, also when the list below shows only disagreement resolution."""
    today = service.clock().astimezone(ZoneInfo("Europe/London")).date()  # the app's today
    monday = today - dt.timedelta(days=today.weekday())
    due_now = []
    for k in range(7):
        case_id = f"web-med-000{k}"
        sent = months_back(today, 2) - dt.timedelta(days=k)
        notice = DecisionNotice(sent_on=sent, decisions=[AppealableDecision.NOT_TO_REASSESS],
                                contents=set(Reg32Item))
        parent = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"))
        council = CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton"))
        record = service.open_case(OFFICER, OpenMediation(
            case_id=case_id, council="E08000014", parties=[parent, council], notice=notice))
        if any(monday <= d.due <= monday + dt.timedelta(days=6) for d in record.deadlines):
            due_now.append(case_id)
    assert due_now  # seven days of notices: some deadline ends this week
    _sign_in(client, OFFICER)
    for query in ("", "?kind=disagreement_resolution"):
        page = client.get(f"/cases{query}").text
        week = page[page.index('id="due-this-week"'):page.index("Your cases")]
        assert all(f">{c}</a>" in week for c in due_now), query
    listed = client.get("/cases?kind=disagreement_resolution").text
    assert 'id="case-list"' not in listed and "No cases match." in listed


# --- the one command --------------------------------------------------------------------------


def test_demo_data_seeds_cases_each_user_sees(tmp_path: Path,
                                              directory: StaticActorDirectory) -> None:
    seed(tmp_path / "demo.sqlite3", directory)
    service = CaseService.open(f"sqlite:///{tmp_path / 'demo.sqlite3'}", directory=directory,
                               timeout=None)
    with service.store:
        mine = {u: [r.case_id for r in service.cases_for(u)] for u in (OFFICER, PARENT,
                                                                        OTHER_PARENT)}
    assert mine[PARENT] == ["demo-med-0002", "sefton-dr-0001", "sefton-med-0001"]
    assert mine[OTHER_PARENT] == ["demo-dr-0002"]
    assert set(mine[OFFICER]) == {"demo-dr-0002", "demo-med-0002", "sefton-dr-0001",
                                  "sefton-med-0001"}


def test_insecure_local_http_only_on_a_loopback_host() -> None:
    with pytest.raises(SystemExit, match="loopback"):
        main(["--demo", "--insecure-local-http", "--host", "0.0.0.0"])  # noqa: S104


def test_one_command_serves_the_demo_on_127_0_0_1(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "sen_disagreement_web", "--demo",
                             "--insecure-local-http", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        deadline, page = time.monotonic() + 60, ""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in", timeout=5) as r:
                    page = r.read().decode()
                    headers = r.headers
                break
            except OSError:
                time.sleep(0.3)
        assert "Sign in as a development user" in page, proc.poll()
        assert "sam.parent" in page and headers["X-Frame-Options"] == "DENY"
        assert "secure" not in headers["Set-Cookie"].lower()  # local http, as asked
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert b"Demo data in" in out and b"Traceback" not in out
