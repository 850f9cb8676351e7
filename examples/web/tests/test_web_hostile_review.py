"""A hostile review of the web app over HTTP (issue 17): each test is an attack a council's
assurance team or a hostile user tried, written before its fix, and kept so the hole stays shut.
Real components: a real SQLite file per test, the app through Starlette's TestClient over https."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from sen_disagreement_web import DEV_USERS, create_app
from sen_disagreement_web.__main__ import local_hosts
from sen_disagreement_web.app import session_cookie_name
from sen_disagreement_web.directory import ActorsFile
from sen_disagreement_web.security import svg_without_styles
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sen_disagreement.actors import Actor, Role, StaticActorDirectory
from sen_disagreement.disclosure import Disclosure, ItemKind
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.parties import Party, PartyKind
from sen_disagreement.service import CaseService, OpenDisagreementResolution
from sen_disagreement.workflow import CaseParty
from sen_disagreement.workflow import steps as st

OFFICER, PARENT, CLERK = "sen-casework-1", "sam.parent", "tribunal-clerk-1"
CASE = "web-dr-0001"
CANARY = "CANARY-confidential-note-7f3a"
COOKIE = session_cookie_name(secure=True)


@pytest.fixture
def directory() -> StaticActorDirectory:
    return StaticActorDirectory.from_json(DEV_USERS)


@pytest.fixture
def service(tmp_path: Path, directory: StaticActorDirectory) -> Iterator[CaseService]:
    service = CaseService.open(f"sqlite:///{tmp_path / 'web.sqlite3'}", directory=directory,
                               timeout=None)
    with service.store:
        parent = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent"))
        council = CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton"))
        service.open_case(OFFICER, OpenDisagreementResolution(
            case_id=CASE, council="E08000014", parties=[parent, council]))
        yield service


@pytest.fixture
def app(service: CaseService, directory: StaticActorDirectory) -> Starlette:
    return create_app(service, dev_users=directory, key="k" * 48)


def _client(app: Starlette) -> TestClient:
    return TestClient(app, base_url="https://testserver", raise_server_exceptions=False,
                      follow_redirects=False)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with _client(app) as c:
        yield c


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def _sign_in(client: TestClient, user: str) -> str:
    page = client.get("/sign-in")
    r = client.post("/sign-in", data={"csrf_token": _token(page.text), "user": user})
    assert r.status_code == 303 and r.headers["location"] == "/cases"
    return _token(client.get("/cases").text)


# --- hostile input: never a 500 ---------------------------------------------------------------


# str.isdigit() says yes to a superscript two and to Arabic-Indic digits; int() refuses the
# first and a 5,000-digit number; each was a 500 before.
ODD_DIGITS = ["\u00b2", "9" * 5000, "\u0661", "1" * 30]


@pytest.mark.parametrize("version", ODD_DIGITS)
def test_an_odd_number_as_the_form_version_is_a_message_not_a_500(
        client: TestClient, service: CaseService, version: str) -> None:
    token = _sign_in(client, OFFICER)
    r = client.post(f"/cases/{CASE}/steps/seek_agreement",
                    data={"csrf_token": token, "expected_version": version})
    assert r.status_code == 400, r.status_code
    assert "The form was incomplete" in r.text and "Traceback" not in r.text
    assert service.load(CASE)[1] == 1


@pytest.mark.parametrize("day", ODD_DIGITS)
def test_an_odd_number_in_a_date_box_is_an_error_next_to_the_date(
        client: TestClient, service: CaseService, day: str) -> None:
    token = _sign_in(client, OFFICER)
    r = client.post("/cases/new", data={
        "csrf_token": token, "case_id": "web-med-0009", "kind": "mediation",
        "parent_name": "Sam Parent", "sent_on-day": day, "sent_on-month": "1",
        "sent_on-year": "2026", "decision": "a"})
    assert r.status_code == 400, r.status_code
    assert 'id="f-sent_on-error"' in r.text
    r = client.post(f"/cases/{CASE}/steps/arrange_meeting", data={
        "csrf_token": token, "expected_version": "1", "meeting_date-day": day,
        "meeting_date-month": "1", "meeting_date-year": "2026"})
    assert r.status_code == 400, r.status_code
    assert 'id="f-meeting_date-error"' in r.text
    assert service.load(CASE)[1] == 1


def test_hostile_bodies_are_4xx(client: TestClient, service: CaseService) -> None:
    token = _sign_in(client, OFFICER)
    path = f"/cases/{CASE}/steps/seek_agreement"
    cases = [
        (b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb",
         "multipart/form-data; boundary=x"),
        (b"a", "multipart/form-data"),
        (f"csrf_token={token}&expected_version=1&x=%ff%fe".encode(),
         "application/x-www-form-urlencoded"),
        (json.dumps({"csrf_token": token, "expected_version": 1}).encode(), "application/json"),
    ]
    for body, kind in cases:
        r = client.post(path, content=body, headers={"content-type": kind})
        assert 300 <= r.status_code < 500, (kind, r.status_code)
    r = client.post(path, content=b"x", headers={"content-length": "not-a-number"})
    assert 400 <= r.status_code < 500
    for p in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py",
              "/cases/x%00y", "/cases/" + "a" * 5000, "/cases/%ff", "/cases?kind=%ff"):
        r = client.get(p)
        assert r.status_code in (200, 400, 403, 404), (p, r.status_code)
        assert "import " not in r.text  # no source file served


def test_hostile_text_is_escaped_where_it_is_echoed(client: TestClient) -> None:
    token = _sign_in(client, OFFICER)
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(1)>'
    r = client.post("/cases/new", data={
        "csrf_token": token, "case_id": hostile, "kind": "disagreement_resolution",
        "parent_name": hostile, "parent_email": hostile, "issue_id": hostile})
    assert r.status_code == 400
    assert "<script>alert" not in r.text and "<img src=x" not in r.text
    assert "<script>alert" not in client.get("/cases", params={"kind": hostile}).text
    # A line break in an email address is not a header in anything sent later.
    r = client.post("/cases/new", data={
        "csrf_token": token, "case_id": "web-dr-0002", "kind": "disagreement_resolution",
        "parent_name": "A Parent", "parent_email": "a@example.org\r\nBcc: x@example.org"})
    assert r.status_code == 400 and 'id="f-parent_email-error"' in r.text


# --- sessions ---------------------------------------------------------------------------------


def test_a_session_cookie_copied_before_sign_out_is_worthless_after_it(
        app: Starlette, service: CaseService) -> None:
    with _client(app) as victim:
        token = _sign_in(victim, OFFICER)
        stolen = victim.cookies.get(COOKIE)
        assert victim.post("/sign-out", data={"csrf_token": token}).status_code == 303
    assert stolen
    with _client(app) as thief:
        # The copied cookie as sent by hand (a cookie jar would also mind its domain).
        cookie = {"cookie": f"{COOKIE}={stolen}"}
        r = thief.get("/cases", headers=cookie)
        assert r.status_code == 303 and r.headers["location"] == "/sign-in"
        r = thief.post(f"/cases/{CASE}/steps/seek_agreement", headers=cookie,
                       data={"csrf_token": token, "expected_version": "1"})
        assert r.status_code in (401, 403)
    assert service.load(CASE)[1] == 1


def test_signing_in_again_leaves_no_other_session_of_the_browser_alive(
        app: Starlette) -> None:
    with _client(app) as c:
        _sign_in(c, OFFICER)
        first = c.cookies.get(COOKIE)
        token = _sign_in(c, PARENT)  # a shared computer: the next person signs in
        assert c.post("/sign-out", data={"csrf_token": token}).status_code == 303
    assert first
    with _client(app) as thief:
        # The officer's session was replaced at the second sign-in, never signed out: it is
        # ended by the sign-in that replaced it.
        r = thief.get("/cases", headers={"cookie": f"{COOKIE}={first}"})
        assert r.status_code == 303


def test_a_user_removed_from_the_actors_file_is_signed_out(tmp_path: Path) -> None:
    path = tmp_path / "actors.json"
    users = json.loads(DEV_USERS.read_text(encoding="utf-8"))
    path.write_text(json.dumps(users), encoding="utf-8")
    actors = ActorsFile(path)
    service = CaseService.open(f"sqlite:///{tmp_path / 'w.sqlite3'}", directory=actors,
                               timeout=None)
    with service.store, _client(create_app(service, dev_users=actors, key="k" * 48)) as c:
        _sign_in(c, PARENT)
        assert c.get("/cases").status_code == 200
        users["users"] = [u for u in users["users"] if u["id"] != PARENT]
        time.sleep(0.01)  # a new modification time even on a coarse clock
        path.write_text(json.dumps(users), encoding="utf-8")
        r = c.get("/cases")
        assert r.status_code == 303 and r.headers["location"] == "/sign-in"
        assert PARENT not in c.get("/sign-in").text
        # A broken file (half written) lets no one in rather than yesterday's users.
        path.write_text("{", encoding="utf-8")
        assert actors.resolve(OFFICER) is None


# --- role leakage -----------------------------------------------------------------------------


def test_the_timeline_shows_no_record_the_user_may_not_read(
        client: TestClient, service: CaseService) -> None:
    """A without-prejudice offer must not reach the Tribunal: not its text, and not the fact
    (and day) that one was made, which the timeline's "record item" event told its exporter."""
    service.apply(CASE, OFFICER, st.SeekAgreement())
    service.apply(CASE, OFFICER, st.RecordItem(
        item_id="offer-1", kind=ItemKind.OFFER, disclosure=Disclosure.WITHOUT_PREJUDICE,
        text=CANARY))
    assert [i.item_id for i in service.readable_items(CASE, CLERK)] == []
    _sign_in(client, PARENT)  # a party reads the offer, and sees when it was made
    assert "record item" in client.get(f"/cases/{CASE}").text
    _sign_in(client, CLERK)
    page = client.get(f"/cases/{CASE}")
    svg = client.get(f"/cases/{CASE}/timeline.svg")
    assert page.status_code == svg.status_code == 200
    for text in (page.text, svg.text):
        assert CANARY not in text and "offer-1" not in text
        assert "record item" not in text and "record_item" not in text
    assert "seek agreement" in page.text  # the rest of the timeline is there
    # The page filters nothing itself: the picture is the library's timeline of the user.
    today = service.clock().astimezone(ZoneInfo("Europe/London")).date()
    for user in (CLERK, PARENT, OFFICER):
        _sign_in(client, user)
        mine = service.timeline_for(CASE, user, on=today)
        served = client.get(f"/cases/{CASE}/timeline.svg").text
        assert served == svg_without_styles(str(mine.render("svg")))
        assert (sum(e.step == "record_item" for e in mine.events) == 1) is (user == PARENT)


