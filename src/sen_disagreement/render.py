"""Plain-text and JSON renderings of classifier answers (shared by the CLI and the demo)."""

from __future__ import annotations

from typing import Any

from sen_disagreement.classifier import Classification, Eligible, RouteSuggestion
from sen_disagreement.provenance import Provenance

__all__ = [
    "classification_json",
    "classification_text",
]


def _citations(p: Provenance) -> list[dict[str, Any]]:
    return [{"text": c.text, "grade": c.grade.value, "url": c.url} for c in p.citations]


def _route(r: RouteSuggestion) -> dict[str, Any]:
    return {
        "route": r.route.route_id,
        "name": r.route.name,
        "body": r.route.body,
        "time_limit": r.route.time_limit,
        "why": r.why,
        "citations": _citations(r.route.provenance),
    }


def classification_json(answer: Classification) -> dict[str, Any]:
    """A classifier answer as a JSON-ready dict: each matching type (or each reason none applies)
    with its citations and grade, and the other routes with theirs."""
    if isinstance(answer, Eligible):
        return {
            "eligible": True,
            "types": [
                {
                    "type": m.type_number,
                    "rule_id": m.rule_id,
                    "title": m.title,
                    "reasons": list(m.reasons),
                    "grade": m.provenance.grade.value,
                    "citations": _citations(m.provenance),
                }
                for m in answer.matches
            ],
            "also_available": [_route(r) for r in answer.also_available],
        }
    return {
        "eligible": False,
        "reasons": list(answer.reasons),
        "other_routes": [_route(r) for r in answer.other_routes],
    }


def classification_text(answer: Classification) -> str:
    """A classifier answer as plain text for a reader: each matching type (or why none applies), its
    source, and the other routes with their time limits and sources."""
    lines: list[str] = []
    if isinstance(answer, Eligible):
        for m in answer.matches:
            lines.append(f"Disagreement resolution applies: type {m.type_number} - {m.title}")
            lines.extend(f"  - {reason}" for reason in m.reasons)
            lines.append(f"  Source: {m.provenance.cite()}")
        routes, heading = answer.also_available, "Also available:"
    else:
        lines.append("Not eligible for disagreement resolution under CFA 2014 s.57:")
        lines.extend(f"  - {reason}" for reason in answer.reasons)
        routes, heading = answer.other_routes, "Other routes:"
    if routes:
        lines.append(heading)
        for r in routes:
            lines.append(f"  * {r.route.name} ({r.why}): {r.route.time_limit}.")
            lines.append(f"    Source: {r.route.provenance.cite()}")
    return "\n".join(lines)
