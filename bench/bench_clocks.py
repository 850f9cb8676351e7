"""Benchmark: working-day deadlines against a precomputed list + bisect floor, import cost, and
the first deadline in a fresh process.

Goals (issue 3): per deadline at most 1.5x the floor, measured side by side in the same run, and
constant in the number of days added; ``import sen_disagreement`` must not import ``holidays``;
the first deadline in a fresh process costs at most 20 ms.

Method: every candidate runs in interleaved rounds (rotated order), each round computing the same
batch of deadlines; ratios are medians of per-round ratios, so both sides of a ratio saw the
same noise. Process-level figures come from fresh interpreters, also interleaved.

Run: ``.venv/bin/python bench/bench_clocks.py [rounds]``; writes ``bench/results/clocks.md``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sen_disagreement.calendar import bank_holidays, working_day_calendar
from sen_disagreement.clocks import deadline, due_date

RESULTS = Path(__file__).resolve().parent / "results" / "clocks.md"
PYCACHE = Path(tempfile.gettempdir()) / "sen_disagreement_bench_pycache"
TOTAL = 1_000_000


def make_floor() -> Callable[[dt.date, int], dt.date]:
    """The floor from the project's bench-floors: a sorted list of working-day ordinals and
    bisect, built here from the same holiday dates."""
    hol = {d.toordinal() for d in bank_holidays()}
    first, last = dt.date(2014, 1, 1).toordinal(), dt.date(2045, 12, 31).toordinal()
    wd = [o for o in range(first, last + 1) if o % 7 not in (0, 6) and o not in hol]
    fromordinal = dt.date.fromordinal

    def add_bisect(d: dt.date, n: int) -> dt.date:
        return fromordinal(wd[bisect.bisect_right(wd, d.toordinal()) + n - 1])

    return add_bisect


def timed_batch(fn: Callable[[dt.date, int], object], starts: list[dt.date], n: int) -> float:
    t0 = time.perf_counter()
    for d in starts:
        fn(d, n)
    return time.perf_counter() - t0


def interleaved(
    candidates: dict[str, Callable[[dt.date, int], object]],
    starts: list[dt.date],
    n: int,
    rounds: int,
) -> dict[str, list[float]]:
    """Seconds per call, per round, for each candidate."""
    names = list(candidates)
    per: dict[str, list[float]] = {k: [] for k in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            per[name].append(timed_batch(candidates[name], starts, n) / len(starts))
    return per


def ratio(per: dict[str, list[float]], name: str, base: str) -> float:
    return statistics.median(a / b for a, b in zip(per[name], per[base], strict=True))


def _env(bytecode: bool) -> dict[str, str]:
    """Environment for a fresh interpreter. ``bytecode``: use a bytecode cache (kept outside the
    source tree), as any normal install does; otherwise compile every module from source, as
    happens where PYTHONDONTWRITEBYTECODE is set (this project's sandbox)."""
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def fresh(codes: dict[str, str], repeats: int, bytecode: bool) -> dict[str, list[float]]:
    """Values printed (one float) by each code snippet in fresh interpreters, interleaved."""
    env = _env(bytecode)
    out: dict[str, list[float]] = {k: [] for k in codes}
    for _ in range(repeats):
        for name, code in codes.items():
            res = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
            )
            out[name].append(float(res.stdout.strip().splitlines()[-1]))
    return out


IMPORT_CODE = """
import time, sys
t = time.perf_counter()
import sen_disagreement
t = time.perf_counter() - t
assert 'holidays' not in sys.modules, 'holidays imported at package import'
assert 'sen_disagreement.calendar' not in sys.modules
print(t * 1e3)
"""

FIRST_DEADLINE_CODE = """
import time, sys, datetime as dt
import sen_disagreement
t = time.perf_counter()
from sen_disagreement.clocks import deadline
d = deadline('certificate_after_declining', dt.date(2025, 12, 23))
t = time.perf_counter() - t
assert d.due == dt.date(2025, 12, 30)
assert 'holidays' not in sys.modules
print(t * 1e3)
"""

FIRST_APPEAL_CODE = """
import time, datetime as dt
import sen_disagreement
t = time.perf_counter()
from sen_disagreement.clocks import appeal_deadline
a = appeal_deadline(dt.date(2025, 10, 1), dt.date(2025, 11, 29))
t = time.perf_counter() - t
assert a.due == dt.date(2026, 1, 2)
print(t * 1e3)
"""

WALL_IMPORT = "import sen_disagreement"
WALL_PASS = "pass"


