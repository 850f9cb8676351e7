"""Test helpers for council-plugin authors.

Installed with ``sen-disagreement``, pytest loads :mod:`sen_disagreement.testing` automatically
(entry point ``pytest11``), which registers these fixtures for every test suite:

* ``sen_plugin_manager``: a fresh plugin manager with the built-in defaults and *no* entry points,
  so installed plugins never leak into a test;
* ``sen_hooks``: the typed :class:`~sen_disagreement.plugins.Hooks` facade over it, with a short
  timeout and an in-memory attention queue;
* ``register_sen_plugin``: a function that registers a plugin for the duration of one test and
  always unregisters it afterwards.

And :class:`CouncilPluginContract`, the tests every council plugin should pass: subclass it in
your own ``test_*.py`` and set the class attributes::

    from sen_disagreement.plugins.testing import CouncilPluginContract
    from sen_disagreement.voluntary import Process
    import my_council.plugin

    class TestMyCouncil(CouncilPluginContract):
        plugin = my_council.plugin
        council_slug = "my-council"
        expected_routes = ((Process.DISAGREEMENT_RESOLUTION, "my-provider"),)

:func:`registered_plugin` is the same register/unregister as a context manager, for code outside
pytest fixtures.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
from collections.abc import Callable, Iterator

import pluggy
import pytest

from sen_disagreement.council import (
    CaseContext,
    CaseEvent,
    ContactRole,
    CouncilProfile,
    Notification,
    route_provider,
    send_notification,
)
from sen_disagreement.independence import check_independence
from sen_disagreement.plugins.facade import Hooks
from sen_disagreement.plugins.faults import MemoryAttentionQueue, PluginFault
from sen_disagreement.plugins.manager import check_plugins, make_plugin_manager
from sen_disagreement.plugins.spec import HOOK_NAMES
from sen_disagreement.voluntary import Process

__all__ = [
    "OTHER_COUNCIL",
    "TEST_TIMEOUT",
    "CouncilPluginContract",
    "RegisterPlugin",
    "register_sen_plugin",
    "registered_plugin",
    "sen_hooks",
    "sen_plugin_manager",
]

TEST_TIMEOUT = 0.5
"""Seconds each hook implementation may take under the fixtures' facade."""

OTHER_COUNCIL = CouncilProfile(
    name="Elsewhere", gss_code="E06000999", la_number="999", slug="elsewhere-test"
)
"""A council no real plugin serves: plugins must answer nothing for it."""

RegisterPlugin = Callable[..., object]


@contextlib.contextmanager
def registered_plugin(
    pm: pluggy.PluginManager, plugin: object, name: str | None = None
) -> Iterator[str]:
    """Register ``plugin`` (checked against the specs) and unregister it on exit; yields the
    name it was registered under."""
    registered = pm.register(plugin, name=name)
    if registered is None:
        msg = f"plugin {name or plugin!r} is blocked or already registered"
        raise ValueError(msg)
    try:
        check_plugins(pm)
        yield registered
    finally:
        pm.unregister(plugin)


@pytest.fixture
def sen_plugin_manager() -> pluggy.PluginManager:
    """A fresh manager with the built-in defaults and no entry points."""
    return make_plugin_manager(load_entry_points=False, environ={})


@pytest.fixture
def sen_hooks(sen_plugin_manager: pluggy.PluginManager) -> Hooks:
    """The facade over ``sen_plugin_manager`` (timeout 0.5 s, in-memory attention queue)."""
    return Hooks(sen_plugin_manager, timeout=TEST_TIMEOUT, attention=MemoryAttentionQueue())


@pytest.fixture
def register_sen_plugin(
    sen_plugin_manager: pluggy.PluginManager,
) -> Iterator[RegisterPlugin]:
    """``register_sen_plugin(plugin, name=None)`` registers into ``sen_plugin_manager`` for this
    test only and returns the registered name."""
    stack = contextlib.ExitStack()

    def register(plugin: object, name: str | None = None) -> str:
        return stack.enter_context(registered_plugin(sen_plugin_manager, plugin, name))

    with stack:
        yield register


