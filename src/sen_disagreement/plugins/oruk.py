"""Open Referral UK export of a council's providers and contacts.

Local Offer sites and service directories publish services in the Open Referral UK shape (the UK
profile of HSDS 3.0). :func:`service_records` turns a council's declared providers and contacts
into ORUK ``service`` records, one per provider, so a directory can publish exactly what the
library routes cases to.

Shape of each record (HSDS 3.0 field names):

* ``id`` (UUID), ``name``, ``description``, ``status`` (``active``), and ``url`` / ``email``
  when the provider or council declares one;
* ``organization``: the provider (``id``, ``name``, ``description``, ``website``, ``email``);
* ``contacts``: the council's contacts (``id``, ``name``, ``title``, ``email``, ``phones``:
  ``[{id, number}]``);
* ``service_areas``: the council's area (``id``, ``name``, ``uri`` = the GSS code as an ONS URI);
* ``service_at_locations``: one per contact with an address; the location's ``addresses`` are
  given only when a town and postcode are known (the profile requires them).

Ids are UUID 5 values derived from the council slug and the provider or contact, so an export is
stable from run to run and across servers. The UK profile also expects ``url`` on every service;
a provider without a website and a council without one give a record without ``url``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sen_disagreement.council import Contact, CouncilProfile, Provider
from sen_disagreement.parties import PartyKind

if TYPE_CHECKING:
    from sen_disagreement.plugins.facade import Hooks

__all__ = ["ORUK_NAMESPACE", "export_council", "service_records"]

ORUK_NAMESPACE = uuid.UUID("6f4a0c1e-3b1d-5c8e-9a47-2d6b1f0e8c35")
"""Namespace of the UUID 5 ids in exports (fixed: changing it changes every published id)."""

JSONObject = dict[str, object]

_SERVICE_NAMES = {
    PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER: "SEND disagreement resolution",
    PartyKind.MEDIATOR: "SEND mediation",
    PartyKind.MEDIATION_ADVISER: "SEND mediation advice",
}

_DESCRIPTIONS = {
    PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER: (
        "Independent, voluntary and confidential help to settle a disagreement about special "
        "educational provision (and about health or social care during EHC needs assessments and "
        "plans) before it escalates. Free to parents and young people."
    ),
    PartyKind.MEDIATOR: (
        "Independent mediation between a parent or young person and the local authority (or a "
        "health commissioning body) about EHC needs assessments and plans. Free to parents and "
        "young people; the local authority must take part."
    ),
    PartyKind.MEDIATION_ADVISER: (
        "Independent information about mediation for parents and young people considering an "
        "appeal to the SEND Tribunal, and the certificate needed to register most appeals."
    ),
}


def _id(*parts: str) -> str:
    return str(uuid.uuid5(ORUK_NAMESPACE, "/".join(parts)))


def _contact(council: CouncilProfile, contact: Contact, index: int) -> JSONObject:
    key = (council.slug, "contact", contact.role.value, str(index))
    out: JSONObject = {
        "id": _id(*key),
        "name": contact.name,
        "title": contact.role.label,
    }
    if contact.email:
        out["email"] = contact.email
    if contact.telephone:
        out["phones"] = [{"id": _id(*key, "phone"), "number": contact.telephone}]
    return out


def _location(council: CouncilProfile, contact: Contact, index: int) -> JSONObject | None:
    if not contact.address_lines:
        return None
    key = (council.slug, "location", contact.role.value, str(index))
    location: JSONObject = {
        "id": _id(*key),
        "name": contact.address_lines[0],
        "description": ", ".join(contact.address_lines),
    }
    if contact.town and contact.postcode:
        location["addresses"] = [
            {
                "id": _id(*key, "address"),
                "address_1": ", ".join(contact.address_lines),
                "city": contact.town,
                "state_province": council.name,
                "postal_code": contact.postcode,
                "country": "GB",
                "address_type": "physical",
            }
        ]
    return {"id": _id(*key, "service_at_location"), "location": location}


def _organization(provider: Provider) -> JSONObject:
    org: JSONObject = {
        "id": _id("organization", provider.name.casefold()),
        "name": provider.name,
        "description": provider.description or f"{provider.name}: independent SEND services.",
    }
    if provider.url:
        org["website"] = provider.url
    if provider.email:
        org["email"] = provider.email
    return org


def service_records(
    council: CouncilProfile, providers: Sequence[Provider], contacts: Sequence[Contact]
) -> list[JSONObject]:
    """One ORUK ``service`` record per provider of ``council``, carrying the council's contacts.

    The result is plain JSON data (``json.dumps`` it as it is)."""
    contact_records = [_contact(council, c, i) for i, c in enumerate(contacts)]
    locations = [
        loc for i, c in enumerate(contacts) if (loc := _location(council, c, i)) is not None
    ]
    area: JSONObject = {
        "id": _id(council.slug, "area"),
        "name": council.legal_name or council.name,
        "uri": f"http://statistics.data.gov.uk/id/statistical-geography/{council.gss_code}",
    }
    records: list[JSONObject] = []
    for provider in providers:
        record: JSONObject = {
            "id": _id(council.slug, "service", provider.kind.value, provider.provider_id),
            "name": f"{_SERVICE_NAMES[provider.kind]} – {council.name} ({provider.name})",
            "description": _DESCRIPTIONS[provider.kind],
            "status": "active",
            "organization": _organization(provider),
            "contacts": contact_records,
            "service_areas": [area],
            "service_at_locations": locations,
        }
        url = provider.url or council.website
        if url:
            record["url"] = url
        if provider.email:
            record["email"] = provider.email
        records.append(record)
    return records


def export_council(hooks: Hooks, council: CouncilProfile) -> list[JSONObject]:
    """:func:`service_records` for ``council`` with what the installed plugins declare."""
    return service_records(council, hooks.providers(council), hooks.contacts(council))
