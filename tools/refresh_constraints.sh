#!/usr/bin/env bash
# Try the latest releases of every dependency (what pip resolves today, torch kept at the CPU build on disk) in a
# fresh venv, run the test suite there, and rewrite constraints.txt only when the suite passes.
#   bash tools/refresh_constraints.sh            # try latest, refresh constraints.txt if green
#   KEEP=1 bash tools/refresh_constraints.sh     # keep /tmp/wb-latest for a look afterwards
set -euo pipefail
cd "$(dirname "$0")/.."
venv=/tmp/wb-latest
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q "torch==2.13.0" -e ".[gui,test]"
"$venv/bin/pip" list 2>/dev/null | grep -i -E "^(onnx|onnxruntime|transformers|torch|PySide6-Essentials|numpy) " || true
"$venv/bin/python" -m pytest -q
{
  sed -n '1,3p' constraints.txt
  "$venv/bin/pip" freeze --exclude-editable | grep -v '^-e' | sed 's/+cpu$//'
} > constraints.txt.new
mv constraints.txt.new constraints.txt
echo "constraints.txt refreshed; review with: git diff constraints.txt"
[ -n "${KEEP:-}" ] || rm -rf "$venv"
