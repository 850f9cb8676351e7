"""The published JSON Schema of the classify input is the one the code generates, and the seed
examples shipped with the package are valid against it (issue 2, deliverable 6: "Publish the JSON
Schema of the input documents")."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from sen_disagreement.classifier import SCHEMA_VERSION, Disagreement, classify
from sen_disagreement.cli import main
from sen_disagreement.errors import DocumentError
from sen_disagreement.schema import classify_input_schema
from sen_disagreement.serialization import loads

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT / "docs" / "reference" / "classify-input.schema.json"
REGENERATE = ".venv/bin/sen-disagreement schema > docs/reference/classify-input.schema.json"


def _published_text() -> str:
    return PUBLISHED.read_text(encoding="utf-8")


def _published() -> dict[str, Any]:
    data = json.loads(_published_text())
    assert isinstance(data, dict)
    return data


def _seed_examples() -> list[dict[str, Any]]:
    raw = resources.files("sen_disagreement").joinpath("data/seed_examples.json").read_text()
    examples = json.loads(raw)
    assert isinstance(examples, list)
    return examples


SEEDS = _seed_examples()


def test_published_schema_equals_generated() -> None:
    assert _published() == classify_input_schema(), f"stale schema: run `{REGENERATE}`"


def test_published_schema_is_byte_identical_to_the_cli_output() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0, result.output
    assert result.stdout == _published_text(), f"stale schema: run `{REGENERATE}`"


def test_published_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = _published()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/classify-input/v{SCHEMA_VERSION}.json")
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"date", "parties", "stage"}
    for name, definition in schema["$defs"].items():
        if definition.get("type") == "object":
            assert definition["additionalProperties"] is False, name


def test_there_are_seed_examples() -> None:
    assert len(SEEDS) >= 5
    assert all(set(e) == {"title", "document"} for e in SEEDS)


@pytest.mark.parametrize("example", SEEDS, ids=[str(e["title"])[:40] for e in SEEDS])
def test_seed_example_validates_against_published_schema(example: dict[str, Any]) -> None:
    validator = Draft202012Validator(_published())
    errors = [e.message for e in validator.iter_errors(example["document"])]
    assert errors == []
    # ... and the library reads it and classifies it without error.
    disagreement = loads(json.dumps(example["document"]), Disagreement)
    answer = classify(disagreement)
    assert answer.eligible is str(example["title"]).startswith("Type")


@pytest.mark.parametrize(
    ("mutation", "path"),
    [
        ({"surprise": 1}, "$"),
        ({"schema_version": 2}, "$.schema_version"),
        ({"parties": []}, "$.parties"),
        ({"stage": "nowhere"}, "$.stage"),
        ({"date": "2025-02-30"}, "$.date"),
    ],
)
def test_published_schema_rejects_what_loads_rejects_on_a_seed(
    mutation: dict[str, Any], path: str
) -> None:
    document = {**SEEDS[0]["document"], **mutation}
    validator = Draft202012Validator(_published())
    schema_rejects = not validator.is_valid(document)
    with pytest.raises(DocumentError) as info:
        loads(json.dumps(document), Disagreement)
    assert path in info.value.fields
    # The schema cannot see calendar validity (2025-02-30 matches its pattern); all else it sees.
    assert schema_rejects is (path != "$.date")
