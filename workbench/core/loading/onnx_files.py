"""ONNX files, including models with external data and over 2 GB: the graph is read with
``load_external_data=False`` (the tensors stay on disk), so inspection costs the size of the graph, not the weights.
ONNX is not a torch model: this loader has no ``load``.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

from workbench.core.errors import WorkbenchError, first_line
from workbench.core.onnx_io import dtype_name, graphs
from workbench.core.results import InspectResult, TensorInfo

PROTOBUF_LIMIT = 2 * 1024 ** 3


def can_load(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".onnx"


def _value_info(vi) -> TensorInfo:
    kind = vi.type.WhichOneof("value")
    if kind != "tensor_type":
        return TensorInfo(vi.name, kind or "?", [])
    tensor_type = vi.type.tensor_type
    shape = []
    if tensor_type.HasField("shape"):
        for dim in tensor_type.shape.dim:
            if dim.HasField("dim_value"):
                shape.append(int(dim.dim_value))
            elif dim.HasField("dim_param"):
                shape.append(dim.dim_param)
            else:
                shape.append("?")
    return TensorInfo(vi.name, dtype_name(tensor_type.elem_type), shape)


def _text(value) -> str:
    # protobuf hands back a string field that is not valid UTF-8 as bytes
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _external_entries(tensor) -> dict:
    return {_text(e.key): _text(e.value) for e in tensor.external_data}


def _tensor_bytes(tensor) -> int:
    import onnx

    if tensor.data_location == onnx.TensorProto.EXTERNAL:
        entries = _external_entries(tensor)
        if "length" in entries:
            return int(entries["length"])
    if tensor.raw_data:
        return len(tensor.raw_data)
    if tensor.data_type == onnx.TensorProto.STRING:
        return sum(len(s) for s in tensor.string_data)
    numel = math.prod(tensor.dims)
    try:
        bits = {onnx.TensorProto.INT4: 4, onnx.TensorProto.UINT4: 4}.get(tensor.data_type)
        if bits is None and hasattr(onnx.TensorProto, "FLOAT4E2M1") and tensor.data_type == onnx.TensorProto.FLOAT4E2M1:
            bits = 4
        if bits:
            return (numel * bits + 7) // 8
        return numel * onnx.helper.tensor_dtype_to_np_dtype(tensor.data_type).itemsize
    except (KeyError, TypeError, ValueError):
        return 0


def _check_external(path: Path, tensor, seen: dict) -> None:
    """Each external file must exist beside the model and be long enough for the bytes the tensor points at."""
    entries = _external_entries(tensor)
    location = entries.get("location", "")
    target = (path.parent / location)
    if not location or Path(location).is_absolute() or ".." in Path(location).parts:
        raise WorkbenchError(f"{path} references external data '{location}' outside its folder",
                             "re-export the model with its data file beside the .onnx")
    if location not in seen:
        if target.is_symlink() and not target.resolve().is_relative_to(path.parent.resolve()):
            # ONNX Runtime refuses such a link ("escapes model directory"): say so here, not at the first run
            raise WorkbenchError(f"{path} references external data '{location}', a link to "
                                 f"{target.resolve()} outside its folder",
                                 "copy the data file itself beside the .onnx")
        if target.exists() and not target.is_file():
            from workbench.core.loading.limits import regular_file

            regular_file(target, "external data file")  # says what it is: a pipe, a device, a folder
        if not target.is_file():
            raise WorkbenchError(f"{path.name} references external data {location} which is missing",
                                 f"keep {location} beside {path.name} in {path.parent}")
        seen[location] = target.stat().st_size
    numbers = [entries.get(key) or "0" for key in ("offset", "length")]
    if not all(n.isascii() and n.isdigit() for n in numbers):
        raise WorkbenchError(f"{path.name}: tensor '{tensor.name}' has a bad external data offset or length "
                             f"({numbers[0]!r}, {numbers[1]!r})", "the file is corrupt — re-export the model")
    end = int(numbers[0]) + int(numbers[1])
    if end > seen[location]:
        raise WorkbenchError(f"{path.name}: external data {location} is shorter than the model needs "
                             f"({seen[location]} bytes, tensor '{tensor.name}' ends at {end})",
                             "the data file is truncated — copy or export it again")


def read_model(path: Path):
    import onnx

    from workbench.core.loading.limits import regular_file

    path = regular_file(path, "ONNX file", "check the path, or export the model first")
    size = path.stat().st_size
    try:
        model = onnx.load(str(path), load_external_data=False)
    except OSError as err:
        raise WorkbenchError(f"cannot read {path}: {err.strerror or err}", "check the file's permissions") from err
    except Exception as err:  # noqa: BLE001 - protobuf's DecodeError and friends
        reason = first_line(err, 160)
        if size >= PROTOBUF_LIMIT:
            reason = f"{size / 1e9:.1f} GB in one protobuf, over its 2 GB limit"
        raise WorkbenchError(f"{path}: not a valid ONNX file ({reason})", "re-export it") from None
    # Protobuf parses many byte strings (even an empty file) into an empty message; a real model has these.
    if model.ir_version <= 0 or not model.HasField("graph") or not model.opset_import:
        raise WorkbenchError(f"{path}: not a valid ONNX file (no IR version, graph or opset)", "re-export it")
    return model


def check_file(path) -> object:
    """The model's header, after checking that the file exists, parses, and that every external data file it
    references lies beside it and is long enough. Every command that hands a file to ONNX Runtime calls this
    first, so a broken file is one clear line, never a runtime crash."""
    import onnx

    from workbench.core.loading.limits import check_onnx_loops, regular_file

    path = regular_file(path, "ONNX file", "check the path, or export the model first")
    model = read_model(path)
    check_onnx_loops(model, path)
    seen: dict = {}
    for g in graphs(model.graph):
        for tensor in g.initializer:
            if tensor.data_location == onnx.TensorProto.EXTERNAL:
                _check_external(path, tensor, seen)
    return model


def inspect(path: Path) -> InspectResult:
    import onnx

    path = Path(path)
    model = read_model(path)
    graph = model.graph
    initializer_names = {t.name for t in graph.initializer}
    op_counts: Counter = Counter()
    tensors, by_dtype, external, seen = [], {}, [], {}
    parameters = node_count = 0
    foreign: dict = {}  # domain -> operators of a domain no standard runtime implements
    for g in graphs(graph):
        for node in g.node:
            op_counts[node.op_type] += 1
            node_count += 1
            if (node.domain or "") not in KNOWN_DOMAINS:
                foreign.setdefault(node.domain, set()).add(node.op_type)
        for tensor in g.initializer:
            if tensor.data_location == onnx.TensorProto.EXTERNAL:
                _check_external(path, tensor, seen)
                location = _external_entries(tensor).get("location")
                if location not in external:
                    external.append(location)
            nbytes = _tensor_bytes(tensor)
            dtype = dtype_name(tensor.data_type)
            tensors.append(TensorInfo(tensor.name, dtype, [int(d) for d in tensor.dims]))
            parameters += math.prod(tensor.dims)
            by_dtype[dtype] = by_dtype.get(dtype, 0) + nbytes
    initializer_bytes = sum(by_dtype.values())
    files = [str(path)] + [str(path.parent / loc) for loc in external]
    return InspectResult(
        path=str(path), format="onnx", tensors=tensors, parameters=parameters, bytes_by_dtype=by_dtype,
        total_bytes=initializer_bytes,
        metadata={"ir_version": model.ir_version, "producer": f"{model.producer_name} {model.producer_version}".strip(),
                  **{p.key: p.value for p in model.metadata_props}},
        files=files,
        inputs=[_value_info(vi) for vi in graph.input if vi.name not in initializer_names],
        outputs=[_value_info(vi) for vi in graph.output],
        opset={(o.domain or "ai.onnx"): int(o.version) for o in model.opset_import},
        op_counts=dict(op_counts.most_common()), node_count=node_count, initializer_bytes=initializer_bytes,
        external_data=external, notes=_foreign_notes(foreign, model),
    )


# Operator domains ONNX Runtime (and the other runtimes' ONNX front ends) implement; another domain's operators
# run only where a custom-operator library registers them.
KNOWN_DOMAINS = ("", "ai.onnx", "ai.onnx.ml", "com.microsoft", "com.microsoft.nchwc", "ai.onnx.preview.training",
                 "com.ms.internal.nhwc", "org.pytorch.aten", "pkg.onnxscript.torch_lib.common")


def _foreign_notes(foreign: dict, model) -> list:
    functions = {(f.domain, f.name) for f in model.functions}  # model-local functions are defined in the file
    notes = []
    for domain, ops in sorted(foreign.items()):
        ops = sorted(op for op in ops if (domain, op) not in functions)
        if ops:
            notes.append(f"operators of domain '{domain}' ({', '.join(ops[:5])}) are not standard ONNX: they run "
                         "only where a custom-operator library registers them (ONNX Runtime refuses the file "
                         "otherwise)")
    return notes


def register(registry) -> None:
    from workbench.core.registry import Loader

    registry.add_loader(Loader(name="onnx_files", can_load=can_load, inspect=inspect, load=None))
