#!/usr/bin/env bash
# Refresh the .ts from the sources, fill in the Chinese texts (zh_CN.py), and compile the .qm.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
cd "$root"
files=$(find workbench/gui -name "*.py" -not -path "*/resources/*" | sort)
pyside6-lupdate -no-obsolete $files -ts "$here/workbench_zh_CN.ts"
python "$here/zh_CN.py" "$here/workbench_zh_CN.ts"
pyside6-lrelease "$here/workbench_zh_CN.ts" -qm "$here/workbench_zh_CN.qm"
