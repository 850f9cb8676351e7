"""A durable save of one case with its new audit entries, against a raw ``sqlite3`` floor.

Issue 9: the store's ``save`` now parses the case document, checks it against the stored version
(``document_guard``) and writes every audit entry the new version adds, all in the transaction
that writes the case. This measures what that costs, per save, through
:func:`sen_disagreement.workflow.records.save` on the default SQLite store (WAL,
``synchronous=FULL``: each commit is on disk when the call returns):

1. one step (a recorded letter): the case row, a history row, the clock rows, 1 audit row;
2. a batch of 7 steps saved as one version: the same, with 7 audit rows.

The floor writes the same rows with raw ``sqlite3`` in ONE ``BEGIN IMMEDIATE`` ... ``COMMIT``,
with the same pragmas and the store's own schema and indexes, into a copy of the same database
(``Connection.backup``): in one statement it reads the case's row id and version (the version
check) and its audit chain's head, copies the current row into ``case_history``, updates the case
row with the very same document, replaces the clock rows, inserts the same audit rows chained into
the case's hash chain (each row's SHA-256 over its canonical form, the new document's SHA-256 on
the last; computed in the timing, as they depend on the head just read) and moves the head
(issue 14: the floor before did no chain work). Built before the clock starts: the case row's
columns and document (``to_record``), the stored clocks as the history's JSON (the floor keeps the
old version in memory), the new entries' columns. What the floor does not do: serialise the case
(``to_record``), parse or check any document (``document_guard``), check arguments, audit a
refusal, or handle a legal hold. The store is timed in two parts, ``to_record`` (serialising the
case) and ``Store.save`` (the store's own part, with the guard), whose sum is ``records.save``.
Store and floor are timed in the same run, alternately save by save, in rounds; a ratio is the
median of the per-round ratios of medians, so both sides saw the same noise.

One transaction per save is verified two ways, both against the floor, which is one transaction
by construction: (a) the WAL's commit frames (a commit frame carries the database size after
the commit; the WAL is emptied with ``wal_checkpoint(TRUNCATE)`` first and stays below the
auto-checkpoint size) and (b), when ``strace`` is installed, the ``fsync``/``fdatasync`` calls of a
child process making N saves minus those of the same child making none.

Run:  .venv/bin/python bench/bench_case_save.py [--rounds 6] [--per-round 40]
      (writes bench/results/case_save.md; well under a minute)
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from pathlib import Path

from bench_store import fmt, q

from sen_disagreement.actors import Actor, CaseGrant, Role
from sen_disagreement.appeals import AppealableDecision
from sen_disagreement.disclosure import Disclosure, ItemKind
from sen_disagreement.ehc import PlanSection
from sen_disagreement.parties import Identifiers, Party, PartyKind
from sen_disagreement.store import open_store
from sen_disagreement.store import sqlite as sqlite_module
from sen_disagreement.store.contract import CaseRecord, Store
from sen_disagreement.workflow import CaseParty, MediationCase, invariants, records
from sen_disagreement.workflow import steps as st
from sen_disagreement.workflow.invariants import document_guard
from sen_disagreement.workflow.issues import Issue
from sen_disagreement.workflow.mediation import DecisionNotice, Reg32Item

RESULTS = Path(__file__).resolve().parent / "results" / "case_save.md"
COUNCIL = "E08000014"
SENT = dt.date(2025, 3, 3)
T0 = dt.datetime(2025, 3, 3, 10, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
OFFICER = Actor(actor_id="sen-casework-1", role=Role.LA_OFFICER, council=COUNCIL)
ADVISER = Actor(actor_id="adviser-1", role=Role.MEDIATION_ADVISER, organisation="adviser")
LETTER = (
    "Thank you for your letter about the special educational provision in section F of the plan. "
    "We have noted the points you raised about speech and language therapy and will reply in "
    "full before the mediation meeting. "
)
BATCH = 7


def parent(case_id: str) -> Actor:
    return Actor(actor_id="sam.parent", role=Role.FAMILY,
                 grants={CaseGrant(case_id=case_id, party_id="parent")})


def new_case(i: int) -> MediationCase:
    """A mediation case in the state a council holds most of them: decision notified, adviser
    contacted, mediation wanted, issues confirmed and the route chosen (two clocks)."""
    case_id = f"ENG-{COUNCIL}-2025-{i:06d}"
    parties = [
        CaseParty("parent", Party(kind=PartyKind.PARENT, name="Sam Parent")),
        CaseParty("sefton", Party(kind=PartyKind.LOCAL_AUTHORITY, name="Sefton Council",
                                  identifiers=Identifiers(gss_code=COUNCIL, la_number="343"))),
    ]
    notice = DecisionNotice(sent_on=SENT, decisions=[AppealableDecision.NOT_TO_AMEND_OR_REPLACE],
                            contents=set(Reg32Item))
    case = MediationCase.notify_decision(case_id=case_id, council=COUNCIL, parties=parties,
                                         notice=notice, at=T0, actor=OFFICER.actor_id)
    fam = parent(case_id)
    adviser = Party(kind=PartyKind.MEDIATION_ADVISER, name="Example mediation adviser")
    day = SENT + dt.timedelta(days=7)
    at = dt.datetime.combine(day, dt.time(10), dt.UTC)
    for k, (who, step) in enumerate([
        (fam, st.ContactAdviser(adviser_id="adviser", adviser=adviser, on=day)),
        (ADVISER, st.GiveInformation(on=day)),
        (fam, st.AcceptDecision(party_id="parent", told_la_on=day)),
        (fam, st.RecordIssue(issue=Issue(issue_id="speech", section=PlanSection.F))),
        (OFFICER, st.ConfirmIssues()),
        (OFFICER, st.ChooseRoute()),
        (OFFICER, letter("letter-0")),
    ]):
        case = _as_mediation(st.apply_step(case, who, step, at=at + k * HOUR))
    return case


def _as_mediation(case: object) -> MediationCase:
    assert isinstance(case, MediationCase)
    return case


def letter(item_id: str) -> st.RecordItem:
    return st.RecordItem(item_id=item_id, kind=ItemKind.DOCUMENT,
                         disclosure=Disclosure.PARTIES, text=LETTER)


def successor(case: MediationCase, steps: int, serial: int) -> MediationCase:
    """``case`` with ``steps`` more letters recorded (officer and parent in turn)."""
    fam = parent(case.case_id)
    at = case.audit.entries[-1].at + HOUR
    for k in range(steps):
        who = OFFICER if k % 2 == 0 else fam
        case = _as_mediation(st.apply_step(case, who, letter(f"l{serial}-{k}"), at=at + k * HOUR))
    return case


# --- the floor --------------------------------------------------------------------------------


def floor_connect(path: Path) -> sqlite3.Connection:
    """A raw connection with the store's pragmas (the schema comes with the backup copy)."""
    c = sqlite3.connect(path, isolation_level=None)
    assert c.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    c.execute("PRAGMA synchronous=FULL")
    c.execute("PRAGMA foreign_keys=ON")
    c.execute("PRAGMA secure_delete=ON")
    return c