# --- headers: the timeline image's policy -----------------------------------------------------


def test_the_timeline_image_needs_no_inline_style(client: TestClient, service: CaseService) -> None:
    service.apply(CASE, OFFICER, st.SeekAgreement())
    _sign_in(client, PARENT)
    r = client.get(f"/cases/{CASE}/timeline.svg")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "style-src" not in csp and "default-src 'none'" in csp
    assert "sandbox" in csp and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    svg = r.text
    assert " style=" not in svg and "<style" not in svg and "<script" not in svg
    assert not re.search(r"\son[a-z]+=", svg) and not re.search(r'href="(?!#)', svg)
    # Still well-formed XML (the app's own drawing, not a stranger's file).
    root = ElementTree.fromstring(svg.encode())  # noqa: S314
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert 'fill="#ffffff"' in svg and 'stroke-linejoin="round"' in svg


@pytest.mark.parametrize("style", [
    "fill: url(https://evil.example/x)", "fill: red; behavior: url(x.htc)",
    "fill: expression(alert(1))", "font-family: \\61 x", "fill: <script>",
])
def test_a_style_the_drawing_never_has_is_refused_not_passed_through(style: str) -> None:
    svg = f'<svg xmlns="http://www.w3.org/2000/svg"><path d="M 0 0" style="{style}"/></svg>'
    with pytest.raises(ValueError, match="unexpected"):
        svg_without_styles(svg)
    with pytest.raises(ValueError, match="unexpected"):
        svg_without_styles('<svg><style>path{fill:red}</style></svg>')


