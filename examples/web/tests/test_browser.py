"""The browser harness of the acceptance tests: the app on a real uvicorn server on 127.0.0.1, a
real headless Chromium through chromedriver, axe-core injected into every page checked, and a
screenshot of every page kept under ``examples/web/test-artifacts/``."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from sen_disagreement_web import DEV_USERS, create_app
from starlette.applications import Starlette

from sen_disagreement.actors import StaticActorDirectory
from sen_disagreement.errors import AccessDeniedError
from sen_disagreement.service import CaseService
from sen_disagreement.workflow import MediationCase

WEB_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = WEB_ROOT / "test-artifacts"
AXE = WEB_ROOT / "node_modules" / "axe-core" / "axe.min.js"
STATIC = WEB_ROOT / "src" / "sen_disagreement_web" / "static"
GOVUK_CSS = STATIC / "govuk" / "govuk-frontend.min.css"
REQUIRE_ENV = "SEN_REQUIRE_BROWSER"

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,1400",
)


def unavailable(reason: str) -> None:
    """Skip locally; fail where the browser tests are required (CI sets SEN_REQUIRE_BROWSER=1)."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but {reason}")
    pytest.skip(reason)


def browser_binaries() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        unavailable("chromium and chromedriver are not installed (apt-get install chromium "
                    "chromium-driver)")
    assert chromium is not None and driver is not None
    return chromium, driver


def front_end_assets() -> None:
    """The GOV.UK Frontend files in the static folder and axe-core in node_modules (running
    build-assets.sh, which runs npm ci, when they are missing)."""
    if not (GOVUK_CSS.is_file() and AXE.is_file()):
        if shutil.which("npm") is None:
            unavailable("npm is not installed, so govuk-frontend and axe-core cannot be fetched")
        subprocess.run(["bash", str(WEB_ROOT / "build-assets.sh")], check=True,
                       capture_output=True, timeout=300)
    if not (GOVUK_CSS.is_file() and AXE.is_file()):
        unavailable("build-assets.sh did not produce govuk-frontend and axe-core")


class LiveServer:
    """The app on a real uvicorn server on 127.0.0.1 (a port the OS picks), in a thread."""

    def __init__(self, app: Starlette) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the web app's server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.sock.close()


def chromium(profile: Path) -> Iterator[WebDriver]:
    binary, driver_path = browser_binaries()
    options = Options()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


_AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                          nodes: v.nodes.map(n => n.target.join(' '))}))))
  .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
