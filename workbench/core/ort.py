"""ONNX Runtime sessions, providers and feeding inputs: shared by validate, quantize, optimize and bench."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from workbench.core.errors import WorkbenchError, first_line

_NP_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64,
             "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(bool)": np.bool_,
             "tensor(uint8)": np.uint8, "tensor(int8)": np.int8}


def cuda_available() -> bool:
    import onnxruntime as ort

    return "CUDAExecutionProvider" in ort.get_available_providers()


def providers_for(provider: str) -> tuple[list, list]:
    """ORT provider list for 'cpu' or 'cuda' and notes; CUDA falls back to CPU with a clear note."""
    notes = []
    if provider == "cuda":
        import onnxruntime as ort

        if hasattr(ort, "preload_dlls"):
            try:
                ort.preload_dlls()
            except Exception:  # noqa: BLE001 - only a speed-up of DLL discovery
                pass
        if cuda_available():
            return ["CUDAExecutionProvider", "CPUExecutionProvider"], notes
        notes.append("CUDA is not available here (onnxruntime-gpu with a GPU is needed); ran on the CPU")
    elif provider != "cpu":
        raise WorkbenchError(f"unknown provider '{provider}'", "use cpu or cuda")
    return ["CPUExecutionProvider"], notes


# CUDA provider options used unless the caller gives others: GPU 0, and an arena that grows by what is asked
# rather than to the next power of two (ORT's default), so the GPU memory stays near what the model needs.
CUDA_DEFAULTS = {"device_id": "0", "arena_extend_strategy": "kSameAsRequested"}
# Attention kernels of decoder sessions on CUDA (ONNX Runtime's ``sdpa_kernel`` bitmask): flash (1),
# memory-efficient (2) and the unfused fallback (16), pinned, so not cuDNN's SDPA (8), which ORT prefers on SM >= 90
# when nothing is pinned, nor the TensorRT kernels. Measured on an H100 (benchmarks/results/gpu_sdpa_h100.md): the
# DeepSeek-V3 MoE decoder's batch-1 step 57.5 -> 2.04 ms, GPT-2 and the GQA decoder unchanged within noise,
# agreement 100% either way. WORKBENCH_CUDA_SDPA_KERNEL overrides it (0: ORT's own choice).
DECODER_SDPA_KERNEL = "19"


def decoder_cuda_options() -> dict:
    """CUDA provider options for a decoder's session (see :data:`DECODER_SDPA_KERNEL`)."""
    import os

    value = os.environ.get("WORKBENCH_CUDA_SDPA_KERNEL", DECODER_SDPA_KERNEL).strip()
    if not value.isdigit():
        raise WorkbenchError(f"WORKBENCH_CUDA_SDPA_KERNEL must be ONNX Runtime's sdpa_kernel bitmask, not '{value}'",
                             "unset it, or give a number (0: ONNX Runtime's own choice; 19: the workbench's)")
    return {} if int(value) == 0 else {"sdpa_kernel": str(int(value))}


NOT_ACTIVE = ("the CUDA provider could not start in ONNX Runtime (check the CUDA and cuDNN libraries "
              "onnxruntime-gpu needs); ran on the CPU")


