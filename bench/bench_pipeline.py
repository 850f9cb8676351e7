"""The end-to-end case pipeline through the public API against a hand-written floor (issue 14).

Per case, both sides do the same statutory work, from a form dict to the recorded outcome:

1. the classify form (``classify-input`` JSON as a dict) is read and classified: the library
   through :func:`sen_disagreement.serialization.structure` and
   :func:`sen_disagreement.classifier.classify` (it must be eligible, type 1);
2. a disagreement-resolution case is opened by Sefton's LA officer (parent and council, two
   issues);
3. the officer seeks agreement, the parent agrees (``AcceptDecision`` by the parent's own user,
   holding a grant for the case) and the council agrees (the officer);
4. ``AssignProvider``: the provider comes from the installed Sefton plugin
   (``plugins/sen-disagreement-sefton``, Global Mediation) and is checked for independence;
5. the provider's practitioner arranges and holds the meeting and records the issue-by-issue
   outcome (one issue agreed, one not).

That is 1 opening + 7 transitions, 8 audit entries, chained per case (``store/chain.py``:
``hash = SHA-256(prev_hash, canonical row)``, the last row of each save carrying the SHA-256
of the document it stored). Disagreement resolution runs no statutory clocks (law.md 1.6), so
neither side computes a working day: the library writes no deadline row for these cases, and
both sides check that there is none.

Two variants, each library beside its floor:

* ``durable``: every step its own durable save, the web-request path. Library:
  ``CaseService.open_case`` then ``CaseService.apply`` per step (each loads the stored case,
  authorises, applies, saves: 8 transactions per case, each one fsync with WAL +
  ``synchronous=FULL``).
* ``batched``: the steps of a case applied in memory through the public workflow API
  (``DisagreementResolutionCase.refer`` after the opening's permission check,
  ``workflow.steps.apply_step`` with the directory's actors and the council's keys, routing by
  ``CaseService.route``), then one ``workflow.records.save``: one transaction per case, the
  case row and all 8 chained audit rows. (The library offers no batch of several cases each with
  its own trail; ``save_many`` is an import and writes one import row per case, so it is not
  this pipeline.)

The library side is written as a council's code would be: its library names imported once (at
set-up, as the floor reads its tables once), never by an import statement run per case.

The floor is what a performance engineer would write by hand for the same work, on plain
dicts and raw ``sqlite3``, in the same process, on the store's own schema (a file created by
the library's store, 16 KiB pages), with the store's pragmas (WAL, ``synchronous=FULL``,
``foreign_keys``, ``secure_delete``), one ``BEGIN IMMEDIATE`` ... ``COMMIT`` per save.

What the floor DOES (the library's checks, by hand):

* the form: schema version, ISO date, stage/duty/provision/party kinds against the enums'
  values, party names (1-200 characters, not blank, no control character or text-direction
  mark) and the parent's contact email (its shape), 2-20 parties, no independent role or
  child as a side, another side present, the LA's GSS code shape; the four s.57 types
  evaluated from tables precomputed from the library's type definitions (data, once per
  process), with the three reason strings of a match, and the other routes' rules;
* who acts: every user resolved in a directory dict (role, council, organisation, grants);
  the opening only by an LA officer of the council; each step's role from a permission table;
  a family user only with a grant for the case and the party; the provider's practitioner only
  for the assigned provider's organisation;
* times: UTC, not before 2014-09-01, not after now + 5 minutes, never before the case's last
  event; the meeting date not before arranging, the meeting not in the future, the outcomes
  exactly the case's issues with valid values; consent of every party before provider,
  arranging and holding;
* the state machine (a dict of (state, event) -> state), one audit entry per step with the
  library's action and field names;
* ONE plugin call per routing (the Sefton plugin's ``sen_register_providers`` function,
  called directly and in-thread, not through pluggy: a pluggy hook call would add ~3 µs),
  the provider's kind, that it is no side, and one independence check against the case's
  bodies (identifiers and employer), recording the library's rule ids;
* the document: the very same JSON text the library stores (built as dicts in sorted key order,
  ``json.dumps(ensure_ascii=False)`` with its encoder built once, as the library's is), asserted
  byte-equal to the library's for sampled cases;
* the audit rows and chain: the same rows, the chain head read from ``audit_chain`` in the
  transaction, SHA-256 of the document and of each canonical row (the library's ``link``
  format), commit time never before the chain's last; the floor's database passes the
  library's own ``Store.verify()``;
* ``durable``: per step, in one transaction: the case row (id, version, state, document) and
  its deadline rows read back; the document parsed; kind, document version, case id and state
  checked against the row and no deadline row against the document; then the history row
  (``INSERT ... SELECT``), the case row updated, the deadline rows cleared, the audit row, the
  chain head moved. ``batched``: the existence check, the case row, 8 audit rows, the head.

What the floor does NOT do (differences, so a reader can weigh the ratio):

* it does not re-validate every field of its own stored document on load, nor build typed
  objects: it parses the JSON and checks the fields it relies on (kind, version, state, case id,
  ledger, issues). The library builds typed, validated cases; within one process it structures
  a stored text once (the text a save has just written reads back as the case it was written
  from, which the store's check and the next load reuse), and it checks every new version
  against the stored one (the history rules) and the row's columns against the document;
* no separate read before the write transaction (the library reads the case in one statement,
  then writes in a transaction, reading the row again); no observer hook call (no installed plugin
  implements ``sen_after_case_events``; the library calls the hook anyway); no outbox query
  (this pipeline queues no statutory message, in either side: checked);
* no worker thread per plugin call: the library's default timeout mode hands each plugin
  call to a worker thread, except implementations marked ``@inline`` (Sefton's council,
  provider and contact hooks and the built-in defaults are); the main library rows use
  ``timeout=None`` (in-thread, as the walkthrough does) and one extra ``batched`` row keeps the
  default timeout, paired with the same floor, to show what the hand-off still costs.

Peak RSS: a fresh interpreter per side streams ``--rss-cases`` batched cases, each form made
when its case runs, the parents resolved by a directory lookup (no list of users in memory).
The floor's process imports the Sefton plugin for its one plugin call, and with it most of the
library, and reads the static tables from the library: its RSS is not that of a library-free
process.

The work before the save (``--python-work``): each side's ``build`` (the case in memory, every
step applied, its document not yet written) timed alone, warm and after a commit, to show how
much of the gap is the Python work itself and how much the cold caches each commit leaves.

Both sides run in ONE process, in interleaved rounds (the order alternates), each round a
fresh batch of case ids into the same two database files; a ratio is the median of per-round
ratios (and the ratio of the minima), so both sides saw the same noise. Peak RSS and import
time come from fresh interpreters.

Run:  .venv/bin/python bench/bench_pipeline.py [--rounds 7] [--durable 150] [--batched 500]
      [--rss-cases 10000] [--import-runs 7] [--profile 100] [--python-work 500]
      [--sweep-note TEXT] [--instructions 200]
      [--out bench/results/pipeline.md]
      (about two minutes with the defaults, two more with --instructions, which counts each
      side's instructions and data-cache misses per case under valgrind's cachegrind: a ratio
      the host's load does not move; writes bench/results/pipeline.md. The daily sweep
      over 100,000 stored cases is bench/bench_sweep.py --cases 100000; --sweep-note puts a
      paragraph about that run into the results file.)
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import hashlib
import io
import json
import os
import platform
import pstats
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "pipeline.md"
COUNCIL = "E08000014"
LA_NUMBER = "343"
OFFICER = "sen-casework-1"
PRACTITIONER = "gm-practitioner-1"
DAY0 = dt.date(2025, 1, 13)
UTC = dt.UTC
CLOCK_SKEW = dt.timedelta(minutes=5)
EARLIEST_EVENT = dt.datetime(2014, 9, 1, tzinfo=UTC)
KIND = "disagreement_resolution"

Form = dict[str, Any]
FloorCase = tuple[str, str, list[tuple[int, str, str, str, tuple[str, ...]]], dict[str, Any]]
"""A case the floor built in memory: (case id, state, audit rows, document as dicts)."""


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), UTC)


def case_ids(tag: str, n: int) -> list[str]:
    return [f"sefton-dr-{tag}-{k:06d}" for k in range(n)]


def parent_user(case_id: str) -> str:
    return f"parent-{case_id}"


def form(case_id: str, k: int) -> Form:
    """What a council's web form hands over: the classify input, the case id, the parent's
    contact (kept with the case, never classified)."""
    return {
        "case_id": case_id,
        "contact": {"email": f"parent{k}@example.org"},
        "disagreement": {
            "schema_version": 1,
            "date": DAY0.isoformat(),
            "stage": "assessment_requested",
            "duty": "assess",
            "parties": [
                {"kind": "parent", "name": f"Sam Parent {k}"},
                {"kind": "local_authority", "name": "Sefton Council",
                 "identifiers": {"gss_code": COUNCIL, "la_number": LA_NUMBER}},
            ],
        },
    }


# The step plan of every case: (user, step name, arguments, time). The same for both sides.
MEETING = DAY0 + dt.timedelta(days=17)
PLAN: tuple[tuple[str, str, dict[str, Any], dt.datetime], ...] = (
    (OFFICER, "seek_agreement", {}, at(DAY0, 11)),
    ("<parent>", "agree", {"party_id": "parent"}, at(DAY0 + dt.timedelta(days=2))),
    (OFFICER, "agree", {"party_id": "sefton"}, at(DAY0 + dt.timedelta(days=3))),
    (OFFICER, "assign_provider", {}, at(DAY0 + dt.timedelta(days=3), 12)),
    (PRACTITIONER, "arrange_meeting", {"meeting_date": MEETING}, at(DAY0 + dt.timedelta(days=4))),
    (PRACTITIONER, "hold_meeting", {"on": MEETING}, at(MEETING, 15)),
    (PRACTITIONER, "record_outcome", {"outcomes": {"assess": "agreed", "speech": "not_agreed"}},
     at(MEETING, 16)),
)
OPENED_AT = at(DAY0)


# =============================================================================================
# The library side (public API only)
# =============================================================================================


def _library_names() -> Any:
    """The library names the library side uses, imported once (see :class:`Library`)."""
    import types

    from sen_disagreement.classifier import Disagreement, Eligible, classify
    from sen_disagreement.ehc import Duty, PlanSection
    from sen_disagreement.serialization import structure
    from sen_disagreement.service import OpenDisagreementResolution
    from sen_disagreement.workflow import (
        CaseParty,
        DisagreementResolutionCase,
        PartyContact,
        records,
        steps,
    )
    from sen_disagreement.workflow.issues import Issue, IssueOutcome

    return types.SimpleNamespace(
        Disagreement=Disagreement, Eligible=Eligible, classify=classify, Duty=Duty,
        PlanSection=PlanSection, structure=structure,
        OpenDisagreementResolution=OpenDisagreementResolution, CaseParty=CaseParty,
        DisagreementResolutionCase=DisagreementResolutionCase, PartyContact=PartyContact,
        records=records, steps=steps, Issue=Issue, IssueOutcome=IssueOutcome)


class StreamDirectory:
    """A directory that knows every case's parent without holding a list of them (the RSS
    runs stream cases; a council's directory is a lookup, not a list in memory)."""

    def __init__(self, fixed: Iterable[Any]) -> None:
        from sen_disagreement import actors

        self.fixed = {a.actor_id: a for a in fixed}
        self.actors = actors  # imported once, not on every lookup

    def resolve(self, user_id: str) -> Any:
        found = self.fixed.get(user_id)
        if found is None and user_id.startswith("parent-"):
            a = self.actors
            found = a.Actor(actor_id=user_id, role=a.Role.FAMILY,
                            grants={a.CaseGrant(case_id=user_id[7:], party_id="parent")})
        return found