Rows = list[tuple[object, ...]]
AuditCols = list[tuple[int, str, str, str, str, str]]
FloorSave = tuple[str, tuple[object, ...], str, list[tuple[str, str, str]], AuditCols, int, str]


def floor_rows(old: MediationCase, new: MediationCase, version: int) -> FloorSave:
    """Everything the floor writes for saving ``new`` over ``old`` (stored as ``version``)."""
    record = records.to_record(new, version=version)
    case_cols = sqlite_module._case_row(None, record, version + 1)[2:]
    prev_deadlines = json.dumps([[d.clock_id, d.due.isoformat(), d.status]
                                 for d in records.to_record(old).deadlines],
                                separators=(",", ":"))
    deadlines = [(d.clock_id, d.due.isoformat(), d.status) for d in record.deadlines]
    added = new.audit.entries[len(old.audit.entries):]
    audit: AuditCols = [(sqlite_module.ts(e.at), e.actor, e.action, e.case_id or "", e.outcome,
                    ",".join(e.fields)) for e in added]
    return (record.case_id, case_cols, prev_deadlines, deadlines, audit, version + 1,
            record.document)


def _esc(value: str) -> str:
    return encode_basestring_ascii(value)


def floor_save(c: sqlite3.Connection, rows: FloorSave) -> None:
    case_id, case_cols, prev_deadlines, deadlines, audit, version, document = rows
    now = sqlite_module.ts(dt.datetime.now(dt.UTC))
    c.execute("BEGIN IMMEDIATE")
    rowid, _version, prev, n, last = c.execute(
        "SELECT c.id, c.version, h.hash, h.n, h.last_committed FROM cases c"
        " JOIN audit_chain h ON h.chain = c.case_id WHERE c.case_id = ?", (case_id,)).fetchone()
    committed = max(now, last)
    chained: Rows = []
    for k, (at, actor, action, cid, outcome, fields) in enumerate(audit):
        dv, dh = (version, hashlib.sha256(document.encode()).hexdigest()) if (
            k == len(audit) - 1) else (None, None)
        canonical = (f"[{_esc(prev)},{at},{_esc(actor)},{_esc(action)},{_esc(cid)},"
                     f"{_esc(outcome)},{_esc(fields)},{committed},"
                     f"{'null' if dv is None else dv},{'null' if dh is None else _esc(dh)}]")
        digest = hashlib.sha256(canonical.encode("ascii")).hexdigest()
        chained.append((at, actor, action, cid, outcome, fields, committed, prev, digest, dv,
                        dh))
        prev = digest
    c.execute(
        "INSERT INTO case_history(case_ref, version, council, kind, state, created_at,"
        " updated_at, subject_dob, closed_on, legal_hold, deadlines, document)"
        " SELECT id, version, council, kind, state, created_at, updated_at, subject_dob,"
        " closed_on, legal_hold, ?, document FROM cases WHERE id = ?",
        (prev_deadlines, rowid),
    )
    c.execute(
        "UPDATE cases SET council=?, kind=?, state=?, version=?, created_at=?, updated_at=?,"
        " subject_dob=?, closed_on=?, legal_hold=?, document=? WHERE id=?",
        (*case_cols, rowid),
    )
    c.execute("DELETE FROM deadlines WHERE case_ref = ?", (rowid,))
    c.executemany(sqlite_module._INSERT_DEADLINE, [(rowid, *d) for d in deadlines])
    c.executemany(
        "INSERT INTO audit(at, actor, action, case_id, outcome, fields, committed_at, prev_hash,"
        " hash, doc_version, doc_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)", chained)
    c.execute("UPDATE audit_chain SET hash = ?, n = ?, last_committed = ? WHERE chain = ?",
              (prev, n + len(chained), committed, case_id))
    c.execute("COMMIT")


