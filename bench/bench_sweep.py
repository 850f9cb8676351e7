"""The daily sweep over N stored cases against a hand-written raw ``sqlite3`` floor.

N mediation cases (default 10,000; ``--cases 100000``) are stored, every one with its 30-day
arrange clock ending the day before the sweep, so every case has one event to record (the
mediation not arranged in time: the arrange clock missed, the deemed-certificate clock started),
the heaviest ordinary day. The store side is :func:`sen_disagreement.sweeping.sweep_all` through
``CaseService.sweep`` on the default SQLite store (WAL, ``synchronous=FULL``): 16 shard leases,
the candidate query, and per case a load, the workflow's tick, the history check and one
durable save with its chained audit entry.

The floor does the same reads and writes the same rows with raw ``sqlite3``, one ``BEGIN
IMMEDIATE`` ... ``COMMIT`` per case as the store (each event is durable on its own): the same
indexed candidate query (``deadlines`` by status and due date, joined to ``cases``), per case
the case row and its clock rows, then the history row, the case row with the new document (built
before the clock starts), the clock rows replaced and the audit row (with its chain columns
copied from the store's run, so the row is the same size). It does none of the library's Python
work: parsing the stored case, the tick, checking the new version against the stored one,
serialising, hashing the chain.

Both run on copies of one database file (``Connection.backup``), alternately, ``--repeats``
times; the table gives min and median, cases per second, and the ratio of medians. After each
store run the rows it wrote are counted against the floor's (same history, audit and clock
rows).

Run:  .venv/bin/python bench/bench_sweep.py [--cases 10000] [--repeats 3]
      (writes bench/results/sweep.md; about two minutes for 10,000 cases)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_store import fmt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import sweep_support as support

from sen_disagreement.actors import SYSTEM
from sen_disagreement.store import open_store
from sen_disagreement.store import sqlite as sqlite_module
from sen_disagreement.sweeping import event_time, sweep_all
from sen_disagreement.workflow import records
from sen_disagreement.workflow import steps as st

RESULTS = Path(__file__).resolve().parent / "results" / "sweep.md"
TOLD = dt.date(2025, 3, 12)
DAY = dt.date(2025, 4, 12)  # the day after the 30 days end (2025-04-11)
CANDIDATES = (
    "SELECT c.case_id, d.due FROM deadlines d CROSS JOIN cases c ON c.id = d.case_ref"
    " WHERE d.status = 'running' AND d.due <= ? ORDER BY d.due, d.clock_id, d.case_ref"
)


def build(root: Path, n: int) -> tuple[Path, list[tuple[str, str, list[tuple[str, str, str]]]]]:
    """The base database of ``n`` cases, and for each case what its sweep writes (the new
    document and clock rows), built from one template by case id."""
    template = support.route_chosen("tmpl-000000", TOLD)
    ticked = st.apply_step(template, SYSTEM, st.Sweep(today=DAY),
                           at=event_time(DAY, template.audit.entries[-1].at, support.NOW))
    new_doc = records.to_record(ticked, version=1).document
    new_rows = [(d.clock_id, d.due.isoformat(), d.status)
                for d in records.deadline_entries(ticked)]
    ids = [f"bench-{k:06d}" for k in range(n)]
    base = root / "base.sqlite3"
    with open_store(f"sqlite:///{base}") as store:
        support.import_cases(store, support.clones(template, ids), batch=5000)
    plan = [(cid, new_doc.replace('"tmpl-000000"', f'"{cid}"'), new_rows) for cid in ids]
    return base, plan


def copy(src: Path, dst: Path) -> None:
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    a.backup(b)
    a.close()
    b.close()


def counts(path: Path) -> dict[str, int]:
    c = sqlite3.connect(path)
    out = {t: int(c.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
           for t in ("case_history", "audit", "deadlines")}
    out["missed"] = int(c.execute(
        "SELECT count(*) FROM deadlines WHERE status = 'missed'").fetchone()[0])
    c.close()
    return out


def run_store(path: Path) -> float:
    svc = support.service(f"sqlite:///{path}")
    with svc.store:
        t0 = time.perf_counter()
        report = sweep_all(svc, DAY)
        elapsed = time.perf_counter() - t0
    assert report.complete and report.events == report.candidates, report.summary()
    return elapsed


def audit_template(path: Path) -> tuple[object, ...]:
    """One audit row the store's sweep wrote (the floor writes rows of the same shape)."""
    c = sqlite3.connect(path)
    row = c.execute("SELECT at, actor, action, case_id, outcome, fields, committed_at,"
                    " prev_hash, hash, doc_version, doc_hash FROM audit"
                    " WHERE actor = 'system' ORDER BY seq DESC LIMIT 1").fetchone()
    c.close()
    return tuple(row)


