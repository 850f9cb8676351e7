"""Builders used by the law tests (imported as a module, not a fixture file)."""

from __future__ import annotations

import datetime as dt

from sen_disagreement.classifier import Classification, Disagreement, classify
from sen_disagreement.ehc import Duty, EhcStage, Provision
from sen_disagreement.parties import Party, PartyKind

DAY = dt.date(2025, 3, 3)


def party(kind: PartyKind, **kw: object) -> Party:
    return Party(kind=kind, **kw)  # type: ignore[arg-type]


def described(
    *kinds: PartyKind,
    stage: EhcStage = EhcStage.NO_PLAN,
    provision: tuple[Provision, ...] = (),
    duty: Duty | None = None,
    on: dt.date = DAY,
) -> Disagreement:
    return Disagreement(
        date=on,
        parties=[Party(kind=k) for k in kinds],
        stage=stage,
        provision=provision,
        duty=duty,
    )


def types_of(d: Disagreement) -> tuple[int, ...]:
    answer: Classification = classify(d)
    return answer.type_numbers
