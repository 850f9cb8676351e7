"""Case timelines: snapshots of the walkthrough's two cases (SVG and text, byte for byte), the
SVG's accessibility (title, description, labelled root, words for every status), the PNG a
real image of the expected size, and the library call the web app uses.

Snapshots live in tests/reports/snapshots/. After a deliberate change to the drawing (or a new
matplotlib), rewrite them with ``SEN_DISAGREEMENT_UPDATE_SNAPSHOTS=1`` and review the diff."""

from __future__ import annotations

import datetime as dt
import os
import struct
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest

from sen_disagreement.errors import InvalidInputError
from sen_disagreement.reports.timeline import build, render_timeline
from sen_disagreement.service import CaseService
from sen_disagreement.walkthrough import DR_CASE, MED_CASE, OFFICER, PROVIDER, directory
from sen_disagreement.workflow import Case

SNAPSHOTS = Path(__file__).parent / "snapshots"
ON = dt.date(2025, 5, 1)
SVG = "{http://www.w3.org/2000/svg}"


def _case(db: Path, case_id: str) -> Case:
    service = CaseService.open(f"sqlite:///{db}", directory=directory(), timeout=None)
    with service.store:
        case, _ = service.case_for(case_id, OFFICER)
    return case


def _snapshot(name: str, got: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("SEN_DISAGREEMENT_UPDATE_SNAPSHOTS") == "1":
        path.write_text(got, encoding="utf-8")
    assert path.is_file(), f"no snapshot {path}: run with SEN_DISAGREEMENT_UPDATE_SNAPSHOTS=1"
    assert got == path.read_text(encoding="utf-8"), f"{name} differs from its snapshot"


def _timeline(db: Path, case_id: str, who: str, fmt: str) -> str | bytes:
    service = CaseService.open(f"sqlite:///{db}", directory=directory(), timeout=None)
    with service.store:
        return service.timeline_for(case_id, who, on=ON).render(fmt)


# The officer's view of the mediation is everyone's (its one record is an open letter); of the
# disagreement resolution it lacks the step that recorded the without-prejudice offer, which an
# officer may not read (the snapshot named .officer), so the snapshot of the whole case is the
# provider's view, who reads everything in it.
@pytest.mark.parametrize(("case_id", "who", "name"), [
    (DR_CASE, PROVIDER, DR_CASE), (DR_CASE, OFFICER, f"{DR_CASE}.officer"),
    (MED_CASE, OFFICER, MED_CASE)])
def test_timeline_svg_and_text_match_snapshots(walkthrough_db: Path, case_id: str, who: str,
                                               name: str) -> None:
    svg = _timeline(walkthrough_db, case_id, who, "svg")
    assert isinstance(svg, str)
    assert _timeline(walkthrough_db, case_id, who, "svg") == svg  # stable within a run too
    _snapshot(f"{name}.svg", svg)
    text = _timeline(walkthrough_db, case_id, who, "text")
    assert isinstance(text, str)
    _snapshot(f"{name}.txt", text)
    # The whole case, as render_timeline draws it told every item is readable.
    case = _case(walkthrough_db, case_id)
    everything = render_timeline(case, on=ON, format="text", readable=case.items)
    assert isinstance(everything, str)
    if who == OFFICER and case_id == DR_CASE:
        offer = "  2025-01-30  record item -> meeting held\n"
        assert text == everything.replace(offer, "", 1) != everything  # only that line
    else:
        assert text == everything


def test_timeline_svg_is_accessible(walkthrough_db: Path) -> None:
    case = _case(walkthrough_db, MED_CASE)
    svg = render_timeline(case, on=dt.date(2025, 4, 13))
    assert isinstance(svg, str)
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "sd-title sd-desc"
    title, desc = root[0], root[1]
    assert (title.tag, title.get("id")) == (f"{SVG}title", "sd-title")
    assert (desc.tag, desc.get("id")) == (f"{SVG}desc", "sd-desc")
    assert title.text == f"Timeline of mediation case {MED_CASE} as of 2025-04-13"
    words = desc.text or ""
    # Every clock's status in words, not only by its fill or marker.
    assert "arrange mediation education social care: started 2025-03-12, due 2025-04-11, " \
           "missed" in words
    assert "deemed certificate: started 2025-04-12, due 2025-04-16, running" in words
    assert "mediation adviser contact: started 2025-03-03, due 2025-05-03, met on " \
           "2025-03-10" in words
    assert "State now: not arranged" in words
    # The row labels carry the status as text in the picture itself.
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "deemed certificate: running" in texts and ": missed" in texts


def test_timeline_states_replay_through_the_machine(walkthrough_db: Path) -> None:
    t = build(_case(walkthrough_db, MED_CASE), on=ON)
    assert [b.state for b in t.bands] == [
        "decision_notified", "adviser_contacted", "information_given", "mediation_wanted",
        "issues_recorded", "route_chosen", "not_arranged", "certificate_issued"]
    assert t.state == "certificate_issued"
    # As of a day before the case ended, later events and settlements are not shown.
    early = build(_case(walkthrough_db, MED_CASE), on=dt.date(2025, 3, 11))
    assert early.state == "information_given"
    assert {c.key: c.status.value for c in early.clocks} == {"mediation_adviser_contact": "met"}
    late = build(_case(walkthrough_db, MED_CASE), on=dt.date(2025, 4, 11))
    assert {c.key: c.status.value for c in late.clocks}[
        "arrange_mediation_education_social_care"] == "running"


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, after checking the signature and its CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    body = data[16:29]
    (crc,) = struct.unpack(">I", data[29:33])
    assert zlib.crc32(kind + body) == crc
    width, height = struct.unpack(">II", body[:8])
    assert data[-12:] == b"\x00\x00\x00\x00IEND\xaeB`\x82"
    return width, height


@pytest.mark.parametrize("case_id", [DR_CASE, MED_CASE])
def test_timeline_png_is_a_real_image_of_the_expected_size(walkthrough_db: Path,
                                                           case_id: str) -> None:
    case = _case(walkthrough_db, case_id)
    png = render_timeline(case, on=ON, format="png")
    assert isinstance(png, bytes)
    t = build(case, on=ON)
    rows = 1 + len(t.clocks) + len(t.events)
    assert _png_size(png) == (1100, round(100 * (1.3 + 0.26 * rows)))
    assert render_timeline(case, on=ON, format="png") == png


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"format": "pdf"}, "format"),
    ({"format": "SVG"}, "format"),
    ({"on": dt.datetime(2025, 5, 1, tzinfo=dt.UTC)}, "on"),
    ({"on": "2025-05-01"}, "on"),
])
def test_timeline_bad_arguments_are_typed_errors(walkthrough_db: Path, kwargs: dict[str, object],
                                                 field: str) -> None:
    case = _case(walkthrough_db, DR_CASE)
    args: dict[str, object] = {"on": ON, **kwargs}
    with pytest.raises(InvalidInputError) as err:
        render_timeline(case, **args)  # type: ignore[arg-type]
    assert err.value.field == field


