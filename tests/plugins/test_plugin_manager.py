"""The plugin manager factory: entry points (from fake distributions), blocking, built-in
defaults, spec checks and introspection."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

from sen_disagreement.errors import PluginError
from sen_disagreement.plugins import (
    BLOCK_ENV_VAR,
    DEFAULTS_NAME,
    Hooks,
    blocked_from_env,
    list_plugins,
    make_plugin_manager,
)
from sen_disagreement.plugins.spec import hookimpl

InstallFakes = Callable[..., None]


def test_entry_points_are_loaded_with_their_distribution(
    fake_distributions: InstallFakes, sefton_module: ModuleType, wirral_module: ModuleType
) -> None:
    fake_distributions(
        ("sen-disagreement-sefton", "0.1.0", {"sefton": sefton_module}),
        ("sen-disagreement-wirral", "0.2.0", {"wirral": wirral_module, "other:x": object()}),
    )
    pm = make_plugin_manager(environ={})
    infos = {i.name: i for i in list_plugins(pm)}
    assert set(infos) == {"sefton", "wirral", DEFAULTS_NAME}
    assert (infos["sefton"].distribution, infos["sefton"].version) == (
        "sen-disagreement-sefton",
        "0.1.0",
    )
    assert infos["wirral"].version == "0.2.0"
    assert infos["sefton"].hooks == (
        "sen_register_channels",
        "sen_register_contacts",
        "sen_register_councils",
        "sen_register_providers",
    )
    assert infos[DEFAULTS_NAME].builtin
    assert infos[DEFAULTS_NAME].distribution is None
    assert sorted(c.slug for c in Hooks(pm).councils()) == ["sefton", "wirral"]


def test_without_entry_points_only_the_defaults_are_registered(
    fake_distributions: InstallFakes, sefton_module: ModuleType
) -> None:
    fake_distributions(("sen-disagreement-sefton", "0.1.0", {"sefton": sefton_module}))
    pm = make_plugin_manager(load_entry_points=False, environ={})
    assert [i.name for i in list_plugins(pm)] == [DEFAULTS_NAME]


def test_blocked_by_argument_and_by_environment(
    fake_distributions: InstallFakes, sefton_module: ModuleType, wirral_module: ModuleType
) -> None:
    fake_distributions(
        ("a", "1", {"sefton": sefton_module}),
        ("b", "1", {"wirral": wirral_module}),
    )
    pm = make_plugin_manager(blocked=["sefton"], environ={BLOCK_ENV_VAR: " wirral , "})
    assert [i.name for i in list_plugins(pm)] == [DEFAULTS_NAME]
    assert Hooks(pm).councils() == []


def test_blocking_reads_os_environ_by_default(
    monkeypatch: pytest.MonkeyPatch, fake_distributions: InstallFakes, sefton_module: ModuleType
) -> None:
    fake_distributions(("a", "1", {"sefton": sefton_module}))
    monkeypatch.setenv(BLOCK_ENV_VAR, "sefton")
    assert blocked_from_env() == ("sefton",)
    assert [i.name for i in list_plugins(make_plugin_manager())] == [DEFAULTS_NAME]


def test_the_defaults_can_be_blocked(fake_distributions: InstallFakes) -> None:
    fake_distributions()
    pm = make_plugin_manager(blocked=[DEFAULTS_NAME], environ={})
    assert list_plugins(pm) == []


def test_an_entry_point_that_fails_to_import_is_named(fake_distributions: InstallFakes) -> None:
    fake_distributions(("broken-dist", "1", {"broken": ImportError("no module named x")}))
    with pytest.raises(PluginError) as caught:
        make_plugin_manager(environ={})
    assert caught.value.plugin == "broken"
    assert f"{BLOCK_ENV_VAR}=broken" in str(caught.value)
    # and the operator's way out works
    assert [i.name for i in list_plugins(make_plugin_manager(blocked=["broken"], environ={}))] == [
        DEFAULTS_NAME
    ]


class UnknownHook:
    @hookimpl
    def sen_register_counsils(self) -> list[object]:  # misspelt: no such hook
        return []


class UnknownArgument:
    @hookimpl
    def sen_register_providers(self, county: object) -> list[object]:
        return []


@pytest.mark.parametrize(
    ("plugin", "hook"), [(UnknownHook(), "(unknown hook)"), (UnknownArgument(), "(entry point)")]
)
def test_implementations_must_match_a_spec(
    fake_distributions: InstallFakes, plugin: object, hook: str
) -> None:
    fake_distributions(("bad-dist", "1", {"bad": plugin}))
    with pytest.raises(PluginError) as caught:
        make_plugin_manager(environ={})
    assert caught.value.plugin == "bad"
    assert caught.value.hook == hook


def test_importing_the_module_builds_nothing() -> None:
    import sen_disagreement.plugins as module

    assert not any(type(value).__name__ == "PluginManager" for value in vars(module).values())
