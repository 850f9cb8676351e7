"""Shared fixtures for the plugin tests: the real council plugins loaded from their source files
(so the tests do not depend on what is pip-installed) and fake distributions for entry points."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEFTON_SOURCE = ROOT / "plugins/sen-disagreement-sefton/src/sen_disagreement_sefton/plugin.py"
WIRRAL_SOURCE = ROOT / "examples/second_council/src/sen_disagreement_wirral/plugin.py"


def _load(path: Path, name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def sefton_module() -> ModuleType:
    return _load(SEFTON_SOURCE, "_sen_test_sefton_plugin")


@pytest.fixture(scope="session")
def wirral_module() -> ModuleType:
    return _load(WIRRAL_SOURCE, "_sen_test_wirral_plugin")


class FakeEntryPoint:
    """Quacks like importlib.metadata.EntryPoint for pluggy's loader."""

    def __init__(self, name: str, target: object, group: str = "sen_disagreement") -> None:
        self.name = name
        self.group = group
        self._target = target

    def load(self) -> object:
        if isinstance(self._target, BaseException):
            raise self._target
        return self._target


class FakeDistribution:
    def __init__(self, name: str, version: str, entry_points: Iterable[FakeEntryPoint]) -> None:
        self.metadata = {"name": name}
        self.version = version
        self.entry_points = list(entry_points)


DistSpec = tuple[str, str, dict[str, object]]
InstallFakes = Callable[..., None]


@pytest.fixture
def fake_distributions(monkeypatch: pytest.MonkeyPatch) -> InstallFakes:
    """``fake_distributions((dist_name, version, {entry_point_name: target}), ...)`` makes these
    the only installed distributions. A target that is an exception is raised by ``load()``; an
    entry point named ``other:NAME`` is published in another group."""

    def install(*specs: DistSpec) -> None:
        dists = [
            FakeDistribution(
                name,
                version,
                [
                    FakeEntryPoint(ep.removeprefix("other:"), target, group="other")
                    if ep.startswith("other:")
                    else FakeEntryPoint(ep, target)
                    for ep, target in eps.items()
                ],
            )
            for name, version, eps in specs
        ]
        monkeypatch.setattr(importlib.metadata, "distributions", lambda: dists)

    return install
