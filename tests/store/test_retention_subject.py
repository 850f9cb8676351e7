"""Retention counts from the child's or young person's date of birth, never a parent's (issue 10:
a case closed six weeks earlier was listed for erasure under "date of birth + 31 years" because a
parent's date of birth counted)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.store import open_store
from sen_disagreement.store.retention import RetentionPolicy, common_practice_rules, purge_expired
from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase
from sen_disagreement.workflow.records import save, to_record

T0 = dt.datetime(2025, 1, 13, 9, tzinfo=dt.UTC)


def _case(case_id: str, *people: CaseParty) -> DisagreementResolutionCase:
    la = CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY,
                               identifiers=Identifiers(gss_code="E08000014")))
    return DisagreementResolutionCase.refer(case_id=case_id, council="E08000014",
                                            parties=[*people, la], at=T0, actor="officer-1")


def test_retention_counts_from_the_child_never_a_parent(tmp_path: Path) -> None:
    parent = CaseParty("parent", Party(kind=PartyKind.PARENT,
                                       date_of_birth=dt.date(1960, 5, 1)))
    child = CaseParty("child", Party(kind=PartyKind.CHILD, date_of_birth=dt.date(2015, 5, 1)))
    only_parent = _case("dr-parent-dob", parent)
    with_child = _case("dr-child-dob", parent, child)
    assert to_record(only_parent).subject_date_of_birth is None
    assert to_record(with_child).subject_date_of_birth == dt.date(2015, 5, 1)
    with open_store(f"sqlite:///{tmp_path / 'r.sqlite3'}") as store:
        save(store, only_parent, expected_version=0)
        save(store, with_child, expected_version=0)
        policy = RetentionPolicy(council="E08000014", rules=common_practice_rules(),
                                 confirmed=True)
        # 1960 + 31 = 1991: under the old rule both cases were due long ago.
        run = purge_expired(store, policy, today=dt.date(2025, 3, 1), actor="dpo-1")
        assert run.due == {"sen_file_dob_plus_31": (), "mediation_dob_plus_31": ()}
        run = purge_expired(store, policy, today=dt.date(2046, 5, 1), actor="dpo-1")
        assert run.due["sen_file_dob_plus_31"] == ("dr-child-dob",)