# --- what each role is offered and shown --------------------------------------------------------


def test_only_steps_open_now_are_offered_and_no_page_view_is_a_refusal(
        client: TestClient, service: CaseService) -> None:
    _sign_in(client, PARENT)
    page = client.get(f"/cases/{CASE}").text
    # A referral the council has not yet asked the parties about: the parent may raise an
    # issue or change their contact details, and may not yet agree (nor take an officer's step).
    assert set(re.findall(r'id="step-([a-z_]+)"', page)) == {"record_issue", "change_contact"}
    assert 'id="audit-trail"' not in page
    _sign_in(client, CLERK)
    page = client.get(f"/cases/{CASE}").text
    assert 'id="steps"' not in page and 'id="audit-trail"' not in page
    _sign_in(client, OFFICER)
    page = client.get(f"/cases/{CASE}").text
    assert 'id="step-seek_agreement"' in page and 'id="audit-trail"' in page
    assert 'id="step-close"' not in page
    refused = [e for e in service.store.audit_trail(CASE) if e.outcome.startswith("refused")]
    assert refused == []  # looking at a page is not an attempt at anything


# --- DNS rebinding against the local server -----------------------------------------------------


def test_a_page_under_another_name_pointed_at_the_local_server_reads_nothing(
        service: CaseService, directory: StaticActorDirectory) -> None:
    """Over local http anyone may sign in as a development user: a web page whose name an
    attacker points at 127.0.0.1 (DNS rebinding) would be same-origin with the app. The local
    server serves only the loopback names."""
    app = create_app(service, dev_users=directory, secure_cookies=False, key="k" * 48,
                     allowed_hosts=local_hosts("127.0.0.1"))
    with TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False) as c:
        assert c.get("/sign-in").status_code == 200
        for host in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example", ""):
            r = c.get("/sign-in", headers={"host": host})
            assert r.status_code == 400, host
            assert r.headers["x-frame-options"] == "DENY" and "csrf_token" not in r.text
        for host in ("localhost:8000", "[::1]:8000"):
            assert c.get("/sign-in", headers={"host": host}).status_code == 200
    assert local_hosts("127.0.0.1") == ["127.0.0.1", "[::1]", "localhost"]