def test_importing_the_library_does_not_import_matplotlib() -> None:
    import subprocess
    import sys

    code = ("import sys, sen_disagreement, sen_disagreement.reports.timeline, "
            "sen_disagreement.reports.sen2, sen_disagreement.reports.metrics, "
            "sen_disagreement.reports.charts, sen_disagreement.service; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("on", [dt.date(2014, 1, 1), dt.date(9999, 12, 31)])
def test_timeline_before_the_case_and_at_the_end_of_the_calendar(walkthrough_db: Path,
                                                                 on: dt.date) -> None:
    case = _case(walkthrough_db, MED_CASE)
    text = render_timeline(case, on=on, format="text")
    assert isinstance(text, str)
    if on.year == 2014:
        assert "state: not yet opened" in text and "events:\n" in text
        assert build(case, on=on).events == ()
    else:
        assert "state: certificate issued" in text
    svg = render_timeline(case, on=on)
    assert isinstance(svg, str)
    # A bounded axis: at most a dozen date ticks whatever the span.
    root = ET.fromstring(svg.encode("utf-8"))
    dates = [t.text for t in root.iter(f"{SVG}text")
             if t.text and len(t.text) == 10 and t.text[4] == "-" and t.text[7] == "-"]
    assert 1 <= len(dates) <= 12
