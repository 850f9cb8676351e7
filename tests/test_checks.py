"""The shared shape checks (one definition for every layer), and faults they used to let by."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

from sen_disagreement.cli import main
from sen_disagreement.council import Notification
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.voluntary import ConsentDecision, ConsentEntry
from sen_disagreement.workflow.audit import check_utc


@pytest.mark.parametrize(
    "value",
    [dt.date(2025, 3, 3), "2025-03-03T10:00:00Z", dt.datetime(2025, 3, 3, 10),
     dt.datetime(2025, 3, 3, 10, tzinfo=dt.timezone(dt.timedelta(hours=5)))],
)
def test_input_utc_time_refused_with_a_typed_error(value: object) -> None:
    with pytest.raises(InvalidInputError) as err:
        check_utc(value)
    assert (err.value.field, err.value.rule_id) == ("at", "input.utc_time")


def test_consent_entry_refuses_a_non_utc_offset() -> None:
    with pytest.raises(InvalidInputError) as err:
        ConsentEntry(party_id="mum", decision=ConsentDecision.AGREED, recorded_by="mum",
                     at=dt.datetime(2025, 3, 3, 10, tzinfo=dt.timezone(dt.timedelta(hours=5))))
    assert err.value.field == "at"


def test_notification_council_accepts_a_gss_code_as_the_store_does() -> None:
    note = Notification(case_id="c-1", council="E08000014", template="certificate.issued",
                        recipient_role="family")
    assert note.council == "E08000014"


def test_deadlines_case_reference_has_the_store_case_id_shape() -> None:
    ok = CliRunner().invoke(main, ["deadlines", "--event", "mediation_concluded=2025-04-17",
                                   "--format", "ics", "--case", "LA:2025/1"])
    assert ok.exit_code == 0
    assert "LA:2025/1" in ok.output
