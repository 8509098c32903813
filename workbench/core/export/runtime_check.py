"""What the exported file can and cannot do on ONNX Runtime, said at export time.

* ``--dtype bf16``: ONNX Runtime's CPU provider has no bfloat16 kernel for most operators (e.g. Add), so the
  file is a CUDA artifact. The export succeeds and its notes say so, naming the operator ORT itself refuses (a CPU
  session is tried on the file when it is small enough); validate and bench on the CPU fail with one line
  (``workbench.core.ort.missing_kernel``).
* ``--no-params`` with the dynamo exporter: torch.onnx drops the initializers but the nodes still read them, so
  the file names values nothing defines and fails the ONNX checker. The model is exported with its weights and
  every weight is then turned into a typed graph input (what the legacy exporter's ``export_params=False`` gives):
  a valid graph without weights, to be fed them at run time.
"""

from __future__ import annotations

from pathlib import Path

PROBE_BELOW = 1 << 30  # bytes: a CPU session is tried on bf16 files up to this size, to name ORT's refusal


def _file_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.iterdir() if p.name.startswith(path.name))


def bf16_note(path) -> str:
    """One line on running the bf16 file ``path`` with ONNX Runtime on the CPU."""
    from workbench.core.errors import WorkbenchError
    from workbench.core.ort import BF16_HINT
    from workbench.core.runtimes.base import RuntimeOptions
    from workbench.core.runtimes.onnxruntime import NAME
    from workbench.core.runtimes.select import open_artifact

    path = Path(path)
    fix = BF16_HINT
    if _file_bytes(path) > PROBE_BELOW:
        return (f"bf16: ONNX Runtime's CPU provider has no bfloat16 kernel for most operators (e.g. Add), so "
                f"validate and bench on the CPU will fail; {fix}")
    try:
        open_artifact(path, RuntimeOptions(extra={"level": "disable"}), NAME)[1].close()  # the session validate opens
    except WorkbenchError as err:
        return f"bf16: {err.what}; validate and bench on the CPU will fail; {fix}"
    return "bf16: ONNX Runtime's CPU provider loads this file (this ORT version has the kernels it needs)"


def weights_to_inputs(path) -> str:
    """Turn every initializer of the file at ``path`` into a graph input of its type and shape; drop the weights
    (and the external data file). Returns the note for the export result."""
    import onnx
    from onnx import helper

    path = Path(path)
    model = onnx.load(str(path), load_external_data=False)
    graph = model.graph
    known = {v.name for v in graph.input}
    moved = 0
    for tensor in graph.initializer:
        if tensor.name not in known:
            graph.input.append(helper.make_tensor_value_info(tensor.name, tensor.data_type, list(tensor.dims)))
            moved += 1
    del graph.initializer[:]
    onnx.save_model(model, str(path))
    for item in path.parent.iterdir():
        if item != path and item.name.startswith(path.name):  # model.onnx.data: the weights, no longer used
            item.unlink()
    return (f"exported without weights (--no-params): its {moved} weight tensors are graph inputs, to be fed at "
            "run time; validate and bench need an export with its weights")