def _option_text(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def provider_list(provider: str, provider_options: dict | None = None) -> tuple[list, list]:
    """Providers for ``InferenceSession(providers=...)``, CUDA with its options, and notes (see providers_for)."""
    names, notes = providers_for(provider)
    out: list = []
    for name in names:
        if name == "CUDAExecutionProvider":
            opts = dict(CUDA_DEFAULTS)
            opts.update({str(k): _option_text(v) for k, v in (provider_options or {}).items()})
            out.append((name, opts))
        else:
            out.append(name)
    return out, notes


def active_provider(session) -> str:
    """'cuda' when the CUDA provider really runs the session, else 'cpu'."""
    return "cuda" if "CUDAExecutionProvider" in session.get_providers() else "cpu"


BF16_HINT = "use fp16 or fp32 for ONNX Runtime on the CPU (export with --dtype fp16 or fp32); bf16 runs on CUDA"


def missing_kernel(path, message: str):
    """A one-line WorkbenchError for ORT's "Could not find an implementation for Add(14) node with name 'x'" on a
    bfloat16 model (ORT's CPU provider has no bf16 kernel for most operators), else None."""
    import re

    found = re.search(r"Could not find an implementation for (\S+?)\((\d+)\) node with name '([^']*)'", message)
    if not found or not has_bf16(path):
        return None
    op, version, node = found.groups()
    return WorkbenchError(f"ONNX Runtime's CPU provider has no bfloat16 kernel for {op} (opset {version}, node "
                          f"'{node}'), so it cannot run this bf16 model", BF16_HINT)


def has_bf16(path) -> bool:
    """Whether the file's inputs, outputs or weights (headers only) hold bfloat16 tensors."""
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:  # noqa: BLE001 - only a hint for an error message
        return False
    bf16 = onnx.TensorProto.BFLOAT16
    values = list(model.graph.input) + list(model.graph.output) + list(model.graph.value_info)
    return any(t.data_type == bf16 for t in model.graph.initializer) or \
        any(v.type.tensor_type.elem_type == bf16 for v in values)


def make_session(path, provider: str = "cpu", threads: int | None = None, level: str = "all",
                 options=None, *, provider_options: dict | None = None, notes: list | None = None,
                 strict: bool = False, data: bytes | None = None):
    """An ONNX Runtime session on ``provider`` ('cpu' or 'cuda'), checked after creation.

    ``provider_options`` go to the CUDA provider (e.g. ``{"enable_cuda_graph": "1", "device_id": "0",
    "gpu_mem_limit": ..., "arena_extend_strategy": "kNextPowerOfTwo"}``) over :data:`CUDA_DEFAULTS`; they are
    ignored on the CPU. When CUDA was asked for but is not available or did not start, the reason is appended
    to ``notes`` (and the session runs on the CPU), or with ``strict`` a WorkbenchError is raised: CPU results
    are never silently reported as CUDA ones. ``session.workbench_provider`` holds the provider that really
    runs ('cuda' or 'cpu'). ``data`` (a serialized model, under protobuf's 2 GB) is loaded instead of the file at
    ``path``, which then only names it in messages: no temp file for a model built in memory.
    """
    import onnxruntime as ort

    from workbench.core.loading.onnx_files import check_file
    from workbench.core.quiet import quiet_onnxruntime

    quiet_onnxruntime()
    if data is None:
        check_file(path)
    so = options or ort.SessionOptions()
    so.graph_optimization_level = {
        "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL, "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED, "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }[level]
    if threads:
        so.intra_op_num_threads = threads
    so.log_severity_level = 3
    providers, fallback = provider_list(provider, provider_options)
    hint = "install onnxruntime-gpu (not beside onnxruntime) on a machine with an NVIDIA GPU, or use --provider cpu"
    if fallback and strict:
        raise WorkbenchError(fallback[0], hint)
    if provider == "cuda" and not fallback:
        # Weights go straight to the device allocator, not into the arena (less GPU memory for the same speed).
        so.add_session_config_entry("session.use_device_allocator_for_initializers", "1")
    try:
        session = ort.InferenceSession(str(path) if data is None else data, so, providers=providers)
    except Exception as err:  # noqa: BLE001 - ORT raises its own Fail/InvalidGraph/NotImplemented types
        first = first_line(err)
        missing = missing_kernel(path, first)
        if missing:
            raise missing from err
        from workbench.core.loading.limits import describe_path

        shown = describe_path(path) if data is None else str(path)
        if shown != str(path):  # a quantizer's working copy, gone when the user reads this: the input's name
            first = first.replace(str(path), shown.split(" (its working copy")[0])
        raise WorkbenchError(f"ONNX Runtime cannot load {shown}: {first}",
                             "check the file with `workbench inspect`, or re-export it") from err
    from workbench.core.loading.limits import guard_session

    guard_session(session, path)  # one run past $WORKBENCH_RUN_TIMEOUT_S is stopped with a one-line error
    active = active_provider(session)
    if provider == "cuda" and active != "cuda" and not fallback:
        if strict:
            raise WorkbenchError(NOT_ACTIVE, hint)
        fallback.append(NOT_ACTIVE)
    if notes is not None:
        notes.extend(fallback)
    session.workbench_provider = active
    return session


def feed(session, inputs: dict, names: list | None = None) -> dict:
    """Map example inputs onto the session's inputs (by name, else by position) and cast to its dtypes."""
    from workbench.core.feeds import feed as feed_infos
    from workbench.core.results import TensorInfo

    infos = [TensorInfo(i.name, np.dtype(_NP_TYPES[i.type]).name if i.type in _NP_TYPES else "", list(i.shape or []))
             for i in session.get_inputs()]
    return feed_infos(infos, inputs, names)


def run(session, feeds: dict, run_options=None) -> dict:
    """Every output by name; ORT's own failure becomes one line (``run_options``: an ``ort.RunOptions``)."""
    try:
        results = session.run(None, feeds, run_options)
    except WorkbenchError:
        raise  # the run-time guard's one line (core/loading/limits.py)
    except Exception as err:  # noqa: BLE001
        first = first_line(err)
        raise WorkbenchError(f"ONNX Runtime failed to run the model: {first}",
                             "check the input shapes and dtypes against `workbench inspect`") from err
    return {o.name: np.asarray(r) for o, r in zip(session.get_outputs(), results)}


def model_float_dtype(path) -> str:
    """'fp32', 'fp16' or 'bf16': the dtype most of the model's float weights have (headers only)."""
    import onnx

    from workbench.core.loading.onnx_files import read_model

    model = read_model(Path(path))
    counts: dict = {}
    names = {onnx.TensorProto.FLOAT: "fp32", onnx.TensorProto.FLOAT16: "fp16", onnx.TensorProto.BFLOAT16: "bf16"}
    # initializers, and the tensors of Constant nodes (where paddle2onnx, for one, keeps the weights)
    tensors = list(model.graph.initializer) + [a.t for n in model.graph.node if n.op_type == "Constant"
                                               for a in n.attribute if a.name == "value"]
    for t in tensors:
        if t.data_type in names:
            n = 1
            for d in t.dims:
                n *= d
            counts[names[t.data_type]] = counts.get(names[t.data_type], 0) + n
    return max(counts, key=counts.get) if counts else "fp32"