"""


class Browser:
    """One Chromium driven through the app: every page it lands on is checked with axe-core and
    screenshotted, and the HTML served to each signed-in user is kept for the canary checks."""

    def __init__(self, driver: WebDriver, base: str, artifacts: Path) -> None:
        self.driver = driver
        self.base = base
        self.artifacts = artifacts
        self.axe = AXE.read_text(encoding="utf-8")
        self.user: str | None = None
        self.served: dict[str, list[str]] = {}
        self.checked: list[str] = []
        self.violations: list[dict[str, Any]] = []
        self.shots = 0

    # --- every page ----------------------------------------------------------------------------

    def check(self, name: str) -> str:
        """Axe-core over the current page (serious and critical violations are collected),
        a screenshot, and the page's HTML recorded for the signed-in user."""
        html = self.html()
        self.served.setdefault(self.user or "", []).append(html)
        self.driver.execute_script(self.axe)
        found = self.driver.execute_async_script(_AXE_RUN)
        for v in found:
            if v["impact"] in ("serious", "critical"):
                self.violations.append({"page": name, "url": self.driver.current_url, **v})
        self.checked.append(name)
        self.shots += 1
        self.driver.save_screenshot(str(self.artifacts / f"{self.shots:02d}-{name}.png"))
        return html

    def html(self) -> str:
        """The loaded page's HTML (waiting out a navigation still under way)."""
        def loaded(d: WebDriver) -> str | bool:
            if d.execute_script("return document.readyState") != "complete":
                return False
            return str(d.execute_script("return document.documentElement.outerHTML") or "")
        found = WebDriverWait(self.driver, 20).until(loaded)
        assert isinstance(found, str) and found
        return found

    def get(self, path: str, name: str) -> str:
        self.driver.get(self.base + path)
        return self.check(name)

    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.base)

    def click(self, element_id: str) -> None:
        """Click a link or button that loads a page, and wait for the new page."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.find_element(By.ID, element_id).click()
        WebDriverWait(self.driver, 20).until(expected_conditions.staleness_of(old))
        WebDriverWait(self.driver, 20).until(
            lambda d: d.execute_script("return document.readyState") == "complete")

    def fetch(self, path: str) -> str:
        """``path`` fetched by the page (same origin, the session's cookie), as text."""
        return str(self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0]).then(r => r.text()).then(done, e => done('ERROR ' + e));",
            path))

    def text(self, css: str) -> str:
        return str(self.driver.find_element(By.CSS_SELECTOR, css).text)

    # --- sign-in -------------------------------------------------------------------------------

    def sign_in(self, user: str) -> None:
        if self.user is not None:
            self.click("sign-out")
        self.user = None
        self.get("/sign-in", "sign-in")
        self.driver.find_element(By.CSS_SELECTOR, f'input[name="user"][value="{user}"]').click()
        self.click("sign-in")
        self.user = user
        assert self.path().startswith("/cases"), self.path()
        assert user in self.text("#signed-in-as")
        self.check(f"cases-{user}")

    # --- forms ---------------------------------------------------------------------------------

    def fill(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            element_id = "f-" + name.replace(".", "-")
            if isinstance(value, bool):
                box = self.driver.find_element(By.ID, element_id)
                if box.is_selected() != value:
                    box.click()
            elif hasattr(value, "year"):
                for part in ("day", "month", "year"):
                    box = self.driver.find_element(By.ID, f"{element_id}-{part}")
                    box.clear()
                    box.send_keys(str(getattr(value, part)))
            else:
                element = self.driver.find_element(By.ID, element_id)
                if element.tag_name == "select":
                    Select(element).select_by_value(str(value))
                else:
                    element.clear()
                    element.send_keys(str(value))

    def step(self, case_id: str, name: str, values: dict[str, Any] | None = None) -> str:
        """Take step ``name`` through its form on the case page; the case page after it."""
        self.get(f"/cases/{case_id}", f"case-{case_id}-{self.user}")
        self.click(f"step-{name}")
        self.check(f"step-{name}-{self.user}")
        self.fill(values or {})
        self.click("submit")
        if self.path() != f"/cases/{case_id}":
            html = self.check(f"step-{name}-refused")
            errors = [e.text for e in self.driver.find_elements(
                By.CSS_SELECTOR, ".govuk-error-summary__list li, #error-message")]
            raise AssertionError(f"{self.user} could not {name} in {case_id}: {errors} "
                                 f"({len(html)} bytes)")
        return self.check(f"case-{case_id}-after-{name}")

    def report(self) -> None:
        (self.artifacts / "axe-violations.json").write_text(json.dumps(self.violations, indent=2))


# --- the fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app on a real server over a fresh SQLite file: (base URL, the file)."""
    browser_binaries()
    front_end_assets()
    db = tmp_path_factory.mktemp("web-browser") / "web.sqlite3"
    directory = StaticActorDirectory.from_json(DEV_USERS)
    service = CaseService.open(f"sqlite:///{db}", directory=directory, timeout=None)
    # Secure cookies stay on: Chromium accepts them from http://127.0.0.1 (a trustworthy origin).
    app = create_app(service, dev_users=directory)
    with service.store, LiveServer(app) as server:
        yield server.url, db


@pytest.fixture(scope="module")
def browser(site: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory,
            pytestconfig: pytest.Config) -> Iterator[Browser]:
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    for driver in chromium(tmp_path_factory.mktemp("chromium-profile")):
        b = Browser(driver, site[0], ARTIFACTS)
        # The accessibility check itself: axe-core finds a serious violation planted in a page,
        # so an empty list later means the pages passed, not that axe did not run.
        driver.get(site[0] + "/sign-in")
        driver.execute_script("const i = document.createElement('img'); i.src = '/static/none';"
                              "document.querySelector('main').appendChild(i);")
        driver.execute_script(b.axe)
        planted = driver.execute_async_script(_AXE_RUN)
        assert any(v["id"] == "image-alt" and v["impact"] in ("serious", "critical")
                   for v in planted), planted
        yield b
        b.report()
        # Said past pytest's output capture, so the path is printed in every run.
        line = (f"\nbrowser test screenshots: {b.shots} pages in {ARTIFACTS} "
                f"(axe-core checked {len(b.checked)} pages)")
        capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
        if capture is None:
            print(line)
        else:
            with capture.global_and_fixture_disabled():
                print(line)


@pytest.fixture(scope="module")
def reader(site: tuple[str, Path]) -> Iterator[CaseService]:
    """A second service on the same file, for the test's own questions to the library (which
    items each user may read), as a second server of the council would be."""
    service = CaseService.open(f"sqlite:///{site[1]}",
                               directory=StaticActorDirectory.from_json(DEV_USERS),
                               timeout=None)
    with service.store:
        yield service


# --- the acceptance tests -------------------------------------------------------------------------


def test_without_a_browser_the_tests_fail_where_required(monkeypatch: pytest.MonkeyPatch) -> None:
    """Locally a missing Chromium skips the browser tests; with SEN_REQUIRE_BROWSER=1 (CI) it
    fails them, so they never skip silently there."""
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="SEN_REQUIRE_BROWSER=1 but no chromium"):
        unavailable("no chromium")
    monkeypatch.delenv(REQUIRE_ENV)
    with pytest.raises(pytest.skip.Exception, match="no chromium"):
        unavailable("no chromium")

