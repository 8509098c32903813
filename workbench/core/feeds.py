"""Example inputs mapped onto an artifact's inputs, written once: runtimes.select.feed (any runtime's TensorInfo)
and ort.feed (an ONNX Runtime session) both call it. Its own module, below both, so neither imports the other."""

from __future__ import annotations

import numpy as np

from workbench.core.errors import WorkbenchError


def feed(infos: list, inputs: dict, names: list | None = None) -> dict:
    """Example inputs (torch or numpy) mapped onto a session's inputs (TensorInfo: by name, else by their place in
    ``names``, else by position) and cast to its dtypes."""
    values = list(inputs.items())
    out = {}
    for i, info in enumerate(infos):
        if info.name in inputs:
            value = inputs[info.name]
        elif names and info.name in names and names.index(info.name) < len(values):
            value = values[names.index(info.name)][1]
        elif i < len(values):
            value = values[i][1]
        else:
            raise WorkbenchError(f"no value for the model input '{info.name}'",
                                 f"the model expects: {', '.join(x.name for x in infos)}")
        array = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
        try:
            dtype = np.dtype(info.dtype) if info.dtype else array.dtype
        except TypeError:  # bfloat16 and other names numpy does not know: the runtime casts
            dtype = array.dtype
        out[info.name] = array.astype(dtype, copy=False)
    return out
