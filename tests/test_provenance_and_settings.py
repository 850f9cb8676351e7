"""Rules carry citations, grades and the dates between which they apply; unconfirmed points are
named settings."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from sen_disagreement.cli import main
from sen_disagreement.parties import CCG_ABOLISHED
from sen_disagreement.provenance import Citation, Grade, Provenance
from sen_disagreement.settings import Settings, describe


def test_provenance_grade_is_the_weakest_citation() -> None:
    p = Provenance([Citation("a", Grade.PRIMARY), Citation("b", Grade.UNCONFIRMED)])
    assert p.grade is Grade.UNCONFIRMED
    assert "[UNCONFIRMED]" in p.cite()


def test_provenance_needs_a_citation_and_a_valid_range() -> None:
    with pytest.raises(ValueError, match="citation"):
        Provenance([])
    with pytest.raises(ValueError, match="valid_to"):
        Provenance([Citation("a", Grade.PRIMARY)], dt.date(2022, 1, 1), dt.date(2021, 1, 1))


def test_ccg_abolished_rule_date_range() -> None:
    assert CCG_ABOLISHED.provenance.applies_on(dt.date(2022, 6, 30))
    assert not CCG_ABOLISHED.provenance.applies_on(dt.date(2022, 7, 1))


def test_every_setting_documents_default_alternatives_and_grade() -> None:
    infos = describe()
    assert {i.name for i in infos} >= {
        "working_days",
        "tribunal_non_working_days",
        "arrange_mediation_unit",
        "arrange_mediation_deadline",
        "deemed_certificate_unit",
        "s57_health_body_independence",
    }
    for info in infos:
        assert info.summary and info.alternatives and info.provenance.citations
        # A setting exists because something is unconfirmed or conflicting.
        assert info.provenance.grade in (Grade.UNCONFIRMED, Grade.SECONDARY)


def test_settings_cli_lists_every_setting() -> None:
    result = CliRunner().invoke(main, ["settings"])
    assert result.exit_code == 0
    for info in describe(Settings()):
        assert info.name in result.output
