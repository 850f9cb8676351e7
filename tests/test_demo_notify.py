"""The walkthrough and ``sen-disagreement demo`` deliver their statutory messages through the real
GOV.UK Notify channel to the local Notify API on 127.0.0.1: the outbox, what the server took and
what the demo prints are the same messages, and no payload the server received carries anything
outside its kind's allow-list (canaries: the without-prejudice offer, the recorded letter, names,
the parent's old address)."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sen_disagreement import walkthrough
from sen_disagreement.cli import main
from sen_disagreement.messages import KINDS

notify_testing = pytest.importorskip("sen_disagreement_notify.testing")
FakeNotify = notify_testing.FakeNotify

OLD_PARENT_EMAIL = "sam.parent@example.org"
CANARIES = ("termly review", "Without prejudice", "without prejudice", "Letter confirming",
            "Sam Parent", "speech", OLD_PARENT_EMAIL)
NOTIFICATION = re.compile(
    r"Message (?P<kind>[a-z_]+) to .+? \((?P<recipient>(?:party|contact):[a-z_-]+)\), rule "
    r"[a-z0-9_.]+: sent via the notify channel, Notify notification (?P<id>[0-9a-f-]{36}), "
    r"status (?P<status>[a-z-]+) \(read back from the server\)\.")


@pytest.fixture
def server() -> Iterator[Any]:
    with FakeNotify() as fake:
        yield fake


def _outbox(db: Path) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(db) as c:
        return [(r[0], r[1], r[2].rpartition("#")[2], r[3]) for r in c.execute(
            "SELECT template, idempotency_key, payload_ref, status FROM outbox ORDER BY id")]


def _check_payloads(fake: Any) -> None:
    """The canary over every request the local server received."""
    kinds = {template: kind for (kind, _), template in walkthrough.notify_templates().items()}
    assert fake.rejected_tokens == 0
    for request in fake.requests:
        text = json.dumps({"path": request.path, "query": request.query, "body": request.body})
        hits = [c for c in CANARIES if c in text]
        assert hits == [], (request.path, hits)
        if request.method != "POST":
            continue
        body = request.body
        kind = KINDS[kinds[body["template_id"]]]
        assert set(body.get("personalisation") or {}) <= kind.fields, kind.name
        assert set(body) <= {"template_id", "email_address", "phone_number", "personalisation",
                             "reference"}


def test_the_walkthrough_delivers_the_outbox_to_the_local_notify_server(
    tmp_path: Path, server: Any
) -> None:
    db = tmp_path / "walk.sqlite3"
    lines = walkthrough.run(db, notify_server=server)
    rows = _outbox(db)
    assert [(kind, recipient, status) for kind, _, recipient, status in rows] == [
        ("adviser_told_not_arranged", "contact:mediation_adviser", "sent"),
        ("certificate_issued", "party:parent", "sent"),
    ]
    # Exactly the outbox's messages, once each, under their idempotency keys.
    stored = sorted(server.notifications.values(), key=lambda n: n.created_at)
    assert sorted(n.reference for n in stored) == sorted(key for _, key, _, _ in rows)
    assert len(list(server.sends())) == len(rows)
    by_ref = {n.reference: n for n in stored}
    (cert_key,) = [key for kind, key, _, _ in rows if kind == "certificate_issued"]
    (adviser_key,) = [key for kind, key, _, _ in rows if kind == "adviser_told_not_arranged"]
    # The certificate was queued after the parent changed their address: it goes to the new one.
    assert by_ref[cert_key].recipient == walkthrough.NEW_PARENT_EMAIL
    assert by_ref[adviser_key].recipient == "adviser@example.org"
    # The narrative lists each delivered message with the id the server gave it and the
    # status read back from it.
    text = "\n".join(lines)
    shown = {m["id"]: (m["kind"], m["recipient"], m["status"])
             for m in NOTIFICATION.finditer(text)}
    assert shown == {n.id: (n_kind, recipient, n.status) for n in stored
                     for n_kind, key, recipient, _ in rows if key == n.reference}
    assert "The local Notify server took 2 notification(s); each carried only its kind's " \
           "allow-listed personalisation." in text
    gets = [r for r in server.requests if r.method == "GET"]
    assert sorted(r.path.rpartition("/")[2] for r in gets) == sorted(shown)
    _check_payloads(server)
    assert "@" not in text  # no address is ever printed


def test_the_demo_command_shows_the_messages_the_local_notify_server_received(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Any] = []

    class Recording(FakeNotify):  # type: ignore[misc, valid-type]
        def start(self) -> Any:
            started.append(self)
            return super().start()

    monkeypatch.setattr(notify_testing, "FakeNotify", Recording)
    result = CliRunner().invoke(main, ["demo", "--db", str(tmp_path / "demo.sqlite3")])
    assert result.exit_code == 0, result.output
    (fake,) = started
    shown = {m["id"]: m["kind"] for m in NOTIFICATION.finditer(result.output)}
    assert shown == {n.id: KINDS[n_kind].name for n in fake.notifications.values()
                     for n_kind in [_kind_of(n.template_id)]}
    assert len(shown) == 2
    assert fake._server is None  # stopped when the walkthrough ended
    _check_payloads(fake)
    assert "@" not in result.output


def _kind_of(template_id: str) -> str:
    return next(kind for (kind, _), t in walkthrough.notify_templates().items()
                if t == template_id)


def test_the_demo_script_prints_the_notify_deliveries(tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("sen-disagreement")
    done = subprocess.run([str(cli), "demo", "--db", str(tmp_path / "demo.sqlite3")],
                          capture_output=True, text=True, timeout=120, check=True)
    assert len(NOTIFICATION.findall(done.stdout)) == 2
    assert "A local GOV.UK Notify API is listening on http://127.0.0.1:" in done.stdout
    assert "Traceback" not in done.stderr and "@" not in done.stdout + done.stderr


def test_without_the_notify_package_the_demo_says_so_and_uses_the_log_channel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("sen_disagreement_notify", "sen_disagreement_notify.testing"):
        monkeypatch.setitem(sys.modules, name, None)  # an import of it fails
    lines = walkthrough.run(tmp_path / "walk.sqlite3")
    text = "\n".join(lines)
    assert "sen-disagreement-notify) is not installed" in text
    assert walkthrough.INSTALL_NOTIFY in text
    assert "rule certificate.content: sent via the log channel." in text
    assert "Notify notification" not in text
