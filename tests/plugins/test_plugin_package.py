"""The plugin package: its layering (council does not depend on the manager), the old import
paths (working, with a DeprecationWarning, for one release), firstresult read from the
specifications, and pluggy's own monitoring and tracing seeing the facade's calls."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings
from collections.abc import Mapping, Sequence

import pluggy
import pytest

from sen_disagreement.council import Contact, ContactRole, CouncilProfile, Provider
from sen_disagreement.errors import PluginError
from sen_disagreement.parties import PartyKind
from sen_disagreement.plugins import Hooks, PluginFault, make_plugin_manager
from sen_disagreement.plugins import oruk as new_oruk
from sen_disagreement.plugins import spec as new_spec
from sen_disagreement.plugins import testing as new_testing
from sen_disagreement.plugins.spec import hookimpl

NORTH = CouncilProfile(name="Northshire", gss_code="E06000901", la_number="901", slug="northshire",
                       delegates=("extra",))


class North:
    @hookimpl
    def sen_register_councils(self) -> Sequence[CouncilProfile]:
        return (NORTH,)

    @hookimpl
    def sen_register_contacts(self, council: CouncilProfile) -> Sequence[Contact]:
        return (Contact(role=ContactRole.SEN_CASEWORK_TEAM, name="North team",
                        email="team@north.example"),)

    @hookimpl
    def sen_register_providers(self, council: CouncilProfile) -> Sequence[Provider]:
        return (Provider(provider_id="north-dr", name="North DR",
                         kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER),)


class Extra:
    @hookimpl
    def sen_register_contacts(self, council: CouncilProfile) -> Sequence[Contact]:
        return (Contact(role=ContactRole.SENDIASS, name="IASS", email="iass@north.example"),)


def _pm() -> pluggy.PluginManager:
    pm = make_plugin_manager(load_entry_points=False, environ={})
    pm.register(North(), name="north")
    pm.register(Extra(), name="extra")
    return pm


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                          text=True, check=True, timeout=60)
    return done.stdout.strip()


def test_importing_council_does_not_import_the_plugin_manager_or_pluggy() -> None:
    loaded = _run(
        "import sys, sen_disagreement.council\n"
        "print(sorted(m for m in sys.modules if m == 'pluggy' or "
        "m.startswith('sen_disagreement.plugins')))"
    )
    assert loaded == "['sen_disagreement.plugins', 'sen_disagreement.plugins.faults']"


def test_each_plugin_module_imports_on_its_own() -> None:
    for name in ("spec", "faults", "manager", "facade", "oruk", "testing"):
        assert _run(f"import sen_disagreement.plugins.{name}") == ""


def test_the_package_keeps_the_public_names_of_the_old_module() -> None:
    import sen_disagreement.plugins as plugins

    for name in ("BLOCK_ENV_VAR", "DEFAULTS_NAME", "DEFAULT_TIMEOUT", "ENTRY_POINT_GROUP",
                 "HOOK_NAMES", "DefaultPlugin", "Hooks", "PluginInfo", "blocked_from_env",
                 "check_plugins", "list_plugins", "make_plugin_manager"):
        assert name in plugins.__all__
        assert getattr(plugins, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = plugins.nothing


@pytest.mark.parametrize(
    ("old", "name", "new"),
    [
        ("sen_disagreement.hookspecs", "hookimpl", new_spec),
        ("sen_disagreement.hookspecs", "PROJECT", new_spec),
        ("sen_disagreement.hookspecs", "sen_register_providers", new_spec),
        ("sen_disagreement.oruk", "export_council", new_oruk),
        ("sen_disagreement.oruk", "service_records", new_oruk),
        ("sen_disagreement.oruk", "ORUK_NAMESPACE", new_oruk),
    ],
)
def test_old_import_paths_work_and_warn(old: str, name: str, new: object) -> None:
    module = importlib.import_module(old)  # importing alone is quiet (the rule registry's walk)
    with pytest.warns(DeprecationWarning, match=rf"{old} is deprecated; import {name} from"):
        value = getattr(module, name)
    assert value is getattr(new, name)
    with pytest.raises(AttributeError):
        _ = module.not_a_name


def test_a_plugin_written_against_the_old_path_still_loads() -> None:
    with pytest.warns(DeprecationWarning, match="sen_disagreement.plugins.spec"):
        from sen_disagreement.hookspecs import hookimpl as old_hookimpl
    assert old_hookimpl is hookimpl
    marker = old_hookimpl  # narrowed by the assert, for the class body below

    class Old:
        @marker
        def sen_register_councils(self) -> Sequence[CouncilProfile]:
            return (NORTH,)

    pm = make_plugin_manager(load_entry_points=False, environ={})
    pm.register(Old(), name="old")
    assert Hooks(pm, timeout=None).council("northshire") == NORTH


def test_the_pytest_plugin_module_reexports_the_helpers_without_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        testing = importlib.import_module("sen_disagreement.testing")
    assert testing.CouncilPluginContract is new_testing.CouncilPluginContract
    assert testing.registered_plugin is new_testing.registered_plugin
    assert hasattr(testing, "pytest_addoption")  # --rule-census stays with the pytest plugin


def test_firstresult_is_read_from_the_specification(monkeypatch: pytest.MonkeyPatch) -> None:
    pm = _pm()
    assert Hooks(pm, timeout=None).contacts(NORTH).__len__() == 2
    # Not restated in the facade: a spec saying firstresult makes the facade stop at the first.
    spec = pm.hook.sen_register_contacts.spec
    assert spec is not None
    # (The options dict is the spec function's own marker: put it back after the test.)
    monkeypatch.setitem(spec.opts, "firstresult", True)
    assert [c.name for c in Hooks(pm, timeout=None).contacts(NORTH)] == ["IASS"]
    for name, caller in ((n, getattr(pm.hook, n)) for n in new_spec.HOOK_NAMES):
        if name != "sen_register_contacts":
            assert Hooks(pm)._first[name] is bool(caller.spec.opts["firstresult"])


def test_a_manager_without_the_specifications_is_refused_by_name() -> None:
    with pytest.raises(PluginError, match="no specification for sen_register_councils"):
        Hooks(pluggy.PluginManager("sen_disagreement"))


@pytest.mark.parametrize("timeout", [None, 2.0])
def test_hookcall_monitoring_sees_every_implementation_the_facade_calls(
    timeout: float | None,
) -> None:
    pm = _pm()
    hooks = Hooks(pm, timeout=timeout)
    seen: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = []
    results: list[object] = []

    def before(name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, object]) -> None:
        seen.append((name, tuple(i.plugin_name for i in impls), tuple(sorted(kwargs))))

    def after(outcome: pluggy.Result[object], name: str, impls: Sequence[pluggy.HookImpl],
              kwargs: Mapping[str, object]) -> None:
        results.append(outcome.get_result())

    hooks.councils()  # the declarations are kept: monitoring then sees the contacts calls only
    undo = pm.add_hookcall_monitoring(before, after)
    try:
        contacts = hooks.contacts(NORTH)
    finally:
        undo()
    assert [c.name for c in contacts] == ["IASS", "North team"]
    assert seen == [
        ("sen_register_contacts", ("extra",), ("council",)),
        ("sen_register_contacts", ("north",), ("council",)),
    ]
    assert [len(r) for r in results if isinstance(r, list)] == [1, 1]
    seen.clear()
    hooks.contacts(NORTH)  # monitoring removed: the facade calls directly again
    assert seen == []


def test_enable_tracing_writes_the_facade_calls_to_pluggys_trace() -> None:
    pm = _pm()
    hooks = Hooks(pm, timeout=None)
    lines: list[str] = []
    pm.trace.root.setwriter(lines.append)
    undo = pm.enable_tracing()
    try:
        assert hooks.council("northshire") == NORTH
        [provider] = hooks.providers(NORTH)
    finally:
        undo()
        pm.trace.root.setwriter(None)
    text = "".join(lines)
    assert "sen_register_councils" in text
    assert "sen_register_providers" in text
    assert provider.provider_id in text  # the result, as pluggy's tracer writes it


def test_a_monitored_call_keeps_fault_isolation() -> None:
    class Broken:
        @hookimpl(tryfirst=True)
        def sen_register_contacts(self) -> Sequence[Contact]:
            raise RuntimeError("down")

    pm = _pm()
    pm.register(Broken(), name="extra-broken")
    hooks = Hooks(pm, timeout=None)
    undo = pm.add_hookcall_monitoring(lambda *a: None, lambda *a: None)
    try:
        faults: list[PluginFault] = []
        assert [c.name for c in hooks.contacts(NORTH, faults=faults)] == ["IASS", "North team"]
    finally:
        undo()
    assert [f.plugin for f in faults] == ["extra-broken"]
