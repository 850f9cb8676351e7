"""sen_disagreement: the statutory SEN disagreement-resolution, mediation-advice and mediation
process for English local authorities, as typed rules that cite their sources.

The names a council developer imports are here, loaded on first use so that
``import sen_disagreement`` stays cheap (no store, calendar or plugin machinery until asked)::

    import sen_disagreement as sd

    service = sd.CaseService.open("sqlite:///cases.sqlite3", directory=users)
    service.apply("dr-1", "sen-casework-1", sd.steps.SeekAgreement())

Everything else lives in the modules named after the law's concepts
(``sen_disagreement.clocks``, ``sen_disagreement.workflow``, ...); see the API reference.
"""

from __future__ import annotations

# typing.TYPE_CHECKING without importing typing (most of this module's cost); type checkers
# treat the name as true, so they see the real types below.
TYPE_CHECKING = False
if TYPE_CHECKING:  # at run time each name loads on first use instead
    from sen_disagreement.actors import Actor, CaseGrant, Role, StaticActorDirectory
    from sen_disagreement.appeals import AppealableDecision
    from sen_disagreement.classifier import Disagreement, classify
    from sen_disagreement.clocks import compute_deadlines
    from sen_disagreement.council import Contact, ContactRole, CouncilProfile
    from sen_disagreement.disclosure import Disclosure, ItemKind
    from sen_disagreement.ehc import Duty, EhcStage, PlanSection, Provision
    from sen_disagreement.errors import (
        AccessDeniedError,
        InvalidInputError,
        SenDisagreementError,
    )
    from sen_disagreement.parties import Identifiers, Party, PartyKind
    from sen_disagreement.plugins.facade import Hooks
    from sen_disagreement.plugins.spec import hookimpl
    from sen_disagreement.service import CaseService, OpenDisagreementResolution, OpenMediation
    from sen_disagreement.store import open_store
    from sen_disagreement.workflow import (
        CaseParty,
        DisagreementResolutionCase,
        MediationCase,
        PartyContact,
        steps,
    )
    from sen_disagreement.workflow.issues import Issue, IssueOutcome
    from sen_disagreement.workflow.mediation import DecisionNotice, Reg32Item

# name -> the module that defines it (a module itself where the name is a module).
_WHERE: dict[str, str] = {
    # running a case
    "CaseService": "sen_disagreement.service",
    "OpenDisagreementResolution": "sen_disagreement.service",
    "OpenMediation": "sen_disagreement.service",
    "steps": "sen_disagreement.workflow.steps",
    "open_store": "sen_disagreement.store",
    # who acts
    "Actor": "sen_disagreement.actors",
    "CaseGrant": "sen_disagreement.actors",
    "Role": "sen_disagreement.actors",
    "StaticActorDirectory": "sen_disagreement.actors",
    # what a case is made of
    "Party": "sen_disagreement.parties",
    "PartyKind": "sen_disagreement.parties",
    "Identifiers": "sen_disagreement.parties",
    "CaseParty": "sen_disagreement.workflow",
    "PartyContact": "sen_disagreement.workflow",
    "DisagreementResolutionCase": "sen_disagreement.workflow",
    "MediationCase": "sen_disagreement.workflow",
    "Issue": "sen_disagreement.workflow.issues",
    "IssueOutcome": "sen_disagreement.workflow.issues",
    "DecisionNotice": "sen_disagreement.workflow.mediation",
    "Reg32Item": "sen_disagreement.workflow.mediation",
    "AppealableDecision": "sen_disagreement.appeals",
    "EhcStage": "sen_disagreement.ehc",
    "Provision": "sen_disagreement.ehc",
    "Duty": "sen_disagreement.ehc",
    "PlanSection": "sen_disagreement.ehc",
    "Disclosure": "sen_disagreement.disclosure",
    "ItemKind": "sen_disagreement.disclosure",
    # answers without a stored case
    "Disagreement": "sen_disagreement.classifier",
    "classify": "sen_disagreement.classifier",
    "compute_deadlines": "sen_disagreement.clocks",
    # council plugins
    "hookimpl": "sen_disagreement.plugins.spec",
    "Hooks": "sen_disagreement.plugins.facade",
    "CouncilProfile": "sen_disagreement.council",
    "Contact": "sen_disagreement.council",
    "ContactRole": "sen_disagreement.council",
    # errors
    "SenDisagreementError": "sen_disagreement.errors",
    "InvalidInputError": "sen_disagreement.errors",
    "AccessDeniedError": "sen_disagreement.errors",
}

__all__ = [
    "AccessDeniedError",
    "Actor",
    "AppealableDecision",
    "CaseGrant",
    "CaseParty",
    "CaseService",
    "Contact",
    "ContactRole",
    "CouncilProfile",
    "DecisionNotice",
    "Disagreement",
    "DisagreementResolutionCase",
    "Disclosure",
    "Duty",
    "EhcStage",
    "Hooks",
    "Identifiers",
    "InvalidInputError",
    "Issue",
    "IssueOutcome",
    "ItemKind",
    "MediationCase",
    "OpenDisagreementResolution",
    "OpenMediation",
    "Party",
    "PartyContact",
    "PartyKind",
    "PlanSection",
    "Provision",
    "Reg32Item",
    "Role",
    "SenDisagreementError",
    "StaticActorDirectory",
    "classify",
    "compute_deadlines",
    "hookimpl",
    "open_store",
    "steps",
]


def __getattr__(name: str) -> object:
    """Load a curated name on first use (PEP 562) and keep it, so later uses cost nothing."""
    if name == "__version__":
        from importlib.metadata import version

        return version("sen-disagreement")
    where = _WHERE.get(name)
    if where is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    import importlib

    module = importlib.import_module(where)
    value: object = module if name == "steps" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