class Library:
    """The library's pipeline on its own SQLite file."""

    def __init__(self, path: Path, ids: Iterable[str], *, threaded: bool = False,
                 stream: bool = False) -> None:
        from sen_disagreement.actors import Actor, CaseGrant, Role, StaticActorDirectory
        from sen_disagreement.plugins import DEFAULT_TIMEOUT
        from sen_disagreement.service import CaseService

        # The library's names, imported once (as a caller imports at the top of its module,
        # and as the floor reads its tables once): an import statement inside a method runs
        # the import machinery on every call, ~55,000 instructions a case for the ones these
        # methods would make.
        self.lib = _library_names()

        users = [Actor(actor_id=OFFICER, role=Role.LA_OFFICER, council=COUNCIL),
                 Actor(actor_id=PRACTITIONER, role=Role.PROVIDER,
                       organisation="global-mediation")]
        directory: Any
        if stream:
            directory = StreamDirectory(users)
        else:
            users += [Actor(actor_id=parent_user(c), role=Role.FAMILY,
                            grants={CaseGrant(case_id=c, party_id="parent")}) for c in ids]
            directory = StaticActorDirectory(users)
        # timeout=None calls plugins in-thread (as the walkthrough does); ``threaded`` keeps
        # the default: each plugin call in a worker thread, bounded by the timeout.
        self.service = CaseService.open(f"sqlite:///{path}",
                                        timeout=DEFAULT_TIMEOUT if threaded else None,
                                        directory=directory)

    def _steps(self, fam: str) -> list[tuple[str, Any, dt.datetime]]:
        st, IssueOutcome = self.lib.steps, self.lib.IssueOutcome
        made: list[tuple[str, Any, dt.datetime]] = []
        for user, name, args, when in PLAN:
            who = fam if user == "<parent>" else user
            step: Any
            if name == "seek_agreement":
                step = st.SeekAgreement()
            elif name == "agree":
                step = st.AcceptDecision(party_id=args["party_id"])
            elif name == "assign_provider":
                step = st.AssignProvider()
            elif name == "arrange_meeting":
                step = st.ArrangeMeeting(meeting_date=args["meeting_date"])
            elif name == "hold_meeting":
                step = st.HoldMeeting(on=args["on"])
            else:
                step = st.RecordOutcome(outcomes={k: IssueOutcome(v)
                                                  for k, v in args["outcomes"].items()})
            made.append((who, step, when))
        return made

    def _opening(self, data: Form) -> tuple[Any, Any]:
        lib = self.lib
        d = lib.structure(data["disagreement"], lib.Disagreement)
        answer = lib.classify(d)
        assert isinstance(answer, lib.Eligible) and answer.type_numbers == (1,)
        contact = lib.PartyContact(email=data["contact"]["email"])
        parties = [lib.CaseParty("parent", d.parties[0], contact),
                   lib.CaseParty("sefton", d.parties[1])]
        issues = [lib.Issue(issue_id="assess", duty=lib.Duty.ASSESS),
                  lib.Issue(issue_id="speech", section=lib.PlanSection.F)]
        return parties, issues

    def durable(self, data: Form) -> None:
        parties, issues = self._opening(data)
        case_id = data["case_id"]
        svc = self.service
        svc.open_case(OFFICER, self.lib.OpenDisagreementResolution(
            case_id=case_id, council=COUNCIL, parties=parties, issues=issues), at=OPENED_AT)
        for who, step, when in self._steps(parent_user(case_id)):
            svc.apply(case_id, who, step, at=when)

    def batched(self, data: Form) -> None:
        self.save_built(self.build(data))

    def save_built(self, case: Any) -> None:
        """The one save of a case :meth:`build` made: its document written, then one
        transaction (the case row, 8 audit rows, the chain head)."""
        self.lib.records.save(self.service.store, case, expected_version=0)

    def build(self, data: Form) -> Any:
        """The batched pipeline's work before its transaction: the case in memory, every step
        applied."""
        DisagreementResolutionCase, st = self.lib.DisagreementResolutionCase, self.lib.steps
        parties, issues = self._opening(data)
        case_id = data["case_id"]
        svc = self.service
        officer = svc.actor(OFFICER)
        # The council as open_case finds it: through the service, which keeps each key's
        # profile while the plugins' council declarations are unchanged.
        profile = svc.council(COUNCIL)
        row = st.permission("open", DisagreementResolutionCase.KIND)
        assert row is not None and officer.role in row.roles and officer.council == COUNCIL
        case: Any = DisagreementResolutionCase.refer(
            case_id=case_id, council=profile.gss_code, parties=parties, at=OPENED_AT,
            actor=officer.actor_id, issues=issues, settings=svc.settings_for(profile))
        councils = tuple(dict.fromkeys((profile.gss_code, *profile.aliases)))
        for who, step, when in self._steps(parent_user(case_id)):
            provider = None
            if isinstance(step, st.AssignProvider):
                routing = svc.route(case)
                assert not routing.parked
                provider = (routing.provider.provider_id, routing.appointee)
            case = st.apply_step(case, svc.actor(who), step, at=when, councils=councils,
                                 provider=provider)
        return case

    def close(self) -> None:
        self.service.store.close()


# =============================================================================================
# The floor: the same work by hand, dicts and raw sqlite3
# =============================================================================================

# Encoders built once, as the library builds its own (json.dumps with options builds one anew
# on every call): the same bytes, no slower than the library's choice.
_CANON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True)
_DOCUMENT = json.JSONEncoder(ensure_ascii=False)


def _us(value: dt.datetime, _epoch: dt.datetime = dt.datetime(1970, 1, 1, tzinfo=UTC)) -> int:
    return (value - _epoch) // dt.timedelta(microseconds=1)


