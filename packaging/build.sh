#!/usr/bin/env bash
# Build the one-folder desktop bundle (PyInstaller) and a .deb from it; an AppImage too when appimagetool is on
# PATH. Run from anywhere, in an environment with the gui and packaging extras:
#   pip install -c constraints.txt "torch==2.13.0" -e ".[gui,packaging]" && bash packaging/build.sh [--self-test]
# Writes packaging/dist/model-workbench/ (the bundle), packaging/dist/model-workbench_VERSION_amd64.deb and
# prints the build time and sizes (--package-only: the .deb from the bundle already built). --self-test then runs the bundle's headless self-test (exit 1 when it fails).
# WB_BUNDLE_FULL=1 keeps everything PyInstaller finds (no trimming: packaging/trim.py).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"
DIST="${WB_DIST:-$HERE/dist}"
WORK="${WB_WORK:-$HERE/build}"
SELF_TEST=0
BUILD=1
for arg in "$@"; do
  case "$arg" in
    --self-test) SELF_TEST=1 ;;
    --package-only) BUILD=0 ;;  # the .deb/AppImage from the bundle already in $DIST
    *) echo "build.sh: unknown option $arg (use --self-test, --package-only)" >&2; exit 2 ;;
  esac
done
if ! "$PY" -c "import PyInstaller, PySide6" 2>/dev/null; then
  echo "build.sh: PyInstaller or PySide6 missing in $PY; run: pip install -c constraints.txt -e \".[gui,packaging]\"" >&2
  exit 1
fi
VERSION="$("$PY" -c "import workbench; print(workbench.__version__)")"
start=$(date +%s)
if [ "$BUILD" = 1 ]; then
  (cd "$ROOT" && "$PY" -m PyInstaller --noconfirm --log-level WARN --distpath "$DIST" --workpath "$WORK" \
    "$HERE/workbench.spec")
fi
built=$(date +%s)
BUNDLE="$DIST/model-workbench"
[ -x "$BUNDLE/model-workbench" ] || { echo "build.sh: no executable in $BUNDLE" >&2; exit 1; }
echo "bundle: $BUNDLE, $(du -sm "$BUNDLE" | cut -f1) MB, built in $((built - start)) s"

# The .deb: /opt/model-workbench/ (the bundle), /usr/bin/model-workbench, the .desktop entry and the icon.
DEB="$WORK/deb"
rm -rf "$DEB"
mkdir -p "$DEB/DEBIAN" "$DEB/opt" "$DEB/usr/bin" "$DEB/usr/share/applications" \
  "$DEB/usr/share/icons/hicolor/scalable/apps" "$DEB/usr/share/icons/hicolor/256x256/apps"
cp -a "$BUNDLE" "$DEB/opt/model-workbench"
ln -s /opt/model-workbench/model-workbench "$DEB/usr/bin/model-workbench"
cp "$HERE/model-workbench.desktop" "$DEB/usr/share/applications/"
cp "$ROOT/workbench/gui/resources/icons/app.svg" "$DEB/usr/share/icons/hicolor/scalable/apps/model-workbench.svg"
cp "$HERE/workbench.png" "$DEB/usr/share/icons/hicolor/256x256/apps/model-workbench.png"
cat > "$DEB/DEBIAN/control" <<CONTROL
Package: model-workbench
Version: $VERSION
Section: devel
Priority: optional
Architecture: amd64
Maintainer: Model Workbench <noreply@localhost>
Installed-Size: $(du -sk "$DEB" | cut -f1)
Depends: libc6, libgl1, libegl1, libxkbcommon0, libfontconfig1, libdbus-1-3, libnss3, libxcomposite1, libxdamage1, libxrandr2, libxtst6, libxkbfile1, libasound2 | libasound2t64
Description: Take a trained model to deployment
 Export a PyTorch or Hugging Face model to ONNX, validate it against PyTorch,
 optimize, quantize and benchmark it, with the graph in an embedded Netron view.
CONTROL
# zstd: xz -3 had not finished packing the 1.4 GB folder after 17 min on 2 shared cores
OUT_DEB="$DIST/model-workbench_${VERSION}_amd64.deb"
dpkg-deb --root-owner-group -Zzstd -z9 --build "$DEB" "$OUT_DEB" >/dev/null
debbed=$(date +%s)
echo "deb: $OUT_DEB, $(du -sm "$OUT_DEB" | cut -f1) MB, in $((debbed - built)) s"

# An AppImage where appimagetool exists (it is on neither PyPI nor Debian: https://appimage.github.io).
if command -v appimagetool >/dev/null; then
  APPDIR="$WORK/Model_Workbench.AppDir"
  rm -rf "$APPDIR" && mkdir -p "$APPDIR/usr"
  cp -a "$BUNDLE" "$APPDIR/usr/model-workbench"
  cp "$HERE/model-workbench.desktop" "$APPDIR/"
  cp "$ROOT/workbench/gui/resources/icons/app.svg" "$APPDIR/model-workbench.svg"
  printf '#!/bin/sh\nexec "$(dirname "$(readlink -f "$0")")/usr/model-workbench/model-workbench" "$@"\n' \
    > "$APPDIR/AppRun" && chmod +x "$APPDIR/AppRun"
  ARCH=x86_64 appimagetool "$APPDIR" "$DIST/Model_Workbench-$VERSION-x86_64.AppImage"
else
  echo "appimage: skipped (appimagetool is not on PATH)"
fi

if [ "$SELF_TEST" = 1 ]; then
  "$BUNDLE/model-workbench" --self-test
fi