class CouncilPluginContract:
    """The contract every council plugin passes. Subclass as ``Test<Council>Contract`` and set:

    * ``plugin``: the plugin module or object (what the entry point names);
    * ``council_slug``: the slug of the council it declares (one subclass per council);
    * ``expected_routes``: ``(process, provider_id)`` pairs: for each process the plugin serves,
      the provider a case with no special circumstances is routed to;
    * ``required_roles``: the contact roles the council must publish (default: the SEN casework
      team).
    """

    plugin: object
    council_slug: str
    expected_routes: tuple[tuple[Process, str], ...] = ()
    required_roles: frozenset[ContactRole] = frozenset({ContactRole.SEN_CASEWORK_TEAM})

    @pytest.fixture
    def contract_hooks(self) -> Iterator[Hooks]:
        """A strict facade (faults raise) with only this plugin and the defaults."""
        pm = make_plugin_manager(load_entry_points=False, environ={})
        with registered_plugin(pm, self.plugin, name=f"contract-{self.council_slug}"):
            yield Hooks(pm, timeout=TEST_TIMEOUT, strict=True)

    @pytest.fixture
    def contract_council(self, contract_hooks: Hooks) -> CouncilProfile:
        return contract_hooks.council(self.council_slug)

    def test_plugin_implements_only_known_hooks_without_defaults(self) -> None:
        for name in dir(self.plugin):
            if not name.startswith("sen_"):
                continue
            assert name in HOOK_NAMES, f"{name} is not a sen_disagreement hook"
            function = getattr(self.plugin, name)
            for param in inspect.signature(function).parameters.values():
                assert param.default is inspect.Parameter.empty, (
                    f"{name}({param.name}=...): pluggy never passes arguments with defaults"
                )

    def test_declares_the_council(self, contract_council: CouncilProfile) -> None:
        assert contract_council.slug == self.council_slug
        party = contract_council.as_party()
        assert party.identifiers.gss_code == contract_council.gss_code

    def test_publishes_required_contacts(
        self, contract_hooks: Hooks, contract_council: CouncilProfile
    ) -> None:
        roles = {c.role for c in contract_hooks.contacts(contract_council)}
        missing = self.required_roles - roles
        assert not missing, f"missing contacts: {sorted(r.value for r in missing)}"

    def test_providers_are_independent_of_the_council(
        self, contract_hooks: Hooks, contract_council: CouncilProfile
    ) -> None:
        providers = contract_hooks.providers(contract_council)
        assert providers, "a council plugin declares at least one provider"
        for provider in providers:
            check_independence(
                provider.as_party(),
                case_parties=[contract_council.as_party()],
                health_in_issue=True,
            )

    def test_routes_each_process_to_the_expected_provider(
        self, contract_hooks: Hooks, contract_council: CouncilProfile
    ) -> None:
        for process, provider_id in self.expected_routes:
            case = CaseContext(
                case_id=f"contract-{process.value}",
                process=process,
                bodies=(contract_council.as_party(),),
            )
            routing = route_provider(contract_hooks, contract_council, case)
            assert routing.provider.provider_id == provider_id
            assert not routing.parked

    def test_speaks_only_for_the_councils_it_declares(self, contract_hooks: Hooks) -> None:
        # Alone with the defaults the plugin owns its council: every answer it gives is heard,
        # and it declares nothing another council's plugin would have to contest.
        check_plugins(contract_hooks.plugin_manager, hooks=contract_hooks)
        [ownership] = [
            o for o in contract_hooks.ownership() if o.council.slug == self.council_slug
        ]
        assert ownership.owner == f"contract-{self.council_slug}"

    def test_answers_nothing_for_another_council(self, contract_hooks: Hooks) -> None:
        assert contract_hooks.providers(OTHER_COUNCIL) == []
        assert contract_hooks.contacts(OTHER_COUNCIL) == []
        assert [c.name for c in contract_hooks.channels(OTHER_COUNCIL)] == ["log"]

    def test_notifications_and_events_do_not_fault(
        self, contract_hooks: Hooks, contract_council: CouncilProfile
    ) -> None:
        faults: list[PluginFault] = []
        sent = send_notification(
            contract_hooks,
            contract_council,
            Notification(
                case_id="contract-notify",
                council=contract_council.slug,
                template="contract.check",
                recipient_role="sen_casework_team",
            ),
        )
        assert "log" in sent
        contract_hooks.after_case_event(
            contract_council,
            CaseEvent(
                case_id="contract-notify", name="case.opened", at=dt.datetime.now(dt.UTC)
            ),
            faults=faults,
        )
        assert faults == []
