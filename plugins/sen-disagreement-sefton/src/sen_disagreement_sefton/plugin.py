"""Sefton Council: profile, disagreement-resolution provider and contacts.

References:

* Sefton Local Offer, "Disagreement Resolution": the service is provided by Global Mediation;
  requests go to the SEN Casework Team, Ainsdale Hope Centre, Sandringham Road, 0151 934 2347.
* ONS GSS code E08000014 (Sefton, metropolitan district); DfE local-authority number 343.

Not declared, because the council pages read do not name them: a mediation provider, the
mediation adviser, SENDIASS, and the person acting for the local authority that decision notices
must name (SEND Regs reg 32(f)). Add them here when the council confirms them.

The profile, provider and contact hooks answer with constants, so they are marked ``@inline``:
the facade calls them in the caller's thread rather than handing each call to a worker thread.

Channels: every message goes through GOV.UK Notify when ``sen-disagreement-notify`` is installed
and configured (:mod:`sen_disagreement_sefton.channels` declares the templates it uses).
"""

from __future__ import annotations

from collections.abc import Sequence

from sen_disagreement.channels import MessageChannel
from sen_disagreement.council import Contact, ContactRole, CouncilProfile, Provider
from sen_disagreement.parties import PartyKind
from sen_disagreement.plugins.spec import hookimpl, inline
from sen_disagreement_sefton import channels as _channels

SEFTON = CouncilProfile(
    name="Sefton",
    legal_name="Sefton Metropolitan Borough Council",
    gss_code="E08000014",
    la_number="343",
    slug="sefton",
)

GLOBAL_MEDIATION_DR = Provider(
    provider_id="global-mediation",
    name="Global Mediation",
    kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER,
    # An independent organisation: nobody is employed by the council or a health body.
    employer=None,
    description=(
        "Independent disagreement-resolution service commissioned by Sefton Council for "
        "disagreements about special educational provision, and about health and social care "
        "during EHC needs assessments and plans."
    ),
)

SEN_CASEWORK_TEAM = Contact(
    role=ContactRole.SEN_CASEWORK_TEAM,
    name="SEN Casework Team",
    address_lines=("Ainsdale Hope Centre", "Sandringham Road"),
    telephone="0151 934 2347",
)


# Each answer is one tuple, the same object on every call: the host rebuilds and checks a
# tuple it has not seen before, and reuses its copies for one it has.
_COUNCILS = (SEFTON,)
_PROVIDERS = (GLOBAL_MEDIATION_DR,)
_CONTACTS = (SEN_CASEWORK_TEAM,)


def _ours(council: CouncilProfile) -> bool:
    return council.slug == SEFTON.slug


@hookimpl
@inline
def sen_register_councils() -> Sequence[CouncilProfile]:
    return _COUNCILS


@hookimpl
@inline
def sen_register_providers(council: CouncilProfile) -> Sequence[Provider]:
    return _PROVIDERS if _ours(council) else ()


@hookimpl
@inline
def sen_register_contacts(council: CouncilProfile) -> Sequence[Contact]:
    return _CONTACTS if _ours(council) else ()


_notify: list[MessageChannel] = []


@hookimpl
def sen_register_channels(council: CouncilProfile) -> Sequence[MessageChannel]:
    """Sefton's GOV.UK Notify channel (:mod:`sen_disagreement_sefton.channels`), when the
    Notify package is installed and configured; built once per process."""
    if not _ours(council):
        return ()
    if not _notify:
        channel = _channels.notify_channel()
        if channel is None:
            return ()
        _notify.append(channel)
    return tuple(_notify)
