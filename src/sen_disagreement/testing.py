"""The pytest plugin that ships with ``sen-disagreement`` (entry point ``pytest11``).

pytest loads it automatically in every test suite where ``sen-disagreement`` is installed. It
registers the plugin-testing fixtures of :mod:`sen_disagreement.plugins.testing`
(``sen_plugin_manager``, ``sen_hooks``, ``register_sen_plugin``) and adds the ``--rule-census``
option. The helpers' names (:class:`CouncilPluginContract`, :func:`registered_plugin`, ...) are
re-exported here, as they were before they moved, without a warning: this module is imported by
every test run, where a warning would break suites that turn warnings into errors. New code
imports them from :mod:`sen_disagreement.plugins.testing`.
"""

from __future__ import annotations

import pytest

from sen_disagreement.plugins.testing import (
    OTHER_COUNCIL,
    TEST_TIMEOUT,
    CouncilPluginContract,
    RegisterPlugin,
    register_sen_plugin,
    registered_plugin,
    sen_hooks,
    sen_plugin_manager,
)

__all__ = [
    "OTHER_COUNCIL",
    "TEST_TIMEOUT",
    "CouncilPluginContract",
    "RegisterPlugin",
    "pytest_addoption",
    "pytest_sessionfinish",
    "register_sen_plugin",
    "registered_plugin",
    "sen_hooks",
    "sen_plugin_manager",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--rule-census`` to pytest's options."""
    parser.addoption(
        "--rule-census", action="store_true", default=False,
        help="sen-disagreement: fail the run if any error raised during it carried a rule id "
             "that is not a registered rule or check (sen_disagreement.rules).",
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under ``--rule-census``, fail the run if an error raised during it carried a rule id that
    no ``Rule`` or ``Check`` registers."""
    if not session.config.getoption("--rule-census"):
        return
    from sen_disagreement import rules
    from sen_disagreement.errors import raised_rule_ids
    from sen_disagreement.provenance import registered

    rules.entries()  # import every module so every rule has registered itself
    unknown = sorted(r for r in raised_rule_ids() if registered(r) is None)
    if unknown:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"rule census: unregistered rule ids raised: {unknown}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