OFFICER, CLERK = "sen-casework-1", "tribunal-clerk-1"
PARENT, OTHER_PARENT = "sam.parent", "alex.parent"
PROVIDER, ADVISER, MEDIATOR = "gm-practitioner-1", "adviser-1", "mediator-1"


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _submit(b: Browser) -> None:
    b.click("submit")


def _open_case(b: Browser, values: dict[str, Any]) -> None:
    b.get("/cases", f"cases-{b.user}")
    b.click("open-case")
    b.check("open-case")
    b.fill(values)
    _submit(b)
    assert b.path() == f"/cases/{values['case_id']}", b.path()
    b.check(f"case-{values['case_id']}-opened")


def _post(b: Browser, path: str, fields: dict[str, str]) -> None:
    """A form the app never served, posted from the signed-in browser (a forged request)."""
    b.driver.execute_script(
        "const [action, fields] = arguments; const f = document.createElement('form');"
        "f.method = 'post'; f.action = action;"
        "for (const [k, v] of Object.entries(fields)) { const i = document.createElement('input');"
        "i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); }"
        "document.body.appendChild(f); f.submit();", path, fields)
    WebDriverWait(b.driver, 15).until(
        lambda d: d.current_url.endswith(path) and d.execute_script(
            "return document.readyState") == "complete")


def _csrf(b: Browser) -> str:
    return str(b.driver.find_element(By.CSS_SELECTOR, 'input[name="csrf_token"]')
               .get_attribute("value"))


def _canaries_match_the_library(b: Browser, reader: CaseService, case_id: str,
                                canaries: dict[str, str], users: tuple[str, ...]) -> None:
    """Each canary is in the HTML (and pictures) served to a user exactly when the library's
    readable_items lets that user read its item."""
    for user in users:
        try:
            readable = {i.item_id for i in reader.readable_items(case_id, user)}
        except AccessDeniedError:
            readable = set()
        served = "\n".join(b.served[user])
        for item_id, canary in canaries.items():
            records = served[served.rfind("Records you may read"):][:3000]
            assert (canary in served) == (item_id in readable), (user, item_id, records)


def _seen_by(b: Browser, case_id: str, user: str) -> None:
    """``user`` signs in and is served the case page and its timeline picture (both kept for the
    canary checks); a user with a part in the case is shown the picture."""
    b.sign_in(user)
    b.get(f"/cases/{case_id}", f"case-{case_id}-seen-by-{user}")
    b.served[user].append(b.fetch(f"/cases/{case_id}/timeline.svg"))
    if "You cannot do that" not in b.served[user][-2]:
        assert "<svg" in b.served[user][-1], user
        assert b.driver.execute_script(
            "return document.getElementById('timeline').naturalWidth") > 0  # CSP let it in
    else:
        assert "<svg" not in b.served[user][-1], user


