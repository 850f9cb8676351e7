"""Sefton's channel declaration: Notify templates per message kind and medium, read from the
environment, and no import of the Notify package until a channel is built."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from sen_disagreement_notify.testing import FakeNotify
from sen_disagreement_sefton import channels as sefton_channels
from sen_disagreement_sefton import plugin as sefton_plugin

from sen_disagreement.channels import Address, Medium, MessageChannel, OutgoingMessage
from sen_disagreement.messages import KINDS


def test_declares_a_template_for_every_message_kind_and_its_media() -> None:
    declared = sefton_channels.NOTIFY_TEMPLATE_ENV
    assert {kind for kind, _ in declared} == set(KINDS)
    for (kind, medium), var in declared.items():
        assert medium in KINDS[kind].media
        assert var == f"SEN_SEFTON_NOTIFY_{kind.upper()}_{medium.value.upper()}"
    assert sefton_channels.CHANNELS == ("notify",)


def test_loading_the_plugin_does_not_import_notify() -> None:
    code = ("import sys, sen_disagreement_sefton.plugin; "
            "print(any(m.startswith('sen_disagreement_notify') or "
            "m.startswith('notifications_python_client') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_no_channel_without_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    assert sefton_channels.notify_channel({}) is None
    template_only = {"SEN_SEFTON_NOTIFY_CERTIFICATE_ISSUED_EMAIL": str(uuid.uuid4())}
    assert sefton_channels.notify_channel(template_only) is None  # no key
    for var in sefton_channels.NOTIFY_TEMPLATE_ENV.values():
        monkeypatch.delenv(var, raising=False)
    assert sefton_plugin.sen_register_channels(sefton_plugin.SEFTON) == ()


def test_builds_a_notify_channel_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    template = str(uuid.uuid4())
    with FakeNotify() as notify:
        env = {"SEN_NOTIFY_API_KEY_SEFTON": notify.add_key("sefton"),
               "SEN_NOTIFY_BASE_URL": notify.url,
               "SEN_SEFTON_NOTIFY_CERTIFICATE_ISSUED_EMAIL": template}
        channel = sefton_channels.notify_channel(env)
        assert isinstance(channel, MessageChannel) and channel.name == "notify"
        assert channel.media == frozenset({Medium.EMAIL})
        receipt = channel.send(OutgoingMessage(
            kind="certificate_issued", medium=Medium.EMAIL, council="E08000014",
            case_reference="SEF-1", address=Address(email="p@example.test"),
            personalisation={"case_reference": "SEF-1"}, reference="sefton-1"))
        assert notify.notifications[receipt.message_id].template_id == template
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sefton_plugin, "_notify", [])
        (registered,) = sefton_plugin.sen_register_channels(sefton_plugin.SEFTON)
        assert registered.name == "notify"
