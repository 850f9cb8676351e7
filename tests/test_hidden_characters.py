"""Names and recorded text refuse control characters and text-direction marks (input.encoding):
they can disguise what an officer reads on a page or what a log line says. Item text keeps tab
and line breaks; a name is one line."""

from __future__ import annotations

import datetime as dt

import pytest

from sen_disagreement.disclosure import Disclosure, ItemKind, RecordedItem
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.parties import Party, PartyKind
from sen_disagreement.workflow import steps as st

T0 = dt.datetime(2025, 1, 13, 9, tzinfo=dt.UTC)
HIDDEN = ["\x00", "\x1b[2J", "\x7f", "\x85", "\u061c", "\u200e", "\u200f", "\u2028", "\u2029",
          "\u202a", "\u202e", "\u2066", "\u2069"]


def _item(text: object) -> RecordedItem:
    return RecordedItem(item_id="n1", kind=ItemKind.NOTE, disclosure=Disclosure.CONFIDENTIAL,
                        recorded_at=T0, recorded_by="officer-1", in_meeting=False,
                        text=text)  # type: ignore[arg-type]


@pytest.mark.parametrize("mark", HIDDEN)
def test_input_encoding_a_hidden_character_in_a_name_or_a_record_is_refused(mark: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        Party(kind=PartyKind.PARENT, name=f"Sam{mark}Parent")
    assert (err.value.field, err.value.rule_id) == ("name", "input.encoding")
    with pytest.raises(InvalidInputError) as err:
        _item(f"termly{mark}reviews")
    assert (err.value.field, err.value.rule_id) == ("text", "input.encoding")
    assert "termly" not in str(err.value)
    with pytest.raises(InvalidInputError) as err:
        st.RecordItem(item_id="n1", kind=ItemKind.NOTE, disclosure=Disclosure.CONFIDENTIAL,
                      text=f"termly{mark}reviews")
    assert err.value.rule_id == "input.encoding"


def test_input_encoding_item_text_keeps_tabs_and_line_breaks_a_name_does_not() -> None:
    assert _item("line one\r\nline two\n\tindented").text.count("\n") == 2
    for mark in ("\n", "\r", "\t"):
        with pytest.raises(InvalidInputError) as err:
            Party(kind=PartyKind.PARENT, name=f"Sam{mark}Bcc: x")
        assert err.value.rule_id == "input.encoding"


def test_input_type_item_text_must_be_a_string() -> None:
    with pytest.raises(InvalidInputError) as err:
        _item(42)
    assert (err.value.field, err.value.rule_id) == ("text", "input.type")
    with pytest.raises(InvalidInputError) as err:
        st.RecordItem(item_id="n1", kind=ItemKind.NOTE, disclosure=Disclosure.CONFIDENTIAL,
                      text=["x"])  # type: ignore[arg-type]
    assert err.value.field == "text"
