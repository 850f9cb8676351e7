"""A host's own :class:`~sen_disagreement.council.HooksLike` for the routing tests: one council,
its providers as given (the very objects, never copies), and its choice made by ``choose``
(by default the first candidate)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sen_disagreement.council import CaseContext, CouncilProfile, PluginFault, Provider
from sen_disagreement.parties import Party, PartyKind

NORTH = CouncilProfile(name="Northshire", gss_code="E06000901", la_number="901",
                       slug="northshire")
"""The routing tests' council (no installed plugin declares it)."""
LA = Party(kind=PartyKind.LOCAL_AUTHORITY, name="Northshire Council")
"""Its local authority, the side of the routing tests' cases."""


class HostHooks:
    def __init__(self, council: CouncilProfile, providers: Sequence[Provider],
                 choose: Callable[[Sequence[Provider]], Provider | None] | None = None) -> None:
        self.council = council
        self.offered = list(providers)
        self.choose = choose

    def councils(self, *, faults: list[PluginFault] | None = None) -> list[CouncilProfile]:
        return [self.council]

    def providers(self, council: CouncilProfile, *, case_id: str | None = None,
                  faults: list[PluginFault] | None = None) -> list[Provider]:
        return list(self.offered)

    def choose_provider(self, council: CouncilProfile, case: CaseContext,
                        candidates: Sequence[Provider], *,
                        faults: list[PluginFault] | None = None) -> Provider | None:
        if self.choose is not None:
            return self.choose(candidates)
        return candidates[0]

    def channels(self, council: CouncilProfile, *, case_id: str | None = None,
                 faults: list[PluginFault] | None = None) -> Sequence[Any]:
        return []

    def run_isolated(self, **kwargs: Any) -> bool:
        return True
