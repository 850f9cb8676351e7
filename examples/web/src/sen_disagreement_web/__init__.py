"""sen-disagreement-web: a reference web integration of the sen-disagreement library.

:func:`~sen_disagreement_web.app.create_app` builds the ASGI app over a
:class:`~sen_disagreement.service.CaseService`; ``sen-disagreement-web --demo`` (or
``bash examples/web/run.sh``) runs it on 127.0.0.1 with demo data.
"""

from sen_disagreement_web.app import create_app, dev_sign_in

__all__ = ["DEV_USERS", "create_app", "dev_sign_in"]

from pathlib import Path

DEV_USERS = Path(__file__).with_name("dev_users.json")
"""The development users (the library's actor-directory JSON form)."""
