#!/usr/bin/env bash
# Installs, once, the venv with pyzipper that the export tests open archives with (a ZIP
# implementation other than the one that wrote them), keyed by tests/export/requirements.txt
# as scripts/contract.sh keys its own; prints the venv's python. The end-to-end tests run
# it themselves, so `cargo test` on a fresh machine has it; a failure fails those tests.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${XCHANNEL_TOOLS_DIR:-$HOME/.cache/xchannel-tools}"
mkdir -p "$TOOLS"
STAMP="$(sha256sum tests/export/requirements.txt | cut -c1-16)"
VENV="$TOOLS/venv-export-$STAMP"
exec 9>"$TOOLS/.venv-export.lock"
flock 9
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import pyzipper' 2>/dev/null; then
  echo "installing pyzipper into $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/export/requirements.txt >&2 ||
    { rm -rf "$VENV"; exit 1; }
fi
echo "$VENV/bin/python"
