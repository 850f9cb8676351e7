"""``sen-disagreement-web``: serve the reference web app on 127.0.0.1.

``--demo`` writes demo data to a fresh SQLite file and offers the development users at sign-in.
Without it the app serves the store ``--db`` names, with the actor directory ``--actors`` (a JSON
file of the library's form) or, without one, the council plugins' ``sen_resolve_actor`` hook.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from sen_disagreement.errors import SenDisagreementError
from sen_disagreement.service import CaseService
from sen_disagreement_web import DEV_USERS
from sen_disagreement_web.app import create_app
from sen_disagreement_web.directory import ActorsFile

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sen-disagreement-web", description=__doc__.splitlines()[0])
    p.add_argument("--demo", action="store_true",
                   help="demo data in a fresh SQLite file, development users at sign-in")
    p.add_argument("--db", default=None, metavar="URL",
                   help="the store (default: a new demo file with --demo, else "
                        "$SEN_DISAGREEMENT_DB, then ./sen-disagreement.sqlite3)")
    p.add_argument("--actors", default=None, metavar="FILE",
                   help="development users in the library's actor-directory JSON form "
                        "(default with --demo: the bundled dev_users.json)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--insecure-local-http", action="store_true",
                   help="local development over plain http: the session cookie is not marked "
                        "Secure (loopback hosts only)")
    return p


def local_hosts(host: str) -> list[str]:
    """The ``Host`` names (without port) a browser on this machine sends to a loopback server:
    for local http no other is served (behind a proxy, the proxy checks the name)."""
    return sorted({host, "127.0.0.1", "localhost", "[::1]"})


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.insecure_local_http and args.host not in _LOOPBACK:
        sys.exit("error: --insecure-local-http serves on a loopback host only (127.0.0.1)")
    try:
        actors = args.actors or (str(DEV_USERS) if args.demo else None)
        # Reread when the file changes: a user taken out of it is signed out at once.
        directory = ActorsFile(actors) if actors else None
        url = args.db
        if args.demo and url is None:
            path = Path(tempfile.mkdtemp(prefix="sen-web-demo-")) / "demo.sqlite3"
            from sen_disagreement_web.demo import seed

            assert directory is not None
            seed(path, directory)
            url = f"sqlite:///{path}"
            print(f"Demo data in {path}")
        service = CaseService.open(url, directory=directory)
    except SenDisagreementError as exc:
        sys.exit(f"error: {exc}")
    import uvicorn

    app = create_app(service, dev_users=directory,
                     secure_cookies=not args.insecure_local_http,
                     allowed_hosts=local_hosts(args.host) if args.insecure_local_http
                     else None)
    scheme = "http" if args.insecure_local_http else "https (behind your TLS proxy)"
    print(f"Serving on {args.host}:{args.port} ({scheme}); stop with Ctrl-C")
    with service.store:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning",
                    proxy_headers=False, server_header=False)


if __name__ == "__main__":
    main()
