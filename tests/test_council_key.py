"""One council key: the GSS code. A slug, DfE LA number or name is accepted at the door
(:func:`canonical_council`) and turned into the installed council; anything else is refused with
a typed error naming the installed councils."""

from __future__ import annotations

import datetime as dt
import json
import pickle
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from sen_disagreement.actors import Actor, Role, StaticActorDirectory
from sen_disagreement.cli import main
from sen_disagreement.council import CouncilProfile, UnknownCouncilError, canonical_council
from sen_disagreement.errors import InvalidInputError, NotFoundError
from sen_disagreement.parties import Party, PartyKind
from sen_disagreement.plugins import Hooks, make_plugin_manager
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.service import CaseService, OpenDisagreementResolution
from sen_disagreement.store import open_store
from sen_disagreement.workflow import CaseParty, DisagreementResolutionCase, records

SEFTON = CouncilProfile(name="Sefton", legal_name="Sefton Metropolitan Borough Council",
                        gss_code="E08000014", la_number="343", slug="sefton")
WIRRAL = CouncilProfile(name="Wirral", gss_code="E08000015", la_number="344", slug="wirral")
T0 = dt.datetime(2025, 1, 13, 10, tzinfo=dt.UTC)


class Councils:
    def __init__(self, *councils: CouncilProfile) -> None:
        self.councils = councils

    @hookimpl
    def sen_register_councils(self) -> Sequence[CouncilProfile]:
        return self.councils


def hooks_with(*councils: CouncilProfile) -> Hooks:
    pm = make_plugin_manager(load_entry_points=False, environ={})
    pm.register(Councils(*councils), name="councils")
    return Hooks(pm, timeout=None)


@pytest.mark.parametrize("key", [
    "E08000014", "e08000014", " E08000014 ", "sefton", "SEFTON", "343", "Sefton",
    "sefton metropolitan borough council", SEFTON,
])
def test_every_key_of_a_council_opens_the_same_door(key: str | CouncilProfile) -> None:
    assert canonical_council(hooks_with(SEFTON, WIRRAL), key) == SEFTON


def test_an_unknown_council_is_refused_naming_the_installed_ones() -> None:
    with pytest.raises(UnknownCouncilError) as caught:
        canonical_council(hooks_with(SEFTON, WIRRAL), "knowsley", field="--council")
    err = caught.value
    assert isinstance(err, NotFoundError)
    assert isinstance(err, InvalidInputError)
    assert (err.field, err.rule_id, err.key) == ("--council", "council.installed", "knowsley")
    assert "no council 'knowsley' is installed" in str(err)
    assert "installed councils: sefton (E08000014), wirral (E08000015)" in str(err)
    again = pickle.loads(pickle.dumps(err))
    assert (str(again), again.installed) == (str(err), err.installed)
    with pytest.raises(UnknownCouncilError, match="installed councils: none"):
        canonical_council(hooks_with(), "sefton")
    with pytest.raises(UnknownCouncilError):  # a profile that is not installed
        canonical_council(hooks_with(WIRRAL), SEFTON)


