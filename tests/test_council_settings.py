"""Council settings: a council supplies its Settings through ``sen_council_settings``; the settings
in force are pinned to a case when it opens and stored with it (``to_record`` keeps them,
``from_record`` restores them); a document stored before settings were pinned stays readable."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

from sen_disagreement.actors import Actor, Role, StaticActorDirectory
from sen_disagreement.cli import main
from sen_disagreement.council import CouncilProfile
from sen_disagreement.errors import NotFoundError, PluginError
from sen_disagreement.parties import Party, PartyKind
from sen_disagreement.plugins import Hooks, make_plugin_manager
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.service import CaseService, OpenDisagreementResolution
from sen_disagreement.settings import (
    DEFAULT_SETTINGS,
    DayUnit,
    ExceptionEffect,
    MeetingDeadline,
    Settings,
    TribunalNonWorkingDays,
)
from sen_disagreement.store import open_store
from sen_disagreement.workflow import CaseParty, records
from sen_disagreement.workflow import steps as st

SEFTON = CouncilProfile(name="Sefton", gss_code="E08000014", la_number="343", slug="sefton")
T0 = dt.datetime(2025, 1, 13, 10, tzinfo=dt.UTC)
COUNCIL_SETTINGS = Settings(
    arrange_mediation_deadline=MeetingDeadline.ARRANGED,
    deemed_certificate_unit=DayUnit.CALENDAR_DAYS,
    tribunal_non_working_days=TribunalNonWorkingDays.NONE,
    lawful_exception_effect=ExceptionEffect.DISAPPLY,
    s57_health_body_independence=False,
)
assert COUNCIL_SETTINGS != DEFAULT_SETTINGS


class Council:
    """Sefton, with whatever settings the test gives it (``None``: none supplied)."""

    def __init__(self, settings: Settings | None) -> None:
        self.settings = settings

    @hookimpl
    def sen_register_councils(self) -> Sequence[CouncilProfile]:
        return (SEFTON,)

    @hookimpl
    def sen_council_settings(self, council: CouncilProfile) -> Settings | None:
        return self.settings if council == SEFTON else None


class Raises:
    @hookimpl(tryfirst=True)
    def sen_council_settings(self, council: CouncilProfile) -> Settings | None:
        raise RuntimeError("settings service down")


def _service(tmp_path: Path, plugin: object, *, settings: Settings = DEFAULT_SETTINGS
             ) -> CaseService:
    pm = make_plugin_manager(load_entry_points=False, environ={})
    pm.register(plugin, name="council")
    directory = StaticActorDirectory([
        Actor(actor_id="officer", role=Role.LA_OFFICER, council="E08000014"),
    ])
    return CaseService(open_store(str(tmp_path / "cases.sqlite3")), Hooks(pm, timeout=None),
                       directory, settings)


def _open(service: CaseService, case_id: str = "s-1") -> None:
    service.open_case("officer", OpenDisagreementResolution(
        case_id=case_id, council="sefton",
        parties=[CaseParty("parent", Party(kind=PartyKind.PARENT)),
                 CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY))]), at=T0)


def test_non_default_settings_round_trip_through_sqlite(tmp_path: Path) -> None:
    service = _service(tmp_path, Council(COUNCIL_SETTINGS))
    with service.store:
        _open(service)
        record = service.store.load("s-1")
        stored = json.loads(record.document)["case"]["settings"]
        assert stored["arrange_mediation_deadline"] == "arranged"
        assert stored["s57_health_body_independence"] is False
        # from_record restores them whatever fallback it is given.
        assert records.from_record(record).settings == COUNCIL_SETTINGS
        assert records.from_record(record, settings=DEFAULT_SETTINGS).settings == COUNCIL_SETTINGS
        case, _ = service.load("s-1")
        assert case.settings == COUNCIL_SETTINGS
        assert json.loads(records.to_record(case).document)["case"]["settings"] == stored
        # A step keeps them: the next version holds the same settings.
        service.apply("s-1", "officer", st.SeekAgreement(), at=T0 + dt.timedelta(hours=1))
        assert records.from_record(service.store.load("s-1")).settings == COUNCIL_SETTINGS
    with open_store(str(tmp_path / "cases.sqlite3")) as reopened:  # a fresh connection
        assert records.from_record(reopened.load("s-1")).settings == COUNCIL_SETTINGS


def test_a_case_keeps_the_settings_it_opened_under(tmp_path: Path) -> None:
    plugin = Council(COUNCIL_SETTINGS)
    service = _service(tmp_path, plugin)
    with service.store:
        _open(service, "s-1")
        # The council changes its settings: new cases get the new ones, the open case keeps its.
        service.hooks.plugin_manager.unregister(plugin)
        service.hooks.plugin_manager.register(Council(None), name="council")
        _open(service, "s-2")
        assert service.load("s-1")[0].settings == COUNCIL_SETTINGS
        assert service.load("s-2")[0].settings == DEFAULT_SETTINGS


def test_without_a_plugin_answer_the_service_settings_are_pinned(tmp_path: Path) -> None:
    host = Settings(deemed_certificate_unit=DayUnit.CALENDAR_DAYS)
    service = _service(tmp_path, Council(None), settings=host)
    with service.store:
        _open(service)
        assert service.settings_for("343") == host
        assert records.from_record(service.store.load("s-1")).settings == host


def test_a_faulting_settings_hook_opens_no_case(tmp_path: Path) -> None:
    service = _service(tmp_path, Council(COUNCIL_SETTINGS))
    service.hooks.plugin_manager.register(Raises(), name="raises")
    with service.store:
        with pytest.raises(PluginError) as caught:
            _open(service)
        assert (caught.value.plugin, caught.value.hook) == ("raises", "sen_council_settings")
        with pytest.raises(NotFoundError):
            service.store.load("s-1")


def test_a_document_stored_before_settings_were_pinned_stays_readable(tmp_path: Path) -> None:
    service = _service(tmp_path, Council(None))
    with service.store:
        _open(service)
        record = service.store.load("s-1")
    payload = json.loads(record.document)
    del payload["case"]["settings"]
    old = attrs.evolve(record, document=json.dumps(payload, sort_keys=True))
    assert records.from_record(old).settings == DEFAULT_SETTINGS
    assert records.from_record(old, settings=COUNCIL_SETTINGS).settings == COUNCIL_SETTINGS
    assert records.case_from_document(old.document).settings == DEFAULT_SETTINGS
    # An old document also carries on through the store: the next version pins settings.
    (tmp_path / "legacy").mkdir()
    legacy = _service(tmp_path / "legacy", Council(COUNCIL_SETTINGS))
    with legacy.store:
        legacy.store.save(attrs.evolve(old, version=0), 0, actor="officer", action="step.open")
        case, version = legacy.load("s-1")
        assert case.settings == COUNCIL_SETTINGS  # the council's settings of today
        legacy.apply("s-1", "officer", st.SeekAgreement(), at=T0 + dt.timedelta(hours=1),
                     expected_version=version)
        assert records.from_record(legacy.store.load("s-1")).settings == COUNCIL_SETTINGS


def test_settings_command_lists_a_councils_settings_or_refuses_an_unknown_one() -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["settings", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.stdout)
    assert data["council"] is None
    by_name = {s["name"]: s["value"] for s in data["settings"]}
    assert by_name["arrange_mediation_deadline"] == "held"
    unknown = runner.invoke(main, ["settings", "--council", "knowsley", "--format", "json"])
    assert unknown.exit_code == 2
    assert json.loads(unknown.stdout)["problems"][0]["field"] == "--council"
