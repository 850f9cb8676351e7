"""Wirral's council plugin (an example to copy; see README.md for which data is illustrative).

One module, seven hooks. Every hook that concerns a council receives it: answer only for your own
council (``_ours``) so several councils can share one installation.

References (replace with your council's sources):

* ONS GSS code E08000015 (Wirral, metropolitan district); DfE local-authority number 344.
* The council's Local Offer pages for disagreement resolution and mediation (provider, contacts).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sen_disagreement.council import (
    CaseContext,
    CaseEvent,
    Contact,
    ContactRole,
    CouncilProfile,
    Notification,
    NotificationChannel,
    Provider,
)
from sen_disagreement.parties import PartyKind
from sen_disagreement.plugins.spec import hookimpl
from sen_disagreement.settings import MeetingDeadline, Settings

# 1. Who the council is. The slug is what officers type: `sen-disagreement council wirral`.
WIRRAL = CouncilProfile(
    name="Wirral",
    legal_name="Wirral Metropolitan Borough Council",
    gss_code="E08000015",
    la_number="344",
    slug="wirral",
    website="https://www.example.org/wirral-local-offer",
)

# 2. The providers the council commissions. `employer=None` means an independent organisation;
#    if a provider's staff were employed by the council or an ICB, say so here and the
#    independence rules will refuse them for the cases where the law requires it.
WIRED_DISAGREEMENT_RESOLUTION = Provider(
    provider_id="wired",
    name="WIRED",
    kind=PartyKind.DISAGREEMENT_RESOLUTION_PROVIDER,
    telephone="0151 496 0001",
    email="disagreement-resolution@example.org",
    url="https://www.example.org/wired",
)
WIRED_MEDIATION = Provider(
    provider_id="wired-mediation",
    name="WIRED",
    kind=PartyKind.MEDIATOR,
    telephone="0151 496 0002",
    email="mediation@example.org",
    url="https://www.example.org/wired",
)
HEALTH_MEDIATION_PANEL = Provider(
    provider_id="health-mediation-panel",
    name="Example Health Mediation Panel",
    kind=PartyKind.MEDIATOR,
    telephone="0151 496 0003",
    description="Mediators with health and social care experience (illustrative).",
)
WIRED_MEDIATION_ADVICE = Provider(
    provider_id="wired-mediation-advice",
    name="WIRED",
    kind=PartyKind.MEDIATION_ADVISER,
    telephone="0151 496 0004",
)

# 3. Published, office-level contacts. Never a person's private details.
CONTACTS = (
    Contact(
        role=ContactRole.SEN_CASEWORK_TEAM,
        name="SEND Assessment and Casework Team",
        telephone="0151 496 0010",
        email="send-casework@example.org",
    ),
    Contact(
        role=ContactRole.PERSON_ACTING_FOR_LA_REG32F,
        name="SEND Mediation Officer",
        telephone="0151 496 0011",
        email="send-mediation@example.org",
    ),
    Contact(
        role=ContactRole.MEDIATION_ADVISER,
        name="WIRED mediation advice line",
        telephone="0151 496 0004",
    ),
    Contact(
        role=ContactRole.SENDIASS,
        name="Wirral SENDIASS",
        telephone="0151 496 0012",
        url="https://www.example.org/wirral-sendiass",
    ),
)


def _ours(council: CouncilProfile) -> bool:
    return council.slug == WIRRAL.slug


@hookimpl
def sen_register_councils() -> Sequence[CouncilProfile]:
    return (WIRRAL,)


@hookimpl
def sen_register_providers(council: CouncilProfile) -> Sequence[Provider]:
    if not _ours(council):
        return ()
    return (
        WIRED_DISAGREEMENT_RESOLUTION,
        WIRED_MEDIATION,
        HEALTH_MEDIATION_PANEL,
        WIRED_MEDIATION_ADVICE,
    )


@hookimpl
def sen_register_contacts(council: CouncilProfile) -> Sequence[Contact]:
    return CONTACTS if _ours(council) else ()


# 4. A notification channel: anything with a `name` and a `send(notification)` method. This one
#    writes to the casework team's log; a real one would call GOV.UK Notify. A notification holds
#    ids and a template name only: look personal details up under your own access rules.
class CaseworkInboxChannel:
    def __init__(self) -> None:
        self._log = logging.getLogger("sen_disagreement_wirral.inbox")

    @property
    def name(self) -> str:
        return "wirral-casework-inbox"

    def send(self, notification: Notification) -> None:
        self._log.info("case %s: %s", notification.case_id, notification.template)


@hookimpl
def sen_register_channels(council: CouncilProfile) -> Sequence[NotificationChannel]:
    return (CaseworkInboxChannel(),) if _ours(council) else ()


# 5. Choosing among the providers that passed the independence rules. Return None to let the
#    next plugin (finally the built-in default: the first candidate) decide.
@hookimpl
def sen_choose_provider(
    council: CouncilProfile, case: CaseContext, candidates: Sequence[Provider]
) -> Provider | None:
    if not _ours(council) or not case.health_in_issue:
        return None
    panel = HEALTH_MEDIATION_PANEL.provider_id
    return next((p for p in candidates if p.provider_id == panel), None)


# 6. Observing case events, e.g. to update the council's own case-management system.
@hookimpl
def sen_after_case_event(council: CouncilProfile, event: CaseEvent) -> None:
    if _ours(council):
        logging.getLogger("sen_disagreement_wirral.events").info(
            "case %s: %s", event.case_id, event.name
        )


# 7. The council's readings of the points of law the library could not confirm (`sen-disagreement
#    settings` lists them with their defaults). Return None to keep the defaults. The answer is
#    pinned to each case when it opens and stored with it, so changing it later changes new
#    cases only. Illustrative: a council reading the 30-day mediation duty as "arranged within
#    30 days" (Hertfordshire's reading) rather than the default "held within 30 days".
WIRRAL_SETTINGS = Settings(arrange_mediation_deadline=MeetingDeadline.ARRANGED)


@hookimpl
def sen_council_settings(council: CouncilProfile) -> Settings | None:
    return WIRRAL_SETTINGS if _ours(council) else None
