#!/usr/bin/env bash
# Installs the library into .venv and runs the end-to-end demo on a fresh SQLite file.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -U "pip>=25.1"
.venv/bin/python -m pip install -q --disable-pip-version-check -e . -e plugins/sen-disagreement-sefton -e plugins/sen-disagreement-notify
.venv/bin/sen-disagreement demo "$@"
