"""Reading a file a caller names, safely: a regular file only (a FIFO would block, a device such
as /dev/zero never end), and no more than the reader asked for."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class NotARegularFileError(OSError):
    """The path names a directory, a FIFO, a device or a socket."""


def read_regular_file(path: str | Path, limit: int) -> bytes:
    """At most ``limit`` bytes of the regular file ``path`` (a caller that reads ``limit + 1``
    learns the file is too large). Raises :class:`NotARegularFileError`, or the ``OSError`` of
    the failed open or read."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise NotARegularFileError(str(path))
    with open(path, "rb") as handle:
        return handle.read(limit)
