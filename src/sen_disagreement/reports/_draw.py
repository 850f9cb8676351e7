"""Drawing with matplotlib, made deterministic and accessible.

matplotlib is the optional ``reports`` extra and is imported here only, when a picture is drawn
(never by ``import sen_disagreement`` or the case pipeline). It renders SVG and PNG with no
system libraries, from a :class:`~matplotlib.figure.Figure` built without pyplot (no global
figure state, no GUI backend). Output is byte-stable for one matplotlib version: a fixed
``svg.hashsalt`` (clip-path ids), no date or creator in the metadata, the bundled DejaVu Sans
font, text kept as text in SVG (readable by screen readers and searchable).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from sen_disagreement.errors import InvalidInputError
from sen_disagreement.provenance import Check

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FORMATS", "accessible_svg", "figure", "render"]

NEEDS_MATPLOTLIB = Check("reports.matplotlib",
                         "Drawing a chart or timeline needs the optional 'reports' extra")

FORMATS = ("svg", "png")
DPI = 100

_RC: dict[str, Any] = {
    "svg.hashsalt": "sen-disagreement",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "hatch.linewidth": 0.8,
    "path.simplify": False,
    "axes.unicode_minus": False,
    # Labels are text, never TeX: a "$" pair in a label would otherwise be parsed as mathtext
    # (drawn as something else, or a ValueError for a malformed one).
    "text.parse_math": False,
}
_METADATA_SVG = {"Date": None, "Creator": "sen-disagreement", "Format": None, "Type": None}
_METADATA_PNG = {"Software": None}


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:  # the optional extra is not installed
        raise InvalidInputError(
            "drawing needs matplotlib: install sen-disagreement[reports]", field="format",
            rule_id=NEEDS_MATPLOTLIB.rule_id) from None
    return matplotlib


@contextmanager
def figure(width_in: float, height_in: float) -> Iterator[Figure]:
    """A new figure of that size (inches at :data:`DPI`), under the deterministic settings."""
    mpl = _matplotlib()
    from matplotlib.figure import Figure

    with mpl.rc_context(_RC):
        yield Figure(figsize=(width_in, height_in), dpi=DPI)


def render(fig: Figure, fmt: str, *, title: str, desc: str) -> str | bytes:
    """``fig`` as an accessible SVG document (``str``) or a PNG (``bytes``)."""
    mpl = _matplotlib()
    buf = io.BytesIO()
    with mpl.rc_context(_RC):
        if fmt == "svg":
            from matplotlib.backends.backend_svg import FigureCanvasSVG

            FigureCanvasSVG(fig).print_figure(buf, format="svg", metadata=_METADATA_SVG)
            return accessible_svg(buf.getvalue().decode("utf-8"), title=title, desc=desc)
        if fmt == "png":
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            FigureCanvasAgg(fig).print_figure(buf, format="png", dpi=DPI,
                                              metadata=_METADATA_PNG)
            return buf.getvalue()
    raise InvalidInputError(f"must be one of {', '.join(FORMATS)}", field="format",
                            rule_id="input.enum")


_SVG_OPEN = re.compile(r"<svg\b([^>]*)>")


def accessible_svg(svg: str, *, title: str, desc: str) -> str:
    """``svg`` with a ``<title>`` and a ``<desc>`` as the root's first children, and the root
    labelled by them (``role="img"``, ``aria-labelledby``), so a screen reader announces what
    the picture shows."""
    m = _SVG_OPEN.search(svg)
    if m is None:  # matplotlib always writes one root element
        raise ValueError("not an SVG document")
    head = (f'<svg role="img" aria-labelledby="sd-title sd-desc"{m.group(1)}>\n'
            f' <title id="sd-title">{escape(title)}</title>\n'
            f' <desc id="sd-desc">{escape(desc)}</desc>')
    return svg[:m.start()] + head + svg[m.end():]
