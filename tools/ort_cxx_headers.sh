#!/usr/bin/env bash
# ONNX Runtime's C/C++ headers for the deployment kit's C++ program (`workbench deploy MODEL.onnx --lang cpp`) and
# its test (tests/deploy/test_deploy.py). The library itself is the one the onnxruntime Python wheel ships
# (onnxruntime/capi/libonnxruntime.so.1.N); PyPI and npm ship no headers, Debian does (libonnxruntime-dev, from
# Debian 13 "trixie" on). ONNX Runtime's C API is versioned: a program built with older headers runs on a newer
# library, never the other way round, so Debian's 1.21 headers build a program that runs on the wheel's library.
#
#   bash tools/ort_cxx_headers.sh [DEST]     (root; DEST defaults to /usr/local/include/onnxruntime)
#
# Debian 13 or later: installs libonnxruntime-dev (headers in /usr/include/onnxruntime). Debian 12: downloads that
# one package from the trixie suite of this machine's own Debian mirror through a private apt configuration in a
# temporary folder (the system's sources and installed packages stay as they are) and copies only its headers into
# DEST. Exit 0 with the folder printed, or 1 with the reason.
set -euo pipefail
dest="${1:-/usr/local/include/onnxruntime}"
have() { [ -f "$1/onnxruntime_cxx_api.h" ] && [ -f "$1/onnxruntime_c_api.h" ]; }

if have /usr/include/onnxruntime; then echo /usr/include/onnxruntime; exit 0; fi
if have "$dest"; then echo "$dest"; exit 0; fi
command -v apt-get >/dev/null || { echo "no apt-get: copy a release's include/ folder to $dest instead" >&2; exit 1; }

if apt-cache policy libonnxruntime-dev 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get install -y -q libonnxruntime-dev >/dev/null
    have /usr/include/onnxruntime || { echo "libonnxruntime-dev installed no headers in /usr/include/onnxruntime" >&2; exit 1; }
    echo /usr/include/onnxruntime
    exit 0
fi

# This Debian's own mirror (the first URIs/deb line of its main archive, not the security one).
mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1 | awk '{print $2}')
[ -n "$mirror" ] || mirror=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | grep -v security | head -1 | awk '{print $2}')
[ -n "$mirror" ] || { echo "no Debian mirror found in /etc/apt's sources" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/parts" "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/x"
printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" > "$tmp/parts/trixie.sources"
opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$tmp/parts" -o "Dir::State::Lists=$tmp/lists"
      -o "Dir::Cache=$tmp/cache" -o APT::Sandbox::User=root)
apt-get "${opts[@]}" update -q >"$tmp/update.log" 2>&1 || { tail -3 "$tmp/update.log" >&2; exit 1; }
(cd "$tmp" && apt-get "${opts[@]}" download libonnxruntime-dev >"$tmp/download.log" 2>&1) \
    || { tail -3 "$tmp/download.log" >&2; exit 1; }
dpkg-deb -x "$tmp"/libonnxruntime-dev_*.deb "$tmp/x"
have "$tmp/x/usr/include/onnxruntime" || { echo "libonnxruntime-dev carries no onnxruntime_cxx_api.h" >&2; exit 1; }
mkdir -p "$dest"
cp -r "$tmp/x/usr/include/onnxruntime/." "$dest/"
cp "$tmp/x/usr/share/doc/libonnxruntime-dev/copyright" "$dest/COPYRIGHT.debian"
echo "$dest"