def test_disagreement_resolution_referral_to_close_as_each_role(
        browser: Browser, reader: CaseService) -> None:
    """A referral to disagreement resolution, through agreement, the provider's meeting and its
    outcome, to the officer closing it: each role signs in and takes its own steps. Canaries in
    a without-prejudice offer, a provider's confidential note and a parties' note are then looked
    for in every page each role was served."""
    b, case_id, today = browser, "web-dr-0001", _today()
    wp, confidential = f"CANARY-WP-{secrets.token_hex(4)}", f"CANARY-CONF-{secrets.token_hex(4)}"
    shared = f"CANARY-PARTIES-{secrets.token_hex(4)}"

    b.sign_in(OFFICER)
    # An input error first: the GOV.UK error summary and the message next to the field.
    b.get("/cases/new", "open-case")
    b.fill({"case_id": "Not An Id", "kind": "disagreement_resolution",
            "parent_name": "Sam Parent", "parent_email": "sam.parent@example.org",
            "issue_id": "speech", "section": "F"})
    _submit(b)
    b.check("open-case-error")
    assert "There is a problem" in b.text(".govuk-error-summary")
    assert "input.case_id" in b.text("#f-case_id-error") or "case" in b.text("#f-case_id-error")
    b.fill({"case_id": case_id})
    _submit(b)
    assert b.path() == f"/cases/{case_id}"
    b.step(case_id, "seek_agreement")
    b.step(case_id, "agree")  # the council's own agreement: the party is the officer's
    b.step(case_id, "record_item", {"item_id": "note-1", "kind": "note",
                                    "disclosure": "parties", "text": shared})

    b.sign_in(PARENT)
    b.step(case_id, "agree")
    b.sign_in(OFFICER)
    html = b.step(case_id, "assign_provider")
    assert "Global Mediation" in html  # routed by Sefton's council plugin

    b.sign_in(PROVIDER)
    b.step(case_id, "arrange_meeting", {"meeting_date": today})
    b.step(case_id, "hold_meeting", {"on": today})
    b.step(case_id, "record_item", {"item_id": "pnote-1", "kind": "note",
                                    "disclosure": "confidential", "text": confidential})
    b.sign_in(PARENT)
    b.step(case_id, "record_item", {"item_id": "offer-1", "kind": "offer",
                                    "disclosure": "without_prejudice", "text": wp,
                                    "in_meeting": True})
    b.sign_in(PROVIDER)
    html = b.step(case_id, "record_outcome", {"outcomes.speech": "agreed"})
    assert "agreed" in b.text("#issues")
    b.sign_in(OFFICER)
    b.step(case_id, "close")
    assert b.text("#case-state") == "closed"
    assert b.driver.find_elements(By.ID, "audit-trail")  # the officer reads the trail

    # Each role's view of the finished case; another family's is a refusal.
    for user in (CLERK, PARENT, PROVIDER, OTHER_PARENT, OFFICER):
        b.sign_in(user)
        b.get(f"/cases/{case_id}", f"case-{case_id}-seen-by-{user}")
        # The timeline picture as this user's browser is served it, for the canary checks too.
        b.served[user].append(b.fetch(f"/cases/{case_id}/timeline.svg"))
        if user != OTHER_PARENT:
            assert "<svg" in b.served[user][-1]
            assert b.driver.execute_script(
                "return document.getElementById('timeline').naturalWidth") > 0  # CSP let it in
            text = b.driver.find_element(By.ID, "timeline-text").get_attribute("textContent")
            assert text is not None and "close" in text
    assert "You cannot do that" in b.served[OTHER_PARENT][-2]
    assert "<svg" not in b.served[OTHER_PARENT][-1]

    _canaries_match_the_library(b, reader, case_id, {"offer-1": wp, "pnote-1": confidential,
                                                     "note-1": shared},
                                (OFFICER, CLERK, PARENT, PROVIDER, OTHER_PARENT))
    # The firewall as the library's table states it, so the checks above are not vacuous.
    assert wp in "".join(b.served[PARENT]) and wp in "".join(b.served[PROVIDER])
    for user in (OFFICER, CLERK, OTHER_PARENT):
        assert wp not in "".join(b.served[user]), user
    for user in (OFFICER, CLERK, PARENT, OTHER_PARENT):
        assert confidential not in "".join(b.served[user]), user
    assert shared in "".join(b.served[CLERK]) and shared not in "".join(b.served[OTHER_PARENT])
    # Only the officer is shown the audit trail.
    assert 'id="audit-trail"' in b.served[OFFICER][-2]
    for user in (CLERK, PARENT, PROVIDER):
        assert 'id="case-state"' in b.served[user][-2], user
        assert 'id="audit-trail"' not in b.served[user][-2], user
    assert not b.violations, b.violations


