#!/usr/bin/env bash
# Installs everything into .venv and runs the whole suite: ruff, mypy --strict, pytest.
# Usage: bash scripts/test.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -U "pip>=25.1"
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[postgres]' --group dev
for p in plugins/*/; do
  [ -f "$p/pyproject.toml" ] && .venv/bin/python -m pip install -q --disable-pip-version-check -e "$p"
done
# The reference web app (examples/web) with its test extra; its GOV.UK Frontend and axe-core
# come from the npm registry (pinned in its package-lock.json) when npm is here.
.venv/bin/python -m pip install -q --disable-pip-version-check -e 'examples/web[tests]'
if command -v npm >/dev/null; then
  bash examples/web/build-assets.sh >/dev/null || echo "warning: examples/web front-end assets not fetched" >&2
fi
echo "== ruff"
.venv/bin/ruff check .
echo "== mypy --strict"
.venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest "$@"
