"""The command path: the one way to change a stored case, and to read what a role may read.

Every change goes the same way::

    user id (authenticated by the host)
      -> Actor from the council's directory          (never a role or name the caller types)
      -> load the stored version
      -> authorise the step for that actor           (workflow.steps.PERMISSIONS; refusals audited)
      -> apply it                                    (the case's own rules)
      -> check the new version against the stored one (workflow.invariants)
      -> save case, new audit entries, clock rows and the outbox messages the law attaches
         to the change (sen_disagreement.messages) in ONE transaction,
         refused if the stored version moved on (optimistic concurrency)
      -> tell the plugins that observe case events   (isolated; one deadline for the save)

The store checks the history rules again inside its transaction, for callers that bypass this
service. Observers are told after the save: a plugin that raises, returns something or hangs
cannot undo or corrupt the saved case; it is parked for manual attention instead.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from attrs import define, field, frozen

from sen_disagreement import messages
from sen_disagreement._checks import (
    CASE_ID,
    CASE_ID_SHAPE,
    COUNCIL,
    COUNCIL_SHAPE,
    check_shape,
    check_utc,
)
from sen_disagreement.actors import (
    FACILITATOR_ROLES,
    SYSTEM,
    Actor,
    ActorDirectory,
    Role,
    resolve,
)
from sen_disagreement.council import (
    CaseContext,
    CaseEvent,
    CouncilProfile,
    PluginFault,
    Routing,
    StoreAttentionQueue,
    canonical_council,
    no_provider_error,
    route_provider,
)
from sen_disagreement.disclosure import RecordedItem
from sen_disagreement.errors import (
    AccessDeniedError,
    InvalidInputError,
    NoProviderError,
    NotFoundError,
    SenDisagreementError,
    StaleWriteError,
)
from sen_disagreement.parties import PEOPLE
from sen_disagreement.plugins import DEFAULT_TIMEOUT, Hooks, make_plugin_manager
from sen_disagreement.plugins.faults import FaultKind
from sen_disagreement.provenance import Provenance, Rule, U, cite
from sen_disagreement.settings import DEFAULT_SETTINGS, Settings
from sen_disagreement.store import CaseRecord, DeadlineHit, Store, open_store
from sen_disagreement.store.contract import APPEAL_STATUS, check_deadline_query
from sen_disagreement.workflow import Case, CaseParty, records
from sen_disagreement.workflow.access import (
    ACCESS_RULE,
    acting_party,
    attached_reason,
    read_item,
    readable_items,
)
from sen_disagreement.workflow.audit import AuditEntry, make_entry
from sen_disagreement.workflow.disagreement_resolution import DisagreementResolutionCase
from sen_disagreement.workflow.issues import Issue
from sen_disagreement.workflow.mediation import (
    MEDIATION_MACHINE,
    DecisionNotice,
    MediationCase,
    MediationEvent,
    MediationState,
)
from sen_disagreement.workflow.steps import (
    AssignProvider,
    Step,
    Sweep,
    apply_step,
    authorise,
    open_steps,
    permission,
)

if TYPE_CHECKING:  # imported when called (exports: 2-5 ms; a timeline: the reports package)
    from sen_disagreement.reports.timeline import Timeline
    from sen_disagreement.workflow.exports import Redaction, SubjectAccessExport, TribunalBundle

__all__ = ["AUDIT_READ", "CLOCK_SKEW", "CaseService", "OpenDisagreementResolution",
           "OpenMediation"]

CLOCK_SKEW = dt.timedelta(minutes=5)
"""How far after the service's clock a step's time may be (clocks of two servers differ)."""

AUDIT_READ = Rule(
    "access.audit_trail",
    "A case's audit trail (who did and read what, and every refusal) is read by the officers of "
    "the council that owns the case.",
    Provenance([cite("who may read a case's audit trail (a judgement of this library)", U)]),
)
"""Rule ``access.audit_trail``: who reads a case's audit trail (:meth:`CaseService.audit_trail`,
:meth:`CaseService.may_read_audit_trail`)."""

_LOG = logging.getLogger("sen_disagreement.service")

def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _hit_order(hit: DeadlineHit) -> tuple[dt.date, str, str]:
    return (hit.due, hit.case_id, hit.clock_id)


_DEADLINE_STATUSES = ("running", APPEAL_STATUS)
"""What :meth:`CaseService.deadlines_for` shows: open duties and the appeal deadlines."""


def _first_visible(query: Callable[..., list[DeadlineHit]],
                   keep: Callable[[DeadlineHit], bool], limit: int) -> list[DeadlineHit]:
    """The first ``limit`` hits (in :func:`_hit_order`) that ``keep`` accepts, from a query
    ordered by due date that returns at most ``n`` rows. A full page is asked again with twice
    the rows until it is complete or holds ``limit`` kept hits due before its last day (the
    store breaks ties on a day in its own order, so that day may be cut short)."""
    n = limit
    while True:
        page = query(limit=n)
        kept = [h for h in page if keep(h)]
        if len(page) < n:
            return sorted(kept, key=_hit_order)[:limit]
        last = page[-1].due
        sure = [h for h in kept if h.due < last]
        if len(sure) >= limit or n >= _MAX_ROWS:
            return sorted(sure if len(sure) >= limit else kept, key=_hit_order)[:limit]
        n = min(n * 2, _MAX_ROWS)


_MAX_COUNCIL_KEYS = 1024
"""The most council keys :meth:`CaseService._canonical` keeps."""

_MAX_ROWS = 1_000_000
"""The most rows a store query returns (its ``limit`` bound)."""


def _only_before(event: MediationEvent) -> frozenset[str]:
    """The mediation states a case can be in only before ``event`` first happens: reachable
    from the start without it, and from no state it leads to."""
    def reach(starts: Iterable[MediationState], skip: MediationEvent | None
              ) -> set[MediationState]:
        seen, todo = set(starts), list(starts)
        while todo:
            here = todo.pop()
            for t in MEDIATION_MACHINE.transitions:
                if t.source is here and t.event is not skip and t.target not in seen:
                    seen.add(t.target)
                    todo.append(t.target)
        return seen

    before = reach([MEDIATION_MACHINE.initial], event)
    after = reach([t.target for t in MEDIATION_MACHINE.transitions if t.event is event], None)
    return frozenset(s.value for s in before - after)


_UNASSIGNED: Mapping[Role, frozenset[str]] = {
    # The adviser is recorded only by contact_adviser, the mediator only by arrange_meeting, so
    # a case in a state before them has none yet: its deadline rows are not that role's, and
    # the case need not be loaded to know it.
    Role.MEDIATION_ADVISER: _only_before(MediationEvent.CONTACT_ADVISER),
    Role.MEDIATOR: _only_before(MediationEvent.ARRANGE_MEETING),
}


def _parties(value: Iterable[CaseParty]) -> tuple[CaseParty, ...]:
    out = tuple(value)
    if not all(isinstance(p, CaseParty) for p in out):
        raise InvalidInputError("must be a list of CaseParty", field="parties",
                                rule_id="input.type")
    return out


def _issues(value: Iterable[Issue]) -> tuple[Issue, ...]:
    out = tuple(value)
    if not all(isinstance(i, Issue) for i in out):
        raise InvalidInputError("must be a list of Issue", field="issues", rule_id="input.type")
    return out


def _case_id(_inst: object, _attr: object, value: Any) -> None:
    check_shape(value, CASE_ID, field="case_id", rule_id="input.case_id", shape=CASE_ID_SHAPE)


def _council(_inst: object, _attr: object, value: Any) -> None:
    check_shape(value, COUNCIL, field="council", rule_id="input.council", shape=COUNCIL_SHAPE)


def _notice(_inst: object, _attr: object, value: Any) -> None:
    if not isinstance(value, DecisionNotice):
        raise InvalidInputError("must be a DecisionNotice", field="notice", rule_id="input.type")


@frozen(kw_only=True)
class OpenDisagreementResolution:
    """A referral to disagreement resolution (the opening step; an LA officer of ``council``)."""

    NAME = "open"
    case_id: str = field(validator=_case_id)
    council: str = field(validator=_council)
    parties: tuple[CaseParty, ...] = field(converter=_parties)
    issues: tuple[Issue, ...] = field(default=(), converter=_issues)


@frozen(kw_only=True)
class OpenMediation:
    """The LA's notice of an appealable decision, which opens a mediation case."""

    NAME = "open"
    case_id: str = field(validator=_case_id)
    council: str = field(validator=_council)
    parties: tuple[CaseParty, ...] = field(converter=_parties)
    notice: DecisionNotice = field(validator=_notice)


