#!/usr/bin/env bash
# One command: the reference web app on http://127.0.0.1:8000 with demo data in a fresh SQLite
# file (local development over plain http, so the session cookie is not marked Secure).
# Usage: bash examples/web/run.sh [--port N]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py="$root/.venv/bin/python"
[ -x "$py" ] || py=python3
"$py" -c "import sen_disagreement_web" 2>/dev/null \
  || "$py" -m pip install -q --disable-pip-version-check -e "$root" -e "$root/plugins/sen-disagreement-sefton" -e "$here"
bash "$here/build-assets.sh"
exec "$py" -m sen_disagreement_web --demo --insecure-local-http "$@"