# --- control characters and text-direction overrides ---------------------------------------------

HIDDEN = ["Sam\x00", "\x1b[2J\x1b[31mSam", "\u202eSam", "Sam\u2066x", "Sam\x85x"]


@pytest.mark.parametrize("text", HIDDEN)
def test_a_control_character_or_direction_override_is_refused_next_to_its_field(
        client: TestClient, service: CaseService, text: str) -> None:
    token = _sign_in(client, OFFICER)
    r = client.post("/cases/new", data={"csrf_token": token, "case_id": "web-dr-0003",
                                        "kind": "disagreement_resolution", "parent_name": text})
    assert r.status_code == 400
    assert "control characters" in r.text and 'id="f-parent_name-error"' in r.text
    assert service.cases_for(OFFICER)[0].case_id == CASE and len(service.cases_for(OFFICER)) == 1
    service.apply(CASE, OFFICER, st.SeekAgreement())
    _, version = service.load(CASE)
    r = client.post(f"/cases/{CASE}/steps/record_item", data={
        "csrf_token": token, "expected_version": str(version), "item_id": "note-1",
        "kind": "note", "disclosure": "parties", "text": text})
    assert r.status_code == 400 and 'id="f-text-error"' in r.text
    assert service.load(CASE)[1] == version
    # A line break is text in a text box, not in a one-line field.
    r = client.post("/cases/new", data={"csrf_token": token, "case_id": "web-dr-0003",
                                        "kind": "disagreement_resolution",
                                        "parent_name": "Sam\r\nBcc: x"})
    assert r.status_code == 400 and 'id="f-parent_name-error"' in r.text


