"""ONNX Runtime sessions, providers and feeding inputs: shared by validate, quantize, optimize and bench."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from workbench.core.errors import WorkbenchError

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


def make_session(path, provider: str = "cpu", threads: int | None = None, level: str = "all",
                 options=None):
    import onnxruntime as ort

    so = options or ort.SessionOptions()
    so.graph_optimization_level = {
        "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL, "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED, "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }[level]
    if threads:
        so.intra_op_num_threads = threads
    so.log_severity_level = 3
    providers, _ = providers_for(provider)
    try:
        return ort.InferenceSession(str(path), so, providers=providers)
    except Exception as err:  # noqa: BLE001 - ORT raises its own Fail/InvalidGraph/NotImplemented types
        first = next((ln for ln in str(err).splitlines() if ln.strip()), type(err).__name__)[:300]
        raise WorkbenchError(f"ONNX Runtime cannot load {path}: {first}",
                             "check the file with `workbench inspect`, or re-export it") from err


def feed(session, inputs: dict, names: list | None = None) -> dict:
    """Map example inputs onto the session's inputs (by name, else by position) and cast to its dtypes."""
    model_inputs = session.get_inputs()
    values = list(inputs.items())
    out = {}
    for i, info in enumerate(model_inputs):
        if info.name in inputs:
            value = inputs[info.name]
        elif names and info.name in names and names.index(info.name) < len(values):
            value = values[names.index(info.name)][1]
        elif i < len(values):
            value = values[i][1]
        else:
            raise WorkbenchError(f"no value for the model input '{info.name}'",
                                 f"the model expects: {', '.join(x.name for x in model_inputs)}")
        array = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
        out[info.name] = array.astype(_NP_TYPES.get(info.type, array.dtype), copy=False)
    return out


def run(session, feeds: dict) -> dict:
    try:
        results = session.run(None, feeds)
    except Exception as err:  # noqa: BLE001
        first = next((ln for ln in str(err).splitlines() if ln.strip()), type(err).__name__)[:300]
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
    for t in model.graph.initializer:
        if t.data_type in names:
            n = 1
            for d in t.dims:
                n *= d
            counts[names[t.data_type]] = counts.get(names[t.data_type], 0) + n
    return max(counts, key=counts.get) if counts else "fp32"