def wall(code: str, env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return (time.perf_counter() - t) * 1e3


def fmt_us(s: float) -> str:
    return f"{s * 1e6:.3f} µs"


def spread(xs: list[float], scale: float = 1e6, unit: str = "µs") -> str:
    q = statistics.quantiles(xs, n=4)
    return (
        f"{statistics.median(xs) * scale:.3f} {unit} [{q[0] * scale:.3f} – {q[2] * scale:.3f}] "
        f"(min {min(xs) * scale:.3f})"
    )


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    load_before = os.getloadavg()[0]
    cal = working_day_calendar()
    floor = make_floor()
    rng = random.Random(7)
    first, last = dt.date(2015, 1, 1).toordinal(), dt.date(2039, 12, 31).toordinal()
    batch = TOTAL // rounds
    starts = [dt.date.fromordinal(rng.randint(first, last)) for _ in range(batch)]

    # Correctness first: library and floor agree on every start date used.
    for n in (1, 3, 30, 300):
        assert all(cal.add_working_days(d, n) == floor(d, n) for d in starts[:20000]), n

    add = cal.add_working_days

    def clock_due(d: dt.date, n: int) -> dt.date:
        return due_date("certificate_after_declining", d)

    candidates: dict[str, Callable[[dt.date, int], object]] = {
        "floor: precomputed list + bisect": floor,
        "library: WorkingDayCalendar.add_working_days": add,
        "library: clocks.due_date (clock lookup + settings)": clock_due,
    }
    per3 = interleaved(candidates, starts, 3, rounds)

    # Constant in N: the calendar call for 3, 30, 300 working days, interleaved with the floor.
    by_n: dict[int, dict[str, list[float]]] = {}
    small = starts[: batch // 4]
    for n in (3, 30, 300):
        by_n[n] = interleaved(
            {"floor": floor, "library": add}, small, n, rounds
        )

    # The full cited Deadline object (attrs instance with provenance): fewer calls, it is slower.
    few = starts[:50_000]

    def cited(d: dt.date, n: int) -> object:
        return deadline("certificate_after_declining", d)

    per_cited = interleaved({"floor": floor, "cited": cited}, few, 3, rounds)

    repeats = 11
    codes = {"import": IMPORT_CODE, "first": FIRST_DEADLINE_CODE, "appeal": FIRST_APPEAL_CODE}
    subprocess.run(  # fill the bytecode cache once
        [sys.executable, "-c", FIRST_APPEAL_CODE], check=True, env=_env(True), capture_output=True
    )
    warm = fresh(codes, repeats, bytecode=True)
    cold = fresh(codes, repeats, bytecode=False)
    env = _env(True)
    wall_pairs = [(wall(WALL_IMPORT, env), wall(WALL_PASS, env)) for _ in range(repeats)]
    wall_import = statistics.median(a - b for a, b in wall_pairs)

    lib = "library: WorkingDayCalendar.add_working_days"
    clk = "library: clocks.due_date (clock lookup + settings)"
    base = "floor: precomputed list + bisect"
    lines = [
        "# Benchmark: statutory clocks (`bench/bench_clocks.py`)",
        "",
        f"Run {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')} on "
        f"{platform.machine()} / Python {platform.python_version()} "
        f"({platform.python_implementation()}), {rounds} interleaved rounds, load average "
        f"{load_before:.2f} before / {os.getloadavg()[0]:.2f} after (other sessions share the "
        "host). "
        "Medians [p25 – p75] (min) over rounds; ratios are medians of per-round ratios. On a "
        "shared, loaded host the minimum is the better estimate of the uncontended cost.",
        "",
        f"## {TOTAL:,} working-day deadlines (+3 working days, random start dates 2015-2039)",
        "",
        "| implementation | per deadline | ratio to floor |",
        "|---|---:|---:|",
        f"| {base} | {spread(per3[base])} | 1.00× |",
        f"| {lib} | {spread(per3[lib])} | **{ratio(per3, lib, base):.2f}×** |",
        f"| {clk} | {spread(per3[clk])} | {ratio(per3, clk, base):.2f}× |",
        f"| library: clocks.deadline (cited Deadline object), 50k × {rounds} | "
        f"{spread(per_cited['cited'])} | {ratio(per_cited, 'cited', 'floor'):.2f}× |",
        "",
        f"Each candidate computed {batch:,} deadlines per round × {rounds} rounds = "
        f"{batch * rounds:,}. Goal: calendar call ≤ 1.5× the floor.",
        "",
        "## Constant in the number of working days added",
        "",
        "| working days added | library per deadline | floor per deadline | ratio |",
        "|---:|---:|---:|---:|",
    ]
    for n, per in by_n.items():
        lines.append(
            f"| {n} | {spread(per['library'])} | {spread(per['floor'])} | "
            f"{ratio(per, 'library', 'floor'):.2f}× |"
        )
    lines += [
        "",
        "The library call is two list look-ups whatever N is (no day-by-day walk).",
        "",
        f"## Fresh processes ({repeats} each, interleaved)",
        "",
        "With a bytecode cache (any normal install; here kept in a temporary "
        "`PYTHONPYCACHEPREFIX`), and without one (every module compiled from source, as in this "
        "project's sandbox, which sets `PYTHONDONTWRITEBYTECODE=1`).",
        "",
        "| measurement | with bytecode cache | without | goal |",
        "|---|---:|---:|---|",
        f"| `import sen_disagreement` (in-process timer; asserts `holidays` and the calendar are "
        f"not imported) | {spread(warm['import'], 1, 'ms')} | {spread(cold['import'], 1, 'ms')} "
        "| no holidays, no calendar |",
        f"| `import sen_disagreement` wall time over `python -c pass` | {wall_import:.1f} ms | — | "
        "≤ 150 ms |",
        f"| first deadline after `import sen_disagreement` (imports clocks + calendar, builds the "
        f"calendar, computes a cited Deadline) | {spread(warm['first'], 1, 'ms')} | "
        f"{spread(cold['first'], 1, 'ms')} | ≤ 20 ms |",
        f"| first appeal deadline after import (also builds the Tribunal calendar) | "
        f"{spread(warm['appeal'], 1, 'ms')} | {spread(cold['appeal'], 1, 'ms')} | — |",
        "",
        "The calendar is built from a bank-holiday snapshot generated from the `holidays` package "
        "(`scripts/gen_bank_holidays.py`; `tests/test_calendar.py` checks it against the "
        "installed package), so no fresh process pays for importing `holidays` (~100 ms) or "
        "building its calendar (~150 ms).",
        "",
    ]
    text = "\n".join(lines)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
