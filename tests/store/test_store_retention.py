"""Retention policy: dates, grades, legal hold and the purge sweep (on both backends)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sen_disagreement.errors import InvalidInputError, NotFoundError
from sen_disagreement.provenance import Grade
from sen_disagreement.store import RetentionTrigger, Store
from sen_disagreement.store.retention import (
    SEN_FILE_DOB_PLUS_31,
    RetentionPolicy,
    RetentionRule,
    add_years,
    common_practice_rules,
    expires_on,
    purge_expired,
    retention_cutoff,
)

Factory = Callable[..., Any]


@given(
    trigger=st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
    today=st.dates(dt.date(1950, 1, 1), dt.date(2200, 12, 31)),
    years=st.integers(1, 60),
)
def test_cutoff_agrees_with_expiry_for_every_date(
    trigger: dt.date, today: dt.date, years: int
) -> None:
    assert (trigger <= retention_cutoff(today, years)) == (add_years(trigger, years) <= today)


def test_leap_day_is_kept_a_day_longer_never_shorter() -> None:
    assert add_years(dt.date(2012, 2, 29), 31) == dt.date(2043, 3, 1)
    assert add_years(dt.date(2012, 2, 29), 32) == dt.date(2044, 2, 29)
    assert expires_on(SEN_FILE_DOB_PLUS_31, dt.date(2010, 6, 1)) == dt.date(2041, 6, 1)
    assert expires_on(SEN_FILE_DOB_PLUS_31, None) is None


def test_defaults_are_named_graded_and_unconfirmed() -> None:
    rules = common_practice_rules()
    assert {r.kind for r in rules} == {"disagreement_resolution", "mediation"}
    for rule in rules:
        assert rule.trigger is RetentionTrigger.DATE_OF_BIRTH
        assert rule.years == 31
        assert rule.provenance.grade is Grade.UNCONFIRMED
        assert any(c.grade is Grade.SECONDARY for c in rule.provenance.citations)
        assert "not law" in rule.summary or "analogy" in rule.summary
    assert RetentionPolicy(council="E08000014", rules=rules).confirmed is False


def test_policy_validation_names_the_field() -> None:
    with pytest.raises(InvalidInputError) as err:
        RetentionPolicy(council="E08000014", rules=[SEN_FILE_DOB_PLUS_31, SEN_FILE_DOB_PLUS_31])
    assert err.value.field == "rules[1].kind"
    with pytest.raises(InvalidInputError) as err2:
        attrs.evolve(SEN_FILE_DOB_PLUS_31, years=0)
    assert err2.value.field == "years"


def test_sweep_dry_run_then_confirmed_purge(store: Store, case_factory: Factory) -> None:
    for case_id, kind, dob, hold, council in [
        ("OLD-MED", "mediation", dt.date(1990, 3, 1), False, "E08000014"),
        ("OLD-DR", "disagreement_resolution", dt.date(1991, 1, 1), False, "E08000014"),
        ("OLD-HELD", "mediation", dt.date(1990, 3, 1), True, "E08000014"),
        ("YOUNG", "mediation", dt.date(2012, 3, 1), False, "E08000014"),
        ("NO-DOB", "mediation", None, False, "E08000014"),
        ("OTHER", "mediation", dt.date(1980, 1, 1), False, "E09000033"),
    ]:
        store.save(case_factory(case_id, kind=kind, dob=dob, council=council), 0, actor="o:1")
        if hold:
            store.set_legal_hold(case_id, True, actor="dpo:1")
    today = dt.date(2025, 6, 1)  # OLD-* born 1990/1991 expire in 2021/2022
    lancashire_style = RetentionRule(
        name="sen_file_to_age_45",
        kind="disagreement_resolution",
        trigger=RetentionTrigger.DATE_OF_BIRTH,
        years=45,
        summary="kept to age 45 where the child had an EHC plan",
        provenance=SEN_FILE_DOB_PLUS_31.provenance,
    )
    unconfirmed = RetentionPolicy(council="E08000014", rules=common_practice_rules())
    run = purge_expired(store, unconfirmed, today=today, actor="dpo:1")
    assert run.purge is None
    assert run.due == {"sen_file_dob_plus_31": ("OLD-DR",), "mediation_dob_plus_31": ("OLD-MED",)}
    with pytest.raises(InvalidInputError) as err:
        purge_expired(store, unconfirmed, today=today, actor="dpo:1", dry_run=False)
    assert err.value.field == "policy.confirmed"
    assert store.load("OLD-MED").version == 1
    longer = RetentionPolicy(
        council="E08000014",
        rules=(lancashire_style, common_practice_rules()[1]),
        confirmed=True,
    )
    run2 = purge_expired(store, longer, today=today, actor="dpo:1", dry_run=False)
    assert run2.purge is not None
    assert run2.purge.purged == ("OLD-MED",)
    with pytest.raises(NotFoundError):
        store.load("OLD-MED")
    for kept in ("OLD-DR", "OLD-HELD", "YOUNG", "NO-DOB", "OTHER"):
        assert store.load(kept).version == 1
    [entry] = store.audit_trail("OLD-MED")
    assert (entry.action, entry.actor, entry.fields) == ("case.purged", "dpo:1", ())
