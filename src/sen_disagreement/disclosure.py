"""Confidential and without-prejudice material, marked when it is recorded and kept out of
anything bound for the Tribunal.

Every recorded item carries a :class:`Disclosure` class that is fixed when the item is made: there
is no default, and offers and comments made in a disagreement-resolution or mediation meeting are
always :attr:`Disclosure.WITHOUT_PREJUDICE`. An item's ``text`` never appears in its ``repr``,
in an error or in a log line.
"""

from __future__ import annotations

import datetime as dt

from attrs import field, frozen

from sen_disagreement._checks import (
    actor_validator,
    id_validator,
    text_validator,
    typed_fields,
    utc_validator,
)
from sen_disagreement._enum import Enum
from sen_disagreement.errors import InvalidInputError, WithoutPrejudiceError
from sen_disagreement.provenance import Provenance, Rule, S, U, cite

__all__ = [
    "CONFIDENTIAL",
    "MAX_TEXT",
    "MEETING_KINDS",
    "TRIBUNAL_ALLOWED",
    "WITHOUT_PREJUDICE",
    "Disclosure",
    "ItemKind",
    "RecordedItem",
    "check_tribunal_bound",
]

WITHOUT_PREJUDICE = Rule(
    "s57.without_prejudice",
    "Disagreement-resolution and mediation meetings are confidential and without prejudice to "
    "the Tribunal process; the Tribunal disregards offers or comments made in them.",
    Provenance(
        [
            cite("Sefton Disagreement Resolution page; KIDS; Sheffield Local Offer", S),
            cite("SEND Code of Practice paragraph (believed 11.9-11.10)", U),
        ]
    ),
)
"""Meetings are without prejudice to the Tribunal process: the Tribunal disregards offers and
comments made in them (the Code of Practice paragraph is unconfirmed)."""
CONFIDENTIAL = Rule(
    "s57.confidential",
    "What is said in disagreement resolution and mediation is confidential to the process.",
    Provenance([cite("Sefton Disagreement Resolution page; KIDS", S)]),
)
"""What is said in disagreement resolution and mediation is confidential to the process."""


class Disclosure(Enum):
    """Who may ever see an item. Ordered from most to least open."""

    PUBLIC = "public"
    PARTIES = "parties"
    """The parties to the case (and their officers, the provider and the mediator)."""
    CONFIDENTIAL = "confidential"
    """Confidential to the process: not for the Tribunal, not for notifications."""
    WITHOUT_PREJUDICE = "without_prejudice"
    """Offers and comments in a meeting: never in anything bound for the Tribunal."""


class ItemKind(Enum):
    """What a recorded item is; how far it may travel is its `Disclosure`."""

    OFFER = "offer"
    COMMENT = "comment"
    NOTE = "note"
    DOCUMENT = "document"
    DECISION_NOTICE = "decision_notice"
    CERTIFICATE = "certificate"
    OUTCOME = "outcome"


MEETING_KINDS = frozenset({ItemKind.OFFER, ItemKind.COMMENT})
"""The item kinds that are always without prejudice, wherever they are recorded: offers and
comments."""
TRIBUNAL_ALLOWED = frozenset({Disclosure.PUBLIC, Disclosure.PARTIES})
"""The allow-list for anything bound for the Tribunal."""

MAX_TEXT = 10_000
"""Longest item text: the longest string a stored case document may hold
(`serialization.MAX_STRING`), so an item that can be recorded can also be saved and read."""


@frozen(kw_only=True, field_transformer=typed_fields)
class RecordedItem:
    """Something recorded on a case (an offer, a comment, a note, a document...) with its
    :class:`Disclosure` class, fixed when it is recorded: an offer or comment, or anything said in a
    meeting, is without prejudice from that moment (:data:`WITHOUT_PREJUDICE`)."""

    item_id: str = field(validator=id_validator)
    # Types checked when built (typed_fields): kind='offer' as a string once passed the
    # without-prejudice rule as text.
    kind: ItemKind
    disclosure: Disclosure
    recorded_at: dt.datetime = field(validator=utc_validator)
    recorded_by: str = field(validator=actor_validator)
    in_meeting: bool
    """Made during a disagreement-resolution or mediation meeting."""
    text: str = field(repr=False, validator=text_validator)
    by_facilitator: bool = False
    """Recorded by the case's provider, mediation adviser or mediator (set by the case when the
    item is added, and never changed): such a record stays the facilitators' even if the case's
    facilitator later changes."""

    def __attrs_post_init__(self) -> None:
        if (self.in_meeting or self.kind in MEETING_KINDS) and (
            self.disclosure is not Disclosure.WITHOUT_PREJUDICE
        ):
            raise InvalidInputError(
                "offers and comments, and anything said in a meeting, are without prejudice "
                "from the moment they are recorded",
                field="disclosure",
                rule_id=WITHOUT_PREJUDICE.rule_id,
                citation=WITHOUT_PREJUDICE.cite(),
            )
        if len(self.text) > MAX_TEXT:
            raise InvalidInputError(
                f"is longer than {MAX_TEXT} characters", field="text", rule_id="input.text_length"
            )

    def __str__(self) -> str:
        return f"{self.kind.value} {self.item_id} [{self.disclosure.value}]"

    @classmethod
    def meeting_record(
        cls,
        *,
        item_id: str,
        kind: ItemKind,
        recorded_at: dt.datetime,
        recorded_by: str,
        text: str,
    ) -> RecordedItem:
        """An offer or comment made in a meeting: without prejudice, always."""
        return cls(
            item_id=item_id,
            kind=kind,
            disclosure=Disclosure.WITHOUT_PREJUDICE,
            recorded_at=recorded_at,
            recorded_by=recorded_by,
            in_meeting=True,
            text=text,
        )


def check_tribunal_bound(item: RecordedItem) -> None:
    """Raise unless ``item`` may be placed in something bound for the Tribunal. The message
    names the item id and class only, never its content."""
    if item.disclosure in TRIBUNAL_ALLOWED:
        return
    rule = WITHOUT_PREJUDICE if item.disclosure is Disclosure.WITHOUT_PREJUDICE else CONFIDENTIAL
    raise WithoutPrejudiceError(
        f"item {item.item_id} is {item.disclosure.value} and can never be placed in anything "
        "bound for the Tribunal",
        rule_id=rule.rule_id,
        citation=rule.cite(),
    )
