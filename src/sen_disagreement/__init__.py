"""sen_disagreement: the statutory SEN disagreement-resolution, mediation-advice and mediation
process for English local authorities, as typed rules that cite their sources."""

from __future__ import annotations

from sen_disagreement.errors import SenDisagreementError
from sen_disagreement.provenance import Citation, Grade, Provenance, Rule

__all__ = [
    "Citation",
    "Grade",
    "Provenance",
    "Rule",
    "SenDisagreementError",
]


def __getattr__(name: str) -> str:
    if name == "__version__":
        from importlib.metadata import version

        return version("sen-disagreement")
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
