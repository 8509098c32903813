"""ONNX file helpers every step shares, written once: walking a graph and its subgraphs, dtype names, tensor sizes,
saving with external data at one threshold, stamping the workbench's metadata, the opset, the checker.

The threshold: a model whose tensors exceed ``EXTERNAL_DATA_ABOVE`` (1 GiB) is saved with them in
``<name>.onnx.data`` beside it (protobuf cannot hold a file above 2 GiB, and a step may grow the model on the way:
quantization adds scales, fusion adds nodes). Export, optimize, quantize and locate all decide by it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from workbench.core.errors import first_line

EXTERNAL_DATA_ABOVE = 1 << 30  # bytes of tensors above which a saved model keeps them in <name>.data


def graphs(graph):
    """The graph and every subgraph (If / Loop / Scan bodies), depth first."""
    yield graph
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from graphs(attr.g)
            for sub in attr.graphs:
                yield from graphs(sub)


def nodes(graph):
    """Every node of the graph and of its subgraphs."""
    for g in graphs(graph):
        yield from g.node


def tensors(graph):
    """Every tensor the graph holds: initializers and attribute tensors (Constant values), subgraphs included."""
    for g in graphs(graph):
        yield from g.initializer
        for node in g.node:
            for attr in node.attribute:
                if attr.HasField("t"):
                    yield attr.t


def tensor_bytes(model) -> int:
    """Serialized bytes of every tensor in a ModelProto (external data not loaded counts only its reference)."""
    return sum(t.ByteSize() for t in tensors(model.graph))


def dtype_name(elem_type: int) -> str:
    """numpy's name for an ONNX element type ("float32", "int64"), else ONNX's in lower case ("bfloat16")."""
    import onnx

    try:
        return onnx.helper.tensor_dtype_to_np_dtype(elem_type).name
    except (KeyError, TypeError, ValueError):
        try:
            return onnx.TensorProto.DataType.Name(elem_type).lower()
        except ValueError:
            return f"type{elem_type}"


def is_large(nbytes: int) -> bool:
    """Whether a model of ``nbytes`` of tensors is saved with external data (see the module docstring)."""
    return nbytes > EXTERNAL_DATA_ABOVE


def save(model, path, external: bool | None = None) -> bool:
    """Save a ModelProto at ``path``; tensors go to ``<name>.data`` beside it when ``external`` (None: when the
    model's tensors are above the threshold). Returns whether they did."""
    import onnx

    path = Path(path)
    external = is_large(tensor_bytes(model)) if external is None else external
    if external:
        onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=path.name + ".data", size_threshold=1024)
    else:
        onnx.save_model(model, str(path))
    return external


def header(path):
    """The ModelProto without its external data (graph, metadata, opsets)."""
    import onnx

    return onnx.load(str(path), load_external_data=False)


def stamp(path, props: dict) -> None:
    """Add ``props`` to the model's metadata (where it came from: optimize picks the fusion type by it, quantize
    the tokenizer, validate the decoder check); external data references are kept as they are."""
    import onnx

    model = header(path)
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, str(value)
    onnx.save_model(model, str(path))


def opset_of(path) -> int | None:
    """The default-domain opset the file imports."""
    return next((o.version for o in header(path).opset_import if o.domain in ("", "ai.onnx")), None)


def check_model(path, keep: dict | None = None) -> tuple[str, str]:
    """(checker, shape_inference): 'ok' or the first line of what failed. Path-based, so >2 GB works. With
    ``keep``, ``keep["inferred"]`` is the inferred graph's header (no weights), for a caller that reads its value
    types and shapes (locate) without inferring again."""
    import onnx

    try:
        onnx.checker.check_model(str(path))
        checker = "ok"
    except Exception as err:  # noqa: BLE001
        checker = first_line(err)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            onnx.shape_inference.infer_shapes_path(str(path), str(Path(tmp) / "inferred.onnx"))
            inference = "ok"
            if keep is not None:
                keep["inferred"] = onnx.load(str(Path(tmp) / "inferred.onnx"), load_external_data=False)
        except Exception as err:  # noqa: BLE001
            inference = first_line(err)
    return checker, inference