@pytest.mark.parametrize("key", ["", "   ", "x" * 201, 343, None])
def test_a_key_that_is_not_a_short_string_is_refused(key: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        canonical_council(hooks_with(SEFTON), key)  # type: ignore[arg-type]
    assert caught.value.rule_id == "council.key"


def test_a_code_beats_a_name_and_a_shared_name_is_refused() -> None:
    # A council *named* like another's GSS code is never taken for it.
    impostor = CouncilProfile(name="E08000015", gss_code="E06000901", la_number="901",
                              slug="impostor")
    assert canonical_council(hooks_with(impostor, WIRRAL), "E08000015") == WIRRAL
    assert canonical_council(hooks_with(impostor, WIRRAL), "impostor") == impostor
    # A slug beats a name: "Sefton" is the slug of one council and the name of another.
    twin = CouncilProfile(name="Sefton", gss_code="E06000902", la_number="902", slug="twin")
    assert canonical_council(hooks_with(SEFTON, twin), "Sefton") == SEFTON
    north_a = CouncilProfile(name="Northshire", gss_code="E06000903", la_number="903",
                             slug="north-a")
    north_b = CouncilProfile(name="Northshire", gss_code="E06000904", la_number="904",
                             slug="north-b")
    with pytest.raises(UnknownCouncilError) as caught:
        canonical_council(hooks_with(north_a, north_b), "Northshire")
    assert caught.value.rule_id == "council.ambiguous"
    assert canonical_council(hooks_with(north_a, north_b), "north-b") == north_b


def test_the_facade_uses_the_same_door() -> None:
    hooks = hooks_with(SEFTON)
    assert hooks.council("343") == hooks.find_council("sefton") == SEFTON
    assert hooks.find_council("nowhere") is None
    with pytest.raises(NotFoundError, match="installed councils: sefton"):
        hooks.council("nowhere")


# --- the service ---------------------------------------------------------------------------


def _service(tmp_path: Path, officer_council: str = "sefton") -> CaseService:
    directory = StaticActorDirectory([
        Actor(actor_id="officer", role=Role.LA_OFFICER, council=officer_council),
    ])
    return CaseService(open_store(str(tmp_path / "cases.sqlite3")), hooks_with(SEFTON, WIRRAL),
                       directory)


def _parties() -> list[CaseParty]:
    return [CaseParty("parent", Party(kind=PartyKind.PARENT)),
            CaseParty("la", Party(kind=PartyKind.LOCAL_AUTHORITY))]


def _open(service: CaseService, case_id: str, council: str) -> None:
    service.open_case("officer", OpenDisagreementResolution(
        case_id=case_id, council=council, parties=_parties()), at=T0)


@pytest.mark.parametrize("key", ["sefton", "343", "Sefton", "E08000014"])
def test_a_case_is_stored_under_the_gss_code_whatever_key_opened_it(
    tmp_path: Path, key: str
) -> None:
    service = _service(tmp_path)
    with service.store:
        _open(service, "k-1", key)
        assert service.store.load("k-1").council == "E08000014"
        case, _ = service.load("k-1")
        assert case.council == "E08000014"
        assert service.council_of(case) == SEFTON


def test_a_case_of_an_uninstalled_council_is_refused_and_nothing_is_saved(tmp_path: Path) -> None:
    service = _service(tmp_path, officer_council="knowsley")
    with service.store:
        with pytest.raises(UnknownCouncilError, match="installed councils: sefton"):
            _open(service, "k-1", "knowsley")
        with pytest.raises(NotFoundError):
            service.store.load("k-1")
        assert service.store.find_cases("knowsley") == []


def test_find_cases_sees_a_slug_case_and_a_gss_case_as_one_council(tmp_path: Path) -> None:
    service = _service(tmp_path)
    with service.store:
        # A case stored before the key was canonical holds the slug.
        legacy = DisagreementResolutionCase.refer(
            case_id="k-0", council="sefton", parties=_parties(), at=T0, actor="officer")
        records.save(service.store, legacy, expected_version=0)
        _open(service, "k-1", "sefton")
        _open(service, "k-2", "E08000014")
        for key in ("sefton", "E08000014", "343", "Sefton Metropolitan Borough Council"):
            assert [r.case_id for r in service.find_cases(key)] == ["k-0", "k-1", "k-2"]
        assert [r.case_id for r in service.find_cases("sefton", limit=2)] == ["k-0", "k-1"]
        assert [r.case_id for r in service.find_cases("sefton", after_case_id="k-0")] == [
            "k-1", "k-2"]
        assert service.find_cases("wirral") == []
        with pytest.raises(UnknownCouncilError):
            service.find_cases("knowsley")
        # The legacy case still belongs to Sefton for every other purpose.
        case, _ = service.load("k-0")
        assert service.council_of(case) == SEFTON
        due = service.deadlines_between(None, dt.date(2030, 1, 1), council="343")
        assert {h.case_id for h in due} <= {"k-0", "k-1", "k-2"}
        assert service.overdue(dt.date(2030, 1, 1), council="sefton") == sorted(
            service.overdue(dt.date(2030, 1, 1), council="E08000014"),
            key=lambda h: (h.due, h.case_id, h.clock_id))


# --- the command line ----------------------------------------------------------------------


def test_council_command_takes_any_key_and_refuses_an_unknown_one() -> None:
    runner = CliRunner()
    for key in ("E08000014", "343", "sefton", "Sefton Metropolitan Borough Council"):
        result = runner.invoke(main, ["council", key, "--format", "json"])
        if result.exit_code == 2:
            pytest.skip("the Sefton plugin is not installed in this environment")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["gss_code"] == "E08000014"
    unknown = runner.invoke(main, ["council", "knowsley", "--format", "json"])
    assert unknown.exit_code == 2
    report = json.loads(unknown.stdout)
    assert report["error"] == "UnknownCouncilError"
    assert "sefton (E08000014)" in report["message"]
    assert report["problems"][0]["field"] == "NAME"
