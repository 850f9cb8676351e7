"""Child processes for the crash and concurrency tests (run as a script, never imported).

``crash URL TAG``: write cases forever (a create with two clocks, an audit entry and an outbox
message; then an update of an earlier case), printing ``C <id> 1`` / ``U <id> <version>`` on stdout
only after each ``save`` returned. The parent kills this process at a random moment.

``contend URL CASE_ID THREADS N TAG``: THREADS threads each try N times to load the case and save
a new version carrying a unique token; each attempt prints ``OK <token>`` or ``STALE``.
"""

from __future__ import annotations

import datetime as dt
import sys
import threading
import time

import attrs

from sen_disagreement.errors import StaleWriteError
from sen_disagreement.store import CaseRecord, DeadlineEntry, OutboxMessage, open_store

T0 = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
_print_lock = threading.Lock()


def say(line: str) -> None:
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def crash(url: str, tag: str) -> None:
    store = open_store(url)
    say("ready")
    created: list[CaseRecord] = []
    i = 0
    while True:
        case_id = f"W-{tag}-{i}"
        record = CaseRecord(
            case_id=case_id,
            council="E08000014",
            kind="mediation",
            state="received",
            version=0,
            document=f'{{"case_id":"{case_id}","v":1,"pad":"{"x" * 1500}"}}',
            created_at=T0,
            updated_at=T0,
            deadlines=(
                DeadlineEntry(
                    clock_id="arrange_mediation", due=dt.date(2025, 2, 5), status="running"
                ),
                DeadlineEntry(clock_id="follow_up", due=dt.date(2025, 3, 5), status="running"),
            ),
            subject_date_of_birth=dt.date(2012, 5, 17),
        )
        message = OutboxMessage(
            case_id=case_id,
            channel="email",
            template="case_received",
            idempotency_key=f"{case_id}/received",
            payload_ref=f"p/{case_id}",
        )
        saved = store.save(record, 0, actor="worker:1", outbox=[message])
        say(f"C {case_id} 1")
        created.append(saved)
        if i % 2 == 1:
            old = created[i // 2]
            new = store.save(
                attrs.evolve(
                    old,
                    state="mediation_arranged",
                    document=old.document.replace(f'"v":{old.version}', f'"v":{old.version + 1}'),
                ),
                old.version,
                actor="worker:1",
            )
            created[i // 2] = new
            say(f"U {old.case_id} {new.version}")
        i += 1


def contend(url: str, case_id: str, threads: int, n: int, tag: str) -> None:
    store = open_store(url)
    barrier = threading.Barrier(threads)

    def work(t: int) -> None:
        barrier.wait()
        for k in range(n):
            token = f"{tag}-{t}-{k}"
            loaded = store.load(case_id)
            time.sleep(0.001)  # widen the window between read and write
            try:
                store.save(
                    attrs.evolve(loaded, document=f'{{"token":"{token}"}}'),
                    loaded.version,
                    actor=f"worker:{tag}",
                )
            except StaleWriteError:
                say("STALE")
            else:
                say(f"OK {token}")

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    store.close()


def main(argv: list[str]) -> None:
    if argv[0] == "crash":
        crash(argv[1], argv[2])
    elif argv[0] == "contend":
        contend(argv[1], argv[2], int(argv[3]), int(argv[4]), argv[5])
    else:
        raise SystemExit(f"unknown mode {argv[0]}")


if __name__ == "__main__":
    main(sys.argv[1:])
