"""One place where the parts meet: cases persisted in the store, providers routed through the
council plugins, and every change told to the plugins that observe case events.

The order is deliberate. A change is saved first (the legal record), then observers are told;
an observer that raises, returns something or hangs cannot undo or corrupt the saved case: the
plugin facade isolates it and parks the case for manual attention in the store's audit trail.
"""

from __future__ import annotations

import datetime as dt

from attrs import define

from sen_disagreement.council import (
    CaseContext,
    CaseEvent,
    CouncilProfile,
    Routing,
    StoreAttentionQueue,
    no_provider_error,
    route_provider,
)
from sen_disagreement.parties import PEOPLE
from sen_disagreement.plugins import DEFAULT_TIMEOUT, Hooks, make_plugin_manager
from sen_disagreement.store import CaseRecord, Store, open_store
from sen_disagreement.workflow import Case, records
from sen_disagreement.workflow.disagreement_resolution import DisagreementResolutionCase


@define
class CaseService:
    """Cases of many councils in one store, with their councils' plugins."""

    store: Store
    hooks: Hooks

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        load_entry_points: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> CaseService:
        """Open the store named by ``url`` (see :func:`sen_disagreement.store.open_store`) and
        a plugin manager loaded from the installed council plugins."""
        store = open_store(url)
        pm = make_plugin_manager(load_entry_points=load_entry_points)
        return cls(store, Hooks(pm, timeout=timeout, attention=StoreAttentionQueue(store)))

    def council_of(self, case: Case) -> CouncilProfile:
        """The installed council a case belongs to (its ``council`` is a slug or GSS code)."""
        profile = self.hooks.find_council(case.council)
        if profile is None:
            raise no_provider_error(case.council, "no installed council plugin declares it")
        return profile

    def route(self, case: Case) -> Routing:
        """Choose the provider for ``case`` through the council's plugins; the choice has passed
        the independence rules for this case. Plugins see only the bodies, never the family."""
        context = CaseContext(
            case_id=case.case_id,
            process=case.PROCESS,
            health_in_issue=case.health_in_issue,
            bodies=[p for p in case.party_map.values() if p.kind not in PEOPLE],
        )
        return route_provider(self.hooks, self.council_of(case), context)

    def assign_routed_provider(
        self, case: DisagreementResolutionCase, *, at: dt.datetime, actor: str
    ) -> tuple[DisagreementResolutionCase, Routing]:
        """Route the case and assign the chosen provider (independence is checked again by the
        workflow). A routing met with plugin faults is returned parked and not assigned."""
        routing = self.route(case)
        if routing.parked:
            return case, routing
        provider = routing.provider
        return case.assign_provider(provider.provider_id, provider.as_party(), at=at,
                                    actor=actor), routing

    def save(self, case: Case, *, expected_version: int, written: int = 0) -> CaseRecord:
        """Persist ``case`` (refused with ``StaleWriteError`` if the stored version moved on),
        then tell observing plugins about each change not told before."""
        record = records.save(self.store, case, expected_version=expected_version,
                              written=written)
        profile = self.hooks.find_council(case.council)
        if profile is not None:
            for entry in case.audit.entries[written:]:
                self.hooks.after_case_event(
                    profile, CaseEvent(case_id=case.case_id, name=entry.action, at=entry.at)
                )
        return record
