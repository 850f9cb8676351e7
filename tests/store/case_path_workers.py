"""Child processes for the case-path crash tests: real cases through the command path.

Run as a script, with ``tests`` on ``PYTHONPATH`` (it reuses :mod:`store.store_workers`)::

    PYTHONPATH=tests python tests/store/case_path_workers.py crash <db-url> <worker-id> <case-id>...

``crash``: open a :class:`~sen_disagreement.service.CaseService` on ``db-url`` (the installed
council plugins loaded, a :class:`~sen_disagreement.actors.StaticActorDirectory` with an LA officer
of Sefton, E08000014, and a parent granted party ``parent`` of every case given), print ``ready``,
then change the cases forever, picking one at random each time: a case not yet stored is opened
(an id containing ``-med-`` is a mediation case, with its adviser-contact clock; any other is a
disagreement-resolution case), otherwise the next step its state allows is taken, as the officer
or the parent, through :meth:`CaseService.apply` with the version just loaded (SeekAgreement, each
party's AcceptDecision, AssignProvider routed by the Sefton plugin, ContactAdviser, RecordIssue,
RecordItem with ids unique to the worker). About one change in four is instead a batch of 2-4
steps applied in memory and saved at once through :func:`sen_disagreement.workflow.records.save`
with one outbox message (idempotency key ``<case_id>/v<version>``), so one save carries several
new audit entries and a message.

Several workers change the same cases at once: a save that lost the race raises
:class:`StaleWriteError`, and the worker prints ``S <case_id>`` and reloads. After each save that
returned, it prints ``A <case_id> <version> <n_audit_entries_in_document>``. The parent kills the
process at a random moment.

``serve``: a fork server, so a hundred crash trials do not each pay a fresh interpreter's
start-up and imports (about 0.2 s of CPU per worker). It prints ``serving``, then reads commands
on stdin: ``<out-file> crash <db-url> <worker-id> <case-id>...`` forks a child that runs that
worker with its stdout on ``out-file`` (stderr on ``out-file.err``) and answers the child's pid;
``reap <pid>`` waits for that child and answers its raw wait status. The children open their own
store after the fork (the server never opens one), so each is a separate process with its own
connections, killed on its own. At end of input the server kills and reaps any child left.

The test module imports the users, :func:`directory` and :func:`opening` from here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import sys
import traceback
from collections.abc import Iterable
from typing import NoReturn

from sen_disagreement.actors import Actor, CaseGrant, Role, StaticActorDirectory
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.disclosure import Disclosure, ItemKind
from sen_disagreement.ehc import Duty, PlanSection
from sen_disagreement.errors import NotFoundError, StaleWriteError
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.service import CaseService, OpenDisagreementResolution, OpenMediation
from sen_disagreement.store import OutboxMessage
from sen_disagreement.workflow import (
    Case,
    CaseParty,
    DisagreementResolutionCase,
    MediationCase,
    records,
)
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.disagreement_resolution import DrState
from sen_disagreement.workflow.issues import Issue
from sen_disagreement.workflow.mediation import DecisionNotice, MediationState, Reg32Item
from store.store_workers import T0, say

COUNCIL = "E08000014"  # Sefton's GSS code
OFFICER = "sen-casework-1"
PARENT = "sam.parent"
STEP_GAP = dt.timedelta(minutes=1)
"""Each step happens a minute after the last entry of the version it follows (event time, which
the store keeps apart from its commit time)."""
_SECTIONS = (PlanSection.B, PlanSection.F, PlanSection.I)  # not health: routing stays simple


def directory(case_ids: Iterable[str]) -> StaticActorDirectory:
    """The officer of Sefton, and the parent granted party ``parent`` of each case."""
    return StaticActorDirectory([
        Actor(actor_id=OFFICER, role=Role.LA_OFFICER, council=COUNCIL),
        Actor(actor_id=PARENT, role=Role.FAMILY,
              grants={CaseGrant(case_id=c, party_id="parent") for c in case_ids}),
    ])


def is_mediation(case_id: str) -> bool:
    return "-med-" in case_id


def opening(case_id: str) -> OpenDisagreementResolution | OpenMediation:
    """The referral (or, for a mediation case, the decision notice) that opens ``case_id``."""
    parties = [
        CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent")),
        CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton Council",
                                  identifiers=Identifiers(gss_code=COUNCIL, la_number="343"))),
    ]
    if is_mediation(case_id):
        notice = DecisionNotice(sent_on=T0.date(),
                                decisions=[AppealableDecision.NOT_TO_AMEND_OR_REPLACE],
                                contents=set(Reg32Item))
        return OpenMediation(case_id=case_id, council=COUNCIL, parties=parties, notice=notice)
    return OpenDisagreementResolution(
        case_id=case_id, council=COUNCIL, parties=parties,
        issues=[Issue(issue_id="review", duty=Duty.KEEP_PROVISION_UNDER_REVIEW)],
    )


def _item(tag: str, user: str) -> tuple[str, st.Step]:
    return user, st.RecordItem(item_id=f"i{tag}", kind=ItemKind.DOCUMENT,
                               disclosure=Disclosure.PARTIES, text=f"Letter {tag} from {user}")


def _issue(tag: str, user: str, rng: random.Random) -> tuple[str, st.Step]:
    return user, st.RecordIssue(issue=Issue(issue_id=f"s{tag}", section=rng.choice(_SECTIONS)))


def next_step(
    case: Case, rng: random.Random, tag: str, *, at: dt.datetime, routing: bool = True
) -> tuple[str, st.Step]:
    """A step ``case`` allows now, and the user who takes it. ``tag`` makes item and issue ids
    unique (1-31 of a-z 0-9 - _); ``routing=False`` never picks AssignProvider."""
    user = rng.choice((OFFICER, PARENT))
    if isinstance(case, MediationCase):
        if case.state is MediationState.DECISION_NOTIFIED and rng.random() < 0.4:
            adviser = Party(kind=PartyKind.MEDIATION_ADVISER, name="Example mediation adviser")
            return PARENT, st.ContactAdviser(adviser_id="adviser", adviser=adviser, on=at.date())
        return _item(tag, user)
    assert isinstance(case, DisagreementResolutionCase)
    state = case.state
    if state is DrState.REFERRED:
        return (OFFICER, st.SeekAgreement()) if rng.random() < 0.6 else _issue(tag, user, rng)
    if state is DrState.SEEKING_AGREEMENT:
        missing = case.ledger.missing(case.party_map)
        if missing and rng.random() < 0.5:
            party = rng.choice(missing)
            return (PARENT if party == "parent" else OFFICER), st.AcceptDecision(party_id=party)
    if state is DrState.ALL_AGREED and routing and rng.random() < 0.3:
        return OFFICER, st.AssignProvider()
    return _item(tag, user) if rng.random() < 0.6 else _issue(tag, user, rng)


def audit_count(document: str) -> int:
    """How many audit entries a stored case document carries."""
    return len(json.loads(document)["case"]["audit"]["entries"])


def _change(service: CaseService, case_id: str, rng: random.Random, tags: Iterable[str]) -> None:
    try:
        case, version = service.load(case_id)
    except NotFoundError:
        saved = service.open_case(OFFICER, opening(case_id), at=T0)
    else:
        at = case.audit.entries[-1].at + STEP_GAP
        it = iter(tags)
        if rng.random() < 0.25:  # several steps, saved as one version
            new = case
            for _ in range(rng.randint(2, 4)):
                user, step = next_step(new, rng, next(it), at=at, routing=False)
                new = st.apply_step(new, service.actor(user), step, at=at)
                at += STEP_GAP
            key = f"{case_id}/v{version + 1}"
            message = OutboxMessage(case_id=case_id, channel="email", template="case_updated",
                                    idempotency_key=key, payload_ref=f"p/{key}")
            saved = records.save(service.store, new, expected_version=version, outbox=[message])
        else:
            user, step = next_step(case, rng, next(it), at=at)
            saved = service.apply(case_id, user, step, at=at, expected_version=version)
    say(f"A {case_id} {saved.version} {audit_count(saved.document)}")


def crash(url: str, worker: str, case_ids: list[str]) -> None:
    service = CaseService.open(url, directory=directory(case_ids), timeout=None)
    rng = random.Random(f"{worker}/{url}")
    say("ready")
    n = 0

    def tags() -> Iterable[str]:
        nonlocal n
        while True:
            n += 1
            yield f"{worker}-{n}"

    stream = tags()
    while True:
        case_id = rng.choice(case_ids)
        try:
            _change(service, case_id, rng, stream)
        except StaleWriteError:
            say(f"S {case_id}")


def _child(out: str, argv: list[str]) -> NoReturn:
    code = 1
    try:
        for path, fd in ((out, 1), (f"{out}.err", 2)):
            opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(opened, fd)
            os.close(opened)
        main(argv)
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    children: set[int] = set()
    say("serving")
    while line := sys.stdin.readline():
        words = line.split()
        if words[0] == "reap":
            pid = int(words[1])
            children.discard(pid)
            say(str(os.waitpid(pid, 0)[1]))
            continue
        pid = os.fork()
        if pid == 0:
            _child(words[0], words[1:])
        children.add(pid)
        say(str(pid))
    for pid in children:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def main(argv: list[str]) -> None:
    if argv[0] == "crash":
        crash(argv[1], argv[2], argv[3:])
    elif argv[0] == "serve":
        serve()
    else:
        raise SystemExit(f"unknown mode {argv[0]}")


if __name__ == "__main__":
    main(sys.argv[1:])