def test_mediation_decision_notice_to_certificate_as_each_role(
        browser: Browser, reader: CaseService) -> None:
    """A mediation case from the council's decision notice to the adviser's certificate: the
    parent contacts the adviser and declines mediation, the adviser issues the certificate; the
    certificate's deadline is listed among the week's deadlines while it runs."""
    b, case_id, today = browser, "web-med-0001", _today()
    b.sign_in(OFFICER)
    _open_case(b, {"case_id": case_id, "kind": "mediation", "parent_name": "Sam Parent",
                   "parent_email": "sam.parent@example.org", "sent_on": today,
                   "decision": "s51(2)(e)"})
    b.sign_in(PARENT)
    b.step(case_id, "contact_adviser", {"adviser_id": "adviser",
                                        "adviser.name": "Example mediation adviser",
                                        "on": today})
    wp, confidential = f"CANARY-WP-{secrets.token_hex(4)}", f"CANARY-CONF-{secrets.token_hex(4)}"
    b.sign_in(ADVISER)
    b.step(case_id, "give_information", {"on": today})
    b.step(case_id, "record_item", {"item_id": "advice-1", "kind": "note",
                                    "disclosure": "confidential", "text": confidential})
    b.sign_in(PARENT)
    b.step(case_id, "record_item", {"item_id": "comment-1", "kind": "comment",
                                    "disclosure": "without_prejudice", "text": wp})
    b.step(case_id, "decline", {"on": today})

    case, _ = reader.load(case_id)
    assert isinstance(case, MediationCase)
    clock = case.deadline("certificate_after_declining")
    assert clock is not None
    monday = today - dt.timedelta(days=today.weekday())
    b.get("/cases", f"cases-{PARENT}-after-decline")
    if monday <= clock.due <= monday + dt.timedelta(days=6):
        assert case_id in b.text("#main-content table")
        assert "certificate after declining" in b.text("#main-content table")

    b.sign_in(ADVISER)
    html = b.step(case_id, "issue_certificate", {"on": today})
    assert 'id="certificate"' in html
    b.sign_in(PARENT)
    b.get(f"/cases/{case_id}", f"case-{case_id}-certificate-{PARENT}")
    panel = b.text("#certificate")
    assert "Certificate issued" in panel and "Appeal to the Tribunal by" in panel
    assert b.text("#case-state") == "certificate issued"
    for user in (OFFICER, CLERK, ADVISER, PARENT):
        _seen_by(b, case_id, user)
    _canaries_match_the_library(b, reader, case_id, {"comment-1": wp, "advice-1": confidential},
                                (OFFICER, CLERK, PARENT, ADVISER))
    served = {u: "".join(b.served[u]) for u in (OFFICER, CLERK, PARENT, ADVISER)}
    assert wp in served[PARENT] and wp in served[ADVISER] and confidential in served[ADVISER]
    for user in (OFFICER, CLERK):
        assert wp not in served[user] and confidential not in served[user], user
    assert confidential not in served[PARENT]  # the adviser's own records: facilitators only
    assert not b.violations, b.violations