@frozen
class _PluginDirectory:
    """The installed plugins' ``sen_resolve_actor`` hook as an :class:`ActorDirectory`."""

    hooks: Hooks

    def resolve(self, user_id: str) -> Actor | None:
        return self.hooks.resolve_actor(user_id)


@define
class CaseService:
    """Cases of many councils in one store, with their councils' plugins and actor directory.

    ``directory``: who a user id is. ``None`` asks the installed plugins' ``sen_resolve_actor``
    hook (a council binds it to its own identity system).

    A council is named by its GSS code, slug, LA number or name wherever the service takes one
    (:func:`~sen_disagreement.council.canonical_council`); a case is stored under its council's
    GSS code. ``settings`` are those of a council whose plugin supplies none through
    ``sen_council_settings``; the settings in force when a case opens are pinned to it and
    stored with it."""

    store: Store
    hooks: Hooks
    directory: ActorDirectory | None = None
    settings: Settings = DEFAULT_SETTINGS
    observer_budget: float | None = None
    """Seconds all observers of one save may take together (default: the plugin timeout)."""
    clock: Callable[[], dt.datetime] = field(default=_utcnow, repr=False)
    """The time of a step when the caller gives none."""
    _councils: tuple[object, dict[object, CouncilProfile]] = field(
        factory=lambda: (None, {}), init=False, repr=False, eq=False)
    """The profile each council key named, and the plugins' declarations it was read from."""

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        directory: ActorDirectory | None = None,
        load_entry_points: bool = True,
        timeout: float | None = DEFAULT_TIMEOUT,
        settings: Settings = DEFAULT_SETTINGS,
    ) -> CaseService:
        """Open the store named by ``url`` (see :func:`sen_disagreement.store.open_store`) and a
        plugin manager loaded from the installed council plugins."""
        store = open_store(url)
        pm = make_plugin_manager(load_entry_points=load_entry_points)
        hooks = Hooks(pm, timeout=timeout, attention=StoreAttentionQueue(store))
        return cls(store, hooks, directory, settings)

    # --- who acts -------------------------------------------------------------------------------

    def actor(self, user: str | Actor) -> Actor:
        """The directory's actor for ``user`` (a user id, or an :class:`Actor` that must be exactly
        what the directory says for its id: a hand-built actor with another role, council or
        grants is refused)."""
        uid = user.actor_id if isinstance(user, Actor) else user
        directory = self.directory if self.directory is not None else _PluginDirectory(self.hooks)
        found = resolve(directory, uid)
        if isinstance(user, Actor) and user != found:
            raise AccessDeniedError(
                f"user {uid}: the actor given is not what the council's directory says",
                rule_id="who.directory", citation="sen-disagreement trust boundary",
            )
        return found

    # --- councils and routing -------------------------------------------------------------------

    def council(self, key: str) -> CouncilProfile:
        """The installed council ``key`` (GSS code, slug, LA number or name) names; raises
        :class:`~sen_disagreement.council.UnknownCouncilError` naming the installed ones."""
        return self._canonical(key)

    def _canonical(self, value: str | CouncilProfile) -> CouncilProfile:
        """:func:`canonical_council` (about 26 lookups a case), each answer kept while the
        facade's council declarations are the same object: it makes a new one whenever the
        implementations of ``sen_register_councils`` change, and on every call while one of
        them faults, so a changed plugin set is never answered from the cache. Refusals are
        not kept (they raise again, naming what is installed)."""
        key: object
        if type(value) is str:
            key = value
        elif isinstance(value, CouncilProfile):
            key = (value.gss_code,)  # its answer depends on the code only
        else:  # anything else is refused by canonical_council, uncached
            return canonical_council(self.hooks, value)
        declared = self.hooks.declarations_key()
        held, found = self._councils
        if held is not declared:
            found = {}
            self._councils = (declared, found)
        profile = found.get(key)
        if profile is None:
            profile = canonical_council(self.hooks, value)
            if len(found) < _MAX_COUNCIL_KEYS:  # spellings of a key are many; bound the memory
                found[key] = profile
        return profile

    def council_of(self, case: Case) -> CouncilProfile:
        """The installed council a case belongs to (its ``council`` is its GSS code; a case
        stored before that may hold the slug)."""
        profile = self._profile(case.council)
        if profile is None:
            raise no_provider_error(case.council, "no installed council plugin declares it")
        return profile

    def _profile(self, council: str) -> CouncilProfile | None:
        # The one door: a GSS code, then a slug, then an LA number, then a name, so a council
        # merely *named* like another's code is never taken for it.
        try:
            return self._canonical(council)
        except InvalidInputError:
            return None

    def _council_keys(self, council: str) -> tuple[str, ...]:
        profile = self._profile(council)
        if profile is None:
            return (council,)
        return tuple(dict.fromkeys((council, *profile.aliases)))

    def settings_for(self, council: str | CouncilProfile) -> Settings:
        """The settings a case of ``council`` opens under: what the council's plugin supplies
        (``sen_council_settings``), else the service's ``settings``. Raises the
        :class:`~sen_disagreement.errors.PluginError` of a plugin that faulted, rather than open
        a case under settings the council did not choose."""
        profile = self._canonical(council)
        faults: list[PluginFault] = []
        supplied = self.hooks.council_settings(profile, faults=faults)
        # An answer from a plugin not heard for the council was ignored and the owner's answer
        # stands, so it does not stop the case; a contested council (no owner) does.
        blocking = [f for f in faults
                    if f.kind is not FaultKind.CONFLICT or self._contested(profile)]
        if blocking:
            raise blocking[0].as_error()
        return self.settings if supplied is None else supplied

    def _contested(self, profile: CouncilProfile) -> bool:
        return any(o.contested for o in self.hooks.ownership()
                   if o.council.gss_code == profile.gss_code)

    def _stored_settings(self, council: str) -> Settings:
        """For a case stored before settings were pinned: its council's settings of today."""
        profile = self._profile(council)
        supplied = None if profile is None else self.hooks.council_settings(profile)
        return self.settings if supplied is None else supplied

    def _settings_of(self, council: str) -> Callable[[], Settings]:
        """:meth:`_stored_settings` of ``council``, asked only if the stored document has no
        settings of its own (every document written since they were pinned has them)."""
        return functools.partial(self._stored_settings, council)

    # --- store queries by council -----------------------------------------------------------------

    def find_cases(
        self, council: str, *, kind: str | None = None, state: str | None = None,
        after_case_id: str | None = None, limit: int = 1000,
    ) -> list[CaseRecord]:
        """Current cases of ``council`` (any of its keys: a case stored under its slug and one
        under its GSS code are the same council's), ordered by case id; page with
        ``after_case_id``. Raises :class:`~sen_disagreement.council.UnknownCouncilError`."""
        profile = self._canonical(council)
        found: dict[str, CaseRecord] = {}
        for key in profile.aliases:
            for record in self.store.find_cases(key, kind=kind, state=state,
                                                after_case_id=after_case_id, limit=limit):
                found.setdefault(record.case_id, record)
        return [found[k] for k in sorted(found)][:limit]

    def deadlines_between(
        self, start: dt.date | None, end: dt.date, *, council: str, clock_id: str | None = None,
        status: str = "running", kind: str | None = None, limit: int = 10_000,
    ) -> list[DeadlineHit]:
        """:meth:`Store.deadlines_between` for the cases of ``council`` (any of its keys)."""
        profile = self._canonical(council)
        hits = [hit for key in profile.aliases
                for hit in self.store.deadlines_between(start, end, clock_id=clock_id,
                                                        status=status, council=key, kind=kind,
                                                        limit=limit)]
        return sorted(hits, key=_hit_order)[:limit]

    def overdue(
        self, today: dt.date, *, council: str, clock_id: str | None = None,
        kind: str | None = None, limit: int = 10_000,
    ) -> list[DeadlineHit]:
        """:meth:`Store.overdue` for the cases of ``council`` (any of its keys)."""
        profile = self._canonical(council)
        hits = [hit for key in profile.aliases
                for hit in self.store.overdue(today, clock_id=clock_id, council=key, kind=kind,
                                              limit=limit)]
        return sorted(hits, key=_hit_order)[:limit]

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

    # --- reading ----------------------------------------------------------------------------------

    def load(self, case_id: str) -> tuple[Case, int]:
        """The stored case and its version (for the library's own use and for a host that shows
        it to a user through :meth:`readable_items`)."""
        record = self.store.load(case_id)
        case = records.from_record(record, settings=self._settings_of(record.council))
        return case, record.version

    def readable_items(self, case_id: str, user: str | Actor, *, at: dt.datetime | None = None
                       ) -> tuple[RecordedItem, ...]:
        """The items of a case ``user`` may read; withheld and sensitive reads are audited."""
        actor = self.actor(user)
        case, _ = self.load(case_id)
        return readable_items(case, who=actor, at=at or self._now(), sink=self.store,
                              councils=self._council_keys(case.council))

    def read_item(self, case_id: str, item_id: str, user: str | Actor, *,
                  at: dt.datetime | None = None) -> RecordedItem:
        actor = self.actor(user)
        case, _ = self.load(case_id)
        return read_item(case, item_id, who=actor, at=at or self._now(), sink=self.store,
                         councils=self._council_keys(case.council))

    def tribunal_bundle(self, case_id: str, user: str | Actor, *,
                        at: dt.datetime | None = None) -> TribunalBundle:
        """The Tribunal bundle, for a Tribunal-bundle exporter of the case's council; audited in
        the store."""
        from sen_disagreement.workflow.exports import tribunal_bundle

        actor = self.actor(user)
        case, _ = self.load(case_id)
        return tribunal_bundle(case, exporter=actor, at=at or self._now(), sink=self.store,
                               councils=self._council_keys(case.council))

    def subject_access_export(
        self, case_id: str, user: str | Actor, *, subject_id: str,
        redactions: Mapping[str, Redaction] | None = None, at: dt.datetime | None = None,
    ) -> SubjectAccessExport:
        from sen_disagreement.workflow.exports import subject_access_export

        actor = self.actor(user)
        case, _ = self.load(case_id)
        return subject_access_export(case, subject_id=subject_id, requester=actor,
                                     at=at or self._now(), sink=self.store,
                                     redactions=redactions,
                                     councils=self._council_keys(case.council))

    def case_for(self, case_id: str, user: str | Actor, *, at: dt.datetime | None = None
                 ) -> tuple[Case, int]:
        """The stored case and its version for a user with a part in it (the attachment rule of
        :mod:`~sen_disagreement.workflow.access`); otherwise an audited
        :class:`AccessDeniedError`. Its items are for the library: show a user only what
        :meth:`readable_items` returns."""
        actor = self.actor(user)
        if at is not None:
            self._when(at)  # the same bounds as a step: never in the future
        try:
            case, version = self.load(case_id)
        except NotFoundError:
            case = None
        if case is None or attached_reason(case, actor,
                                           councils=self._council_keys(case.council)):
            # One answer whether or not the case exists, so a user with no part in a case
            # cannot probe which ids are stored; the probe is audited either way, at the time
            # it happened (never a time the caller chose).
            self._audit(actor=actor.actor_id, action="case.read", case_id=case_id,
                        outcome="refused")
            raise AccessDeniedError(
                f"{actor.role.value} {actor.actor_id} may not see case {case_id} (not a case "
                "they have a part in)",
                rule_id=ACCESS_RULE.rule_id, citation=ACCESS_RULE.cite(),
            )
        return case, version

    def timeline_for(self, case_id: str, user: str | Actor, *, on: dt.date | None = None
                     ) -> Timeline:
        """The timeline of a case as of ``on`` (default: today in England, by the service's
        clock) as ``user`` may see it: the refusal, audited, of :meth:`case_for` for a user
        with no part in the case (one answer whether or not it exists); otherwise
        :func:`~sen_disagreement.reports.timeline.build` with the items the library's read
        rule (:func:`~sen_disagreement.workflow.access.decide`) lets ``user`` read, so the step
        that recorded any other item is not on it at all. Draw it with
        :meth:`~sen_disagreement.reports.timeline.Timeline.render` (``svg``, ``png``,
        ``text``), which needs no store and may run on another thread. No item is read (a
        timeline carries no item's text, kind or class), so no item read is audited."""
        from sen_disagreement.reports._read import england_date
        from sen_disagreement.reports.timeline import build
        from sen_disagreement.workflow.access import decide

        if on is not None and (isinstance(on, dt.datetime) or not isinstance(on, dt.date)):
            raise InvalidInputError("must be a date", field="on", rule_id="input.date")
        actor = self.actor(user)
        case, _ = self.case_for(case_id, actor)
        keys = self._council_keys(case.council)
        readable = [i for i in case.items if decide(case, actor, i, councils=keys).allowed]
        return build(case, on=england_date(self._now()) if on is None else on,
                     readable=readable)

    def cases_for(self, user: str | Actor, *, council: str | None = None,
                  kind: str | None = None, state: str | None = None) -> list[CaseRecord]:
        """The current cases ``user`` has a part in (the attachment rule of
        :mod:`~sen_disagreement.workflow.access`), by case id: an officer's, its council's; a
        family member's or body officer's, those it holds a grant for; a facilitator's, those of
        the installed councils (or ``council``) it is assigned to."""
        actor = self.actor(user)
        councils = self._visible_councils(actor)
        if council is not None:
            wanted = self._council_keys(council)
            councils = (list(wanted) if actor.role in FACILITATOR_ROLES
                        else [c for c in councils if c in wanted])
        found: dict[str, CaseRecord] = {}
        for key in dict.fromkeys(councils):
            after: str | None = None
            while True:
                page = self.store.find_cases(key, kind=kind, state=state, after_case_id=after)
                found.update((r.case_id, r) for r in page)
                if len(page) < 1000:
                    break
                after = page[-1].case_id
        for grant in actor.grants:
            try:
                record = self.store.load(grant.case_id)
            except NotFoundError:
                continue
            if (kind in (None, record.kind) and state in (None, record.state)
                    and (council is None or record.council in self._council_keys(council))):
                found[record.case_id] = record
        out = []
        for record in found.values():
            case = records.from_record(record, settings=self._settings_of(record.council))
            if acting_party(case, actor, councils=self._council_keys(case.council)) is not None:
                out.append(record)
        return sorted(out, key=lambda r: r.case_id)

    def _visible_councils(self, actor: Actor) -> list[str]:
        """The council keys whose every case ``actor`` may have a part in: an officer's or a
        Tribunal-bundle exporter's own council; every installed council for a facilitator (its
        cases among them are those it is assigned to); none for anyone else."""
        if actor.role in (Role.LA_OFFICER, Role.TRIBUNAL_EXPORTER):
            return list(self._council_keys(actor.council)) if actor.council else []
        if actor.role in FACILITATOR_ROLES:
            return [k for c in self.hooks.councils() for k in self._council_keys(c.gss_code)]
        return []

    def _reads_audit(self, actor: Actor, case_id: str) -> bool:
        """:data:`AUDIT_READ` for a stored case id (no audit: the callers record refusals)."""
        if actor.role is not Role.LA_OFFICER or not actor.council:
            return False
        try:
            record = self.store.load(case_id)
        except NotFoundError:
            return False
        # The owning council is a column of the record: no need to decode the case.
        return actor.council in self._council_keys(record.council)

    def may_read_audit_trail(self, case_id: str, user: str | Actor) -> bool:
        """Whether ``user`` may read the audit trail of ``case_id`` (rule
        ``access.audit_trail``: an officer of the council that owns the case): exactly when
        :meth:`~sen_disagreement.service.CaseService.audit_trail` would return it. Asking is
        not an attempt, so nothing is audited; ``False`` alike for a case of another council
        and for an id no case has, so the answer reveals no case. A user the directory does not
        know, or a forged actor, is refused as by :meth:`actor`."""
        actor = self.actor(user)
        check_shape(case_id, CASE_ID, field="case_id", rule_id="input.case_id",
                    shape=CASE_ID_SHAPE)
        return self._reads_audit(actor, case_id)

    def audit_trail(self, case_id: str, user: str | Actor, *, at: dt.datetime | None = None
                    ) -> list[AuditEntry]:
        """The audit trail of a case, for an officer of the council that owns it
        (:data:`AUDIT_READ`); anyone else is refused (audited, dated now), with one answer
        whether or not the case exists. Entries name actors, actions, outcomes and field
        names, never content. ``at``, when given, must not be in the future (it dates
        nothing: a refusal is dated when it happened).
        :meth:`~sen_disagreement.service.CaseService.may_read_audit_trail` asks the same
        question without a refusal."""
        actor = self.actor(user)
        if at is not None:
            self._when(at)
        if not self._reads_audit(actor, case_id):
            self._audit(actor=actor.actor_id, action="audit.read", case_id=case_id,
                        outcome="refused")
            raise AccessDeniedError(
                f"{actor.role.value} {actor.actor_id} may not read the audit trail of case "
                f"{case_id}", rule_id=AUDIT_READ.rule_id, citation=AUDIT_READ.cite(),
            )
        entries: list[AuditEntry] = []
        while True:
            page = self.store.audit_trail(case_id, after_seq=entries[-1].seq if entries
                                          else 0)
            entries.extend(page)
            if len(page) < 10_000:
                return entries

    # --- host queries: what a page shows a user -------------------------------------------------

    def steps_open_to(self, case_id: str, user: str | Actor, *, at: dt.datetime | None = None
                      ) -> list[str]:
        """The names of the steps (``Step.NAME`` of :mod:`sen_disagreement.workflow.steps`)
        ``user`` may take in case ``case_id`` now: those :meth:`apply` would not refuse for
        who the user is or for the state of the case
        (:func:`~sen_disagreement.workflow.steps.open_steps`). A step listed may still be
        refused for its fields, and ``assign_provider`` when no provider can be routed.

        A case the user has no part in (or no case of that id) gets the one audited
        :class:`AccessDeniedError` of :meth:`case_for`. ``at`` is the time the step would be
        taken (default now; never in the future): one before the case's last change opens no
        step. Nothing else is audited: asking is not an attempt."""
        actor = self.actor(user)
        case, _ = self.case_for(case_id, actor, at=at)
        return list(open_steps(case, actor, councils=self._council_keys(case.council),
                               at=self._when(at)))

    def deadlines_for(
        self, user: str | Actor, start: dt.date | None, end: dt.date, *,
        kind: str | None = None, clock_id: str | None = None, limit: int = 10_000,
    ) -> list[DeadlineHit]:
        """The deadlines due in ``[start, end]`` (``start=None``: no lower bound) of the cases
        ``user`` has a part in, the same cases as :meth:`cases_for`: the running duties (the
        reg 42 follow-up duties among them, status ``running``) and the SEN appeal deadlines
        (status ``appeal``, clock :data:`~sen_disagreement.store.contract.APPEAL_CLOCK_ID`),
        ordered by due date, case id and clock id; at most ``limit``.

        No case is loaded for an officer (the store's deadline index by council answers); a
        facilitator's are the cases with a deadline in the window, each loaded once to check it
        is assigned to them; a family member's or body officer's, the cases it holds grants
        for. A case the user has no part in never appears, whatever its deadlines."""
        actor = self.actor(user)
        check_deadline_query(start, end, clock_id, "running", None, kind, limit)
        attached: dict[str, bool] = {}

        def sees(hit: DeadlineHit) -> bool:
            # A deadline row is a mediation case's, which always has its local authority as a
            # party, so an officer of the council has a part in it; anything else is checked.
            if hit.kind == MediationCase.KIND:
                if actor.role in (Role.LA_OFFICER, Role.TRIBUNAL_EXPORTER):
                    return True
                if hit.state in _UNASSIGNED.get(actor.role, ()):
                    return False
            if hit.case_id not in attached:
                attached[hit.case_id] = self._has_part(hit.case_id, actor)
            return attached[hit.case_id]

        councils = self._visible_councils(actor)
        hits: list[DeadlineHit] = []
        for key in dict.fromkeys(councils):
            for status in _DEADLINE_STATUSES:
                query: Callable[..., list[DeadlineHit]] = functools.partial(
                    self.store.deadlines_between, start, end, clock_id=clock_id,
                    status=status, council=key, kind=kind)
                hits += _first_visible(query, sees, limit)
        for grant in actor.grants:
            if grant.case_id in attached:
                continue
            try:
                record = self.store.load(grant.case_id)
            except NotFoundError:
                continue
            if record.council in councils or kind not in (None, record.kind):
                continue  # a council's case is answered by its query above
            attached[record.case_id] = self._has_part(record, actor)
            if attached[record.case_id]:
                hits += [DeadlineHit(record.case_id, record.council, record.kind, record.state,
                                     d.clock_id, d.due, d.status) for d in record.deadlines
                         if d.status in _DEADLINE_STATUSES
                         and (start is None or start <= d.due) and d.due <= end
                         and clock_id in (None, d.clock_id)]
        return sorted(hits, key=_hit_order)[:limit]

    def _has_part(self, case: str | CaseRecord, actor: Actor) -> bool:
        """Whether ``actor`` has a part in the stored case (the attachment rule)."""
        try:
            record = self.store.load(case) if isinstance(case, str) else case
        except NotFoundError:
            return False
        loaded = records.from_record(record, settings=self._settings_of(record.council))
        return acting_party(loaded, actor, councils=self._council_keys(loaded.council)) is not None

    # --- changing ---------------------------------------------------------------------------------

    def open_case(
        self, user: str | Actor, opening: OpenDisagreementResolution | OpenMediation, *,
        at: dt.datetime | None = None,
    ) -> CaseRecord:
        """Open and store a new case: a referral to disagreement resolution, or an appealable
        decision's notice for mediation. Only an LA officer of the case's council opens one.

        The council may be named by any of its keys; the case is stored under its GSS code, with
        the settings in force (:meth:`settings_for`) pinned to it. An uninstalled council is
        refused with :class:`~sen_disagreement.council.UnknownCouncilError`."""
        actor = self.actor(user)
        when = self._when(at)
        if not isinstance(opening, OpenDisagreementResolution | OpenMediation):
            raise InvalidInputError("must be OpenDisagreementResolution or OpenMediation",
                                    field="opening", rule_id="input.type")
        profile = self._canonical(opening.council)
        kind = (DisagreementResolutionCase.KIND if isinstance(opening, OpenDisagreementResolution)
                else MediationCase.KIND)
        row = permission("open", kind)
        assert row is not None
        if actor.role not in row.roles or actor.council not in self._council_keys(
            profile.gss_code
        ):
            self._audit_refusal(actor, str(opening.case_id), "open", when)
            raise AccessDeniedError(
                f"{actor.role.value} {actor.actor_id} may not open a case for this council",
                rule_id=row.rule.rule_id, citation=row.rule.cite(),
            )
        settings = self.settings_for(profile)
        case: Case
        if isinstance(opening, OpenDisagreementResolution):
            case = DisagreementResolutionCase.refer(
                case_id=opening.case_id, council=profile.gss_code, parties=opening.parties,
                at=when, actor=actor.actor_id, issues=opening.issues, settings=settings,
            )
        else:
            case = MediationCase.notify_decision(
                case_id=opening.case_id, council=profile.gss_code, parties=opening.parties,
                notice=opening.notice, at=when, actor=actor.actor_id, settings=settings,
            )
        return self._commit(None, case, 0)

    def apply(
        self, case_id: str, user: str | Actor, step: Step, *, at: dt.datetime | None = None,
        expected_version: int | None = None,
    ) -> CaseRecord:
        """Take ``step`` in the stored case ``case_id`` as ``user``; return the saved record.

        Raises :class:`AccessDeniedError` (audited) when the user may not take the step,
        :class:`InvalidInputError` / :class:`RuleViolationError` when the case's rules refuse
        it, :class:`StaleWriteError` when the case changed since ``expected_version`` (or
        meanwhile); nothing is written in any of these."""
        return self._apply(case_id, self.actor(user), step, self._when(at), expected_version)

    def sweep(self, case_id: str, today: dt.date, *, at: dt.datetime | None = None
              ) -> CaseRecord | None:
        """Apply what the passing of ``today`` makes happen to one case (as the system actor);
        ``None`` when nothing happened."""
        record = self.store.load(case_id)
        case = records.from_record(record, settings=self._settings_of(record.council))
        new = apply_step(case, SYSTEM, Sweep(today=today), at=self._when(at))
        if len(new.audit) == len(case.audit):
            return None
        return self._commit(case, new, record.version)

    def _apply(self, case_id: str, actor: Actor, step: Step, at: dt.datetime,
               expected_version: int | None) -> CaseRecord:
        record = self.store.load(case_id)
        if expected_version is not None and record.version != expected_version:
            raise StaleWriteError(case_id, expected_version, record.version)
        case = records.from_record(record, settings=self._settings_of(record.council))
        councils = self._council_keys(case.council)
        provider = None
        try:
            if isinstance(step, AssignProvider):
                authorise(case, actor, step, councils=councils)
                routing = self.route(case)
                if routing.parked:
                    raise NoProviderError(
                        f"case {case_id}: routing met plugin faults and was parked for attention"
                    )
                provider = (routing.provider.provider_id, routing.appointee)
            new = apply_step(case, actor, step, at=at, councils=councils, provider=provider)
        except AccessDeniedError:
            self._audit_refusal(actor, case_id, step.NAME, at)
            raise
        return self._commit(case, new, record.version)

    def _commit(self, old: Case | None, new: Case, version: int) -> CaseRecord:
        # The history rules (check_successor) are the store's: its guard checks every save,
        # this one included, against the stored version, so they are not worked out twice.
        # The messages the law attaches to this change, saved in the same transaction as the
        # case (both or neither); their keys make a retried step queue nothing twice.
        outbox = messages.for_change(old, new)
        saved = records.save(self.store, new, expected_version=version, outbox=outbox)
        # The save succeeded, so the guard found ``new``'s trail extends ``old``'s.
        self._observe(new, new.audit.entries[0 if old is None else len(old.audit.entries):])
        return saved

    def _observe(self, case: Case, entries: tuple[AuditEntry, ...]) -> None:
        # No installed plugin observes case events (the usual case): then there is no one to
        # tell, no fault to park, and no events need building (~28 us a step otherwise). Asked
        # on every save (a list copy), so an observer registered later is told.
        if not self.hooks.has_implementations("sen_after_case_event"):
            return
        profile = self._profile(case.council)
        if profile is None:
            return
        self.hooks.after_case_events(
            profile,
            [CaseEvent(case_id=case.case_id, name=e.action, at=e.at) for e in entries],
            budget=self.observer_budget,
        )

    def _audit_refusal(self, actor: Actor, case_id: str, step: str, at: dt.datetime) -> None:
        # Dated now, not at the step's ``at``: a caller must not be able to date its refused
        # attempt (or keep it out of the trail with a time the store refuses).
        self._audit(actor=actor.actor_id, action=f"step.{step}", case_id=case_id,
                    outcome="refused_unauthorised")

    def _audit(self, *, actor: str, action: str, case_id: str, outcome: str) -> None:
        """Append a refusal to the audit trail, dated now. The refusal itself is what the caller
        gets: a store fault while auditing it is logged (ids only), never put in its place."""
        try:
            entry = make_entry(actor=actor, action=action, at=self._now(), case_id=case_id,
                               outcome=outcome)
        except InvalidInputError:  # a malformed case id: audit without it
            entry = make_entry(actor=actor, action=action, at=self._now(), case_id="unknown",
                               outcome=outcome)
        try:
            self.store.append_audit(entry)
        except SenDisagreementError as exc:
            _LOG.warning("refusal of %s by %s not audited: %s", action, actor,
                         type(exc).__name__)

    def _now(self) -> dt.datetime:
        return self.clock()

    def _when(self, at: dt.datetime | None) -> dt.datetime:
        """The time of a step: ``at`` (an event recorded after it happened) or now. A time after
        now is refused: a step dated in 9999 would freeze the case, every later step being
        'earlier than the last change'."""
        now = self._now()
        if at is None:
            return now
        check_utc(at, field="at")
        if at > now + CLOCK_SKEW:
            raise InvalidInputError("is in the future", field="at", rule_id="input.date_not_future")
        return at
