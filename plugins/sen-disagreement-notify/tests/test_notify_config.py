"""Configuration from the environment and a templates file, and the ``notify`` entry point."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sen_disagreement_notify import NotifyConfig, NotifyConfigError, load_templates
from sen_disagreement_notify import plugin as notify_plugin
from sen_disagreement_notify.testing import FakeNotify

from sen_disagreement.channels import Address, Medium, OutgoingMessage
from sen_disagreement.council import CouncilProfile

SEFTON = CouncilProfile(name="Sefton", legal_name="Sefton Metropolitan Borough Council",
                        gss_code="E08000014", la_number="343", slug="sefton")
OTHER = CouncilProfile(name="Elsewhere", legal_name="Elsewhere Council", gss_code="E08000099",
                       la_number="999", slug="elsewhere")


def templates_file(tmp_path: Path, suffix: str = ".toml") -> tuple[Path, str]:
    template = str(uuid.uuid4())
    path = tmp_path / f"templates{suffix}"
    if suffix == ".toml":
        path.write_text(f'[sefton.certificate_issued]\nemail = "{template}"\n', encoding="utf-8")
    else:
        path.write_text(json.dumps({"sefton": {"certificate_issued": {"email": template}}}),
                        encoding="utf-8")
    return path, template


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_templates_file(tmp_path: Path, suffix: str) -> None:
    path, template = templates_file(tmp_path, suffix)
    assert load_templates(path) == {"sefton": {("certificate_issued", Medium.EMAIL): template}}


@pytest.mark.parametrize("text", [
    '[sefton.certificate_issued]\npigeon = "00000000-0000-0000-0000-000000000000"\n',
    '[sefton.certificate_issued]\nemail = "not-a-uuid"\n',
    '[sefton."Bad Kind"]\nemail = "00000000-0000-0000-0000-000000000000"\n',
])
def test_a_bad_templates_file_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(NotifyConfigError):
        load_templates(path)


def test_key_from_env_file_and_council_scope(tmp_path: Path) -> None:
    with FakeNotify() as notify:
        general, sefton = notify.add_key("general"), notify.add_key("sefton")
    templates = {("certificate_issued", Medium.EMAIL): str(uuid.uuid4())}
    cfg = NotifyConfig.from_env("sefton", templates, {"SEN_NOTIFY_API_KEY": general})
    assert cfg is not None and cfg.api_key == general
    assert general not in repr(cfg)
    secret = tmp_path / "notify-key"
    secret.write_text(sefton + "\n", encoding="utf-8")
    cfg = NotifyConfig.from_env("sefton", templates, {
        "SEN_NOTIFY_API_KEY": general, "SEN_NOTIFY_API_KEY_FILE_SEFTON": str(secret),
        "SEN_NOTIFY_BASE_URL": "http://127.0.0.1:9", "SEN_NOTIFY_TIMEOUT": "2.5"})
    assert cfg is not None
    assert (cfg.api_key, cfg.base_url, cfg.timeout) == (sefton, "http://127.0.0.1:9", 2.5)
    assert NotifyConfig.from_env("sefton", templates, {}) is None
    with pytest.raises(NotifyConfigError, match="not both"):
        NotifyConfig.from_env("sefton", templates, {
            "SEN_NOTIFY_API_KEY": general, "SEN_NOTIFY_API_KEY_FILE": str(secret)})


def test_the_entry_point_serves_only_the_councils_in_the_file(tmp_path: Path) -> None:
    path, template = templates_file(tmp_path)
    with FakeNotify() as notify:
        env = {"SEN_NOTIFY_API_KEY": notify.add_key(), "SEN_NOTIFY_TEMPLATES": str(path),
               "SEN_NOTIFY_BASE_URL": notify.url}
        (channel,) = notify_plugin.channels_for(SEFTON, env)
        assert notify_plugin.channels_for(SEFTON, env) == (channel,)  # one object per process
        assert notify_plugin.channels_for(OTHER, env) == ()
        assert notify_plugin.channels_for(SEFTON, {}) == ()
        receipt = channel.send(OutgoingMessage(
            kind="certificate_issued", medium=Medium.EMAIL, council=SEFTON.gss_code,
            case_reference="SEF-1", address=Address(email="p@example.test"),
            personalisation={"case_reference": "SEF-1"}, reference="ep-1"))
        assert notify.notifications[receipt.message_id].template_id == template


def test_the_hook_registers_nothing_without_configuration(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.delenv("SEN_NOTIFY_TEMPLATES", raising=False)
    assert notify_plugin.sen_register_channels(SEFTON) == ()


def test_the_how_to_lists_every_kind_with_its_allow_listed_placeholders() -> None:
    from sen_disagreement.messages import KINDS

    doc = (Path(__file__).resolve().parents[3] / "docs" / "how-to"
           / "set-up-gov-uk-notify.md").read_text(encoding="utf-8")
    rows = {}
    for line in doc.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`") and cells[0].strip("`") in KINDS:
            rows[cells[0].strip("`")] = cells
    assert set(rows) == set(KINDS)
    for name, (_, _recipient, media, placeholders) in rows.items():
        kind = KINDS[name]
        assert media == ", ".join(m.value for m in kind.media)
        assert placeholders == " ".join(f"`(({f}))`" for f in sorted(kind.fields))
