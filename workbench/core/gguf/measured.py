"""Measured by the workbench itself; written 2026-12-07 14:57 UTC by `python benchmarks/gguf_advise_data.py` from
benchmarks/results/gguf_cpu_table.json (2026-12-03 15:05 UTC) and gguf_validate.json (2026-12-07 14:47 UTC). Do not edit:
re-run the benchmarks and that script. Read by workbench/core/gguf/advise.py."""

SOURCES = {'cpu_table': 'benchmarks/results/gguf_cpu_table.json',
 'cpu_table_machine': 'x86_64, 2 cores SHARED with other jobs (load average '
                      '0.1 at the start, 1.3 at the end): absolute numbers are '
                      'noisy, compare rows of one run. torch 2.13.0+cpu, '
                      'onnxruntime 1.32.0, llama-cpp-python 0.3.36',
 'validate': 'benchmarks/results/gguf_validate.json'}
# per GGUF type: bits per weight (file size of the 109.5M Llama), decode tokens/s there, fidelity vs PyTorch
GGUF = {'f16': {'bits_per_weight': 16.028,
         'tokens_per_s': 76.58,
         'fidelity': {'encoder': 0.9999986290931702, 'decoder': 0.999}},
 'q8_0': {'bits_per_weight': 8.529,
          'tokens_per_s': 74.91,
          'fidelity': {'encoder': 0.9994847774505615, 'decoder': 0.9802}},
 'q4_0': {'bits_per_weight': 4.53,
          'tokens_per_s': 106.96,
          'fidelity': {'encoder': 0.9551970958709717, 'decoder': 0.7229}},
 'q4_k_m': {'bits_per_weight': 5.006,
            'tokens_per_s': 87.24,
            'fidelity': {'encoder': 0.9890942573547363, 'decoder': 0.7833}}}
# median peak RSS minus file size of the llama.cpp variants (interpreter, llama.cpp, buffers, a 512-token context)
RUNTIME_OVERHEAD_BYTES = 122627268
# the route whose 100%-agreeing variant decoded fastest on CPU: {'llama.cpp': 76.576579314071, 'onnxruntime': 38.06777174474006}
CPU_ROUTE = 'gguf'
