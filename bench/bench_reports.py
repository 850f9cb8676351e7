"""The SEN2 report and the metrics over N stored cases (SQLite), against a hand-written floor.

N cases (default 100,000) of one council are stored: clones, by case id, of 400 cases built
through the workflow's own steps (tests/reports/population.py: mediation over every decision
group and path, one in ten disagreement resolution), with the audited Tribunal-bundle exports
of the clones whose template was exported. The library side is
:func:`sen_disagreement.reports.sen2.sen2_report` and
:func:`sen_disagreement.reports.metrics.metrics_report` through ``CaseService`` as the
council's officer: the store's council query page by page, every record structured into its
case (``records.from_record``: the document parsed, the case rebuilt and checked against its
columns), the store's audit trail of each mediation case (SEN2 only), the derivation.

The floor reads the same rows with raw ``sqlite3`` (the same pages of ``cases`` by council and
case id, and for SEN2 the ``audit`` rows of each mediation case), ``json.loads`` each document
and derives the same figures from the parsed dicts: none of the library's checking or
structuring. Its answer is compared with the library's (same rows; same caseload and
certificate counts), so both do the same job.

Run:  .venv/bin/python bench/bench_reports.py [--cases 100000] [--repeats 1]
      (writes bench/results/reports.md; about four minutes for 100,000 cases on a quiet core)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from reports.population import CLERK, COUNCIL, OFFICER, directory, generate

from sen_disagreement.reports.metrics import metrics_report
from sen_disagreement.reports.sen2 import sen2_report
from sen_disagreement.service import CaseService
from sen_disagreement.store import CaseRecord
from sen_disagreement.store.contract import AuditEntry
from sen_disagreement.workflow import records

RESULTS = Path(__file__).resolve().parent / "results" / "reports.md"
YEAR = 2025
TEMPLATES = 400


def build(db: Path, n: int) -> None:
    cases, plans = generate(TEMPLATES, seed=16)
    service = CaseService.open(f"sqlite:///{db}", directory=directory(), timeout=None)
    with service.store as store:
        batch: list[CaseRecord] = []
        exports: list[AuditEntry] = []
        for i in range(n):
            case, plan = cases[i % TEMPLATES], plans[i % TEMPLATES]
            cid = f"b{i:07d}"
            rec = records.to_record(case)
            batch.append(attrs.evolve(rec, case_id=cid, document=rec.document.replace(
                f'"{case.case_id}"', f'"{cid}"')))
            if plan.exported_on is not None:
                exports.append(AuditEntry(
                    actor=CLERK.actor_id, action="export.tribunal_bundle",
                    at=dt.datetime.combine(plan.exported_on, dt.time(10), dt.UTC),
                    case_id=cid, fields=("items", "issues")))
            if len(batch) == 5000:
                store.save_many(batch, actor="system")
                batch = []
        if batch:
            store.save_many(batch, actor="system")
        for e in exports:
            store.append_audit(e)


# --- the floor ---------------------------------------------------------------------------------

_GROUP = {"s51(2)(a)": "Request", "s51(2)(b)": "Assessment"}


def _pages(con: sqlite3.Connection) -> Any:
    after = ""
    while True:
        page = con.execute("SELECT case_id, kind, document FROM cases WHERE council = ? AND "
                           "case_id > ? ORDER BY case_id LIMIT 1000", (COUNCIL, after)).fetchall()
        yield from page
        if len(page) < 1000:
            return
        after = page[-1][0]


def floor_sen2(db: Path) -> list[tuple[str, str, bool, bool]]:
    con = sqlite3.connect(db)
    rows = []
    for cid, kind, doc in _pages(con):
        if kind != "mediation":
            continue
        case = json.loads(doc)["case"]
        trail = con.execute("SELECT action, outcome, at FROM audit WHERE case_id = ? ORDER BY "
                            "seq", (cid,)).fetchall()
        exported = next((at for a, o, at in trail
                         if a == "export.tribunal_bundle" and o == "ok"), None)
        held = case["held_on"]
        med = held is not None and held.startswith(f"{YEAR}-")
        trib = exported is not None and dt.datetime.fromtimestamp(
            exported / 1e6, dt.UTC).year == YEAR
        groups = {_GROUP.get(d, "Other") for d in case["notice"]["decisions"]}
        if (med or trib) and len(groups) == 1:
            rows.append((cid, groups.pop(), med, trib))
    con.close()
    return rows


def floor_metrics(db: Path) -> dict[str, Counter[str]]:
    con = sqlite3.connect(db)
    out: dict[str, Counter[str]] = {k: Counter() for k in
                                    ("kind", "state", "route", "certs", "deadlines", "issues")}
    for _cid, kind, doc in _pages(con):
        case = json.loads(doc)["case"]
        out["kind"][kind] += 1
        out["state"][f"{kind}:{case['state']}"] += 1
        out["route"][case.get("route") or kind] += 1
        for c in case.get("certificates", ()):
            out["certs"][c["kind"]] += 1
        for d in case.get("deadlines", ()):
            out["deadlines"][f"{d['clock_id']}:{d['status']}"] += 1
        for issue_id, outcome in case["issues"].get("outcomes", ()):
            out["issues"][f"{issue_id}:{outcome}"] += 1
    con.close()
    return out


def timed(fn: Any, repeats: int) -> tuple[list[float], Any]:
    times, answer = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        answer = fn()
        times.append(time.perf_counter() - t)
    return times, answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print, do not write results")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "reports.sqlite3"
        t0 = time.perf_counter()
        build(db, args.cases)
        built = time.perf_counter() - t0
        service = CaseService.open(f"sqlite:///{db}", directory=directory(), timeout=None)
        with service.store:
            lib_sen2, report = timed(
                lambda: sen2_report(service, OFFICER.actor_id, year=YEAR), args.repeats)
            lib_metrics, metrics = timed(
                lambda: metrics_report(service, OFFICER.actor_id, on=dt.date(2026, 1, 1)),
                args.repeats)
        raw_sen2, floor_rows = timed(lambda: floor_sen2(db), args.repeats)
        raw_metrics, floor_counts = timed(lambda: floor_metrics(db), args.repeats)
    mine = [(r.case_ref, r.group.value, r.mediation, r.tribunal) for r in report.rows]
    assert mine == floor_rows, "the floor and the library disagree on the SEN2 rows"
    assert dict(floor_counts["kind"]) == metrics.caseload["type"]
    assert dict(floor_counts["certs"]) == metrics.certificates
    assert metrics.cases == args.cases
    lines = [
        "# Reports over stored cases (bench/bench_reports.py)",
        "",
        f"{args.cases:,} cases of one council in SQLite (clones of {TEMPLATES} built through "
        f"the workflow's steps); store built in {built:.0f} s. {len(report.rows):,} SEN2 rows "
        f"for {YEAR}, {len(report.problems):,} cases named unplaced. Times are the median of "
        f"{args.repeats} run(s); the floor reads the same rows with raw sqlite3 and json.loads "
        "and derives the same figures (answers checked equal).",
        "",
        "| report | library (s) | cases/s | floor (s) | ratio library/floor |",
        "|---|---|---|---|---|",
    ]
    for name, lib, raw in (("SEN2 (with each mediation's audit trail)", lib_sen2, raw_sen2),
                           ("metrics", lib_metrics, raw_metrics)):
        a, b = statistics.median(lib), statistics.median(raw)
        lines.append(f"| {name} | {a:.1f} | {args.cases / a:,.0f} | {b:.1f} | {a / b:.1f}x |")
    lines += [
        "",
        f"Machine: {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPU(s), shared with other work while it ran "
        "(expect a wide spread between runs).",
        "",
        "The gap to the floor is the library structuring and checking every stored case "
        "(`records.from_record`) rather than reading a few keys of the parsed JSON; a report "
        "reads each case once, so the time is linear in the council's caseload.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
