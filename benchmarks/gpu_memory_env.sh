#!/usr/bin/env bash
# The environment-variable rows of benchmarks/results/gpu_memory_h200.md (issue 15, memory): the same child as
# benchmarks/gpu_memory.py (workbench CUDA defaults: arena kSameAsRequested) on the models its run left in
# /tmp/wb-gpu-memory, once per environment setting; run on the GPU machine right after gpu_memory.py, in the same
# lease, with PYTHONPATH holding onnxruntime-gpu (benchmarks/sweep_gpu.sh says how it gets there). Output:
# benchmarks/results/gpu_memory_env_h200.txt ("ENV <setting> <child's JSON row>", GPT-2 then the one-node model).
#
# Another model, with CUDA graphs, into another file (here the one benchmarks/gpu.py leaves with --fp16-outputs;
# the question: does a small cuBLAS workspace, :4096:1 = one 4 MiB buffer instead of ORT's ~128 MB, cost speed?):
#   NAME=gpu_workspace_env MODEL=/tmp/wb-gpu/gpt2/fused_fp16out/model.onnx GRAPH=1 bash benchmarks/gpu_memory_env.sh
set -u
MODEL=${MODEL:-/tmp/wb-gpu-memory/fused/model.onnx}
OPTS='{"device_id": "0", "arena_extend_strategy": "kSameAsRequested"'
[ "${GRAPH:-0}" = 1 ] && OPTS="$OPTS, \"enable_cuda_graph\": \"1\""
OPTS="$OPTS}"
A="{\"model\": \"$MODEL\", \"options\": $OPTS, \"seq\": 128, \"iters\": 300}"
I="{\"model\": \"/tmp/wb-gpu-memory/identity.onnx\", \"options\": $OPTS, \"seq\": 128, \"iters\": 300}"
for e in "X=1" "CUDA_MODULE_LOADING=EAGER" "CUDA_MODULE_LOADING=LAZY" "CUBLAS_WORKSPACE_CONFIG=:0:0" \
         "CUBLASLT_WORKSPACE_SIZE=0" "CUBLAS_WORKSPACE_CONFIG=:0:0 CUBLASLT_WORKSPACE_SIZE=0" \
         "CUBLAS_WORKSPACE_CONFIG=:4096:1" "CUBLAS_WORKSPACE_CONFIG=:4096:8"; do
    for m in "$A" "$I"; do
        echo "ENV $e $(env $e timeout 60 python3 benchmarks/gpu_memory.py --child "$m" 2>/dev/null | tail -1)"
    done
done | tee "${OUT:-benchmarks/results}/${NAME:-gpu_memory_env_h200}.txt"
