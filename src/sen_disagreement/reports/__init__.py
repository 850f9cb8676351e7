"""Reports and pictures of stored cases, read through the store as an authenticated council
officer.

* :mod:`.sen2` - the mediation and Tribunal flags of the DfE SEN2 person-level return, and the
  aggregate counts DfE publishes, derived from case events, with a validation pass;
* :mod:`.metrics` - local management metrics (caseload, 30-day arrangement, certificates,
  outcomes, stage durations, deadlines);
* :mod:`.timeline` - one case's events, clocks, deadlines and state on one time axis (SVG, PNG,
  text);
* :mod:`.charts` - the metrics as SVG charts.

Nothing here carries a recorded item's text, a party's name or contact details, or health
detail: reports read case dates, states, clock ids, certificate kinds and issue outcomes only.
The drawing modules import matplotlib (the optional ``reports`` extra) only when they draw, so
``import sen_disagreement`` and the case pipeline never pay for it.
"""

from __future__ import annotations

# The names are in the submodules; importing the package alone loads none of them.
__all__: list[str] = []
