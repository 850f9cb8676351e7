"""A sweep in its own process, for the kill -9 test: ``sweep_worker.py URL YYYY-MM-DD TTL``.

Prints one line per case swept (flushed), and sleeps a little after each, so the test can kill
it in the middle of the sweep."""

from __future__ import annotations

import datetime as dt
import sys
import time

import sweep_support as support

from sen_disagreement.sweeping import sweep_all


def main() -> None:
    url, day, ttl = sys.argv[1], dt.date.fromisoformat(sys.argv[2]), float(sys.argv[3])
    svc = support.service(url)

    def step(_n: int) -> None:
        print("case", flush=True)
        time.sleep(0.02)

    report = sweep_all(svc, day, lease_ttl=dt.timedelta(seconds=ttl), progress=step)
    print("done", report.summary(), flush=True)


if __name__ == "__main__":
    main()