def test_mediation_through_the_mediators_meeting_to_its_certificate(
        browser: Browser, reader: CaseService) -> None:
    """The parent wants mediation and names the issue; the officer confirms it, records who
    arranges it and arranges it with an independent mediator; the mediator holds it and issues
    the certificate after mediation. Canaries in the adviser's and the mediator's confidential
    notes, the parent's without-prejudice comment and an offer made in the meeting, and the
    officer's confidential note are then looked for in every page (and timeline picture) the
    officer, the parent, the adviser and the mediator were served."""
    b, case_id, today = browser, "web-med-0002", _today()
    token = secrets.token_hex(4)
    advice, comment = f"CANARY-ADVICE-{token}", f"CANARY-WP-{token}"
    offer, la_note = f"CANARY-OFFER-{token}", f"CANARY-LA-CONF-{token}"
    mediator_note = f"CANARY-MEDIATOR-{token}"
    b.sign_in(OFFICER)
    _open_case(b, {"case_id": case_id, "kind": "mediation", "parent_name": "Sam Parent",
                   "sent_on": today, "decision": "s51(2)(e)"})
    b.sign_in(PARENT)
    b.step(case_id, "contact_adviser", {"adviser_id": "adviser",
                                        "adviser.name": "Example mediation adviser",
                                        "on": today})
    b.sign_in(ADVISER)
    b.step(case_id, "give_information", {"on": today})
    b.step(case_id, "record_item", {"item_id": "advice-2", "kind": "note",
                                    "disclosure": "confidential", "text": advice})
    b.sign_in(PARENT)
    b.step(case_id, "record_item", {"item_id": "comment-2", "kind": "comment",
                                    "disclosure": "without_prejudice", "text": comment})
    b.step(case_id, "agree", {"told_la_on": today})
    b.step(case_id, "record_issue", {"issue.issue_id": "speech", "issue.section": "F"})
    b.sign_in(OFFICER)
    b.step(case_id, "record_item", {"item_id": "la-note-2", "kind": "note",
                                    "disclosure": "confidential", "text": la_note})
    b.step(case_id, "confirm_issues")
    b.step(case_id, "choose_route")
    b.step(case_id, "arrange_meeting", {"meeting_date": today, "mediator_id": MEDIATOR,
                                        "mediator.name": "Example mediator",
                                        "shorter_notice_agreed": True})
    assert b.text("#case-state") == "arranged"
    b.sign_in(MEDIATOR)
    b.step(case_id, "hold_meeting", {"on": today})
    b.step(case_id, "record_item", {"item_id": "mediator-note-2", "kind": "note",
                                    "disclosure": "confidential", "text": mediator_note})
    b.sign_in(PARENT)
    b.step(case_id, "record_item", {"item_id": "offer-2", "kind": "offer",
                                    "disclosure": "without_prejudice", "text": offer,
                                    "in_meeting": True})
    b.sign_in(MEDIATOR)
    html = b.step(case_id, "issue_certificate", {"on": today})
    assert 'id="certificate"' in html and "Example mediator" in b.text("#parties")
    b.sign_in(PARENT)
    b.get(f"/cases/{case_id}", f"case-{case_id}-certificate-{PARENT}")
    assert "Appeal to the Tribunal by" in b.text("#certificate")

    # Each role's view of the finished case, with its timeline picture.
    users = (OFFICER, PARENT, ADVISER, MEDIATOR)
    for user in users:
        _seen_by(b, case_id, user)
    _canaries_match_the_library(b, reader, case_id,
                                {"advice-2": advice, "comment-2": comment, "offer-2": offer,
                                 "la-note-2": la_note, "mediator-note-2": mediator_note},
                                users)
    # The firewall as the library's table states it, so the checks above are not vacuous.
    served = {u: "".join(b.served[u]) for u in users}
    for user in (PARENT, ADVISER, MEDIATOR):
        assert comment in served[user] and offer in served[user], user
    for user in users:
        assert la_note in served[user], user
    assert comment not in served[OFFICER] and offer not in served[OFFICER]
    for user in (ADVISER, MEDIATOR):  # the facilitators' own records: facilitators only
        assert advice in served[user] and mediator_note in served[user], user
    for user in (OFFICER, PARENT):
        assert advice not in served[user] and mediator_note not in served[user], user
    assert not b.violations, b.violations


def test_forged_and_tokenless_posts_are_refused(browser: Browser, reader: CaseService) -> None:
    """A parent posting the provider's step with a valid CSRF token is refused by the library's
    permission table (and audited); posts without the token or with another are refused before
    anything is looked at. Nothing is written."""
    b, case_id = browser, "web-dr-0002"
    b.sign_in(OFFICER)
    _open_case(b, {"case_id": case_id, "kind": "disagreement_resolution",
                   "parent_name": "Alex Parent", "issue_id": "placement", "section": "I"})
    b.sign_in(OTHER_PARENT)
    b.get(f"/cases/{case_id}", f"case-{case_id}-{OTHER_PARENT}")
    assert not b.driver.find_elements(By.ID, "step-hold_meeting")  # not offered to a parent
    _, version = reader.load(case_id)
    token = _csrf(b)
    today = _today()
    _post(b, f"/cases/{case_id}/steps/hold_meeting",
          {"csrf_token": token, "expected_version": str(version), "on-day": str(today.day),
           "on-month": str(today.month), "on-year": str(today.year)})
    b.check("forged-step-refused")
    assert "You cannot do that" in b.driver.title
    assert "may not hold meeting" in b.text("#error-message")
    refusals = [e for e in reader.store.audit_trail(case_id)
                if e.action == "step.hold_meeting" and e.outcome == "refused_unauthorised"]
    assert [e.actor for e in refusals] == [OTHER_PARENT]

    for fields in ({"expected_version": str(version)},
                   {"csrf_token": "not-the-token", "expected_version": str(version)}):
        b.get(f"/cases/{case_id}", f"case-{case_id}-{OTHER_PARENT}")
        _post(b, f"/cases/{case_id}/steps/agree", {**fields, "party_id": "parent"})
        b.check("post-without-csrf-refused")
        assert "This form has expired" in b.driver.title
    assert reader.load(case_id)[1] == version  # nothing was written
    assert not b.violations, b.violations