def run_floor(path: Path, plan: list[tuple[str, str, list[tuple[str, str, str]]]],
              audit: tuple[object, ...]) -> float:
    c = sqlite3.connect(path, isolation_level=None)
    assert c.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    c.execute("PRAGMA synchronous=FULL")
    c.execute("PRAGMA foreign_keys=ON")
    c.execute("PRAGMA secure_delete=ON")
    docs = {cid: (doc, rows) for cid, doc, rows in plan}
    insert_audit = (
        "INSERT INTO audit(at, actor, action, case_id, outcome, fields, committed_at, prev_hash,"
        " hash, doc_version, doc_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
    )
    t0 = time.perf_counter()
    due = c.execute(CANDIDATES, ((DAY - dt.timedelta(days=1)).isoformat(),)).fetchall()
    for case_id, _due in due:
        doc, rows = docs[case_id]
        c.execute("BEGIN IMMEDIATE")
        rowid, version, _document = c.execute(
            "SELECT id, version, document FROM cases WHERE case_id = ?", (case_id,)).fetchone()
        old = c.execute("SELECT clock_id, due, status FROM deadlines WHERE case_ref = ?"
                        " ORDER BY clock_id", (rowid,)).fetchall()
        c.execute(
            "INSERT INTO case_history(case_ref, version, council, kind, state, created_at,"
            " updated_at, subject_dob, closed_on, legal_hold, deadlines, document)"
            " SELECT id, version, council, kind, state, created_at, updated_at, subject_dob,"
            " closed_on, legal_hold, ?, document FROM cases WHERE id = ?",
            (json.dumps([list(r) for r in old], separators=(",", ":")), rowid),
        )
        c.execute("UPDATE cases SET state = 'not_arranged', version = ?, updated_at = ?,"
                  " document = ? WHERE id = ?", (version + 1, audit[0], doc, rowid))
        c.execute("DELETE FROM deadlines WHERE case_ref = ?", (rowid,))
        c.executemany(sqlite_module._INSERT_DEADLINE, [(rowid, *r) for r in rows])
        c.execute("SELECT hash, n FROM audit_chain WHERE chain = ?", (case_id,)).fetchone()
        c.execute(insert_audit, (audit[0], audit[1], audit[2], case_id, *audit[4:]))
        c.execute("UPDATE audit_chain SET hash = ?, n = n + 1, last_committed = ?"
                  " WHERE chain = ?", (audit[8], audit[6], case_id))
        c.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    c.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args()
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    root = Path(tempfile.mkdtemp(prefix="sen-bench-sweep-"))
    try:
        t0 = time.perf_counter()
        base, plan = build(root, args.cases)
        setup = time.perf_counter() - t0
        store_times: list[float] = []
        floor_times: list[float] = []
        same = True
        for r in range(args.repeats):
            s_path, f_path = root / f"store-{r}.sqlite3", root / f"floor-{r}.sqlite3"
            copy(base, s_path)
            copy(base, f_path)
            order = ("store", "floor") if r % 2 == 0 else ("floor", "store")
            audit: tuple[object, ...] | None = None
            for side in order:
                if side == "store":
                    store_times.append(run_store(s_path))
                    audit = audit_template(s_path)
                else:
                    if audit is None:  # the floor ran first: take the row shape from a probe
                        probe = root / "probe.sqlite3"
                        copy(base, probe)
                        run_store(probe)
                        audit = audit_template(probe)
                        probe.unlink()
                    floor_times.append(run_floor(f_path, plan, audit))
            same = same and counts(s_path) == counts(f_path)
            s_path.unlink()
            f_path.unlink()
            print(f"repeat {r + 1}: store {fmt(store_times[-1])}, floor {fmt(floor_times[-1])}",
                  flush=True)
        n = args.cases
        ratio = statistics.median(store_times) / statistics.median(floor_times)
        lines = [
            "# The daily sweep vs a raw sqlite3 floor",
            "",
            f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; Python "
            f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} "
            f"CPUs, load {load_before:.2f} before / {os.getloadavg()[0]:.2f} after (other "
            f"sessions share the host). {n:,} stored mediation cases, every one with its 30-day "
            "clock ending the day before the sweep (one event each: the heaviest ordinary "
            f"day); {args.repeats} runs per side on copies of one database, alternately. Both: "
            "the store's schema, 16 KiB pages, WAL, synchronous=FULL, one transaction per "
            f"case. Setup (build and import): {setup:.1f} s.",
            "",
            "| side | min | median | cases/s (median) | ratio |",
            "|---|---:|---:|---:|---:|",
            f"| `sweep_all` (store, through `CaseService.sweep`) | {fmt(min(store_times))} |"
            f" {fmt(statistics.median(store_times))} |"
            f" {n / statistics.median(store_times):,.0f} | **{ratio:.2f}x** |",
            f"| raw floor (same reads, same rows) | {fmt(min(floor_times))} |"
            f" {fmt(statistics.median(floor_times))} |"
            f" {n / statistics.median(floor_times):,.0f} | 1.00x |",
            "",
            f"Rows written: {'the same' if same else 'NOT the same'} on both sides (history, "
            "audit and clock rows, clocks marked missed), checked after every run.",
            "",
            "The difference is the library's Python work per case, which the floor does not do: "
            "reading the stored case back into its typed form, the tick, the successor check and "
            "the store's own check of the new version (`document_guard`), serialising the new "
            "version, and the audit chain's hash. The SQL and the syncs are the same: one commit "
            "per case on both sides. A day with no clock passing costs the candidate query only.",
            "",
            f"Whole run: {time.perf_counter() - started:.1f} s.",
        ]
        text = "\n".join(lines) + "\n"
        print(text)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