@pytest.mark.parametrize("text", HIDDEN)
def test_the_library_itself_refuses_control_characters_in_a_name_and_an_item(text: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        Party(kind=PartyKind.PARENT, name=text)
    assert (err.value.field, err.value.rule_id) == ("name", "input.encoding")
    with pytest.raises(InvalidInputError) as err:
        st.RecordItem(item_id="n-1", kind=ItemKind.NOTE, disclosure=Disclosure.PARTIES,
                      text=text)
    assert (err.value.field, err.value.rule_id) == ("text", "input.encoding")
    assert text not in str(err.value)


# --- an officer of another council --------------------------------------------------------------


def test_an_officer_of_another_council_sees_nothing_of_the_case(
        tmp_path: Path, directory: StaticActorDirectory, service: CaseService) -> None:
    service.apply(CASE, OFFICER, st.SeekAgreement())
    service.apply(CASE, OFFICER, st.RecordItem(
        item_id="offer-1", kind=ItemKind.OFFER, disclosure=Disclosure.WITHOUT_PREJUDICE,
        text=CANARY))
    stranger = Actor(actor_id="liverpool-casework-1", role=Role.LA_OFFICER, council="E08000012")
    users = StaticActorDirectory([*directory, stranger])
    other = CaseService.open(f"sqlite:///{tmp_path / 'web.sqlite3'}", directory=users,
                             timeout=None)
    with other.store, _client(create_app(other, dev_users=users, key="k" * 48)) as c:
        token = _sign_in(c, stranger.actor_id)
        pages = [c.get("/cases"), c.get(f"/cases/{CASE}"), c.get(f"/cases/{CASE}/timeline.svg"),
                 c.get(f"/cases/{CASE}/steps/close"),
                 c.post(f"/cases/{CASE}/steps/close",
                        data={"csrf_token": token, "expected_version": "3"})]
        assert [r.status_code for r in pages] == [200, 403, 403, 403, 403]
        for r in pages:
            assert CANARY not in r.text and "Sam Parent" not in r.text
            assert "audit-trail" not in r.text and "offer-1" not in r.text
        assert CASE not in pages[0].text
    assert service.load(CASE)[1] == 3


def test_a_busy_session_still_ends_twelve_hours_after_its_sign_in(app: Starlette) -> None:
    ended = app.state.ended_sessions
    now = [1_000_000.0]
    ended.clock = lambda: now[0]
    with _client(app) as c:
        _sign_in(c, OFFICER)
        for _ in range(13):  # a page an hour keeps the cookie alive; the sign-in still ages
            assert c.get("/cases").status_code == 200, now[0]
            now[0] += 3600 - 1
        now[0] += 3600
        r = c.get("/cases")
        assert r.status_code == 303 and r.headers["location"] == "/sign-in"


def test_the_https_session_cookie_cannot_be_planted_from_a_sibling_subdomain(
        client: TestClient) -> None:
    cookie = client.get("/sign-in").headers["set-cookie"]
    assert cookie.startswith("__Host-sen_web_session=")
    lowered = cookie.lower()
    assert "secure" in lowered and "path=/" in lowered and "domain=" not in lowered


def test_a_fault_on_a_hostile_path_logs_no_terminal_escape(
        tmp_path: Path, directory: StaticActorDirectory, caplog: pytest.LogCaptureFixture) -> None:
    class Flaky:
        broken = False

        def resolve(self, user_id: str) -> Actor | None:
            if self.broken:
                raise RuntimeError("CANARY-FAULT-TEXT")
            return directory.resolve(user_id)

    flaky = Flaky()
    service = CaseService.open(f"sqlite:///{tmp_path / 'b.sqlite3'}", directory=flaky,
                               timeout=None)
    app = create_app(service, dev_users=directory, key="k" * 48)
    with service.store, _client(app) as c, caplog.at_level("ERROR", "sen_disagreement_web"):
        _sign_in(c, OFFICER)
        flaky.broken = True
        # The path, decoded, holds a terminal escape and a line break that would fake a line.
        r = c.get("/cases/web-%1b%5b2J%0d%0aFAKE%20LINE")
        assert r.status_code == 500 and "CANARY" not in r.text
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert "RuntimeError" in logged and "CANARY-FAULT-TEXT" not in logged
    assert "\x1b" not in logged and "\r" not in logged and "\nFAKE" not in logged


# --- case ids that shape a URL ----------------------------------------------------------------


def test_a_case_id_with_slashes_never_links_to_another_cases_page(
        client: TestClient, service: CaseService) -> None:
    """The library allows "/" and "." in a case id: "a/../web-dr-0001" listed as a plain link
    would open web-dr-0001, and "a/steps/close" the close form of case "a"."""
    parent = CaseParty("parent", Party(kind=PartyKind.PARENT, name="Other Parent"))
    council = CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton"))
    for odd in ("a/../web-dr-0001", "web-dr-0001/steps/close"):
        service.open_case(OFFICER, OpenDisagreementResolution(
            case_id=odd, council="E08000014", parties=[parent, council]))
    token = _sign_in(client, OFFICER)
    listing = client.get("/cases").text
    links = re.findall(r'href="(/cases/[^"]*)"', listing)
    assert "/cases/a%2F..%2Fweb-dr-0001" in links
    assert "/cases/web-dr-0001%2Fsteps%2Fclose" in links
    assert not any(link.count("/") > 2 for link in links)
    # The web form opens no case whose id would not be one path segment.
    r = client.post("/cases/new", data={"csrf_token": token, "case_id": "b/../web-dr-0001",
                                        "kind": "disagreement_resolution",
                                        "parent_name": "A Parent"})
    assert r.status_code == 400 and 'id="f-case_id-error"' in r.text
    assert "input.case_id" in r.text
