"""Open Referral UK export: every record validates against the ORUK service shape."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest

from sen_disagreement.council import Contact, ContactRole, CouncilProfile, Provider
from sen_disagreement.parties import PartyKind
from sen_disagreement.plugins import Hooks
from sen_disagreement.plugins.oruk import export_council, service_records
from sen_disagreement.plugins.testing import RegisterPlugin

SCHEMA = json.loads((Path(__file__).parent / "oruk_service.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def _valid(record: object) -> None:
    errors = sorted(VALIDATOR.iter_errors(record), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_schema_is_itself_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_sefton_export(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, sefton_module: ModuleType
) -> None:
    register_sen_plugin(sefton_module, name="sefton")
    (record,) = export_council(sen_hooks, sen_hooks.council("sefton"))
    _valid(record)
    assert record["organization"]["name"] == "Global Mediation"  # type: ignore[index]
    contacts = record["contacts"]
    assert isinstance(contacts, list)
    (contact,) = contacts
    assert contact["name"] == "SEN Casework Team"
    assert contact["phones"][0]["number"] == "0151 934 2347"
    locations = record["service_at_locations"]
    assert isinstance(locations, list)
    (sal,) = locations
    assert sal["location"]["name"] == "Ainsdale Hope Centre"
    assert "addresses" not in sal["location"]  # no town or postcode published
    assert record["service_areas"][0]["uri"].endswith("/E08000014")  # type: ignore[index]
    # stable ids: the same export twice is identical
    assert export_council(sen_hooks, sen_hooks.council("sefton")) == [record]


def test_wirral_export_has_one_service_per_provider(
    sen_hooks: Hooks, register_sen_plugin: RegisterPlugin, wirral_module: ModuleType
) -> None:
    register_sen_plugin(wirral_module, name="wirral")
    records = export_council(sen_hooks, sen_hooks.council("wirral"))
    assert len(records) == 4
    assert len({r["id"] for r in records}) == 4
    for record in records:
        _valid(record)
        assert "url" in record  # the UK profile's extra requirement is met when a URL exists


def test_full_address_is_exported_when_town_and_postcode_are_known() -> None:
    council = CouncilProfile(name="Testshire", gss_code="E06000905", la_number="905", slug="t")
    provider = Provider(provider_id="p", name="P", kind=PartyKind.MEDIATOR, email="p@example.org")
    contact = Contact(
        role=ContactRole.SEN_CASEWORK_TEAM,
        name="Team",
        address_lines=("Town Hall", "1 High Street"),
        town="Testtown",
        postcode="TE1 1ST",
    )
    (record,) = service_records(council, [provider], [contact])
    _valid(record)
    (address,) = record["service_at_locations"][0]["location"]["addresses"]  # type: ignore[index]
    assert (address["postal_code"], address["country"]) == ("TE1 1ST", "GB")


@pytest.mark.parametrize(
    ("path", "value"),
    [(("status",), "open"), (("id",), "not-a-uuid"), (("organization", "nickname"), "x")],
)
def test_schema_catches_drift(path: tuple[str, ...], value: str) -> None:
    council = CouncilProfile(name="Testshire", gss_code="E06000905", la_number="905", slug="t")
    provider = Provider(provider_id="p", name="P", kind=PartyKind.MEDIATOR)
    (record,) = service_records(council, [provider], [])
    target: dict[str, object] = record
    for key in path[:-1]:
        target = target[key]  # type: ignore[assignment]
    target[path[-1]] = value
    assert list(VALIDATOR.iter_errors(record))
