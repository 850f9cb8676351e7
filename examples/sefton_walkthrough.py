"""Run the Sefton walkthrough (``sen_disagreement.walkthrough``) and print what happens.

A parent and Sefton Council go through disagreement resolution (partial agreement), then a
mediation whose 30 days pass unarranged, ending with the appeal deadline; everything is persisted
to a fresh SQLite file. The walkthrough's code is in ``src/sen_disagreement/walkthrough.py`` so
that ``sen-disagreement demo`` runs exactly the same steps.

Run it::

    python examples/sefton_walkthrough.py [path/to/new.sqlite3]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from sen_disagreement.walkthrough import run


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        path = Path(argv[1])
        if path.exists():
            print(f"{path} exists; give a new file name")
            return 1
        lines = run(path)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            lines = run(Path(tmp) / "sefton.sqlite3")
        lines.append(
            "(The database was a temporary file, deleted on exit: give a path to keep it.)"
        )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
