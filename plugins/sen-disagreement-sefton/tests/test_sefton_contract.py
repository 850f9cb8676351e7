"""Sefton passes the public council-plugin contract, and its published details are exact."""

from __future__ import annotations

import sen_disagreement_sefton
from sen_disagreement_sefton import plugin as sefton_plugin

from sen_disagreement.council import ContactRole
from sen_disagreement.plugins.testing import CouncilPluginContract
from sen_disagreement.voluntary import Process


class TestSeftonContract(CouncilPluginContract):
    plugin = sefton_plugin
    council_slug = "sefton"
    expected_routes = ((Process.DISAGREEMENT_RESOLUTION, "global-mediation"),)


def test_sefton_profile_identifiers() -> None:
    profile = sefton_plugin.SEFTON
    assert (profile.name, profile.gss_code, profile.la_number) == ("Sefton", "E08000014", "343")


def test_sefton_casework_team_contact() -> None:
    contact = sefton_plugin.SEN_CASEWORK_TEAM
    assert contact.role is ContactRole.SEN_CASEWORK_TEAM
    assert contact.address_lines == ("Ainsdale Hope Centre", "Sandringham Road")
    assert contact.telephone == "0151 934 2347"


def test_sefton_version_is_exposed() -> None:
    assert sen_disagreement_sefton.__version__ == "0.1.0"