# --- setup shared by the timing and the probes -------------------------------------------------


class Pair:
    """The store and the floor on identical databases holding ``n`` cases."""

    def __init__(self, root: Path, n: int) -> None:
        self.store_path, self.floor_path = root / "store.sqlite3", root / "floor.sqlite3"
        self.store: Store = open_store(f"sqlite:///{self.store_path}")
        self.cases = [new_case(i) for i in range(n)]
        self.versions = [1] * n
        for case in self.cases:
            records.save(self.store, case, expected_version=0)
        self.floor_cases = list(self.cases)
        self.floor_versions = list(self.versions)
        src = sqlite3.connect(self.store_path)
        dst = sqlite3.connect(self.floor_path)
        src.backup(dst)
        src.close()
        dst.close()
        self.floor = floor_connect(self.floor_path)
        self.serial = 0

    def next_store(self, i: int, steps: int) -> Callable[[], object]:
        """The store's save of case ``i`` with ``steps`` more entries (built now, untimed)."""
        self.serial += 1
        old = self.cases[i]
        new = successor(old, steps, self.serial)
        version = self.versions[i]
        self.cases[i], self.versions[i] = new, version + 1
        self.last = (old, new)
        return functools.partial(records.save, self.store, new, expected_version=version)

    def next_store_parts(
        self, i: int, steps: int
    ) -> tuple[Callable[[], CaseRecord], Callable[[CaseRecord], object]]:
        """``records.save`` of case ``i`` with ``steps`` more entries in its two parts, to time
        apart: serialising the case (``to_record``) and the store's ``save`` of that record
        (the same arguments ``records.save`` passes)."""
        self.serial += 1
        old = self.cases[i]
        new = successor(old, steps, self.serial)
        version = self.versions[i]
        self.cases[i], self.versions[i] = new, version + 1
        self.last = (old, new)
        last = new.audit.entries[-1]

        def save(record: CaseRecord) -> object:
            return self.store.save(record, version, actor=last.actor, action=last.action,
                                   fields=last.fields)

        return functools.partial(records.to_record, new, version=version), save

    def library_work(self) -> float:
        """The last store save's guard, timed again on the same two versions as the store ran
        it (parse both documents, check the new one against the stored one and its record's
        columns, list the new entries)."""
        old, new = self.last
        previous = records.to_record(old).document
        record = records.to_record(new)
        # As in a save: the stored version is in the guard's cache (this process wrote it),
        # and the new one is put there by ``to_record`` as it writes the text. (The cache is
        # not cleared here: that made the next case's save parse its stored version again,
        # which no save in a running process does.)
        invariants.read_case(previous, new.kind)
        return timed(functools.partial(document_guard, previous, record.document,
                                       kind=new.kind, record=record))

    def next_floor(self, i: int, steps: int) -> Callable[[], None]:
        self.serial += 1
        old = self.floor_cases[i]
        new = successor(old, steps, self.serial)
        rows = floor_rows(old, new, self.floor_versions[i])
        self.floor_cases[i] = new
        self.floor_versions[i] += 1
        return functools.partial(floor_save, self.floor, rows)

    def close(self) -> None:
        self.store.close()
        self.floor.close()

    def truncate_wal(self) -> None:
        for path in (self.store_path, self.floor_path):
            c = sqlite3.connect(path)
            busy, _log, _done = c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            assert busy == 0
            c.close()


