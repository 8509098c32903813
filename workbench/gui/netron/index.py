"""The authoritative details of an ONNX file's nodes, as the Graph panel and Netron's selection show them.

Qt-free (onnx only), so that it can be built off the GUI thread: ``NetronView.open_model`` and the Graph panel
read it in a background thread (``workbench.gui.netron.loader.IndexLoader``), since ``onnx.load`` and shape
inference take seconds on a large model. onnx's shape inference holds the GIL throughout (a 20k-node model held
every other Python thread, the GUI's included, for ~1 s), so for a graph of ``CHILD_INFER_NODES`` nodes or more it
runs in a child Python process (``onnx.shape_inference.infer_shapes_path`` into a temporary file): a thread alone
would only move the stall. Below that, starting the child (importing onnx) costs more than the stall it saves.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

# Written by hand: onnx has no shape inference that lets go of the GIL, and the job runner (core.jobs.child) is
# for the engine's jobs; this is one short command whose only output is a file.
_INFER = "import sys, onnx; onnx.shape_inference.infer_shapes_path(sys.argv[1], sys.argv[2])"


class NodeIndex:
    """The authoritative details of every top-level node of an ONNX file, keyed like Netron shows them.

    The key is the node's name, or its first output's name when it has none. Weights stay on disk (external data
    is not loaded); shapes come from the graph and from ``onnx.shape_inference`` while the proto is under 2 GB.
    """

    MAX_INFER_BYTES = 2**31 - 1
    CHILD_INFER_NODES = 5000  # ~0.25 s of GIL-holding shape inference: from here on it runs in a child process
    CHILD_TIMEOUT_S = 300

    def __init__(self, path: str):
        import onnx

        model = onnx.load(str(path), load_external_data=False)
        self.shape_inference = "skipped"
        if model.ByteSize() < self.MAX_INFER_BYTES:
            try:
                model = self._inferred_in_child(path) if len(model.graph.node) >= self.CHILD_INFER_NODES else \
                    onnx.shape_inference.infer_shapes(model)
                self.shape_inference = "ok"
            except Exception as exc:  # noqa: BLE001 - shapes are a nicety; the node list still works
                self.shape_inference = f"failed: {exc}"
        graph = model.graph
        self.values: dict = {}
        for info in list(graph.input) + list(graph.value_info) + list(graph.output):
            self.values[info.name] = _value_type(info)
        for init in graph.initializer:
            self.values.setdefault(init.name, (_dtype_name(init.data_type), list(init.dims)))
        self.nodes: dict = {}
        self.order: list = []
        for i, node in enumerate(graph.node):
            key = node.name or (node.output[0] if node.output else f"#{i}")
            self.nodes[key] = node
            self.order.append(key)

    def _inferred_in_child(self, path: str):
        import onnx

        with tempfile.TemporaryDirectory(prefix="workbench-shapes-") as folder:
            out = Path(folder) / "inferred.onnx"
            done = subprocess.run([sys.executable, "-c", _INFER, str(path), str(out)], capture_output=True,
                                  text=True, timeout=self.CHILD_TIMEOUT_S, stdin=subprocess.DEVNULL)
            if done.returncode != 0:
                lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
                raise RuntimeError(lines[-1] if lines else f"shape inference exited with {done.returncode}")
            return onnx.load(str(out), load_external_data=False)

    def __len__(self) -> int:
        return len(self.order)

    def entries(self) -> list:
        """``[(key, op_type)]`` in graph order."""
        return [(key, self.nodes[key].op_type) for key in self.order]

    def details(self, key: str) -> Optional[dict]:
        """op type, domain, attributes and inputs/outputs with dtypes and shapes of the node ``key``."""
        node = self.nodes.get(key)
        if node is None:
            return None
        module, module_class = node_scope(node)
        return {"name": key, "op_type": node.op_type, "domain": node.domain or "ai.onnx",
                "attributes": {a.name: _attribute_value(a) for a in node.attribute},
                "inputs": [self._tensor(n) for n in node.input if n],
                "outputs": [self._tensor(n) for n in node.output if n],
                "module": module, "module_class": module_class,
                "metadata": {p.key: p.value for p in node.metadata_props if not is_exporter_metadata(p.key)}}

    def _tensor(self, name: str) -> dict:
        dtype, shape = self.values.get(name, (None, None))
        return {"name": name, "dtype": dtype, "shape": shape}


# Node metadata the exporters write for their own bookkeeping (the dynamo exporter's module scopes, class
# hierarchy, FX node and Python stack trace): read for the module path, never shown as such.
EXPORTER_METADATA_PREFIXES = ("pkg.torch.", "pkg.onnxscript.")
EXPORTER_METADATA_KEYS = frozenset({"namespace", "stack_trace", "source_location"})


def is_exporter_metadata(key: str) -> bool:
    """True for exporter bookkeeping (``namespace``, ``pkg.torch.*``, stack traces), not the user's metadata."""
    return key in EXPORTER_METADATA_KEYS or key.startswith(EXPORTER_METADATA_PREFIXES) or "stack_trace" in key


def node_scope(node) -> tuple:
    """``(module path, module class)`` a node was exported from, e.g. ``("model.layers.0.mlp", "LlamaMLP")``;
    ``(None, None)`` when the file does not say (``workbench.core.locate.node_module`` reads the path)."""
    import ast

    from workbench.core.locate import node_module

    module = node_module(node)
    if module is None:
        return None, None
    for prop in node.metadata_props:
        if prop.key == "pkg.torch.onnx.class_hierarchy":
            try:
                classes = ast.literal_eval(prop.value)
            except (ValueError, SyntaxError):
                break
            if isinstance(classes, list) and len(classes) >= 2:  # [..., module class, aten op]
                return module, str(classes[-2]).rsplit(".", 1)[-1]
    return module, None


def _dtype_name(elem_type: int) -> Optional[str]:
    import onnx

    try:
        return onnx.TensorProto.DataType.Name(elem_type).lower()
    except ValueError:
        return None


def _value_type(info) -> tuple:
    t = info.type
    if not t.HasField("tensor_type"):
        return (t.WhichOneof("value") or None, None)
    tensor = t.tensor_type
    if not tensor.HasField("shape"):
        return (_dtype_name(tensor.elem_type), None)
    dims = [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in tensor.shape.dim]
    return (_dtype_name(tensor.elem_type), dims)


def _attribute_value(attr):
    """A short, JSON-friendly rendering of an attribute (tensors and graphs summarised, not dumped)."""
    import onnx

    value = onnx.helper.get_attribute_value(attr)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, onnx.TensorProto):
        if len(value.dims) == 0 or (len(value.dims) == 1 and value.dims[0] <= 8):
            try:
                return onnx.numpy_helper.to_array(value).tolist()
            except Exception:  # noqa: BLE001
                pass
        return f"tensor {_dtype_name(value.data_type)} {list(value.dims)}"
    if isinstance(value, onnx.GraphProto):
        return f"graph {value.name} ({len(value.node)} nodes)"
    if isinstance(value, list):
        return [_attribute_value_item(v) for v in value]
    if isinstance(value, float):
        return float(f"{value:.7g}")  # float32 attributes read back as e.g. 9.999999747378752e-06
    return value


def _attribute_value_item(v):
    import onnx

    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, (onnx.TensorProto, onnx.GraphProto)):
        return type(v).__name__
    if isinstance(v, float):
        return float(f"{v:.7g}")
    return v
