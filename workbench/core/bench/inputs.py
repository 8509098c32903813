"""Example inputs for an ONNX file, built from its input metadata alone (no torch, no weights read).

Integer ids are drawn in ``[0, vocab)`` where the vocabulary is the row count of the embedding table that the input
indexes (a ``Gather`` on an initializer, also through Cast/DequantizeLinear, also ``GatherBlockQuantized``); masks
are ones; floats are standard normal. Dynamic dimensions named like a batch or a sequence get ``batch`` or
``sequence``; otherwise a dynamic axis 0 is the batch and any other dynamic axis the sequence. Fixed
dimensions are kept. A decoder with past key values gets a past as long as the sequence, and its mask (a dimension
named like ``total_sequence``) spans both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from workbench.core.errors import WorkbenchError

DEFAULT_VOCAB = 100
# Ops an index tensor may pass through on its way to the embedding Gather, and ops between a table and the Gather.
_INDEX_PASS = {"Cast", "Identity", "Reshape", "Unsqueeze", "Squeeze", "Flatten", "Expand"}
_TABLE_PASS = {"Cast", "Identity", "DequantizeLinear"}
_GATHERS = {"Gather", "GatherBlockQuantized"}
_BATCH_HINTS = ("batch",)
_SEQ_HINTS = ("seq", "len", "token", "time", "step")
_TOTAL_HINTS = ("total",)  # past + new tokens (export --task text-generation-with-past names it total_sequence)


@dataclass
class InputDesc:
    name: str
    dtype: np.dtype
    dims: list  # int for a fixed dimension, or the dimension's name ('' when unnamed) for a dynamic one
    high: Optional[int] = None  # exclusive bound for integer ids, when found from an embedding table

    def shape(self, batch: int, sequence: int) -> list:
        out = []
        for axis, dim in enumerate(self.dims):
            if isinstance(dim, int):
                out.append(dim)
                continue
            hint = dim.lower()
            if any(h in hint for h in _TOTAL_HINTS):  # a decoder's mask spans its past (as long) and new tokens
                out.append(2 * sequence)
            elif any(h in hint for h in _BATCH_HINTS):
                out.append(batch)
            elif any(h in hint for h in _SEQ_HINTS):
                out.append(sequence)
            else:  # an unnamed dynamic dimension: the batch leads, the others are sequences
                out.append(batch if axis == 0 else sequence)
        return out


def _np_dtype(elem_type: int) -> np.dtype:
    import onnx

    try:
        return np.dtype(onnx.helper.tensor_dtype_to_np_dtype(elem_type))
    except Exception as err:  # noqa: BLE001 - bfloat16, float8, strings...
        name = onnx.TensorProto.DataType.Name(elem_type) if elem_type else "undefined"
        raise WorkbenchError(f"cannot build an example input of type {name}",
                             "give the inputs yourself (api.bench_samples(..., inputs=...))") from err


def _load(path) -> "object":
    import onnx

    from workbench.core.loading.limits import regular_file

    p = regular_file(path, "ONNX file", "check the path, or export the model first")
    try:
        return onnx.load(str(p), load_external_data=False)
    except Exception as err:  # noqa: BLE001 - DecodeError and friends
        raise WorkbenchError(f"{path}: not a readable ONNX file ({type(err).__name__})",
                             "check the file with `workbench inspect`, or re-export it") from err


def _table_rows(graph, name: str, producers: dict, initializers: dict) -> Optional[int]:
    """Row count of the table behind a Gather's data input, following Cast/DequantizeLinear back to a weight."""
    for _ in range(8):
        if name in initializers:
            dims = list(initializers[name].dims)
            return int(dims[0]) if dims else None
        node = producers.get(name)
        if node is None:
            return None
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value" and attr.t.dims:
                    return int(attr.t.dims[0])
            return None
        if node.op_type not in _TABLE_PASS or not node.input:
            return None
        name = node.input[0]
    return None


def _vocab_sizes(graph, names: list) -> dict:
    """{input name: rows of the embedding table it indexes} for the inputs that index one."""
    initializers = {t.name: t for t in graph.initializer}
    producers, consumers = {}, {}
    for node in graph.node:
        for out in node.output:
            producers[out] = node
        for inp in node.input:
            consumers.setdefault(inp, []).append(node)
    found = {}
    for name in names:
        frontier, seen = [name], {name}
        while frontier and name not in found:
            tensor = frontier.pop()
            for node in consumers.get(tensor, []):
                axis = next((a.i for a in node.attribute if a.name in ("axis", "gather_axis")), 0)
                if node.op_type in _GATHERS and len(node.input) > 1 and node.input[1] == tensor and axis == 0:
                    rows = _table_rows(graph, node.input[0], producers, initializers)
                    if rows:
                        found[name] = rows
                        break
                elif node.op_type in _INDEX_PASS and node.input and node.input[0] == tensor:
                    for out in node.output:
                        if out not in seen:
                            seen.add(out)
                            frontier.append(out)
    return found


