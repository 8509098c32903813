#!/usr/bin/env bash
# Issue 15 goal 1 on the device machine, in one lease: `bash benchmarks/gpu_issue15.sh bench` (GPT-2-small and
# BERT-base at batch 1: PyTorch references and the optimize --target cuda rows of benchmarks/gpu.py), then, in
# the next call, `bash benchmarks/gpu_issue15.sh workspace` (benchmarks/gpu_workspace.py on the models the first
# call left in /tmp/wb-gpu). The payload (.whl/p00..p05, git-excluded: onnxruntime-gpu 1.31.1 cp312, onnxslim,
# onnxscript, onnx-ir; benchmarks/sweep_gpu.sh says how such a tar is made) comes first, one piece per call:
#   mkdir -p /tmp/ow && cp .whl/p00 /tmp/ow/   (carry .whl/p00), p01, ... p05
set -euo pipefail
P=${PIECES:-/tmp/ow}
if [ ! -f /tmp/site/onnxruntime/__init__.py ]; then
    cat "$P"/p0* > "$P/payload.tar"
    mkdir -p "$P/x" && tar -C "$P/x" -xf "$P/payload.tar" && rm "$P/payload.tar"
    python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site "$P"/x/pay/*.whl
fi
export PYTHONPATH=/tmp/site:$PWD HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
OUT=${OUT:-benchmarks/results}
case "${1:-bench}" in
    bench)
        python3 benchmarks/gpu.py --out "$OUT" --models "${MODELS:-gpt2,bert}" --batches 1 --budget-s "${BUDGET_S:-420}" --prep "${PREP:-fused_fp16out_nomask,fused_unpacked}" \
            --only "${ONLY:-fusion \+ CUDA graphs(, fp16 outputs)?(, no attention-mask rewrite|, no QKV packing.*)?$}" ;;
    workspace)
        python3 benchmarks/gpu_workspace.py --out "$OUT" --models "${MODELS:-gpt2,bert}" --keys "${KEYS:-fused_fp16out}" --rounds "${ROUNDS:-1}" --settings "${SETTINGS:-unset,:4096:1,:0:0}" ;;
    *) echo "usage: bash benchmarks/gpu_issue15.sh bench|workspace" >&2; exit 2 ;;
esac
