"""The generated evolvers are kept in a bounded table: a caller's classes and name orders never
grow it without end, and one asked for again is kept again."""

from __future__ import annotations

import itertools

import attrs

from sen_disagreement.workflow import DisagreementResolutionCase, _case


def test_the_evolver_table_stays_within_its_bound() -> None:
    names = [f.name for f in attrs.fields(DisagreementResolutionCase)]
    orders = itertools.islice(itertools.permutations(names, 3), _case._EVOLVERS_MAX + 50)
    for order in orders:
        _case.evolver(DisagreementResolutionCase, order)
        assert len(_case._EVOLVERS) <= _case._EVOLVERS_MAX
    first = _case.evolver(DisagreementResolutionCase, ("state",))
    assert _case.evolver(DisagreementResolutionCase, ("state",)) is first