def _link(prev: str, row: tuple[Any, ...]) -> str:
    """store/chain.py's link: SHA-256 of the canonical JSON of (prev, row) with times in µs."""
    at_us, actor, action, case_id, outcome, fields, committed_us, doc_version, doc_hash = row
    canonical = _CANON.encode([prev, at_us, actor, action, case_id, outcome, fields,
                               committed_us, doc_version, doc_hash])
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


# The library's checks of a party's name (no control character or text-direction mark) and of
# a contact's email address, as a hand-written floor would write them.
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                     "\u2066-\u2069\ud800-\udfff]")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}"
                    r"(?:\.[A-Za-z0-9-]{1,63})+")


class FloorError(Exception):
    pass


def _party_doc(kind: str, name: str | None, ids: dict[str, Any]) -> dict[str, Any]:
    return {"acting_for_young_person_lacking_capacity": False, "date_of_birth": None,
            "employer": None,
            "identifiers": {"gss_code": ids.get("gss_code"), "la_number": ids.get("la_number"),
                            "ods_code": ids.get("ods_code"), "ukprn": ids.get("ukprn"),
                            "urn": ids.get("urn")},
            "kind": kind, "name": name}


def _iso(t: dt.datetime) -> str:
    return t.isoformat()


class Floor:
    """The hand-written pipeline. Static data (enum values, the s.57 type tables, the
    permission table, the settings the case pins, the independence rule ids) is read once at
    set-up, from the library where it is the library's data: no library code runs per case
    except the Sefton plugin's one hook function."""

    ID_KEYS = frozenset({"gss_code", "la_number", "ods_code", "ukprn", "urn"})
    PARTY_KEYS = frozenset({"kind", "name", "identifiers", "date_of_birth", "employer",
                            "acting_for_young_person_lacking_capacity"})
    FORM_KEYS = frozenset({"schema_version", "date", "parties", "stage", "provision", "duty"})

    def __init__(self, path: Path, ids: Iterable[str], *, stream: bool = False) -> None:
        import sen_disagreement_sefton.plugin as sefton

        from sen_disagreement import classifier
        from sen_disagreement.council import CouncilProfile
        from sen_disagreement.disagreement_types import ALL_TYPES
        from sen_disagreement.ehc import Duty, EhcStage, Provision
        from sen_disagreement.parties import (
            EDUCATION_PROVIDERS,
            FAMILY,
            HEALTH_COMMISSIONING_BODIES,
            INDEPENDENT_ROLES,
            PartyKind,
        )
        from sen_disagreement.serialization import unstructure
        from sen_disagreement.settings import DEFAULT_SETTINGS

        self.stages = {s.value: s.label for s in EhcStage}
        self.duties = {d.value: d.label for d in Duty}
        self.provisions = frozenset(p.value for p in Provision)
        self.kinds = frozenset(k.value for k in PartyKind)
        self.family = frozenset(k.value for k in FAMILY)
        self.independent = frozenset(k.value for k in INDEPENDENT_ROLES) | {"child"}
        self.health = frozenset(k.value for k in HEALTH_COMMISSIONING_BODIES)
        self.education = frozenset(k.value for k in EDUCATION_PROVIDERS)
        self.max_parties = classifier.MAX_PARTIES
        labels = {k.value: k.label for k in PartyKind}
        self.types = [
            (t.number, t.family_party,
             [(frozenset(k.value for k in limb.other_side),
               frozenset(p.value for p in limb.provision),
               frozenset(d.value for d in limb.duties),
               frozenset(s.value for s in limb.stages), limb.description)
              for limb in t.limbs])
            for t in ALL_TYPES
        ]
        self.labels = labels
        self.settings_doc = dict(sorted(unstructure(DEFAULT_SETTINGS).items()))
        # Who may take each step (the library's permission table, read once).
        from sen_disagreement.workflow import steps as st

        self.roles: dict[str, frozenset[str]] = {}
        for name in ("open", "seek_agreement", "agree", "assign_provider", "arrange_meeting",
                     "hold_meeting", "record_outcome"):
            row = st.permission(name, KIND)
            assert row is not None
            self.roles[name] = frozenset(r.value for r in row.roles)
        # The directory: the same users as the library's.
        self.users: dict[str, tuple[str, str | None, str | None, frozenset[tuple[str, str]]]] = {
            OFFICER: ("la_officer", COUNCIL, None, frozenset()),
            PRACTITIONER: ("provider", None, "global-mediation", frozenset()),
        }
        self.stream = stream
        for c in ids:
            self.users[parent_user(c)] = ("family", None, None, frozenset({(c, "parent")}))
        self.sefton = sefton
        self.profile = next(p for p in sefton.sen_register_councils()
                            if p.gss_code == COUNCIL)
        assert isinstance(self.profile, CouncilProfile)
        self.council_keys = frozenset((self.profile.gss_code, *self.profile.aliases))
        self.independence_rules = [
            "s57.independence.local_authority", "s57.independence.health_body",
            "s57.independence.integrated_care_board", "independence.education_provider"]
        self.c = sqlite3.connect(path, isolation_level=None)
        assert self.c.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        self.c.execute("PRAGMA synchronous=FULL")
        self.c.execute("PRAGMA foreign_keys=ON")
        self.c.execute("PRAGMA secure_delete=ON")

    # --- the form ----------------------------------------------------------------------------

    def classify(self, d: Any) -> list[tuple[int, tuple[str, str, str]]]:
        if not isinstance(d, dict) or not d.keys() <= self.FORM_KEYS:
            raise FloorError("form: unknown or missing fields")
        if d.get("schema_version", 1) != 1:
            raise FloorError("schema_version")
        date = d.get("date")
        if not isinstance(date, str) or len(date) != 10:
            raise FloorError("date")
        dt.date.fromisoformat(date)
        stage = d.get("stage")
        if stage not in self.stages:
            raise FloorError("stage")
        duty = d.get("duty")
        if duty is not None and duty not in self.duties:
            raise FloorError("duty")
        provision = d.get("provision", [])
        if not isinstance(provision, list) or not all(
                p in self.provisions for p in provision):
            raise FloorError("provision")
        parties = d.get("parties")
        if not isinstance(parties, list) or not 2 <= len(parties) <= self.max_parties:
            raise FloorError("parties")
        kinds: set[str] = set()
        family = False
        for p in parties:
            if not isinstance(p, dict) or not p.keys() <= self.PARTY_KEYS:
                raise FloorError("party")
            kind = p.get("kind")
            if kind not in self.kinds or kind in self.independent:
                raise FloorError("party.kind")
            name = p.get("name")
            if name is not None and (not isinstance(name, str) or not 0 < len(name) <= 200
                                     or not name.strip() or _HIDDEN.search(name) is not None):
                raise FloorError("party.name")
            ids = p.get("identifiers", {})
            if not isinstance(ids, dict) or not ids.keys() <= self.ID_KEYS or not all(
                    isinstance(v, str) for v in ids.values()):
                raise FloorError("party.identifiers")
            gss = ids.get("gss_code")
            if gss is not None and (len(gss) != 9 or gss[0] not in "EW" or not gss[1:].isdigit()):
                raise FloorError("party.gss_code")
            if kind in self.family:
                family = True
            else:
                kinds.add(kind)
        if not kinds:
            raise FloorError("parties: no other side")
        matches: list[tuple[int, tuple[str, str, str]]] = []
        for number, family_party, limbs in self.types:
            if family_party != family:
                continue
            if not family_party and ("local_authority" not in kinds or not kinds & self.health):
                continue
            for other, prov, duties, stages, description in limbs:
                if not kinds & other or (prov and not prov & set(provision)) or (
                        duties and duty not in duties) or stage not in stages:
                    continue
                against = sorted(self.labels[k] for k in kinds & other)
                matches.append((number, (f"a parent or young person disagrees with {against}",
                                         f"about {description}",
                                         f"at stage '{self.stages[stage]}'")))
                break
        routes = []
        if "local_authority" in kinds:
            routes += ["local_authority_complaint", "local_government_and_social_care_ombudsman"]
            if stage != "no_plan":
                routes.append("tribunal_appeal")
        if kinds & self.education:
            routes.append("setting_complaint")
        if family:
            routes.append("disability_discrimination_claim")
        return matches

    # --- the case as the library stores it ------------------------------------------------

    def new_document(self, data: Form) -> dict[str, Any]:
        email = data["contact"]["email"]
        if not isinstance(email, str) or len(email) > 254 or _EMAIL.fullmatch(email) is None:
            raise FloorError("contact.email")
        d = data["disagreement"]
        parent, la = d["parties"]
        case_id = data["case_id"]
        return {"case": {
            "arranged_on": None,
            "audit": {"case_id": case_id, "entries": []},
            "case_id": case_id, "closed_on": None, "closure": None, "council": COUNCIL,
            "created_at": _iso(OPENED_AT), "held_on": None, "independence_rules": [],
            "issues": {"issues": [{"duty": "assess", "issue_id": "assess", "section": None},
                                  {"duty": None, "issue_id": "speech", "section": "F"}],
                       "outcomes": []},
            "items": [],
            "ledger": {"entries": [], "process": KIND},
            "meeting_date": None,
            "parties": [
                {"contact": {"email": data["contact"]["email"], "phone": None, "postal": []},
                 "party": _party_doc(parent["kind"], parent.get("name"),
                                     parent.get("identifiers", {})),
                 "party_id": "parent"},
                {"contact": None,
                 "party": _party_doc(la["kind"], la.get("name"), la.get("identifiers", {})),
                 "party_id": "sefton"},
            ],
            "provider": None,
            "settings": dict(self.settings_doc),
            "state": "referred",
        }, "document_version": 1, "kind": KIND}

    def check_time(self, case: dict[str, Any], when: dt.datetime, now: dt.datetime) -> None:
        if when.tzinfo is not UTC or when < EARLIEST_EVENT or when > now + CLOCK_SKEW:
            raise FloorError("at")
        entries = case["audit"]["entries"]
        if entries and _iso(when) < entries[-1]["at"]:  # same offset: ISO text sorts as time
            raise FloorError("at: before the last event")

    def authorise(self, case: dict[str, Any], user: str, name: str, args: dict[str, Any]) -> str:
        """The acting party id (or the user) when ``user`` may take ``name``; else raise."""
        found = self.users.get(user)
        if found is None and self.stream and user.startswith("parent-"):
            found = ("family", None, None, frozenset({(user[7:], "parent")}))
        if found is None:
            raise FloorError("unknown user")
        role, council, org, grants = found
        if role not in self.roles[name]:
            raise FloorError(f"{role} may not {name}")
        if role == "la_officer":
            if council not in self.council_keys or case["council"] not in self.council_keys:
                raise FloorError("another council")
            if name == "agree":
                party = next(p for p in case["parties"] if p["party_id"] == args["party_id"])
                if party["party"]["kind"] != "local_authority":
                    raise FloorError("an officer agrees only for the council")
            return "sefton"
        if role == "family":
            if (case["case_id"], args.get("party_id", "parent")) not in grants:
                raise FloorError("no grant")
            return "parent"
        provider = case["provider"]
        if provider is None or provider["party_id"] != org:
            raise FloorError("not the case's provider")
        return user

    def step(self, doc: dict[str, Any], user: str, name: str, args: dict[str, Any],
             when: dt.datetime, now: dt.datetime) -> tuple[str, tuple[str, ...]]:
        """Apply one step to the document in place; return the audit action and fields."""
        case = doc["case"]
        self.check_time(case, when, now)
        acting = self.authorise(case, user, name, args)
        state = case["state"]
        fields: tuple[str, ...]
        if name == "seek_agreement":
            if state != "referred":
                raise FloorError("transition")
            case["state"] = "seeking_agreement"
            action, fields = "dr.seek_agreement", ()
        elif name == "agree":
            if state != "seeking_agreement":
                raise FloorError("transition")
            party_id = args["party_id"]
            ledger = case["ledger"]["entries"]
            if any(e["party_id"] == party_id for e in ledger):
                raise FloorError("already agreed")
            ledger.append({"at": _iso(when), "decision": "agreed",
                           "on_behalf_lacking_capacity": False, "party_id": party_id,
                           "recorded_by": acting})
            agreed = {e["party_id"] for e in ledger if e["decision"] == "agreed"}
            if agreed >= {p["party_id"] for p in case["parties"]}:
                case["state"] = "all_agreed"
                action = "dr.all_agreed"
            else:
                action = "dr.record_agreement"
            fields = ("ledger",)
        elif name == "assign_provider":
            if state != "all_agreed":
                raise FloorError("transition")
            case["provider"] = self.route(case)
            case["independence_rules"] = list(self.independence_rules)
            case["state"] = "provider_assigned"
            action, fields = "dr.assign_provider", ("provider",)
        elif name == "arrange_meeting":
            if state != "provider_assigned":
                raise FloorError("transition")
            meeting: dt.date = args["meeting_date"]
            if meeting < when.date():
                raise FloorError("meeting_date")
            self.all_agreed(case)
            case["meeting_date"] = meeting.isoformat()
            case["arranged_on"] = when.date().isoformat()
            case["state"] = "meeting_arranged"
            action, fields = "dr.arrange_meeting", ("meeting_date",)
        elif name == "hold_meeting":
            if state != "meeting_arranged":
                raise FloorError("transition")
            on: dt.date = args["on"]
            if on.isoformat() < case["arranged_on"] or on > when.date():
                raise FloorError("on")
            self.all_agreed(case)
            case["held_on"] = on.isoformat()
            case["state"] = "meeting_held"
            action, fields = "dr.hold_meeting", ("held_on",)
        else:
            if state != "meeting_held":
                raise FloorError("transition")
            outcomes: dict[str, str] = args["outcomes"]
            issue_ids = [i["issue_id"] for i in case["issues"]["issues"]]
            if sorted(outcomes) != sorted(issue_ids) or not all(
                    v in ("agreed", "partly_agreed", "not_agreed") for v in outcomes.values()):
                raise FloorError("outcomes")
            case["issues"]["outcomes"] = [[i, outcomes[i]] for i in issue_ids]
            case["state"] = "outcome_recorded"
            action, fields = "dr.record_outcome", ("outcomes",)
        self.entry(case, when, user, action, fields)
        return action, fields

    def all_agreed(self, case: dict[str, Any]) -> None:
        agreed = {e["party_id"] for e in case["ledger"]["entries"] if e["decision"] == "agreed"}
        if not agreed >= {p["party_id"] for p in case["parties"]}:
            raise FloorError("consent")

    def entry(self, case: dict[str, Any], when: dt.datetime, user: str, action: str,
              fields: tuple[str, ...]) -> None:
        case["audit"]["entries"].append(
            {"action": action, "actor": user, "at": _iso(when), "case_id": case["case_id"],
             "committed_at": None, "fields": list(fields), "outcome": "ok", "seq": 0})

    def route(self, case: dict[str, Any]) -> dict[str, Any]:
        """One plugin call, one independence check."""
        providers = self.sefton.sen_register_providers(self.profile)
        if len(providers) != 1:
            raise FloorError("no provider")
        provider = providers[0]
        party = provider.as_party()
        if party.kind.value != "disagreement_resolution_provider":
            raise FloorError("provider kind")
        if any(p["party_id"] == provider.provider_id for p in case["parties"]):
            raise FloorError("the provider is a side")
        ids = {k: v for k, v in (("gss_code", party.identifiers.gss_code),
                                 ("la_number", party.identifiers.la_number),
                                 ("ods_code", party.identifiers.ods_code),
                                 ("ukprn", party.identifiers.ukprn),
                                 ("urn", party.identifiers.urn)) if v is not None}
        for p in case["parties"]:
            body = p["party"]
            if body["kind"] in self.family:
                continue
            theirs = body["identifiers"]
            if any(theirs.get(k) == v for k, v in ids.items()) or (
                    party.employer is not None and party.employer == body["name"]):
                raise FloorError("not independent")
        return {"contact": None,
                "party": _party_doc(party.kind.value, party.name, ids),
                "party_id": provider.provider_id}

    # --- the two variants ----------------------------------------------------------------

    def open_doc(self, data: Form, now: dt.datetime) -> dict[str, Any]:
        matches = self.classify(data["disagreement"])
        if [m[0] for m in matches] != [1]:
            raise FloorError("not eligible as type 1")
        doc = self.new_document(data)
        case = doc["case"]
        self.check_time(case, OPENED_AT, now)
        self.authorise(case, OFFICER, "open", {})
        self.entry(case, OPENED_AT, OFFICER, "dr.referred", ("parties", "issues"))
        return doc

    def _head(self, c: sqlite3.Connection, case_id: str) -> tuple[str, int, int] | None:
        row = c.execute("SELECT hash, n, last_committed FROM audit_chain WHERE chain = ?",
                        (case_id,)).fetchone()
        return None if row is None else (str(row[0]), int(row[1]), int(row[2]))

    def _audit(self, c: sqlite3.Connection, case_id: str,
               rows: list[tuple[int, str, str, str, tuple[str, ...]]],
               version: int, document: str) -> None:
        """Chain and insert ``rows`` (at µs, actor, action, case id, fields); the last one
        records the document; move the head."""
        now = _us(dt.datetime.now(UTC))
        head = self._head(c, case_id)
        prev, n, last = head if head is not None else ("0" * 64, 0, 0)
        committed = max(now, last)
        doc_hash = hashlib.sha256(document.encode("utf-8", "surrogatepass")).hexdigest()
        out = []
        for k, (at_us, actor, action, cid, fields) in enumerate(rows):
            dv, dh = (version, doc_hash) if k == len(rows) - 1 else (None, None)
            names = ",".join(fields)
            canon = (at_us, actor, action, cid, "ok", names, committed, dv, dh)
            digest = _link(prev, canon)
            out.append((at_us, actor, action, cid, "ok", names, committed, prev, digest, dv, dh))
            prev = digest
        c.executemany(
            "INSERT INTO audit(at, actor, action, case_id, outcome, fields, committed_at,"
            " prev_hash, hash, doc_version, doc_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)", out)
        if head is None:
            c.execute("INSERT INTO audit_chain(chain, hash, n, last_committed) VALUES (?,?,?,?)",
                      (case_id, prev, n + len(rows), committed))
        else:
            c.execute("UPDATE audit_chain SET hash = ?, n = ?, last_committed = ? WHERE chain = ?",
                      (prev, n + len(rows), committed, case_id))

    def _insert_case(self, c: sqlite3.Connection, case_id: str, state: str, updated: dt.datetime,
                     document: str) -> None:
        if c.execute("SELECT 1 FROM cases WHERE case_id = ?", (case_id,)).fetchone():
            raise FloorError("exists")
        c.execute(
            "INSERT INTO cases(case_id, council, kind, state, version, created_at, updated_at,"
            " subject_dob, closed_on, legal_hold, document) VALUES (?,?,?,?,1,?,?,NULL,NULL,0,?)",
            (case_id, COUNCIL, KIND, state, _us(OPENED_AT), _us(updated), document))

    def durable(self, data: Form) -> None:
        c = self.c
        case_id = data["case_id"]
        now = dt.datetime.now(UTC)
        doc = self.open_doc(data, now)
        document = _DOCUMENT.encode(doc)
        c.execute("BEGIN IMMEDIATE")
        try:
            self._insert_case(c, case_id, "referred", OPENED_AT, document)
            self._audit(c, case_id, [(_us(OPENED_AT), OFFICER, "dr.referred", case_id,
                                      ("parties", "issues"))], 1, document)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        fam = parent_user(case_id)
        for user, name, args, when in PLAN:
            who = fam if user == "<parent>" else user
            now = dt.datetime.now(UTC)
            c.execute("BEGIN IMMEDIATE")
            try:
                row = c.execute("SELECT id, version, state, document FROM cases"
                                " WHERE case_id = ?", (case_id,)).fetchone()
                if row is None:
                    raise FloorError("no case")
                rowid, version, state, stored = row
                clocks = c.execute("SELECT clock_id, due, status FROM deadlines WHERE"
                                   " case_ref = ? ORDER BY clock_id", (rowid,)).fetchall()
                doc = json.loads(stored)
                case = doc["case"]
                if (doc["document_version"] != 1 or doc["kind"] != KIND
                        or case["case_id"] != case_id or case["state"] != state or clocks):
                    raise FloorError("stored row and document disagree")
                action, fields = self.step(doc, who, name, args, when, now)
                document = _DOCUMENT.encode(doc)
                c.execute(
                    "INSERT INTO case_history(case_ref, version, council, kind, state,"
                    " created_at, updated_at, subject_dob, closed_on, legal_hold, deadlines,"
                    " document) SELECT id, version, council, kind, state, created_at,"
                    " updated_at, subject_dob, closed_on, legal_hold, '[]', document FROM cases"
                    " WHERE id = ?", (rowid,))
                c.execute("UPDATE cases SET state = ?, version = ?, updated_at = ?, document = ?"
                          " WHERE id = ?", (case["state"], version + 1, _us(when), document,
                                            rowid))
                c.execute("DELETE FROM deadlines WHERE case_ref = ?", (rowid,))
                self._audit(c, case_id, [(_us(when), who, action, case_id, fields)],
                            version + 1, document)
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise

    def batched(self, data: Form) -> None:
        self.save_built(self.build(data))

    def build(self, data: Form) -> FloorCase:
        """The case in memory, every step applied: (case id, state, audit rows, document)."""
        case_id = data["case_id"]
        now = dt.datetime.now(UTC)
        doc = self.open_doc(data, now)
        rows: list[tuple[int, str, str, str, tuple[str, ...]]] = [
            (_us(OPENED_AT), OFFICER, "dr.referred", case_id, ("parties", "issues"))]
        fam = parent_user(case_id)
        for user, name, args, when in PLAN:
            who = fam if user == "<parent>" else user
            action, fields = self.step(doc, who, name, args, when, now)
            rows.append((_us(when), who, action, case_id, fields))
        return case_id, doc["case"]["state"], rows, doc

    def save_built(self, built: FloorCase) -> None:
        """The document of a case :meth:`build` made, written in one transaction."""
        c = self.c
        case_id, state, rows, doc = built
        document = _DOCUMENT.encode(doc)
        c.execute("BEGIN IMMEDIATE")
        try:
            self._insert_case(c, case_id, state, PLAN[-1][3], document)
            self._audit(c, case_id, rows, 1, document)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.c.close()


