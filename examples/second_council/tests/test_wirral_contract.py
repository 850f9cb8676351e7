"""The example plugin passes the public contract, and routes health mediation to its panel."""

from __future__ import annotations

from sen_disagreement_wirral import plugin as wirral_plugin

from sen_disagreement.council import CaseContext, ContactRole, route_provider
from sen_disagreement.plugins import Hooks
from sen_disagreement.plugins.testing import CouncilPluginContract, RegisterPlugin
from sen_disagreement.voluntary import Process


class TestWirralContract(CouncilPluginContract):
    plugin = wirral_plugin
    council_slug = "wirral"
    expected_routes = (
        (Process.DISAGREEMENT_RESOLUTION, "wired"),
        (Process.MEDIATION, "wired-mediation"),
    )
    required_roles = frozenset(
        {
            ContactRole.SEN_CASEWORK_TEAM,
            ContactRole.MEDIATION_ADVISER,
            ContactRole.PERSON_ACTING_FOR_LA_REG32F,
        }
    )


def test_wirral_health_mediation_goes_to_the_panel(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin
) -> None:
    register_sen_plugin(wirral_plugin, name="wirral")
    case = CaseContext(case_id="w-1", process=Process.MEDIATION, health_in_issue=True)
    routing = route_provider(sen_hooks, "wirral", case)
    assert routing.provider.provider_id == "health-mediation-panel"