def describe_inputs(path) -> list:
    """[InputDesc] for the model's real inputs (initializers listed as inputs are skipped)."""
    model = _load(path)
    graph = model.graph
    weights = {t.name for t in graph.initializer}
    descs = []
    for value in graph.input:
        if value.name in weights:
            continue
        tensor = value.type.tensor_type
        dims = []
        for dim in tensor.shape.dim:
            if dim.HasField("dim_value") and dim.dim_value > 0:
                dims.append(int(dim.dim_value))
            else:
                dims.append(dim.dim_param or "")
        descs.append(InputDesc(value.name, _np_dtype(tensor.elem_type), dims))
    ints = [d.name for d in descs if np.issubdtype(d.dtype, np.integer)]
    vocab = _vocab_sizes(graph, ints) if ints else {}
    for d in descs:
        d.high = vocab.get(d.name)
    return descs


def _value(desc: InputDesc, shape: list, rng: np.random.Generator) -> np.ndarray:
    lowered = desc.name.lower()
    if "mask" in lowered or desc.dtype == np.bool_:
        return np.ones(shape, dtype=desc.dtype)
    if np.issubdtype(desc.dtype, np.integer):
        if desc.high is None and "position" in lowered and shape:
            return np.broadcast_to(np.arange(shape[-1], dtype=desc.dtype), shape).copy()
        high = desc.high or (2 if "token_type" in lowered else DEFAULT_VOCAB)
        if desc.dtype == np.uint8:
            high = min(high, 256)
        return rng.integers(0, max(high, 1), size=shape, dtype=np.int64).astype(desc.dtype)
    if np.issubdtype(desc.dtype, np.floating):
        return rng.standard_normal(shape, dtype=np.float32).astype(desc.dtype)
    raise WorkbenchError(f"cannot build an example value for input '{desc.name}' ({desc.dtype})",
                         "give the inputs yourself")


def onnx_example_inputs(path, batch: int = 1, sequence: int = 128, seed: int = 0, pad: bool = False) -> dict:
    """{input name: numpy array} for the ONNX file at ``path`` (see the module docstring for the rules).

    With ``pad`` the last row of a 2-D attention mask ends in zeros, so comparisons see padded positions too.
    """
    rng = np.random.default_rng(seed)
    out = {d.name: _value(d, d.shape(batch, sequence), rng) for d in describe_inputs(path)}
    if pad:
        for name, array in out.items():
            if "mask" in name.lower() and array.ndim == 2 and array.shape[1] > 2:
                array[-1, -max(1, array.shape[1] // 3):] = 0
    return out


def effective_batch(inputs: dict, requested: int) -> int:
    """The batch the inputs really carry (dimension 0 of the first input with one), else ``requested``."""
    for value in inputs.values():
        shape = getattr(value, "shape", None)
        if shape is not None and len(shape) >= 1:
            return int(shape[0])
    return requested


def _dims_text(dims) -> str:
    return "x".join(str(d) if isinstance(d, int) else (d or "?") for d in dims) or "a scalar"


def shape_conflicts(path, batch: int, sequence: int, values: Optional[dict] = None) -> list:
    """["input 1x16 (fixed) where the run has 2x16", ...]: the inputs of the ONNX file at ``path`` whose fixed
    dimensions cannot take the run's shapes. The run's shapes are those of ``values`` ({name: array}, mapped onto
    the file's inputs by name, else by position, as ``workbench.core.ort.feed`` does), else ``batch`` on axis 0
    and ``sequence`` on axis 1 of 2-D integer inputs (token ids and masks); other axes keep the file's sizes."""
    given = list((values or {}).items())
    conflicts = []
    for i, desc in enumerate(describe_inputs(path)):
        if values is not None:
            value = values.get(desc.name, given[i][1] if i < len(given) else None)
            if value is None:
                continue  # feed() names the missing input when the run starts
            want = [int(d) for d in np.shape(value)]
        else:
            want = [int(d) for d in desc.shape(batch, sequence)]
            if want:
                want[0] = int(batch)
            if len(want) == 2 and np.issubdtype(desc.dtype, np.integer):
                want[1] = int(sequence)
        fixed_wrong = len(want) != len(desc.dims) or any(
            isinstance(d, int) and d != w for d, w in zip(desc.dims, want))
        if fixed_wrong:
            conflicts.append(f"{desc.name} {_dims_text(desc.dims)} (fixed) where the run has {_dims_text(want)}")
    return conflicts


def check_fits(path, batch: int, sequence: int, values: Optional[dict] = None, label: str = "") -> None:
    """Raise WorkbenchError (one line, naming the file's real shapes) when the ONNX file at ``path`` cannot take the
    run's input shapes (see :func:`shape_conflicts`); a benchmark never silently runs it on other shapes."""
    conflicts = shape_conflicts(path, batch, sequence, values)
    if conflicts:
        name = Path(str(path)).name
        raise WorkbenchError(f"{label or name} refused: {name} takes {'; '.join(conflicts)} "
                             f"(batch {batch}, sequence {sequence})",
                             "set Batch and Sequence to the file's sizes, or export it again with dynamic axes")


def runtime_example_inputs(infos: list, batch: int = 1, sequence: int = 128, seed: int = 0) -> dict:
    """{input name: numpy array} for a runtime session's ``inputs()`` (TensorInfo), by the same rules as an ONNX
    file's, for artifacts whose graph the workbench does not read (ids stay under DEFAULT_VOCAB)."""
    rng = np.random.default_rng(seed)
    descs = [InputDesc(i.name, np.dtype(i.dtype), [d if isinstance(d, int) and d > 0 else (d or "") for d in i.shape])
             for i in infos]
    return {d.name: _value(d, d.shape(batch, sequence), rng) for d in descs}