# =============================================================================================
# Running
# =============================================================================================


def fmt_us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs"


def q(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    k = (len(xs) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def new_store_file(path: Path) -> None:
    """A database created by the library's store (its schema, 16 KiB pages)."""
    from sen_disagreement.store import open_store

    open_store(f"sqlite:///{path}").close()


def compare_documents(lib: Path, floor: Path, ids: list[str]) -> tuple[bool, int]:
    """The floor's current documents and history are byte-equal to the library's; and the audit
    rows are the same apart from commit time and hashes. Returns (same, mean document bytes)."""
    a, b = sqlite3.connect(lib), sqlite3.connect(floor)
    same, size = True, 0
    for cid in ids:
        qs = ("SELECT state, version, document FROM cases WHERE case_id = ?",)
        ra = a.execute(qs[0], (cid,)).fetchone()
        rb = b.execute(qs[0], (cid,)).fetchone()
        size += len(ra[2])
        same = same and ra == rb
        h = ("SELECT h.version, h.state, h.document FROM case_history h JOIN cases c ON"
             " c.id = h.case_ref WHERE c.case_id = ? ORDER BY h.version")
        same = same and a.execute(h, (cid,)).fetchall() == b.execute(h, (cid,)).fetchall()
        au = ("SELECT at, actor, action, case_id, outcome, fields, doc_version FROM audit"
              " WHERE case_id = ? ORDER BY seq")
        same = same and a.execute(au, (cid,)).fetchall() == b.execute(au, (cid,)).fetchall()
    for t in ("deadlines", "outbox"):
        same = same and a.execute(f"SELECT count(*) FROM {t}").fetchone()[0] == 0
        same = same and b.execute(f"SELECT count(*) FROM {t}").fetchone()[0] == 0
    a.close()
    b.close()
    return same, size // max(1, len(ids))


def verify(path: Path) -> bool:
    from sen_disagreement.store import open_store

    with open_store(f"sqlite:///{path}") as store:
        return bool(store.verify().ok)


Runner = Callable[[Form], None]


def run_batch(fn: Runner, forms: list[Form]) -> tuple[float, float]:
    """Wall and CPU (this process's, so not the time spent waiting for fsync) per case."""
    t0, c0 = time.perf_counter(), time.process_time()
    for f in forms:
        fn(f)
    return ((time.perf_counter() - t0) / len(forms), (time.process_time() - c0) / len(forms))


def python_work(n: int, root: Path, repeats: int = 3) -> dict[tuple[str, str], float]:
    """CPU µs per case of each side's batched work before its save (``build``: the case in
    memory, every step applied, its document not yet written), median
    of ``repeats`` runs of ``n`` cases, in three conditions: ``warm`` (cases built back to back,
    nothing between them), ``after fsync`` (8 KiB written to a scratch file and fsynced between
    cases, untimed) and ``after commit`` (the side's own transaction between cases, untimed).
    It shows how much of the gap is the Python work itself and how much the cold caches a
    commit leaves behind (the kernel's fsync and SQLite's own work), which neither side's
    Python can avoid."""
    out: dict[tuple[str, str], list[float]] = {}
    scratch = os.open(root / "scratch.bin", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for rep in range(repeats):
            for side in ("library", "floor") if rep % 2 == 0 else ("floor", "library"):
                for cond in ("warm", "after fsync", "after commit"):
                    path = root / f"work-{side}-{rep}-{cond.replace(' ', '-')}.sqlite3"
                    new_store_file(path)
                    ids = case_ids(f"w{rep}{cond[6:7] or 'w'}", n + 50)
                    impl: Library | Floor = (Library(path, ids) if side == "library"
                                             else Floor(path, ids))
                    forms = [form(c, k) for k, c in enumerate(ids)]
                    took = 0.0
                    for k, data in enumerate(forms):
                        t = time.process_time()
                        built = impl.build(data)
                        spent = time.process_time() - t
                        if k >= 50:  # the first 50 warm up
                            took += spent
                        if cond == "after commit":
                            impl.save_built(built)
                        elif cond == "after fsync":
                            os.write(scratch, b"x" * 8192)
                            os.fsync(scratch)
                    impl.close()
                    out.setdefault((side, cond), []).append(took / n)
    finally:
        os.close(scratch)
    return {k: statistics.median(v) for k, v in out.items()}


def python_work_table(work: dict[tuple[str, str], float], n: int) -> list[str]:
    conds = ("warm", "after fsync", "after commit")
    lines = [
        "## The work before the save, warm and after a commit (`batched`)",
        "",
        f"CPU µs per case of each side's `build` (the case in memory, every step applied; its"
        " document is written in the save), median"
        f" of 3 runs of {n} cases: built back to back (`warm`), with 8 KiB written and fsynced"
        " to a scratch file between cases (`after fsync`), and with the side's own transaction"
        " between cases (`after commit`); nothing between cases is timed.",
        "",
        "| side | " + " | ".join(conds) + " | after commit / warm |",
        "|---|" + "---:|" * (len(conds) + 1),
    ]
    for side in ("library", "floor"):
        cells = " | ".join(f"{work[(side, c)] * 1e6:,.0f}" for c in conds)
        lines.append(f"| {side} | {cells} |"
                     f" {work[(side, 'after commit')] / work[(side, 'warm')]:.2f}x |")
    lib, flo = work[("library", "warm")], work[("floor", "warm")]
    lines += ["", f"Library / floor, warm: {lib / flo:.2f}x. A commit (the kernel's part of its"
              " fsync is CPU time of this process) and SQLite's own work in the transaction"
              " leave the caches cold for whatever runs next; a bare fsync in its place does"
              " much of the same. Both sides pay it, each on its own work.", ""]
    return lines


def child_rss(side: str, n: int) -> dict[str, float]:
    """Peak RSS of a fresh interpreter streaming ``n`` batched cases on one side."""
    out = subprocess.run([sys.executable, __file__, "--rss-child", side, str(n)],
                         capture_output=True, text=True, check=True, timeout=600)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def peak_rss_mib() -> float:
    """This process's peak RSS (``VmHWM``). Not ``getrusage``: Linux carries ``ru_maxrss`` over
    ``exec`` from the forking parent, so a child would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_child(side: str, n: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="sen-bench-rss-"))
    try:
        t0 = time.perf_counter()
        path = root / "db.sqlite3"
        new_store_file(path)
        impl: Library | Floor = (Library(path, (), stream=True) if side == "library"
                                 else Floor(path, (), stream=True))
        run = impl.batched
        run(form("sefton-dr-rss-warm", 0))
        before = peak_rss_mib()
        setup = time.perf_counter() - t0
        t1 = time.perf_counter()
        for k in range(n):  # streamed: each form made when its case runs
            run(form(f"sefton-dr-rss-{k:06d}", k))
        loop = time.perf_counter() - t1
        after = peak_rss_mib()
        impl.close()
        print(json.dumps({"before": before, "peak": after, "setup_s": setup,
                          "us_per_case": loop / n * 1e6}))
    finally:
        shutil.rmtree(root, ignore_errors=True)


IMPORTS = {
    "bare interpreter (`pass`)": "pass",
    "library: the pipeline's modules": (
        "import sen_disagreement.service, sen_disagreement.classifier,"
        " sen_disagreement.serialization, sen_disagreement.workflow.steps,"
        " sen_disagreement.workflow.records"),
    "library: the same + `CaseService.open` (plugins loaded, store opened)": (
        "import tempfile, os; from sen_disagreement.service import CaseService;"
        " import sen_disagreement.classifier, sen_disagreement.serialization;"
        " d = tempfile.mkdtemp(); CaseService.open('sqlite:///' + os.path.join(d, 'x.db'),"
        " timeout=None).store.close()"),
    "floor: sqlite3, json, hashlib, datetime": "import sqlite3, json, hashlib, datetime",
}


BYTECODE_MODES = ("cached", "compiled")
"""How the project's own modules are loaded in the import rows. ``cached``: their bytecode
written once beforehand (to a private ``PYTHONPYCACHEPREFIX``, so nothing is written into the
checkout), as an installed wheel runs (pip compiles it on install). ``compiled``: each module
compiled from source on every import, as in a checkout run with ``PYTHONDONTWRITEBYTECODE=1``
(the third-party packages are byte-compiled in both modes)."""


def _import_env(mode: str, prefix: Path) -> dict[str, str]:
    env = dict(os.environ)
    if mode == "cached":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(prefix)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


BEFORE = "before: "
"""The label prefix of the rows run against ``--import-baseline`` (an older ``src`` tree)."""


def import_times(runs: int, mode: str = "compiled", baseline: str = ""
                 ) -> dict[str, tuple[list[float], list[float]]]:
    """Wall time of a fresh ``python -c STMT`` and its ``-X importtime`` top-level sum, per
    statement, interleaved (rotated order each run), in one of :data:`BYTECODE_MODES`. With
    ``baseline`` (a ``src`` folder put first on ``PYTHONPATH``), each library statement is
    also run against it, interleaved with the current tree, rows labelled :data:`BEFORE`."""
    prefix = Path(tempfile.mkdtemp(prefix="sen-bench-pyc-"))
    env = _import_env(mode, prefix)
    jobs: dict[str, tuple[str, dict[str, str]]] = {k: (v, env) for k, v in IMPORTS.items()}
    if baseline:
        old = {**_import_env(mode, prefix / "baseline"), "PYTHONPATH": baseline}
        jobs |= {BEFORE + k: (v, old) for k, v in IMPORTS.items() if k.startswith("library")}
    res: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in jobs}
    try:
        if mode == "cached":  # write the bytecode once, outside the timed runs
            for stmt, job_env in jobs.values():
                subprocess.run([sys.executable, "-c", stmt], check=True, capture_output=True,
                               env=job_env)
        _timed_imports(runs, jobs, res)
    finally:
        shutil.rmtree(prefix, ignore_errors=True)
    return res


def _timed_imports(runs: int, jobs: dict[str, tuple[str, dict[str, str]]],
                   res: dict[str, tuple[list[float], list[float]]]) -> None:
    names = list(jobs)
    for r in range(runs):
        for name in names[r % len(names):] + names[: r % len(names)]:
            stmt, env = jobs[name]
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", stmt], check=True, capture_output=True,
                           env=env)
            res[name][0].append(time.perf_counter() - t0)
            p = subprocess.run([sys.executable, "-X", "importtime", "-c", stmt], check=True,
                               capture_output=True, text=True, env=env)
            total = 0
            for line in p.stderr.splitlines():
                parts = line.split("|")
                if len(parts) == 3 and parts[2].startswith(" ") and not parts[2].startswith("  "):
                    try:
                        total += int(parts[1].strip())
                    except ValueError:
                        continue
            res[name][1].append(total / 1e6)


def import_table(imports: dict[str, dict[str, tuple[list[float], list[float]]]], runs: int
                 ) -> list[str]:
    """The import-time section of the results, one table row per statement and bytecode mode."""
    out = [f"## Import time ({runs} fresh interpreters per row, interleaved)", "",
           "Bytecode `cached`: the project's modules loaded from bytecode written beforehand, as"
           " an installed wheel runs. `compiled`: each of them compiled from source on every"
           " import (`PYTHONDONTWRITEBYTECODE=1`, as this host runs a checkout; the rows before"
           " issue 14's import work were measured so). Rows `before:` ran the same statements"
           " against the `--import-baseline` source tree, interleaved with the current one.", "",
           "| statement | bytecode | wall, median [min-max] | over bare, median |"
           " `-X importtime` top-level sum, median |",
           "|---|---|---:|---:|---:|"]
    labels = list(IMPORTS) + [BEFORE + k for k in IMPORTS if k.startswith("library")]
    for name in labels:
        for mode, rows in imports.items():
            if name not in rows:
                continue
            wall, itime = rows[name]
            bare_w = statistics.median(rows["bare interpreter (`pass`)"][0])
            base_i = (0.0 if name.startswith("bare")
                      else statistics.median(rows["bare interpreter (`pass`)"][1]))
            out.append(
                f"| {name} | {mode} | {statistics.median(wall) * 1e3:.0f} ms"
                f" [{min(wall) * 1e3:.0f}-{max(wall) * 1e3:.0f}] |"
                f" {(statistics.median(wall) - bare_w) * 1e3:.0f} ms |"
                f" {(statistics.median(itime) - base_i) * 1e3:.0f} ms |")
    return out


ICOUNT_WARM = 300
"""Cases each side runs before the ones counted: the specialised bytecode warm and the store's
cache of recent cases (256) full, so the counted cases pay its evictions as a long run does."""


def icount_child(side: str, variant: str, n: int, most: int) -> None:
    """``ICOUNT_WARM`` cases then ``n`` more, on one side: the process :func:`instructions`
    counts. The forms and the directory cover ``most`` counted cases whatever ``n`` is, so two
    runs differ in the cases run alone."""
    root = Path(tempfile.mkdtemp(prefix="sen-bench-icount-"))
    try:
        path = root / "db.sqlite3"
        new_store_file(path)
        ids = case_ids(f"i{variant[0]}", ICOUNT_WARM + most)
        forms = [form(c, k) for k, c in enumerate(ids)]
        impl: Library | Floor = Library(path, ids) if side == "library" else Floor(path, ids)
        run: Runner = getattr(impl, variant)
        for f in forms[:ICOUNT_WARM + n]:
            run(f)
        impl.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def instructions(counts: dict[str, int]) -> dict[tuple[str, str], tuple[float, float]]:
    """Instructions and first-level data-cache misses per case of each side and variant
    (``counts``: cases counted per variant), by valgrind's cachegrind with its cache simulation:
    a run of ``n`` cases less a run of none, over ``n``. Empty without valgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return {}
    from concurrent.futures import ThreadPoolExecutor

    def count(job: tuple[str, str, int, int]) -> tuple[int, int]:
        side, variant, n, most = job
        done = subprocess.run(
            [valgrind, "--tool=cachegrind", "--cache-sim=yes", "--cachegrind-out-file=/dev/null",
             sys.executable, __file__, "--icount-child", side, variant, str(n), str(most)],
            capture_output=True, text=True, check=True, timeout=1800,
            env={**os.environ, "PYTHONHASHSEED": "0"})  # the same dict layouts in every run
        refs = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
        misses = re.search(r"D1\s+misses:\s+([\d,]+)", done.stderr)
        if refs is None or misses is None:
            raise RuntimeError("cachegrind printed no instruction or D1 miss count")
        return int(refs.group(1).replace(",", "")), int(misses.group(1).replace(",", ""))

    jobs = [(side, variant, n, most) for variant, most in counts.items()
            for side in ("library", "floor") for n in (0, most)]
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        got = dict(zip(jobs, pool.map(count, jobs), strict=True))

    def per_case(side: str, variant: str, most: int, k: int) -> float:
        return (got[(side, variant, most, most)][k] - got[(side, variant, 0, most)][k]) / most

    return {(variant, side): (per_case(side, variant, most, 0), per_case(side, variant, most, 1))
            for variant, most in counts.items() for side in ("library", "floor")}


def instructions_table(found: dict[tuple[str, str], tuple[float, float]],
                       counts: dict[str, int]) -> list[str]:
    out = ["## Instructions and data-cache misses per case (cachegrind)", "",
           "Each side in a fresh interpreter under `valgrind --tool=cachegrind --cache-sim=yes`:"
           f" {ICOUNT_WARM} cases to warm up, then the counted ones"
           f" ({', '.join(f'{n} {v}' for v, n in counts.items())}); per case: that run's"
           " count less that of a run with none counted, over the cases. Instructions are those"
           " this process executes in user space (Python, SQLite, the C library; not the"
           " kernel's part of an fsync, not the wait for the disk); the same binary and inputs"
           " give the same count whatever else the host is doing: a ratio without the host's"
           " noise. D1 misses are reads and writes that missed the simulated first-level data"
           " cache (this host's geometry): memory touched that the instruction count does not"
           " show, and why CPU-time ratios run above the instruction ratios.", "",
           "| variant | library instructions/case | floor instructions/case | ratio"
           " | library D1 misses/case | floor D1 misses/case | ratio |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    rows = {v: (found[(v, "library")], found[(v, "floor")]) for v in counts}
    split: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {}
    if "batched" in rows and "build" in rows:
        (lb, fb), (lw, fw) = rows["batched"], rows["build"]
        split = {"batched: the work before the save (`build` alone)": (lw, fw),
                 "batched: the save (batched less build)": (
                     (lb[0] - lw[0], lb[1] - lw[1]), (fb[0] - fw[0], fb[1] - fw[1]))}

    def line(v: str, lib: tuple[float, float], floor: tuple[float, float], bold: bool) -> str:
        b = "**" if bold else ""
        return (f"| {v} | {lib[0]:,.0f} | {floor[0]:,.0f} | {b}{lib[0] / floor[0]:.2f}x{b}"
                f" | {lib[1]:,.0f} | {floor[1]:,.0f} | {lib[1] / floor[1]:.2f}x |")

    out += [line(v, lib, floor, True) for v, (lib, floor) in rows.items() if v != "build"]
    out += [line(v, lib, floor, False) for v, (lib, floor) in split.items()]
    if split:
        (lw, fw), (ls, fs) = split.values()
        gap = rows["batched"][0][0] - rows["batched"][1][0]
        out += ["", f"Of the batched gap ({gap:,.0f} instructions a case),"
                f" {(lw[0] - fw[0]) / gap:.0%} is the work before the save (the typed, validated"
                " objects each step builds against the floor's dicts) and"
                f" {(ls[0] - fs[0]) / gap:.0%} the save (the document written from those objects,"
                " the store's checks of the new version)."]
    return [*out, ""]


def profile_library(n: int, root: Path) -> list[str]:
    """cProfile of the library's ``durable`` run of ``n`` cases: the top costs."""
    path = root / "profile.sqlite3"
    ids = case_ids("prof", n)
    lib = Library(path, ids)
    forms = [form(c, k) for k, c in enumerate(ids)]
    prof = cProfile.Profile()
    prof.enable()
    for f in forms:
        lib.durable(f)
    prof.disable()
    lib.close()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows: list[tuple[float, float, int, str]] = []
    for (file, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        # No absolute path of the machine: site-packages, src/ and the stdlib's own folder cut.
        short = file.split("site-packages/")[-1].split("src/")[-1]
        for root_dir in (sysconfig.get_paths()["stdlib"],
                         str(Path(__file__).resolve().parents[1])):
            short = short.replace(root_dir + "/", "")
        rows.append((tt, ct, nc, f"{short}:{line}({func})"))
    out = [f"cProfile, library `durable`, {n} cases ({total / n * 1e6:,.0f} µs/case under the "
           "profiler, which inflates Python-heavy code).", "",
           "Top 20 by own time (tottime):", "",
           "| function | own µs/case | own % | cumulative µs/case | calls/case |",
           "|---|---:|---:|---:|---:|"]
    for tt, ct, nc, name in sorted(rows, reverse=True)[:20]:
        out.append(f"| `{name}` | {tt / n * 1e6:,.1f} | {tt / total * 100:.1f} |"
                   f" {ct / n * 1e6:,.1f} | {nc / n:.1f} |")
    out += ["", "Top 25 by cumulative time (what each call costs with everything it calls):", "",
            "| function | cumulative µs/case | cumulative % | calls/case |",
            "|---|---:|---:|---:|"]
    for _tt, ct, nc, name in sorted(rows, key=lambda r: -r[1])[:25]:
        out.append(f"| `{name}` | {ct / n * 1e6:,.1f} | {ct / total * 100:.1f} | {nc / n:.1f} |")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--durable", type=int, default=150, help="cases per round, durable")
    ap.add_argument("--batched", type=int, default=500, help="cases per round, batched")
    ap.add_argument("--rss-cases", type=int, default=10_000)
    ap.add_argument("--import-runs", type=int, default=7)
    ap.add_argument("--profile", type=int, default=100, help="cases profiled (0: none)")
    ap.add_argument("--sweep-note", default="", help="a line about the 100k sweep run")
    ap.add_argument("--python-work", type=int, default=500,
                    help="cases per run of the warm / after-commit comparison (0: none)")
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--instructions", type=int, default=0, metavar="N",
                    help="count instructions and D1 misses per case under cachegrind: N"
                    " batched (and built alone) and N/4 durable cases per side (0: none; needs"
                    " valgrind)")
    ap.add_argument("--rss-child", nargs=2, metavar=("SIDE", "N"))
    ap.add_argument("--icount-child", nargs=4, metavar=("SIDE", "VARIANT", "N", "MOST"))
    ap.add_argument("--import-baseline", default="", metavar="SRC",
                    help="also time the imports against this older src tree (rows 'before:')")
    ap.add_argument("--imports-only", action="store_true",
                    help="print the import-time table only (writes no results file)")
    args = ap.parse_args()
    if args.rss_child:
        rss_child(args.rss_child[0], int(args.rss_child[1]))
        return
    if args.icount_child:
        side, variant, n, most = args.icount_child
        icount_child(side, variant, int(n), int(most))
        return
    if args.imports_only:
        load = os.getloadavg()[0]
        got = {mode: import_times(args.import_runs, mode, args.import_baseline)
               for mode in BYTECODE_MODES}
        print("\n".join(import_table(got, args.import_runs)))
        print(f"load {load:.2f} before / {os.getloadavg()[0]:.2f} after")
        return
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    root = Path(tempfile.mkdtemp(prefix="sen-bench-pipeline-"))
    try:
        variants = {"durable": args.durable, "batched": args.batched}
        all_ids = {(v, r): case_ids(f"{v[0]}{r}", n) for v, n in variants.items()
                   for r in range(args.rounds + 1)}
        every = [c for ids in all_ids.values() for c in ids]
        lib_path, floor_path = root / "library.sqlite3", root / "floor.sqlite3"
        thr_path = root / "threaded.sqlite3"
        for p in (lib_path, floor_path, thr_path):
            new_store_file(p)
        lib, floor = Library(lib_path, every), Floor(floor_path, every)
        threaded = Library(thr_path, every, threaded=True)
        sides: dict[str, Library | Floor] = {"library": lib, "floor": floor,
                                             "threaded": threaded}
        per: dict[tuple[str, str], list[float]] = {(v, s): [] for v in variants for s in sides}
        cpu: dict[tuple[str, str], list[float]] = {(v, s): [] for v in variants for s in sides}
        for r in range(args.rounds + 1):  # round 0 warms up, not counted
            for v in variants:
                forms = [form(c, k) for k, c in enumerate(all_ids[(v, r)])]
                order = ["library", "floor"] if r % 2 == 0 else ["floor", "library"]
                if v == "batched":  # the default-timeout library: batched only, paired too
                    order.insert(r % 3, "threaded")
                for s in order:
                    fn: Runner = getattr(sides[s], v)
                    t, c = run_batch(fn, forms)
                    if r > 0:
                        per[(v, s)].append(t)
                        cpu[(v, s)].append(c)
            if r > 0:
                print(f"round {r}: " + ", ".join(
                    f"{v} {s} {per[(v, s)][-1] * 1e6:,.0f} µs" for v in variants for s in sides
                    if per[(v, s)]), flush=True)
        for impl in sides.values():
            impl.close()
        sample = [c for v in variants for c in all_ids[(v, 1)][:20]]
        same, doc_bytes = compare_documents(lib_path, floor_path, sample)
        ok_lib, ok_floor = verify(lib_path), verify(floor_path)
        # --rss-cases 0 / --import-runs 0: a quick run of the paired rounds alone.
        rss = ({s: child_rss(s, args.rss_cases) for s in ("library", "floor")}
               if args.rss_cases else {})
        imports = ({mode: import_times(args.import_runs, mode, args.import_baseline)
                    for mode in BYTECODE_MODES} if args.import_runs else {})
        prof = profile_library(args.profile, root) if args.profile else []
        work = python_work(args.python_work, root) if args.python_work else {}
        # ``build`` alone (the batched case in memory, no store) splits the batched count in
        # two: the work before the save, and the save itself (batched less build).
        counted = ({"batched": args.instructions, "build": args.instructions,
                    "durable": max(1, args.instructions // 4)} if args.instructions else {})
        icounts = instructions(counted) if counted else {}

        out: list[str] = []
        emit = out.append
        emit("# The end-to-end case pipeline vs a hand-written floor doing the same work")
        emit("")
        emit(f"Run {dt.datetime.now(UTC):%Y-%m-%d %H:%M} UTC; Python {platform.python_version()},"
             f" SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, load {load_before:.2f}"
             f" before / {os.getloadavg()[0]:.2f} after (other sessions share the host, so"
             " trust the paired ratios more than the absolute times). One process, both sides"
             f" on the store's schema (16 KiB pages, WAL, synchronous=FULL); {args.rounds}"
             " interleaved rounds after a warm-up round, alternating which side goes first;"
             f" per round {args.durable} cases `durable` and {args.batched} cases `batched` per"
             " side. A case: classify the form, open a disagreement-resolution case, seek"
             " agreement, the parent's and the council's agreement, the provider assigned"
             " through the Sefton plugin, the meeting arranged and held, the outcome on each of"
             " two issues recorded: 8 audit entries, no statutory clock. What the floor does and"
             " does not do: the module docstring of `bench/bench_pipeline.py`.")
        emit("")
        emit("| variant | side | min µs/case | median µs/case | [p25-p75] | spread (max/min) |"
             " cases/s (median) | ratio (median of per-round) [min-max] | ratio of minima |")
        emit("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        summary: dict[str, tuple[float, float]] = {}
        names = {("durable", "library"): "`CaseService.open_case` + 7 `apply`",
                 ("batched", "library"): "workflow in memory + 1 `records.save`",
                 ("batched", "threaded"): "the same, default plugin timeout (worker thread)"}
        for v in variants:
            ft = per[(v, "floor")]
            rows_ = [(s, per[(v, s)]) for s in ("library", "threaded") if per[(v, s)]]
            for s, xs in [*rows_, ("floor", ft)]:
                ratios = [a / b for a, b in zip(xs, ft, strict=True)]
                if s == "library":
                    summary[v] = (statistics.median(ratios), min(xs) / min(ft))
                ratio_cell = (f"**{statistics.median(ratios):.2f}x** [{min(ratios):.2f}-"
                              f"{max(ratios):.2f}]" if s != "floor" else "1.00x")
                minima = f"**{min(xs) / min(ft):.2f}x**" if s != "floor" else "1.00x"
                name = names.get((v, s), "floor")
                emit(f"| {v} ({'8' if v == 'durable' else '1'} tx/case) | {name} |"
                     f" {min(xs) * 1e6:,.0f} | {statistics.median(xs) * 1e6:,.0f} |"
                     f" [{q(xs, 0.25) * 1e6:,.0f}-{q(xs, 0.75) * 1e6:,.0f}] |"
                     f" {max(xs) / min(xs):.2f} | {1 / statistics.median(xs):,.0f} |"
                     f" {ratio_cell} | {minima} |")
        emit("")
        emit("Noise: 'spread' is the slowest round over the fastest for that side; the ratio's"
             " [min-max] is over the per-round ratios.")
        emit("")
        emit("The same rounds in CPU time of this process (`time.process_time`: the Python and"
             " SQLite work, without the time spent waiting for the disk to sync):")
        emit("")
        emit("| variant | side | min CPU µs/case | median CPU µs/case | ratio (median of"
             " per-round) [min-max] |")
        emit("|---|---|---:|---:|---:|")
        for v in variants:
            fc = cpu[(v, "floor")]
            for s in ("library", "threaded", "floor"):
                xs = cpu[(v, s)]
                if not xs:
                    continue
                ratios = [a / b for a, b in zip(xs, fc, strict=True)]
                cell = (f"**{statistics.median(ratios):.2f}x** [{min(ratios):.2f}-"
                        f"{max(ratios):.2f}]" if s != "floor" else "1.00x")
                emit(f"| {v} | {names.get((v, s), 'floor')} | {min(xs) * 1e6:,.0f} |"
                     f" {statistics.median(xs) * 1e6:,.0f} | {cell} |")
        emit("")
        emit(f"Same work, checked: documents (current and every history version) and audit rows"
             f" (time, actor, action, fields, document version) of {len(sample)} sampled cases"
             f" {'byte-equal' if same else 'NOT equal'} on both sides, no deadline or outbox row"
             f" on either; `Store.verify()` on the library's file: {'ok' if ok_lib else 'FAILED'},"
             f" on the floor's: {'ok' if ok_floor else 'FAILED'} (the floor's chain is the"
             f" library's). Final document: {doc_bytes:,} bytes on average.")
        emit("")
        if rss:
            emit(f"## Peak RSS, streaming {args.rss_cases:,} cases (`batched`, fresh"
                 " interpreter)")
            emit("")
            emit("| side | RSS after imports and set-up | peak RSS | growth |"
                 " µs/case in that run |")
            emit("|---|---:|---:|---:|---:|")
            for s, r_ in rss.items():
                emit(f"| {s} | {r_['before']:.1f} MiB | {r_['peak']:.1f} MiB |"
                     f" {r_['peak'] - r_['before']:.1f} MiB | {r_['us_per_case']:,.0f} |")
            emit("")
        if icounts:
            out.extend(instructions_table(icounts, counted))
        elif counted:
            emit("Instructions per case: not counted (`--instructions` needs valgrind, which"
                 " this host does not have).")
            emit("")
        if work:
            out.extend(python_work_table(work, args.python_work))
        if imports:
            out.extend(import_table(imports, args.import_runs))
        if args.sweep_note:
            emit("")
            emit("## The daily sweep over 100,000 stored cases")
            emit("")
            emit(args.sweep_note)
        if prof:
            emit("")
            emit("## Where the library's time goes")
            emit("")
            out.extend(prof)
        emit("")
        emit(f"Whole run: {time.perf_counter() - started:.1f} s.")
        text = "\n".join(out) + "\n"
        print(text)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
