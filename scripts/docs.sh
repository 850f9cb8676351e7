#!/usr/bin/env bash
# Builds the documentation into docs/_build/html with warnings as errors (as CI does), nitpicky:
# every cross-reference must land (docs/conf.py lists what is deliberately left unlinked).
# Usage: bash scripts/docs.sh [extra sphinx-build args]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
if ! .venv/bin/python -c "import sphinx, myst_parser, furo, sphinx_click, sen_disagreement" 2>/dev/null; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -U "pip>=25.1"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[postgres]' --group docs
fi
.venv/bin/python -m sphinx -W --keep-going -b html docs docs/_build/html "$@"
echo "docs/_build/html/index.html"