def wal_commits(db: Path) -> int:
    """Commit frames in ``db``'s WAL (frames whose header gives the database size after a
    commit, with the salts of the WAL header)."""
    wal = Path(f"{db}-wal")
    data = wal.read_bytes() if wal.exists() else b""
    if len(data) < 32:
        return 0
    page_size = struct.unpack(">I", data[8:12])[0]
    salts = data[16:24]
    commits, offset = 0, 32
    while offset + 24 + page_size <= len(data):
        header = data[offset : offset + 24]
        if header[8:16] != salts:
            break
        commits += struct.unpack(">I", header[4:8])[0] != 0
        offset += 24 + page_size
    return commits


def probe(side: str, steps: int, saves: int, *, close: bool = True) -> int:
    """Set up 10 cases, empty the WAL, make one save and then ``saves`` more of ``steps`` steps
    on one side (``store`` or ``floor``); return the WAL's commit frames afterwards.
    ``close=False`` leaves the connections open (closing the last one checkpoints, with fsyncs
    of its own)."""
    root = Path(tempfile.mkdtemp(prefix="sen-bench-probe-"))
    try:
        pair = Pair(root, 10)
        pair.truncate_wal()
        make = pair.next_store if side == "store" else pair.next_floor
        make(9, steps)()  # restarts the WAL (its header is synced once): counted in N and in 0
        for k in range(saves):
            make(k % 9, steps)()
        commits = wal_commits(pair.store_path if side == "store" else pair.floor_path)
        if close:
            pair.close()
        return commits
    finally:
        shutil.rmtree(root, ignore_errors=True)


