"""Regression tests for faults found by the hostile-input review: each input used to be
accepted (or mis-reported) and must now be refused with the field named."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sen_disagreement.cli import main
from sen_disagreement.serialization import MAX_DOCUMENT_BYTES

BASE: dict[str, object] = {
    "schema_version": 1,
    "date": "2025-03-03",
    "stage": "drawing_up",
    "provision": ["health_care"],
    "parties": [{"kind": "parent"}, {"kind": "integrated_care_board"}],
}


def _problems(raw: bytes) -> tuple[int, list[dict[str, str]]]:
    result = CliRunner().invoke(main, ["classify", "--format", "json", "-"], input=raw)
    return result.exit_code, json.loads(result.output)["problems"] if result.output else []


@pytest.mark.parametrize("date", ["2025-W10-1", "2025-062", "２０２５-０３-０３", "20250303"])
def test_input_date_only_calendar_dates_written_yyyy_mm_dd(date: str) -> None:
    code, problems = _problems(json.dumps(dict(BASE, date=date)).encode())
    assert code == 2
    assert [(p["field"], p["rule_id"]) for p in problems] == [("$.date", "input.date")]


def test_input_duplicate_key_is_refused_naming_its_path() -> None:
    raw = json.dumps(BASE).replace('{"kind": "parent"}', '{"kind": "mediator", "kind": "parent"}')
    code, problems = _problems(raw.encode())
    assert code == 2
    assert [(p["field"], p["rule_id"]) for p in problems] == [
        ("$.parties[0].kind", "input.duplicate_key")
    ]


@pytest.mark.parametrize(
    ("identifiers", "field"),
    [
        ({"la_number": "٣٤٣"}, "la_number"),
        ({"gss_code": "E08٠٠٠٠١٤"}, "gss_code"),
    ],
)
def test_identifier_shape_ascii_digits_only(identifiers: dict[str, str], field: str) -> None:
    doc = dict(
        BASE,
        stage="assessment_requested",
        provision=[],
        duty="assess",
        parties=[{"kind": "parent"}, {"kind": "local_authority", "identifiers": identifiers}],
    )
    code, problems = _problems(json.dumps(doc).encode())
    assert code == 2
    assert problems[0]["field"] == f"$.parties[1].identifiers.{field}"
    assert problems[0]["rule_id"] == f"identifier.{field}.shape"


def test_input_document_size_oversized_input_is_refused_not_cut_short() -> None:
    doc = json.dumps(BASE).encode()
    raw = doc + b" " * (MAX_DOCUMENT_BYTES + 1 - len(doc)) + b"GARBAGE, NOT JSON"
    code, problems = _problems(raw)
    assert code == 2
    assert [p["rule_id"] for p in problems] == ["input.document_size"]


def test_input_document_size_counts_bytes_not_characters() -> None:
    from sen_disagreement.classifier import Disagreement
    from sen_disagreement.errors import DocumentError
    from sen_disagreement.serialization import loads

    text = json.dumps(BASE) + " " * 10 + "\u20ac" * (MAX_DOCUMENT_BYTES // 3)
    assert len(text) < MAX_DOCUMENT_BYTES < len(text.encode())
    with pytest.raises(DocumentError) as err:
        loads(text, Disagreement)
    assert err.value.problems[0].rule_id == "input.document_size"
