"""``sen-disagreement plugins`` and ``council``, with fake installed distributions."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType

import pytest
from click.testing import CliRunner

from sen_disagreement.cli import main
from sen_disagreement.plugins import BLOCK_ENV_VAR

InstallFakes = Callable[..., None]


@pytest.fixture
def sefton_installed(fake_distributions: InstallFakes, sefton_module: ModuleType) -> None:
    fake_distributions(("sen-disagreement-sefton", "0.1.0", {"sefton": sefton_module}))


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv(BLOCK_ENV_VAR, raising=False)
    return CliRunner()


@pytest.mark.usefixtures("sefton_installed")
def test_plugins_lists_sefton_with_version_and_hooks(runner: CliRunner) -> None:
    result = runner.invoke(main, ["plugins"])
    assert result.exit_code == 0, result.output
    assert "sefton (sen-disagreement-sefton 0.1.0)" in result.output
    assert "    sen_register_providers" in result.output
    assert "Councils: Sefton (sefton)" in result.output
    data = json.loads(runner.invoke(main, ["plugins", "--format", "json"]).output)
    assert {p["name"] for p in data} == {"sefton", "sen_disagreement.defaults"}


@pytest.mark.usefixtures("sefton_installed")
def test_council_shows_profile_providers_contacts(runner: CliRunner) -> None:
    result = runner.invoke(main, ["council", "sefton"])
    assert result.exit_code == 0, result.output
    for text in (
        "E08000014",
        "343",
        "Global Mediation",
        "SEN Casework Team",
        "Ainsdale Hope Centre",
        "Sandringham Road",
        "Tel 0151 934 2347",
    ):
        assert text in result.output
    data = json.loads(runner.invoke(main, ["council", "343", "--format", "json"]).output)
    assert data["providers"][0]["provider_id"] == "global-mediation"
    oruk = json.loads(runner.invoke(main, ["council", "sefton", "--format", "oruk"]).output)
    assert oruk[0]["status"] == "active"


@pytest.mark.usefixtures("sefton_installed")
def test_council_route_sends_a_sefton_case_to_global_mediation(runner: CliRunner) -> None:
    result = runner.invoke(main, ["council", "sefton", "--route", "disagreement_resolution"])
    assert result.exit_code == 0, result.output
    assert "Sefton: disagreement_resolution -> Global Mediation" in result.output
    data = json.loads(
        runner.invoke(
            main, ["council", "sefton", "--route", "disagreement_resolution", "--format", "json"]
        ).output
    )
    assert (data["provider_id"], data["parked"]) == ("global-mediation", False)


@pytest.mark.usefixtures("sefton_installed")
def test_blocked_sefton_gives_no_provider(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BLOCK_ENV_VAR, "sefton")
    result = runner.invoke(main, ["council", "sefton", "--route", "disagreement_resolution"])
    assert result.exit_code == 2  # an uninstalled council is bad input, refused at the door
    assert "no council 'sefton' is installed (installed councils: none)" in result.output


def test_without_sefton_installed(runner: CliRunner, fake_distributions: InstallFakes) -> None:
    fake_distributions()
    result = runner.invoke(main, ["council", "sefton", "--route", "disagreement_resolution"])
    assert result.exit_code == 2
    assert "no council 'sefton' is installed" in result.output
    shown = runner.invoke(main, ["council", "sefton"])
    assert shown.exit_code == 2
    assert "no council 'sefton' is installed (installed councils: none)" in shown.output
    assert "Councils: none installed" in runner.invoke(main, ["plugins"]).output


def test_a_broken_plugin_is_reported_by_name(
    runner: CliRunner, fake_distributions: InstallFakes
) -> None:
    fake_distributions(("broken", "1", {"broken": ImportError("boom")}))
    result = runner.invoke(main, ["plugins"])
    assert result.exit_code == 3
    assert "plugin 'broken'" in result.output
