"""The example in examples/second_council passes the contract (run from here because examples/
is not a test path), and its how-to walks through every file it has."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from sen_disagreement.council import ContactRole
from sen_disagreement.plugins.testing import CouncilPluginContract
from sen_disagreement.voluntary import Process

ROOT = Path(__file__).resolve().parents[2]


class TestSecondCouncilContract(CouncilPluginContract):
    council_slug = "wirral"
    expected_routes = (
        (Process.DISAGREEMENT_RESOLUTION, "wired"),
        (Process.MEDIATION, "wired-mediation"),
    )
    required_roles = frozenset(
        {ContactRole.SEN_CASEWORK_TEAM, ContactRole.PERSON_ACTING_FOR_LA_REG32F}
    )

    @pytest.fixture(autouse=True)
    def _plugin(self, wirral_module: ModuleType) -> None:
        type(self).plugin = wirral_module


def test_how_to_walks_through_every_example_file() -> None:
    howto = (ROOT / "docs/how-to/write-a-council-plugin.md").read_text()
    example = ROOT / "examples/second_council"
    for path in sorted(example.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            assert str(path.relative_to(example)) in howto, path
