"""The worker threads that run plugin calls under a deadline (the facade's ``timeout`` mode).

A call is handed to an idle daemon worker; a worker whose call overruns is abandoned (it exits
when the call returns) and never reused, so one hung plugin cannot delay another's call. While
:attr:`_WorkerPool.MAX_ABANDONED` abandoned calls are still running, new calls are refused at once
rather than let hung plugins pile up threads without limit.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable

from sen_disagreement.plugins.faults import FaultKind

__all__: list[str] = []  # internal to the facade


class _Job:
    __slots__ = ("abandoned", "call", "done", "outcome")

    def __init__(self, call: Callable[[], object]) -> None:
        self.call = call
        self.done = threading.Event()
        self.outcome: tuple[bool, object] | None = None
        self.abandoned = False


class _Worker:
    """A reusable daemon thread that runs plugin calls one at a time. Starting a thread per call
    cost about 0.5 ms here; handing a call to a waiting worker costs a few tens of microseconds."""

    def __init__(self, pool: _WorkerPool) -> None:
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._pool = pool
        threading.Thread(target=self._loop, name="sen-disagreement-plugin", daemon=True).start()

    def _loop(self) -> None:
        while (job := self.jobs.get()) is not None:
            try:
                outcome: tuple[bool, object] = (True, job.call())
            except BaseException as exc:  # reported to the caller, never to the thread hook
                outcome = (False, exc)
            self._pool.finish(job, outcome)

    def stop(self) -> None:
        """Exit after the current call (if any) returns."""
        self.jobs.put(None)


class _WorkerPool:
    """Idle workers shared by the threads calling the facade. A worker whose call overruns the
    deadline is abandoned (it exits when the call returns) and never reused, so one hung plugin
    cannot delay another plugin's call.

    Abandoned workers are counted until their call returns: a thread stuck for good cannot be
    killed, so while ``MAX_ABANDONED`` are stuck, :meth:`run` refuses new calls (raising
    :class:`_Refused`) rather than let hung plugins pile up threads without limit."""

    MAX_IDLE = 8
    MAX_ABANDONED = 16

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._abandoned = 0

    def run(self, call: Callable[[], object], timeout: float) -> tuple[bool, object] | None:
        """The call's outcome, or ``None`` if it overran ``timeout`` (its worker is abandoned)."""
        with self._lock:
            if self._abandoned >= self.MAX_ABANDONED:
                raise _Refused(self._abandoned)
            worker = self._idle.pop() if self._idle else None
        if worker is None:
            worker = _Worker(self)
        job = _Job(call)
        worker.jobs.put(job)
        if not job.done.wait(timeout):
            with self._lock:
                # Checked under the lock that finish() takes: the call may have returned just now.
                job.abandoned = not job.done.is_set()
                if job.abandoned:
                    self._abandoned += 1
            if job.abandoned:
                worker.stop()
                return None
        with self._lock:
            keep = len(self._idle) < self.MAX_IDLE
            if keep:
                self._idle.append(worker)
        if not keep:
            worker.stop()
        return job.outcome

    def finish(self, job: _Job, outcome: tuple[bool, object]) -> None:
        """Called by the worker when ``job``'s call returns, however late."""
        with self._lock:
            job.outcome = outcome
            job.done.set()
            if job.abandoned:
                self._abandoned -= 1


class _Timeout(Exception):
    """The call overran its ``seconds``; its answer, if any, is dropped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class _Refused(Exception):
    """The call was not started: too many abandoned calls are still running."""

    def __init__(self, stuck: int) -> None:
        super().__init__(stuck)
        self.stuck = stuck


class _Deadline:
    """One time budget shared by a batch of calls, and per plugin the case ids of the calls that
    were not made because it was spent."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.missed: dict[str, list[str | None]] = {}

    def remaining(self) -> float:
        return self.at - time.monotonic()


def _failure(exc: BaseException, overran: str) -> tuple[FaultKind, str]:
    """The fault kind and detail for a call that did not return; ``overran`` is the timeout
    detail with ``{}`` for the seconds. The detail names the exception type only: its message
    may quote case content."""
    if isinstance(exc, _Timeout):
        return FaultKind.TIMEOUT, overran.format(f"{exc.seconds:.3g}")
    if isinstance(exc, _Refused):
        return FaultKind.TIMEOUT, f"not called: too many hung plugin calls ({exc.stuck}) running"
    return FaultKind.RAISED, f"raised {type_name(exc)}"


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def type_name(value: object) -> str:
    """The name of ``value``'s type for a fault detail, if it reads as a class name. A plugin
    can name a class anything (``type("<any text>", ...)``), so a name that is not a short
    identifier, which could quote case content, markup or forge a log line, is not repeated."""
    name = type(value).__name__
    return name if _IDENTIFIER.fullmatch(name) else "(a type with an unprintable name)"