def strace_fsyncs(side: str, steps: int, saves: int) -> int | None:
    """fsync + fdatasync calls of a child making ``saves`` saves (None without strace)."""
    strace = shutil.which("strace")
    if strace is None:
        return None
    with tempfile.NamedTemporaryFile(suffix=".strace") as log:
        cmd = [strace, "-f", "-qq", "-c", "-e", "trace=fsync,fdatasync", "-o", log.name,
               sys.executable, __file__, "--probe", side, str(steps), str(saves)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0:
            return None  # e.g. ptrace not permitted in this container
        calls = 0
        for line in Path(log.name).read_text().splitlines():
            parts = line.split()
            if len(parts) >= 5 and parts[-1] in ("fsync", "fdatasync"):
                calls += int(parts[3])  # % time, seconds, usecs/call, calls, [errors], syscall
        return calls


# --- the run ------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--per-round", type=int, default=40)
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--probe", nargs=3, metavar=("SIDE", "STEPS", "SAVES"))
    args = ap.parse_args()
    if args.probe:
        side, steps, saves = args.probe[0], int(args.probe[1]), int(args.probe[2])
        print(probe(side, steps, saves, close=False))
        sys.stdout.flush()
        os._exit(0)  # no close: the last connection's checkpoint would add fsyncs
    out: list[str] = []

    def emit(line: str = "") -> None:
        print(line)
        sys.stdout.flush()
        out.append(line)

    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    root = Path(tempfile.mkdtemp(prefix="sen-bench-case-save-"))
    n_cases = args.per_round
    try:
        pair = Pair(root, n_cases)
        doc_bytes = statistics.fmean(len(pair.store.load(c.case_id).document.encode())
                                     for c in pair.cases)
        results: dict[int, dict[str, list[float]]] = {}
        for steps in (1, BATCH):
            s_times: list[float] = []
            p_times: list[float] = []
            f_times: list[float] = []
            ratios: list[float] = []
            part_ratios: list[float] = []
            ser: list[float] = []
            guard: list[float] = []
            cpu_store: list[float] = []
            cpu_part: list[float] = []
            cpu_floor: list[float] = []
            for r in range(args.rounds):
                rs: list[float] = []
                rp: list[float] = []
                rf: list[float] = []
                for i in range(n_cases):
                    build, save_part = pair.next_store_parts(i, steps)
                    floor_save_ = pair.next_floor(i, steps)

                    def store_side(build: Callable[[], CaseRecord] = build,
                                   save_part: Callable[[CaseRecord], object] = save_part
                                   ) -> tuple[float, float, float, float, float]:
                        c0, t0 = time.process_time(), time.perf_counter()
                        record = build()
                        c1, t1 = time.process_time(), time.perf_counter()
                        save_part(record)
                        c2, t2 = time.process_time(), time.perf_counter()
                        return t2 - t0, t2 - t1, c2 - c0, c2 - c1, t1 - t0

                    def floor_side(fn: Callable[[], None] = floor_save_) -> tuple[float, float]:
                        c0, t0 = time.process_time(), time.perf_counter()
                        fn()
                        return time.perf_counter() - t0, time.process_time() - c0

                    if (i + r) % 2:
                        got_s, got_f = store_side(), floor_side()
                    else:
                        got_f = floor_side()
                        got_s = store_side()
                    rs.append(got_s[0])
                    rp.append(got_s[1])
                    rf.append(got_f[0])
                    cpu_store.append(got_s[2])
                    cpu_part.append(got_s[3])
                    cpu_floor.append(got_f[1])
                    ser.append(got_s[4])
                    guard.append(pair.library_work())
                s_times += rs
                p_times += rp
                f_times += rf
                ratios.append(statistics.median(rs) / statistics.median(rf))
                part_ratios.append(statistics.median(rp) / statistics.median(rf))
            results[steps] = {"store": s_times, "part": p_times, "floor": f_times,
                              "ratio": ratios, "part_ratio": part_ratios, "serialise": ser,
                              "guard": guard, "cpu_store": cpu_store, "cpu_part": cpu_part,
                              "cpu_floor": cpu_floor}

        # one transaction per save ------------------------------------------------------------
        probes = 20
        commits = {(side, steps): probe(side, steps, probes) - probe(side, steps, 0)
                   for side in ("store", "floor") for steps in (1, BATCH)}
        fsyncs: dict[tuple[str, int], int | None] = {}
        for side in ("store", "floor"):
            for steps in (1, BATCH):
                a, b = strace_fsyncs(side, steps, probes), strace_fsyncs(side, steps, 0)
                fsyncs[(side, steps)] = None if a is None or b is None else a - b

        emit("# Durable case save with its audit entries vs a raw sqlite3 floor")
        emit()
        emit(
            f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; Python "
            f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} "
            f"CPUs, load {load_before:.2f} before / {os.getloadavg()[0]:.2f} after (other "
            f"sessions share the host). {n_cases} mediation cases (2 clocks each; documents "
            f"{doc_bytes:,.0f} bytes at the start, growing by a ~0.6 KB letter per step), saved "
            f"{args.rounds} times each per scenario, store and floor alternately. Both: the "
            "store's schema, 16 KiB pages, WAL, synchronous=FULL, in one temporary directory."
        )
        emit()
        emit("| save | side | median | [p25-p75] | p99 | CPU median | saves/s | ratio |")
        emit("|---|---|---:|---:|---:|---:|---:|---:|")
        for steps, res in results.items():
            label = "1 step, 1 audit row" if steps == 1 else f"{steps} steps, {steps} audit rows"
            for side, name, key, cpu in (
                ("store", "`records.save` = `to_record` + `Store.save`", "ratio", "cpu_store"),
                ("part", "its `Store.save` part (the record built)", "part_ratio", "cpu_part"),
                ("floor", "work-equivalent raw floor", "", "cpu_floor"),
            ):
                xs = res[side]
                ratio = f"**{statistics.median(res[key]):.2f}x**" if key else "1.00x"
                emit(
                    f"| {label} | {name} | {fmt(statistics.median(xs))} |"
                    f" [{fmt(q(xs, 0.25))}-{fmt(q(xs, 0.75))}] | {fmt(q(xs, 0.99))} |"
                    f" {fmt(statistics.median(res[cpu]))} |"
                    f" {1 / statistics.median(xs):,.0f} | {ratio} |"
                )
        emit()
        emit(
            "Ratio: median of the per-round ratios of medians "
            f"({args.rounds} rounds of {n_cases} saves; p25-p75 "
            + "; ".join(
                f"{s} step{'s' if s > 1 else ''}: records.save {q(res['ratio'], 0.25):.2f}-"
                f"{q(res['ratio'], 0.75):.2f}x, Store.save {q(res['part_ratio'], 0.25):.2f}-"
                f"{q(res['part_ratio'], 0.75):.2f}x" for s, res in results.items()
            )
            + "). CPU ratios (medians): "
            + "; ".join(
                f"{s} step{'s' if s > 1 else ''}: records.save "
                f"{statistics.median(res['cpu_store']) / statistics.median(res['cpu_floor']):.2f}x,"
                f" Store.save "
                f"{statistics.median(res['cpu_part']) / statistics.median(res['cpu_floor']):.2f}x"
                for s, res in results.items()
            )
            + "."
        )
        emit()
        emit("Where the extra time goes (the library's work outside SQL; medians):")
        emit()
        emit("| save | `records.save` minus floor | serialise the case (`to_record`, timed in"
             " the save) | `Store.save` minus floor | of which `document_guard` (timed again"
             " after the save on the same two versions, both in its cache) |")
        emit("|---|---:|---:|---:|---:|")
        for steps, res in results.items():
            m = statistics.median
            emit(f"| {steps} step{'s' if steps > 1 else ''} |"
                 f" {fmt(m(res['store']) - m(res['floor']))} |"
                 f" {fmt(m(res['serialise']))} |"
                 f" {fmt(m(res['part']) - m(res['floor']))} |"
                 f" {fmt(m(res['guard']))} |")
        emit()
        emit(
            "So the difference is the library's own Python work: serialising the case (the "
            "workflow's `to_record`), and in the store's part the guard checking the new version "
            "against the stored one and its columns, its argument checks and building the rows; "
            "the store also reads the stored clocks back for the history row (the floor keeps "
            "them in memory). Not extra syncs or commits (see below); the chain's hashes are on "
            "both sides."
        )
        emit()
        emit("## One transaction per save")
        emit()
        emit(f"Per save, over {probes} saves after `wal_checkpoint(TRUNCATE)` (N saves minus 0):")
        emit()
        emit("| save | side | WAL commit frames / save | fsync+fdatasync / save (strace) |")
        emit("|---|---|---:|---:|")
        for steps in (1, BATCH):
            for side in ("store", "floor"):
                f = fsyncs[(side, steps)]
                emit(f"| {steps} step{'s' if steps > 1 else ''} | {side} |"
                     f" {commits[(side, steps)] / probes:.2f} |"
                     f" {'n/a (no strace)' if f is None else f'{f / probes:.2f}'} |")
        one = all(commits[k] == probes for k in commits)
        same = all(fsyncs[("store", s)] == fsyncs[("floor", s)] for s in (1, BATCH))
        emit()
        emit(
            f"{'Confirmed' if one else 'NOT confirmed'}: each store save is one commit in the "
            "WAL, as each floor save (a second transaction would be a second commit frame), and "
            + ("the store makes exactly as many fsync/fdatasync calls per save as the "
               "one-transaction floor." if same and None not in fsyncs.values() else
               "strace counts: see the table.")
            + " Counted by parsing the WAL frame headers (commit frames carry the database "
            "size after the commit) and by `strace -f -c -e trace=fsync,fdatasync` on a child "
            "process making the saves."
        )
        emit()
        emit(f"Whole run: {time.perf_counter() - started:.1f} s.")
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text("\n".join(out) + "\n", encoding="utf-8")
        pair.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
