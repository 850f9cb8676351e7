"""The case store against raw ``sqlite3`` floors, side by side in one run.

Goals (issue 6), each a ratio of medians of *paired* samples (store and floor timed in the same
round, alternately, so the host's noise hits both alike):

1. batched insert of 100,000 cases with ``save_many`` (1,000 per call) <= 1.3x a raw
   ``executemany`` of the same cases into the floor's one-table schema;
2. a durable single-case write (``save`` of a new case) <= 1.5x a raw ``INSERT`` + ``COMMIT``
   with WAL + ``synchronous=FULL``;
3. a 14-day deadline-window query over the 100,000 cases <= 2x the raw query on a deadline index.

The floor is the schema of the project's SQLite floor benchmark: ``cases(id, case_ref UNIQUE,
council, status, deadline, doc)`` with an index on ``deadline``, here with the store's own
settings (16 KiB pages, WAL, ``synchronous=FULL``) so the ratios measure the store, not the
settings. Also reported: bytes stored per case and what they consist of (``dbstat``).

Run:  .venv/bin/python bench/bench_store.py [--cases 100000] [--out bench/results/store.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import attrs

from sen_disagreement.store import CaseRecord, DeadlineEntry, open_store
from sen_disagreement.store import sqlite as sqlite_module
from sen_disagreement.store.sqlite import SQLiteStore

FLOOR_SCHEMA = (
    """CREATE TABLE cases (
        id        INTEGER PRIMARY KEY,
        case_ref  TEXT NOT NULL UNIQUE,
        council   TEXT NOT NULL,
        status    TEXT NOT NULL,
        deadline  TEXT NOT NULL,
        doc       TEXT NOT NULL
    )""",
    "CREATE INDEX cases_deadline ON cases(deadline)",
)
FLOOR_INSERT = "INSERT INTO cases(case_ref, council, status, deadline, doc) VALUES (?,?,?,?,?)"
FLOOR_WINDOW = (
    "SELECT id, case_ref, deadline FROM cases WHERE deadline BETWEEN ? AND ? ORDER BY deadline"
)
T0 = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
DAY0 = dt.date(2015, 1, 1)
SPAN_DAYS = 4018  # deadlines spread over 2015-2025, as in the floor benchmark
STATES = ("received", "awaiting_consent", "scheduled", "held", "agreed", "closed")


def document(i: int, rng: random.Random) -> str:
    """A ~2.2 KB JSON case document shaped like the floor's nested record."""
    parties = [
        {
            "party_id": f"P{i:07d}-{k}",
            "role": ("parent", "local_authority", "school")[k],
            "consented_on": f"2025-01-0{k + 2}",
            "contact_ref": f"contact/{i}/{k}",
            "notes": "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(120)),
        }
        for k in range(3)
    ]
    issues = [
        {"issue_id": f"I{i}-{k}", "type": "ehcp_content", "section": "BFI"[k % 3],
         "summary": "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(150))}
        for k in range(4)
    ]  # fmt: skip
    doc = {
        "case_id": f"ENG-E08000014-2025-{i:07d}",
        "council": "E08000014",
        "kind": "mediation",
        "status": STATES[i % len(STATES)],
        "received_on": "2025-01-06",
        "child": {"child_id": f"CH{i:07d}", "year_group": 7, "setting": "URN 123456"},
        "parties": parties,
        "issues": issues,
        "provider": "provider-x",
        "tags": ["tribunal_route", "health"],
        "version": 1,
    }
    return json.dumps(doc, separators=(",", ":"))


def make_cases(n: int, seed: int, prefix: str) -> tuple[list[CaseRecord], list[tuple[object, ...]]]:
    """The same cases as store records and as floor rows."""
    rng = random.Random(seed)
    pool = [document(i, rng) for i in range(1000)]
    records: list[CaseRecord] = []
    rows: list[tuple[object, ...]] = []
    for i in range(n):
        due = DAY0 + dt.timedelta(days=rng.randrange(SPAN_DAYS))
        doc = pool[i % len(pool)]
        state = STATES[i % len(STATES)]
        case_id = f"{prefix}{i:09d}"
        records.append(
            CaseRecord(
                case_id=case_id,
                council="E08000014",
                kind="mediation",
                state=state,
                version=0,
                document=doc,
                created_at=T0 + dt.timedelta(seconds=i),
                updated_at=T0 + dt.timedelta(seconds=i),
                deadlines=(DeadlineEntry(clock_id="arrange_mediation", due=due, status="running"),),
                subject_date_of_birth=dt.date(2012, 5, 17),
            )
        )
        rows.append((case_id, "E08000014", state, due.isoformat(), doc))
    return records, rows


def floor_connect(path: Path) -> sqlite3.Connection:
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA page_size=16384")
    assert c.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    c.execute("PRAGMA synchronous=FULL")
    c.execute("PRAGMA foreign_keys=ON")
    for statement in FLOOR_SCHEMA:
        c.execute(statement)
    return c


def same_schema_connect(path: Path) -> sqlite3.Connection:
    """A raw connection with the store's own schema (a second floor: the same SQL work, no
    library code)."""
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA page_size=16384")
    assert c.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    c.execute("PRAGMA synchronous=FULL")
    c.execute("PRAGMA foreign_keys=ON")
    for _version, statements in sqlite_module.MIGRATIONS:
        for statement in statements:
            c.execute(statement)
    return c


Rows = list[tuple[object, ...]]


def same_schema_rows(records: list[CaseRecord]) -> tuple[Rows, Rows, Rows]:
    cases: Rows = [
        (i + 1, r.case_id, r.council, r.kind, r.state, 1, sqlite_module.ts(r.created_at),
         sqlite_module.ts(r.updated_at), "2012-05-17", None, 0, r.document)
        for i, r in enumerate(records)
    ]  # fmt: skip
    deadlines: Rows = [
        (i + 1, d.clock_id, d.due.isoformat(), d.status)
        for i, r in enumerate(records)
        for d in r.deadlines
    ]
    audit: Rows = [(1, "import:1", "case.imported", r.case_id, "ok", "", 1) for r in records]
    return cases, deadlines, audit


def q(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    k = (len(xs) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def table_bytes(path: Path) -> dict[str, int]:
    c = sqlite3.connect(path)
    try:
        rows = c.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
    finally:
        c.close()
    return {str(name): int(size) for name, size in rows}


def checkpoint(path: Path) -> int:
    c = sqlite3.connect(path)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--writes", type=int, default=300)
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "store.md"))
    args = ap.parse_args()
    out: list[str] = []

    def emit(line: str = "") -> None:
        print(line)
        sys.stdout.flush()
        out.append(line)

    tmp = Path(tempfile.mkdtemp(prefix="sen-bench-store-"))
    try:
        store_db, floor_db = tmp / "store.sqlite3", tmp / "floor.sqlite3"
        store = open_store(f"sqlite:///{store_db}")
        assert isinstance(store, SQLiteStore)
        floor = floor_connect(floor_db)
        same = same_schema_connect(tmp / "same.sqlite3")
        records, rows = make_cases(args.cases, 1, "C")
        same_cases, same_deadlines, same_audit = same_schema_rows(records)
        doc_avg = statistics.fmean(len(r.document) for r in records[:1000])
        emit("# Case store vs raw sqlite3 floors")
        emit()
        emit(
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; "
            f"{args.cases:,} cases, documents {doc_avg:,.0f} bytes on average; "
            f"both databases: 16 KiB pages, WAL, synchronous=FULL, in one temporary directory."
        )
        emit()

        # 1. batched insert, interleaved batch by batch ------------------------------------
        b = args.batch
        store_batches: list[float] = []
        floor_batches: list[float] = []
        same_batches: list[float] = []
        ratios: list[float] = []
        same_ratios: list[float] = []
        for k in range(0, args.cases, b):
            recs, rws = records[k : k + b], rows[k : k + b]

            def run_store(recs: list[CaseRecord] = recs) -> None:
                store.save_many(recs, actor="import:1")

            def run_floor(rws: list[tuple[object, ...]] = rws) -> None:
                floor.execute("BEGIN IMMEDIATE")
                floor.executemany(FLOOR_INSERT, rws)
                floor.execute("COMMIT")

            def run_same(k: int = k) -> None:
                same.execute("BEGIN IMMEDIATE")
                same.executemany(sqlite_module._INSERT_CASE, same_cases[k : k + b])
                same.executemany(sqlite_module._INSERT_DEADLINE, same_deadlines[k : k + b])
                same.executemany(sqlite_module._INSERT_AUDIT, same_audit[k : k + b])
                same.execute("COMMIT")

            if (k // b) % 2:
                ts_, tf, tm = timed(run_store), timed(run_floor), timed(run_same)
            else:
                tm, tf, ts_ = timed(run_same), timed(run_floor), timed(run_store)
            store_batches.append(ts_ / len(recs))
            floor_batches.append(tf / len(recs))
            same_batches.append(tm / len(recs))
            ratios.append(ts_ / tf)
            same_ratios.append(ts_ / tm)
        same.close()
        r1 = statistics.median(ratios)
        emit(f"## 1. Batched insert of {args.cases:,} cases ({b:,} per transaction)")
        emit()
        emit("| | per case, median [p25-p75] | whole load | cases/s |")
        emit("|---|---:|---:|---:|")
        for label, xs in (
            ("store `save_many`", store_batches),
            ("raw `executemany`, floor schema (1 table)", floor_batches),
            ("raw `executemany`, the store's schema (same rows, prebuilt tuples)", same_batches),
        ):
            total = sum(xs) * b
            emit(
                f"| {label} | {fmt(statistics.median(xs))} [{fmt(q(xs, 0.25))}-{fmt(q(xs, 0.75))}]"
                f" | {fmt(total)} | {args.cases / total:,.0f} |"
            )
        emit()
        emit(
            f"**Ratio {r1:.2f}x** (median of {len(ratios)} paired per-batch ratios; goal <= "
            f"1.3x; p25-p75 {q(ratios, 0.25):.2f}-{q(ratios, 0.75):.2f}x). Per case the store "
            "writes the case row (3 indexes), one deadline row (2 b-trees) and one audit row "
            "(1 index); the floor writes one row (2 indexes)."
        )
        emit()
        r1b = statistics.median(same_ratios)
        emit(
            f"Against raw SQL doing the store's own writes (same three tables and indexes, tuples "
            f"built beforehand) the ratio is **{r1b:.2f}x**: that part is the library's cost "
            "(validation, building rows, the rest is the data model's extra rows)."
        )
        emit()

        # 2. durable single-case write -----------------------------------------------------
        new_records, new_rows = make_cases(args.writes, 2, "S")
        s_times: list[float] = []
        f_times: list[float] = []
        for i in range(args.writes):
            rec, rw = new_records[i], new_rows[i]

            def one_store(rec: CaseRecord = rec) -> None:
                store.save(rec, 0, actor="officer:1")

            def one_floor(rw: tuple[object, ...] = rw) -> None:
                floor.execute("BEGIN IMMEDIATE")
                floor.execute(FLOOR_INSERT, rw)
                floor.execute("COMMIT")

            if i % 2:
                s_times.append(timed(one_store))
                f_times.append(timed(one_floor))
            else:
                f_times.append(timed(one_floor))
                s_times.append(timed(one_store))
        chunk = 20
        pair_ratios = [
            statistics.median(s_times[j : j + chunk]) / statistics.median(f_times[j : j + chunk])
            for j in range(0, args.writes, chunk)
        ]
        r2 = statistics.median(pair_ratios)
        emit(f"## 2. Durable single-case write ({args.writes} commits each, alternating)")
        emit()
        emit("| | median | [p25-p75] | p99 | commits/s |")
        emit("|---|---:|---:|---:|---:|")
        for label, xs in (("store `save` (new case)", s_times), ("raw INSERT + COMMIT", f_times)):
            emit(
                f"| {label} | {fmt(statistics.median(xs))} |"
                f" [{fmt(q(xs, 0.25))}-{fmt(q(xs, 0.75))}] | {fmt(q(xs, 0.99))}"
                f" | {1 / statistics.median(xs):,.0f} |"
            )
        emit()
        emit(
            f"**Ratio {r2:.2f}x** (median of {len(pair_ratios)} ratios of {chunk}-commit medians; "
            f"goal <= 1.5x). The store's transaction also reads the current version (optimistic "
            "concurrency) and writes the deadline and audit rows; the fsync dominates both."
        )
        emit()

        # 3. deadline-window query ----------------------------------------------------------
        rng = random.Random(3)
        windows = []
        for _ in range(args.queries):
            start = DAY0 + dt.timedelta(days=rng.randrange(SPAN_DAYS - 14))
            windows.append((start, start + dt.timedelta(days=13)))
        q_store: list[float] = []
        q_floor: list[float] = []
        q_ratios: list[float] = []
        counts: list[int] = []
        for j, (start, end) in enumerate(windows):
            iso = (start.isoformat(), end.isoformat())
            result: list[int] = []

            def do_store(
                start: dt.date = start, end: dt.date = end, result: list[int] = result
            ) -> None:
                result.append(len(store.deadlines_between(start, end)))

            def do_floor(iso: tuple[str, str] = iso) -> None:
                floor.execute(FLOOR_WINDOW, iso).fetchall()

            do_store()
            do_floor()  # warm both
            if j % 2:
                a, c = timed(do_store), timed(do_floor)
            else:
                c, a = timed(do_floor), timed(do_store)
            q_store.append(a)
            q_floor.append(c)
            q_ratios.append(a / c)
            counts.append(result[-1])
        r3 = statistics.median(q_ratios)
        emit(
            f"## 3. 14-day deadline window over {args.cases:,} cases "
            f"({len(windows)} random windows, median {statistics.median(counts):.0f} rows)"
        )
        emit()
        emit("| | median | [p25-p75] |")
        emit("|---|---:|---:|")
        for label, xs in (
            (
                "store `deadlines_between` (typed rows: case, council, kind, state, clock, due)",
                q_store,
            ),
            ("raw indexed query (id, case_ref, deadline)", q_floor),
        ):
            emit(
                f"| {label} | {fmt(statistics.median(xs))} |"
                f" [{fmt(q(xs, 0.25))}-{fmt(q(xs, 0.75))}] |"
            )
        emit()
        emit(f"**Ratio {r3:.2f}x** (median of paired ratios; goal <= 2x).")
        emit()

        # 4. bytes per case -------------------------------------------------------------------
        n_cases = args.cases + args.writes
        store.close()
        floor.close()
        store_size = checkpoint(store_db)
        floor_size = checkpoint(floor_db)
        parts = table_bytes(store_db)
        emit("## 4. Bytes stored per case")
        emit()
        emit(
            f"After a TRUNCATE checkpoint: store **{store_size / n_cases:,.0f} bytes/case**, floor "
            f"{floor_size / n_cases:,.0f} bytes/case ({store_size / floor_size:.2f}x), for one "
            f"version, one deadline and one audit entry per case; document {doc_avg:,.0f} bytes."
        )
        emit()
        emit("| table or index | bytes per case | share |")
        emit("|---|---:|---:|")
        total = sum(parts.values())
        for name, size in sorted(parts.items(), key=lambda kv: -kv[1]):
            if size / n_cases >= 1:
                emit(f"| {name} | {size / n_cases:,.1f} | {100 * size / total:.1f} % |")
        emit()

        # history growth: 1,000 cases updated 4 times each
        hist_db = tmp / "history.sqlite3"
        hs = open_store(f"sqlite:///{hist_db}")
        hrecs, _ = make_cases(200, 4, "H")
        hs.save_many(hrecs, actor="import:1")
        saved = [attrs.evolve(r, version=1) for r in hrecs]
        for v in range(1, 5):
            saved = [
                hs.save(
                    attrs.evolve(r, state=STATES[v], updated_at=T0 + dt.timedelta(days=v)),
                    v,
                    actor="officer:1",
                    fields=["state"],
                )
                for r in saved
            ]
        hs.close()
        hist_size = checkpoint(hist_db)
        hparts = table_bytes(hist_db)
        emit(
            f"A case saved 5 times (4 superseded versions in `case_history`, 5 audit entries): "
            f"**{hist_size / 200:,.0f} bytes/case** in total over 200 cases "
            f"(case_history {hparts.get('case_history', 0) / 200:,.0f}, "
            f"cases {hparts.get('cases', 0) / 200:,.0f}, "
            f"audit {hparts.get('audit', 0) / 200:,.0f} bytes/case; the rest is indexes and "
            "partly filled pages): each superseded version keeps its full document."
        )
        emit()
        emit("## Summary")
        emit()
        emit("| goal | measured | target | met |")
        emit("|---|---:|---:|:---:|")
        for label, ratio, goal in (
            ("batched insert vs raw executemany (floor schema)", r1, 1.3),
            ("batched insert vs raw executemany (store's schema)", r1b, 1.3),
            ("durable single-case write vs raw WAL+FULL commit", r2, 1.5),
            ("deadline-window query vs indexed raw query", r3, 2.0),
        ):
            emit(f"| {label} | {ratio:.2f}x | <= {goal}x | {'yes' if ratio <= goal else 'NO'} |")
        emit()
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text("\n".join(out) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
