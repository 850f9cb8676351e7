"""An actor directory read from a JSON file that may change while the app runs.

The library's :class:`~sen_disagreement.actors.StaticActorDirectory` is fixed when it is built:
served from ``--actors FILE``, a user taken out of the file would keep their role (and their
signed-in session) until a restart. :class:`ActorsFile` rereads the file whenever it changes, so
the next page a removed user asks for signs them out. A file that cannot be read or is not a
valid directory (half written, a typo) lets no one in until it is fixed: never yesterday's users.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from sen_disagreement.actors import Actor, StaticActorDirectory
from sen_disagreement.errors import SenDisagreementError

__all__ = ["ActorsFile"]

_LOG = logging.getLogger("sen_disagreement_web")


class ActorsFile:
    """An :class:`~sen_disagreement.actors.ActorDirectory` over a file of the library's
    actor-directory JSON form (``StaticActorDirectory.from_json``), reread when it changes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._current = StaticActorDirectory([])
        self._current = self._load(raise_errors=True)

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _load(self, *, raise_errors: bool = False) -> StaticActorDirectory:
        stamp = self._stamp()
        with self._lock:
            if stamp is not None and stamp == self._seen:
                return self._current
            try:
                directory = StaticActorDirectory.from_json(self.path)
            except (OSError, ValueError, SenDisagreementError) as exc:
                if raise_errors:
                    raise
                # The class only: the message may quote the file's content.
                _LOG.error("actors file %s unreadable (%s): no one is let in",
                           self.path, type(exc).__name__)
                directory = StaticActorDirectory([])
            self._seen, self._current = stamp, directory
            return directory

    def resolve(self, user_id: str) -> Actor | None:
        return self._load().resolve(user_id)

    def __iter__(self) -> Iterator[Actor]:
        return iter(list(self._load()))
